"""The public open-data export of complaints, in the spirit of the CFPB complaint database.

One row per ticket, no personal data:

* the id is a keyed hash of the ticket number (stable across exports, not reversible without the
  installation's secret);
* the place is the district, never the street or an address, and it is left out (``已隐去``)
  when its category × district × month group holds fewer than ``complaints_public_min_count``
  tickets;
* a business is named only when the ticket is linked to a registered business entity (company,
  platform, shop on a platform, market, prepaid business), never an individual business or a
  livestreamer, whose names are people's names; free-text names given by complainants are never
  published;
* the narrative is published only for tickets received at least ``open_data.narrative_delay_days``
  days ago (``kpi.yaml``), with the complainant's own name and phone removed and every ID number,
  phone, card number and e-mail address found by :func:`tianping.core.pii.scrub_text` masked.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from tianping.core import audit, divisions
from tianping.core.authz import Actor, Perm
from tianping.core.errors import FieldError, ValidationFailed
from tianping.core.pii import scrub_text
from tianping.core.settings import get_settings
from tianping.core.timeutil import to_local, utcnow
from tianping.registry.models import EntityKind, MarketEntity

from .kpi import base_where, dimension_labels, utc_bounds
from .kpi_formulas import load_kpi_formulas
from .kpi_sql import local_month
from .models import (
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    TICKET_KIND_LABELS,
    Channel,
    Clock,
    ClockStatus,
    Outcome,
    Party,
    Ticket,
    TicketKind,
    TicketStatus,
)

__all__ = ["OPEN_DATA_COLUMNS", "SUPPRESSED", "open_data_csv", "open_data_rows"]

OPEN_DATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "编号"),
    ("received_on", "收到日期"),
    ("kind", "类型"),
    ("category", "类别"),
    ("channel", "渠道"),
    ("district", "区"),
    ("business", "被投诉经营者"),
    ("status", "办理状态"),
    ("outcome", "办理结果"),
    ("timely", "是否按期办理"),
    ("narrative", "诉求描述（已脱敏）"),
)
SUPPRESSED = "已隐去"
PUBLISHABLE_KINDS = frozenset(
    k.value
    for k in (
        EntityKind.ENTERPRISE,
        EntityKind.PLATFORM,
        EntityKind.PLATFORM_SHOP,
        EntityKind.MARKET,
        EntityKind.PREPAID_BUSINESS,
    )
)
_CHUNK = 2000
_OPEN = {TicketStatus.REGISTERED.value, TicketStatus.ACCEPTED.value, TicketStatus.ASSIGNED.value,
         TicketStatus.MEDIATING.value}  # fmt: skip


def public_id(ticket_no: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"opendata:" + ticket_no.encode(), hashlib.sha256).hexdigest()[:16]


def _name_variants(name: str, normalized: str | None) -> list[str | None]:
    """A person's business name as a narrative may write it: with or without the place prefix."""
    short = name.removeprefix("北京市")
    for d in divisions.districts():
        short = short.removeprefix(d.name)
    return [name, short, normalized]


def _strip(text: str, words: list[str | None]) -> str:
    for word in sorted((w for w in words if w), key=len, reverse=True):
        if word and len(word.strip()) >= 2:
            text = text.replace(word.strip(), "某某")
    return scrub_text(text)


def _check(actor: Actor, start: date, end: date) -> None:
    if not (actor.can(Perm.STATS_READ) or actor.can(Perm.COMPLAINT_READ)):
        actor.require(Perm.STATS_READ)
    if end < start:
        raise ValidationFailed(
            "结束日期不能早于开始日期", errors=[FieldError("to", "结束日期不能早于开始日期")]
        )
    if (end - start).days > 3 * 366:
        raise ValidationFailed("一次最多导出三年", errors=[FieldError("to", "时间范围不能超过三年")])


def open_data_rows(
    *, session: Session, actor: Actor, start: date, end: date, now: datetime | None = None
) -> Iterator[dict[str, str]]:
    """Public rows of the tickets received from ``start`` to ``end`` (local dates, inclusive)."""
    _check(actor, start, end)
    now = now or utcnow()
    lo, hi = utc_bounds(start, end)
    where = [Ticket.received_at >= lo, Ticket.received_at < hi, *base_where(actor, None)]
    month = local_month(session, Ticket.received_at, start)
    group_counts = select(Ticket.category_code, Ticket.district_code, month, func.count(Ticket.id)).where(
        *where
    )
    minimum = get_settings().complaints_public_min_count
    small = {
        (cat, dist, str(m))
        for cat, dist, m, n in session.execute(
            group_counts.group_by(Ticket.category_code, Ticket.district_code, month)
        )
        if n < minimum
    }
    narrative_before = now - timedelta(days=load_kpi_formulas().narrative_delay_days)
    late_clock = or_(
        Clock.status == ClockStatus.BREACHED.value,
        and_(Clock.status == ClockStatus.RUNNING.value, Clock.due_at < now),
    )
    kinds = {k.value: TICKET_KIND_LABELS[k] for k in TicketKind}
    statuses = {s.value: s.label for s in TicketStatus}
    channels = {c.value: CHANNEL_LABELS[c] for c in Channel}
    outcomes = {o.value: OUTCOME_LABELS[o] for o in Outcome}
    last_id = 0
    while True:
        stmt = (
            select(
                Ticket.id,
                Ticket.ticket_no,
                Ticket.received_at,
                Ticket.kind,
                Ticket.category_code,
                Ticket.channel,
                Ticket.district_code,
                Ticket.entity_id,
                Ticket.status,
                Ticket.outcome,
                Ticket.text,
                Party.name,
                Party.phone,
            )
            .outerjoin(Party, Party.id == Ticket.party_id)
            .where(*where, Ticket.id > last_id)
            .order_by(Ticket.id)
            .limit(_CHUNK)
        )
        chunk = list(session.execute(stmt))
        if not chunk:
            return
        last_id = chunk[-1][0]
        ids = [r[0] for r in chunk]
        late = set(session.scalars(select(Clock.ticket_id).where(Clock.ticket_id.in_(ids), late_clock)))
        entity_ids = {r[7] for r in chunk if r[7] is not None}
        entity_stmt = select(
            MarketEntity.id, MarketEntity.kind, MarketEntity.name, MarketEntity.normalized_name
        )
        entities = {
            eid: (kind, name, normalized)
            for eid, kind, name, normalized in session.execute(
                entity_stmt.where(MarketEntity.id.in_(entity_ids))
            )
        }
        cats = dimension_labels(session, "category", (r[4] for r in chunk))
        for tid, no, received, kind, cat, channel, dist, eid, status, outcome, text, pname, pphone in chunk:
            local = to_local(received)
            key = (cat, dist, local.strftime("%Y-%m"))
            district = SUPPRESSED if key in small else (divisions.name_of(dist) if dist else None) or ""
            entity = entities.get(eid) if eid is not None else None
            business = entity[1] if entity and entity[0] in PUBLISHABLE_KINDS else ""
            words: list[str | None] = [pname, pphone]
            if entity and entity[0] not in PUBLISHABLE_KINDS:
                words.extend(_name_variants(entity[1], entity[2]))
            narrative = _strip(text, words) if received <= narrative_before else ""
            if tid in late:
                timely = "否"
            elif status in _OPEN:
                timely = "办理中"
            else:
                timely = "是"
            yield {
                "id": public_id(no),
                "received_on": local.date().isoformat(),
                "kind": kinds.get(kind, kind),
                "category": cats[cat],
                "channel": channels.get(channel, channel),
                "district": district,
                "business": business,
                "status": statuses.get(status, status),
                "outcome": outcomes.get(outcome or "", ""),
                "timely": timely,
                "narrative": narrative,
            }


def open_data_csv(
    *, session: Session, actor: Actor, start: date, end: date, now: datetime | None = None
) -> bytes:
    """The export as CSV (UTF-8 with BOM so spreadsheet programs read it), with an audit event."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([title for _, title in OPEN_DATA_COLUMNS])
    rows = 0
    for row in open_data_rows(session=session, actor=actor, start=start, end=end, now=now):
        writer.writerow([row[key] for key, _ in OPEN_DATA_COLUMNS])
        rows += 1
    audit.record(
        session,
        actor=actor,
        action="complaints.opendata.export",
        object_type="complaints_opendata",
        object_id=None,
        summary=f"导出公开数据 {start.isoformat()} 至 {end.isoformat()}，{rows} 行",
        detail={"from": start.isoformat(), "to": end.isoformat(), "rows": rows},
    )
    return out.getvalue().encode("utf-8-sig")
