"""Aggregate figures of the registry for dashboards (no personal data; scoped by the actor)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from tianping.core.authz import Actor, Perm
from tianping.core.divisions import name_of
from tianping.core.errors import PermissionDenied
from tianping.registry.models import ENTITY_KIND_LABELS, EntityKind, EntityStatus, MarketEntity
from tianping.registry.repository import scope_filter


@dataclass
class RegistryStats:
    total: int = 0
    active: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)  # zh-CN label -> count
    by_district: list[tuple[str, int]] = field(default_factory=list)  # (district name, count), largest first
    established_by_year: list[tuple[int, int]] = field(default_factory=list)  # (year, count), ascending


def registry_stats(*, session: Session, actor: Actor, years: int = 10) -> RegistryStats:
    """Counts by kind, district and year of establishment, within the actor's reach."""
    if not (actor.can(Perm.STATS_READ) or actor.can(Perm.ENTITY_READ)):
        raise PermissionDenied("您没有查看统计数据的权限")
    scope = scope_filter(actor)
    out = RegistryStats()
    for kind, status, n in session.execute(
        select(MarketEntity.kind, MarketEntity.status, func.count())
        .where(scope)
        .group_by(MarketEntity.kind, MarketEntity.status)
    ):
        label = ENTITY_KIND_LABELS[EntityKind(kind)]
        out.by_kind[label] = out.by_kind.get(label, 0) + int(n)
        out.total += int(n)
        if status == EntityStatus.ACTIVE.value:
            out.active += int(n)
    rows = session.execute(
        select(MarketEntity.district_code, func.count())
        .where(scope, MarketEntity.district_code.is_not(None))
        .group_by(MarketEntity.district_code)
        .order_by(func.count().desc())
    ).all()
    out.by_district = [(name_of(code) or code, int(n)) for code, n in rows if code]
    first_year = date.today().year - years + 1
    year = extract("year", MarketEntity.established_on)
    year_rows = session.execute(
        select(year, func.count())
        .where(scope, MarketEntity.established_on >= date(first_year, 1, 1))
        .group_by(year)
    ).all()
    year_counts = {int(y): int(n) for y, n in year_rows if y is not None}
    out.established_by_year = sorted(year_counts.items())
    return out
