"""Clocks on tickets: start/stop, pause/resume (第二十条), overdue and due-soon lists, reminders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.complaints_flow.conftest import Clockwork, Staff, make_ticket
from tianping.cli.main import app as cli_app
from tianping.complaints import clocks
from tianping.complaints.models import Channel, Clock, ClockPause, ClockStatus, TicketEvent
from tianping.core import calendar
from tianping.core.audit import AuditEvent
from tianping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tianping.core.settings import get_settings

CST = ZoneInfo("Asia/Shanghai")


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)  # type: ignore[misc]


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=CST)


def _events(session: Session, ticket_id: int, action: str) -> list[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.action == action)
    return list(session.scalars(stmt))


def _audits(session: Session, ticket_id: int, action: str) -> int:
    stmt = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.object_id == str(ticket_id), AuditEvent.action == action)
    )
    return int(session.scalar(stmt) or 0)


def test_start_is_idempotent_and_stop_judges_the_deadline(db_session: Session) -> None:
    ticket = make_ticket(db_session, received_at=cst(2025, 9, 30, 10))
    clock = clocks.start_clock(session=db_session, ticket=ticket, kind="accept", at=ticket.received_at)
    assert clock.due_at == end_of(date(2025, 10, 16))
    assert clock.basis == "市场监督管理投诉举报处理暂行办法 第十四条"
    assert (
        clocks.start_clock(session=db_session, ticket=ticket, kind="accept", at=cst(2025, 10, 1)).id
        == clock.id
    )
    stopped = clocks.stop_clock(
        session=db_session, ticket=ticket, kind="accept", at=end_of(date(2025, 10, 16))
    )
    assert stopped is not None and stopped.status == ClockStatus.MET.value
    assert clocks.stop_clock(session=db_session, ticket=ticket, kind="accept", at=cst(2025, 10, 17)) is None

    late = clocks.start_clock(session=db_session, ticket=ticket, kind="accept", at=cst(2025, 9, 30, 10))
    assert late.id != clock.id
    breached = clocks.stop_clock(session=db_session, ticket=ticket, kind="accept", at=cst(2025, 10, 17, 0, 0))
    assert breached is not None and breached.status == ClockStatus.BREACHED.value
    assert clocks.open_clocks(session=db_session, ticket_id=ticket.id) == []


def test_hotline_clock_uses_urgency_and_the_category_class(db_session: Session) -> None:
    urgent = make_ticket(
        db_session, channel=Channel.HOTLINE_12345.value, urgency="urgent", category_code="food"
    )
    clock = clocks.start_clock(session=db_session, ticket=urgent, kind="hotline", at=cst(2025, 6, 3, 10))
    assert clock.due_at == cst(2025, 6, 3, 12)
    assert "数值为示例配置" in clock.basis and "第十三条" in clock.basis
    food = make_ticket(db_session, channel=Channel.HOTLINE_12345.value, category_code="food")
    assert clocks.start_clock(
        session=db_session, ticket=food, kind="hotline", at=cst(2025, 6, 3, 10)
    ).due_at == (end_of(date(2025, 6, 6)))  # normal × safety = 3 calendar days
    unclassified = make_ticket(
        db_session, channel=Channel.HOTLINE_12345.value, category_code=None, urgency="odd"
    )
    clock = clocks.start_clock(
        session=db_session, ticket=unclassified, kind="hotline", at=cst(2025, 9, 30, 10)
    )
    assert clock.due_at == end_of(date(2025, 10, 7))  # normal × ordinary = 7 calendar days


def test_pause_and_resume_the_mediation_period(
    db_session: Session, staff: Staff, clockwork: Clockwork
) -> None:
    ticket = make_ticket(db_session, status="mediating")
    clock = clocks.start_clock(session=db_session, ticket=ticket, kind="mediate", at=cst(2025, 6, 3, 10))
    assert clock.due_at == end_of(date(2025, 8, 5))

    clockwork.set(cst(2025, 6, 10, 9))
    paused = clocks.pause_clock(
        session=db_session,
        ticket_id=ticket.id,
        kind="mediate",
        reason="送检：电吹风安全性能检测",
        actor=staff.handler,
    )
    assert paused.status == ClockStatus.PAUSED.value
    with pytest.raises(Conflict, match="已经暂停"):
        clocks.pause_clock(
            session=db_session, ticket_id=ticket.id, kind="mediate", reason="再次", actor=staff.handler
        )

    clockwork.set(cst(2025, 6, 10, 11))
    resumed = clocks.resume_clock(
        session=db_session, ticket_id=ticket.id, kind="mediate", actor=staff.handler
    )
    assert resumed.status == ClockStatus.RUNNING.value
    assert resumed.due_at == end_of(date(2025, 8, 6))  # the paused Tuesday does not count
    with pytest.raises(Conflict, match="没有暂停中的"):
        clocks.resume_clock(session=db_session, ticket_id=ticket.id, kind="mediate", actor=staff.handler)

    pauses = list(db_session.scalars(select(ClockPause).where(ClockPause.clock_id == clock.id)))
    assert [(p.reason, p.resumed_at) for p in pauses] == [("送检：电吹风安全性能检测", cst(2025, 6, 10, 11))]
    paused_event = _events(db_session, ticket.id, "clock_paused")[0]
    assert paused_event.data["basis"] == "市场监督管理投诉举报处理暂行办法 第二十条第三款"
    assert paused_event.actor_user_id == staff.handler.user_id
    assert len(_events(db_session, ticket.id, "clock_resumed")) == 1
    assert _audits(db_session, ticket.id, "complaints.clock_pause") == 1
    assert _audits(db_session, ticket.id, "complaints.clock_resume") == 1

    # A second pause, Mon to Wed, still open when the clock is stopped on Wed: 06-16 … 06-18 do not count.
    clockwork.set(cst(2025, 6, 16, 9))
    clocks.pause_clock(
        session=db_session, ticket_id=ticket.id, kind="mediate", reason="鉴定", actor=staff.handler
    )
    stopped = clocks.stop_clock(session=db_session, ticket=ticket, kind="mediate", at=cst(2025, 6, 18, 15))
    assert stopped is not None and stopped.status == ClockStatus.MET.value
    assert stopped.due_at == end_of(date(2025, 8, 11))  # 08-06 + 3 working days (08-07, 08-08, 08-11)
    assert all(p.resumed_at is not None for p in db_session.scalars(select(ClockPause)))


def test_only_pausable_clocks_pause(db_session: Session, staff: Staff) -> None:
    ticket = make_ticket(db_session)
    clocks.start_clock(session=db_session, ticket=ticket, kind="accept", at=cst(2025, 6, 3, 10))
    with pytest.raises(Conflict, match="不能暂停"):
        clocks.pause_clock(
            session=db_session, ticket_id=ticket.id, kind="accept", reason="检测", actor=staff.handler
        )
    with pytest.raises(Conflict, match="没有正在计时"):
        clocks.pause_clock(
            session=db_session, ticket_id=ticket.id, kind="mediate", reason="检测", actor=staff.handler
        )
    with pytest.raises(ValidationFailed) as exc:
        clocks.pause_clock(
            session=db_session, ticket_id=ticket.id, kind="mediate", reason="  ", actor=staff.handler
        )
    assert exc.value.errors[0].field == "reason"


def test_pausing_needs_handling_rights_and_reach(db_session: Session, staff: Staff) -> None:
    ticket = make_ticket(db_session, status="mediating")
    clocks.start_clock(session=db_session, ticket=ticket, kind="mediate", at=cst(2025, 6, 3, 10))
    with pytest.raises(PermissionDenied):
        clocks.pause_clock(
            session=db_session, ticket_id=ticket.id, kind="mediate", reason="检测", actor=staff.analyst
        )
    with pytest.raises(NotFound):
        clocks.pause_clock(
            session=db_session, ticket_id=ticket.id, kind="mediate", reason="检测", actor=staff.haidian
        )


def test_overdue_and_due_soon_lists_respect_scope(
    db_session: Session, staff: Staff, clockwork: Clockwork
) -> None:
    late = make_ticket(db_session, received_at=cst(2025, 9, 1, 10))
    soon = make_ticket(db_session, received_at=cst(2025, 9, 24, 10))
    later = make_ticket(db_session, received_at=cst(2025, 9, 30, 10))
    paused = make_ticket(db_session, status="mediating")
    for t in (late, soon, later):
        clocks.start_clock(
            session=db_session, ticket=t, kind="accept", at=t.received_at
        )  # 09-10, 10-10, 10-16
    clocks.start_clock(session=db_session, ticket=paused, kind="mediate", at=cst(2025, 6, 3, 10))  # 08-05
    clockwork.set(cst(2025, 7, 1, 9))
    clocks.pause_clock(
        session=db_session, ticket_id=paused.id, kind="mediate", reason="检验", actor=staff.handler
    )
    now = cst(2025, 9, 30, 12)  # due soon = by the end of 10-10 (two working days after the holiday)

    overdue = clocks.overdue(session=db_session, actor=staff.officer, now=now)
    assert [(t.id, c.kind) for t, c in overdue] == [(late.id, "accept")]  # the paused clock is not overdue
    soon_rows = clocks.due_soon(session=db_session, actor=staff.officer, now=now)
    assert [t.id for t, _ in soon_rows] == [soon.id]
    assert clocks.overdue(session=db_session, actor=staff.haidian, now=now) == []
    assert [t.id for t, _ in clocks.overdue(session=db_session, actor=staff.analyst, now=now)] == [late.id]


def test_reminders_and_escalations_are_sent_once(db_session: Session, staff: Staff) -> None:
    late = make_ticket(db_session, received_at=cst(2025, 9, 1, 10))
    soon = make_ticket(db_session, received_at=cst(2025, 9, 24, 10))
    for t in (late, soon):
        clocks.start_clock(session=db_session, ticket=t, kind="accept", at=t.received_at)
    now = cst(2025, 9, 30, 12)
    run = clocks.send_reminders(session=db_session, now=now)
    assert (run.reminded, run.escalated) == (1, 1)
    again = clocks.send_reminders(session=db_session, now=now)
    assert (again.reminded, again.escalated) == (0, 0)
    escalated = _events(db_session, late.id, "escalated")
    assert len(escalated) == 1 and "已于 2025-09-10 23:59 超期" in (escalated[0].note or "")
    assert escalated[0].data["basis"] == "市场监督管理投诉举报处理暂行办法 第十四条"
    assert len(_events(db_session, soon.id, "reminded")) == 1
    assert _audits(db_session, late.id, "complaints.escalate") == 1
    assert _audits(db_session, soon.id, "complaints.remind") == 1
    # Once the reminded clock is overdue too, it is escalated (once).
    later = clocks.send_reminders(session=db_session, now=cst(2025, 10, 11, 9))
    assert later.escalated_ids == [c.id for c in clocks.open_clocks(session=db_session, ticket_id=soon.id)]


@pytest.fixture
def schedule_2027() -> Iterator[None]:
    if 2027 in calendar.covered_years():
        pytest.skip("a 2027 holiday schedule is already installed")
    yield
    (get_settings().home / "calendar" / "2027.json").unlink(missing_ok=True)
    calendar.reload_schedules()


def test_provisional_deadline_is_made_exact_when_the_year_is_imported(
    db_session: Session, schedule_2027: None
) -> None:
    ticket = make_ticket(db_session, status="accepted")
    clock = clocks.start_clock(session=db_session, ticket=ticket, kind="mediate", at=cst(2026, 12, 1, 10))
    assert clock.basis.endswith(clocks.PROVISIONAL_NOTE)
    assert clock.due_at == end_of(date(2027, 2, 2))
    assert clocks.refresh_provisional(session=db_session) == 0
    schedule = calendar.parse_schedule(
        {"year": 2027, "source": "测试用安排", "holidays": {"2027-01-01": "元旦"}, "workdays": {}}
    )
    calendar.install_schedule(schedule, get_settings().home)
    run = clocks.send_reminders(session=db_session, now=cst(2026, 12, 2, 9))
    assert run.refreshed == 1
    assert clock.basis == "市场监督管理投诉举报处理暂行办法 第二十一条第一款第（五）项"
    assert clock.due_at == end_of(date(2027, 2, 3))  # 2027-01-01 is a holiday: one day later


def test_cli_refuses_a_bad_time() -> None:
    result = CliRunner().invoke(cli_app, ["complaints", "remind", "--now", "yesterday"])
    assert result.exit_code == 2
    assert "时间 'yesterday' 无效" in result.output


def test_clock_rows_store_utc(db_session: Session) -> None:
    ticket = make_ticket(db_session)
    clock = clocks.start_clock(session=db_session, ticket=ticket, kind="accept", at=cst(2025, 9, 30, 10))
    db_session.expire(clock)
    fresh = db_session.get_one(Clock, clock.id)
    assert fresh.due_at == datetime(2025, 10, 16, 15, 59, 59, tzinfo=UTC)


def test_hotline_clock_is_retimed_when_the_category_changes(db_session: Session) -> None:
    ticket = make_ticket(db_session, channel=Channel.HOTLINE_12345.value, category_code=None)
    clock = clocks.start_clock(session=db_session, ticket=ticket, kind="hotline", at=cst(2025, 6, 3, 10))
    assert clock.due_at == end_of(date(2025, 6, 10))  # normal × ordinary: 7 calendar days
    clock.reminded_at = cst(2025, 6, 9, 9)
    ticket.category_code = "prepaid.beauty"  # complex: 15 calendar days
    retimed = clocks.retime_clock(session=db_session, ticket=ticket, kind="hotline")
    assert retimed is clock and clock.due_at == end_of(date(2025, 6, 18))
    assert clock.reminded_at is None
    assert clocks.retime_clock(session=db_session, ticket=ticket, kind="accept") is None
