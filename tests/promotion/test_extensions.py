"""Format extensions (docs/promotions.md, "Extensions"): 第N件X折, 定金膨胀 presale, per-user limits.

Every amount below is computed by hand in the comment next to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.promotion.support import ALL, cart, item_offer, line, quote_json, rules, th
from tianping.promotion import PromotionFormatError, service
from tianping.promotion.model import Cart, item_amount

WINDOW = {"balance_start": "2026-11-01T20:00:00+08:00", "balance_end": "2026-11-03T23:59:59+08:00"}


def _payable(rule_set: Any, basket: Any) -> str:
    return str(quote_json(rule_set, basket)["payable"])


# --- nth_item_percent --------------------------------------------------------------------------------


def test_every_nth_unit_of_a_line_is_discounted() -> None:
    r = rules([item_offer("N", "nth_item_percent", {"skus": ["A"]}, nth=2, rate="0.5", title="第二件半价")])
    result = quote_json(r, cart(line("A", "99.99", 5)))
    # 5 units: units 2 and 4 cost round_half_up(99.99 × 0.5 = 49.995) = 50.00; 3 × 99.99 + 2 × 50.00
    assert result["payable"] == "399.97"
    assert result["steps"][0]["discount"] == "99.98"  # 499.95 − 399.97
    assert (
        "第1行 A 每第 2 件单价 ¥99.99 × 0.5 = ¥50.00（5 件中 2 件按此价），2 件减 ¥99.98"
        in (result["explanation_zh"])
    )


def test_nth_counts_per_line_and_rate_zero_is_free() -> None:
    r = rules([item_offer("N", "nth_item_percent", ALL, nth=3, rate="0")])
    # line 1: 7 units → 2 free (3rd, 6th): 5 × 10 = 50; line 2: 2 units → none free: 40
    result = quote_json(r, cart(line("A", "10", 7), line("B", "20", 2)))
    assert result["payable"] == "90.00"
    assert [row["amount"] for row in result["lines"]] == ["50.00", "40.00"]


def test_a_later_threshold_measures_the_amount_after_the_nth_discount() -> None:
    r = rules(
        [
            item_offer("N", "nth_item_percent", ALL, nth=2, rate="0.5"),
            th("P", [("300", "30")], basis="current"),
        ]
    )
    # 2 × 200: the second unit 100 → 300.00 ≥ 300 → −30 → 270.00
    assert _payable(r, cart(line("A", "200", 2))) == "270.00"


@pytest.mark.parametrize(
    ("fields", "path", "reason"),
    [
        ({"nth": 1, "rate": "0.5"}, "promotions[0].nth", "不能小于 2"),
        ({"nth": 2, "rate": "1.5"}, "promotions[0].rate", "0 与 1 之间"),
        ({"nth": 2}, "promotions[0].rate", "缺少必填字段"),
        ({"nth": "2", "rate": "0.5"}, "promotions[0].nth", "应为整数"),
    ],
)
def test_invalid_nth_fields_name_the_field(fields: dict[str, Any], path: str, reason: str) -> None:
    with pytest.raises(PromotionFormatError) as caught:
        rules([item_offer("N", "nth_item_percent", ALL, **fields)])
    assert caught.value.path == path and reason in caught.value.reason


def test_nth_is_an_item_layer_type() -> None:
    with pytest.raises(PromotionFormatError) as caught:
        rules([{**item_offer("N", "nth_item_percent", ALL, nth=2, rate="0.5"), "layer": "shop"}])
    assert caught.value.path == "promotions[0].layer"


# --- presale ----------------------------------------------------------------------------------------


def presale(**fields: Any) -> dict[str, Any]:
    return item_offer("Y", "presale", {"skus": ["A"]}, title="定金50抵150", **fields)


def test_presale_payable_counts_the_deposit_and_the_balance() -> None:
    r = rules([presale(deposit="50", deposit_value="150", **WINDOW, deposit_refundable=False)])
    result = quote_json(r, cart(line("A", "599", 2)))
    # per unit 50 + (599 − 150) = 499; 2 units 998; discount 2 × 100
    assert result["payable"] == "998.00"
    assert result["steps"][0]["discount"] == "200.00"
    assert (
        "预售：定金 ¥50.00 + 尾款 ¥449.00（标价 ¥599.00 − 定金抵 ¥150.00）= ¥499.00，2 件减 ¥200.00"
        in (result["explanation_zh"])
    )


def test_presale_balance_never_goes_below_zero_and_never_raises_the_price() -> None:
    r = rules([presale(deposit="50", deposit_value="150")])
    # 标价 100 < 150: balance 0, the unit costs the deposit 50
    assert _payable(r, cart(line("A", "100"))) == "50.00"
    # 标价 30 < deposit 50: the presale would make it dearer, so it does not apply
    result = quote_json(r, cart(line("A", "30")))
    assert (result["payable"], result["steps"]) == ("30.00", [])


def test_presale_dearer_than_the_spot_price_is_noted_in_the_explanation() -> None:
    r = rules([presale(deposit="50", deposit_value="100", spot_price="520")])
    result = quote_json(r, cart(line("A", "599")))
    # 50 + 499 = 549 > 520
    assert result["payable"] == "549.00"
    assert "= ¥549.00，高于同期现货价 ¥520.00" in result["explanation_zh"]


@pytest.mark.parametrize(
    ("fields", "path", "reason"),
    [
        ({"deposit": "50", "deposit_value": "40"}, "promotions[0].deposit_value", "不能小于定金"),
        ({"deposit": "0", "deposit_value": "40"}, "promotions[0].deposit", "必须大于 0"),
        ({"deposit_value": "40"}, "promotions[0].deposit", "缺少必填字段"),
        (
            {"deposit": "50", "deposit_value": "150", "balance_start": "2026-11-03T00:00:00", "balance_end":
             "2026-11-01T00:00:00"},
            "promotions[0].balance_end",
            "晚于开始时间",
        ),
        ({"deposit": "50", "deposit_value": "150", "balance_end": "2026-11-03"}, "promotions[0].balance_end",
         "只有日期"),
        ({"deposit": "50", "deposit_value": "150", "balance_end": "十一月"}, "promotions[0].balance_end",
         "不是日期时间"),
        ({"deposit": "50", "deposit_value": "150", "deposit_refundable": "no"},
         "promotions[0].deposit_refundable", "true 或 false"),
    ],
)  # fmt: skip
def test_invalid_presale_fields_name_the_field(fields: dict[str, Any], path: str, reason: str) -> None:
    with pytest.raises(PromotionFormatError) as caught:
        rules([presale(**fields)])
    assert caught.value.path == path and reason in caught.value.reason


def test_presale_times_read_from_yaml_timestamps_and_default_to_china_time() -> None:
    text = """
format: tianping-promotions/1
promotions:
  - {id: Y, layer: item, type: presale, scope: {all: true}, deposit: "50", deposit_value: "150",
     balance_start: 2026-11-01T20:00:00+08:00, balance_end: "2026-11-03 23:59:59"}
"""
    offer = service.load_rules(text).promotions[0]
    assert offer.balance_start == datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # type: ignore[union-attr]
    assert offer.balance_end == datetime(2026, 11, 3, 15, 59, 59, tzinfo=UTC)  # type: ignore[union-attr]


def test_lint_reports_presale_terms_hidden_citing_article_19_6() -> None:
    report = service.lint(rules([presale(deposit="50", deposit_value="150")])).to_json()
    hidden = [f for f in report["findings"] if f["code"] == "presale_terms_hidden"]
    assert len(hidden) == 1 and hidden[0]["ids"] == ["Y"]
    message = hidden[0]["message_zh"]
    assert "deposit_refundable" in message and "balance_start、balance_end" in message
    assert (
        "第十九条第（六）项“不标示或者显著弱化标示对消费者或者其他经营者不利的价格条件，"
        "诱骗消费者或者其他经营者与其进行交易”"
    ) in message
    complete = rules([presale(deposit="50", deposit_value="150", deposit_refundable=True, **WINDOW)])
    assert not [f for f in service.lint(complete).findings if f.code.startswith("presale_")]


def test_lint_reports_presale_dearer_than_spot_on_a_claim_cart_citing_article_19_5() -> None:
    offer = presale(deposit="50", deposit_value="100", spot_price="520", deposit_refundable=True, **WINDOW)
    claim = {"id": "K", "cart": {"items": [line("A", "599")]}, "payable": "549"}
    report = service.lint(rules([offer], claims=[claim])).to_json()
    dearer = [f for f in report["findings"] if f["code"] == "presale_dearer_than_spot"]
    assert len(dearer) == 1
    assert "定金 ¥50.00 + 尾款 ¥499.00 = ¥549.00，高于同期现货价 ¥520.00" in dearer[0]["message_zh"]
    assert "第十九条第（五）项“无正当理由拒绝履行或者不完全履行价格承诺”" in dearer[0]["message_zh"]
    cheaper = rules([{**offer, "spot_price": "549"}], claims=[claim])  # equal is not dearer
    assert not [f for f in service.lint(cheaper).findings if f.code == "presale_dearer_than_spot"]


# --- limit_per_user and used -------------------------------------------------------------------------


def test_item_limit_per_user_counts_units_of_a_line_minus_prior_uses() -> None:
    r = rules([item_offer("I", "percent_off", ALL, rate="0.8", limit_per_user=2)])
    assert _payable(r, cart(line("A", "100", 3))) == "260.00"  # 2 × 80 + 100
    two_lines = cart(line("A", "100", 3), line("B", "100", 3))
    assert _payable(r, two_lines) == "520.00"  # the limit counts per line
    once = service.load_cart({"items": [line("A", "100", 3)], "used": {"I": 1}})
    assert _payable(r, once) == "280.00"  # 1 unit left: 80 + 200
    spent = service.load_cart({"items": [line("A", "100", 3)], "used": {"I": 2}})
    assert quote_json(r, spent)["steps"] == []


def test_fixed_price_takes_the_smaller_of_limit_and_limit_per_user() -> None:
    r = rules([item_offer("F", "fixed_price", ALL, price="50", limit=3, limit_per_user=2)])
    result = quote_json(r, cart(line("A", "80", 4)))
    assert result["payable"] == "260.00"  # 2 × 50 + 2 × 80
    assert "（限 3 件）（每人限 2 件）" in result["explanation_zh"]


def test_nth_limit_per_user_counts_discounted_units() -> None:
    r = rules([item_offer("N", "nth_item_percent", ALL, nth=2, rate="0.5", limit_per_user=1)])
    assert _payable(r, cart(line("A", "100", 6))) == "550.00"  # 3 second units, only 1 at 50: 5 × 100 + 50


def test_threshold_and_coupon_limits_count_orders() -> None:
    r = rules(
        [th("P", [("100", "10")], limit_per_user=1)],
        [th("Q", [("100", "20")], layer="platform", limit_per_user=2)],
    )
    items = [line("A", "150")]
    fresh = service.load_cart({"items": items, "coupons_held": ["Q"]})
    assert _payable(r, fresh) == "120.00"  # 150 − 10 − 20
    used = service.load_cart({"items": items, "coupons_held": ["Q"], "used": {"P": 1, "Q": 1}})
    assert _payable(r, used) == "130.00"  # P used up; Q has one use left
    spent = service.load_cart({"items": items, "coupons_held": ["Q"], "used": {"P": 1, "Q": 2}})
    result = quote_json(r, spent)
    assert (result["payable"], result["steps"]) == ("150.00", [])


def test_used_is_validated_and_kept_in_to_json() -> None:
    basket = service.load_cart({"items": [line("A", "1")], "used": {"P": 3}})
    assert basket.to_json()["used"] == {"P": 3}
    assert service.load_cart(basket.to_json()) == basket
    assert "used" not in cart(line("A", "1")).to_json()
    with pytest.raises(PromotionFormatError) as caught:
        service.load_cart({"items": [line("A", "1")], "used": {"P": -1}})
    assert caught.value.path == "used.P"
    with pytest.raises(PromotionFormatError) as caught:
        service.quote(rules([th("P", [("1", "1")])]), Cart(items=basket.items, used=(("X", 1),)))
    assert (caught.value.path, caught.value.reason) == ("used.X", "规则中没有编号为 X 的促销或券")
    with pytest.raises(PromotionFormatError) as caught:
        rules([th("P", [("1", "1")], limit_per_user=0)])
    assert caught.value.path == "promotions[0].limit_per_user"


def test_item_amount_matches_pricing_unit_by_unit() -> None:
    """The closed form of every item type against a literal unit-by-unit pricing."""
    from tianping.promotion._exhaustive import literal_item_amount

    r = rules(
        [
            item_offer("A1", "percent_off", ALL, rate="0.333", limit_per_user=2),
            item_offer("A2", "amount_off", ALL, discount="30"),
            item_offer("A3", "fixed_price", ALL, price="9.9", limit=2, limit_per_user=1),
            item_offer("A4", "nth_item_percent", ALL, nth=3, rate="0.25", limit_per_user=1),
            item_offer("A5", "presale", ALL, deposit="5", deposit_value="20"),
        ]
    )
    basket = cart(*(line("S", price, qty) for price in ("0.01", "9.99", "25", "260") for qty in (1, 3, 7)))
    for offer in r.promotions:
        for item in basket.items:
            assert item_amount(offer, item) == literal_item_amount(offer, item)  # type: ignore[arg-type]
