"""Test helpers of the registry: valid fictitious credit codes and a small scoped world.

All names are fictitious (示例/样例/京西示范…); credit codes are generated with the real check-character
function, never copied from real companies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import actor_of, make_org, make_user
from tianping import registry
from tianping.core.authz import ANONYMOUS, SYSTEM, Actor, Role
from tianping.core.validation import uscc_check_char
from tianping.identity.models import OrgKind
from tianping.registry import AliasIn, EntityIn, MarketEntity


def uscc(n: int, *, category: str = "1", district: str = "110108") -> str:
    """A valid fictitious 统一社会信用代码 (工商 authority 9; category 1 企业, 2 个体工商户)."""
    body = f"9{category}{district}{n:09d}"
    return body + uscc_check_char(body)


def entity_in(**fields: Any) -> EntityIn:
    defaults: dict[str, Any] = {
        "kind": "enterprise",
        "name": "北京示范商贸有限公司",
        "division_code": "110108",
    }
    return EntityIn(**(defaults | fields))


@dataclass
class World:
    """Two platforms with a shop each, and entities in three districts and several sections."""

    platform_a: MarketEntity
    platform_b: MarketEntity
    shop_a: MarketEntity
    shop_b: MarketEntity
    salon: MarketEntity  # 个体工商户 with personal data, 海淀区万寿路街道, section O
    school: MarketEntity  # 丰台区, section P
    gym: MarketEntity  # 丰台区, section R
    trader: MarketEntity  # 朝阳区, section F
    actors: dict[str, Actor]


def build_world(session: Session) -> World:
    create = registry.create
    platform_a = create(
        session=session,
        entity_in=entity_in(
            kind="platform",
            name="示例外卖平台（北京）科技有限公司",
            uscc=uscc(1),
            industry_section="I",
            aliases=[AliasIn(alias="示例外卖")],
            legal_representative="王示范",
        ),
        actor=SYSTEM,
    )
    platform_b = create(
        session=session,
        entity_in=entity_in(
            kind="platform",
            name="样例优选电子商务（北京）有限公司",
            uscc=uscc(2, district="110105"),
            division_code="110105",
            industry_section="F",
            aliases=[AliasIn(alias="样例优选")],
        ),
        actor=SYSTEM,
    )
    shop_a = create(
        session=session,
        entity_in=entity_in(
            kind="platform_shop",
            name="京西示范餐馆（示例外卖店）",
            external_id="SL-SHOP-0001",
            platform_id=platform_a.id,
            division_code="110108001",
            industry_section="H",
        ),
        actor=SYSTEM,
    )
    shop_b = create(
        session=session,
        entity_in=entity_in(
            kind="platform_shop",
            name="朝外示范水果店（样例优选店）",
            external_id="YL-SHOP-0001",
            platform_id=platform_b.id,
            division_code="110105002",
            industry_section="F",
        ),
        actor=SYSTEM,
    )
    salon = create(
        session=session,
        entity_in=entity_in(
            kind="individual_business",
            name="京西示范美容美发店",
            uscc=uscc(3, category="2"),
            division_code="110108001",
            industry_section="O",
            registered_address="北京市海淀区万寿路街道示范路 8 号",
            legal_representative="张示范",
            contact_phone="13800138000",
            operator_id_card="110105198001010024",
            tags=["美容美发", "预付式"],
        ),
        actor=SYSTEM,
    )
    school = create(
        session=session,
        entity_in=entity_in(
            name="北京示范教育科技有限公司",
            uscc=uscc(4, district="110106"),
            division_code="110106001",
            industry_section="P",
            kind="prepaid_business",
            tags=["预付式"],
        ),
        actor=SYSTEM,
    )
    gym = create(
        session=session,
        entity_in=entity_in(
            name="丰台示范健身有限公司",
            uscc=uscc(5, district="110106"),
            division_code="110106002",
            industry_section="R",
        ),
        actor=SYSTEM,
    )
    trader = create(
        session=session,
        entity_in=entity_in(
            name="朝阳样例商贸有限公司",
            uscc=uscc(6, district="110105"),
            division_code="110105001",
            industry_section="F",
        ),
        actor=SYSTEM,
    )
    city = make_org(session, "北京市市场监督管理局（测试）", OrgKind.CITY_BUREAU)
    haidian = make_org(
        session, "海淀区市场监督管理局（测试）", OrgKind.DISTRICT_BUREAU, division_code="110108"
    )
    station = make_org(
        session,
        "万寿路市场监管所（测试）",
        OrgKind.STATION,
        division_code="110108",
        jurisdiction=["110108001"],
    )
    education = make_org(
        session,
        "丰台区教育委员会（测试）",
        OrgKind.MEMBER_UNIT,
        division_code="110106",
        industry_sections=["P"],
    )
    platform_org = make_org(
        session, "示例外卖平台企业（测试）", OrgKind.PLATFORM_COMPANY, platform_entity_id=platform_a.id
    )
    users = {
        "city": make_user(session, "reg-city", Role.OFFICER, org=city),
        "haidian": make_user(session, "reg-haidian", Role.OFFICER, org=haidian),
        "station": make_user(session, "reg-station", Role.STATION_OFFICER, org=station),
        "education": make_user(session, "reg-edu", Role.MEMBER_UNIT_HANDLER, org=education),
        "platform": make_user(session, "reg-platform", Role.PLATFORM_HANDLER, org=platform_org),
        "analyst": make_user(session, "reg-analyst", Role.ANALYST, org=city),
    }
    actors = {key: actor_of(session, user) for key, user in users.items()}
    actors["anonymous"] = ANONYMOUS
    return World(platform_a, platform_b, shop_a, shop_b, salon, school, gym, trader, actors)
