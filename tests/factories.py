"""Factories for tests: organisations, users, logins. Fictitious data only."""

from __future__ import annotations

import re
from functools import lru_cache

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tianping.core.authz import Actor, Role
from tianping.core.timeutil import utcnow
from tianping.identity.models import Organization, OrgKind, User
from tianping.identity.security import hash_password
from tianping.identity.service import build_actor

DEFAULT_PASSWORD = "Test-password-2025"


@lru_cache(maxsize=8)
def _hash(password: str) -> str:
    return hash_password(password)  # Argon2 is deliberately slow: hash each password once per run


def make_org(
    session: Session,
    name: str,
    kind: OrgKind = OrgKind.CITY_BUREAU,
    *,
    division_code: str | None = None,
    jurisdiction: list[str] | None = None,
    industry_sections: list[str] | None = None,
    platform_entity_id: int | None = None,
    parent: Organization | None = None,
) -> Organization:
    org = Organization(
        name=name,
        kind=kind.value,
        division_code=division_code,
        jurisdiction=jurisdiction or [],
        industry_sections=industry_sections or [],
        platform_entity_id=platform_entity_id,
        parent_id=parent.id if parent else None,
        is_active=True,
        created_at=utcnow(),
    )
    session.add(org)
    session.flush()
    return org


def make_user(
    session: Session,
    username: str,
    roles: list[Role] | Role,
    *,
    org: Organization | None = None,
    password: str = DEFAULT_PASSWORD,
    phone: str | None = "13812345678",
) -> User:
    if org is None:
        org = make_org(session, f"测试机构-{username}", OrgKind.CITY_BUREAU)
    role_list = [roles] if isinstance(roles, Role) else list(roles)
    user = User(
        username=username,
        display_name=f"测试{username}",
        password_hash=_hash(password),
        org_id=org.id,
        roles=[r.value for r in role_list],
        phone=phone,
        email=None,
        is_active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    session.refresh(user)
    return user


def actor_of(session: Session, user: User) -> Actor:
    session.refresh(user)
    return build_actor(user, user.org)


CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def login(client: TestClient, username: str, password: str = DEFAULT_PASSWORD) -> str:
    """Log in through the real form; return the session's CSRF token for later POSTs."""
    resp = client.post("/login", data={"username": username, "password": password, "next": "/"})
    assert resp.status_code == 303, resp.text[:500]
    page = client.get("/")
    assert page.status_code == 200, page.text[:500]
    match = CSRF_RE.search(page.text)
    assert match and match.group(1), "no CSRF token on the page"
    return match.group(1)
