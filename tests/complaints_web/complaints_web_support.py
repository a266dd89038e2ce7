"""Helpers of the complaint page tests: organisations and users of each role, tickets through intake."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import CSRF_RE, actor_of, login, make_org, make_user
from tianping.complaints import intake
from tianping.complaints.models import Ticket
from tianping.complaints.schemas import TicketIn
from tianping.core.audit import AuditEvent
from tianping.core.authz import Role
from tianping.identity.models import Organization, OrgKind, User

FILED_LINK = re.compile(r"^/complaints/filed/([A-Za-z0-9-]+)\?")


@dataclass
class People:
    city: Organization
    station: Organization
    member_unit: Organization
    officer: User
    officer2: User
    analyst: User
    platform: User
    outsider: User


def make_people(session: Session) -> People:
    """One user of each role, committed (to the test's outer transaction) so that a refused request,
    which rolls its unit of work back, does not take them along."""
    city = make_org(session, "北京市市场监督管理局（投诉页面测试）", OrgKind.CITY_BUREAU)
    district = make_org(
        session, "丰台区市场监督管理局（投诉页面测试）", OrgKind.DISTRICT_BUREAU, division_code="110106"
    )
    station = make_org(
        session,
        "卢沟桥市场监管所（投诉页面测试）",
        OrgKind.STATION,
        division_code="110106011",
        parent=district,
    )
    member_unit = make_org(
        session, "丰台区商务局（投诉页面测试）", OrgKind.MEMBER_UNIT, division_code="110106"
    )
    people = People(
        city=city,
        station=station,
        member_unit=member_unit,
        officer=make_user(session, "cw-officer", Role.OFFICER, org=city),
        officer2=make_user(session, "cw-officer2", Role.OFFICER, org=city),
        analyst=make_user(session, "cw-analyst", Role.ANALYST, org=city),
        platform=make_user(session, "cw-platform", Role.PLATFORM_HANDLER, org=city),
        outsider=make_user(session, "cw-public", Role.PUBLIC, org=city),
    )
    session.commit()
    return people


def file_ticket(session: Session, user: User, **fields: Any) -> Ticket:
    """Register one ticket as an officer (channel ``officer``) and return the first ticket."""
    data: dict[str, Any] = {
        "channel": "officer",
        "kind": "complaint",
        "party": {"name": "王小虚", "phone": "13900001111", "address": "北京市丰台区虚构路1号"},
        "title": "美容店办卡后闭店不退费",
        "text": "在丰台区卢沟桥街道的虚构美容美发店办理会员卡充值3000元，店铺突然闭店，要求退还余额。",
        "demand": "退还剩余预付款 2,400 元",
        "business_name": "虚构美容美发店",
        "business_address": "北京市丰台区卢沟桥街道虚构路8号",
        "location": "北京市丰台区卢沟桥街道虚构路8号",
        **fields,
    }
    tickets = intake.register(
        session=session, ticket_in=TicketIn.model_validate(data), actor=actor_of(session, user)
    )
    session.commit()
    return tickets[0]


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match and match.group(1)
    return match.group(1)


def as_user(client: TestClient, user: User) -> str:
    """Log ``user`` in on this client (replacing any previous login); their CSRF token."""
    client.cookies.clear()
    return login(client, user.username)


def audit_actions(session: Session, object_id: int) -> list[str]:
    stmt = select(AuditEvent.action).where(AuditEvent.object_id == str(object_id)).order_by(AuditEvent.id)
    return list(session.scalars(stmt))


PUBLIC_FORM: dict[str, str] = {
    "kind": "complaint",
    "name": "李虚构",
    "phone": "13800002222",
    "address": "北京市丰台区虚构小区3号楼",
    "business_name": "虚构健身俱乐部",
    "business_address": "北京市丰台区卢沟桥街道虚构大街18号",
    "platform_name": "",
    "order_no": "",
    "amount": "1,999.00",
    "occurred_on": "",
    "title": "健身房办年卡后停业",
    "text": "2025年3月在虚构健身俱乐部办理年卡1999元，6月起停业无法联系，要求退还剩余费用。",
    "demand": "退还剩余年卡费用",
}
