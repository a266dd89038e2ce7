"""Benchmark of the complaints demo dataset (``tianping.demo.complaints``).

    .venv/bin/python bench/bench_demo_complaints.py                  # 6,000 entities → 40,000 tickets
    .venv/bin/python bench/bench_demo_complaints.py --entities 1000  # 7,000 tickets, quicker

A fresh SQLite database in a temporary TIANPING_HOME is migrated and the whole demo is loaded
(``load_demo``: entities, organisations, users, evidence, then the complaints). Prints the seconds of
the whole load, of the complaints part (generation + Core executemany inserts) and of the classifier
training at its end, and the row counts. Target: the complaints part (without training) < 20 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

TARGET_SECONDS = 20.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entities", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=20250618)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tianping-bench-demo-") as home:
        os.environ["TIANPING_HOME"] = home
        os.environ["TIANPING_MODE"] = "demo"
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from tianping.core.audit import AuditEvent
        from tianping.core.db import make_engine, set_engine
        from tianping.demo import load_demo
        from tianping.migrate import upgrade

        url = f"sqlite:///{Path(home) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url=url)
        set_engine(engine)
        with Session(engine) as session:
            started = time.perf_counter()
            load_demo(session, seed=args.seed, entities=args.entities, reset=False, as_of=date(2026, 11, 28))
            total = time.perf_counter() - started
            event = session.scalar(select(AuditEvent).where(AuditEvent.action == "demo.complaints"))
            assert event is not None
            detail = event.detail
            session.commit()
        engine.dispose()
    loading = float(detail["seconds"]) - float(detail["training_seconds"])
    print(f"demo load, {args.entities} entities: {total:.1f} s in all")
    print(
        f"complaints: {detail['tickets']} tickets, {detail['events']} events, {detail['clocks']} clocks, "
        f"{detail['callbacks']} callbacks, {detail['replies']} platform replies"
    )
    print(
        f"  generation + inserts: {loading:.1f} s ({detail['tickets'] / max(loading, 1e-9):,.0f} tickets/s)"
    )
    print(f"  classifier training:  {float(detail['training_seconds']):.1f} s")
    verdict = "met" if loading < TARGET_SECONDS else "NOT met"
    print(f"  target < {TARGET_SECONDS:.0f} s without training: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
