"""Audit log endpoint (administrators)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from tianping.api.deps import SessionDep, UserDep
from tianping.core.audit import AuditQuery, list_events

router = APIRouter(tags=["audit"])

# Filters are plain text: control characters (NUL included, which PostgreSQL cannot store) are refused.
PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*$"


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor_username: str
    actor_user_id: int | None
    ip: str | None
    action: str
    object_type: str
    object_id: str | None
    summary: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    total: int


@router.get("/audit", response_model=AuditPage, summary="审计日志")
def audit_log(
    session: SessionDep,
    actor: UserDep,
    action: str | None = Query(default=None, max_length=64, pattern=PRINTABLE),
    username: str | None = Query(default=None, max_length=64, pattern=PRINTABLE),
    object_type: str | None = Query(default=None, max_length=64, pattern=PRINTABLE),
    object_id: str | None = Query(default=None, max_length=64, pattern=PRINTABLE),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> AuditPage:
    rows, total = list_events(
        session,
        actor=actor,
        query=AuditQuery(
            action=action,
            actor_username=username,
            object_type=object_type,
            object_id=object_id,
            limit=limit,
            offset=offset,
        ),
    )
    items = [AuditEventOut.model_validate(e) for e in rows]
    return AuditPage(items=items, total=total)
