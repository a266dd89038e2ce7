"""Platform replies (ODR, 平台先行处理), mounted under ``/api/v1/odr``.

* ``GET /odr/inbox`` and ``GET /odr/inbox/{ticket_id}`` — a platform handler's complaints (their
  platform and its shops only; complainants masked), bearer token or session cookie.
* ``POST /odr/inbox/{ticket_id}/reply`` — propose a remedy; the answer carries the consumer's decision
  token and link **once** (only its SHA-256 is stored).
* ``POST /odr/tickets/{ticket_id}/notify`` — an officer hands a complaint to its platform
  ("转平台先行处理"), starting the reply clock.
* ``POST /odr/decision/{token}`` — public: the consumer accepts or rejects the remedy (once).
* ``GET /odr/stats?start=&end=`` — per-platform figures (statistics readers; a platform its own);
  ``GET /odr/stats/public?month=`` — the public, aggregate-only table.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel

from tianping.api.deps import IdPath, SessionDep, UserDep
from tianping.complaints import odr
from tianping.complaints.odr_schemas import (
    DecisionIn,
    InboxItem,
    InboxPage,
    PlatformStats,
    PublicStats,
    ReplyIn,
    ReplyView,
)
from tianping.core.authz import Perm

router = APIRouter(prefix="/odr", tags=["odr"])

TokenPath = Annotated[str, Path(min_length=16, max_length=200, description="消费者确认链接中的令牌")]
StatusQuery = Annotated[
    str | None,
    Query(
        max_length=16,
        description="处理状态：awaiting 待回复 | replied 待消费者确认 | settled | rejected | closed",
    ),
]
PageQuery = Annotated[int, Query(ge=1, le=100_000, description="页码")]


class ReplyOut(BaseModel):
    reply: dict[str, Any]
    token: str
    decision_url: str
    note: str = "消费者确认链接只显示这一次，请通过短信或站内信发送给消费者。"


class DecisionOut(BaseModel):
    ticket_no: str
    decision: str
    ticket_status: str


class NotifyOut(BaseModel):
    ticket_id: int
    ticket_no: str
    due_at: str | None


@router.get(
    "/inbox", response_model=InboxPage, summary="平台待办：本平台及入驻商家的投诉（投诉人信息已脱敏）"
)
def inbox(session: SessionDep, actor: UserDep, status: StatusQuery = None, page: PageQuery = 1) -> InboxPage:
    return odr.platform_inbox(session=session, actor=actor, status=status, page=page)


@router.get("/inbox/{ticket_id}", response_model=InboxItem, summary="平台待办中的一件投诉及其回复")
def inbox_item(ticket_id: IdPath, session: SessionDep, actor: UserDep) -> InboxItem:
    return odr.inbox_item(session=session, ticket_id=ticket_id, actor=actor)


@router.post(
    "/inbox/{ticket_id}/reply",
    response_model=ReplyOut,
    status_code=status.HTTP_201_CREATED,
    summary="平台回复并提出处理方案（返回消费者确认链接，仅此一次）",
)
def reply(ticket_id: IdPath, reply_in: ReplyIn, session: SessionDep, actor: UserDep) -> ReplyOut:
    row, token = odr.reply(session=session, ticket_id=ticket_id, reply_in=reply_in, actor=actor)
    view = ReplyView(
        id=row.id,
        at=row.at,
        remedy=row.remedy,
        remedy_label=reply_in.remedy.label,
        amount=row.amount,
        text=row.text,
        decision=None,
        decided_at=None,
        decision_note=None,
        timely=None,
    )
    data = asdict(view)
    data["at"] = row.at.isoformat()
    data["amount"] = str(row.amount) if row.amount is not None else None
    return ReplyOut(reply=data, token=token, decision_url=f"/odr/decision/{token}")


@router.post(
    "/tickets/{ticket_id}/notify", response_model=NotifyOut, summary="转平台先行处理（开始平台答复计时）"
)
def notify(ticket_id: IdPath, session: SessionDep, actor: UserDep) -> NotifyOut:
    ticket = odr.notify_platform(session=session, ticket_id=ticket_id, actor=actor)
    clock = odr.running_clock(session=session, ticket_id=ticket.id)
    return NotifyOut(
        ticket_id=ticket.id,
        ticket_no=ticket.ticket_no,
        due_at=clock.due_at.isoformat() if clock is not None else None,
    )


@router.post(
    "/decision/{token}",
    response_model=DecisionOut,
    summary="消费者确认或拒绝平台处理方案（公开，链接仅可使用一次）",
)
def decide(token: TokenPath, decision_in: DecisionIn, session: SessionDep) -> DecisionOut:
    row = odr.decide(session=session, token=token, accept=decision_in.accept, note=decision_in.note)
    _, ticket = odr.reply_for_token(session=session, token=token)
    return DecisionOut(ticket_no=ticket.ticket_no, decision=row.decision or "", ticket_status=ticket.status)


@router.get("/stats", response_model=list[PlatformStats], summary="各平台投诉处理指标")
def stats(
    session: SessionDep,
    actor: UserDep,
    start: Annotated[date, Query(description="开始日期（含）")],
    end: Annotated[date, Query(description="结束日期（含）")],
) -> list[PlatformStats]:
    if not (actor.can(Perm.STATS_READ) or actor.can(Perm.COMPLAINT_REPLY)):
        actor.require(Perm.STATS_READ)
    return odr.platform_stats(session=session, actor=actor, start=start, end=end)


@router.get("/stats/public", response_model=PublicStats, summary="平台投诉处理情况公示（仅汇总数据）")
def public_stats(
    session: SessionDep,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="月份，YYYY-MM")],
) -> PublicStats:
    return odr.publish_stats(session=session, month=month)
