"""The XLSX case file (案卷) of one shop's findings in an audit run.

Sheets: 概要 (shop, platform, run, parameters, inputs, counts, estimated over-payment, when and by whom),
发现 (one row per finding with its article and a plain-Chinese explanation), 价格序列 (the observations
of the affected SKUs around their findings) and 每日价格 (each SKU's daily shown and strike price, with a
native line chart per SKU). Exporting is an audited ``price_audit.casefile_export`` event.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from tianping.core.audit import record
from tianping.core.authz import Actor
from tianping.core.timeutil import format_local, utcnow
from tianping.price_audit import findings_view as view
from tianping.price_audit.rules import RULES, RULES_BY_ID
from tianping.price_audit.schemas import AUDIT_ZONE
from tianping.price_audit.service import AuditRun

MAX_CHARTS: Final = 12  # SKUs charted on 每日价格 (all are listed)
SERIES_MARGIN_DAYS: Final = 14
HEADER_FILL: Final = PatternFill("solid", fgColor="DDE5F0")
EVIDENCE_ZH: Final = {"transactions": "成交记录", "proxy": "详情页价格代替成交"}
SURFACE_ZH: Final = {"detail": "详情页", "list": "首页/列表", "checkout": "结算页"}
PARAM_ZH: Final = {
    "tolerance": "容差（元）",
    "history_start": "历史数据起始日",
    "raise_window": "先涨后降：涨价观察期（日）",
    "raise_ratio": "先涨后降：涨幅比例",
    "baseline_days": "先涨后降：基准期（日）",
    "overrun_days": "限时促销：期满宽限（日）",
    "pair_window": "页面比对时间窗（分钟）",
}
FINDING_HEADERS: Final = (
    "编号",
    "规则",
    "规则名称",
    "法规依据",
    "平台",
    "店铺",
    "SKU",
    "商品标题",
    "发现日期",
    "观测时间",
    "划线价",
    "标示价",
    "参考价",
    "时段起",
    "时段止",
    "依据数据",
    "发现说明",
    "通俗解释",
)


def _header(ws: Worksheet, headers: Sequence[str]) -> None:
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    ws.freeze_panes = "A2"


def _widths(ws: Worksheet, widths: Sequence[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def safe_name(text: str) -> str:
    """A file-name-safe form of a shop id (letters, digits, CJK, ``-_``)."""
    return re.sub(r"[^\w\-]+", "_", text).strip("_")[:60] or "shop"


def _summary_sheet(
    ws: Worksheet,
    run: AuditRun,
    shop: pa.Table,
    *,
    shop_id: str,
    platforms: list[str],
    officer: str,
    generated_at: datetime,
) -> None:
    m = run.manifest
    ws.title = "概要"
    ws.append(["价格审计案卷（涉嫌问题线索，供执法人员核查，不构成违法认定）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    summaries, _ = view.shop_summaries(run, shop, limit=len(platforms) or 1)
    over = [s.overpayment for s in summaries]
    rows: list[tuple[str, Any]] = [
        ("店铺", shop_id),
        ("平台", "、".join(platforms)),
        ("审计运行", m["run_id"]),
        ("引擎", m["engine"].get("description") or m["engine"]["name"]),
        ("运行开始", m["started_at"]),
        ("运行完成", m.get("finished_at") or ""),
        ("历史数据起始日", m.get("history_start") or ""),
    ]
    rows += [(PARAM_ZH.get(k, k), "" if v is None else str(v)) for k, v in m["params"].items()]
    for name, label in (("observations", "观测数据"), ("transactions", "成交数据")):
        record_ = m["inputs"].get(name)
        if record_ is None:
            rows.append((label, "无（以详情页标示价格代替成交）" if name == "transactions" else "无"))
            continue
        digest = record_.get("sha256") or record_.get("fingerprint") or ""
        rows.append((label, f"{record_.get('source')}，{record_.get('rows', 0):,} 行，SHA-256 {digest}"))
    rows.append(("本店发现条数", shop.num_rows))
    rows.append(("涉及 SKU 数", pc.count_distinct(shop.column("sku_id")).as_py()))
    counts = view._by_rule(shop)
    rows += [(f"{r.id} {r.title_zh}", counts[r.id]) for r in RULES]
    if any(o is not None for o in over):
        rows.append(("估算消费者多付金额（元）", sum((o for o in over if o is not None), Decimal("0.00"))))
        rows.append(("多付金额的定义", view.OVERPAYMENT_DEFINITION_ZH))
    else:
        rows.append(("估算消费者多付金额", "本次运行没有成交数据，不作估算"))
    rows.append(("生成时间", format_local(generated_at, "%Y-%m-%d %H:%M:%S")))
    rows.append(("经办人", officer))
    for key, value in rows:
        ws.append([key, value])
    for row in ws.iter_rows(min_row=3, max_col=1):
        row[0].font = Font(bold=True)
    for row in ws.iter_rows(min_row=3, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    _widths(ws, (30, 100))


def _findings_sheet(ws: Worksheet, shop: pa.Table, titles: dict[tuple[str, str, str], str]) -> None:
    _header(ws, FINDING_HEADERS)
    for f in shop.to_pylist():
        rule = RULES_BY_ID[f["rule_id"]]
        ws.append(
            [
                f[view.FINDING_ID],
                rule.id,
                rule.title_zh,
                f["article"],
                f["platform"],
                f["shop_id"],
                f["sku_id"],
                titles.get((f["platform"], f["shop_id"], f["sku_id"]), ""),
                f["episode_start"],
                format_local(f["observed_at"], "%Y-%m-%d %H:%M:%S"),
                f["strike_price"],
                f["price"],
                f["baseline_price"],
                f["window_start"],
                f["window_end"],
                EVIDENCE_ZH.get(f["evidence"], f["evidence"]),
                f["detail_zh"],
                view.RULE_EXPLANATIONS[rule.id],
            ]
        )
    for row in ws.iter_rows(min_row=2):
        for cell in row[8:9] + row[13:15]:
            cell.number_format = "yyyy-mm-dd"
        for cell in row[10:13]:
            cell.number_format = "#,##0.00"
        for cell in row[16:18]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _widths(ws, (8, 6, 22, 40, 10, 14, 16, 24, 12, 20, 10, 10, 10, 12, 12, 14, 60, 60))


def _series_range(shop: pa.Table) -> tuple[date, date]:
    first = min(pc.min(shop.column("window_start")).as_py(), pc.min(shop.column("episode_start")).as_py())
    last = max(pc.max(shop.column("window_end")).as_py(), pc.max(shop.column("episode_start")).as_py())
    return first - timedelta(days=SERIES_MARGIN_DAYS), last + timedelta(days=SERIES_MARGIN_DAYS)


def _series_sheet(ws: Worksheet, observations: list[dict[str, Any]]) -> None:
    _header(ws, ("平台", "店铺", "SKU", "观测时间", "页面", "标示价", "划线价", "划线价说明", "促销文字"))
    for o in observations:
        ws.append(
            [
                o["platform"],
                o["shop_id"],
                o["sku_id"],
                o["observed_at"].strftime("%Y-%m-%d %H:%M:%S"),
                SURFACE_ZH.get(o["surface"], o["surface"]),
                o["price"],
                o["strike_price"],
                o["strike_label"],
                o["promo_label"],
            ]
        )
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=7):
        for cell in row:
            cell.number_format = "#,##0.00"
    _widths(ws, (10, 14, 16, 20, 10, 10, 10, 12, 16))


def _daily_sheet(ws: Worksheet, observations: list[dict[str, Any]]) -> int:
    """Each SKU's shown price of a day (the day's last detail observation) and strike price, one block
    per SKU, with a native line chart beside the first :data:`MAX_CHARTS` blocks. Returns the chart count."""
    days: dict[tuple[str, str, str], dict[date, dict[str, Any]]] = {}
    for o in observations:
        if o["surface"] == "detail":
            days.setdefault((o["platform"], o["shop_id"], o["sku_id"]), {})[o["day"]] = o
    _header(ws, ("SKU", "日期", "当日标示价", "划线价"))
    charts = 0
    for key in sorted(days):
        first_row = ws.max_row + 1
        for day in sorted(days[key]):
            o = days[key][day]
            ws.append([f"{key[0]} / {key[2]}", day, o["price"], o["strike_price"]])
            ws.cell(row=ws.max_row, column=2).number_format = "yyyy-mm-dd"
        last_row = ws.max_row
        if charts < MAX_CHARTS:
            chart = LineChart()
            chart.title = f"{key[2]} 价格走势"
            chart.y_axis.title = "元"
            chart.x_axis.number_format = "mm-dd"
            chart.height, chart.width = 7, 16
            data = Reference(ws, min_col=3, max_col=4, min_row=first_row, max_row=last_row)
            chart.add_data(data, titles_from_data=False)
            chart.set_categories(Reference(ws, min_col=2, min_row=first_row, max_row=last_row))
            for series, name in zip(chart.series, ("当日标示价", "划线价"), strict=True):
                series.tx = SeriesLabel(v=name)
            ws.add_chart(chart, f"F{2 + charts * 15}")
            charts += 1
        ws.append([])
    _widths(ws, (26, 12, 12, 12))
    return charts


def build_casefile(
    run: AuditRun,
    findings: pa.Table,
    *,
    shop_id: str,
    platform: str | None,
    officer: str,
    generated_at: datetime | None = None,
) -> bytes:
    """The case file of ``shop_id`` (on ``platform``, or every platform it appears on) as XLSX bytes."""
    shop = view.shop_findings(findings, shop_id, platform)
    platforms = sorted(str(p) for p in pc.unique(shop.column("platform")).to_pylist())
    series = sorted(
        {
            (f["platform"], f["shop_id"], f["sku_id"])
            for f in shop.select(list(view.SERIES_COLUMNS)).to_pylist()
        }
    )
    start, end = _series_range(shop)
    observations = view.series_observations(run, series, start, end)
    titles: dict[tuple[str, str, str], str] = {}
    for o in observations:
        if o["title"]:
            titles[(o["platform"], o["shop_id"], o["sku_id"])] = o["title"]
    wb = Workbook()
    _summary_sheet(
        wb.active,
        run,
        shop,
        shop_id=shop_id,
        platforms=platforms,
        officer=officer,
        generated_at=generated_at or utcnow(),
    )
    _findings_sheet(wb.create_sheet("发现"), shop, titles)
    _series_sheet(wb.create_sheet("价格序列"), observations)
    _daily_sheet(wb.create_sheet("每日价格"), observations)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def casefile_name(run_id: str, shop_id: str) -> str:
    return f"价格审计案卷-{safe_name(shop_id)}-{run_id}.xlsx"


def export_casefile(
    *,
    session: Session,
    run_id: str,
    shop_id: str,
    platform: str | None = None,
    actor: Actor,
) -> tuple[str, bytes]:
    """The case file of a shop, for an officer; writes the ``price_audit.casefile_export`` audit event.
    Returns (file name, XLSX bytes)."""
    view.check_access(actor)
    run, findings = view.open_run(run_id)
    generated_at = utcnow()
    data = build_casefile(
        run,
        findings,
        shop_id=shop_id,
        platform=platform,
        officer=actor.username if not actor.org_name else f"{actor.username}（{actor.org_name}）",
        generated_at=generated_at,
    )
    shop = view.shop_findings(findings, shop_id, platform)
    record(
        session,
        actor=actor,
        action="price_audit.casefile_export",
        object_type="price_audit_run",
        object_id=run_id,
        summary=f"导出价格审计案卷：店铺 {shop_id}，{shop.num_rows} 条发现",
        detail={
            "run_id": run_id,
            "shop_id": shop_id,
            "platform": platform,
            "findings": shop.num_rows,
            "generated_at": generated_at.astimezone(AUDIT_ZONE).isoformat(),
        },
    )
    return casefile_name(run_id, shop_id), data
