"""The evidence vault's verbs: keep a file, register a digest, record custody, receipts, keys, audit.

Every append goes through :func:`tianping.evidence.log.append` inside the caller's session; the
caller commits (``tianping evidence`` commands use :func:`tianping.evidence.log.durable_session`).
Edges whose session has already read from the database (web requests) should hand the
:class:`~tianping.evidence.log.Submission` made by a ``prepare_*`` function to the process-wide
batching writer (:class:`tianping.evidence.writer.EvidenceLog`) instead — :func:`submit`, or
``via_writer=True`` on the verbs: it owns its own unit of work, batches concurrent submissions into
one transaction and answers once they are durable.

Who may do what: ``evidence:keep`` (officers, station officers, administrators) keeps files with
any purpose and case links and attaches items; ``evidence:read`` (those, and member-unit handlers)
lists and views every item and its custody history; ``evidence:export`` downloads stored files.
Anyone, a consumer without an account included, may hand in a file through the public intake
(:func:`prepare_public_item`, rules in :mod:`tianping.evidence.intake`); any signed-in user may
register a digest; everyone reads what they submitted themselves, and an anonymous submitter opens
their receipt with its capability token. The key history and checkpoints are public.
Custody entries (view, export, attach) are log entries of their own, so the custody history is
as tamper-evident as the evidence. Nothing personal enters the log (:func:`intake.refuse_personal_data`).
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlalchemy import Connection, func, or_, select
from sqlalchemy.orm import Session

from tianping.core import audit
from tianping.core.authz import Actor, Perm
from tianping.core.errors import FieldError, NotFound, PermissionDenied, TianpingError, ValidationFailed
from tianping.core.messages import translate
from tianping.core.settings import Settings, get_settings
from tianping.evidence import intake, integrity, log, receipts, standalone_verifier, writer
from tianping.evidence.blobs import BlobStore
from tianping.evidence.entries import Links, canonical
from tianping.evidence.intake import PublicItemIn
from tianping.evidence.keys import KeyRing
from tianping.evidence.log import Appended, Submission
from tianping.evidence.models import CustodyAction, EntryKind, EvidenceCheckpoint, EvidenceEntry
from tianping.evidence.schemas import (
    CheckpointOut,
    CustodyIn,
    EvidencePage,
    EvidenceQuery,
    HashRegistrationIn,
    ItemIn,
    ItemOut,
    KeyOut,
)


def _reads_all(actor: Actor) -> bool:
    return actor.can(Perm.EVIDENCE_READ)


def _require_signed_in(actor: Actor) -> None:
    if not (actor.is_authenticated or actor.is_admin):
        raise PermissionDenied("请先登录")


def pseudonym(actor: Actor, settings: Settings | None = None) -> str:
    """A stable pseudonym of the actor for the public log: no name, no account id in clear."""
    settings = settings or get_settings()
    who = f"user:{actor.user_id}" if actor.user_id is not None else f"name:{actor.username}"
    digest = hmac.new(settings.secret_key.encode(), f"evidence-submitter|{who}".encode(), hashlib.sha256)
    return "tp-" + digest.hexdigest()[:16]


# -- preparing submissions ---------------------------------------------------------------------------


def prepare_item(
    *,
    actor: Actor,
    source: BinaryIO,
    item_in: ItemIn,
    filename: str | None = None,
    blobs: BlobStore | None = None,
    settings: Settings | None = None,
) -> Submission:
    """Store the file durably (content-addressed) and describe its log entry."""
    actor.require(Perm.EVIDENCE_KEEP)
    intake.refuse_personal_data(
        purpose=item_in.purpose,
        ticket=item_in.ticket,
        case=item_in.case,
        incident=item_in.incident,
        submitter=item_in.submitter,
    )
    settings = settings or get_settings()
    blobs = blobs or BlobStore.for_settings(settings)
    head, source = intake.peek(source)
    digests = blobs.put(source, max_bytes=settings.evidence_max_bytes)
    media_type = item_in.media_type or intake.sniff_media_type(head)
    if media_type is None and filename:
        media_type = mimetypes.guess_type(filename, strict=False)[0]
    return Submission(
        actor=actor,
        kind=EntryKind.EVIDENCE,
        sha256=digests.sha256,
        sm3=digests.sm3,
        media_type=media_type or "application/octet-stream",
        size=digests.size,
        submitter=item_in.submitter or pseudonym(actor, settings),
        purpose=item_in.purpose,
        links=item_in.links,
        has_blob=True,
        idempotency_key=item_in.idempotency_key,
    )


def prepare_hash_registration(
    *, actor: Actor, registration_in: HashRegistrationIn, settings: Settings | None = None
) -> Submission:
    """A digest registered without its file (the file never reaches the platform)."""
    _require_signed_in(actor)
    intake.refuse_personal_data(
        purpose=registration_in.purpose,
        ticket=registration_in.ticket,
        case=registration_in.case,
        incident=registration_in.incident,
        submitter=registration_in.submitter,
    )
    return Submission(
        actor=actor,
        kind=EntryKind.HASH_REGISTRATION,
        sha256=registration_in.sha256,
        sm3=registration_in.sm3,
        media_type=None,
        size=registration_in.size,
        submitter=registration_in.submitter or pseudonym(actor, settings),
        purpose=registration_in.purpose,
        links=registration_in.links,
        idempotency_key=registration_in.idempotency_key,
    )


def prepare_public_item(
    session: Session,
    *,
    actor: Actor,
    source: BinaryIO,
    item_in: PublicItemIn,
    blobs: BlobStore | None = None,
    settings: Settings | None = None,
) -> Submission:
    """A file handed in by anyone (see :mod:`tianping.evidence.intake`): the purpose comes from the
    list, the media type from the file's first bytes; anonymous senders are rate-limited per address."""
    settings = settings or get_settings()
    if not actor.is_authenticated:
        intake.check_public_rate(session, actor.ip)
    intake.refuse_personal_data(ticket=item_in.ticket)
    head, source = intake.peek(source)
    media_type = intake.public_media_type(head)
    blobs = blobs or BlobStore.for_settings(settings)
    digests = blobs.put(source, max_bytes=settings.evidence_max_bytes)
    return Submission(
        actor=actor,
        kind=EntryKind.EVIDENCE,
        sha256=digests.sha256,
        sm3=digests.sm3,
        media_type=media_type,
        size=digests.size,
        submitter=pseudonym(actor, settings),
        purpose=item_in.purpose.label,
        links=Links(ticket=item_in.ticket),
        has_blob=True,
        idempotency_key=item_in.idempotency_key,
    )


def _item_row(session: Session, actor: Actor, leaf_index: int) -> EvidenceEntry:
    row = session.get(EvidenceEntry, leaf_index) if 0 <= leaf_index < 2**63 else None
    if row is None or not _may_read(actor, row):
        raise NotFound(f"存证 #{leaf_index} 不存在")
    return row


def _may_read(actor: Actor, row: EvidenceEntry) -> bool:
    return _reads_all(actor) or (actor.user_id is not None and row.submitted_by == actor.user_id)


def prepare_custody(
    session: Session, *, actor: Actor, custody_in: CustodyIn, settings: Settings | None = None
) -> Submission:
    """A custody entry about an evidence item (``ref`` = the item's leaf index)."""
    item = _item_row(session, actor, custody_in.leaf_index)
    intake.refuse_personal_data(
        purpose=custody_in.purpose,
        ticket=custody_in.ticket,
        case=custody_in.case,
        incident=custody_in.incident,
    )
    if item.kind == EntryKind.CUSTODY:
        raise ValidationFailed(
            "保管链记录本身不能再登记保管操作",
            errors=[FieldError("leaf_index", f"#{item.leaf_index} 是保管链记录，不是电子证据")],
        )
    if custody_in.action == CustodyAction.ATTACH and not custody_in.links.any:
        raise ValidationFailed(
            "关联操作需要指明工单、案件或事件",
            errors=[FieldError("case", "请填写要关联的工单、案件或事件编号")],
        )
    if custody_in.action == CustodyAction.EXPORT and not item.has_blob:
        raise ValidationFailed(
            "摘要登记没有原文件可导出",
            errors=[FieldError("leaf_index", f"#{item.leaf_index} 只登记了摘要，平台上没有原文件")],
        )
    return Submission(
        actor=actor,
        kind=EntryKind.CUSTODY,
        sha256=item.sha256,
        sm3=item.sm3,
        media_type=None,
        size=None,
        submitter=pseudonym(actor, settings),
        purpose=custody_in.purpose or custody_in.action.label,
        links=custody_in.links,
        ref=item.leaf_index,
        action=custody_in.action.value,
    )


# -- appending in the caller's session ---------------------------------------------------------------


def append_one(session: Session, submission: Submission, *, keyring: KeyRing | None = None) -> Appended:
    (outcome,) = log.append(session, [submission], keyring=keyring or KeyRing.for_settings())
    if isinstance(outcome, TianpingError):
        raise outcome
    return outcome


def submit(session: Session, submission: Submission, *, keyring: KeyRing | None = None) -> Appended:
    """Append on behalf of a web or API request: through the process's batching writer
    (:func:`tianping.evidence.writer.process_writer`), which commits in its own durable unit of work.

    The request's transaction is committed first. On SQLite it may hold the database's write lock
    (a flushed change, e.g. an API token's last use) that the writer would wait for, and its read
    snapshot would hide the new entry from what the request reads afterwards (a custody history).

    A session bound to a connection rather than to the engine runs inside a transaction its owner
    controls (tests run every request inside a rolled-back outer transaction); the writer's own
    connection could neither see that transaction's rows nor wait for its lock, so the entry is
    appended inside it instead.
    """
    if isinstance(session.get_bind(), Connection):
        return append_one(session, submission, keyring=keyring)
    session.commit()
    return writer.process_writer().append(submission)


def _append(session: Session, submission: Submission, keyring: KeyRing | None, via_writer: bool) -> Appended:
    if via_writer:
        return submit(session, submission, keyring=keyring)
    return append_one(session, submission, keyring=keyring)


def add_item(
    *,
    session: Session,
    actor: Actor,
    source: BinaryIO,
    item_in: ItemIn,
    filename: str | None = None,
    keyring: KeyRing | None = None,
    blobs: BlobStore | None = None,
    via_writer: bool = False,
) -> Appended:
    """Keep a file (``via_writer``: on behalf of a request, see :func:`submit`)."""
    submission = prepare_item(actor=actor, source=source, item_in=item_in, filename=filename, blobs=blobs)
    return _append(session, submission, keyring, via_writer)


def add_public_item(
    *,
    session: Session,
    actor: Actor,
    source: BinaryIO,
    item_in: PublicItemIn,
    keyring: KeyRing | None = None,
    blobs: BlobStore | None = None,
    via_writer: bool = True,
) -> Appended:
    """A file handed in by anyone (consumer, reporter) through the public intake."""
    submission = prepare_public_item(session, actor=actor, source=source, item_in=item_in, blobs=blobs)
    return _append(session, submission, keyring, via_writer)


def register_hash(
    *,
    session: Session,
    actor: Actor,
    registration_in: HashRegistrationIn,
    keyring: KeyRing | None = None,
    via_writer: bool = False,
) -> Appended:
    submission = prepare_hash_registration(actor=actor, registration_in=registration_in)
    return _append(session, submission, keyring, via_writer)


def record_custody(
    *,
    session: Session,
    actor: Actor,
    custody_in: CustodyIn,
    keyring: KeyRing | None = None,
    via_writer: bool = False,
) -> Appended:
    submission = prepare_custody(session, actor=actor, custody_in=custody_in)
    return _append(session, submission, keyring, via_writer)


def _custody_in(**fields: Any) -> CustodyIn:
    """A custody request from an edge's values; invalid ones are field-level errors."""
    try:
        return CustodyIn(**fields)
    except ValidationError as exc:
        errors = [FieldError(e["field"], e["message"]) for e in translate(exc.errors())]
        raise ValidationFailed("保管操作的内容有误", errors=errors) from None


def view_item(
    *,
    session: Session,
    actor: Actor,
    leaf_index: int,
    keyring: KeyRing | None = None,
    via_writer: bool = False,
) -> tuple[ItemOut, Appended | None]:
    """An item's detail; viewing an evidence item or a registration is logged as a custody entry
    (viewing a custody entry is not)."""
    item = _item_row(session, actor, leaf_index)
    if item.kind == EntryKind.CUSTODY:
        return ItemOut.of(item), None
    out = ItemOut.of(item)
    custody = record_custody(
        session=session,
        actor=actor,
        custody_in=CustodyIn(leaf_index=leaf_index, action=CustodyAction.VIEW),
        keyring=keyring,
        via_writer=via_writer,
    )
    return out, custody


def export_item(
    *,
    session: Session,
    actor: Actor,
    leaf_index: int,
    purpose: str = "",
    keyring: KeyRing | None = None,
    blobs: BlobStore | None = None,
    via_writer: bool = False,
) -> tuple[ItemOut, Path, Appended]:
    """The stored file of an item (its path), after logging the export as a custody entry."""
    item = _item_row(session, actor, leaf_index)
    actor.require(Perm.EVIDENCE_EXPORT)
    blobs = blobs or BlobStore.for_settings()
    path = blobs.path_for(item.sha256)
    if not item.has_blob:
        raise ValidationFailed(
            "摘要登记没有原文件可导出",
            errors=[FieldError("leaf_index", f"#{item.leaf_index} 只登记了摘要，平台上没有原文件")],
        )
    if not path.is_file():
        raise NotFound(f"存证 #{leaf_index} 的原文件不在库中（请运行 tianping evidence audit）")
    out = ItemOut.of(item)
    custody = record_custody(
        session=session,
        actor=actor,
        custody_in=_custody_in(leaf_index=leaf_index, action=CustodyAction.EXPORT, purpose=purpose),
        keyring=keyring,
        via_writer=via_writer,
    )
    return out, path, custody


def attach_item(
    *,
    session: Session,
    actor: Actor,
    leaf_index: int,
    links: Links,
    purpose: str = "",
    keyring: KeyRing | None = None,
    via_writer: bool = False,
) -> Appended:
    """Attach an item to a ticket, case or incident: a custody entry naming them."""
    actor.require(Perm.EVIDENCE_KEEP)
    return record_custody(
        session=session,
        actor=actor,
        custody_in=_custody_in(
            leaf_index=leaf_index,
            action=CustodyAction.ATTACH,
            purpose=purpose,
            ticket=links.ticket,
            case=links.case,
            incident=links.incident,
        ),
        keyring=keyring,
        via_writer=via_writer,
    )


# -- reading -------------------------------------------------------------------------------------------


def get_item(*, session: Session, actor: Actor, leaf_index: int) -> ItemOut:
    """An entry without logging a view (lists, receipts); item pages use :func:`view_item`."""
    return ItemOut.of(_item_row(session, actor, leaf_index))


def list_items(
    *,
    session: Session,
    actor: Actor,
    kind: EntryKind | None = None,
    case: str | None = None,
    sha256: str | None = None,
    ticket: str | None = None,
    incident: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ItemOut], int]:
    """Entries newest first: everything for ``evidence:read``, otherwise what the actor submitted.
    A link filter finds entries registered with that link and items attached to it later;
    ``since``/``until`` bound the registration time (``until`` exclusive)."""
    stmt = select(EvidenceEntry)
    if not _reads_all(actor):
        _require_signed_in(actor)
        stmt = stmt.where(EvidenceEntry.submitted_by == actor.user_id)
    if kind is not None:
        stmt = stmt.where(EvidenceEntry.kind == kind.value)
    for column, value in (
        (EvidenceEntry.link_case, case),
        (EvidenceEntry.link_ticket, ticket),
        (EvidenceEntry.link_incident, incident),
    ):
        if value:  # linked when registered, or attached later by a custody entry
            attached = select(EvidenceEntry.ref_index).where(
                EvidenceEntry.action == CustodyAction.ATTACH.value, column == value
            )
            stmt = stmt.where(or_(column == value, EvidenceEntry.leaf_index.in_(attached)))
    if since is not None:
        stmt = stmt.where(EvidenceEntry.registered_at >= since)
    if until is not None:
        stmt = stmt.where(EvidenceEntry.registered_at < until)
    if sha256:
        stmt = stmt.where(EvidenceEntry.sha256 == sha256.strip().lower())
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(EvidenceEntry.leaf_index.desc()).limit(min(max(limit, 1), 500)).offset(max(offset, 0))
    )
    return [ItemOut.of(r) for r in rows], total


def search_items(*, session: Session, actor: Actor, query: EvidenceQuery) -> EvidencePage:
    """One page of :func:`list_items` for the filters of a list page or API call."""
    since, until = query.bounds()
    items, total = list_items(
        session=session,
        actor=actor,
        kind=query.kind,
        case=query.case,
        ticket=query.ticket,
        incident=query.incident,
        sha256=query.sha256,
        since=since,
        until=until,
        limit=query.page_size,
        offset=(query.page - 1) * query.page_size,
    )
    pages = max(1, -(-total // query.page_size))
    return EvidencePage(items=items, total=total, page=query.page, page_size=query.page_size, pages=pages)


def custody_history(*, session: Session, actor: Actor, leaf_index: int) -> list[ItemOut]:
    """The custody entries of an item, oldest first."""
    _item_row(session, actor, leaf_index)
    rows = session.scalars(
        select(EvidenceEntry)
        .where(EvidenceEntry.kind == EntryKind.CUSTODY.value, EvidenceEntry.ref_index == leaf_index)
        .order_by(EvidenceEntry.leaf_index)
    )
    return [ItemOut.of(r) for r in rows]


def receipt(
    *,
    session: Session,
    actor: Actor,
    leaf_index: int,
    tree_size: int | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """The self-contained receipt of an entry (see :mod:`tianping.evidence.receipts`).

    Readers of the entry get it, and so does whoever holds its capability ``token`` (an anonymous
    submitter); anyone else gets "not found", so receipts cannot be enumerated."""
    if not may_open_receipt(session=session, actor=actor, leaf_index=leaf_index, token=token):
        raise NotFound(f"存证 #{leaf_index} 不存在")
    return receipts.build_receipt(session, leaf_index=leaf_index, tree_size=tree_size)


def may_open_receipt(*, session: Session, actor: Actor, leaf_index: int, token: str | None) -> bool:
    row = session.get(EvidenceEntry, leaf_index) if 0 <= leaf_index < 2**63 else None
    if row is None:
        return False
    return _may_read(actor, row) or intake.token_matches(token, leaf_index, bytes(row.leaf))


def receipt_token(appended: Appended) -> str:
    """The capability token of an entry just appended (handed to its submitter)."""
    return intake.receipt_token(appended.leaf_index, canonical(appended.entry))


def receipt_tokens(*, session: Session, leaf_indices: Sequence[int]) -> dict[int, str]:
    """Capability tokens of stored entries, for a caller that already holds a capability covering
    them (the confirmation page of the complaint the files were handed in with). Unknown indices are
    left out."""
    wanted = sorted(set(leaf_indices))
    if not wanted:
        return {}
    rows = session.execute(
        select(EvidenceEntry.leaf_index, EvidenceEntry.leaf).where(EvidenceEntry.leaf_index.in_(wanted))
    )
    return {int(i): intake.receipt_token(int(i), bytes(leaf)) for i, leaf in rows}


def verify(
    receipt: Any,
    *,
    file_sha256: str | None = None,
    file_sm3: str | None = None,
    pinned_key: str | None = None,
) -> standalone_verifier.VerificationReport:
    """Check a receipt offline (no database), optionally against a file's digests."""
    return standalone_verifier.verify_receipt(
        receipt, None, pinned_key or None, file_sha256=file_sha256, file_sm3=file_sm3
    )


def receipt_for(session: Session, appended: Appended) -> dict[str, Any]:
    """The receipt of an append just acknowledged to its submitter (no permission check needed):
    the one built with its batch, or (for an idempotent repeat) one read from the log."""
    if appended.receipt is not None:
        return appended.receipt
    return receipts.build_receipt(session, leaf_index=appended.leaf_index, tree_size=appended.tree_size)


# -- keys, checkpoints, audit --------------------------------------------------------------------------


def key_history(*, session: Session) -> list[KeyOut]:
    """The published key history: every verifier key of the log and when it was valid."""
    return [KeyOut.of(k) for k in log.key_history(session)]


def rotate_key(*, session: Session, actor: Actor, keyring: KeyRing | None = None) -> KeyOut:
    if not actor.is_admin:
        raise PermissionDenied("只有系统管理员可以轮换存证日志密钥")
    key = log.rotate_key(session, keyring=keyring or KeyRing.for_settings())
    audit.record(
        session,
        actor=actor,
        action="evidence.key_rotate",
        object_type="evidence_key",
        object_id=key.key_id,
        summary=f"轮换存证日志签名密钥，新密钥 {key.key_id}",
        detail={"verifier_key": key.verifier_key},
    )
    return KeyOut.of(key)


def latest_checkpoint(*, session: Session) -> CheckpointOut | None:
    row = session.scalar(select(EvidenceCheckpoint).order_by(EvidenceCheckpoint.tree_size.desc()).limit(1))
    return None if row is None else CheckpointOut.of(row)


def audit_store(
    *,
    session: Session,
    actor: Actor,
    blobs: BlobStore | None = None,
    keyring: KeyRing | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> integrity.AuditReport:
    """Re-verify the whole store (see :mod:`tianping.evidence.integrity`)."""
    actor.require(Perm.AUDIT_READ)
    return integrity.audit(
        session,
        blobs=blobs or BlobStore.for_settings(),
        keyring=keyring or KeyRing.for_settings(),
        progress=progress,
    )


def sweep_blobs(
    *, session: Session, actor: Actor, dry_run: bool = False, blobs: BlobStore | None = None
) -> list[Path]:
    """Delete files no entry names (left by interrupted submissions or a demo reset)."""
    if not actor.is_admin:
        raise PermissionDenied("只有系统管理员可以清理存证文件")
    blobs = blobs or BlobStore.for_settings()
    referenced = set(
        session.scalars(select(EvidenceEntry.sha256).where(EvidenceEntry.has_blob.is_(True)).distinct())
    )
    paths = blobs.unreferenced(referenced)
    if not dry_run:
        for path in paths:
            path.unlink(missing_ok=True)
        if paths:
            audit.record(
                session,
                actor=actor,
                action="evidence.sweep",
                object_type="evidence_blob",
                object_id=None,
                summary=f"清理未被存证记录引用的文件 {len(paths)} 个",
                detail={"files": [p.name for p in paths[:100]]},
            )
    return paths
