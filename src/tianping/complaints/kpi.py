"""KPIs of the complaints domain: volumes, 三率 (raw and assessed), 原始解决率, overdue rate, handling time.

Every figure is an aggregate query grouped in SQL (never a Python loop over tickets), scoped to the
actor with :func:`tianping.complaints.repository.scope_filter`. The cohort of a period is the tickets
*received* in it (Asia/Shanghai dates, both ends included); the overdue rate counts the clocks *due*
in it. Rates are exact fractions; a rate whose denominator is 0 is ``None`` (shown "—", never 0%).

* 响应率 / 解决率 / 满意率: over the version's denominator (``valid_callbacks`` = tickets of the
  counted kinds with a reached callback; ``dispatched`` = those handed to an organisation and not
  rejected), using each ticket's latest reached callback; 满意率 counts 基本满意 with the version's
  factor. *Assessed* figures leave out tickets with an approved exclusion whose reason the version
  lists; *raw* figures keep them.
* 原始解决率: first-closed tickets that were resolved at that first close, never reopened and not
  followed within the version's window by a repeat (``repeat_of_id``, or the same party about the
  same business), over all first-closed tickets of the counted kinds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from tianping.core import divisions
from tianping.core.authz import Actor, Perm
from tianping.core.errors import FieldError, ValidationFailed
from tianping.core.timeutil import local_zone, utcnow
from tianping.registry.models import MarketEntity

from .kpi_formulas import KpiFormula, load_kpi_formulas
from .kpi_sql import (
    DIM_COLUMNS,
    INTEGER_DIMS,
    handling_histograms,
    overdue_counts,
    rate_counts,
    volume_counts,
    weighted_median,
)
from .models import (
    CHANNEL_LABELS,
    Channel,
    Ticket,
)
from .repository import org_names, scope_filter

__all__ = [
    "DIMENSIONS",
    "DIMENSION_LABELS",
    "KpiFilters",
    "KpiRow",
    "KpiTable",
    "Rate",
    "compute",
    "compute_tables",
    "compute_volumes",
    "month_range",
    "parse_month",
    "shift_months",
    "volume_series",
]

DIMENSION_LABELS: dict[str, str] = {
    "category": "类别",
    "district": "区",
    "member_unit": "成员单位",
    "station": "所站",
    "business": "经营者",
    "channel": "渠道",
    "platform": "平台",
    "month": "月份",
}
DIMENSIONS: tuple[str, ...] = tuple(DIMENSION_LABELS)

_DRILL_PARAM: dict[str, str] = {
    "category": "category",
    "district": "district",
    "member_unit": "member_unit",
    "business": "entity_id",
    "channel": "channel",
    "platform": "platform_entity_id",
    "month": "month",
}
_UNKNOWN_LABELS: dict[str, str] = {
    "category": "未分类",
    "district": "未定位",
    "member_unit": "未分派成员单位",
    "station": "未分派所站",
    "business": "未关联经营者",
    "channel": "未知渠道",
    "platform": "非平台",
    "month": "—",
}


# --- periods --------------------------------------------------------------------------------------


def parse_month(month: str) -> tuple[date, date]:
    """``"2025-06"`` → (2025-06-01, 2025-06-30); :class:`ValidationFailed` on anything else."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        if len(month) != 7 or not 2000 <= year <= 2100:
            raise ValueError(month)
        return month_range(date(year, mon, 1))
    except ValueError:
        raise ValidationFailed(
            f"月份格式应为 YYYY-MM：{month!r}",
            errors=[FieldError("month", "月份格式应为 YYYY-MM，如 2025-06")],
        ) from None


def month_range(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    nxt = shift_months(first, 1)
    return first, nxt - timedelta(days=1)


def shift_months(day: date, months: int) -> date:
    """The same day ``months`` months later (earlier if negative), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last = (first_next - timedelta(days=1)).day
    return date(year, month + 1, min(day.day, last))


def _shift_period(start: date, end: date, months: int) -> tuple[date, date]:
    """A whole month stays a whole month; other periods move both ends by ``months``."""
    if start.day == 1 and end == month_range(start)[1]:
        return month_range(shift_months(start, months))
    return shift_months(start, months), shift_months(end, months)


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = local_zone()
    lo = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return lo, hi


# --- values ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """numerator / denominator, exact; ``value`` is ``None`` when nothing was counted."""

    numerator: Fraction
    denominator: int

    @property
    def value(self) -> Fraction | None:
        return None if self.denominator == 0 else Fraction(self.numerator) / self.denominator

    @property
    def as_float(self) -> float | None:
        v = self.value
        return None if v is None else float(v)

    def display(self) -> str:
        return percent(self.value)


def percent(value: Fraction | float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{float(value) * 100:.{digits}f}%"


def change(current: int, previous: int) -> Fraction | None:
    """Relative change (YoY / MoM); ``None`` when the base is 0."""
    return None if previous == 0 else Fraction(current - previous, previous)


@dataclass(frozen=True)
class KpiFilters:
    district: str | None = None  # 6-digit district code (or a longer division prefix)
    category: str | None = None  # taxonomy code; includes its sub-categories
    channel: str | None = None
    kind: str | None = None
    member_unit_org_id: int | None = None
    platform_entity_id: int | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.district:
            out.append(
                or_(
                    Ticket.district_code == self.district[:6],
                    Ticket.division_code.startswith(self.district, autoescape=True),
                )
                if len(self.district) == 6
                else Ticket.division_code.startswith(self.district, autoescape=True)
            )
        if self.category:
            out.append(
                or_(
                    Ticket.category_code == self.category,
                    Ticket.category_code.startswith(self.category + ".", autoescape=True),
                )
            )
        if self.channel:
            out.append(Ticket.channel == self.channel)
        if self.kind:
            out.append(Ticket.kind == self.kind)
        if self.member_unit_org_id is not None:
            out.append(Ticket.member_unit_org_id == self.member_unit_org_id)
        if self.platform_entity_id is not None:
            out.append(Ticket.platform_entity_id == self.platform_entity_id)
        return out

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in (
            ("district", self.district),
            ("category", self.category),
            ("channel", self.channel),
            ("kind", self.kind),
            ("member_unit", self.member_unit_org_id),
            ("platform_entity_id", self.platform_entity_id),
        ):
            if value is not None and value != "":
                out[name] = str(value)
        return out


@dataclass
class KpiRow:
    key: tuple[str | None, ...]  # dimension values as strings (codes, ids); None = not set
    labels: tuple[str, ...]
    volume: int = 0
    volume_prev_month: int = 0
    volume_last_year: int = 0
    accepted: int = 0
    closed: int = 0
    excluded: int = 0  # tickets removed from the assessed figures by approved exclusions
    response_raw: Rate = field(default_factory=lambda: Rate(Fraction(0), 0))
    resolution_raw: Rate = field(default_factory=lambda: Rate(Fraction(0), 0))
    satisfaction_raw: Rate = field(default_factory=lambda: Rate(Fraction(0), 0))
    response_assessed: Rate = field(default_factory=lambda: Rate(Fraction(0), 0))
    resolution_assessed: Rate = field(default_factory=lambda: Rate(Fraction(0), 0))
    satisfaction_assessed: Rate = field(default_factory=lambda: Rate(Fraction(0), 0))
    composite_raw: Fraction | None = None
    composite_assessed: Fraction | None = None
    first_resolution_raw: Rate = field(default_factory=lambda: Rate(Fraction(0), 0))
    first_resolution_assessed: Rate = field(default_factory=lambda: Rate(Fraction(0), 0))
    overdue: Rate = field(default_factory=lambda: Rate(Fraction(0), 0))  # overdue clocks / clocks due
    median_handling_workdays: float | None = None
    drill: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return " / ".join(self.labels) if self.labels else "合计"

    @property
    def mom(self) -> Fraction | None:
        return change(self.volume, self.volume_prev_month)

    @property
    def yoy(self) -> Fraction | None:
        return change(self.volume, self.volume_last_year)

    def to_json(self) -> dict[str, Any]:
        """Floats and strings only (for the dashboard and the API)."""

        def f(v: Fraction | None) -> float | None:
            return None if v is None else float(v)

        return {
            "key": list(self.key),
            "label": self.label,
            "volume": self.volume,
            "volume_prev_month": self.volume_prev_month,
            "volume_last_year": self.volume_last_year,
            "mom": f(self.mom),
            "yoy": f(self.yoy),
            "accepted": self.accepted,
            "closed": self.closed,
            "excluded": self.excluded,
            "response_raw": self.response_raw.as_float,
            "resolution_raw": self.resolution_raw.as_float,
            "satisfaction_raw": self.satisfaction_raw.as_float,
            "response_assessed": self.response_assessed.as_float,
            "resolution_assessed": self.resolution_assessed.as_float,
            "satisfaction_assessed": self.satisfaction_assessed.as_float,
            "composite_raw": f(self.composite_raw),
            "composite_assessed": f(self.composite_assessed),
            "first_resolution_raw": self.first_resolution_raw.as_float,
            "first_resolution_assessed": self.first_resolution_assessed.as_float,
            "overdue_rate": self.overdue.as_float,
            "overdue": int(self.overdue.numerator),
            "clocks_due": self.overdue.denominator,
            "median_handling_workdays": self.median_handling_workdays,
            "drill": dict(self.drill),
        }


@dataclass
class KpiTable:
    formula: KpiFormula
    start: date
    end: date
    dims: tuple[str, ...]
    rows: list[KpiRow]
    total: KpiRow
    scope: str  # zh-CN description of whose tickets are counted

    @property
    def period_label(self) -> str:
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


def base_where(actor: Actor, filters: KpiFilters | None) -> list[ColumnElement[bool]]:
    return [*scope_filter(actor), *(filters.clauses() if filters else [])]


# --- labels ---------------------------------------------------------------------------------------


def _category_labels(codes: Iterable[str]) -> dict[str, str]:
    from .taxonomy import load_taxonomy  # B's module; imported late so a bad override file shows here

    taxonomy = load_taxonomy()
    return {c: taxonomy.label(c) for c in codes}


def entity_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    names: dict[int, str] = {}
    for chunk in range(0, len(wanted), 500):
        part = wanted[chunk : chunk + 500]
        stmt = select(MarketEntity.id, MarketEntity.name).where(MarketEntity.id.in_(part))
        names.update((int(i), str(n)) for i, n in session.execute(stmt))
    return names


def dimension_labels(session: Session, dim: str, values: Iterable[str | None]) -> dict[str | None, str]:
    present = sorted({v for v in values if v is not None})
    labels: dict[str | None, str] = {None: _UNKNOWN_LABELS[dim]}
    if dim == "category":
        labels.update(_category_labels(present))
    elif dim == "district":
        labels.update({c: divisions.name_of(c) or c for c in present})
    elif dim in ("member_unit", "station"):
        names = org_names(session, (int(v) for v in present))
        labels.update({v: names.get(int(v), f"机构 #{v}") for v in present})
    elif dim in ("business", "platform"):
        names = entity_names(session, (int(v) for v in present))
        labels.update({v: names.get(int(v), f"经营者 #{v}") for v in present})
    elif dim == "month":
        labels.update({v: v for v in present})
    elif dim == "channel":
        known = {c.value: CHANNEL_LABELS[c] for c in Channel}
        labels.update({v: known.get(v, v) for v in present})
    return labels


def scope_label(actor: Actor) -> str:
    if not scope_filter(actor):
        return "全部工单"
    parts = [actor.org_name] if actor.org_name else []
    if actor.division_prefixes:
        parts.append("辖区 " + "、".join(divisions.name_of(p) or p for p in actor.division_prefixes))
    return "；".join(parts) or actor.username


# --- compute --------------------------------------------------------------------------------------


ADDITIVE = (
    "volume",
    "accepted",
    "closed",
    "excluded",
    "base",
    "contacted",
    "resolved",
    "satisfied",
    "basic",
    "fr_base",
    "fr_ok",
    "base_ex",
    "contacted_ex",
    "resolved_ex",
    "satisfied_ex",
    "basic_ex",
    "fr_base_ex",
    "fr_ok_ex",
    "volume_prev_month",
    "volume_last_year",
    "late",
    "due",
)


def _fill(row: KpiRow, counts: dict[str, int], formula: KpiFormula) -> None:
    factor = formula.basic_satisfied_factor
    row.volume = counts["volume"]
    row.accepted = counts["accepted"]
    row.closed = counts["closed"]
    row.excluded = counts["excluded"]
    row.volume_prev_month = counts["volume_prev_month"]
    row.volume_last_year = counts["volume_last_year"]
    row.overdue = Rate(Fraction(counts["late"]), counts["due"])
    for assessed, tag in ((False, "raw"), (True, "assessed")):

        def n(name: str) -> int:
            return counts[name] - counts[name + "_ex"] if assessed else counts[name]  # noqa: B023

        base = n("base")
        response = Rate(Fraction(n("contacted")), base)
        resolution = Rate(Fraction(n("resolved")), base)
        satisfaction = Rate(n("satisfied") + factor * n("basic"), base)
        first = Rate(Fraction(n("fr_ok")), n("fr_base"))
        composite: Fraction | None = None
        if base:
            composite = (
                formula.weight_response * response.numerator
                + formula.weight_resolution * resolution.numerator
                + formula.weight_satisfaction * satisfaction.numerator
            ) / base
        setattr(row, f"response_{tag}", response)
        setattr(row, f"resolution_{tag}", resolution)
        setattr(row, f"satisfaction_{tag}", satisfaction)
        setattr(row, f"first_resolution_{tag}", first)
        setattr(row, f"composite_{tag}", composite)


def _check(actor: Actor, start: date, end: date, dims: Sequence[str]) -> None:
    if not (actor.can(Perm.COMPLAINT_READ) or actor.can(Perm.STATS_READ)):
        actor.require(Perm.COMPLAINT_READ)
    errors = [FieldError("dims", f"未知维度：{d}") for d in dims if d not in DIMENSION_LABELS]
    if end < start:
        errors.append(FieldError("end", "结束日期不能早于开始日期"))
    if errors:
        raise ValidationFailed("统计参数无效", errors=errors)


Counts = dict[str, int]


def _gather(
    session: Session,
    formula: KpiFormula,
    group: Sequence[str],
    where: list[ColumnElement[bool]],
    start: date,
    end: date,
    now: datetime,
    *,
    with_history: bool,
    with_clocks: bool,
    with_first_resolution: bool = True,
) -> dict[tuple[str | None, ...], Counts]:
    """The additive counts of every combination of ``group`` values (one query per part)."""
    lo, hi = utc_bounds(start, end)
    out: dict[tuple[str | None, ...], Counts] = {}

    def get(key: tuple[str | None, ...]) -> Counts:
        if key not in out:
            out[key] = dict.fromkeys(ADDITIVE, 0)
        return out[key]

    for key, counts in rate_counts(
        session, formula, group, where, lo, hi, start, first_resolution=with_first_resolution
    ).items():
        get(key).update(counts)
    if with_history:
        for months, name in ((-1, "volume_prev_month"), (-12, "volume_last_year")):
            plo, phi = utc_bounds(*_shift_period(start, end, months))
            for key, volume in volume_counts(session, group, where, plo, phi, start).items():
                get(key)[name] = volume
    if with_clocks:
        for key, (late, due) in overdue_counts(session, group, where, lo, hi, now, start).items():
            get(key).update(late=late, due=due)
    return out


def _rollup(
    cube: dict[tuple[str | None, ...], Counts], group: Sequence[str], dims: Sequence[str]
) -> dict[tuple[str | None, ...], Counts]:
    """Sum the cube's groups (never its tickets) down to ``dims`` (a subset of ``group``)."""
    positions = [list(group).index(d) for d in dims]
    out: dict[tuple[str | None, ...], Counts] = {}
    for key, counts in cube.items():
        sub = tuple(key[i] for i in positions)
        target = out.get(sub)
        if target is None:
            out[sub] = dict(counts)
        else:
            for name in ADDITIVE:
                target[name] += counts[name]
    return out


def _median_of(
    histograms: dict[tuple[str | None, ...], Counter[int]], group: Sequence[str], dims: Sequence[str]
) -> dict[tuple[str | None, ...], float | None]:
    positions = [list(group).index(d) for d in dims]
    summed: dict[tuple[str | None, ...], Counter[int]] = defaultdict(Counter)
    for key, histogram in histograms.items():
        summed[tuple(key[i] for i in positions)].update(histogram)
    return {key: weighted_median(h.items()) for key, h in summed.items()}


def compute_tables(
    *,
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    dim_sets: Sequence[Sequence[str]],
    filters: KpiFilters | None = None,
    formula: KpiFormula | None = None,
    now: datetime | None = None,
    with_history: bool = True,
    with_clocks: bool = True,
    with_first_resolution: bool = True,
) -> list[KpiTable]:
    """Several tables from one pass: the counts are grouped in SQL by the union of the dimensions
    (keep it small: e.g. category × district × member unit) and summed down to each set."""
    sets = [tuple(d) for d in dim_sets]
    union = tuple(dict.fromkeys(d for dims in sets for d in dims))
    _check(actor, start, end, union)
    formula = formula or load_kpi_formulas().current(start)
    now = now or utcnow()
    where = base_where(actor, filters)
    cube = _gather(
        session,
        formula,
        union,
        where,
        start,
        end,
        now,
        with_history=with_history,
        with_clocks=with_clocks,
        with_first_resolution=with_first_resolution,
    )
    total_counts = _rollup(cube, union, ()).get((), dict.fromkeys(ADDITIVE, 0))
    total = KpiRow(key=(), labels=())
    _fill(total, total_counts, formula)
    lo, hi = utc_bounds(start, end)
    base_params = filters.params() if filters else {}
    if start.day == 1 and end == month_range(start)[1]:
        base_params["month"] = start.strftime("%Y-%m")
    handling = handling_histograms(session, union, where, lo, hi, start) if with_clocks else {}
    if with_clocks:
        total.median_handling_workdays = _median_of(handling, union, ()).get(())
    total.drill = dict(base_params)
    scope = scope_label(actor)
    tables: list[KpiTable] = []
    for dims in sets:
        grouped = _rollup(cube, union, dims) if dims else {}
        medians = _median_of(handling, union, dims) if with_clocks and dims else {}
        labels = {d: dimension_labels(session, d, (k[i] for k in grouped)) for i, d in enumerate(dims)}
        rows: list[KpiRow] = []
        for key, counts in grouped.items():
            drill = dict(base_params)
            for i, d in enumerate(dims):
                if d in _DRILL_PARAM and key[i] is not None:
                    drill[_DRILL_PARAM[d]] = key[i] or ""
            row = KpiRow(key=key, labels=tuple(labels[d][key[i]] for i, d in enumerate(dims)), drill=drill)
            _fill(row, counts, formula)
            row.median_handling_workdays = medians.get(key)
            rows.append(row)
        if dims == ("month",):
            rows.sort(key=lambda r: r.key)
        else:
            rows.sort(key=lambda r: (-r.volume, r.label))
        tables.append(
            KpiTable(formula=formula, start=start, end=end, dims=dims, rows=rows, total=total, scope=scope)
        )
    return tables


def compute(
    *,
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    dims: Sequence[str] = (),
    filters: KpiFilters | None = None,
    formula: KpiFormula | None = None,
    now: datetime | None = None,
    with_history: bool = True,
    with_clocks: bool = True,
    with_first_resolution: bool = True,
) -> KpiTable:
    """KPIs of the tickets received from ``start`` to ``end`` (local dates, inclusive), one row per
    combination of ``dims`` values plus a total, under the formula in force on ``start`` (or
    ``formula``). ``with_history`` / ``with_clocks`` leave out the previous-month and last-year
    volumes / the overdue rate and handling time when a caller does not show them;
    ``with_first_resolution=False`` skips 原始解决率 (its figures are then 0 / n, not to be shown)."""
    return compute_tables(
        session=session,
        actor=actor,
        start=start,
        end=end,
        dim_sets=[tuple(dims)],
        filters=filters,
        formula=formula,
        now=now,
        with_history=with_history,
        with_clocks=with_clocks,
        with_first_resolution=with_first_resolution,
    )[0]


def compute_volumes(
    *,
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    dim: str,
    filters: KpiFilters | None = None,
    limit: int | None = None,
    skip_unknown: bool = True,
) -> list[KpiRow]:
    """Volumes only (with previous month and last year) by one dimension, largest first: the cheap
    query for long-tailed dimensions such as businesses."""
    _check(actor, start, end, (dim,))
    where = base_where(actor, filters)
    current = volume_counts(session, (dim,), where, *utc_bounds(start, end), start)
    keys = sorted((k for k in current if not (skip_unknown and k == (None,))), key=lambda k: (-current[k], k))
    keys = keys[:limit] if limit is not None else keys
    # History only for the rows shown: with a limit, the dimension's own index finds them.
    history_where = list(where)
    if limit is not None:
        column = DIM_COLUMNS[dim]
        wanted = [k[0] for k in keys if k[0] is not None]
        history_where.append(column.in_([int(v) for v in wanted] if dim in INTEGER_DIMS else wanted))
    history = {
        months: volume_counts(
            session, (dim,), history_where, *utc_bounds(*_shift_period(start, end, months)), start
        )
        for months in (-1, -12)
    }
    labels = dimension_labels(session, dim, (k[0] for k in keys))
    base_params = filters.params() if filters else {}
    if start.day == 1 and end == month_range(start)[1]:
        base_params["month"] = start.strftime("%Y-%m")
    rows: list[KpiRow] = []
    for key in keys:
        drill = dict(base_params)
        if dim in _DRILL_PARAM and key[0] is not None:
            drill[_DRILL_PARAM[dim]] = key[0]
        rows.append(
            KpiRow(
                key=key,
                labels=(labels[key[0]],),
                volume=current[key],
                volume_prev_month=history[-1].get(key, 0),
                volume_last_year=history[-12].get(key, 0),
                drill=drill,
            )
        )
    return rows


def volume_series(
    *,
    session: Session,
    actor: Actor,
    months: Sequence[date],
    filters: KpiFilters | None = None,
) -> list[int]:
    """Tickets received in each month (first days given): one index range count per month."""
    _check(actor, months[0] if months else date.today(), months[-1] if months else date.today(), ())
    where = base_where(actor, filters)
    out: list[int] = []
    for first in months:
        lo, hi = utc_bounds(*month_range(first))
        stmt = select(func.count(Ticket.id)).where(Ticket.received_at >= lo, Ticket.received_at < hi, *where)
        out.append(int(session.execute(stmt).scalar_one()))
    return out
