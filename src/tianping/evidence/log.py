"""Appending to the persistent log: one transaction per batch of submissions.

:func:`append` is the only writer of the log tables. Inside the caller's transaction it

1. takes the log lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: a write on the head
   row, which takes the database's single write lock before anything is read), so leaf indices are
   allocated by one writer at a time across threads and processes;
2. drops submissions whose idempotency key is already in the log (answering with the stored entry);
3. inserts the entries, the perfect-subtree nodes they complete (computed from the right-edge
   "frontier" nodes of the old tree — never by rebuilding it), one signed checkpoint of the new
   tree, and the audit events;

and the caller commits. Nothing is acknowledged before that commit: the batching writer
(:mod:`tianping.evidence.writer`) resolves its futures only after it, and ``tianping evidence add``
prints its receipt only after it.

:func:`durable_session` is the unit of work for appends: on SQLite it switches its connection to
``synchronous=FULL`` (the rest of the application runs with ``NORMAL``), so an acknowledged entry
survives a power loss, not only a crash of the process.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.orm import Session

from tianping.core import audit
from tianping.core.authz import Actor
from tianping.core.db import get_engine
from tianping.core.errors import Conflict, FieldError, TianpingError
from tianping.core.settings import Settings, get_settings
from tianping.core.timeutil import utcnow
from tianping.evidence import merkle, note, receipts
from tianping.evidence.entries import Links, canonical, make_entry
from tianping.evidence.keys import KeyRing, key_id_of
from tianping.evidence.models import (
    EntryKind,
    EvidenceCheckpoint,
    EvidenceEntry,
    EvidenceKey,
    EvidenceLogHead,
)
from tianping.evidence.store import DbNodeStore, LogCorrupted, insert_nodes

HEAD_ID = 1
PG_LOCK_KEY = 0x74705F6576696400  # "tp_evid\0": the advisory lock of the evidence log
EMPTY_ROOT = merkle.root([])


@dataclass(frozen=True)
class Submission:
    """A validated request to append one entry (see :mod:`tianping.evidence.service`)."""

    actor: Actor
    kind: EntryKind
    sha256: str
    sm3: str | None
    media_type: str | None
    size: int | None
    submitter: str
    purpose: str
    links: Links = field(default_factory=Links)
    ref: int | None = None
    action: str | None = None
    has_blob: bool = False
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Appended:
    """An entry in the log. ``tree_size`` is the size of a signed checkpoint that includes it."""

    leaf_index: int
    tree_size: int
    entry: dict[str, Any]
    duplicate: bool = False
    receipt: dict[str, Any] | None = field(default=None, repr=False)  # built with its batch


class _OverlayStore:
    """New nodes of the batch being written, over the stored ones."""

    def __init__(self, fresh: dict[tuple[int, int], bytes], below: DbNodeStore) -> None:
        self.fresh = fresh
        self.below = below

    def get_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        out = {k: self.fresh[k] for k in keys if k in self.fresh}
        missing = [k for k in keys if k not in out]
        out.update(self.below.get_nodes(missing))
        return out


def lock_log(session: Session) -> None:
    """Serialise appenders until the end of the transaction (see the module docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    else:
        session.execute(
            update(EvidenceLogHead).where(EvidenceLogHead.id == HEAD_ID).values(id=EvidenceLogHead.id)
        )


def load_head(session: Session) -> EvidenceLogHead | None:
    return session.get(EvidenceLogHead, HEAD_ID, populate_existing=True)


def _create_head(session: Session, settings: Settings, now: datetime) -> EvidenceLogHead:
    head = EvidenceLogHead(
        id=HEAD_ID,
        origin=f"{settings.evidence_origin.rstrip('/')}/{secrets.token_hex(4)}",
        tree_size=0,
        root=EMPTY_ROOT,
        created_at=now,
        updated_at=now,
    )
    session.add(head)
    session.flush()
    return head


def active_key(session: Session) -> EvidenceKey | None:
    return session.scalar(
        select(EvidenceKey).where(EvidenceKey.valid_until.is_(None)).order_by(EvidenceKey.id.desc()).limit(1)
    )


def key_history(session: Session) -> list[EvidenceKey]:
    return list(session.scalars(select(EvidenceKey).order_by(EvidenceKey.id)))


def _new_key(session: Session, keyring: KeyRing, name: str, now: datetime) -> EvidenceKey:
    _signer, verifier = keyring.create(name)
    key = EvidenceKey(
        name=name,
        key_id=key_id_of(verifier),
        verifier_key=verifier,
        valid_from=now,
        valid_until=None,
    )
    session.add(key)
    session.flush()
    return key


def rotate_key(session: Session, *, keyring: KeyRing, settings: Settings | None = None) -> EvidenceKey:
    """Retire the current key and start a new one (under the log lock).

    The new key is announced by a transition note naming both keys and signed by both, so whoever
    pinned the old key can check the new one.
    """
    settings = settings or get_settings()
    lock_log(session)
    now = utcnow()
    head = load_head(session) or _create_head(session, settings, now)
    old = active_key(session)
    if old is not None:
        now = max(now, old.valid_from, head.updated_at)
        old.valid_until = now
        session.flush()
    new = _new_key(session, keyring, head.origin, now)
    if old is not None:
        body = (
            f"tianping evidence key rotation\n{head.origin}\n"
            f"retired {old.verifier_key}\nactive {new.verifier_key}\nat {now.isoformat()}\n"
        )
        by_old = note.sign_note(body, keyring.signer_for(old.verifier_key))
        by_new = note.sign_note(body, keyring.signer_for(new.verifier_key))
        _body, by_new_sigs = note.split_note(by_new)
        new.transition_note = by_old + "".join(f"{sig.line}\n" for sig in by_new_sigs)
    return new


def _signing_key(
    session: Session, keyring: KeyRing, head: EvidenceLogHead, now: datetime
) -> tuple[EvidenceKey, str]:
    key = active_key(session)
    if key is None:
        key = _new_key(session, keyring, head.origin, now)
    return key, keyring.signer_for(key.verifier_key)


def _existing_by_key(session: Session, keys: list[str]) -> dict[str, EvidenceEntry]:
    if not keys:
        return {}
    rows = session.scalars(select(EvidenceEntry).where(EvidenceEntry.idempotency_key.in_(keys)))
    return {row.idempotency_key: row for row in rows if row.idempotency_key is not None}


def _key_conflict(key: str) -> Conflict:
    return Conflict(
        "该幂等键已用于另一份内容",
        errors=[FieldError("idempotency_key", f"幂等键 {key} 已登记了不同的内容，请换用新的幂等键")],
    )


AUDIT_ACTIONS: dict[str, str] = {
    EntryKind.EVIDENCE: "evidence.add",
    EntryKind.HASH_REGISTRATION: "evidence.register_hash",
    EntryKind.CUSTODY: "evidence.custody",
}


def append(
    session: Session,
    submissions: Sequence[Submission],
    *,
    keyring: KeyRing,
    settings: Settings | None = None,
) -> list[Appended | TianpingError]:
    """Append a batch in the caller's transaction; one outcome per submission, in order.

    A submission whose idempotency key is already in the log (or earlier in the batch) with the
    same content answers with that entry (``duplicate=True``); with other content, a ``Conflict``.
    """
    settings = settings or get_settings()
    lock_log(session)
    now = utcnow()
    head = load_head(session) or _create_head(session, settings, now)
    key, signer = _signing_key(session, keyring, head, now)
    now = max(now, head.updated_at, key.valid_from)
    start = head.tree_size

    existing = _existing_by_key(
        session, sorted({s.idempotency_key for s in submissions if s.idempotency_key})
    )
    outcomes: list[Appended | TianpingError | None] = [None] * len(submissions)
    fresh: list[tuple[int, Submission, dict[str, Any], bytes]] = []
    batch_keys: dict[str, tuple[int, Submission]] = {}
    repeats: dict[int, int] = {}  # submission -> earlier submission of this batch with its key
    for i, sub in enumerate(submissions):
        k = sub.idempotency_key
        if k is not None and k in existing:
            row = existing[k]
            if row.sha256 != sub.sha256 or row.kind != sub.kind:
                outcomes[i] = _key_conflict(k)
            else:
                outcomes[i] = Appended(row.leaf_index, start, json.loads(row.leaf), duplicate=True)
            continue
        if k is not None and k in batch_keys:
            first_i, first = batch_keys[k]
            if (first.sha256, first.kind) != (sub.sha256, sub.kind):
                outcomes[i] = _key_conflict(k)
            else:
                repeats[i] = first_i
            continue
        if k is not None:
            batch_keys[k] = (i, sub)
        entry = make_entry(
            kind=sub.kind,
            sha256=sub.sha256,
            sm3=sub.sm3,
            media_type=sub.media_type,
            size=sub.size,
            submitter=sub.submitter,
            purpose=sub.purpose,
            links=sub.links,
            registered_at=now,
            ref=sub.ref,
            action=sub.action,
        )
        fresh.append((i, sub, entry, canonical(entry)))

    new_size = start + len(fresh)
    if fresh:
        leaf_hashes = [merkle.leaf_hash(leaf) for *_, leaf in fresh]
        store = DbNodeStore(session)
        frontier_keys = merkle.required_nodes_for_root(start)
        frontier = store.get_nodes(frontier_keys)
        if len(frontier) != len(frontier_keys):
            raise LogCorrupted("存证日志的已存节点缺失，无法追加；请运行 tianping evidence audit")
        new_nodes = merkle.new_nodes_for_append(frontier, start, leaf_hashes)
        entry_rows = []
        for offset, (_i, sub, _entry, leaf) in enumerate(fresh):
            entry_rows.append(
                {
                    "leaf_index": start + offset,
                    "leaf": leaf,
                    "kind": sub.kind.value,
                    "sha256": sub.sha256,
                    "sm3": sub.sm3,
                    "media_type": sub.media_type,
                    "size": sub.size,
                    "submitter": sub.submitter,
                    "purpose": sub.purpose,
                    "link_ticket": sub.links.ticket,
                    "link_case": sub.links.case,
                    "link_incident": sub.links.incident,
                    "registered_at": now,
                    "ref_index": sub.ref,
                    "action": sub.action,
                    "has_blob": sub.has_blob,
                    "submitted_by": sub.actor.user_id,
                    "idempotency_key": sub.idempotency_key,
                }
            )
        conn = session.connection()  # Core inserts: the ORM's bulk machinery costs more than the rows
        conn.execute(insert(EvidenceEntry), entry_rows)
        insert_nodes(conn, new_nodes)
        overlay = _OverlayStore({(lv, pos): h for lv, pos, h in new_nodes}, store)
        root = merkle.root_from_store(overlay, new_size)
        signed_note = note.sign_note(note.format_checkpoint(head.origin, new_size, root), signer)
        conn.execute(
            insert(EvidenceCheckpoint),
            [
                {
                    "tree_size": new_size,
                    "root": root,
                    "note": signed_note,
                    "key_id": key.key_id,
                    "signed_at": now,
                }
            ],
        )
        head.tree_size = new_size
        head.root = root
        head.updated_at = now
        proofs = _batch_proofs(overlay, start, new_size)
        keys = receipts.published_keys(session)
        for offset, (i, _sub, entry, leaf) in enumerate(fresh):
            receipt = receipts.assemble(
                leaf=leaf,
                leaf_index=start + offset,
                tree_size=new_size,
                proof=proofs[offset],
                checkpoint=signed_note,
                signed_at=now,
                keys=keys,
            )
            outcomes[i] = Appended(start + offset, new_size, entry, receipt=receipt)
        session.flush()
        _record_audits(session, [(sub, start + offset) for offset, (_i, sub, _e, _l) in enumerate(fresh)])
    result: list[Appended | TianpingError] = []
    for i, outcome in enumerate(outcomes):
        if i in repeats:
            earlier = outcomes[repeats[i]]
            assert isinstance(earlier, Appended)
            outcome = Appended(
                earlier.leaf_index, earlier.tree_size, earlier.entry, duplicate=True, receipt=earlier.receipt
            )
        assert outcome is not None
        result.append(outcome)
    return result


class _DictStore:
    def __init__(self, nodes: dict[tuple[int, int], bytes]) -> None:
        self.nodes = nodes

    def get_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {k: self.nodes[k] for k in keys if k in self.nodes}


def _batch_proofs(overlay: _OverlayStore, start: int, new_size: int) -> list[list[bytes]]:
    """Inclusion proofs at ``new_size`` of the leaves just appended, from one fetch of their nodes."""
    needed = {k for i in range(start, new_size) for k in merkle.required_nodes_for_inclusion(i, new_size)}
    store = _DictStore(overlay.get_nodes(sorted(needed)))
    return [merkle.inclusion_proof_from_store(store, i, new_size) for i in range(start, new_size)]


def _record_audits(session: Session, appended: list[tuple[Submission, int]]) -> None:
    """One audit event per appended entry, written per actor in one statement."""
    by_actor: dict[Actor, list[audit.EventSpec]] = {}
    for sub, leaf_index in appended:
        what = {
            EntryKind.EVIDENCE: "登记电子证据",
            EntryKind.HASH_REGISTRATION: "登记文件摘要",
            EntryKind.CUSTODY: f"保管链记录（{sub.action}）存证 #{sub.ref}",
        }[sub.kind]
        by_actor.setdefault(sub.actor, []).append(
            audit.EventSpec(
                action=AUDIT_ACTIONS[sub.kind] + (f".{sub.action}" if sub.action else ""),
                object_type="evidence_entry",
                object_id=leaf_index,
                summary=f"{what}：#{leaf_index} SHA-256 {sub.sha256[:16]}…",
                detail={"sha256": sub.sha256, "ref": sub.ref, "links": sub.links.as_json()},
            )
        )
    for actor, events in by_actor.items():
        audit.record_many(session, actor=actor, events=events)


@contextmanager
def durable_session(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work for appends: commit on success (fsync'd on SQLite), roll back on error.

    The one place outside the edges that commits: the log's writers own their unit of work, since
    an entry is acknowledged only once it is durable.
    """
    engine = engine or get_engine()
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA synchronous=FULL")  # type: ignore[union-attr]
        session = Session(bind=conn, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA synchronous=NORMAL")  # type: ignore[union-attr]
