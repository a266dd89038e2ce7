"""ODR test fixtures: tickets about two fictitious platforms, built as rows (the models are fixed).

The ODR service runs on the real lifecycle (``lifecycle.close``) and clocks of the complaints domain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import actor_of, make_org, make_user
from tianping.complaints.models import (
    Outcome,
    Party,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from tianping.core import audit
from tianping.core.authz import Actor, Role
from tianping.core.timeutil import utcnow
from tianping.identity.models import OrgKind


@dataclass
class OdrWorld:
    session: Session
    officer: Actor
    handler: Actor  # platform A
    other_handler: Actor  # platform B
    platform_a: int
    platform_b: int
    counter: int = 0

    def ticket(
        self,
        *,
        platform: int | None = None,
        status: TicketStatus = TicketStatus.ACCEPTED,
        received_at: datetime | None = None,
        outcome: Outcome | None = None,
        kind: TicketKind = TicketKind.COMPLAINT,
        name: str = "张三丰",
        phone: str = "13912345678",
    ) -> Ticket:
        self.counter += 1
        now = received_at or utcnow() - timedelta(days=1)
        party = Party(
            name=name,
            phone=phone,
            id_number="110101199003071234",
            address="北京市丰台区卢沟桥街道福润路8号3单元502",
            phone_key=f"key-{self.counter}",
            created_at=now,
        )
        self.session.add(party)
        self.session.flush()
        ticket = Ticket(
            ticket_no=f"TS-ODR-{self.counter:05d}",
            channel="web",
            external_id=None,
            kind=kind.value,
            status=status.value,
            urgency="normal",
            received_at=now,
            registered_at=now,
            party_id=party.id,
            anonymous=False,
            title="外卖订单少送餐品",
            text=f"我叫{name}，电话{phone}，订单少送了一份饺子，要求退款。",
            demand="退款 25 元",
            business_name="瑞丰饺子馆（卢沟桥店）",
            platform_entity_id=platform or self.platform_a,
            platform_name="示例外卖",
            order_no=f"SO{self.counter:08d}",
            amount=Decimal("25.00"),
            category_code="online.delivery",
            division_code="110106",
            district_code="110106",
            accepted_at=now if status != TicketStatus.REGISTERED else None,
            outcome=outcome.value if outcome else None,
            closed_at=now + timedelta(days=3) if outcome else None,
            triage_detail={},
            link_detail={},
            evidence_ids=[],
            updated_at=now,
        )
        self.session.add(ticket)
        self.session.flush()
        return ticket


@pytest.fixture
def world(db_session: Session) -> Iterator[OdrWorld]:
    from tianping.registry.models import MarketEntity

    now = utcnow()
    entities = []
    for name in ("示例外卖平台（北京）科技有限公司", "京彩优选电子商务（北京）有限公司"):
        e = MarketEntity(
            kind="platform",
            name=name,
            normalized_name=name,
            status="active",
            tags=[],
            created_at=now,
            updated_at=now,
        )
        db_session.add(e)
        entities.append(e)
    db_session.flush()
    a, b = entities[0].id, entities[1].id
    org_a = make_org(db_session, "示例外卖平台公司", OrgKind.PLATFORM_COMPANY, platform_entity_id=a)
    org_b = make_org(db_session, "京彩优选公司", OrgKind.PLATFORM_COMPANY, platform_entity_id=b)
    city = make_org(db_session, "测试市局", OrgKind.CITY_BUREAU, division_code="110000")
    officer = actor_of(db_session, make_user(db_session, "odr_officer", Role.OFFICER, org=city))
    handler = actor_of(db_session, make_user(db_session, "odr_platform_a", Role.PLATFORM_HANDLER, org=org_a))
    other = actor_of(db_session, make_user(db_session, "odr_platform_b", Role.PLATFORM_HANDLER, org=org_b))
    assert handler.platform_entity_id == a
    yield OdrWorld(db_session, officer, handler, other, a, b)


def events(session: Session, ticket_id: int) -> list[str]:
    from sqlalchemy import select

    return list(
        session.scalars(
            select(TicketEvent.action).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
    )


def audit_actions(session: Session, ticket_id: int) -> list[str]:
    from sqlalchemy import select

    return list(
        session.scalars(
            select(audit.AuditEvent.action)
            .where(
                audit.AuditEvent.object_type == "complaints_ticket",
                audit.AuditEvent.object_id == str(ticket_id),
            )
            .order_by(audit.AuditEvent.id)
        )
    )


def dict_of(obj: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(obj)
