"""``tianping prices``: import price observations, audit them (rules R1–R7), list audit runs.

Unusable input ends with exit code 2 and one line naming the file, row and column of the first
problem; an audit ends with one summary line on standard error (duplicates dropped, episodes with
insufficient history, findings per rule) and exit code 0 whether or not there are findings.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from tianping import price_audit
from tianping.analytics import EngineUnavailable
from tianping.cli.common import cli_errors, fail
from tianping.price_audit.io import InputRejected, first_problem

app = typer.Typer(
    help="促销价格审计（划线价、先涨后降、限时促销、页面价差）", no_args_is_help=True, add_completion=False
)
console = Console()
err_console = Console(stderr=True)
ERRORS_PRINTED = 50
BACKENDS = ("duckdb", "spark", "postgres")


class _Bars:
    """Rich progress bars on stderr, one per phase; cleared when done."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,  # a log file gets the summary line only
        )
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self.tasks:
            self.tasks[phase] = self.progress.add_task(phase, total=total or None)
        self.progress.update(self.tasks[phase], completed=done, total=total or None)


def _rejected(exc: InputRejected) -> typer.Exit:
    where = f"{exc.source.name} " if exc.source is not None else ""
    return fail(f"{where}{first_problem(exc)}")


def _decimal_option(value: str, name: str) -> Decimal:
    try:
        result = Decimal(value.strip())
    except ArithmeticError:
        raise fail(f"--{name}：不是有效数字：{value!r}") from None
    if not result.is_finite():
        raise fail(f"--{name}：不是有效数字：{value!r}")
    return result


def _date_option(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise fail(f"--{name}：不是 YYYY-MM-DD 日期：{value!r}") from None


@app.command("audit")
@cli_errors
def audit_cmd(
    observations: Annotated[
        Path | None,
        typer.Argument(
            help="观测文件（CSV 或 Parquet）；省略则审计观测库（tianping prices import 导入的数据）",
            dir_okay=False,
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="结果文件：.csv 或 .parquet", dir_okay=False)] = None,
    transactions: Annotated[
        Path | None,
        typer.Option(help="成交记录文件（platform, shop_id, sku_id, paid_at, unit_price）", dir_okay=False),
    ] = None,
    backend: Annotated[str, typer.Option(help="计算引擎：duckdb（默认）、spark、postgres")] = "duckdb",
    tolerance: Annotated[str, typer.Option(help="容差（元），如舍零取整")] = "0.00",
    history_start: Annotated[
        str | None, typer.Option(help="数据起始日 YYYY-MM-DD（默认取观测最早一天）")
    ] = None,
    raise_window: Annotated[int, typer.Option(help="先涨后降：比较开始前的涨价窗口（天）")] = 14,
    raise_ratio: Annotated[str, typer.Option(help="先涨后降：显著提价的比例（0.10 即 10%）")] = "0.10",
    baseline_days: Annotated[int, typer.Option(help="先涨后降：基准期天数（中位数）")] = 60,
    overrun_days: Annotated[int, typer.Option(help="限时促销期满后允许的天数")] = 1,
    pair_window: Annotated[int, typer.Option(help="列表页/结算页与详情页配对的时间窗（分钟）")] = 10,
    buckets: Annotated[
        int | None, typer.Option(help="分桶数（默认按数据量自动确定）；每桶完成即记录，可续跑")
    ] = None,
    resume: Annotated[str | None, typer.Option(help="续跑中断的审计运行（运行编号）")] = None,
    spark_master: Annotated[
        str | None, typer.Option(help="Spark master，如 local[4]、spark://host:7077")
    ] = None,
    postgres_url: Annotated[str | None, typer.Option(help="PostgreSQL 地址（--backend postgres）")] = None,
) -> None:
    """按 spec/price-observations.md 的规则 R1–R7 审计价格观测，输出涉嫌问题清单。"""
    if backend not in BACKENDS:
        raise fail(f"--backend：应为 {'、'.join(BACKENDS)} 之一，实际为 {backend!r}")
    engine = price_audit.EngineOptions(backend=backend, spark_master=spark_master, postgres_url=postgres_url)
    bars = _Bars()
    try:
        with bars.progress:
            if resume:
                run = price_audit.resume_audit(resume, engine=engine, out=out, progress=bars)
            else:
                if out is None:
                    raise fail("缺少 --out 结果文件（.csv 或 .parquet）")
                params = price_audit.AuditParams(
                    tolerance=_decimal_option(tolerance, "tolerance"),
                    history_start=_date_option(history_start, "history-start"),
                    raise_window=raise_window,
                    raise_ratio=_decimal_option(raise_ratio, "raise-ratio"),
                    baseline_days=baseline_days,
                    overrun_days=overrun_days,
                    pair_window=pair_window,
                )
                try:
                    run = price_audit.run_audit(
                        observations=observations,
                        transactions=transactions,
                        params=params,
                        engine=engine,
                        out=out,
                        buckets=buckets,
                        progress=bars,
                    )
                except InputRejected as exc:
                    raise _rejected(exc) from None
    except EngineUnavailable as exc:
        raise fail(f"引擎 {backend} 不可用：{exc}") from None
    output = run.manifest["output"]["path"]
    err_console.print(
        run.summary_zh() + (f"；结果：{output}" if output else ""), soft_wrap=True, highlight=False
    )


@app.command("import")
@cli_errors
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="观测文件（CSV 或 Parquet），可多个", dir_okay=False)],
    transactions: Annotated[bool, typer.Option("--transactions", help="这些文件是成交记录而非观测")] = False,
    into: Annotated[
        str, typer.Option(help="导入到：store（数据目录下的 Parquet 观测库，默认）或 postgres")
    ] = "store",
    postgres_url: Annotated[str | None, typer.Option(help="PostgreSQL 地址（--into postgres）")] = None,
    errors_out: Annotated[Path | None, typer.Option(help="校验失败时把逐行错误写入此 CSV 文件")] = None,
) -> None:
    """把观测（或成交记录）追加到观测库；任一文件有误则都不写入，同一文件重复导入不会重复追加。"""
    if into not in ("store", "postgres"):
        raise fail(f"--into：应为 store 或 postgres，实际为 {into!r}")
    kind = price_audit.InputKind.TRANSACTIONS if transactions else price_audit.InputKind.OBSERVATIONS
    bars = _Bars()
    try:
        with bars.progress:
            outcomes = price_audit.import_observations(
                files, kind=kind, into=into, postgres_url=postgres_url, progress=bars
            )
    except EngineUnavailable as exc:
        raise fail(f"PostgreSQL 不可用：{exc}") from None
    except InputRejected as exc:
        source = exc.source
        table = Table("行号", "列", "问题", title=f"{source.name if source else ''} {exc.message}")
        for e in exc.row_errors[:ERRORS_PRINTED]:
            table.add_row(str(e.row), e.column, e.message)
        err_console.print(table)
        if errors_out is not None:
            import csv

            with errors_out.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["行号", "列", "问题"])
                writer.writerows([e.row, e.column, e.message] for e in exc.row_errors)
            err_console.print(f"逐行错误已写入 {errors_out}")
        raise _rejected(exc) from None
    for o in outcomes:
        if o.skipped:
            console.print(f"{o.source.name}：内容与已导入的文件相同，跳过")
        else:
            console.print(f"{o.source.name}：已导入 {o.rows:,} 条{kind.label_zh}记录")
    if into == "postgres":
        held = price_audit.postgres_store_rows(postgres_url=postgres_url)
        where = "PostgreSQL"
    else:
        store = price_audit.observation_store()
        held = {kind.value: store.rows(kind) for kind in price_audit.InputKind}
        where = str(store.root)
    console.print(f"观测库现有观测 {held['observations']:,} 条、成交 {held['transactions']:,} 条（{where}）")


@app.command("runs")
@cli_errors
def runs_cmd(limit: Annotated[int, typer.Option(help="最多显示条数", min=1, max=1000)] = 20) -> None:
    """列出审计运行（最新在前）：输入、引擎、状态与结果数。"""
    table = Table(
        "运行编号", "开始（UTC）", "状态", "引擎", "观测", "涉嫌问题", "结果文件", title="价格审计运行"
    )
    for m in price_audit.list_runs()[:limit]:
        counts = m.get("counts") or {}
        table.add_row(
            m["run_id"],
            m["started_at"],
            m["status"],
            m["engine"]["name"],
            f"{counts.get('observations', 0):,}" if counts else "",
            f"{counts.get('findings', 0):,}" if counts else "",
            m["output"].get("path") or "",
        )
    console.print(table)
