"""Pydantic models of the evidence vault: what comes in (items, hash registrations, custody) and
what goes out (items, keys, checkpoints)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from tianping.core.timeutil import local_zone
from tianping.evidence.entries import Links
from tianping.evidence.hashing import normalize_hex
from tianping.evidence.models import (
    CUSTODY_ACTION_LABELS,
    ENTRY_KIND_LABELS,
    CustodyAction,
    EntryKind,
    EvidenceCheckpoint,
    EvidenceEntry,
    EvidenceKey,
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LINK = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff._:/#-]{1,64}$")
_IDEMPOTENCY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
_PSEUDONYM = re.compile(r"^[^\s\x00-\x1f\x7f+]{1,64}$")


def _error(message: str) -> PydanticCustomError:
    return PydanticCustomError("value_error", message)


def check_link(value: str | None, noun: str = "编号") -> str | None:
    """A ticket/case/incident reference as it may appear in a log entry."""
    if value is not None and not _LINK.match(value):
        raise _error(f"{noun}只能包含字母、数字、汉字和 . _ : / # -，最长 64 个字符")
    return value


def check_idempotency_key(value: str | None) -> str | None:
    if value is not None and not _IDEMPOTENCY.match(value):
        raise _error("幂等键为 8–128 位字母、数字或 . _ : -")
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class _ItemFields(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    purpose: str = Field(min_length=1, max_length=500, description="存证用途，如“投诉举报证据：商品页面截图”")
    ticket: str | None = Field(default=None, description="关联投诉举报工单编号")
    case: str | None = Field(default=None, description="关联案件编号")
    incident: str | None = Field(default=None, description="关联事件编号")
    submitter: str | None = Field(
        default=None, description="提交人化名（不填则由系统按账号生成，不含真实姓名）"
    )
    idempotency_key: str | None = Field(
        default=None, description="幂等键：重试同一提交时使用相同的键，不会重复登记（8–128 位字母数字._:-）"
    )

    @field_validator("ticket", "case", "incident", "submitter", "idempotency_key", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise _error("用途不能包含换行或控制字符")
        return value

    @field_validator("ticket", "case", "incident")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        return check_link(value)

    @field_validator("submitter")
    @classmethod
    def _submitter(cls, value: str | None) -> str | None:
        if value is not None and not _PSEUDONYM.match(value):
            raise _error("提交人化名为 1–64 个字符，不能含空白、加号或控制字符")
        return value

    @field_validator("idempotency_key")
    @classmethod
    def _idempotency(cls, value: str | None) -> str | None:
        return check_idempotency_key(value)

    @property
    def links(self) -> Links:
        return Links(ticket=self.ticket, case=self.case, incident=self.incident)


class ItemIn(_ItemFields):
    """An uploaded file to be kept and logged (the file itself travels separately)."""

    media_type: str | None = Field(default=None, description="媒体类型，如 image/png；不填则按文件名推断")

    @field_validator("media_type", mode="before")
    @classmethod
    def _blank_media(cls, value: Any) -> Any:
        return _blank_to_none(value.lower() if isinstance(value, str) else value)

    @field_validator("media_type")
    @classmethod
    def _media_type(cls, value: str | None) -> str | None:
        if value is not None and not _MEDIA_TYPE.match(value):
            raise _error("媒体类型格式应为 类型/子类型，如 image/png")
        return value


class HashRegistrationIn(_ItemFields):
    """A digest registered without the file (trade secrets): proves possession at that time."""

    sha256: str = Field(description="文件的 SHA-256 摘要（64 位十六进制）")
    sm3: str | None = Field(default=None, description="文件的 SM3 摘要（64 位十六进制，可选）")
    size: int | None = Field(default=None, ge=0, le=2**53, description="文件字节数（可选）")

    @field_validator("sm3", mode="before")
    @classmethod
    def _blank_sm3(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("sha256", "sm3")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digest = normalize_hex(value)
        if digest is None:
            raise _error("摘要应为 64 位十六进制数字")
        return digest


class CustodyIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    leaf_index: int = Field(ge=0, le=2**53, description="存证编号")
    action: CustodyAction = Field(description="view 查看 / export 导出 / attach 关联")
    purpose: str = Field(default="", max_length=500, description="事由")
    ticket: str | None = None
    case: str | None = None
    incident: str | None = None

    @field_validator("ticket", "case", "incident", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("ticket", "case", "incident")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        return check_link(value)

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise _error("事由不能包含换行或控制字符")
        return value

    @property
    def links(self) -> Links:
        return Links(ticket=self.ticket, case=self.case, incident=self.incident)


class ItemOut(BaseModel):
    leaf_index: int
    kind: EntryKind
    kind_label: str
    sha256: str
    sm3: str | None
    media_type: str | None
    size: int | None
    submitter: str
    purpose: str
    ticket: str | None
    case: str | None
    incident: str | None
    registered_at: datetime
    ref_index: int | None
    action: CustodyAction | None
    action_label: str | None
    has_blob: bool

    @classmethod
    def of(cls, row: EvidenceEntry) -> ItemOut:
        kind = EntryKind(row.kind)
        action = CustodyAction(row.action) if row.action else None
        return cls(
            leaf_index=row.leaf_index,
            kind=kind,
            kind_label=ENTRY_KIND_LABELS[kind],
            sha256=row.sha256,
            sm3=row.sm3,
            media_type=row.media_type,
            size=row.size,
            submitter=row.submitter,
            purpose=row.purpose,
            ticket=row.link_ticket,
            case=row.link_case,
            incident=row.link_incident,
            registered_at=row.registered_at,
            ref_index=row.ref_index,
            action=action,
            action_label=CUSTODY_ACTION_LABELS[action] if action else None,
            has_blob=row.has_blob,
        )


class KeyOut(BaseModel):
    name: str
    key_id: str
    verifier_key: str
    valid_from: datetime
    valid_until: datetime | None
    transition_note: str | None

    @classmethod
    def of(cls, row: EvidenceKey) -> KeyOut:
        return cls(
            name=row.name,
            key_id=row.key_id,
            verifier_key=row.verifier_key,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            transition_note=row.transition_note,
        )


class CheckpointOut(BaseModel):
    tree_size: int
    root_hex: str
    note: str
    key_id: str
    signed_at: datetime

    @classmethod
    def of(cls, row: EvidenceCheckpoint) -> CheckpointOut:
        return cls(
            tree_size=row.tree_size,
            root_hex=bytes(row.root).hex(),
            note=row.note,
            key_id=row.key_id,
            signed_at=row.signed_at,
        )


class EvidenceQuery(BaseModel):
    """Filters of the evidence list: kind, links, registration dates (local calendar days)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    kind: EntryKind | None = Field(default=None, description="evidence / hash_registration / custody")
    ticket: str | None = Field(default=None, max_length=64, description="投诉举报工单编号")
    case: str | None = Field(default=None, max_length=64, description="案件编号")
    incident: str | None = Field(default=None, max_length=64, description="事件编号")
    sha256: str | None = Field(default=None, max_length=64, description="文件 SHA-256")
    date_from: date | None = Field(
        default=None, ge=date(1970, 1, 1), le=date(9999, 12, 30), description="登记日期起（含，本地日期）"
    )
    date_to: date | None = Field(
        default=None, ge=date(1970, 1, 1), le=date(9999, 12, 30), description="登记日期止（含，本地日期）"
    )
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=50, ge=1, le=500)

    @field_validator("kind", "ticket", "case", "incident", "sha256", "date_from", "date_to", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("ticket", "case", "incident")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        return check_link(value)

    @field_validator("sha256")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digest = normalize_hex(value)
        if digest is None:
            raise _error("摘要应为 64 位十六进制数字")
        return digest

    @property
    def has_filters(self) -> bool:
        return any(
            v is not None
            for v in (
                self.kind,
                self.ticket,
                self.case,
                self.incident,
                self.sha256,
                self.date_from,
                self.date_to,
            )
        )

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The registration-time bounds in UTC: [start of ``date_from``, end of ``date_to``)."""
        zone = local_zone()

        def start(day: date) -> datetime:
            return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)

        since = start(self.date_from) if self.date_from else None
        until = start(self.date_to + timedelta(days=1)) if self.date_to else None
        return since, until


class EvidencePage(BaseModel):
    items: list[ItemOut]
    total: int
    page: int
    page_size: int
    pages: int
