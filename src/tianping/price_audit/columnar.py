"""A vectorised (Arrow compute) fast path for normalising input files, ~10× the row-by-row reader.

It accepts only a strict subset of what ``schemas.normalise_observation`` accepts — plain ISO instants
(naive, or with ``Z`` / ``±hh:mm``) from 1992 on, plain amounts (``199`` / ``199.9`` /
``199.90``), exact label and surface values, text without surrounding whitespace — and produces exactly
the same rows. Anything else (a bad row, but also ``¥1,299``, a float amount, a mixed column) raises
:class:`NotFast`, and the caller re-reads the whole file with the row-by-row reference, which decides
and reports with row and column. A test asserts both give the same table wherever the fast path answers.

Asia/Shanghai has been UTC+8 without daylight saving since 1992, so for instants from 1992 on the local
offset is a constant; earlier instants fall back to ``zoneinfo``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tianping.price_audit.schemas import (
    MAX_TEXT,
    MAX_YUAN,
    MICROS_PER_MINUTE,
    OBSERVATION_SCHEMA,
    STRIKE_LABELS,
    SURFACES,
    TRANSACTION_SCHEMA,
    Column,
)

_OFFSET_US = 8 * 3600 * 1_000_000
_DAY_US = 86_400 * 1_000_000
_EARLIEST = int((datetime(1992, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 10**6
_LATEST = int((datetime(2200, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 10**6
_MAX_FEN = int(MAX_YUAN * 100)
# Every character Python's str.strip() removes: text with one at either end takes the slow path.
_WS = "[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_SURROUNDING_WS = f"^{_WS}|{_WS}$"
_CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?"
_NAIVE = rf"^\d{{4}}-\d{{2}}-\d{{2}}(?:[ T]{_CLOCK})?$"
_AWARE = rf"^\d{{4}}-\d{{2}}-\d{{2}}[ T]{_CLOCK}(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
_MONEY = r"^(?P<yuan>\d{1,10})(?:\.(?P<fen>\d{1,2}))?$"


class NotFast(Exception):
    """This batch needs the row-by-row reader (which will accept it or say exactly what is wrong)."""


def _any(mask: pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


def _strings(column: pa.Array) -> pa.Array:
    if pa.types.is_integer(column.type):
        return column.cast(pa.string())
    if pa.types.is_large_string(column.type):
        return column.cast(pa.string())
    if not pa.types.is_string(column.type):
        raise NotFast
    return column


def text(column: pa.Array | None, *, required: bool, empty_as_null: bool) -> pa.Array:
    """Text as ``schemas.parse_text`` reads it: stripped, non-empty when required, at most 500 characters."""
    if column is None:
        if required:
            raise NotFast
        return pa.nulls(0, pa.string())
    values = _strings(column)
    if values.null_count:
        if required:
            raise NotFast
        values = values.fill_null("")
    if len(values) == 0:
        return values
    if _any(pc.match_substring_regex(values, _SURROUNDING_WS)):
        raise NotFast
    empty = pc.equal(values, "")
    if required and _any(empty):
        raise NotFast
    if (pc.max(pc.utf8_length(values)).as_py() or 0) > MAX_TEXT:
        raise NotFast
    if empty_as_null:
        return pc.if_else(empty, pa.scalar(None, pa.string()), values)
    return values


def instants_us(column: pa.Array | None, *, required: bool) -> pa.Array:
    """Microseconds since the epoch (UTC) of ISO instants; naive ones are Asia/Shanghai. Nulls where empty."""
    if column is None:
        if required:
            raise NotFast
        return pa.nulls(0, pa.int64())
    if pa.types.is_timestamp(column.type):
        aware = column.type.tz is not None
        micros = column.cast(pa.timestamp("us", tz=column.type.tz), safe=False).cast(pa.int64())
        if not aware:
            micros = pc.subtract(micros, _OFFSET_US)
    elif pa.types.is_date32(column.type) or pa.types.is_date64(column.type):
        days = column.cast(pa.date32()).cast(pa.int32()).cast(pa.int64())
        micros = pc.subtract(pc.multiply(days, _DAY_US), _OFFSET_US)
    else:
        values = _strings(column).fill_null("")
        empty = pc.equal(values, "")
        if required and _any(empty):
            raise NotFast
        naive = pc.match_substring_regex(values, _NAIVE)
        aware = pc.match_substring_regex(values, _AWARE)
        if not pc.all(pc.or_(pc.or_(naive, aware), empty)).as_py():
            raise NotFast
        try:  # each kind parsed on its own, the other rows replaced by a harmless value
            local = pc.if_else(naive, values, "2000-01-01").cast(pa.timestamp("us")).cast(pa.int64())
            utc = pc.if_else(aware, values, "2000-01-01T00:00:00Z").cast(pa.timestamp("us", tz="UTC"))
        except pa.ArrowInvalid:
            raise NotFast from None
        micros = pc.if_else(naive, pc.subtract(local, _OFFSET_US), utc.cast(pa.int64()))
        micros = pc.if_else(empty, pa.scalar(None, pa.int64()), micros)
    if micros.null_count and required:
        raise NotFast
    if len(micros) and micros.null_count < len(micros):
        low, high = pc.min(micros).as_py(), pc.max(micros).as_py()
        if low < _EARLIEST or high >= _LATEST:
            raise NotFast
    return micros


def local_days(micros: pa.Array) -> pa.Array:
    """The Asia/Shanghai calendar date of each instant (non-negative, from 1992 on)."""
    days = pc.divide(pc.add(micros, _OFFSET_US), _DAY_US)  # integer division; values are positive
    return days.cast(pa.int32()).cast(pa.date32())


def money_fen(column: pa.Array | None, *, required: bool) -> pa.Array:
    """Integer fen of plain amounts (``199``, ``199.9``, ``199.90``; decimals and integers in Parquet)."""
    if column is None:
        if required:
            raise NotFast
        return pa.nulls(0, pa.int64())
    if pa.types.is_decimal(column.type):
        try:
            # decimal(34, 2) × decimal(3, 0) fits decimal128's 38 digits (a (38, 2) operand would not, and
            # every decimal column would fall back to the row reader).
            fen = pc.multiply(column.cast(pa.decimal128(34, 2)), pa.scalar(100, pa.decimal128(3, 0))).cast(
                pa.int64()
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise NotFast from None
    elif pa.types.is_integer(column.type):
        fen = pc.multiply_checked(column.cast(pa.int64()), 100)
    elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        values = _strings(column).fill_null("")
        empty = pc.equal(values, "")
        present = pc.filter(values, pc.invert(empty))
        if not pc.all(pc.match_substring_regex(present, _MONEY)).as_py() and len(present):
            raise NotFast
        parts = pc.extract_regex(pc.if_else(empty, "0", values), _MONEY)
        yuan = pc.struct_field(parts, "yuan").cast(pa.int64())
        cents = pc.utf8_rpad(pc.struct_field(parts, "fen"), width=2, padding="0").cast(pa.int64())
        fen = pc.if_else(empty, pa.scalar(None, pa.int64()), pc.add(pc.multiply(yuan, 100), cents))
    else:
        raise NotFast
    if required and fen.null_count:
        raise NotFast
    if len(fen) and fen.null_count < len(fen) and (pc.min(fen).as_py() < 0 or pc.max(fen).as_py() > _MAX_FEN):
        raise NotFast
    return fen


def exact_choice(column: pa.Array | None, allowed: tuple[str, ...], default: str) -> pa.Array:
    """Values that are exactly one of ``allowed`` (empty → ``default``); anything else takes the slow path."""
    if column is None:
        return pa.nulls(0, pa.string())
    values = _strings(column).fill_null("")
    if not pc.all(pc.is_in(values, pa.array(["", *allowed]))).as_py():
        raise NotFast
    return pc.if_else(pc.equal(values, ""), default, values)


def series_hashes(platform: pa.Array, shop_id: pa.Array, sku_id: pa.Array) -> pa.Array:
    """``schemas.series_hash`` for every row, computed once per distinct series."""
    keys = pc.binary_join_element_wise(platform, shop_id, sku_id, "\x1f").dictionary_encode()
    uniques = [zlib.crc32(k.encode("utf-8")) for k in keys.dictionary.to_pylist()]
    return pa.array(uniques, pa.int64()).take(keys.indices)


def _get(batch: pa.RecordBatch, name: str) -> pa.Array | None:
    index = batch.schema.get_field_index(name)
    return None if index < 0 else batch.column(index)


def _fill(array: pa.Array, length: int, value: object = None, type_: pa.DataType | None = None) -> pa.Array:
    return array if len(array) == length else pa.array([value] * length, type_ or array.type)


def normalise_observations(batch: pa.RecordBatch, seq_start: int) -> pa.Table:
    n = batch.num_rows
    platform = text(_get(batch, "platform"), required=True, empty_as_null=False)
    shop_id = text(_get(batch, "shop_id"), required=True, empty_as_null=False)
    sku_id = text(_get(batch, "sku_id"), required=True, empty_as_null=False)
    micros = instants_us(_get(batch, "observed_at"), required=True)
    price = money_fen(_get(batch, "price"), required=True)
    strike = _fill(money_fen(_get(batch, "strike_price"), required=False), n)
    label = _fill(exact_choice(_get(batch, "strike_label"), STRIKE_LABELS[1:], ""), n, "")
    promo = _fill(text(_get(batch, "promo_label"), required=False, empty_as_null=False), n, "")
    start = _fill(instants_us(_get(batch, "promo_start"), required=False), n)
    end = _fill(instants_us(_get(batch, "promo_end"), required=False), n)
    surface = _fill(exact_choice(_get(batch, "surface"), SURFACES, "detail"), n, "detail")
    title = _fill(text(_get(batch, "title"), required=False, empty_as_null=True), n)
    arrays = [
        pa.array(range(seq_start, seq_start + n), pa.int64()),
        platform,
        shop_id,
        sku_id,
        series_hashes(platform, shop_id, sku_id),
        micros.cast(pa.timestamp("us", tz="UTC")),
        micros,
        pc.divide(micros, MICROS_PER_MINUTE),
        local_days(micros),
        price,
        strike,
        label,
        promo,
        local_days(start),
        local_days(end),
        surface,
        title,
    ]
    return pa.Table.from_arrays(arrays, schema=OBSERVATION_SCHEMA)


def normalise_transactions(batch: pa.RecordBatch, seq_start: int) -> pa.Table:
    n = batch.num_rows
    platform = text(_get(batch, "platform"), required=True, empty_as_null=False)
    shop_id = text(_get(batch, "shop_id"), required=True, empty_as_null=False)
    sku_id = text(_get(batch, "sku_id"), required=True, empty_as_null=False)
    micros = instants_us(_get(batch, "paid_at"), required=True)
    arrays = [
        pa.array(range(seq_start, seq_start + n), pa.int64()),
        platform,
        shop_id,
        sku_id,
        series_hashes(platform, shop_id, sku_id),
        micros.cast(pa.timestamp("us", tz="UTC")),
        micros,
        local_days(micros),
        money_fen(_get(batch, "unit_price"), required=True),
    ]
    return pa.Table.from_arrays(arrays, schema=TRANSACTION_SCHEMA)


def batches(
    path: Path, fmt: str, columns: tuple[Column, ...], header: list[str], batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """Record batches of the spec's columns present in ``header``; CSV cells are read as text. Raises
    ``NotFast`` when Arrow's reader refuses the file (the row-by-row reader then explains why)."""
    wanted = [c.name for c in columns if c.name in header]
    try:
        if fmt == "parquet":
            parquet = pq.ParquetFile(path)
            names = parquet.schema_arrow.names
            if len(set(names)) != len(names):
                raise NotFast
            present = [c for c in wanted if c in names]
            yield from parquet.iter_batches(batch_size=batch_rows, columns=present)
            return
        with pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 22),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in wanted},
                include_columns=wanted,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        ) as reader:
            header = reader.schema.names
            if len(set(header)) != len(header):
                raise NotFast
            yield from reader
    except (pa.ArrowInvalid, pa.ArrowKeyError, pa.ArrowTypeError, OSError, UnicodeDecodeError):
        raise NotFast from None
