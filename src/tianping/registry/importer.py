"""Import of market entities from CSV/XLSX: all or nothing, idempotent, fast.

``import_file`` reads and guards the file (:mod:`.tabular`), maps its columns (:mod:`.columns`),
validates and plans every row (:mod:`.import_plan`) and, only if no row has an error, writes the plan
with Core bulk statements: entity inserts with ``RETURNING`` in batches, grouped updates of the changed
fields, alias replacement and the search index (postings per batch, document frequencies once). One
audit event records the import. If any row is invalid it raises :class:`ImportRejected` with every row
error and writes nothing.
"""

from __future__ import annotations

import gc
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import BindParameter, ColumnElement, Dialect, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from tianping.core import audit
from tianping.core.authz import Actor, Perm
from tianping.core.errors import ImportRejected
from tianping.core.settings import get_settings
from tianping.core.timeutil import utcnow
from tianping.core.validation import uscc_check_char
from tianping.registry import search_index
from tianping.registry.columns import FIELDS, example_row, resolve_columns, template_notes
from tianping.registry.grams import doc_grams, normalize_name
from tianping.registry.import_plan import ImportPlan, PlannedRow, plan_import
from tianping.registry.models import EntityAlias, EntityKind, MarketEntity
from tianping.registry.schemas import ImportReport
from tianping.registry.tabular import read_sheet, write_rows
from tianping.registry.validators import district_of

__all__ = ["Progress", "import_file", "import_records", "write_template"]

Progress = Callable[[str, int, int], None]
"""Progress callback: (phase in zh-CN, done, total)."""

_ENTITY: Table = MarketEntity.__table__  # type: ignore[assignment]
_ALIAS: Table = EntityAlias.__table__  # type: ignore[assignment]
_BATCH = 5_000
_LOOKUP_CHUNK = 1_000
_STATISTICS_AFTER = 1_000  # rows written by one import after which planner statistics are refreshed
_INSERT_COLUMNS = (
    "kind",
    "name",
    "normalized_name",
    "uscc",
    "external_id",
    "platform_id",
    "registered_address",
    "division_code",
    "district_code",
    "industry_section",
    "status",
    "established_on",
    "legal_representative",
    "contact_phone",
    "operator_id_card",
    "tags",
    "created_at",
    "updated_at",
)


def write_template(path: Path) -> None:
    """Write the empty import template (headers and one fictitious example row) as .xlsx or .csv.

    The XLSX has a second sheet explaining every column.
    """
    body = "92110108MA0000001"  # fictitious: 个体工商户 registered in 海淀区
    rows = [list(FIELDS.values()), example_row(body + uscc_check_char(body))]
    notes = template_notes() if path.suffix.lower() == ".xlsx" else None
    write_rows(path, rows, sheet_title="经营主体", notes=notes)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of an import.

    An import holds hundreds of thousands of small containers (rows, values, gram sets) and creates
    millions more; every automatic collection would walk them all, costing about a fifth of the run.
    Reference counting still frees everything that is not in a cycle; the collector is switched back
    on afterwards (only if it was on), so nothing is lost, merely collected later.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _noop(_phase: str, _done: int, _total: int) -> None:
    return None


def import_file(
    *,
    session: Session,
    source: bytes | BinaryIO | Path,
    filename: str,
    actor: Actor,
    mapping: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV/XLSX upload. Raises ``FileRejected`` (whole file) or ``ImportRejected`` (rows)."""
    actor.require(Perm.ENTITY_IMPORT)
    with _gc_paused():
        return _import_file(
            session=session,
            source=source,
            filename=filename,
            actor=actor,
            mapping=mapping,
            dry_run=dry_run,
            progress=progress or _noop,
        )


def _import_file(
    *,
    session: Session,
    source: bytes | BinaryIO | Path,
    filename: str,
    actor: Actor,
    mapping: Mapping[str, Any] | None,
    dry_run: bool,
    progress: Progress,
) -> ImportReport:
    started = time.perf_counter()
    report = progress
    report("读取文件", 0, 1)
    sheet = read_sheet(source, filename=filename, settings=get_settings())
    columns = resolve_columns(sheet.headers, mapping)
    headers = {key: FIELDS[key] for key in FIELDS} | {key: sheet.headers[i] for key, i in columns.items()}
    wanted = list(columns.items())
    records = [
        (number, {key: cells[i] for key, i in wanted if i < len(cells) and cells[i]})
        for number, cells in sheet.rows
    ]
    del sheet
    report("读取文件", 1, 1)
    return _run(
        session=session,
        records=records,
        headers=headers,
        actor=actor,
        source_name=Path(filename).name,
        dry_run=dry_run,
        progress=report,
        started=started,
    )


def import_records(
    *,
    session: Session,
    records: Iterable[Mapping[str, str]],
    actor: Actor,
    source_name: str = "程序导入",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import already tabulated records keyed by field key (see ``columns.FIELDS``); same rules.

    Row numbers in errors count as in a file whose header is row 1.
    """
    actor.require(Perm.ENTITY_IMPORT)
    started = time.perf_counter()
    with _gc_paused():
        numbered = [(i, {k: (v or "").strip() for k, v in r.items()}) for i, r in enumerate(records, start=2)]
        return _run(
            session=session,
            records=numbered,
            headers=dict(FIELDS),
            actor=actor,
            source_name=source_name,
            dry_run=dry_run,
            progress=progress or _noop,
            started=started,
        )


def _run(
    *,
    session: Session,
    records: Sequence[tuple[int, Mapping[str, str]]],
    headers: Mapping[str, str],
    actor: Actor,
    source_name: str,
    dry_run: bool,
    progress: Progress,
    started: float,
) -> ImportReport:
    progress("校验", 0, len(records))
    plan = plan_import(session, records=records, headers=headers, actor=actor)
    progress("校验", len(records), len(records))
    if plan.errors:
        raise ImportRejected(row_errors=plan.errors, total_rows=plan.total)
    if not dry_run:
        with search_index.bulk_writes(session):
            _write(session, plan, progress)
        if len(plan.creates) + len(plan.updates) >= _STATISTICS_AFTER:
            search_index.refresh_statistics(session)
        if plan.creates or plan.updates:
            audit.record(
                session,
                actor=actor,
                action="registry.import",
                object_type="registry_entity",
                object_id=None,
                summary=(
                    f"导入经营主体（{source_name}）：新增 {len(plan.creates)} 条，"
                    f"更新 {len(plan.updates)} 条，未变 {plan.unchanged} 条"
                ),
                detail={
                    "source": source_name,
                    "created": len(plan.creates),
                    "updated": len(plan.updates),
                    "unchanged": plan.unchanged,
                    "total": plan.total,
                },
            )
    return ImportReport(
        created=len(plan.creates),
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        total=plan.total,
        seconds=round(time.perf_counter() - started, 3),
        dry_run=dry_run,
    )


def _alias_rows(entity_id: int, aliases: Sequence[tuple[str, Any]] | None) -> list[dict[str, Any]]:
    return [
        {
            "entity_id": entity_id,
            "alias": alias,
            "normalized_alias": normalize_name(alias),
            "kind": kind.value,
        }
        for alias, kind in aliases or ()
    ]


def _same(value: Any) -> Any:
    return value


def _bind_processor(column: ColumnElement[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What Core would do to a value bound to this column on this dialect (JSON, dates, UTC)."""
    return column.type.dialect_impl(dialect).bind_processor(dialect) or _same


class _EntityInserter:
    """Bulk insert of new entity rows with one driver-level ``executemany`` per batch.

    Core's ``insert()`` spends more time preparing each row's parameters than SQLite spends storing
    it; here every value is converted once by its column's own type (the same bind processors Core
    would apply: dates, JSON tags, UTC timestamps), constants once per import, the rows go in through
    :func:`search_index.insert_rows`, and the new ids are read back by key (every imported row has a
    unique USCC or external id).
    """

    def __init__(self, session: Session, now: Any) -> None:
        connection = session.connection()
        dialect = connection.dialect
        self.date = _bind_processor(_ENTITY.c.established_on, dialect)
        self.json = _bind_processor(_ENTITY.c.tags, dialect)
        timestamp = _bind_processor(_ENTITY.c.created_at, dialect)
        self.now = timestamp(now)
        self.tags: dict[tuple[str, ...], Any] = {}

    def values(self, row: PlannedRow, platform_id: int | None) -> tuple[Any, ...]:
        v = row.values
        tags = tuple(row.tags or ())
        if tags not in self.tags:
            self.tags[tags] = self.json(list(tags))
        established = v.get("established_on")
        division = v.get("division_code")
        return (
            row.kind.value,
            v["name"],
            normalize_name(v["name"]),
            v.get("uscc"),
            v.get("external_id"),
            platform_id,
            v.get("registered_address"),
            division,
            district_of(division),
            v.get("industry_section"),
            v.get("status"),
            None if established is None else self.date(established),
            v.get("legal_representative"),
            v.get("contact_phone"),
            v.get("operator_id_card"),
            self.tags[tags],
            self.now,
            self.now,
        )

    def insert(self, session: Session, rows: list[tuple[Any, ...]]) -> list[int]:
        """Insert the rows; their new ids, in order."""
        search_index.insert_rows(session, _ENTITY.name, _INSERT_COLUMNS, rows, multirow=False)
        usccs = [r[3] for r in rows if r[3] is not None]
        external_ids = [r[4] for r in rows if r[3] is None]
        ids: dict[tuple[bool, str], int] = {}
        for by_uscc, column, keys in (
            (True, _ENTITY.c.uscc, usccs),
            (False, _ENTITY.c.external_id, external_ids),
        ):
            # Keys rendered into the SQL (safely quoted by the dialect): the table grows between these
            # lookups, and a server-side prepared statement would keep the plan of an empty table.
            keys_param: BindParameter[str] = bindparam("keys", expanding=True, literal_execute=True)
            stmt = select(column, _ENTITY.c.id).where(column.in_(keys_param))
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                part = keys[start : start + _LOOKUP_CHUNK]
                ids.update(((by_uscc, key), eid) for key, eid in session.execute(stmt, {"keys": part}))
        return [ids[True, r[3]] if r[3] is not None else ids[False, r[4]] for r in rows]


def _insert_entities(
    session: Session,
    batch: list[PlannedRow],
    created: dict[int, int],
    df: Counter[int],
    inserter: _EntityInserter,
) -> None:
    """Insert one batch of new entities with their aliases and search postings."""
    rows = []
    for row in batch:
        if row.platform_row is not None:
            row.platform_id = created[row.platform_row.number]
        rows.append(inserter.values(row, row.platform_id))
    new_ids = inserter.insert(session, rows)
    aliases: list[dict[str, Any]] = []
    grams: dict[int, set[int]] = {}
    for row, values, entity_id in zip(batch, rows, new_ids, strict=True):
        created[row.number] = entity_id
        alias_rows = _alias_rows(entity_id, row.aliases)
        aliases.extend(alias_rows)
        grams[entity_id] = doc_grams([values[2], *(a["normalized_alias"] for a in alias_rows)])
    if aliases:
        session.execute(insert(_ALIAS), aliases)
    search_index.apply_changes(session, {}, grams, df)


def _update_entities(
    session: Session, rows: list[PlannedRow], created: Mapping[int, int], df: Counter[int], now: Any
) -> None:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    reindex: list[PlannedRow] = []
    for row in rows:
        entity = row.existing
        assert entity is not None
        changes = dict(row.changes)
        if isinstance(changes.get("platform_id"), PlannedRow):
            changes["platform_id"] = created[changes["platform_id"].number]
        changes["updated_at"] = now
        keys = tuple(sorted(changes))
        groups[keys].append({"b_id": entity.id, **{f"b_{k}": v for k, v in changes.items()}})
        if "name" in changes or row.aliases_changed:
            reindex.append(row)
    for keys, params in groups.items():
        stmt = (
            update(_ENTITY)
            .where(_ENTITY.c.id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in keys})
        )
        for start in range(0, len(params), _BATCH):
            session.execute(stmt, params[start : start + _BATCH])
    alias_rows = [row for row in rows if row.aliases_changed]
    if alias_rows:
        ids = [{"b_entity_id": row.existing.id} for row in alias_rows if row.existing is not None]
        session.execute(delete(_ALIAS).where(_ALIAS.c.entity_id == bindparam("b_entity_id")), ids)
        new_aliases = [
            a
            for row in alias_rows
            if row.existing is not None
            for a in _alias_rows(row.existing.id, row.aliases)
        ]
        if new_aliases:
            session.execute(insert(_ALIAS), new_aliases)
    before: dict[int, set[int]] = {}
    after: dict[int, set[int]] = {}
    for row in reindex:
        entity = row.existing
        assert entity is not None
        old_aliases = [a.normalized_alias for a in entity.aliases]
        before[entity.id] = doc_grams([entity.normalized_name, *old_aliases])
        name = row.changes.get("normalized_name", entity.normalized_name)
        aliases = [normalize_name(a) for a, _ in row.aliases] if row.aliases_changed and row.aliases else []
        if not row.aliases_changed:
            aliases = old_aliases
        after[entity.id] = doc_grams([name, *aliases])
    search_index.apply_changes(session, before, after, df)
    # The rows were changed with Core statements: forget any ORM copies this session holds.
    for row in rows:
        if row.existing is not None:
            loaded = session.identity_map.get(identity_key(MarketEntity, row.existing.id))
            if loaded is not None:
                session.expire(loaded)


def _write(session: Session, plan: ImportPlan, progress: Progress) -> None:
    total = len(plan.creates) + len(plan.updates)
    progress("写入", 0, total)
    now = utcnow()
    df: Counter[int] = Counter()
    # Platforms first (in batches of their own), so shops of the same file can point at them.
    platforms = [r for r in plan.creates if r.kind == EntityKind.PLATFORM]
    others = [r for r in plan.creates if r.kind != EntityKind.PLATFORM]
    created: dict[int, int] = {}
    inserter = _EntityInserter(session, now)
    for group in (platforms, others):
        for start in range(0, len(group), _BATCH):
            _insert_entities(session, group[start : start + _BATCH], created, df, inserter)
            progress("写入", len(created), total)
    if plan.updates:
        _update_entities(session, plan.updates, created, df, now)
    search_index.adjust_df(session, df)
    progress("写入", total, total)
