"""View models of the complaint pages: what the list and the ticket page show, built from the
services' outputs (no queries of their own beyond the services they call)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import HTMLResponse

from tianping.complaints import clocks as complaint_clocks
from tianping.complaints import lifecycle
from tianping.complaints import service as complaints
from tianping.complaints.deadlines import load_deadlines
from tianping.complaints.lifecycle_schemas import CALLBACK_METHOD_LABELS, CLOSE_OUTCOMES
from tianping.complaints.models import (
    CLOCK_STATUS_LABELS,
    SATISFACTION_LABELS,
    TICKET_STATUS_LABELS,
    Clock,
    ClockStatus,
    Outcome,
    Ticket,
    TicketKind,
    TicketStatus,
)
from tianping.complaints.schemas import PartyOut, TicketOut
from tianping.complaints.taxonomy import load_taxonomy
from tianping.core.authz import SYSTEM, Actor, Perm
from tianping.core.calendar import CalendarNotCovered, workdays_between
from tianping.core.db import MAX_ID
from tianping.core.divisions import full_name
from tianping.core.settings import get_settings
from tianping.core.timeutil import format_local, local_today, to_local, utcnow
from tianping.identity import service as identity
from tianping.identity.models import ORG_KIND_LABELS, OrgKind
from tianping.web.deps import SessionDep, render

TicketId = Annotated[int, Path(ge=1, le=MAX_ID)]
ODR_CLOCK = "odr_reply"
SYSTEM_ACTOR_NAMES = {
    "anonymous": "投诉人（网上提交）",
    "system": "系统",
    "odr:consumer-link": "消费者（确认链接）",
}
SOURCE_LABELS = {
    "model": "模型分类",
    "officer": "人工更正",
    "import": "来源系统",
    "form": "表单选择",
    "keyword": "关键词",
}
ACTION_ALIASES = {
    "start_mediation": "mediate",
    "record_callback": "callback",
    "open_dispute": "dispute",
    "resolve_dispute": "resolve_dispute",
}
LINK_SOURCES = {"business_name": "按填写的经营者名称", "text": "按投诉内容", "platform_name": "按平台名称"}
ACTION_LABELS = {
    "registered": "登记",
    "triaged": "自动分拣",
    "accepted": "受理",
    "rejected": "不予受理",
    "assigned": "分派",
    "transferred": "转办",
    "dispute_opened": "管辖争议",
    "dispute_resolved": "指定管辖",
    "mediation_started": "开始调解",
    "closed": "办结",
    "called_back": "回访",
    "archived": "归档",
    "reopened": "重新办理",
    "recategorised": "更正分类",
    "business_confirmed": "确认经营者",
    "clock_paused": "暂停计时",
    "clock_resumed": "恢复计时",
    "escalated": "超期督办",
    "reminded": "临期提醒",
    "notified": "告知当事人",
    "platform_replied": "平台答复",
    "consumer_decided": "消费者决定",
    "odr_replied": "平台答复",
    "odr_notified": "已通知平台",
    "odr_accepted": "消费者接受平台方案",
    "odr_rejected": "消费者拒绝平台方案",
}
ORG_GROUPS = (OrgKind.STATION, OrgKind.MEMBER_UNIT, OrgKind.DISTRICT_BUREAU, OrgKind.CITY_BUREAU)


def choices(labels: dict[Any, str]) -> list[tuple[str, str]]:
    return [(str(getattr(k, "value", k)), v) for k, v in labels.items()]


def category_choices() -> list[tuple[str, str]]:
    return [(c.code, c.path) for c in load_taxonomy().all()]


def org_choices(session: SessionDep) -> list[tuple[str, list[tuple[int, str]]]]:
    """Organisations a ticket can be assigned or transferred to, grouped by kind (names are not
    secret; every officer may pick any unit)."""
    groups: dict[str, list[tuple[int, str]]] = {kind.value: [] for kind in ORG_GROUPS}
    for org in identity.list_orgs(session, actor=SYSTEM):
        if org.kind in groups and org.is_active:
            groups[org.kind].append((org.id, org.name))
    return [(ORG_KIND_LABELS[kind], groups[kind.value]) for kind in ORG_GROUPS if groups[kind.value]]


# -- the ticket page ---------------------------------------------------------------------------------------


def _workdays_left(due_at: datetime, now: datetime) -> str:
    today, due = local_today(), to_local(due_at).date()
    try:
        if due_at >= now:
            return str(workdays_between(today, due))
        return f"已超 {workdays_between(due, today)}"
    except CalendarNotCovered:
        return "—"


def clock_rows(clocks: list[Clock], actor: Actor, actions: list[str]) -> list[dict[str, Any]]:
    deadlines = load_deadlines()
    now = utcnow()
    soon = get_settings().complaints_due_soon_workdays
    handles = actor.can(Perm.COMPLAINT_HANDLE)
    rows: list[dict[str, Any]] = []
    for clock in clocks:
        rule = deadlines.rules.get(clock.kind)
        label = complaint_clocks.clock_label(clock.kind)
        running = clock.status == ClockStatus.RUNNING.value
        left = _workdays_left(clock.due_at, now) if running else "—"
        state = "over" if running and clock.due_at < now else ""
        if running and not state and left.isdigit() and int(left) <= soon:
            state = "soon"
        rows.append(
            {
                "kind": clock.kind,
                "label": label,
                "basis": clock.basis,
                "started": format_local(clock.started_at),
                "due": format_local(clock.due_at),
                "left": left,
                "state": state,
                "status_label": CLOCK_STATUS_LABELS.get(ClockStatus(clock.status), clock.status),
                "can_pause": handles and running and "pause" in actions and bool(rule and rule.pausable),
                "can_resume": handles and clock.status == ClockStatus.PAUSED.value and "resume" in actions,
            }
        )
    return rows


def _category_view(ticket: TicketOut) -> dict[str, Any]:
    detail = ticket.triage_detail.get("category") or {}
    taxonomy = load_taxonomy()
    threshold = get_settings().complaints_triage_min_confidence
    confidence = ticket.category_confidence
    if confidence is None and isinstance(detail.get("confidence"), int | float):
        confidence = float(detail["confidence"])
    reasons = [(str(r[0]), float(r[1])) for r in detail.get("reasons") or [] if len(r) == 2]
    alternatives = [
        (taxonomy.label(str(a[0])), float(a[1])) for a in detail.get("alternatives") or [] if len(a) == 2
    ]
    return {
        "confidence": confidence,
        "threshold": threshold,
        "low": confidence is not None and confidence < threshold,
        "reasons": reasons,
        "alternatives": alternatives,
    }


def _business_view(ticket: TicketOut) -> dict[str, Any]:
    detail = ticket.link_detail or ticket.triage_detail.get("business") or {}
    candidates: list[dict[str, Any]] = []
    for c in detail.get("candidates") or []:
        if not isinstance(c, dict):
            continue
        score = c.get("score")
        candidates.append(
            {
                "id": c.get("entity_id"),
                "name": c.get("name") or "",
                "score": f"{score:g}" if isinstance(score, int | float) else "",
                "note": LINK_SOURCES.get(str(c.get("source") or ""), ""),
            }
        )
    reasons = [str(detail["reason"])] if detail.get("reason") else []
    names = [str(n) for n in detail.get("names") or []]
    if names:
        reasons.insert(0, "从投诉中识别的经营者名称：" + "、".join(names))
    return {"candidates": candidates, "reasons": reasons}


def _related(ticket: TicketOut) -> tuple[list[tuple[str, int]], list[str]]:
    related: list[tuple[str, int]] = []
    if ticket.split_of_id:
        related.append(("同一提交拆分的另一件（第七条）", ticket.split_of_id))
    if ticket.matter_id and ticket.matter_id != ticket.id:
        related.append(("同一事项（跨渠道重复）的首件", ticket.matter_id))
    if ticket.repeat_of_id:
        related.append(("办结后重复投诉，原工单", ticket.repeat_of_id))
    detail = ticket.triage_detail.get("duplicates") or {}
    notes = [str(r) for r in ticket.triage_detail.get("review_reasons") or []]
    near = [n for n in detail.get("near_duplicates") or [] if isinstance(n, list) and len(n) == 2]
    for other, score in near:
        if isinstance(other, int) and other != ticket.id and all(other != tid for _l, tid in related):
            related.append((f"内容高度相似（{float(score):.0%}）", other))
    for other in detail.get("same_party_business") or []:
        if isinstance(other, int) and other != ticket.id and all(other != tid for _l, tid in related):
            related.append(("同一投诉人、同一经营者", other))
    return related, notes


def page_actions(ticket: Ticket, actor: Actor, clocks: list[Clock]) -> list[str]:
    actions = [ACTION_ALIASES.get(a, a) for a in lifecycle.next_actions(ticket, actor)]
    if actor.can(Perm.COMPLAINT_HANDLE) and ticket.status != TicketStatus.ARCHIVED.value:
        actions += ["category", "business"]
    if (
        "assign" in actions
        and ticket.platform_entity_id is not None
        and ticket.kind == TicketKind.COMPLAINT.value
        and ticket.status != TicketStatus.REGISTERED.value
        and not any(c.kind == ODR_CLOCK for c in clocks)
    ):
        actions.append("odr_notify")  # F's route: /complaints/{id}/odr/notify
    return actions


def detail_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    ticket_id: int,
    *,
    party: PartyOut | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render one ticket (also after a failed action, with the error and the form's values)."""
    ticket = complaints.get(session=session, ticket_id=ticket_id, actor=actor)
    out = complaints.to_out(ticket, session=session, actor=actor)
    if party is not None:
        out = out.model_copy(update={"party": party})
    related, duplicate_notes = _related(out)
    open_clocks = complaint_clocks.open_clocks(session=session, ticket_id=ticket.id)
    actions = page_actions(ticket, actor, open_clocks)
    context.setdefault("form", {})
    return render(
        request,
        "complaints/detail.html",
        actor=actor,
        nav="complaints",
        status_code=status_code,
        t=out,
        source_label=SOURCE_LABELS.get(out.category_source or ""),
        category=_category_view(out),
        business=_business_view(out),
        routing_reasons=[str(r) for r in (out.triage_detail.get("routing") or {}).get("reasons") or []],
        district_name=full_name(out.division_code or out.district_code or "") or None,
        related=related,
        duplicate_notes=duplicate_notes,
        clocks=clock_rows(open_clocks, actor, actions),
        timeline=complaints.timeline(session=session, ticket_id=ticket.id, actor=actor),
        actions=actions,
        orgs=org_choices(session),
        grounds=lifecycle.REJECTION_GROUNDS,
        outcomes=[
            (o.value, o.label) for o in Outcome if o in CLOSE_OUTCOMES.get(TicketKind(ticket.kind), ())
        ],
        satisfactions={k.value: v for k, v in SATISFACTION_LABELS.items()},
        callback_methods=[(m.value, label) for m, label in CALLBACK_METHOD_LABELS.items()],
        categories=category_choices(),
        action_labels=ACTION_LABELS,
        actor_names=SYSTEM_ACTOR_NAMES,
        status_labels={k.value: v for k, v in TICKET_STATUS_LABELS.items()},
        **context,
    )
