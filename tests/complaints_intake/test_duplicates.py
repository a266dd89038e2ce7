"""Duplicates (one matter across channels) and repeats after closure."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tests.complaints_intake.support import make_world, ticket_in
from tianping.complaints import intake
from tianping.complaints.duplicates import find_duplicates, shingles, similarity
from tianping.core.timeutil import utcnow


def test_similarity_of_near_duplicate_texts() -> None:
    a = shingles("我在示例美容美发店办了美容卡3000元，门店停业后拒绝退费。")
    b = shingles("我在示例美容美发店办了美容卡3000元，门店停业后拒绝退费！！")
    c = shingles("网购的手机屏幕有划痕，商家拒绝七日无理由退货。")
    assert similarity(a, b) > 0.9
    assert similarity(a, c) < 0.1
    assert similarity(a, frozenset()) == 0.0


def test_same_party_same_business_within_window_is_one_matter(db_session: Session) -> None:
    world = make_world(db_session)
    now = utcnow()
    (first,) = intake.register(
        session=db_session, ticket_in=ticket_in(received_at=now - timedelta(days=3)), actor=world.officer
    )
    (second,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(
            channel="12345", external_id="GD-9", title="再次反映", text="示例美容美发店仍不退款。"
        ),
        actor=world.officer,
    )
    assert first.matter_id == first.id
    assert second.matter_id == first.id and second.repeat_of_id is None
    dup = second.triage_detail["duplicates"]
    assert dup["same_party_business"] == [first.id] and dup["matter_id"] == first.id


def test_near_duplicate_text_across_channels_and_parties(db_session: Session) -> None:
    world = make_world(db_session)
    text = "示例美容美发店突然停业，会员卡余额无法退还，多名会员受损，请求监管部门处理。"
    (a,) = intake.register(session=db_session, ticket_in=ticket_in(text=text), actor=world.officer)
    (b,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(
            channel="cca", party={"name": "李小红", "phone": "13900005678"}, text=text + "谢谢。"
        ),
        actor=world.officer,
    )
    assert b.party_id != a.party_id
    assert b.matter_id == a.id
    [[other, score]] = b.triage_detail["duplicates"]["near_duplicates"]
    assert other == a.id and score >= 0.8
    # A different story about the same business by someone else is a different matter.
    (c,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(
            party={"name": "赵小刚", "phone": "13900001111"},
            title="服务差",
            text="示例美容美发店理发师态度恶劣。",
        ),
        actor=world.officer,
    )
    assert c.matter_id is None


def test_repeat_after_closure_and_outside_window(db_session: Session) -> None:
    world = make_world(db_session)
    now = utcnow()
    (old,) = intake.register(
        session=db_session, ticket_in=ticket_in(received_at=now - timedelta(days=60)), actor=world.officer
    )
    old.status, old.closed_at = "closed", now - timedelta(days=10)
    db_session.flush()
    (again,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(title="还是不退费", text="上次调解后示例美容美发店仍未退费。"),
        actor=world.officer,
    )
    assert again.repeat_of_id == old.id
    assert again.triage_detail["duplicates"]["repeat_of_id"] == old.id
    # Closed long ago (beyond the window): not a repeat.
    old.closed_at = now - timedelta(days=45)
    db_session.flush()
    result = find_duplicates(session=db_session, ticket=again)
    assert result.repeat_of_id is None
