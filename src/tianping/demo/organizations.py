"""The organisations of the demo: bureaus, stations, member units, consumer associations, platforms.

:func:`plan_organizations` is pure (the same seed gives the same plan); :func:`create_organizations`
writes the plan through :func:`tianping.identity.service.create_org`.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from tianping.core.authz import Actor
from tianping.core.divisions import Division, districts, streets
from tianping.demo.entities import street_short_name
from tianping.demo.words import PLATFORMS
from tianping.identity import service as identity
from tianping.identity.models import Organization, OrgKind
from tianping.identity.schemas import OrgIn

__all__ = [
    "CITY_BUREAU",
    "CONSUMER_ASSOCIATIONS",
    "MEMBER_UNITS",
    "STATION_ANCHORS",
    "OrgPlan",
    "StationPlan",
    "create_organizations",
    "district_bureau_name",
    "member_unit_name",
    "plan_organizations",
    "plan_stations",
]

CITY_BUREAU = "北京市市场监督管理局"

# Streets that must give their name to a station (the founding news visits 清源市场监管所 in 大兴).
STATION_ANCHORS: dict[str, str] = {"110115": "清源街道"}

# 成员单位 of the districts' prepaid-consumption task forces: (unit, GB/T 4754 sections it oversees).
# 丰台 has all sixteen (as in the founding news), 海淀 the first ten, every other district the first four.
MEMBER_UNITS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("教育委员会", ("P",)),
    ("体育局", ("R",)),
    ("文化和旅游局", ("L", "R")),
    ("商务局", ("F", "H")),
    ("卫生健康委员会", ("Q",)),
    ("司法局", ("L",)),
    ("人力资源和社会保障局", ("L", "P")),
    ("民政局", ("O", "Q")),
    ("科学技术和信息化局", ("I", "M")),
    ("住房和城乡建设委员会", ("E", "K")),
    ("交通局", ("G",)),
    ("金融服务办公室", ("J",)),
    ("城市管理委员会", ("N",)),
    ("农业农村局", ("A",)),
    ("水务局", ("D", "N")),
    ("发展和改革委员会", ("C", "D")),
)
_MEMBER_UNIT_COUNT: dict[str, int] = {"110106": 16, "110108": 10}
_DEFAULT_MEMBER_UNITS = 4

# (name, district code or None for the city-wide association).
CONSUMER_ASSOCIATIONS: tuple[tuple[str, str | None], ...] = (
    ("北京市消费者协会", None),
    ("西城区消费者协会", "110102"),
    ("海淀区消费者协会", "110108"),
    ("丰台区消费者协会", "110106"),
)


def district_bureau_name(district: Division) -> str:
    return f"{district.name}市场监督管理局"


def member_unit_name(district: Division, unit: str) -> str:
    return f"{district.name}{unit}"


@dataclass(frozen=True)
class StationPlan:
    """A 市场监管所 and the streets it covers (contiguous in code order, named after one of them)."""

    name: str
    district_code: str
    primary_street: str
    streets: tuple[str, ...]


@dataclass(frozen=True)
class OrgPlan:
    stations: tuple[StationPlan, ...]
    member_units: tuple[tuple[str, str, tuple[str, ...]], ...]  # (name, district code, sections)


def _primary(chunk: list[Division], anchor: str | None) -> Division:
    for street in chunk:
        if street.name == anchor:
            return street
    for street in chunk:
        if len(street_short_name(street.name)) <= 4:
            return street
    return chunk[0]


def _partition(rng: random.Random, district: Division) -> list[list[Division]]:
    items = streets(district.code)
    n = len(items)
    k = min(n, max(3, min(6, round(n / 5) + rng.choice((-1, 0, 0, 1)))))
    cuts: list[int] = []
    for i in range(1, k):  # near-even sizes, each cut jittered by one street
        lowest = cuts[-1] + 1 if cuts else 1
        cuts.append(min(max(round(i * n / k) + rng.choice((-1, 0, 0, 1)), lowest), n - (k - i)))
    anchor = STATION_ANCHORS.get(district.code)
    at = next((i for i, s in enumerate(items) if s.name == anchor), 0)
    if at > 0 and at not in cuts:  # move the nearest cut onto the anchor: it starts (and names) a station
        nearest = min(range(len(cuts)), key=lambda j: abs(cuts[j] - at))
        cuts[nearest] = at
    bounds = [0, *cuts, n]
    return [items[a:b] for a, b in itertools.pairwise(bounds)]


def plan_stations(seed: int) -> list[StationPlan]:
    """3–6 stations per district; every street is covered by exactly one station."""
    rng = random.Random(f"{seed}-stations")
    drafts: list[tuple[str, str, list[Division]]] = []
    for district in districts():
        anchor = STATION_ANCHORS.get(district.code)
        for chunk in _partition(rng, district):
            primary = _primary(chunk, anchor)
            drafts.append((street_short_name(primary.name), district.code, chunk))
    clashes = Counter(short for short, _, _ in drafts)
    names = {d.code: d.name for d in districts()}
    plans: list[StationPlan] = []
    for short, district_code, chunk in drafts:
        prefix = names[district_code] if clashes[short] > 1 else ""
        primary = _primary(chunk, STATION_ANCHORS.get(district_code))
        plans.append(
            StationPlan(
                name=f"{prefix}{short}市场监管所",
                district_code=district_code,
                primary_street=primary.code,
                streets=tuple(s.code for s in chunk),
            )
        )
    return plans


def plan_organizations(seed: int) -> OrgPlan:
    units: list[tuple[str, str, tuple[str, ...]]] = []
    for district in districts():
        count = _MEMBER_UNIT_COUNT.get(district.code, _DEFAULT_MEMBER_UNITS)
        units += [(member_unit_name(district, unit), district.code, s) for unit, s in MEMBER_UNITS[:count]]
    return OrgPlan(stations=tuple(plan_stations(seed)), member_units=tuple(units))


@dataclass
class CreatedOrgs:
    """The organisations written, by name, and how many of each kind."""

    by_name: dict[str, Organization] = field(default_factory=dict)
    counts: Counter[OrgKind] = field(default_factory=Counter)

    def add(self, org: Organization) -> Organization:
        self.by_name[org.name] = org
        self.counts[OrgKind(org.kind)] += 1
        return org


def create_organizations(
    session: Session, *, plan: OrgPlan, platform_ids: Mapping[str, int], actor: Actor
) -> CreatedOrgs:
    """Write every organisation of ``plan``; ``platform_ids`` maps a platform key to its entity id."""
    out = CreatedOrgs()

    def make(org_in: OrgIn) -> Organization:
        return out.add(identity.create_org(session, org_in=org_in, actor=actor))

    city = make(OrgIn(name=CITY_BUREAU, kind=OrgKind.CITY_BUREAU, division_code="110000"))
    bureaus: dict[str, Organization] = {}
    for district in districts():
        bureaus[district.code] = make(
            OrgIn(
                name=district_bureau_name(district),
                kind=OrgKind.DISTRICT_BUREAU,
                parent_id=city.id,
                division_code=district.code,
            )
        )
    for station in plan.stations:
        make(
            OrgIn(
                name=station.name,
                kind=OrgKind.STATION,
                parent_id=bureaus[station.district_code].id,
                division_code=station.primary_street,
                jurisdiction=list(station.streets),
            )
        )
    for name, district_code, sections in plan.member_units:
        make(
            OrgIn(
                name=name,
                kind=OrgKind.MEMBER_UNIT,
                division_code=district_code,
                industry_sections=list(sections),
            )
        )
    for association, area in CONSUMER_ASSOCIATIONS:
        make(OrgIn(name=association, kind=OrgKind.CONSUMER_ASSOCIATION, division_code=area))
    for platform in PLATFORMS:
        make(
            OrgIn(
                name=platform.company,
                kind=OrgKind.PLATFORM_COMPANY,
                platform_entity_id=platform_ids[platform.key],
            )
        )
    return out
