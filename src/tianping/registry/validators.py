"""Field rules of a market entity, shared by the API schemas and the importer.

Every ``clean_*`` / ``parse_*`` function takes what a user typed and returns the stored form, or raises
``ValueError`` with a zh-CN message that can be shown as is (next to a form field, in an API 422, or in
an import's per-row error table).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

from tianping.core import divisions
from tianping.core.validation import (
    is_valid_id_card,
    is_valid_mobile,
    is_valid_uscc,
    normalize_id_card,
    normalize_mobile,
    normalize_uscc,
)
from tianping.registry.models import (
    ENTITY_KIND_LABELS,
    ENTITY_STATUS_LABELS,
    INDUSTRY_SECTIONS,
    AliasKind,
    EntityKind,
    EntityStatus,
)

__all__ = [
    "MAX_TAGS",
    "clean_division_code",
    "clean_external_id",
    "clean_id_card",
    "clean_name",
    "clean_phone",
    "clean_section",
    "clean_tags",
    "clean_uscc",
    "district_of",
    "parse_alias",
    "parse_date",
    "parse_kind",
    "parse_status",
]

MAX_TAGS = 20


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _key(value: str) -> str:
    """Loose key for label matching: NFKC, lower case, no spaces or brackets."""
    return re.sub(r"[\s()（）/_\-]+", "", _nfkc(value).lower())


_KIND_WORDS: dict[str, EntityKind] = {}
for _kind, _label in ENTITY_KIND_LABELS.items():
    _KIND_WORDS[_key(_kind.value)] = _kind
    _KIND_WORDS[_key(_label)] = _kind
for _word, _kind in {
    "公司": EntityKind.ENTERPRISE,
    "个体户": EntityKind.INDIVIDUAL_BUSINESS,
    "平台企业": EntityKind.PLATFORM,
    "电商平台": EntityKind.PLATFORM,
    "网店": EntityKind.PLATFORM_SHOP,
    "店铺": EntityKind.PLATFORM_SHOP,
    "直播间": EntityKind.LIVESTREAM,
    "主播": EntityKind.LIVESTREAM,
    "市场": EntityKind.MARKET,
    "批发市场": EntityKind.MARKET,
    "预付式": EntityKind.PREPAID_BUSINESS,
}.items():
    _KIND_WORDS[_key(_word)] = _kind

_STATUS_WORDS: dict[str, EntityStatus] = {}
for _status, _label in ENTITY_STATUS_LABELS.items():
    _STATUS_WORDS[_key(_status.value)] = _status
    _STATUS_WORDS[_key(_label)] = _status
for _word, _status in {
    "存续": EntityStatus.ACTIVE,
    "在业": EntityStatus.ACTIVE,
    "开业": EntityStatus.ACTIVE,
    "正常": EntityStatus.ACTIVE,
    "歇业": EntityStatus.SUSPENDED,
    "已注销": EntityStatus.DEREGISTERED,
    "已吊销": EntityStatus.REVOKED,
    "吊销未注销": EntityStatus.REVOKED,
}.items():
    _STATUS_WORDS[_key(_word)] = _status

_SECTION_BY_NAME = {_key(name): letter for letter, name in INDUSTRY_SECTIONS.items()}

_ALIAS_PREFIXES: dict[str, AliasKind] = {
    "品牌": AliasKind.BRAND,
    "品牌名": AliasKind.BRAND,
    "简称": AliasKind.SHORT,
    "曾用名": AliasKind.FORMER,
}
for _alias_kind, _label in {
    AliasKind.BRAND: "品牌名",
    AliasKind.SHORT: "简称",
    AliasKind.FORMER: "曾用名",
}.items():
    _ALIAS_PREFIXES[_alias_kind.value] = _alias_kind

_LANDLINE_RE = re.compile(r"\(?(0\d{2,3})\)?[\s\-]?([2-9]\d{6,7})(?:(?:转|-|#|ext\.?)(\d{1,6}))?", re.ASCII)
_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SECTION_RE = re.compile(r"([A-Za-z])(?:[\s.、:\-]*(.+))?")
_ALIAS_SEP_RE = re.compile(r"[:：]")


def clean_name(value: str) -> str:
    name = re.sub(r"\s+", " ", value).strip()
    if not name:
        raise ValueError("名称不能为空")
    if len(name) > 200:
        raise ValueError("名称不能超过 200 个字")
    return name


def clean_uscc(value: str) -> str:
    code = normalize_uscc(value)
    if len(code) != 18:
        raise ValueError(f"统一社会信用代码应为 18 位（当前 {len(code)} 位）")
    if not is_valid_uscc(code):
        raise ValueError("统一社会信用代码无效：校验位不符或含有不允许的字符")
    return code


def clean_external_id(value: str) -> str:
    ext = _nfkc(value)
    if not ext:
        raise ValueError("外部编号不能为空")
    if len(ext) > 100:
        raise ValueError("外部编号不能超过 100 个字符")
    return ext


def clean_division_code(value: str) -> str:
    code = _nfkc(value)
    division = divisions.lookup(code)
    if division is None:
        raise ValueError(f"区划代码无效：{code}（应为 6 位区县代码或 9 位街道乡镇代码）")
    if division.level not in ("district", "street"):
        raise ValueError(f"区划代码 {code}（{division.name}）不是区县或街道乡镇级代码")
    return code


@lru_cache(maxsize=4096)
def district_of(division_code: str | None) -> str | None:
    """The 6-digit district of a (validated) district or street code."""
    if not division_code:
        return None
    if len(division_code) == 9:
        parent = divisions.parent_district(division_code)
        return parent.code if parent else division_code[:6]
    return division_code


def clean_section(value: str) -> str:
    """A GB/T 4754 section letter from ``"F"``, ``"f"``, ``"F 批发和零售业"`` or ``"批发和零售业"``."""
    text = _nfkc(value)
    match = _SECTION_RE.fullmatch(text)
    if match and match.group(1).upper() in INDUSTRY_SECTIONS:
        letter = match.group(1).upper()
        if not match.group(2) or _key(match.group(2)) == _key(INDUSTRY_SECTIONS[letter]):
            return letter
    by_name = _SECTION_BY_NAME.get(_key(text))
    if by_name:
        return by_name
    raise ValueError(f"行业门类无效：{text}（应为 A–T 的门类字母或门类名称，如 F 或“批发和零售业”）")


def parse_kind(value: str) -> EntityKind:
    kind = _KIND_WORDS.get(_key(value))
    if kind is None:
        allowed = "、".join(ENTITY_KIND_LABELS.values())
        raise ValueError(f"未知的主体类型：{value.strip()}（可填：{allowed}）")
    return kind


def parse_status(value: str) -> EntityStatus:
    status = _STATUS_WORDS.get(_key(value))
    if status is None:
        raise ValueError(f"未知的经营状态：{value.strip()}（可填：存续、在业、停业、注销、吊销）")
    return status


def parse_date(value: str | date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _nfkc(value)
    match = _DATE_RE.fullmatch(text) or _COMPACT_DATE_RE.fullmatch(text)
    if match is None and len(text) >= 19 and text[10] in " T":  # an ISO timestamp from a spreadsheet
        match = _DATE_RE.fullmatch(text[:10])
    if match is None:
        raise ValueError(f"日期格式不正确：{text}（应为 YYYY-MM-DD，如 2020-05-18）")
    try:
        parsed = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError(f"日期不存在：{text}") from None
    if parsed.year < 1900 or parsed.year > 2100:
        raise ValueError(f"日期超出合理范围：{text}")
    return parsed


def clean_phone(value: str) -> str:
    """A mobile number as 11 digits, or a landline as ``010-12345678`` (with ``-分机`` if given)."""
    text = _nfkc(value)
    if is_valid_mobile(text):
        return normalize_mobile(text)
    match = _LANDLINE_RE.fullmatch(text.replace("（", "(").replace("）", ")"))
    if match:
        area, local, ext = match.groups()
        return f"{area}-{local}" + (f"-{ext}" if ext else "")
    raise ValueError(f"联系电话格式不正确：{text}（应为 11 位手机号或带区号的固定电话）")


def clean_id_card(value: str) -> str:
    no = normalize_id_card(value)
    if not is_valid_id_card(no):
        raise ValueError("经营者身份证号无效：应为 18 位，出生日期和校验位须正确")
    return no


def clean_tags(values: list[str]) -> list[str]:
    tags: list[str] = []
    for raw in values:
        tag = _nfkc(raw)
        if not tag:
            continue
        if len(tag) > 32:
            raise ValueError(f"标签不能超过 32 个字：{tag}")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"标签最多 {MAX_TAGS} 个")
    return tags


def parse_alias(text: str) -> tuple[str, AliasKind]:
    """``"示例外卖"`` → brand; ``"简称:示例"`` / ``"曾用名：某某"`` name the alias kind explicitly."""
    value = text.strip()
    parts = _ALIAS_SEP_RE.split(value, maxsplit=1)
    kind = AliasKind.BRAND
    if len(parts) == 2 and _nfkc(parts[0]).lower() in _ALIAS_PREFIXES:
        kind = _ALIAS_PREFIXES[_nfkc(parts[0]).lower()]
        value = parts[1].strip()
    if not value:
        raise ValueError("别名不能为空")
    if len(value) > 200:
        raise ValueError("别名不能超过 200 个字")
    return value, kind
