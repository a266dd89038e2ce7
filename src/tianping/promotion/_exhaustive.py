"""The literal, slow reference for the consumer's best combination (semantics 2).

It tries every allowed choice — every set of optional promotions and held coupons used, every way
of giving each contested line to one of its offers, in every phase — applies it with
``engine.evaluate`` and keeps the smallest key (payable, coupons giving a discount, sorted pairs).
Exponential: for tests and the benchmark on small carts only; ``search.best_choice`` must agree.

``literal_item_amount`` prices a line unit by unit, straight from each item type's wording; the
closed form ``model.item_amount`` (used by the engine and the search) is tested against it.
"""

from __future__ import annotations

from tianping.promotion.engine import (
    Assignment,
    Carries,
    Outcome,
    Problem,
    apply_phase,
    evaluate,
    literal_assignments,
)
from tianping.promotion.model import (
    AmountOff,
    CartItem,
    FixedPrice,
    ItemOffer,
    NthItemPercent,
    PercentOff,
    round_half_up_div,
)


def exhaustive_best(problem: Problem) -> Outcome:
    best: list[Outcome] = []

    def visit(index: int, amounts: tuple[int, ...], carries: Carries, choice: tuple[Assignment, ...]) -> None:
        if index == len(problem.phases):
            outcome = evaluate(problem, choice)
            if not best or outcome.key < best[0].key:
                best[:] = [outcome]
            return
        phase = problem.phases[index]
        for assignment in literal_assignments(phase, carries, len(problem.items)):
            new_amounts, new_carries, _ = apply_phase(problem, phase, amounts, carries, assignment)
            visit(index + 1, new_amounts, new_carries, (*choice, assignment))

    visit(0, problem.list_amounts, problem.start_carries, ())
    return best[0]


def count_choices(problem: Problem) -> int:
    """How many (not necessarily distinct) choices ``exhaustive_best`` evaluates."""
    total = 0

    def visit(index: int, amounts: tuple[int, ...], carries: Carries) -> None:
        nonlocal total
        if index == len(problem.phases):
            total += 1
            return
        phase = problem.phases[index]
        for assignment in literal_assignments(phase, carries, len(problem.items)):
            new_amounts, new_carries, _ = apply_phase(problem, phase, amounts, carries, assignment)
            visit(index + 1, new_amounts, new_carries)

    visit(0, problem.list_amounts, problem.start_carries)
    return total


def literal_item_amount(offer: ItemOffer, item: CartItem) -> int:
    """A line's amount after an item offer, pricing its units one by one (1st, 2nd, … unit)."""
    total = 0
    taken = 0  # units priced by the offer so far
    for unit in range(1, item.qty + 1):
        price = item.price
        if isinstance(offer, PercentOff):
            offered = round_half_up_div(price * offer.rate.numerator, offer.rate.denominator)
        elif isinstance(offer, AmountOff):
            offered = max(0, price - offer.discount)
        elif isinstance(offer, FixedPrice):
            offered = min(price, offer.price) if offer.limit is None or unit <= offer.limit else price
        elif isinstance(offer, NthItemPercent):
            offered = price
            if unit % offer.nth == 0:
                offered = round_half_up_div(price * offer.rate.numerator, offer.rate.denominator)
        else:  # presale: deposit now, the balance after the deposit's value later
            offered = offer.deposit + max(0, price - offer.deposit_value)
        within_limit = offer.limit_per_user is None or taken < offer.limit_per_user
        if offered != price and within_limit:
            total += offered
            taken += 1
        else:
            total += price
    return total
