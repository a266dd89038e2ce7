"""Complaints, reports and work orders (投诉举报 / 接诉即办工单) and everything hung on them.

* ``complaints_party`` — a complainant's personal data, stored once and referred to by id; the
  ``phone_key`` (keyed hash of the normalised phone) finds the same person without revealing them.
* ``complaints_ticket`` — one work order: intake facts, triage results (category, business,
  jurisdiction, member unit, duplicates), lifecycle state and outcome.
* ``complaints_event`` — the ticket's timeline (every state change, transfer, reply, correction).
* ``complaints_clock`` / ``complaints_clock_pause`` — statutory and configured deadline clocks on the
  working-day calendar, with pauses (检定、检验、检测、鉴定 time does not count, 第二十条).
* ``complaints_transfer`` — transfers between organisations (with reason) and jurisdiction disputes.
* ``complaints_callback`` — 回访 results, done by someone other than the handler.
* ``complaints_platform_reply`` — ODR: the platform's reply and remedy, and the consumer's decision.
* ``complaints_correction`` — officers' category corrections, the next training run's extra rows.
* ``complaints_exclusion`` — 申诉 / 核减 requests that remove a ticket from an assessed KPI.
* ``complaints_model`` — trained triage classifiers (file, checksum, metrics; one is active).

Registry entities and organisations are referred to by id (other domains), never by foreign key.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tianping.core.db import Base, Money, UTCDateTime


class Channel(StrEnum):
    WEB = "web"  # public form
    OFFICER = "officer"  # entered by an officer (window, letter, phone)
    API = "api"  # machine clients
    HOTLINE_12315 = "12315"
    HOTLINE_12345 = "12345"
    PLATFORM = "platform"  # forwarded by a platform's own customer service
    CONSUMER_ASSOCIATION = "cca"  # 消费者协会

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.WEB: "网上投诉",
    Channel.OFFICER: "窗口/来信登记",
    Channel.API: "接口接入",
    Channel.HOTLINE_12315: "12315",
    Channel.HOTLINE_12345: "12345",
    Channel.PLATFORM: "平台转办",
    Channel.CONSUMER_ASSOCIATION: "消费者协会",
}


class TicketKind(StrEnum):
    COMPLAINT = "complaint"  # 投诉: a consumer dispute (第三条第一款)
    REPORT = "report"  # 举报: a lead on a suspected violation (第三条第二款)
    CONSULTATION = "consultation"  # 咨询
    SUGGESTION = "suggestion"  # 建议

    @property
    def label(self) -> str:
        return TICKET_KIND_LABELS[self]


TICKET_KIND_LABELS: dict[TicketKind, str] = {
    TicketKind.COMPLAINT: "投诉",
    TicketKind.REPORT: "举报",
    TicketKind.CONSULTATION: "咨询",
    TicketKind.SUGGESTION: "建议",
}


class TicketStatus(StrEnum):
    REGISTERED = "registered"  # 登记
    ACCEPTED = "accepted"  # 受理
    REJECTED = "rejected"  # 不予受理 (ground in rejection_ground, 第十五条)
    ASSIGNED = "assigned"  # 分派 (to a station / member unit)
    MEDIATING = "mediating"  # 调解中
    CLOSED = "closed"  # 办结 (outcome says how)
    CALLED_BACK = "called_back"  # 回访 done
    ARCHIVED = "archived"  # 归档

    @property
    def label(self) -> str:
        return TICKET_STATUS_LABELS[self]


TICKET_STATUS_LABELS: dict[TicketStatus, str] = {
    TicketStatus.REGISTERED: "登记",
    TicketStatus.ACCEPTED: "受理",
    TicketStatus.REJECTED: "不予受理",
    TicketStatus.ASSIGNED: "分派",
    TicketStatus.MEDIATING: "调解中",
    TicketStatus.CLOSED: "办结",
    TicketStatus.CALLED_BACK: "已回访",
    TicketStatus.ARCHIVED: "归档",
}


class Outcome(StrEnum):
    MEDIATED = "mediated"  # 调解成功
    MEDIATION_FAILED = "mediation_failed"  # 调解不成
    TERMINATED = "terminated"  # 终止 (reason in outcome_note; grounds of 第二十一条)
    SETTLED = "settled"  # 双方自行和解 / 平台先行和解 (ODR)
    ANSWERED = "answered"  # 咨询已答复 / 建议已采纳或答复
    CASE_FILED = "case_filed"  # 举报: 立案
    NOT_FILED = "not_filed"  # 举报: 不予立案

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.MEDIATED: "调解成功",
    Outcome.MEDIATION_FAILED: "调解不成",
    Outcome.TERMINATED: "终止调解",
    Outcome.SETTLED: "和解",
    Outcome.ANSWERED: "已答复",
    Outcome.CASE_FILED: "立案",
    Outcome.NOT_FILED: "不予立案",
}


class LinkStatus(StrEnum):
    """How the target business was found."""

    NONE = "none"  # no business named (e.g. a suggestion)
    LINKED = "linked"  # matched automatically with enough margin
    CONFIRMED = "confirmed"  # chosen or confirmed by an officer
    UNRESOLVED = "unresolved"  # a name was given but not matched safely: in the queue

    @property
    def label(self) -> str:
        return LINK_STATUS_LABELS[self]


LINK_STATUS_LABELS: dict[LinkStatus, str] = {
    LinkStatus.NONE: "未涉及经营者",
    LinkStatus.LINKED: "自动关联",
    LinkStatus.CONFIRMED: "人工确认",
    LinkStatus.UNRESOLVED: "待人工确认",
}


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意

    @property
    def label(self) -> str:
        return SATISFACTION_LABELS[self]


SATISFACTION_LABELS: dict[Satisfaction, str] = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.DISSATISFIED: "不满意",
}


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"  # stopped on or before the deadline
    BREACHED = "breached"  # stopped after the deadline
    CANCELLED = "cancelled"  # no longer applies (e.g. ticket rejected before mediation)

    @property
    def label(self) -> str:
        return CLOCK_STATUS_LABELS[self]


CLOCK_STATUS_LABELS: dict[ClockStatus, str] = {
    ClockStatus.RUNNING: "计时中",
    ClockStatus.PAUSED: "暂停计时",
    ClockStatus.MET: "按期完成",
    ClockStatus.BREACHED: "超期完成",
    ClockStatus.CANCELLED: "已撤销",
}


class Party(Base):
    """A complainant or reporter. Personal data lives here once; tickets refer to it by id."""

    __tablename__ = "complaints_party"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    id_number: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(300))
    # HMAC-SHA256 (settings.secret_key) of the normalised phone: finds repeats without the number.
    phone_key: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Ticket(Base):
    __tablename__ = "complaints_ticket"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_complaints_ticket_received_district", "received_at", "district_code"),
        Index("ix_complaints_ticket_status_received", "status", "received_at"),
        # Repeat and same-party checks (原始解决率, duplicates) read only this index.
        Index("ix_complaints_ticket_party_entity_received", "party_id", "entity_id", "received_at"),
        # A business's tickets over a period (its history, the dashboard's top businesses).
        Index("ix_complaints_ticket_entity_received", "entity_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_no: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    # The source system's ticket id (12345 工单号, platform case id): idempotency key per channel.
    external_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    urgency: Mapped[str] = mapped_column(String(16), default="normal")  # 12345: keys of deadlines data
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(Integer)  # user id; None for public/API intake

    party_id: Mapped[int | None] = mapped_column(ForeignKey("complaints_party.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)

    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    demand: Mapped[str | None] = mapped_column(Text)  # 具体的投诉请求 (第九条第（三）项)

    # Target business as given, and as linked to the registry (entity ids, no FK).
    business_name: Mapped[str | None] = mapped_column(String(200))
    business_address: Mapped[str | None] = mapped_column(String(300))
    entity_id: Mapped[int | None] = mapped_column(Integer)  # indexed with received_at (table args)
    link_status: Mapped[str] = mapped_column(String(16), default=LinkStatus.NONE.value, index=True)
    link_detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # candidates, scores, why
    platform_entity_id: Mapped[int | None] = mapped_column(Integer, index=True)
    platform_name: Mapped[str | None] = mapped_column(String(200))
    order_no: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    occurred_on: Mapped[date | None] = mapped_column(Date)  # when the consumer knew (第十五条第（四）项)

    # Triage: category (taxonomy code), how it was set, confidence and the terms that drove it.
    category_code: Mapped[str | None] = mapped_column(String(64), index=True)
    category_source: Mapped[str | None] = mapped_column(String(16))  # model | officer | import | form
    category_confidence: Mapped[float | None] = mapped_column(Float)
    triage_detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    # Jurisdiction and routing. division_code = most precise known (street 9 digits or district 6).
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    district_code: Mapped[str | None] = mapped_column(String(6), index=True)
    station_org_id: Mapped[int | None] = mapped_column(Integer, index=True)
    member_unit_org_id: Mapped[int | None] = mapped_column(Integer, index=True)
    handling_org_id: Mapped[int | None] = mapped_column(Integer, index=True)  # who holds it now
    handler_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)

    # Links between tickets. matter_id: the earliest ticket of a group of duplicates (one matter
    # across channels); split_of_id: the other half of a complaint+report submission (第七条);
    # repeat_of_id: a closed ticket this one repeats (counts against 原始解决率).
    matter_id: Mapped[int | None] = mapped_column(Integer, index=True)
    split_of_id: Mapped[int | None] = mapped_column(Integer, index=True)
    repeat_of_id: Mapped[int | None] = mapped_column(Integer, index=True)

    # Lifecycle facts.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_ground: Mapped[str | None] = mapped_column(String(16))  # 第十五条 item code
    outcome: Mapped[str | None] = mapped_column(String(32), index=True)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    resolved: Mapped[bool | None] = mapped_column(Boolean)  # the demand was met (handler's account)
    first_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 办理用时: working days from receipt to first close, fixed then (deadlines.handling_workdays).
    handling_workdays: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    satisfaction: Mapped[str | None] = mapped_column(String(32))  # latest callback result
    evidence_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # evidence vault leaf ids
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketEvent(Base):
    """The timeline: one row per state change, assignment, reply, correction or note."""

    __tablename__ = "complaints_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaints_ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Clock(Base):
    """A deadline on a ticket. ``due_at`` moves when the clock is paused and resumed."""

    __tablename__ = "complaints_clock"
    # Covering for the overdue lists and the KPIs' overdue rate: the ticket is found without a row read.
    __table_args__ = (Index("ix_complaints_clock_status_due", "status", "due_at", "ticket_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaints_ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # key in the deadlines data (e.g. "accept")
    basis: Mapped[str] = mapped_column(String(200))  # the article or rule it encodes
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=ClockStatus.RUNNING.value)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClockPause(Base):
    __tablename__ = "complaints_clock_pause"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("complaints_clock.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    paused_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Transfer(Base):
    """A ticket moved between organisations, or a jurisdiction dispute (第三十条)."""

    __tablename__ = "complaints_transfer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaints_ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # transfer | dispute
    from_org_id: Mapped[int | None] = mapped_column(Integer)
    to_org_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_user_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # disputes: when decided
    resolution: Mapped[str | None] = mapped_column(Text)


class Callback(Base):
    """回访: the complainant's account of response, resolution and satisfaction."""

    __tablename__ = "complaints_callback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaints_ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_user_id: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))  # phone | sms | web
    reached: Mapped[bool] = mapped_column(Boolean)  # 有效回访: the complainant answered
    contacted: Mapped[bool | None] = mapped_column(Boolean)  # 响应: the handler contacted them
    resolved: Mapped[bool | None] = mapped_column(Boolean)  # 解决: as the complainant says
    satisfaction: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class PlatformReply(Base):
    """ODR: a platform's reply and proposed remedy; the consumer accepts or rejects via a link."""

    __tablename__ = "complaints_platform_reply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaints_ticket.id"), index=True)
    platform_entity_id: Mapped[int] = mapped_column(Integer, index=True)
    by_user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # refund | replace | repair | compensate | explain | other
    remedy: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    text: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # consumer's decision link
    decision: Mapped[str | None] = mapped_column(String(16))  # accepted | rejected
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


class Correction(Base):
    """An officer's category correction; the next training run adds (text, new_category)."""

    __tablename__ = "complaints_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaints_ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_user_id: Mapped[int | None] = mapped_column(Integer)
    old_category: Mapped[str | None] = mapped_column(String(64))
    new_category: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)  # the text the officer judged (title + body)
    used_by_model_id: Mapped[int | None] = mapped_column(Integer)


class Exclusion(Base):
    """申诉 / 核减: a request to leave a ticket out of an assessed KPI, with its decision."""

    __tablename__ = "complaints_exclusion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaints_ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # appeal (申诉) | deduction (核减)
    reason_code: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


class TriageModel(Base):
    """A trained category classifier. The file lives under the data directory; its SHA-256 is kept."""

    __tablename__ = "complaints_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    rows: Mapped[int] = mapped_column(Integer)
    corrections: Mapped[int] = mapped_column(Integer, default=0)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=False)


__all__ = [
    "Callback",
    "Channel",
    "Clock",
    "ClockPause",
    "ClockStatus",
    "Correction",
    "Exclusion",
    "LinkStatus",
    "Outcome",
    "Party",
    "PlatformReply",
    "Satisfaction",
    "Ticket",
    "TicketEvent",
    "TicketKind",
    "TicketStatus",
    "Transfer",
    "TriageModel",
]
