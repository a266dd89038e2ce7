"""Import of market entities from CSV/XLSX: all or nothing, idempotent, fast.

``import_file`` reads and guards the file (:mod:`.tabular`), maps its columns (:mod:`.columns`),
validates and plans every row (:mod:`.import_plan`) and, only if no row has an error, writes the plan
with Core bulk statements: entity inserts with ``RETURNING`` in batches, grouped updates of the changed
fields, alias replacement and the search index (postings per batch, document frequencies once). One
audit event records the import. If any row is invalid it raises :class:`ImportRejected` with every row
error and writes nothing.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Table, bindparam, delete, insert, update
from sqlalchemy.orm import Session

from tianping.core import audit
from tianping.core.authz import Actor, Perm
from tianping.core.errors import ImportRejected
from tianping.core.settings import get_settings
from tianping.core.timeutil import utcnow
from tianping.core.validation import uscc_check_char
from tianping.registry import search_index
from tianping.registry.columns import FIELDS, example_row, resolve_columns, template_notes
from tianping.registry.grams import doc_grams, normalize_name
from tianping.registry.import_plan import SCALAR_FIELDS, ImportPlan, PlannedRow, plan_import
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


def write_template(path: Path) -> None:
    """Write the empty import template (headers and one fictitious example row) as .xlsx or .csv.

    The XLSX has a second sheet explaining every column.
    """
    body = "92110108MA0000001"  # fictitious: 个体工商户 registered in 海淀区
    rows = [list(FIELDS.values()), example_row(body + uscc_check_char(body))]
    notes = template_notes() if path.suffix.lower() == ".xlsx" else None
    write_rows(path, rows, sheet_title="经营主体", notes=notes)


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
    started = time.perf_counter()
    report = progress or _noop
    report("读取文件", 0, 1)
    sheet = read_sheet(source, filename=filename, settings=get_settings())
    columns = resolve_columns(sheet.headers, mapping)
    headers = {key: FIELDS[key] for key in FIELDS} | {key: sheet.headers[i] for key, i in columns.items()}
    records = [
        (number, {key: cells[i] if i < len(cells) else "" for key, i in columns.items()})
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
        _write(session, plan, progress)
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


def _entity_row(row: PlannedRow, now: Any) -> dict[str, Any]:
    values = row.values
    record: dict[str, Any] = {key: values.get(key) for key in SCALAR_FIELDS}
    record["kind"] = row.kind.value
    record["normalized_name"] = normalize_name(values["name"])
    record["district_code"] = district_of(values.get("division_code"))
    record["platform_id"] = row.platform_id
    record["tags"] = row.tags or []
    record["created_at"] = now
    record["updated_at"] = now
    return record


def _insert_entities(
    session: Session, batch: list[PlannedRow], created: dict[int, int], df: Counter[int], now: Any
) -> None:
    """Insert one batch of new entities with their aliases and postings; records row number -> id."""
    for row in batch:
        if row.platform_row is not None:
            row.platform_id = created[row.platform_row.number]
    params = [_entity_row(row, now) for row in batch]
    # Every imported row has a USCC or an external id (both unique): map the returned ids by key,
    # which lets the driver batch the RETURNING insert (no per-row round trips).
    stmt = insert(_ENTITY).returning(_ENTITY.c.id, _ENTITY.c.uscc, _ENTITY.c.external_id)
    by_key: dict[tuple[str, str], int] = {}
    for entity_id, uscc, external_id in session.execute(stmt, params):
        by_key["u" if uscc is not None else "x", uscc if uscc is not None else external_id] = entity_id
    new_ids = [
        by_key["u", p["uscc"]] if p["uscc"] is not None else by_key["x", p["external_id"]] for p in params
    ]
    aliases: list[dict[str, Any]] = []
    grams: dict[int, set[int]] = {}
    for row, entity_id, param in zip(batch, new_ids, params, strict=True):
        created[row.number] = entity_id
        alias_rows = _alias_rows(entity_id, row.aliases)
        aliases.extend(alias_rows)
        grams[entity_id] = doc_grams([param["normalized_name"], *(a["normalized_alias"] for a in alias_rows)])
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
    for row in rows:
        if row.existing is not None:
            session.expire(row.existing)


def _write(session: Session, plan: ImportPlan, progress: Progress) -> None:
    total = len(plan.creates) + len(plan.updates)
    progress("写入", 0, total)
    now = utcnow()
    df: Counter[int] = Counter()
    # Platforms first (in batches of their own), so shops of the same file can point at them.
    platforms = [r for r in plan.creates if r.kind == EntityKind.PLATFORM]
    others = [r for r in plan.creates if r.kind != EntityKind.PLATFORM]
    created: dict[int, int] = {}
    for group in (platforms, others):
        for start in range(0, len(group), _BATCH):
            _insert_entities(session, group[start : start + _BATCH], created, df, now)
            progress("写入", len(created), total)
    if plan.updates:
        _update_entities(session, plan.updates, created, df, now)
    search_index.adjust_df(session, df)
    progress("写入", total, total)
