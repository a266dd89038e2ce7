"""Tampering with any part of the store is found by the audit — naming exactly that part — and by
offline verification of the receipts it touches."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from tests.evidence.evidence_support import ADMIN, OFFICER, Vault
from tianping.evidence import merkle, service
from tianping.evidence.entries import canonical
from tianping.evidence.integrity import AuditReport
from tianping.evidence.models import EvidenceCheckpoint, EvidenceEntry, EvidenceLogHead, EvidenceNode
from tianping.evidence.standalone_verifier import verify_receipt

SIZE = 11  # 8 + 2 + 1: a left perfect subtree, a pair and a lone leaf on the right edge


@dataclass
class Store:
    session: Session
    vault: Vault
    contents: list[bytes]

    def audit(self) -> AuditReport:
        self.session.flush()
        self.session.expire_all()
        return service.audit_store(
            session=self.session, actor=ADMIN, blobs=self.vault.blobs, keyring=self.vault.keyring
        )

    def receipt(self, leaf_index: int, tree_size: int | None = None) -> dict[str, object]:
        return service.receipt(
            session=self.session, actor=OFFICER, leaf_index=leaf_index, tree_size=tree_size
        )

    def node(self, level: int, position: int) -> bytes:
        value = self.session.scalar(
            select(EvidenceNode.hash).where(EvidenceNode.level == level, EvidenceNode.position == position)
        )
        assert value is not None
        return bytes(value)

    def set_node(self, level: int, position: int, value: bytes) -> None:
        self.session.execute(
            update(EvidenceNode)
            .where(EvidenceNode.level == level, EvidenceNode.position == position)
            .values(hash=value)
        )

    def leaf(self, index: int) -> bytes:
        value = self.session.scalar(select(EvidenceEntry.leaf).where(EvidenceEntry.leaf_index == index))
        assert value is not None
        return bytes(value)


@pytest.fixture
def store(db_session: Session, vault: Vault) -> Store:
    contents = [f"示例证据文件 {i}：直播间商品价格截图".encode() * (i + 1) for i in range(SIZE)]
    for content in contents:
        vault.add(db_session, content)
    result = Store(db_session, vault, contents)
    report = result.audit()
    assert report.ok, report.problems
    assert (report.tree_size, report.entries, report.checkpoints, report.files) == (SIZE, SIZE, SIZE, SIZE)
    return result


def _targets(report: AuditReport) -> set[tuple[str, str]]:
    return {(p.code, p.target) for p in report.problems}


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 0x01]) + value[1:]


def test_untouched_store_audits_clean_and_receipts_verify(store: Store) -> None:
    for i, content in enumerate(store.contents):
        assert verify_receipt(store.receipt(i), content).verified


def test_changed_file_is_named(store: Store) -> None:
    sha = hashlib.sha256(store.contents[4]).hexdigest()
    path = store.vault.blobs.path_for(sha)
    os.chmod(path, 0o600)
    path.write_bytes(store.contents[4].replace("价格".encode(), "价钱".encode()))
    report = store.audit()
    assert _targets(report) == {("file_tampered", f"file {sha}")}
    assert report.problems[0].expected == sha
    assert not verify_receipt(store.receipt(4), path.read_bytes()).verified


def test_deleted_file_is_named(store: Store) -> None:
    sha = hashlib.sha256(store.contents[2]).hexdigest()
    store.vault.blobs.path_for(sha).unlink()
    assert _targets(store.audit()) == {("file_missing", f"file {sha}")}


def test_rewritten_entry_is_named(store: Store) -> None:
    entry = json.loads(store.leaf(3))
    entry["purpose"] = "篡改后的用途"
    store.session.execute(
        update(EvidenceEntry)
        .where(EvidenceEntry.leaf_index == 3)
        .values(leaf=canonical(entry), purpose=entry["purpose"])
    )
    report = store.audit()
    assert _targets(report) == {("entry_tampered", "entry 3")}
    receipt = store.receipt(3)
    result = verify_receipt(receipt, store.contents[3])
    assert not result.verified
    assert [c.name for c in result.failures] == ["inclusion_proof"]


def test_entry_leaf_changed_without_its_columns_is_named(store: Store) -> None:
    entry = json.loads(store.leaf(6))
    entry["links"]["case"] = "AJ-FAKE-1"
    store.session.execute(
        update(EvidenceEntry).where(EvidenceEntry.leaf_index == 6).values(leaf=canonical(entry))
    )
    report = store.audit()
    assert {t for _c, t in _targets(report)} == {"entry 6"}
    assert {c for c, _t in _targets(report)} == {"entry_tampered", "entry_column"}
    column = next(p for p in report.problems if p.code == "entry_column")
    assert (column.expected, column.found) == ("AJ-FAKE-1", None)


def test_entry_column_changed_is_named(store: Store) -> None:
    store.session.execute(update(EvidenceEntry).where(EvidenceEntry.leaf_index == 7).values(sha256="0" * 64))
    report = store.audit()
    assert _targets(report) == {("entry_column", "entry 7")}
    assert "sha256" in report.problems[0].message_en


def test_deleted_entry_is_named(store: Store) -> None:
    store.session.execute(delete(EvidenceEntry).where(EvidenceEntry.leaf_index == 5))
    assert _targets(store.audit()) == {("entry_missing", "entry 5")}


@pytest.mark.parametrize(
    ("level", "position", "receipt_leaf"),
    [
        (0, 5, 4),  # a leaf hash inside the left subtree: leaf 4's proof uses it
        (1, 2, 7),  # an inner node: leaf 7's proof uses (1, 2)
        (3, 0, 9),  # the left perfect subtree, on the right edge of the tree of size 11
        (1, 4, 10),  # the pair (8, 9), on the right edge
        (0, 10, 8),  # the lone last leaf, on the right edge
    ],
)
def test_changed_stored_hash_is_named(store: Store, level: int, position: int, receipt_leaf: int) -> None:
    store.set_node(level, position, _flip(store.node(level, position)))
    report = store.audit()
    assert _targets(report) == {("node_tampered", f"node {level}/{position}")}
    assert report.problems[0].found == _flip(bytes.fromhex(report.problems[0].expected or "")).hex()
    result = verify_receipt(store.receipt(receipt_leaf), store.contents[receipt_leaf])
    assert [c.name for c in result.failures] == ["inclusion_proof"]


def test_entry_rewritten_with_its_whole_path_is_caught_by_the_signed_checkpoints(store: Store) -> None:
    """The attacker recomputes every stored hash above the changed entry; only the signatures stop him."""
    entry = json.loads(store.leaf(3))
    entry["purpose"] = "改写后的用途"
    leaf = canonical(entry)
    store.session.execute(
        update(EvidenceEntry).where(EvidenceEntry.leaf_index == 3).values(leaf=leaf, purpose=entry["purpose"])
    )
    leaves = [store.leaf(i) for i in range(SIZE)]
    # every perfect node over leaf 3 is recomputed from the changed leaves
    for level in range(4):
        position = 3 >> level
        span = 1 << level
        store.set_node(level, position, merkle.root(leaves[position * span : (position + 1) * span]))
    report = store.audit()
    assert [p.code for p in report.problems] == ["tree_rewritten"]
    problem = report.problems[0]
    assert problem.target == "checkpoint 4"  # the first checkpoint that covered leaf 3
    assert "#3-#3" in problem.message_en
    assert not verify_receipt(store.receipt(3), store.contents[3]).verified


def test_changed_checkpoint_signature_text_is_named(store: Store) -> None:
    row = store.session.get(EvidenceCheckpoint, 6)
    assert row is not None
    forged_root = merkle.root([b"forged"])
    lines = row.note.split("\n")
    lines[2] = __import__("base64").b64encode(forged_root).decode()
    store.session.execute(
        update(EvidenceCheckpoint)
        .where(EvidenceCheckpoint.tree_size == 6)
        .values(note="\n".join(lines), root=forged_root)
    )
    report = store.audit()
    assert _targets(report) == {("checkpoint_signature", "checkpoint 6")}
    result = verify_receipt(store.receipt(2, tree_size=6), store.contents[2])
    assert "checkpoint_signature" in [c.name for c in result.failures]


def test_changed_checkpoint_root_column_is_named(store: Store) -> None:
    store.session.execute(
        update(EvidenceCheckpoint).where(EvidenceCheckpoint.tree_size == 9).values(root=merkle.root([b"x"]))
    )
    assert _targets(store.audit()) == {("checkpoint_row", "checkpoint 9")}


def test_deleted_latest_checkpoint_leaves_entries_unsigned(store: Store) -> None:
    store.session.execute(delete(EvidenceCheckpoint).where(EvidenceCheckpoint.tree_size == SIZE))
    report = store.audit()
    assert {c for c, _t in _targets(report)} == {"entry_unsigned", "head_mismatch", "node_extra"}
    unsigned = next(p for p in report.problems if p.code == "entry_unsigned")
    assert unsigned.target == "entries 10-10"


def test_inserted_entry_is_named(store: Store) -> None:
    row = store.session.get(EvidenceEntry, 0)
    assert row is not None
    store.session.execute(
        insert(EvidenceEntry),
        [
            {
                "leaf_index": SIZE,
                "leaf": bytes(row.leaf),
                "kind": row.kind,
                "sha256": row.sha256,
                "sm3": row.sm3,
                "media_type": row.media_type,
                "size": row.size,
                "submitter": row.submitter,
                "purpose": row.purpose,
                "registered_at": row.registered_at,
                "has_blob": True,
            }
        ],
    )
    assert _targets(store.audit()) == {("entry_unsigned", f"entries {SIZE}-{SIZE}")}


def test_changed_head_is_named(store: Store) -> None:
    store.session.execute(update(EvidenceLogHead).values(tree_size=SIZE - 1))
    assert _targets(store.audit()) == {("head_mismatch", "log head")}


def test_missing_key_file_is_reported(store: Store) -> None:
    for path in store.vault.keyring.root.iterdir():
        path.unlink()
    store.vault.keyring._cache.clear()
    report = store.audit()
    assert [p.code for p in report.problems] == ["key_file"]
