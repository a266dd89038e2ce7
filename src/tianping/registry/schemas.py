"""Pydantic models of the registry: what comes in (create, update, query) and what goes out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tianping.core.textinput import TextInput
from tianping.registry import validators as rules
from tianping.registry.models import ON_PLATFORM_KINDS, AliasKind, EntityKind, EntityStatus

__all__ = [
    "MAX_ID",
    "AliasIn",
    "AliasOut",
    "EntityIn",
    "EntityOut",
    "EntityPage",
    "EntityQuery",
    "EntityUpdate",
    "ImportReport",
]

T = TypeVar("T")

MAX_ID = 2_147_483_647  # ids are 32-bit integers on every backend


def _apply(rule: Callable[[Any], T], value: Any) -> T:
    try:
        return rule(value)
    except ValueError as exc:
        raise PydanticCustomError("value_error", str(exc)) from None


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class AliasIn(TextInput):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    alias: str = Field(min_length=1, max_length=200, description="别名")
    kind: AliasKind = Field(default=AliasKind.BRAND, description="brand 品牌名 / short 简称 / former 曾用名")


class _EntityFields(TextInput):
    """Field rules shared by create and update."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    @field_validator(
        "uscc",
        "external_id",
        "registered_address",
        "division_code",
        "industry_section",
        "legal_representative",
        "contact_phone",
        "operator_id_card",
        "established_on",
        mode="before",
        check_fields=False,
    )
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("name", check_fields=False)
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else _apply(rules.clean_name, value)

    @field_validator("uscc", check_fields=False)
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        return None if value is None else _apply(rules.clean_uscc, value)

    @field_validator("external_id", check_fields=False)
    @classmethod
    def _external_id(cls, value: str | None) -> str | None:
        return None if value is None else _apply(rules.clean_external_id, value)

    @field_validator("division_code", check_fields=False)
    @classmethod
    def _division(cls, value: str | None) -> str | None:
        return None if value is None else _apply(rules.clean_division_code, value)

    @field_validator("industry_section", check_fields=False)
    @classmethod
    def _section(cls, value: str | None) -> str | None:
        return None if value is None else _apply(rules.clean_section, value)

    @field_validator("contact_phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else _apply(rules.clean_phone, value)

    @field_validator("operator_id_card", check_fields=False)
    @classmethod
    def _id_card(cls, value: str | None) -> str | None:
        return None if value is None else _apply(rules.clean_id_card, value)

    @field_validator("tags", check_fields=False)
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _apply(rules.clean_tags, value)


class EntityIn(_EntityFields):
    """A new market entity."""

    kind: EntityKind = Field(description="主体类型")
    name: str = Field(min_length=1, max_length=200, description="名称")
    uscc: str | None = Field(default=None, description="统一社会信用代码（18 位，含校验位）")
    external_id: str | None = Field(default=None, max_length=100, description="来源系统中的编号")
    platform_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="所属平台的主体 ID（平台内经营者、直播间必填）"
    )
    registered_address: str | None = Field(default=None, max_length=300, description="注册地址")
    division_code: str | None = Field(default=None, description="区划代码：6 位区县或 9 位街道乡镇")
    industry_section: str | None = Field(default=None, description="GB/T 4754-2017 行业门类字母 A–T")
    status: EntityStatus = Field(default=EntityStatus.ACTIVE, description="经营状态")
    established_on: date | None = Field(default=None, description="成立日期")
    legal_representative: str | None = Field(
        default=None, max_length=100, description="法定代表人/经营者姓名"
    )
    contact_phone: str | None = Field(default=None, max_length=32, description="联系电话")
    operator_id_card: str | None = Field(default=None, description="经营者身份证号（仅个体工商户）")
    tags: list[str] = Field(default_factory=list, max_length=50, description="标签")
    aliases: list[AliasIn] = Field(default_factory=list, max_length=50, description="别名")

    @model_validator(mode="after")
    def _kind_rules(self) -> EntityIn:
        if self.kind in ON_PLATFORM_KINDS and self.platform_id is None:
            raise PydanticCustomError("platform_required", "平台内经营者和直播间/主播必须填写所属平台")
        if self.kind not in ON_PLATFORM_KINDS and self.platform_id is not None:
            raise PydanticCustomError("platform_forbidden", "仅平台内经营者和直播间/主播可以填写所属平台")
        if self.operator_id_card and self.kind != EntityKind.INDIVIDUAL_BUSINESS:
            raise PydanticCustomError("id_card_forbidden", "仅个体工商户可以登记经营者身份证号")
        return self


class EntityUpdate(_EntityFields):
    """A partial change: only the fields sent are changed; ``null`` clears an optional field.

    ``aliases``, when sent, replaces the entity's whole alias list.
    """

    kind: EntityKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    uscc: str | None = None
    external_id: str | None = Field(default=None, max_length=100)
    platform_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    registered_address: str | None = Field(default=None, max_length=300)
    division_code: str | None = None
    industry_section: str | None = None
    status: EntityStatus | None = None
    established_on: date | None = None
    legal_representative: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=32)
    operator_id_card: str | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    aliases: list[AliasIn] | None = Field(default=None, max_length=50)

    @field_validator("kind", "name", "status", "tags", "aliases", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("not_null", "不能清空此字段")
        return value


class AliasOut(BaseModel):
    id: int
    alias: str
    kind: AliasKind
    kind_label: str


class EntityOut(BaseModel):
    """An entity as shown: personal data masked unless ``pii_masked`` is false (an audited reveal)."""

    id: int
    kind: EntityKind
    kind_label: str
    name: str
    uscc: str | None
    external_id: str | None
    platform_id: int | None
    platform_name: str | None
    registered_address: str | None
    division_code: str | None
    division_name: str | None
    district_code: str | None
    district_name: str | None
    industry_section: str | None
    industry_name: str | None
    status: EntityStatus
    status_label: str
    established_on: date | None
    legal_representative: str | None
    contact_phone: str | None
    operator_id_card: str | None
    tags: list[str]
    aliases: list[AliasOut]
    pii_masked: bool
    created_at: datetime
    updated_at: datetime
    score: float | None = Field(default=None, description="名称检索的匹配度（0–100），仅检索时给出")
    matched: str | None = Field(default=None, description="与检索词最接近的名称或别名")


class EntityPage(BaseModel):
    items: list[EntityOut]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


class EntityQuery(TextInput):
    """List/search parameters; ``q`` switches from the filtered list to the fuzzy name search."""

    model_config = ConfigDict(str_strip_whitespace=True)

    q: str | None = Field(default=None, max_length=100, description="名称、别名、统一社会信用代码或外部编号")
    kind: EntityKind | None = None
    district: str | None = Field(
        default=None, pattern=r"^\d{6}(\d{3})?$", description="6 位区县或 9 位街道代码"
    )
    industry: str | None = Field(default=None, pattern=r"^[A-Ta-t]$", description="行业门类字母")
    platform_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: EntityStatus | None = None
    tag: str | None = Field(default=None, max_length=32)
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=20, ge=1, le=200)

    @field_validator("q", "district", "industry", "tag", "kind", "status", "platform_id", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("industry")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @property
    def has_filters(self) -> bool:
        return any(
            v is not None
            for v in (self.kind, self.district, self.industry, self.platform_id, self.status, self.tag)
        )


class ImportReport(BaseModel):
    """Outcome of an import (or of a dry run, which writes nothing)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    total: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else 0.0
