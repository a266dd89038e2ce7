"""ODR service: the platform's inbox, replies, the consumer's decision, per-platform figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tianping.complaints import odr
from tianping.complaints.models import Clock, ClockStatus, Outcome, PlatformReply, TicketStatus
from tianping.complaints.odr_schemas import Remedy, ReplyIn
from tianping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tianping.core.timeutil import utcnow

from .conftest import OdrWorld, audit_actions, dict_of, events


def _reply_in(remedy: Remedy = Remedy.REFUND, amount: str | None = "25.00") -> ReplyIn:
    return ReplyIn(
        remedy=remedy, amount=Decimal(amount) if amount else None, text="已核实少送餐品，同意全额退款。"
    )


def test_inbox_shows_only_own_platform_without_personal_data(world: OdrWorld) -> None:
    mine = world.ticket()
    theirs = world.ticket(platform=world.platform_b, name="李四")
    page = odr.platform_inbox(session=world.session, actor=world.handler)
    assert [i.ticket_id for i in page.items] == [mine.id]
    item = page.items[0]
    assert item.party_name == "张**"
    flat = repr(dict_of(item))
    for secret in ("13912345678", "110101199003071234", "福润路8号", "张三丰"):
        assert secret not in flat
    assert item.state == "awaiting" and page.counts["awaiting"] == 1
    other = odr.platform_inbox(session=world.session, actor=world.other_handler)
    assert [i.ticket_id for i in other.items] == [theirs.id]
    with pytest.raises(NotFound):
        odr.inbox_item(session=world.session, ticket_id=theirs.id, actor=world.handler)
    with pytest.raises(NotFound):
        odr.reply(session=world.session, ticket_id=theirs.id, reply_in=_reply_in(), actor=world.handler)


def test_inbox_refuses_non_platform_actors(world: OdrWorld) -> None:
    with pytest.raises(PermissionDenied):
        odr.platform_inbox(session=world.session, actor=world.officer)
    with pytest.raises(ValidationFailed):
        odr.platform_inbox(session=world.session, actor=world.handler, status="bogus")


def test_notify_starts_the_reply_clock_once(world: OdrWorld) -> None:
    ticket = world.ticket()
    odr.notify_platform(session=world.session, ticket_id=ticket.id, actor=world.officer)
    odr.notify_platform(session=world.session, ticket_id=ticket.id, actor=world.officer)
    clocks = world.session.scalars(
        select(Clock).where(Clock.ticket_id == ticket.id, Clock.kind == "odr_reply")
    ).all()
    assert len(clocks) == 1 and clocks[0].status == ClockStatus.RUNNING.value
    assert clocks[0].due_at > utcnow() + timedelta(days=7)  # 10 working days are at least two weeks
    assert events(world.session, ticket.id).count("odr_notified") == 1
    assert "complaints.odr.notify" in audit_actions(world.session, ticket.id)
    with pytest.raises(PermissionDenied):
        odr.notify_platform(session=world.session, ticket_id=ticket.id, actor=world.handler)
    registered = world.ticket(status=TicketStatus.REGISTERED)
    with pytest.raises(Conflict):
        odr.notify_platform(session=world.session, ticket_id=registered.id, actor=world.officer)
    # the platform sees a complaint only once it is accepted
    assert registered.id not in [
        i.ticket_id for i in odr.platform_inbox(session=world.session, actor=world.handler).items
    ]
    with pytest.raises(NotFound):
        odr.inbox_item(session=world.session, ticket_id=registered.id, actor=world.handler)


def test_reply_then_accept_closes_settled(world: OdrWorld) -> None:
    ticket = world.ticket()
    odr.notify_platform(session=world.session, ticket_id=ticket.id, actor=world.officer)
    row, token = odr.reply(
        session=world.session, ticket_id=ticket.id, reply_in=_reply_in(), actor=world.handler
    )
    assert len(token) >= 30 and row.token_hash == odr.token_hash(token) and token not in row.token_hash
    assert world.session.scalar(select(PlatformReply.id).where(PlatformReply.token_hash == token)) is None
    item = odr.inbox_item(session=world.session, ticket_id=ticket.id, actor=world.handler)
    assert item.state == "replied" and item.replies[0].timely is True
    with pytest.raises(Conflict):  # one pending proposal at a time
        odr.reply(session=world.session, ticket_id=ticket.id, reply_in=_reply_in(), actor=world.handler)

    decided = odr.decide(session=world.session, token=token, accept=True, note="同意")
    assert decided.decision == "accepted" and decided.decided_at is not None
    world.session.refresh(ticket)
    assert ticket.status == TicketStatus.CLOSED.value
    assert ticket.outcome == Outcome.SETTLED.value and ticket.resolved is True
    clock = world.session.scalar(select(Clock).where(Clock.ticket_id == ticket.id, Clock.kind == "odr_reply"))
    assert clock is not None and clock.status == ClockStatus.MET.value
    actions = audit_actions(world.session, ticket.id)
    assert "complaints.odr.reply" in actions and "complaints.odr.decide" in actions
    assert {"odr_replied", "odr_accepted"} <= set(events(world.session, ticket.id))
    with pytest.raises(Conflict):  # the link decides once
        odr.decide(session=world.session, token=token, accept=False, note=None)
    assert odr.inbox_item(session=world.session, ticket_id=ticket.id, actor=world.handler).state == "settled"


def test_reject_keeps_ticket_open_and_flags_it(world: OdrWorld) -> None:
    ticket = world.ticket()
    _, token = odr.reply(
        session=world.session,
        ticket_id=ticket.id,
        reply_in=_reply_in(Remedy.EXPLAIN, None),
        actor=world.handler,
    )
    odr.decide(session=world.session, token=token, accept=False, note="只解释不退款，不接受")
    world.session.refresh(ticket)
    assert ticket.status == TicketStatus.ACCEPTED.value and ticket.closed_at is None
    assert ticket.triage_detail["odr"]["attention"] is True
    assert "odr_rejected" in events(world.session, ticket.id)
    assert odr.inbox_item(session=world.session, ticket_id=ticket.id, actor=world.handler).state == "rejected"
    # after a rejection the platform may propose again
    _, second = odr.reply(
        session=world.session, ticket_id=ticket.id, reply_in=_reply_in(), actor=world.handler
    )
    assert second != token


def test_unknown_token_and_bad_replies(world: OdrWorld) -> None:
    with pytest.raises(NotFound):
        odr.decide(session=world.session, token="not-a-token", accept=True, note=None)
    ticket = world.ticket()
    with pytest.raises(ValidationFailed):  # refund without an amount
        odr.reply(
            session=world.session,
            ticket_id=ticket.id,
            reply_in=_reply_in(Remedy.REFUND, None),
            actor=world.handler,
        )
    closed = world.ticket(status=TicketStatus.CLOSED, outcome=Outcome.MEDIATED)
    with pytest.raises(Conflict):
        odr.reply(session=world.session, ticket_id=closed.id, reply_in=_reply_in(), actor=world.handler)
    with pytest.raises(ValueError):
        ReplyIn(remedy=Remedy.REFUND, amount=Decimal("1"), text="短")


def test_late_reply_is_not_timely(world: OdrWorld) -> None:
    ticket = world.ticket()
    odr.notify_platform(session=world.session, ticket_id=ticket.id, actor=world.officer)
    clock = world.session.scalar(select(Clock).where(Clock.ticket_id == ticket.id, Clock.kind == "odr_reply"))
    assert clock is not None
    clock.due_at = utcnow() - timedelta(hours=1)
    world.session.flush()
    odr.reply(session=world.session, ticket_id=ticket.id, reply_in=_reply_in(), actor=world.handler)
    item = odr.inbox_item(session=world.session, ticket_id=ticket.id, actor=world.handler)
    assert item.replies[0].timely is False
    world.session.refresh(clock)
    assert clock.status == ClockStatus.BREACHED.value


def _reply_row(
    world: OdrWorld, ticket_id: int, platform: int, at: datetime, decision: str | None, n: int
) -> None:
    world.session.add(
        PlatformReply(
            ticket_id=ticket_id,
            platform_entity_id=platform,
            at=at,
            remedy="refund",
            amount=Decimal("10"),
            text="退款",
            token_hash=f"{n:064d}",
            decision=decision,
        )
    )


def _clock_row(world: OdrWorld, ticket_id: int, start: datetime, due: datetime) -> None:
    world.session.add(
        Clock(ticket_id=ticket_id, kind="odr_reply", basis="test", started_at=start, due_at=due, status="met")
    )


def test_platform_stats_on_a_hand_computed_fixture(world: OdrWorld) -> None:
    # June 2025 for platform A: 4 complaints; May 2025: 2 (growth +100%).
    june = [datetime(2025, 6, d, 2, 0, tzinfo=odr.UTC) for d in (3, 4, 5, 6)]
    t1 = world.ticket(received_at=june[0], status=TicketStatus.CLOSED, outcome=Outcome.SETTLED)
    t2 = world.ticket(received_at=june[1], status=TicketStatus.CLOSED, outcome=Outcome.MEDIATED)
    t3 = world.ticket(received_at=june[2], status=TicketStatus.CLOSED, outcome=Outcome.MEDIATION_FAILED)
    t4 = world.ticket(received_at=june[3])  # open, replied late, rejected
    world.ticket(received_at=datetime(2025, 5, 6, 2, tzinfo=odr.UTC))
    world.ticket(received_at=datetime(2025, 5, 7, 2, tzinfo=odr.UTC))
    world.ticket(received_at=datetime(2025, 6, 10, 2, tzinfo=odr.UTC), platform=world.platform_b)
    # Clocks start on Tuesday 2025-06-03 (10:00 Beijing); due 2025-06-17 end of day.
    start = datetime(2025, 6, 3, 2, 0, tzinfo=odr.UTC)
    due = datetime(2025, 6, 17, 15, 59, 59, tzinfo=odr.UTC)
    for t in (t1, t2, t4):
        _clock_row(world, t.id, start, due)
    _reply_row(world, t1.id, world.platform_a, datetime(2025, 6, 5, 2, tzinfo=odr.UTC), "accepted", 1)  # 2 wd
    _reply_row(world, t2.id, world.platform_a, datetime(2025, 6, 9, 2, tzinfo=odr.UTC), "rejected", 2)  # 4 wd
    _reply_row(
        world, t4.id, world.platform_a, datetime(2025, 6, 20, 2, tzinfo=odr.UTC), "rejected", 3
    )  # late, 13 wd
    _reply_row(world, t3.id, world.platform_a, datetime(2025, 6, 8, 2, tzinfo=odr.UTC), None, 4)  # no clock
    world.session.flush()

    stats = odr.platform_stats(
        session=world.session, actor=world.officer, start=date(2025, 6, 1), end=date(2025, 6, 30)
    )
    a = next(s for s in stats if s.platform_entity_id == world.platform_a)
    assert (a.count, a.previous_count, a.growth) == (4, 2, 1.0)
    assert (a.closed, a.mediated_or_settled) == (3, 2)
    assert a.mediation_success_rate == pytest.approx(2 / 3)
    assert (a.odr_handled, a.settled_via_odr, a.first_settlement_rate) == (4, 1, 0.25)
    assert (a.replies_timed, a.replies_timely) == (3, 2)
    assert a.timely_rate == pytest.approx(2 / 3)
    assert a.median_reply_workdays == 4.0
    assert a.platform_name == "示例外卖平台（北京）科技有限公司"
    b = next(s for s in stats if s.platform_entity_id == world.platform_b)
    assert (b.count, b.previous_count, b.growth, b.mediation_success_rate) == (1, 0, None, None)
    # a platform handler sees its own platform only
    own = odr.platform_stats(
        session=world.session, actor=world.handler, start=date(2025, 6, 1), end=date(2025, 6, 30)
    )
    assert [s.platform_entity_id for s in own] == [world.platform_a]

    public = odr.publish_stats(session=world.session, month="2025-06")
    rows = {r.platform_name: r for r in public.rows}
    assert rows["示例外卖平台（北京）科技有限公司"].count == "<5"
    assert rows["示例外卖平台（北京）科技有限公司"].first_settlement_rate == "—"
    with pytest.raises(ValidationFailed):
        odr.publish_stats(session=world.session, month="2025-13")


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(date(1, 1, 1), date(2025, 6, 30), "start"), (date(2025, 6, 1), date(9999, 12, 31), "end")],
)
def test_platform_stats_refuses_periods_outside_the_supported_range(
    world: OdrWorld, start: date, end: date, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        odr.platform_stats(session=world.session, actor=world.officer, start=start, end=end)
    assert [e.field for e in caught.value.errors] == [field]
