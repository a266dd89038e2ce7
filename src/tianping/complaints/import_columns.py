"""Columns of hotline exports (12345 / 12315): our fields, their default headers, the mapping file and
the template workbook.

A mapping file (YAML or JSON) maps our field keys to the headers of a particular export, e.g.
``{"external_id": "工单号", "text": "来电内容"}``; fields it does not name keep their default header.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from tianping.core.errors import FileRejected

__all__ = [
    "CHANNELS",
    "FIELD_HELP",
    "Column",
    "columns_for",
    "import_template",
    "parse_mapping",
    "resolve_columns",
]

CHANNELS = ("12345", "12315")


@dataclass(frozen=True)
class Column:
    key: str  # our field
    header: str  # default header of the export
    required: bool
    aliases: tuple[str, ...] = ()  # other headers seen in exports


FIELD_HELP: dict[str, str] = {
    "external_id": "来源系统的工单编号；同一渠道内唯一，重复导入时据此识别已登记的工单",
    "received_at": "日期时间，如 2025-06-01 09:30（北京时间）；也可写 2025/6/1 9:30 或 2025年6月1日 9:30",
    "kind": "投诉、举报、咨询、建议；“投诉举报”表示同时投诉和举报（拆分为两件，第七条）",
    "urgency": "一般、紧急、民生保障（水电气热）；留空为一般",
    "party_name": "来电人/投诉人姓名（个人信息，系统中脱敏显示）",
    "party_phone": "11 位手机号码或“区号-号码”固定电话",
    "party_id_number": "身份证号码（可留空）",
    "party_address": "投诉人通讯地址（可留空）",
    "location": "诉求发生地址，用于确定管辖（街道、区）",
    "business_name": "被反映（被投诉）经营者名称",
    "business_address": "被投诉人地址",
    "title": "诉求标题；留空时取内容的前 30 个字",
    "text": "诉求内容（必填）",
    "demand": "具体诉求，如“退还剩余预付款”",
    "amount": "涉及金额（元），最多两位小数",
    "order_no": "订单号",
    "platform_name": "涉及的电子商务平台名称",
    "occurred_on": "消费或知道权益受损的日期",
    "category": "问题分类：分类代码（如 prepaid.beauty）或分类路径（如 预付式消费/美容美发）；留空由系统分拣",
    "division_code": "行政区划代码（6 位区县或 9 位街道）",
    "anonymous": "是否匿名/保密：是、否",
}

_12345: tuple[Column, ...] = (
    Column("external_id", "工单编号", True, ("工单号", "工单编码")),
    Column("received_at", "来电时间", True, ("受理时间", "登记时间")),
    Column("kind", "诉求类型", True, ("诉求类别", "类型")),
    Column("urgency", "紧急程度", False, ("紧急程度（一般/紧急）",)),
    Column("party_name", "来电人", False, ("来电人姓名", "诉求人")),
    Column("party_phone", "联系电话", False, ("来电号码", "联系方式")),
    Column("party_address", "来电人地址", False),
    Column("location", "诉求地址", False, ("事发地址", "问题发生地")),
    Column("business_name", "被反映主体", False, ("被反映单位", "涉事主体")),
    Column("business_address", "主体地址", False),
    Column("title", "诉求标题", False, ("标题",)),
    Column("text", "诉求内容", True, ("来电内容", "内容")),
    Column("demand", "诉求", False, ("具体诉求",)),
    Column("amount", "涉及金额", False, ("金额",)),
    Column("order_no", "订单号", False),
    Column("platform_name", "平台名称", False),
    Column("occurred_on", "发生日期", False),
    Column("category", "问题分类", False),
    Column("division_code", "区划代码", False),
    Column("anonymous", "是否保密", False, ("是否匿名",)),
)

_12315: tuple[Column, ...] = (
    Column("external_id", "登记编号", True, ("投诉编号", "工单编号")),
    Column("received_at", "登记时间", True, ("投诉时间", "接收时间")),
    Column("kind", "类型", False, ("诉求类型",)),
    Column("party_name", "投诉人", True, ("投诉人姓名", "消费者")),
    Column("party_phone", "电话", True, ("投诉人电话", "联系电话")),
    Column("party_id_number", "证件号码", False, ("身份证号",)),
    Column("party_address", "投诉人地址", False, ("通讯地址",)),
    Column("business_name", "被投诉人", False, ("被投诉单位", "被投诉方")),
    Column("business_address", "被投诉人地址", False, ("被投诉单位地址",)),
    Column("location", "发生地址", False),
    Column("title", "标题", False),
    Column("text", "投诉内容", True, ("内容", "投诉举报内容")),
    Column("demand", "诉求", False, ("投诉请求",)),
    Column("amount", "涉及金额", False, ("金额",)),
    Column("order_no", "订单号", False),
    Column("platform_name", "平台名称", False, ("交易平台",)),
    Column("occurred_on", "消费日期", False, ("发生日期",)),
    Column("category", "问题分类", False),
    Column("division_code", "区划代码", False),
    Column("urgency", "紧急程度", False),
)

_COLUMNS: dict[str, tuple[Column, ...]] = {"12345": _12345, "12315": _12315}

_EXAMPLES: dict[str, dict[str, str]] = {
    "12345": {
        "external_id": "GD202506010001",
        "received_at": "2025-06-01 09:30",
        "kind": "投诉",
        "urgency": "一般",
        "party_name": "王某某",
        "party_phone": "13800001234",
        "location": "北京市丰台区卢沟桥街道示例路 1 号",
        "business_name": "示例美容美发店",
        "title": "美容卡退费难",
        "text": "在示例美容美发店办理预付卡 3000 元，门店停业后无法退费。",
        "demand": "退还剩余预付款",
        "amount": "2100.00",
    },
    "12315": {
        "external_id": "DJ202506010001",
        "received_at": "2025-06-01 10:00",
        "kind": "投诉",
        "party_name": "李某某",
        "party_phone": "13900005678",
        "party_address": "北京市海淀区中关村街道示例小区",
        "business_name": "示例健身有限公司",
        "business_address": "北京市海淀区中关村街道示例大厦",
        "text": "办理健身年卡后门店关闭，无法继续消费也无法退款。",
        "demand": "退还剩余卡内金额",
    },
}


def columns_for(channel: str) -> tuple[Column, ...]:
    if channel not in _COLUMNS:
        raise FileRejected(f"不支持的渠道：{channel}（可用：{'、'.join(CHANNELS)}）")
    return _COLUMNS[channel]


def _loose(header: str) -> str:
    """Header key: NFKC, lower case, no spaces or ``*`` markers, no parenthesised hint."""
    text = unicodedata.normalize("NFKC", header)
    text = re.split(r"[（(]", text, maxsplit=1)[0] if not text.startswith(("(", "（")) else text
    return re.sub(r"[\s*]+", "", text).lower()


def parse_mapping(data: bytes | str | Mapping[str, Any] | None, *, channel: str) -> dict[str, str]:
    """A mapping file (YAML or JSON object: our field → header in the file), validated."""
    if data is None:
        return {}
    value: Any = data
    if isinstance(data, bytes | str):
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        if not text.strip():
            return {}
        try:
            value = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError):
            raise FileRejected("列映射文件不是有效的 YAML 或 JSON") from None
    if not isinstance(value, Mapping):
        raise FileRejected("列映射文件应为“字段: 列名”的映射，如 external_id: 工单号")
    keys = {c.key for c in columns_for(channel)}
    unknown = [str(k) for k in value if k not in keys]
    if unknown:
        raise FileRejected(f"列映射中有未知字段：{'、'.join(unknown)}（可用：{'、'.join(sorted(keys))}）")
    bad = [str(k) for k, v in value.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise FileRejected(f"列映射的值应为文件中的列名（文字）：{'、'.join(bad)}")
    return {str(k): str(v) for k, v in value.items()}


def resolve_columns(
    headers: Sequence[str], channel: str, mapping: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Our field → column index. Missing required or duplicated columns reject the whole file."""
    mapping = mapping or {}
    loose = [_loose(h) for h in headers]
    columns: dict[str, int] = {}
    missing: list[str] = []
    for column in columns_for(channel):
        if column.key in mapping:
            names = {_loose(mapping[column.key])}
        else:
            names = {_loose(column.header), column.key, *(_loose(a) for a in column.aliases)}
        found = [i for i, h in enumerate(loose) if h in names]
        if len(found) > 1:
            raise FileRejected(f"文件中有重复的列：{headers[found[0]]}")
        if found:
            columns[column.key] = found[0]
        elif column.required:
            missing.append(mapping.get(column.key, column.header))
        elif column.key in mapping:
            raise FileRejected(f"列映射指定的列“{mapping[column.key]}”在文件中不存在")
    if missing:
        raise FileRejected(f"缺少必需的列：{'、'.join(missing)}")
    return columns


def import_template(channel: str) -> bytes:
    """An XLSX with the expected headers and an example row, and a sheet describing each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = columns_for(channel)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"{channel}工单"
    sheet.append([c.header + ("*" if c.required else "") for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    example = _EXAMPLES[channel]
    sheet.append([example.get(c.key, "") for c in columns])
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(
            12, len(column.header) * 3
        )
    notes = workbook.create_sheet("列说明")
    notes.append(["列名", "字段", "必填", "其他可识别的列名", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append(
            [
                column.header,
                column.key,
                "是" if column.required else "否",
                "、".join(column.aliases),
                FIELD_HELP.get(column.key, ""),
            ]
        )
    notes.append([])
    notes.append(
        ["列映射文件", "", "", "", '列名与上表不同时，用 YAML/JSON 指定“字段: 列名”，如 {"text": "来电内容"}']
    )
    notes.append(
        ["导入规则", "", "", "", "任一行有误则整个文件不写入，并给出逐行错误；重复导入同一文件不会重复登记"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
