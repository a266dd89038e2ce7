"""The promotion-rules format ``tianping-promotions/1`` as typed, frozen values.

Amounts are integer fen. Documents become these values only through ``document.load_rules`` /
``document.load_cart``, which validate every clause of the spec; nothing here re-validates.

To add a type, add a frozen dataclass with its own fields, put it in ``Offer`` and teach ``document`` to
read it, ``item_unit_price``/``priced_units`` (item types) or ``engine`` to apply it and ``explain`` to
describe it. Extensions beyond the spec (docs/promotions.md, "Extensions"): ``nth_item_percent``
(第N件X折), ``presale`` (定金膨胀), ``limit_per_user`` on every offer and the cart's ``used``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from typing import ClassVar, Literal

FORMAT = "tianping-promotions/1"
CURRENCY = "CNY"
ITEM_LAYER = "item"
DEFAULT_LAYERS: tuple[str, ...] = (ITEM_LAYER, "shop", "cross_store", "platform")

Basis = Literal["list", "current"]
OfferKind = Literal["promotion", "coupon"]
ReadingValue = str | bool
"""A reading of an omitted field: ``"list"``/``"current"`` (basis) or ``False``/``True`` (repeat)."""


@dataclass(frozen=True)
class CartItem:
    sku: str
    shop: str
    category: str | None
    price: int  # 标价 per unit, fen
    qty: int

    @property
    def list_amount(self) -> int:
        return self.price * self.qty


@dataclass(frozen=True)
class Cart:
    items: tuple[CartItem, ...]
    coupons_held: tuple[str, ...] = ()
    used: tuple[tuple[str, int], ...] = ()  # extension: prior uses per offer id (limit_per_user)

    @property
    def used_map(self) -> dict[str, int]:
        return dict(self.used)

    def to_json(self) -> dict[str, object]:
        """The cart as a document ``load_cart`` reads back unchanged."""
        items: list[dict[str, object]] = []
        for item in self.items:
            row: dict[str, object] = {"sku": item.sku, "shop": item.shop}
            if item.category is not None:
                row["category"] = item.category
            row |= {"price": fen_text(item.price), "qty": item.qty}
            items.append(row)
        out: dict[str, object] = {"items": items, "coupons_held": list(self.coupons_held)}
        if self.used:
            out["used"] = dict(self.used)
        return out


@dataclass(frozen=True)
class Scope:
    """Which cart lines an offer is about. ``None`` = the key is absent."""

    all: bool = False
    skus: frozenset[str] | None = None
    shops: frozenset[str] | None = None
    categories: frozenset[str] | None = None

    def _tests(self, item: CartItem) -> list[bool]:
        tests = []
        if self.all:
            tests.append(True)
        if self.skus is not None:
            tests.append(item.sku in self.skus)
        if self.shops is not None:
            tests.append(item.shop in self.shops)
        if self.categories is not None:
            tests.append(item.category is not None and item.category in self.categories)
        return tests

    def matches_all_keys(self, item: CartItem) -> bool:
        """Scope: several keys = all must match."""
        return all(self._tests(item))

    def matches_any_key(self, item: CartItem) -> bool:
        """Exclude: a line matching ANY key is out."""
        return any(self._tests(item))


@dataclass(frozen=True, kw_only=True)
class OfferBase:
    TYPE: ClassVar[str]
    ITEM_TYPE: ClassVar[bool] = False

    id: str
    title: str
    layer: str
    kind: OfferKind
    scope: Scope
    exclude: Scope | None = None
    automatic: bool = True  # coupons: False (used at the consumer's choice when held)
    limit_per_user: int | None = None  # extension: units of a line (item types) / times (threshold_off)

    @property
    def label(self) -> str:
        return self.title or self.id

    def applies_to(self, item: CartItem) -> bool:
        if not self.scope.matches_all_keys(item):
            return False
        return self.exclude is None or not self.exclude.matches_any_key(item)


@dataclass(frozen=True)
class Tier:
    threshold: int
    discount: int


@dataclass(frozen=True, kw_only=True)
class ThresholdOff(OfferBase):
    """满减 / 每满减 in a non-item layer. ``repeat``/``basis`` are ``None`` when the document omits them."""

    TYPE: ClassVar[str] = "threshold_off"
    tiers: tuple[Tier, ...]
    repeat: bool | None = None
    cap: int | None = None
    basis: Basis | None = None

    def raw_discount(self, base: int) -> int:
        """The discount a base earns before the "never more than the lines' current amounts" limit."""
        if self.repeat:
            tier = self.tiers[0]
            amount = (base // tier.threshold) * tier.discount
            return amount if self.cap is None else min(amount, self.cap)
        reached = self.reached_tier(base)
        return 0 if reached is None else reached.discount

    def reached_tier(self, base: int) -> Tier | None:
        best: Tier | None = None
        for tier in self.tiers:
            if base >= tier.threshold and (best is None or tier.threshold > best.threshold):
                best = tier
        return best

    def max_discount_up_to(self, base: int) -> int:
        """An upper bound of ``raw_discount(b)`` for every ``b <= base`` (tiers may be non-monotone)."""
        if self.repeat:
            return self.raw_discount(base)
        return max((t.discount for t in self.tiers if t.threshold <= base), default=0)

    def min_discount_from(self, base: int) -> int:
        """A lower bound of ``raw_discount(b)`` for every ``b >= base``."""
        if self.repeat:
            return self.raw_discount(base)
        reached = self.reached_tier(base)
        if reached is None:
            return 0
        return min(t.discount for t in self.tiers if t.threshold >= reached.threshold)


@dataclass(frozen=True, kw_only=True)
class PercentOff(OfferBase):
    """折扣: the unit price becomes round_half_up(price × rate)."""

    TYPE: ClassVar[str] = "percent_off"
    ITEM_TYPE: ClassVar[bool] = True
    rate: Fraction


@dataclass(frozen=True, kw_only=True)
class AmountOff(OfferBase):
    """直降: the unit price becomes max(0, price − discount)."""

    TYPE: ClassVar[str] = "amount_off"
    ITEM_TYPE: ClassVar[bool] = True
    discount: int


@dataclass(frozen=True, kw_only=True)
class FixedPrice(OfferBase):
    """秒杀价 / 一口价: the unit price becomes min(current, price) for at most ``limit`` units of the line."""

    TYPE: ClassVar[str] = "fixed_price"
    ITEM_TYPE: ClassVar[bool] = True
    price: int
    limit: int | None = None


@dataclass(frozen=True, kw_only=True)
class NthItemPercent(OfferBase):
    """第N件X折 (extension): every ``nth`` unit of a line is priced round_half_up(price × rate)."""

    TYPE: ClassVar[str] = "nth_item_percent"
    ITEM_TYPE: ClassVar[bool] = True
    nth: int
    rate: Fraction  # 0 <= rate <= 1 (第N件免费 = 0)


@dataclass(frozen=True, kw_only=True)
class Presale(OfferBase):
    """定金膨胀 presale (extension): the consumer pays ``deposit`` now and the balance
    max(0, 标价 − ``deposit_value``) later, so a unit costs deposit + balance in total."""

    TYPE: ClassVar[str] = "presale"
    ITEM_TYPE: ClassVar[bool] = True
    deposit: int
    deposit_value: int  # >= deposit: what the deposit is worth against the price (膨胀)
    balance_start: datetime | None = None  # the window in which the balance (尾款) is paid
    balance_end: datetime | None = None
    deposit_refundable: bool | None = None  # None: the rules do not say (lint: presale_terms_hidden)
    spot_price: int | None = None  # price of the same goods outside the presale in the same period

    def balance(self, price: int) -> int:
        """尾款 per unit for a 标价 ``price``."""
        return max(0, price - self.deposit_value)


ItemOffer = PercentOff | AmountOff | FixedPrice | NthItemPercent | Presale
Offer = ThresholdOff | PercentOff | AmountOff | FixedPrice | NthItemPercent | Presale
OFFER_TYPES: dict[str, type[OfferBase]] = {
    cls.TYPE: cls for cls in (ThresholdOff, PercentOff, AmountOff, FixedPrice, NthItemPercent, Presale)
}
RESERVED_TYPES: tuple[str, ...] = ()


def round_half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def item_unit_price(offer: ItemOffer, price: int) -> int:
    """The unit price an item-layer offer gives a unit it prices (from 标价 ``price``)."""
    if isinstance(offer, PercentOff | NthItemPercent):
        return round_half_up_div(price * offer.rate.numerator, offer.rate.denominator)
    if isinstance(offer, AmountOff):
        return max(0, price - offer.discount)
    if isinstance(offer, FixedPrice):
        return min(price, offer.price)
    return offer.deposit + offer.balance(price)


def priced_units(offer: ItemOffer, qty: int) -> int:
    """How many of a line's ``qty`` units the offer prices; the others keep 标价.

    ``fixed_price``: at most ``limit``; ``nth_item_percent``: every ``nth`` unit, floor(qty / nth);
    then at most ``limit_per_user`` (already lowered by the consumer's prior uses, see ``in_effect``).
    """
    units = qty
    if isinstance(offer, FixedPrice) and offer.limit is not None:
        units = min(units, offer.limit)
    elif isinstance(offer, NthItemPercent):
        units = qty // offer.nth
    if offer.limit_per_user is not None:
        units = min(units, offer.limit_per_user)
    return units


def item_amount(offer: ItemOffer, item: CartItem) -> int:
    """A line's amount after an item-layer offer (the item layer runs first, so current = 标价)."""
    units = priced_units(offer, item.qty)
    return item_unit_price(offer, item.price) * units + item.price * (item.qty - units)


def in_effect(offer: Offer, used: Mapping[str, int]) -> Offer | None:
    """The offer as it stands for a consumer with prior ``used`` uses (extension ``limit_per_user``).

    None when the limit is used up. An item offer's limit counts units per line, so what is left of it
    becomes the offer's ``limit_per_user``; a threshold offer or coupon applies at most once per order.
    """
    if offer.limit_per_user is None:
        return offer
    left = offer.limit_per_user - used.get(offer.id, 0)
    if left <= 0:
        return None
    if offer.ITEM_TYPE and left != offer.limit_per_user:
        return replace(offer, limit_per_user=left)
    return offer


@dataclass(frozen=True)
class AmbiguousField:
    """A field the document omits although the reading changes the result (spec, "Threshold basis")."""

    offer_id: str
    field: Literal["basis", "repeat"]

    @property
    def name(self) -> str:
        return f"{self.offer_id}.{self.field}"

    @property
    def readings(self) -> tuple[ReadingValue, ReadingValue]:
        return ("list", "current") if self.field == "basis" else (False, True)

    @property
    def code(self) -> str:
        return f"ambiguous_{self.field}"


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    cart: Cart
    payable: int


@dataclass(frozen=True)
class Checkout:
    """An observed checkout (extension, differential check): a cart and what was charged, in fen."""

    id: str
    cart: Cart
    charged: int


@dataclass(frozen=True)
class RuleSet:
    layers: tuple[str, ...]
    promotions: tuple[Offer, ...]
    coupons: tuple[ThresholdOff, ...]
    exclusive: tuple[tuple[str, str], ...] = ()
    claims: tuple[Claim, ...] = ()
    currency: str = CURRENCY
    coupons_first: bool = False  # the document lists `coupons` before `promotions` (document order)

    @property
    def offers(self) -> tuple[Offer, ...]:
        """All promotions and coupons in document order."""
        if self.coupons_first:
            return (*self.coupons, *self.promotions)
        return (*self.promotions, *self.coupons)

    def offer(self, offer_id: str) -> Offer:
        for offer in self.offers:
            if offer.id == offer_id:
                return offer
        raise KeyError(offer_id)

    def partners(self, offer_id: str) -> frozenset[str]:
        return frozenset(b if a == offer_id else a for a, b in self.exclusive if offer_id in (a, b))

    @property
    def ambiguous_fields(self) -> tuple[AmbiguousField, ...]:
        """Omitted ``repeat`` (single tier, threshold > 0) and omitted ``basis``, in document order.

        Within one offer ``repeat`` comes before ``basis``, the order of the spec's reference document.
        An omitted ``repeat`` on a single tier with threshold 0 is not ambiguous: 每满 ¥0 means nothing.
        """
        out: list[AmbiguousField] = []
        for offer in self.offers:
            if not isinstance(offer, ThresholdOff):
                continue
            if offer.repeat is None and len(offer.tiers) == 1 and offer.tiers[0].threshold > 0:
                out.append(AmbiguousField(offer.id, "repeat"))
            if offer.basis is None:
                out.append(AmbiguousField(offer.id, "basis"))
        return tuple(out)


Reading = Mapping[str, ReadingValue]
"""Values of ambiguous fields by name (``{"P1.basis": "list"}``); a missing name takes its first reading."""


def resolve(offer: Offer, reading: Reading) -> Offer:
    """The offer with its omitted fields filled in by ``reading`` (first readings: list, false)."""
    if not isinstance(offer, ThresholdOff):
        return offer
    repeat = offer.repeat
    if repeat is None:
        chosen = reading.get(f"{offer.id}.repeat", False)
        repeat = bool(chosen) and len(offer.tiers) == 1 and offer.tiers[0].threshold > 0
    basis = offer.basis
    if basis is None:
        basis = "current" if reading.get(f"{offer.id}.basis", "list") == "current" else "list"
    if repeat == offer.repeat and basis == offer.basis:
        return offer
    return replace(offer, repeat=repeat, basis=basis)


def fen_text(fen: int) -> str:
    """Fen as the format writes amounts: ``"338.00"``."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def yuan(fen: int) -> str:
    """Fen for people: ``¥1,338.00``."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}¥{fen // 100:,}.{fen % 100:02d}"


def reading_text(value: ReadingValue) -> str:
    """A reading value as JSON object keys spell it: ``list``/``current``/``false``/``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
