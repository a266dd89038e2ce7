"""Content-addressed evidence files: ``<home>/evidence/blobs/<first two hex>/<sha256>``.

A file is streamed into ``blobs/tmp/`` while it is hashed, fsync'd, renamed into place and its
directory fsync'd — all before the log entry that names it is committed. A crash can therefore
leave an unreferenced file (harmless; :meth:`BlobStore.unreferenced` lists them, and
``tianping evidence sweep`` removes them), never an entry whose file is missing. Stored files are
made read-only (0400).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tianping.core.errors import FieldError, FileRejected
from tianping.core.settings import Settings, get_settings
from tianping.evidence.hashing import Digests, Hasher, hash_file, read_chunks

TMP_DIR = "tmp"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_dir(path: Path) -> None:
    """Create ``path`` (0700) and make the new directory entry durable."""
    if path.is_dir():
        return
    _ensure_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
        _fsync_dir(path.parent)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def for_settings(cls, settings: Settings | None = None) -> BlobStore:
        settings = settings or get_settings()
        return cls(settings.home.resolve() / "evidence" / "blobs")

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put(self, source: BinaryIO, *, max_bytes: int) -> Digests:
        """Store the stream durably; returns its digests. Empty or too large: ``FileRejected``, nothing
        kept."""
        tmp_dir = self.root / TMP_DIR
        _ensure_dir(tmp_dir)
        tmp = tmp_dir / f"{secrets.token_hex(8)}.part"
        hasher = Hasher()
        try:
            with tmp.open("xb") as out:
                for chunk in read_chunks(source):
                    hasher.update(chunk)
                    if hasher.size > max_bytes:
                        raise FileRejected(
                            f"文件超过存证大小上限 {max_bytes:,} 字节",
                            errors=[FieldError("file", f"文件大小超过 {max_bytes:,} 字节的上限")],
                        )
                    out.write(chunk)
                if hasher.size == 0:
                    raise FileRejected("文件为空", errors=[FieldError("file", "不能登记空文件")])
                out.flush()
                os.fsync(out.fileno())
            digests = hasher.digests()
            final = self.path_for(digests.sha256)
            _ensure_dir(final.parent)
            os.chmod(tmp, 0o400)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
            return digests
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def put_bytes(self, data: bytes, *, max_bytes: int) -> Digests:
        import io

        return self.put(io.BytesIO(data), max_bytes=max_bytes)

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")

    def digests(self, sha256: str) -> Digests:
        return hash_file(self.path_for(sha256))

    def iter_blobs(self) -> Iterator[tuple[str, Path]]:
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if shard.name == TMP_DIR or not shard.is_dir():
                continue
            for path in sorted(shard.iterdir()):
                yield path.name, path

    def unreferenced(self, referenced: set[str], *, older_than_seconds: float = 3600) -> list[Path]:
        """Files no entry names (and leftovers of interrupted writes), older than the grace period.

        The grace period keeps a file whose entry is being committed right now.
        """
        cutoff = time.time() - older_than_seconds
        out = [p for name, p in self.iter_blobs() if name not in referenced and p.stat().st_mtime < cutoff]
        tmp_dir = self.root / TMP_DIR
        if tmp_dir.is_dir():
            out += [p for p in sorted(tmp_dir.iterdir()) if p.stat().st_mtime < cutoff]
        return out
