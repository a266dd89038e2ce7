"""``tianping complaints taxonomy|remind|overdue``: the category taxonomy and deadline follow-up.

``taxonomy import FILE`` validates the file and installs it as ``<home>/complaints/taxonomy.yaml``
(it replaces the shipped taxonomy as a whole); a bad file prints one zh-CN line and exits with 2.
``remind`` sends due-soon reminders and overdue escalations once per clock (safe to run from cron).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tianping.cli.common import cli_actor, cli_errors, fail
from tianping.complaints import clocks
from tianping.complaints.deadlines import RULE_KINDS, load_deadlines
from tianping.complaints.models import TICKET_KIND_LABELS, TicketKind
from tianping.complaints.taxonomy import dump_taxonomy, install_taxonomy, load_taxonomy, taxonomy_path
from tianping.core.db import unit_of_work
from tianping.core.timeutil import format_local, local_zone

console = Console()


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise fail(
            f"时间 {text!r} 无效，应为 ISO 格式，例如 2025-10-09T09:00 或 2025-10-09T09:00+08:00"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value.astimezone(UTC)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``tianping complaints``."""
    taxonomy_app = typer.Typer(help="投诉举报分类（可由管理人员编辑）", no_args_is_help=True)
    app.add_typer(taxonomy_app, name="taxonomy")

    @taxonomy_app.command("show")
    @cli_errors
    def taxonomy_show() -> None:
        """列出当前生效的分类：代码、路径、主管部门、行业门类、12345 类别、关键词数。"""
        taxonomy = load_taxonomy()
        source = taxonomy_path() if taxonomy_path().is_file() else "系统内置"
        table = Table(title=f"投诉举报分类（{source}）")
        for header in ("代码", "分类", "主管部门", "行业门类", "12345 类别", "关键词"):
            table.add_column(header, overflow="fold")
        for c in taxonomy.all():
            table.add_row(
                c.code,
                c.path,
                c.department,
                "、".join(c.industry_sections) or "—",
                c.hotline_class,
                str(len(c.keywords)),
            )
        console.print(table)

    @taxonomy_app.command("export")
    @cli_errors
    def taxonomy_export(
        out: Annotated[Path, typer.Option("--out", help="写入的 YAML 文件")],
    ) -> None:
        """把当前生效的分类导出为 YAML（可编辑后再 import）。"""
        out.write_text(dump_taxonomy(load_taxonomy()), encoding="utf-8")
        typer.echo(f"已导出 {len(load_taxonomy().all())} 个分类到 {out}")

    @taxonomy_app.command("import")
    @cli_errors
    def taxonomy_import(
        file: Annotated[Path, typer.Argument(help="分类 YAML 文件（格式见内置 taxonomy.yaml 的说明）")],
        check: Annotated[bool, typer.Option("--check", help="只校验文件，不安装")] = False,
    ) -> None:
        """校验并安装分类文件（替换整个分类）；文件有误时不安装，退出码 2。"""
        raw = file.read_bytes()
        if check:
            from tianping.complaints.taxonomy import parse_taxonomy_text

            taxonomy = parse_taxonomy_text(raw)
            typer.echo(f"文件有效：{len(taxonomy.all())} 个分类，{len(taxonomy.leaves())} 个末级分类")
            return
        target, taxonomy = install_taxonomy(raw)
        typer.echo(f"已安装 {len(taxonomy.all())} 个分类（{len(taxonomy.leaves())} 个末级分类）到 {target}")

    @app.command("deadlines")
    @cli_errors
    def deadlines_show() -> None:
        """列出处理时限：法定时限及其依据，以及 12345 办理时限表（示例配置）。"""
        deadlines = load_deadlines()
        table = Table(title="处理时限")
        for header in ("代码", "名称", "时限", "依据", "可暂停"):
            table.add_column(header, overflow="fold")
        for kind in RULE_KINDS:
            rule = deadlines.rule(kind)
            table.add_row(kind, rule.label, rule.describe, rule.basis, rule.pause_basis or "否")
        console.print(table)
        hotline = deadlines.hotline
        limits = Table(title=f"{hotline.label}（{hotline.basis}；{hotline.note}）")
        limits.add_column("紧急程度", overflow="fold")
        for name in hotline.classes.values():
            limits.add_column(name, overflow="fold")
        units = {"workdays": "个工作日", "days": "日", "hours": "小时"}
        for urgency, row in hotline.limits.items():
            cells = [f"{row[c][1]} {units[row[c][0]]}" for c in hotline.classes]
            limits.add_row(hotline.urgencies[urgency], *cells)
        console.print(limits)

    @app.command("remind")
    @cli_errors
    def remind(
        now: Annotated[
            str | None, typer.Option("--now", help="按此时间计算（ISO 格式，默认当前时间）")
        ] = None,
    ) -> None:
        """发送临期提醒和超期督办（每个时限各一次，可重复运行）。"""
        at = _parse_now(now)
        with unit_of_work() as session:
            run = clocks.send_reminders(session=session, now=at)
        refreshed = f"，{run.refreshed} 个暂定期限已按节假日安排重算" if run.refreshed else ""
        typer.echo(f"临期提醒 {run.reminded} 件，超期督办 {run.escalated} 件{refreshed}")

    @app.command("overdue")
    @cli_errors
    def overdue(
        now: Annotated[
            str | None, typer.Option("--now", help="按此时间计算（ISO 格式，默认当前时间）")
        ] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="最多列出多少条")] = 200,
        soon: Annotated[bool, typer.Option("--soon", help="列出临期（而非已超期）的时限")] = False,
    ) -> None:
        """列出已超期（或 --soon 临期）的时限，按到期时间排序。"""
        at = _parse_now(now)
        actor = cli_actor()
        with unit_of_work() as session:
            lister = clocks.due_soon if soon else clocks.overdue
            rows = lister(session=session, actor=actor, now=at, limit=limit)
            title = "临期时限" if soon else "超期时限"
            table = Table("工单号", "类型", "时限", "到期", "依据", title=f"{title}（{len(rows)} 条）")
            for ticket, clock in rows:
                kind = TICKET_KIND_LABELS.get(TicketKind(ticket.kind), ticket.kind)
                table.add_row(
                    ticket.ticket_no,
                    kind,
                    clocks.clock_label(clock.kind),
                    format_local(clock.due_at),
                    clock.basis,
                )
        console.print(table)
