"""Fixtures of the evidence-vault tests (see evidence_support)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.evidence.evidence_support import POSTGRES_URL, Vault, committed_database, make_vault
from tianping.core.db import make_engine, set_engine

COMMITTED_BACKENDS = [pytest.param("sqlite", id="sqlite")]
if POSTGRES_URL:
    COMMITTED_BACKENDS.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return make_vault(tmp_path / "vault")


@pytest.fixture(params=COMMITTED_BACKENDS)
def committed_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with committed_database(str(request.param), tmp_path) as url:
        yield url


@pytest.fixture
def committed_engine(committed_url: str) -> Iterator[Engine]:
    engine = make_engine(url=committed_url)
    set_engine(engine)
    try:
        yield engine
    finally:
        set_engine(None)
        engine.dispose()
