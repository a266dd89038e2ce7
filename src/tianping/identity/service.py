"""Identity: organisations, users, login, sessions and API tokens.

Service functions take an explicit session and never commit. Every state change writes an audit
event. ``build_actor`` turns a user and their organisation into the :class:`Actor` that all other
domains use for scoping.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tianping.core import audit, pii
from tianping.core.authz import Actor, Perm, Role
from tianping.core.divisions import is_valid_division_code
from tianping.core.errors import (
    Conflict,
    FieldError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from tianping.core.settings import get_settings
from tianping.core.timeutil import utcnow
from tianping.core.validation import is_valid_mobile, normalize_mobile
from tianping.identity.models import ApiToken, LoginAttempt, Organization, OrgKind, User, WebSession
from tianping.identity.schemas import ApiTokenOut, OrgIn, UserIn, UserOut
from tianping.identity.security import hash_password, needs_rehash, new_token, token_digest, verify_password

# Which roles may be held by members of which kinds of organisation.
ROLES_BY_ORG_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.CITY_BUREAU: frozenset({Role.ADMIN, Role.OFFICER, Role.ANALYST}),
    OrgKind.DISTRICT_BUREAU: frozenset({Role.ADMIN, Role.OFFICER, Role.ANALYST}),
    OrgKind.STATION: frozenset({Role.STATION_OFFICER, Role.OFFICER}),
    OrgKind.MEMBER_UNIT: frozenset({Role.MEMBER_UNIT_HANDLER, Role.ANALYST}),
    OrgKind.PLATFORM_COMPANY: frozenset({Role.PLATFORM_HANDLER}),
    OrgKind.CONSUMER_ASSOCIATION: frozenset({Role.ANALYST, Role.MEMBER_UNIT_HANDLER}),
}


# ---------------------------------------------------------------------------------------------
# Actors


def build_actor(user: User, org: Organization, *, ip: str | None = None) -> Actor:
    """The actor's reach follows from its organisation; admins are not limited."""
    roles = frozenset(Role(r) for r in user.roles)
    kind = OrgKind(org.kind)
    divisions: tuple[str, ...] | None = None
    sections: tuple[str, ...] | None = None
    platform: int | None = None
    if Role.ADMIN not in roles:
        if kind == OrgKind.PLATFORM_COMPANY:
            # A platform handler reaches its own platform and nothing else; no platform, no reach.
            platform = org.platform_entity_id if org.platform_entity_id is not None else -1
        elif kind == OrgKind.STATION:
            divisions = tuple(org.jurisdiction) or ((org.division_code,) if org.division_code else ())
        elif kind != OrgKind.CITY_BUREAU and org.division_code:
            divisions = (org.division_code,)
        if kind == OrgKind.MEMBER_UNIT and org.industry_sections:
            sections = tuple(org.industry_sections)
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=roles,
        org_id=org.id,
        org_name=org.name,
        division_prefixes=divisions,
        platform_entity_id=platform,
        industry_sections=sections,
        ip=ip,
    )


def actor_for_session_token(session: Session, *, token: str, ip: str | None) -> tuple[Actor, str]:
    """Resolve a web session cookie to (actor, csrf token)."""
    ws = session.get(WebSession, token_digest(token))
    now = utcnow()
    if ws is None or ws.revoked_at is not None or ws.expires_at <= now:
        raise NotAuthenticated("登录已过期，请重新登录")
    user = session.get(User, ws.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("账号已停用")
    return build_actor(user, user.org, ip=ip), ws.csrf_token


def actor_for_api_token(session: Session, *, token: str, ip: str | None) -> Actor:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise NotAuthenticated("API 令牌无效、已撤销或已过期")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("令牌所属账号已停用")
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now  # coarse, to avoid a write on every call
    return build_actor(user, user.org, ip=ip)


# ---------------------------------------------------------------------------------------------
# Login


def _recent_failures(session: Session, *, username: str | None = None, ip: str | None = None) -> int:
    settings = get_settings()
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    stmt = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, LoginAttempt.success.is_(False))
    )
    if username is not None:
        stmt = stmt.where(LoginAttempt.username == username)
    if ip is not None:
        stmt = stmt.where(LoginAttempt.ip == ip)
    return session.scalar(stmt) or 0


def check_login_allowed(session: Session, *, username: str, ip: str | None) -> None:
    settings = get_settings()
    limit = settings.login_max_failures
    if _recent_failures(session, username=username) >= limit or (
        ip is not None and _recent_failures(session, ip=ip) >= limit * 4
    ):
        raise RateLimited(f"登录失败次数过多，请 {settings.login_window_minutes} 分钟后再试")


def authenticate(
    session: Session, *, username: str, password: str, ip: str | None, user_agent: str | None = None
) -> tuple[User, str]:
    """Check the password and open a web session; returns (user, session token).

    Failed attempts are recorded even though the caller's transaction fails with the error, so the
    edge must commit the attempt record: see :func:`record_failed_login`.
    """
    username = username.strip().lower()
    check_login_allowed(session, username=username, ip=ip)
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise NotAuthenticated("用户名或密码错误")
    now = utcnow()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.add(LoginAttempt(username=username, ip=ip, at=now, success=True))
    token = new_token()
    session.add(
        WebSession(
            token_hash=token_digest(token),
            user_id=user.id,
            csrf_token=new_token(),
            created_at=now,
            expires_at=now + timedelta(hours=get_settings().session_hours),
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    actor = build_actor(user, user.org, ip=ip)
    audit.record(
        session,
        actor=actor,
        action="auth.login",
        object_type="user",
        object_id=user.id,
        summary=f"{user.username} 登录",
    )
    return user, token


def record_failed_login(session: Session, *, username: str, ip: str | None) -> None:
    """Record a failed attempt (in its own unit of work, committed by the caller)."""
    username = username.strip().lower()[:64]
    session.add(LoginAttempt(username=username, ip=ip, at=utcnow(), success=False))
    anon = Actor(user_id=None, username=username or "?", roles=frozenset({Role.PUBLIC}), ip=ip)
    audit.record(
        session,
        actor=anon,
        action="auth.login_failed",
        object_type="user",
        object_id=None,
        summary=f"登录失败：{username}",
    )


def logout(session: Session, *, token: str, actor: Actor) -> None:
    ws = session.get(WebSession, token_digest(token))
    if ws is not None and ws.revoked_at is None:
        ws.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="auth.logout",
            object_type="user",
            object_id=actor.user_id,
            summary=f"{actor.username} 退出登录",
        )


def purge_expired(session: Session) -> int:
    """Delete expired sessions and login attempts older than a day (housekeeping)."""
    now = utcnow()
    result = session.execute(delete(WebSession).where(WebSession.expires_at < now))
    n = getattr(result, "rowcount", 0) or 0
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1)))
    return int(n)


# ---------------------------------------------------------------------------------------------
# Organisations


def _org_visible(actor: Actor, org: Organization) -> bool:
    return actor.is_admin or org.id == actor.org_id


def get_org(session: Session, *, org_id: int, actor: Actor) -> Organization:
    org = session.get(Organization, org_id)
    if org is None or not _org_visible(actor, org):
        raise NotFound("机构不存在")
    return org


def list_orgs(session: Session, *, actor: Actor) -> list[Organization]:
    stmt = select(Organization).order_by(Organization.division_code.nulls_first(), Organization.id)
    if not actor.is_admin:
        stmt = stmt.where(Organization.id == actor.org_id)
    return list(session.scalars(stmt))


def find_org(session: Session, *, name: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.name == name))


def create_org(session: Session, *, org_in: OrgIn, actor: Actor) -> Organization:
    actor.require(Perm.ORG_ADMIN)
    errors: list[FieldError] = []
    if find_org(session, name=org_in.name) is not None:
        errors.append(FieldError("name", "已存在同名机构"))
    if org_in.parent_id is not None and session.get(Organization, org_in.parent_id) is None:
        errors.append(FieldError("parent_id", "上级机构不存在"))
    if org_in.division_code and not is_valid_division_code(org_in.division_code):
        errors.append(FieldError("division_code", f"无效的区划代码：{org_in.division_code}"))
    for code in org_in.jurisdiction:
        if not is_valid_division_code(code):
            errors.append(FieldError("jurisdiction", f"无效的区划代码：{code}"))
    if org_in.kind == OrgKind.PLATFORM_COMPANY and org_in.platform_entity_id is None:
        errors.append(FieldError("platform_entity_id", "平台企业须关联其平台经营主体"))
    if org_in.kind != OrgKind.PLATFORM_COMPANY and org_in.platform_entity_id is not None:
        errors.append(FieldError("platform_entity_id", "只有平台企业可关联平台经营主体"))
    if org_in.kind in (OrgKind.DISTRICT_BUREAU, OrgKind.STATION) and not org_in.division_code:
        errors.append(FieldError("division_code", "区局和市场监管所须填写辖区区划代码"))
    if errors:
        raise ValidationFailed("机构信息有误", errors=errors)
    org = Organization(
        name=org_in.name,
        kind=org_in.kind.value,
        parent_id=org_in.parent_id,
        division_code=org_in.division_code,
        jurisdiction=list(org_in.jurisdiction),
        industry_sections=list(org_in.industry_sections),
        platform_entity_id=org_in.platform_entity_id,
        is_active=True,
        created_at=utcnow(),
    )
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="org.create",
        object_type="organization",
        object_id=org.id,
        summary=f"新建机构 {org.name}",
        detail=org_in.model_dump(mode="json"),
    )
    return org


# ---------------------------------------------------------------------------------------------
# Users


def to_user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        org_id=user.org_id,
        org_name=user.org.name,
        roles=list(user.roles),
        phone=pii.mask_phone(user.phone) if user.phone else None,
        email=pii.mask_email(user.email) if user.email else None,
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def list_users(session: Session, *, actor: Actor) -> list[User]:
    actor.require(Perm.USER_ADMIN)
    return list(session.scalars(select(User).order_by(User.org_id, User.username)))


def get_user(session: Session, *, user_id: int, actor: Actor) -> User:
    user = session.get(User, user_id)
    if user is None or not (actor.can(Perm.USER_ADMIN) or actor.user_id == user_id):
        raise NotFound("用户不存在")
    return user


def create_user(session: Session, *, user_in: UserIn, actor: Actor) -> User:
    actor.require(Perm.USER_ADMIN)
    errors: list[FieldError] = []
    if session.scalar(select(User.id).where(User.username == user_in.username)) is not None:
        errors.append(FieldError("username", "登录名已被使用"))
    org = session.get(Organization, user_in.org_id)
    if org is None:
        errors.append(FieldError("org_id", "所属机构不存在"))
    else:
        allowed = ROLES_BY_ORG_KIND[OrgKind(org.kind)]
        bad = [r for r in user_in.roles if r not in allowed]
        if bad:
            errors.append(FieldError("roles", "该类机构的人员不能担任：" + "、".join(r.value for r in bad)))
    phone = None
    if user_in.phone:
        if not is_valid_mobile(user_in.phone):
            errors.append(FieldError("phone", "手机号格式不正确"))
        else:
            phone = normalize_mobile(user_in.phone)
    if user_in.email and "@" not in user_in.email:
        errors.append(FieldError("email", "电子邮箱格式不正确"))
    if errors:
        raise ValidationFailed("用户信息有误", errors=errors)
    user = User(
        username=user_in.username,
        display_name=user_in.display_name.strip(),
        password_hash=hash_password(user_in.password),
        org_id=user_in.org_id,
        roles=[r.value for r in user_in.roles],
        phone=phone,
        email=user_in.email,
        is_active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        summary=f"新建用户 {user.username}（{'、'.join(user.roles)}）",
        detail={"org_id": user.org_id, "roles": user.roles},
    )
    return user


def set_active(session: Session, *, user_id: int, active: bool, actor: Actor) -> User:
    actor.require(Perm.USER_ADMIN)
    user = get_user(session, user_id=user_id, actor=actor)
    if user.id == actor.user_id and not active:
        raise Conflict("不能停用自己的账号")
    if user.is_active != active:
        user.is_active = active
        if not active:
            now = utcnow()
            for ws in session.scalars(select(WebSession).where(WebSession.user_id == user.id)):
                ws.revoked_at = ws.revoked_at or now
        audit.record(
            session,
            actor=actor,
            action="user.activate" if active else "user.deactivate",
            object_type="user",
            object_id=user.id,
            summary=f"{'启用' if active else '停用'}用户 {user.username}",
        )
    return user


def change_password(session: Session, *, user_id: int, new_password: str, actor: Actor) -> None:
    user = get_user(session, user_id=user_id, actor=actor)
    UserIn.model_validate(
        {
            "username": user.username,
            "display_name": user.display_name,
            "password": new_password,
            "org_id": user.org_id,
            "roles": user.roles,
        }
    )
    user.password_hash = hash_password(new_password)
    audit.record(
        session,
        actor=actor,
        action="user.password",
        object_type="user",
        object_id=user.id,
        summary=f"修改用户 {user.username} 的密码",
    )


# ---------------------------------------------------------------------------------------------
# API tokens


def _token_out(t: ApiToken) -> ApiTokenOut:
    return ApiTokenOut(
        id=t.id,
        name=t.name,
        prefix=t.prefix,
        created_at=t.created_at,
        expires_at=t.expires_at,
        last_used_at=t.last_used_at,
        revoked=t.revoked_at is not None,
    )


def create_api_token(
    session: Session, *, user_id: int, name: str, actor: Actor, days: int | None = 365
) -> tuple[ApiTokenOut, str]:
    user = get_user(session, user_id=user_id, actor=actor)
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationFailed("令牌名称有误", errors=[FieldError("name", "名称为 1–64 个字符")])
    if session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.name == name)):
        raise ValidationFailed("令牌名称有误", errors=[FieldError("name", "该用户已有同名令牌")])
    token = new_token("tp_")
    now = utcnow()
    row = ApiToken(
        user_id=user.id,
        name=name,
        prefix=token[:10],
        token_hash=token_digest(token),
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.create",
        object_type="api_token",
        object_id=row.id,
        summary=f"为 {user.username} 创建 API 令牌 {name}",
    )
    return _token_out(row), token


def list_api_tokens(session: Session, *, user_id: int, actor: Actor) -> list[ApiTokenOut]:
    user = get_user(session, user_id=user_id, actor=actor)
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    return [_token_out(t) for t in rows]


def revoke_api_token(session: Session, *, token_id: int, actor: Actor) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("令牌不存在")
    get_user(session, user_id=row.user_id, actor=actor)  # permission check
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="token.revoke",
            object_type="api_token",
            object_id=row.id,
            summary=f"撤销 API 令牌 {row.name}",
        )


def ensure_can_view(actor: Actor, perm: Perm) -> None:
    if not actor.can(perm):
        raise PermissionDenied("您没有查看此页面的权限")
