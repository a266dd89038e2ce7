"""申诉 / 核减: four-eyes decisions, reason codes from kpi.yaml, audit and timeline, assessed-only effect."""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.complaints_kpi.kpi_support import NOW, build_world, officer
from tianping.complaints.exclusions import decide_exclusion, list_exclusions, request_exclusion
from tianping.complaints.kpi import compute
from tianping.complaints.models import TicketEvent
from tianping.core.audit import AuditEvent
from tianping.core.authz import Actor, Role
from tianping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

JUNE = (date(2025, 6, 1), date(2025, 6, 30))


def test_request_and_approve_changes_assessed_figures_only(db_session: Session) -> None:
    world = build_world(db_session)
    handler, admin = officer(7101), officer(7102)
    before = compute(session=db_session, actor=admin, start=JUNE[0], end=JUNE[1], now=NOW).total
    t3 = world.tickets["T3"]  # dispatched, contacted, not resolved, 不满意
    exclusion = request_exclusion(
        session=db_session,
        ticket_id=t3.id,
        kind="appeal",
        reason_code="unreasonable_demand",
        note="诉求超出合同约定",
        actor=handler,
    )
    assert exclusion.status == "pending"
    pending = compute(session=db_session, actor=admin, start=JUNE[0], end=JUNE[1], now=NOW).total
    assert pending.resolution_assessed == before.resolution_assessed  # pending changes nothing
    decided = decide_exclusion(
        session=db_session, exclusion_id=exclusion.id, approve=True, note="", actor=admin
    )
    assert (decided.status, decided.decided_by) == ("approved", 7102)
    after = compute(session=db_session, actor=admin, start=JUNE[0], end=JUNE[1], now=NOW).total
    assert after.resolution_raw == before.resolution_raw  # raw keeps every ticket
    assert after.resolution_assessed.value == F(6, 11)  # was 6/12: T3 (unresolved) leaves the base
    assert after.response_assessed.value == F(7, 11)
    assert after.excluded == 3
    actions = set(db_session.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == t3.id)))
    assert actions == {"exclusion_requested", "exclusion_decided"}
    audited = set(
        db_session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(exclusion.id)))
    )
    assert audited == {"complaints.exclusion.request", "complaints.exclusion.decide"}
    views = list_exclusions(session=db_session, actor=admin, ticket_id=t3.id)
    assert [(v.status_label, v.reason_label, v.kind_label) for v in views] == [
        ("已批准", "诉求明显不合理或超出法定、约定义务", "申诉")
    ]


def test_four_eyes_and_permissions(db_session: Session) -> None:
    world = build_world(db_session)
    handler = officer(7101)
    exclusion = request_exclusion(
        session=db_session,
        ticket_id=world.tickets["T4"].id,
        kind="deduction",
        reason_code="invalid_callback",
        note="号码空号",
        actor=handler,
    )
    with pytest.raises(PermissionDenied, match="申请人不能审核"):
        decide_exclusion(session=db_session, exclusion_id=exclusion.id, approve=True, note="", actor=handler)
    anonymous_admin = Actor(user_id=None, username="cli:root", roles=frozenset({Role.ADMIN}))
    with pytest.raises(PermissionDenied, match="实名"):
        decide_exclusion(
            session=db_session, exclusion_id=exclusion.id, approve=True, note="", actor=anonymous_admin
        )
    station = Actor(
        user_id=7200, username="s", roles=frozenset({Role.STATION_OFFICER}), division_prefixes=None
    )
    with pytest.raises(PermissionDenied):
        decide_exclusion(session=db_session, exclusion_id=exclusion.id, approve=True, note="", actor=station)
    with pytest.raises(ValidationFailed) as err:  # a rejection needs a reason
        decide_exclusion(
            session=db_session, exclusion_id=exclusion.id, approve=False, note=" ", actor=officer(7103)
        )
    assert err.value.errors[0].field == "note"
    rejected = decide_exclusion(
        session=db_session,
        exclusion_id=exclusion.id,
        approve=False,
        note="回访录音显示已接通",
        actor=officer(7103),
    )
    assert rejected.status == "rejected"
    with pytest.raises(Conflict):
        decide_exclusion(
            session=db_session, exclusion_id=exclusion.id, approve=True, note="", actor=officer(7104)
        )


def test_bad_requests(db_session: Session) -> None:
    world = build_world(db_session)
    handler = officer(7101)
    t1 = world.tickets["T1"].id
    with pytest.raises(ValidationFailed) as err:
        request_exclusion(
            session=db_session, ticket_id=t1, kind="veto", reason_code="nope", note="x", actor=handler
        )
    assert {e.field for e in err.value.errors} == {"kind", "reason_code"}
    with pytest.raises(ValidationFailed):
        request_exclusion(
            session=db_session, ticket_id=t1, kind="appeal", reason_code="malicious", note="  ", actor=handler
        )
    with pytest.raises(ValidationFailed):
        request_exclusion(
            session=db_session,
            ticket_id=t1,
            kind="appeal",
            reason_code="malicious",
            note="a\x00b",
            actor=handler,
        )
    with pytest.raises(Conflict):  # T10 already has an approved exclusion for this reason
        request_exclusion(
            session=db_session,
            ticket_id=world.tickets["T10"].id,
            kind="appeal",
            reason_code="malicious",
            note="再次申请",
            actor=handler,
        )
    haidian_only = officer(7105, prefixes=("110108",))
    with pytest.raises(NotFound):  # out of scope looks like not found
        request_exclusion(
            session=db_session,
            ticket_id=t1,
            kind="appeal",
            reason_code="malicious",
            note="x",
            actor=haidian_only,
        )
    analyst = Actor(user_id=7300, username="a", roles=frozenset({Role.ANALYST}))
    with pytest.raises(PermissionDenied):
        request_exclusion(
            session=db_session, ticket_id=t1, kind="appeal", reason_code="malicious", note="x", actor=analyst
        )
    with pytest.raises(NotFound):
        decide_exclusion(session=db_session, exclusion_id=999_999, approve=True, note="", actor=officer(7102))
