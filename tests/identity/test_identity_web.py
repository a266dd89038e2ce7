"""Login, CSRF, admin pages, API tokens, audit log and health — through the real app."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import DEFAULT_PASSWORD, actor_of, login, make_org, make_user
from tianping.core.audit import AuditEvent
from tianping.core.authz import Role
from tianping.identity import service
from tianping.identity.models import LoginAttempt, OrgKind, User


def test_pages_redirect_anonymous_users_to_login(client: TestClient) -> None:
    resp = client.get("/admin/users")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=%2Fadmin%2Fusers"
    page = client.get("/login")
    assert page.status_code == 200 and "登录天平平台" in page.text and 'lang="zh-CN"' in page.text


def test_login_logout_round_trip(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "officer", Role.OFFICER)
    csrf = login(client, "officer")
    home = client.get("/")
    assert home.status_code == 200 and "officer" in home.text and "监管人员" in home.text
    # logout without the CSRF token is refused, with it succeeds
    assert client.post("/logout", data={}).status_code == 403
    resp = client.post("/logout", data={"csrf_token": csrf})
    assert resp.status_code == 303
    assert client.get("/").status_code == 303


def test_bad_login_shows_a_message_and_is_recorded(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "officer", Role.OFFICER)
    resp = client.post("/login", data={"username": "officer", "password": "wrong-pass-123", "next": "/"})
    assert resp.status_code == 401 and "用户名或密码错误" in resp.text
    assert "Traceback" not in resp.text
    attempts = db_session.scalars(select(LoginAttempt).where(LoginAttempt.username == "officer")).all()
    assert [a.success for a in attempts] == [False]
    empty = client.post("/login", data={"username": "", "password": ""})
    assert empty.status_code == 422 and "请输入用户名" in empty.text and "请输入密码" in empty.text


def test_login_lockout_after_repeated_failures(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "officer", Role.OFFICER)
    for _ in range(5):
        client.post("/login", data={"username": "officer", "password": "wrong-pass-123"})
    resp = client.post("/login", data={"username": "officer", "password": DEFAULT_PASSWORD})
    assert resp.status_code == 429 and "登录失败次数过多" in resp.text


def test_open_redirect_is_refused(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "officer", Role.OFFICER)
    resp = client.post(
        "/login", data={"username": "officer", "password": DEFAULT_PASSWORD, "next": "https://evil.example/"}
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/"


def test_admin_pages_are_for_admins_only(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "officer", Role.OFFICER)
    login(client, "officer")
    for url in ("/admin/users", "/admin/orgs", "/admin/audit"):
        resp = client.get(url)
        assert resp.status_code == 403, url
        assert "没有权限" in resp.text


def test_admin_creates_users_with_field_errors(client: TestClient, db_session: Session) -> None:
    city = make_org(db_session, "北京市市场监督管理局", OrgKind.CITY_BUREAU)
    make_user(db_session, "admin", Role.ADMIN, org=city)
    csrf = login(client, "admin")
    bad = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "X y",
            "display_name": "",
            "password": "short",
            "org_id": str(city.id),
        },
    )
    assert bad.status_code == 422
    assert "登录名须以小写字母开头" in bad.text and "至少选择一项" in bad.text
    good = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "newofficer",
            "display_name": "新同事",
            "password": "abcdef12345",
            "org_id": str(city.id),
            "roles": ["officer"],
            "phone": "13912345678",
        },
    )
    assert good.status_code == 200 and "已新建用户：newofficer" in good.text
    assert "139****5678" in good.text and "13912345678" not in good.text
    assert db_session.scalar(select(User).where(User.username == "newofficer")) is not None


def test_admin_creates_an_org_and_sees_the_audit_log(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "admin", Role.ADMIN)
    csrf = login(client, "admin")
    resp = client.post(
        "/admin/orgs",
        data={
            "csrf_token": csrf,
            "name": "延庆区市场监督管理局",
            "kind": "district_bureau",
            "division_code": "110119",
        },
    )
    assert resp.status_code == 200 and "已新建机构：延庆区市场监督管理局" in resp.text
    bad = client.post(
        "/admin/orgs", data={"csrf_token": csrf, "name": "某所", "kind": "station", "division_code": "999"}
    )
    assert bad.status_code == 422 and "无效的区划代码" in bad.text
    audit = client.get("/admin/audit?action=org.")
    assert audit.status_code == 200 and "新建机构 延庆区市场监督管理局" in audit.text


def test_api_requires_a_token_and_answers_in_json(client: TestClient, db_session: Session) -> None:
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401 and resp.json()["code"] == "not_authenticated"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer tp_not-a-token"})
    assert bad.status_code == 401
    admin = actor_of(db_session, make_user(db_session, "admin", Role.ADMIN))
    user = make_user(db_session, "machine", Role.OFFICER)
    _, token = service.create_api_token(db_session, user_id=user.id, name="平台对接", actor=admin)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["username"] == "machine"
    assert "pii:reveal" in me.json()["permissions"]
    forbidden = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert forbidden.status_code == 403 and forbidden.json()["detail"]


def test_api_validation_errors_are_field_level_chinese(client: TestClient, db_session: Session) -> None:
    admin_user = make_user(db_session, "admin", Role.ADMIN)
    admin = actor_of(db_session, admin_user)
    _, token = service.create_api_token(db_session, user_id=admin_user.id, name="t", actor=admin)
    resp = client.post(
        "/api/v1/users",
        headers={"Authorization": f"Bearer {token}"},
        json={"username": "ab", "password": "x", "roles": []},
    )
    assert resp.status_code == 422
    body = resp.json()
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields["display_name"] == "必填字段" and fields["org_id"] == "必填字段"
    assert "至少" in fields["password"] and "至少" in fields["username"]


def test_api_cookie_writes_need_the_csrf_header(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "admin", Role.ADMIN)
    csrf = login(client, "admin")
    body = {"name": "怀柔区市场监督管理局", "kind": "district_bureau", "division_code": "110116"}
    assert client.post("/api/v1/orgs", json=body).status_code == 401
    ok = client.post("/api/v1/orgs", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201 and ok.json()["division_code"] == "110116"


def test_audit_api_lists_logins(client: TestClient, db_session: Session) -> None:
    admin_user = make_user(db_session, "admin", Role.ADMIN)
    login(client, "admin")
    _, token = service.create_api_token(
        db_session, user_id=admin_user.id, name="t", actor=actor_of(db_session, admin_user)
    )
    resp = client.get("/api/v1/audit?action=auth.login", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    assert any(e["actor_username"] == "admin" for e in resp.json()["items"])
    assert db_session.scalars(select(AuditEvent).where(AuditEvent.action == "token.create")).first()


def test_health_reports_database_and_migrations(client: TestClient) -> None:
    resp = client.get("/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["database"]["reachable"] is True
    assert body["migrations"]["up_to_date"] is True and body["status"] == "ok"


def test_unknown_pages_and_api_paths_are_clean_404s(client: TestClient) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "不存在" in page.text and "Traceback" not in page.text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["code"] == "http_404"
