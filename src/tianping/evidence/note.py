"""Signed notes (C2SP signed-note) with Ed25519 keys, and transparency-log checkpoints in them.

A **signed note** is a UTF-8 text ending in a newline, a blank line, then signature lines
``"— <key name> <base64(4-byte key id || signature)>\\n"`` (U+2014 EM DASH, space). The key id of an
Ed25519 key is ``SHA-256(key name || "\\n" || 0x01 || 32-byte public key)[:4]``. Keys are written as
in ``golang.org/x/mod/sumdb/note``:

* verifier key: ``<name>+<8 hex key id>+<base64(0x01 || public key)>``
* signer key:   ``PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || 32-byte seed)>``

A **checkpoint** (C2SP tlog-checkpoint) is a note whose text is ``<origin>\\n<tree size>\\n<base64
root>\\n``, optionally followed by non-empty extension lines. Tianping signs checkpoints without
extension lines (the spec does not recommend them); the signing time is kept in the receipt and the
database.

Opening a note follows the spec: signatures by unknown keys are ignored (that is what lets witnesses
co-sign and keys rotate), a signature by a known key that does not verify rejects the whole note,
and a note without any verified signature is rejected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ALG_ED25519",
    "Checkpoint",
    "NoteError",
    "Signature",
    "SignerKey",
    "VerifierKey",
    "format_checkpoint",
    "generate_signer",
    "key_id",
    "open_note",
    "parse_checkpoint",
    "parse_signer_key",
    "parse_verifier_key",
    "sign_note",
    "signer_key_from_seed",
    "split_note",
    "verifier_key_for",
]

ALG_ED25519 = 0x01
EM_DASH = "\u2014"
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16; golang.org/x/mod allows 100
MAX_TREE_SIZE = 2**64 - 1
_HEX8 = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class NoteError(ValueError):
    """A key, note or checkpoint that is malformed or does not verify (the message says which)."""


# --------------------------------------------------------------------------------------------------
# Keys


def _check_name(name: object, what: str = "key name") -> str:
    if not isinstance(name, str) or not name:
        raise NoteError(f"{what} must be a non-empty string")
    if "+" in name or any(ch.isspace() for ch in name) or any(ord(ch) < 0x20 for ch in name):
        raise NoteError(f"{what} {name!r} must not contain spaces, '+' or control characters")
    return name


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64: alphabet, padding and canonical form are all checked."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def key_id(name: str, public_key: bytes, alg: int = ALG_ED25519) -> bytes:
    """``SHA-256(name || "\\n" || alg || public key)[:4]`` (C2SP signed-note, Ed25519 signatures)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + bytes(public_key)).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes  # 4 bytes
    public_key: bytes  # 32 bytes (Ed25519)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class SignerKey:
    name: str
    key_id: bytes
    seed: bytes  # 32-byte Ed25519 private key seed

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{encoded}"

    def __repr__(self) -> str:  # never print the seed by accident
        return f"SignerKey(name={self.name!r}, key_id={self.key_id.hex()!r})"

    @property
    def verifier(self) -> VerifierKey:
        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return VerifierKey(self.name, self.key_id, public)

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def _parse_key_material(name: str, hex_id: str, encoded: str, what: str) -> tuple[bytes, bytes]:
    _check_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise NoteError(f"{what}: key id {hex_id!r} is not 8 lowercase hex digits")
    raw = _b64decode(encoded, f"{what}: key material")
    if len(raw) != 33:
        raise NoteError(f"{what}: key material is {len(raw)} bytes, an Ed25519 key needs 1 + 32")
    if raw[0] != ALG_ED25519:
        raise NoteError(f"{what}: unknown signature algorithm {raw[0]:#04x} (only Ed25519, 0x01)")
    return bytes.fromhex(hex_id), raw[1:]


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse ``<name>+<hex id>+<base64 key>``; the id must match the key."""
    if not isinstance(text, str):
        raise NoteError("verifier key must be a string")
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise NoteError("verifier key must look like <name>+<8 hex digits>+<base64 key>")
    name, hex_id, encoded = parts
    kid, public = _parse_key_material(name, hex_id, encoded, "verifier key")
    try:
        Ed25519PublicKey.from_public_bytes(public)
    except ValueError as exc:  # pragma: no cover - any 32 bytes load; kept for other backends
        raise NoteError("verifier key: not an Ed25519 public key") from exc
    if key_id(name, public) != kid:
        raise NoteError(
            f"verifier key: id {hex_id} does not match the key (expected {key_id(name, public).hex()})"
        )
    return VerifierKey(name, kid, public)


def parse_signer_key(text: str) -> SignerKey:
    """Parse ``PRIVATE+KEY+<name>+<hex id>+<base64 seed>``; the id must match the derived public key."""
    if not isinstance(text, str):
        raise NoteError("signer key must be a string")
    parts = text.split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise NoteError("signer key must look like PRIVATE+KEY+<name>+<8 hex digits>+<base64 seed>")
    _, _, name, hex_id, encoded = parts
    kid, seed = _parse_key_material(name, hex_id, encoded, "signer key")
    key = SignerKey(name, kid, seed)
    if key_id(name, key.verifier.public_key) != kid:
        raise NoteError(f"signer key: id {hex_id} does not match the key")
    return key


def signer_key_from_seed(name: str, seed: bytes) -> tuple[str, str]:
    """The (signer key, verifier key) strings of an Ed25519 key given by its 32-byte seed."""
    _check_name(name)
    if not isinstance(seed, (bytes, bytearray)) or len(seed) != 32:
        raise NoteError("an Ed25519 seed is 32 bytes")
    public = (
        Ed25519PrivateKey.from_private_bytes(bytes(seed))
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    signer = SignerKey(name, key_id(name, public), bytes(seed))
    return str(signer), str(signer.verifier)


def generate_signer(name: str) -> tuple[str, str]:
    """A fresh Ed25519 key named ``name``: ``(signer key string, verifier key string)``."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return signer_key_from_seed(name, seed)


def verifier_key_for(signer_key: str) -> str:
    """The verifier key string matching a signer key string."""
    return str(parse_signer_key(signer_key).verifier)


# --------------------------------------------------------------------------------------------------
# Notes


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes  # without the key id
    line: str  # the signature line as written, without the newline


def _check_text(text: str, what: str) -> None:
    for ch in text:
        if ch != "\n" and (ord(ch) < 0x20 or ord(ch) == 0x7F):
            raise NoteError(f"{what} contains the control character U+{ord(ch):04X}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError(f"{what} is not valid UTF-8 text") from exc


def _check_body(body: str) -> None:
    if not isinstance(body, str) or not body:
        raise NoteError("note text must be a non-empty string")
    if not body.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_text(body, "note text")


def _parse_signature_line(line: str) -> Signature:
    prefix = EM_DASH + " "
    if not line.startswith(prefix):
        raise NoteError(f"signature line {line[:40]!r} does not start with '— '")
    rest = line[len(prefix) :]
    name, sep, encoded = rest.partition(" ")
    if not sep or " " in encoded:
        raise NoteError(f"signature line {line[:40]!r} is not '— <key name> <base64>'")
    _check_name(name, "signature key name")
    raw = _b64decode(encoded, f"signature of {name}")
    if len(raw) < 5:
        raise NoteError(f"signature of {name} is too short")
    return Signature(name, raw[:4], raw[4:], line)


def split_note(text: str | bytes) -> tuple[str, list[Signature]]:
    """Split a signed note into its text and parsed signature lines, checking only the format."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("signed note is not valid UTF-8") from exc
    if not isinstance(text, str):
        raise NoteError("signed note must be text")
    _check_text(text, "signed note")
    cut = text.rfind("\n\n")
    if cut < 0:
        raise NoteError("signed note has no blank line before its signatures")
    body, sigs = text[: cut + 1], text[cut + 2 :]
    if not sigs.endswith("\n"):
        raise NoteError("signed note must end with a newline after its last signature line")
    lines = sigs[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"signed note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    return body, [_parse_signature_line(line) for line in lines]


def sign_note(body: str, signer_key_str: str) -> str:
    """``body`` followed by a blank line and one Ed25519 signature line by ``signer_key_str``."""
    _check_body(body)
    key = parse_signer_key(signer_key_str)
    signature = key.sign(body.encode("utf-8"))
    encoded = base64.b64encode(key.key_id + signature).decode("ascii")
    return f"{body}\n{EM_DASH} {key.name} {encoded}\n"


def open_note(text: str | bytes, verifiers: Sequence[str]) -> tuple[str, list[str]]:
    """Verify a signed note against trusted verifier keys: ``(note text, names that verified)``.

    Signatures by keys not in ``verifiers`` are ignored; a signature by a listed key that fails to
    verify, a malformed note or key, or a note with no verified signature raises :class:`NoteError`.
    """
    if isinstance(verifiers, str):
        raise NoteError("verifiers must be a list of verifier key strings, not one string")
    known: dict[tuple[str, bytes], VerifierKey] = {}
    for item in verifiers:
        key = parse_verifier_key(item)
        other = known.get((key.name, key.key_id))
        if other is not None and other.public_key != key.public_key:
            raise NoteError(f"ambiguous key {key.name}+{key.key_id.hex()}: two keys share name and id")
        known[(key.name, key.key_id)] = key
    body, signatures = split_note(text)
    message = body.encode("utf-8")
    verified: list[str] = []
    seen: set[tuple[str, bytes, bytes]] = set()
    for sig in signatures:
        trusted = known.get((sig.name, sig.key_id))
        if trusted is None:
            continue  # an unknown key: ignored, as the spec requires
        if (sig.name, sig.key_id, sig.signature) in seen:
            continue
        if not trusted.verify(message, sig.signature):
            raise NoteError(f"invalid signature for key {sig.name}+{sig.key_id.hex()}")
        seen.add((sig.name, sig.key_id, sig.signature))
        if sig.name not in verified:
            verified.append(sig.name)
    if not verified:
        raise NoteError("note has no signature by a known key")
    return body, verified


# --------------------------------------------------------------------------------------------------
# Checkpoints (C2SP tlog-checkpoint)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def format_checkpoint(origin: str, size: int, root: bytes) -> str:
    """The checkpoint note text ``"<origin>\\n<size>\\n<base64 root>\\n"`` (no extension lines)."""
    if not isinstance(origin, str) or not origin or "\n" in origin:
        raise NoteError("checkpoint origin must be a non-empty single line")
    _check_text(origin, "checkpoint origin")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_TREE_SIZE:
        raise NoteError(f"checkpoint tree size must be an integer in 0..2^64-1, not {size!r}")
    if not isinstance(root, (bytes, bytearray)) or len(root) != 32:
        raise NoteError("checkpoint root must be a 32-byte SHA-256 hash")
    return f"{origin}\n{size}\n{base64.b64encode(bytes(root)).decode('ascii')}\n"


def parse_checkpoint(body: str, *, hash_size: int | None = 32) -> Checkpoint:
    """Parse checkpoint note text. ``hash_size=None`` accepts a root of any length."""
    if not isinstance(body, str) or not body.endswith("\n"):
        raise NoteError("checkpoint text must end with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint text needs three lines: origin, tree size, root hash")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise NoteError("checkpoint origin line is empty")
    _check_text(body, "checkpoint text")
    if not _DECIMAL.fullmatch(size_text):
        raise NoteError(
            f"checkpoint tree size {size_text[:30]!r} is not a decimal number without leading zeros"
        )
    size = int(size_text)
    if size > MAX_TREE_SIZE:
        raise NoteError("checkpoint tree size exceeds 2^64-1")
    root = _b64decode(root_text, "checkpoint root hash")
    if hash_size is not None and len(root) != hash_size:
        raise NoteError(f"checkpoint root hash is {len(root)} bytes, not {hash_size}")
    if any(not line for line in extensions):
        raise NoteError("checkpoint extension lines must not be empty")
    return Checkpoint(origin, size, root, tuple(extensions))
