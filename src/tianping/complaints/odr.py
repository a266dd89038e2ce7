"""Platform replies (ODR, 平台先行处理): the platform answers, the consumer decides through a link.

The flow:

1. An officer hands a complaint about a platform (or a shop / livestream on it) to the platform with
   :func:`notify_platform` ("转平台先行处理"). That starts the ``odr_reply`` clock
   (``settings.complaints_odr_reply_workdays`` working days, see ``deadlines.yaml``) through
   :func:`start_odr_clock`, which the lifecycle may also call when it accepts or assigns a ticket
   that has a platform. Fetching the inbox never starts a clock.
2. The platform's handler sees the complaints about their platform in :func:`platform_inbox` —
   the complainant's name masked, never their phone, ID number or address, personal data in the
   narrative scrubbed — and proposes a remedy with :func:`reply`. The reply stops the clock (met or
   breached: that is the "timely reply") and returns a random token once; only its SHA-256 is kept.
3. The consumer opens ``/odr/decision/{token}`` and accepts or rejects (:func:`decide`). Accepting
   closes the ticket as 和解 (``Outcome.SETTLED``, resolved) through the lifecycle, acting as
   :data:`CONSUMER_LINK`; rejecting hands the ticket back to the officers (a timeline event and
   ``triage_detail["odr"]["attention"]``), the ticket stays open. A link decides once.

:func:`platform_stats` computes the per-platform figures (count, growth, 调解成功率, 先行和解率,
timely-reply rate, median reply working days); :func:`publish_stats` is the public, aggregate-only
view of them (small counts shown as "<5").
"""

from __future__ import annotations

import hashlib
import secrets
import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from tianping.complaints import clocks, lifecycle
from tianping.complaints.models import (
    Clock,
    ClockStatus,
    Outcome,
    Party,
    PlatformReply,
    Ticket,
    TicketKind,
    TicketStatus,
)
from tianping.complaints.odr_schemas import (
    INBOX_STATES,
    REMEDY_LABELS,
    InboxItem,
    InboxPage,
    PlatformStats,
    PublicStats,
    PublicStatsRow,
    Remedy,
    ReplyIn,
    ReplyView,
)
from tianping.complaints.repository import in_scope, scope_filter
from tianping.core import audit, pii
from tianping.core.authz import Actor, Perm, Role
from tianping.core.calendar import workdays_between
from tianping.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from tianping.core.timeutil import local_zone, to_local, utcnow
from tianping.registry.models import MarketEntity

__all__ = [
    "CLOCK_KIND",
    "CONSUMER_LINK",
    "OPEN_STATUSES",
    "PAGE_SIZE",
    "SMALL_COUNT",
    "decide",
    "inbox_item",
    "notify_platform",
    "platform_inbox",
    "platform_stats",
    "publish_stats",
    "remedy_label",
    "reply",
    "reply_for_token",
    "running_clock",
    "start_odr_clock",
    "token_hash",
]

CLOCK_KIND = "odr_reply"
PAGE_SIZE = 20
SMALL_COUNT = 5
"""Public figures of a platform with fewer complaints than this are shown as "<5"."""

CONSUMER_LINK = Actor(user_id=None, username="odr:consumer-link", roles=frozenset({Role.ADMIN}))
"""Who a decision made through the consumer's link is recorded as (the link is the credential)."""

OPEN_STATUSES = frozenset({TicketStatus.ACCEPTED, TicketStatus.ASSIGNED, TicketStatus.MEDIATING})
"""Statuses in which a ticket can be handed to its platform and settled through a reply."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _running_clock(session: Session, ticket_id: int) -> Clock | None:
    return session.scalar(
        select(Clock)
        .where(
            Clock.ticket_id == ticket_id,
            Clock.kind == CLOCK_KIND,
            Clock.status.in_([ClockStatus.RUNNING.value, ClockStatus.PAUSED.value]),
        )
        .order_by(Clock.id.desc())
        .limit(1)
    )


def running_clock(*, session: Session, ticket_id: int) -> Clock | None:
    """The ticket's running (or paused) platform-reply clock, if any."""
    return _running_clock(session, ticket_id)


def _latest_clock(session: Session, ticket_id: int) -> Clock | None:
    return session.scalar(
        select(Clock).where(Clock.ticket_id == ticket_id, Clock.kind == CLOCK_KIND).order_by(Clock.id.desc())
    )


def start_odr_clock(*, session: Session, ticket: Ticket, at: datetime | None = None) -> Clock:
    """Start the platform's reply clock on a ticket with a platform; idempotent while one runs."""
    if ticket.platform_entity_id is None:
        raise ValidationFailed(
            "该工单未关联平台，不能转平台先行处理",
            errors=[FieldError("platform_entity_id", "未关联平台")],
        )
    existing = _running_clock(session, ticket.id)
    if existing is not None:
        return existing
    return clocks.start_clock(session=session, ticket=ticket, kind=CLOCK_KIND, at=at or utcnow())


def _ticket_in_scope(session: Session, ticket_id: int, actor: Actor) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id, *scope_filter(actor)))
    if ticket is None:
        raise NotFound("工单不存在或不在您的管辖范围内")
    return ticket


def notify_platform(*, session: Session, ticket_id: int, actor: Actor) -> Ticket:
    """ "转平台先行处理": an officer hands a complaint to its platform, starting the reply clock."""
    actor.require(Perm.COMPLAINT_HANDLE)
    ticket = _ticket_in_scope(session, ticket_id, actor)
    if ticket.kind != TicketKind.COMPLAINT.value:
        raise ValidationFailed("只有投诉可以转平台先行处理", errors=[FieldError("kind", "不是投诉")])
    if ticket.status not in OPEN_STATUSES:
        raise Conflict(f"工单当前状态为“{TicketStatus(ticket.status).label}”，受理后方可转平台先行处理")
    already = _running_clock(session, ticket.id)
    clock = start_odr_clock(session=session, ticket=ticket)
    if already is None:
        clocks.ticket_event(
            session,
            ticket,
            actor=actor,
            action="odr_notified",
            note="转平台先行处理",
            data={"platform_entity_id": ticket.platform_entity_id, "due_at": clock.due_at.isoformat()},
        )
        audit.record(
            session,
            actor=actor,
            action="complaints.odr.notify",
            object_type="complaints_ticket",
            object_id=ticket.id,
            summary=f"工单 {ticket.ticket_no} 转平台先行处理",
            detail={"platform_entity_id": ticket.platform_entity_id, "clock_id": clock.id},
        )
    return ticket


# -- the platform's inbox ---------------------------------------------------------------------------


def _require_platform(actor: Actor) -> int:
    actor.require(Perm.COMPLAINT_REPLY)
    if actor.platform_entity_id is None:
        raise PermissionDenied("您的账号未关联平台")
    return actor.platform_entity_id


def _state(ticket: Ticket, latest: PlatformReply | None) -> str:
    if ticket.outcome == Outcome.SETTLED.value and latest is not None and latest.decision == "accepted":
        return "settled"
    if ticket.closed_at is not None or ticket.status not in {s.value for s in OPEN_STATUSES}:
        return "closed"
    if latest is None:
        return "awaiting"
    if latest.decision is None:
        return "replied"
    return "rejected"


def remedy_label(code: str) -> str:
    try:
        return REMEDY_LABELS[Remedy(code)]
    except ValueError:
        return code


def _reply_view(reply: PlatformReply, clock: Clock | None, first_id: int | None) -> ReplyView:
    timely = None
    if clock is not None and reply.id == first_id:
        timely = reply.at <= clock.due_at
    return ReplyView(
        id=reply.id,
        at=reply.at,
        remedy=reply.remedy,
        remedy_label=remedy_label(reply.remedy),
        amount=reply.amount,
        text=reply.text,
        decision=reply.decision,
        decided_at=reply.decided_at,
        decision_note=reply.decision_note,
        timely=timely,
    )


def _scrub(text: str, party_name: str | None) -> str:
    """Narrative for the platform: phones, ID numbers, cards scrubbed, the complainant's name masked."""
    name = (party_name or "").strip()
    if len(name) >= 2:
        text = text.replace(name, pii.mask_name(name))
    return pii.scrub_text(text)


def _item(
    ticket: Ticket,
    *,
    party_name: str | None,
    replies: Sequence[PlatformReply],
    clock: Clock | None,
    now: datetime,
) -> InboxItem:
    ordered = sorted(replies, key=lambda r: r.id)
    latest = ordered[-1] if ordered else None
    first_id = ordered[0].id if ordered else None
    due = clock.due_at if clock is not None else None
    running = clock is not None and clock.status in (ClockStatus.RUNNING.value, ClockStatus.PAUSED.value)
    return InboxItem(
        ticket_id=ticket.id,
        ticket_no=ticket.ticket_no,
        received_at=ticket.received_at,
        kind_label=TicketKind(ticket.kind).label,
        status_label=TicketStatus(ticket.status).label,
        state=_state(ticket, latest),
        title=_scrub(ticket.title, party_name),
        text=_scrub(ticket.text, party_name),
        demand=_scrub(ticket.demand, party_name) if ticket.demand else None,
        party_name="匿名" if ticket.anonymous or not party_name else pii.mask_name(party_name),
        business_name=ticket.business_name,
        order_no=ticket.order_no,
        amount=ticket.amount,
        due_at=due,
        overdue=bool(running and due is not None and due < now),
        replies=tuple(_reply_view(r, clock, first_id) for r in ordered),
    )


def _latest_reply_subquery() -> Any:
    return (
        select(PlatformReply.ticket_id, func.max(PlatformReply.id).label("reply_id"))
        .group_by(PlatformReply.ticket_id)
        .subquery()
    )


def platform_inbox(*, session: Session, actor: Actor, status: str | None = None, page: int = 1) -> InboxPage:
    """Complaints about the actor's platform (and its shops), newest first, 20 a page."""
    platform_id = _require_platform(actor)
    if status is not None and status not in INBOX_STATES:
        raise ValidationFailed("筛选条件无效", errors=[FieldError("status", "未知的处理状态")])
    latest = _latest_reply_subquery()
    open_values = [s.value for s in OPEN_STATUSES]
    is_open = and_(Ticket.status.in_(open_values), Ticket.closed_at.is_(None))
    settled = and_(
        func.coalesce(Ticket.outcome, "") == Outcome.SETTLED.value,
        func.coalesce(PlatformReply.decision, "") == "accepted",
    )
    conditions: dict[str, Any] = {
        "settled": settled,
        "closed": and_(~is_open, ~settled),
        "awaiting": and_(is_open, PlatformReply.id.is_(None)),
        "replied": and_(is_open, PlatformReply.id.is_not(None), PlatformReply.decision.is_(None)),
        "rejected": and_(is_open, PlatformReply.decision == "rejected"),
    }
    base = (
        select(Ticket)
        .outerjoin(latest, latest.c.ticket_id == Ticket.id)
        .outerjoin(PlatformReply, PlatformReply.id == latest.c.reply_id)
        .where(
            Ticket.platform_entity_id == platform_id,
            Ticket.kind == TicketKind.COMPLAINT.value,
            Ticket.status != TicketStatus.REGISTERED.value,  # not accepted yet: nothing to answer
            *scope_filter(actor),
        )
    )
    counts = {
        key: int(session.scalar(select(func.count()).select_from(base.where(cond).subquery())) or 0)
        for key, cond in conditions.items()
    }
    stmt = base.where(conditions[status]) if status else base
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    page = max(1, page)
    pages = max(1, -(-total // PAGE_SIZE))
    tickets = list(
        session.scalars(
            stmt.order_by(Ticket.received_at.desc(), Ticket.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    return InboxPage(items=_items(session, tickets), total=total, page=page, pages=pages, counts=counts)


def _items(session: Session, tickets: Sequence[Ticket]) -> list[InboxItem]:
    if not tickets:
        return []
    ids = [t.id for t in tickets]
    party_ids = {t.party_id for t in tickets if t.party_id is not None}
    names: dict[int, str | None] = (
        dict(session.execute(select(Party.id, Party.name).where(Party.id.in_(party_ids))).all())
        if party_ids
        else {}
    )
    replies: dict[int, list[PlatformReply]] = defaultdict(list)
    for r in session.scalars(select(PlatformReply).where(PlatformReply.ticket_id.in_(ids))):
        replies[r.ticket_id].append(r)
    latest_clock: dict[int, Clock] = {}
    for c in session.scalars(
        select(Clock).where(Clock.ticket_id.in_(ids), Clock.kind == CLOCK_KIND).order_by(Clock.id)
    ):
        latest_clock[c.ticket_id] = c
    now = utcnow()
    return [
        _item(
            t,
            party_name=names.get(t.party_id) if t.party_id is not None else None,
            replies=replies.get(t.id, []),
            clock=latest_clock.get(t.id),
            now=now,
        )
        for t in tickets
    ]


def _platform_ticket(session: Session, ticket_id: int, actor: Actor) -> Ticket:
    platform_id = _require_platform(actor)
    ticket = session.scalar(
        select(Ticket).where(
            Ticket.id == ticket_id,
            Ticket.platform_entity_id == platform_id,
            Ticket.kind == TicketKind.COMPLAINT.value,
            Ticket.status != TicketStatus.REGISTERED.value,
        )
    )
    if ticket is None or not in_scope(ticket, actor):
        raise NotFound("工单不存在或不属于本平台")
    return ticket


def inbox_item(*, session: Session, ticket_id: int, actor: Actor) -> InboxItem:
    """One complaint of the platform's inbox, with its replies (masked like the list)."""
    ticket = _platform_ticket(session, ticket_id, actor)
    return _items(session, [ticket])[0]


def reply(*, session: Session, ticket_id: int, reply_in: ReplyIn, actor: Actor) -> tuple[PlatformReply, str]:
    """Record the platform's proposed remedy; returns it and the consumer's link token (shown once)."""
    ticket = _platform_ticket(session, ticket_id, actor)
    if ticket.status not in {s.value for s in OPEN_STATUSES} or ticket.closed_at is not None:
        raise Conflict("该工单已办结或尚未受理，不能回复")
    pending = session.scalar(
        select(PlatformReply.id).where(PlatformReply.ticket_id == ticket.id, PlatformReply.decision.is_(None))
    )
    if pending is not None:
        raise Conflict("已有回复等待消费者确认，消费者作出决定后方可再次回复")
    if reply_in.remedy in (Remedy.REFUND, Remedy.COMPENSATE) and reply_in.amount is None:
        raise ValidationFailed("退款或赔偿须填写金额", errors=[FieldError("amount", "请填写金额")])
    now = utcnow()
    token = secrets.token_urlsafe(24)
    row = PlatformReply(
        ticket_id=ticket.id,
        platform_entity_id=ticket.platform_entity_id or 0,
        by_user_id=actor.user_id,
        at=now,
        remedy=reply_in.remedy.value,
        amount=reply_in.amount,
        text=reply_in.text,
        token_hash=token_hash(token),
    )
    session.add(row)
    session.flush()
    clock = _running_clock(session, ticket.id)
    timely: bool | None = None
    if clock is not None:
        timely = now <= clock.due_at
        clocks.stop_clock(session=session, ticket=ticket, kind=CLOCK_KIND, at=now)
    clocks.ticket_event(
        session,
        ticket,
        actor=actor,
        action="odr_replied",
        note=f"平台回复：{reply_in.remedy.label}",
        data={
            "reply_id": row.id,
            "remedy": reply_in.remedy.value,
            "amount": str(reply_in.amount) if reply_in.amount is not None else None,
            "timely": timely,
        },
    )
    audit.record(
        session,
        actor=actor,
        action="complaints.odr.reply",
        object_type="complaints_ticket",
        object_id=ticket.id,
        summary=f"平台回复工单 {ticket.ticket_no}：{reply_in.remedy.label}",
        detail={"reply_id": row.id, "remedy": reply_in.remedy.value, "timely": timely},
    )
    return row, token


# -- the consumer's decision --------------------------------------------------------------------------


def reply_for_token(*, session: Session, token: str) -> tuple[PlatformReply, Ticket]:
    """The reply a consumer link points to (public); :class:`NotFound` for an unknown token."""
    if not token or len(token) > 200:
        raise NotFound("链接无效或已失效")
    row = session.scalar(select(PlatformReply).where(PlatformReply.token_hash == token_hash(token)))
    if row is None:
        raise NotFound("链接无效或已失效")
    ticket = session.get(Ticket, row.ticket_id)
    if ticket is None:  # pragma: no cover - a reply always has its ticket (foreign key)
        raise NotFound("链接无效或已失效")
    return row, ticket


def decide(*, session: Session, token: str, accept: bool, note: str | None) -> PlatformReply:
    """The consumer accepts (ticket closed as 和解, resolved) or rejects (back to the officers)."""
    row, ticket = reply_for_token(session=session, token=token)
    if row.decision is not None:
        raise Conflict("您已对该处理方案作出决定，链接只能使用一次")
    if ticket.closed_at is not None or ticket.status not in {s.value for s in OPEN_STATUSES}:
        raise Conflict("该工单已办结，无需再确认")
    clean_note = (note or "").strip() or None
    now = utcnow()
    row.decision = "accepted" if accept else "rejected"
    row.decided_at = now
    row.decision_note = clean_note
    label = remedy_label(row.remedy)
    if accept:
        if _running_clock(session, ticket.id) is not None:
            clocks.stop_clock(session=session, ticket=ticket, kind=CLOCK_KIND, at=now)
        clocks.ticket_event(
            session,
            ticket,
            actor=CONSUMER_LINK,
            action="odr_accepted",
            note=clean_note,
            data={"reply_id": row.id, "remedy": row.remedy},
        )
        lifecycle.close(
            session=session,
            ticket_id=ticket.id,
            outcome=Outcome.SETTLED,
            resolved=True,
            note=f"消费者接受平台处理方案（{label}），平台先行和解",
            actor=CONSUMER_LINK,
        )
    else:
        detail = dict(ticket.triage_detail or {})
        detail["odr"] = {
            "attention": True,
            "reply_id": row.id,
            "rejected_at": now.isoformat(),
            "note": clean_note,
        }
        ticket.triage_detail = detail
        ticket.updated_at = now
        clocks.ticket_event(
            session,
            ticket,
            actor=CONSUMER_LINK,
            action="odr_rejected",
            note=clean_note or "消费者未接受平台处理方案",
            data={"reply_id": row.id, "remedy": row.remedy, "attention": True},
        )
    audit.record(
        session,
        actor=CONSUMER_LINK,
        action="complaints.odr.decide",
        object_type="complaints_ticket",
        object_id=ticket.id,
        summary=f"消费者{'接受' if accept else '未接受'}平台处理方案（工单 {ticket.ticket_no}）",
        detail={"reply_id": row.id, "decision": row.decision},
    )
    session.flush()
    return row


# -- figures --------------------------------------------------------------------------------------


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=local_zone()).astimezone(UTC)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _stats_platforms(actor: Actor) -> int | None:
    """The platform a stats reader is limited to (platform handlers), or None for all."""
    if actor.can(Perm.STATS_READ) or actor.is_admin:
        return None
    if Role.PLATFORM_HANDLER in actor.roles and actor.platform_entity_id is not None:
        return actor.platform_entity_id
    raise PermissionDenied("您没有查看统计数据的权限")


# Statistics periods: far outside any ticket, and keeps the previous equal period a valid date.
STATS_FIRST_DAY = date(2000, 1, 1)
STATS_LAST_DAY = date(2099, 12, 31)


def platform_stats(*, session: Session, actor: Actor, start: date, end: date) -> list[PlatformStats]:
    """Per-platform ODR figures for complaints received from ``start`` to ``end`` (inclusive).

    * count / growth: complaints received, against the previous period of equal length;
    * 调解成功率: (调解成功 + 和解) / 办结, among those complaints that are closed;
    * 先行和解率: complaints whose platform remedy the consumer accepted / complaints the platform
      replied to;
    * timely-reply rate: first replies given on or before the ``odr_reply`` clock's due time / first
      replies with such a clock; median reply working days: from the clock's start to the first reply.
    """
    if end < start:
        raise ValidationFailed("结束日期不能早于开始日期", errors=[FieldError("end", "早于开始日期")])
    for name, day in (("start", start), ("end", end)):
        if not STATS_FIRST_DAY <= day <= STATS_LAST_DAY:
            reason = f"须在 {STATS_FIRST_DAY} 至 {STATS_LAST_DAY} 之间"
            raise ValidationFailed("统计期间超出范围", errors=[FieldError(name, reason)])
    only = _stats_platforms(actor)
    lo, hi = _day_start(start), _day_start(end + timedelta(days=1))
    span = (end - start).days + 1
    prev_lo = _day_start(start - timedelta(days=span))
    base = [Ticket.platform_entity_id.is_not(None), Ticket.kind == TicketKind.COMPLAINT.value]
    if only is not None:
        base.append(Ticket.platform_entity_id == only)

    prev_counts: dict[int, int] = {
        int(pid): int(n)
        for pid, n in session.execute(
            select(Ticket.platform_entity_id, func.count())
            .where(*base, Ticket.received_at >= prev_lo, Ticket.received_at < lo)
            .group_by(Ticket.platform_entity_id)
        )
        if pid is not None
    }
    rows = session.execute(
        select(Ticket.id, Ticket.platform_entity_id, Ticket.outcome, Ticket.closed_at).where(
            *base, Ticket.received_at >= lo, Ticket.received_at < hi
        )
    ).all()
    by_platform: dict[int, list[tuple[int, str | None, datetime | None]]] = defaultdict(list)
    for tid, pid, outcome, closed_at in rows:
        if pid is not None:
            by_platform[int(pid)].append((int(tid), outcome, closed_at))

    ids = [r[0] for r in rows]
    first_reply: dict[int, datetime] = {}
    accepted: set[int] = set()
    clock_of: dict[int, tuple[datetime, datetime]] = {}
    for chunk_start in range(0, len(ids), 5_000):
        chunk = ids[chunk_start : chunk_start + 5_000]
        for tid, at, decision in session.execute(
            select(PlatformReply.ticket_id, PlatformReply.at, PlatformReply.decision)
            .where(PlatformReply.ticket_id.in_(chunk))
            .order_by(PlatformReply.id)
        ):
            first_reply.setdefault(tid, at)
            if decision == "accepted":
                accepted.add(tid)
        for tid, started, due in session.execute(
            select(Clock.ticket_id, Clock.started_at, Clock.due_at)
            .where(Clock.ticket_id.in_(chunk), Clock.kind == CLOCK_KIND)
            .order_by(Clock.id)
        ):
            clock_of.setdefault(tid, (started, due))

    names = dict(
        session.execute(
            select(MarketEntity.id, MarketEntity.name).where(
                MarketEntity.id.in_(set(by_platform) | set(prev_counts))
            )
        ).all()
    )
    settled_outcomes = {Outcome.MEDIATED.value, Outcome.SETTLED.value}
    out: list[PlatformStats] = []
    for pid in sorted(set(by_platform) | set(prev_counts)):
        tickets = by_platform.get(pid, [])
        count = len(tickets)
        previous = prev_counts.get(pid, 0)
        closed = [t for t in tickets if t[2] is not None and t[1] is not None]
        good = sum(1 for t in closed if t[1] in settled_outcomes)
        replied = [t[0] for t in tickets if t[0] in first_reply]
        settled_odr = sum(1 for tid in replied if tid in accepted)
        timed = [tid for tid in replied if tid in clock_of]
        timely = sum(1 for tid in timed if first_reply[tid] <= clock_of[tid][1])
        waits = [
            workdays_between(to_local(clock_of[tid][0]).date(), to_local(first_reply[tid]).date())
            for tid in timed
        ]
        out.append(
            PlatformStats(
                platform_entity_id=pid,
                platform_name=names.get(pid, f"平台 {pid}"),
                count=count,
                previous_count=previous,
                growth=(count - previous) / previous if previous else None,
                closed=len(closed),
                mediated_or_settled=good,
                mediation_success_rate=_ratio(good, len(closed)),
                odr_handled=len(replied),
                settled_via_odr=settled_odr,
                first_settlement_rate=_ratio(settled_odr, len(replied)),
                replies_timed=len(timed),
                replies_timely=timely,
                timely_rate=_ratio(timely, len(timed)),
                median_reply_workdays=float(statistics.median(waits)) if waits else None,
            )
        )
    out.sort(key=lambda s: (-s.count, s.platform_name))
    return out


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _month_bounds(month: str) -> tuple[date, date]:
    try:
        year, mon = (int(p) for p in month.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise ValidationFailed(
            "月份格式应为 YYYY-MM", errors=[FieldError("month", "月份格式应为 YYYY-MM，例如 2025-06")]
        ) from None
    nxt = date(year + (mon == 12), mon % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


STATS_READER = Actor(user_id=None, username="odr:public-stats", roles=frozenset({Role.ANALYST}))
"""The actor the public statistics page reads as (aggregates only; no rows leave the service)."""


def publish_stats(*, session: Session, month: str) -> PublicStats:
    """The public per-platform table for a month: aggregates only, small counts shown as "<5"."""
    start, end = _month_bounds(month)
    rows: list[PublicStatsRow] = []
    for s in platform_stats(session=session, actor=STATS_READER, start=start, end=end):
        if s.count == 0:
            continue
        small = s.count < SMALL_COUNT
        rows.append(
            PublicStatsRow(
                platform_name=s.platform_name,
                count=f"<{SMALL_COUNT}" if small else str(s.count),
                growth="—" if small or s.growth is None else f"{s.growth * 100:+.1f}%",
                mediation_success_rate="—" if small else _pct(s.mediation_success_rate),
                first_settlement_rate="—" if small else _pct(s.first_settlement_rate),
                timely_rate="—" if small else _pct(s.timely_rate),
                median_reply_workdays="—"
                if small or s.median_reply_workdays is None
                else f"{s.median_reply_workdays:g}",
            )
        )
    return PublicStats(month=month, start=start, end=end, rows=rows)
