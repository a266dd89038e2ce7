"""Business audit events: every state change and every view of unmasked personal data.

Written explicitly by services (no ORM signals), inside the caller's transaction, so an event exists
exactly when the change it records was committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tianping.core.authz import Actor, Perm
from tianping.core.db import Base, UTCDateTime
from tianping.core.timeutil import utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_username: Mapped[str] = mapped_column(String(64))
    actor_org_id: Mapped[int | None] = mapped_column(Integer)
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(500))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int | None,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_user_id=actor.user_id,
        actor_username=actor.username,
        actor_org_id=actor.org_id,
        ip=actor.ip,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        summary=summary[:500],
        detail=detail or {},
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class EventSpec:
    """One event of :func:`record_many`: what :func:`record` takes besides session and actor."""

    action: str
    object_type: str
    object_id: str | int | None
    summary: str
    detail: dict[str, Any] | None = None


def record_many(session: Session, *, actor: Actor, events: list[EventSpec]) -> None:
    """Write many events of one actor in one statement (batch writers: imports, log appends).

    A Core insert in the session's transaction: no ORM objects, no ids read back.
    """
    if not events:
        return
    now = utcnow()
    session.connection().execute(
        insert(AuditEvent),
        [
            {
                "occurred_at": now,
                "actor_user_id": actor.user_id,
                "actor_username": actor.username,
                "actor_org_id": actor.org_id,
                "ip": actor.ip,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": None if e.object_id is None else str(e.object_id),
                "summary": e.summary[:500],
                "detail": e.detail or {},
            }
            for e in events
        ],
    )


@dataclass(frozen=True)
class AuditQuery:
    action: str | None = None
    actor_username: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


def list_events(session: Session, *, actor: Actor, query: AuditQuery) -> tuple[list[AuditEvent], int]:
    actor.require(Perm.AUDIT_READ)
    stmt = select(AuditEvent)
    if query.action:
        stmt = stmt.where(AuditEvent.action.startswith(query.action))
    if query.actor_username:
        stmt = stmt.where(AuditEvent.actor_username == query.actor_username)
    if query.object_type:
        stmt = stmt.where(AuditEvent.object_type == query.object_type)
    if query.object_id:
        stmt = stmt.where(AuditEvent.object_id == query.object_id)
    if query.since:
        stmt = stmt.where(AuditEvent.occurred_at >= query.since)
    if query.until:
        stmt = stmt.where(AuditEvent.occurred_at < query.until)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(AuditEvent.id.desc()).limit(min(query.limit, 1000)).offset(query.offset)
    ).all()
    return list(rows), total
