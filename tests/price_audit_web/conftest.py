from __future__ import annotations

import pytest

from tests.price_audit_web.support import Runs, make_runs


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Two real DuckDB audit runs in the test data directory (shared: finished runs never change)."""
    return make_runs(tmp_path_factory.mktemp("price-audit-web"))
