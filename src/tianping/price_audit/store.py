"""The observation store: normalised Parquet files under ``<home>/price_audit/store``, append-only
(or, for ``--backend postgres``, the same rows kept in PostgreSQL tables).

``tianping prices import`` validates each file completely, then appends it as one part file and one
line of ``manifest.json``. The manifest is the truth: a part file not listed there (an import that
crashed half-way) is ignored. Re-importing a file whose content (SHA-256) is already listed adds
nothing. Parts are numbered; a row's ``seq`` is ``part number << 32 | row``, so "the last in input
order" of duplicates means the most recently imported.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tianping import analytics
from tianping.core.errors import FileRejected
from tianping.price_audit.io import InputKind, NormalisedFile, Progress, file_sha256, normalise_file

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class StoredPart:
    number: int
    kind: InputKind
    file: str  # relative to the store root
    sha256: str  # of the imported source file
    source_name: str
    rows: int
    imported_at: str


@dataclass(frozen=True)
class ImportOutcome:
    source: Path
    kind: InputKind
    rows: int
    skipped: bool  # True when the same content was imported before
    part: StoredPart | None


def _atomic_write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    tmp.replace(path)


class ObservationStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def parts(self, kind: InputKind | None = None) -> list[StoredPart]:
        if not self.manifest_path.exists():
            return []
        data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        parts = [
            StoredPart(
                number=int(p["number"]),
                kind=InputKind(p["kind"]),
                file=p["file"],
                sha256=p["sha256"],
                source_name=p["source_name"],
                rows=int(p["rows"]),
                imported_at=p["imported_at"],
            )
            for p in data.get("parts", [])
        ]
        return [p for p in parts if kind is None or p.kind is kind]

    def paths(self, kind: InputKind) -> list[Path]:
        return [self.root / p.file for p in self.parts(kind)]

    def rows(self, kind: InputKind) -> int:
        return sum(p.rows for p in self.parts(kind))

    def fingerprint(self, kind: InputKind) -> str:
        """SHA-256 over the ordered list of a kind's parts: identifies exactly what an audit read."""
        digest = hashlib.sha256()
        for p in self.parts(kind):
            digest.update(f"{p.number}:{p.sha256}:{p.rows}\n".encode())
        return digest.hexdigest()

    def import_files(
        self, sources: Sequence[Path], kind: InputKind, *, progress: Progress | None = None
    ) -> list[ImportOutcome]:
        """Validate every file, then append the new ones; any bad file means nothing is written."""
        with self._locked():
            existing = self.parts()
            known = {(p.kind, p.sha256) for p in existing}
            next_number = max((p.number for p in existing), default=0) + 1
            staged: list[tuple[Path, NormalisedFile | None, str]] = []
            try:
                for source in sources:
                    digest = file_sha256(source)
                    if (kind, digest) in known or any(d == digest for _, _, d in staged):
                        staged.append((source, None, digest))
                        continue
                    out = self.root / kind.value / f"part-{next_number:06d}-{digest[:12]}.parquet"
                    if out.exists():
                        out.unlink()  # left over by an import that crashed before its manifest line
                    normalised = normalise_file(
                        source, kind, out, file_number=next_number, max_errors=200, progress=progress
                    )
                    if normalised.sha256 != digest:
                        normalised.path.unlink(missing_ok=True)
                        raise FileRejected(f"{source.name} 在导入过程中被修改，请重试")
                    staged.append((source, normalised, digest))
                    next_number += 1
            except BaseException:
                for _, written, _ in staged:
                    if written is not None:
                        written.path.unlink(missing_ok=True)
                raise
            outcomes: list[ImportOutcome] = []
            manifest = {"parts": [self._part_json(p) for p in existing]}
            now = datetime.now(UTC).isoformat(timespec="seconds")
            for source, written, digest in staged:
                if written is None:
                    outcomes.append(ImportOutcome(source, kind, 0, True, None))
                    continue
                number = int(written.path.name.split("-")[1])
                part = StoredPart(
                    number=number,
                    kind=kind,
                    file=str(written.path.relative_to(self.root)),
                    sha256=digest,
                    source_name=source.name,
                    rows=written.rows,
                    imported_at=now,
                )
                manifest["parts"].append(self._part_json(part))
                outcomes.append(ImportOutcome(source, kind, written.rows, False, part))
            _atomic_write_json(self.manifest_path, manifest)
            return outcomes

    @staticmethod
    def _part_json(p: StoredPart) -> dict[str, Any]:
        return {
            "number": p.number,
            "kind": p.kind.value,
            "file": p.file,
            "sha256": p.sha256,
            "source_name": p.source_name,
            "rows": p.rows,
            "imported_at": p.imported_at,
        }


# --- observations kept in PostgreSQL ---------------------------------------------------------------

PG_TABLES: dict[InputKind, str] = {
    InputKind.OBSERVATIONS: "price_audit_observation",
    InputKind.TRANSACTIONS: "price_audit_transaction",
}
PG_IMPORTS = "price_audit_import"
PG_IMPORT_SCHEMA = pa.schema(
    [
        pa.field("number", pa.int64(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
        pa.field("source_name", pa.string(), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("imported_at", pa.string(), nullable=False),
    ]
)
_PG_LOCK_KEY = 0x54504131  # serialises imports of every Tianping installation sharing the database


def _with_part(schema: pa.Schema) -> pa.Schema:
    return schema.append(pa.field("part", pa.int64(), nullable=False))


class PostgresObservationStore:
    """The same append-only store, kept in PostgreSQL tables that ``--backend postgres`` audits in place.

    Rows carry the number of their import (``part``); the ``price_audit_import`` table is the manifest.
    Its row is written last, in one statement, so the rows of an import that crashed half-way are
    never read (and are cleared before their number is used again). Imports are serialised with an
    advisory lock.
    """

    def __init__(self, engine: analytics.Engine, work_dir: Path) -> None:
        self.engine = engine
        self.work_dir = work_dir

    def _ensure_tables(self) -> None:
        for kind, name in PG_TABLES.items():
            if not analytics.has_table(self.engine, name):
                analytics.create_table(self.engine, name, _with_part(kind.schema))
        if not analytics.has_table(self.engine, PG_IMPORTS):
            analytics.create_table(self.engine, PG_IMPORTS, PG_IMPORT_SCHEMA)

    def parts(self, kind: InputKind | None = None) -> list[StoredPart]:
        if not analytics.has_table(self.engine, PG_IMPORTS):
            return []
        rows = analytics.to_arrow(self.engine, analytics.table(self.engine, PG_IMPORTS)).to_pylist()
        parts = [
            StoredPart(
                number=int(r["number"]),
                kind=InputKind(r["kind"]),
                file=f"{PG_TABLES[InputKind(r['kind'])]}#part={r['number']}",
                sha256=r["sha256"],
                source_name=r["source_name"],
                rows=int(r["rows"]),
                imported_at=r["imported_at"],
            )
            for r in rows
        ]
        return sorted((p for p in parts if kind is None or p.kind is kind), key=lambda p: p.number)

    def rows(self, kind: InputKind) -> int:
        return sum(p.rows for p in self.parts(kind))

    def fingerprint(self, kind: InputKind) -> str:
        digest = hashlib.sha256()
        for p in self.parts(kind):
            digest.update(f"{p.number}:{p.sha256}:{p.rows}\n".encode())
        return digest.hexdigest()

    def table(self, kind: InputKind, parts: Sequence[int]) -> Any:
        """The rows of exactly these imports, with the normalised columns (an Ibis table)."""
        t = analytics.table(self.engine, PG_TABLES[kind])
        return t.filter(t.part.isin(list(parts))).select(*kind.schema.names)

    def import_files(
        self, sources: Sequence[Path], kind: InputKind, *, progress: Progress | None = None
    ) -> list[ImportOutcome]:
        """Validate every file first (nothing is written if one is bad), then append the new ones."""
        with analytics.exclusive(self.engine, _PG_LOCK_KEY):
            self._ensure_tables()
            existing = self.parts()
            known = {(p.kind, p.sha256) for p in existing}
            next_number = max((p.number for p in existing), default=0) + 1
            staged: list[tuple[Path, NormalisedFile | None, str]] = []
            self.work_dir.mkdir(parents=True, exist_ok=True)
            try:
                for source in sources:
                    digest = file_sha256(source)
                    if (kind, digest) in known or any(d == digest for _, _, d in staged):
                        staged.append((source, None, digest))
                        continue
                    out = self.work_dir / f"pg-part-{next_number:06d}.parquet"
                    staged.append(
                        (
                            source,
                            normalise_file(
                                source, kind, out, file_number=next_number, max_errors=200, progress=progress
                            ),
                            digest,
                        )
                    )
                    next_number += 1
                now = datetime.now(UTC).isoformat(timespec="seconds")
                outcomes: list[ImportOutcome] = []
                manifest_rows: list[dict[str, Any]] = []
                for source, written, digest in staged:
                    if written is None:
                        outcomes.append(ImportOutcome(source, kind, 0, True, None))
                        continue
                    number = int(written.path.stem.split("-")[-1])
                    analytics.delete_where_equal(self.engine, PG_TABLES[kind], "part", number)
                    for batch in pq.ParquetFile(written.path).iter_batches(batch_size=50_000):
                        rows = pa.Table.from_batches([batch])
                        rows = rows.append_column("part", pa.array([number] * rows.num_rows, pa.int64()))
                        analytics.append_arrow(self.engine, PG_TABLES[kind], rows)
                    part = StoredPart(
                        number=number,
                        kind=kind,
                        file=f"{PG_TABLES[kind]}#part={number}",
                        sha256=digest,
                        source_name=source.name,
                        rows=written.rows,
                        imported_at=now,
                    )
                    manifest_rows.append(
                        {
                            "number": number,
                            "kind": kind.value,
                            "sha256": digest,
                            "source_name": source.name,
                            "rows": written.rows,
                            "imported_at": now,
                        }
                    )
                    outcomes.append(ImportOutcome(source, kind, written.rows, False, part))
                if manifest_rows:  # the commit point: one statement
                    analytics.append_arrow(
                        self.engine, PG_IMPORTS, pa.Table.from_pylist(manifest_rows, schema=PG_IMPORT_SCHEMA)
                    )
                return outcomes
            finally:
                for _, leftover, _ in staged:
                    if leftover is not None:
                        leftover.path.unlink(missing_ok=True)
