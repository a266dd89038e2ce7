"""Property: on random small histories the Ibis rules (on DuckDB) give exactly the oracle's findings."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.price_audit import oracle
from tests.price_audit.support import (
    audit_params,
    observations,
    params,
    transactions,
    write_observations,
    write_transactions,
)
from tianping.price_audit import run_audit

pytestmark = pytest.mark.slow  # ~1 s per example (Ibis compiles the rules for every run)


def _engine_audit(
    obs: list[oracle.Obs], tx: list[oracle.Tx] | None, p: oracle.Params, *, buckets: int = 1
) -> tuple[list[dict[str, object]], dict[str, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        obs_path = write_observations(home / "obs.csv", obs)
        tx_path = write_transactions(home / "tx.csv", tx) if tx is not None else None
        run = run_audit(
            observations=obs_path, transactions=tx_path, params=audit_params(p), home=home, buckets=buckets
        )
        return run.rows(), run.counts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obs=observations(), tx=transactions(), p=params())
def test_rules_agree_with_the_oracle(
    obs: list[oracle.Obs], tx: list[oracle.Tx] | None, p: oracle.Params
) -> None:
    expected, expected_counts = oracle.audit(obs, tx, p)
    actual, counts = _engine_audit(obs, tx, p)
    assert actual == expected
    for name, value in expected_counts.items():
        assert counts[name] == value, name


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obs=observations(max_rows=60), tx=transactions(), p=params())
def test_buckets_do_not_change_the_findings(
    obs: list[oracle.Obs], tx: list[oracle.Tx] | None, p: oracle.Params
) -> None:
    expected, _ = oracle.audit(obs, tx, p)
    actual, _ = _engine_audit(obs, tx, p, buckets=3)
    assert actual == expected
