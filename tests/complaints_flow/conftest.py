"""Fixtures of the lifecycle / clocks / routing tests: tickets and organisations built as rows."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import actor_of, make_org, make_user
from tianping.complaints import clocks, lifecycle
from tianping.complaints.models import Channel, Ticket, TicketKind, TicketStatus
from tianping.core.authz import Actor, Role
from tianping.identity.models import Organization, OrgKind

_numbers = itertools.count(1)


def make_ticket(session: Session, **fields: Any) -> Ticket:
    """A registered complaint about a fictitious shop in 丰台区 卢沟桥街道 (override any column)."""
    n = next(_numbers)
    at = fields.pop("received_at", datetime(2025, 6, 3, 2, 0, tzinfo=UTC))
    values: dict[str, Any] = {
        "ticket_no": f"TSFLOW{n:08d}",
        "channel": Channel.WEB.value,
        "kind": TicketKind.COMPLAINT.value,
        "status": TicketStatus.REGISTERED.value,
        "urgency": "normal",
        "received_at": at,
        "registered_at": at,
        "title": "预付卡退费难",
        "text": "在丰台区卢沟桥街道的明月美发店办的会员卡，店铺关门后不退余额。",
        "division_code": "110106017",
        "district_code": "110106",
        "category_code": "prepaid.beauty",
        "link_detail": {},
        "triage_detail": {},
        "evidence_ids": [],
        "updated_at": at,
    }
    values.update(fields)
    ticket = Ticket(**values)
    session.add(ticket)
    session.flush()
    return ticket


class Clockwork:
    """Sets the time the lifecycle and clocks modules see as "now"."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
        monkeypatch.setattr(clocks, "utcnow", lambda: self.now)
        monkeypatch.setattr(lifecycle, "utcnow", lambda: self.now)

    def set(self, value: datetime) -> datetime:
        self.now = value
        return value


@pytest.fixture
def clockwork(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clockwork]:
    yield Clockwork(monkeypatch)


class Staff:
    """A 丰台 bureau with a station, a member unit and officers, plus a station in 海淀."""

    def __init__(self, session: Session) -> None:
        self.bureau = make_org(
            session, "丰台区市场监督管理局", OrgKind.DISTRICT_BUREAU, division_code="110106"
        )
        self.station = make_org(
            session,
            "卢沟桥市场监管所",
            OrgKind.STATION,
            division_code="110106017",
            jurisdiction=["110106017", "110106018"],
            parent=self.bureau,
        )
        self.commerce = make_org(
            session, "丰台区商务局", OrgKind.MEMBER_UNIT, division_code="110106", industry_sections=["F", "H"]
        )
        self.other_bureau = make_org(
            session, "海淀区市场监督管理局", OrgKind.DISTRICT_BUREAU, division_code="110108"
        )
        self.platform = make_org(session, "某某网络科技有限公司", OrgKind.PLATFORM_COMPANY)
        self.officer_user = make_user(session, "flow-officer", Role.OFFICER, org=self.bureau)
        self.handler_user = make_user(session, "flow-handler", Role.STATION_OFFICER, org=self.station)
        self.checker_user = make_user(session, "flow-checker", Role.OFFICER, org=self.bureau)
        self.analyst_user = make_user(session, "flow-analyst", Role.ANALYST, org=self.bureau)
        self.haidian_user = make_user(session, "flow-haidian", Role.STATION_OFFICER, org=self.other_bureau)
        self.officer: Actor = actor_of(session, self.officer_user)
        self.handler: Actor = actor_of(session, self.handler_user)
        self.checker: Actor = actor_of(session, self.checker_user)
        self.analyst: Actor = actor_of(session, self.analyst_user)
        self.haidian: Actor = actor_of(session, self.haidian_user)

    def org(self, name: str) -> Organization:
        return next(
            o for o in (self.bureau, self.station, self.commerce, self.other_bureau) if o.name == name
        )


@pytest.fixture
def staff(db_session: Session) -> Staff:
    return Staff(db_session)
