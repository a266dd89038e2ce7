"""Properties over random rule sets and carts (hypothesis), checked against the literal reference.

* holding an extra coupon never raises the payable;
* apportioned line amounts always sum exactly to the payable (and each step's shares to its discount);
* the fast search finds exactly what the exhaustive search finds, tie-breaks included;
* every ambiguity finding's counterexample really gives different payables under the two readings.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tianping.promotion import service
from tianping.promotion._exhaustive import exhaustive_best
from tianping.promotion.engine import compile_problem
from tianping.promotion.model import Cart, RuleSet
from tianping.promotion.readings import quote_reading, readings
from tianping.promotion.search import best_outcome, best_payable

SKUS = ["A", "B", "C"]
SHOPS = ["S1", "S2"]
CATEGORIES = ["服装", "食品"]
AMOUNTS = ["0", "5", "10", "20", "30", "50", "80", "100", "150", "200", "300"]
PRICES = ["9.99", "20", "33.33", "50", "99", "100", "150", "260"]

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def scopes(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["all", "all", "skus", "shops", "categories", "mixed"]))
    if kind == "all":
        return {"all": True}
    if kind == "skus":
        return {"skus": draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=2, unique=True))}
    if kind == "shops":
        return {"shops": [draw(st.sampled_from(SHOPS))]}
    if kind == "categories":
        return {"categories": [draw(st.sampled_from(CATEGORIES))]}
    return {"shops": [draw(st.sampled_from(SHOPS))], "categories": [draw(st.sampled_from(CATEGORIES))]}


@st.composite
def threshold_offer(
    draw: st.DrawFn, ident: str, layer: str, *, coupon: bool, ambiguous: bool
) -> dict[str, Any]:
    repeat = draw(st.booleans()) if not coupon or draw(st.booleans()) else False
    n_tiers = 1 if coupon or repeat else draw(st.integers(1, 2))
    thresholds = sorted(
        draw(st.lists(st.sampled_from(AMOUNTS[1:]), min_size=n_tiers, max_size=n_tiers, unique=True))
    )
    if not repeat and draw(st.integers(0, 4)) == 0:
        thresholds[0] = "0"
    offer: dict[str, Any] = {
        "id": ident,
        "layer": layer,
        "type": "threshold_off",
        "scope": draw(scopes()),
        "tiers": [{"threshold": t, "discount": draw(st.sampled_from(AMOUNTS[1:8]))} for t in thresholds],
        "repeat": repeat,
        "basis": draw(st.sampled_from(["list", "current"])),
    }
    if repeat and draw(st.booleans()):
        offer["cap"] = draw(st.sampled_from(["10", "30", "60"]))
    if draw(st.integers(0, 5)) == 0:
        offer["exclude"] = {"skus": [draw(st.sampled_from(SKUS))]}
    if not coupon and draw(st.integers(0, 3)) == 0:
        offer["automatic"] = False
    if draw(st.integers(0, 5)) == 0:
        offer["limit_per_user"] = draw(st.integers(1, 2))
    if ambiguous:
        if draw(st.booleans()):
            del offer["basis"]
        if len(offer["tiers"]) == 1 and "cap" not in offer and draw(st.booleans()):
            del offer["repeat"]
    return offer


@st.composite
def item_offer(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["percent_off", "amount_off", "fixed_price", "nth_item_percent", "presale"]))
    offer: dict[str, Any] = {"id": ident, "layer": "item", "type": kind, "scope": draw(scopes())}
    if kind == "percent_off":
        offer["rate"] = draw(st.sampled_from(["0.5", "0.8", "0.95", "0.333"]))
    elif kind == "amount_off":
        offer["discount"] = draw(st.sampled_from(["1", "10", "30"]))
    elif kind == "fixed_price":
        offer["price"] = draw(st.sampled_from(["9.9", "49", "99"]))
        if draw(st.booleans()):
            offer["limit"] = 1
    elif kind == "nth_item_percent":
        offer["nth"] = 2
        offer["rate"] = draw(st.sampled_from(["0", "0.5", "0.333", "1"]))
    else:
        offer["deposit"] = draw(st.sampled_from(["5", "20", "50"]))
        offer["deposit_value"] = draw(st.sampled_from(["50", "100"]))
    if draw(st.integers(0, 3)) == 0:
        offer["automatic"] = False
    if draw(st.integers(0, 3)) == 0:
        offer["limit_per_user"] = 1
    return offer


@st.composite
def documents(draw: st.DrawFn, *, ambiguous: bool = False, min_coupons: int = 0) -> dict[str, Any]:
    promotions: list[dict[str, Any]] = []
    coupons: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 2))):
        promotions.append(draw(item_offer(f"I{len(promotions) + 1}")))
    for layer in ("shop", "platform"):
        for _ in range(draw(st.integers(0, 2))):
            offer = draw(threshold_offer(f"P{len(promotions) + 1}", layer, coupon=False, ambiguous=ambiguous))
            promotions.append(offer)
    for _ in range(draw(st.integers(min_coupons, 2))):
        layer = draw(st.sampled_from(["shop", "platform"]))
        coupons.append(draw(threshold_offer(f"Q{len(coupons) + 1}", layer, coupon=True, ambiguous=ambiguous)))
    ids = [o["id"] for o in promotions + coupons]
    document: dict[str, Any] = {
        "format": "tianping-promotions/1",
        "promotions": promotions,
        "coupons": coupons,
    }
    if len(ids) >= 2 and draw(st.booleans()):
        document["exclusive"] = [draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))]
    return document


@st.composite
def carts(draw: st.DrawFn, document: dict[str, Any], *, max_lines: int = 3) -> dict[str, Any]:
    items = [
        {
            "sku": draw(st.sampled_from(SKUS)),
            "shop": draw(st.sampled_from(SHOPS)),
            "category": draw(st.sampled_from(CATEGORIES)),
            "price": draw(st.sampled_from(PRICES)),
            "qty": draw(st.integers(1, 3)),
        }
        for _ in range(draw(st.integers(1, max_lines)))
    ]
    coupon_ids = [c["id"] for c in document["coupons"]]
    held = [c for c in coupon_ids if draw(st.booleans())]
    limited = [o["id"] for o in document["promotions"] + document["coupons"] if "limit_per_user" in o]
    used = {i: draw(st.integers(0, 2)) for i in limited if draw(st.booleans())}
    return {"items": items, "coupons_held": held, "used": used}


def _all_readings(rules: RuleSet) -> list[dict[str, str | bool]]:
    return list(readings(rules.ambiguous_fields))


@st.composite
def scenarios(draw: st.DrawFn, *, ambiguous: bool = False) -> tuple[RuleSet, Cart]:
    document = draw(documents(ambiguous=ambiguous))
    return service.load_rules(document), service.load_cart(draw(carts(document)))


@PROPERTY
@given(data=st.data())
def test_holding_an_extra_coupon_never_raises_the_payable(data: st.DataObject) -> None:
    document = data.draw(documents(min_coupons=1))
    rules = service.load_rules(document)
    basket = data.draw(carts(document, max_lines=4))
    extra = data.draw(st.sampled_from([c.id for c in rules.coupons]))
    without = service.load_cart({**basket, "coupons_held": [c for c in basket["coupons_held"] if c != extra]})
    with_it = service.load_cart({**basket, "coupons_held": [*without.coupons_held, extra]})
    for reading in _all_readings(rules):
        assert (
            quote_reading(rules, with_it, reading).payable <= quote_reading(rules, without, reading).payable
        )


@PROPERTY
@given(scenario=scenarios(ambiguous=True))
def test_line_amounts_sum_exactly_to_the_payable(scenario: tuple[RuleSet, Cart]) -> None:
    rules, basket = scenario
    result = service.quote(rules, basket)
    for reading_result in result.results:
        outcome = reading_result.outcome
        assert sum(outcome.amounts) == outcome.payable
        assert all(amount >= 0 for amount in outcome.amounts)
        for step in outcome.steps:
            assert step.discount > 0
            assert sum(line.share for line in step.lines) == step.discount
        for i, item in enumerate(basket.items):
            shares = sum(line.share for step in outcome.steps for line in step.lines if line.index == i)
            assert item.list_amount - shares == outcome.amounts[i]
    json_result = result.to_json()
    if not result.ambiguous:
        assert sum(int(row["amount"].replace(".", "")) for row in json_result["lines"]) == result.payable


@pytest.mark.slow
@PROPERTY
@given(scenario=scenarios(ambiguous=True))
def test_the_fast_search_equals_the_exhaustive_search(scenario: tuple[RuleSet, Cart]) -> None:
    rules, basket = scenario
    for reading in _all_readings(rules):
        problem = compile_problem(rules, basket, reading)
        fast = best_outcome(problem)
        slow = exhaustive_best(problem)
        assert best_payable(problem) == slow.payable
        assert fast.key == slow.key
        assert fast.steps == slow.steps
        assert fast.amounts == slow.amounts


@pytest.mark.slow
@PROPERTY
@given(document=documents(ambiguous=True))
def test_every_ambiguity_counterexample_is_genuine(document: dict[str, Any]) -> None:
    rules = service.load_rules(document)
    report = service.lint(rules)
    for finding in report.findings:
        if not finding.code.startswith("ambiguous_"):
            continue
        assert (
            finding.counterexample is not None and finding.readings is not None and finding.field is not None
        )
        basket = service.load_cart(finding.counterexample.to_json())
        field = next(f for f in rules.ambiguous_fields if f.name == finding.field)
        payables = [
            exhaustive_best(compile_problem(rules, basket, {field.name: value})).payable
            for value in field.readings
        ]
        assert payables[0] != payables[1]
        assert [p for _, p in finding.readings] == payables


@pytest.mark.parametrize("seed", range(3))
def test_the_exhaustive_reference_really_enumerates(seed: int) -> None:
    """A guard for the guard: the reference visits every allowed choice (here 2 coupons × 2 lines)."""
    from tianping.promotion._exhaustive import count_choices

    rules = service.load_rules(
        {
            "format": "tianping-promotions/1",
            "coupons": [
                {"id": f"Q{i}", "layer": "platform", "type": "threshold_off", "scope": {"all": True},
                 "tiers": [{"threshold": "1", "discount": "1"}], "repeat": False, "basis": "list"}
                for i in range(2)
            ],
        }
    )  # fmt: skip
    basket = service.load_cart(
        {
            "items": [{"sku": "A", "shop": "S", "price": str(10 + seed), "qty": 1}] * 2,
            "coupons_held": ["Q0", "Q1"],
        }
    )
    # no coupon: 1; one coupon (2 ways): each takes both lines; both: 2 × 2 line assignments
    assert count_choices(compile_problem(rules, basket, {})) == 1 + 2 + 4


@PROPERTY
@given(data=st.data())
def test_item_amounts_equal_pricing_unit_by_unit(data: st.DataObject) -> None:
    from tianping.promotion._exhaustive import literal_item_amount
    from tianping.promotion.model import CartItem, item_amount

    offer = service.load_rules(
        {"format": "tianping-promotions/1", "promotions": [data.draw(item_offer("I1"))]}
    ).promotions[0]
    item = CartItem(
        sku="A",
        shop="S1",
        category=None,
        price=data.draw(st.integers(0, 30_000)),
        qty=data.draw(st.integers(1, 9)),
    )
    assert item_amount(offer, item) == literal_item_amount(offer, item)  # type: ignore[arg-type]
