"""Each clause of the spec's semantics, with amounts computed by hand in the comments."""

from __future__ import annotations

from typing import Any

from tests.promotion.support import ALL, cart, item_offer, line, quote_json, rules, th
from tests.promotion.test_document import SPEC_EXAMPLE
from tianping.promotion import service


def _steps(result: dict[str, Any]) -> list[tuple[str, str, list[tuple[int, str]]]]:
    return [(s["id"], s["discount"], [(x["index"], x["share"]) for x in s["lines"]]) for s in result["steps"]]


def _amounts(result: dict[str, Any]) -> list[str]:
    return [row["amount"] for row in result["lines"]]


# --- 1. layers in the declared order; promotions before coupons within a layer ---------------------


def test_promotions_apply_before_coupons_of_the_same_layer() -> None:
    # A 100.00: shop promotion 满100减10 → 90.00; the shop coupon 满95减20 measures 90.00 (current):
    # not reached
    current = rules([th("P1", [("100", "10")])], [th("Q1", [("95", "20")])])
    assert quote_json(current, cart(line("A", "100"), held=["Q1"]))["payable"] == "90.00"
    # measured at 标价 100.00 ≥ 95 → 20 more → 70.00
    at_list = rules([th("P1", [("100", "10")])], [th("Q1", [("95", "20")], basis="list")])
    assert quote_json(at_list, cart(line("A", "100"), held=["Q1"]))["payable"] == "70.00"


def test_layers_run_in_the_declared_order() -> None:
    offers = [th("S", [("95", "5")], layer="shop"), th("G", [("100", "10")], layer="platform")]
    # default order: shop 100 ≥ 95 → 95.00; platform 95 < 100 → 95.00
    assert quote_json(rules(offers), cart(line("A", "100")))["payable"] == "95.00"
    # platform first: 100 ≥ 100 → 90.00; shop 90 < 95 → 90.00
    reordered = rules(offers, layers=["platform", "shop"])
    assert quote_json(reordered, cart(line("A", "100")))["payable"] == "90.00"


# --- 3. item-layer types -----------------------------------------------------------------------------


def test_percent_off_rounds_each_unit_price_half_up() -> None:
    # 0.99 × 0.5 = 0.495 → 0.50 per unit; 3 units 1.50 (was 2.97)
    result = quote_json(rules([item_offer("P", "percent_off", ALL, rate="0.5")]), cart(line("A", "0.99", 3)))
    assert result["payable"] == "1.50"
    assert _steps(result) == [("P", "1.47", [(0, "1.47")])]


def test_amount_off_never_goes_below_zero() -> None:
    # 10.00 − 20.00 → 0 per unit, 2 units: reduction 20.00
    result = quote_json(rules([item_offer("P", "amount_off", ALL, discount="20")]), cart(line("A", "10", 2)))
    assert (result["payable"], _steps(result)) == ("0.00", [("P", "20.00", [(0, "20.00")])])


def test_fixed_price_covers_at_most_limit_units_and_never_raises_a_price() -> None:
    offer = item_offer("P", "fixed_price", {"skus": ["C"]}, price="99", limit=1)
    # 3 × 150.00: one unit at 99.00, two at 150.00 → 399.00
    result = quote_json(rules([offer]), cart(line("C", "150", 3)))
    assert (result["payable"], _steps(result)) == ("399.00", [("P", "51.00", [(0, "51.00")])])
    # a "秒杀价" above 标价: min(80.00, 99.00) = 80.00, nothing changes, no step
    result = quote_json(rules([offer]), cart(line("C", "80", 2)))
    assert (result["payable"], result["steps"]) == ("160.00", [])
    # without a limit every unit
    unlimited = item_offer("P", "fixed_price", {"skus": ["C"]}, price="99")
    assert quote_json(rules([unlimited]), cart(line("C", "150", 3)))["payable"] == "297.00"


# --- 4. threshold_off ----------------------------------------------------------------------------------


def test_the_highest_reached_tier_applies() -> None:
    tiered = rules([th("P", [("300", "40"), ("500", "80")])])
    assert quote_json(tiered, cart(line("A", "499.99")))["payable"] == "459.99"  # 300 tier: − 40
    assert quote_json(tiered, cart(line("A", "500")))["payable"] == "420.00"  # 500 tier: − 80
    assert quote_json(tiered, cart(line("A", "299.99")))["payable"] == "299.99"  # not reached


def test_repeat_counts_whole_thresholds_and_is_capped() -> None:
    every = rules([th("P", [("300", "50")], repeat=True, cap="150", layer="cross_store")])
    assert quote_json(every, cart(line("A", "899.99")))["payable"] == "799.99"  # 2 × 50
    assert quote_json(every, cart(line("A", "1000")))["payable"] == "850.00"  # 3 × 50 = 150
    result = quote_json(every, cart(line("A", "1300")))  # 4 × 50 = 200, capped at 150
    assert result["payable"] == "1150.00"
    assert "封顶 ¥150.00" in result["explanation_zh"]


def test_a_discount_never_exceeds_the_current_amounts_of_its_lines() -> None:
    # 无门槛券 50.00 on a 30.00 line: only 30.00
    no_threshold = rules(coupons=[th("Q", [("0", "50")], layer="platform")])
    result = quote_json(no_threshold, cart(line("A", "30"), held=["Q"]))
    assert (result["payable"], _steps(result)) == ("0.00", [("Q", "30.00", [(0, "30.00")])])
    assert "以参与商品当前金额 ¥30.00 为限" in result["explanation_zh"]


# --- 5. basis (explicit) ---------------------------------------------------------------------------------


def test_basis_list_measures_at_list_price_for_threshold_and_repeat_count() -> None:
    item = item_offer("I", "percent_off", ALL, rate="0.5")
    # 2 × 300.00 at 标价 = 600 → 每满300 counts 2 (list) but the current amount is 300 → 1 (current)
    listed = rules([item, th("P", [("300", "10")], repeat=True, basis="list")])
    current = rules([item, th("P", [("300", "10")], repeat=True, basis="current")])
    assert quote_json(listed, cart(line("A", "300", 2)))["payable"] == "280.00"  # 300 − 2 × 10
    assert quote_json(current, cart(line("A", "300", 2)))["payable"] == "290.00"  # 300 − 10


# --- 6. apportionment ------------------------------------------------------------------------------------


def test_apportionment_by_largest_remainder_with_ties_to_the_earlier_line() -> None:
    # 0.10 over three lines of 1.00: 3.33 fen each → 3 + 3 + 3, the spare fen to line 0
    tiny = rules([th("P", [("0", "0.10")])])
    result = quote_json(tiny, cart(line("A", "1"), line("B", "1"), line("C", "1")))
    assert _steps(result) == [("P", "0.10", [(0, "0.04"), (1, "0.03"), (2, "0.03")])]
    assert _amounts(result) == ["0.96", "0.97", "0.97"]


def test_the_spec_example_cart_by_hand() -> None:
    # A1 2 × 199.00 → 八折 159.20 → 318.40; C1 2 × 150.00, 秒杀 99 for 1 → 249.00; B1 60.00 − 20 → 40.00
    # P1 (S1, current): 318.40 + 249.00 = 567.40 ≥ 500 → 80.00: 80 × 318.40 / 567.40 = 44.8925,
    #   80 × 249 / 567.40 = 35.1075 → floors 44.89 + 35.10, spare fen to the larger remainder (C1) → 35.11
    # P1b (all, 每满300减50, current): 273.51 + 213.89 + 40.00 = 527.40 → 1 × 50.00:
    #   25.9302 / 20.2777 / 3.7922 → 25.93, 20.27 + 1 (largest remainder), 3.79
    # Q1 (满199减20): C1 carries P4, its exclusive partner → Q1 takes A1 247.58 and B1 36.21 = 283.79 → 20.00:
    #   17.448 / 2.5519 → 17.44 + 1, 2.55
    loaded = service.load_rules(SPEC_EXAMPLE)
    basket = cart(
        line("A1", "199.00", 2, shop="S1"),
        line("C1", "150.00", 2, shop="S1"),
        line("B1", "60.00", 1, shop="S2", category="食品"),
        held=["Q1"],
    )
    result = quote_json(loaded, basket)
    assert result["payable"] == "457.40"
    assert _steps(result) == [
        ("P2", "79.60", [(0, "79.60")]),
        ("P3", "20.00", [(2, "20.00")]),
        ("P4", "51.00", [(1, "51.00")]),
        ("P1", "80.00", [(0, "44.89"), (1, "35.11")]),
        ("P1b", "50.00", [(0, "25.93"), (1, "20.28"), (2, "3.79")]),
        ("Q1", "20.00", [(0, "17.45"), (2, "2.55")]),
    ]
    assert _amounts(result) == ["230.13", "193.61", "33.66"]
    explanation = result["explanation_zh"].splitlines()
    assert explanation[0] == "标价合计 ¥758.00（3 行，共 5 件）"
    assert explanation[4] == (
        "4. 店铺满300减40（P1）：第1、2行按当前金额合计 ¥567.40 ≥ ¥500.00，减 ¥80.00"
        "（分摊：第1行 ¥44.89、第2行 ¥35.11）"
    )
    assert explanation[-1] == "应付 ¥457.40"
    assert len(explanation) == 1 + 6 + 1  # header, one line per step, 应付


# --- 2. offers and lines: contested lines, optional offers, coupons, exclusive pairs, tie-breaks --------


def test_a_contested_line_goes_where_the_consumer_pays_least() -> None:
    both = rules([th("P1", [("100", "10")]), th("P2", [("100", "30")], scope={"skus": ["A"]})])
    result = quote_json(both, cart(line("A", "100")))
    assert (result["payable"], [s["id"] for s in result["steps"]]) == ("70.00", ["P2"])


def test_an_automatic_promotion_cannot_be_declined_but_an_optional_one_can() -> None:
    coupon = th("Q", [("95", "30")], layer="platform")
    # automatic 直降10 → 90.00, then the coupon (current) sees 90 < 95 → 90.00
    forced = rules([item_offer("I", "amount_off", ALL, discount="10")], [coupon])
    assert quote_json(forced, cart(line("A", "100"), held=["Q"]))["payable"] == "90.00"
    # optional: declining it lets the coupon reach → 70.00
    optional = rules([item_offer("I", "amount_off", ALL, discount="10", automatic=False)], [coupon])
    result = quote_json(optional, cart(line("A", "100"), held=["Q"]))
    assert (result["payable"], [s["id"] for s in result["steps"]]) == ("70.00", ["Q"])
    # an optional promotion that helps is used
    helpful = rules([th("O", [("100", "10")], automatic=False)])
    assert quote_json(helpful, cart(line("A", "100")))["payable"] == "90.00"


def test_only_held_coupons_are_used() -> None:
    loaded = rules(coupons=[th("Q", [("50", "5")], layer="platform")])
    assert quote_json(loaded, cart(line("A", "100")))["payable"] == "100.00"
    assert quote_json(loaded, cart(line("A", "100"), held=["Q"]))["payable"] == "95.00"


def test_a_line_may_go_to_an_offer_that_is_not_reached() -> None:
    # X matches P_A (满100减10) and P_B (满1000减500, out of reach); Q (满50减20) may not share a line
    # with P_A.
    # Giving X to P_A: 90.00 and no coupon. Giving it to P_B (not reached): the coupon applies → 80.00.
    loaded = rules(
        [th("PA", [("100", "10")]), th("PB", [("1000", "500")], scope={"skus": ["X"]})],
        [th("Q", [("50", "20")], layer="platform")],
        exclusive=[["PA", "Q"]],
    )
    result = quote_json(loaded, cart(line("X", "100"), held=["Q"]))
    assert (result["payable"], [s["id"] for s in result["steps"]]) == ("80.00", ["Q"])


def test_exclusive_pairs_never_share_a_line_but_an_unreached_partner_does_not_block() -> None:
    loaded = rules(
        [th("P1", [("300", "40")])], [th("Q1", [("50", "5")], layer="platform")], exclusive=[["P1", "Q1"]]
    )
    assert quote_json(loaded, cart(line("A", "300"), held=["Q1"]))["payable"] == "260.00"  # P1 only
    assert quote_json(loaded, cart(line("A", "100"), held=["Q1"]))["payable"] == "95.00"  # P1 not reached


def test_ties_prefer_fewer_coupons() -> None:
    # an optional promotion and a coupon, exclusive, each 满100减10: either gives 90.00 → the promotion
    loaded = rules(
        [th("O", [("100", "10")], layer="platform", automatic=False)],
        [th("Q", [("100", "10")], layer="platform")],
        exclusive=[["O", "Q"]],
    )
    result = quote_json(loaded, cart(line("A", "100"), held=["Q"]))
    assert (result["payable"], [s["id"] for s in result["steps"]]) == ("90.00", ["O"])


def test_ties_then_prefer_the_smallest_sorted_pair_list() -> None:
    # two equal coupons and two equal lines: (0, QA), (1, QB) beats (0, QB), (1, QA)
    loaded = rules(
        coupons=[th("QB", [("100", "10")], layer="platform"), th("QA", [("100", "10")], layer="platform")]
    )
    result = quote_json(loaded, cart(line("A", "100"), line("B", "100"), held=["QB", "QA"]))
    assert result["payable"] == "180.00"
    assert _steps(result) == [("QB", "10.00", [(1, "10.00")]), ("QA", "10.00", [(0, "10.00")])]


def test_a_coupon_that_gives_nothing_is_not_reported() -> None:
    loaded = rules(coupons=[th("Q", [("500", "50")], layer="platform")])
    result = quote_json(loaded, cart(line("A", "100"), held=["Q"]))
    assert (result["payable"], result["steps"]) == ("100.00", [])
    assert "没有可用的优惠" in result["explanation_zh"]


# --- 5. readings of omitted fields -------------------------------------------------------------------------


def test_an_omitted_basis_gives_a_range_when_the_readings_disagree() -> None:
    loaded = rules([item_offer("I", "amount_off", ALL, discount="5"), th("P1", [("100", "10")], basis=None)])
    # 100.00 → 直降5 → 95.00; list: 100 ≥ 100 → 85.00; current: 95 < 100 → 95.00
    result = quote_json(loaded, cart(line("A", "100")))
    assert (result["payable"], result["ambiguous"], result["range"]) == (None, True, ["85.00", "95.00"])
    assert result["ambiguous_fields"] == ["P1.basis"]
    assert result["readings"] == [
        {"assignment": {"P1.basis": "list"}, "payable": "85.00"},
        {"assignment": {"P1.basis": "current"}, "payable": "95.00"},
    ]
    assert [[s["id"] for s in steps] for steps in result["steps"]] == [["I", "P1"], ["I"]]
    assert [[row["amount"] for row in rows] for rows in result["lines"]] == [["85.00"], ["95.00"]]
    assert result["explanation_zh"].splitlines()[-1] == "应付 ¥85.00 至 ¥95.00（取决于对规则的理解）"


def test_an_omitted_basis_that_cannot_matter_here_is_listed_but_not_ambiguous() -> None:
    loaded = rules(
        [item_offer("I", "amount_off", {"skus": ["Z"]}, discount="5"), th("P1", [("100", "10")], basis=None)]
    )
    result = quote_json(loaded, cart(line("A", "200")))
    assert (result["payable"], result["ambiguous"], result["range"]) == ("190.00", False, None)
    assert result["ambiguous_fields"] == ["P1.basis"]
    assert result["readings"] == [{"assignment": {}, "payable": "190.00"}]
    assert isinstance(result["steps"][0], dict)


def test_an_omitted_repeat_reads_as_once_or_every() -> None:
    loaded = rules([th("P", [("100", "10")], repeat=None)])
    result = quote_json(loaded, cart(line("A", "250")))
    # 满: 240.00; 每满: 2 × 10 → 230.00
    assert result["readings"] == [
        {"assignment": {"P.repeat": False}, "payable": "240.00"},
        {"assignment": {"P.repeat": True}, "payable": "230.00"},
    ]
    assert result["range"] == ["230.00", "240.00"]
    # below twice the threshold both readings agree
    assert quote_json(loaded, cart(line("A", "199.99")))["payable"] == "189.99"


def test_readings_are_all_combinations_in_the_spec_order() -> None:
    loaded = rules(
        [item_offer("I", "amount_off", ALL, discount="5"), th("P", [("100", "10")], repeat=None, basis=None)]
    )
    result = quote_json(loaded, cart(line("A", "200")))
    # 200 → 195 current. repeat false/list: 185; false/current: 185;
    # true/list: 2×10 → 175; true/current: 1×10 → 185
    assert [(r["assignment"], r["payable"]) for r in result["readings"]] == [
        ({"P.repeat": False, "P.basis": "list"}, "185.00"),
        ({"P.repeat": False, "P.basis": "current"}, "185.00"),
        ({"P.repeat": True, "P.basis": "list"}, "175.00"),
        ({"P.repeat": True, "P.basis": "current"}, "185.00"),
    ]


def test_the_quote_shape() -> None:
    result = quote_json(rules([th("P", [("100", "10")])]), cart(line("A", "100", 2, shop="S9")))
    assert set(result) == {
        "payable",
        "ambiguous",
        "range",
        "ambiguous_fields",
        "readings",
        "list_total",
        "lines",
        "steps",
        "explanation_zh",
    }
    assert result["lines"] == [
        {"index": 0, "sku": "A", "shop": "S9", "qty": 2, "list_amount": "200.00", "amount": "190.00"}
    ]
    assert result["steps"] == [
        {
            "id": "P",
            "title": "",
            "layer": "shop",
            "kind": "promotion",
            "discount": "10.00",
            "lines": [{"index": 0, "sku": "A", "share": "10.00"}],
        }
    ]
    assert (result["readings"], result["ambiguous_fields"], result["list_total"]) == ([], [], "200.00")
