"""The consumer's best combination, exactly and fast (semantics 2).

A choice is made phase by phase (a layer's promotions, then its held coupons); within a phase, line
by line in ascending index, trying offers in ascending id order. The key to minimise is (payable,
coupons giving a discount, sorted (line index, offer id) pairs). Two stages:

1. **Value.** ``best(i, state)`` is the best *value* phases ``i``.. can still add to a state (the
   current amounts of the lines later phases can touch and the exclusive partners those lines carry).
   Value = discount × M − coupons giving a discount (M exceeds the number of coupons), so larger is
   better by discount, then by fewer coupons. Depth-first branch and bound, memoised on (phase,
   state), with alpha pruning: a branch is cut as soon as an upper bound of what it can add cannot
   beat the best known. The bound, per offer: the best tier its assigned and still-assignable lines
   could reach, never more than their current amounts, minus one for a coupon (it counts as used
   whenever it gives anything); per phase: never more than the current amounts of its lines; later
   phases: the same from today's amounts and carries (amounts only fall, carries only grow), lowered
   by what the current phase takes from a line in every choice (``_future_after_cuts``).
2. **Pairs.** Among choices reaching the optimum, the smallest sorted pair list, fixed line by line
   ("prefix fixing"). Write A ≺ B when the smallest pair in exactly one of A, B is in A; ≺ is
   compatible with unions of disjoint sets, so it can be settled greedily: for line 0, 1, … and
   each pair the line could get, in id order, the pair is kept if some optimal choice agreeing with
   everything fixed so far contains it — the current witness does, or a pinned search finds a new
   witness — and left out if none does (a static bound under those pins often shows this at once).
   The result A* is the ≺-smallest optimal pair set. The spec's order (Python list order) differs
   from ≺ only when one set is a proper prefix of the other; the true minimum is then the shortest
   prefix of A* that is itself an optimal outcome (``_shortest_prefix``), usually A* itself.

Both stages are exact; their work is exponential in the worst case (many contested lines whose
offers sit near their thresholds). A quote that needs more than ``NODE_LIMIT`` steps is refused with
``QuoteTooComplex`` rather than answered approximately.

``tianping.promotion._exhaustive`` is the literal reference this must agree with (property-tested).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tianping.promotion.engine import (
    Carries,
    Choice,
    Outcome,
    Pair,
    Problem,
    apply_item_offer,
    apply_threshold_offer,
    eligible,
    evaluate,
)
from tianping.promotion.errors import QuoteTooComplex
from tianping.promotion.model import ThresholdOff, item_amount

NODE_LIMIT = 150_000
_NEG = -(10**40)
_POS = 10**40
_APPLY_WORK = 4  # applying a whole phase (and looking up what follows) counts as this many nodes

Pins = Mapping[tuple[int, int], int | None]
"""(phase, line) → offer index the line must get (and that offer must apply), or None: no pair there."""


@dataclass
class _Phase:
    """A phase prepared for one state: which lines it may give to which offers."""

    lines: list[int]  # lines with at least one eligible offer, ascending
    options: list[list[int]]  # per position: eligible offer indices, by offer id
    must: list[bool]  # per position: pinned to an offer (may not stay without one)
    absent: list[bool]  # per position: pinned to have no pair in this phase
    forced: list[bool]  # per offer: an automatic promotion
    coupon: int  # 1 in a coupon phase
    threshold: list[ThresholdOff | None]  # per offer (None for item offers)
    value: list[list[int]]  # per offer, per position: the line's basis value (0 if not eligible)
    current: list[int]  # per position: the line's current amount
    reduction: list[list[int]]  # item phases: per offer, per position
    suffix_value: list[list[int]]  # per offer: sum of value over positions k.. where eligible
    suffix_current: list[list[int]]  # per offer: sum of current amounts over positions k.. where eligible
    suffix_best_reduction: list[int]  # item phases: sum over positions k.. of the best reduction
    suffix_phase_current: list[int]
    ids: list[str]


class _Stop(Exception):
    """A pinned search found its witness."""


class _Search:
    def __init__(self, problem: Problem, node_limit: int = NODE_LIMIT) -> None:
        self.problem = problem
        self.items = problem.items
        self.list_amounts = problem.list_amounts
        self.phases = problem.phases
        self.n_phases = len(problem.phases)
        self.node_limit = node_limit
        self.nodes = 0
        self.m = 1 + sum(len(p.offers) for p in problem.phases if p.kind == "coupon")
        self.memo: dict[tuple[object, ...], tuple[int, bool]] = {}
        self._offer_lines = [[sorted(o.lines) for o in p.offers] for p in problem.phases]
        self._sure_lines: dict[tuple[object, ...], dict[int, int]] = {}
        # Lines and carried ids that matter from phase i on (the memo key keeps only those).
        self.relevant_lines: list[tuple[int, ...]] = []
        self.relevant_ids: list[frozenset[str]] = []
        for i in range(self.n_phases + 1):
            later = [o for p in problem.phases[i:] for o in p.offers]
            self.relevant_lines.append(tuple(sorted({line for o in later for line in o.lines})))
            self.relevant_ids.append(frozenset(pid for o in later for pid in o.partners))

    # ---------------------------------------------------------------- helpers

    def _tick(self, work: int = 1) -> None:
        self.nodes += work
        if self.nodes > self.node_limit:
            raise QuoteTooComplex("组合过多，无法在计算上限内求出最优解：请减少购物车行数或相互竞争的优惠")

    def _state_key(self, i: int, amounts: Sequence[int], carries: Carries) -> tuple[object, ...]:
        ids = self.relevant_ids[i]
        carried = tuple(carries[line] & ids for line in self.relevant_lines[i]) if ids else ()
        return (i, tuple(amounts[line] for line in self.relevant_lines[i]), carried)

    def _prepare(self, i: int, amounts: Sequence[int], carries: Carries, pins: Pins) -> _Phase | None:
        """The phase for this state; None when a pin cannot be met."""
        phase = self.phases[i]
        offers = phase.offers
        n_offers = len(offers)
        order = sorted(range(n_offers), key=lambda k: offers[k].offer.id)
        lines: list[int] = []
        options: list[list[int]] = []
        must: list[bool] = []
        absent: list[bool] = []
        for line in range(len(self.items)):
            opts = [k for k in order if eligible(offers[k], line, carries)]
            pin = pins.get((i, line), -1)
            if pin is not None and pin >= 0:
                if pin not in opts:
                    return None
                opts = [pin]
            if opts:
                lines.append(line)
                options.append(opts)
                must.append(pin is not None and pin >= 0)
                absent.append(pin is None)
        n = len(lines)
        threshold = [o.offer if isinstance(o.offer, ThresholdOff) else None for o in offers]
        value = [[0] * n for _ in range(n_offers)]
        reduction = [[0] * n for _ in range(n_offers)]
        current = [amounts[line] for line in lines]
        for pos, (line, opts) in enumerate(zip(lines, options, strict=True)):
            for k in opts:
                offer = threshold[k]
                if offer is not None:
                    value[k][pos] = self.list_amounts[line] if offer.basis == "list" else amounts[line]
                else:
                    item_offer = offers[k].offer
                    assert not isinstance(item_offer, ThresholdOff)
                    reduction[k][pos] = max(0, amounts[line] - item_amount(item_offer, self.items[line]))
        suffix_value = [[0] * (n + 1) for _ in range(n_offers)]
        suffix_current = [[0] * (n + 1) for _ in range(n_offers)]
        suffix_best_reduction = [0] * (n + 1)
        suffix_phase_current = [0] * (n + 1)
        for pos in range(n - 1, -1, -1):
            # A line pinned to have no pair adds to no applied offer: leave it out of the bounds.
            counted = not absent[pos]
            for k in range(n_offers):
                here = counted and k in options[pos]
                suffix_value[k][pos] = suffix_value[k][pos + 1] + (value[k][pos] if here else 0)
                suffix_current[k][pos] = suffix_current[k][pos + 1] + (current[pos] if here else 0)
            best_red = max((reduction[k][pos] for k in options[pos]), default=0) if counted else 0
            suffix_best_reduction[pos] = suffix_best_reduction[pos + 1] + best_red
            suffix_phase_current[pos] = suffix_phase_current[pos + 1] + (current[pos] if counted else 0)
        return _Phase(
            lines=lines,
            options=options,
            must=must,
            absent=absent,
            forced=[o.forced for o in offers],
            coupon=1 if phase.kind == "coupon" else 0,
            threshold=threshold,
            value=value,
            current=current,
            reduction=reduction,
            suffix_value=suffix_value,
            suffix_current=suffix_current,
            suffix_best_reduction=suffix_best_reduction,
            suffix_phase_current=suffix_phase_current,
            ids=[o.offer.id for o in offers],
        )

    def _static_bound(self, i: int, amounts: Sequence[int], carries: Carries, pins: Pins) -> int:
        """An upper bound of the value phases i.. can still add (_NEG when a pin cannot be met)."""
        return self._static_bounds(i, amounts, carries, pins)[0]

    def _static_bounds(self, i: int, amounts: Sequence[int], carries: Carries, pins: Pins) -> tuple[int, int]:
        """Upper bounds of the value phases i.. and phases i+1.. can still add (_NEG: a pin cannot be met).

        Per offer: the best discount its eligible lines could reach (× M, minus 1 for a coupon); item
        phases: per line, the best reduction; per phase: at most M × the current amounts of its lines.
        A line pinned to an offer counts for that offer only; a line pinned absent for none.
        """
        m = self.m
        total = 0
        first = 0
        list_amounts = self.list_amounts
        for j in range(i, self.n_phases):
            phase = self.phases[j]
            coupon = 1 if phase.kind == "coupon" else 0
            phase_lines: set[int] = set()
            raw = 0
            best_reduction: dict[int, int] = {}
            for k, o in enumerate(phase.offers):
                if pins:
                    lines = []
                    for line in self._offer_lines[j][k]:
                        pin = pins.get((j, line), -1)
                        if pin == k and o.partners & carries[line]:
                            return _NEG, _NEG
                        if pin in (-1, k) and not (o.partners & carries[line]):
                            lines.append(line)
                elif o.partners:
                    lines = [line for line in self._offer_lines[j][k] if not (o.partners & carries[line])]
                else:
                    lines = self._offer_lines[j][k]
                if not lines:
                    continue
                phase_lines.update(lines)
                offer = o.offer
                if isinstance(offer, ThresholdOff):
                    cur = 0
                    for line in lines:
                        cur += amounts[line]
                    if offer.basis == "list":
                        base = 0
                        for line in lines:
                            base += list_amounts[line]
                    else:
                        base = cur
                    gain = min(offer.max_discount_up_to(base), cur)
                    if gain > 0:
                        raw += gain * m - coupon
                else:
                    for line in lines:
                        red = amounts[line] - item_amount(offer, self.items[line])
                        if red > best_reduction.get(line, 0):
                            best_reduction[line] = red
            raw += m * sum(best_reduction.values())
            part = min(raw, m * sum(amounts[line] for line in phase_lines))
            total += part
            if j == i:
                first = part

        def capped(value: int, j: int) -> int:
            return min(value, m * sum(amounts[line] for line in self.relevant_lines[j]))

        return capped(total, i), capped(total - first, min(i + 1, self.n_phases))

    def _future_after_cuts(self, i: int, amounts: Sequence[int], carries: Carries, pins: Pins) -> int:
        """The static bound of phases i+1.. from amounts lowered by what phase i takes in *every* choice.

        A line whose only eligible offer in phase i is an automatic promotion goes to it whatever
        happens. An item offer then lowers it exactly; a threshold offer that reaches a tier on such
        lines alone surely applies with at least that tier's (least later) discount D, limited by
        their current amounts, and the line's share is at least floor(D × amount / A), A being the
        current amounts of all lines that offer could take.
        """
        if i + 1 >= self.n_phases:
            return 0
        phase = self.phases[i]
        ids = self.relevant_ids[i]
        cache_key = (i, tuple(c & ids for c in carries) if ids else ())
        only = self._sure_lines.get(cache_key)
        if only is None:
            only = {}
            for line in range(len(self.items)):
                options = [k for k, o in enumerate(phase.offers) if eligible(o, line, carries)]
                if len(options) == 1 and phase.offers[options[0]].forced:
                    only[line] = options[0]
            self._sure_lines[cache_key] = only
        if not only:
            return _POS
        lowered = list(amounts)
        for k, o in enumerate(phase.offers):
            sure = [line for line, kk in only.items() if kk == k]
            if not sure:
                continue
            offer = o.offer
            if not isinstance(offer, ThresholdOff):
                for line in sure:
                    lowered[line] = min(lowered[line], item_amount(offer, self.items[line]))
                continue
            values = self.list_amounts if offer.basis == "list" else amounts
            floor_discount = min(
                offer.min_discount_from(sum(values[line] for line in sure)), sum(amounts[x] for x in sure)
            )
            if floor_discount <= 0:
                continue
            reach = sum(amounts[line] for line in o.lines if eligible(o, line, carries))
            for line in sure:
                lowered[line] -= floor_discount * amounts[line] // reach
        return self._static_bound(i + 1, lowered, carries, pins)

    def _apply(
        self, i: int, ph: _Phase, assignment: Sequence[int], amounts: Sequence[int], carries: Carries
    ) -> tuple[int, tuple[int, ...], Carries, list[Pair]]:
        """Apply a complete phase assignment (per position); return value, amounts, carries, pairs."""
        self._tick(_APPLY_WORK)
        new_amounts = list(amounts)
        new_carries = list(carries)
        keep_ids = self.relevant_ids[i + 1]
        discount = 0
        coupons = 0
        pairs: list[Pair] = []
        for k in range(len(ph.ids)):
            positions = [pos for pos, a in enumerate(assignment) if a == k]
            if not positions:
                continue
            offer_id = ph.ids[k]
            offer = ph.threshold[k]
            if offer is None:
                touched = [pos for pos in positions if ph.reduction[k][pos] > 0]
                for pos in touched:
                    new_amounts[ph.lines[pos]] -= ph.reduction[k][pos]
                    discount += ph.reduction[k][pos]
            else:
                current = [ph.current[pos] for pos in positions]
                gained = min(offer.raw_discount(sum(ph.value[k][pos] for pos in positions)), sum(current))
                if gained <= 0:
                    continue
                touched = positions
                for pos, share in zip(positions, _apportion(gained, current), strict=True):
                    new_amounts[ph.lines[pos]] -= share
                discount += gained
                coupons += ph.coupon
            for pos in touched:
                line = ph.lines[pos]
                pairs.append((line, offer_id))
                if offer_id in keep_ids:
                    new_carries[line] = new_carries[line] | {offer_id}
        return discount * self.m - coupons, tuple(new_amounts), tuple(new_carries), pairs

    # ---------------------------------------------------------------- the walk over one phase

    def _walk(
        self,
        ph: _Phase,
        future_bound: int,
        floor: Callable[[], int],
        on_complete: Callable[[list[int]], None],
        pinned: bool = False,
    ) -> None:
        """Every allowed assignment of the phase whose bound beats ``floor()``, smallest ids first.

        Semantics 2 in "line by line" form: a line picks one of its eligible offers, or none when no
        automatic promotion and no offer already in use wants it; picking none rules its optional
        offers out (an offer in use takes every eligible line not given to a rival). ``on_complete``
        gets the offer index per position (-1 = none). With ``pinned``, branches are also cut as soon
        as an offer a line is pinned to can no longer apply, or a line pinned absent is certainly
        among an applying offer's lines.
        """
        n = len(ph.lines)
        n_offers = len(ph.forced)
        assigned = [-1] * n
        a_value = [0] * n_offers
        a_current = [0] * n_offers
        a_reduction = [0]
        count = [0] * n_offers
        banned = [False] * n_offers
        m = self.m
        threshold = ph.threshold
        item_phase = threshold[0] is None
        coupon = ph.coupon

        def bound(pos: int) -> int:
            if item_phase:
                return (a_reduction[0] + ph.suffix_best_reduction[pos]) * m + future_bound
            phase_bound = 0
            for k in range(n_offers):
                if banned[k]:
                    continue
                offer = threshold[k]
                assert offer is not None
                base = a_value[k] + ph.suffix_value[k][pos]
                gain = min(offer.max_discount_up_to(base), a_current[k] + ph.suffix_current[k][pos])
                if gain > 0:
                    phase_bound += gain * m - coupon
            cap = (sum(a_current) + ph.suffix_phase_current[pos]) * m
            return min(phase_bound, cap) + future_bound

        def pins_broken(pos: int) -> bool:
            if item_phase:
                for p in range(pos):
                    k = assigned[p]
                    if k >= 0 and (
                        (ph.must[p] and ph.reduction[k][p] <= 0) or (ph.absent[p] and ph.reduction[k][p] > 0)
                    ):
                        return True
                return False
            for p in range(pos):
                k = assigned[p]
                if k < 0 or not (ph.must[p] or ph.absent[p]):
                    continue
                offer = threshold[k]
                assert offer is not None
                if ph.must[p]:
                    reach = offer.max_discount_up_to(a_value[k] + ph.suffix_value[k][pos])
                    if reach <= 0 or a_current[k] + ph.suffix_current[k][pos] <= 0:
                        return True
                elif a_current[k] > 0 and offer.min_discount_from(a_value[k]) > 0:
                    return True
            return False

        def take(pos: int, k: int) -> None:
            assigned[pos] = k
            if not ph.absent[pos]:
                a_value[k] += ph.value[k][pos]
                a_current[k] += ph.current[pos]
                a_reduction[0] += ph.reduction[k][pos]
            count[k] += 1

        def give_back(pos: int, k: int) -> None:
            assigned[pos] = -1
            if not ph.absent[pos]:
                a_value[k] -= ph.value[k][pos]
                a_current[k] -= ph.current[pos]
                a_reduction[0] -= ph.reduction[k][pos]
            count[k] -= 1

        def visit(pos: int) -> None:
            # Lines with exactly one possible outcome are taken without branching (keeps recursion shallow).
            start = pos
            while pos < n:
                opts = [k for k in ph.options[pos] if ph.forced[k] or not banned[k]]
                none_ok = not ph.must[pos] and not any(ph.forced[k] or count[k] for k in ph.options[pos])
                if len(opts) == 1 and not none_ok:
                    take(pos, opts[0])
                    pos += 1
                elif not opts and none_ok:
                    pos += 1
                else:
                    break
            self._tick()
            if bound(pos) > floor() and not (pinned and pins_broken(pos)):
                if pos == n:
                    on_complete(assigned)
                else:
                    branch(pos)
            for p in range(pos - 1, start - 1, -1):
                if assigned[p] >= 0:
                    give_back(p, assigned[p])

        def branch(pos: int) -> None:
            opts = ph.options[pos]
            none_ok = not ph.must[pos] and not any(ph.forced[k] or count[k] for k in opts)
            for k in opts:
                if not ph.forced[k] and banned[k]:
                    continue
                take(pos, k)
                visit(pos + 1)
                give_back(pos, k)
            if none_ok:
                newly = [k for k in opts if not banned[k]]
                for k in newly:
                    banned[k] = True
                visit(pos + 1)
                for k in newly:
                    banned[k] = False

        visit(0)

    # ---------------------------------------------------------------- stage 1: best value

    def best(self, i: int, amounts: tuple[int, ...], carries: Carries, alpha: int) -> tuple[int, bool]:
        """The best value phases i.. can add: exact when > alpha, else an upper bound <= alpha."""
        if i == self.n_phases:
            return 0, True
        key = self._state_key(i, amounts, carries)
        entry = self.memo.get(key)
        if entry is not None and (entry[1] or entry[0] <= alpha):
            return entry
        static, future_bound = self._static_bounds(i, amounts, carries, {})
        if static <= alpha:
            self.memo[key] = (static, False)
            return static, False
        future_bound = min(future_bound, self._future_after_cuts(i, amounts, carries, {}))
        ph = self._prepare(i, amounts, carries, {})
        assert ph is not None
        best = [_NEG]

        def floor() -> int:
            return max(alpha, best[0])

        def on_complete(assigned: list[int]) -> None:
            value, new_amounts, new_carries, _ = self._apply(i, ph, assigned, amounts, carries)
            child, exact = self.best(i + 1, new_amounts, new_carries, floor() - value)
            if exact and value + child > best[0]:
                best[0] = value + child

        self._walk(ph, future_bound, floor, on_complete)
        result = (best[0], True) if best[0] > alpha else (alpha, False)
        self.memo[key] = result
        return result

    def _reaches(self, i: int, amounts: tuple[int, ...], carries: Carries, needed: int) -> bool:
        """Whether phases i.. can still add ``needed`` (never more: it is the rest of the optimum)."""
        value, exact = self.best(i, amounts, carries, needed - 1)
        return exact and value >= needed

    # ---------------------------------------------------------------- stage 2: smallest pair list

    def _find(self, target: int, pins: Pins) -> tuple[Choice, frozenset[Pair]] | None:
        """An optimal choice (value ``target``) honouring ``pins``, or None if there is none."""
        by_phase: dict[int, dict[int, int | None]] = {}
        for (j, line), k in pins.items():
            by_phase.setdefault(j, {})[line] = k
        found: list[tuple[Choice, frozenset[Pair]]] = []

        def descend(
            i: int, amounts: tuple[int, ...], carries: Carries, needed: int, pairs: list[Pair], choice: Choice
        ) -> None:
            if i == self.n_phases:
                if needed == 0:
                    found.append((choice, frozenset(pairs)))
                    raise _Stop
                return
            if not self._reaches(i, amounts, carries, needed):
                return
            static, future_bound = self._static_bounds(i, amounts, carries, pins)
            if static < needed:
                return
            future_bound = min(future_bound, self._future_after_cuts(i, amounts, carries, pins))
            ph = self._prepare(i, amounts, carries, pins)
            if ph is None:
                return
            phase_pins = by_phase.get(i, {})

            def on_complete(assigned: list[int]) -> None:
                value, new_amounts, new_carries, phase_pairs = self._apply(i, ph, assigned, amounts, carries)
                got = dict(phase_pairs)
                for line, k in phase_pins.items():
                    if got.get(line) != (None if k is None else ph.ids[k]):
                        return
                assignment: list[int | None] = [None] * len(self.items)
                for pos, a in enumerate(assigned):
                    if a >= 0:
                        assignment[ph.lines[pos]] = a
                descend(
                    i + 1, new_amounts, new_carries, needed - value, [*pairs, *phase_pairs],
                    (*choice, tuple(assignment)),
                )  # fmt: skip

            self._walk(ph, future_bound, lambda: needed - 1, on_complete, pinned=bool(phase_pins))

        try:
            descend(0, self.list_amounts, self.problem.start_carries, target, [], ())
        except _Stop:
            return found[0]
        return None

    def lexmin(self) -> Choice:
        target, exact = self.best(0, self.list_amounts, self.problem.start_carries, _NEG)
        assert exact
        witness = self._find(target, {})
        assert witness is not None
        pins: dict[tuple[int, int], int | None] = {}
        for line in range(len(self.items)):
            candidates = sorted(
                (o.offer.id, j, k)
                for j, phase in enumerate(self.phases)
                for k, o in enumerate(phase.offers)
                if line in o.lines and self._can_pair(o.offer, line)
            )
            for offer_id, j, k in candidates:
                if (j, line) in pins:
                    continue  # the line already has its (smaller) pair in this phase
                if (line, offer_id) in witness[1]:
                    pins[(j, line)] = k
                    continue
                trial = {**pins, (j, line): k}
                if self._static_bound(0, self.list_amounts, self.problem.start_carries, trial) < target:
                    continue
                better = self._find(target, trial)
                if better is not None:
                    witness = better
                    pins = trial
            for j, phase in enumerate(self.phases):
                if (j, line) not in pins and any(line in o.lines for o in phase.offers):
                    pins[(j, line)] = None
        return self._shortest_prefix(target, witness)

    def _can_pair(self, offer: object, line: int) -> bool:
        """An item offer that would not lower the line's price never gives it a pair."""
        if isinstance(offer, ThresholdOff):
            return True
        return item_amount(offer, self.items[line]) < self.list_amounts[line]  # type: ignore[arg-type]

    def _shortest_prefix(self, target: int, witness: tuple[Choice, frozenset[Pair]]) -> Choice:
        """The spec's list order prefers a proper prefix of A* over A*: take the shortest optimal one.

        A prefix B = the pairs of A* below a cut is a candidate only if the outcome its pairs describe
        (each offer applied to exactly its lines in B) is possible and as good; then a fully pinned
        search decides whether the other lines can be placed without giving them a pair.
        """
        ordered = sorted(witness[1])
        for cut in range(len(ordered)):
            prefix = ordered[:cut]
            if not self._prefix_plausible(target, prefix):
                continue
            pins: dict[tuple[int, int], int | None] = {}
            chosen = set(prefix)
            for j, phase in enumerate(self.phases):
                for k, o in enumerate(phase.offers):
                    for line in o.lines:
                        if (line, o.offer.id) in chosen:
                            pins[(j, line)] = k
                        else:
                            pins.setdefault((j, line), None)
            found = self._find(target, pins)
            if found is not None:
                return found[0]
        return witness[0]

    def _prefix_plausible(self, target: int, prefix: list[Pair]) -> bool:
        """Cheap necessary conditions for the pairs ``prefix`` to be an optimal outcome.

        First structure: an offer in effect (an automatic promotion, or any offer with pairs) takes
        every eligible line no rival could take, so such a line must have its pair. Then arithmetic:
        each offer applied to exactly its lines in the prefix must apply, and the total must match.
        """
        chosen = set(prefix)
        carries: list[frozenset[str]] = list(self.problem.start_carries)
        for phase in self.phases:
            used = {o.offer.id for o in phase.offers if any((line, o.offer.id) in chosen for line in o.lines)}
            before = tuple(carries)
            for o in phase.offers:
                if o.offer.id not in used:
                    continue
                for line in o.lines:
                    if (line, o.offer.id) in chosen or not eligible(o, line, before):
                        continue
                    if not self._can_pair(o.offer, line):
                        continue  # an item offer that leaves the price as it is gives no pair
                    if not any(r is not o and eligible(r, line, before) for r in phase.offers):
                        return False
            for line in range(len(self.items)):
                carries[line] = carries[line] | {
                    o.offer.id for o in phase.offers if (line, o.offer.id) in chosen
                }
        amounts: tuple[int, ...] = self.list_amounts
        step_carries = self.problem.start_carries
        discount = 0
        coupons = 0
        for phase in self.phases:
            new_amounts = list(amounts)
            new_carries = list(step_carries)
            for o in phase.offers:
                lines = [line for line in o.lines if (line, o.offer.id) in chosen]
                if not lines:
                    continue
                if any(not eligible(o, line, step_carries) for line in lines):
                    return False
                offer = o.offer
                if isinstance(offer, ThresholdOff):
                    step = apply_threshold_offer(offer, self.items, amounts, lines)
                else:
                    step = apply_item_offer(offer, self.items, lines)
                if step is None or len(step.lines) != len(lines):
                    return False
                discount += step.discount
                coupons += phase.kind == "coupon"
                for sl in step.lines:
                    new_amounts[sl.index] -= sl.share
                    new_carries[sl.index] = new_carries[sl.index] | {offer.id}
            amounts, step_carries = tuple(new_amounts), tuple(new_carries)
        return discount * self.m - coupons == target


def _apportion(discount: int, amounts: Sequence[int]) -> list[int]:
    total = sum(amounts)
    if total == 0:
        return [0] * len(amounts)
    shares = [discount * a // total for a in amounts]
    left = discount - sum(shares)
    if left:
        remainders = [discount * a % total for a in amounts]
        for i in sorted(range(len(amounts)), key=lambda i: (-remainders[i], i))[:left]:
            shares[i] += 1
    return shares


def best_outcome(problem: Problem, *, node_limit: int = NODE_LIMIT) -> Outcome:
    """The consumer's best combination for this problem (exact; see the module docstring)."""
    if not problem.phases:
        return evaluate(problem, ())
    search = _Search(problem, node_limit)
    try:
        choice = search.lexmin()
    except RecursionError:
        raise QuoteTooComplex("购物车中相互竞争的商品行过多，无法求出最优解") from None
    return evaluate(problem, choice)


def best_payable(problem: Problem, *, node_limit: int = NODE_LIMIT) -> int:
    """Only the lowest payable (stage 1: no tie-break needed), for checks that compare amounts."""
    total = sum(problem.list_amounts)
    if not problem.phases:
        return total
    search = _Search(problem, node_limit)
    try:
        value, exact = search.best(0, search.list_amounts, problem.start_carries, _NEG)
    except RecursionError:
        raise QuoteTooComplex("购物车中相互竞争的商品行过多，无法求出最优解") from None
    assert exact
    return total - -(-value // search.m)  # value = discount × M − coupons, 0 ≤ coupons < M


def search_nodes(problem: Problem) -> int:
    """How many search nodes ``best_outcome`` visits (for the benchmark)."""
    if not problem.phases:
        return 0
    search = _Search(problem)
    search.lexmin()
    return search.nodes
