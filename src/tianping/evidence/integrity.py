"""``tianping evidence audit``: re-verify the whole store and name precisely what was tampered with.

Checks, all streamed in chunks so the audit runs in bounded memory at millions of entries:

* **checkpoints** — each signed note opens with a key of the published history that was valid when
  it was signed, names this log, and agrees with its row (size, root, key id); the root recomputed
  from the stored nodes equals the signed root; consecutive checkpoints are consistent;
* **entries** — indices are contiguous up to the latest signed size; each leaf is canonical JSON
  whose leaf hash equals the stored level-0 node; the row's columns agree with the leaf;
* **nodes** — every perfect node the tree needs exists, none more, and each equals the hash of its
  two children;
* **files** — each stored file still has the SHA-256 (and SM3) its entries recorded.

Attribution. A changed stored hash disagrees with what lies below it *and* with what lies above it
(its parent, or a signed root): it is reported as the culprit, and the disagreements it causes are
not reported again. An entry whose leaf hash disagrees with a stored node that itself agrees with
the tree above was changed. A disagreement nobody explains (several rows rewritten together) is
reported as the range of leaves whose history no longer matches a signature.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tianping.evidence import merkle, note
from tianping.evidence.blobs import BlobStore
from tianping.evidence.entries import canonical, parse_rfc3339
from tianping.evidence.hashing import hash_file, normalize_hex, sm3_available
from tianping.evidence.keys import KeyFileMissing, KeyRing
from tianping.evidence.log import active_key, key_history, load_head
from tianping.evidence.models import EntryKind, EvidenceCheckpoint, EvidenceEntry, EvidenceKey, EvidenceNode
from tianping.evidence.store import DbNodeStore

CHUNK = 5_000
CHECKPOINT_CHUNK = 200

Progress = Callable[[str, int, int], None]
NodeKey = tuple[int, int]


@dataclass(frozen=True)
class Problem:
    code: str
    target: str
    message_zh: str
    message_en: str
    expected: str | None = None
    found: str | None = None


@dataclass
class AuditReport:
    tree_size: int = 0
    entries: int = 0
    nodes: int = 0
    checkpoints: int = 0
    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes_zh: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "tree_size": self.tree_size,
            "entries": self.entries,
            "nodes": self.nodes,
            "checkpoints": self.checkpoints,
            "files": self.files,
            "problems": [asdict(p) for p in self.problems],
            "notes_zh": self.notes_zh,
        }


def _signature_key_ids(text: str) -> list[str]:
    """Hex key ids of the signature lines of a signed note (empty when it is malformed)."""
    try:
        _body, signatures = note.split_note(text)
    except note.NoteError:
        return []
    return [sig.key_id.hex() for sig in signatures]


class _DictStore:
    def __init__(self, nodes: dict[NodeKey, bytes]) -> None:
        self.nodes = nodes

    def get_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        return {k: self.nodes[k] for k in keys if k in self.nodes}


class _Auditor:
    def __init__(
        self, session: Session, blobs: BlobStore, keyring: KeyRing, progress: Progress | None
    ) -> None:
        self.session = session
        self.blobs = blobs
        self.keyring = keyring
        self.progress = progress or (lambda _phase, _done, _total: None)
        self.report = AuditReport()
        self.down_fail: dict[NodeKey, tuple[bytes, bytes]] = {}  # node -> (expected from below, stored)
        self.up_fail: dict[NodeKey, str] = {}  # node -> what above disagrees with it
        self.entry_fail: dict[int, tuple[bytes, bytes]] = {}  # leaf -> (leaf hash of entry, stored node)
        self.root_fail: list[int] = []  # checkpoint sizes whose signed root the stored tree misses
        self.root_ok: list[int] = []
        self.claimed_size = 0
        self.files_seen: set[bytes] = set()
        self.inconsistent: list[tuple[int, int]] = []  # consecutive checkpoints without a valid proof
        self.check_sm3 = sm3_available()

    def problem(
        self, code: str, target: str, zh: str, en: str, expected: Any = None, found: Any = None
    ) -> None:
        self.report.problems.append(
            Problem(
                code,
                target,
                zh,
                en,
                None if expected is None else str(expected),
                None if found is None else str(found),
            )
        )

    # -- keys and checkpoints --------------------------------------------------------------------------

    def check_keys(self, keys: list[EvidenceKey]) -> None:
        current = active_key(self.session)
        if current is None:
            return
        try:
            self.keyring.signer_for(current.verifier_key)
        except KeyFileMissing as exc:
            self.problem(
                "key_file",
                f"key {current.key_id}",
                exc.message,
                f"signing key file of key {current.key_id} is missing or does not match the published key",
            )

    def check_checkpoints(self, origin: str | None, keys: list[EvidenceKey]) -> tuple[int, bytes] | None:
        """Verify every checkpoint; returns (size, root) of the latest one whose signature holds.

        ``self.claimed_size`` becomes the largest size any checkpoint row claims, signed or not.
        """
        by_id = {k.key_id: k for k in keys}
        total = self.session.scalar(select(func.count()).select_from(EvidenceCheckpoint)) or 0
        self.report.checkpoints = total
        latest: tuple[int, bytes] | None = None
        previous: tuple[int, bytes] | None = None
        done = 0
        after = -1
        while True:
            rows = list(
                self.session.scalars(
                    select(EvidenceCheckpoint)
                    .where(EvidenceCheckpoint.tree_size > after)
                    .order_by(EvidenceCheckpoint.tree_size)
                    .limit(CHECKPOINT_CHUNK)
                )
            )
            if not rows:
                break
            after = rows[-1].tree_size
            self.claimed_size = max(self.claimed_size, after)
            signed: list[tuple[int, bytes]] = []
            for row in rows:
                verdict = self._open_checkpoint(row, origin, by_id)
                if verdict is not None:
                    signed.append(verdict)
            pairs = list(zip([previous, *signed[:-1]], signed, strict=True))
            needed: set[NodeKey] = set()
            for old, new in pairs:
                needed.update(merkle.required_nodes_for_root(new[0]))
                if old is not None:
                    needed.update(merkle.required_nodes_for_consistency(old[0], new[0]))
            store = _DictStore(DbNodeStore(self.session).get_nodes(sorted(needed)))
            for old, new in pairs:
                self._check_root(store, *new)
                if old is not None and old[0] in self.root_ok and new[0] in self.root_ok:
                    self._check_consistency(store, old, new)
            if signed:
                previous = signed[-1]
                latest = signed[-1]
            done += len(rows)
            self.progress("检查点", done, total)
        return latest

    def _open_checkpoint(
        self, row: EvidenceCheckpoint, origin: str | None, by_id: dict[str, EvidenceKey]
    ) -> tuple[int, bytes] | None:
        target = f"checkpoint {row.tree_size}"
        signed_by: EvidenceKey | None = None
        error = "没有已公布密钥的签名"
        for key_id in _signature_key_ids(row.note):
            key = by_id.get(key_id)
            if key is None:
                continue
            try:
                body, _names = note.open_note(row.note, [key.verifier_key])
                parsed = note.parse_checkpoint(body)
            except note.NoteError as exc:
                error = str(exc)
                continue
            signed_by = key
            break
        if signed_by is None:
            self.problem(
                "checkpoint_signature",
                target,
                f"大小为 {row.tree_size} 的检查点签名无效（检查点被修改）：{error}",
                f"checkpoint at size {row.tree_size}: no valid signature by a published key ({error})",
            )
            return None
        root = bytes(parsed.root)
        if origin is not None and parsed.origin != origin:
            self.problem(
                "checkpoint_origin",
                target,
                f"检查点 {row.tree_size} 属于另一个日志",
                f"checkpoint {row.tree_size} names another log",
                origin,
                parsed.origin,
            )
        if parsed.size != row.tree_size:
            self.problem(
                "checkpoint_row",
                target,
                f"检查点记录的大小 {row.tree_size} 与签名内容 {parsed.size} 不一致（数据库记录被修改）",
                f"checkpoint row size {row.tree_size} differs from the signed size {parsed.size}",
                parsed.size,
                row.tree_size,
            )
        if bytes(row.root) != root:
            self.problem(
                "checkpoint_row",
                target,
                f"检查点 {row.tree_size} 记录的根哈希与签名内容不一致（数据库记录被修改）",
                f"checkpoint {row.tree_size}: stored root column differs from the signed root",
                root.hex(),
                bytes(row.root).hex(),
            )
        if row.key_id != signed_by.key_id:
            self.problem(
                "checkpoint_row",
                target,
                f"检查点 {row.tree_size} 记录的密钥编号与实际签名密钥不一致（数据库记录被修改）",
                f"checkpoint {row.tree_size}: key id column does not name the key that signed it",
                signed_by.key_id,
                row.key_id,
            )
        if not (
            signed_by.valid_from <= row.signed_at
            and (signed_by.valid_until is None or row.signed_at <= signed_by.valid_until)
        ):
            until = signed_by.valid_until.isoformat() if signed_by.valid_until else ""
            self.problem(
                "checkpoint_key_validity",
                target,
                f"检查点 {row.tree_size} 的签名时间不在密钥 {signed_by.key_id} 的有效期内",
                f"checkpoint {row.tree_size} was signed outside the validity of key {signed_by.key_id}",
                f"{signed_by.valid_from.isoformat()}..{until}",
                row.signed_at.isoformat(),
            )
        return parsed.size, root

    def _check_root(self, store: _DictStore, size: int, signed_root: bytes) -> None:
        needed = merkle.required_nodes_for_root(size)
        have = store.get_nodes(needed)
        if len(have) != len(needed):
            self.root_fail.append(size)  # missing nodes are reported by the node pass
            return
        computed = merkle.root_from_store(store, size)
        if computed == signed_root:
            self.root_ok.append(size)
            return
        self.root_fail.append(size)
        for key in needed:
            self.up_fail.setdefault(key, f"checkpoint {size}")

    def _check_consistency(self, store: _DictStore, old: tuple[int, bytes], new: tuple[int, bytes]) -> None:
        if old[0] == 0 or old[0] == new[0]:
            return
        proof = merkle.consistency_proof_from_store(store, old[0], new[0])
        if not merkle.verify_consistency(old[0], new[0], old[1], new[1], proof):
            self.inconsistent.append((old[0], new[0]))

    # -- entries and nodes -----------------------------------------------------------------------------

    def _nodes(self, level: int, lo: int, hi: int) -> dict[int, bytes]:
        rows = self.session.execute(
            select(EvidenceNode.position, EvidenceNode.hash).where(
                EvidenceNode.level == level, EvidenceNode.position >= lo, EvidenceNode.position < hi
            )
        )
        return {pos: bytes(h) for pos, h in rows}

    def _entries(self, lo: int, hi: int) -> Iterator[EvidenceEntry]:
        yield from self.session.scalars(
            select(EvidenceEntry)
            .where(EvidenceEntry.leaf_index >= lo, EvidenceEntry.leaf_index < hi)
            .order_by(EvidenceEntry.leaf_index)
        )

    def check_entries(self, size: int) -> None:
        self.report.entries = self.session.scalar(select(func.count()).select_from(EvidenceEntry)) or 0
        for lo in range(0, size, CHUNK):
            hi = min(lo + CHUNK, size)
            stored = self._nodes(0, lo, hi)
            seen: set[int] = set()
            for row in self._entries(lo, hi):
                seen.add(row.leaf_index)
                self._check_entry(row, stored.get(row.leaf_index))
            for i in range(lo, hi):
                if i not in seen:
                    self.problem(
                        "entry_missing",
                        f"entry {i}",
                        f"存证条目 #{i} 缺失（被删除）",
                        f"entry #{i} is missing (deleted)",
                    )
            self.progress("存证条目", hi, size)
        extra = self.session.scalars(
            select(EvidenceEntry.leaf_index)
            .where(EvidenceEntry.leaf_index >= size)
            .order_by(EvidenceEntry.leaf_index)
        ).all()
        if extra:
            shown = ", ".join(f"#{i}" for i in extra[:20]) + ("…" if len(extra) > 20 else "")
            self.problem(
                "entry_unsigned",
                f"entries {extra[0]}-{extra[-1]}",
                f"{len(extra)} 个存证条目不在任何签名检查点内（被插入，或检查点被删除）：{shown}",
                f"{len(extra)} entries are beyond every signed checkpoint (inserted, or checkpoints "
                f"deleted): {shown}",
            )

    def _check_entry(self, row: EvidenceEntry, node: bytes | None) -> None:
        i = row.leaf_index
        leaf = bytes(row.leaf)
        try:
            entry = json.loads(leaf)
            is_canonical = isinstance(entry, dict) and canonical(entry) == leaf
        except (ValueError, UnicodeDecodeError):
            entry, is_canonical = None, False
        if not is_canonical:
            self.problem(
                "entry_tampered",
                f"entry {i}",
                f"存证条目 #{i} 的内容不是规范编码（被修改）",
                f"entry #{i}: leaf bytes are not canonical JSON (modified)",
            )
        if node is not None:
            computed = merkle.leaf_hash(leaf)
            if computed != node:
                self.entry_fail[i] = (computed, node)
        if isinstance(entry, dict):
            self._check_columns(row, entry)
            if entry.get("kind") == EntryKind.EVIDENCE:
                self._check_file(i, entry)

    def _check_columns(self, row: EvidenceEntry, entry: dict[str, Any]) -> None:
        links = entry.get("links") or {}
        expected: dict[str, Any] = {
            "kind": entry.get("kind"),
            "sha256": entry.get("sha256"),
            "sm3": entry.get("sm3"),
            "media_type": entry.get("media_type"),
            "size": entry.get("size"),
            "submitter": entry.get("submitter"),
            "purpose": entry.get("purpose"),
            "link_ticket": links.get("ticket"),
            "link_case": links.get("case"),
            "link_incident": links.get("incident"),
            "ref_index": entry.get("ref"),
            "action": entry.get("action"),
        }
        expected["has_blob"] = entry.get("kind") == EntryKind.EVIDENCE
        for column, want in expected.items():
            have = getattr(row, column)
            if have != want:
                self._column_problem(row.leaf_index, column, want, have)
        try:
            when = parse_rfc3339(str(entry.get("registered_at")))
        except ValueError:
            return
        if abs((row.registered_at - when).total_seconds()) >= 0.001:
            self._column_problem(
                row.leaf_index, "registered_at", entry.get("registered_at"), row.registered_at
            )

    def _column_problem(self, i: int, column: str, want: Any, have: Any) -> None:
        self.problem(
            "entry_column",
            f"entry {i}",
            f"存证条目 #{i} 的字段 {column} 与已签名的条目内容不一致（数据库记录被修改）",
            f"entry #{i}: column {column} differs from the logged entry",
            want,
            have,
        )

    def check_nodes(self, size: int) -> None:
        self.report.nodes = self.session.scalar(select(func.count()).select_from(EvidenceNode)) or 0
        level = 0
        while True:
            count = size >> level
            extra = self.session.scalars(
                select(EvidenceNode.position)
                .where(EvidenceNode.level == level, EvidenceNode.position >= count)
                .order_by(EvidenceNode.position)
                .limit(100)
            ).all()
            for pos in extra:
                self.problem(
                    "node_extra",
                    f"node {level}/{pos}",
                    f"多出的树节点（层 {level}，位置 {pos}）：不属于大小为 {size} 的树",
                    f"node (level {level}, position {pos}) does not belong to a tree of size {size}",
                )
            if count == 0 and (level > 0 or size == 0):
                break
            self._check_level(level, count)
            level += 1
            if (size >> level) == 0:
                more = self.session.scalar(
                    select(func.count()).select_from(EvidenceNode).where(EvidenceNode.level >= level)
                )
                if more:
                    rows = self.session.execute(
                        select(EvidenceNode.level, EvidenceNode.position)
                        .where(EvidenceNode.level >= level)
                        .order_by(EvidenceNode.level, EvidenceNode.position)
                        .limit(100)
                    )
                    for lv, pos in rows:
                        self.problem(
                            "node_extra",
                            f"node {lv}/{pos}",
                            f"多出的树节点（层 {lv}，位置 {pos}）：不属于大小为 {size} 的树",
                            f"node (level {lv}, position {pos}) does not belong to a tree of size {size}",
                        )
                break

    def _check_level(self, level: int, count: int) -> None:
        for lo in range(0, count, CHUNK):
            hi = min(lo + CHUNK, count)
            parents = self._nodes(level, lo, hi)
            children = self._nodes(level - 1, 2 * lo, 2 * hi) if level > 0 else {}
            for pos in range(lo, hi):
                stored = parents.get(pos)
                if stored is None:
                    self.problem(
                        "node_missing",
                        f"node {level}/{pos}",
                        f"树节点缺失（层 {level}，位置 {pos}）",
                        f"node (level {level}, position {pos}) is missing",
                    )
                    continue
                if level == 0:
                    continue
                left, right = children.get(2 * pos), children.get(2 * pos + 1)
                if left is None or right is None:
                    continue
                computed = merkle.node_hash(left, right)
                if computed != stored:
                    self.down_fail[(level, pos)] = (computed, stored)
                    self.up_fail.setdefault((level - 1, 2 * pos), f"node {level}/{pos}")
                    self.up_fail.setdefault((level - 1, 2 * pos + 1), f"node {level}/{pos}")
            self.progress(f"树节点（层 {level}）", hi, count)

    # -- files -----------------------------------------------------------------------------------------

    def _check_file(self, leaf_index: int, entry: dict[str, Any]) -> None:
        """The stored file of an evidence entry, against the digests in its (logged) leaf."""
        sha256, sm3 = entry.get("sha256"), entry.get("sm3")
        if not isinstance(sha256, str) or normalize_hex(sha256) != sha256:
            return  # a leaf that is not a valid entry is reported by the leaf checks
        key = bytes.fromhex(sha256)
        if key in self.files_seen:
            return
        self.files_seen.add(key)
        path = self.blobs.path_for(sha256)
        if not path.is_file():
            self.problem(
                "file_missing",
                f"file {sha256}",
                f"存证 #{leaf_index} 的原文件缺失：{path}",
                f"stored file of entry #{leaf_index} is missing: {path}",
            )
            return
        digests = hash_file(path)
        if digests.sha256 != sha256:
            self.problem(
                "file_tampered",
                f"file {sha256}",
                f"存证 #{leaf_index} 的原文件内容已被修改（SHA-256 不符）：{path}",
                f"stored file of entry #{leaf_index} was modified (SHA-256 differs): {path}",
                sha256,
                digests.sha256,
            )
        elif self.check_sm3 and sm3 is not None and digests.sm3 != sm3:
            self.problem(
                "file_tampered",
                f"file {sha256}",
                f"存证 #{leaf_index} 的原文件 SM3 摘要不符：{path}",
                f"stored file of entry #{leaf_index}: SM3 differs: {path}",
                sm3,
                digests.sm3,
            )

    def note_unreferenced_files(self) -> None:
        self.report.files = len(self.files_seen)
        referenced = {key.hex() for key in self.files_seen}
        orphans = self.blobs.unreferenced(referenced, older_than_seconds=0)
        if orphans:
            self.report.notes_zh.append(
                f"有 {len(orphans)} 个文件未被任何存证条目引用（中断的提交或演示数据重置留下），"
                "可用 tianping evidence sweep 清理"
            )

    # -- attribution -----------------------------------------------------------------------------------

    def attribute(self) -> None:
        culprits: set[NodeKey] = set()
        for i, (computed, stored) in sorted(self.entry_fail.items()):
            if (0, i) in self.up_fail:
                culprits.add((0, i))
                self.problem(
                    "node_tampered",
                    f"node 0/{i}",
                    f"树节点（层 0，位置 {i}）被修改：与存证条目 #{i} 及其上层均不符",
                    f"stored leaf hash (level 0, position {i}) was modified: it matches neither entry #{i} "
                    "nor the tree above",
                    computed.hex(),
                    stored.hex(),
                )
            else:
                self.problem(
                    "entry_tampered",
                    f"entry {i}",
                    f"存证条目 #{i} 被修改：其哈希与已签名的日志树不符",
                    f"entry #{i} was modified: its leaf hash differs from the logged tree",
                    stored.hex(),
                    computed.hex(),
                )
        for key, (computed, stored) in sorted(self.down_fail.items()):
            if key in self.up_fail:
                culprits.add(key)
                self.problem(
                    "node_tampered",
                    f"node {key[0]}/{key[1]}",
                    f"树节点（层 {key[0]}，位置 {key[1]}）被修改：与下层子节点及上层均不符",
                    f"node (level {key[0]}, position {key[1]}) was modified: it matches neither its children "
                    "nor the tree above",
                    computed.hex(),
                    stored.hex(),
                )
        for key, (computed, stored) in sorted(self.down_fail.items()):
            level, pos = key
            if key in culprits or (level - 1, 2 * pos) in culprits or (level - 1, 2 * pos + 1) in culprits:
                continue
            first, last = pos << level, ((pos + 1) << level) - 1
            self.problem(
                "subtree_rewritten",
                f"node {level}/{pos}",
                f"树节点（层 {level}，位置 {pos}）与其子节点不符：条目 #{first}–#{last} 及其哈希被一并改写",
                f"node (level {level}, position {pos}) does not match its children: entries "
                f"#{first}-#{last} and their hashes were rewritten together",
                computed.hex(),
                stored.hex(),
            )
        for old, new in self.inconsistent:
            nodes = merkle.required_nodes_for_consistency(old, new)
            if any(
                k in culprits or k in self.down_fail or (k[0] == 0 and k[1] in self.entry_fail) for k in nodes
            ):
                continue  # a changed stored hash in the proof, reported above
            self.problem(
                "checkpoint_inconsistent",
                f"checkpoint {new}",
                f"检查点 {old} 与 {new} 不一致：日志历史被改写",
                f"checkpoints {old} and {new} are not consistent: the log history was rewritten",
            )
        explained = {
            size
            for size in self.root_fail
            if any(k in culprits for k in merkle.required_nodes_for_root(size))
            or any(k[0] > 0 and k in self.down_fail for k in merkle.required_nodes_for_root(size))
        }
        unexplained = sorted(set(self.root_fail) - explained)
        if unexplained:
            first_bad = unexplained[0]
            good_before = max((s for s in self.root_ok if s < first_bad), default=0)
            self.problem(
                "tree_rewritten",
                f"checkpoint {first_bad}",
                f"日志树与签名检查点不符（自大小 {first_bad} 的检查点起共 {len(unexplained)} 个）："
                f"条目 #{good_before}–#{first_bad - 1} 中有条目连同其哈希被改写",
                f"the stored tree no longer matches {len(unexplained)} signed checkpoint(s) from size "
                f"{first_bad}: an entry among #{good_before}-#{first_bad - 1} was rewritten with its hashes",
            )


def audit(
    session: Session, *, blobs: BlobStore, keyring: KeyRing, progress: Progress | None = None
) -> AuditReport:
    auditor = _Auditor(session, blobs, keyring, progress)
    report = auditor.report
    head = load_head(session)
    keys = key_history(session)
    auditor.check_keys(keys)
    latest = auditor.check_checkpoints(head.origin if head is not None else None, keys)
    signed_size = latest[0] if latest is not None else 0
    # Entries and nodes are checked up to the largest size any checkpoint claims: a checkpoint whose
    # signature fails is reported once, not again as every entry it was meant to cover.
    size = max(signed_size, auditor.claimed_size)
    report.tree_size = size
    if size > signed_size:
        report.notes_zh.append(f"条目 #{signed_size}–#{size - 1} 只被签名无效的检查点覆盖")
    head_root_ok = latest is None or signed_size != size or head is None or bytes(head.root) == latest[1]
    if head is not None and (head.tree_size != size or not head_root_ok):
        auditor.problem(
            "head_mismatch",
            "log head",
            f"日志头记录（大小 {head.tree_size}）与签名检查点（大小 {size}）不一致（数据库记录被修改）",
            f"log head (size {head.tree_size}) differs from the signed checkpoints (size {size})",
            size,
            head.tree_size,
        )
    auditor.check_entries(size)
    auditor.check_nodes(size)
    auditor.note_unreferenced_files()
    auditor.attribute()
    return report
