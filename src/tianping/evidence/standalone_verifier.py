#!/usr/bin/env python3
"""Standalone verifier for Tianping evidence receipts (天平存证回执独立验证程序).

This one file is all a court, a lawyer or a counterparty needs to check a receipt
(format ``tianping-receipt/1``) without the Tianping platform, its database or any network access.
It needs Python 3.11+ and the ``cryptography`` package (for Ed25519), nothing else::

    python standalone_verifier.py receipt.json                    # check the receipt itself
    python standalone_verifier.py receipt.json original-file.pdf  # ... and the original file
    python standalone_verifier.py receipt.json file.pdf --key 'bureau.example/evidence+1a2b3c4d+AX…'
    python standalone_verifier.py receipt.json --json             # machine-readable report

Exit status: 0 everything verified, 1 a check failed (the receipt or file does not match),
2 the input could not be used (unreadable file, not JSON, not a Tianping receipt, bad --key).

What is checked, in order:

1. the leaf bytes (``leaf_b64``) are the canonical JSON encoding of ``entry``;
2. the RFC 6962 / RFC 9162 inclusion proof links SHA-256(0x00 || leaf) at ``leaf_index`` to the root
   hash of the signed checkpoint, whose tree size must equal ``tree_size``;
3. the checkpoint (a C2SP signed note) carries a valid Ed25519 signature by a key in
   ``log_public_keys`` — or by the key given with ``--key``, which should be obtained from the log
   operator independently of the receipt (the receipt's own key list proves nothing by itself);
4. that key's validity period covers the time the checkpoint was signed;
5. if a file is given: its SHA-256 (and SM3, when the receipt has one and this Python's OpenSSL
   offers SM3) equals the digest in the entry.

The file deliberately imports nothing from Tianping, so it can be copied, read and audited alone.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

RECEIPT_FORMAT = "tianping-receipt/1"
HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1
EM_DASH = "\u2014"

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"

#: Which element of 《最高人民法院关于互联网法院审理案件若干问题的规定》（法释〔2018〕16号）第十一条
#: each check helps to establish (wording of the article, first paragraph unless noted).
LEGAL_ELEMENTS_ZH: dict[str, str] = {
    "entry_matches_leaf": "第一款第（五）项：电子数据的内容是否存在增加、删除、修改及不完整等情形",
    "inclusion_proof": "第一款第（五）项：电子数据的内容是否存在增加、删除、修改及不完整等情形",
    "checkpoint_signature": "第一款第（六）项：电子数据是否可以通过特定形式得到验证；"
    "第二款：通过电子签名……哈希值校验……等证据收集、固定和防篡改的技术手段",
    "key_validity": "第一款第（二）项：电子数据的生成主体和时间是否明确",
    "file_sha256": "第一款第（四）项：电子数据提取和固定的主体、工具和方式是否可靠，提取过程是否可以重现",
    "file_sm3": "第一款第（四）项：电子数据提取和固定的主体、工具和方式是否可靠，提取过程是否可以重现",
}


@dataclass(frozen=True)
class Check:
    """One verification step: its name, outcome and a message in Chinese and in English."""

    name: str
    status: str  # "passed" | "failed" | "skipped"
    message_zh: str
    message_en: str

    @property
    def ok(self) -> bool:
        return self.status == PASSED


@dataclass
class VerificationReport:
    """All checks of one receipt. ``verified`` only when the input was usable and nothing failed."""

    checks: list[Check] = field(default_factory=list)
    usable: bool = True
    leaf_index: int | None = None
    tree_size: int | None = None
    origin: str | None = None
    verified_by: str | None = None  # the verifier key that signed the checkpoint

    @property
    def verified(self) -> bool:
        essential = {"entry_matches_leaf", "inclusion_proof", "checkpoint_signature", "key_validity"}
        passed = {c.name for c in self.checks if c.status == PASSED}
        return self.usable and not self.failures and essential <= passed

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAILED]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def add(self, name: str, status: str, zh: str, en: str) -> None:
        self.checks.append(Check(name, status, zh, en))

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "usable": self.usable,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "origin": self.origin,
            "verified_by": self.verified_by,
            "checks": [asdict(c) | {"legal_element_zh": LEGAL_ELEMENTS_ZH.get(c.name)} for c in self.checks],
        }


# --------------------------------------------------------------------------------------------------
# RFC 6962 / RFC 9162 Merkle tree verification


def _leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size or len(leaf_hash) != HASH_SIZE or len(root) != HASH_SIZE:
        return False
    if any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# --------------------------------------------------------------------------------------------------
# C2SP signed notes and checkpoints


class _Bad(ValueError):
    """Malformed input; the message is shown in the report."""


def _b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise _Bad(f"{what} is not a string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Bad(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise _Bad(f"{what} is not canonical base64")
    return raw


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() or ord(ch) < 0x20 for ch in name)


@dataclass(frozen=True)
class _Key:
    name: str
    key_id: bytes
    public_key: bytes
    text: str


def _parse_verifier_key(text: Any) -> _Key:
    """``<name>+<8 hex key id>+<base64(0x01 || Ed25519 public key)>``, id = SHA-256(...)[:4]."""
    if not isinstance(text, str):
        raise _Bad("verifier key is not a string")
    parts = text.split("+", 2)
    if len(parts) != 3 or not _valid_name(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise _Bad(f"verifier key {text[:60]!r} is not <name>+<8 hex digits>+<base64 key>")
    name, hex_id, encoded = parts
    raw = _b64(encoded, "verifier key material")
    if len(raw) != 33 or raw[0] != 0x01:
        raise _Bad("verifier key is not an Ed25519 key (0x01 followed by 32 bytes)")
    computed = hashlib.sha256(name.encode("utf-8") + b"\n" + raw).digest()[:4]
    if computed.hex() != hex_id:
        raise _Bad(f"verifier key id {hex_id} does not match its key ({computed.hex()})")
    return _Key(name, computed, raw[1:], text)


def _split_note(text: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """A signed note's text and its signatures ``(key name, key id, signature)``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _Bad("checkpoint note is not valid UTF-8 text") from exc
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise _Bad("checkpoint note contains control characters")
    cut = text.rfind("\n\n")
    if cut < 0 or not text.endswith("\n"):
        raise _Bad("checkpoint is not a signed note (text, blank line, signature lines)")
    body, lines = text[: cut + 1], text[cut + 2 : -1].split("\n")
    signatures = []
    for line in lines:
        if not line.startswith(EM_DASH + " "):
            raise _Bad(f"checkpoint signature line {line[:40]!r} does not start with '— '")
        name, _, encoded = line[2:].partition(" ")
        if not _valid_name(name) or not encoded or " " in encoded:
            raise _Bad(f"checkpoint signature line {line[:40]!r} is malformed")
        raw = _b64(encoded, "checkpoint signature")
        if len(raw) < 5:
            raise _Bad("checkpoint signature is too short")
        signatures.append((name, raw[:4], raw[4:]))
    return body, signatures


def _parse_checkpoint(body: str) -> tuple[str, int, bytes]:
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not lines[0]:
        raise _Bad("checkpoint text needs an origin, a tree size and a root hash line")
    if not re.fullmatch(r"0|[1-9][0-9]*", lines[1]) or int(lines[1]) > MAX_TREE_SIZE:
        raise _Bad(f"checkpoint tree size {lines[1][:30]!r} is not a decimal number")
    root = _b64(lines[2], "checkpoint root hash")
    if len(root) != HASH_SIZE:
        raise _Bad(f"checkpoint root hash is {len(root)} bytes, not {HASH_SIZE}")
    if any(not line for line in lines[3:]):
        raise _Bad("checkpoint has an empty extension line")
    return lines[0], int(lines[1]), root


def _canonical(value: Any) -> bytes | None:
    """The canonical encoding, or None for values JSON cannot carry (lone surrogates, NaN, ...)."""
    try:
        return json.dumps(
            value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return None


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


def _parse_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or not re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)", value
    ):
        raise _Bad(f"{what} {str(value)[:40]!r} is not an RFC 3339 time")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise _Bad(f"{what} {value!r} is not a valid time") from exc


def _uint64(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TREE_SIZE:
        return value
    return None


# --------------------------------------------------------------------------------------------------
# The receipt


def verify_receipt(
    receipt: dict[str, Any],
    file_bytes: bytes | None = None,
    pinned_key: str | None = None,
    *,
    file_sha256: str | None = None,
    file_sm3: str | None = None,
) -> VerificationReport:
    """Check a receipt (and optionally the original file) and report every step.

    Instead of the file, its hex digests computed elsewhere may be given (``file_sha256``, optionally
    ``file_sm3``), e.g. by a browser, so that the file never leaves the user's machine."""
    report = VerificationReport()
    if not isinstance(receipt, dict) or receipt.get("format") != RECEIPT_FORMAT:
        report.usable = False
        report.add(
            "receipt_format",
            FAILED,
            f"不是天平存证回执（format 应为 {RECEIPT_FORMAT}）",
            f"not a Tianping receipt (format must be {RECEIPT_FORMAT})",
        )
        return report
    pinned: _Key | None = None
    if pinned_key is not None:
        try:
            pinned = _parse_verifier_key(pinned_key.strip())
        except _Bad as exc:
            report.usable = False
            report.add(
                "pinned_key", FAILED, f"指定的公钥格式不正确：{exc}", f"the pinned key is malformed: {exc}"
            )
            return report

    # 1. Shape of the receipt.
    problems = []
    entry = receipt.get("entry")
    index = _uint64(receipt.get("leaf_index"))
    size = _uint64(receipt.get("tree_size"))
    if not isinstance(entry, dict):
        problems.append("entry")
    if not isinstance(receipt.get("leaf_b64"), str):
        problems.append("leaf_b64")
    if index is None:
        problems.append("leaf_index")
    if size is None:
        problems.append("tree_size")
    proof_texts = receipt.get("inclusion_proof")
    if not isinstance(proof_texts, list):
        problems.append("inclusion_proof")
    if not isinstance(receipt.get("checkpoint"), str):
        problems.append("checkpoint")
    if not isinstance(receipt.get("log_public_keys"), list):
        problems.append("log_public_keys")
    report.leaf_index, report.tree_size = index, size
    if problems:
        fields = "、".join(problems)
        report.add(
            "receipt_fields",
            FAILED,
            f"回执缺少字段或字段类型错误：{fields}",
            f"receipt fields missing or of the wrong type: {', '.join(problems)}",
        )
    else:
        report.add("receipt_fields", PASSED, "回执字段齐全", "all receipt fields are present")

    # 2. Leaf bytes and entry.
    leaf: bytes | None = None
    try:
        leaf = _b64(receipt.get("leaf_b64"), "leaf_b64")
        decoded = json.loads(leaf.decode("utf-8"))
        if not isinstance(decoded, dict) or _has_float(decoded) or _canonical(decoded) != leaf:
            raise _Bad("leaf bytes are not a canonical JSON object")
        report.add(
            "leaf_encoding", PASSED, "叶子数据是规范化的 JSON 对象", "the leaf is a canonical JSON object"
        )
    except (_Bad, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.add(
            "leaf_encoding",
            FAILED,
            "叶子数据（leaf_b64）不是规范化的 JSON 编码：回执已被修改或损坏",
            f"the leaf (leaf_b64) is not canonical JSON: the receipt was altered or damaged ({exc})",
        )
    if isinstance(entry, dict) and leaf is not None:
        if not _has_float(entry) and _canonical(entry) == leaf:
            report.add(
                "entry_matches_leaf",
                PASSED,
                "存证记录内容与叶子数据逐字节一致",
                "the entry is byte for byte the leaf that was logged",
            )
        else:
            report.add(
                "entry_matches_leaf",
                FAILED,
                "存证记录内容与叶子数据不一致：存证记录已被修改",
                "the entry does not match the logged leaf bytes: the entry was altered",
            )
    else:
        report.add(
            "entry_matches_leaf",
            FAILED,
            "无法核对存证记录：记录或叶子数据缺失",
            "cannot compare entry and leaf",
        )

    # 3. Checkpoint note.
    checkpoint_body: str | None = None
    signatures: list[tuple[str, bytes, bytes]] = []
    cp_size: int | None = None
    cp_root: bytes | None = None
    try:
        checkpoint_body, signatures = _split_note(str(receipt.get("checkpoint", "")))
        report.origin, cp_size, cp_root = _parse_checkpoint(checkpoint_body)
        report.add(
            "checkpoint_format",
            PASSED,
            f"签名检查点格式正确（日志 {report.origin}，树大小 {cp_size}）",
            f"the checkpoint is well formed (log {report.origin}, tree size {cp_size})",
        )
    except _Bad as exc:
        report.add(
            "checkpoint_format",
            FAILED,
            "签名检查点（checkpoint）格式不正确：回执已被修改或损坏",
            f"the checkpoint is malformed: {exc}",
        )
    if cp_size is not None and size is not None:
        if cp_size == size:
            report.add(
                "tree_size", PASSED, "回执的树大小与签名检查点一致", "tree_size matches the checkpoint"
            )
        else:
            report.add(
                "tree_size",
                FAILED,
                f"回执的树大小（{size}）与签名检查点中的树大小（{cp_size}）不一致",
                f"tree_size {size} differs from the checkpoint's tree size {cp_size}",
            )

    # 4. Inclusion proof.
    proof: list[bytes] | None = None
    try:
        if isinstance(proof_texts, list):
            proof = [_b64(p, "inclusion proof element") for p in proof_texts]
    except _Bad:
        proof = None
    if leaf is None or proof is None or index is None or cp_root is None or cp_size is None:
        report.add(
            "inclusion_proof",
            FAILED,
            "无法验证包含证明：叶子数据、证明或签名检查点缺失或无法解析",
            "cannot check the inclusion proof: leaf, proof or checkpoint missing or malformed",
        )
    elif _verify_inclusion(_leaf_hash(leaf), index, cp_size, proof, cp_root):
        report.add(
            "inclusion_proof",
            PASSED,
            f"包含证明有效：该条目是签名日志中第 {index} 号条目",
            f"the inclusion proof is valid: the entry is leaf {index} of the signed log",
        )
    else:
        report.add(
            "inclusion_proof",
            FAILED,
            "包含证明无效：条目、序号、证明或检查点根哈希不一致，内容可能被增加、删除或修改",
            "the inclusion proof does not verify: entry, index, proof or checkpoint root do not agree",
        )

    # 5. Keys and signature.
    listed: list[tuple[_Key, datetime, datetime | None]] = []
    bad_keys = []
    key_items = receipt.get("log_public_keys")
    for n, item in enumerate(key_items if isinstance(key_items, list) else []):
        try:
            if not isinstance(item, dict):
                raise _Bad("not an object")
            key = _parse_verifier_key(item.get("verifier_key"))
            start = _parse_time(item.get("valid_from"), "valid_from")
            until = item.get("valid_until")
            end = None if until is None else _parse_time(until, "valid_until")
            listed.append((key, start, end))
        except _Bad as exc:
            bad_keys.append(f"#{n}: {exc}")
    if bad_keys:
        report.add(
            "log_keys",
            FAILED,
            f"日志公钥列表（log_public_keys）中有格式错误的条目：{'；'.join(bad_keys)}",
            f"malformed log_public_keys entries: {'; '.join(bad_keys)}",
        )
    elif listed:
        report.add(
            "log_keys", PASSED, f"日志公钥列表有 {len(listed)} 把公钥", f"{len(listed)} log key(s) listed"
        )
    else:
        report.add("log_keys", FAILED, "回执没有列出日志公钥", "the receipt lists no log key")

    trusted = [pinned] if pinned is not None else [k for k, _, _ in listed]
    signer: _Key | None = None
    if checkpoint_body is None:
        report.add(
            "checkpoint_signature",
            FAILED,
            "无法验证检查点签名：签名检查点无法解析",
            "cannot check the checkpoint signature: the checkpoint is malformed",
        )
    else:
        message = checkpoint_body.encode("utf-8")
        invalid = None
        for name, kid, sig in signatures:
            for key in trusted:
                if key.name != name or key.key_id != kid:
                    continue  # signatures by other keys (e.g. witnesses) are ignored
                try:
                    Ed25519PublicKey.from_public_bytes(key.public_key).verify(sig, message)
                    signer = signer or key
                except (InvalidSignature, ValueError):
                    invalid = key
        if invalid is not None:
            signer = None
            report.add(
                "checkpoint_signature",
                FAILED,
                "检查点签名无效：签名树头（树大小或根哈希）已被修改，或签名被篡改",
                f"the checkpoint signature by {invalid.name} does not verify: "
                "the tree head or the signature was altered",
            )
        elif signer is None and pinned is not None:
            report.add(
                "checkpoint_signature",
                FAILED,
                "签名检查点不是由指定的公钥签发的",
                "the checkpoint is not signed by the pinned key",
            )
        elif signer is None:
            report.add(
                "checkpoint_signature",
                FAILED,
                "签名检查点没有由回执所列日志公钥签发的签名",
                "no signature on the checkpoint is by a key listed in the receipt",
            )
        else:
            report.verified_by = signer.text
            origin_note = (
                "" if signer.name == report.origin else f"（注意：密钥名 {signer.name} 与日志名不同）"
            )
            report.add(
                "checkpoint_signature",
                PASSED,
                f"检查点由日志密钥 {signer.name}+{signer.key_id.hex()} 有效签名{origin_note}",
                f"the checkpoint carries a valid signature by log key {signer.name}+{signer.key_id.hex()}",
            )

    # 6. Key validity at signing time.
    if signer is None:
        report.add(
            "key_validity",
            FAILED,
            "无法核对密钥有效期：没有有效的检查点签名",
            "cannot check the key's validity period: no valid checkpoint signature",
        )
    else:
        window = next(((s, e) for k, s, e in listed if k.public_key == signer.public_key), None)
        try:
            entry_fields: dict[str, Any] = entry if isinstance(entry, dict) else {}
            registered = _parse_time(entry_fields.get("registered_at"), "entry.registered_at")
            signed_text = receipt.get("checkpoint_signed_at")
            signed_at = (
                registered if signed_text is None else _parse_time(signed_text, "checkpoint_signed_at")
            )
        except _Bad as exc:
            report.add("key_validity", FAILED, f"时间格式不正确：{exc}", f"bad time: {exc}")
        else:
            if window is None:
                report.add(
                    "key_validity",
                    FAILED,
                    "签名公钥不在回执的日志公钥列表中，无法核对其有效期",
                    "the signing key is not in the receipt's key list, so its validity period is unknown",
                )
            elif signed_at < registered:
                report.add(
                    "key_validity",
                    FAILED,
                    "检查点签名时间早于条目登记时间：回执时间信息自相矛盾",
                    "the checkpoint is dated before the entry was registered: the receipt contradicts itself",
                )
            elif window[0] <= signed_at and (window[1] is None or signed_at <= window[1]):
                report.add(
                    "key_validity",
                    PASSED,
                    f"签名时（{signed_at:%Y-%m-%d %H:%M:%S} UTC）该日志公钥在有效期内",
                    f"the log key was valid when the checkpoint was signed ({signed_at.isoformat()})",
                )
            else:
                report.add(
                    "key_validity",
                    FAILED,
                    "签名时该日志公钥不在有效期内",
                    "the log key was outside its validity period when the checkpoint was signed",
                )

    # 7. The file (or its digests, computed elsewhere).
    if file_bytes is not None:
        got: str | None = hashlib.sha256(file_bytes).hexdigest()
    elif file_sha256 is not None:
        text = file_sha256.strip().lower() if isinstance(file_sha256, str) else ""
        got = text if re.fullmatch(r"[0-9a-f]{64}", text) else None
        if got is None:
            zh, en = "提供的文件 SHA-256 摘要格式不正确（应为 64 位十六进制数字）", "not 64 hex digits"
            report.add("file_sha256", FAILED, zh, f"the file's SHA-256 given is {en}")
            return report
    else:
        report.add(
            "file_sha256",
            SKIPPED,
            "未提供原文件：仅核验了存证记录，未核对文件内容",
            "no file given: only the record was verified, not a file's content",
        )
        return report
    want = entry.get("sha256") if isinstance(entry, dict) else None
    if not isinstance(want, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", want):
        zh, en = "存证记录中没有有效的 SHA-256 摘要", "the entry holds no valid SHA-256 digest"
        report.add("file_sha256", FAILED, zh, en)
    elif want.lower() == got:
        report.add(
            "file_sha256",
            PASSED,
            f"文件的 SHA-256 摘要与存证记录一致（{got}）",
            f"the file's SHA-256 matches the entry ({got})",
        )
    else:
        report.add(
            "file_sha256",
            FAILED,
            "文件内容与存证记录的 SHA-256 摘要不一致：文件已被修改或不是原文件",
            f"the file's SHA-256 {got} differs from the entry: the file was altered or is not the original",
        )
    sm3_want = entry.get("sm3") if isinstance(entry, dict) else None
    if sm3_want is None:
        return report
    try:
        sm3_got = hashlib.new("sm3", file_bytes).hexdigest() if file_bytes is not None else file_sm3
    except ValueError:
        zh, en = "本机 Python 的 OpenSSL 不支持 SM3", "this Python's OpenSSL has no SM3"
        report.add("file_sm3", SKIPPED, f"{zh}，未核对 SM3 摘要", f"{en}; the SM3 digest was not checked")
        return report
    if not isinstance(sm3_got, str):
        zh, en = "只提供了文件的 SHA-256 摘要", "only the file's SHA-256 was given"
        report.add("file_sm3", SKIPPED, f"{zh}，未核对 SM3 摘要", f"{en}; the SM3 digest was not checked")
    elif isinstance(sm3_want, str) and sm3_want.lower() == sm3_got.strip().lower():
        report.add("file_sm3", PASSED, "文件的 SM3 摘要与存证记录一致", "the file's SM3 matches the entry")
    else:
        report.add(
            "file_sm3",
            FAILED,
            "文件内容与存证记录的 SM3 摘要不一致：文件已被修改或不是原文件",
            "the file's SM3 differs from the entry: the file was altered or is not the original",
        )
    return report


# --------------------------------------------------------------------------------------------------
# Command line


_MARK = {PASSED: "[通过 OK]  ", FAILED: "[失败 FAIL]", SKIPPED: "[跳过 SKIP]"}


def _print_report(report: VerificationReport) -> None:
    for c in report.checks:
        print(f"{_MARK[c.status]} {c.message_zh}")
        print(f"{' ' * 12}{c.message_en}")
        element = LEGAL_ELEMENTS_ZH.get(c.name)
        if element and c.status == PASSED:
            print(f"{' ' * 12}对应《最高人民法院关于互联网法院审理案件若干问题的规定》第十一条{element}")
    if report.verified:
        print("结论：回执核验通过。 Result: the receipt VERIFIED.")
    elif not report.usable:
        print("结论：输入无法使用。 Result: the input is not usable.")
    else:
        print("结论：核验未通过。 Result: verification FAILED.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="standalone_verifier.py",
        description="Verify a Tianping evidence receipt offline (天平存证回执离线核验).",
    )
    parser.add_argument("receipt", help="the receipt JSON file")
    parser.add_argument("file", nargs="?", help="the original file, to compare its digests")
    parser.add_argument("--key", help="the log's verifier key, obtained from the log operator independently")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        receipt = json.loads(Path(args.receipt).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"无法读取回执 cannot read the receipt {args.receipt}: {exc}", file=sys.stderr)
        return 2
    file_bytes = None
    if args.file is not None:
        try:
            file_bytes = Path(args.file).read_bytes()
        except OSError as exc:
            print(f"无法读取文件 cannot read the file {args.file}: {exc}", file=sys.stderr)
            return 2
    report = verify_receipt(receipt, file_bytes, args.key)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if not report.usable:
        return 2
    return 0 if report.verified else 1


if __name__ == "__main__":
    raise SystemExit(main())
