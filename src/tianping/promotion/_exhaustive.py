"""The literal, slow reference for the consumer's best combination (semantics 2).

It tries every allowed choice — every set of optional promotions and held coupons used, every way
of giving each contested line to one of its offers, in every phase — applies it with
``engine.evaluate`` and keeps the smallest key (payable, coupons giving a discount, sorted pairs).
Exponential: for tests and the benchmark on small carts only; ``search.best_choice`` must agree.
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
