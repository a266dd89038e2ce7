"""Pure generation of the fictitious market entities (no database).

:func:`generate_entities` returns the same list for the same ``(seed, count, as_of)``. Every date and
time is an offset from ``as_of`` drawn from the seeded stream, and no draw depends on a date, so a
later ``as_of`` shifts the whole history (and the birth dates inside ID numbers) without changing any
name or person; only credit codes of entities whose establishment moves across the October 2015
credit-code reform change form.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from faker import Faker

from tianping.core.divisions import Division, districts, streets
from tianping.demo import identifiers as ids
from tianping.demo.words import (
    ANCHOR_ADJECTIVES,
    ANCHOR_NOUNS,
    ANCHOR_SUFFIXES,
    ENTERPRISE_FORMS,
    ENTERPRISE_INDUSTRIES,
    INDIVIDUAL_TRADES,
    MARKET_GOODS,
    PLATFORMS,
    PREPAID_CATEGORIES,
    ROAD_CHARS,
    ROAD_SUFFIXES,
    TRADE_FIRST,
    TRADE_SECOND,
    PlatformDef,
    contains_forbidden,
)
from tianping.registry.models import AliasKind, EntityKind, EntityStatus

__all__ = ["HISTORY_DAYS", "EntitySpec", "generate_entities", "kind_quotas", "street_short_name"]

BEIJING = ZoneInfo("Asia/Shanghai")
HISTORY_DAYS = 730
"""Length of the simulated history: records created and status changes fall in the last two years."""

# Relative density of entities per street, by district (the urban core is denser).
_DISTRICT_DENSITY: dict[str, float] = {
    "110101": 1.0, "110102": 1.0, "110105": 1.3, "110106": 1.3, "110107": 0.9, "110108": 1.3,
    "110109": 0.5, "110111": 0.7, "110112": 1.0, "110113": 0.8, "110114": 1.0, "110115": 1.0,
    "110116": 0.5, "110117": 0.5, "110118": 0.5, "110119": 0.4,
}  # fmt: skip
_STREET_SUFFIXES = ("满族乡", "回族乡", "街道", "地区", "镇", "乡")


def street_short_name(name: str) -> str:
    """``清源街道`` → ``清源``; keeps the full name when stripping would leave one character."""
    for suffix in _STREET_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class EntitySpec:
    """One generated market entity, in the shape of a registry import record plus its history."""

    kind: EntityKind
    name: str
    uscc: str | None
    external_id: str | None
    platform_key: str | None  # own key for a platform; the hosting platform's key for shops/rooms
    registered_address: str
    division_code: str
    industry_section: str
    status: EntityStatus
    established_on: date
    legal_representative: str | None
    contact_phone: str | None
    operator_id_card: str | None
    tags: tuple[str, ...]
    aliases: tuple[tuple[str, AliasKind], ...]
    created_at: datetime
    updated_at: datetime


def kind_quotas(count: int) -> dict[EntityKind, int]:
    """How many entities of each kind a dataset of ``count`` entities holds (every kind at least one)."""
    rest = max(count - len(PLATFORMS), 7)
    quotas = {
        EntityKind.PLATFORM: len(PLATFORMS),
        EntityKind.MARKET: max(3, round(rest * 0.005)),
        EntityKind.PLATFORM_SHOP: max(1, round(rest * 0.40)),
        EntityKind.LIVESTREAM: max(1, round(rest * 0.06)),
        EntityKind.INDIVIDUAL_BUSINESS: max(1, round(rest * 0.20)),
        EntityKind.PREPAID_BUSINESS: max(1, round(rest * 0.12)),
    }
    quotas[EntityKind.ENTERPRISE] = max(1, len(PLATFORMS) + rest - sum(quotas.values()))
    return quotas


class _History(NamedTuple):
    established: date
    status: EntityStatus
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class _Place:
    district: Division
    street: Division
    address: str

    @property
    def short(self) -> str:
        short = street_short_name(self.street.name)
        return short if len(short) <= 4 else self.district.name.removesuffix("区")


class _Generator:
    def __init__(self, *, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.as_of = as_of
        self.names: set[str] = set()
        self.usccs: set[str] = set()
        self.id_cards: set[str] = set()
        self.district_by_code = {d.code: d for d in districts()}
        pool: list[Division] = []
        weights: list[float] = []
        for d in districts():
            for s in streets(d.code):
                pool.append(s)
                weights.append(_DISTRICT_DENSITY.get(d.code, 1.0))
        self.streets = pool
        self.cum_weights = [sum(weights[: i + 1]) for i in range(len(weights))]
        self.counters: dict[str, int] = {}

    # -- building blocks ------------------------------------------------------------------------

    def trade(self, attempt: int = 0) -> str:
        """A 字号; three characters once two-character ones keep colliding."""
        word = self.rng.choice(TRADE_FIRST) + self.rng.choice(TRADE_SECOND)
        if attempt >= 8:
            word += self.rng.choice(TRADE_SECOND)
        return word

    def unique_name(self, build: Callable[[int], str]) -> str:
        for attempt in range(200):
            name = build(attempt)
            if name not in self.names and not contains_forbidden(name):
                self.names.add(name)
                return name
        raise RuntimeError("演示数据名称空间已用尽，请减少主体数量")

    def place(self, district_code: str | None = None) -> _Place:
        if district_code is None:
            street = self.rng.choices(self.streets, cum_weights=self.cum_weights)[0]
        else:
            street = self.rng.choice(streets(district_code))
        district = self.district_by_code[street.parent_code or ""]
        first, second = self.rng.sample(ROAD_CHARS, 2)
        road = first + second + self.rng.choice(ROAD_SUFFIXES)
        number = self.rng.randint(1, 199)
        roll = self.rng.random()
        if roll < 0.5:
            tail = f"{number}号"
        elif roll < 0.8:
            building, floor, room = self.rng.randint(1, 12), self.rng.randint(1, 20), self.rng.randint(1, 8)
            tail = f"{number}号院{building}号楼{floor}{room:02d}室"
        else:
            floor = self.rng.randint(1, 6)
            tail = f"{number}号{floor}层{floor}{self.rng.randint(1, 30):02d}"
        return _Place(district, street, f"北京市{district.name}{street.name}{road}{tail}")

    def code(self, *, category: str, place: _Place, established: date) -> str:
        area = "110000" if category == "1" and self.rng.random() < 0.05 else place.district.code
        while True:
            value = ids.uscc(self.rng, category=category, authority_area=area, established_on=established)
            if value not in self.usccs:
                self.usccs.add(value)
                return value

    def person(self) -> tuple[str, bool]:
        male = self.rng.random() < 0.55
        return (self.fake.name_male() if male else self.fake.name_female()), male

    def id_card(self, male: bool) -> str:
        while True:
            value = ids.id_card(self.rng, born=ids.birth_date(self.rng, as_of=self.as_of), male=male)
            if value not in self.id_cards:
                self.id_cards.add(value)
                return value

    def phone(self, landline_share: float) -> str:
        return ids.landline(self.rng) if self.rng.random() < landline_share else ids.mobile(self.rng)

    def external_id(self, prefix: str) -> str:
        n = self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{n:07d}"

    def moment(self, day: date) -> datetime:
        """A working-hours moment of ``day`` in Beijing, as UTC."""
        minutes = self.rng.randint(8 * 60 + 30, 18 * 60 + 30)
        local = datetime.combine(day, time(minutes // 60, minutes % 60, self.rng.randint(0, 59)), BEIJING)
        return local.astimezone(UTC)

    def history(self, *, recent_share: float, stable: bool = False) -> _History:
        """Establishment date, status, record creation and last change (status change if any)."""
        last = self.as_of - timedelta(days=1)
        start = self.as_of - timedelta(days=HISTORY_DAYS)
        if not stable and self.rng.random() < recent_share:
            established = self.as_of - timedelta(days=self.rng.randint(1, HISTORY_DAYS - 1))
            created_day = min(established + timedelta(days=self.rng.randint(0, 7)), last)
        else:
            established = self.as_of - timedelta(days=self.rng.randint(2 * 365, 15 * 365))
            initial_import = stable or self.rng.random() < 0.5
            offset = self.rng.randint(0, 30) if initial_import else self.rng.randint(0, HISTORY_DAYS - 1)
            created_day = start + timedelta(days=offset)
        created = self.moment(created_day)
        status = EntityStatus.ACTIVE
        if not stable:
            roll = self.rng.random()
            if roll < 0.08:
                status = EntityStatus.DEREGISTERED
            elif roll < 0.11:
                status = EntityStatus.REVOKED
            elif roll < 0.14:
                status = EntityStatus.SUSPENDED
        if status != EntityStatus.ACTIVE or self.rng.random() < 0.3:
            span = (last - created_day).days
            changed_day = created_day + timedelta(days=self.rng.randint(min(1, span), max(span, 0)))
            updated = max(self.moment(changed_day), created)
        else:
            updated = created
        return _History(established, status, created, updated)

    @staticmethod
    def spec(
        kind: EntityKind,
        name: str,
        place: _Place,
        history: _History,
        *,
        section: str,
        uscc: str | None,
        person: str,
        phone: str,
        external_id: str | None = None,
        platform_key: str | None = None,
        id_card: str | None = None,
        tags: tuple[str, ...] = (),
        aliases: tuple[tuple[str, AliasKind], ...] = (),
    ) -> EntitySpec:
        return EntitySpec(
            kind=kind,
            name=name,
            uscc=uscc,
            external_id=external_id,
            platform_key=platform_key,
            registered_address=place.address,
            division_code=place.street.code,
            industry_section=section,
            status=history.status,
            established_on=history.established,
            legal_representative=person,
            contact_phone=phone,
            operator_id_card=id_card,
            tags=tags,
            aliases=aliases,
            created_at=history.created,
            updated_at=history.updated,
        )

    # -- kinds ----------------------------------------------------------------------------------

    def platform(self, p: PlatformDef) -> EntitySpec:
        self.names.add(p.company)
        place = self.place(p.district_code)
        hist = self.history(recent_share=0.0, stable=True)
        aliases: list[tuple[str, AliasKind]] = [(p.brand, AliasKind.BRAND)]
        if p.short != p.brand:
            aliases.append((p.short, AliasKind.SHORT))
        return self.spec(
            EntityKind.PLATFORM, p.company, place, hist, section=p.section, platform_key=p.key,
            uscc=self.code(category="1", place=place, established=hist.established),
            person=self.person()[0], phone=ids.landline(self.rng), tags=("平台企业",), aliases=tuple(aliases),
        )  # fmt: skip

    def market(self) -> EntitySpec:
        place = self.place()
        goods = self.rng.choice(MARKET_GOODS)
        trade_box: list[str] = []

        def build(attempt: int) -> str:
            trade_box[:] = [self.trade(attempt)]
            return f"北京{trade_box[0]}{goods}批发市场有限公司"

        name = self.unique_name(build)
        hist = self.history(recent_share=0.05)
        return self.spec(
            EntityKind.MARKET, name, place, hist, section="L",
            uscc=self.code(category="1", place=place, established=hist.established),
            person=self.person()[0], phone=ids.landline(self.rng), tags=("批发市场", goods),
            aliases=((f"{trade_box[0]}{goods}批发市场", AliasKind.SHORT),),
        )  # fmt: skip

    def enterprise(self) -> EntitySpec:
        place = self.place()
        word, section = self.rng.choice(ENTERPRISE_INDUSTRIES)
        form = self.rng.choice(ENTERPRISE_FORMS)
        styled = self.rng.random() < 0.3

        def build(attempt: int) -> str:
            t = self.trade(attempt)
            return f"{t}{word}（北京）{form}" if styled else f"北京{t}{word}{form}"

        name = self.unique_name(build)
        hist = self.history(recent_share=0.2)
        aliases: tuple[tuple[str, AliasKind], ...] = ()
        if self.rng.random() < 0.08:
            former = f"北京{self.trade()}{word}{form}"
            if former != name and not contains_forbidden(former):
                aliases = ((former, AliasKind.FORMER),)
        tags = ("高新技术企业",) if section in "IM" and self.rng.random() < 0.15 else ()
        return self.spec(
            EntityKind.ENTERPRISE, name, place, hist, section=section,
            uscc=self.code(category="1", place=place, established=hist.established),
            person=self.person()[0], phone=self.phone(0.5), tags=tags, aliases=aliases,
        )  # fmt: skip

    def individual(self) -> EntitySpec:
        place = self.place()
        word, section = self.rng.choice(INDIVIDUAL_TRADES)
        name = self.unique_name(lambda attempt: f"{place.district.name}{self.trade(attempt)}{word}")
        hist = self.history(recent_share=0.3)
        operator, male = self.person()
        return self.spec(
            EntityKind.INDIVIDUAL_BUSINESS, name, place, hist, section=section,
            uscc=self.code(category="2", place=place, established=hist.established),
            person=operator, phone=ids.mobile(self.rng), id_card=self.id_card(male),
            tags=("餐饮",) if section == "H" else (),
        )  # fmt: skip

    def prepaid(self) -> EntitySpec:
        # Fengtai and Haidian, where the founding prepaid-consumption work happens, get a larger share.
        place = self.place(self.rng.choice(("110106", "110108")) if self.rng.random() < 0.25 else None)
        category = self.rng.choice(tuple(PREPAID_CATEGORIES))
        section, templates = PREPAID_CATEGORIES[category]
        template = self.rng.choice(templates)
        trade_box: list[str] = []

        def build(attempt: int) -> str:
            trade_box[:] = [self.trade(attempt)]
            return template.format(t=trade_box[0])

        name = self.unique_name(build)
        hist = self.history(recent_share=0.25)
        tags = [category, "单用途预付卡", "资金已存管" if self.rng.random() < 0.7 else "资金未存管"]
        if self.rng.random() < 0.06:
            tags.append("风险亮灯")
        aliases: tuple[tuple[str, AliasKind], ...] = ()
        if self.rng.random() < 0.4:
            aliases = ((f"{trade_box[0]}{category[:2]}", AliasKind.BRAND),)
        return self.spec(
            EntityKind.PREPAID_BUSINESS, name, place, hist, section=section,
            uscc=self.code(category="1", place=place, established=hist.established),
            person=self.person()[0], phone=self.phone(0.2), tags=tuple(tags), aliases=aliases,
        )  # fmt: skip

    def shop(self, p: PlatformDef) -> EntitySpec:
        place = self.place()
        template = self.rng.choice(p.shop_templates)
        word = self.rng.choice(p.shop_words)
        name = self.unique_name(lambda attempt: template.format(t=self.trade(attempt), w=word, s=place.short))
        hist = self.history(recent_share=0.45)
        roll = self.rng.random()
        code = None
        if roll < 0.75:  # most shops show a business licence: an individual business or a company
            code = self.code(category="2" if roll < 0.45 else "1", place=place, established=hist.established)
        return self.spec(
            EntityKind.PLATFORM_SHOP, name, place, hist, section=p.shop_section, uscc=code,
            external_id=self.external_id(p.key), platform_key=p.key,
            person=self.person()[0], phone=ids.mobile(self.rng),
        )  # fmt: skip

    def livestream(self, p: PlatformDef) -> EntitySpec:
        place = self.place()

        def build(attempt: int) -> str:
            nick = self.rng.choice(ANCHOR_ADJECTIVES) + self.rng.choice(ANCHOR_NOUNS)
            if attempt >= 8:
                nick += self.rng.choice(TRADE_SECOND)
            suffix = self.rng.choice(ANCHOR_SUFFIXES)
            return nick + (suffix.removeprefix("的") if "的" in nick else suffix)

        name = self.unique_name(build)
        hist = self.history(recent_share=0.6)
        anchor = self.person()[0]
        code = (
            self.code(category="2", place=place, established=hist.established)
            if self.rng.random() < 0.3
            else None
        )
        selling = self.rng.random() < 0.8
        tags = ("直播带货",) if selling else ("娱乐直播",)
        return self.spec(
            EntityKind.LIVESTREAM, name, place, hist, section="F" if selling else "R", uscc=code,
            external_id=self.external_id(f"{p.key}-LIVE"), platform_key=p.key,
            person=anchor, phone=ids.mobile(self.rng), tags=tags,
        )  # fmt: skip


def generate_entities(*, seed: int, count: int, as_of: date) -> list[EntitySpec]:
    """About ``count`` fictitious entities (never fewer than one per kind), platforms first.

    The order is: platforms, wholesale markets, enterprises, individual businesses, prepaid-card
    businesses, in-platform shops, livestream rooms.
    """
    gen = _Generator(seed=seed, as_of=as_of)
    quotas = kind_quotas(count)
    out = [gen.platform(p) for p in PLATFORMS]
    out += [gen.market() for _ in range(quotas[EntityKind.MARKET])]
    out += [gen.enterprise() for _ in range(quotas[EntityKind.ENTERPRISE])]
    out += [gen.individual() for _ in range(quotas[EntityKind.INDIVIDUAL_BUSINESS])]
    out += [gen.prepaid() for _ in range(quotas[EntityKind.PREPAID_BUSINESS])]
    shop_hosts = [p for p in PLATFORMS for _ in range(p.weight)]
    out += [gen.shop(gen.rng.choice(shop_hosts)) for _ in range(quotas[EntityKind.PLATFORM_SHOP])]
    live_hosts = [p for p in PLATFORMS for _ in range(p.live_weight)]
    out += [gen.livestream(gen.rng.choice(live_hosts)) for _ in range(quotas[EntityKind.LIVESTREAM])]
    return out
