"""Deadline clocks on tickets: start, stop, pause/resume, overdue and due-soon lists, reminders.

A clock is one :class:`~tianping.complaints.models.Clock` row per (ticket, kind) run; its ``due_at``
comes from :func:`tianping.complaints.deadlines.compute_due` and moves when the clock is paused and
resumed (only rules marked ``pausable`` may be: the mediation period, 第二十条第三款). Stopping a
clock marks it ``met`` (on or before ``due_at``) or ``breached``.

``send_reminders`` is idempotent: a due-soon clock is reminded once (``reminded_at``), an overdue one
escalated once (``escalated_at``); each writes a timeline event and an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tianping.core import audit
from tianping.core.authz import SYSTEM, Actor, Perm
from tianping.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from tianping.core.timeutil import format_local, utcnow

from .deadlines import HOTLINE_KIND, ClockRule, compute_due_provisional, due_soon_threshold, load_deadlines
from .models import Clock, ClockPause, ClockStatus, Ticket, TicketEvent
from .repository import in_scope, scope_filter
from .taxonomy import load_taxonomy

__all__ = [
    "OPEN_STATUSES",
    "ReminderRun",
    "cancel_clocks",
    "clock_label",
    "due_soon",
    "handled_ticket",
    "open_clock",
    "open_clocks",
    "overdue",
    "pause_clock",
    "refresh_provisional",
    "resume_clock",
    "retime_clock",
    "rule_for",
    "send_reminders",
    "start_clock",
    "stop_clock",
    "ticket_event",
]

OPEN_STATUSES = (ClockStatus.RUNNING.value, ClockStatus.PAUSED.value)
BASIS_LENGTH = 200
PROVISIONAL_NOTE = "（节假日安排未导入，暂按周一至周五计算）"
"""Appended to ``Clock.basis`` while a deadline runs into a year without a holiday schedule."""


@dataclass
class ReminderRun:
    """What one :func:`send_reminders` run did."""

    reminded: int = 0
    escalated: int = 0
    refreshed: int = 0  # provisional deadlines made exact (a holiday schedule was imported)
    reminded_ids: list[int] = field(default_factory=list)  # clock ids
    escalated_ids: list[int] = field(default_factory=list)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------------
# Shared helpers (also used by lifecycle)
# ---------------------------------------------------------------------------------------------------


def ticket_event(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    action: str,
    from_status: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """Append a timeline row; ``from_status`` defaults to the current status (no change)."""
    event = TicketEvent(
        ticket_id=ticket.id,
        at=at or utcnow(),
        actor_user_id=actor.user_id,
        actor_name=actor.username[:64],
        action=action,
        from_status=from_status if from_status is not None else ticket.status,
        to_status=ticket.status,
        note=note,
        data=data or {},
    )
    session.add(event)
    return event


def handled_ticket(session: Session, *, ticket_id: int, actor: Actor) -> Ticket:
    """The ticket, for a handling action: needs ``complaint:handle`` and the ticket in reach.

    A ticket outside the actor's reach is :class:`NotFound` (existence does not leak).
    """
    if not actor.can(Perm.COMPLAINT_HANDLE):
        raise PermissionDenied("您没有办理投诉举报的权限")
    stmt = select(Ticket).where(Ticket.id == ticket_id, *scope_filter(actor))
    ticket = session.scalars(stmt).first()
    if ticket is None or not in_scope(ticket, actor):
        raise NotFound(f"工单 {ticket_id} 不存在或不在您的管辖范围内")
    return ticket


def rule_for(ticket: Ticket, kind: str) -> ClockRule:
    """The rule of clock ``kind`` for this ticket (12345: by its urgency and category's class)."""
    deadlines = load_deadlines()
    if kind != HOTLINE_KIND:
        return deadlines.rule(kind)
    category = load_taxonomy().find(ticket.category_code)
    hotline_class = category.hotline_class if category else "ordinary"
    urgency = ticket.urgency if ticket.urgency in deadlines.hotline.limits else "normal"
    return deadlines.rule(kind, urgency=urgency, hotline_class=hotline_class)


def clock_label(kind: str) -> str:
    deadlines = load_deadlines()
    if kind == HOTLINE_KIND:
        return deadlines.hotline.label
    rule = deadlines.rules.get(kind)
    return rule.label if rule else kind


def open_clock(session: Session, *, ticket_id: int, kind: str) -> Clock | None:
    stmt = (
        select(Clock)
        .where(Clock.ticket_id == ticket_id, Clock.kind == kind, Clock.status.in_(OPEN_STATUSES))
        .order_by(Clock.id.desc())
    )
    return session.scalars(stmt).first()


def _due(
    rule: ClockRule,
    start: datetime,
    pauses: list[ClockPause] | None = None,
    *,
    now: datetime | None = None,
) -> tuple[datetime, str]:
    """Deadline and the basis text to store (flagged provisional when a year is not covered)."""
    intervals = [(p.paused_at, p.resumed_at) for p in pauses or []]
    due, provisional = compute_due_provisional(rule, start, intervals, now=now)
    basis = (
        rule.basis[: BASIS_LENGTH - len(PROVISIONAL_NOTE)] + PROVISIONAL_NOTE if provisional else rule.basis
    )
    return due, basis[:BASIS_LENGTH]


def _pauses(session: Session, clock_id: int) -> list[ClockPause]:
    return list(
        session.scalars(select(ClockPause).where(ClockPause.clock_id == clock_id).order_by(ClockPause.id))
    )


# ---------------------------------------------------------------------------------------------------
# Start / stop / pause / resume
# ---------------------------------------------------------------------------------------------------


def start_clock(*, session: Session, ticket: Ticket, kind: str, at: datetime) -> Clock:
    """Start clock ``kind`` on ``ticket`` at ``at``; an open clock of that kind is returned unchanged."""
    if ticket.id is None:
        session.flush()
    existing = open_clock(session, ticket_id=ticket.id, kind=kind)
    if existing is not None:
        return existing
    rule = rule_for(ticket, kind)
    start = _aware(at)
    due_at, basis = _due(rule, start)
    clock = Clock(
        ticket_id=ticket.id,
        kind=kind,
        basis=basis,
        started_at=start,
        due_at=due_at,
        status=ClockStatus.RUNNING.value,
    )
    session.add(clock)
    session.flush()
    return clock


def _finish(session: Session, clock: Clock, *, at: datetime, status: ClockStatus | None = None) -> Clock:
    at = _aware(at)
    if clock.status == ClockStatus.PAUSED.value:
        pauses = _pauses(session, clock.id)
        for pause in pauses:
            if pause.resumed_at is None:
                pause.resumed_at = at
        rule = rule_for(session.get_one(Ticket, clock.ticket_id), clock.kind)
        clock.due_at, clock.basis = _due(rule, clock.started_at, pauses, now=at)
    if status is None:
        status = ClockStatus.MET if at <= _aware(clock.due_at) else ClockStatus.BREACHED
    clock.status = status.value
    clock.stopped_at = at
    return clock


def retime_clock(*, session: Session, ticket: Ticket, kind: str) -> Clock | None:
    """Recompute the deadline of the open clock ``kind`` under the rule that applies *now*.

    For the 12345 ``hotline`` clock, whose limit depends on the category's ``hotline_class``: call it
    after triage or a correction changed the category. Reminder marks are cleared when the deadline
    moves. Returns ``None`` if no such clock is open.
    """
    clock = open_clock(session, ticket_id=ticket.id, kind=kind)
    if clock is None:
        return None
    rule = rule_for(ticket, kind)
    due_at, basis = _due(rule, clock.started_at, _pauses(session, clock.id))
    if due_at != _aware(clock.due_at):
        clock.reminded_at = None
        clock.escalated_at = None
    clock.due_at, clock.basis = due_at, basis
    return clock


def stop_clock(*, session: Session, ticket: Ticket, kind: str, at: datetime) -> Clock | None:
    """Stop the open clock ``kind``: ``met`` if ``at`` is on or before the deadline, else ``breached``.

    A paused clock's open pause ends at ``at`` first. Returns ``None`` if no such clock is open.
    """
    clock = open_clock(session, ticket_id=ticket.id, kind=kind)
    if clock is None:
        return None
    return _finish(session, clock, at=at)


def cancel_clocks(
    *, session: Session, ticket: Ticket, at: datetime, kinds: tuple[str, ...] | None = None
) -> list[Clock]:
    """Mark open clocks (of ``kinds``, or all) ``cancelled``: the duty no longer applies."""
    stmt = select(Clock).where(Clock.ticket_id == ticket.id, Clock.status.in_(OPEN_STATUSES))
    if kinds is not None:
        stmt = stmt.where(Clock.kind.in_(kinds))
    return [_finish(session, c, at=at, status=ClockStatus.CANCELLED) for c in session.scalars(stmt)]


def _audit(
    session: Session, ticket: Ticket, *, actor: Actor, action: str, summary: str, detail: dict[str, Any]
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"complaints.{action}",
        object_type="complaints.ticket",
        object_id=ticket.id,
        summary=f"工单 {ticket.ticket_no}：{summary}",
        detail=detail,
    )


def pause_clock(*, session: Session, ticket_id: int, kind: str, reason: str, actor: Actor) -> Clock:
    """Pause a running clock (only pausable rules: 检定、检验、检测、鉴定 time, 第二十条第三款)."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "请填写暂停计时的原因", errors=[FieldError("reason", "请填写暂停原因（如送检的机构和项目）")]
        )
    if len(reason) > 200:
        raise ValidationFailed("暂停原因过长", errors=[FieldError("reason", "暂停原因不能超过 200 字")])
    rule = rule_for(ticket, kind)
    if not rule.pausable:
        raise Conflict(
            f"“{rule.label}”时限不能暂停：只有法规规定不计入期限的时间（如第二十条的检定、检验、检测、鉴定）可以暂停"
        )
    clock = open_clock(session, ticket_id=ticket.id, kind=kind)
    if clock is None:
        raise Conflict(f"工单没有正在计时的“{rule.label}”时限")
    if clock.status == ClockStatus.PAUSED.value:
        raise Conflict(f"“{rule.label}”时限已经暂停")
    now = utcnow()
    session.add(ClockPause(clock_id=clock.id, reason=reason, paused_at=now, resumed_at=None))
    clock.status = ClockStatus.PAUSED.value
    data = {"clock_id": clock.id, "kind": kind, "basis": rule.pause_basis}
    ticket_event(session, ticket, actor=actor, action="clock_paused", note=reason, data=data)
    _audit(session, ticket, actor=actor, action="clock_pause", summary=f"暂停“{rule.label}”计时", detail=data)
    session.flush()
    return clock


def resume_clock(*, session: Session, ticket_id: int, kind: str, actor: Actor) -> Clock:
    """Resume a paused clock; its deadline moves by the paused working days (see deadlines)."""
    ticket = handled_ticket(session, ticket_id=ticket_id, actor=actor)
    rule = rule_for(ticket, kind)
    clock = open_clock(session, ticket_id=ticket.id, kind=kind)
    if clock is None or clock.status != ClockStatus.PAUSED.value:
        raise Conflict(f"工单没有暂停中的“{rule.label}”时限")
    now = utcnow()
    pauses = _pauses(session, clock.id)
    for pause in pauses:
        if pause.resumed_at is None:
            pause.resumed_at = now
    old_due = clock.due_at
    clock.due_at, clock.basis = _due(rule, clock.started_at, pauses, now=now)
    clock.status = ClockStatus.RUNNING.value
    clock.reminded_at = None
    clock.escalated_at = None
    data = {
        "clock_id": clock.id,
        "kind": kind,
        "due_before": old_due.isoformat(),
        "due_at": clock.due_at.isoformat(),
    }
    note = f"恢复计时，期限顺延至 {format_local(clock.due_at)}"
    ticket_event(session, ticket, actor=actor, action="clock_resumed", note=note, data=data)
    _audit(
        session, ticket, actor=actor, action="clock_resume", summary=f"恢复“{rule.label}”计时", detail=data
    )
    session.flush()
    return clock


def open_clocks(*, session: Session, ticket_id: int) -> list[Clock]:
    """The ticket's running and paused clocks, earliest deadline first."""
    stmt = (
        select(Clock)
        .where(Clock.ticket_id == ticket_id, Clock.status.in_(OPEN_STATUSES))
        .order_by(Clock.due_at, Clock.id)
    )
    return list(session.scalars(stmt))


# ---------------------------------------------------------------------------------------------------
# Lists and reminders
# ---------------------------------------------------------------------------------------------------


def _read_check(actor: Actor) -> None:
    if not actor.can(Perm.COMPLAINT_READ):
        raise PermissionDenied("您没有查看投诉举报的权限")


def overdue(
    *, session: Session, actor: Actor, now: datetime | None = None, limit: int = 200
) -> list[tuple[Ticket, Clock]]:
    """Running clocks past their deadline on tickets in the actor's reach, most overdue first.

    A paused clock is not overdue: its deadline is moving.
    """
    _read_check(actor)
    at = _aware(now) if now is not None else utcnow()
    stmt = (
        select(Ticket, Clock)
        .join(Clock, Clock.ticket_id == Ticket.id)
        .where(Clock.status == ClockStatus.RUNNING.value, Clock.due_at < at, *scope_filter(actor))
        .order_by(Clock.due_at, Clock.id)
        .limit(limit)
    )
    return [(t, c) for t, c in session.execute(stmt).all()]


def due_soon(
    *, session: Session, actor: Actor, now: datetime | None = None, limit: int = 200
) -> list[tuple[Ticket, Clock]]:
    """Running clocks due from now up to the end of the ``complaints_due_soon_workdays``-th working
    day after today, earliest first."""
    _read_check(actor)
    at = _aware(now) if now is not None else utcnow()
    horizon = due_soon_threshold(at)
    stmt = (
        select(Ticket, Clock)
        .join(Clock, Clock.ticket_id == Ticket.id)
        .where(
            Clock.status == ClockStatus.RUNNING.value,
            Clock.due_at >= at,
            Clock.due_at <= horizon,
            *scope_filter(actor),
        )
        .order_by(Clock.due_at, Clock.id)
        .limit(limit)
    )
    return [(t, c) for t, c in session.execute(stmt).all()]


def refresh_provisional(*, session: Session) -> int:
    """Recompute open clocks whose deadline was provisional, now that more years may be covered.

    Returns how many deadlines changed basis (became exact). Called by :func:`send_reminders`.
    """
    stmt = select(Clock).where(
        Clock.status == ClockStatus.RUNNING.value, Clock.basis.endswith(PROVISIONAL_NOTE, autoescape=True)
    )
    fixed = 0
    for clock in session.scalars(stmt):
        rule = rule_for(session.get_one(Ticket, clock.ticket_id), clock.kind)
        pauses = _pauses(session, clock.id)
        due_at, basis = _due(rule, clock.started_at, pauses)
        if basis != clock.basis:
            clock.due_at, clock.basis = due_at, basis
            fixed += 1
    return fixed


def send_reminders(*, session: Session, now: datetime | None = None) -> ReminderRun:
    """Remind due-soon clocks once and escalate overdue ones once (timeline + audit events).

    Idempotent: a second run at the same ``now`` changes nothing.
    """
    at = _aware(now) if now is not None else utcnow()
    run = ReminderRun(refreshed=refresh_provisional(session=session))
    horizon = due_soon_threshold(at)
    soon = (
        select(Ticket, Clock)
        .join(Clock, Clock.ticket_id == Ticket.id)
        .where(
            Clock.status == ClockStatus.RUNNING.value,
            Clock.due_at >= at,
            Clock.due_at <= horizon,
            Clock.reminded_at.is_(None),
        )
        .order_by(Clock.due_at, Clock.id)
    )
    for ticket, clock in session.execute(soon).all():
        clock.reminded_at = at
        label = clock_label(clock.kind)
        data = {"clock_id": clock.id, "kind": clock.kind, "due_at": _aware(clock.due_at).isoformat()}
        note = f"“{label}”将于 {format_local(clock.due_at)} 到期"
        ticket_event(session, ticket, actor=SYSTEM, action="reminded", note=note, data=data, at=at)
        _audit(session, ticket, actor=SYSTEM, action="remind", summary=note, detail=data)
        run.reminded += 1
        run.reminded_ids.append(clock.id)
    late = (
        select(Ticket, Clock)
        .join(Clock, Clock.ticket_id == Ticket.id)
        .where(Clock.status == ClockStatus.RUNNING.value, Clock.due_at < at, Clock.escalated_at.is_(None))
        .order_by(Clock.due_at, Clock.id)
    )
    for ticket, clock in session.execute(late).all():
        clock.escalated_at = at
        label = clock_label(clock.kind)
        data = {
            "clock_id": clock.id,
            "kind": clock.kind,
            "due_at": _aware(clock.due_at).isoformat(),
            "basis": clock.basis,
        }
        note = f"“{label}”已于 {format_local(clock.due_at)} 超期，督办"
        ticket_event(session, ticket, actor=SYSTEM, action="escalated", note=note, data=data, at=at)
        _audit(session, ticket, actor=SYSTEM, action="escalate", summary=note, detail=data)
        run.escalated += 1
        run.escalated_ids.append(clock.id)
    session.flush()
    return run
