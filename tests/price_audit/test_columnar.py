"""The columnar fast path reads exactly what the row-by-row reader reads, wherever it answers at all."""

from __future__ import annotations

import csv
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tianping.price_audit import io
from tianping.price_audit.columnar import NotFast
from tianping.price_audit.io import InputKind, InputRejected

TEXT = ["tmall", "京东", "店铺 2", "12", " padded", "tail\u3000", "x\x1f", "", "长" * 501]
INSTANTS = [
    "2025-06-01",
    "2025-06-01 10:00",
    "2025-06-01T10:00:05.5",
    "2025-06-01 23:59:59.999999",
    "2025-06-01T02:00:00Z",
    "2025-06-01T10:00:00+08:00",
    "2025-06-01T10:00:00-03:30",
    "2025-06-01T10:00:00+0800",
    "1988-06-01 10:00",  # Shanghai kept summer time then: only zoneinfo knows
    "2025-02-30",
    "2025-6-1",
    "20250601",
    "2025-06-01T10",
    "2025-06-01 24:00",
    "2025-06-01 10:00:60",
    "2025-06-01 10:00:00.1234567",
    "",
]
MONEY = ["199", "199.9", "199.90", "0199", "0", "199.", "¥199", "1,299.5", "-1", "9.999", "1e3", "",
         "1000000000", "1000000000.01", "abc", " 5", "99999999999"]  # fmt: skip
LABELS = ["", "msrp", "detailed", "MSRP", " msrp", "其他"]
SURFACES = ["", "detail", "list", "checkout", "List", "cart"]
PROMOS = ["", "限时直降", " 秒杀", "倒计时"]
HEADER = ["platform", "shop_id", "sku_id", "observed_at", "price", "strike_price", "strike_label",
          "promo_label", "promo_start", "promo_end", "surface", "title"]  # fmt: skip


# (clean values, every value) per column: examples are clean rows with at most one odd cell.
COLUMNS = [
    (["tmall", "京东"], TEXT),
    (["s1", "店铺 2"], TEXT),
    (["k1", "12"], TEXT),
    (INSTANTS[:7], INSTANTS),
    (MONEY[:5], MONEY),
    (["", "199.00", "0"], MONEY),
    (["", "msrp", "detailed"], LABELS),
    (["", "限时直降"], PROMOS),
    (["", "2025-06-01", "2025-05-31T16:00:00Z"], INSTANTS),
    (["", "2025-06-03T23:59:59+08:00"], INSTANTS),
    (["", "detail", "list", "checkout"], SURFACES),
    (["", "标题"], TEXT),
]
ROW = st.tuples(*(st.sampled_from(clean) for clean, _ in COLUMNS))
ODD_CELL = st.none() | st.tuples(
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=0, max_value=len(COLUMNS) - 1).flatmap(
        lambda c: st.tuples(st.just(c), st.sampled_from(COLUMNS[c][1]))
    ),
)


def _both(path: Path, kind: InputKind) -> tuple[pa.Table | None, pa.Table | InputRejected]:
    """(fast result or None when it declined, reference result or its rejection)."""
    fast: pa.Table | None
    try:
        io._normalise_fast(path, kind, path.with_suffix(".fast"), seq_base=7 << 32, require_rows=True,
                           progress=None)  # fmt: skip
        fast = pq.read_table(path.with_suffix(".fast"))
    except (NotFast, pa.ArrowException):
        fast = None
    reference: pa.Table | InputRejected
    try:
        done = io.normalise_file(path, kind, path.with_suffix(".slow"), file_number=7, fast=False)
        reference = pq.read_table(done.path)
    except InputRejected as exc:
        reference = exc
    return fast, reference


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(ROW, min_size=0, max_size=6),
    odd=ODD_CELL,
    columns=st.integers(min_value=5, max_value=12),
)
def test_fast_path_agrees_with_the_reference_reader(
    rows: list[tuple[str, ...]], odd: tuple[int, tuple[int, str]] | None, columns: int
) -> None:
    if odd is not None and rows:
        row, (column, value) = odd
        cells = list(rows[row % len(rows)])
        cells[column] = value
        rows[row % len(rows)] = tuple(cells)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "obs.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER[:columns])
            writer.writerows(r[:columns] for r in rows)
        fast, reference = _both(path, InputKind.OBSERVATIONS)
        if fast is not None:
            assert isinstance(reference, pa.Table), reference
            assert fast.equals(reference)
        # Through the public entry point the answer is always the reference's.
        try:
            public: pa.Table | InputRejected = pq.read_table(
                io.normalise_file(path, InputKind.OBSERVATIONS, Path(tmp) / "p.parquet", file_number=7).path
            )
        except InputRejected as exc:
            public = exc
        if isinstance(reference, pa.Table):
            assert isinstance(public, pa.Table) and public.equals(reference)
        else:
            assert isinstance(public, InputRejected) and public.row_errors[:1] == reference.row_errors[:1]


def test_clean_files_take_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(
        ",".join(HEADER) + "\n"
        "tmall,s1,k1,2025-06-01 10:00,199.9,299,msrp,限时直降,2025-06-01,2025-06-03,list,标题\n"
        "tmall,s1,k1,2025-06-01 10:05:00.25,199,,,,,,,\n",
        encoding="utf-8",
    )
    fast, reference = _both(path, InputKind.OBSERVATIONS)
    assert fast is not None and isinstance(reference, pa.Table) and fast.equals(reference)
    tx = tmp_path / "tx.csv"
    tx.write_text(
        "platform,shop_id,sku_id,paid_at,unit_price\njd,s,k,2025-06-01T02:00:00Z,0.5\n", encoding="utf-8"
    )
    fast, reference = _both(tx, InputKind.TRANSACTIONS)
    assert fast is not None and isinstance(reference, pa.Table) and fast.equals(reference)


@pytest.mark.parametrize(
    "columns",
    [
        {
            "observed_at": pa.array(
                [datetime(2025, 6, 1, 16, 30, tzinfo=UTC)] * 2, pa.timestamp("ns", tz="UTC")
            ),
            "price": pa.array([Decimal("19.90"), Decimal("0.01")], pa.decimal128(10, 3)),
            "sku_id": pa.array([1, 2], pa.int64()),
        },
        {
            "observed_at": pa.array([datetime(2025, 6, 1, 10, 0)] * 2, pa.timestamp("us")),
            "price": pa.array([19, 0], pa.int32()),
            "promo_start": pa.array([date(2025, 6, 1), None], pa.date32()),
        },
        {
            "observed_at": pa.array([date(2025, 6, 1)] * 2, pa.date32()),
            "price": pa.array(
                [Decimal("19.905"), Decimal("1")], pa.decimal128(10, 3)
            ),  # declined: 3 decimals
        },
        {
            "observed_at": pa.array(
                [datetime(1985, 6, 1, 10, 0)] * 2, pa.timestamp("us")
            ),  # declined: DST era
            "price": pa.array([1.5, 2.0], pa.float64()),  # declined: floats take the reference path
        },
    ],
)
def test_typed_parquet_columns(tmp_path: Path, columns: dict[str, pa.Array]) -> None:
    base = {"platform": pa.array(["p", "p"]), "shop_id": pa.array(["s", "s"]), "sku_id": pa.array(["k", "k"])}
    path = tmp_path / "obs.parquet"
    pq.write_table(pa.table({**base, **columns}), path)
    fast, reference = _both(path, InputKind.OBSERVATIONS)
    if fast is not None:
        assert isinstance(reference, pa.Table) and fast.equals(reference)
    else:
        assert isinstance(reference, pa.Table | InputRejected)


def test_decimal_money_columns_take_the_fast_path(tmp_path: Path) -> None:
    """Parquet writers often type money as decimal: those files must not fall back to the row reader."""
    table = pa.table(
        {
            "platform": pa.array(["p", "p"]),
            "shop_id": pa.array(["s", "s"]),
            "sku_id": pa.array(["k", "k"]),
            "observed_at": pa.array(
                [datetime(2025, 6, 1, 16, 30, tzinfo=UTC)] * 2, pa.timestamp("us", tz="UTC")
            ),
            "price": pa.array([Decimal("19.90"), Decimal("1299.00")], pa.decimal128(12, 2)),
            "strike_price": pa.array([Decimal("29.9"), None], pa.decimal128(38, 4)),
        }
    )
    path = tmp_path / "obs.parquet"
    pq.write_table(table, path)
    fast, reference = _both(path, InputKind.OBSERVATIONS)
    assert fast is not None, "decimal money declined the fast path"
    assert isinstance(reference, pa.Table) and fast.equals(reference)
