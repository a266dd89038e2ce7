"""A hand-computed KPI world: tickets built directly as rows (fictitious people and shops).

June 2025 (Asia/Shanghai), 16 tickets: 13 in 丰台区 (110106), 3 in 海淀区 (110108). The expected
figures of every test are worked out by hand in the test docstrings from the table below.

T | kind | recv | handled | status | first close | resolved | reopen | latest reached cb | excl.
T1 | complaint | 06-03 | yes | closed | 06-10 | yes | 0 | C R 满意 | —
T2 | complaint | 06-03 | yes | closed | 06-05 | yes | 0 | C R 基本满意 | —
T3 | complaint | 06-04 | yes | closed | 06-11 | no | 0 | C - 不满意 | —
T4 | complaint | 06-04 | yes | closed | 06-06 | yes | 0 | (not reached) | —
T5 | complaint | 06-05 | yes | mediating | — | — | 0 | — | —
T6 | complaint | 06-05 | yes | rejected | — | — | 0 | — | —
T7 | complaint | 06-06 | yes | closed | 06-09 | yes | 1 | C R 满意 | —
T8 | complaint | 06-09 | yes | closed | 06-12 | yes | 0 | C R 满意 | —
T9 | complaint | 06-16 | yes | assigned | — | — | 0 | — | (repeat_of T8) | —
T10 | complaint | 06-10 | yes | closed | 06-13 | yes | 0 | C R 满意 | approved malicious
T11 | complaint | 06-10 | yes | closed | 06-13 | no | 0 | - - 不满意 | approved invalid_callback
T12 | complaint | 06-11 | yes | closed | 06-16 | yes | 0 | C R 基本满意 | pending malicious
T13 | consultation | 06-12 | no | closed | 06-12 | yes | 0 | C R 满意 (海淀, web) | —
T14 | complaint | 06-03 | yes | closed | 06-05 | yes | 0 | C R 满意 (海淀) * | —
T15 | complaint | 06-20 | yes | assigned | — | — | 0 | — | (P1 + E1 again) | —
T17 | complaint | 06-20 | yes | assigned | — | — | 0 | C - 基本满意 (海淀) | rejected outside_duty

(*) T14 has an earlier reached callback (不满意) before its latest one. T16 (July 20) repeats T14's
party and business 45 days after its first close: outside the 30-day window. May 2025 holds 4
tickets (丰台 3, 海淀 1), June 2024 holds 5 (丰台 5).
Clocks due in June: T1 breached, T2 met, T5 running (due 06-20), T9 paused, T6 cancelled,
T14 met (海淀); T15's clock is due in July.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tianping.complaints.models import Callback, Clock, Exclusion, Party, Ticket
from tianping.core.authz import Actor, Role

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 7, 1, 9, 0, tzinfo=SH)
FENGTAI, HAIDIAN = "110106", "110108"
STATION_FT, STATION_HD, MEMBER_UNIT = 9001, 9002, 9003
PARTY_NAMES = ("张示例", "李测试", "王虚构")
PARTY_PHONES = ("13900001111", "13900002222", "13900003333")
OTHER_PHONE, OTHER_ID = "13700004444", "110106199003071235"


def at(month: int, day: int, year: int = 2025, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SH)


@dataclass
class World:
    tickets: dict[str, Ticket] = field(default_factory=dict)
    parties: list[Party] = field(default_factory=list)


def officer(user_id: int = 7001, *, prefixes: tuple[str, ...] | None = None, admin: bool = False) -> Actor:
    roles = {Role.ADMIN} if admin else {Role.OFFICER}
    return Actor(
        user_id=user_id,
        username=f"officer{user_id}",
        roles=frozenset(roles),
        org_id=8000 + user_id % 100,
        org_name="示例市场监管局",
        division_prefixes=prefixes,
    )


def build_world(session: Session) -> World:
    world = World()
    for i, (name, phone) in enumerate(zip(PARTY_NAMES, PARTY_PHONES, strict=True)):
        party = Party(name=name, phone=phone, address=f"北京市丰台区示例路{i + 1}号", created_at=NOW)
        session.add(party)
        world.parties.append(party)
    session.flush()
    seq = iter(range(1, 1000))

    def ticket(
        label: str,
        recv: datetime,
        *,
        kind: str = "complaint",
        district: str = FENGTAI,
        channel: str = "12345",
        handled: bool = True,
        status: str = "closed",
        first_close: datetime | None = None,
        resolved: bool | None = None,
        reopen: int = 0,
        party: int | None = None,
        entity: int | None = None,
        repeat_of: str | None = None,
        category: str | None = None,
    ) -> Ticket:
        n = next(seq)
        t = Ticket(
            ticket_no=f"TS{recv:%Y%m%d}{n:04d}",
            channel=channel,
            kind=kind,
            status=status,
            received_at=recv.astimezone(UTC),
            registered_at=recv.astimezone(UTC),
            title=f"示例投诉 {label}",
            text=(
                f"我是{PARTY_NAMES[party]}，电话 {PARTY_PHONES[party]}，示例美容店办卡后无法退款。"
                if party is not None
                else f"消费者来电反映，回拨电话 {OTHER_PHONE}，身份证 {OTHER_ID}，示例美容店办卡后无法退款。"
            ),
            party_id=world.parties[party].id if party is not None else None,
            business_name="示例美容店",
            entity_id=entity,
            category_code=category or ("prepaid.beauty" if district == FENGTAI else "online.coupon"),
            division_code=district,
            district_code=district,
            station_org_id=(STATION_FT if district == FENGTAI else STATION_HD) if handled else None,
            member_unit_org_id=MEMBER_UNIT if handled else None,
            handling_org_id=(STATION_FT if district == FENGTAI else STATION_HD) if handled else None,
            accepted_at=recv if handled and status != "rejected" else None,
            first_closed_at=first_close,
            closed_at=first_close,
            resolved=resolved,
            reopen_count=reopen,
            repeat_of_id=world.tickets[repeat_of].id if repeat_of else None,
            outcome="mediated" if first_close and resolved else ("mediation_failed" if first_close else None),
            updated_at=recv,
        )
        session.add(t)
        session.flush()
        world.tickets[label] = t
        return t

    def callback(
        label: str, when: datetime, *, reached: bool = True, c: bool | None, r: bool | None, s: str | None
    ) -> None:
        session.add(
            Callback(
                ticket_id=world.tickets[label].id,
                at=when,
                by_user_id=7999,
                method="phone",
                reached=reached,
                contacted=c,
                resolved=r,
                satisfaction=s,
            )
        )

    def clock(label: str, due: datetime, status: str) -> None:
        session.add(
            Clock(
                ticket_id=world.tickets[label].id,
                kind="mediate",
                basis="市场监督管理投诉举报处理暂行办法 第二十一条",
                started_at=world.tickets[label].received_at,
                due_at=due,
                status=status,
            )
        )

    def exclusion(label: str, reason: str, status: str) -> None:
        session.add(
            Exclusion(
                ticket_id=world.tickets[label].id,
                kind="deduction",
                reason_code=reason,
                note="示例核减理由",
                requested_by=7001,
                requested_at=NOW,
                status=status,
                decided_by=None if status == "pending" else 7002,
                decided_at=None if status == "pending" else NOW,
            )
        )

    S, B, D = "satisfied", "basically_satisfied", "dissatisfied"
    ticket("T1", at(6, 3), first_close=at(6, 10), resolved=True, party=0, entity=501)
    ticket("T2", at(6, 3), first_close=at(6, 5), resolved=True, party=1, entity=501)
    ticket("T3", at(6, 4), first_close=at(6, 11), resolved=False, party=2, entity=502)
    ticket("T4", at(6, 4), first_close=at(6, 6), resolved=True, entity=502)
    ticket("T5", at(6, 5), status="mediating")
    ticket("T6", at(6, 5), status="rejected")
    ticket("T7", at(6, 6), first_close=at(6, 9), resolved=True, reopen=1)
    ticket("T8", at(6, 9), first_close=at(6, 12), resolved=True, entity=503)
    ticket("T9", at(6, 16), status="assigned", entity=503, repeat_of="T8")
    ticket("T10", at(6, 10), first_close=at(6, 13), resolved=True)
    ticket("T11", at(6, 10), first_close=at(6, 13), resolved=False)
    ticket("T12", at(6, 11), first_close=at(6, 16), resolved=True)
    ticket(
        "T13",
        at(6, 12),
        kind="consultation",
        district=HAIDIAN,
        channel="web",
        handled=False,
        first_close=at(6, 12, hour=16),
        resolved=True,
    )
    ticket(
        "T14",
        at(6, 3),
        district=HAIDIAN,
        channel="12315",
        first_close=at(6, 5),
        resolved=True,
        party=2,
        entity=504,
    )
    ticket("T15", at(6, 20), status="assigned", party=0, entity=501)
    ticket("T16", at(7, 20), district=HAIDIAN, status="assigned", party=2, entity=504)
    ticket("T17", at(6, 20), district=HAIDIAN, status="assigned")
    for label in ("M1", "M2", "M3"):
        ticket(label, at(5, 20), status="assigned")
    ticket("M4", at(5, 21), district=HAIDIAN, status="assigned")
    for i in range(5):
        ticket(f"Y{i}", at(6, 10 + i, year=2024), status="assigned")

    callback("T1", at(6, 12), c=True, r=True, s=S)
    callback("T2", at(6, 6), c=True, r=True, s=B)
    callback("T3", at(6, 12), c=True, r=False, s=D)
    callback("T4", at(6, 9), reached=False, c=None, r=None, s=None)
    callback("T7", at(6, 10), c=True, r=True, s=S)
    callback("T8", at(6, 13), c=True, r=True, s=S)
    callback("T10", at(6, 16), c=True, r=True, s=S)
    callback("T11", at(6, 16), c=False, r=False, s=D)
    callback("T12", at(6, 17), c=True, r=True, s=B)
    callback("T13", at(6, 13), c=True, r=True, s=S)
    callback("T14", at(6, 6), c=False, r=False, s=D)
    session.flush()
    callback("T14", at(6, 9), c=True, r=True, s=S)  # later id: the latest reached callback counts
    callback("T17", at(6, 25), c=True, r=False, s=B)

    clock("T1", at(6, 10), "breached")
    clock("T2", at(6, 12), "met")
    clock("T5", at(6, 20), "running")
    clock("T9", at(6, 25), "paused")
    clock("T6", at(6, 12), "cancelled")
    clock("T14", at(6, 15), "met")
    clock("T15", at(7, 10), "running")

    exclusion("T10", "malicious", "approved")
    exclusion("T11", "invalid_callback", "approved")
    exclusion("T12", "malicious", "pending")
    exclusion("T17", "outside_duty", "rejected")
    session.flush()
    return world
