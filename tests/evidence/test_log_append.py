"""Appending to the persistent log: receipts that verify offline, idempotency, proofs from stored nodes."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.evidence.evidence_support import ADMIN, BUSINESS, OFFICER, Vault
from tianping.core.audit import AuditEvent
from tianping.core.errors import Conflict, FileRejected
from tianping.core.settings import Settings
from tianping.evidence import merkle, note, receipts, service
from tianping.evidence.entries import Links, canonical
from tianping.evidence.log import Submission, append, load_head
from tianping.evidence.models import EntryKind, EvidenceCheckpoint, EvidenceEntry, EvidenceNode
from tianping.evidence.schemas import HashRegistrationIn, ItemIn
from tianping.evidence.standalone_verifier import verify_receipt
from tianping.evidence.store import DbNodeStore

PNG = b"\x89PNG\r\n\x1a\n" + b"fictitious screenshot of a product page " * 40


def test_add_receipt_verify_round_trip(db_session: Session, vault: Vault) -> None:
    appended = vault.add(db_session, PNG, case="AJ-2026-0001", ticket="TS-88")
    assert (appended.leaf_index, appended.tree_size, appended.duplicate) == (0, 1, False)
    entry = appended.entry
    assert entry["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert entry["size"] == len(PNG) and entry["media_type"] == "image/png"
    assert entry["links"] == {"ticket": "TS-88", "case": "AJ-2026-0001", "incident": None}
    assert entry["registered_at"].endswith("Z") and entry["kind"] == "evidence"
    assert entry["submitter"].startswith("tp-") and "officer" not in json.dumps(entry)
    assert vault.blobs.path_for(entry["sha256"]).read_bytes() == PNG

    receipt = service.receipt_for(db_session, appended)
    assert receipt is appended.receipt  # built with the batch, before the commit acknowledged it
    assert receipt == receipts.build_receipt(db_session, leaf_index=0, tree_size=1)
    assert receipt["format"] == receipts.RECEIPT_FORMAT
    assert base64_decode(receipt["leaf_b64"]) == canonical(entry)
    report = verify_receipt(receipt, PNG)
    assert report.verified, [c.message_en for c in report.failures]
    assert not verify_receipt(receipt, PNG + b"x").verified

    row = db_session.get(EvidenceEntry, 0)
    assert row is not None and row.submitted_by == OFFICER.user_id and row.has_blob
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.add")).all()
    assert [(e.object_id, e.actor_username) for e in events] == [("0", "officer")]


def base64_decode(text: str) -> bytes:
    return base64.b64decode(text)


def test_receipts_of_later_entries_verify_against_the_latest_checkpoint(
    db_session: Session, vault: Vault
) -> None:
    contents = [f"证据 {i}".encode() for i in range(7)]
    appended = [vault.add(db_session, c) for c in contents]
    assert [a.leaf_index for a in appended] == list(range(7))
    assert [a.tree_size for a in appended] == list(range(1, 8))
    for a, content in zip(appended, contents, strict=True):
        latest = service.receipt(session=db_session, actor=OFFICER, leaf_index=a.leaf_index)
        assert latest["tree_size"] == 7
        assert verify_receipt(latest, content).verified
        at_append = service.receipt(
            session=db_session, actor=OFFICER, leaf_index=a.leaf_index, tree_size=a.tree_size
        )
        assert verify_receipt(at_append, content).verified


def test_hash_registration_proves_possession_without_upload(db_session: Session, vault: Vault) -> None:
    secret = b"fictitious recipe: 3 parts tea, 1 part osmanthus"
    digest = hashlib.sha256(secret).hexdigest()
    appended = vault.register(db_session, digest.upper(), size=len(secret))
    assert appended.entry["kind"] == "hash_registration"
    assert appended.entry["sha256"] == digest and appended.entry["media_type"] is None
    assert not vault.blobs.exists(digest)
    receipt = service.receipt(session=db_session, actor=BUSINESS, leaf_index=appended.leaf_index)
    assert verify_receipt(receipt, secret).verified
    assert not verify_receipt(receipt, secret + b"!").verified


def test_idempotency_key_never_duplicates(db_session: Session, vault: Vault) -> None:
    first = vault.add(db_session, PNG, idempotency_key="upload-0001")
    again = vault.add(db_session, PNG, idempotency_key="upload-0001", purpose="重试")
    assert again.duplicate and again.leaf_index == first.leaf_index and again.entry == first.entry
    with pytest.raises(Conflict) as exc:
        vault.add(db_session, PNG + b"other", idempotency_key="upload-0001")
    assert exc.value.errors[0].field == "idempotency_key"
    assert db_session.scalar(select(func.count()).select_from(EvidenceEntry)) == 1


def test_idempotency_inside_one_batch(db_session: Session, vault: Vault) -> None:
    def sub(sha: str, key: str | None) -> Submission:
        return Submission(
            actor=OFFICER,
            kind=EntryKind.HASH_REGISTRATION,
            sha256=sha,
            sm3=None,
            media_type=None,
            size=None,
            submitter="tp-test",
            purpose="批量",
            idempotency_key=key,
        )

    a, b = "a" * 64, "b" * 64
    outcomes = append(
        db_session,
        [sub(a, "batch-key-1"), sub(a, "batch-key-1"), sub(b, "batch-key-1"), sub(b, None)],
        keyring=vault.keyring,
    )
    first, repeat, conflict, plain = outcomes
    assert not isinstance(first, Exception) and not isinstance(repeat, Exception)
    assert repeat.duplicate and repeat.leaf_index == first.leaf_index == 0
    assert isinstance(conflict, Conflict)
    assert not isinstance(plain, Exception) and plain.leaf_index == 1 and plain.tree_size == 2
    assert db_session.scalar(select(func.count()).select_from(EvidenceCheckpoint)) == 1


def test_proofs_from_stored_nodes_equal_the_reference_for_every_size(
    db_session: Session, vault: Vault
) -> None:
    """Appended one batch at a time (sizes 1, 2, 3 … with batches of 1–4), every stored proof,
    root and consistency proof equals the list-based reference over all leaves."""
    leaves: list[bytes] = []
    sizes: list[int] = []
    i = 0
    while len(leaves) < 100:
        batch = [f"{n:064x}" for n in range(i, i + 1 + i % 4)]
        i += len(batch)
        outcomes = append(
            db_session,
            [
                Submission(
                    actor=OFFICER,
                    kind=EntryKind.HASH_REGISTRATION,
                    sha256=sha,
                    sm3=None,
                    media_type=None,
                    size=None,
                    submitter="tp-test",
                    purpose="proof test",
                )
                for sha in batch
            ],
            keyring=vault.keyring,
        )
        leaves += [canonical(o.entry) for o in outcomes if not isinstance(o, Exception)]
        sizes.append(len(leaves))
        for o in outcomes:  # the receipts built with the batch carry the reference proofs
            assert not isinstance(o, Exception) and o.receipt is not None
            reference = merkle.inclusion_proof(leaves, o.leaf_index)
            assert o.receipt["inclusion_proof"] == [base64.b64encode(h).decode() for h in reference]
    store = DbNodeStore(db_session)
    stored_nodes = db_session.scalar(select(func.count()).select_from(EvidenceNode))
    assert stored_nodes == sum(len(leaves) >> level for level in range(8))
    checkpoints = {c.tree_size: bytes(c.root) for c in db_session.scalars(select(EvidenceCheckpoint))}
    assert sorted(checkpoints) == sizes
    for n in range(1, len(leaves) + 1):
        assert merkle.root_from_store(store, n) == merkle.root(leaves[:n])
        for index in range(n):
            assert merkle.inclusion_proof_from_store(store, index, n) == merkle.inclusion_proof(
                leaves[:n], index
            )
    for n in sizes:
        assert checkpoints[n] == merkle.root(leaves[:n])
    for old, new in itertools.pairwise(sizes):
        proof = merkle.consistency_proof_from_store(store, old, new)
        assert proof == merkle.consistency_proof(leaves[:new], old)
        assert merkle.verify_consistency(old, new, checkpoints[old], checkpoints[new], proof)


def test_checkpoints_are_signed_notes_of_the_head(db_session: Session, vault: Vault) -> None:
    vault.add(db_session, PNG)
    vault.add(db_session, PNG + b"2")
    head = load_head(db_session)
    assert head is not None and head.tree_size == 2
    assert head.origin.startswith("tianping.invalid/evidence/")
    latest = service.latest_checkpoint(session=db_session)
    assert latest is not None and latest.tree_size == 2
    keys = [k.verifier_key for k in service.key_history(session=db_session)]
    body, names = note.open_note(latest.note, keys)
    parsed = note.parse_checkpoint(body)
    assert (parsed.origin, parsed.size, parsed.root, names) == (
        head.origin,
        2,
        bytes(head.root),
        [head.origin],
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"purpose": ""}, "purpose"),
        ({"purpose": "换行\n不行"}, "purpose"),
        ({"case": "有 空格"}, "case"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"submitter": "张 三"}, "submitter"),
        ({"media_type": "not a type"}, "media_type"),
    ],
)
def test_bad_item_fields_name_the_field(fields: dict[str, str], field: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as exc:
        ItemIn(**({"purpose": "测试"} | fields))
    assert exc.value.errors()[0]["loc"] == (field,)


@pytest.mark.parametrize("digest", ["", "abc", "g" * 64, "a" * 63, "a" * 65])
def test_bad_digest_is_refused(digest: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as exc:
        HashRegistrationIn(sha256=digest, purpose="x")
    assert exc.value.errors()[0]["loc"] == ("sha256",)
    assert "64 位十六进制" in exc.value.errors()[0]["msg"]


def test_too_large_or_empty_file_is_refused_and_nothing_is_written(db_session: Session, vault: Vault) -> None:
    import io

    small = Settings(evidence_max_bytes=100)
    with pytest.raises(FileRejected) as exc:
        service.prepare_item(
            actor=OFFICER,
            source=io.BytesIO(b"x" * 101),
            item_in=ItemIn(purpose="x"),
            blobs=vault.blobs,
            settings=small,
        )
    assert exc.value.errors[0].field == "file"
    with pytest.raises(FileRejected):
        vault.add(db_session, b"")
    assert list(vault.blobs.iter_blobs()) == []
    assert not list((vault.blobs.root / "tmp").iterdir())
    assert db_session.scalar(select(func.count()).select_from(EvidenceEntry)) == 0


def test_analyst_may_not_keep_evidence(db_session: Session, vault: Vault) -> None:
    from tests.evidence.evidence_support import ANALYST
    from tianping.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        vault.add(db_session, PNG, actor=ANALYST)
    assert not list(vault.blobs.iter_blobs())


def test_links_of_a_custody_attach(db_session: Session, vault: Vault) -> None:
    item = vault.add(db_session, PNG)
    attached = service.attach_item(
        session=db_session,
        actor=ADMIN,
        leaf_index=item.leaf_index,
        links=Links(case="AJ-2026-0002"),
        purpose="并案",
        keyring=vault.keyring,
    )
    assert attached.entry["links"]["case"] == "AJ-2026-0002" and attached.entry["ref"] == item.leaf_index
