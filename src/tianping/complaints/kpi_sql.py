"""The SQL of the KPIs: aggregate queries grouped by dimension columns, on SQLite and PostgreSQL.

Each function takes the WHERE clauses already scoped to the actor and returns plain counts per group
key (dimension values as strings). The two dialects differ only in date arithmetic (local day and
month of a UTC timestamp, "plus N days"), kept in the small helpers at the top.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from tianping.core.calendar import CalendarNotCovered, workdays_between
from tianping.core.timeutil import local_zone

from .kpi_formulas import KpiFormula
from .models import Callback, Clock, ClockStatus, Exclusion, Satisfaction, Ticket, TicketStatus

INTEGER_DIMS = frozenset({"member_unit", "station", "business", "platform"})
# Clocks that count in the overdue rate (an IN list lets the (status, due_at) index serve the range).
_COUNTED_CLOCKS = tuple(s.value for s in ClockStatus if s is not ClockStatus.CANCELLED)

__all__ = [
    "DIM_COLUMNS",
    "INTEGER_DIMS",
    "handling_histograms",
    "local_day",
    "local_month",
    "overdue_counts",
    "rate_counts",
    "volume_counts",
    "weighted_median",
]

DIM_COLUMNS: dict[str, Any] = {
    "category": Ticket.category_code,
    "district": Ticket.district_code,
    "member_unit": Ticket.member_unit_org_id,
    "station": Ticket.station_org_id,
    "business": Ticket.entity_id,
    "channel": Ticket.channel,
    "platform": Ticket.platform_entity_id,
}
# Query parameters of the ticket list (/complaints?...) that select one value of a dimension.


def _offset_hours(on: date) -> int:
    offset = datetime.combine(on, time(12), tzinfo=local_zone()).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 3600)


def local_day(session: Session, column: Any, on: date) -> ColumnElement[Any]:
    """The Asia/Shanghai calendar day of a UTC timestamp column, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(str(local_zone()), column))
    return func.date(column, f"{_offset_hours(on):+d} hours")


def local_month(session: Session, column: Any, on: date) -> ColumnElement[Any]:
    """``'YYYY-MM'`` of a UTC timestamp column in local time, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(str(local_zone()), column), "YYYY-MM")
    return func.strftime("%Y-%m", column, f"{_offset_hours(on):+d} hours")


def _plus_days(session: Session, column: Any, days: int) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return column + literal(timedelta(days=days))
    return func.strftime("%Y-%m-%d %H:%M:%f", column, f"+{days} days")


def group_columns(session: Session, dims: Sequence[str], on: date) -> list[ColumnElement[Any]]:
    """The GROUP BY columns. On SQLite they are wrapped in a no-op expression (``+ 0`` / ``|| ''``,
    NULL stays NULL): otherwise the planner serves the GROUP BY order from the dimension's own index
    and scans the whole table instead of the month's slice of the received_at index."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    out: list[ColumnElement[Any]] = []
    for d in dims:
        if d == "month":
            out.append(local_month(session, Ticket.received_at, on))
            continue
        column = DIM_COLUMNS[d]
        if sqlite:
            column = column + 0 if d in INTEGER_DIMS else column.op("||")("")
        out.append(column)
    return out


def _count(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _as_day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def key_of(values: Iterable[object]) -> tuple[str | None, ...]:
    return tuple(None if v is None else str(v) for v in values)


# --- the queries ----------------------------------------------------------------------------------


def rate_counts(
    session: Session,
    formula: KpiFormula,
    dims: Sequence[str],
    where: list[ColumnElement[bool]],
    lo: datetime,
    hi: datetime,
    on: date,
    *,
    first_resolution: bool = True,
) -> dict[tuple[str | None, ...], dict[str, int]]:
    dim_cols = group_columns(session, dims, on)
    period = [Ticket.received_at >= lo, Ticket.received_at < hi]
    # Each ticket's latest reached callback: a correlated MAX(id) on the ticket_id index.
    latest = (
        select(func.max(Callback.id))
        .where(Callback.ticket_id == Ticket.id, Callback.reached.is_(True))
        .correlate(Ticket)
        .scalar_subquery()
    )
    cb = aliased(Callback)
    excl = (
        select(Exclusion.ticket_id.label("tid"))
        .where(Exclusion.status == "approved", Exclusion.reason_code.in_(formula.excluded_reasons))
        .group_by(Exclusion.ticket_id)
        .subquery()
    )
    in_kinds = Ticket.kind.in_(formula.kinds)
    valid = cb.id.is_not(None)
    if formula.denominator == "valid_callbacks":
        base = and_(in_kinds, valid)
    else:
        base = and_(
            in_kinds, Ticket.handling_org_id.is_not(None), Ticket.status != TicketStatus.REJECTED.value
        )
    contacted = and_(base, valid, cb.contacted.is_(True))
    resolved = and_(base, valid, cb.resolved.is_(True))
    satisfied = and_(base, valid, cb.satisfaction == Satisfaction.SATISFIED.value)
    basic = and_(base, valid, cb.satisfaction == Satisfaction.BASICALLY_SATISFIED.value)

    other = aliased(Ticket)
    window = formula.first_resolution.repeat_window_days
    # Two EXISTS rather than one with OR, so each can use its index (repeat_of_id; party_id).
    window_end = _plus_days(session, Ticket.first_closed_at, window)
    repeated = or_(
        exists().where(
            other.repeat_of_id == Ticket.id,
            other.received_at > Ticket.first_closed_at,
            other.received_at <= window_end,
        ),
        exists().where(
            other.party_id == Ticket.party_id,
            other.entity_id == Ticket.entity_id,
            other.id != Ticket.id,
            other.received_at > Ticket.first_closed_at,
            other.received_at <= window_end,
        ),
    )
    fr_base = and_(in_kinds, Ticket.first_closed_at.is_not(None))
    fr_candidate = and_(fr_base, Ticket.resolved.is_(True), Ticket.reopen_count == 0)
    # Without ``first_resolution`` (long trends) the repeat subqueries are skipped: fr_ok counts 0.
    fr_ok = case((fr_candidate, case((repeated, 0), else_=1)), else_=0) if first_resolution else literal(0)

    excluded = excl.c.tid.is_not(None)
    flags = {
        "base": base,
        "contacted": contacted,
        "resolved": resolved,
        "satisfied": satisfied,
        "basic": basic,
        "fr_base": fr_base,
    }
    columns: dict[str, ColumnElement[Any]] = {
        "volume": func.count(Ticket.id),
        "accepted": _count(Ticket.accepted_at.is_not(None)),
        "closed": _count(Ticket.first_closed_at.is_not(None)),
        "excluded": _count(excluded),
        **{name: _count(cond) for name, cond in flags.items()},
        # Assessed = raw minus the excluded tickets' share: the (rare) excluded rows are tested first,
        # so the repeat subqueries run once per ticket.
        **{name + "_ex": _count(and_(excluded, cond)) for name, cond in flags.items()},
        "fr_ok": func.coalesce(func.sum(fr_ok), 0),
        "fr_ok_ex": func.coalesce(func.sum(case((excluded, fr_ok), else_=0)), 0),
    }
    stmt = (
        select(*dim_cols, *(c.label(n) for n, c in columns.items()))
        .select_from(Ticket)
        .outerjoin(cb, cb.id == latest)
        .outerjoin(excl, excl.c.tid == Ticket.id)
        .where(*period, *where)
        .group_by(*dim_cols)
    )
    out: dict[tuple[str | None, ...], dict[str, int]] = {}
    n = len(dims)
    for row in session.execute(stmt):
        values = tuple(row)
        out[key_of(values[:n])] = {name: int(v or 0) for name, v in zip(columns, values[n:], strict=True)}
    return out


def volume_counts(
    session: Session,
    dims: Sequence[str],
    where: list[ColumnElement[bool]],
    lo: datetime,
    hi: datetime,
    on: date,
) -> dict[tuple[str | None, ...], int]:
    dim_cols = group_columns(session, dims, on)
    stmt = (
        select(*dim_cols, func.count(Ticket.id))
        .where(Ticket.received_at >= lo, Ticket.received_at < hi, *where)
        .group_by(*dim_cols)
    )
    n = len(dims)
    return {key_of(tuple(r)[:n]): int(r[n]) for r in session.execute(stmt)}


def overdue_counts(
    session: Session,
    dims: Sequence[str],
    where: list[ColumnElement[bool]],
    lo: datetime,
    hi: datetime,
    now: datetime,
    on: date,
) -> dict[tuple[str | None, ...], tuple[int, int]]:
    dim_cols = group_columns(session, dims, on)
    late = or_(
        Clock.status == ClockStatus.BREACHED.value,
        and_(Clock.status == ClockStatus.RUNNING.value, Clock.due_at < now),
    )
    stmt = (
        select(*dim_cols, func.count(Clock.id), _count(late))
        .select_from(Clock)
        .join(Ticket, Ticket.id == Clock.ticket_id)
        .where(Clock.due_at >= lo, Clock.due_at < hi, Clock.status.in_(_COUNTED_CLOCKS), *where)
        .group_by(*dim_cols)
    )
    n = len(dims)
    return {key_of(tuple(r)[:n]): (int(r[n + 1]), int(r[n])) for r in session.execute(stmt)}


@lru_cache(maxsize=65536)
def _workdays(a: date, b: date) -> int | None:
    try:
        return workdays_between(a, b)
    except CalendarNotCovered:
        return None


def weighted_median(pairs: Iterable[tuple[int, int]]) -> float | None:
    """Median of values given as (value, count) pairs; mean of the two middle values if even."""
    items = sorted((v, c) for v, c in pairs if c > 0)
    total = sum(c for _, c in items)
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value, count in items:
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    return float(statistics.fmean(found))


def handling_histograms(
    session: Session,
    dims: Sequence[str],
    where: list[ColumnElement[bool]],
    lo: datetime,
    hi: datetime,
    on: date,
) -> dict[tuple[str | None, ...], Counter[int]]:
    """Working days from receipt to first close, as a histogram per group (additive, so groups can be
    summed down to any coarser grouping).

    Tickets carry ``handling_workdays``, fixed when first closed; SQL counts per (group, days). Rows
    closed without it (imported history, a year without a holiday schedule at the time) are counted
    per (received day, closed day) pair and turned into working days with the calendar here."""
    dim_cols = group_columns(session, dims, on)
    period = [Ticket.received_at >= lo, Ticket.received_at < hi, Ticket.first_closed_at.is_not(None), *where]
    n = len(dims)
    out: dict[tuple[str | None, ...], Counter[int]] = defaultdict(Counter)
    fixed = (
        select(*dim_cols, Ticket.handling_workdays, func.count(Ticket.id))
        .where(*period, Ticket.handling_workdays.is_not(None))
        .group_by(*dim_cols, Ticket.handling_workdays)
    )
    for r in session.execute(fixed):
        values = tuple(r)
        out[key_of(values[:n])][int(values[n])] += int(values[n + 1])
    rday = local_day(session, Ticket.received_at, on)
    cday = local_day(session, Ticket.first_closed_at, on)
    legacy = (
        select(*dim_cols, rday, cday, func.count(Ticket.id))
        .where(*period, Ticket.handling_workdays.is_(None))
        .group_by(*dim_cols, rday, cday)
    )
    for r in session.execute(legacy):
        values = tuple(r)
        days = _workdays(_as_day(values[n]), _as_day(values[n + 1]))
        if days is not None:
            out[key_of(values[:n])][days] += int(values[n + 2])
    return dict(out)
