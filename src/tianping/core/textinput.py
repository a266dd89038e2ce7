"""A base for input schemas: text may not carry control characters.

A NUL byte cannot be stored in a PostgreSQL text column, and other C0/C1 control characters in names,
addresses or free text only ever come from broken exports or attacks; such input is a user error (422
with the field named), never a database error.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BaseModel, field_validator

ALLOWED_CONTROLS = frozenset("\t\n\r")


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROLS for ch in text)


def _check(value: Any) -> None:
    if isinstance(value, str):
        if has_control_characters(value):
            raise ValueError("不能包含控制字符（如 NUL）")
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)


class TextInput(BaseModel):
    """Inherit instead of ``BaseModel`` for request bodies and queries."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        _check(value)
        return value
