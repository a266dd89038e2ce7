"""The facade: scope per role, masking, the audited reveal, list filters and queues."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.complaints_intake.support import make_world, ticket_in
from tianping.complaints import intake, service
from tianping.complaints.schemas import TicketQuery
from tianping.core.audit import AuditEvent
from tianping.core.authz import ANONYMOUS
from tianping.core.errors import NotFound, PermissionDenied
from tianping.core.timeutil import to_local


def _ids(session: Session, actor, **query: object) -> set[int]:  # type: ignore[no-untyped-def]
    page = service.list_tickets(session=session, query=TicketQuery(**query), actor=actor)
    return {t.id for t in page.items}


def test_scope_per_role(db_session: Session) -> None:
    world = make_world(db_session)
    (salon,) = intake.register(session=db_session, ticket_in=ticket_in(), actor=world.officer)
    (food,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(
            title="外卖变质",
            text="在示例外卖上从示例小吃铺点的饭菜变质，平台客服不处理。",
            business_name="示例小吃铺",
            platform_name="示例外卖",
        ),
        actor=world.officer,
    )
    assert salon.district_code == "110106" and food.platform_entity_id == world.platform
    # city-wide officer and analyst: all
    assert {salon.id, food.id} <= _ids(db_session, world.officer)
    assert {salon.id, food.id} <= _ids(db_session, world.analyst)
    # district officer: own district only; the other district sees neither (404, not 403)
    assert {salon.id, food.id} <= _ids(db_session, world.fengtai_officer)
    assert not {salon.id, food.id} & _ids(db_session, world.haidian_officer)
    with pytest.raises(NotFound):
        service.get(session=db_session, ticket_id=salon.id, actor=world.haidian_officer)
    # platform handler: only tickets about its platform (and shops on it)
    assert _ids(db_session, world.platform_handler) == {food.id}
    with pytest.raises(NotFound):
        service.get(session=db_session, ticket_id=salon.id, actor=world.platform_handler)
    # member unit: only tickets routed to it
    visible = _ids(db_session, world.member)
    assert visible == {t.id for t in (salon, food) if t.member_unit_org_id == world.commerce.id}
    with pytest.raises(PermissionDenied):
        service.list_tickets(session=db_session, query=TicketQuery(), actor=ANONYMOUS)


def test_masked_by_default_and_reveal_is_audited(db_session: Session) -> None:
    world = make_world(db_session)
    item = ticket_in(text="我在示例美容美发店办卡，电话13800001234，门店停业不退费。")
    (ticket,) = intake.register(session=db_session, ticket_in=item, actor=world.officer)
    out = service.to_out(ticket, session=db_session, actor=world.officer)
    assert out.masked and out.party is not None
    assert out.party.name == "王**" and out.party.phone == "138****1234"
    assert out.party.address is not None and out.party.address.endswith("****")
    assert "13800001234" not in out.text and "138****1234" in out.text
    assert out.status_label == "登记" and out.kind_label == "投诉" and out.channel_label == "网上投诉"
    assert out.handling_org_name == "卢沟桥市场监管所"
    assert out.category_label and out.category_label != out.category_code
    before = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.view")).all()
    party = service.reveal_party(session=db_session, ticket_id=ticket.id, actor=world.officer)
    assert (party.name, party.phone, party.masked) == ("王小明", "13800001234", False)
    after = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.view")).all()
    assert len(after) == len(before) + 1 and after[-1].object_id == str(ticket.id)
    # analysts and member units never unmask
    with pytest.raises(PermissionDenied):
        service.reveal_party(session=db_session, ticket_id=ticket.id, actor=world.analyst)
    assert service.to_out(ticket, session=db_session, actor=world.analyst, reveal=True).masked


def test_platform_handler_never_sees_pii(db_session: Session) -> None:
    world = make_world(db_session)
    item = ticket_in(
        title="外卖少送",
        text="在示例外卖上示例小吃铺少送一份菜，联系我13800001234。",
        business_name="示例小吃铺",
        platform_name="示例外卖",
    )
    (ticket,) = intake.register(session=db_session, ticket_in=item, actor=world.officer)
    out = service.to_out(ticket, session=db_session, actor=world.platform_handler, reveal=True)
    assert out.masked and out.party is not None and out.party.phone == "138****1234"
    assert "13800001234" not in out.text
    with pytest.raises(PermissionDenied):
        service.reveal_party(session=db_session, ticket_id=ticket.id, actor=world.platform_handler)


def test_list_filters_queues_and_lookup_by_number(db_session: Session) -> None:
    world = make_world(db_session)
    (linked,) = intake.register(session=db_session, ticket_in=ticket_in(), actor=world.officer)
    (unknown,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(
            title="不明商家", text="在某某不知名的店消费受骗。", business_name="完全不存在的商号"
        ),
        actor=world.officer,
    )
    assert unknown.link_status == "unresolved" and unknown.needs_review
    assert _ids(db_session, world.officer, queue="unresolved") == {unknown.id}
    assert unknown.id in _ids(db_session, world.officer, queue="review")
    assert linked.id in _ids(db_session, world.officer, q="美容卡")
    assert _ids(db_session, world.officer, q=linked.ticket_no) == {linked.id}
    assert {linked.id, unknown.id} <= _ids(db_session, world.officer, status="registered", kind="complaint")
    assert not _ids(db_session, world.officer, queue="overdue")
    month = to_local(linked.received_at).strftime("%Y-%m")
    assert linked.id in _ids(db_session, world.officer, month=month)
    assert (
        service.get_by_no(session=db_session, ticket_no=linked.ticket_no, actor=world.officer).id == linked.id
    )
    events = service.timeline(session=db_session, ticket_id=linked.id, actor=world.officer)
    assert [e.action for e in events] == ["registered", "triaged"]
