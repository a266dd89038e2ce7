"""Platform replies (ODR, 平台先行处理) pages.

* ``/odr`` — a platform handler's inbox (their platform and its shops; complainants masked), with tabs
  by state; ``/odr/{ticket_id}`` — one complaint, its replies and the reply form (CSRF);
  ``POST /odr/{ticket_id}/reply`` shows the consumer's decision link and its QR code **once**.
* ``/odr/decision/{token}`` — public: the consumer sees the proposed remedy and accepts or rejects it
  (the token in the address is the credential; a link decides once).
* ``/odr/stats?month=`` — public per-platform figures, aggregates only, small counts as "<5".
* ``POST /complaints/{ticket_id}/odr/notify`` — officers: "转平台先行处理" (starts the reply clock).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tianping.complaints import odr
from tianping.complaints.odr_schemas import INBOX_STATES, REMEDY_LABELS, ReplyIn
from tianping.core.db import MAX_ID
from tianping.core.errors import TianpingError
from tianping.core.messages import translate
from tianping.core.timeutil import local_today
from tianping.web.deps import CsrfChecked, PageActor, PageUser, SessionDep, error_context, render

router = APIRouter()

TicketId = Annotated[int, Path(ge=1, le=MAX_ID)]
Token = Annotated[str, Path(min_length=16, max_length=200)]
FormText = Annotated[str, Form(max_length=4000)]


def _qr_svg(payload: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(payload, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return str(image.to_string(encoding="unicode"))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# -- the platform's inbox -----------------------------------------------------------------------------


@router.get("/odr", response_class=HTMLResponse)
def inbox(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    status: Annotated[str | None, Query(max_length=16)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    result = odr.platform_inbox(session=session, actor=actor, status=status or None, page=page)
    return render(
        request,
        "odr/inbox.html",
        actor=actor,
        nav="odr",
        result=result,
        status=status or "",
        states=INBOX_STATES,
    )


def _detail(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: int,
    *,
    status_code: int = 200,
    message: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    item = odr.inbox_item(session=session, ticket_id=ticket_id, actor=actor)
    return render(
        request,
        "odr/detail.html",
        actor=actor,
        nav="odr",
        item=item,
        remedies=REMEDY_LABELS,
        status_code=status_code,
        message=message,
        errors=errors or {},
        form=form or {},
    )


@router.get("/odr/{ticket_id:int}", response_class=HTMLResponse)
def detail(request: Request, session: SessionDep, actor: PageUser, ticket_id: TicketId) -> HTMLResponse:
    return _detail(request, session, actor, ticket_id)


@router.post("/odr/{ticket_id:int}/reply", response_class=HTMLResponse, dependencies=[CsrfChecked])
def reply(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: TicketId,
    remedy: Annotated[str, Form(max_length=32)] = "",
    amount: Annotated[str, Form(max_length=32)] = "",
    text: FormText = "",
) -> Response:
    form = {"remedy": remedy, "amount": amount, "text": text}
    try:
        reply_in = ReplyIn.model_validate(
            {"remedy": remedy, "amount": Decimal(amount.strip()) if amount.strip() else None, "text": text}
        )
    except ValidationError as exc:
        errors = {e["field"]: e["message"] for e in translate(exc.errors())}
        return _detail(
            request,
            session,
            actor,
            ticket_id,
            status_code=422,
            message="请检查标红的项目",
            errors=errors,
            form=form,
        )
    except ArithmeticError:
        return _detail(
            request,
            session,
            actor,
            ticket_id,
            status_code=422,
            message="请检查标红的项目",
            errors={"amount": "金额格式不正确"},
            form=form,
        )
    try:
        row, token = odr.reply(session=session, ticket_id=ticket_id, reply_in=reply_in, actor=actor)
    except TianpingError as exc:
        session.rollback()
        ctx = error_context(exc)
        return _detail(
            request,
            session,
            actor,
            ticket_id,
            status_code=exc.status_code,
            message=ctx["message"],
            errors=ctx["errors"],
            form=form,
        )
    link = str(request.url_for("decision_page", token=token))
    item = odr.inbox_item(session=session, ticket_id=ticket_id, actor=actor)
    response = render(
        request,
        "odr/replied.html",
        actor=actor,
        nav="odr",
        item=item,
        reply=row,
        remedy_label=reply_in.remedy.label,
        link=link,
        qr_svg=_qr_svg(link),
        status_code=201,
    )
    return _no_store(response)


# -- officers: hand a complaint to its platform -------------------------------------------------------


@router.post("/complaints/{ticket_id:int}/odr/notify", dependencies=[CsrfChecked])
def notify(session: SessionDep, actor: PageUser, ticket_id: TicketId) -> RedirectResponse:
    odr.notify_platform(session=session, ticket_id=ticket_id, actor=actor)
    return RedirectResponse(f"/complaints/{ticket_id}?done=odr_notify", status_code=303)


# -- the consumer's decision (public) ------------------------------------------------------------------


def _decision(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    token: str,
    *,
    status_code: int = 200,
    message: str | None = None,
    done: bool = False,
) -> Response:
    row, ticket = odr.reply_for_token(session=session, token=token)
    response = render(
        request,
        "odr/decision.html",
        actor=actor,
        reply=row,
        ticket_no=ticket.ticket_no,
        business_name=ticket.business_name,
        platform_name=ticket.platform_name,
        title=ticket.title,
        remedy_label=odr.remedy_label(row.remedy),
        token=token,
        status_code=status_code,
        message=message,
        done=done,
    )
    return _no_store(response)


@router.get("/odr/decision/{token}", response_class=HTMLResponse, name="decision_page")
def decision_page(request: Request, session: SessionDep, actor: PageActor, token: Token) -> Response:
    return _decision(request, session, actor, token)


@router.post("/odr/decision/{token}", response_class=HTMLResponse)
def decide(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    token: Token,
    decision: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    if decision not in ("accept", "reject"):
        return _decision(request, session, actor, token, status_code=422, message="请选择接受或不接受")
    try:
        odr.decide(session=session, token=token, accept=decision == "accept", note=note)
    except TianpingError as exc:
        if exc.status_code == 404:
            raise
        session.rollback()
        return _decision(request, session, actor, token, status_code=exc.status_code, message=exc.message)
    return _decision(request, session, actor, token, done=True)


# -- public figures --------------------------------------------------------------------------------------


def _last_month() -> str:
    first = local_today().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


@router.get("/odr/stats", response_class=HTMLResponse)
def stats(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    month: Annotated[str | None, Query(max_length=7)] = None,
) -> HTMLResponse:
    month = month or _last_month()
    table = odr.publish_stats(session=session, month=month)
    this = date.fromisoformat(f"{month}-01")
    prev = (this - timedelta(days=1)).strftime("%Y-%m")
    nxt = (this + timedelta(days=32)).strftime("%Y-%m")
    return render(
        request,
        "odr/stats.html",
        actor=actor,
        table=table,
        month=month,
        prev_month=prev,
        next_month=nxt,
        small=odr.SMALL_COUNT,
    )
