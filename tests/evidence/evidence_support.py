"""Helpers of the evidence-vault tests: actors, a vault in a temporary directory, committed databases.

Tests that go through the batching writer, the CLI or a crashing child process need data that is
really committed, so they get a database of their own (a SQLite file, and a fresh PostgreSQL
database when ``TIANPING_TEST_POSTGRES_URL`` is set) instead of the rolled-back ``db_session``.
"""

from __future__ import annotations

import io
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tianping.core.authz import Actor, Role
from tianping.evidence import service
from tianping.evidence.blobs import BlobStore
from tianping.evidence.keys import KeyRing
from tianping.evidence.log import Appended
from tianping.evidence.schemas import HashRegistrationIn, ItemIn

POSTGRES_URL = os.environ.get("TIANPING_TEST_POSTGRES_URL", "").strip()

OFFICER = Actor(user_id=101, username="officer", roles=frozenset({Role.OFFICER}))
OTHER_OFFICER = Actor(user_id=102, username="officer2", roles=frozenset({Role.STATION_OFFICER}))
ADMIN = Actor(user_id=None, username="cli:test", roles=frozenset({Role.ADMIN}))
ANALYST = Actor(user_id=103, username="analyst", roles=frozenset({Role.ANALYST}))
BUSINESS = Actor(user_id=104, username="shop", roles=frozenset({Role.PLATFORM_HANDLER}))
OTHER_BUSINESS = Actor(user_id=105, username="shop2", roles=frozenset({Role.PLATFORM_HANDLER}))


@dataclass
class Vault:
    """Where one test keeps its files and keys (never the shared test data directory)."""

    blobs: BlobStore
    keyring: KeyRing

    def add(self, session: Session, content: bytes, *, actor: Actor = OFFICER, **fields: Any) -> Appended:
        filename = fields.pop("filename", "page.png")
        item_in = ItemIn(**({"purpose": "测试证据：商品页面截图"} | fields))
        return service.add_item(
            session=session,
            actor=actor,
            source=io.BytesIO(content),
            item_in=item_in,
            filename=filename,
            keyring=self.keyring,
            blobs=self.blobs,
        )

    def register(self, session: Session, sha256: str, *, actor: Actor = BUSINESS, **fields: Any) -> Appended:
        registration_in = HashRegistrationIn(**({"sha256": sha256, "purpose": "商业秘密摘要登记"} | fields))
        return service.register_hash(
            session=session, actor=actor, registration_in=registration_in, keyring=self.keyring
        )


def make_vault(root: Path) -> Vault:
    return Vault(blobs=BlobStore(root / "blobs"), keyring=KeyRing(root / "keys"))


def _worker() -> str:
    return re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_WORKER", "main")) or "main"


@contextmanager
def committed_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database whose URL is yielded; dropped afterwards (PostgreSQL)."""
    from tianping.migrate import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'evidence.db'}"
        upgrade(url)
        yield url
        return
    base = make_url(POSTGRES_URL)
    name = f"tianping_ev_{_worker()}_{secrets.token_hex(3)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
