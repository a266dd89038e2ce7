"""The facade the edges use: read tickets in scope, show them masked, reveal a party (audited).

Writes live in their own modules (``intake``, ``triage``, ``linking``, ``lifecycle`` …); this module
only reads, except :func:`reveal_party`, which records the view of personal data.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from tianping.core import audit
from tianping.core.authz import Actor, Perm, Role
from tianping.core.calendar import CalendarNotCovered, add_workdays
from tianping.core.errors import NotFound, PermissionDenied
from tianping.core.pii import mask_address, mask_id_card, mask_name, mask_phone, scrub_text
from tianping.core.settings import get_settings
from tianping.core.timeutil import local_today, local_zone, utcnow
from tianping.registry.models import MarketEntity

from .models import (
    CHANNEL_LABELS,
    LINK_STATUS_LABELS,
    OUTCOME_LABELS,
    TICKET_KIND_LABELS,
    TICKET_STATUS_LABELS,
    Channel,
    Clock,
    ClockStatus,
    LinkStatus,
    Party,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from .repository import in_scope, org_names, scope_filter
from .schemas import PartyOut, TicketOut, TicketPage, TicketQuery

__all__ = [
    "category_label",
    "filter_clauses",
    "get",
    "get_by_no",
    "list_tickets",
    "reveal_party",
    "timeline",
    "to_out",
]


def category_label(code: str | None) -> str:
    """The taxonomy path of a category code (``预付式消费/美容美发``), ``未分类`` when none."""
    from .taxonomy import load_taxonomy  # B's module; read lazily (officers may edit the file)

    try:
        return load_taxonomy().label(code)
    except NotFound:
        return code or "未分类"


def _label(labels: dict[str, str], value: str | None) -> str:
    return labels.get(value or "", value or "")


def _str_labels(
    labels: dict[Channel, str] | dict[TicketKind, str] | dict[TicketStatus, str],
) -> dict[str, str]:
    return {k.value: v for k, v in labels.items()}


_CHANNELS = _str_labels(CHANNEL_LABELS)
_KINDS = _str_labels(TICKET_KIND_LABELS)
_STATUSES = _str_labels(TICKET_STATUS_LABELS)
_LINKS: dict[str, str] = {k.value: v for k, v in LINK_STATUS_LABELS.items()}
_OUTCOMES: dict[str, str] = {k.value: v for k, v in OUTCOME_LABELS.items()}


def _check_read(actor: Actor) -> None:
    if not actor.can(Perm.COMPLAINT_READ):
        raise PermissionDenied("您没有查看投诉举报的权限")


def get(*, session: Session, ticket_id: int, actor: Actor) -> Ticket:
    """The ticket, if the actor may see it; :class:`NotFound` otherwise (existence does not leak)."""
    _check_read(actor)
    stmt = select(Ticket).where(Ticket.id == ticket_id, *scope_filter(actor))
    ticket = session.scalars(stmt).first()
    if ticket is None:
        raise NotFound(f"工单 {ticket_id} 不存在或不在您的管辖范围内")
    return ticket


def get_by_no(*, session: Session, ticket_no: str, actor: Actor) -> Ticket:
    _check_read(actor)
    stmt = select(Ticket).where(Ticket.ticket_no == ticket_no.strip(), *scope_filter(actor))
    ticket = session.scalars(stmt).first()
    if ticket is None:
        raise NotFound(f"工单 {ticket_no} 不存在或不在您的管辖范围内")
    return ticket


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=local_zone())
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=local_zone())
    return start.astimezone(UTC), end.astimezone(UTC)


def _due_soon_horizon(now: datetime) -> datetime:
    days = get_settings().complaints_due_soon_workdays
    try:
        last = add_workdays(local_today(), days)
    except CalendarNotCovered:
        last = local_today() + timedelta(days=days + days // 5 * 2)
    return datetime.combine(last, time(23, 59, 59), tzinfo=local_zone()).astimezone(UTC)


def _queue_clause(queue: str) -> ColumnElement[bool]:
    now = utcnow()
    if queue == "review":
        return Ticket.needs_review.is_(True)
    if queue == "unresolved":
        return Ticket.link_status == LinkStatus.UNRESOLVED.value
    if queue == "overdue":
        cond = and_(
            Clock.ticket_id == Ticket.id, Clock.status == ClockStatus.RUNNING.value, Clock.due_at < now
        )
        return exists().where(cond)
    horizon = _due_soon_horizon(now)
    cond = and_(
        Clock.ticket_id == Ticket.id,
        Clock.status == ClockStatus.RUNNING.value,
        Clock.due_at >= now,
        Clock.due_at <= horizon,
    )
    return exists().where(cond)


def filter_clauses(query: TicketQuery) -> list[ColumnElement[bool]]:
    """WHERE clauses of the list filters (ANDed with the scope)."""
    where: list[ColumnElement[bool]] = []
    if query.status:
        if query.status == "unresolved":  # not yet closed
            open_states = [s.value for s in (TicketStatus.REGISTERED, TicketStatus.ACCEPTED)]
            open_states += [TicketStatus.ASSIGNED.value, TicketStatus.MEDIATING.value]
            where.append(Ticket.status.in_(open_states))
        else:
            where.append(Ticket.status == query.status)
    if query.kind:
        where.append(Ticket.kind == query.kind)
    if query.channel:
        where.append(Ticket.channel == query.channel)
    if query.category:
        where.append(
            or_(
                Ticket.category_code == query.category,
                Ticket.category_code.startswith(query.category + ".", autoescape=True),
            )
        )
    if query.district:
        if len(query.district) == 6:
            where.append(Ticket.district_code == query.district)
        else:
            where.append(Ticket.division_code.startswith(query.district, autoescape=True))
    if query.member_unit:
        where.append(Ticket.member_unit_org_id == query.member_unit)
    if query.entity_id:
        where.append(Ticket.entity_id == query.entity_id)
    if query.platform_entity_id:
        where.append(Ticket.platform_entity_id == query.platform_entity_id)
    if query.month:
        start, end = _month_bounds(query.month)
        where.append(and_(Ticket.received_at >= start, Ticket.received_at < end))
    if query.queue:
        where.append(_queue_clause(query.queue))
    if query.q:
        text = query.q
        like = or_(
            Ticket.ticket_no == text,
            Ticket.external_id == text,
            Ticket.title.contains(text, autoescape=True),
            Ticket.business_name.contains(text, autoescape=True),
            Ticket.text.contains(text, autoescape=True),
        )
        where.append(like)
    return where


def list_tickets(*, session: Session, query: TicketQuery, actor: Actor) -> TicketPage:
    """One page of the tickets the actor may see, newest first, masked."""
    _check_read(actor)
    where = [*scope_filter(actor), *filter_clauses(query)]
    total = session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0
    stmt = (
        select(Ticket)
        .where(*where)
        .order_by(Ticket.received_at.desc(), Ticket.id.desc())
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )
    tickets = list(session.scalars(stmt))
    items = _to_outs(tickets, session=session, actor=actor)
    return TicketPage(items=items, total=total, page=query.page, page_size=query.page_size)


def _party_out(party: Party, *, reveal: bool) -> PartyOut:
    if reveal:
        return PartyOut(
            id=party.id,
            name=party.name,
            phone=party.phone,
            id_number=party.id_number,
            address=party.address,
            masked=False,
        )
    return PartyOut(
        id=party.id,
        name=mask_name(party.name) if party.name else None,
        phone=mask_phone(party.phone) if party.phone else None,
        id_number=mask_id_card(party.id_number) if party.id_number else None,
        address=mask_address(party.address) if party.address else None,
        masked=True,
    )


def _may_see_unmasked(actor: Actor) -> bool:
    return actor.may_reveal_pii and Role.PLATFORM_HANDLER not in actor.roles


def _to_outs(
    tickets: list[Ticket], *, session: Session, actor: Actor, reveal: bool = False
) -> list[TicketOut]:
    orgs = org_names(
        session,
        [oid for t in tickets for oid in (t.station_org_id, t.member_unit_org_id, t.handling_org_id)],
    )
    entity_ids = sorted({t.entity_id for t in tickets if t.entity_id is not None})
    entities: dict[int, str] = {}
    if entity_ids:
        stmt = select(MarketEntity.id, MarketEntity.name).where(MarketEntity.id.in_(entity_ids))
        entities = {eid: name for eid, name in session.execute(stmt)}
    party_ids = sorted({t.party_id for t in tickets if t.party_id is not None})
    parties: dict[int, Party] = {}
    if party_ids:
        parties = {p.id: p for p in session.scalars(select(Party).where(Party.id.in_(party_ids)))}
    unmasked = reveal and _may_see_unmasked(actor)
    out: list[TicketOut] = []
    for t in tickets:
        party = parties.get(t.party_id) if t.party_id is not None else None
        out.append(
            TicketOut(
                id=t.id,
                ticket_no=t.ticket_no,
                channel=t.channel,
                channel_label=_label(_CHANNELS, t.channel),
                external_id=t.external_id,
                kind=t.kind,
                kind_label=_label(_KINDS, t.kind),
                status=t.status,
                status_label=_label(_STATUSES, t.status),
                urgency=t.urgency,
                received_at=t.received_at,
                registered_at=t.registered_at,
                party=_party_out(party, reveal=unmasked) if party is not None else None,
                anonymous=t.anonymous,
                title=t.title if unmasked else scrub_text(t.title),
                text=t.text if unmasked else scrub_text(t.text),
                demand=(t.demand if unmasked else scrub_text(t.demand)) if t.demand else None,
                business_name=t.business_name,
                business_address=t.business_address,
                entity_id=t.entity_id,
                entity_name=entities.get(t.entity_id) if t.entity_id is not None else None,
                link_status=t.link_status,
                link_status_label=_label(_LINKS, t.link_status),
                link_detail=t.link_detail or {},
                platform_entity_id=t.platform_entity_id,
                platform_name=t.platform_name,
                order_no=t.order_no,
                amount=t.amount,
                occurred_on=t.occurred_on,
                category_code=t.category_code,
                category_label=category_label(t.category_code),
                category_source=t.category_source,
                category_confidence=t.category_confidence,
                triage_detail=t.triage_detail or {},
                needs_review=t.needs_review,
                division_code=t.division_code,
                district_code=t.district_code,
                station_org_id=t.station_org_id,
                station_org_name=orgs.get(t.station_org_id) if t.station_org_id else None,
                member_unit_org_id=t.member_unit_org_id,
                member_unit_org_name=orgs.get(t.member_unit_org_id) if t.member_unit_org_id else None,
                handling_org_id=t.handling_org_id,
                handling_org_name=orgs.get(t.handling_org_id) if t.handling_org_id else None,
                handler_user_id=t.handler_user_id,
                transfer_count=t.transfer_count,
                matter_id=t.matter_id,
                split_of_id=t.split_of_id,
                repeat_of_id=t.repeat_of_id,
                accepted_at=t.accepted_at,
                rejection_ground=t.rejection_ground,
                outcome=t.outcome,
                outcome_label=_OUTCOMES.get(t.outcome) if t.outcome else None,
                outcome_note=t.outcome_note,
                resolved=t.resolved,
                first_closed_at=t.first_closed_at,
                closed_at=t.closed_at,
                archived_at=t.archived_at,
                reopen_count=t.reopen_count,
                satisfaction=t.satisfaction,
                evidence_ids=list(t.evidence_ids or []),
                updated_at=t.updated_at,
                masked=not unmasked,
            )
        )
    return out


def to_out(ticket: Ticket, *, session: Session, actor: Actor, reveal: bool = False) -> TicketOut:
    """The ticket as ``actor`` may see it. ``reveal=True`` shows personal data only to actors holding
    ``pii:reveal`` (never platform handlers) and is meant for :func:`reveal_party`, which audits it."""
    return _to_outs([ticket], session=session, actor=actor, reveal=reveal)[0]


def reveal_party(*, session: Session, ticket_id: int, actor: Actor) -> PartyOut:
    """The complainant's personal data unmasked (``pii:reveal``); each view writes an audit event."""
    ticket = get(session=session, ticket_id=ticket_id, actor=actor)
    if not _may_see_unmasked(actor):
        raise PermissionDenied("您没有查看完整个人信息的权限")
    if ticket.party_id is None:
        raise NotFound("该工单没有登记投诉人信息（匿名或未提供）")
    party = session.get(Party, ticket.party_id)
    if party is None:
        raise NotFound("投诉人信息不存在")
    audit.record(
        session,
        actor=actor,
        action="pii.view",
        object_type="complaints.ticket",
        object_id=ticket.id,
        summary=f"查看工单 {ticket.ticket_no} 投诉人完整个人信息",
        detail={"party_id": party.id, "fields": ["name", "phone", "id_number", "address"]},
    )
    return _party_out(party, reveal=True)


def timeline(*, session: Session, ticket_id: int, actor: Actor) -> list[TicketEvent]:
    """The ticket's events, oldest first (scope-checked)."""
    ticket = get(session=session, ticket_id=ticket_id, actor=actor)
    stmt = (
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.at, TicketEvent.id)
    )
    return list(session.scalars(stmt))


def visible(ticket: Ticket, actor: Actor) -> bool:
    """Whether ``actor`` may see this loaded ticket (see :func:`repository.in_scope`)."""
    return in_scope(ticket, actor)
