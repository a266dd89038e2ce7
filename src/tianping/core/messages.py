"""Field-level Chinese messages for validation errors (pydantic and FastAPI request validation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MESSAGES: dict[str, str] = {
    "missing": "必填字段",
    "string_too_short": "长度不足：至少 {min_length} 个字符",
    "string_too_long": "过长：最多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为金额（数字）",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "datetime_parsing": "应为日期时间（ISO 8601）",
    "enum": "取值无效，可选：{expected}",
    "literal_error": "取值无效，可选：{expected}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "应大于 {gt}",
    "less_than": "应小于 {lt}",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "JSON 格式错误",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "string_pattern_mismatch": "格式不正确",
    "uuid_parsing": "应为 UUID",
}


def translate(errors: Sequence[Any]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form"):
            where = loc[0]
            loc = loc[1:]
        else:
            where = "body"
        field = ".".join(loc) or where
        etype = err.get("type", "")
        template = MESSAGES.get(etype)
        if template:
            try:
                message = template.format(**(err.get("ctx") or {}))
            except (KeyError, IndexError):
                message = template
        else:
            message = str(err.get("msg", "取值无效")).removeprefix("Value error, ")
        if etype == "value_error":
            message = str(err.get("msg", "")).removeprefix("Value error, ")
        out.append({"field": field, "in": where, "message": message})
    return out
