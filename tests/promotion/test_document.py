"""Loading and validating rules and carts: every error names the offending field's path and the reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.promotion.support import ALL, FORMAT, cart, doc, item_offer, line, rules, th
from tianping.core.errors import ValidationFailed
from tianping.promotion import PromotionFormatError, service
from tianping.promotion.model import AmountOff, FixedPrice, PercentOff, Scope, ThresholdOff, Tier

SPEC_EXAMPLE = """\
format: tianping-promotions/1
currency: CNY
layers: [item, shop, cross_store, platform]
promotions:
  - id: P1
    title: 店铺满300减40
    layer: shop
    type: threshold_off
    scope: {shops: [S1]}
    exclude: {skus: [X9]}
    tiers:
      - {threshold: "300", discount: "40"}
      - {threshold: "500", discount: "80"}
    repeat: false
    basis: current
    automatic: true
  - id: P1b
    layer: cross_store
    type: threshold_off
    scope: {all: true}
    tiers: [{threshold: "300", discount: "50"}]
    repeat: true
    cap: "150"
    basis: current
  - id: P2
    layer: item
    type: percent_off
    scope: {skus: [A1]}
    rate: "0.80"
  - id: P3
    layer: item
    type: amount_off
    scope: {skus: [B1]}
    discount: "20"
  - id: P4
    layer: item
    type: fixed_price
    scope: {skus: [C1]}
    price: "99"
    limit: 1
coupons:
  - id: Q1
    layer: platform
    type: threshold_off
    scope: {all: true}
    tiers: [{threshold: "199", discount: "20"}]
    repeat: false
    basis: current
exclusive:
  - [P4, Q1]
claims:
  - id: K1
    text: "到手价159.2元"
    cart: {items: [{sku: A1, shop: S1, category: 服装, price: "199.00", qty: 1}], coupons_held: [Q1]}
    payable: "159.20"
"""


def test_the_spec_example_loads_into_typed_values() -> None:
    loaded = service.load_rules(SPEC_EXAMPLE)
    assert loaded.layers == ("item", "shop", "cross_store", "platform")
    p1, p1b, p2, p3, p4 = loaded.promotions
    assert isinstance(p1, ThresholdOff)
    assert p1.tiers == (Tier(30000, 4000), Tier(50000, 8000))
    assert p1.scope == Scope(shops=frozenset({"S1"}))
    assert p1.exclude == Scope(skus=frozenset({"X9"}))
    assert (p1.repeat, p1.basis, p1.automatic, p1.title) == (False, "current", True, "店铺满300减40")
    assert isinstance(p1b, ThresholdOff) and (p1b.repeat, p1b.cap) == (True, 15000)
    assert isinstance(p2, PercentOff) and str(p2.rate) == "4/5"
    assert isinstance(p3, AmountOff) and p3.discount == 2000
    assert isinstance(p4, FixedPrice) and (p4.price, p4.limit) == (9900, 1)
    (q1,) = loaded.coupons
    assert (q1.kind, q1.automatic, q1.tiers) == ("coupon", False, (Tier(19900, 2000),))
    assert loaded.exclusive == (("P4", "Q1"),)
    (k1,) = loaded.claims
    assert (k1.payable, k1.cart.items[0].price, k1.cart.coupons_held) == (15920, 19900, ("Q1",))
    assert loaded.ambiguous_fields == ()


def test_json_and_yaml_and_mappings_give_the_same_rules() -> None:
    import yaml

    mapping = yaml.safe_load(SPEC_EXAMPLE)
    assert service.load_rules(json.dumps(mapping, ensure_ascii=False)) == service.load_rules(SPEC_EXAMPLE)
    assert service.load_rules(json.dumps(mapping).encode()) == service.load_rules(mapping)


def test_defaults_integers_and_omitted_fields() -> None:
    loaded = rules([th("P1", [("300", "40")], basis=None, repeat=None)], layers=None)
    (p1,) = loaded.promotions
    assert isinstance(p1, ThresholdOff)
    assert loaded.layers == ("item", "shop", "cross_store", "platform")
    assert (p1.repeat, p1.basis, p1.title, p1.label) == (None, None, "", "P1")
    assert [f.name for f in loaded.ambiguous_fields] == ["P1.repeat", "P1.basis"]
    basket = cart({"sku": "A", "shop": "S", "price": 20, "qty": 3})
    assert basket.items[0].price == 2000 and basket.items[0].category is None


def test_ambiguous_fields_follow_document_order() -> None:
    loaded = service.load_rules(
        {
            "format": FORMAT,
            "coupons": [th("Q1", [("100", "10")], layer="platform", basis=None)],
            "promotions": [
                th("P1", [("100", "10"), ("200", "30")], basis=None, repeat=None),
                th("P2", [("0", "5")], repeat=None),
            ],
        }
    )
    # coupons come first in this document; a multi-tier or zero-threshold repeat is not ambiguous
    assert [f.name for f in loaded.ambiguous_fields] == ["Q1.basis", "P1.basis"]


def _yaml_rules(offer_yaml: str, extra: str = "") -> str:
    return f"format: {FORMAT}\npromotions:\n{offer_yaml}{extra}"


BASE_OFFER = """\
  - id: P1
    layer: shop
    type: threshold_off
    scope: {all: true}
    tiers:
      - {threshold: "300", discount: "40"}
      - {threshold: "500", discount: "80"}
    basis: current
"""

BAD_RULES: list[tuple[str, Any, str, str]] = [
    (
        "3 decimals",
        _yaml_rules(BASE_OFFER.replace('"80"', '"8.001"')),
        "promotions[0].tiers[1].discount",
        "两位小数",
    ),
    (
        "float",
        _yaml_rules(BASE_OFFER.replace('"80"', "79.9")),
        "promotions[0].tiers[1].discount",
        "不带引号的小数",
    ),
    (
        "whole float",
        _yaml_rules(BASE_OFFER.replace('"80"', "80.0")),
        "promotions[0].tiers[1].discount",
        "小数",
    ),
    ("negative", _yaml_rules(BASE_OFFER.replace('"80"', '"-80"')), "promotions[0].tiers[1].discount", "负数"),
    (
        "negative int",
        _yaml_rules(BASE_OFFER.replace('"80"', "-80")),
        "promotions[0].tiers[1].discount",
        "负数",
    ),
    (
        "not a number",
        _yaml_rules(BASE_OFFER.replace('"80"', '"八十"')),
        "promotions[0].tiers[1].discount",
        "不是金额",
    ),
    (
        "bool amount",
        _yaml_rules(BASE_OFFER.replace('"80"', "true")),
        "promotions[0].tiers[1].discount",
        "布尔",
    ),
    (
        "octal int",
        _yaml_rules(BASE_OFFER.replace('"80"', "010")),
        "promotions[0].tiers[1].discount",
        "十进制",
    ),
    ("YAML bool key", _yaml_rules(BASE_OFFER + "    on: true\n"), "promotions[0].on", "布尔值"),
    ("YAML yes key", f"format: {FORMAT}\nyes: 1\n", "yes", "布尔值"),
    ("YAML bool value", _yaml_rules(BASE_OFFER + "    repeat: yes\n"), "promotions[0].repeat", "布尔值"),
    ("duplicate key", _yaml_rules(BASE_OFFER + "    basis: list\n"), "promotions[0].basis", "重复"),
    ("unknown field", _yaml_rules(BASE_OFFER + "    colour: red\n"), "promotions[0].colour", "没有这个字段"),
    (
        "repeat with 2 tiers",
        _yaml_rules(BASE_OFFER + "    repeat: true\n"),
        "promotions[0].tiers",
        "只能有一个档位",
    ),
    ("cap without repeat", _yaml_rules(BASE_OFFER + '    cap: "100"\n'), "promotions[0].cap", "repeat: true"),
    (
        "cap with repeat false",
        _yaml_rules(BASE_OFFER + '    repeat: false\n    cap: "100"\n'),
        "promotions[0].cap",
        "repeat: true",
    ),
    (
        "unknown layer",
        _yaml_rules(BASE_OFFER.replace("layer: shop", "layer: mall")),
        "promotions[0].layer",
        "未声明的层",
    ),
    ("alias", f"format: {FORMAT}\nlayers: &l [shop]\npromotions: *l\n", "", "别名"),
    ("syntax", f"format: {FORMAT}\npromotions: [\n", "", "YAML 语法错误"),
    ("no format", "promotions: []\n", "format", "缺少"),
    ("other format", "format: tianping-promotions/2\n", "format", "不支持"),
    ("not a mapping", "- 1\n- 2\n", "", "规则文档"),
]


@pytest.mark.parametrize(("name", "text", "path", "reason"), BAD_RULES, ids=[b[0] for b in BAD_RULES])
def test_invalid_rules_name_the_field(name: str, text: Any, path: str, reason: str) -> None:
    with pytest.raises(PromotionFormatError) as caught:
        service.load_rules(text)
    error = caught.value
    assert error.path == path, str(error)
    assert reason in error.reason
    assert str(error) == (f"{path}: {error.reason}" if path else error.reason)


BAD_DICTS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "duplicate id is reported at the second occurrence",
        doc([th("P1", [("100", "10")])], [th("P1", [("100", "10")], layer="platform")]),
        "coupons[0].id",
        "重复",
    ),
    (
        "duplicate id among promotions",
        doc([th("P1", [("100", "10")]), th("P2", [("100", "10")]), th("P1", [("200", "10")])]),
        "promotions[2].id",
        "promotions[0]",
    ),
    (
        "coupon with an automatic field",
        doc(coupons=[th("Q1", [("100", "10")], layer="platform", automatic=False)]),
        "coupons[0].automatic",
        "券没有 automatic",
    ),
    (
        "coupon with two tiers",
        doc(coupons=[th("Q1", [("100", "10"), ("200", "30")], layer="platform")]),
        "coupons[0].tiers",
        "一个档位",
    ),
    (
        "coupon of an item type",
        doc(coupons=[item_offer("Q1", "amount_off", ALL, discount="5")]),
        "coupons[0].type",
        "threshold_off",
    ),
    (
        "unknown exclusive id",
        doc([th("P1", [("100", "10")])], exclusive=[["P1", "Q9"]]),
        "exclusive[0][1]",
        "Q9",
    ),
    ("exclusive of one id", doc([th("P1", [("100", "10")])], exclusive=[["P1"]]), "exclusive[0]", "两个编号"),
    (
        "exclusive with itself",
        doc([th("P1", [("100", "10")])], exclusive=[["P1", "P1"]]),
        "exclusive[0][1]",
        "不能相同",
    ),
    (
        "missing scope",
        doc([{"id": "P1", "layer": "shop", "type": "threshold_off", "tiers": []}]),
        "promotions[0].tiers",
        "不能为空",
    ),
    (
        "missing required field",
        doc(
            [
                {
                    "id": "P1",
                    "layer": "shop",
                    "type": "threshold_off",
                    "tiers": [{"threshold": "1", "discount": "1"}],
                }
            ]
        ),
        "promotions[0].scope",
        "缺少",
    ),
    (
        "nth without nth",
        doc([item_offer("P1", "nth_item_percent", ALL, rate="0.5")]),
        "promotions[0].nth",
        "必填",
    ),
    ("unknown type", doc([item_offer("P1", "bogo", ALL)]), "promotions[0].type", "未知类型"),
    (
        "item type outside the item layer",
        doc([{**item_offer("P1", "percent_off", ALL, rate="0.8"), "layer": "shop"}]),
        "promotions[0].layer",
        "只能放在 item 层",
    ),
    (
        "threshold in the item layer",
        doc([th("P1", [("1", "1")], layer="item")]),
        "promotions[0].layer",
        "不能放在 item 层",
    ),
    (
        "item layer not first",
        doc([], layers=["shop", "item"]),
        "layers[1]",
        "第一位",
    ),
    ("duplicate layer", doc([], layers=["shop", "shop"]), "layers[1]", "重复"),
    (
        "repeat needs a threshold",
        doc([th("P1", [("0", "5")], repeat=True)]),
        "promotions[0].tiers[0].threshold",
        "大于 0",
    ),
    (
        "duplicate tier threshold",
        doc([th("P1", [("100", "5"), ("100", "9")])]),
        "promotions[0].tiers[1].threshold",
        "相同",
    ),
    ("rate as float", doc([item_offer("P1", "percent_off", ALL, rate=0.8)]), "promotions[0].rate", "不精确"),
    ("rate of 1", doc([item_offer("P1", "percent_off", ALL, rate="1")]), "promotions[0].rate", "小于 1"),
    (
        "rate with 5 decimals",
        doc([item_offer("P1", "percent_off", ALL, rate="0.12345")]),
        "promotions[0].rate",
        "四位",
    ),
    (
        "limit of 0",
        doc([item_offer("P1", "fixed_price", ALL, price="9", limit=0)]),
        "promotions[0].limit",
        "不能小于 1",
    ),
    (
        "limit as bool",
        doc([item_offer("P1", "fixed_price", ALL, price="9", limit=True)]),
        "promotions[0].limit",
        "整数",
    ),
    (
        "scope all false",
        doc([th("P1", [("1", "1")], scope={"all": False})]),
        "promotions[0].scope.all",
        "true",
    ),
    ("empty scope", doc([{**th("P1", [("1", "1")]), "scope": {}}]), "promotions[0].scope", "至少"),
    (
        "scope key unknown",
        doc([th("P1", [("1", "1")], scope={"brand": ["x"]})]),
        "promotions[0].scope.brand",
        "没有这个字段",
    ),
    (
        "sku as a number",
        doc([th("P1", [("1", "1")], scope={"skus": [123]})]),
        "promotions[0].scope.skus[0]",
        "加引号",
    ),
    (
        "claim cart holding an unknown coupon",
        doc(
            claims=[{"id": "K1", "cart": {"items": [line("A", "1")], "coupons_held": ["Q9"]}, "payable": "1"}]
        ),
        "claims[0].cart.coupons_held[0]",
        "Q9",
    ),
    (
        "claim cart holding a promotion",
        doc(
            [th("P1", [("1", "1")])],
            claims=[
                {"id": "K1", "cart": {"items": [line("A", "1")], "coupons_held": ["P1"]}, "payable": "1"}
            ],
        ),
        "claims[0].cart.coupons_held[0]",
        "不是券",
    ),
    (
        "claim without payable",
        doc(claims=[{"id": "K1", "cart": {"items": [line("A", "1")]}}]),
        "claims[0].payable",
        "缺少",
    ),
    (
        "duplicate claim id",
        doc(claims=[{"id": "K", "cart": {"items": [line("A", "1")]}, "payable": "1"}] * 2),
        "claims[1].id",
        "重复",
    ),
    ("currency", doc(currency="USD"), "currency", "CNY"),
    ("unknown top-level field", doc(version=1), "version", "没有这个字段"),
]


@pytest.mark.parametrize(("name", "data", "path", "reason"), BAD_DICTS, ids=[b[0] for b in BAD_DICTS])
def test_invalid_rule_mappings_name_the_field(
    name: str, data: dict[str, Any], path: str, reason: str
) -> None:
    with pytest.raises(PromotionFormatError) as caught:
        service.load_rules(data)
    assert caught.value.path == path, str(caught.value)
    assert reason in caught.value.reason


BAD_CARTS: list[tuple[str, Any, str, str]] = [
    (
        "float price",
        "items:\n  - {sku: A1, shop: S1, price: 19.9, qty: 1}\n",
        "items[0].price",
        "不带引号的小数",
    ),
    ("3 decimals", {"items": [line("A", "1.005")]}, "items[0].price", "两位小数"),
    ("negative", {"items": [line("A", "-1")]}, "items[0].price", "负数"),
    ("qty zero", {"items": [line("A", "1", qty=0)]}, "items[0].qty", "不能小于 1"),
    ("qty float", {"items": [{**line("A", "1"), "qty": 1.0}]}, "items[0].qty", "整数"),
    ("qty octal", "items:\n  - {sku: A1, shop: S1, price: '1', qty: 010}\n", "items[0].qty", "十进制"),
    ("numeric sku", "items:\n  - {sku: 001, shop: S1, price: '1', qty: 1}\n", "items[0].sku", "加引号"),
    ("int sku", {"items": [{**line("A", "1"), "sku": 7}]}, "items[0].sku", "加引号"),
    ("no items", {"items": []}, "items", "不能为空"),
    ("missing shop", {"items": [{"sku": "A", "price": "1", "qty": 1}]}, "items[0].shop", "缺少"),
    ("unknown field", {"items": [{**line("A", "1"), "colour": "red"}]}, "items[0].colour", "没有这个字段"),
    (
        "coupon held twice",
        {"items": [line("A", "1")], "coupons_held": ["Q1", "Q1"]},
        "coupons_held[1]",
        "重复",
    ),
    ("JSON duplicate key", '{"items": [], "items": []}', "items", "重复"),
    ("JSON syntax", '{"items": [}', "", "JSON 语法错误"),
    # not JSON (NaN), so read as YAML, where NaN is a word
    (
        "JSON NaN",
        '{"items": [{"sku": "A", "shop": "S", "price": NaN, "qty": 1}]}',
        "items[0].price",
        "不是金额",
    ),
    ("not UTF-8", b"items: [\xff]", "", "UTF-8"),
    ("empty document", "", "", "购物车"),
]


@pytest.mark.parametrize(("name", "data", "path", "reason"), BAD_CARTS, ids=[b[0] for b in BAD_CARTS])
def test_invalid_carts_name_the_field(name: str, data: Any, path: str, reason: str) -> None:
    with pytest.raises(PromotionFormatError) as caught:
        service.load_cart(data)
    assert caught.value.path == path, str(caught.value)
    assert reason in caught.value.reason


def test_the_error_is_a_field_level_validation_failure() -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.load_rules(_yaml_rules(BASE_OFFER.replace('"80"', '"8.001"')))
    error = caught.value
    assert error.status_code == 422
    assert [(e.field, e.message) for e in error.errors] == [
        ("promotions[0].tiers[1].discount", "“8.001”超过两位小数（金额精确到分）")
    ]
    assert error.message == "promotions[0].tiers[1].discount: “8.001”超过两位小数（金额精确到分）"


def test_quoting_a_cart_that_holds_an_unknown_coupon_is_refused() -> None:
    loaded = rules([th("P1", [("100", "10")])], [th("Q1", [("100", "10")], layer="platform")])
    with pytest.raises(PromotionFormatError) as caught:
        service.quote(loaded, cart(line("A", "100"), held=["Q1", "Q7"]))
    assert caught.value.path == "coupons_held[1]"
    with pytest.raises(PromotionFormatError) as caught:
        service.quote(loaded, cart(line("A", "100"), held=["P1"]))
    assert (caught.value.path, caught.value.reason) == ("coupons_held[0]", "P1 是促销，不是券")


def test_a_cart_round_trips_through_its_json() -> None:
    basket = cart(line("A", "1.50", 2), line("B", "3", category=None), held=[])
    assert service.load_cart(basket.to_json()) == basket
