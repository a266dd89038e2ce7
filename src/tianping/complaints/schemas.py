"""Pydantic models of tickets: what comes in (intake, queries) and what goes out (masked by role)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tianping.core.db import MAX_ID
from tianping.core.textinput import TextInput
from tianping.core.timeutil import utcnow
from tianping.core.validation import (
    is_valid_division_code,
    is_valid_id_card,
    is_valid_mobile,
    normalize_id_card,
    normalize_mobile,
)

from .models import Channel, Outcome

__all__ = [
    "KIND_CHOICES",
    "AssignIn",
    "BulkIn",
    "BulkItemResult",
    "BulkResult",
    "BusinessIn",
    "CategoryIn",
    "CloseIn",
    "EventOut",
    "FiledOut",
    "NoteIn",
    "PartyIn",
    "PartyOut",
    "PauseIn",
    "ReasonIn",
    "RejectIn",
    "ResumeIn",
    "TicketIn",
    "TicketOut",
    "TicketPage",
    "TicketQuery",
    "TransferIn",
    "clean_phone",
]

KindIn = Literal["complaint", "report", "consultation", "suggestion", "both"]
KIND_CHOICES: tuple[str, ...] = ("complaint", "report", "consultation", "suggestion", "both")
Queue = Literal["review", "unresolved", "overdue", "due_soon"]

_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?")
_URGENCY = re.compile(r"[a-z_]{1,16}")
_CATEGORY = re.compile(r"[a-z0-9_.\-]{1,64}")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# A clock skew allowance: a hotline system's clock may run a few minutes ahead of ours.
_FUTURE_SLACK = timedelta(minutes=10)
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _err(message: str) -> PydanticCustomError:
    return PydanticCustomError("value_error", message)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def clean_phone(value: str) -> str:
    """A mobile number (11 digits, normalised) or a landline (区号-号码); ValueError otherwise."""
    text = value.strip().replace(" ", "").replace("—", "-").replace("－", "-")
    if is_valid_mobile(text):
        return normalize_mobile(text)
    if _LANDLINE.fullmatch(text):
        return text
    raise ValueError("联系电话格式不正确：应为 11 位手机号码或“区号-号码”形式的固定电话")


class PartyIn(TextInput):
    """A complainant or reporter (personal data: stored once, shown masked)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="姓名")
    phone: str = Field(min_length=1, max_length=32, description="联系电话")
    id_number: str | None = Field(default=None, max_length=32, description="身份证号码")
    address: str | None = Field(default=None, max_length=300, description="联系地址")

    @field_validator("id_number", "address", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        try:
            return clean_phone(value)
        except ValueError as exc:
            raise _err(str(exc)) from None

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not is_valid_id_card(value):
            raise _err("身份证号码不正确：应为 18 位，末位校验码须正确")
        return normalize_id_card(value)


class TicketIn(TextInput):
    """One submission: a complaint, report, consultation or suggestion, from any channel."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    channel: Channel = Field(description="来源渠道")
    external_id: str | None = Field(default=None, max_length=64, description="来源系统工单号（幂等键）")
    kind: KindIn = Field(default="complaint", description="类型：投诉/举报/咨询/建议；both = 既投诉又举报")
    also_report: bool = Field(default=False, description="同时举报（拆分为投诉、举报两件，第七条）")
    received_at: datetime | None = Field(default=None, description="收到时间（默认现在）")
    urgency: str = Field(default="normal", max_length=16, description="紧急程度")
    party: PartyIn | None = Field(default=None, description="投诉人/举报人")
    anonymous: bool = Field(default=False, description="匿名")
    title: str = Field(min_length=1, max_length=200, description="标题")
    text: str = Field(min_length=1, max_length=20_000, description="内容")
    demand: str | None = Field(default=None, max_length=5_000, description="具体诉求")
    business_name: str | None = Field(default=None, max_length=200, description="被投诉（举报）经营者")
    business_address: str | None = Field(default=None, max_length=300, description="经营者地址")
    platform_name: str | None = Field(default=None, max_length=200, description="交易平台")
    order_no: str | None = Field(default=None, max_length=64, description="订单号")
    amount: Decimal | None = Field(
        default=None, ge=0, max_digits=14, decimal_places=2, description="涉及金额（元）"
    )
    occurred_on: date | None = Field(default=None, description="知道或应当知道权益受损之日")
    location: str | None = Field(default=None, max_length=300, description="发生地址")
    division_code: str | None = Field(default=None, max_length=12, description="行政区划代码")
    category_code: str | None = Field(default=None, max_length=64, description="分类（来源已给出时）")
    evidence_ids: list[int] = Field(default_factory=list, max_length=50, description="证据编号")

    @field_validator(
        "external_id",
        "demand",
        "business_name",
        "business_address",
        "platform_name",
        "order_no",
        "location",
        "division_code",
        "category_code",
        mode="before",
    )
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("urgency")
    @classmethod
    def _urgency(cls, value: str) -> str:
        if not _URGENCY.fullmatch(value):
            raise _err("紧急程度应为小写英文代码，如 normal、urgent")
        return value

    @field_validator("received_at")
    @classmethod
    def _received(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise _err("收到时间须带时区，如 2025-06-01T09:30:00+08:00")
        if value > utcnow() + _FUTURE_SLACK:
            raise _err("收到时间不能晚于现在")
        if value < _EARLIEST:
            raise _err("收到时间过早：应在 2000 年以后")
        return value

    @field_validator("occurred_on")
    @classmethod
    def _occurred(cls, value: date | None) -> date | None:
        if value is not None and value > (utcnow() + timedelta(days=1)).date():
            raise _err("发生日期不能晚于今天")
        if value is not None and value < _EARLIEST.date():
            raise _err("发生日期过早：应在 2000 年以后")
        return value

    @field_validator("division_code")
    @classmethod
    def _division(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_division_code(value):
            raise _err("行政区划代码不正确：应为 6 位区县代码或 9 位街道乡镇代码")
        return value

    @field_validator("category_code")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        if value is not None and not _CATEGORY.fullmatch(value):
            raise _err("分类代码格式不正确，如 prepaid.beauty")
        return value

    @field_validator("evidence_ids")
    @classmethod
    def _evidence(cls, value: list[int]) -> list[int]:
        if any(i < 1 or i > MAX_ID for i in value):
            raise _err("证据编号不正确")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _party_or_anonymous(self) -> TicketIn:
        if self.party is None and not self.anonymous and self.kind not in ("report", "suggestion"):
            raise PydanticCustomError("value_error", "请填写投诉人信息（匿名举报、建议除外）")
        return self

    def kinds(self) -> list[str]:
        """The ticket kinds this submission becomes (a complaint plus a report when split, 第七条)."""
        if self.kind == "both" or (self.also_report and self.kind == "complaint"):
            return ["complaint", "report"]
        return [self.kind]


class PartyOut(BaseModel):
    id: int
    name: str | None
    phone: str | None
    id_number: str | None
    address: str | None
    masked: bool


class TicketOut(BaseModel):
    """A ticket as one actor may see it (personal data masked unless revealed)."""

    id: int
    ticket_no: str
    channel: str
    channel_label: str
    external_id: str | None
    kind: str
    kind_label: str
    status: str
    status_label: str
    urgency: str
    received_at: datetime
    registered_at: datetime
    party: PartyOut | None
    anonymous: bool
    title: str
    text: str
    demand: str | None
    business_name: str | None
    business_address: str | None
    entity_id: int | None
    entity_name: str | None
    link_status: str
    link_status_label: str
    link_detail: dict[str, Any]
    platform_entity_id: int | None
    platform_name: str | None
    order_no: str | None
    amount: Decimal | None
    occurred_on: date | None
    category_code: str | None
    category_label: str
    category_source: str | None
    category_confidence: float | None
    triage_detail: dict[str, Any]
    needs_review: bool
    division_code: str | None
    district_code: str | None
    station_org_id: int | None
    station_org_name: str | None
    member_unit_org_id: int | None
    member_unit_org_name: str | None
    handling_org_id: int | None
    handling_org_name: str | None
    handler_user_id: int | None
    transfer_count: int
    matter_id: int | None
    split_of_id: int | None
    repeat_of_id: int | None
    accepted_at: datetime | None
    rejection_ground: str | None
    outcome: str | None
    outcome_label: str | None
    outcome_note: str | None
    resolved: bool | None
    first_closed_at: datetime | None
    closed_at: datetime | None
    archived_at: datetime | None
    reopen_count: int
    satisfaction: str | None
    evidence_ids: list[int]
    updated_at: datetime
    masked: bool = Field(description="个人信息是否已脱敏")


class TicketQuery(TextInput):
    """Filters of the ticket list (query string of the API and the officer page)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    status: str | None = Field(default=None, max_length=16)
    kind: str | None = Field(default=None, max_length=16)
    channel: str | None = Field(default=None, max_length=16)
    category: str | None = Field(default=None, max_length=64, description="分类代码（含下级）")
    district: str | None = Field(default=None, max_length=12, description="区县或街道代码前缀")
    queue: Queue | None = Field(
        default=None, description="review 待复核 / unresolved 待确认经营者 / overdue / due_soon"
    )
    q: str | None = Field(default=None, max_length=100, description="工单号、标题、内容或经营者名称")
    month: str | None = Field(default=None, description="收到月份 YYYY-MM")
    member_unit: int | None = Field(default=None, ge=1, le=MAX_ID)
    entity_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    platform_entity_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=50, ge=1, le=200)

    @field_validator(
        "status", "kind", "channel", "category", "district", "queue", "q", "month", mode="before"
    )
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("month")
    @classmethod
    def _month(cls, value: str | None) -> str | None:
        if value is not None and not _MONTH.fullmatch(value):
            raise _err("月份格式应为 YYYY-MM")
        return value


class TicketPage(BaseModel):
    items: list[TicketOut]
    total: int
    page: int
    page_size: int


class BulkItemResult(BaseModel):
    index: int
    ticket_ids: list[int]
    ticket_nos: list[str]
    created: bool  # False: the external id was already registered (idempotent)


class BulkResult(BaseModel):
    created: int
    existing: int
    items: list[BulkItemResult]


# -- lifecycle action bodies (the API's POST /complaints/{id}/<action>) ------------------------------


class _Action(TextInput):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class NoteIn(_Action):
    note: str | None = Field(default=None, max_length=2000, description="说明")


class RejectIn(_Action):
    ground: str = Field(min_length=1, max_length=4, description="不予受理理由（第十五条第几项，1–6）")
    note: str = Field(min_length=1, max_length=2000, description="说明")


class AssignIn(_Action):
    org_id: int = Field(ge=1, le=MAX_ID, description="承办单位")
    user_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="承办人")
    note: str | None = Field(default=None, max_length=2000)


class TransferIn(_Action):
    to_org_id: int = Field(ge=1, le=MAX_ID, description="转至单位")
    reason: str = Field(min_length=1, max_length=2000, description="转办理由")


class CloseIn(_Action):
    outcome: Outcome = Field(description="办结结果")
    resolved: bool = Field(description="诉求是否解决")
    note: str = Field(min_length=1, max_length=5000, description="办结说明")


class ReasonIn(_Action):
    reason: str = Field(min_length=1, max_length=2000, description="理由")


class CategoryIn(_Action):
    category_code: str = Field(min_length=1, max_length=64, description="正确的分类代码")


class BusinessIn(_Action):
    entity_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="经营主体（空 = 不涉及名录中的经营者）"
    )


class PauseIn(_Action):
    kind: str = Field(default="mediate", min_length=1, max_length=32, description="时限种类")
    reason: str = Field(min_length=1, max_length=200, description="暂停理由（如 检验、检测、鉴定）")


class ResumeIn(_Action):
    kind: str = Field(default="mediate", min_length=1, max_length=32, description="时限种类")


class BulkIn(BaseModel):
    """``POST /complaints/bulk``: items are validated one by one so errors name ``items[i].field``."""

    items: list[dict[str, Any]] = Field(min_length=1, max_length=5000)


class FiledOut(BaseModel):
    """What a submitter gets back: the ticket numbers (and ids for authorised clients)."""

    ticket_nos: list[str]
    ticket_ids: list[int]
    created: bool


class EventOut(BaseModel):
    id: int
    at: datetime
    actor_name: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None
    data: dict[str, Any]
