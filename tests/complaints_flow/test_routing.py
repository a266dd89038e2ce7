"""Routing: Beijing places in free text, jurisdiction (第十二条 / 第二十五条), station and member unit."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_org
from tianping.complaints.routing import explain_location, locate, route
from tianping.identity.models import OrgKind


@pytest.mark.parametrize(
    ("text", "code", "matched"),
    [
        ("北京市丰台区卢沟桥街道某某路1号", "110106017", "丰台区 卢沟桥街道"),
        ("卢沟桥南里3号楼下的美发店", "110106017", "卢沟桥"),  # a short name of three characters
        ("丰台区方庄芳城园一区", "110106013", "丰台区 方庄"),  # two characters: only next to the district
        ("海淀区八里庄街道", "110108005", "海淀区 八里庄街道"),  # the district chooses between namesakes
        ("在丰台新村附近", "110106010", "丰台 新村"),
        ("丰台区丰台街道", "110106009", "丰台区 丰台街道"),
        ("东城区朝阳门内大街", "110101007", "东城区 朝阳门"),
        ("大兴区清源路", "110115003", "大兴区 清源"),
        ("通州区某商场", "110112", "通州区"),
        ("丰台", "110106", "丰台"),  # the district, not 丰台街道
    ],
)
def test_locate_finds_the_most_precise_place(text: str, code: str, matched: str) -> None:
    found = explain_location(text)
    assert found is not None
    assert (found.code, found.matched) == (code, matched)
    assert locate(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "八里庄街道",  # 朝阳区 and 海淀区 both have one: no guess
        "方庄芳城园",  # two-character short name without its district
        "上海市浦东新区世纪大道",
        "",
    ],
)
def test_locate_does_not_guess(text: str) -> None:
    assert locate(text) is None


class Orgs:
    def __init__(self, session: Session) -> None:
        self.bureau = make_org(
            session, "丰台区市场监督管理局", OrgKind.DISTRICT_BUREAU, division_code="110106"
        )
        self.station = make_org(
            session,
            "卢沟桥市场监管所",
            OrgKind.STATION,
            division_code="110106017",
            jurisdiction=["110106017", "110106018"],
        )
        self.other_station = make_org(
            session, "方庄市场监管所", OrgKind.STATION, division_code="110106013", jurisdiction=["110106013"]
        )
        self.commerce = make_org(
            session, "丰台区商务局", OrgKind.MEMBER_UNIT, division_code="110106", industry_sections=["F", "H"]
        )
        self.education = make_org(
            session, "丰台区教育委员会", OrgKind.MEMBER_UNIT, division_code="110106", industry_sections=["P"]
        )
        self.culture = make_org(
            session,
            "丰台区文化和旅游局",
            OrgKind.MEMBER_UNIT,
            division_code="110106",
            industry_sections=["L", "R"],
        )
        self.haidian = make_org(
            session, "海淀区市场监督管理局", OrgKind.DISTRICT_BUREAU, division_code="110108"
        )
        self.haidian_commerce = make_org(
            session, "海淀区商务局", OrgKind.MEMBER_UNIT, division_code="110108", industry_sections=["F", "H"]
        )


@pytest.fixture
def orgs(db_session: Session) -> Orgs:
    return Orgs(db_session)


def test_street_goes_to_its_station_and_category_to_its_member_unit(db_session: Session, orgs: Orgs) -> None:
    routing = route(
        session=db_session,
        division_code="110106017",
        category_code="prepaid.education",
        kind="complaint",
        located_from="丰台区 卢沟桥街道",
    )
    assert routing.division_code == "110106017"
    assert routing.district_code == "110106"
    assert routing.station_org_id == orgs.station.id
    assert routing.member_unit_org_id == orgs.education.id
    assert routing.handling_org_id == orgs.station.id
    text = "\n".join(routing.reasons)
    assert "地址含“丰台区 卢沟桥街道”" in text
    assert "丰台区 卢沟桥街道 → 卢沟桥市场监管所" in text
    assert "市场监督管理投诉举报处理暂行办法 第十二条" in text
    assert "主管部门为教育委员会 → 丰台区教育委员会" in text


def test_a_street_in_the_jurisdiction_list_finds_the_station(db_session: Session, orgs: Orgs) -> None:
    routing = route(session=db_session, division_code="110106018", category_code="food", kind="complaint")
    assert routing.station_org_id == orgs.station.id
    assert routing.member_unit_org_id is None  # 食品安全: the bureau's own matter
    assert any("由市场监管部门直接处理" in r for r in routing.reasons)


def test_the_business_place_wins_for_complaints_and_the_act_place_for_reports(
    db_session: Session, orgs: Orgs
) -> None:
    complaint = route(
        session=db_session,
        division_code="110106017",
        entity_division_code="110106013",
        category_code="prepaid.beauty",
        kind="complaint",
    )
    assert complaint.station_org_id == orgs.other_station.id
    assert "被投诉经营者实际经营地" in complaint.reasons[0]
    report = route(
        session=db_session,
        division_code="110106017",
        entity_division_code="110106013",
        category_code="prepaid.beauty",
        kind="report",
    )
    assert report.station_org_id == orgs.station.id
    assert "第二十五条" in report.reasons[0]


def test_member_unit_fallback_by_industry_section(db_session: Session, orgs: Orgs) -> None:
    # 体育局 does not exist in this district: 体育健身 (section R) falls back to 文化和旅游局 (L, R).
    routing = route(
        session=db_session, division_code="110106017", category_code="prepaid.fitness", kind="complaint"
    )
    assert routing.member_unit_org_id == orgs.culture.id
    assert any("按行业门类 R 匹配 → 丰台区文化和旅游局" in r for r in routing.reasons)


def test_district_only_goes_to_the_district_bureau(db_session: Session, orgs: Orgs) -> None:
    routing = route(
        session=db_session, division_code="110108", category_code="prepaid.catering", kind="complaint"
    )
    assert routing.station_org_id is None
    assert routing.handling_org_id == orgs.haidian.id
    assert routing.member_unit_org_id == orgs.haidian_commerce.id
    assert any("只能确定到区" in r for r in routing.reasons)


def test_a_street_without_station_goes_to_the_bureau(db_session: Session, orgs: Orgs) -> None:
    routing = route(session=db_session, division_code="110106001", category_code=None, kind="complaint")
    assert routing.station_org_id is None
    assert routing.handling_org_id == orgs.bureau.id
    assert routing.member_unit_org_id is None
    assert any("没有市场监管所登记管辖丰台区 右安门街道" in r for r in routing.reasons)
    assert any("尚未分类" in r for r in routing.reasons)


def test_unknown_place_routes_nowhere_with_a_reason(db_session: Session, orgs: Orgs) -> None:
    routing = route(session=db_session, division_code=None, category_code="online.coupon", kind="complaint")
    assert (routing.division_code, routing.district_code, routing.handling_org_id) == (None, None, None)
    assert "需人工确定管辖" in routing.reasons[0]
    outside = route(session=db_session, division_code="310115", category_code=None, kind="complaint")
    assert outside.handling_org_id is None
    assert "不属于北京市" in outside.reasons[0]


def test_long_division_codes_are_reduced_to_the_street(db_session: Session, orgs: Orgs) -> None:
    routing = route(
        session=db_session,
        division_code=None,
        entity_division_code="110106017003",
        category_code="x.y",
        kind="complaint",
    )
    assert routing.division_code == "110106017"
    assert routing.station_org_id == orgs.station.id
    assert any("分类代码 x.y 不在分类表中" in r for r in routing.reasons)


def test_inactive_organisations_are_ignored(db_session: Session, orgs: Orgs) -> None:
    orgs.station.is_active = False
    db_session.flush()
    routing = route(session=db_session, division_code="110106017", category_code=None, kind="complaint")
    assert routing.station_org_id is None
    assert routing.handling_org_id == orgs.bureau.id
