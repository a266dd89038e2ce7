"""The evidence vault's persistent, append-only log (存证日志).

* ``evidence_log_head`` — one row: the log's origin (its name in signed checkpoints), current size
  and root. Appenders lock it, so leaf indices are allocated by one writer at a time.
* ``evidence_entry`` — one row per leaf. ``leaf`` holds the exact bytes that were hashed into the
  tree (the canonical JSON of the entry); the other columns repeat its fields for queries and are
  checked against it by the audit. ``submitted_by`` (a user id) is internal and never in the leaf.
* ``evidence_node`` — every perfect-subtree hash of the RFC 6962 tree: level 0 are the leaf hashes,
  node ``(level, position)`` covers leaves ``[position·2^level, (position+1)·2^level)``. Proofs and
  roots are read from these, never rebuilt.
* ``evidence_checkpoint`` — a C2SP signed checkpoint for every committed batch.
* ``evidence_key`` — the published history of the log's Ed25519 verifier keys and their validity.

A demo reset may empty these tables: the next append then starts a new log with a new random origin
and a new key, so no checkpoint of the new log can contradict one of the old log.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tianping.core.db import Base, UTCDateTime


class EntryKind(StrEnum):
    EVIDENCE = "evidence"
    HASH_REGISTRATION = "hash_registration"
    CUSTODY = "custody"

    @property
    def label(self) -> str:
        return ENTRY_KIND_LABELS[self]


ENTRY_KIND_LABELS: dict[EntryKind, str] = {
    EntryKind.EVIDENCE: "电子证据",
    EntryKind.HASH_REGISTRATION: "摘要登记（未上传原文）",
    EntryKind.CUSTODY: "保管链记录",
}


class CustodyAction(StrEnum):
    VIEW = "view"
    EXPORT = "export"
    ATTACH = "attach"

    @property
    def label(self) -> str:
        return CUSTODY_ACTION_LABELS[self]


CUSTODY_ACTION_LABELS: dict[CustodyAction, str] = {
    CustodyAction.VIEW: "查看",
    CustodyAction.EXPORT: "导出",
    CustodyAction.ATTACH: "关联到案件/工单/事件",
}


class EvidenceLogHead(Base):
    __tablename__ = "evidence_log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    origin: Mapped[str] = mapped_column(String(200))
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EvidenceEntry(Base):
    __tablename__ = "evidence_entry"

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sm3: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(127))
    size: Mapped[int | None] = mapped_column(BigInteger)
    submitter: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(500))
    link_ticket: Mapped[str | None] = mapped_column(String(64), index=True)
    link_case: Mapped[str | None] = mapped_column(String(64), index=True)
    link_incident: Mapped[str | None] = mapped_column(String(64), index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ref_index: Mapped[int | None] = mapped_column(BigInteger, index=True)
    action: Mapped[str | None] = mapped_column(String(16))
    has_blob: Mapped[bool] = mapped_column(Boolean)
    submitted_by: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class EvidenceNode(Base):
    __tablename__ = "evidence_node"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class EvidenceCheckpoint(Base):
    __tablename__ = "evidence_checkpoint"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(8))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class EvidenceKey(Base):
    """One signing key of the log. The private half lives in ``<home>/evidence/keys/`` (0600)."""

    __tablename__ = "evidence_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(8))
    verifier_key: Mapped[str] = mapped_column(String(300), unique=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # On rotation: a signed note naming the old and the new key, signed by both.
    transition_note: Mapped[str | None] = mapped_column(Text)

    @property
    def retired(self) -> bool:
        return self.valid_until is not None
