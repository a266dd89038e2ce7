"""The public complaint / report form (网上投诉举报) and its confirmation page.

No login: anyone may file. Attachments go to the evidence vault one by one (the public intake of
:func:`tianping.evidence.service.add_public_item`, rate-limited per address) and their leaf indices
travel with the submission as ``evidence_ids``. The confirmation page is reached with a capability
(an HMAC of the ticket numbers under the secret key), so ticket numbers cannot be enumerated to learn
when somebody filed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tianping.complaints import clocks, intake
from tianping.complaints import service as complaints
from tianping.complaints.models import TICKET_KIND_LABELS, Ticket, TicketKind
from tianping.complaints.schemas import TicketIn
from tianping.core.authz import SYSTEM, Actor
from tianping.core.calendar import add_workdays
from tianping.core.errors import NotFound, PermissionDenied, TianpingError
from tianping.core.messages import translate
from tianping.core.settings import get_settings
from tianping.core.timeutil import format_local, local_today, to_local
from tianping.evidence import service as evidence
from tianping.evidence.intake import PublicItemIn
from tianping.registry import service as registry
from tianping.web.deps import PageActor, SessionDep, client_ip, render

router = APIRouter()

FORM_FIELDS = (
    "kind",
    "name",
    "phone",
    "address",
    "business_name",
    "business_address",
    "platform_name",
    "order_no",
    "amount",
    "occurred_on",
    "title",
    "text",
    "demand",
)
PUBLIC_KINDS: tuple[tuple[str, str], ...] = tuple((k.value, k.label) for k in TicketKind)
MAX_FILES = 10
# Error paths of the schema and the services → the form's field names.
FIELD_ALIASES = {"party.name": "name", "party.phone": "phone", "party.address": "address", "party": "name"}
TOKEN_HEX = 32


def filed_token(ticket_nos: Sequence[str]) -> str:
    """The capability that opens the confirmation page of these ticket numbers."""
    message = ("complaint-filed|" + "|".join(ticket_nos)).encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()[:TOKEN_HEX]


def filed_url(ticket_nos: Sequence[str]) -> str:
    first, *more = ticket_nos
    params = [("more", no) for no in more] + [("t", filed_token(ticket_nos))]
    return f"/complaints/filed/{first}?" + urlencode(params)


def _form_field(path: str) -> str:
    if path in FIELD_ALIASES:
        return FIELD_ALIASES[path]
    if path in ("", "body"):
        return "form"
    return path.split(".")[0]


def _with_ip(request: Request, actor: Actor) -> Actor:
    return actor if actor.ip is not None else dataclasses.replace(actor, ip=client_ip(request))


def _platform_names(session: SessionDep) -> list[str]:
    """Platform names are public facts; the public form offers them as a list."""
    return [name for _id, name in registry.platform_choices(session=session, actor=SYSTEM)]


def _form_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    *,
    form: dict[str, Any],
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    message: str | None = None,
) -> HTMLResponse:
    limit = get_settings().evidence_max_bytes
    return render(
        request,
        "complaints/new.html",
        actor=actor,
        nav="complaint-new",
        status_code=status_code,
        form=form,
        errors=errors or {},
        message=message,
        kinds=PUBLIC_KINDS,
        platforms=_platform_names(session),
        today=local_today().isoformat(),
        max_size=f"{limit / (1024 * 1024):.0f} MB",
    )


@router.get("/complaints/new", response_class=HTMLResponse)
def new_form(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    form: dict[str, Any] = dict.fromkeys(FORM_FIELDS, "")
    form.update(kind="complaint", also_report=False)
    return _form_page(request, session, actor, form=form)


def _ticket_in(form: dict[str, Any]) -> TicketIn:
    """The submission as the intake schema sees it (raises ``ValidationError``)."""
    party: dict[str, Any] | None = {"name": form["name"], "phone": form["phone"], "address": form["address"]}
    anonymous = False
    if form["kind"] in ("report", "suggestion") and not (form["name"] or form["phone"]):
        party, anonymous = None, True
    return TicketIn.model_validate(
        {
            "channel": "web",
            "kind": form["kind"] or "complaint",
            "also_report": bool(form["also_report"]) and form["kind"] == "complaint",
            "party": party,
            "anonymous": anonymous,
            "title": form["title"],
            "text": form["text"],
            "demand": form["demand"],
            "business_name": form["business_name"],
            "business_address": form["business_address"],
            "location": form["business_address"],
            "platform_name": form["platform_name"],
            "order_no": form["order_no"],
            "amount": form["amount"].replace(",", "").replace("，", "") or None,
            "occurred_on": form["occurred_on"] or None,
        }
    )


def _store_files(
    request: Request, session: SessionDep, actor: Actor, files: list[UploadFile], kind: str
) -> list[int]:
    purpose = "report" if kind == "report" else "complaint"
    ids: list[int] = []
    for upload in files:
        appended = evidence.add_public_item(
            session=session,
            actor=_with_ip(request, actor),
            source=upload.file,
            item_in=PublicItemIn(purpose=purpose),
        )
        ids.append(appended.leaf_index)
    return ids


@router.post("/complaints/new", response_class=HTMLResponse)
def new_post(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    kind: Annotated[str, Form(max_length=16)] = "complaint",
    also_report: Annotated[str, Form(max_length=8)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=200)] = "",
    address: Annotated[str, Form(max_length=1000)] = "",
    business_name: Annotated[str, Form(max_length=1000)] = "",
    business_address: Annotated[str, Form(max_length=1000)] = "",
    platform_name: Annotated[str, Form(max_length=1000)] = "",
    order_no: Annotated[str, Form(max_length=200)] = "",
    amount: Annotated[str, Form(max_length=100)] = "",
    occurred_on: Annotated[str, Form(max_length=100)] = "",
    title: Annotated[str, Form(max_length=1000)] = "",
    text: Annotated[str, Form(max_length=50_000)] = "",
    demand: Annotated[str, Form(max_length=20_000)] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if actor.is_authenticated and csrf_token != getattr(request.state, "csrf_token", None):
        raise PermissionDenied("表单已失效（CSRF 校验失败），请刷新页面后重试")
    form: dict[str, Any] = {
        "kind": kind,
        "also_report": also_report == "1",
        "name": name,
        "phone": phone,
        "address": address,
        "business_name": business_name,
        "business_address": business_address,
        "platform_name": platform_name,
        "order_no": order_no,
        "amount": amount,
        "occurred_on": occurred_on,
        "title": title,
        "text": text,
        "demand": demand,
    }
    uploads = [f for f in files or [] if f.filename]
    errors: dict[str, str] = {}
    if kind not in dict(PUBLIC_KINDS):
        errors["kind"] = "请选择投诉、举报、咨询或建议"
    if kind in ("complaint", "report") and not business_name.strip():
        errors["business_name"] = "请填写被投诉（举报）的经营者名称（第九条第一款第（二）项）"
    if len(uploads) > MAX_FILES:
        errors["files"] = f"一次最多上传 {MAX_FILES} 个文件"
    ticket_in: TicketIn | None = None
    if "kind" not in errors:
        try:
            ticket_in = _ticket_in(form)
        except ValidationError as exc:
            for e in translate(exc.errors()):
                errors.setdefault(_form_field(e["field"]), e["message"])
    if errors or ticket_in is None:
        message = errors.pop("form", None) or "请检查标红的项目"
        return _form_page(request, session, actor, form=form, status_code=422, errors=errors, message=message)
    try:
        if not actor.is_authenticated:
            intake.check_public_rate(session, client_ip(request))
        evidence_ids = _store_files(request, session, actor, uploads, kind)
        tickets = intake.register(
            session=session,
            ticket_in=ticket_in.model_copy(update={"evidence_ids": evidence_ids}),
            actor=_with_ip(request, actor),
        )
    except TianpingError as exc:
        field_errors = {_form_field(e.field): e.message for e in exc.errors}
        if exc.errors and all(e.field in ("file", "source") for e in exc.errors):
            field_errors = {"files": exc.message}
        return _form_page(
            request,
            session,
            actor,
            form=form,
            status_code=exc.status_code,
            errors=field_errors,
            message=exc.message,
        )
    return RedirectResponse(filed_url([t.ticket_no for t in tickets]), status_code=303)


# -- confirmation ---------------------------------------------------------------------------------


def _accept_due(session: SessionDep, ticket: Ticket) -> str | None:
    """The 第十四条 decision deadline: the ``accept`` clock's due date, or 7 working days on."""
    if ticket.kind != TicketKind.COMPLAINT.value:
        return None
    for clock in clocks.open_clocks(session=session, ticket_id=ticket.id):
        if clock.kind == "accept":
            return format_local(clock.due_at, "%Y年%m月%d日")
    received = to_local(ticket.received_at).date()
    return add_workdays(received, 7).strftime("%Y年%m月%d日")


@router.get("/complaints/filed/{ticket_no}", response_class=HTMLResponse)
def filed_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    ticket_no: Annotated[str, Path(max_length=32)],
    more: Annotated[list[str] | None, Query(max_length=2)] = None,
    t: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    numbers = [ticket_no, *(more or [])]
    if not hmac.compare_digest(t.lower(), filed_token(numbers)):
        raise NotFound("找不到这份登记，请核对链接是否完整")
    tickets = [complaints.get_by_no(session=session, ticket_no=no, actor=SYSTEM) for no in numbers]
    due = next((d for d in (_accept_due(session, x) for x in tickets) if d), None)
    kinds = "、".join(TICKET_KIND_LABELS[TicketKind(x.kind)] for x in tickets)
    response = render(
        request,
        "complaints/filed.html",
        actor=actor,
        nav="complaint-new",
        tickets=[
            {"ticket_no": x.ticket_no, "kind_label": TICKET_KIND_LABELS[TicketKind(x.kind)]} for x in tickets
        ],
        kinds_text=kinds,
        received_local=format_local(tickets[0].received_at),
        accept_due=due,
        evidence_count=len(tickets[0].evidence_ids or []),
        receipts=[
            {"leaf_index": i, "url": f"/evidence/receipts/{i}?t={token}"}
            for i, token in sorted(
                evidence.receipt_tokens(session=session, leaf_indices=tickets[0].evidence_ids or []).items()
            )
        ],
    )
    response.headers["Cache-Control"] = "no-store"
    return response
