"""申诉 / 核减: requests to leave a ticket out of the ASSESSED KPIs, decided by a second person.

A handler (``complaint:handle``) asks with a reason code from the KPI formulas file; an
administrator of the complaints domain (``complaint:admin``) other than the requester approves or
rejects it (four-eyes rule). Each step writes a timeline row and a business audit event. An approved
exclusion changes only the assessed figures of the versions that list its reason; the raw figures
keep every ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tianping.core import audit
from tianping.core.authz import Actor, Perm
from tianping.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from tianping.core.timeutil import utcnow

from .clocks import ticket_event
from .kpi_formulas import load_kpi_formulas
from .models import Exclusion, Ticket
from .repository import scope_filter

__all__ = [
    "EXCLUSION_KINDS",
    "EXCLUSION_STATUS_LABELS",
    "ExclusionView",
    "decide_exclusion",
    "list_exclusions",
    "request_exclusion",
]

EXCLUSION_KINDS: dict[str, str] = {"appeal": "申诉", "deduction": "核减"}
EXCLUSION_STATUS_LABELS: dict[str, str] = {"pending": "待审核", "approved": "已批准", "rejected": "已驳回"}
_NOTE_MAX = 2000


@dataclass(frozen=True)
class ExclusionView:
    """An exclusion with the labels a page shows."""

    id: int
    ticket_id: int
    ticket_no: str
    kind: str
    kind_label: str
    reason_code: str
    reason_label: str
    note: str
    status: str
    status_label: str
    requested_by: int | None
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str | None


def _scoped_ticket(session: Session, ticket_id: int, actor: Actor) -> Ticket:
    ticket = session.scalars(select(Ticket).where(Ticket.id == ticket_id, *scope_filter(actor))).first()
    if ticket is None:
        raise NotFound("工单不存在或不在您的职责范围内")
    return ticket


def _clean_note(note: str, field: str, *, required: bool) -> str:
    text = (note or "").strip()
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise ValidationFailed("说明含有控制字符", errors=[FieldError(field, "不能含有控制字符")])
    if required and not text:
        raise ValidationFailed("请填写说明", errors=[FieldError(field, "请填写理由和依据")])
    if len(text) > _NOTE_MAX:
        raise ValidationFailed("说明过长", errors=[FieldError(field, f"不能超过 {_NOTE_MAX} 个字符")])
    return text


def request_exclusion(
    *, session: Session, ticket_id: int, kind: str, reason_code: str, note: str, actor: Actor
) -> Exclusion:
    """Ask to leave a ticket out of the assessed KPIs (status ``pending``)."""
    actor.require(Perm.COMPLAINT_HANDLE)
    ticket = _scoped_ticket(session, ticket_id, actor)
    formulas = load_kpi_formulas()
    errors: list[FieldError] = []
    if kind not in EXCLUSION_KINDS:
        errors.append(FieldError("kind", "类型应为 appeal（申诉）或 deduction（核减）"))
    if reason_code not in formulas.reason_codes:
        known = "、".join(sorted(formulas.reason_codes))
        errors.append(FieldError("reason_code", f"未知的原因代码（可选：{known}）"))
    if errors:
        raise ValidationFailed("申诉/核减申请无效", errors=errors)
    text = _clean_note(note, "note", required=True)
    open_one = session.scalars(
        select(Exclusion.id).where(
            Exclusion.ticket_id == ticket.id,
            Exclusion.reason_code == reason_code,
            Exclusion.status.in_(("pending", "approved")),
        )
    ).first()
    if open_one is not None:
        raise Conflict(f"该工单已有同一原因的申诉/核减（#{open_one}），不能重复申请")
    now = utcnow()
    exclusion = Exclusion(
        ticket_id=ticket.id,
        kind=kind,
        reason_code=reason_code,
        note=text,
        requested_by=actor.user_id,
        requested_at=now,
        status="pending",
    )
    session.add(exclusion)
    session.flush()
    label = f"{EXCLUSION_KINDS[kind]}：{formulas.reason_label(reason_code)}"
    ticket_event(
        session,
        ticket,
        actor=actor,
        action="exclusion_requested",
        note=text,
        data={"exclusion_id": exclusion.id, "kind": kind, "reason": reason_code},
    )
    audit.record(
        session,
        actor=actor,
        action="complaints.exclusion.request",
        object_type="complaints_exclusion",
        object_id=exclusion.id,
        summary=f"工单 {ticket.ticket_no} 申请{label}",
        detail={"ticket_id": ticket.id, "kind": kind, "reason_code": reason_code},
    )
    return exclusion


def decide_exclusion(
    *, session: Session, exclusion_id: int, approve: bool, note: str, actor: Actor
) -> Exclusion:
    """Approve or reject a pending request; the decider must be a different, identified person."""
    actor.require(Perm.COMPLAINT_ADMIN)
    exclusion = session.get(Exclusion, exclusion_id)
    if exclusion is None:
        raise NotFound("申诉/核减申请不存在")
    ticket = _scoped_ticket(session, exclusion.ticket_id, actor)
    if actor.user_id is None:
        raise PermissionDenied("审核申诉/核减须由实名账号办理（双人复核）")
    if actor.user_id == exclusion.requested_by:
        raise PermissionDenied("申请人不能审核自己的申诉/核减（双人复核）")
    if exclusion.status != "pending":
        raise Conflict(
            f"该申请已{EXCLUSION_STATUS_LABELS.get(exclusion.status, exclusion.status)}，不能再次审核"
        )
    text = _clean_note(note, "note", required=not approve)
    exclusion.status = "approved" if approve else "rejected"
    exclusion.decided_by = actor.user_id
    exclusion.decided_at = utcnow()
    exclusion.decision_note = text or None
    verdict = "批准" if approve else "驳回"
    data: dict[str, object] = {
        "exclusion_id": exclusion.id,
        "approved": approve,
        "reason": exclusion.reason_code,
    }
    ticket_event(session, ticket, actor=actor, action="exclusion_decided", note=text or verdict, data=data)
    audit.record(
        session,
        actor=actor,
        action="complaints.exclusion.decide",
        object_type="complaints_exclusion",
        object_id=exclusion.id,
        summary=f"工单 {ticket.ticket_no} 的{EXCLUSION_KINDS.get(exclusion.kind, '申请')}申请：{verdict}",
        detail={"ticket_id": ticket.id, "approved": approve, "reason_code": exclusion.reason_code},
    )
    session.flush()
    return exclusion


def list_exclusions(
    *,
    session: Session,
    actor: Actor,
    status: str | None = None,
    ticket_id: int | None = None,
    limit: int = 200,
) -> list[ExclusionView]:
    """Requests on tickets in the actor's reach, newest first."""
    actor.require(Perm.COMPLAINT_READ)
    formulas = load_kpi_formulas()
    stmt = (
        select(Exclusion, Ticket.ticket_no)
        .join(Ticket, Ticket.id == Exclusion.ticket_id)
        .where(*scope_filter(actor))
        .order_by(Exclusion.requested_at.desc(), Exclusion.id.desc())
        .limit(limit)
    )
    if status:
        stmt = stmt.where(Exclusion.status == status)
    if ticket_id is not None:
        stmt = stmt.where(Exclusion.ticket_id == ticket_id)
    return [
        ExclusionView(
            id=e.id,
            ticket_id=e.ticket_id,
            ticket_no=no,
            kind=e.kind,
            kind_label=EXCLUSION_KINDS.get(e.kind, e.kind),
            reason_code=e.reason_code,
            reason_label=formulas.reason_label(e.reason_code),
            note=e.note,
            status=e.status,
            status_label=EXCLUSION_STATUS_LABELS.get(e.status, e.status),
            requested_by=e.requested_by,
            requested_at=e.requested_at,
            decided_by=e.decided_by,
            decided_at=e.decided_at,
            decision_note=e.decision_note,
        )
        for e, no in session.execute(stmt)
    ]
