"""POST /api/v1/promotions/{quote,lint,parse}: the engine's JSON, and field-level 422s naming the path."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

FORMAT = "tianping-promotions/1"

RULES: dict[str, Any] = {
    "format": FORMAT,
    "promotions": [
        {
            "id": "P1",
            "title": "店铺满300减40",
            "layer": "shop",
            "type": "threshold_off",
            "scope": {"shops": ["S1"]},
            "tiers": [{"threshold": "300", "discount": "40"}],
            "repeat": False,
            "basis": "current",
        },
        {"id": "P2", "layer": "item", "type": "percent_off", "scope": {"skus": ["A1"]}, "rate": "0.80"},
    ],
    "coupons": [
        {
            "id": "Q1",
            "layer": "platform",
            "type": "threshold_off",
            "scope": {"all": True},
            "tiers": [{"threshold": "199", "discount": "20"}],
            "repeat": False,
            "basis": "current",
        }
    ],
}
CART: dict[str, Any] = {
    "items": [
        {"sku": "A1", "shop": "S1", "category": "服装", "price": "199.00", "qty": 2},
        {"sku": "B1", "shop": "S1", "category": "服装", "price": "120", "qty": 1},
    ],
    "coupons_held": ["Q1"],
}

RULES_YAML = """\
format: tianping-promotions/1
promotions:
  - id: P1
    layer: shop
    type: threshold_off
    scope: {all: true}
    tiers: [{threshold: "200", discount: "30"}]
"""


def test_quote_with_json_objects(client: TestClient) -> None:
    resp = client.post("/api/v1/promotions/quote", json={"rules": RULES, "cart": CART})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    # 2 × 199 × 0.8 = 318.40; + 120 = 438.40 ≥ 300 → −40 = 398.40 ≥ 199 → −20 = 378.40
    assert body["payable"] == "378.40" and body["ambiguous"] is False and body["range"] is None
    assert [s["id"] for s in body["steps"]] == ["P2", "P1", "Q1"]
    assert [line["amount"] for line in body["lines"]] == ["274.82", "103.58"]
    assert body["explanation_zh"].endswith("应付 ¥378.40")


def test_quote_with_yaml_text_reports_the_range_of_an_ambiguous_rule(client: TestClient) -> None:
    cart_json = '{"items": [{"sku": "X", "shop": "S", "category": "c", "price": "400", "qty": 1}]}'
    resp = client.post("/api/v1/promotions/quote", json={"rules": RULES_YAML, "cart": cart_json})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    # repeat omitted: 满200减30 once → 370.00, 每满 twice → 340.00
    assert body["ambiguous"] is True and body["payable"] is None
    assert body["range"] == ["340.00", "370.00"]
    assert body["ambiguous_fields"] == ["P1.repeat", "P1.basis"]
    assert len(body["steps"]) == 2


def test_lint_returns_findings_with_counterexamples(client: TestClient) -> None:
    resp = client.post("/api/v1/promotions/lint", json={"rules": RULES_YAML})
    assert resp.status_code == 200, resp.text
    findings = {f["code"]: f for f in resp.json()["findings"]}
    repeat = findings["ambiguous_repeat"]
    assert repeat["field"] == "P1.repeat" and repeat["counterexample"]["items"]
    assert repeat["readings"]["false"] != repeat["readings"]["true"]


def test_parse_returns_document_and_open_points(client: TestClient) -> None:
    resp = client.post("/api/v1/promotions/parse", json={"text": "跨店每满300减50，最高减150；满199减20券"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    promo = body["document"]["promotions"][0]
    assert promo["layer"] == "cross_store" and promo["repeat"] is True and promo["cap"] == "150"
    assert body["document"]["coupons"][0]["tiers"] == [{"threshold": "199", "discount": "20"}]
    assert "promotions[0].basis" in {p["path"] for p in body["open_points"]}


def _bad_tier() -> dict[str, Any]:
    rules = {**RULES, "promotions": [dict(RULES["promotions"][0]), RULES["promotions"][1]]}
    rules["promotions"][0]["tiers"] = [
        {"threshold": "300", "discount": "40"},
        {"threshold": "500", "discount": 19.9},
    ]
    return rules


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("quote", {"rules": _bad_tier(), "cart": CART}, "rules.promotions[0].tiers[1].discount"),
        ("lint", {"rules": _bad_tier()}, "rules.promotions[0].tiers[1].discount"),
        (
            "quote",
            {"rules": RULES, "cart": {"items": [{**CART["items"][0], "qty": 0}]}},
            "cart.items[0].qty",
        ),
        ("quote", {"rules": RULES, "cart": {**CART, "coupons_held": ["P1"]}}, "cart.coupons_held[0]"),
        ("quote", {"rules": "format: [unclosed", "cart": CART}, "rules"),
        ("lint", {"rules": {**RULES, "format": "other/9"}}, "rules.format"),
    ],
)
def test_invalid_documents_are_422_naming_the_field(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    resp = client.post(f"/api/v1/promotions/{path}", json=body)
    assert resp.status_code == 422, resp.text
    answer = resp.json()
    assert answer["code"] == "promotion_format"
    assert [e["field"] for e in answer["errors"]] == [field]
    assert answer["errors"][0]["message"] and "Traceback" not in resp.text


def test_request_shape_errors_are_field_level(client: TestClient) -> None:
    missing = client.post("/api/v1/promotions/quote", json={"rules": RULES})
    assert missing.status_code == 422
    assert any("cart" in e["field"] for e in missing.json()["errors"])
    empty = client.post("/api/v1/promotions/parse", json={"text": ""})
    assert empty.status_code == 422 and any("text" in e["field"] for e in empty.json()["errors"])
    extra = client.post("/api/v1/promotions/lint", json={"rules": RULES, "cart": CART})
    assert extra.status_code == 422
