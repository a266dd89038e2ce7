"""Business linking: exact, alias, fuzzy, ambiguous and unknown names; platforms; officer confirmation."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.complaints_intake.support import make_world, ticket_in
from tianping.complaints import intake, linking
from tianping.complaints.linking import extract_names
from tianping.complaints.models import LinkStatus, TicketEvent
from tianping.core.audit import AuditEvent
from tianping.core.errors import NotFound, ValidationFailed


def test_extract_names_from_text() -> None:
    text = "我在示例美容美发店办卡；又在「样例瑜伽馆」上课；北京样例教育科技有限公司拒绝退费，样例健身也是。"
    names = extract_names(text)
    assert "示例美容美发店" in names
    assert "样例瑜伽馆" in names
    assert any(n.endswith("样例教育科技有限公司") for n in names)
    assert "样例健身" in names


@pytest.mark.parametrize(
    ("business_name", "text", "why"),
    [
        ("示例美容美发店", "门店停业不退费。", "完全一致"),  # exact name
        ("美丽示例", "门店停业不退费。", "完全一致"),  # alias
        ("示例美容美法店", "门店停业不退费。", "相似度"),  # one wrong character
        ("示例美容美发", "门店停业不退费。", "相似度"),  # part of the name
        (None, "我在示例美容美发店办了卡，现在不退费。", "完全一致"),  # found in the text
    ],
)
def test_linked(db_session: Session, business_name: str | None, text: str, why: str) -> None:
    world = make_world(db_session)
    item = ticket_in(business_name=business_name, text=text)
    (ticket,) = intake.register(session=db_session, ticket_in=item, actor=world.officer)
    assert ticket.link_status == LinkStatus.LINKED.value
    assert ticket.entity_id == world.salon
    detail = ticket.link_detail
    assert detail["candidates"][0]["entity_id"] == ticket.entity_id
    assert why in detail["reason"]


def test_ambiguous_name_goes_to_the_queue_with_candidates(db_session: Session) -> None:
    world = make_world(db_session)
    item = ticket_in(business_name="示例健身中心", text="健身卡不退费。", title="健身卡")
    (ticket,) = intake.register(session=db_session, ticket_in=item, actor=world.officer)
    assert ticket.link_status == LinkStatus.UNRESOLVED.value and ticket.entity_id is None
    ids = {c["entity_id"] for c in ticket.link_detail["candidates"]}
    assert {world.gym_a, world.gym_b} <= ids
    assert "难以区分" in ticket.link_detail["reason"]
    assert ticket.needs_review and "被投诉经营者待确认" in ticket.triage_detail["review_reasons"]


def test_unknown_name_is_unresolved_and_no_name_is_none(db_session: Session) -> None:
    world = make_world(db_session)
    (unknown,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(business_name="完全陌生的商号", text="消费受骗。", title="受骗"),
        actor=world.officer,
    )
    assert unknown.link_status == LinkStatus.UNRESOLVED.value and unknown.entity_id is None
    (none,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(
            kind="suggestion", business_name=None, title="建议", text="建议加强节假日市场巡查。"
        ),
        actor=world.officer,
    )
    assert none.link_status == LinkStatus.NONE.value


def test_shop_on_platform_and_platform_name(db_session: Session) -> None:
    world = make_world(db_session)
    (shop,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(business_name="示例小吃铺", text="饭菜变质。", title="外卖"),
        actor=world.officer,
    )
    assert shop.entity_id == world.shop and shop.platform_entity_id == world.platform
    (plat,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(
            business_name="街边不知名小店", platform_name="示例外卖", text="平台不处理售后。", title="平台"
        ),
        actor=world.officer,
    )
    assert plat.platform_entity_id == world.platform and plat.link_status == LinkStatus.UNRESOLVED.value


def test_confirm_business_is_audited_and_kept_by_triage(db_session: Session) -> None:
    world = make_world(db_session)
    (ticket,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(business_name="示例健身中心", text="健身卡不退费。", title="健身卡"),
        actor=world.officer,
    )
    confirmed = linking.confirm_business(
        session=db_session, ticket_id=ticket.id, entity_id=world.gym_a, actor=world.officer
    )
    assert confirmed.entity_id == world.gym_a and confirmed.link_status == LinkStatus.CONFIRMED.value
    assert not confirmed.needs_review or confirmed.triage_detail["category"].get("low_confidence")
    actions = db_session.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id)).all()
    assert actions[-1] == "business_confirmed"
    audit = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "complaints.confirm_business")
    ).one()
    assert audit.object_id == str(ticket.id)
    from tianping.complaints.triage import triage

    triage(session=db_session, ticket=confirmed, actor=world.officer)
    assert confirmed.entity_id == world.gym_a and confirmed.link_status == LinkStatus.CONFIRMED.value
    with pytest.raises(ValidationFailed):
        linking.confirm_business(
            session=db_session, ticket_id=ticket.id, entity_id=999_999, actor=world.officer
        )
    with pytest.raises(NotFound):
        linking.confirm_business(
            session=db_session, ticket_id=ticket.id, entity_id=world.gym_a, actor=world.haidian_officer
        )
