"""`tianping reports …`: the monthly one-table report and the public open-data export."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from tianping.cli.common import cli_actor, cli_errors, fail
from tianping.complaints.kpi import KpiFilters, parse_month
from tianping.complaints.opendata import open_data_csv
from tianping.complaints.report import monthly_workbook
from tianping.core.db import unit_of_work
from tianping.core.divisions import district as district_of

app = typer.Typer(help="工作月报表与公开数据", no_args_is_help=True)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} 应为日期 YYYY-MM-DD：{value!r}") from None


@app.command("monthly")
@cli_errors
def monthly(
    month: Annotated[str, typer.Argument(help="月份 YYYY-MM，如 2025-06")],
    out: Annotated[Path, typer.Option("--out", help="输出的 XLSX 文件", dir_okay=False)],
    district: Annotated[str | None, typer.Option("--district", help="只统计此区（6 位区划代码）")] = None,
) -> None:
    """生成工作月报表（汇总 + 各维度分表 + 月度趋势 + 逾期工单，含 Excel 原生图表）。"""
    parse_month(month)
    if out.suffix.lower() != ".xlsx":
        raise fail("输出文件应以 .xlsx 结尾")
    if district is not None and district_of(district) is None:
        raise fail(f"未知的区县代码：{district}")
    filters = KpiFilters(district=district) if district else None
    with unit_of_work() as session:
        content = monthly_workbook(session=session, actor=cli_actor(), month=month, filters=filters)
    out.write_bytes(content)
    typer.echo(f"已生成 {out}（{len(content):,} 字节）")


@app.command("opendata")
@cli_errors
def opendata(
    date_from: Annotated[str, typer.Option("--from", help="起始日期 YYYY-MM-DD（含）")],
    date_to: Annotated[str, typer.Option("--to", help="截止日期 YYYY-MM-DD（含）")],
    out: Annotated[Path, typer.Option("--out", help="输出的 CSV 文件", dir_okay=False)],
) -> None:
    """导出公开数据（无个人信息，描述已脱敏，小样本分组隐去区）。"""
    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    with unit_of_work() as session:
        content = open_data_csv(session=session, actor=cli_actor(), start=start, end=end)
    out.write_bytes(content)
    rows = content.decode("utf-8-sig").count("\n") - 1
    typer.echo(f"已导出 {rows:,} 行到 {out}")
