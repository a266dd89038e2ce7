"""Complaint / work-order endpoints (投诉举报、接诉即办工单), mounted under ``/api/v1``.

* ``POST /complaints`` — file one submission. Anonymous callers may file through the public channel
  (``web``) only, rate-limited per address; authenticated clients with ``complaint:handle`` any channel.
  Idempotent on ``(channel, external_id)``: 201 when created, 200 with the same numbers when known.
* ``POST /complaints/bulk`` — many at once, all or nothing; errors name ``items[i].field``.
* ``GET /complaints``, ``GET /complaints/{id}`` — scoped (out of reach = 404) and masked.
* ``POST /complaints/{id}/reveal`` — the complainant unmasked (``pii:reveal``), audited.
* lifecycle actions ``POST /complaints/{id}/accept|reject|assign|transfer|mediate|close|callback|
  reopen|archive|category|business|pause|resume`` — one service call each.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from tianping.api.deps import ActorDep, IdPath, SessionDep, UserDep, client_ip
from tianping.complaints import clocks, intake, lifecycle, linking, service, training
from tianping.complaints.lifecycle_schemas import CallbackIn
from tianping.complaints.schemas import (
    AssignIn,
    BulkIn,
    BulkResult,
    BusinessIn,
    CategoryIn,
    CloseIn,
    EventOut,
    FiledOut,
    NoteIn,
    PartyOut,
    PauseIn,
    ReasonIn,
    RejectIn,
    ResumeIn,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketQuery,
    TransferIn,
)
from tianping.core.authz import Actor

router = APIRouter(prefix="/complaints", tags=["complaints"])


def _with_ip(actor: Actor, request: Request) -> Actor:
    return actor if actor.ip is not None else replace(actor, ip=client_ip(request))


@router.post(
    "",
    response_model=FiledOut,
    status_code=status.HTTP_201_CREATED,
    summary="提交投诉举报（公众限网上渠道；同一来源工单号重复提交返回已登记的工单）",
)
def file_complaint(
    ticket_in: TicketIn, request: Request, response: Response, session: SessionDep, actor: ActorDep
) -> FiledOut:
    actor = _with_ip(actor, request)
    if not actor.is_authenticated:
        intake.check_public_rate(session, actor.ip)
    (result,) = intake.register_many(session=session, items=[ticket_in], actor=actor, path_prefix="")
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return FiledOut(
        ticket_nos=[t.ticket_no for t in result.tickets],
        ticket_ids=[t.id for t in result.tickets] if actor.is_authenticated else [],
        created=result.created,
    )


@router.post(
    "/bulk", response_model=BulkResult, summary="批量登记工单（任一条有误则全部不登记；按来源工单号幂等）"
)
def file_bulk(body: BulkIn, session: SessionDep, actor: UserDep) -> BulkResult:
    items = intake.parse_bulk(body.items)
    return intake.register_bulk(session=session, items=items, actor=actor)


@router.get("", response_model=TicketPage, summary="工单列表（按管辖范围，个人信息脱敏）")
def list_complaints(
    session: SessionDep, actor: UserDep, query: Annotated[TicketQuery, Query()]
) -> TicketPage:
    return service.list_tickets(session=session, query=query, actor=actor)


@router.get("/{ticket_id}", response_model=TicketOut, summary="工单详情（含分拣理由；个人信息脱敏）")
def get_complaint(ticket_id: IdPath, session: SessionDep, actor: UserDep) -> TicketOut:
    ticket = service.get(session=session, ticket_id=ticket_id, actor=actor)
    return service.to_out(ticket, session=session, actor=actor)


@router.get("/{ticket_id}/timeline", response_model=list[EventOut], summary="工单办理记录")
def get_timeline(ticket_id: IdPath, session: SessionDep, actor: UserDep) -> list[EventOut]:
    events = service.timeline(session=session, ticket_id=ticket_id, actor=actor)
    return [
        EventOut(
            id=e.id,
            at=e.at,
            actor_name=e.actor_name,
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            note=e.note,
            data=e.data or {},
        )
        for e in events
    ]


@router.post(
    "/{ticket_id}/reveal",
    response_model=PartyOut,
    summary="查看投诉人完整个人信息（需“查看个人信息”权限，记入审计日志）",
)
def reveal(ticket_id: IdPath, request: Request, session: SessionDep, actor: UserDep) -> PartyOut:
    return service.reveal_party(session=session, ticket_id=ticket_id, actor=_with_ip(actor, request))


def _out(session: SessionDep, actor: Actor, ticket_id: int) -> TicketOut:
    ticket = service.get(session=session, ticket_id=ticket_id, actor=actor)
    return service.to_out(ticket, session=session, actor=actor)


@router.post("/{ticket_id}/accept", response_model=TicketOut, summary="受理（第十四条）")
def accept(ticket_id: IdPath, body: NoteIn, session: SessionDep, actor: UserDep) -> TicketOut:
    lifecycle.accept(session=session, ticket_id=ticket_id, actor=actor, note=body.note)
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/reject", response_model=TicketOut, summary="不予受理（第十五条，注明理由项）")
def reject(ticket_id: IdPath, body: RejectIn, session: SessionDep, actor: UserDep) -> TicketOut:
    lifecycle.reject(session=session, ticket_id=ticket_id, ground=body.ground, note=body.note, actor=actor)
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/assign", response_model=TicketOut, summary="分派承办单位（及承办人）")
def assign(ticket_id: IdPath, body: AssignIn, session: SessionDep, actor: UserDep) -> TicketOut:
    lifecycle.assign(
        session=session,
        ticket_id=ticket_id,
        org_id=body.org_id,
        actor=actor,
        user_id=body.user_id,
        note=body.note,
    )
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/transfer", response_model=TicketOut, summary="转办（记录理由与次数）")
def transfer(ticket_id: IdPath, body: TransferIn, session: SessionDep, actor: UserDep) -> TicketOut:
    lifecycle.transfer(
        session=session, ticket_id=ticket_id, to_org_id=body.to_org_id, reason=body.reason, actor=actor
    )
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/mediate", response_model=TicketOut, summary="开始调解")
def mediate(ticket_id: IdPath, body: NoteIn, session: SessionDep, actor: UserDep) -> TicketOut:
    lifecycle.start_mediation(session=session, ticket_id=ticket_id, actor=actor, note=body.note)
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/close", response_model=TicketOut, summary="办结（调解成功 / 调解不成 / 终止 …）")
def close(ticket_id: IdPath, body: CloseIn, session: SessionDep, actor: UserDep) -> TicketOut:
    lifecycle.close(
        session=session,
        ticket_id=ticket_id,
        outcome=body.outcome,
        resolved=body.resolved,
        note=body.note,
        actor=actor,
    )
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/callback", response_model=TicketOut, summary="回访（由承办人以外的人员进行）")
def callback(ticket_id: IdPath, body: CallbackIn, session: SessionDep, actor: UserDep) -> TicketOut:
    lifecycle.record_callback(session=session, ticket_id=ticket_id, callback_in=body, actor=actor)
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/reopen", response_model=TicketOut, summary="重新办理")
def reopen(ticket_id: IdPath, body: ReasonIn, session: SessionDep, actor: UserDep) -> TicketOut:
    lifecycle.reopen(session=session, ticket_id=ticket_id, reason=body.reason, actor=actor)
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/archive", response_model=TicketOut, summary="归档")
def archive(ticket_id: IdPath, session: SessionDep, actor: UserDep) -> TicketOut:
    lifecycle.archive(session=session, ticket_id=ticket_id, actor=actor)
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/category", response_model=TicketOut, summary="更正分类（用于下次训练）")
def recategorise(ticket_id: IdPath, body: CategoryIn, session: SessionDep, actor: UserDep) -> TicketOut:
    ticket = service.get(session=session, ticket_id=ticket_id, actor=actor)
    training.record_correction(session=session, ticket=ticket, new_category=body.category_code, actor=actor)
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/business", response_model=TicketOut, summary="确认被投诉经营者（待确认队列）")
def confirm_business(ticket_id: IdPath, body: BusinessIn, session: SessionDep, actor: UserDep) -> TicketOut:
    linking.confirm_business(session=session, ticket_id=ticket_id, entity_id=body.entity_id, actor=actor)
    return _out(session, actor, ticket_id)


@router.post(
    "/{ticket_id}/pause", response_model=TicketOut, summary="暂停计时（检定、检验、检测、鉴定，第二十条）"
)
def pause(ticket_id: IdPath, body: PauseIn, session: SessionDep, actor: UserDep) -> TicketOut:
    clocks.pause_clock(session=session, ticket_id=ticket_id, kind=body.kind, reason=body.reason, actor=actor)
    return _out(session, actor, ticket_id)


@router.post("/{ticket_id}/resume", response_model=TicketOut, summary="恢复计时")
def resume(ticket_id: IdPath, body: ResumeIn, session: SessionDep, actor: UserDep) -> TicketOut:
    clocks.resume_clock(session=session, ticket_id=ticket_id, kind=body.kind, actor=actor)
    return _out(session, actor, ticket_id)
