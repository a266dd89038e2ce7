"""Intake (登记): turn submissions from any channel into tickets.

* Idempotent on ``(channel, external_id)``: the same submission again returns the existing ticket(s)
  and changes nothing; a different submission under the same external id is a :class:`Conflict`
  naming the first field that differs.
* A submission that is both a complaint and a report becomes two tickets linked both ways through
  ``split_of_id`` (市场监督管理投诉举报处理暂行办法 第七条). The complaint half carries the external id;
  the report half is found through the link.
* The complainant's personal data is stored once (``complaints_party``), found again by the keyed hash
  of the phone number plus the same name.
* A complaint lacking the materials of 第九条第一款 is still registered: what is missing is recorded in
  ``triage_detail["intake"]["missing"]`` for the officer, who may reject it under 第十五条第（五）项.
* Clocks: ``accept`` for complaints (第十四条), ``hotline`` for 12345 tickets; none for consultations
  and suggestions from other channels.

Everything is batched so that an import of tens of thousands of rows stays fast: one query per chunk
for existing external ids and parties, ORM inserts flushed together.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session, load_only

from tianping.core import audit
from tianping.core.authz import Actor, Perm
from tianping.core.errors import Conflict, FieldError, PermissionDenied, RateLimited, ValidationFailed
from tianping.core.messages import translate
from tianping.core.settings import get_settings
from tianping.core.timeutil import to_local, utcnow

from .clocks import BASIS_LENGTH, PROVISIONAL_NOTE, rule_for
from .deadlines import ClockRule, compute_due_provisional
from .models import (
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
from .repository import phone_key
from .schemas import BulkItemResult, BulkResult, TicketIn

__all__ = [
    "ARTICLE_7",
    "ARTICLE_9",
    "ARTICLE_33",
    "RegisteredItem",
    "check_public_rate",
    "existing_by_external",
    "first_difference",
    "missing_materials",
    "parse_bulk",
    "register",
    "register_bulk",
    "register_many",
]

LAW = "市场监督管理投诉举报处理暂行办法"
ARTICLE_7 = f"{LAW} 第七条"
ARTICLE_9 = f"{LAW} 第九条第一款"
ARTICLE_33 = f"{LAW} 第三十三条"
_CHUNK = 500

# 第九条第一款: what a complaint must provide, item by item.
_ARTICLE_9_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("party.name", "投诉人姓名", "第（一）项"),
    ("party.phone", "投诉人电话号码", "第（一）项"),
    ("party.address", "投诉人通讯地址", "第（一）项"),
    ("business_name", "被投诉人名称（姓名）", "第（二）项"),
    ("business_address", "被投诉人地址", "第（二）项"),
    ("demand", "具体的投诉请求", "第（三）项"),
)

# Fields compared when a known external id comes again (first difference is reported).
_COMPARED: tuple[tuple[str, str], ...] = (
    ("title", "title"),
    ("text", "text"),
    ("business_name", "business_name"),
    ("platform_name", "platform_name"),
    ("order_no", "order_no"),
    ("demand", "demand"),
)


# What the idempotency check reads of an existing ticket (its JSON columns are not decoded).
_IDEMPOTENCY_COLUMNS = (
    Ticket.id,
    Ticket.ticket_no,
    Ticket.channel,
    Ticket.external_id,
    Ticket.kind,
    Ticket.split_of_id,
    Ticket.title,
    Ticket.text,
    Ticket.business_name,
    Ticket.platform_name,
    Ticket.order_no,
    Ticket.demand,
)


@dataclass
class RegisteredItem:
    """The outcome of one submission: its ticket(s), and whether they were created now."""

    tickets: list[Ticket]
    created: bool
    index: int = 0
    ids: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.ids:
            self.ids = [t.id for t in self.tickets]


def missing_materials(ticket_in: TicketIn) -> list[dict[str, str]]:
    """Items of 第九条第一款 a complaint lacks (empty for other kinds)."""
    if "complaint" not in ticket_in.kinds():
        return []
    party = ticket_in.party
    values: dict[str, object] = {
        "party.name": party.name if party else None,
        "party.phone": party.phone if party else None,
        "party.address": party.address if party else None,
        "business_name": ticket_in.business_name or ticket_in.platform_name,
        "business_address": ticket_in.business_address or ticket_in.location or ticket_in.platform_name,
        "demand": ticket_in.demand,
    }
    return [
        {"field": name, "label": label, "basis": f"{ARTICLE_9}{item}"}
        for name, label, item in _ARTICLE_9_ITEMS
        if not values[name]
    ]


def _check_channel(ticket_in: TicketIn, actor: Actor) -> None:
    if actor.can(Perm.COMPLAINT_HANDLE):
        return
    if ticket_in.channel == Channel.WEB:
        if ticket_in.external_id and not actor.is_authenticated:
            # Idempotency answers with the ticket numbers of earlier submissions: not for anyone.
            raise ValidationFailed(
                "公众提交不能指定来源工单号", errors=[FieldError("external_id", "公众提交不能指定来源工单号")]
            )
        return  # the public form: anyone may file
    if ticket_in.channel == Channel.API and actor.is_authenticated:
        return
    raise PermissionDenied("您只能通过网上投诉渠道提交投诉举报")


def first_difference(existing: Ticket, ticket_in: TicketIn) -> str | None:
    for attr, name in _COMPARED:
        if (getattr(existing, attr) or None) != (getattr(ticket_in, name) or None):
            return name
    if existing.kind != ticket_in.kinds()[0]:
        return "kind"
    return None


def existing_by_external(session: Session, items: Sequence[TicketIn]) -> dict[tuple[str, str], list[Ticket]]:
    """Already registered tickets per (channel, external id), each with its split half."""
    wanted: dict[str, list[str]] = {}
    for item in items:
        if item.external_id:
            wanted.setdefault(item.channel.value, []).append(item.external_id)
    found: dict[tuple[str, str], list[Ticket]] = {}
    halves: list[int] = []
    for channel, ids in wanted.items():
        unique = sorted(set(ids))
        for i in range(0, len(unique), _CHUNK):
            stmt = (
                select(Ticket)
                .options(load_only(*_IDEMPOTENCY_COLUMNS))
                .where(Ticket.channel == channel, Ticket.external_id.in_(unique[i : i + _CHUNK]))
            )
            for ticket in session.scalars(stmt):
                found[(channel, ticket.external_id or "")] = [ticket]
                if ticket.split_of_id is not None:
                    halves.append(ticket.split_of_id)
    if halves:
        stmt = select(Ticket).options(load_only(*_IDEMPOTENCY_COLUMNS)).where(Ticket.id.in_(halves))
        others = {t.id: t for t in session.scalars(stmt)}
        for tickets in found.values():
            other = others.get(tickets[0].split_of_id or 0)
            if other is not None:
                tickets.append(other)
    return found


def _parties(session: Session, items: Sequence[TicketIn]) -> list[Party | None]:
    """The party row of each submission: an existing one (same phone key and name) or a new one."""
    keys = [phone_key(item.party.phone) if item.party else None for item in items]
    known: dict[tuple[str, str], Party] = {}
    distinct = sorted({k for k in keys if k})
    for i in range(0, len(distinct), _CHUNK):
        stmt = select(Party).where(Party.phone_key.in_(distinct[i : i + _CHUNK])).order_by(Party.id)
        for party in session.scalars(stmt):
            known.setdefault((party.phone_key or "", party.name or ""), party)
    now = utcnow()
    result: list[Party | None] = []
    for item, key in zip(items, keys, strict=True):
        party_in = item.party
        if party_in is None or key is None:
            result.append(None)
            continue
        found = known.get((key, party_in.name))
        if found is None:
            party = Party(
                name=party_in.name,
                phone=party_in.phone,
                id_number=party_in.id_number,
                address=party_in.address,
                phone_key=key,
                created_at=now,
            )
            session.add(party)
            known[(key, party_in.name)] = party
        else:  # stored once: fill what was missing, never overwrite
            party = found
            if party.id_number is None and party_in.id_number:
                party.id_number = party_in.id_number
            if party.address is None and party_in.address:
                party.address = party_in.address
        result.append(party)
    return result


_TOKEN_PREFIX = secrets.token_hex(6)
_token_counter = itertools.count()


def _batch_token() -> str:
    """A unique temporary ticket number (process prefix + counter + random), fits String(32)."""
    return f"{_TOKEN_PREFIX}{next(_token_counter):012d}"


def _new_ticket(
    item: TicketIn, kind: str, party: Party | None, actor: Actor, now: datetime
) -> dict[str, Any]:
    intake: dict[str, Any] = {}
    missing = missing_materials(item) if kind == TicketKind.COMPLAINT.value else []
    if missing:
        intake["missing"] = missing
    if kind == TicketKind.REPORT.value:
        intake["confidential_reporter"] = {
            "basis": ARTICLE_33,
            "note": "举报人信息保密，不得泄露给被举报人或与办理举报工作无关的人员",
        }
    if item.location:
        intake["location"] = item.location
    if item.division_code:
        intake["division_code"] = item.division_code
    if len(item.kinds()) > 1:
        intake["split"] = {"basis": ARTICLE_7, "note": "同时提出投诉和举报，分别处理"}
    return dict(
        ticket_no=f"T~{_batch_token()}",  # replaced by the final number after the insert
        channel=item.channel.value,
        external_id=item.external_id if kind == item.kinds()[0] else None,
        kind=kind,
        status=TicketStatus.REGISTERED.value,
        urgency=item.urgency,
        received_at=item.received_at or now,
        registered_at=now,
        created_by=actor.user_id,
        party_id=party.id if party is not None else None,
        anonymous=item.anonymous,
        title=item.title,
        text=item.text,
        demand=item.demand,
        business_name=item.business_name,
        business_address=item.business_address,
        entity_id=None,
        link_status=LinkStatus.NONE.value,
        link_detail={},
        platform_entity_id=None,
        platform_name=item.platform_name,
        order_no=item.order_no,
        amount=item.amount,
        occurred_on=item.occurred_on,
        category_code=item.category_code,
        category_source=None,
        category_confidence=None,
        triage_detail={"intake": intake} if intake else {},
        needs_review=False,
        division_code=item.division_code,
        district_code=item.division_code[:6] if item.division_code else None,
        transfer_count=0,
        reopen_count=0,
        evidence_ids=list(item.evidence_ids),
        updated_at=now,
        station_org_id=None,
        member_unit_org_id=None,
        handling_org_id=None,
        handler_user_id=None,
        matter_id=None,
        split_of_id=None,
        repeat_of_id=None,
    )


def _insert_tickets(session: Session, rows: list[dict[str, Any]], spans: list[tuple[int, int, int]]) -> None:
    """Insert ticket rows with driver-level ``executemany`` and give them their final numbers and
    split links (one ``executemany`` UPDATE). ``rows`` get their ``id``, ``ticket_no`` and
    ``split_of_id`` filled in.

    Far faster than the unit of work (or ``INSERT … RETURNING``) for imports of many rows.
    """
    if not rows:
        return
    conn = session.connection()
    conn.execute(insert(Ticket), rows)
    temporary = [r["ticket_no"] for r in rows]
    ids: dict[str, int] = {}
    for i in range(0, len(temporary), _CHUNK):
        stmt = select(Ticket.ticket_no, Ticket.id).where(Ticket.ticket_no.in_(temporary[i : i + _CHUNK]))
        ids.update({no: tid for no, tid in session.execute(stmt)})
    changes: list[dict[str, Any]] = []
    for _item, first, count in spans:
        span_ids = [ids[temporary[j]] for j in range(first, first + count)]
        for j, tid in enumerate(span_ids):
            row = rows[first + j]
            row["id"] = tid
            row["split_of_id"] = span_ids[1 - j] if count == 2 else None
            row["ticket_no"] = format_ticket_number(row["registered_at"], tid)
            changes.append({"b_id": tid, "b_no": row["ticket_no"], "b_split": row["split_of_id"]})
    stmt_update = (
        update(Ticket)
        .where(Ticket.id == bindparam("b_id"))
        .values(ticket_no=bindparam("b_no"), split_of_id=bindparam("b_split"))
    )
    conn.execute(stmt_update, changes)


def _load(session: Session, ids: list[int]) -> list[Ticket]:
    loaded: dict[int, Ticket] = {}
    for i in range(0, len(ids), _CHUNK):
        stmt = select(Ticket).where(Ticket.id.in_(ids[i : i + _CHUNK]))
        loaded.update({t.id: t for t in session.scalars(stmt)})
    return [loaded[tid] for tid in ids]


def format_ticket_number(registered_at: datetime, ticket_id: int) -> str:
    return f"TS{to_local(registered_at):%Y%m%d}{ticket_id:08d}"


def ticket_number(ticket: Ticket) -> str:
    """``TS`` + the local registration date + the zero-padded id: ``TS2025060100001234``."""
    return format_ticket_number(ticket.registered_at, ticket.id)


def _clock_kinds(kind: str, channel: str) -> list[str]:
    kinds: list[str] = []
    if kind == TicketKind.COMPLAINT.value:
        kinds.append("accept")
    if channel == Channel.HOTLINE_12345.value:
        kinds.append("hotline")
    return kinds


def _start_clocks(session: Session, tickets: Sequence[Mapping[str, Any]]) -> None:
    """Start the intake clocks of new tickets (given as row mappings: id, kind, channel, urgency,
    category_code, received_at).

    The same rule and deadline as :func:`clocks.start_clock` (``rule_for``, the provisional-aware
    ``compute_due_provisional``, the same basis text), as one batch: a ticket registered just now has
    no open clock to look up, and a working-day deadline depends only on the local start date, so
    it is computed once per (rule, day).
    """
    rules: dict[tuple[str, str, str | None], ClockRule] = {}
    dues: dict[tuple[str, str, int, object], tuple[datetime, str]] = {}
    clocks: list[dict[str, Any]] = []
    for ticket in tickets:
        for kind in _clock_kinds(ticket["kind"], ticket["channel"]):
            rule_key = (kind, ticket["urgency"], ticket["category_code"])
            if rule_key not in rules:
                probe = Ticket(
                    kind=ticket["kind"], urgency=ticket["urgency"], category_code=ticket["category_code"]
                )
                rules[rule_key] = rule_for(probe, kind)
            rule = rules[rule_key]
            start = ticket["received_at"]
            when: object = start if rule.unit == "hours" else to_local(start).date()
            due_key = (rule.basis, rule.unit, rule.amount, when)
            if due_key not in dues:
                due, provisional = compute_due_provisional(rule, start)
                basis = (
                    rule.basis[: BASIS_LENGTH - len(PROVISIONAL_NOTE)] + PROVISIONAL_NOTE
                    if provisional
                    else rule.basis
                )
                dues[due_key] = (due, basis[:BASIS_LENGTH])
            due, basis = dues[due_key]
            clocks.append(
                {
                    "ticket_id": ticket["id"],
                    "kind": kind,
                    "basis": basis,
                    "started_at": start,
                    "due_at": due,
                    "status": ClockStatus.RUNNING.value,
                }
            )
    if clocks:
        session.connection().execute(insert(Clock), clocks)


def register_many(
    *,
    session: Session,
    items: Sequence[TicketIn],
    actor: Actor,
    triage_now: bool = True,
    path_prefix: str = "items",
    audit_each: bool = True,
    load: bool = True,
) -> list[RegisteredItem]:
    """Register submissions in one batch: all or nothing (per-item errors name ``items[i].field``).

    ``load=False`` (imports without triage) skips loading the new rows as objects: the results then
    carry ``ids`` only.
    """
    for item in items:
        _check_channel(item, actor)
    errors: list[FieldError] = []
    existing = existing_by_external(session, items)
    seen: dict[tuple[str, str], int] = {}
    results: list[RegisteredItem | None] = []
    for i, item in enumerate(items):
        where = f"{path_prefix}[{i}]." if path_prefix else ""
        key = (item.channel.value, item.external_id) if item.external_id else None
        if key is not None and key in seen:
            errors.append(FieldError(f"{where}external_id", f"与第 {seen[key] + 1} 条的来源工单号重复"))
            results.append(None)
            continue
        if key is not None:
            seen[key] = i
        if key is not None and key in existing:
            differing = first_difference(existing[key][0], item)
            if differing is not None:
                errors.append(
                    FieldError(
                        f"{where}{differing}",
                        f"来源工单号 {item.external_id} 已登记，但内容与已登记的不一致",
                    )
                )
            results.append(RegisteredItem(tickets=existing[key], created=False, index=i))
            continue
        results.append(None)
    if errors:
        conflicts_only = all("已登记" in e.message for e in errors)
        if conflicts_only and len(items) == 1 and not path_prefix:
            raise Conflict(errors[0].message, errors=errors)
        raise ValidationFailed("有提交内容不正确，未登记任何工单", errors=errors)

    todo = [i for i, r in enumerate(results) if r is None]
    parties = _parties(session, [items[i] for i in todo])
    if any(p is not None and p.id is None for p in parties):
        session.flush()
    now = utcnow()
    rows: list[dict[str, Any]] = []
    spans: list[tuple[int, int, int]] = []  # (item index, first row, number of rows)
    for i, party in zip(todo, parties, strict=True):
        item = items[i]
        spans.append((i, len(rows), len(item.kinds())))
        rows.extend(_new_ticket(item, kind, party, actor, now) for kind in item.kinds())
    _insert_tickets(session, rows, spans)
    events = [
        {
            "ticket_id": r["id"],
            "at": now,
            "actor_user_id": actor.user_id,
            "actor_name": actor.username,
            "action": "registered",
            "from_status": None,
            "to_status": TicketStatus.REGISTERED.value,
            "note": f"经{Channel(r['channel']).label}登记"
            + (f"（来源工单号 {r['external_id']}）" if r["external_id"] else ""),
            "data": {
                "channel": r["channel"],
                "external_id": r["external_id"],
                "split_of_id": r["split_of_id"],
            },
        }
        for r in rows
    ]
    if events:
        session.connection().execute(insert(TicketEvent), events)
    if audit_each:
        for r in rows:
            audit.record(
                session,
                actor=actor,
                action="complaints.register",
                object_type="complaints.ticket",
                object_id=r["id"],
                summary=f"登记{TicketKind(r['kind']).label}工单 {r['ticket_no']}",
                detail={"channel": r["channel"], "external_id": r["external_id"], "kind": r["kind"]},
            )
    all_new = _load(session, [r["id"] for r in rows]) if (load or triage_now) and rows else []
    if triage_now and all_new:
        from .triage import triage_many

        triage_many(session=session, tickets=all_new, actor=actor)
        _start_clocks(session, [_clock_fields(t) for t in all_new])  # the 12345 limit needs the category
    else:
        _start_clocks(session, rows)
    session.flush()
    for i, first, count in spans:
        tickets = all_new[first : first + count] if all_new else []
        results[i] = RegisteredItem(
            tickets=tickets, created=True, index=i, ids=[r["id"] for r in rows[first : first + count]]
        )
    return [r for r in results if r is not None]


def _clock_fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "urgency": ticket.urgency,
        "category_code": ticket.category_code,
        "received_at": ticket.received_at,
    }


def register(*, session: Session, ticket_in: TicketIn, actor: Actor, triage_now: bool = True) -> list[Ticket]:
    """Register one submission; returns its ticket(s) (two when split under 第七条)."""
    (result,) = register_many(
        session=session, items=[ticket_in], actor=actor, triage_now=triage_now, path_prefix=""
    )
    return result.tickets


def parse_bulk(raw_items: Sequence[Mapping[str, Any]]) -> list[TicketIn]:
    """Validate raw bulk items; every error names its item, e.g. ``items[3].party.phone``."""
    items: list[TicketIn] = []
    errors: list[FieldError] = []
    for i, raw in enumerate(raw_items):
        try:
            items.append(TicketIn.model_validate(raw))
        except ValidationError as exc:
            for err in translate(exc.errors()):
                path = err["field"] if err["field"] != "body" else ""
                errors.append(FieldError(f"items[{i}]" + (f".{path}" if path else ""), err["message"]))
    if errors:
        raise ValidationFailed("有提交内容不正确，未登记任何工单", errors=errors)
    return items


PUBLIC_WINDOW = timedelta(hours=1)  # the most per window is settings.complaints_public_per_hour


def check_public_rate(session: Session, ip: str | None) -> None:
    """Anonymous submissions from one address: at most ``settings.complaints_public_per_hour`` an hour."""
    if ip is None:
        return
    stmt = (
        select(func.count())
        .select_from(audit.AuditEvent)
        .where(
            audit.AuditEvent.action == "complaints.register",
            audit.AuditEvent.actor_user_id.is_(None),
            audit.AuditEvent.ip == ip,
            audit.AuditEvent.occurred_at >= utcnow() - PUBLIC_WINDOW,
        )
    )
    most = get_settings().complaints_public_per_hour
    if (session.scalar(stmt) or 0) >= most:
        raise RateLimited(f"提交过于频繁：同一网络地址每小时最多提交 {most} 件投诉举报，请稍后再试")


def register_bulk(*, session: Session, items: list[TicketIn], actor: Actor) -> BulkResult:
    """Register many submissions (API bulk): all or nothing, idempotent on the external ids."""
    if not actor.can(Perm.COMPLAINT_HANDLE):
        raise PermissionDenied("批量登记需要投诉举报办理权限")
    if not items:
        raise ValidationFailed("没有要登记的工单", errors=[FieldError("items", "至少提交一条")])
    results = register_many(session=session, items=items, actor=actor)
    out = [
        BulkItemResult(
            index=r.index,
            ticket_ids=[t.id for t in r.tickets],
            ticket_nos=[t.ticket_no for t in r.tickets],
            created=r.created,
        )
        for r in results
    ]
    new = sum(1 for r in results if r.created)
    return BulkResult(created=new, existing=len(results) - new, items=out)
