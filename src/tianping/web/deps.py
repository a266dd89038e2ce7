"""Dependencies and helpers shared by the page handlers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from tianping.core.authz import ANONYMOUS, ROLE_LABELS, Actor, Perm, Role
from tianping.core.db import request_session
from tianping.core.errors import NotAuthenticated, PermissionDenied, TianpingError
from tianping.core.money import format_yuan
from tianping.core.timeutil import format_local
from tianping.identity import service as identity

SESSION_COOKIE = "tp_session"
TEMPLATE_DIR = Path(__file__).parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.globals.update(ROLE_LABELS=ROLE_LABELS, Perm=Perm, Role=Role)
templates.env.filters["local"] = format_local
templates.env.filters["yuan"] = format_yuan

SessionDep = Annotated[Session, Depends(request_session, scope="function")]


class LoginRequired(Exception):
    """Raised for pages that need a user; the app turns it into a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_page_actor(request: Request, session: SessionDep) -> Actor:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return ANONYMOUS
    try:
        actor, csrf = identity.actor_for_session_token(session, token=token, ip=client_ip(request))
    except NotAuthenticated:
        return ANONYMOUS
    request.state.csrf_token = csrf
    return actor


def require_page_user(request: Request, actor: Annotated[Actor, Depends(get_page_actor)]) -> Actor:
    if not actor.is_authenticated:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return actor


PageActor = Annotated[Actor, Depends(get_page_actor)]
PageUser = Annotated[Actor, Depends(require_page_user)]


def check_csrf(request: Request, actor: PageActor, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every state-changing form posts the session's CSRF token."""
    expected = getattr(request.state, "csrf_token", None) if actor.is_authenticated else None
    if not expected or csrf_token != expected:
        raise PermissionDenied("表单已失效（CSRF 校验失败），请刷新页面后重试")


CsrfChecked = Depends(check_csrf)


def render(
    request: Request,
    template: str,
    *,
    actor: Actor,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    context.setdefault("errors", {})
    context.setdefault("message", None)
    return templates.TemplateResponse(
        request,
        template,
        {
            "actor": actor,
            "csrf_token": getattr(request.state, "csrf_token", ""),
            **context,
        },
        status_code=status_code,
    )


def error_context(exc: TianpingError) -> dict[str, Any]:
    return {"message": exc.message, "errors": {e.field: e.message for e in exc.errors}}


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="")
