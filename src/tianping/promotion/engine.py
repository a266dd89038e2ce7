"""The semantics of format 1, literally: layers, phases, offers taking lines, discounts, apportionment.

A *problem* is one cart under one reading of the rules, compiled into *phases*: for each declared
layer, its promotions, then the held coupons of that layer (semantics 1). Only offers that match at
least one line are kept. A *choice* says, phase by phase, which offer each line is given to (or none);
``evaluate`` applies a choice exactly as the spec says and returns the outcome. Which choice is the
consumer's best is decided by ``search`` (fast, exact) and ``_exhaustive`` (literal reference).

An offer *applies* when it gives a discount greater than zero: a threshold offer whose threshold is
reached (on its basis) and whose lines have a current amount left; an item offer on each line whose
price it lowers. Only applied offers make steps, count as used coupons, give (line, offer) pairs for
tie-breaking, and are *carried* by their lines for ``exclusive`` (semantics 2: "a coupon that gives no
discount counts as unused"; a line given to an offer that is not reached has received nothing).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations, product

from tianping.promotion.model import (
    Cart,
    CartItem,
    ItemOffer,
    Offer,
    OfferKind,
    Reading,
    RuleSet,
    ThresholdOff,
    Tier,
    in_effect,
    item_amount,
    priced_units,
    resolve,
)

Assignment = tuple[int | None, ...]
"""For one phase: per cart line, the index (in ``Phase.offers``) of the offer the line is given to."""
Choice = tuple[Assignment, ...]
Carries = tuple[frozenset[str], ...]
Pair = tuple[int, str]
Key = tuple[int, int, tuple[Pair, ...]]
"""(payable, coupons that give a discount, sorted (line index, offer id) pairs): smaller is better."""


@dataclass(frozen=True)
class PhaseOffer:
    offer: Offer  # with the reading's basis/repeat filled in
    lines: frozenset[int]  # cart lines matching scope and not exclude
    partners: frozenset[str]  # ids it may not share a line with
    forced: bool  # an automatic promotion: takes its lines whether the consumer likes it or not


@dataclass(frozen=True)
class Phase:
    layer: str
    kind: OfferKind
    offers: tuple[PhaseOffer, ...]

    @property
    def item(self) -> bool:
        return self.offers[0].offer.ITEM_TYPE


@dataclass(frozen=True)
class Problem:
    items: tuple[CartItem, ...]
    phases: tuple[Phase, ...]

    @property
    def list_amounts(self) -> tuple[int, ...]:
        return tuple(item.list_amount for item in self.items)

    @property
    def start_carries(self) -> Carries:
        return tuple(frozenset() for _ in self.items)


def compile_problem(rules: RuleSet, cart: Cart, reading: Reading) -> Problem:
    """The phases for one cart and reading; an offer whose ``limit_per_user`` the cart's ``used`` has
    exhausted is left out, an item offer's limit is lowered by the units already taken (``in_effect``)."""
    held = set(cart.coupons_held)
    used = cart.used_map
    phases: list[Phase] = []
    for layer in rules.layers:
        for kind, pool in (("promotion", rules.promotions), ("coupon", rules.coupons)):
            offers: list[PhaseOffer] = []
            for rule_offer in pool:
                if rule_offer.layer != layer or (kind == "coupon" and rule_offer.id not in held):
                    continue
                offer = in_effect(rule_offer, used)
                if offer is None:
                    continue
                lines = frozenset(i for i, item in enumerate(cart.items) if offer.applies_to(item))
                if lines:
                    offers.append(
                        PhaseOffer(
                            offer=resolve(offer, reading),
                            lines=lines,
                            partners=rules.partners(offer.id),
                            forced=kind == "promotion" and offer.automatic,
                        )
                    )
            if offers:
                phases.append(Phase(layer=layer, kind=kind, offers=tuple(offers)))  # type: ignore[arg-type]
    return Problem(items=cart.items, phases=tuple(phases))


def apportion(discount: int, amounts: Sequence[int]) -> list[int]:
    """Split ``discount`` pro rata to ``amounts`` in whole fen (largest remainder; ties to the earlier)."""
    total = sum(amounts)
    if discount == 0 or total == 0:
        return [0] * len(amounts)
    shares = [discount * a // total for a in amounts]
    remainders = [discount * a % total for a in amounts]
    left = discount - sum(shares)
    for i in sorted(range(len(amounts)), key=lambda i: (-remainders[i], i))[:left]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class StepLine:
    index: int
    share: int
    before: int  # the line's amount before this step
    units: int = 0  # item steps: units whose unit price changed


@dataclass(frozen=True)
class Step:
    offer: Offer
    discount: int
    lines: tuple[StepLine, ...]
    base: int = 0  # threshold steps: the measured base
    tier: Tier | None = None  # threshold steps without repeat: the tier reached
    times: int = 0  # repeat steps: how many whole thresholds the base holds
    capped: bool = False  # repeat steps: limited by `cap`
    limited: bool = False  # cut to the lines' current amounts

    @property
    def pairs(self) -> list[Pair]:
        return [(line.index, self.offer.id) for line in self.lines]


def eligible(offer: PhaseOffer, line: int, carries: Carries) -> bool:
    """Whether ``line`` can be among the offer's lines: it matches and carries no exclusive partner."""
    return line in offer.lines and not (offer.partners & carries[line])


def apply_item_offer(offer: ItemOffer, items: Sequence[CartItem], lines: Sequence[int]) -> Step | None:
    step_lines = []
    for index in lines:
        item = items[index]
        reduction = item.list_amount - item_amount(offer, item)
        if reduction > 0:
            units = priced_units(offer, item.qty)
            step_lines.append(StepLine(index=index, share=reduction, before=item.list_amount, units=units))
    if not step_lines:
        return None
    return Step(offer=offer, discount=sum(s.share for s in step_lines), lines=tuple(step_lines))


def apply_threshold_offer(
    offer: ThresholdOff, items: Sequence[CartItem], amounts: Sequence[int], lines: Sequence[int]
) -> Step | None:
    if offer.basis == "list":
        base = sum(items[i].list_amount for i in lines)
    else:
        base = sum(amounts[i] for i in lines)
    raw = offer.raw_discount(base)
    current = [amounts[i] for i in lines]
    discount = min(raw, sum(current))
    if discount <= 0:
        return None
    shares = apportion(discount, current)
    times = 0
    capped = False
    tier = None
    if offer.repeat:
        times = base // offer.tiers[0].threshold
        capped = offer.cap is not None and times * offer.tiers[0].discount > offer.cap
    else:
        tier = offer.reached_tier(base)
    return Step(
        offer=offer,
        discount=discount,
        lines=tuple(
            StepLine(index=i, share=s, before=a) for i, s, a in zip(lines, shares, current, strict=True)
        ),
        base=base,
        tier=tier,
        times=times,
        capped=capped,
        limited=discount < raw,
    )


def apply_phase(
    problem: Problem, phase: Phase, amounts: Sequence[int], carries: Carries, assignment: Assignment
) -> tuple[tuple[int, ...], Carries, list[Step]]:
    """Apply one phase's assignment; return the new amounts and carries and the steps (offer order)."""
    new_amounts = list(amounts)
    new_carries = list(carries)
    steps: list[Step] = []
    for k, phase_offer in enumerate(phase.offers):
        lines = [i for i, a in enumerate(assignment) if a == k]
        if not lines:
            continue
        offer = phase_offer.offer
        step = (
            apply_threshold_offer(offer, problem.items, amounts, lines)
            if isinstance(offer, ThresholdOff)
            else apply_item_offer(offer, problem.items, lines)
        )
        if step is None:
            continue
        steps.append(step)
        for line in step.lines:
            new_amounts[line.index] -= line.share
            new_carries[line.index] = new_carries[line.index] | {offer.id}
    return tuple(new_amounts), tuple(new_carries), steps


def assignment_is_valid(phase: Phase, carries: Carries, assignment: Assignment) -> bool:
    """Semantics 2: automatic promotions and used offers take every eligible line not given to a rival."""
    active = {k for k, o in enumerate(phase.offers) if o.forced} | {a for a in assignment if a is not None}
    for line, given in enumerate(assignment):
        options = {k for k in active if eligible(phase.offers[k], line, carries)}
        if given is None:
            if options:
                return False
        elif not eligible(phase.offers[given], line, carries):
            return False
    return True


def literal_assignments(phase: Phase, carries: Carries, n_lines: int) -> Iterator[Assignment]:
    """Every allowed assignment of one phase, straight from the spec's wording (with repetitions).

    For each set of optional offers used (optional promotions; held coupons), every line that matches
    an offer in effect goes to any one of them.
    """
    forced = [k for k, o in enumerate(phase.offers) if o.forced]
    optional = [k for k, o in enumerate(phase.offers) if not o.forced]
    for size in range(len(optional) + 1):
        for used in combinations(optional, size):
            active = sorted([*forced, *used])
            options: list[list[int | None]] = []
            for line in range(n_lines):
                ks: list[int | None] = [k for k in active if eligible(phase.offers[k], line, carries)]
                options.append(ks or [None])
            yield from product(*options)


@dataclass(frozen=True)
class Outcome:
    list_amounts: tuple[int, ...]
    amounts: tuple[int, ...]  # each line's final amount (what a partial refund uses)
    steps: tuple[Step, ...]
    choice: Choice

    @property
    def payable(self) -> int:
        return sum(self.amounts)

    @property
    def list_total(self) -> int:
        return sum(self.list_amounts)

    @property
    def coupons_used(self) -> int:
        return sum(1 for s in self.steps if s.offer.kind == "coupon")

    @property
    def pairs(self) -> tuple[Pair, ...]:
        return tuple(sorted(p for s in self.steps for p in s.pairs))

    @property
    def key(self) -> Key:
        return (self.payable, self.coupons_used, self.pairs)


def evaluate(problem: Problem, choice: Choice) -> Outcome:
    """Apply a whole choice; ``ValueError`` if it breaks semantics 2 (a test and search safeguard)."""
    if len(choice) != len(problem.phases):
        raise ValueError("one assignment per phase")
    amounts = problem.list_amounts
    carries = problem.start_carries
    steps: list[Step] = []
    for phase, assignment in zip(problem.phases, choice, strict=True):
        if len(assignment) != len(problem.items) or not assignment_is_valid(phase, carries, assignment):
            raise ValueError(f"assignment {assignment} is not allowed in phase {phase.layer}/{phase.kind}")
        amounts, carries, phase_steps = apply_phase(problem, phase, amounts, carries, assignment)
        steps += phase_steps
    return Outcome(list_amounts=problem.list_amounts, amounts=amounts, steps=tuple(steps), choice=choice)
