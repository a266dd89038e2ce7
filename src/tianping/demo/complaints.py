"""The demo's complaints and work orders: about two years of tickets for all sixteen districts.

Seeded and repeatable: the same ``(seed, today, count)`` and the same demo entities and organisations
give the same rows. The months run from :data:`FIRST_MONTH` to the day before ``today`` (the demo's
"as of" day), so the current month is under way like in a live system.
Fengtai (丰台, 110106) tells the founding story: from March 2025 (the
"丰铃" action on prepaid consumption) its prepaid-consumption tickets (美容美发, 教育培训, 体育健身 …) fall
year-on-year and more of them are resolved at first handling (fewer reopens and repeats, more
mediated); online shopping surges every June (618 coupons) and November.

Every triage field is set consistently: category (taxonomy code), the registry entity and its
platform, the street and district, the station covering the street, the member unit of the
category's department in the district (demo organisations), the handling organisation. Lifecycle
facts (acceptance, closure, outcome, callbacks with 满意/基本满意/不满意, reopens, repeats, overdue
clocks, platform replies) follow from the simulated times.

Rows are written with Core ``insert()`` executemany batches (no ORM unit of work), inside the caller's
transaction. At the end a category classifier is trained on the demo texts (see
:func:`train_demo_classifier`) so triage of new tickets works on the demo.
"""

from __future__ import annotations

import json
import random
import time as _time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Date, func, insert, select, text
from sqlalchemy.orm import Session

from tianping.complaints.deadlines import handling_workdays
from tianping.complaints.models import (
    Callback,
    Clock,
    Party,
    PlatformReply,
    Ticket,
    TicketEvent,
)
from tianping.core import audit
from tianping.core.authz import Actor, Role
from tianping.core.db import Money, UTCDateTime
from tianping.core.money import to_fen
from tianping.demo.complaint_generator import (
    FENGTAI,
    FIRST_MONTH,
    STORY_START,
    Generator,
    month_end,
    plan_counts,
)
from tianping.demo.complaint_world import load_world

__all__ = [
    "DEFAULT_COUNT",
    "FENGTAI",
    "FIRST_MONTH",
    "STORY_START",
    "ComplaintsSummary",
    "complaints_count",
    "demo_months",
    "load_complaints",
    "train_demo_classifier",
]

DEFAULT_COUNT = 40_000
DEMO_COMPLAINTS_ACTOR = Actor(user_id=None, username="demo", roles=frozenset({Role.ADMIN}))
_BATCH = 5_000


@dataclass
class ComplaintsSummary:
    """What the complaints part of the demo wrote."""

    tickets: int = 0
    parties: int = 0
    events: int = 0
    clocks: int = 0
    callbacks: int = 0
    replies: int = 0
    start: date | None = None
    end: date | None = None
    seconds: float = 0.0
    training_seconds: float = 0.0
    model: str | None = None  # sha256 of the trained classifier, or why none was trained
    by_kind: dict[str, int] = field(default_factory=dict)

    def as_detail(self) -> dict[str, object]:
        return {
            "tickets": self.tickets,
            "parties": self.parties,
            "events": self.events,
            "clocks": self.clocks,
            "callbacks": self.callbacks,
            "replies": self.replies,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "model": self.model,
            "by_kind": self.by_kind,
            "seconds": self.seconds,
            "training_seconds": self.training_seconds,
        }


def complaints_count(entities: int) -> int:
    """How many tickets a demo of ``entities`` market entities gets (40,000 for the default 6,000)."""
    return min(DEFAULT_COUNT, max(500, entities * 7))


def demo_months(today: date) -> list[date]:
    """First days of the simulated months: :data:`FIRST_MONTH` … the month of the day before ``today``."""
    months: list[date] = []
    month = FIRST_MONTH
    while month < today:
        months.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return months


# -- writing --------------------------------------------------------------------------------------------


def _sqlite_timestamp(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite text form of an aware timestamp, in UTC: ``2024-01-21 03:25:00.000000``."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_converter(column: Any) -> Callable[[Any], Any]:
    """How SQLAlchemy would store a value of ``column`` on SQLite (for the driver-level fast path)."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _sqlite_timestamp
    if isinstance(kind, Money):
        return lambda v: None if v is None else to_fen(v)
    if isinstance(kind, JSON):
        return lambda v: json.dumps(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else v.isoformat()
    return lambda v: v


def _insert(
    session: Session, model: Any, rows: list[dict[str, Any]], progress: Callable[[int], None] | None
) -> None:
    """Write ``rows`` in batches: Core executemany, or straight through the driver on SQLite.

    On SQLite the values are converted exactly as the column types would (UTC text timestamps,
    integer fen, JSON text) and handed to ``sqlite3``'s ``executemany``; that skips SQLAlchemy's
    per-value processing, which is most of the cost of a few hundred thousand rows.
    """
    if not rows:
        return
    table = model.__table__
    names = list(rows[0])
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        converters = [_sqlite_converter(table.c[name]) for name in names]
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        if sqlite:
            cursor.executemany(
                sql, [tuple(f(row[n]) for f, n in zip(converters, names, strict=True)) for row in batch]
            )
        else:
            session.connection().execute(insert(table), batch)
        if progress is not None:
            progress(min(start + _BATCH, len(rows)))


def _fix_sequences(session: Session, tables: Iterable[str]) -> None:
    """After explicit ids on PostgreSQL, move the id sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def train_demo_classifier(
    *, session: Session, texts: Sequence[tuple[str, str]], seed: int, limit: int = 3_000
) -> str | None:
    """Train and activate a category classifier on (a seeded sample of) the demo complaint texts.

    Uses the classifier's ``TextClassifier.train`` and ``training.register_model``; returns the model's
    SHA-256, or ``None`` when there is nothing to train on.
    """
    from tianping.complaints import training
    from tianping.complaints.classifier import TextClassifier
    from tianping.core.settings import get_settings

    if len({label for _, label in texts}) < 2:
        return None
    rng = random.Random(f"{seed}-classifier")
    sample = list(texts) if len(texts) <= limit else rng.sample(list(texts), limit)
    classifier = TextClassifier.train([t for t, _ in sample], [label for _, label in sample], seed=seed)
    directory = get_settings().home / "complaints" / "models"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"demo-{seed}.json"
    model = training.register_model(
        session=session,
        classifier=classifier,
        path=path,
        rows=len(sample),
        corrections=0,
        metrics={"source": "demo", "seed": seed},
        actor=DEMO_COMPLAINTS_ACTOR,
        activate=True,
    )
    return str(model.sha256)


def load_complaints(
    *,
    session: Session,
    seed: int,
    today: date,
    count: int = DEFAULT_COUNT,
    train: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> ComplaintsSummary:
    """Generate and write the demo tickets (after the demo's entities and organisations exist)."""
    started = _time.perf_counter()
    months = demo_months(today)
    summary = ComplaintsSummary()
    if not months:
        return summary
    end = min(month_end(months[-1]), today - timedelta(days=1))
    world = load_world(session)
    start_id = int(session.scalar(select(func.coalesce(func.max(Ticket.id), 0))) or 0) + 1
    start_party = int(session.scalar(select(func.coalesce(func.max(Party.id), 0))) or 0) + 1
    gen = Generator(seed=seed, today=today, world=world, start_id=start_id, start_party=start_party, end=end)
    plan = plan_counts(gen.rng, months, count)
    total = sum(n for *_, n in plan)
    done = 0
    for month, district, code, n in plan:
        for _ in range(n):
            gen.ticket(month, district, code)
        done += n
        if progress is not None and done % 2_000 < n:
            progress("生成工单", done, total)
    rows = gen.rows
    rows.tickets.sort(key=lambda r: r["id"])
    for row in rows.tickets:  # 办理用时, as lifecycle.close fixes it at the first close
        first = row["first_closed_at"]
        row["handling_workdays"] = None if first is None else handling_workdays(row["received_at"], first)
    steps: list[tuple[str, Any, list[dict[str, Any]]]] = [
        ("写入投诉人", Party, rows.parties),
        ("写入工单", Ticket, rows.tickets),
        ("写入时间线", TicketEvent, rows.events),
        ("写入时限", Clock, rows.clocks),
        ("写入回访", Callback, rows.callbacks),
        ("写入平台回复", PlatformReply, rows.replies),
    ]
    for label, table, table_rows in steps:

        def report(n: int, label: str = label, total_rows: int = len(table_rows)) -> None:
            if progress is not None:
                progress(label, n, total_rows)

        _insert(session, table, table_rows, report)
    _fix_sequences(session, ("complaints_party", "complaints_ticket"))
    summary.tickets = len(rows.tickets)
    summary.parties = len(rows.parties)
    summary.events = len(rows.events)
    summary.clocks = len(rows.clocks)
    summary.callbacks = len(rows.callbacks)
    summary.replies = len(rows.replies)
    summary.start, summary.end = months[0], end
    by_kind: dict[str, int] = defaultdict(int)
    for r in rows.tickets:
        by_kind[r["kind"]] += 1
    summary.by_kind = dict(by_kind)
    if train:
        if progress is not None:
            progress("训练分类模型", 0, 1)
        trained = _time.perf_counter()
        summary.model = train_demo_classifier(session=session, texts=rows.texts, seed=seed)
        summary.training_seconds = round(_time.perf_counter() - trained, 2)
    summary.seconds = round(_time.perf_counter() - started, 2)
    audit.record(
        session,
        actor=DEMO_COMPLAINTS_ACTOR,
        action="demo.complaints",
        object_type="demo",
        object_id=str(seed),
        summary=f"加载演示投诉举报工单 {summary.tickets} 件（{months[0]:%Y-%m} 至 {end:%Y-%m}）",
        detail=summary.as_detail(),
    )
    return summary
