"""The standalone receipt verifier: honest receipts pass, every kind of tampering is named."""

from __future__ import annotations

import ast
import base64
import copy
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import shared_path
from tianping.evidence import merkle, note
from tianping.evidence import standalone_verifier as sv

MODULE = Path(sv.__file__)
ORIGIN = "evidence.example-bureau.gov.cn/log"
FILE = "某网店商品详情页截图（虚构示例）".encode() + bytes(range(256)) * 3
HAS_SM3 = "sm3" in hashlib.algorithms_available


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _entry(i: int, file_bytes: bytes | None = None) -> dict[str, Any]:
    content = file_bytes if file_bytes is not None else f"其他虚构证据 {i}".encode()
    return {
        "v": 1,
        "kind": "evidence",
        "sha256": hashlib.sha256(content).hexdigest(),
        "sm3": hashlib.new("sm3", content).hexdigest() if HAS_SM3 else None,
        "media_type": "image/png",
        "size": len(content),
        "submitter": f"officer-{i % 3:02d}",
        "purpose": "网络交易监督检查取证（虚构）",
        "links": {"ticket": None, "case": f"CASE-2026-{i:04d}", "incident": None},
        "registered_at": f"2026-03-01T08:{i // 60:02d}:{i % 60:02d}.250Z",
        "ref": None,
        "action": None,
        "nonce": hashlib.sha256(f"nonce{i}".encode()).hexdigest()[:16],
    }


class FakeLog:
    """A log kept in a MemoryNodeStore, signing checkpoints like the real one."""

    def __init__(self, size: int = 13, target: int = 5) -> None:
        self.signer, self.verifier = note.generate_signer(ORIGIN)
        self.entries = [_entry(i, FILE if i == target else None) for i in range(size)]
        self.store = merkle.MemoryNodeStore()
        self.store.append_data(_canonical(e) for e in self.entries)
        self.target = target

    def checkpoint(self, size: int, signer: str | None = None) -> str:
        body = note.format_checkpoint(ORIGIN, size, merkle.root_from_store(self.store, size))
        return note.sign_note(body, signer or self.signer)

    def receipt(self, index: int | None = None, size: int | None = None) -> dict[str, Any]:
        index = self.target if index is None else index
        size = self.store.size if size is None else size
        leaf = _canonical(self.entries[index])
        return {
            "format": "tianping-receipt/1",
            "log_origin": ORIGIN,
            "entry": json.loads(leaf),
            "leaf_b64": _b64(leaf),
            "leaf_index": index,
            "tree_size": size,
            "inclusion_proof": [_b64(h) for h in merkle.inclusion_proof_from_store(self.store, index, size)],
            "checkpoint": self.checkpoint(size),
            "checkpoint_signed_at": "2026-03-01T09:00:00.000Z",
            "log_public_keys": [
                {"verifier_key": self.verifier, "valid_from": "2026-01-01T00:00:00.000Z", "valid_until": None}
            ],
            "legal_basis": [],
        }


@pytest.fixture(scope="module")
def log() -> FakeLog:
    return FakeLog()


def _failed(report: sv.VerificationReport) -> dict[str, str]:
    return {c.name: c.message_zh for c in report.failures}


def test_an_honest_receipt_verifies_with_and_without_the_file(log: FakeLog) -> None:
    receipt = log.receipt()
    report = sv.verify_receipt(receipt)
    assert report.verified, [c for c in report.checks if not c.ok]
    assert report.check("file_sha256").status == sv.SKIPPED  # type: ignore[union-attr]
    report = sv.verify_receipt(receipt, FILE, log.verifier)
    assert report.verified
    assert report.verified_by == log.verifier
    assert report.check("file_sha256").ok  # type: ignore[union-attr]
    if HAS_SM3:
        assert report.check("file_sm3").ok  # type: ignore[union-attr]
    for check in report.checks:
        assert check.message_zh and check.message_en


def test_every_entry_of_every_size_verifies(log: FakeLog) -> None:
    for size in range(1, log.store.size + 1):
        for index in range(size):
            report = sv.verify_receipt(log.receipt(index, size))
            assert report.verified, (index, size, _failed(report))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(receipt: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = receipt
        for p in parents:
            target = target[p]
        target[last] = value

    return change


def _flip_proof(receipt: dict[str, Any]) -> None:
    raw = bytearray(base64.b64decode(receipt["inclusion_proof"][1]))
    raw[7] ^= 0x10
    receipt["inclusion_proof"][1] = _b64(bytes(raw))


def _rewrite_leaf(receipt: dict[str, Any]) -> None:
    """A forger changes the entry and, consistently, the leaf bytes."""
    receipt["entry"]["purpose"] = "篡改后的用途"
    receipt["leaf_b64"] = _b64(_canonical(receipt["entry"]))


def _edit_checkpoint(old: str, new: Callable[[str], str]) -> Callable[[dict[str, Any]], None]:
    def change(receipt: dict[str, Any]) -> None:
        body, sigs = receipt["checkpoint"].split("\n\n", 1)
        lines = body.split("\n")
        idx = {"origin": 0, "size": 1, "root": 2}[old]
        lines[idx] = new(lines[idx])
        receipt["checkpoint"] = "\n".join(lines) + "\n\n" + sigs

    return change


def _other_root(text: str) -> str:
    return _b64(hashlib.sha256(base64.b64decode(text)).digest())


def _flip_signature(receipt: dict[str, Any]) -> None:
    body, sig_line = receipt["checkpoint"].split("\n\n", 1)
    prefix, encoded = sig_line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[20] ^= 0x01
    receipt["checkpoint"] = f"{body}\n\n{prefix} {_b64(bytes(raw))}\n"


TAMPERING: list[tuple[str, Callable[[dict[str, Any]], None], dict[str, str]]] = [
    ("entry field", _set("entry.submitter", "someone-else"), {"entry_matches_leaf": "存证记录已被修改"}),
    ("entry nested field", _set("entry.links.case", "CASE-9999"), {"entry_matches_leaf": "存证记录已被修改"}),
    ("entry digest", _set("entry.sha256", "0" * 64), {"entry_matches_leaf": "存证记录已被修改"}),
    ("leaf bytes and entry together", _rewrite_leaf, {"inclusion_proof": "包含证明无效"}),
    (
        "leaf bytes only",
        _set("leaf_b64", _b64(b'{"v":1}')),
        {"entry_matches_leaf": "存证记录已被修改", "inclusion_proof": "包含证明无效"},
    ),
    ("leaf not canonical", _set("leaf_b64", _b64(b'{ "v" : 1 }')), {"leaf_encoding": "不是规范化的 JSON"}),
    ("proof element", _flip_proof, {"inclusion_proof": "包含证明无效"}),
    ("proof element dropped", lambda r: r["inclusion_proof"].pop(), {"inclusion_proof": "包含证明无效"}),
    ("leaf index", _set("leaf_index", 4), {"inclusion_proof": "包含证明无效"}),
    ("tree size", _set("tree_size", 12), {"tree_size": "不一致"}),
    (
        "checkpoint root",
        _edit_checkpoint("root", _other_root),
        {"checkpoint_signature": "检查点签名无效", "inclusion_proof": "包含证明无效"},
    ),
    (
        "checkpoint size",
        _edit_checkpoint("size", lambda s: str(int(s) + 1)),
        {"checkpoint_signature": "检查点签名无效", "tree_size": "不一致"},
    ),
    ("checkpoint signature", _flip_signature, {"checkpoint_signature": "检查点签名无效"}),
    (
        "checkpoint garbled",
        _set("checkpoint", "not a note"),
        {
            "checkpoint_format": "格式不正确",
            "checkpoint_signature": "无法验证",
            "inclusion_proof": "无法验证",
        },
    ),
    (
        "key list replaced",
        lambda r: r["log_public_keys"][0].update(verifier_key=note.generate_signer(ORIGIN)[1]),
        {"checkpoint_signature": "没有由回执所列日志公钥签发"},
    ),
    (
        "key list emptied",
        _set("log_public_keys", []),
        {"log_keys": "没有列出", "checkpoint_signature": "没有由"},
    ),
    (
        "key list entry malformed",
        lambda r: r["log_public_keys"].append({"verifier_key": "x+00000000+AAAA", "valid_from": "yesterday"}),
        {"log_keys": "格式错误"},
    ),
    (
        "key not yet valid",
        lambda r: r["log_public_keys"][0].update(valid_from="2026-06-01T00:00:00.000Z"),
        {"key_validity": "不在有效期内"},
    ),
    (
        "key already retired",
        lambda r: r["log_public_keys"][0].update(valid_until="2026-02-01T00:00:00.000Z"),
        {"key_validity": "不在有效期内"},
    ),
    (
        "signing time before registration",
        _set("checkpoint_signed_at", "2026-02-01T00:00:00.000Z"),
        {"key_validity": "自相矛盾"},
    ),
    ("field missing", lambda r: r.pop("inclusion_proof"), {"receipt_fields": "inclusion_proof"}),
    ("field of the wrong type", _set("leaf_index", "5"), {"receipt_fields": "leaf_index"}),
]


@pytest.mark.parametrize(("what", "change", "expected"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_is_detected_precisely(
    log: FakeLog, what: str, change: Callable[[dict[str, Any]], None], expected: dict[str, str]
) -> None:
    receipt = copy.deepcopy(log.receipt())
    change(receipt)
    report = sv.verify_receipt(receipt, FILE)
    assert not report.verified, what
    failed = _failed(report)
    for name, fragment in expected.items():
        assert name in failed, (what, failed)
        assert fragment in failed[name], (what, name, failed[name])
    if what.startswith("entry"):  # the proof itself still holds for the logged leaf
        assert report.check("inclusion_proof").ok, what  # type: ignore[union-attr]


def test_a_changed_file_byte_is_detected(log: FakeLog) -> None:
    changed = bytearray(FILE)
    changed[100] ^= 0x01
    report = sv.verify_receipt(log.receipt(), bytes(changed))
    failed = _failed(report)
    assert failed["file_sha256"] == "文件内容与存证记录的 SHA-256 摘要不一致：文件已被修改或不是原文件"
    if HAS_SM3:
        assert "SM3 摘要不一致" in failed["file_sm3"]
    assert report.check("inclusion_proof").ok  # type: ignore[union-attr]
    assert not report.verified


def test_a_forger_with_his_own_key_is_caught_only_by_pinning(log: FakeLog) -> None:
    """The receipt's key list is not trust: a forger can list his own key. Pin the real one."""
    forger_signer, forger_verifier = note.generate_signer(ORIGIN)
    forged = log.receipt()
    forged["entry"]["purpose"] = "伪造"
    forged_log = FakeLog()
    forged_log.entries[log.target] = forged["entry"]
    forged_log.store = merkle.MemoryNodeStore()
    forged_log.store.append_data(_canonical(e) for e in forged_log.entries)
    forged = forged_log.receipt()
    forged["checkpoint"] = forged_log.checkpoint(forged_log.store.size, forger_signer)
    forged["log_public_keys"][0]["verifier_key"] = forger_verifier
    assert sv.verify_receipt(forged).verified  # self-consistent ...
    report = sv.verify_receipt(forged, pinned_key=log.verifier)  # ... but not by the real log
    assert _failed(report)["checkpoint_signature"] == "签名检查点不是由指定的公钥签发的"
    assert sv.verify_receipt(log.receipt(), pinned_key=log.verifier).verified


def test_a_pinned_key_missing_from_the_list_cannot_show_its_validity(log: FakeLog) -> None:
    receipt = log.receipt()
    receipt["log_public_keys"][0]["verifier_key"] = note.generate_signer(ORIGIN)[1]
    report = sv.verify_receipt(receipt, pinned_key=log.verifier)
    assert report.check("checkpoint_signature").ok  # type: ignore[union-attr]
    assert "不在回执的日志公钥列表中" in _failed(report)["key_validity"]


def test_witness_cosignatures_and_rotated_keys(log: FakeLog) -> None:
    receipt = log.receipt()
    witness_signer, _ = note.generate_signer("witness.example/w1")
    body = receipt["checkpoint"].split("\n\n", 1)[0] + "\n"
    witness_line = note.sign_note(body, witness_signer).split("\n\n", 1)[1]
    receipt["checkpoint"] += witness_line  # an unknown cosignature is ignored
    _old_signer, old_verifier = note.generate_signer(ORIGIN)
    receipt["log_public_keys"].insert(
        0,
        {
            "verifier_key": old_verifier,
            "valid_from": "2025-01-01T00:00:00.000Z",
            "valid_until": "2026-01-01T00:00:00.000Z",
        },
    )
    report = sv.verify_receipt(receipt, FILE)
    assert report.verified, _failed(report)
    assert report.verified_by == log.verifier


def test_unusable_input(log: FakeLog) -> None:
    for receipt in ({"format": "something-else"}, [], None):
        report = sv.verify_receipt(receipt)  # type: ignore[arg-type]
        assert not report.usable and not report.verified
    report = sv.verify_receipt(log.receipt(), pinned_key="not a key")
    assert not report.usable and "公钥格式不正确" in report.checks[0].message_zh


def test_json_report_names_the_legal_element(log: FakeLog) -> None:
    data = sv.verify_receipt(log.receipt(), FILE).to_dict()
    assert data["verified"] is True
    by_name = {c["name"]: c for c in data["checks"]}
    assert "第（五）项" in by_name["inclusion_proof"]["legal_element_zh"]
    assert "第（四）项" in by_name["file_sha256"]["legal_element_zh"]
    json.dumps(data, ensure_ascii=False)


@pytest.mark.shared_data
def test_legal_elements_quote_article_11_exactly() -> None:
    """Each quoted element appears word for word in 第十一条 (as quoted in the research note)."""
    text = shared_path("research", "anchors-integrity-detection.md").read_text(encoding="utf-8")
    article = text[text.index("> 第十一条") : text.index("当事人可以申请具有专门知识的人")]
    for element in set(sv.LEGAL_ELEMENTS_ZH.values()):
        for part in element.split("；"):
            quoted = re.sub(r"^第[一二]款(第（[一二三四五六]）项)?：", "", part)
            for fragment in quoted.split("……"):
                assert fragment in article, fragment


def test_the_module_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(MODULE.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    roots.discard("__future__")
    assert "cryptography" in roots and "tianping" not in roots
    assert roots - {"cryptography"} <= set(sys.stdlib_module_names), roots


def _run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(tmp / "standalone_verifier.py"), *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_runs_as_a_lone_copied_file(log: FakeLog, tmp_path: Path) -> None:
    shutil.copy(MODULE, tmp_path / "standalone_verifier.py")
    (tmp_path / "receipt.json").write_text(json.dumps(log.receipt(), ensure_ascii=False), encoding="utf-8")
    (tmp_path / "original.png").write_bytes(FILE)
    changed = bytearray(FILE)
    changed[-1] ^= 0xFF
    (tmp_path / "changed.png").write_bytes(bytes(changed))
    (tmp_path / "garbage.json").write_text("{not json", encoding="utf-8")

    ok = _run(tmp_path, "receipt.json", "original.png", "--key", log.verifier)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "回执核验通过" in ok.stdout and "VERIFIED" in ok.stdout
    assert "第十一条" in ok.stdout

    bad = _run(tmp_path, "receipt.json", "changed.png")
    assert bad.returncode == 1
    assert "文件内容与存证记录的 SHA-256 摘要不一致" in bad.stdout

    as_json = _run(tmp_path, "receipt.json", "--json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["verified"] is True

    assert _run(tmp_path, "garbage.json").returncode == 2
    assert _run(tmp_path, "missing.json").returncode == 2
    assert _run(tmp_path, "receipt.json", "missing.png").returncode == 2
    assert _run(tmp_path, "receipt.json", "--key", "nonsense").returncode == 2
    (tmp_path / "other.json").write_text('{"format": "other"}', encoding="utf-8")
    assert _run(tmp_path, "other.json").returncode == 2


@pytest.mark.shared_data
def test_the_court_guide_quotes_article_11_word_for_word() -> None:
    note_text = shared_path("research", "anchors-integrity-detection.md").read_text(encoding="utf-8")
    guide = (Path(__file__).resolve().parents[2] / "docs" / "evidence-verifier.md").read_text(
        encoding="utf-8"
    )
    start = guide.index("> 第十一条")
    quoted = [line[2:] for line in guide[start:].splitlines() if line.startswith("> ")][:9]
    source = [line[2:] for line in note_text[note_text.index("> 第十一条") :].splitlines()[:9]]
    assert quoted == source
    assert quoted[0].startswith("第十一条 当事人对电子数据真实性提出异议的")


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**66), 2**66)
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_FIELDS = [
    "format",
    "entry",
    "entry.sha256",
    "entry.registered_at",
    "leaf_b64",
    "leaf_index",
    "tree_size",
    "inclusion_proof",
    "checkpoint",
    "checkpoint_signed_at",
    "log_public_keys",
]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.sampled_from(_FIELDS), _json), min_size=1, max_size=3))
def test_any_damaged_receipt_gives_a_report_not_a_traceback(
    log: FakeLog, changes: list[tuple[str, Any]]
) -> None:
    receipt = copy.deepcopy(log.receipt())
    for path, value in changes:
        if path.startswith("entry.") and not isinstance(receipt.get("entry"), dict):
            continue
        _set(path, value)(receipt)
    report = sv.verify_receipt(receipt, FILE)
    assert isinstance(report.verified, bool)
    json.dumps(report.to_dict(), ensure_ascii=False)
