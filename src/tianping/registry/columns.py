"""The import column template: field keys, their default Chinese headers, and header matching."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from tianping.core.errors import FileRejected
from tianping.registry.models import ENTITY_KIND_LABELS, ENTITY_STATUS_LABELS, INDUSTRY_SECTIONS

__all__ = [
    "FIELDS",
    "REQUIRED_FIELDS",
    "example_row",
    "parse_mapping",
    "parse_mapping_json",
    "resolve_columns",
    "template_notes",
]

# Field key -> default header of the template (the order is the template's column order).
FIELDS: dict[str, str] = {
    "name": "名称",
    "kind": "类型",
    "uscc": "统一社会信用代码",
    "external_id": "外部编号",
    "platform": "所属平台（统一社会信用代码或外部编号）",
    "registered_address": "注册地址",
    "division_code": "区划代码",
    "industry_section": "行业门类",
    "status": "状态",
    "established_on": "成立日期",
    "legal_representative": "法定代表人",
    "contact_phone": "联系电话",
    "operator_id_card": "经营者身份证号",
    "aliases": "别名（以；分隔）",
    "tags": "标签（以；分隔）",
}
REQUIRED_FIELDS = ("name", "kind")
KEY_FIELDS = ("uscc", "external_id")


def _loose(header: str) -> str:
    """Header key: NFKC, lower case, without spaces and required-markers (``*``)."""
    return re.sub(r"[\s*]+", "", unicodedata.normalize("NFKC", header)).lower()


def _short(header: str) -> str:
    """The header without its parenthesised hint: ``别名（以；分隔）`` → ``别名``."""
    return _loose(re.split(r"[（(]", header, maxsplit=1)[0])


def parse_mapping_json(text: str | None) -> dict[str, str] | None:
    """A column mapping typed or uploaded as JSON text; ``None`` when blank."""
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise FileRejected('列映射不是有效的 JSON，应形如 {"name": "企业名称"}') from None
    return parse_mapping(value) or None


def parse_mapping(mapping: Any) -> dict[str, str]:
    """Validate a column mapping ``{"name": "企业名称", ...}`` (field key -> header in the file)."""
    if not mapping:
        return {}
    if not isinstance(mapping, Mapping):
        raise FileRejected('列映射应为 JSON 对象，如 {"name": "企业名称"}')
    unknown = [k for k in mapping if k not in FIELDS]
    if unknown:
        raise FileRejected(f"列映射中有未知字段：{'、'.join(map(str, unknown))}（可用：{'、'.join(FIELDS)}）")
    bad = [k for k, v in mapping.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise FileRejected(f"列映射的值应为文件中的列名（文字）：{'、'.join(bad)}")
    return {k: str(v) for k, v in mapping.items()}


def resolve_columns(headers: Sequence[str], mapping: Mapping[str, str] | None = None) -> dict[str, int]:
    """Field key -> column index. Raises :class:`FileRejected` naming missing or ambiguous columns."""
    mapping = parse_mapping(mapping)
    loose = [_loose(h) for h in headers]
    columns: dict[str, int] = {}
    for key, default in FIELDS.items():
        if key in mapping:
            wanted = _loose(mapping[key])
            found = [i for i, h in enumerate(loose) if h == wanted]
            if not found:
                raise FileRejected(f"列映射指定的列“{mapping[key]}”在文件中不存在")
        else:
            names = {_loose(default), _short(default), key}
            found = [i for i, h in enumerate(loose) if h in names]
        if len(found) > 1:
            raise FileRejected(f"文件中有重复的列：{headers[found[0]]}")
        if found:
            columns[key] = found[0]
    missing = [mapping.get(k, FIELDS[k]) for k in REQUIRED_FIELDS if k not in columns]
    if not any(k in columns for k in KEY_FIELDS):
        missing.append(f"{FIELDS['uscc']}或{FIELDS['external_id']}（至少一列）")
    if missing:
        raise FileRejected(f"缺少必需的列：{'、'.join(missing)}")
    return columns


def example_row(uscc: str) -> list[str]:
    """A fictitious example row, in template column order."""
    return [
        "京西示范美容美发店",
        "个体工商户",
        uscc,
        "DEMO-0001",
        "",
        "北京市海淀区示范路 1 号",
        "110108",
        "O",
        "存续",
        "2020-05-18",
        "张示范",
        "13800000000",
        "",
        "京西示范；简称:示范美发",
        "美容美发；预付式",
    ]


def template_notes() -> list[list[str]]:
    """The template's second sheet: what every column accepts."""
    notes = [["列名", "是否必填", "说明"]]
    explain = {
        "name": ("是", "经营主体名称"),
        "kind": ("是", "可填：" + "、".join(ENTITY_KIND_LABELS.values()) + "（或英文代码）"),
        "uscc": ("与外部编号至少填一项", "18 位，含校验位；已存在的代码将更新该主体"),
        "external_id": ("与统一社会信用代码至少填一项", "来源系统中的编号；无信用代码时按此匹配已有主体"),
        "platform": (
            "平台内经营者、直播间必填",
            "所属平台的统一社会信用代码或外部编号（可为同一文件中的平台）",
        ),
        "registered_address": ("否", "注册地址"),
        "division_code": ("否", "6 位区县代码或 9 位街道乡镇代码，如 110108（海淀区）"),
        "industry_section": (
            "否",
            "行业门类字母或名称：" + "、".join(f"{k} {v}" for k, v in INDUSTRY_SECTIONS.items()),
        ),
        "status": ("否", "可填：" + "、".join(ENTITY_STATUS_LABELS.values()) + "；默认存续"),
        "established_on": ("否", "日期，如 2020-05-18"),
        "legal_representative": ("否", "法定代表人或经营者姓名（个人信息，显示时脱敏）"),
        "contact_phone": ("否", "11 位手机号或带区号的固定电话（个人信息，显示时脱敏）"),
        "operator_id_card": ("否", "仅个体工商户填写（个人信息，显示时脱敏）"),
        "aliases": ("否", "多个以“；”分隔；可加前缀“品牌名:”“简称:”“曾用名:”，默认为品牌名"),
        "tags": ("否", "多个以“；”分隔，如 美容美发；预付式"),
    }
    for key, header in FIELDS.items():
        required, text = explain[key]
        notes.append([header, required, text])
    notes.append(
        [
            "",
            "",
            "再次导入同一文件不会产生重复：按统一社会信用代码（其次外部编号）匹配已有主体，空单元格不会清空已有信息。",
        ]
    )
    return notes
