"""Benchmark of the evidence vault's persistent log: durable appends and proofs from stored nodes.

    .venv/bin/python bench/bench_evidence_log.py            # 20,000 appends; proofs at 1,000,000 entries
    .venv/bin/python bench/bench_evidence_log.py --quick    # 2,000 appends; proofs at 100,000 entries
    .venv/bin/python bench/bench_evidence_log.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

(``TIANPING_TEST_POSTGRES_URL`` works as ``--postgres``.) With PostgreSQL a temporary database is
created on that server and dropped afterwards. All data is fictitious.

1. **Durable appends** — ``--threads`` submitters push ``--appends`` submissions (one in
   ``--file-every`` is a small file stored with fsync, the rest digest registrations) through the
   batching writer (:class:`tianping.evidence.writer.EvidenceLog`) into a fresh database: SQLite in a
   temporary directory (WAL, ``synchronous=FULL`` on the writer's connection) and, when given,
   PostgreSQL. Each submitter times submit → acknowledgement (after commit) → receipt in hand
   (entry, inclusion proof, signed checkpoint, read back from the database). Targets: **≥ 1,000
   durable appends/s**, **p95 receipt latency ≤ 1 s**. One receipt is then verified offline and the
   store audited (time printed).
2. **Proofs at scale** — ``--proof-size`` synthetic leaves: their perfect-subtree nodes are computed
   in memory and bulk-loaded (``executemany``), then ``--samples`` inclusion proofs are read from the
   database (one query each) and verified. Targets: **proof ≤ 1 ms** and **verification ≤ 0.1 ms**
   (medians; p95 printed beside).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

APPENDS_TARGET_PER_S = 1_000
RECEIPT_P95_TARGET_S = 1.0
PROOF_TARGET_MS = 1.0
VERIFY_TARGET_MS = 0.1

RESULTS: list[tuple[str, bool]] = []


def verdict(name: str, ok: bool) -> str:
    RESULTS.append((name, ok))
    return "PASS" if ok else "FAIL"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def database(kind: str, postgres_url: str | None, tmp: Path) -> Iterator[str]:
    from tianping.migrate import upgrade

    if kind == "sqlite":
        url = f"sqlite:///{tmp / f'bench-{secrets.token_hex(3)}.db'}"
        upgrade(url)
        yield url
        return
    assert postgres_url is not None
    base = make_url(postgres_url)
    name = f"tianping_bench_{secrets.token_hex(4)}"
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


@dataclass
class AppendFigures:
    total: int
    seconds: float
    latencies: list[float]
    batches: int


def bench_appends(
    engine: Engine, vault: Path, *, appends: int, threads: int, file_every: int
) -> AppendFigures:
    from tianping.core.authz import Actor, Role
    from tianping.evidence import service
    from tianping.evidence.blobs import BlobStore
    from tianping.evidence.keys import KeyRing
    from tianping.evidence.schemas import HashRegistrationIn, ItemIn
    from tianping.evidence.writer import EvidenceLog

    officer = Actor(user_id=1, username="bench-officer", roles=frozenset({Role.OFFICER}))
    blobs, keyring = BlobStore(vault / "blobs"), KeyRing(vault / "keys")
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(appends))
    counter_lock = threading.Lock()

    def next_n() -> int | None:
        with counter_lock:
            return next(counter, None)

    with EvidenceLog(engine=engine, keyring=keyring) as writer:

        def submitter() -> None:
            mine: list[float] = []
            with Session(engine) as session:
                while (n := next_n()) is not None:
                    started = time.perf_counter()
                    if file_every and n % file_every == 0:
                        sub = service.prepare_item(
                            actor=officer,
                            source=io.BytesIO(f"示例证据文件 {n} ".encode() * 64),
                            item_in=ItemIn(purpose="基准测试证据", idempotency_key=f"bench-{n:08d}"),
                            blobs=blobs,
                        )
                    else:
                        sub = service.prepare_hash_registration(
                            actor=officer,
                            registration_in=HashRegistrationIn(
                                sha256=f"{n:064x}",
                                purpose="基准测试摘要登记",
                                idempotency_key=f"bench-{n:08d}",
                            ),
                        )
                    ack = writer.append(sub, timeout=120)
                    receipt = service.receipt_for(session, ack)
                    session.rollback()  # end the read transaction: the next receipt sees new checkpoints
                    assert receipt["leaf_index"] == ack.leaf_index
                    mine.append(time.perf_counter() - started)
            with lock:
                latencies.extend(mine)

        started = time.perf_counter()
        workers = [threading.Thread(target=submitter) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        seconds = time.perf_counter() - started
        batches = writer.batches
    return AppendFigures(appends, seconds, latencies, batches)


def report_appends(label: str, engine: Engine, vault: Path, args: argparse.Namespace) -> None:
    from tianping.core.authz import Actor, Role
    from tianping.evidence import service
    from tianping.evidence.blobs import BlobStore
    from tianping.evidence.keys import KeyRing
    from tianping.evidence.standalone_verifier import verify_receipt

    figures = bench_appends(
        engine, vault, appends=args.appends, threads=args.threads, file_every=args.file_every
    )
    rate = figures.total / figures.seconds
    p50, p95 = statistics.median(figures.latencies), pct(figures.latencies, 0.95)
    print(
        f"\n[{label}] durable appends: {figures.total:,} by {args.threads} submitters "
        f"in {figures.seconds:.1f} s"
    )
    print(
        f"  throughput {rate:,.0f} appends/s (target ≥ {APPENDS_TARGET_PER_S:,})  "
        f"{verdict(f'{label} appends/s', rate >= APPENDS_TARGET_PER_S)}"
    )
    print(
        f"  receipt latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {max(figures.latencies) * 1000:.0f} ms "
        f"(target p95 ≤ {RECEIPT_P95_TARGET_S * 1000:.0f} ms)  "
        f"{verdict(f'{label} receipt p95', p95 <= RECEIPT_P95_TARGET_S)}"
    )
    print(
        f"  batches {figures.batches:,} "
        f"(mean {figures.total / max(figures.batches, 1):.1f} per signed checkpoint)"
    )
    admin = Actor(user_id=None, username="bench", roles=frozenset({Role.ADMIN}))
    with Session(engine) as session:
        receipt = service.receipt(session=session, actor=admin, leaf_index=figures.total // 2)
        assert verify_receipt(receipt).verified
        started = time.perf_counter()
        audit = service.audit_store(
            session=session, actor=admin, blobs=BlobStore(vault / "blobs"), keyring=KeyRing(vault / "keys")
        )
        audit_s = time.perf_counter() - started
    print(
        f"  full audit of {audit.entries:,} entries / {audit.checkpoints:,} checkpoints: "
        f"{audit_s:.1f} s, ok={audit.ok}"
    )
    assert audit.ok, audit.problems[:3]


def bulk_load_nodes(engine: Engine, size: int) -> float:
    """Compute the tree of ``size`` synthetic leaves in memory and insert its nodes; returns seconds."""
    from tianping.evidence import merkle
    from tianping.evidence.store import insert_nodes

    started = time.perf_counter()
    store = merkle.MemoryNodeStore()
    chunk = 100_000
    with engine.begin() as conn:
        for lo in range(0, size, chunk):
            hashes = [merkle.leaf_hash(b'{"bench":%d,"v":1}' % i) for i in range(lo, min(lo + chunk, size))]
            insert_nodes(conn, store.append(hashes))
    return time.perf_counter() - started


def report_proofs(label: str, engine: Engine, args: argparse.Namespace) -> None:
    from tianping.evidence import merkle
    from tianping.evidence.store import DbNodeStore

    size = args.proof_size
    load_s = bulk_load_nodes(engine, size)
    print(f"\n[{label}] proofs from stored nodes at {size:,} entries (nodes bulk-loaded in {load_s:.1f} s)")
    rng = random.Random(7)
    indices = [rng.randrange(size) for _ in range(args.samples)]
    proof_ms: list[float] = []
    verify_ms: list[float] = []
    with Session(engine) as session:
        store = DbNodeStore(session)
        root = merkle.root_from_store(store, size)
        for i in indices[:20]:  # warm the page cache a little, as a running server would be
            merkle.inclusion_proof_from_store(store, i, size)
        for i in indices:
            t0 = time.perf_counter_ns()
            proof = merkle.inclusion_proof_from_store(store, i, size)
            t1 = time.perf_counter_ns()
            ok = merkle.verify_inclusion(merkle.leaf_hash(b'{"bench":%d,"v":1}' % i), i, size, proof, root)
            t2 = time.perf_counter_ns()
            assert ok
            proof_ms.append((t1 - t0) / 1e6)
            verify_ms.append((t2 - t1) / 1e6)
    pm, vm = statistics.median(proof_ms), statistics.median(verify_ms)
    print(
        f"  inclusion proof (one query): median {pm:.3f} ms, p95 {pct(proof_ms, 0.95):.3f} ms "
        f"(target ≤ {PROOF_TARGET_MS} ms)  {verdict(f'{label} proof', pm <= PROOF_TARGET_MS)}"
    )
    print(
        f"  verification: median {vm:.4f} ms, p95 {pct(verify_ms, 0.95):.4f} ms "
        f"(target ≤ {VERIFY_TARGET_MS} ms)  {verdict(f'{label} verify', vm <= VERIFY_TARGET_MS)}"
    )


def run_backend(label: str, kind: str, postgres_url: str | None, tmp: Path, args: argparse.Namespace) -> None:
    from tianping.core.db import make_engine

    with database(kind, postgres_url, tmp) as url:
        engine = make_engine(url=url)
        try:
            if kind == "sqlite":
                with engine.connect() as conn:
                    mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                print(f"\n[{label}] {url.split('///')[-1]} (journal_mode={mode}, writer synchronous=FULL)")
            report_appends(label, engine, tmp / f"vault-{kind}", args)
        finally:
            engine.dispose()
    if args.proof_size:
        with database(kind, postgres_url, tmp) as url:
            engine = make_engine(url=url)
            try:
                report_proofs(label, engine, args)
            finally:
                engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 appends, proofs at 100,000")
    parser.add_argument("--appends", type=int, default=None, help="submissions to append (default 20,000)")
    parser.add_argument("--threads", type=int, default=64, help="concurrent submitters (default 64)")
    parser.add_argument("--file-every", type=int, default=10, help="every n-th submission is a stored file")
    parser.add_argument("--proof-size", type=int, default=None, help="entries for the proof test (1,000,000)")
    parser.add_argument("--samples", type=int, default=1_000, help="inclusion proofs to time")
    parser.add_argument("--postgres", default=os.environ.get("TIANPING_TEST_POSTGRES_URL") or None)
    parser.add_argument("--skip-sqlite", action="store_true", help="only PostgreSQL")
    args = parser.parse_args(argv)
    args.appends = args.appends or (2_000 if args.quick else 20_000)
    args.proof_size = (
        args.proof_size if args.proof_size is not None else (100_000 if args.quick else 1_000_000)
    )

    with tempfile.TemporaryDirectory(prefix="tianping-bench-evidence-") as tmp_dir:
        tmp = Path(tmp_dir)
        os.environ["TIANPING_HOME"] = str(tmp / "home")
        os.environ.setdefault("TIANPING_MODE", "test")
        from tianping.core.settings import reset_settings_cache

        reset_settings_cache()
        print(f"evidence log benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        if not args.skip_sqlite:
            run_backend("SQLite", "sqlite", None, tmp, args)
        if args.postgres:
            run_backend("PostgreSQL", "postgres", args.postgres, tmp, args)
    failed = [name for name, ok in RESULTS if not ok]
    print("\nall targets met" if not failed else f"\nFAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
