"""The ticket lifecycle: one function per transition, each checked against :data:`ALLOWED`.

Every transition needs ``complaint:handle`` and the ticket in the actor's reach, validates the
current status (a :class:`Conflict` with a zh-CN message otherwise), writes a timeline event and a
business audit event, and starts or stops the statutory clocks (市场监督管理投诉举报处理暂行办法):

* accept (受理): stops ``accept`` (第十四条); starts ``mediate`` for a complaint (第二十一条第一款第（五）项)
  or ``lead_check`` for a report;
* reject (不予受理): needs a 第十五条 ground (:data:`REJECTION_GROUNDS`); complaints only;
* close (办结): stops ``mediate`` / ``lead_check`` / ``hotline``; ending a mediation that was under
  way without agreement (调解不成, 终止, 自行和解 — all grounds of 第二十一条第一款) starts
  ``terminate_notice`` (第二十一条第二款); a real-name report's case-filing decision starts
  ``report_notice`` (第三十一条第二款). :func:`notify` records the notice and stops those clocks;
* disputes between authorities (第三十条) run the ``jurisdiction_dispute`` clock until resolved;
* callback (回访) must be made by someone other than the handler and whoever closed the ticket;
* reopen (重新办理) from closed, called back or archived: counts, clears the outcome and restarts
  handling (and its clock).

Consultations and suggestions go from registered straight to closed (outcome 已答复).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from tianping.core import audit
from tianping.core.authz import Actor, Perm
from tianping.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from tianping.core.timeutil import utcnow
from tianping.identity.models import Organization, OrgKind, User

from .clocks import (
    cancel_clocks,
    handled_ticket,
    open_clock,
    open_clocks,
    start_clock,
    stop_clock,
    ticket_event,
)
from .deadlines import HOTLINE_KIND, handling_workdays
from .lifecycle_schemas import CLOSE_OUTCOMES, NEEDS_MEDIATION, REJECTION_GROUNDS, TERMINATING, CallbackIn
from .models import (
    Callback,
    Channel,
    Clock,
    ClockStatus,
    Outcome,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    Transfer,
)
from .repository import in_scope

__all__ = [
    "ALLOWED",
    "CLOSE_OUTCOMES",
    "NOTICE_CLOCKS",
    "REJECTION_GROUNDS",
    "accept",
    "archive",
    "assign",
    "close",
    "next_actions",
    "notify",
    "open_dispute",
    "record_callback",
    "reject",
    "reopen",
    "resolve_dispute",
    "start_mediation",
    "transfer",
]

S = TicketStatus

ALLOWED: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.REGISTERED: frozenset({S.ACCEPTED, S.REJECTED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.ASSIGNED, S.MEDIATING, S.CLOSED}),
    S.REJECTED: frozenset({S.ARCHIVED}),
    S.ASSIGNED: frozenset({S.ASSIGNED, S.MEDIATING, S.CLOSED}),
    S.MEDIATING: frozenset({S.CLOSED}),
    S.CLOSED: frozenset({S.CALLED_BACK, S.ARCHIVED, S.ACCEPTED, S.REGISTERED}),
    S.CALLED_BACK: frozenset({S.CALLED_BACK, S.ARCHIVED, S.ACCEPTED, S.REGISTERED}),
    S.ARCHIVED: frozenset({S.ACCEPTED, S.REGISTERED}),
}
"""Status changes allowed, from → to. Assigning, transferring and disputes while registered or
mediating keep the status (they change who holds the ticket, not where it stands)."""

OPEN = frozenset({S.REGISTERED, S.ACCEPTED, S.ASSIGNED, S.MEDIATING})
DONE = frozenset({S.CLOSED, S.CALLED_BACK, S.ARCHIVED})

NOTICE_CLOCKS = ("terminate_notice", "report_notice")
HANDLING_CLOCKS = ("accept", "mediate", "lead_check", HOTLINE_KIND, "odr_reply")
ASSIGNABLE_KINDS = frozenset(
    {
        OrgKind.CITY_BUREAU.value,
        OrgKind.DISTRICT_BUREAU.value,
        OrgKind.STATION.value,
        OrgKind.MEMBER_UNIT.value,
        OrgKind.CONSUMER_ASSOCIATION.value,  # 委托消费者协会调解 (第十七条)
    }
)
NOTE_LIMIT = 2000


# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------


def _status(ticket: Ticket) -> TicketStatus:
    return TicketStatus(ticket.status)


def _kind(ticket: Ticket) -> TicketKind:
    return TicketKind(ticket.kind)


def _require(ticket: Ticket, target: TicketStatus, action: str) -> None:
    current = _status(ticket)
    if target not in ALLOWED[current]:
        raise Conflict(f"工单当前状态为“{current.label}”，不能{action}")


def _require_in(ticket: Ticket, statuses: frozenset[TicketStatus], action: str) -> None:
    current = _status(ticket)
    if current not in statuses:
        raise Conflict(f"工单当前状态为“{current.label}”，不能{action}")


def _text(value: str | None, field: str, label: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationFailed(f"请填写{label}", errors=[FieldError(field, f"请填写{label}")])
        return None
    if len(text) > NOTE_LIMIT:
        raise ValidationFailed(f"{label}过长", errors=[FieldError(field, f"{label}不能超过 {NOTE_LIMIT} 字")])
    if any(ord(c) < 32 and c not in "\n\t\r" for c in text):
        raise ValidationFailed(f"{label}含有控制字符", errors=[FieldError(field, "不能包含控制字符")])
    return text


def _record(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    action: str,
    from_status: str,
    summary: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Timeline event + audit event for one change (the ticket already holds the new state)."""
    now = at or utcnow()
    ticket.updated_at = now
    ticket_event(
        session, ticket, actor=actor, action=action, from_status=from_status, note=note, data=data, at=now
    )
    audit.record(
        session,
        actor=actor,
        action=f"complaints.{action}",
        object_type="complaints.ticket",
        object_id=ticket.id,
        summary=f"工单 {ticket.ticket_no}：{summary}",
        detail={"from": from_status, "to": ticket.status, **(data or {})},
    )


def _org(session: Session, org_id: int, field: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None or not org.is_active:
        raise ValidationFailed(
            "机构不存在或已停用", errors=[FieldError(field, f"机构 {org_id} 不存在或已停用")]
        )
    if org.kind not in ASSIGNABLE_KINDS:
        raise ValidationFailed(
            "只能交给市场监管部门、监管所、成员单位或消费者协会",
            errors=[FieldError(field, f"{org.name} 不能承办投诉举报")],
        )
    return org


def _clock_names(clocks: list[Clock | None]) -> list[str]:
    return [c.kind for c in clocks if c is not None]


# ---------------------------------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------------------------------


def accept(*, session: Session, ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    """受理: registered → accepted. Stops ``accept``; starts ``mediate`` (complaint) or ``lead_check``."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    kind = _kind(ticket)
    if kind not in (TicketKind.COMPLAINT, TicketKind.REPORT):
        raise Conflict(f"{kind.label}无需受理，请直接答复办结")
    _require_in(ticket, frozenset({S.REGISTERED}), "受理")  # CLOSED → ACCEPTED is reopen, not accept
    clean = _text(note, "note", "受理说明", required=False)
    now = utcnow()
    before = ticket.status
    stopped = stop_clock(session=session, ticket=ticket, kind="accept", at=now)
    ticket.status = S.ACCEPTED.value
    ticket.accepted_at = now
    started = start_clock(
        session=session,
        ticket=ticket,
        kind="mediate" if kind == TicketKind.COMPLAINT else "lead_check",
        at=now,
    )
    data: dict[str, Any] = {"clock_started": started.kind, "due_at": started.due_at.isoformat()}
    if stopped is not None:
        data["accept_clock"] = stopped.status
    _record(
        session,
        ticket,
        actor=actor,
        action="accepted",
        from_status=before,
        summary="受理",
        note=clean,
        data=data,
        at=now,
    )
    session.flush()
    return ticket


def reject(*, session: Session, ticket_id: int, ground: str, note: str, actor: Actor) -> Ticket:
    """不予受理 (complaints): registered → rejected, with a 第十五条 ground code ``"1"``–``"6"``."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    if _kind(ticket) != TicketKind.COMPLAINT:
        raise Conflict("不予受理（第十五条）只适用于投诉")
    _require(ticket, S.REJECTED, "不予受理")
    code = (ground or "").strip()
    if code not in REJECTION_GROUNDS:
        raise ValidationFailed(
            "请选择不予受理的依据（第十五条第（一）至（六）项）",
            errors=[FieldError("ground", "应为 1–6，对应第十五条第（一）至（六）项")],
        )
    clean = _text(note, "note", "不予受理的理由", required=True)
    now = utcnow()
    before = ticket.status
    stopped = stop_clock(session=session, ticket=ticket, kind="accept", at=now)
    hotline = stop_clock(session=session, ticket=ticket, kind=HOTLINE_KIND, at=now)
    ticket.status = S.REJECTED.value
    ticket.rejection_ground = code
    ticket.outcome_note = clean
    data = {
        "ground": code,
        "ground_text": REJECTION_GROUNDS[code],
        "clocks_stopped": _clock_names([stopped, hotline]),
    }
    _record(
        session,
        ticket,
        actor=actor,
        action="rejected",
        from_status=before,
        summary=f"不予受理（{REJECTION_GROUNDS[code].split('：')[0]}）",
        note=clean,
        data=data,
        at=now,
    )
    session.flush()
    return ticket


def assign(
    *,
    session: Session,
    ticket_id: int,
    org_id: int,
    actor: Actor,
    user_id: int | None = None,
    note: str | None = None,
) -> Ticket:
    """分派 to an organisation (and optionally a handler in it). Accepted → assigned; while registered
    or mediating the status stays (only who holds the ticket changes)."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    _require_in(ticket, OPEN, "分派")
    org = _org(session, org_id, "org_id")
    handler: User | None = None
    if user_id is not None:
        handler = session.get(User, user_id)
        if handler is None or not handler.is_active or handler.org_id != org.id:
            raise ValidationFailed(
                "承办人不属于该机构",
                errors=[FieldError("user_id", f"用户 {user_id} 不是 {org.name} 的在职人员")],
            )
    clean = _text(note, "note", "分派说明", required=False)
    before = ticket.status
    if _status(ticket) in (S.ACCEPTED, S.ASSIGNED):
        ticket.status = S.ASSIGNED.value
    previous = ticket.handling_org_id
    ticket.handling_org_id = org.id
    ticket.handler_user_id = handler.id if handler else None
    if org.kind == OrgKind.MEMBER_UNIT.value:
        ticket.member_unit_org_id = org.id
    elif org.kind == OrgKind.STATION.value:
        ticket.station_org_id = org.id
    data = {
        "org_id": org.id,
        "org_name": org.name,
        "user_id": ticket.handler_user_id,
        "previous_org_id": previous,
    }
    who = f"{org.name}" + (f"（{handler.display_name}）" if handler else "")
    _record(
        session,
        ticket,
        actor=actor,
        action="assigned",
        from_status=before,
        summary=f"分派至{who}",
        note=clean,
        data=data,
    )
    session.flush()
    return ticket


def transfer(*, session: Session, ticket_id: int, to_org_id: int, reason: str, actor: Actor) -> Ticket:
    """转办 to another organisation: keeps the status, counts the transfer, records the reason."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    _require_in(ticket, OPEN, "转办")
    org = _org(session, to_org_id, "to_org_id")
    if org.id == ticket.handling_org_id:
        raise Conflict(f"工单已由 {org.name} 承办，无需转办")
    clean = _text(reason, "reason", "转办理由", required=True)
    assert clean is not None
    now = utcnow()
    row = Transfer(
        ticket_id=ticket.id,
        kind="transfer",
        from_org_id=ticket.handling_org_id,
        to_org_id=org.id,
        reason=clean,
        at=now,
        by_user_id=actor.user_id,
    )
    session.add(row)
    ticket.handling_org_id = org.id
    ticket.handler_user_id = None
    ticket.transfer_count = (ticket.transfer_count or 0) + 1
    if org.kind == OrgKind.MEMBER_UNIT.value:
        ticket.member_unit_org_id = org.id
    elif org.kind == OrgKind.STATION.value:
        ticket.station_org_id = org.id
    session.flush()
    data = {
        "transfer_id": row.id,
        "from_org_id": row.from_org_id,
        "to_org_id": org.id,
        "transfer_count": ticket.transfer_count,
    }
    _record(
        session,
        ticket,
        actor=actor,
        action="transferred",
        from_status=ticket.status,
        summary=f"转办至{org.name}",
        note=clean,
        data=data,
        at=now,
    )
    session.flush()
    return ticket


def _open_dispute(session: Session, ticket_id: int) -> Transfer | None:
    stmt = (
        select(Transfer)
        .where(Transfer.ticket_id == ticket_id, Transfer.kind == "dispute", Transfer.resolved_at.is_(None))
        .order_by(Transfer.id.desc())
    )
    return session.scalars(stmt).first()


def open_dispute(
    *, session: Session, ticket_id: int, other_org_id: int, reason: str, actor: Actor
) -> Transfer:
    """管辖争议 (第三十条): records the dispute, starts the 7-working-day ``jurisdiction_dispute`` clock."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    _require_in(ticket, OPEN, "提出管辖争议")
    if _open_dispute(session, ticket.id) is not None:
        raise Conflict("该工单已有未解决的管辖争议")
    org = _org(session, other_org_id, "other_org_id")
    if org.id == ticket.handling_org_id:
        raise ValidationFailed(
            "争议的另一方不能是当前承办机构",
            errors=[FieldError("other_org_id", "请选择与本机构发生争议的另一机构")],
        )
    clean = _text(reason, "reason", "争议事由", required=True)
    assert clean is not None
    now = utcnow()
    row = Transfer(
        ticket_id=ticket.id,
        kind="dispute",
        from_org_id=ticket.handling_org_id,
        to_org_id=org.id,
        reason=clean,
        at=now,
        by_user_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    clock = start_clock(session=session, ticket=ticket, kind="jurisdiction_dispute", at=now)
    data = {"transfer_id": row.id, "other_org_id": org.id, "due_at": clock.due_at.isoformat()}
    _record(
        session,
        ticket,
        actor=actor,
        action="dispute_opened",
        from_status=ticket.status,
        summary=f"与{org.name}发生管辖争议",
        note=clean,
        data=data,
        at=now,
    )
    session.flush()
    return row


def resolve_dispute(
    *, session: Session, ticket_id: int, designated_org_id: int, note: str, actor: Actor
) -> Ticket:
    """协商一致或上级指定处理机关 (第三十条): stops the dispute clock; the designated body holds it."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    row = _open_dispute(session, ticket.id)
    if row is None:
        raise Conflict("该工单没有未解决的管辖争议")
    org = _org(session, designated_org_id, "designated_org_id")
    clean = _text(note, "note", "协商或指定结果", required=True)
    now = utcnow()
    row.resolved_at = now
    row.resolution = f"{clean}（处理机关：{org.name}）"
    clock = stop_clock(session=session, ticket=ticket, kind="jurisdiction_dispute", at=now)
    moved = ticket.handling_org_id != org.id
    if moved:
        ticket.handling_org_id = org.id
        ticket.handler_user_id = None
        if org.kind == OrgKind.STATION.value:
            ticket.station_org_id = org.id
    data = {
        "transfer_id": row.id,
        "designated_org_id": org.id,
        "moved": moved,
        "clock": clock.status if clock else None,
    }
    _record(
        session,
        ticket,
        actor=actor,
        action="dispute_resolved",
        from_status=ticket.status,
        summary=f"管辖争议解决，由{org.name}处理",
        note=clean,
        data=data,
        at=now,
    )
    session.flush()
    return ticket


def start_mediation(*, session: Session, ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    """开始调解 (with both parties' consent, 第十六条): accepted/assigned → mediating."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    if _kind(ticket) != TicketKind.COMPLAINT:
        raise Conflict("只有投诉可以调解")
    _require(ticket, S.MEDIATING, "开始调解")
    clean = _text(note, "note", "调解说明", required=False)
    before = ticket.status
    ticket.status = S.MEDIATING.value
    if ticket.handler_user_id is None and actor.user_id is not None:
        ticket.handler_user_id = actor.user_id
    _record(
        session,
        ticket,
        actor=actor,
        action="mediation_started",
        from_status=before,
        summary="开始调解",
        note=clean,
    )
    session.flush()
    return ticket


def close(
    *, session: Session, ticket_id: int, outcome: Outcome, resolved: bool, note: str, actor: Actor
) -> Ticket:
    """办结 with an outcome fitting the kind (:data:`CLOSE_OUTCOMES`); see the module doc for clocks."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    kind = _kind(ticket)
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise ValidationFailed(
            "办结结果无效", errors=[FieldError("outcome", f"未知的办结结果 {outcome}")]
        ) from None
    if outcome not in CLOSE_OUTCOMES[kind]:
        allowed = "、".join(o.label for o in sorted(CLOSE_OUTCOMES[kind]))
        raise ValidationFailed(
            f"{kind.label}的办结结果只能是：{allowed}",
            errors=[FieldError("outcome", f"{kind.label}不能以“{outcome.label}”办结")],
        )
    current = _status(ticket)
    _require(ticket, S.CLOSED, "办结")
    if current == S.REGISTERED and kind in (TicketKind.COMPLAINT, TicketKind.REPORT):
        raise Conflict(f"{kind.label}须先受理（或不予受理），不能直接办结")
    if outcome in NEEDS_MEDIATION and current != S.MEDIATING:
        raise Conflict(f"“{outcome.label}”须在调解中办结，请先开始调解")
    if kind == TicketKind.REPORT and current == S.MEDIATING:
        raise Conflict("举报不经调解")
    clean = _text(note, "note", "办结说明", required=True)
    now = utcnow()
    stopped = [stop_clock(session=session, ticket=ticket, kind=k, at=now) for k in HANDLING_CLOCKS]
    ticket.status = S.CLOSED.value
    ticket.outcome = outcome.value
    ticket.outcome_note = clean
    ticket.resolved = bool(resolved)
    ticket.closed_at = now
    if ticket.first_closed_at is None:
        ticket.first_closed_at = now
        ticket.handling_workdays = handling_workdays(ticket.received_at, now)
    if ticket.handler_user_id is None and actor.user_id is not None:
        ticket.handler_user_id = actor.user_id
    started: list[str] = []
    if kind == TicketKind.COMPLAINT and current == S.MEDIATING and outcome in TERMINATING:
        started.append(start_clock(session=session, ticket=ticket, kind="terminate_notice", at=now).kind)
    if kind == TicketKind.REPORT and ticket.party_id is not None and not ticket.anonymous:
        started.append(start_clock(session=session, ticket=ticket, kind="report_notice", at=now).kind)
    data = {
        "outcome": outcome.value,
        "resolved": ticket.resolved,
        "clocks_stopped": {c.kind: c.status for c in stopped if c is not None},
        "clocks_started": started,
    }
    _record(
        session,
        ticket,
        actor=actor,
        action="closed",
        from_status=current.value,
        summary=f"办结（{outcome.label}）",
        note=clean,
        data=data,
        at=now,
    )
    session.flush()
    return ticket


def notify(*, session: Session, ticket_id: int, actor: Actor, note: str | None = None) -> Ticket:
    """Record that the parties were told (终止调解告知, 第二十一条第二款; 立案告知, 第三十一条第二款)."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    clean = _text(note, "note", "告知说明", required=False)
    now = utcnow()
    stopped = [stop_clock(session=session, ticket=ticket, kind=k, at=now) for k in NOTICE_CLOCKS]
    done = {c.kind: c.status for c in stopped if c is not None}
    if not done:
        raise Conflict("该工单没有待完成的告知")
    _record(
        session,
        ticket,
        actor=actor,
        action="notified",
        from_status=ticket.status,
        summary="已告知当事人",
        note=clean,
        data={"clocks_stopped": done},
        at=now,
    )
    session.flush()
    return ticket


def _closers(session: Session, ticket_id: int) -> set[int]:
    stmt = select(TicketEvent.actor_user_id).where(
        TicketEvent.ticket_id == ticket_id,
        TicketEvent.action == "closed",
        TicketEvent.actor_user_id.is_not(None),
    )
    return {uid for uid in session.scalars(stmt) if uid is not None}


def record_callback(*, session: Session, ticket_id: int, callback_in: CallbackIn, actor: Actor) -> Callback:
    """回访: closed → called back, by a user who neither handled nor closed the ticket."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    _require(ticket, S.CALLED_BACK, "回访")
    if actor.user_id is None:
        raise PermissionDenied("回访须由登录的工作人员进行并留下记录")
    if actor.user_id == ticket.handler_user_id:
        raise PermissionDenied("回访须由承办人以外的人员进行")
    if actor.user_id in _closers(session, ticket.id):
        raise PermissionDenied("回访须由办结人以外的人员进行")
    now = utcnow()
    note = _text(callback_in.note, "note", "回访记录", required=False)
    row = Callback(
        ticket_id=ticket.id,
        at=now,
        by_user_id=actor.user_id,
        method=callback_in.method.value,
        reached=callback_in.reached,
        contacted=callback_in.contacted,
        resolved=callback_in.resolved,
        satisfaction=callback_in.satisfaction.value if callback_in.satisfaction else None,
        note=note,
    )
    session.add(row)
    before = ticket.status
    ticket.status = S.CALLED_BACK.value
    if row.satisfaction is not None:
        ticket.satisfaction = row.satisfaction
    session.flush()
    label = callback_in.satisfaction.label if callback_in.satisfaction else "未联系到投诉人"
    data = {
        "callback_id": row.id,
        "method": row.method,
        "reached": row.reached,
        "contacted": row.contacted,
        "resolved": row.resolved,
        "satisfaction": row.satisfaction,
    }
    _record(
        session,
        ticket,
        actor=actor,
        action="called_back",
        from_status=before,
        summary=f"回访（{label}）",
        note=note,
        data=data,
        at=now,
    )
    session.flush()
    return row


def archive(*, session: Session, ticket_id: int, actor: Actor) -> Ticket:
    """归档: closed, called back or rejected → archived (not while a statutory notice is pending)."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    _require(ticket, S.ARCHIVED, "归档")
    pending = [c for c in open_clocks(session=session, ticket_id=ticket.id) if c.kind in NOTICE_CLOCKS]
    if pending:
        raise Conflict("尚有未完成的法定告知，请先记录告知再归档")
    now = utcnow()
    before = ticket.status
    ticket.status = S.ARCHIVED.value
    ticket.archived_at = now
    _record(session, ticket, actor=actor, action="archived", from_status=before, summary="归档", at=now)
    session.flush()
    return ticket


def reopen(*, session: Session, ticket_id: int, reason: str, actor: Actor) -> Ticket:
    """重新办理: closed / called back / archived → accepted (or registered if never accepted).

    Counts the reopening, clears the outcome (``first_closed_at`` stays, for 原始解决率), cancels
    pending notices and restarts the handling clock (``mediate`` / ``lead_check``; 12345 ``hotline``).
    """
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    _require_in(ticket, DONE, "重新办理")
    clean = _text(reason, "reason", "重新办理的理由", required=True)
    now = utcnow()
    before = ticket.status
    target = S.ACCEPTED if ticket.accepted_at is not None else S.REGISTERED
    _require(ticket, target, "重新办理")
    cancelled = cancel_clocks(session=session, ticket=ticket, at=now, kinds=NOTICE_CLOCKS)
    previous = {
        "rejection_ground": ticket.rejection_ground,
        "outcome": ticket.outcome,
        "resolved": ticket.resolved,
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
    }
    ticket.status = target.value
    ticket.reopen_count = (ticket.reopen_count or 0) + 1
    ticket.outcome = None
    ticket.outcome_note = None
    ticket.resolved = None
    ticket.closed_at = None
    ticket.archived_at = None
    started: list[str] = []
    if target == S.ACCEPTED:
        kind = "mediate" if _kind(ticket) == TicketKind.COMPLAINT else "lead_check"
        started.append(start_clock(session=session, ticket=ticket, kind=kind, at=now).kind)
    elif _kind(ticket) == TicketKind.COMPLAINT:  # e.g. an archived rejection: decide acceptance again
        ticket.rejection_ground = None
        started.append(start_clock(session=session, ticket=ticket, kind="accept", at=now).kind)
    if ticket.channel == Channel.HOTLINE_12345.value:
        started.append(start_clock(session=session, ticket=ticket, kind=HOTLINE_KIND, at=now).kind)
    data = {
        "reopen_count": ticket.reopen_count,
        "previous": previous,
        "clocks_started": started,
        "clocks_cancelled": [c.kind for c in cancelled],
    }
    _record(
        session,
        ticket,
        actor=actor,
        action="reopened",
        from_status=before,
        summary=f"重新办理（第 {ticket.reopen_count} 次）",
        note=clean,
        data=data,
        at=now,
    )
    session.flush()
    return ticket


# ---------------------------------------------------------------------------------------------------
# What the UI may offer
# ---------------------------------------------------------------------------------------------------


def next_actions(ticket: Ticket, actor: Actor) -> list[str]:
    """Names of the lifecycle functions the actor may call on the ticket now (for buttons).

    Names: accept, reject, assign, transfer, open_dispute, resolve_dispute, start_mediation, close,
    notify, record_callback, archive, reopen, pause, resume. Clock- and dispute-dependent actions are
    read through the ticket's session (a detached ticket offers them by status only).
    """
    if not actor.can(Perm.COMPLAINT_HANDLE) or not in_scope(ticket, actor):
        return []
    session = object_session(ticket)
    status = _status(ticket)
    kind = _kind(ticket)
    clocks = {c.kind: c.status for c in open_clocks(session=session, ticket_id=ticket.id)} if session else {}
    disputed = _open_dispute(session, ticket.id) is not None if session else False
    actions: list[str] = []
    if status == S.REGISTERED:
        if kind in (TicketKind.COMPLAINT, TicketKind.REPORT):
            actions.append("accept")
        if kind == TicketKind.COMPLAINT:
            actions.append("reject")
    if status in OPEN:
        actions += ["assign", "transfer", "resolve_dispute" if disputed else "open_dispute"]
    if kind == TicketKind.COMPLAINT and status in (S.ACCEPTED, S.ASSIGNED):
        actions.append("start_mediation")
    if status in OPEN and (
        status != S.REGISTERED or kind in (TicketKind.CONSULTATION, TicketKind.SUGGESTION)
    ):
        actions.append("close")
    mediate = (
        clocks.get("mediate") if session else (ClockStatus.RUNNING.value if status == S.MEDIATING else None)
    )
    if mediate == ClockStatus.RUNNING.value:
        actions.append("pause")
    elif mediate == ClockStatus.PAUSED.value:
        actions.append("resume")
    notice_due = any(k in clocks for k in NOTICE_CLOCKS)
    if notice_due:
        actions.append("notify")
    if status in (S.CLOSED, S.CALLED_BACK) and actor.user_id is not None:
        closers = _closers(session, ticket.id) if session else set()
        if actor.user_id != ticket.handler_user_id and actor.user_id not in closers:
            actions.append("record_callback")
    if S.ARCHIVED in ALLOWED[status] and not notice_due:
        actions.append("archive")
    if status in DONE:
        actions.append("reopen")
    return actions


def dispute_of(*, session: Session, ticket_id: int, actor: Actor) -> Transfer | None:
    """The open jurisdiction dispute of a ticket in the actor's reach, if any."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not in_scope(ticket, actor):
        raise NotFound(f"工单 {ticket_id} 不存在或不在您的管辖范围内")
    return _open_dispute(session, ticket_id)


def pending_notice(*, session: Session, ticket_id: int) -> bool:
    """Whether a statutory notice (终止调解告知 / 立案告知) is still due on the ticket."""
    return any(open_clock(session, ticket_id=ticket_id, kind=k) is not None for k in NOTICE_CLOCKS)
