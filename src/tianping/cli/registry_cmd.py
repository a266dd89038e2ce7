"""``tianping registry``: import market entities, write the import template, search, rebuild the index.

User mistakes (a file that is too big or not a spreadsheet, invalid rows) end with exit code 2 and a
zh-CN explanation, never a traceback. Commands act as the installation's operator (an administrator,
audited under ``cli:<OS user>``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from tianping import registry
from tianping.cli.common import cli_actor, cli_errors, fail
from tianping.core.db import unit_of_work
from tianping.core.errors import ImportRejected, RowError

app = typer.Typer(help="经营主体名录", no_args_is_help=True, add_completion=False)
console = Console()
err_console = Console(stderr=True)

ERRORS_PRINTED = 50


def _write_errors(path: Path, errors: list[RowError]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["行号", "列", "问题"])
        for e in errors:
            writer.writerow([e.row, e.column, e.message])


def _print_rejection(exc: ImportRejected, errors_out: Path | None) -> None:
    table = Table("行号", "列", "问题", title=f"{exc.message}（共 {exc.total_rows} 行数据）")
    for e in exc.row_errors[:ERRORS_PRINTED]:
        table.add_row(str(e.row), e.column, e.message)
    err_console.print(table)
    hidden = len(exc.row_errors) - ERRORS_PRINTED
    if hidden > 0:
        err_console.print(
            f"……另有 {hidden} 条错误未显示"
            + ("" if errors_out else "（可用 --errors-out 文件.csv 导出全部）")
        )
    if errors_out is not None:
        _write_errors(errors_out, exc.row_errors)
        err_console.print(f"全部 {len(exc.row_errors)} 条错误已写入 {errors_out}")


@app.command("import")
@cli_errors
def import_cmd(
    file: Annotated[
        Path, typer.Argument(help="CSV（UTF-8 或 GBK）或 XLSX 文件", exists=True, dir_okay=False)
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(help='列映射 JSON 文件，如 {"name": "企业名称"}', exists=True, dir_okay=False),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验，不写入")] = False,
    errors_out: Annotated[Path | None, typer.Option(help="校验失败时把全部逐行错误写入此 CSV 文件")] = None,
) -> None:
    """导入经营主体：任一行有误则整体不写入；再次导入同一文件不会产生重复。"""
    column_mapping = registry.parse_mapping_json(mapping.read_text(encoding="utf-8-sig")) if mapping else None
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=max(total, 1))
            progress.update(tasks[phase], completed=done, total=max(total, 1))

        try:
            with unit_of_work() as session:
                result = registry.import_file(
                    session=session,
                    source=file,
                    filename=file.name,
                    actor=cli_actor(),
                    mapping=column_mapping,
                    dry_run=dry_run,
                    progress=report,
                )
        except ImportRejected as exc:
            progress.stop()
            _print_rejection(exc, errors_out)
            raise typer.Exit(code=2) from None
    head = "校验通过（未写入）" if result.dry_run else "导入完成"
    console.print(
        f"{head}：新增 {result.created} 条，更新 {result.updated} 条，无变化 {result.unchanged} 条，"
        f"共 {result.total} 行，用时 {result.seconds:.1f} 秒（{result.rows_per_second:,.0f} 行/秒）"
    )


@app.command("template")
@cli_errors
def template_cmd(
    out: Annotated[Path, typer.Option(help="输出文件：.xlsx 或 .csv", dir_okay=False)],
) -> None:
    """生成空白导入模板（表头 + 一行虚构示例；XLSX 另附填写说明）。"""
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise fail(f"不支持的模板格式：{out.suffix or '（无扩展名）'}，请使用 .xlsx 或 .csv")
    registry.write_template(out)
    console.print(f"已生成导入模板：{out}")


@app.command("search")
@cli_errors
def search_cmd(
    query: Annotated[str, typer.Argument(help="名称、品牌、简称或统一社会信用代码（容错）")],
    limit: Annotated[int, typer.Option(help="最多显示条数", min=1, max=200)] = 20,
) -> None:
    """按名称、别名模糊检索经营主体（个人信息脱敏）。"""
    with unit_of_work() as session:
        results = registry.search_entities(session=session, text=query, actor=cli_actor(), limit=limit)
    table = Table(
        "编号",
        "名称",
        "类型",
        "统一社会信用代码/外部编号",
        "区县",
        "匹配",
        "匹配度",
        title=f"“{query}”的检索结果",
    )
    for e in results:
        table.add_row(
            str(e.id),
            e.name,
            e.kind_label,
            e.uscc or e.external_id or "",
            e.district_name or "",
            e.matched if e.matched and e.matched != e.name else "",
            f"{e.score:.0f}" if e.score is not None else "",
        )
    console.print(table if results else "没有找到相近的经营主体")


@app.command("reindex")
@cli_errors
def reindex_cmd() -> None:
    """重建名称检索索引（升级或批量修复数据后使用）。"""
    with console.status("正在重建名称检索索引……"), unit_of_work() as session:
        count = registry.reindex(session=session, actor=cli_actor())
    console.print(f"已重建检索索引：{count} 个经营主体")
