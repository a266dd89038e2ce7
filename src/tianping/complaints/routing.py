"""Routing: where a ticket belongs (jurisdiction → district → street → station) and which member
unit is competent for its category.

Jurisdiction follows the 市场监督管理投诉举报处理暂行办法: a complaint is handled where the business
operates (第十二条; for shops on a platform, their place of operation), so the linked registry
entity's division is preferred over the address in the text; a report is handled where the reported
act took place (第二十五条), so for reports the located address is preferred.

Stations are ``STATION`` organisations covering a street through their ``division_code`` or
``jurisdiction`` list; the member unit is the ``MEMBER_UNIT`` organisation of the district whose
name ends with the category's ``department`` (fallback: the unit whose industry sections overlap the
category's most). A category whose department is ``市场监督管理局`` is the bureau's own matter: no
member unit. The ticket is held by the station if one is found, else by the district bureau.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from tianping.core import divisions
from tianping.identity.models import Organization, OrgKind

from .models import TicketKind
from .taxonomy import BUREAU_DEPARTMENT, load_taxonomy

__all__ = ["Location", "Routing", "explain_location", "locate", "route"]

BEIJING_PREFIX = "11"
_STREET_SUFFIXES = ("满族乡", "回族乡", "民族乡", "街道", "地区", "镇", "乡")
_MIN_SHORT = 3
"""A street's name without its suffix (``卢沟桥``) counts only if at least this long, or if the
district is named too: two-character short names (``新村``, ``方庄``) are too common in free text."""


@dataclass(frozen=True)
class Routing:
    division_code: str | None
    district_code: str | None
    station_org_id: int | None
    member_unit_org_id: int | None
    handling_org_id: int | None
    reasons: tuple[str, ...]  # zh-CN


@dataclass(frozen=True)
class Location:
    code: str  # 9-digit street or 6-digit district code
    matched: str  # the words found in the text, e.g. "丰台区 卢沟桥街道"


@dataclass(frozen=True)
class _Name:
    text: str
    code: str
    district: str
    is_street: bool
    short: bool  # a name without its 区/街道/镇/乡/地区 suffix


def _short(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


@cache
def _names() -> tuple[_Name, ...]:
    result: list[_Name] = []
    for district in divisions.districts():
        result.append(_Name(district.name, district.code, district.code, False, False))
        short = _short(district.name, ("区", "县"))
        if short:
            result.append(_Name(short, district.code, district.code, False, True))
        for street in divisions.streets(district.code):
            result.append(_Name(street.name, street.code, district.code, True, False))
            short = _short(street.name, _STREET_SUFFIXES)
            if short:
                result.append(_Name(short, street.code, district.code, True, True))
    # Longest first, so that a full name wins over the short name it contains.
    return tuple(sorted(result, key=lambda n: -len(n.text)))


@cache
def _by_first_character() -> dict[str, tuple[tuple[int, _Name], ...]]:
    index: dict[str, list[tuple[int, _Name]]] = {}
    for rank, name in enumerate(_names()):
        index.setdefault(name.text[0], []).append((rank, name))
    return {ch: tuple(items) for ch, items in index.items()}


def _find(text: str) -> list[tuple[int, _Name]]:
    """Non-overlapping mentions, longest names first (a short name inside a full one is not counted).

    One pass over the text finds every candidate (names indexed by their first character); they are
    then claimed longest first.
    """
    index = _by_first_character()
    candidates: list[tuple[int, int, _Name]] = []  # (rank, start, name); rank orders longest first
    for start, ch in enumerate(text):
        for rank, name in index.get(ch, ()):
            if text.startswith(name.text, start):
                candidates.append((rank, start, name))
    candidates.sort(key=lambda c: (c[0], c[1]))
    taken = [False] * len(text)
    spans: set[tuple[int, int]] = set()
    found: list[tuple[int, _Name]] = []
    for _, start, name in candidates:
        end = start + len(name.text)
        # The same words may name places in several districts (八里庄街道): keep them all.
        if (start, end) in spans or not any(taken[start:end]):
            found.append((start, name))
            spans.add((start, end))
            for i in range(start, end):
                taken[i] = True
    return sorted(found, key=lambda item: item[0])


def explain_location(text: str | None) -> Location | None:
    """The most precise Beijing division named in ``text``, with the words that named it.

    A street named in full (``卢沟桥街道``) or by a short name of at least three characters
    (``卢沟桥``) locates the street; a two-character short name counts only next to its district. If
    a district is named, streets of other districts are ignored; a street name shared by several
    districts (``八里庄街道``) without its district gives no street. Without a street, a named
    district is returned.
    """
    if not text:
        return None
    mentions = _find(text)
    named_districts = [n for _, n in mentions if not n.is_street]
    district_codes = {n.code for n in named_districts}
    district_at = {at for at, n in mentions if not n.is_street}
    # Words that name a district are not also a street (丰台 is 丰台区, not 丰台街道).
    streets = [n for at, n in mentions if n.is_street and at not in district_at]
    candidates = [
        s for s in streets if not s.short or len(s.text) >= _MIN_SHORT or s.district in district_codes
    ]
    if district_codes:
        inside = [s for s in candidates if s.district in district_codes]
        candidates = inside
    best: _Name | None = None
    if candidates:
        longest = max(len(s.text) for s in candidates)
        top = [s for s in candidates if len(s.text) == longest]
        # The same words naming streets in several districts: ambiguous without the district.
        if len({s.code for s in top}) == 1:
            best = top[0]
    if best is not None:
        district = next((d for d in named_districts if d.code == best.district), None)
        matched = f"{district.text} {best.text}" if district else best.text
        return Location(code=best.code, matched=matched)
    if len(district_codes) == 1:
        return Location(code=named_districts[0].code, matched=named_districts[0].text)
    return None


def locate(text: str) -> str | None:
    """Division code (street 9 digits, else district 6) of the Beijing place named in ``text``."""
    found = explain_location(text)
    return found.code if found else None


def _normalise(code: str | None) -> str | None:
    """A Beijing street (9) or district (6) code from any division code, else ``None``."""
    if not code:
        return None
    code = code.strip()
    if not code.startswith(BEIJING_PREFIX) or not code.isdigit():
        return None
    if len(code) >= 9:
        street = divisions.lookup(code[:9])
        if street is not None and street.level == "street":
            return street.code
    district = divisions.district(code[:6])
    return district.code if district is not None else None


def _place(code: str) -> str:
    if len(code) == 9:
        parent = divisions.parent_district(code)
        name = divisions.name_of(code) or code
        return f"{parent.name} {name}" if parent else name
    return divisions.name_of(code) or code


def _jurisdiction(
    kind: str, division_code: str | None, entity_division_code: str | None, reasons: list[str]
) -> str | None:
    entity_code, located = _normalise(entity_division_code), _normalise(division_code)
    if kind == TicketKind.REPORT.value:
        order = [(located, "被举报行为发生地"), (entity_code, "被举报经营者所在地")]
        basis = "市场监督管理投诉举报处理暂行办法 第二十五条"
    else:
        order = [(entity_code, "被投诉经营者实际经营地（登记信息）"), (located, "投诉所述地址")]
        basis = "市场监督管理投诉举报处理暂行办法 第十二条"
    for code, what in order:
        if code is not None:
            reasons.append(f"属地：{what} → {_place(code)}（{basis}）")
            return code
    if entity_division_code or division_code:
        reasons.append("属地：给出的区划代码不属于北京市，无法确定本市管辖")
    else:
        reasons.append("属地：地址中没有可识别的北京市区或街道名称，需人工确定管辖")
    return None


def _station(orgs: list[Organization], code: str) -> Organization | None:
    if len(code) != 9:
        return None
    covering = [
        o
        for o in orgs
        if o.kind == OrgKind.STATION.value and (o.division_code == code or code in (o.jurisdiction or []))
    ]
    return min(covering, key=lambda o: o.id) if covering else None


def _member_unit(
    orgs: list[Organization], category_code: str | None, reasons: list[str]
) -> Organization | None:
    if not category_code:
        reasons.append("成员单位：尚未分类，暂不确定主管部门")
        return None
    category = load_taxonomy().find(category_code)
    if category is None:
        reasons.append(f"成员单位：分类代码 {category_code} 不在分类表中，暂不确定主管部门")
        return None
    if category.department == BUREAU_DEPARTMENT:
        reasons.append(f"成员单位：“{category.path}”由市场监管部门直接处理，不派成员单位")
        return None
    units = sorted((o for o in orgs if o.kind == OrgKind.MEMBER_UNIT.value), key=lambda o: o.id)
    by_name = [o for o in units if o.name.endswith(category.department)]
    if by_name:
        unit = by_name[0]
        reasons.append(f"成员单位：分类“{category.path}”的主管部门为{category.department} → {unit.name}")
        return unit
    wanted = set(category.industry_sections)
    scored = [(len(wanted & set(o.industry_sections or [])), o) for o in units]
    scored = [(score, o) for score, o in scored if score > 0]
    if scored:
        best = max(score for score, _ in scored)
        unit = next(o for score, o in scored if score == best)
        shared = "、".join(sorted(wanted & set(unit.industry_sections or [])))
        reasons.append(f"成员单位：本区没有{category.department}，按行业门类 {shared} 匹配 → {unit.name}")
        return unit
    reasons.append(f"成员单位：本区没有{category.department}，也没有行业门类相符的成员单位")
    return None


def route(
    *,
    session: Session,
    division_code: str | None,
    category_code: str | None,
    kind: str,
    entity_division_code: str | None = None,
    located_from: str | None = None,
) -> Routing:
    """Where the ticket goes, with zh-CN reasons. ``located_from`` (the words :func:`explain_location`
    matched) is quoted in the reasons when given."""
    reasons: list[str] = []
    if located_from and division_code:
        reasons.append(f"地址含“{located_from}”")
    code = _jurisdiction(kind, division_code, entity_division_code, reasons)
    if code is None:
        return Routing(None, None, None, None, None, tuple(reasons))
    district_code = code[:6]
    orgs = list(
        session.scalars(
            select(Organization).where(
                Organization.is_active.is_(True),
                Organization.kind.in_(
                    [OrgKind.STATION.value, OrgKind.MEMBER_UNIT.value, OrgKind.DISTRICT_BUREAU.value]
                ),
                Organization.division_code.startswith(district_code, autoescape=True),
            )
        )
    )
    station = _station(orgs, code)
    if station is not None:
        reasons.append(f"所站：{_place(code)} → {station.name}")
    elif len(code) == 9:
        reasons.append(f"所站：没有市场监管所登记管辖{_place(code)}")
    else:
        reasons.append("所站：只能确定到区，由区市场监管局分派到所")
    bureau = next(
        (o for o in sorted(orgs, key=lambda o: o.id) if o.kind == OrgKind.DISTRICT_BUREAU.value),
        None,
    )
    unit = _member_unit(orgs, category_code, reasons)
    handling = station or bureau
    if handling is not None:
        reasons.append(f"承办：{handling.name}")
    else:
        reasons.append(f"承办：{_place(district_code)}没有登记的市场监管局或所，需人工分派")
    return Routing(
        division_code=code,
        district_code=district_code,
        station_org_id=station.id if station else None,
        member_unit_org_id=unit.id if unit else None,
        handling_org_id=handling.id if handling else None,
        reasons=tuple(reasons),
    )
