"""Login, logout, organisation and user administration, audit log."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tianping.core.audit import AuditQuery, list_events
from tianping.core.authz import ROLE_LABELS, Perm, Role
from tianping.core.divisions import districts
from tianping.core.errors import NotAuthenticated, RateLimited, TianpingError
from tianping.core.messages import translate
from tianping.core.settings import get_settings
from tianping.identity import service
from tianping.identity.models import ORG_KIND_LABELS
from tianping.identity.schemas import OrgIn, UserIn
from tianping.web.deps import (
    SESSION_COOKIE,
    CsrfChecked,
    PageActor,
    PageUser,
    SessionDep,
    client_ip,
    error_context,
    render,
)

router = APIRouter()


def _safe_next(url: str | None) -> str:
    if not url:
        return "/"
    parsed = urlparse(url)
    if parsed.scheme or parsed.netloc or not url.startswith("/") or url.startswith("//"):
        return "/"
    return url


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, actor: PageActor, next: str | None = Query(default=None, max_length=500)
) -> Response:
    if actor.is_authenticated:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", actor=actor, next=_safe_next(next), username="")


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    ip = client_ip(request)
    errors = {}
    if not username.strip():
        errors["username"] = "请输入用户名"
    if not password:
        errors["password"] = "请输入密码"
    if errors:
        return render(
            request,
            "login.html",
            actor=actor,
            next=_safe_next(next),
            username=username,
            errors=errors,
            message="请填写用户名和密码",
            status_code=422,
        )
    try:
        _user, token = service.authenticate(
            session, username=username, password=password, ip=ip, user_agent=request.headers.get("user-agent")
        )
    except (NotAuthenticated, RateLimited) as exc:
        if isinstance(exc, NotAuthenticated):
            # Nothing was written before the failure; remember it in this request's unit of work.
            service.record_failed_login(session, username=username, ip=ip)
        return render(
            request,
            "login.html",
            actor=actor,
            next=_safe_next(next),
            username=username,
            message=exc.message,
            status_code=exc.status_code,
        )
    resp = RedirectResponse(_safe_next(next), status_code=303)
    settings = get_settings()
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_hours * 3600,
        path="/",
    )
    return resp


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep, actor: PageUser) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    service.logout(session, token=token, actor=actor)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


# ------------------------------------------------------------------------------------------------
# Organisations


def _org_page(request: Request, session: SessionDep, actor: PageUser, **ctx: Any) -> HTMLResponse:
    orgs = service.list_orgs(session, actor=actor)
    return render(
        request,
        "admin/orgs.html",
        actor=actor,
        nav="orgs",
        orgs=orgs,
        kinds=ORG_KIND_LABELS,
        districts=districts(),
        form=ctx.pop("form", {}),
        **ctx,
    )


@router.get("/admin/orgs", response_class=HTMLResponse)
def orgs_page(request: Request, session: SessionDep, actor: PageUser) -> HTMLResponse:
    actor.require(Perm.ORG_ADMIN)
    return _org_page(request, session, actor)


@router.post("/admin/orgs", response_class=HTMLResponse, dependencies=[CsrfChecked])
def orgs_create(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    parent_id: Annotated[str, Form(max_length=12)] = "",
    division_code: Annotated[str, Form(max_length=12)] = "",
    industry_sections: Annotated[str, Form(max_length=100)] = "",
    platform_entity_id: Annotated[str, Form(max_length=12)] = "",
) -> HTMLResponse:
    actor.require(Perm.ORG_ADMIN)
    form = {
        "name": name,
        "kind": kind,
        "parent_id": parent_id,
        "division_code": division_code,
        "industry_sections": industry_sections,
        "platform_entity_id": platform_entity_id,
    }
    try:
        org_in = OrgIn.model_validate(
            {
                "name": name,
                "kind": kind,
                "parent_id": int(parent_id) if parent_id.strip().isdigit() else None,
                "division_code": division_code.strip() or None,
                "industry_sections": [
                    s for s in industry_sections.replace("，", ",").split(",") if s.strip()
                ],
                "platform_entity_id": int(platform_entity_id)
                if platform_entity_id.strip().isdigit()
                else None,
            }
        )
        org = service.create_org(session, org_in=org_in, actor=actor)
    except ValidationError as exc:
        return _org_page(
            request,
            session,
            actor,
            form=form,
            status_code=422,
            message="机构信息有误",
            errors=_pydantic_errors(exc),
        )
    except TianpingError as exc:
        return _org_page(
            request, session, actor, form=form, status_code=exc.status_code, **error_context(exc)
        )
    return _org_page(request, session, actor, message=f"已新建机构：{org.name}", message_ok=True)


# ------------------------------------------------------------------------------------------------
# Users


def _user_page(request: Request, session: SessionDep, actor: PageUser, **ctx: Any) -> HTMLResponse:
    users = [service.to_user_out(u) for u in service.list_users(session, actor=actor)]
    orgs = service.list_orgs(session, actor=actor)
    assignable = [r for r in Role if r != Role.PUBLIC]
    return render(
        request,
        "admin/users.html",
        actor=actor,
        nav="users",
        users=users,
        orgs=orgs,
        roles=assignable,
        role_labels=ROLE_LABELS,
        form=ctx.pop("form", {}),
        **ctx,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, actor: PageUser) -> HTMLResponse:
    actor.require(Perm.USER_ADMIN)
    return _user_page(request, session, actor)


@router.post("/admin/users", response_class=HTMLResponse, dependencies=[CsrfChecked])
def users_create(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    username: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    org_id: Annotated[str, Form(max_length=12)] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    phone: Annotated[str, Form(max_length=32)] = "",
    email: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    actor.require(Perm.USER_ADMIN)
    form = {
        "username": username,
        "display_name": display_name,
        "org_id": org_id,
        "roles": roles or [],
        "phone": phone,
        "email": email,
    }
    try:
        user_in = UserIn.model_validate(
            {
                "username": username,
                "display_name": display_name,
                "password": password,
                "org_id": int(org_id) if org_id.strip().isdigit() else -1,
                "roles": roles or [],
                "phone": phone.strip() or None,
                "email": email.strip() or None,
            }
        )
        user = service.create_user(session, user_in=user_in, actor=actor)
    except ValidationError as exc:
        return _user_page(
            request,
            session,
            actor,
            form=form,
            status_code=422,
            message="用户信息有误",
            errors=_pydantic_errors(exc),
        )
    except TianpingError as exc:
        return _user_page(
            request, session, actor, form=form, status_code=exc.status_code, **error_context(exc)
        )
    return _user_page(request, session, actor, message=f"已新建用户：{user.username}", message_ok=True)


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse, dependencies=[CsrfChecked])
def users_set_active(
    request: Request,
    user_id: int,
    session: SessionDep,
    actor: PageUser,
    active: Annotated[str, Form(max_length=5)] = "0",
) -> HTMLResponse:
    try:
        user = service.set_active(session, user_id=user_id, active=active == "1", actor=actor)
    except TianpingError as exc:
        return _user_page(request, session, actor, status_code=exc.status_code, **error_context(exc))
    return _user_page(
        request,
        session,
        actor,
        message=f"已{'启用' if user.is_active else '停用'}：{user.username}",
        message_ok=True,
    )


# ------------------------------------------------------------------------------------------------
# Audit log


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    action: str = Query(default="", max_length=64),
    username: str = Query(default="", max_length=64),
    object_type: str = Query(default="", max_length=64),
    page: int = Query(default=1, ge=1, le=100_000),
) -> HTMLResponse:
    size = 50
    rows, total = list_events(
        session,
        actor=actor,
        query=AuditQuery(
            action=action or None,
            actor_username=username or None,
            object_type=object_type or None,
            limit=size,
            offset=(page - 1) * size,
        ),
    )
    return render(
        request,
        "admin/audit.html",
        actor=actor,
        nav="audit",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, (total + size - 1) // size),
        filters={"action": action, "username": username, "object_type": object_type},
    )


def _pydantic_errors(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in translate(exc.errors()):
        field = err["field"].split(".")[0]
        message = err["message"]
        if field == "roles" and message.startswith("至少"):
            message = "至少选择一项"
        if field == "org_id" and message.startswith("不能小于"):
            message = "请选择所属机构"
        out.setdefault(field, message)
    return out
