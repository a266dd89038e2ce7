"""Pages of the promotion price audit (价格审计) for officers (issue 5, "For officers").

* ``/prices/runs`` — the audit runs with their engine, inputs, parameters, counts per rule, status;
* ``/prices/runs/{run_id}`` — one run: its header (parameters, inputs with fingerprints, the rules with
  their articles), the findings filtered by rule, platform, shop, category (title keyword) and date,
  paginated, and a per-shop summary with the estimated consumer over-payment;
* ``/prices/runs/{run_id}/findings/{finding_id}`` — one finding: rule, article, a plain-Chinese
  explanation and an ECharts price timeline of its series; "转为线索" registers a report (举报/线索)
  ticket through the complaints intake, "附加证据" keeps a JSON snapshot of the finding and its series in
  the evidence vault linked to that ticket;
* ``/prices/runs/{run_id}/shops/{shop}/casefile.xlsx`` — the shop's XLSX case file (audited).

Readers: ``stats:read`` with an officer role (:func:`tianping.price_audit.findings_view.may_read`).
"""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Final
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tianping.complaints import intake
from tianping.complaints.models import Channel, Ticket
from tianping.complaints.schemas import TicketIn
from tianping.core.authz import Actor, Perm
from tianping.core.errors import FieldError, NotFound, ValidationFailed
from tianping.core.messages import translate
from tianping.evidence import service as evidence
from tianping.evidence.schemas import ItemIn
from tianping.price_audit import casefile, list_runs
from tianping.price_audit import findings_view as view
from tianping.price_audit.rules import RULES, RULES_BY_ID
from tianping.price_audit.schemas import AUDIT_ZONE
from tianping.price_audit.service import AuditRun
from tianping.web.deps import CsrfChecked, PageUser, SessionDep, client_ip, render

router = APIRouter()

RunId = Annotated[str, Path(max_length=64, pattern=r"^[0-9A-Za-z\-]+$")]
FindingId = Annotated[int, Path(ge=0, le=2**40)]
Text = Annotated[str, Query(max_length=200)]
STATUS_ZH = {"preparing": "准备中", "running": "运行中（可续跑）", "finished": "已完成"}
SURFACE_ZH = {"detail": "详情页", "list": "首页/列表", "checkout": "结算页"}
EVIDENCE_ZH = {"transactions": "成交记录", "proxy": "详情页价格代替成交"}
SOURCE_ZH = {"file": "文件", "store": "观测库", "postgres": "PostgreSQL"}


def _reader(request: Request, actor: Actor) -> Actor:
    view.check_access(actor)
    return actor if actor.ip is not None else dataclasses.replace(actor, ip=client_ip(request))


def _date(name: str, value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            "筛选条件有误", errors=[FieldError(field=name, message="日期格式应为 YYYY-MM-DD")]
        ) from None


def _run_url(run_id: str, flt: view.FindingFilter | None = None, **extra: str | int) -> str:
    query = {**(flt.as_query() if flt else {}), **{k: str(v) for k, v in extra.items()}}
    return f"/prices/runs/{run_id}" + (f"?{urlencode(query)}" if query else "")


def _casefile_url(run_id: str, platform: str, shop_id: str) -> str:
    return f"/prices/runs/{run_id}/shops/{quote(shop_id, safe='')}/casefile.xlsx?" + urlencode(
        {"platform": platform}
    )


def _run_info(manifest: dict[str, Any]) -> dict[str, Any]:
    """What the list and the header show of a manifest."""
    status = manifest.get("status", "")
    inputs = []
    for name, label in (("observations", "观测数据"), ("transactions", "成交数据")):
        record = (manifest.get("inputs") or {}).get(name)
        if record:
            inputs.append(
                {
                    "label": label,
                    "source": SOURCE_ZH.get(record.get("source", ""), record.get("source", "")),
                    "path": record.get("path") or record.get("table") or "",
                    "rows": record.get("rows", 0),
                    "digest": record.get("sha256") or record.get("fingerprint") or "",
                }
            )
    counts = manifest.get("counts") or {}
    return {
        "run_id": manifest["run_id"],
        "status": status,
        "status_label": STATUS_ZH.get(status, status),
        "resumable": status == "running",
        "started_at": manifest.get("started_at", ""),
        "finished_at": manifest.get("finished_at") or "",
        "engine": (manifest.get("engine") or {}).get("name", ""),
        "engine_description": (manifest.get("engine") or {}).get("description", ""),
        "params": manifest.get("params") or {},
        "inputs": inputs,
        "counts": counts,
        "by_rule": counts.get("by_rule") or {},
        "buckets": f"{len(manifest.get('completed_buckets') or [])}/{manifest.get('buckets') or '?'}",
    }


@router.get("/prices", include_in_schema=False)
def prices_home(actor: PageUser) -> RedirectResponse:
    return RedirectResponse("/prices/runs", status_code=303)


@router.get("/prices/runs", response_class=HTMLResponse)
def runs_page(request: Request, actor: PageUser) -> HTMLResponse:
    actor = _reader(request, actor)
    runs = [_run_info(m) for m in list_runs()]
    return render(
        request,
        "prices/runs.html",
        actor=actor,
        nav="prices",
        runs=runs,
        rules=RULES,
        param_labels=casefile.PARAM_ZH,
    )


@router.get("/prices/runs/{run_id}", response_class=HTMLResponse)
def run_page(
    request: Request,
    actor: PageUser,
    run_id: RunId,
    rule: Text = "",
    platform: Text = "",
    shop: Text = "",
    category: Text = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=10**7)] = 1,
) -> HTMLResponse:
    actor = _reader(request, actor)
    run, findings = view.open_run(run_id)
    errors: dict[str, str] = {}
    try:
        flt = view.FindingFilter(
            rule=rule,
            platform=platform,
            shop=shop,
            category=category,
            date_from=_date("date_from", date_from),
            date_to=_date("date_to", date_to),
        )
    except ValidationFailed as exc:
        errors = {e.field: e.message for e in exc.errors}
        flt = view.FindingFilter()
    filtered = view.filter_findings(run, findings, flt)
    result = view.paginate(filtered, page=page)
    shops, shop_total = view.shop_summaries(run, filtered, limit=50)
    links = {
        "prev": _run_url(run_id, flt, page=result.page - 1) if result.page > 1 else None,
        "next": _run_url(run_id, flt, page=result.page + 1) if result.page < result.pages else None,
    }
    return render(
        request,
        "prices/run.html",
        actor=actor,
        nav="prices",
        status_code=422 if errors else 200,
        errors=errors,
        message="筛选条件有误，已显示全部发现" if errors else None,
        run=_run_info(run.manifest),
        history_start=run.manifest.get("history_start"),
        rules=RULES,
        rules_by_id=RULES_BY_ID,
        param_labels=casefile.PARAM_ZH,
        flt=flt,
        form={
            "rule": rule,
            "platform": platform,
            "shop": shop,
            "category": category,
            "date_from": date_from,
            "date_to": date_to,
        },
        facets=view.facets(findings),
        result=result,
        links=links,
        shops=shops,
        shop_total=shop_total,
        has_transactions=bool((run.manifest.get("inputs") or {}).get("transactions")),
        overpayment_definition=view.OVERPAYMENT_DEFINITION_ZH,
        casefile_url=lambda p, s: _casefile_url(run_id, p, s),
        evidence_labels=EVIDENCE_ZH,
    )


# --- one finding ----------------------------------------------------------------------------------


def _lead_in(run: AuditRun, finding: dict[str, Any], finding_id: int) -> TicketIn:
    """The report (举报/线索) a finding becomes; the same finding always gives the same submission,
    so registering twice returns the first ticket (idempotent on the external id)."""
    rule = RULES_BY_ID[finding["rule_id"]]
    title = f"价格审计线索：{finding['shop_id']} {rule.title_zh}（{finding['sku_id']}）"
    text = "\n".join(
        [
            f"涉嫌问题：{finding['detail_zh']}",
            f"法规依据：{finding['article']}",
            f"说明：{view.RULE_EXPLANATIONS[rule.id]}",
            f"来源：价格审计运行 {run.run_id}，发现 #{finding_id}（规则 {rule.id}；"
            f"平台 {finding['platform']}，店铺 {finding['shop_id']}，SKU {finding['sku_id']}，"
            f"日期 {finding['episode_start'].isoformat()}）。",
            "本线索由系统比对价格数据生成，属涉嫌问题，需执法人员核查。",
        ]
    )
    return TicketIn(
        channel=Channel.OFFICER,
        external_id=f"pa:{run.run_id}:{finding_id}",
        kind="report",
        title=title[:200],
        text=text,
        business_name=finding["shop_id"],
        platform_name=finding["platform"],
        occurred_on=finding["episode_start"],
        category_code="online.price",
    )


def _existing_lead(session: SessionDep, lead: TicketIn) -> Ticket | None:
    found = intake.existing_by_external(session, [lead])
    tickets = found.get((lead.channel.value, lead.external_id or ""))
    return tickets[0] if tickets else None


def _snapshot(run: AuditRun, detail: view.FindingDetail) -> bytes:
    """A JSON snapshot of a finding, the run that produced it and its series (the evidence kept)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value

    m = run.manifest
    data = {
        "format": "tianping-price-finding/1",
        "run": {
            "run_id": run.run_id,
            "engine": m.get("engine"),
            "params": m.get("params"),
            "inputs": m.get("inputs"),
            "history_start": m.get("history_start"),
            "tianping_version": m.get("tianping_version"),
        },
        "finding_id": detail.finding_id,
        "finding": {k: plain(v) for k, v in detail.finding.items()},
        "explanation": detail.explanation,
        "observations": [{k: plain(v) for k, v in o.items()} for o in detail.observations],
        "transactions": [{k: plain(v) for k, v in t.items()} for t in detail.transactions],
    }
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def _finding_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    run_id: str,
    finding_id: int,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    run, findings = view.open_run(run_id)
    detail = view.finding_detail(run, findings, finding_id)
    lead = _lead_in(run, detail.finding, finding_id)
    ticket = _existing_lead(session, lead) if actor.can(Perm.COMPLAINT_READ) else None
    f = detail.finding
    return render(
        request,
        "prices/finding.html",
        actor=actor,
        nav="prices",
        status_code=status_code,
        run=_run_info(run.manifest),
        detail=detail,
        f=f,
        chart=chart_option(detail),
        ticket=ticket,
        may_open_lead=actor.can(Perm.COMPLAINT_HANDLE),
        may_keep_evidence=actor.can(Perm.EVIDENCE_KEEP),
        casefile_url=_casefile_url(run_id, f["platform"], f["shop_id"]),
        shop_url=_run_url(run_id, view.FindingFilter(platform=f["platform"], shop=f["shop_id"])),
        surface_labels=SURFACE_ZH,
        evidence_labels=EVIDENCE_ZH,
        **context,
    )


@router.get("/prices/runs/{run_id}/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    run_id: RunId,
    finding_id: FindingId,
    receipt: Annotated[int | None, Query(ge=0, le=2**53)] = None,
    t: Annotated[str | None, Query(max_length=64, pattern=r"^[0-9a-f]*$")] = None,
) -> HTMLResponse:
    actor = _reader(request, actor)
    receipt_url = None
    if receipt is not None:
        receipt_url = f"/evidence/receipts/{receipt}" + (f"?t={t}" if t else "")
    return _finding_page(
        request,
        session,
        actor,
        run_id,
        finding_id,
        receipt_url=receipt_url,
        message="已存证：快照已存入电子存证库并关联到线索" if receipt_url else None,
        message_ok=True,
    )


@router.post("/prices/runs/{run_id}/findings/{finding_id}/lead", dependencies=[CsrfChecked])
def open_lead(
    request: Request, session: SessionDep, actor: PageUser, run_id: RunId, finding_id: FindingId
) -> RedirectResponse:
    """转为线索: register a report ticket for the finding and go to it."""
    actor = _reader(request, actor)
    actor.require(Perm.COMPLAINT_HANDLE)
    run, findings = view.open_run(run_id)
    lead = _lead_in(run, view.get_finding(findings, finding_id), finding_id)
    tickets = intake.register(session=session, ticket_in=lead, actor=actor)
    return RedirectResponse(f"/complaints/{tickets[0].id}", status_code=303)


@router.post(
    "/prices/runs/{run_id}/findings/{finding_id}/evidence",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def attach_evidence(
    request: Request, session: SessionDep, actor: PageUser, run_id: RunId, finding_id: FindingId
) -> Response:
    """附加证据: keep a JSON snapshot of the finding and its series, linked to the finding's lead."""
    actor = _reader(request, actor)
    actor.require(Perm.EVIDENCE_KEEP)
    run, findings = view.open_run(run_id)
    detail = view.finding_detail(run, findings, finding_id)
    ticket = _existing_lead(session, _lead_in(run, detail.finding, finding_id))
    if ticket is None:
        return _finding_page(
            request,
            session,
            actor,
            run_id,
            finding_id,
            status_code=409,
            message="请先“转为线索”，再把快照存证并关联到该线索",
        )
    try:
        item_in = ItemIn(
            purpose=f"价格审计发现快照：运行 {run_id} 发现 #{finding_id}（{detail.rule.id}）",
            ticket=ticket.ticket_no,
            media_type="application/json",
            idempotency_key=f"pa-{run_id}-{finding_id}",
        )
    except ValidationError as exc:
        raise ValidationFailed(
            "存证信息有误", errors=[FieldError(e["field"], e["message"]) for e in translate(exc.errors())]
        ) from None
    appended = evidence.add_item(
        session=session,
        actor=actor,
        source=io.BytesIO(_snapshot(run, detail)),
        item_in=item_in,
        filename=f"price-finding-{run_id}-{finding_id}.json",
        via_writer=True,
    )
    query = urlencode({"receipt": appended.leaf_index, "t": evidence.receipt_token(appended)})
    return RedirectResponse(f"/prices/runs/{run_id}/findings/{finding_id}?{query}", status_code=303)


@router.get("/prices/runs/{run_id}/shops/{shop}/casefile.xlsx")
def casefile_download(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    run_id: RunId,
    shop: Annotated[str, Path(max_length=200)],
    platform: Text = "",
) -> Response:
    actor = _reader(request, actor)
    name, data = casefile.export_casefile(
        session=session, run_id=run_id, shop_id=shop, platform=platform or None, actor=actor
    )
    if not data:
        raise NotFound("案卷为空")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


#: Shading of the spans on the timeline: the 7-day window strongest, the R3 baseline faintest.
SPAN_COLOURS: Final = {
    view.WINDOW_LABELS["R3"]: "rgba(120,120,120,0.08)",
    view.RAISE_LABEL: "rgba(217,130,43,0.16)",
}
SPAN_COLOUR: Final = "rgba(179,38,30,0.10)"

# --- the ECharts option of the timeline -----------------------------------------------------------


def _t(moment: datetime) -> str:
    return moment.astimezone(AUDIT_ZONE).strftime("%Y-%m-%d %H:%M:%S")


def _day_start(day: date) -> str:
    return f"{day.isoformat()} 00:00:00"


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


SURFACE_SERIES: Final = (("list", "首页/列表价", "#7b5ea7"), ("checkout", "结算页价", "#d9822b"))


def chart_option(detail: view.FindingDetail) -> dict[str, Any]:
    """An ECharts option: shown (detail) price and strike price over time, list/checkout prices and
    transactions as points, the 7-day window shaded with its low marked, the episode start as a line,
    the raise before a 先涨后降 marked."""
    obs = detail.observations
    shown = [[_t(o["observed_at"]), _money(o["price"])] for o in obs if o["surface"] == "detail"]
    strike = [[_t(o["observed_at"]), _money(o["strike_price"])] for o in obs if o["surface"] == "detail"]
    areas: list[list[dict[str, Any]]] = []
    if detail.window is not None:
        areas.append(
            [
                {
                    "name": "比较前七日",
                    "xAxis": _day_start(detail.window[0]),
                    "itemStyle": {"color": "rgba(29,79,145,0.20)"},
                    "label": {"position": "insideBottom", "color": "#1d4f91"},
                },
                {"xAxis": _day_start(detail.window[1] + timedelta(days=1))},
            ]
        )
    for label, first, last in detail.spans:
        areas.append(
            [
                {
                    "name": label,
                    "xAxis": _day_start(first),
                    "itemStyle": {"color": SPAN_COLOURS.get(label, SPAN_COLOUR)},
                },
                {"xAxis": _day_start(last + timedelta(days=1))},
            ]
        )
    points = [
        {
            "name": m.label,
            "coord": [_t(m.at), _money(m.price)],
            "value": _money(m.price),
            "itemStyle": {"color": color},
        }
        for m, color in ((detail.low, "#1d4f91"), (detail.raise_point, "#b3261e"))
        if m is not None
    ]
    start = detail.finding["episode_start"]
    start_word = "比较开始" if detail.rule.id in view.EPISODE_RULES else "发现日"
    shown_series: dict[str, Any] = {
        "name": "详情页标示价",
        "type": "line",
        "step": "end",
        "showSymbol": True,
        "symbolSize": 4,
        "data": shown,
        "itemStyle": {"color": "#1d4f91"},
        "markArea": {"silent": True, "label": {"position": "insideTop", "fontSize": 11}, "data": areas},
        "markPoint": {"symbol": "pin", "symbolSize": 46, "label": {"fontSize": 10}, "data": points},
        "markLine": {
            "symbol": "none",
            "lineStyle": {"color": "#b3261e", "type": "dashed"},
            "label": {"formatter": f"{start_word} {start.isoformat()}"},
            "data": [{"xAxis": _day_start(start)}],
        },
    }
    series: list[dict[str, Any]] = [
        shown_series,
        {
            "name": "划线价",
            "type": "line",
            "step": "end",
            "connectNulls": False,
            "showSymbol": True,
            "symbol": "rect",
            "symbolSize": 5,
            "data": strike,
            "lineStyle": {"type": "dashed"},
            "itemStyle": {"color": "#b3261e"},
        },
    ]
    for surface, name, color in SURFACE_SERIES:
        data = [[_t(o["observed_at"]), _money(o["price"])] for o in obs if o["surface"] == surface]
        if data:
            series.append(
                {
                    "name": name,
                    "type": "scatter",
                    "symbolSize": 7,
                    "data": data,
                    "itemStyle": {"color": color},
                }
            )
    tx = [
        [_t(t["paid_at"]), _money(t["price"])] for t in detail.transactions if t["day"] >= detail.chart_start
    ]
    if tx:
        series.append(
            {
                "name": "成交价",
                "type": "scatter",
                "symbol": "diamond",
                "symbolSize": 8,
                "data": tx,
                "itemStyle": {"color": "#2e7d32"},
            }
        )
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 60, "right": 30, "top": 40, "bottom": 60},
        "xAxis": {
            "type": "time",
            "min": _day_start(detail.chart_start),
            "max": _day_start(detail.chart_end + timedelta(days=1)),
        },
        "yAxis": {"type": "value", "name": "元", "scale": True},
        "dataZoom": [{"type": "inside"}, {"type": "slider", "height": 18, "bottom": 10}],
        "series": series,
    }
