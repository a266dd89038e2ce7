"""The XLSX case file of a shop's findings, built directly (the page test covers the download)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from tests.price_audit_web.support import Runs
from tianping.core.errors import NotFound
from tianping.price_audit import casefile
from tianping.price_audit import findings_view as view


def _book(runs: Runs, shop: str, platform: str | None = None, proxy: bool = True):  # type: ignore[no-untyped-def]
    run, findings = view.open_run((runs.proxy if proxy else runs.with_tx).run_id)
    data = casefile.build_casefile(
        run,
        findings,
        shop_id=shop,
        platform=platform,
        officer="张警官（虚构）",
        generated_at=datetime(2025, 6, 20, 2, 0, tzinfo=UTC),
    )
    return load_workbook(io.BytesIO(data))


def test_sheets_rows_and_charts_of_a_shop_with_two_skus(runs: Runs) -> None:
    wb = _book(runs, "旗舰店")
    assert wb.sheetnames == ["概要", "发现", "价格序列", "每日价格"]
    summary = {row[0]: row[1] for row in wb["概要"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert summary["平台"] == "tmall" and summary["本店发现条数"] == 3 and summary["涉及 SKU 数"] == 2
    assert summary["生成时间"] == "2025-06-20 10:00:00"  # shown in Beijing time
    assert summary["经办人"] == "张警官（虚构）"
    assert summary["估算消费者多付金额"] == "本次运行没有成交数据，不作估算"
    assert summary["先涨后降：涨幅比例"] == "0.10" and summary["成交数据"].startswith("无")
    assert summary["观测数据"].startswith("file，82 行，SHA-256 ")
    rows = list(wb["发现"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[6]) for r in rows] == [("R1", "A-红色-XL"), ("R2", "B-蓝色"), ("R3", "A-红色-XL")]
    assert rows[0][7] == "商品 A-红色-XL" and rows[0][15] == "详情页价格代替成交"
    assert rows[2][3] == "《明码标价和禁止价格欺诈规定》第十七条第一款"
    assert rows[2][17] == view.RULE_EXPLANATIONS["R3"]
    series = list(wb["价格序列"].iter_rows(min_row=2, values_only=True))
    assert {r[2] for r in series} == {"A-红色-XL", "B-蓝色"}
    assert (
        "tmall",
        "旗舰店",
        "A-红色-XL",
        "2025-06-02 10:00:00",
        "详情页",
        119,
        150,
        None,
        None,
    ) in series  # empty cells read back as None
    daily = wb["每日价格"]
    assert len(daily._charts) == 2  # one native line chart per SKU
    assert daily._charts[0].title is not None


def test_a_shop_on_every_platform_and_an_unknown_one(runs: Runs) -> None:
    wb = _book(runs, "店铺9", proxy=False)
    summary = {row[0]: row[1] for row in wb["概要"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert summary["估算消费者多付金额（元）"] == 28
    assert "R6 的参考价为首页/列表页标示的较低价格" in summary["多付金额的定义"]
    with pytest.raises(NotFound):
        _book(runs, "店铺9", platform="tmall")
    with pytest.raises(NotFound):
        _book(runs, "没有这家店")


def test_file_names_are_safe() -> None:
    assert casefile.casefile_name("20250618T020000Z-1a2b3c", "店铺/../9") == (
        "价格审计案卷-店铺_9-20250618T020000Z-1a2b3c.xlsx"
    )
    assert casefile.safe_name("///") == "shop"
