"""Lint: ambiguity findings with checked counterexamples, fields without effect, other defects."""

from __future__ import annotations

from typing import Any

from tests.promotion.support import ALL, cart, item_offer, line, rules, th
from tianping.promotion import service
from tianping.promotion.readings import quote_reading


def _findings(rule_set: Any) -> list[dict[str, Any]]:
    return service.lint(rule_set).to_json()["findings"]


def _by_code(findings: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["code"] == code]


def test_an_omitted_basis_after_an_item_discount_is_ambiguous_with_a_counterexample() -> None:
    loaded = rules(
        [item_offer("I", "percent_off", {"skus": ["A1"]}, rate="0.8"), th("P1", [("300", "40")], basis=None)]
    )
    (finding,) = _by_code(_findings(loaded), "ambiguous_basis")
    assert (finding["ids"], finding["field"]) == (["P1"], "P1.basis")
    counterexample = service.load_cart(finding["counterexample"])
    assert counterexample.items[0].sku == "A1"
    # the reported payables are what quoting under each reading gives, and they differ
    payables = {
        key: quote_reading(loaded, counterexample, {"P1.basis": key}).payable for key in ("list", "current")
    }
    assert finding["readings"] == {k: f"{v // 100}.{v % 100:02d}" for k, v in payables.items()}
    assert payables["list"] != payables["current"]
    assert "第二十条第一款第三项" in finding["message_zh"]
    # e.g. one A1 at ¥300.00: 标价 300 ≥ 300 → 240 − 40 = 200; current 240 < 300 → 240
    assert finding["counterexample"]["items"][0]["price"] == "300.00"
    assert finding["readings"] == {"list": "200.00", "current": "240.00"}


def test_an_omitted_basis_after_an_earlier_layer_threshold_is_ambiguous() -> None:
    loaded = rules(
        [
            th("S", [("100", "20")], scope={"shops": ["S1"]}),
            th("X", [("200", "30")], layer="cross_store", basis=None),
        ]
    )
    (finding,) = _by_code(_findings(loaded), "ambiguous_basis")
    basket = service.load_cart(finding["counterexample"])
    first = quote_reading(loaded, basket, {"X.basis": "list"}).payable
    second = quote_reading(loaded, basket, {"X.basis": "current"}).payable
    assert first != second and finding["readings"] == {"list": _yuan(first), "current": _yuan(second)}


def test_an_omitted_basis_of_a_coupon_sees_promotions_of_its_own_layer() -> None:
    loaded = rules([th("P", [("100", "10")])], [th("Q", [("100", "15")], basis=None)])
    (finding,) = _by_code(_findings(loaded), "ambiguous_basis")
    assert finding["ids"] == ["Q"]
    assert finding["counterexample"]["coupons_held"] == ["Q"]


def test_an_omitted_repeat_is_ambiguous_with_a_counterexample() -> None:
    loaded = rules([th("P", [("300", "50")], layer="cross_store", repeat=None)])
    (finding,) = _by_code(_findings(loaded), "ambiguous_repeat")
    # 标价 600.00 holds 300 twice: 满 → 550.00, 每满 → 500.00
    assert finding["counterexample"]["items"][0]["price"] == "600.00"
    assert finding["readings"] == {"false": "550.00", "true": "500.00"}
    assert "“每满”" in finding["message_zh"]


def test_an_omitted_basis_that_nothing_can_change_is_reported_without_a_counterexample() -> None:
    loaded = rules([th("P", [("300", "40")], basis=None)])
    (finding,) = _findings(loaded)
    assert (finding["code"], finding["field"], finding["counterexample"]) == (
        "unspecified_without_effect",
        "P.basis",
        None,
    )


def test_every_ambiguous_field_gets_one_finding() -> None:
    loaded = rules(
        [
            item_offer("I", "amount_off", ALL, discount="5"),
            th("P1", [("100", "10")], basis=None, repeat=None),
            th("P2", [("200", "20"), ("400", "50")], layer="platform", basis=None),
        ]
    )
    findings = _findings(loaded)
    fields = [f["field"] for f in findings if f["field"]]
    assert fields == ["P1.repeat", "P1.basis", "P2.basis"]
    assert {f["code"] for f in findings if f["field"]} == {"ambiguous_repeat", "ambiguous_basis"}
    for finding in findings:
        basket = service.load_cart(finding["counterexample"])
        field = finding["field"]
        values = [False, True] if field.endswith("repeat") else ["list", "current"]
        payables = [quote_reading(loaded, basket, {field: v}).payable for v in values]
        assert payables[0] != payables[1]


def test_other_defects() -> None:
    loaded = rules(
        [
            th("T1", [("500", "80"), ("300", "40")]),  # listed high tier first
            th("T2", [("300", "50"), ("500", "30")], layer="platform"),  # higher tier, smaller discount
            th("T3", [("100", "100")], layer="cross_store"),  # 满100减100
            th("T4", [("100", "30")], layer="cross_store", repeat=True, cap="20", scope={"shops": ["S1"]}),
            th("T5", [("100", "10")], scope={"skus": ["A"]}, exclude={"skus": ["A"]}),  # nothing left
        ]
    )
    codes = [(f["code"], f["ids"]) for f in _findings(loaded)]
    assert codes == [
        ("tiers_unordered", ["T1"]),
        ("tier_discount_not_increasing", ["T2"]),
        ("discount_not_below_threshold", ["T3"]),
        ("cap_below_discount", ["T4"]),
        ("offer_never_applies", ["T5"]),
    ]


def test_a_clean_document_has_no_findings_and_the_report_shape() -> None:
    report = service.lint(rules([th("P", [("300", "40"), ("500", "80")])]))
    assert report.to_json() == {"findings": [], "claims": []}


def test_a_finding_carries_the_spec_shape() -> None:
    loaded = rules([th("P", [("300", "50")], layer="cross_store", repeat=None)])
    (finding,) = _findings(loaded)
    assert set(finding) == {"code", "ids", "field", "counterexample", "readings", "message_zh"}
    assert set(finding["counterexample"]) == {"items", "coupons_held"}
    assert service.load_cart(finding["counterexample"]) == cart(
        {**line("SKU-样例", "600", shop="店铺-样例", category="品类-样例")}
    )


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
