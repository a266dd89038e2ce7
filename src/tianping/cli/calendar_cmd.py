"""``tianping calendar``: inspect the working-day calendar and import newly published years.

Bad input (a malformed file, a date that is not ``YYYY-MM-DD``, a year without a schedule) prints one
zh-CN line ``错误：…`` to stderr and exits with code 2.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from tianping.core import calendar
from tianping.core.errors import TianpingError
from tianping.core.settings import get_settings

app = typer.Typer(help="法定节假日日历", no_args_is_help=True, add_completion=False)

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _fail(message: str) -> NoReturn:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code=2)


def _parse_date(text: str) -> date:
    value = text.strip()
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    _fail(f"日期 {text!r} 无效，应为 YYYY-MM-DD，例如 2025-10-08")


def _parse_int(text: str, what: str, *, minimum: int, maximum: int) -> int:
    value = text.strip()
    if re.fullmatch(r"[0-9]+", value, re.ASCII) and minimum <= int(value) <= maximum:
        return int(value)
    _fail(f"{what} {text!r} 无效，应为 {minimum}–{maximum} 之间的整数")


def _describe(day: date) -> str:
    info = calendar.describe(day)
    kind = "工作日" if info.is_workday else "休息日"
    extra = info.holiday or info.note
    return f"{day.isoformat()} {info.weekday_name} {kind}" + (f"（{extra}）" if extra else "")


@app.command("import")
def import_schedule(
    file: Annotated[Path, typer.Argument(help="日历 JSON 文件（格式见 tianping.core.calendar 文档）")],
    check: Annotated[bool, typer.Option("--check", help="只校验文件，不安装")] = False,
) -> None:
    """校验并安装一年的法定节假日安排（放假日与调休上班日）。"""
    try:
        schedule = calendar.load_schedule(file)
        summary = (
            f"{schedule.year} 年：{len(schedule.holidays)} 个放假日，"
            f"{len(schedule.workdays)} 个调休上班日（来源：{schedule.source}）"
        )
        if check:
            typer.echo(f"文件有效：{summary}")
            return
        try:
            replaced = schedule.year in calendar.covered_years()
        except TianpingError:
            replaced = True  # an installed file of some year is broken; installing may repair it
        target = calendar.install_schedule(schedule, get_settings().home)
    except TianpingError as exc:
        _fail(exc.message)
    except OSError as exc:
        _fail(f"无法写入日历文件：{exc.strerror or exc}")
    verb = "已替换" if replaced else "已导入"
    typer.echo(f"{verb} {summary} → {target}")


@app.command("show")
def show(year: Annotated[str, typer.Argument(metavar="YEAR", help="年份，例如 2026")]) -> None:
    """列出某年的放假日和调休上班日。"""
    number = _parse_int(year, "年份", minimum=calendar.MIN_YEAR, maximum=calendar.MAX_YEAR)
    try:
        schedule = calendar.schedule_for(number)
    except TianpingError as exc:
        _fail(exc.message)
    table = Table(title=f"{number} 年法定节假日安排", caption=f"来源：{schedule.source}")
    table.add_column("日期")
    table.add_column("星期")
    table.add_column("类型")
    table.add_column("名称")
    rows = [(d, "放假", name) for d, name in schedule.holidays.items()]
    rows += [(d, "调休上班", note) for d, note in schedule.workdays.items()]
    for day, kind, name in sorted(rows):
        table.add_row(day.isoformat(), calendar.WEEKDAY_NAMES[day.weekday()], kind, name)
    Console(width=100).print(table)


@app.command("export")
def export(
    year: Annotated[str, typer.Argument(metavar="YEAR", help="年份，例如 2026")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="写入文件（默认输出到屏幕）")] = None,
) -> None:
    """以导入文件格式导出某年的安排（可修改后重新导入）。"""
    number = _parse_int(year, "年份", minimum=calendar.MIN_YEAR, maximum=calendar.MAX_YEAR)
    try:
        text = calendar.dump_schedule(calendar.schedule_for(number))
    except TianpingError as exc:
        _fail(exc.message)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"无法写入 {output}：{exc.strerror or exc}")
    typer.echo(f"已导出 {number} 年安排 → {output}")


@app.command("check")
def check_date(date_text: Annotated[str, typer.Argument(metavar="DATE", help="日期 YYYY-MM-DD")]) -> None:
    """显示某天是工作日还是休息日，以及节日名称。"""
    day = _parse_date(date_text)
    try:
        typer.echo(_describe(day))
    except TianpingError as exc:
        _fail(exc.message)


@app.command("add-workdays", context_settings={"ignore_unknown_options": True})
def add_workdays(
    date_text: Annotated[str, typer.Argument(metavar="DATE", help="起算日期 YYYY-MM-DD（当天不计）")],
    n: Annotated[str, typer.Argument(metavar="N", help="工作日数（≥ 0）")],
) -> None:
    """计算 DATE 之后第 N 个工作日（DATE 当天不计入），例如法定期限的截止日。"""
    day = _parse_date(date_text)
    count = _parse_int(n, "工作日数", minimum=0, maximum=10_000)
    try:
        result = calendar.add_workdays(day, count)
    except TianpingError as exc:
        _fail(exc.message)
    typer.echo(result.isoformat())
