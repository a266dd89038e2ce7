"""Readings of an ambiguous document (spec, semantics 5) and quoting one reading.

An omitted ``basis`` reads as ``list`` or ``current``; an omitted ``repeat`` on a single tier as
``false`` (满) or ``true`` (每满). The document's readings are all combinations, ordered with
``list`` before ``current`` and ``false`` before ``true``, fields in document order.

For one cart most fields cannot change anything, and which ones can is decided exactly, so only the
combinations of those need quoting (the others give identical results):

* ``basis`` of an offer X matters only if some offer applied before X (an item promotion, an offer of
  an earlier layer, or a promotion of X's layer when X is a coupon) matches a line X matches and is
  not X's exclusive partner — otherwise every line of X is still at 标价 when X is measured.
* ``repeat`` matters only if 标价 of all lines X matches reaches twice the threshold (the base can only
  be lower, and below 2× threshold 满 and 每满 give the same).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product

from tianping.promotion.engine import Outcome, compile_problem
from tianping.promotion.model import (
    AmbiguousField,
    Cart,
    Offer,
    Reading,
    RuleSet,
    ThresholdOff,
    in_effect,
    item_amount,
)
from tianping.promotion.search import NODE_LIMIT, best_outcome, best_payable


def _order(rules: RuleSet, cart: Cart) -> dict[str, tuple[int, int]]:
    """Each offer in effect for this cart → (layer position, 0 promotion / 1 coupon)."""
    held = set(cart.coupons_held)
    used = cart.used_map
    position = {layer: i for i, layer in enumerate(rules.layers)}
    out: dict[str, tuple[int, int]] = {}
    for offer in rules.promotions:
        if in_effect(offer, used) is not None:
            out[offer.id] = (position[offer.layer], 0)
    for coupon in rules.coupons:
        if coupon.id in held and in_effect(coupon, used) is not None:
            out[coupon.id] = (position[coupon.layer], 1)
    return out


def field_matters(rules: RuleSet, cart: Cart, field: AmbiguousField) -> bool:
    """Whether the two readings of ``field`` can give different results on ``cart`` (exact, see above)."""
    order = _order(rules, cart)
    if field.offer_id not in order:
        return False
    offer = rules.offer(field.offer_id)
    assert isinstance(offer, ThresholdOff)
    lines = [i for i, item in enumerate(cart.items) if offer.applies_to(item)]
    if not lines:
        return False
    if field.field == "repeat":
        return sum(cart.items[i].list_amount for i in lines) >= 2 * offer.tiers[0].threshold
    partners = rules.partners(offer.id)
    mine = order[offer.id]
    for other in (*rules.promotions, *rules.coupons):
        if other.id not in order or other.id == offer.id or other.id in partners:
            continue
        if order[other.id] >= mine:
            continue
        effective = in_effect(other, cart.used_map)
        assert effective is not None  # in ``order``
        if any(effective.applies_to(cart.items[i]) and _can_lower(effective, cart, i) for i in lines):
            return True
    return False


def _can_lower(offer: Offer, cart: Cart, line: int) -> bool:
    if isinstance(offer, ThresholdOff):
        return True
    item = cart.items[line]
    return item_amount(offer, item) < item.list_amount


def cart_fields(rules: RuleSet, cart: Cart) -> tuple[AmbiguousField, ...]:
    """The document's ambiguous fields whose readings can matter on this cart, in document order."""
    return tuple(f for f in rules.ambiguous_fields if field_matters(rules, cart, f))


def readings(fields: tuple[AmbiguousField, ...]) -> Iterator[dict[str, str | bool]]:
    """All combinations of the fields' readings, in the spec's order."""
    for values in product(*(f.readings for f in fields)):
        yield {f.name: v for f, v in zip(fields, values, strict=True)}


def quote_reading(rules: RuleSet, cart: Cart, reading: Reading, *, node_limit: int = NODE_LIMIT) -> Outcome:
    """The consumer's best combination on ``cart`` under one reading (missing fields: first reading)."""
    return best_outcome(compile_problem(rules, cart, reading), node_limit=node_limit)


def payable_reading(rules: RuleSet, cart: Cart, reading: Reading, *, node_limit: int = NODE_LIMIT) -> int:
    """Only the lowest payable under one reading (cheaper: no tie-break between equal payables)."""
    return best_payable(compile_problem(rules, cart, reading), node_limit=node_limit)
