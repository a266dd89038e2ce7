"""Content digests of evidence: SHA-256 always, SM3 (GB/T 32905-2016) where OpenSSL provides it.

SM3 comes from ``hashlib`` (OpenSSL, ≈300 MB/s); the pure-Python implementations are a thousand times
slower and are not used. Nothing here touches the database, so ``tianping evidence hash`` works on a
machine without one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1024 * 1024
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@lru_cache(maxsize=1)
def sm3_available() -> bool:
    try:
        return hashlib.new("sm3", b"abc").hexdigest().startswith("66c7f0f4")
    except ValueError:
        return False


@dataclass(frozen=True)
class Digests:
    sha256: str
    sm3: str | None
    size: int


class Hasher:
    """SHA-256 and (when available) SM3 over a stream of chunks."""

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._sm3: Any = hashlib.new("sm3") if sm3_available() else None
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._sha256.update(chunk)
        if self._sm3 is not None:
            self._sm3.update(chunk)
        self.size += len(chunk)

    def digests(self) -> Digests:
        return Digests(
            sha256=self._sha256.hexdigest(),
            sm3=self._sm3.hexdigest() if self._sm3 is not None else None,
            size=self.size,
        )


def read_chunks(handle: BinaryIO) -> Iterable[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk


def hash_bytes(data: bytes) -> Digests:
    hasher = Hasher()
    hasher.update(data)
    return hasher.digests()


def hash_file(path: Path) -> Digests:
    hasher = Hasher()
    with path.open("rb") as handle:
        for chunk in read_chunks(handle):
            hasher.update(chunk)
    return hasher.digests()


def normalize_hex(value: str) -> str | None:
    """A 64-hex-digit digest in lower case, or None when ``value`` is not one."""
    text = value.strip().lower()
    return text if HEX64.match(text) else None
