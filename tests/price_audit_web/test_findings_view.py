"""The query layer over a run's findings: filters, pages, per-shop summary, one finding and its chart."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from tests.price_audit_web.support import EXPECTED_OVERPAID_SALES, EXPECTED_OVERPAYMENT, R1_WINDOW, Runs
from tianping.core.authz import Actor, Role
from tianping.core.errors import NotFound, PermissionDenied, ValidationFailed
from tianping.price_audit import findings_view as view
from tianping.price_audit.rules import RULES_BY_ID
from tianping.web.price_pages import chart_option


def _ids(runs: Runs, flt: view.FindingFilter, proxy: bool = False) -> list[str]:
    run, findings = view.open_run((runs.proxy if proxy else runs.with_tx).run_id)
    return view.filter_findings(run, findings, flt).column("rule_id").to_pylist()


def test_open_run_numbers_findings_in_the_run_order(runs: Runs) -> None:
    _run, findings = view.open_run(runs.with_tx.run_id)
    assert findings.column(view.FINDING_ID).to_pylist() == list(range(7))
    assert findings.column("rule_id").to_pylist() == [f"R{i}" for i in range(1, 8)]
    again = view.open_run(runs.with_tx.run_id)[1]
    assert again is findings  # cached: a finished run never changes


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (view.FindingFilter(), [f"R{i}" for i in range(1, 8)]),
        (view.FindingFilter(rule="R6"), ["R6"]),
        (view.FindingFilter(platform="jd"), ["R4", "R5"]),
        (view.FindingFilter(shop="旗舰店"), ["R1", "R2", "R3"]),
        (view.FindingFilter(platform="jd", shop="旗舰店"), []),
        (view.FindingFilter(category="b-蓝"), ["R2"]),  # title "商品 B-蓝色", case-insensitive
        (view.FindingFilter(category="商品 D"), ["R6", "R7"]),
        (view.FindingFilter(date_from=date(2025, 6, 1)), ["R1", "R2", "R3", "R5", "R6", "R7"]),
        (view.FindingFilter(date_to=date(2025, 5, 31)), ["R4"]),
        (view.FindingFilter(date_from=date(2025, 5, 2), date_to=date(2025, 5, 2)), ["R4"]),
        (view.FindingFilter(rule="R7", shop="店铺9", platform="pdd", date_from=date(2025, 6, 1)), ["R7"]),
        (view.FindingFilter(rule="  ", shop=""), [f"R{i}" for i in range(1, 8)]),
    ],
)
def test_filters(runs: Runs, flt: view.FindingFilter, expected: list[str]) -> None:
    assert _ids(runs, flt) == expected


def test_bad_filters_name_the_field() -> None:
    with pytest.raises(ValidationFailed) as bad_rule:
        view.FindingFilter(rule="R99")
    assert bad_rule.value.errors[0].field == "rule"
    with pytest.raises(ValidationFailed) as bad_dates:
        view.FindingFilter(date_from=date(2025, 6, 2), date_to=date(2025, 6, 1))
    assert bad_dates.value.errors[0].field == "date_to"


def test_filter_round_trips_as_query() -> None:
    flt = view.FindingFilter(rule="R1", shop="旗舰店", date_from=date(2025, 6, 1))
    assert flt.as_query() == {"rule": "R1", "shop": "旗舰店", "date_from": "2025-06-01"}
    assert flt.active and not view.FindingFilter().active


def test_pages(runs: Runs) -> None:
    run, findings = view.open_run(runs.with_tx.run_id)
    first = view.findings_page(run, findings, view.FindingFilter(), page=1, page_size=3)
    assert (first.total, first.pages, [r["rule_id"] for r in first.rows]) == (7, 3, ["R1", "R2", "R3"])
    last = view.findings_page(run, findings, view.FindingFilter(), page=99, page_size=3)
    assert last.page == 3 and [r[view.FINDING_ID] for r in last.rows] == [6]
    assert first.by_rule == {f"R{i}": 1 for i in range(1, 8)}
    narrow = view.findings_page(run, findings, view.FindingFilter(platform="pdd"))
    assert narrow.by_rule["R6"] == 1 and narrow.by_rule["R1"] == 0 and narrow.total == 2
    with pytest.raises(ValidationFailed):
        view.findings_page(run, findings, view.FindingFilter(), page_size=0)


def test_facets(runs: Runs) -> None:
    facets = view.facets(view.open_run(runs.with_tx.run_id)[1])
    assert facets.platforms == ["jd", "pdd", "tmall"]
    assert facets.shops == [("jd", "自营"), ("pdd", "店铺9"), ("tmall", "旗舰店")]


def test_shop_summary_with_transactions_matches_the_hand_computation(runs: Runs) -> None:
    run, findings = view.open_run(runs.with_tx.run_id)
    summaries, total = view.shop_summaries(run, findings)
    assert total == 3
    by_shop = {s.shop_id: s for s in summaries}
    d = by_shop["店铺9"]
    assert (d.platform, d.findings, d.skus, d.by_rule) == ("pdd", 2, 1, {"R6": 1, "R7": 1})
    assert d.overpayment == EXPECTED_OVERPAYMENT and d.overpaid_transactions == EXPECTED_OVERPAID_SALES
    flagship = by_shop["旗舰店"]
    assert (flagship.findings, flagship.skus) == (3, 2)  # R1 and R3 on A, R2 on B
    assert flagship.overpayment == Decimal("0.00")  # R1–R3 concern the compared price, not what was paid
    assert next(s.shop_id for s in summaries) == "旗舰店"  # most findings first


def test_shop_summary_without_transactions_does_not_estimate(runs: Runs) -> None:
    run, findings = view.open_run(runs.proxy.run_id)
    summaries, _ = view.shop_summaries(run, findings)
    assert all(s.overpayment is None for s in summaries)
    assert view.overpayment_by_shop(run, findings) is None


def test_shop_summary_of_a_filtered_set_and_the_limit(runs: Runs) -> None:
    run, findings = view.open_run(runs.with_tx.run_id)
    only_r7 = view.filter_findings(run, findings, view.FindingFilter(rule="R7"))
    (d,), total = view.shop_summaries(run, only_r7)
    # R7 alone: 95 − 88 = 7 and 99 − 88 = 11
    assert total == 1 and d.overpayment == Decimal("18.00") and d.overpaid_transactions == 2
    top, total = view.shop_summaries(run, findings, limit=1)
    assert total == 3 and len(top) == 1
    assert view.shop_summaries(run, findings.slice(0, 0)) == ([], 0)


def test_r1_detail_marks_the_window_and_its_low(runs: Runs) -> None:
    run, findings = view.open_run(runs.proxy.run_id)
    detail = view.finding_detail(run, findings, 0)
    assert detail.rule is RULES_BY_ID["R1"] and detail.window == R1_WINDOW
    assert "第十六条第二款" in detail.rule.article and detail.explanation == view.RULE_EXPLANATIONS["R1"]
    assert detail.low is not None and detail.low.price == Decimal("100.00")
    assert detail.low.at.isoformat() == "2025-05-27T10:00:00+08:00"  # 05-25 and 05-26 were still ¥150
    assert detail.title == "商品 A-红色-XL"
    # the series around the episode: from 7 days before the window to 14 days after the start
    assert detail.chart_start == date(2025, 5, 18) and detail.chart_end == date(2025, 6, 15)
    assert {o["day"] for o in detail.observations} >= {date(2025, 5, 18), date(2025, 6, 2)}
    # the duplicate at the same instant: the last one (¥119) stays
    june2 = [o["price"] for o in detail.observations if o["day"] == date(2025, 6, 2)]
    assert june2 == [Decimal("119.00")]


def test_r1_falls_back_to_the_last_sale_before_the_start(runs: Runs) -> None:
    run, findings = view.open_run(runs.with_tx.run_id)
    detail = view.finding_detail(run, findings, 0)
    assert detail.low is not None and detail.low.price == Decimal("100.00")  # the higher of a tie
    assert detail.low.at.date() == date(2025, 5, 10) and "此前最后一次" in detail.low.label


def test_r3_detail_marks_the_raise(runs: Runs) -> None:
    run, findings = view.open_run(runs.proxy.run_id)
    detail = view.finding_detail(run, findings, 2)
    assert detail.rule.id == "R3" and detail.raise_point is not None
    assert detail.raise_point.price == Decimal("150.00")
    assert detail.raise_point.at.date() == date(2025, 5, 20)
    labels = [label for label, _, _ in detail.spans]
    assert labels == ["基准期（计算中位数）", "涨价期（比较前）"]
    assert detail.spans[1][1:] == (date(2025, 5, 18), date(2025, 5, 31))


def test_chart_option_carries_the_window_low_and_start(runs: Runs) -> None:
    run, findings = view.open_run(runs.proxy.run_id)
    option = chart_option(view.finding_detail(run, findings, 0))
    shown = option["series"][0]
    assert shown["name"] == "详情页标示价"
    (area,) = shown["markArea"]["data"]
    assert area[0]["name"] == "比较前七日"
    assert (area[0]["xAxis"], area[1]["xAxis"]) == ("2025-05-25 00:00:00", "2025-06-01 00:00:00")
    (low,) = shown["markPoint"]["data"]
    assert low["coord"] == ["2025-05-27 10:00:00", "100.00"]
    assert shown["markLine"]["data"] == [{"xAxis": "2025-06-01 00:00:00"}]
    strike = option["series"][1]
    assert strike["name"] == "划线价" and ["2025-06-01 10:00:00", "150.00"] in strike["data"]


def test_chart_of_list_and_checkout_findings_shows_those_prices(runs: Runs) -> None:
    run, findings = view.open_run(runs.with_tx.run_id)
    detail = view.finding_detail(run, findings, 6)  # R7
    option = chart_option(detail)
    names = [s["name"] for s in option["series"]]
    assert names == ["详情页标示价", "划线价", "首页/列表价", "结算页价", "成交价"]
    assert detail.window is None and detail.spans == [
        ("结算价高于详情页价", date(2025, 6, 1), date(2025, 6, 2))
    ]
    assert option["series"][0]["markLine"]["label"]["formatter"] == "发现日 2025-06-01"
    # list/checkout pairs are minutes apart: one day either side of the run
    assert (detail.chart_start, detail.chart_end) == (date(2025, 5, 31), date(2025, 6, 3))


def test_unknown_finding_and_shop(runs: Runs) -> None:
    _run, findings = view.open_run(runs.proxy.run_id)
    with pytest.raises(NotFound):
        view.get_finding(findings, 7)
    with pytest.raises(NotFound):
        view.shop_findings(findings, "没有这家店")
    with pytest.raises(NotFound):
        view.open_run("19990101T000000Z-000000")
    with pytest.raises(NotFound):
        view.shop_findings(findings, "旗舰店", "jd")  # the shop is on tmall
    assert view.shop_findings(findings, "旗舰店", "tmall").num_rows == 3


def test_titles_are_cached_beside_the_run(runs: Runs) -> None:
    run, _ = view.open_run(runs.proxy.run_id)
    titles = view.series_titles(run)
    assert (run.run_dir / view.TITLES_FILE).exists()
    assert isinstance(titles, pa.Table) and titles.num_rows == 4
    assert view.series_titles(run).equals(titles)


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        ({Role.OFFICER}, True),
        ({Role.STATION_OFFICER}, True),
        ({Role.ADMIN}, True),
        ({Role.ANALYST}, False),
        ({Role.MEMBER_UNIT_HANDLER}, False),
        ({Role.PLATFORM_HANDLER}, False),
        ({Role.PUBLIC}, False),
    ],
)
def test_who_may_read(roles: set[Role], allowed: bool) -> None:
    actor = Actor(user_id=1, username="u", roles=frozenset(roles))
    assert view.may_read(actor) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            view.check_access(actor)
