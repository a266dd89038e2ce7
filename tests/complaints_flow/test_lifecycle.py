"""The lifecycle state machine: every transition allowed and refused, clocks, callback rules, reopen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.complaints_flow.conftest import Clockwork, Staff, make_ticket
from tianping.complaints import lifecycle
from tianping.complaints.clocks import open_clocks
from tianping.complaints.lifecycle_schemas import CallbackIn
from tianping.complaints.models import (
    Callback,
    Channel,
    Clock,
    ClockStatus,
    Outcome,
    Party,
    Satisfaction,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    Transfer,
)
from tianping.core.audit import AuditEvent
from tianping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tianping.core.timeutil import utcnow

CST = ZoneInfo("Asia/Shanghai")
S = TicketStatus


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)  # type: ignore[misc]


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=CST)


def _clock(session: Session, ticket: Ticket, kind: str) -> Clock:
    stmt = select(Clock).where(Clock.ticket_id == ticket.id, Clock.kind == kind).order_by(Clock.id.desc())
    clock = session.scalars(stmt).first()
    assert clock is not None, kind
    return clock


def _actions(session: Session, ticket: Ticket) -> list[str]:
    stmt = select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    return list(session.scalars(stmt))


def _callback(**fields: Any) -> CallbackIn:
    values: dict[str, Any] = {
        "method": "phone",
        "reached": True,
        "contacted": True,
        "resolved": True,
        "satisfaction": Satisfaction.SATISFIED,
    }
    values.update(fields)
    return CallbackIn(**values)


def test_a_complaint_from_registration_to_archive_and_back(
    db_session: Session, staff: Staff, clockwork: Clockwork
) -> None:
    from tianping.complaints.clocks import start_clock

    ticket = make_ticket(db_session, received_at=cst(2025, 9, 30, 10))
    start_clock(session=db_session, ticket=ticket, kind="accept", at=ticket.received_at)

    clockwork.set(cst(2025, 10, 9, 10))
    lifecycle.accept(session=db_session, ticket_id=ticket.id, actor=staff.handler, note="材料齐全")
    assert ticket.status == S.ACCEPTED.value and ticket.accepted_at == cst(2025, 10, 9, 10)
    assert _clock(db_session, ticket, "accept").status == ClockStatus.MET.value
    mediate = _clock(db_session, ticket, "mediate")
    assert mediate.status == ClockStatus.RUNNING.value
    assert mediate.basis == "市场监督管理投诉举报处理暂行办法 第二十一条第一款第（五）项"

    lifecycle.assign(
        session=db_session,
        ticket_id=ticket.id,
        org_id=staff.station.id,
        user_id=staff.handler_user.id,
        actor=staff.officer,
    )
    assert (ticket.status, ticket.handling_org_id, ticket.handler_user_id) == (
        S.ASSIGNED.value,
        staff.station.id,
        staff.handler_user.id,
    )
    lifecycle.start_mediation(session=db_session, ticket_id=ticket.id, actor=staff.handler)
    assert ticket.status == S.MEDIATING.value

    clockwork.set(cst(2025, 10, 20, 15))
    lifecycle.close(
        session=db_session,
        ticket_id=ticket.id,
        outcome=Outcome.MEDIATED,
        resolved=True,
        note="商家退还余额 1,200 元",
        actor=staff.handler,
    )
    assert (ticket.status, ticket.outcome, ticket.resolved) == (S.CLOSED.value, "mediated", True)
    assert ticket.first_closed_at == ticket.closed_at == cst(2025, 10, 20, 15)
    # 办理用时 from Tue 09-30: 国庆/中秋 10-01…10-08 off, Sat 10-11 a make-up day → 10-09, 10-10, 10-11,
    # 10-13…10-17, 10-20 = 9 working days.
    assert ticket.handling_workdays == 9
    assert mediate.status == ClockStatus.MET.value
    assert open_clocks(session=db_session, ticket_id=ticket.id) == []  # success: no termination notice

    with pytest.raises(PermissionDenied, match="承办人以外"):
        lifecycle.record_callback(
            session=db_session, ticket_id=ticket.id, callback_in=_callback(), actor=staff.handler
        )
    clockwork.set(cst(2025, 10, 22, 10))
    callback = lifecycle.record_callback(
        session=db_session,
        ticket_id=ticket.id,
        callback_in=_callback(satisfaction=Satisfaction.BASICALLY_SATISFIED),
        actor=staff.checker,
    )
    assert callback.by_user_id == staff.checker_user.id
    assert (ticket.status, ticket.satisfaction) == (S.CALLED_BACK.value, "basically_satisfied")

    lifecycle.archive(session=db_session, ticket_id=ticket.id, actor=staff.officer)
    assert ticket.status == S.ARCHIVED.value and ticket.archived_at is not None

    clockwork.set(cst(2025, 11, 3, 9))
    lifecycle.reopen(
        session=db_session, ticket_id=ticket.id, reason="投诉人反映商家未按约定退款", actor=staff.officer
    )
    assert (ticket.status, ticket.reopen_count, ticket.outcome, ticket.closed_at, ticket.archived_at) == (
        S.ACCEPTED.value,
        1,
        None,
        None,
        None,
    )
    assert ticket.first_closed_at == cst(2025, 10, 20, 15)  # kept for 原始解决率
    again = _clock(db_session, ticket, "mediate")
    assert again.id != mediate.id and again.status == ClockStatus.RUNNING.value

    assert _actions(db_session, ticket) == [
        "accepted",
        "assigned",
        "mediation_started",
        "closed",
        "called_back",
        "archived",
        "reopened",
    ]
    audits = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(ticket.id)).order_by(AuditEvent.id)
    )
    assert list(audits) == [
        "complaints.accepted",
        "complaints.assigned",
        "complaints.mediation_started",
        "complaints.closed",
        "complaints.called_back",
        "complaints.archived",
        "complaints.reopened",
    ]
    closed = db_session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "closed")
    ).one()
    assert (closed.from_status, closed.to_status, closed.actor_user_id) == (
        "mediating",
        "closed",
        staff.handler_user.id,
    )


# ---------------------------------------------------------------------------------------------------
# Every transition from every status
# ---------------------------------------------------------------------------------------------------

Action = Callable[[Session, Ticket, Staff], object]

ACTIONS: dict[str, tuple[Action, set[TicketStatus]]] = {
    "accept": (
        lambda s, t, st: lifecycle.accept(session=s, ticket_id=t.id, actor=st.handler),
        {S.REGISTERED},
    ),
    "reject": (
        lambda s, t, st: lifecycle.reject(
            session=s, ticket_id=t.id, ground="3", note="非生活消费", actor=st.handler
        ),
        {S.REGISTERED},
    ),
    "assign": (
        lambda s, t, st: lifecycle.assign(session=s, ticket_id=t.id, org_id=st.commerce.id, actor=st.officer),
        {S.REGISTERED, S.ACCEPTED, S.ASSIGNED, S.MEDIATING},
    ),
    "transfer": (
        lambda s, t, st: lifecycle.transfer(
            session=s, ticket_id=t.id, to_org_id=st.commerce.id, reason="属预付卡行业主管", actor=st.officer
        ),
        {S.REGISTERED, S.ACCEPTED, S.ASSIGNED, S.MEDIATING},
    ),
    "start_mediation": (
        lambda s, t, st: lifecycle.start_mediation(session=s, ticket_id=t.id, actor=st.handler),
        {S.ACCEPTED, S.ASSIGNED},
    ),
    "close": (
        lambda s, t, st: lifecycle.close(
            session=s,
            ticket_id=t.id,
            outcome=Outcome.TERMINATED,
            resolved=False,
            note="投诉人撤回",
            actor=st.handler,
        ),
        {S.ACCEPTED, S.ASSIGNED, S.MEDIATING},
    ),
    "record_callback": (
        lambda s, t, st: lifecycle.record_callback(
            session=s, ticket_id=t.id, callback_in=_callback(), actor=st.checker
        ),
        {S.CLOSED, S.CALLED_BACK},
    ),
    "archive": (
        lambda s, t, st: lifecycle.archive(session=s, ticket_id=t.id, actor=st.officer),
        {S.REJECTED, S.CLOSED, S.CALLED_BACK},
    ),
    "reopen": (
        lambda s, t, st: lifecycle.reopen(session=s, ticket_id=t.id, reason="重复来电", actor=st.officer),
        {S.CLOSED, S.CALLED_BACK, S.ARCHIVED},
    ),
}


@pytest.mark.parametrize("status", list(TicketStatus))
@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_transition_from_every_status(
    db_session: Session, staff: Staff, status: TicketStatus, name: str
) -> None:
    accepted = status not in (S.REGISTERED, S.REJECTED)
    ticket = make_ticket(db_session, status=status.value, accepted_at=utcnow() if accepted else None)
    action, allowed = ACTIONS[name]
    if status in allowed:
        action(db_session, ticket, staff)
        assert _actions(db_session, ticket), "no timeline event written"
    else:
        with pytest.raises(Conflict, match=f"工单当前状态为“{status.label}”|投诉须先受理"):
            action(db_session, ticket, staff)
        assert ticket.status == status.value
        assert _actions(db_session, ticket) == []


def test_allowed_table_covers_every_status() -> None:
    assert set(lifecycle.ALLOWED) == set(TicketStatus)
    assert S.CLOSED in lifecycle.ALLOWED[S.REGISTERED]  # consultations are answered directly
    assert lifecycle.ALLOWED[S.MEDIATING] == frozenset({S.CLOSED})


# ---------------------------------------------------------------------------------------------------
# Statutory rules
# ---------------------------------------------------------------------------------------------------


def test_rejection_needs_a_ground_of_article_15(db_session: Session, staff: Staff) -> None:
    ticket = make_ticket(db_session)
    with pytest.raises(ValidationFailed) as exc:
        lifecycle.reject(session=db_session, ticket_id=ticket.id, ground="7", note="x", actor=staff.handler)
    assert exc.value.errors[0].field == "ground"
    with pytest.raises(ValidationFailed) as exc:
        lifecycle.reject(session=db_session, ticket_id=ticket.id, ground="4", note=" ", actor=staff.handler)
    assert exc.value.errors[0].field == "note"
    lifecycle.reject(
        session=db_session,
        ticket_id=ticket.id,
        ground="4",
        note="2020 年的消费，已超过三年",
        actor=staff.handler,
    )
    assert (ticket.status, ticket.rejection_ground) == (S.REJECTED.value, "4")
    event = db_session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).one()
    assert event.data["ground_text"].startswith("第十五条第（四）项：除法律另有规定外")
    assert sorted(lifecycle.REJECTION_GROUNDS) == ["1", "2", "3", "4", "5", "6"]
    report = make_ticket(db_session, kind=TicketKind.REPORT.value)
    with pytest.raises(Conflict, match="只适用于投诉"):
        lifecycle.reject(session=db_session, ticket_id=report.id, ground="1", note="x", actor=staff.handler)


def test_termination_starts_the_notice_clock(db_session: Session, staff: Staff, clockwork: Clockwork) -> None:
    ticket = make_ticket(db_session, status=S.MEDIATING.value, accepted_at=cst(2025, 9, 1, 10))
    clockwork.set(cst(2025, 9, 30, 10))
    lifecycle.close(
        session=db_session,
        ticket_id=ticket.id,
        outcome=Outcome.MEDIATION_FAILED,
        resolved=False,
        note="被投诉人明确拒绝调解",
        actor=staff.handler,
    )
    notice = _clock(db_session, ticket, "terminate_notice")
    assert notice.basis == "市场监督管理投诉举报处理暂行办法 第二十一条第二款"
    assert notice.due_at == end_of(date(2025, 10, 16))
    assert "notify" in lifecycle.next_actions(ticket, staff.officer)
    assert "archive" not in lifecycle.next_actions(ticket, staff.officer)
    with pytest.raises(Conflict, match="未完成的法定告知"):
        lifecycle.archive(session=db_session, ticket_id=ticket.id, actor=staff.officer)
    clockwork.set(cst(2025, 10, 9, 10))
    lifecycle.notify(
        session=db_session, ticket_id=ticket.id, actor=staff.handler, note="已电话及短信告知双方"
    )
    assert notice.status == ClockStatus.MET.value
    with pytest.raises(Conflict, match="没有待完成的告知"):
        lifecycle.notify(session=db_session, ticket_id=ticket.id, actor=staff.handler)
    lifecycle.archive(session=db_session, ticket_id=ticket.id, actor=staff.officer)
    assert ticket.status == S.ARCHIVED.value


def test_a_settlement_without_mediation_needs_no_notice(db_session: Session, staff: Staff) -> None:
    ticket = make_ticket(db_session, status=S.ACCEPTED.value, accepted_at=utcnow())
    with pytest.raises(Conflict, match="须在调解中办结"):
        lifecycle.close(
            session=db_session,
            ticket_id=ticket.id,
            outcome=Outcome.MEDIATED,
            resolved=True,
            note="x",
            actor=staff.handler,
        )
    lifecycle.close(
        session=db_session,
        ticket_id=ticket.id,
        outcome=Outcome.SETTLED,
        resolved=True,
        note="平台先行和解",
        actor=staff.handler,
    )
    assert open_clocks(session=db_session, ticket_id=ticket.id) == []


def test_reports_check_leads_and_tell_real_name_reporters(
    db_session: Session, staff: Staff, clockwork: Clockwork
) -> None:
    party = Party(name="王小明", phone="13800000001", created_at=utcnow())
    db_session.add(party)
    db_session.flush()
    named = make_ticket(db_session, kind=TicketKind.REPORT.value, party_id=party.id)
    anonymous = make_ticket(db_session, kind=TicketKind.REPORT.value, anonymous=True)
    clockwork.set(cst(2025, 6, 3, 10))
    for ticket in (named, anonymous):
        lifecycle.accept(session=db_session, ticket_id=ticket.id, actor=staff.handler)
        assert _clock(db_session, ticket, "lead_check").due_at == end_of(date(2025, 6, 24))
        with pytest.raises(Conflict, match="只有投诉可以调解"):
            lifecycle.start_mediation(session=db_session, ticket_id=ticket.id, actor=staff.handler)
        with pytest.raises(ValidationFailed, match="举报的办结结果只能是"):
            lifecycle.close(
                session=db_session,
                ticket_id=ticket.id,
                outcome=Outcome.MEDIATED,
                resolved=True,
                note="x",
                actor=staff.handler,
            )
    clockwork.set(cst(2025, 6, 20, 10))
    for ticket in (named, anonymous):
        lifecycle.close(
            session=db_session,
            ticket_id=ticket.id,
            outcome=Outcome.CASE_FILED,
            resolved=True,
            note="已立案",
            actor=staff.handler,
        )
        assert _clock(db_session, ticket, "lead_check").status == ClockStatus.MET.value
    assert _clock(db_session, named, "report_notice").due_at == end_of(date(2025, 6, 27))
    assert [c.kind for c in open_clocks(session=db_session, ticket_id=anonymous.id)] == []


def test_consultations_are_answered_directly(db_session: Session, staff: Staff) -> None:
    ticket = make_ticket(db_session, kind=TicketKind.CONSULTATION.value, channel=Channel.HOTLINE_12345.value)
    from tianping.complaints.clocks import start_clock

    start_clock(session=db_session, ticket=ticket, kind="hotline", at=utcnow())
    with pytest.raises(Conflict, match="咨询无需受理"):
        lifecycle.accept(session=db_session, ticket_id=ticket.id, actor=staff.handler)
    with pytest.raises(ValidationFailed, match="咨询的办结结果只能是：已答复"):
        lifecycle.close(
            session=db_session,
            ticket_id=ticket.id,
            outcome=Outcome.SETTLED,
            resolved=True,
            note="x",
            actor=staff.handler,
        )
    assert "close" in lifecycle.next_actions(ticket, staff.handler)
    lifecycle.close(
        session=db_session,
        ticket_id=ticket.id,
        outcome=Outcome.ANSWERED,
        resolved=True,
        note="已解答",
        actor=staff.handler,
    )
    assert ticket.status == S.CLOSED.value
    assert _clock(db_session, ticket, "hotline").status == ClockStatus.MET.value
    lifecycle.reopen(session=db_session, ticket_id=ticket.id, reason="追问", actor=staff.handler)
    assert ticket.status == S.REGISTERED.value  # never accepted: back to registered
    assert _clock(db_session, ticket, "hotline").status == ClockStatus.RUNNING.value


def test_a_complaint_cannot_be_closed_before_acceptance(db_session: Session, staff: Staff) -> None:
    ticket = make_ticket(db_session)
    with pytest.raises(Conflict, match="须先受理"):
        lifecycle.close(
            session=db_session,
            ticket_id=ticket.id,
            outcome=Outcome.TERMINATED,
            resolved=False,
            note="x",
            actor=staff.handler,
        )
    assert "close" not in lifecycle.next_actions(ticket, staff.handler)


# ---------------------------------------------------------------------------------------------------
# Callback, transfer, disputes
# ---------------------------------------------------------------------------------------------------


def test_callback_by_whoever_closed_is_refused(db_session: Session, staff: Staff) -> None:
    ticket = make_ticket(
        db_session, status=S.ACCEPTED.value, accepted_at=utcnow(), handler_user_id=staff.handler_user.id
    )
    lifecycle.close(
        session=db_session,
        ticket_id=ticket.id,
        outcome=Outcome.SETTLED,
        resolved=True,
        note="和解",
        actor=staff.officer,
    )
    assert "record_callback" not in lifecycle.next_actions(ticket, staff.officer)
    assert "record_callback" not in lifecycle.next_actions(ticket, staff.handler)
    assert "record_callback" in lifecycle.next_actions(ticket, staff.checker)
    with pytest.raises(PermissionDenied, match="办结人以外"):
        lifecycle.record_callback(
            session=db_session, ticket_id=ticket.id, callback_in=_callback(), actor=staff.officer
        )
    unreached = lifecycle.record_callback(
        session=db_session,
        ticket_id=ticket.id,
        callback_in=CallbackIn(method="sms", reached=False, note="三次未接通"),
        actor=staff.checker,
    )
    assert unreached.satisfaction is None and ticket.satisfaction is None
    assert ticket.status == S.CALLED_BACK.value
    second = lifecycle.record_callback(
        session=db_session,
        ticket_id=ticket.id,
        callback_in=_callback(satisfaction=Satisfaction.DISSATISFIED, resolved=False),
        actor=staff.checker,
    )
    assert second.satisfaction == ticket.satisfaction == "dissatisfied"
    assert (
        db_session.scalar(select(func.count()).select_from(Callback).where(Callback.ticket_id == ticket.id))
        == 2
    )


def test_callback_input_is_consistent() -> None:
    with pytest.raises(ValueError, match="未联系到投诉人时不能填写"):
        CallbackIn(method="phone", reached=False, satisfaction=Satisfaction.SATISFIED)
    with pytest.raises(ValueError, match="请填写满意度"):
        CallbackIn(method="phone", reached=True)
    with pytest.raises(ValueError):
        CallbackIn(method="phone", reached=True, satisfaction=Satisfaction.SATISFIED, note="a\x00b")


def test_transfers_keep_reason_and_count(db_session: Session, staff: Staff) -> None:
    ticket = make_ticket(
        db_session, status=S.ACCEPTED.value, accepted_at=utcnow(), handling_org_id=staff.bureau.id
    )
    lifecycle.transfer(
        session=db_session,
        ticket_id=ticket.id,
        to_org_id=staff.station.id,
        reason="属地所办理",
        actor=staff.officer,
    )
    lifecycle.transfer(
        session=db_session,
        ticket_id=ticket.id,
        to_org_id=staff.commerce.id,
        reason="预付卡主管部门",
        actor=staff.officer,
    )
    assert ticket.transfer_count == 2
    assert (ticket.handling_org_id, ticket.member_unit_org_id, ticket.station_org_id) == (
        staff.commerce.id,
        staff.commerce.id,
        staff.station.id,
    )
    rows = db_session.scalars(
        select(Transfer).where(Transfer.ticket_id == ticket.id).order_by(Transfer.id)
    ).all()
    assert [(r.from_org_id, r.to_org_id, r.reason) for r in rows] == [
        (staff.bureau.id, staff.station.id, "属地所办理"),
        (staff.station.id, staff.commerce.id, "预付卡主管部门"),
    ]
    with pytest.raises(Conflict, match="无需转办"):
        lifecycle.transfer(
            session=db_session,
            ticket_id=ticket.id,
            to_org_id=staff.commerce.id,
            reason="x",
            actor=staff.officer,
        )
    with pytest.raises(ValidationFailed) as exc:
        lifecycle.transfer(
            session=db_session,
            ticket_id=ticket.id,
            to_org_id=staff.bureau.id,
            reason=" ",
            actor=staff.officer,
        )
    assert exc.value.errors[0].field == "reason"
    with pytest.raises(ValidationFailed, match="只能交给") as exc:
        lifecycle.transfer(
            session=db_session,
            ticket_id=ticket.id,
            to_org_id=staff.platform.id,
            reason="x",
            actor=staff.officer,
        )
    assert exc.value.errors[0].field == "to_org_id"
    with pytest.raises(ValidationFailed):
        lifecycle.assign(
            session=db_session,
            ticket_id=ticket.id,
            org_id=staff.station.id,
            user_id=staff.officer_user.id,
            actor=staff.officer,
        )
    assert ticket.transfer_count == 2


def test_jurisdiction_dispute_has_its_own_clock(
    db_session: Session, staff: Staff, clockwork: Clockwork
) -> None:
    ticket = make_ticket(db_session, handling_org_id=staff.bureau.id)
    clockwork.set(cst(2025, 9, 27, 11))
    dispute = lifecycle.open_dispute(
        session=db_session,
        ticket_id=ticket.id,
        other_org_id=staff.other_bureau.id,
        reason="经营地在两区交界",
        actor=staff.officer,
    )
    assert (dispute.kind, dispute.from_org_id, dispute.to_org_id) == (
        "dispute",
        staff.bureau.id,
        staff.other_bureau.id,
    )
    clock = _clock(db_session, ticket, "jurisdiction_dispute")
    assert clock.basis == "市场监督管理投诉举报处理暂行办法 第三十条"
    assert clock.due_at == end_of(date(2025, 10, 13))
    assert "resolve_dispute" in lifecycle.next_actions(ticket, staff.officer)
    with pytest.raises(Conflict, match="已有未解决的管辖争议"):
        lifecycle.open_dispute(
            session=db_session,
            ticket_id=ticket.id,
            other_org_id=staff.other_bureau.id,
            reason="x",
            actor=staff.officer,
        )
    clockwork.set(cst(2025, 10, 10, 11))
    lifecycle.resolve_dispute(
        session=db_session,
        ticket_id=ticket.id,
        designated_org_id=staff.other_bureau.id,
        note="市局指定海淀处理",
        actor=staff.officer,
    )
    assert clock.status == ClockStatus.MET.value
    assert ticket.handling_org_id == staff.other_bureau.id
    assert dispute.resolved_at == cst(2025, 10, 10, 11) and "海淀区市场监督管理局" in (
        dispute.resolution or ""
    )
    assert ticket.transfer_count == 0
    with pytest.raises(Conflict, match="没有未解决的管辖争议"):
        lifecycle.resolve_dispute(
            session=db_session,
            ticket_id=ticket.id,
            designated_org_id=staff.bureau.id,
            note="x",
            actor=staff.officer,
        )


# ---------------------------------------------------------------------------------------------------
# Permissions and buttons
# ---------------------------------------------------------------------------------------------------


def test_handling_needs_the_permission_and_the_ticket_in_reach(db_session: Session, staff: Staff) -> None:
    ticket = make_ticket(db_session)
    with pytest.raises(PermissionDenied):
        lifecycle.accept(session=db_session, ticket_id=ticket.id, actor=staff.analyst)
    with pytest.raises(NotFound):
        lifecycle.accept(session=db_session, ticket_id=ticket.id, actor=staff.haidian)
    with pytest.raises(NotFound):
        lifecycle.accept(session=db_session, ticket_id=ticket.id + 1000, actor=staff.officer)
    assert ticket.status == S.REGISTERED.value
    assert lifecycle.next_actions(ticket, staff.analyst) == []
    assert lifecycle.next_actions(ticket, staff.haidian) == []


def test_next_actions_follow_the_state(db_session: Session, staff: Staff, clockwork: Clockwork) -> None:
    ticket = make_ticket(db_session)
    assert lifecycle.next_actions(ticket, staff.handler) == [
        "accept",
        "reject",
        "assign",
        "transfer",
        "open_dispute",
    ]
    clockwork.set(cst(2025, 6, 3, 10))
    lifecycle.accept(session=db_session, ticket_id=ticket.id, actor=staff.handler)
    assert lifecycle.next_actions(ticket, staff.handler) == [
        "assign",
        "transfer",
        "open_dispute",
        "start_mediation",
        "close",
        "pause",  # the mediation period runs from acceptance (第二十一条第一款第（五）项)
    ]
    lifecycle.start_mediation(session=db_session, ticket_id=ticket.id, actor=staff.handler)
    assert "pause" in lifecycle.next_actions(ticket, staff.handler)
    from tianping.complaints.clocks import pause_clock

    pause_clock(session=db_session, ticket_id=ticket.id, kind="mediate", reason="送检", actor=staff.handler)
    actions = lifecycle.next_actions(ticket, staff.handler)
    assert "resume" in actions and "pause" not in actions


def test_an_archived_rejection_reopens_for_a_new_decision(
    db_session: Session, staff: Staff, clockwork: Clockwork
) -> None:
    ticket = make_ticket(db_session)
    clockwork.set(cst(2025, 6, 3, 10))
    lifecycle.reject(
        session=db_session, ticket_id=ticket.id, ground="5", note="未提供订单凭证", actor=staff.handler
    )
    lifecycle.archive(session=db_session, ticket_id=ticket.id, actor=staff.officer)
    clockwork.set(cst(2025, 6, 9, 10))
    lifecycle.reopen(
        session=db_session, ticket_id=ticket.id, reason="投诉人补交了订单凭证", actor=staff.officer
    )
    assert (ticket.status, ticket.rejection_ground, ticket.reopen_count) == (S.REGISTERED.value, None, 1)
    accept = _clock(db_session, ticket, "accept")
    assert accept.status == ClockStatus.RUNNING.value
    assert accept.due_at == end_of(date(2025, 6, 18))  # 06-10 … 06-13, 06-16 … 06-18
    reopened = db_session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "reopened")
    ).one()
    assert reopened.data["previous"]["rejection_ground"] == "5"
    assert reopened.data["clocks_started"] == ["accept"]


def test_an_unknown_outcome_is_a_field_error(db_session: Session, staff: Staff) -> None:
    ticket = make_ticket(db_session, status=S.ACCEPTED.value, accepted_at=utcnow())
    with pytest.raises(ValidationFailed) as exc:
        lifecycle.close(
            session=db_session,
            ticket_id=ticket.id,
            outcome="won",  # type: ignore[arg-type]
            resolved=True,
            note="x",
            actor=staff.handler,
        )
    assert exc.value.errors[0].field == "outcome"
    assert ticket.status == S.ACCEPTED.value
