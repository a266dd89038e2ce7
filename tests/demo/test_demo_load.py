"""The demo dataset: deterministic, well-formed, fictitious, and usable (logins, scopes)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tianping.core.audit import AuditEvent
from tianping.core.authz import Actor, Role
from tianping.core.divisions import districts, lookup, streets
from tianping.core.errors import Conflict
from tianping.core.validation import is_valid_id_card, is_valid_mobile, is_valid_uscc
from tianping.demo import (
    DEMO_PASSWORD,
    DEMO_USERS,
    PLATFORMS,
    EntitySpec,
    generate_entities,
    load_demo,
    plan_organizations,
    plan_stations,
)
from tianping.identity import security
from tianping.identity.models import Organization, OrgKind, User
from tianping.identity.service import authenticate, build_actor
from tianping.registry.models import EntityAlias, EntityKind, EntityStatus, MarketEntity

SEED = 20250618
AS_OF = date(2026, 11, 28)
SMALL = 300

# Real brands that must never appear in the fictitious dataset (checked independently of the
# generator's own list).
REAL_BRANDS = (
    "美团", "小米", "转转", "百度", "联想", "京东", "淘宝", "天猫", "拼多多", "抖音", "快手", "饿了么",
    "闲鱼", "阿里", "腾讯", "微信", "支付宝", "苏宁", "唯品会", "盒马", "叮咚", "小红书", "携程", "滴滴",
    "大众点评", "哔哩哔哩", "网易", "新东方", "学而思", "华为", "云集", "链家", "物美", "永辉", "顺丰",
    "全聚德", "庆丰", "稻香村", "海底捞", "麦当劳", "肯德基", "星巴克", "瑞幸", "玫瑰城",
)  # fmt: skip


@pytest.fixture(scope="module")
def specs() -> list[EntitySpec]:
    return generate_entities(seed=SEED, count=SMALL, as_of=AS_OF)


def test_generation_is_deterministic(specs: list[EntitySpec]) -> None:
    again = generate_entities(seed=SEED, count=SMALL, as_of=AS_OF)
    assert again == specs
    other = generate_entities(seed=SEED + 1, count=SMALL, as_of=AS_OF)
    assert [s.name for s in other] != [s.name for s in specs]
    # A later as_of shifts the history only: names and people stay the same.
    later = generate_entities(seed=SEED, count=SMALL, as_of=AS_OF + timedelta(days=10))
    assert [(s.name, s.legal_representative) for s in later] == [
        (s.name, s.legal_representative) for s in specs
    ]
    assert [s.created_at + timedelta(days=10) for s in specs] == [s.created_at for s in later]
    assert plan_stations(SEED) == plan_stations(SEED)
    assert plan_organizations(SEED) == plan_organizations(SEED)


def test_identifiers_are_valid(specs: list[EntitySpec]) -> None:
    names = [s.name for s in specs]
    assert len(set(names)) == len(names)
    usccs = [s.uscc for s in specs if s.uscc]
    assert len(set(usccs)) == len(usccs)
    for s in specs:
        assert s.uscc is None or is_valid_uscc(s.uscc), s
        if s.uscc:
            assert s.uscc[:2] in ("91", "92") and s.uscc[2:5] == "110"
        street = lookup(s.division_code)
        assert street is not None and street.level == "street" and s.division_code.startswith("110")
        district = lookup(street.parent_code or "")
        assert district is not None
        assert s.registered_address.startswith(f"北京市{district.name}{street.name}")
        if s.kind == EntityKind.INDIVIDUAL_BUSINESS:
            assert s.uscc and s.uscc.startswith("92")
            assert s.operator_id_card and is_valid_id_card(s.operator_id_card, today=AS_OF)
            assert s.operator_id_card.startswith("11")
            assert s.legal_representative and s.contact_phone and is_valid_mobile(s.contact_phone)
        else:
            assert s.operator_id_card is None
        if s.kind in (EntityKind.PLATFORM_SHOP, EntityKind.LIVESTREAM):
            assert s.platform_key in {p.key for p in PLATFORMS} and s.external_id
        # established 2–15 years ago, or recently; record times within the two-year window
        assert AS_OF - timedelta(days=15 * 365 + 1) <= s.established_on < AS_OF
        assert s.created_at <= s.updated_at
        assert s.created_at.date() >= AS_OF - timedelta(days=731)
        assert s.updated_at.date() < AS_OF + timedelta(days=1)


def test_history_and_statuses_are_spread(specs: list[EntitySpec]) -> None:
    statuses = Counter(s.status for s in specs)
    assert statuses[EntityStatus.ACTIVE] > len(specs) * 0.7
    assert statuses[EntityStatus.DEREGISTERED] > 0
    assert {EntityStatus.REVOKED, EntityStatus.SUSPENDED} & set(statuses)
    created_months = {s.created_at.strftime("%Y-%m") for s in specs}
    assert len(created_months) >= 18  # spread over the two years
    assert any(s.established_on > AS_OF - timedelta(days=730) for s in specs)
    prepaid = [s for s in specs if s.kind == EntityKind.PREPAID_BUSINESS]
    assert {t for s in prepaid for t in s.tags} >= {"美容美发", "教育培训", "体育健身", "餐饮"}
    sections = {
        tag: {s.industry_section for s in prepaid if tag in s.tags} for tag in ("美容美发", "教育培训")
    }
    assert sections == {"美容美发": {"O"}, "教育培训": {"P"}}


def test_no_real_brand_names(specs: list[EntitySpec]) -> None:
    plan = plan_organizations(SEED)
    texts = [s.name for s in specs] + [a for s in specs for a, _ in s.aliases]
    texts += [p.company for p in PLATFORMS] + [p.brand for p in PLATFORMS]
    texts += [u[0] for u in plan.member_units] + [st.name for st in plan.stations]
    offending = [t for t in texts if any(brand in t for brand in REAL_BRANDS)]
    assert offending == []


def test_every_street_is_covered_by_exactly_one_station() -> None:
    plan = plan_stations(SEED)
    covered = Counter(code for station in plan for code in station.streets)
    every = {s.code for d in districts() for s in streets(d.code)}
    assert set(covered) == every and set(covered.values()) == {1}
    per_district = Counter(station.district_code for station in plan)
    assert set(per_district) == {d.code for d in districts()}
    assert all(3 <= n <= 6 for n in per_district.values())
    assert len({station.name for station in plan}) == len(plan)
    assert all(re.fullmatch(r"\w+市场监管所", station.name) for station in plan)
    qingyuan = next(station for station in plan if station.name == "清源市场监管所")
    assert qingyuan.district_code == "110115" and qingyuan.primary_street in qingyuan.streets


def _snapshot(session: Session) -> list[tuple[object, ...]]:
    rows = session.execute(
        select(
            MarketEntity.name,
            MarketEntity.uscc,
            MarketEntity.external_id,
            MarketEntity.kind,
            MarketEntity.status,
            MarketEntity.division_code,
            MarketEntity.created_at,
            MarketEntity.updated_at,
        )
    )
    return sorted(tuple(r) for r in rows)  # Python order: database collations differ


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 parameters: the test creates 20 accounts and logs in 10 times."""
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.mark.usefixtures("fast_hashing")
def test_load_demo(db_session: Session, specs: list[EntitySpec]) -> None:
    summary = load_demo(db_session, seed=SEED, entities=SMALL, reset=False, progress=None, as_of=AS_OF)
    db_session.flush()

    # counts: every kind is present, and the database holds exactly the generated rows
    kinds = dict(
        db_session.execute(select(MarketEntity.kind, func.count()).group_by(MarketEntity.kind)).all()
    )
    assert set(kinds) == {k.value for k in EntityKind} and all(n > 0 for n in kinds.values())
    assert summary.total_entities == len(specs) == sum(kinds.values())
    assert all(summary.entities[k] > 0 for k in EntityKind)
    assert all(summary.organizations[k] > 0 for k in OrgKind)
    first = _snapshot(db_session)
    assert [r[0] for r in first] == sorted(s.name for s in specs)
    assert {r[1] for r in first if r[1]} == {s.uscc for s in specs if s.uscc}
    assert all(is_valid_uscc(code) for code in db_session.scalars(select(MarketEntity.uscc)) if code)
    cards = [no for no in db_session.scalars(select(MarketEntity.operator_id_card)) if no]
    assert cards and all(is_valid_id_card(no) for no in cards)
    aliases = set(db_session.scalars(select(EntityAlias.alias)))
    assert {"示例外卖", "京彩优选"} <= aliases
    assert not [a for a in aliases if any(b in a for b in REAL_BRANDS)]

    # organisations: stations cover every street once; the Fengtai member units
    stations = db_session.scalars(
        select(Organization).where(Organization.kind == OrgKind.STATION.value)
    ).all()
    covered = Counter(code for st in stations for code in st.jurisdiction)
    assert set(covered.values()) == {1} and len(covered) == sum(len(streets(d.code)) for d in districts())
    fengtai_units = db_session.scalars(
        select(Organization).where(
            Organization.kind == OrgKind.MEMBER_UNIT.value, Organization.division_code == "110106"
        )
    ).all()
    assert len(fengtai_units) == 16 and all(u.industry_sections for u in fengtai_units)
    assert {"丰台区体育局", "丰台区文化和旅游局", "丰台区教育委员会", "丰台区司法局"} <= {
        u.name for u in fengtai_units
    }

    # logins: every documented account works with the documented password
    assert {login.username for login in summary.logins} == {u[0] for u in DEMO_USERS}
    for username, *_ in DEMO_USERS:
        user, token = authenticate(db_session, username=username, password=DEMO_PASSWORD, ip="127.0.0.1")
        assert user.username == username and token

    def actor(username: str) -> Actor:
        user = db_session.scalars(select(User).where(User.username == username)).one()
        return build_actor(user, user.org)

    platform_id = db_session.scalar(select(MarketEntity.id).where(MarketEntity.name == PLATFORMS[0].company))
    handler = actor("platform_handler")
    assert handler.platform_entity_id == platform_id and Role.PLATFORM_HANDLER in handler.roles
    shops = db_session.scalar(select(func.count()).where(MarketEntity.platform_id == platform_id))
    assert shops and shops > 0
    assert actor("platform2_handler").platform_entity_id not in (None, platform_id)
    station = actor("station_officer")
    assert station.division_prefixes and "110115003" in station.division_prefixes  # 清源街道
    assert actor("sports_handler").industry_sections == ("R",)
    assert actor("haidian_officer").division_prefixes == ("110108",)
    assert actor("admin").is_admin

    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "demo.load")).all()
    assert len(events) == 1 and events[0].detail["seed"] == SEED

    # a second load refuses without --reset, and rebuilds identical data with it
    with pytest.raises(Conflict, match="--reset"):
        load_demo(db_session, seed=SEED, entities=SMALL, reset=False, progress=None, as_of=AS_OF)
    again = load_demo(db_session, seed=SEED, entities=SMALL, reset=True, progress=None, as_of=AS_OF)
    db_session.flush()
    assert again.reset and _snapshot(db_session) == first
    assert db_session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)
