"""The demo's complaints: repeatable, consistent with the demo organisations and entities, and
telling the Fengtai story (prepaid tickets fall year-on-year after March 2025, more resolved)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tianping.complaints.models import (
    Callback,
    Clock,
    Outcome,
    Party,
    PlatformReply,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    TriageModel,
)
from tianping.complaints.taxonomy import load_taxonomy
from tianping.demo import load_demo
from tianping.demo.complaint_generator import plan_counts
from tianping.demo.complaints import FENGTAI, STORY_START, complaints_count, demo_months
from tianping.identity.models import Organization, OrgKind
from tianping.registry.models import MarketEntity

SEED = 20250618
AS_OF = date(2026, 11, 28)
ENTITIES = 300
BEIJING = ZoneInfo("Asia/Shanghai")


def _month(dt: datetime) -> date:
    local = dt.astimezone(BEIJING)
    return date(local.year, local.month, 1)


def _snapshot(session: Session) -> list[tuple[object, ...]]:
    rows = session.execute(
        select(
            Ticket.ticket_no,
            Ticket.kind,
            Ticket.channel,
            Ticket.status,
            Ticket.category_code,
            Ticket.received_at,
            Ticket.division_code,
            Ticket.outcome,
            MarketEntity.name,
        ).outerjoin(MarketEntity, MarketEntity.id == Ticket.entity_id)
    )
    return sorted(tuple(r) for r in rows)


def test_months_and_size() -> None:
    months = demo_months(AS_OF)
    assert months[0] == date(2024, 1, 1) and months[-1] == date(AS_OF.year, AS_OF.month, 1)
    assert demo_months(date(2025, 5, 10))[-1] == date(2025, 5, 1)
    assert demo_months(date(2025, 5, 1))[-1] == date(2025, 4, 1)  # nothing on or after the as-of day
    assert complaints_count(6000) == 40_000 and complaints_count(ENTITIES) == 2100


def test_plan_tells_the_fengtai_story() -> None:
    import random

    plan = plan_counts(random.Random(1), demo_months(AS_OF), 40_000)
    assert 39_000 < sum(n for *_, n in plan) < 41_000

    def prepaid(district: str, first: date, last: date) -> int:
        return sum(
            n
            for m, d, code, n in plan
            if d == district and code.startswith("prepaid.") and first <= m <= last
        )

    before = prepaid(FENGTAI, date(2024, 3, 1), date(2025, 2, 1))
    after = prepaid(FENGTAI, date(2025, 3, 1), date(2026, 2, 1))
    assert after < 0.8 * before
    # elsewhere prepaid volume does not fall
    assert prepaid("110108", date(2025, 3, 1), date(2026, 2, 1)) >= prepaid(
        "110108", date(2024, 3, 1), date(2025, 2, 1)
    )
    coupons = Counter(m.month for m, _d, code, n in plan for _ in range(n) if code == "online.coupon")
    assert coupons[6] > 2 * coupons[5]  # the 618 surge


@pytest.fixture
def loaded(db_session: Session) -> Session:
    load_demo(db_session, seed=SEED, entities=ENTITIES, reset=False, progress=None, as_of=AS_OF)
    db_session.flush()
    return db_session


def test_demo_complaints_are_consistent(loaded: Session) -> None:
    session = loaded
    tickets = session.scalars(select(Ticket)).all()
    assert 1900 < len(tickets) < 2300
    kinds = Counter(t.kind for t in tickets)
    assert set(kinds) == {k.value for k in TicketKind}
    channels = Counter(t.channel for t in tickets)
    assert {"12345", "12315", "web", "platform"} <= set(channels)
    assert len({t.district_code for t in tickets}) == 16
    assert min(t.received_at for t in tickets) >= datetime(2023, 12, 31, 16, tzinfo=UTC)
    # Nothing on or after the as-of day (Beijing midnight = 16:00 UTC the day before).
    assert max(t.received_at for t in tickets) < datetime(
        AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC
    ) - timedelta(hours=8)

    taxonomy = load_taxonomy()
    entities = {e.id: e for e in session.scalars(select(MarketEntity))}
    orgs = {o.id: o for o in session.scalars(select(Organization))}
    for t in tickets:
        assert t.ticket_no.startswith("TS") and t.ticket_no.endswith(f"{t.id:08d}")
        category = taxonomy.get(t.category_code or "")
        assert t.division_code and t.division_code.startswith(t.district_code or "-")
        if t.entity_id is not None:
            entity = entities[t.entity_id]
            assert t.business_name and t.link_status == "linked"
            if entity.kind != "platform":
                assert entity.division_code == t.division_code
                assert t.platform_entity_id == entity.platform_id
            else:
                assert t.platform_entity_id == entity.id
        elif t.link_status == "unresolved":
            assert t.business_name and (t.category_code or "").startswith("prepaid.")
        if t.station_org_id is not None:
            station = orgs[t.station_org_id]
            assert station.kind == OrgKind.STATION.value
            assert t.division_code in [station.division_code, *station.jurisdiction]
            assert t.handling_org_id == t.station_org_id
        else:
            assert orgs[t.handling_org_id or 0].kind == OrgKind.DISTRICT_BUREAU.value
        if t.member_unit_org_id is not None:
            unit = orgs[t.member_unit_org_id]
            assert unit.division_code == t.district_code and unit.name.endswith(category.department)
        closed = t.status in (TicketStatus.CLOSED, TicketStatus.CALLED_BACK, TicketStatus.ARCHIVED)
        assert closed == (t.closed_at is not None)
        assert (t.outcome is not None) == closed
        if t.closed_at is not None:
            assert t.closed_at > t.received_at and t.first_closed_at is not None
        if t.repeat_of_id is not None:
            assert session.get(Ticket, t.repeat_of_id) is not None
        assert t.triage_detail["category"]["label"] == t.category_code

    # callbacks match the called-back tickets; settled tickets have an accepted platform reply
    called = {t.id for t in tickets if t.status in ("called_back", "archived")}
    with_callback = set(session.scalars(select(Callback.ticket_id)))
    assert called == with_callback and called
    assert {c.satisfaction for c in session.scalars(select(Callback))} >= {
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
    }
    settled = {t.id for t in tickets if t.outcome == Outcome.SETTLED}
    accepted = set(
        session.scalars(select(PlatformReply.ticket_id).where(PlatformReply.decision == "accepted"))
    )
    assert settled == accepted and settled
    assert any(t.reopen_count for t in tickets) and any(t.repeat_of_id for t in tickets)
    overdue = session.scalar(
        select(func.count())
        .select_from(Clock)
        .where(
            Clock.status == "running", Clock.due_at < datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)
        )
    )
    assert overdue and overdue > 0
    assert session.scalar(select(func.count()).select_from(Party)) > 1500
    assert session.scalar(select(func.count()).select_from(TicketEvent)) > 5 * len(tickets)
    model = session.scalar(select(TriageModel).where(TriageModel.active.is_(True)))
    assert model is not None and "prepaid.beauty" in model.labels

    # the founding story, on the rows: Fengtai prepaid falls year-on-year, more resolved at first
    fengtai = [
        t for t in tickets if t.district_code == FENGTAI and (t.category_code or "").startswith("prepaid.")
    ]
    before = [t for t in fengtai if date(2024, 3, 1) <= _month(t.received_at) < STORY_START]
    after = [t for t in fengtai if STORY_START <= _month(t.received_at) < date(2026, 3, 1)]
    assert len(after) < 0.85 * len(before)

    def first_time_rate(rows: list[Ticket]) -> float:
        closed = [t for t in rows if t.kind == "complaint" and t.closed_at is not None]
        good = [t for t in closed if t.resolved and not t.reopen_count and t.repeat_of_id is None]
        return len(good) / len(closed)

    late = [t for t in fengtai if _month(t.received_at) >= date(2025, 9, 1)]
    early = [t for t in fengtai if _month(t.received_at) < STORY_START]
    assert first_time_rate(late) > first_time_rate(early)


def test_demo_complaints_are_repeatable(loaded: Session) -> None:
    first = _snapshot(loaded)
    load_demo(loaded, seed=SEED, entities=ENTITIES, reset=True, progress=None, as_of=AS_OF)
    loaded.flush()
    assert _snapshot(loaded) == first
