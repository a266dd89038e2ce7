"""Fixtures of the evidence web tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evidence.evidence_support import Vault, make_vault


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return make_vault(tmp_path / "vault")
