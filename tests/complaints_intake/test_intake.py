"""Intake: validation, registration, 第七条 split, idempotency, party stored once, clocks, triage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.complaints_intake.support import LUGOUQIAO, make_world, ticket_in
from tianping.complaints import intake
from tianping.complaints.models import Clock, LinkStatus, Party, Ticket, TicketEvent
from tianping.complaints.schemas import TicketIn
from tianping.core.audit import AuditEvent
from tianping.core.authz import ANONYMOUS
from tianping.core.errors import Conflict, PermissionDenied, ValidationFailed
from tianping.core.timeutil import utcnow


def _fields(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"party": {"name": "王小明", "phone": "12345"}}, "party.phone"),
        (
            {"party": {"name": "王小明", "phone": "13800001234", "id_number": "110101199001011234"}},
            "party.id_number",
        ),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"received_at": (utcnow() + timedelta(days=2)).isoformat()}, "received_at"),
        ({"received_at": "2025-06-01T09:30:00"}, "received_at"),
        ({"title": "坏\x00标题"}, "title"),
        ({"channel": "fax"}, "channel"),
        ({"kind": "praise"}, "kind"),
        ({"division_code": "999999"}, "division_code"),
        ({"party": None}, ""),
    ],
)
def test_ticket_in_rejects_with_field_path(override: dict[str, object], field: str) -> None:
    data = ticket_in().model_dump(mode="json") | override
    with pytest.raises(ValidationError) as info:
        TicketIn.model_validate(data)
    assert field in _fields(info.value)


def test_ticket_in_normalises_and_splits_kinds() -> None:
    item = ticket_in(party={"name": "王小明", "phone": "+86 138-0000-1234"}, amount="2100.5", kind="both")
    assert item.party is not None and item.party.phone == "13800001234"
    assert str(item.amount) == "2100.5"
    assert item.kinds() == ["complaint", "report"]
    assert ticket_in(also_report=True).kinds() == ["complaint", "report"]
    assert ticket_in(kind="consultation").kinds() == ["consultation"]
    # An anonymous report needs no party; a complaint without one must say it is anonymous.
    assert (
        TicketIn.model_validate(
            {"channel": "web", "kind": "report", "title": "举报", "text": "无证经营"}
        ).party
        is None
    )


def test_register_creates_triaged_ticket_with_clock_event_and_audit(db_session: Session) -> None:
    world = make_world(db_session)
    (ticket,) = intake.register(session=db_session, ticket_in=ticket_in(), actor=world.officer)
    assert ticket.ticket_no.startswith("TS") and ticket.ticket_no.endswith(f"{ticket.id:08d}")
    assert len(ticket.ticket_no) == 18
    assert ticket.status == "registered" and ticket.kind == "complaint"
    # triage: business, jurisdiction (entity's street 第十二条), station, member unit of the category
    assert ticket.entity_id == world.salon and ticket.link_status == LinkStatus.LINKED.value
    assert ticket.division_code == LUGOUQIAO and ticket.district_code == "110106"
    assert ticket.station_org_id == world.station.id and ticket.handling_org_id == world.station.id
    assert ticket.category_code is not None
    detail = ticket.triage_detail
    assert {"category", "business", "routing", "duplicates"} <= set(detail)
    assert detail["routing"]["reasons"], "routing must explain itself"
    assert detail["category"]["confidence"] == pytest.approx(ticket.category_confidence)
    if ticket.category_code == "prepaid.beauty":
        assert ticket.member_unit_org_id == world.commerce.id
    clocks = db_session.scalars(select(Clock).where(Clock.ticket_id == ticket.id)).all()
    assert [c.kind for c in clocks] == ["accept"]
    assert "第十四条" in clocks[0].basis and clocks[0].due_at > ticket.received_at
    actions = db_session.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id)).all()
    assert actions == ["registered", "triaged"]
    audits = db_session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(ticket.id))).all()
    assert "complaints.register" in audits and "complaints.triage" in audits


def test_hotline_ticket_gets_hotline_clock_and_consultation_none(db_session: Session) -> None:
    world = make_world(db_session)
    (hot,) = intake.register(
        session=db_session, ticket_in=ticket_in(channel="12345", external_id="GD-1"), actor=world.officer
    )
    kinds = sorted(db_session.scalars(select(Clock.kind).where(Clock.ticket_id == hot.id)))
    assert kinds == ["accept", "hotline"]
    (ask,) = intake.register(
        session=db_session, ticket_in=ticket_in(kind="consultation"), actor=world.officer
    )
    assert db_session.scalar(select(func.count()).select_from(Clock).where(Clock.ticket_id == ask.id)) == 0


def test_split_complaint_and_report_are_linked_both_ways(db_session: Session) -> None:
    world = make_world(db_session)
    complaint, report = intake.register(
        session=db_session, ticket_in=ticket_in(also_report=True, external_id="W-7"), actor=world.officer
    )
    assert (complaint.kind, report.kind) == ("complaint", "report")
    assert complaint.split_of_id == report.id and report.split_of_id == complaint.id
    assert complaint.external_id == "W-7" and report.external_id is None
    assert complaint.party_id == report.party_id
    assert "第七条" in complaint.triage_detail["intake"]["split"]["basis"]
    assert "第三十三条" in report.triage_detail["intake"]["confidential_reporter"]["basis"]
    # The halves of one submission are not each other's duplicates.
    assert complaint.matter_id is None and report.matter_id is None
    again = intake.register(
        session=db_session, ticket_in=ticket_in(also_report=True, external_id="W-7"), actor=world.officer
    )
    assert [t.id for t in again] == [complaint.id, report.id]


def test_idempotent_on_external_id_and_conflict_names_the_field(db_session: Session) -> None:
    world = make_world(db_session)
    first = intake.register(session=db_session, ticket_in=ticket_in(external_id="EXT-1"), actor=world.officer)
    count = db_session.scalar(select(func.count()).select_from(Ticket))
    events = db_session.scalar(select(func.count()).select_from(TicketEvent))
    second = intake.register(
        session=db_session, ticket_in=ticket_in(external_id="EXT-1"), actor=world.officer
    )
    assert [t.id for t in second] == [t.id for t in first]
    assert db_session.scalar(select(func.count()).select_from(Ticket)) == count
    assert db_session.scalar(select(func.count()).select_from(TicketEvent)) == events
    with pytest.raises(Conflict) as info:
        intake.register(
            session=db_session,
            ticket_in=ticket_in(external_id="EXT-1", title="别的标题"),
            actor=world.officer,
        )
    assert [e.field for e in info.value.errors] == ["title"]
    # The same external id on another channel is another ticket.
    other = intake.register(
        session=db_session, ticket_in=ticket_in(channel="12315", external_id="EXT-1"), actor=world.officer
    )
    assert other[0].id != first[0].id


def test_party_stored_once_by_phone_key_and_name(db_session: Session) -> None:
    world = make_world(db_session)
    (a,) = intake.register(session=db_session, ticket_in=ticket_in(), actor=world.officer)
    (b,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(party={"name": "王小明", "phone": "138 0000 1234"}, title="另一件事"),
        actor=world.officer,
    )
    (c,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(party={"name": "王大明", "phone": "13800001234"}, title="第三件事"),
        actor=world.officer,
    )
    assert a.party_id == b.party_id != c.party_id
    party = db_session.get(Party, a.party_id)
    assert party is not None and party.phone_key and len(party.phone_key) == 64
    assert "13800001234" not in party.phone_key


def test_missing_article_9_materials_are_recorded_not_rejected(db_session: Session) -> None:
    world = make_world(db_session)
    item = ticket_in(party={"name": "王小明", "phone": "13800001234"}, demand=None, business_address=None)
    (ticket,) = intake.register(session=db_session, ticket_in=item, actor=world.officer)
    missing = {m["field"]: m["basis"] for m in ticket.triage_detail["intake"]["missing"]}
    assert set(missing) == {"party.address", "business_address", "demand"}
    assert missing["demand"] == "市场监督管理投诉举报处理暂行办法 第九条第一款第（三）项"
    assert ticket.status == "registered"


def test_public_may_only_use_the_web_channel(db_session: Session) -> None:
    make_world(db_session)
    (ticket,) = intake.register(session=db_session, ticket_in=ticket_in(), actor=ANONYMOUS)
    assert ticket.created_by is None and ticket.channel == "web"
    with pytest.raises(PermissionDenied):
        intake.register(session=db_session, ticket_in=ticket_in(channel="12345"), actor=ANONYMOUS)
    with pytest.raises(ValidationFailed) as info:
        intake.register(session=db_session, ticket_in=ticket_in(external_id="X-1"), actor=ANONYMOUS)
    assert info.value.errors[0].field == "external_id"


def test_register_bulk_all_or_nothing_with_item_paths(db_session: Session) -> None:
    world = make_world(db_session)
    before = db_session.scalar(select(func.count()).select_from(Ticket))
    raw = [ticket_in(external_id=f"B-{i}").model_dump(mode="json") for i in range(4)]
    raw[3]["party"]["phone"] = "123"
    with pytest.raises(ValidationFailed) as info:
        intake.parse_bulk(raw)
    assert [e.field for e in info.value.errors] == ["items[3].party.phone"]
    raw[3]["party"]["phone"] = "13800009999"
    items = intake.parse_bulk(raw)
    dup = [*items, items[0]]
    with pytest.raises(ValidationFailed) as dup_info:
        intake.register_bulk(session=db_session, items=dup, actor=world.officer)
    assert dup_info.value.errors[0].field == "items[4].external_id"
    assert db_session.scalar(select(func.count()).select_from(Ticket)) == before
    result = intake.register_bulk(session=db_session, items=items, actor=world.officer)
    assert (result.created, result.existing) == (4, 0)
    again = intake.register_bulk(session=db_session, items=items, actor=world.officer)
    assert (again.created, again.existing) == (0, 4)
    assert [i.ticket_ids for i in again.items] == [i.ticket_ids for i in result.items]
