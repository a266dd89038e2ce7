"""Benchmark of the complaints KPIs: the dashboard of one month and the monthly workbook at 1,000,000 tickets.

    .venv/bin/python bench/bench_complaints_dashboard.py               # 1,000,000 tickets (build ~3 min once)
    .venv/bin/python bench/bench_complaints_dashboard.py --tickets 50000   # smoke run
    .venv/bin/python bench/bench_complaints_dashboard.py --rebuild      # ignore the cached database

The SQLite database is built once from the migrations and cached under /tmp (keyed by the ticket count
and the schema revision), so reruns only time. Data is fictitious and shaped like a city's 12315/12345
intake: 24 months ending 2025-06 with growth and a seasonal swing, 16 districts weighted by size, the
taxonomy's categories (prepaid-card complaints the largest), channels, ~20,000 businesses (a long
tail), parties who sometimes complain again, callbacks for most closed tickets, acceptance and
mediation clocks (a few breached, some still running), reopened and repeat tickets, a few approved
exclusions.

Targets: ``dashboard()`` for one month ≤ 1 s (median of 5 runs); ``monthly_workbook()`` ≤ 30 s.
Prints every dashboard query's time and the query plans SQLite uses for the slowest ones.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

DASHBOARD_TARGET_S = 1.0
WORKBOOK_TARGET_S = 30.0
MONTHS = 24
LAST_MONTH = date(2025, 6, 1)
FMT = "%Y-%m-%d %H:%M:%S.%f"


def _months() -> list[date]:
    out = []
    y, m = LAST_MONTH.year, LAST_MONTH.month
    for _ in range(MONTHS):
        out.append(date(y, m, 1))
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return list(reversed(out))


def build(path: Path, tickets: int, seed: int = 7) -> None:
    from tianping.complaints.deadlines import handling_workdays
    from tianping.complaints.taxonomy import load_taxonomy
    from tianping.core.divisions import districts, streets
    from tianping.migrate import upgrade

    rng = random.Random(seed)
    upgrade(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    dists = districts()
    weights = [3.0 if d.code in ("110105", "110108", "110106") else 1.0 for d in dists]
    street_codes = {d.code: [s.code for s in streets(d.code)] or [d.code] for d in dists}
    station_ids = {d.code: [100 + i * 10 + k for k in range(6)] for i, d in enumerate(dists)}
    member_ids = {d.code: [1000 + i * 10 + k for k in range(5)] for i, d in enumerate(dists)}
    leaves = [c.code for c in load_taxonomy().leaves()]
    cat_weights = [6.0 if c.startswith("prepaid") else 2.0 if c.startswith("online") else 1.0 for c in leaves]
    channels = ["12345", "12315", "web", "platform", "officer", "cca", "api"]
    channel_w = [45, 30, 10, 8, 4, 2, 1]
    kinds = ["complaint", "report", "consultation", "suggestion"]
    kind_w = [80, 10, 8, 2]
    months = _months()
    month_w = [1.0 + 0.02 * i + (0.15 if m.month in (3, 6, 11, 12) else 0.0) for i, m in enumerate(months)]
    total_w = sum(month_w)
    per_month = [round(tickets * w / total_w) for w in month_w]
    per_month[-1] += tickets - sum(per_month)
    now = datetime(2025, 7, 5, tzinfo=UTC)
    n_parties = max(1, tickets // 3)
    con.executemany(
        "INSERT INTO complaints_party (id, name, phone, phone_key, created_at) VALUES (?, ?, ?, ?, ?)",
        ((i, "示例", None, f"k{i}", "2023-01-01 00:00:00.000000") for i in range(1, n_parties + 1)),
    )
    t_cols = (
        "id, ticket_no, channel, kind, status, urgency, received_at, registered_at, party_id, anonymous, "
        "title, text, entity_id, link_status, link_detail, platform_entity_id, category_code, "
        "category_source, "
        "triage_detail, needs_review, division_code, district_code, station_org_id, member_unit_org_id, "
        "handling_org_id, transfer_count, repeat_of_id, accepted_at, outcome, resolved, first_closed_at, "
        "handling_workdays, "
        "closed_at, reopen_count, satisfaction, evidence_ids, updated_at"
    )
    t_sql = f"INSERT INTO complaints_ticket ({t_cols}) VALUES ({', '.join('?' * (t_cols.count(',') + 1))})"
    cb_sql = (
        "INSERT INTO complaints_callback (ticket_id, at, by_user_id, method, reached, contacted, resolved, "
        "satisfaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    clk_sql = (
        "INSERT INTO complaints_clock (ticket_id, kind, basis, started_at, due_at, status) "
        "VALUES (?, ?, ?, ?, ?, ?)"
    )
    ex_sql = (
        "INSERT INTO complaints_exclusion (ticket_id, kind, reason_code, note, requested_by, "
        "requested_at, status) VALUES (?, 'deduction', 'malicious', '示例', 1, ?, 'approved')"
    )
    tid = 0
    recent_closed: list[tuple[int, int, int]] = []
    started = time.perf_counter()
    for month, count in zip(months, per_month, strict=True):
        t_rows, cb_rows, clk_rows, ex_rows = [], [], [], []
        days = (date(month.year + month.month // 12, month.month % 12 + 1, 1) - month).days
        for _ in range(count):
            tid += 1
            recv = datetime(month.year, month.month, 1, tzinfo=UTC) + timedelta(
                seconds=rng.randrange(days * 86400)
            )
            dist = rng.choices(dists, weights)[0].code
            kind = rng.choices(kinds, kind_w)[0]
            party = rng.randrange(1, n_parties + 1)
            entity = int(rng.paretovariate(1.2) * 10) % 20000 + 1 if rng.random() < 0.8 else None
            platform = rng.randrange(1, 12) if rng.random() < 0.25 else None
            repeat_of = None
            if recent_closed and rng.random() < 0.03:
                repeat_of, party, entity = recent_closed[rng.randrange(len(recent_closed))]
            age = (now - recv).days
            closed = age > 25 or rng.random() < age / 30
            handled = kind != "consultation" or rng.random() < 0.3
            rejected = kind == "complaint" and rng.random() < 0.04
            status = (
                "rejected"
                if rejected
                else ("closed" if closed else rng.choice(["accepted", "assigned", "mediating"]))
            )
            first_close = (
                recv + timedelta(hours=rng.randrange(4, 24 * 30)) if closed and not rejected else None
            )
            resolved = (rng.random() < 0.82) if first_close else None
            reopen = 1 if first_close and rng.random() < 0.05 else 0
            station = rng.choice(station_ids[dist]) if handled else None
            r = recv.strftime(FMT)
            fc = first_close.strftime(FMT) if first_close else None
            t_rows.append(
                (
                    tid,
                    f"T{tid:010d}",
                    rng.choices(channels, channel_w)[0],
                    kind,
                    status,
                    "normal",
                    r,
                    r,
                    party,
                    0,
                    "示例工单",
                    "示例诉求内容",
                    entity,
                    "linked" if entity else "none",
                    "{}",
                    platform,
                    rng.choices(leaves, cat_weights)[0],
                    "model",
                    "{}",
                    0,
                    rng.choice(street_codes[dist]),
                    dist,
                    station,
                    rng.choice(member_ids[dist]) if handled else None,
                    station,
                    0,
                    repeat_of,
                    r if not rejected else None,
                    ("mediated" if resolved else "mediation_failed") if fc else None,
                    resolved,
                    fc,
                    handling_workdays(recv, first_close) if first_close else None,
                    fc,
                    reopen,
                    None,
                    "[]",
                    r,
                )
            )
            if fc and resolved and not reopen and entity:
                recent_closed.append((tid, party, entity))
                if len(recent_closed) > 5000:
                    recent_closed.pop(0)
            if fc and rng.random() < 0.85:
                reached = rng.random() < 0.9
                sat = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"], [70, 18, 12])[0]
                cb_rows.append(
                    (tid, (first_close + timedelta(days=2)).strftime(FMT), 1, "phone", reached,
                     (rng.random() < 0.97) if reached else None, (rng.random() < 0.85) if reached else None,
                     sat if reached else None)
                )  # fmt: skip
            accept_due = recv + timedelta(days=9)
            clk_rows.append(
                (
                    tid,
                    "accept",
                    "第十四条",
                    r,
                    accept_due.strftime(FMT),
                    "met" if rng.random() < 0.96 else "breached",
                )
            )
            if kind == "complaint" and not rejected:
                due = recv + timedelta(days=63)
                st = ("met" if rng.random() < 0.93 else "breached") if fc else "running"
                clk_rows.append((tid, "mediate", "第二十一条", r, due.strftime(FMT), st))
            if rng.random() < 0.005:
                ex_rows.append((tid, r))
        con.executemany(t_sql, t_rows)
        con.executemany(cb_sql, cb_rows)
        con.executemany(clk_sql, clk_rows)
        con.executemany(ex_sql, ex_rows)
        con.commit()
        print(f"  built {month:%Y-%m}: {count:,} tickets ({time.perf_counter() - started:.0f} s)", flush=True)
    con.execute("ANALYZE")
    con.commit()
    con.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--month", default="2025-06")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="tianping-bench-kpi-"))
    os.environ["TIANPING_HOME"] = str(home)
    os.environ.setdefault("TIANPING_MODE", "demo")
    from sqlalchemy import event, text
    from sqlalchemy.orm import Session

    from tianping.complaints.dashboard import dashboard
    from tianping.complaints.report import monthly_workbook
    from tianping.core.authz import Actor, Role
    from tianping.core.db import make_engine, set_engine
    from tianping.migrate import head_revision

    # Keyed by the schema revision: a new migration (e.g. an index) builds a new database.
    cache = Path(tempfile.gettempdir()) / f"tianping-bench-complaints-{args.tickets}-{head_revision()}.db"
    if args.rebuild or not cache.exists():
        cache.unlink(missing_ok=True)
        print(f"building {args.tickets:,} tickets into {cache} …", flush=True)
        t0 = time.perf_counter()
        tmp = cache.with_suffix(".part")
        tmp.unlink(missing_ok=True)
        build(tmp, args.tickets)
        tmp.rename(cache)
        print(f"built in {time.perf_counter() - t0:.0f} s ({cache.stat().st_size / 1e9:.2f} GB)")
    else:
        print(f"using cached database {cache} ({cache.stat().st_size / 1e9:.2f} GB)")
    engine = make_engine(url=f"sqlite:///{cache}")
    set_engine(engine)
    admin = Actor(user_id=1, username="bench", roles=frozenset({Role.ADMIN}))
    district_officer = Actor(
        user_id=2,
        username="bench-ft",
        roles=frozenset({Role.OFFICER}),
        org_id=999,
        division_prefixes=("110106",),
    )
    now = datetime(2025, 7, 5, tzinfo=UTC)
    failed = False
    with Session(engine) as session:
        n = session.execute(text("SELECT count(*) FROM complaints_ticket")).scalar_one()
        print(f"tickets: {n:,}")
        for label, actor in (("city (admin)", admin), ("district officer 丰台", district_officer)):
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                board = dashboard(session=session, actor=actor, month=args.month, now=now)
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            ok = med <= DASHBOARD_TARGET_S
            failed |= not ok
            head = {f.key: f.display for f in board.headline}
            print(
                f"dashboard {args.month} {label}: median {med * 1000:.0f} ms of {args.runs} "
                f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) "
                f"target ≤ {DASHBOARD_TARGET_S:.0f} s "
                f"{'PASS' if ok else 'FAIL'}  [volume {head['volume']}, 解决率 {head['resolution_raw']}, "
                f"原始解决率 {head['first_resolution_raw']}]"
            )
        t0 = time.perf_counter()
        content = monthly_workbook(session=session, actor=admin, month=args.month, now=now)
        elapsed = time.perf_counter() - t0
        ok = elapsed <= WORKBOOK_TARGET_S
        failed |= not ok
        print(
            f"monthly_workbook {args.month}: {elapsed:.2f} s ({len(content) / 1024:.0f} KiB) "
            f"target ≤ {WORKBOOK_TARGET_S:.0f} s {'PASS' if ok else 'FAIL'}"
        )
        session.rollback()
        slowest: list[tuple[float, str, Any]] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _start(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            conn.info["bench_t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _stop(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            slowest.append((time.perf_counter() - conn.info["bench_t0"], statement, params))

        dashboard(session=session, actor=admin, month=args.month, now=now)
        event.remove(engine, "before_cursor_execute", _start)
        event.remove(engine, "after_cursor_execute", _stop)
        print(
            f"dashboard queries: {len(slowest)}, "
            f"SQL time {sum(t for t, _, _ in slowest) * 1000:.0f} ms; slowest:"
        )
        for rank, (took, statement, params) in enumerate(sorted(slowest, key=lambda x: -x[0])):
            print(f"  {took * 1000:.0f} ms  {' '.join(statement.split())[:100]}…")
            if rank < 3:
                for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params):
                    print("     ", row[-1])
    engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
