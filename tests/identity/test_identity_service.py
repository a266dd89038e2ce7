"""Identity service: actors and their reach, login, rate limiting, sessions and API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import DEFAULT_PASSWORD, actor_of, make_org, make_user
from tianping.core.audit import AuditEvent
from tianping.core.authz import Perm, Role
from tianping.core.errors import NotAuthenticated, PermissionDenied, RateLimited, ValidationFailed
from tianping.core.timeutil import utcnow
from tianping.identity import service
from tianping.identity.models import LoginAttempt, OrgKind, WebSession
from tianping.identity.schemas import OrgIn, UserIn
from tianping.identity.security import token_digest


def test_actor_reach_follows_the_organisation(db_session: Session) -> None:
    city = make_org(db_session, "北京市市场监督管理局", OrgKind.CITY_BUREAU)
    haidian = make_org(
        db_session, "海淀区市场监督管理局", OrgKind.DISTRICT_BUREAU, division_code="110108", parent=city
    )
    station = make_org(
        db_session,
        "清源市场监管所",
        OrgKind.STATION,
        division_code="110115",
        jurisdiction=["110115001", "110115002"],
    )
    sports = make_org(
        db_session, "丰台区体育局", OrgKind.MEMBER_UNIT, division_code="110106", industry_sections=["R"]
    )
    platform = make_org(db_session, "示例外卖平台企业", OrgKind.PLATFORM_COMPANY, platform_entity_id=42)

    city_officer = actor_of(db_session, make_user(db_session, "city", Role.OFFICER, org=city))
    assert city_officer.division_prefixes is None and city_officer.platform_entity_id is None

    hd = actor_of(db_session, make_user(db_session, "hd", Role.OFFICER, org=haidian))
    assert hd.division_prefixes == ("110108",)
    assert hd.covers_division("110108012") and not hd.covers_division("110106001")

    st = actor_of(db_session, make_user(db_session, "st", Role.STATION_OFFICER, org=station))
    assert st.division_prefixes == ("110115001", "110115002")

    mu = actor_of(db_session, make_user(db_session, "mu", Role.MEMBER_UNIT_HANDLER, org=sports))
    assert mu.division_prefixes == ("110106",) and mu.industry_sections == ("R",)
    assert not mu.can(Perm.PII_REVEAL)

    ph = actor_of(db_session, make_user(db_session, "ph", Role.PLATFORM_HANDLER, org=platform))
    assert ph.platform_entity_id == 42 and not ph.can(Perm.PII_REVEAL)

    analyst = actor_of(db_session, make_user(db_session, "an", Role.ANALYST, org=city))
    assert analyst.can(Perm.STATS_READ) and not analyst.can(Perm.PII_REVEAL)

    admin = actor_of(db_session, make_user(db_session, "adm", Role.ADMIN, org=haidian))
    assert admin.division_prefixes is None and admin.can(Perm.USER_ADMIN)


def test_platform_org_without_platform_reaches_nothing(db_session: Session) -> None:
    org = make_org(db_session, "未关联平台企业", OrgKind.PLATFORM_COMPANY)
    actor = actor_of(db_session, make_user(db_session, "lonely", Role.PLATFORM_HANDLER, org=org))
    assert actor.platform_entity_id == -1


def test_login_opens_a_session_and_audits(db_session: Session) -> None:
    make_user(db_session, "officer1", Role.OFFICER)
    user, token = service.authenticate(
        db_session, username="Officer1 ", password=DEFAULT_PASSWORD, ip="127.0.0.9"
    )
    actor, csrf = service.actor_for_session_token(db_session, token=token, ip="127.0.0.9")
    assert actor.user_id == user.id and len(csrf) > 20
    ws = db_session.get(WebSession, token_digest(token))
    assert ws is not None and ws.expires_at > utcnow()
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
    assert [e.actor_username for e in events] == ["officer1"]
    assert events[0].ip == "127.0.0.9"


def test_wrong_password_and_unknown_user_say_the_same(db_session: Session) -> None:
    make_user(db_session, "officer2", Role.OFFICER)
    with pytest.raises(NotAuthenticated) as a:
        service.authenticate(db_session, username="officer2", password="wrong-password-1", ip=None)
    with pytest.raises(NotAuthenticated) as b:
        service.authenticate(db_session, username="nobody", password="wrong-password-1", ip=None)
    assert a.value.message == b.value.message == "用户名或密码错误"


def test_login_is_rate_limited_per_account(db_session: Session) -> None:
    make_user(db_session, "officer3", Role.OFFICER)
    for _ in range(5):
        service.record_failed_login(db_session, username="officer3", ip="10.9.9.9")
    with pytest.raises(RateLimited):
        service.authenticate(db_session, username="officer3", password=DEFAULT_PASSWORD, ip="127.0.0.1")
    # attempts outside the window no longer count
    for row in db_session.scalars(select(LoginAttempt)):
        row.at = utcnow() - timedelta(hours=1)
    db_session.flush()
    service.authenticate(db_session, username="officer3", password=DEFAULT_PASSWORD, ip="127.0.0.1")


def test_logout_and_expiry_end_the_session(db_session: Session) -> None:
    make_user(db_session, "officer4", Role.OFFICER)
    _, token = service.authenticate(db_session, username="officer4", password=DEFAULT_PASSWORD, ip=None)
    actor, _ = service.actor_for_session_token(db_session, token=token, ip=None)
    service.logout(db_session, token=token, actor=actor)
    with pytest.raises(NotAuthenticated):
        service.actor_for_session_token(db_session, token=token, ip=None)
    _, token2 = service.authenticate(db_session, username="officer4", password=DEFAULT_PASSWORD, ip=None)
    ws = db_session.get(WebSession, token_digest(token2))
    assert ws is not None
    ws.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    with pytest.raises(NotAuthenticated):
        service.actor_for_session_token(db_session, token=token2, ip=None)


def test_deactivated_user_loses_sessions_and_tokens(db_session: Session) -> None:
    admin = actor_of(db_session, make_user(db_session, "admin1", Role.ADMIN))
    user = make_user(db_session, "platform1", Role.OFFICER)
    _, token = service.authenticate(db_session, username="platform1", password=DEFAULT_PASSWORD, ip=None)
    _, api_token = service.create_api_token(db_session, user_id=user.id, name="对接", actor=admin)
    assert service.actor_for_api_token(db_session, token=api_token, ip=None).user_id == user.id
    service.set_active(db_session, user_id=user.id, active=False, actor=admin)
    with pytest.raises(NotAuthenticated):
        service.actor_for_session_token(db_session, token=token, ip=None)
    with pytest.raises(NotAuthenticated):
        service.actor_for_api_token(db_session, token=api_token, ip=None)


def test_api_tokens_are_stored_hashed_and_revocable(db_session: Session) -> None:
    admin = actor_of(db_session, make_user(db_session, "admin2", Role.ADMIN))
    user = make_user(db_session, "machine", Role.OFFICER)
    out, token = service.create_api_token(db_session, user_id=user.id, name="平台系统", actor=admin)
    assert token.startswith("tp_") and out.prefix == token[:10]
    from tianping.identity.models import ApiToken

    stored = db_session.get(ApiToken, out.id)
    assert (
        stored is not None
        and token not in (stored.token_hash, stored.prefix)
        and len(stored.token_hash) == 64
    )
    with pytest.raises(ValidationFailed):
        service.create_api_token(db_session, user_id=user.id, name="平台系统", actor=admin)
    service.revoke_api_token(db_session, token_id=out.id, actor=admin)
    with pytest.raises(NotAuthenticated):
        service.actor_for_api_token(db_session, token=token, ip=None)


def test_only_admins_manage_users_and_orgs(db_session: Session) -> None:
    city = make_org(db_session, "北京市市场监督管理局", OrgKind.CITY_BUREAU)
    officer = actor_of(db_session, make_user(db_session, "officer5", Role.OFFICER, org=city))
    with pytest.raises(PermissionDenied):
        service.create_org(
            db_session,
            org_in=OrgIn(name="某区局", kind=OrgKind.DISTRICT_BUREAU, division_code="110108"),
            actor=officer,
        )
    with pytest.raises(PermissionDenied):
        service.list_users(db_session, actor=officer)


def test_create_user_checks_fields_and_roles(db_session: Session) -> None:
    admin = actor_of(db_session, make_user(db_session, "admin3", Role.ADMIN))
    platform_org = make_org(db_session, "示例平台企业", OrgKind.PLATFORM_COMPANY, platform_entity_id=7)
    with pytest.raises(ValidationFailed) as exc:
        service.create_user(
            db_session,
            actor=admin,
            user_in=UserIn(
                username="admin3",
                display_name="重复",
                password="abcdef12345",
                org_id=platform_org.id,
                roles=[Role.OFFICER],
                phone="12345",
            ),
        )
    fields = {e.field for e in exc.value.errors}
    assert fields == {"username", "roles", "phone"}
    before = db_session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.create")
    )
    user = service.create_user(
        db_session,
        actor=admin,
        user_in=UserIn(
            username="ph1",
            display_name="平台经办人甲",
            password="abcdef12345",
            org_id=platform_org.id,
            roles=[Role.PLATFORM_HANDLER],
            phone="+86 138-1234-5678",
        ),
    )
    assert user.phone == "13812345678"
    assert service.to_user_out(user).phone == "138****5678"
    after = db_session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.create")
    )
    assert after == (before or 0) + 1


def test_password_rules() -> None:
    with pytest.raises(ValueError, match="字母和数字"):
        UserIn(username="abc", display_name="x", password="onlyletters!", org_id=1, roles=[Role.OFFICER])
    with pytest.raises(ValueError):
        UserIn(username="Bad Name", display_name="x", password="abc1234567", org_id=1, roles=[Role.OFFICER])
    with pytest.raises(ValueError, match="公众"):
        UserIn(username="abc", display_name="x", password="abc1234567", org_id=1, roles=[Role.PUBLIC])


def test_create_org_validates_territory(db_session: Session) -> None:
    admin = actor_of(db_session, make_user(db_session, "admin4", Role.ADMIN))
    with pytest.raises(ValidationFailed) as exc:
        service.create_org(
            db_session, actor=admin, org_in=OrgIn(name="无辖区区局", kind=OrgKind.DISTRICT_BUREAU)
        )
    assert {e.field for e in exc.value.errors} == {"division_code"}
    with pytest.raises(ValidationFailed) as exc2:
        service.create_org(
            db_session,
            actor=admin,
            org_in=OrgIn(name="错代码所", kind=OrgKind.STATION, division_code="999999"),
        )
    assert {e.field for e in exc2.value.errors} == {"division_code"}
    org = service.create_org(
        db_session,
        actor=admin,
        org_in=OrgIn(name="海淀区市场监督管理局", kind=OrgKind.DISTRICT_BUREAU, division_code="110108"),
    )
    assert org.id is not None
