"""Pages of the evidence vault (电子存证).

Public: handing in a file (``/evidence/submit``), the receipt page reached with its capability
token, offline-style verification of a receipt (``/evidence/verify``; the file's digest is computed
in the browser), the published keys. Signed in: registering a digest without uploading the file.
Readers (``evidence:read``): the list, item pages with their custody history — opening an item,
exporting its file and attaching it to a case are log entries of their own.

Appends go through the process's batching writer (``via_writer=True``), never inside the request's
own transaction (see :func:`tianping.evidence.service.submit`).
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from tianping.core.authz import Actor, Perm
from tianping.core.errors import Conflict, FieldError, PermissionDenied, TianpingError, ValidationFailed
from tianping.core.messages import translate
from tianping.core.settings import get_settings
from tianping.core.timeutil import format_local
from tianping.evidence import receipts, service, standalone_verifier
from tianping.evidence.entries import Links, parse_rfc3339
from tianping.evidence.hashing import Hasher, normalize_hex, read_chunks
from tianping.evidence.intake import ACCEPTED_TYPES_ZH, PUBLIC_MEDIA_TYPES, PUBLIC_PURPOSES, PublicItemIn
from tianping.evidence.models import ENTRY_KIND_LABELS, EntryKind
from tianping.evidence.schemas import EvidenceQuery, HashRegistrationIn
from tianping.web.deps import CsrfChecked, PageActor, PageUser, SessionDep, client_ip, render

router = APIRouter()

MAX_LEAF = 2**53
LeafIndex = Annotated[int, Path(ge=0, le=MAX_LEAF)]
TokenQuery = Annotated[str | None, Query(max_length=64)]
RECEIPT_MAX_BYTES = 2 * 1024 * 1024
VERIFIER_SOURCE = FilePath(standalone_verifier.__file__)


def _field_errors(exc: ValidationError) -> dict[str, str]:
    return {e["field"]: e["message"] for e in translate(exc.errors())}


def _tianping_errors(exc: TianpingError) -> dict[str, str]:
    return {e.field: e.message for e in exc.errors}


def _with_ip(request: Request, actor: Actor) -> Actor:
    """Anonymous actors carry the client's address (the public rate limit and the audit need it)."""
    return actor if actor.ip is not None else dataclasses.replace(actor, ip=client_ip(request))


def _check_csrf_if_signed_in(request: Request, actor: Actor, csrf_token: str) -> None:
    """Public forms: a signed-in user's post must carry the session's token (anonymous ones have none
    to abuse)."""
    if actor.is_authenticated and csrf_token != getattr(request.state, "csrf_token", None):
        raise PermissionDenied("表单已失效（CSRF 校验失败），请刷新页面后重试")


def _new_key() -> str:
    return "web-" + secrets.token_urlsafe(18)


def _receipt_url(leaf_index: int, token: str | None, suffix: str = "", **params: str) -> str:
    query = urlencode({**({"t": token} if token else {}), **params})
    return f"/evidence/receipts/{leaf_index}{suffix}" + (f"?{query}" if query else "")


def _local(text: Any) -> str:
    if not isinstance(text, str) or not text:
        return ""
    try:
        return format_local(parse_rfc3339(text), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n:,} 字节"


# -- handing in a file ------------------------------------------------------------------------------


def _submit_page(request: Request, actor: Actor, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("form", {"purpose": "complaint", "ticket": ""})
    return render(
        request,
        "evidence/submit.html",
        actor=actor,
        nav="evidence-submit",
        status_code=status_code,
        purposes=PUBLIC_PURPOSES,
        accepted_types=ACCEPTED_TYPES_ZH,
        max_size=_mib(get_settings().evidence_max_bytes),
        idempotency_key=_new_key(),
        **context,
    )


@router.get("/evidence/submit", response_class=HTMLResponse)
def submit_form(
    request: Request, actor: PageActor, ticket: Annotated[str, Query(max_length=64)] = ""
) -> HTMLResponse:
    return _submit_page(request, actor, form={"purpose": "complaint", "ticket": ticket})


@router.post("/evidence/submit", response_class=HTMLResponse)
def submit_post(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    file: Annotated[UploadFile | None, File()] = None,
    purpose: Annotated[str, Form(max_length=32)] = "",
    ticket: Annotated[str, Form(max_length=200)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _check_csrf_if_signed_in(request, actor, csrf_token)
    form = {"purpose": purpose, "ticket": ticket}
    errors: dict[str, str] = {}
    try:
        item_in = PublicItemIn(purpose=purpose, ticket=ticket, idempotency_key=idempotency_key or None)
    except ValidationError as exc:
        errors = _field_errors(exc)
    if file is None or not file.filename:
        errors["file"] = "请选择要提交的文件"
    if errors or file is None:
        return _submit_page(request, actor, 422, form=form, errors=errors, message="请检查标红的项目")
    try:
        appended = service.add_public_item(
            session=session, actor=_with_ip(request, actor), source=file.file, item_in=item_in
        )
    except Conflict:
        message = "这份表单已经提交过另一个文件；请重新选择文件后再提交"
        return _submit_page(request, actor, 409, form=form, message=message)
    except TianpingError as exc:
        return _submit_page(
            request, actor, exc.status_code, form=form, errors=_tianping_errors(exc), message=exc.message
        )
    token = service.receipt_token(appended)
    return RedirectResponse(_receipt_url(appended.leaf_index, token, new="1"), status_code=303)


# -- receipts -------------------------------------------------------------------------------------


@router.get("/evidence/receipts/{leaf_index}", response_class=HTMLResponse)
def receipt_page(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    leaf_index: LeafIndex,
    t: TokenQuery = None,
    new: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    receipt = service.receipt(session=session, actor=actor, leaf_index=leaf_index, token=t)
    entry = receipt["entry"]
    response = render(
        request,
        "evidence/receipt.html",
        actor=actor,
        nav="evidence",
        r=receipt,
        entry=entry,
        kind_label=ENTRY_KIND_LABELS[EntryKind(entry["kind"])],
        media_label=PUBLIC_MEDIA_TYPES.get(entry.get("media_type") or ""),
        registered_local=_local(entry.get("registered_at")),
        signed_local=_local(receipt.get("checkpoint_signed_at")),
        qr_svg=receipts.qr_svg(receipt),
        token=t,
        new=new,
        json_url=_receipt_url(leaf_index, t, "/receipt.json"),
        html_url=_receipt_url(leaf_index, t, "/receipt.html"),
    )
    response.headers["Cache-Control"] = "no-store"  # the address holds a capability
    return response


def _download(content: str, filename: str, media_type: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.get("/evidence/receipts/{leaf_index}/receipt.json")
def receipt_json(
    session: SessionDep, actor: PageActor, leaf_index: LeafIndex, t: TokenQuery = None
) -> Response:
    receipt = service.receipt(session=session, actor=actor, leaf_index=leaf_index, token=t)
    return _download(receipts.dumps(receipt), f"存证回执-{leaf_index}.json", "application/json")


@router.get("/evidence/receipts/{leaf_index}/receipt.html")
def receipt_html(
    session: SessionDep, actor: PageActor, leaf_index: LeafIndex, t: TokenQuery = None
) -> Response:
    receipt = service.receipt(session=session, actor=actor, leaf_index=leaf_index, token=t)
    return _download(receipts.render_html(receipt), f"存证回执-{leaf_index}.html", "text/html; charset=utf-8")


# -- verification ---------------------------------------------------------------------------------


def _verify_page(request: Request, actor: Actor, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(
        request,
        "evidence/verify.html",
        actor=actor,
        nav="evidence-verify",
        status_code=status_code,
        legal_elements=standalone_verifier.LEGAL_ELEMENTS_ZH,
        **context,
    )


@router.get("/evidence/verify", response_class=HTMLResponse)
def verify_form(request: Request, actor: PageActor) -> HTMLResponse:
    return _verify_page(request, actor)


def _read_receipt(upload: UploadFile | None) -> Any:
    if upload is None or not upload.filename:
        raise ValidationFailed(
            "请选择存证回执文件", errors=[FieldError("receipt", "请选择存证回执（JSON 文件）")]
        )
    data = upload.file.read(RECEIPT_MAX_BYTES + 1)
    if len(data) > RECEIPT_MAX_BYTES:
        raise ValidationFailed(
            "回执文件过大", errors=[FieldError("receipt", "存证回执不超过 2 MB，这不是回执文件")]
        )
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed(
            "回执文件无法读取",
            errors=[FieldError("receipt", "这不是 JSON 格式的存证回执，请选择下载的 .json 回执文件")],
        ) from None


def _hash_upload(upload: UploadFile) -> tuple[str, str | None]:
    """SHA-256 and SM3 of a file uploaded by a browser without scripts (read, never kept)."""
    limit = get_settings().evidence_max_bytes
    hasher = Hasher()
    for chunk in read_chunks(upload.file):
        hasher.update(chunk)
        if hasher.size > limit:
            raise ValidationFailed("文件过大", errors=[FieldError("file", f"文件超过 {_mib(limit)} 的上限")])
    digests = hasher.digests()
    return digests.sha256, digests.sm3


@router.post("/evidence/verify", response_class=HTMLResponse)
def verify_post(
    request: Request,
    actor: PageActor,
    receipt: Annotated[UploadFile | None, File()] = None,
    file: Annotated[UploadFile | None, File()] = None,
    file_sha256: Annotated[str, Form(max_length=200)] = "",
    key: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    """Verification changes nothing, so it needs no CSRF token and no session."""
    try:
        data = _read_receipt(receipt)
        digest_sm3: str | None = None
        if file is not None and file.filename:
            digest, digest_sm3 = _hash_upload(file)
            mode = "uploaded"
        elif file_sha256.strip():
            normalized = normalize_hex(file_sha256)
            if normalized is None:
                raise ValidationFailed(
                    "文件摘要格式不正确",
                    errors=[FieldError("file_sha256", "SHA-256 摘要应为 64 位十六进制数字")],
                )
            digest, mode = normalized, "browser"
        else:
            digest, mode = "", "none"
    except TianpingError as exc:
        return _verify_page(
            request, actor, exc.status_code, errors=_tianping_errors(exc), message=exc.message, key=key
        )
    report = service.verify(
        data, file_sha256=digest or None, file_sm3=digest_sm3, pinned_key=key.strip() or None
    )
    entry = data.get("entry") if isinstance(data, dict) else None
    return _verify_page(
        request,
        actor,
        report=report,
        mode=mode,
        entry=entry if isinstance(entry, dict) else None,
        registered_local=_local(entry.get("registered_at")) if isinstance(entry, dict) else "",
        file_check=report.check("file_sha256"),
        key=key,
    )


@router.get("/evidence/verifier.py")
def verifier_source() -> Response:
    """The standalone verifier (one Python file) for courts and counterparties."""
    return FileResponse(
        VERIFIER_SOURCE,
        media_type="text/x-python; charset=utf-8",
        filename="standalone_verifier.py",
        headers={"X-Content-Type-Options": "nosniff"},
    )


# -- hash-only registration -----------------------------------------------------------------------


def _register_page(request: Request, actor: Actor, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("form", {})
    return render(
        request,
        "evidence/register_hash.html",
        actor=actor,
        nav="evidence",
        status_code=status_code,
        idempotency_key=_new_key(),
        **context,
    )


@router.get("/evidence/register-hash", response_class=HTMLResponse)
def register_form(request: Request, actor: PageUser) -> HTMLResponse:
    return _register_page(request, actor)


@router.post("/evidence/register-hash", response_class=HTMLResponse, dependencies=[CsrfChecked])
def register_post(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    sha256: Annotated[str, Form(max_length=200)] = "",
    size: Annotated[str, Form(max_length=20)] = "",
    purpose: Annotated[str, Form(max_length=1000)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    form = {"sha256": sha256, "size": size, "purpose": purpose}
    try:
        registration_in = HashRegistrationIn(
            sha256=sha256,
            size=size.strip() or None,
            purpose=purpose,
            idempotency_key=idempotency_key or None,
        )
    except ValidationError as exc:
        return _register_page(
            request, actor, 422, form=form, errors=_field_errors(exc), message="请检查标红的项目"
        )
    try:
        appended = service.register_hash(
            session=session, actor=actor, registration_in=registration_in, via_writer=True
        )
    except Conflict:
        message = "这份表单已经登记过另一个摘要；请重新选择文件后再登记"
        return _register_page(request, actor, 409, form=form, message=message)
    except TianpingError as exc:
        return _register_page(
            request, actor, exc.status_code, form=form, errors=_tianping_errors(exc), message=exc.message
        )
    token = service.receipt_token(appended)
    return RedirectResponse(_receipt_url(appended.leaf_index, token, new="1"), status_code=303)


# -- keys -----------------------------------------------------------------------------------------


@router.get("/evidence/keys", response_class=HTMLResponse)
def keys_page(request: Request, session: SessionDep, actor: PageActor) -> HTMLResponse:
    return render(
        request,
        "evidence/keys.html",
        actor=actor,
        nav="evidence",
        keys=service.key_history(session=session),
        checkpoint=service.latest_checkpoint(session=session),
    )


@router.get("/evidence/keys.json")
def keys_json(session: SessionDep) -> JSONResponse:
    checkpoint = service.latest_checkpoint(session=session)
    return JSONResponse(
        {
            "keys": [k.model_dump(mode="json") for k in service.key_history(session=session)],
            "checkpoint": checkpoint.model_dump(mode="json") if checkpoint else None,
        }
    )


# -- readers: list, item, export, attach ----------------------------------------------------------


def _page_links(query: EvidenceQuery, pages: int) -> dict[str, str | None]:
    base = {k: v for k, v in query.model_dump(mode="json", exclude_none=True).items() if k != "page"}

    def link(page: int) -> str:
        return "/evidence?" + urlencode({**base, "page": page})

    return {
        "prev": link(query.page - 1) if query.page > 1 else None,
        "next": link(query.page + 1) if query.page < pages else None,
    }


@router.get("/evidence", response_class=HTMLResponse)
def evidence_list(
    request: Request, session: SessionDep, actor: PageUser, query: Annotated[EvidenceQuery, Query()]
) -> HTMLResponse:
    result = service.search_items(session=session, actor=actor, query=query)
    return render(
        request,
        "evidence/list.html",
        actor=actor,
        nav="evidence",
        query=query,
        result=result,
        links=_page_links(query, result.pages),
        kinds=ENTRY_KIND_LABELS,
        reads_all=actor.can(Perm.EVIDENCE_READ),
    )


def _item_page(
    request: Request, session: SessionDep, actor: Actor, leaf_index: int, *, log_view: bool, **context: Any
) -> HTMLResponse:
    if log_view:
        item, _custody = service.view_item(
            session=session, actor=actor, leaf_index=leaf_index, via_writer=True
        )
    else:
        item = service.get_item(session=session, actor=actor, leaf_index=leaf_index)
    history = (
        service.custody_history(session=session, actor=actor, leaf_index=leaf_index)
        if item.kind != EntryKind.CUSTODY
        else []
    )
    return render(
        request,
        "evidence/item.html",
        actor=actor,
        nav="evidence",
        item=item,
        history=history,
        media_label=PUBLIC_MEDIA_TYPES.get(item.media_type or ""),
        **context,
    )


@router.get("/evidence/{leaf_index:int}", response_class=HTMLResponse)
def item_page(request: Request, session: SessionDep, actor: PageUser, leaf_index: LeafIndex) -> HTMLResponse:
    return _item_page(request, session, actor, leaf_index, log_view=True)


@router.post("/evidence/{leaf_index:int}/export", dependencies=[CsrfChecked])
def item_export(
    session: SessionDep,
    actor: PageUser,
    leaf_index: LeafIndex,
    purpose: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    item, path, _custody = service.export_item(
        session=session, actor=actor, leaf_index=leaf_index, purpose=purpose.strip(), via_writer=True
    )
    suffix = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf", "text/plain": ".txt"}
    filename = f"存证{leaf_index}-{item.sha256[:12]}{suffix.get(item.media_type or '', '.bin')}"
    return FileResponse(
        path,
        media_type=item.media_type or "application/octet-stream",
        filename=filename,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )


@router.post("/evidence/{leaf_index:int}/attach", response_class=HTMLResponse, dependencies=[CsrfChecked])
def item_attach(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    leaf_index: LeafIndex,
    ticket: Annotated[str, Form(max_length=200)] = "",
    case: Annotated[str, Form(max_length=200)] = "",
    incident: Annotated[str, Form(max_length=200)] = "",
    purpose: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    form = {"ticket": ticket, "case": case, "incident": incident, "purpose": purpose}
    try:
        service.attach_item(
            session=session,
            actor=actor,
            leaf_index=leaf_index,
            links=Links(ticket=ticket, case=case, incident=incident),
            purpose=purpose.strip(),
            via_writer=True,
        )
    except ValidationFailed as exc:
        return _item_page(
            request,
            session,
            actor,
            leaf_index,
            log_view=False,
            status_code=exc.status_code,
            message=exc.message,
            errors=_tianping_errors(exc),
            attach_form=form,
        )
    return _item_page(
        request, session, actor, leaf_index, log_view=False, message="已关联，并记入保管链", message_ok=True
    )
