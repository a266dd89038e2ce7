"""The actions of the ticket page (POST, CSRF-checked): one handler per action, each calling one
service function. Success redirects back to the ticket with a message (post/redirect/get); a
refused action re-renders the ticket with the reason, the field errors and the values typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tianping.complaints import clocks, lifecycle, linking, training
from tianping.complaints import service as complaints
from tianping.complaints.lifecycle_schemas import CallbackIn
from tianping.complaints.models import Outcome
from tianping.core.authz import Actor
from tianping.core.errors import FieldError, TianpingError, ValidationFailed
from tianping.core.messages import translate
from tianping.core.textinput import has_control_characters
from tianping.web.complaint_views import TicketId, detail_page
from tianping.web.deps import CsrfChecked, PageUser, SessionDep

router = APIRouter(dependencies=[CsrfChecked])

DONE_MESSAGES = {
    "accept": "已受理",
    "reject": "已作出不予受理决定",
    "assign": "已分派",
    "transfer": "已转办",
    "mediate": "已开始调解",
    "close": "已办结",
    "callback": "回访已记录",
    "archive": "已归档",
    "reopen": "已重新办理",
    "category": "分类已更正，并记为模型训练样本",
    "business": "经营者已确认",
    "pause": "已暂停计时",
    "resume": "已恢复计时",
    "notify": "已记录告知",
    "dispute": "已提出管辖争议（第三十条），争议解决时限开始计算",
    "resolve_dispute": "管辖争议已解决",
    "odr_notify": "已转平台先行处理，平台答复时限开始计算",  # the route is in web/odr_pages.py
}
Text = Annotated[str, Form(max_length=5000)]
Short = Annotated[str, Form(max_length=200)]


def _int_field(value: str, field: str, label: str) -> int:
    text = value.strip()
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise ValidationFailed(f"请选择{label}", errors=[FieldError(field, f"请选择{label}")])
    return int(text)


def _act(
    request: Request,
    session: SessionDep,
    actor: Actor,
    ticket_id: int,
    action: str,
    form: dict[str, Any],
    call: Callable[[], object],
) -> Response:
    try:
        bad = [k for k, v in form.items() if isinstance(v, str) and has_control_characters(v)]
        if bad:
            message = "不能包含控制字符（如 NUL）"
            raise ValidationFailed(message, errors=[FieldError(k, message) for k in bad])
        call()
    except ValidationError as exc:
        errors = {e["field"]: e["message"] for e in translate(exc.errors())}
        return detail_page(
            request,
            session,
            actor,
            ticket_id,
            status_code=422,
            message="请检查标红的项目",
            errors=errors,
            form={**form, "action": action},
        )
    except TianpingError as exc:
        session.rollback()
        return detail_page(
            request,
            session,
            actor,
            ticket_id,
            status_code=exc.status_code,
            message=exc.message,
            errors={e.field: e.message for e in exc.errors},
            form={**form, "action": action},
        )
    return RedirectResponse(f"/complaints/{ticket_id}?done={action}", status_code=303)


@router.post("/complaints/{ticket_id:int}/reveal", response_class=HTMLResponse)
def reveal(request: Request, session: SessionDep, actor: PageUser, ticket_id: TicketId) -> HTMLResponse:
    """The complainant's personal data in full, for this response only (audited by the service)."""
    party = complaints.reveal_party(session=session, ticket_id=ticket_id, actor=actor)
    return detail_page(request, session, actor, ticket_id, party=party)


@router.post("/complaints/{ticket_id:int}/accept")
def accept(
    request: Request, session: SessionDep, actor: PageUser, ticket_id: TicketId, note: Text = ""
) -> Response:
    return _act(
        request,
        session,
        actor,
        ticket_id,
        "accept",
        {"note": note},
        lambda: lifecycle.accept(
            session=session, ticket_id=ticket_id, actor=actor, note=note.strip() or None
        ),
    )


@router.post("/complaints/{ticket_id:int}/reject")
def reject(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: TicketId,
    ground: Short = "",
    note: Text = "",
) -> Response:
    return _act(
        request,
        session,
        actor,
        ticket_id,
        "reject",
        {"ground": ground, "note": note},
        lambda: lifecycle.reject(
            session=session, ticket_id=ticket_id, ground=ground, note=note.strip(), actor=actor
        ),
    )


@router.post("/complaints/{ticket_id:int}/assign")
def assign(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: TicketId,
    org_id: Short = "",
    note: Text = "",
) -> Response:
    def call() -> object:
        org = _int_field(org_id, "org_id", "承办单位")
        return lifecycle.assign(
            session=session, ticket_id=ticket_id, org_id=org, actor=actor, note=note.strip() or None
        )

    return _act(request, session, actor, ticket_id, "assign", {"org_id": org_id, "note": note}, call)


@router.post("/complaints/{ticket_id:int}/transfer")
def transfer(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: TicketId,
    org_id: Short = "",
    reason: Text = "",
) -> Response:
    def call() -> object:
        org = _int_field(org_id, "org_id", "转办单位")
        return lifecycle.transfer(
            session=session, ticket_id=ticket_id, to_org_id=org, reason=reason.strip(), actor=actor
        )

    return _act(request, session, actor, ticket_id, "transfer", {"org_id": org_id, "note": reason}, call)


@router.post("/complaints/{ticket_id:int}/mediate")
def mediate(request: Request, session: SessionDep, actor: PageUser, ticket_id: TicketId) -> Response:
    return _act(
        request,
        session,
        actor,
        ticket_id,
        "mediate",
        {},
        lambda: lifecycle.start_mediation(session=session, ticket_id=ticket_id, actor=actor),
    )


@router.post("/complaints/{ticket_id:int}/close")
def close(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: TicketId,
    outcome: Short = "",
    resolved: Short = "",
    note: Text = "",
) -> Response:
    def call() -> object:
        if outcome not in {o.value for o in Outcome}:
            raise ValidationFailed("请选择办结方式", errors=[FieldError("outcome", "请选择办结方式")])
        return lifecycle.close(
            session=session,
            ticket_id=ticket_id,
            outcome=Outcome(outcome),
            resolved=resolved == "1",
            note=note.strip(),
            actor=actor,
        )

    form = {"outcome": outcome, "resolved": resolved == "1", "note": note}
    return _act(request, session, actor, ticket_id, "close", form, call)


@router.post("/complaints/{ticket_id:int}/callback")
def callback(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: TicketId,
    method: Short = "phone",
    reached: Short = "",
    contacted: Short = "",
    resolved: Short = "",
    satisfaction: Short = "",
    note: Text = "",
) -> Response:
    fields: dict[str, Any] = {
        "method": method,
        "reached": reached == "1",
        "contacted": contacted == "1",
        "resolved": resolved == "1",
        "satisfaction": satisfaction or None,
        "note": note.strip() or None,
    }

    def call() -> object:
        callback_in = CallbackIn.model_validate(fields)
        return lifecycle.record_callback(
            session=session, ticket_id=ticket_id, callback_in=callback_in, actor=actor
        )

    return _act(request, session, actor, ticket_id, "callback", {**fields, "note": note}, call)


@router.post("/complaints/{ticket_id:int}/archive")
def archive(request: Request, session: SessionDep, actor: PageUser, ticket_id: TicketId) -> Response:
    return _act(
        request,
        session,
        actor,
        ticket_id,
        "archive",
        {},
        lambda: lifecycle.archive(session=session, ticket_id=ticket_id, actor=actor),
    )


@router.post("/complaints/{ticket_id:int}/reopen")
def reopen(
    request: Request, session: SessionDep, actor: PageUser, ticket_id: TicketId, reason: Text = ""
) -> Response:
    return _act(
        request,
        session,
        actor,
        ticket_id,
        "reopen",
        {"reason": reason},
        lambda: lifecycle.reopen(session=session, ticket_id=ticket_id, reason=reason.strip(), actor=actor),
    )


@router.post("/complaints/{ticket_id:int}/category")
def recategorise(
    request: Request, session: SessionDep, actor: PageUser, ticket_id: TicketId, category: Short = ""
) -> Response:
    def call() -> object:
        ticket = complaints.get(session=session, ticket_id=ticket_id, actor=actor)
        return training.record_correction(session=session, ticket=ticket, new_category=category, actor=actor)

    return _act(request, session, actor, ticket_id, "category", {"category": category}, call)


@router.post("/complaints/{ticket_id:int}/business")
def confirm_business(
    request: Request, session: SessionDep, actor: PageUser, ticket_id: TicketId, entity_id: Short = ""
) -> Response:
    def call() -> object:
        chosen = _int_field(entity_id, "entity_id", "经营主体编号") if entity_id.strip() else None
        return linking.confirm_business(session=session, ticket_id=ticket_id, entity_id=chosen, actor=actor)

    return _act(request, session, actor, ticket_id, "business", {"entity_id": entity_id}, call)


@router.post("/complaints/{ticket_id:int}/pause")
def pause(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: TicketId,
    kind: Short = "",
    reason: Text = "",
) -> Response:
    return _act(
        request,
        session,
        actor,
        ticket_id,
        "pause",
        {"reason": reason},
        lambda: clocks.pause_clock(
            session=session, ticket_id=ticket_id, kind=kind, reason=reason.strip(), actor=actor
        ),
    )


@router.post("/complaints/{ticket_id:int}/resume")
def resume(
    request: Request, session: SessionDep, actor: PageUser, ticket_id: TicketId, kind: Short = ""
) -> Response:
    return _act(
        request,
        session,
        actor,
        ticket_id,
        "resume",
        {},
        lambda: clocks.resume_clock(session=session, ticket_id=ticket_id, kind=kind, actor=actor),
    )


@router.post("/complaints/{ticket_id:int}/notify")
def notify(
    request: Request, session: SessionDep, actor: PageUser, ticket_id: TicketId, note: Text = ""
) -> Response:
    def call() -> object:
        return lifecycle.notify(session=session, ticket_id=ticket_id, actor=actor, note=note.strip() or None)

    return _act(request, session, actor, ticket_id, "notify", {"note": note}, call)


@router.post("/complaints/{ticket_id:int}/dispute")
def open_dispute(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: TicketId,
    org_id: Short = "",
    reason: Text = "",
) -> Response:
    def call() -> object:
        org = _int_field(org_id, "org_id", "争议对方机关")
        return lifecycle.open_dispute(
            session=session, ticket_id=ticket_id, other_org_id=org, reason=reason.strip(), actor=actor
        )

    return _act(request, session, actor, ticket_id, "dispute", {"org_id": org_id, "note": reason}, call)


@router.post("/complaints/{ticket_id:int}/dispute/resolve")
def resolve_dispute(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: TicketId,
    org_id: Short = "",
    note: Text = "",
) -> Response:
    def call() -> object:
        org = _int_field(org_id, "org_id", "指定的处理机关")
        return lifecycle.resolve_dispute(
            session=session, ticket_id=ticket_id, designated_org_id=org, note=note.strip(), actor=actor
        )

    return _act(request, session, actor, ticket_id, "resolve_dispute", {"org_id": org_id, "note": note}, call)
