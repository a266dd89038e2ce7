"""``tianping complaints import|template|triage``: hotline exports in, batch triage.

An import is all or nothing: any invalid row rejects the file with a per-row report (printed, and
written to ``--errors FILE``) and nothing is registered. Re-importing the same export changes nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from tianping.cli.common import cli_actor, cli_errors, fail
from tianping.complaints.import_columns import CHANNELS, import_template
from tianping.complaints.importer import run_import, write_error_report
from tianping.complaints.triage import pending_tickets, triage_many
from tianping.core.db import unit_of_work
from tianping.core.errors import ImportRejected

console = Console()
err_console = Console(stderr=True)
ERRORS_PRINTED = 50
TRIAGE_BATCH = 2_000


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _print_rejection(exc: ImportRejected, errors_out: Path | None) -> None:
    table = Table("行号", "列", "问题", title=f"{exc.message}（共 {exc.total_rows} 行数据）")
    for e in exc.row_errors[:ERRORS_PRINTED]:
        table.add_row(str(e.row), e.column, e.message)
    err_console.print(table)
    hidden = len(exc.row_errors) - ERRORS_PRINTED
    if hidden > 0:
        err_console.print(
            f"……另有 {hidden} 条错误未显示" + ("" if errors_out else "（可用 --errors 文件.csv 导出全部）")
        )
    if errors_out is not None:
        write_error_report(exc.row_errors, errors_out)
        err_console.print(f"全部 {len(exc.row_errors)} 条错误已写入 {errors_out}")


def _channel(value: str) -> str:
    if value not in CHANNELS:
        raise fail(f"不支持的渠道：{value}（可用：{'、'.join(CHANNELS)}）")
    return value


def import_cmd(
    file: Annotated[
        Path, typer.Argument(help="12345/12315 工单导出文件（CSV 或 XLSX）", exists=True, dir_okay=False)
    ],
    channel: Annotated[str, typer.Option(help="来源渠道：12345 或 12315")],
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="列映射文件（YAML/JSON：字段: 列名，如 text: 来电内容）", exists=True, dir_okay=False
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验，不写入")] = False,
    errors_out: Annotated[
        Path | None, typer.Option("--errors", help="校验失败时把全部逐行错误写入此 CSV 文件", dir_okay=False)
    ] = None,
    no_triage: Annotated[
        bool, typer.Option("--no-triage", help="只登记不分拣（更快；之后运行 tianping complaints triage）")
    ] = False,
) -> None:
    """导入 12345/12315 工单：任一行有误则整体不写入；再次导入同一文件不会重复登记。"""
    channel = _channel(channel)
    mapping_data = mapping.read_bytes() if mapping else None
    data = file.read_bytes()
    started = time.perf_counter()
    tasks: dict[str, TaskID] = {}
    with _progress() as progress:

        def report(phase: str, done: int, total: int) -> None:
            label = "登记并分拣" if not no_triage else "登记"
            if phase not in tasks:
                tasks[phase] = progress.add_task(label, total=max(total, 1))
            progress.update(tasks[phase], completed=done, total=max(total, 1))

        try:
            with unit_of_work() as session:
                result = run_import(
                    session=session,
                    data=data,
                    filename=file.name,
                    channel=channel,
                    mapping=mapping_data,
                    actor=cli_actor(),
                    dry_run=dry_run,
                    triage=not no_triage,
                    progress=report,
                )
        except ImportRejected as exc:
            progress.stop()
            _print_rejection(exc, errors_out)
            raise typer.Exit(code=2) from None
    seconds = time.perf_counter() - started
    rate = result.total_rows / seconds if seconds > 0 else 0.0
    console.print(f"{result.summary()}；用时 {seconds:.1f} 秒（{rate:,.0f} 行/秒）")


def template_cmd(
    channel: Annotated[str, typer.Option(help="来源渠道：12345 或 12315")],
    out: Annotated[Path, typer.Option(help="输出的 .xlsx 文件", dir_okay=False)],
) -> None:
    """生成工单导入模板（表头 + 一行虚构示例 + 列说明）。"""
    channel = _channel(channel)
    if out.suffix.lower() != ".xlsx":
        raise fail(f"模板只能是 .xlsx 文件：{out.name}")
    out.write_bytes(import_template(channel))
    console.print(f"已生成 {channel} 工单导入模板：{out}")


def triage_cmd(
    all_pending: Annotated[
        bool, typer.Option("--all-pending", help="重新分拣所有“登记”状态的工单（默认只分拣尚无分类的）")
    ] = False,
) -> None:
    """分拣已登记的工单：分类、关联经营者、查重、确定管辖与承办单位（批量）。"""
    started = time.perf_counter()
    done = 0
    with unit_of_work() as session:
        tickets = pending_tickets(session, all_registered=all_pending)
        if not tickets:
            console.print("没有需要分拣的工单")
            return
        actor = cli_actor()
        with _progress() as progress:
            task = progress.add_task("分拣", total=len(tickets))
            for start in range(0, len(tickets), TRIAGE_BATCH):
                done += triage_many(
                    session=session, tickets=tickets[start : start + TRIAGE_BATCH], actor=actor
                )
                progress.update(task, completed=done)
    seconds = time.perf_counter() - started
    rate = done / seconds if seconds > 0 else 0.0
    console.print(f"已分拣 {done} 件工单；用时 {seconds:.1f} 秒（{rate:,.0f} 件/秒）")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``tianping complaints``."""
    app.command("import")(cli_errors(import_cmd))
    app.command("template")(cli_errors(template_cmd))
    app.command("triage")(cli_errors(triage_cmd))
