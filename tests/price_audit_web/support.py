"""Audit runs for the officers' pages: the rich dataset of the rule tests, audited for real on DuckDB,
once with transactions of the list/checkout series (over-payment by hand) and once without (proxy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from tests.price_audit.oracle import Tx
from tests.price_audit.support import rich_history, write_observations, write_transactions
from tianping.price_audit import AuditRun, run_audit

D_SERIES = ("pdd", "店铺9", "D-2")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, minute)


#: Transactions of D-2, whose R6 run (list ¥79 vs detail ¥88) covers 06-01 and whose R7 run (checkout
#: above detail ¥88) covers 06-01 … 06-02. Over-payment by hand (each sale once, at its largest excess):
#:   06-01 ¥95 → R6: 95 − 79 = 16, R7: 95 − 88 = 7 → 16
#:   06-02 ¥99 → R7 only: 99 − 88 = 11
#:   06-01 ¥80 → R6: 80 − 79 = 1 (R7: below 88)
#:   06-01 ¥79 → nothing (not above either reference)
#:   06-03 ¥99 → outside both runs
#: Σ = 28.00 over 3 sales.
D_SALES = [
    Tx(*D_SERIES, _at(1, 13), Decimal("95")),
    Tx(*D_SERIES, _at(2, 9), Decimal("99")),
    Tx(*D_SERIES, _at(1, 14), Decimal("80")),
    Tx(*D_SERIES, _at(1, 15), Decimal("79")),
    Tx(*D_SERIES, _at(3, 9), Decimal("99")),
]
EXPECTED_OVERPAYMENT = Decimal("28.00")
EXPECTED_OVERPAID_SALES = 3


@dataclass(frozen=True)
class Runs:
    with_tx: AuditRun
    proxy: AuditRun


def make_runs(tmp: Path) -> Runs:
    obs, tx = rich_history()
    obs_path = write_observations(tmp / "obs.csv", obs)
    tx_path = write_transactions(tmp / "tx.csv", tx + D_SALES)
    return Runs(
        with_tx=run_audit(observations=obs_path, transactions=tx_path),
        proxy=run_audit(observations=obs_path),
    )


R1_WINDOW = (date(2025, 5, 25), date(2025, 5, 31))
