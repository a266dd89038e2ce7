"""A small fictitious world for intake tests: two districts, a station, member units, registry entities.

All names are fictitious (示例/样例…); phone numbers are in reserved-looking 1380000xxxx ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import actor_of, make_org, make_user
from tianping import registry
from tianping.complaints.schemas import TicketIn
from tianping.core.authz import SYSTEM, Actor, Role
from tianping.identity.models import Organization, OrgKind
from tianping.registry import AliasIn, EntityIn

LUGOUQIAO = "110106017"  # 丰台区 卢沟桥街道
ZHONGGUANCUN = "110108011"  # 海淀区 中关村街道


@dataclass
class World:
    fengtai: Organization
    haidian: Organization
    station: Organization
    commerce: Organization  # 丰台区商务局 (member unit)
    sport: Organization  # 丰台区体育局
    salon: int  # 示例美容美发店 in 卢沟桥街道 (alias 美丽示例)
    platform: int  # 示例外卖平台 (alias 示例外卖)
    shop: int  # 示例小吃铺, a shop on the platform
    gym_a: int  # 示例健身中心丰台店
    gym_b: int  # 示例健身中心海淀店
    officer: Actor  # city-wide officer (division_prefixes None)
    fengtai_officer: Actor
    haidian_officer: Actor
    member: Actor  # 丰台区商务局 handler
    platform_handler: Actor
    analyst: Actor


def _entity(session: Session, **fields: Any) -> int:
    return registry.create(session=session, entity_in=EntityIn(**fields), actor=SYSTEM).id


def make_world(session: Session) -> World:
    fengtai = make_org(session, "丰台区市场监督管理局", OrgKind.DISTRICT_BUREAU, division_code="110106")
    haidian = make_org(session, "海淀区市场监督管理局", OrgKind.DISTRICT_BUREAU, division_code="110108")
    station = make_org(session, "卢沟桥市场监管所", OrgKind.STATION, division_code=LUGOUQIAO, parent=fengtai)
    commerce = make_org(
        session, "丰台区商务局", OrgKind.MEMBER_UNIT, division_code="110106", industry_sections=["F", "H"]
    )
    sport = make_org(
        session, "丰台区体育局", OrgKind.MEMBER_UNIT, division_code="110106", industry_sections=["R"]
    )
    salon = _entity(
        session,
        kind="individual_business",
        name="示例美容美发店",
        division_code=LUGOUQIAO,
        industry_section="O",
        aliases=[AliasIn(alias="美丽示例")],
    )
    platform = _entity(
        session,
        kind="platform",
        name="示例外卖平台科技有限公司",
        division_code=ZHONGGUANCUN,
        aliases=[AliasIn(alias="示例外卖")],
    )
    shop = _entity(
        session, kind="platform_shop", name="示例小吃铺", platform_id=platform, division_code=LUGOUQIAO
    )
    gym_a = _entity(session, kind="enterprise", name="示例健身中心丰台店", division_code=LUGOUQIAO)
    gym_b = _entity(session, kind="enterprise", name="示例健身中心海淀店", division_code=ZHONGGUANCUN)
    platform_org = make_org(
        session, "示例外卖平台客服部", OrgKind.PLATFORM_COMPANY, platform_entity_id=platform
    )
    users = {
        "officer": make_user(session, "c_officer", Role.OFFICER),
        "fengtai_officer": make_user(session, "c_ft_officer", Role.OFFICER, org=fengtai),
        "haidian_officer": make_user(session, "c_hd_officer", Role.OFFICER, org=haidian),
        "member": make_user(session, "c_member", Role.MEMBER_UNIT_HANDLER, org=commerce),
        "platform_handler": make_user(session, "c_platform", Role.PLATFORM_HANDLER, org=platform_org),
        "analyst": make_user(session, "c_analyst", Role.ANALYST),
    }
    actors = {k: actor_of(session, u) for k, u in users.items()}
    return World(
        fengtai=fengtai,
        haidian=haidian,
        station=station,
        commerce=commerce,
        sport=sport,
        salon=salon,
        platform=platform,
        shop=shop,
        gym_a=gym_a,
        gym_b=gym_b,
        **actors,
    )


def ticket_in(**fields: Any) -> TicketIn:
    """A complete fictitious complaint (every 第九条 material present) with overrides."""
    data: dict[str, Any] = {
        "channel": "web",
        "kind": "complaint",
        "party": {
            "name": "王小明",
            "phone": "13800001234",
            "address": "北京市丰台区卢沟桥街道示例小区1号楼",
        },
        "title": "美容卡退费难",
        "text": "我在示例美容美发店办理了美容预付卡3000元，门店突然停业，要求退还剩余费用被拒绝。",
        "demand": "退还剩余预付款2100元",
        "business_name": "示例美容美发店",
        "business_address": "北京市丰台区卢沟桥街道示例路8号",
    }
    data.update(fields)
    return TicketIn.model_validate(data)
