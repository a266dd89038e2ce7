"""Input and output shapes of the platform replies (ODR, 平台先行处理)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field, field_validator

from tianping.core.money import to_money
from tianping.core.textinput import TextInput

__all__ = [
    "INBOX_STATES",
    "REMEDY_LABELS",
    "DecisionIn",
    "InboxItem",
    "InboxPage",
    "PlatformStats",
    "PublicStats",
    "PublicStatsRow",
    "Remedy",
    "ReplyIn",
    "ReplyView",
]


class Remedy(StrEnum):
    REFUND = "refund"
    REPLACE = "replace"
    REPAIR = "repair"
    COMPENSATE = "compensate"
    EXPLAIN = "explain"
    OTHER = "other"

    @property
    def label(self) -> str:
        return REMEDY_LABELS[self]


REMEDY_LABELS: dict[Remedy, str] = {
    Remedy.REFUND: "退款",
    Remedy.REPLACE: "换货",
    Remedy.REPAIR: "维修",
    Remedy.COMPENSATE: "赔偿",
    Remedy.EXPLAIN: "解释说明",
    Remedy.OTHER: "其他",
}

INBOX_STATES: dict[str, str] = {
    "awaiting": "待回复",
    "replied": "待消费者确认",
    "settled": "已和解",
    "rejected": "消费者未接受",
    "closed": "已办结",
}
"""Inbox filter keys (a ticket's ODR state) and their zh-CN labels."""

_MAX_AMOUNT = Decimal("100000000")


class ReplyIn(TextInput):
    """A platform's reply: the remedy it proposes, an amount (refund/compensation) and its text."""

    remedy: Remedy
    amount: Decimal | None = Field(default=None, description="金额（元），退款、赔偿时填写")
    text: str = Field(min_length=5, max_length=2000, description="回复内容")

    @field_validator("amount", mode="before")
    @classmethod
    def _exact_amount(cls, value: object) -> object:
        if value is None or value == "":
            return None
        if isinstance(value, float):
            value = str(value)
        if isinstance(value, (int, str, Decimal)):
            try:
                return to_money(value)
            except ValueError:
                raise ValueError("金额格式不正确") from None
        raise ValueError("金额格式不正确")

    @field_validator("amount")
    @classmethod
    def _amount_range(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not (Decimal("0") <= value < _MAX_AMOUNT):
            raise ValueError("金额须在 0 至 1 亿元之间")
        return value

    @field_validator("text")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if len(value) < 5:
            raise ValueError("回复内容至少 5 个字")
        return value


class DecisionIn(TextInput):
    """The consumer's decision on a proposed remedy."""

    accept: bool
    note: str | None = Field(default=None, max_length=1000, description="说明（可选）")


@dataclass(frozen=True)
class ReplyView:
    """A reply as the platform and officers see it (never the token)."""

    id: int
    at: datetime
    remedy: str
    remedy_label: str
    amount: Decimal | None
    text: str
    decision: str | None
    decided_at: datetime | None
    decision_note: str | None
    timely: bool | None


@dataclass(frozen=True)
class InboxItem:
    """A complaint about the platform, as its handler may see it: no complainant contact data."""

    ticket_id: int
    ticket_no: str
    received_at: datetime
    kind_label: str
    status_label: str
    state: str  # a key of INBOX_STATES
    title: str
    text: str  # personal data in the narrative scrubbed
    demand: str | None
    party_name: str  # masked
    business_name: str | None
    order_no: str | None
    amount: Decimal | None
    due_at: datetime | None
    overdue: bool
    replies: tuple[ReplyView, ...] = ()

    @property
    def state_label(self) -> str:
        return INBOX_STATES[self.state]


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)  # per state, for the tabs


@dataclass(frozen=True)
class PlatformStats:
    """Per-platform ODR figures over a period. Rates are ``None`` when their denominator is 0."""

    platform_entity_id: int
    platform_name: str
    count: int  # complaints received in the period
    previous_count: int  # the previous period of equal length
    growth: float | None  # (count - previous) / previous
    closed: int
    mediated_or_settled: int
    mediation_success_rate: float | None  # 调解成功率 = (调解成功 + 和解) / 办结
    odr_handled: int  # tickets with at least one platform reply
    settled_via_odr: int  # a remedy the consumer accepted
    first_settlement_rate: float | None  # 先行和解率 = settled_via_odr / odr_handled
    replies_timed: int  # first replies with an odr_reply clock
    replies_timely: int
    timely_rate: float | None
    median_reply_workdays: float | None


@dataclass(frozen=True)
class PublicStatsRow:
    """One platform on the public page: aggregates only, small counts shown as "<5"."""

    platform_name: str
    count: str
    growth: str
    mediation_success_rate: str
    first_settlement_rate: str
    timely_rate: str
    median_reply_workdays: str


@dataclass(frozen=True)
class PublicStats:
    month: str
    start: date
    end: date
    rows: list[PublicStatsRow]
