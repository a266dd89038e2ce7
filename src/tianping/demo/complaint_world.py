"""Reference data of the complaints demo: the demo's entities and organisations as the generator
needs them (pools of businesses per category and district, stations by street, member units), and a
fast working-day calendar (a sorted list of working days)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tianping.core.calendar import CalendarNotCovered, is_workday
from tianping.core.divisions import districts, streets
from tianping.demo.words import PLATFORMS
from tianping.identity.models import Organization, OrgKind, User
from tianping.registry.models import EntityKind, MarketEntity

__all__ = ["BEIJING", "PREPAID_TAG", "Ent", "Workdays", "World", "end_of_day", "load_world", "local_date"]

BEIJING = ZoneInfo("Asia/Shanghai")

PREPAID_TAG = {
    "prepaid.beauty": "美容美发",
    "prepaid.education": "教育培训",
    "prepaid.fitness": "体育健身",
    "prepaid.catering": "餐饮",
}


@dataclass(frozen=True)
class Ent:
    id: int
    name: str
    kind: str
    division_code: str
    district_code: str
    platform_id: int | None


@dataclass
class World:
    by_pool: dict[str, dict[str, list[Ent]]]  # pool → district → entities
    pool_all: dict[str, list[Ent]]
    platforms: dict[int, Ent]
    brands: dict[int, str]
    station_by_street: dict[str, int]
    bureau_by_district: dict[str, int]
    member_units: dict[tuple[str, str], int]  # (district, department suffix) → org id
    callback_user: int | None
    streets: dict[str, list[str]]
    food_shops: frozenset[int] = frozenset()  # shops of the food-delivery platform and eateries


def _pool_of(kind: str, tags: Sequence[str], platform_key: str | None) -> list[str]:
    pools: list[str] = []
    if kind == EntityKind.PREPAID_BUSINESS.value:
        for code, tag in PREPAID_TAG.items():
            if tag in tags:
                pools.append(code)
        pools.append("prepaid.other")
    elif kind == EntityKind.PLATFORM_SHOP.value:
        pools.append("shop")
        if platform_key == "SLWM":
            pools.append("food")
    elif kind == EntityKind.LIVESTREAM.value:
        pools.append("live")
    elif kind == EntityKind.INDIVIDUAL_BUSINESS.value:
        pools.append("food" if "餐饮" in tags else "general")
    elif kind in (EntityKind.ENTERPRISE.value, EntityKind.MARKET.value):
        pools.append("general")
    return pools


def load_world(session: Session) -> World:
    brand_by_company = {p.company: p.brand for p in PLATFORMS}
    key_by_company = {p.company: p.key for p in PLATFORMS}
    platform_rows = session.execute(
        select(
            MarketEntity.id, MarketEntity.name, MarketEntity.division_code, MarketEntity.district_code
        ).where(MarketEntity.kind == EntityKind.PLATFORM.value)
    ).all()
    platforms: dict[int, Ent] = {}
    brands: dict[int, str] = {}
    key_of_platform: dict[int, str] = {}
    for pid, name, division, district in platform_rows:
        platforms[pid] = Ent(
            pid, name, EntityKind.PLATFORM.value, division or district or "", district or "", None
        )
        brands[pid] = brand_by_company.get(name, name)
        key_of_platform[pid] = key_by_company.get(name, "")
    by_pool: dict[str, dict[str, list[Ent]]] = defaultdict(lambda: defaultdict(list))
    pool_all: dict[str, list[Ent]] = defaultdict(list)
    rows = session.execute(
        select(
            MarketEntity.id,
            MarketEntity.name,
            MarketEntity.kind,
            MarketEntity.division_code,
            MarketEntity.district_code,
            MarketEntity.platform_id,
            MarketEntity.tags,
        )
        .where(MarketEntity.kind != EntityKind.PLATFORM.value, MarketEntity.district_code.is_not(None))
        .order_by(MarketEntity.id)
    ).all()
    for eid, name, kind, division, district, platform_id, tags in rows:
        if district is None:
            continue
        ent = Ent(eid, name, kind, division or district, district, platform_id)
        for pool in _pool_of(kind, tags or [], key_of_platform.get(platform_id or 0)):
            by_pool[pool][district].append(ent)
            pool_all[pool].append(ent)
    orgs = session.execute(
        select(
            Organization.id,
            Organization.name,
            Organization.kind,
            Organization.division_code,
            Organization.jurisdiction,
        )
    ).all()
    station_by_street: dict[str, int] = {}
    bureau_by_district: dict[str, int] = {}
    member_units: dict[tuple[str, str], int] = {}
    for oid, name, kind, division, jurisdiction in orgs:
        if kind == OrgKind.STATION.value:
            for street in [division, *(jurisdiction or [])]:
                if street:
                    station_by_street.setdefault(street, oid)
        elif kind == OrgKind.DISTRICT_BUREAU.value and division:
            bureau_by_district[division] = oid
        elif kind == OrgKind.MEMBER_UNIT.value and division:
            member_units[(division, name)] = oid
    callback_user = session.scalar(select(User.id).where(User.username == "officer"))
    return World(
        by_pool=by_pool,
        pool_all=pool_all,
        platforms=platforms,
        brands=brands,
        station_by_street=station_by_street,
        bureau_by_district=bureau_by_district,
        member_units=member_units,
        callback_user=callback_user,
        streets={d.code: [s.code for s in streets(d.code)] for d in districts()},
        food_shops=frozenset(e.id for e in pool_all.get("food", [])),
    )


# -- working-day arithmetic, fast (a sorted list of working days) ----------------------------------------


class Workdays:
    def __init__(self, first: date, last: date) -> None:
        days: list[date] = []
        d = first
        while d <= last:
            try:
                ok = is_workday(d)
            except CalendarNotCovered:
                ok = d.weekday() < 5
            if ok:
                days.append(d)
            d += timedelta(days=1)
        self.days = days

    def add(self, d: date, n: int) -> date:
        """The n-th working day after d (d itself not counted)."""
        i = bisect_right(self.days, d) + n - 1
        if i < len(self.days):
            return self.days[i]
        return self.days[-1] + timedelta(days=(i - len(self.days) + 1) * 7 // 5 + 1)

    def between(self, a: date, b: date) -> int:
        return max(0, bisect_right(self.days, b) - bisect_right(self.days, a))


def end_of_day(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59), tzinfo=BEIJING).astimezone(UTC)


def local_date(dt: datetime) -> date:
    return dt.astimezone(BEIJING).date()
