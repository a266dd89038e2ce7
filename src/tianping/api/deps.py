"""FastAPI dependencies of the JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from tianping.core.authz import ANONYMOUS, Actor
from tianping.core.db import MAX_ID, request_session
from tianping.core.errors import NotAuthenticated
from tianping.identity import service as identity

SessionDep = Annotated[Session, Depends(request_session, scope="function")]

SESSION_COOKIE = "tp_session"


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_actor(request: Request, session: SessionDep) -> Actor:
    """Bearer API token, or the web session cookie plus an ``X-CSRF-Token`` header for writes."""
    ip = client_ip(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return identity.actor_for_api_token(session, token=auth[7:].strip(), ip=ip)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        actor, csrf = identity.actor_for_session_token(session, token=cookie, ip=ip)
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.headers.get("x-csrf-token") != csrf:
            raise NotAuthenticated("CSRF 校验失败：请在请求头 X-CSRF-Token 中提供会话令牌")
        return actor
    return ANONYMOUS


def require_user(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
    if not actor.is_authenticated:
        raise NotAuthenticated("需要登录或提供 API 令牌（Authorization: Bearer …）")
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]
UserDep = Annotated[Actor, Depends(require_user)]


IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="编号")]
OptionalIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
