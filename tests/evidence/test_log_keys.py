"""The log's signing keys: created on first use (0600 in a 0700 directory), rotated with a published
history, old receipts still verifying, a missing key file refused clearly."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tests.evidence.evidence_support import ADMIN, OFFICER, Vault
from tianping.core.audit import AuditEvent
from tianping.core.errors import PermissionDenied
from tianping.evidence import note, service
from tianping.evidence.keys import KeyFileMissing, KeyRing
from tianping.evidence.log import load_head
from tianping.evidence.models import (
    EvidenceCheckpoint,
    EvidenceEntry,
    EvidenceKey,
    EvidenceLogHead,
    EvidenceNode,
)
from tianping.evidence.standalone_verifier import verify_receipt


def test_first_append_creates_a_private_key(db_session: Session, vault: Vault) -> None:
    assert service.key_history(session=db_session) == []
    vault.add(db_session, b"first evidence")
    (key,) = service.key_history(session=db_session)
    assert key.valid_until is None and key.transition_note is None
    files = list(vault.keyring.root.iterdir())
    assert [f.name for f in files] == [f"{key.key_id}.key"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(vault.keyring.root.stat().st_mode) == 0o700
    signer, verifier = files[0].read_text().splitlines()
    assert verifier == key.verifier_key and note.verifier_key_for(signer) == verifier
    assert note.parse_verifier_key(key.verifier_key).name == key.name


def test_rotation_keeps_old_receipts_valid_and_signs_with_new_key(db_session: Session, vault: Vault) -> None:
    before = vault.add(db_session, b"before rotation")
    old_receipt = service.receipt_for(db_session, before)
    new = service.rotate_key(session=db_session, actor=ADMIN, keyring=vault.keyring)
    after = vault.add(db_session, b"after rotation")

    history = service.key_history(session=db_session)
    assert [k.verifier_key for k in history][-1] == new.verifier_key
    old = history[0]
    assert old.valid_until is not None and old.valid_until == new.valid_from
    checkpoint = db_session.get(EvidenceCheckpoint, after.tree_size)
    assert checkpoint is not None and checkpoint.key_id == new.key_id
    with pytest.raises(note.NoteError):
        note.open_note(checkpoint.note, [old.verifier_key])

    assert verify_receipt(old_receipt, b"before rotation").verified
    for leaf_index, content in ((0, b"before rotation"), (1, b"after rotation")):
        receipt = service.receipt(session=db_session, actor=OFFICER, leaf_index=leaf_index)
        assert len(receipt["log_public_keys"]) == 2
        report = verify_receipt(receipt, content)
        assert report.verified and report.verified_by == new.verifier_key
    # pinning the old key: its receipt verifies, the new checkpoints do not
    assert verify_receipt(old_receipt, b"before rotation", old.verifier_key).verified
    assert not verify_receipt(service.receipt_for(db_session, after), None, old.verifier_key).verified

    # the transition statement is signed by both keys
    assert new.transition_note is not None
    body, _names = note.open_note(new.transition_note, [old.verifier_key])
    note.open_note(new.transition_note, [new.verifier_key])
    assert f"retired {old.verifier_key}" in body and f"active {new.verifier_key}" in body
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.key_rotate"))
    assert event is not None and event.object_id == new.key_id


def test_only_administrators_rotate(db_session: Session, vault: Vault) -> None:
    with pytest.raises(PermissionDenied):
        service.rotate_key(session=db_session, actor=OFFICER, keyring=vault.keyring)


def test_missing_key_file_is_a_clear_error_and_nothing_is_appended(db_session: Session, vault: Vault) -> None:
    vault.add(db_session, b"one")
    fresh = KeyRing(vault.keyring.root)  # another process: nothing cached
    for path in fresh.root.iterdir():
        path.unlink()
    vault.keyring = fresh
    with pytest.raises(KeyFileMissing) as exc:
        vault.add(db_session, b"two")
    assert "密钥文件缺失" in exc.value.message


def test_corrupted_key_file_is_refused(db_session: Session, vault: Vault) -> None:
    vault.add(db_session, b"one")
    (path,) = list(vault.keyring.root.iterdir())
    other_signer, _other_verifier = note.generate_signer("someone.else/log")
    _signer, verifier = path.read_text().splitlines()
    path.write_text(f"{other_signer}\n{verifier}\n")
    fresh = KeyRing(vault.keyring.root)
    with pytest.raises(KeyFileMissing) as exc:
        fresh.signer_for(verifier)
    assert "已损坏" in exc.value.message


def test_emptied_log_starts_afresh_with_new_origin_and_key(db_session: Session, vault: Vault) -> None:
    """What a demo reset does: the tables are emptied; the next append starts a new log whose
    checkpoints cannot contradict the old log's (another origin, another key)."""
    first = vault.add(db_session, b"before the reset")
    old_receipt = service.receipt_for(db_session, first)
    old_head = load_head(db_session)
    assert old_head is not None
    old_origin, (old_key,) = old_head.origin, service.key_history(session=db_session)
    for model in (EvidenceEntry, EvidenceNode, EvidenceCheckpoint, EvidenceKey, EvidenceLogHead):
        db_session.execute(delete(model))
    db_session.expire_all()
    second = vault.add(db_session, b"after the reset")
    assert (second.leaf_index, second.tree_size) == (0, 1)
    head = load_head(db_session)
    assert head is not None and head.origin != old_origin
    (new_key,) = service.key_history(session=db_session)
    assert new_key.verifier_key != old_key.verifier_key and new_key.name == head.origin
    assert verify_receipt(old_receipt, b"before the reset").verified  # receipts are self-contained
    report = service.audit_store(session=db_session, actor=ADMIN, blobs=vault.blobs, keyring=vault.keyring)
    assert report.ok and report.files == 1
    assert any("未被任何存证条目引用" in n for n in report.notes_zh)  # the old file, until swept
