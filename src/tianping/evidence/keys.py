"""The log's Ed25519 signing keys, kept in ``<home>/evidence/keys/`` (directory 0700, files 0600).

Each key file holds two lines: the signer key string (``PRIVATE+KEY+<name>+<id>+<base64>``, see
:mod:`tianping.evidence.note`) and its verifier key string. The database holds only the verifier
keys and their validity (the published key history); a key file is found by its key id.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from threading import Lock

from tianping.core.errors import TianpingError
from tianping.core.settings import Settings, get_settings
from tianping.evidence import note


class KeyFileMissing(TianpingError):
    status_code = 500
    code = "evidence_key_missing"


def key_id_of(verifier_key: str) -> str:
    """The 8 hex digits of ``<name>+<hexid>+<base64>`` (names never contain ``+``)."""
    return note.parse_verifier_key(verifier_key).key_id.hex()


class KeyRing:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, str] = {}
        self._lock = Lock()

    @classmethod
    def for_settings(cls, settings: Settings | None = None) -> KeyRing:
        settings = settings or get_settings()
        return cls(settings.home.resolve() / "evidence" / "keys")

    def _path(self, key_id: str) -> Path:
        return self.root / f"{key_id}.key"

    def create(self, name: str) -> tuple[str, str]:
        """Generate a key pair, store it durably (0600); returns (signer, verifier)."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        while True:
            signer, verifier = note.generate_signer(name)
            path = self._path(key_id_of(verifier))
            if not path.exists():  # 32-bit key ids of one name collide almost never; then draw again
                break
        tmp = self.root / f".{secrets.token_hex(6)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(f"{signer}\n{verifier}\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        with self._lock:
            self._cache[verifier] = signer
        return signer, verifier

    def signer_for(self, verifier_key: str) -> str:
        """The signer string of ``verifier_key``, read from its file and checked to match."""
        with self._lock:
            cached = self._cache.get(verifier_key)
        if cached is not None:
            return cached
        path = self._path(key_id_of(verifier_key))
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise KeyFileMissing(f"存证日志签名密钥文件缺失：{path}（请从备份恢复，或轮换密钥）") from None
        if len(lines) < 2 or lines[1].strip() != verifier_key:
            raise KeyFileMissing(f"存证日志签名密钥文件与数据库中的公钥不一致：{path}")
        signer = lines[0].strip()
        try:
            matches = note.verifier_key_for(signer) == verifier_key
        except note.NoteError:
            matches = False
        if not matches:
            raise KeyFileMissing(f"存证日志签名密钥文件已损坏：{path}")
        with self._lock:
            self._cache[verifier_key] = signer
        return signer

    def has_file(self, verifier_key: str) -> bool:
        return self._path(key_id_of(verifier_key)).is_file()
