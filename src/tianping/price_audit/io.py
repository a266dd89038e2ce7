"""Reading observation and transaction files (CSV or Parquet) into normalised Parquet.

Rows are read one by one and validated (``schemas.normalise_observation``); a row that cannot be used
is reported with its row number (the header is row 1; for Parquet, data row *n* is row *n* + 1) and
the column of its first problem, and nothing is written. Good rows stream to a Parquet file in
batches, so files larger than memory are fine.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tianping.core.errors import FileRejected, ImportRejected, RowError
from tianping.price_audit import columnar
from tianping.price_audit.schemas import (
    OBSERVATION_COLUMNS,
    OBSERVATION_SCHEMA,
    TRANSACTION_COLUMNS,
    TRANSACTION_SCHEMA,
    CellError,
    Column,
    normalise_observation,
    normalise_transaction,
)

BATCH_ROWS = 50_000
#: Each import file gets its own range of ``seq`` values: ``file_number << SEQ_FILE_SHIFT | row``.
SEQ_FILE_SHIFT = 32
Progress = Callable[[str, int, int], None]


class InputKind(StrEnum):
    OBSERVATIONS = "observations"
    TRANSACTIONS = "transactions"

    @property
    def label_zh(self) -> str:
        return "观测" if self is InputKind.OBSERVATIONS else "成交"

    @property
    def columns(self) -> tuple[Column, ...]:
        return OBSERVATION_COLUMNS if self is InputKind.OBSERVATIONS else TRANSACTION_COLUMNS

    @property
    def schema(self) -> pa.Schema:
        return OBSERVATION_SCHEMA if self is InputKind.OBSERVATIONS else TRANSACTION_SCHEMA

    def normalise(self, raw: dict[str, Any], seq: int) -> dict[str, Any]:
        if self is InputKind.OBSERVATIONS:
            return normalise_observation(raw, seq)
        return normalise_transaction(raw, seq)


@dataclass
class InputRejected(ImportRejected):
    """An input file with unusable rows; ``source`` names the file (the CLI reports it)."""

    source: Path | None = None


@dataclass(frozen=True)
class NormalisedFile:
    """A validated input: where its normalised rows are, how many, and the source's SHA-256."""

    source: Path
    kind: InputKind
    path: Path
    rows: int
    sha256: str
    size_bytes: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    with path.open("rb") as handle:
        if handle.read(4) == b"PAR1":
            return "parquet"
    raise FileRejected(f"不支持的文件格式：{path.name}（请使用 .csv 或 .parquet）")


def _check_header(names: list[str], kind: InputKind) -> None:
    missing = [c.name for c in kind.columns if c.required and c.name not in names]
    if missing:
        raise ImportRejected(
            row_errors=[RowError(row=1, column=m, message=f"缺少必填列 {m}") for m in missing],
            total_rows=0,
        )
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ImportRejected(
            row_errors=[RowError(row=1, column=twice[0], message=f"表头中列名重复：{'、'.join(twice)}")]
        )


def _csv_rows(path: Path, kind: InputKind) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ImportRejected(row_errors=[RowError(row=1, column="", message="文件为空，没有表头")])
            names = [h.strip() for h in header]
            _check_header(names, kind)
            row_number = 1
            for record in reader:
                row_number += 1
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                if len(record) != len(names):
                    raise ImportRejected(
                        row_errors=[
                            RowError(
                                row=row_number,
                                column="",
                                message=f"列数（{len(record)}）与表头（{len(names)}）不一致",
                            )
                        ]
                    )
                yield row_number, dict(zip(names, record, strict=True))
    except UnicodeDecodeError:
        raise FileRejected(f"{path.name} 不是 UTF-8 编码的 CSV 文件") from None
    except csv.Error as exc:
        raise FileRejected(f"{path.name} 不是有效的 CSV 文件：{exc}") from None


def _parquet_rows(path: Path, kind: InputKind) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise FileRejected(f"{path.name} 不是有效的 Parquet 文件：{exc}") from None
    names = [n.strip() for n in parquet.schema_arrow.names]
    _check_header(names, kind)
    wanted = [c.name for c in kind.columns if c.name in names]
    row_number = 1
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
        columns: dict[str, list[Any]] = {}
        for name in wanted:
            array = batch.column(name)
            if pa.types.is_timestamp(array.type) and array.type.unit == "ns":
                array = array.cast(pa.timestamp("us", tz=array.type.tz), safe=False)
            columns[name] = array.to_pylist()
        for i in range(batch.num_rows):
            row_number += 1
            yield row_number, {name: values[i] for name, values in columns.items()}


def iter_raw_rows(path: Path, kind: InputKind) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, raw values by column) for each data row; the header is row 1."""
    if detect_format(path) == "parquet":
        return _parquet_rows(path, kind)
    return _csv_rows(path, kind)


def _header(path: Path, fmt: str) -> list[str]:
    if fmt == "parquet":
        return list(pq.ParquetFile(path).schema_arrow.names)
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def _normalise_fast(
    source: Path, kind: InputKind, tmp: Path, *, seq_base: int, require_rows: bool, progress: Progress | None
) -> int:
    """Write ``source``'s normalised rows to ``tmp`` with the columnar fast path; raises ``NotFast`` when
    any part of the file needs the row-by-row reader. Returns the number of rows."""
    fmt = detect_format(source)
    try:
        names = _header(source, fmt)
    except (UnicodeDecodeError, csv.Error, pa.ArrowInvalid, OSError):
        raise columnar.NotFast from None
    if any(n != n.strip() for n in names):
        raise columnar.NotFast
    try:
        _check_header(names, kind)
    except ImportRejected:
        raise columnar.NotFast from None
    convert = (
        columnar.normalise_observations if kind is InputKind.OBSERVATIONS else columnar.normalise_transactions
    )
    rows = 0
    with pq.ParquetWriter(tmp, kind.schema, compression="zstd") as writer:
        for batch in columnar.batches(source, fmt, kind.columns, names, BATCH_ROWS):
            if batch.num_rows == 0:
                continue
            writer.write_table(convert(batch, seq_base + rows))
            rows += batch.num_rows
            if progress is not None:
                progress(f"校验{kind.label_zh}文件 {source.name}", rows, 0)
    if (rows == 0 and require_rows) or rows >= 1 << SEQ_FILE_SHIFT:
        raise columnar.NotFast
    return rows


def normalise_file(
    source: Path,
    kind: InputKind,
    out: Path,
    *,
    file_number: int = 0,
    max_errors: int = 1,
    require_rows: bool | None = None,
    progress: Progress | None = None,
    fast: bool = True,
) -> NormalisedFile:
    """Validate ``source`` and write its normalised rows to ``out`` (Parquet).

    The columnar fast path is tried first; if any part of the file is outside it, the file is read
    again row by row, which stops at ``max_errors`` bad rows and raises ``InputRejected`` (``out`` is then
    not written). An observation file without data rows is refused; a transaction file may be empty.
    """
    if require_rows is None:
        require_rows = kind is InputKind.OBSERVATIONS
    size = source.stat().st_size
    seq_base = file_number << SEQ_FILE_SHIFT
    out.parent.mkdir(parents=True, exist_ok=True)
    if fast:
        tmp = out.with_name(out.name + ".partial")
        try:
            rows = _normalise_fast(
                source, kind, tmp, seq_base=seq_base, require_rows=require_rows, progress=progress
            )
        except (columnar.NotFast, pa.ArrowException):
            tmp.unlink(missing_ok=True)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        else:
            tmp.replace(out)
            return NormalisedFile(
                source=source, kind=kind, path=out, rows=rows, sha256=file_sha256(source), size_bytes=size
            )
    return _normalise_rows(
        source,
        kind,
        out,
        seq_base=seq_base,
        max_errors=max_errors,
        require_rows=require_rows,
        progress=progress,
        size=size,
    )


def _normalise_rows(
    source: Path,
    kind: InputKind,
    out: Path,
    *,
    seq_base: int,
    max_errors: int,
    require_rows: bool,
    progress: Progress | None,
    size: int,
) -> NormalisedFile:
    """The reference reader: row by row, every cell through ``schemas``."""
    errors: list[RowError] = []
    buffer: list[dict[str, Any]] = []
    rows = 0
    seen = 0
    tmp = out.with_name(out.name + ".partial")
    writer = pq.ParquetWriter(tmp, kind.schema, compression="zstd")
    try:
        for row_number, raw in iter_raw_rows(source, kind):
            seen += 1
            try:
                buffer.append(kind.normalise(raw, seq_base + seen - 1))
            except CellError as exc:
                errors.append(RowError(row=row_number, column=exc.args[1], message=exc.args[0]))
                if len(errors) >= max_errors:
                    break
                continue
            if len(buffer) >= BATCH_ROWS:
                if not errors:
                    writer.write_table(pa.Table.from_pylist(buffer, schema=kind.schema))
                rows += len(buffer)
                buffer.clear()
                if progress is not None:
                    progress(f"校验{kind.label_zh}文件 {source.name}", seen, 0)
        if errors:
            raise ImportRejected(row_errors=errors, total_rows=seen)
        if buffer:
            writer.write_table(pa.Table.from_pylist(buffer, schema=kind.schema))
            rows += len(buffer)
        if rows == 0 and require_rows:
            raise ImportRejected(
                row_errors=[RowError(row=2, column="", message=f"{kind.label_zh}文件没有数据行")]
            )
        if seen >= 1 << SEQ_FILE_SHIFT:
            raise FileRejected(f"{source.name} 行数过多（{seen:,}），请拆分后再导入")
        writer.close()
        tmp.replace(out)
    except ImportRejected as exc:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise InputRejected(row_errors=exc.row_errors, total_rows=exc.total_rows, source=source) from None
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return NormalisedFile(
        source=source, kind=kind, path=out, rows=rows, sha256=file_sha256(source), size_bytes=size
    )


def first_problem(exc: ImportRejected) -> str:
    """The one-line reason of the first bad row: 第 N 行 column 列：problem."""
    if not exc.row_errors:
        return exc.message
    e = exc.row_errors[0]
    where = f"第 {e.row} 行" + (f" {e.column} 列" if e.column else "")
    return f"{where}：{e.message}"
