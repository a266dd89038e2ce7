"""Reading inputs: every column's validation, row and column of the first problem, Parquet and CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tianping.core.errors import FileRejected
from tianping.price_audit.io import InputKind, InputRejected, first_problem, normalise_file
from tianping.price_audit.schemas import CellError, normalise_observation, parse_money_fen, series_hash

HEADER = (
    "platform,shop_id,sku_id,observed_at,price,strike_price,strike_label,promo_label,promo_start,promo_end,"
    "surface\n"
)
GOOD = "tmall,s1,k1,2025-06-01 10:00,99.90,199,,限时直降,2025-06-01,2025-06-03T23:59:59+08:00,\n"


def _csv(tmp_path: Path, body: str, header: str = HEADER, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def _read(path: Path, kind: InputKind = InputKind.OBSERVATIONS) -> list[dict[str, object]]:
    out = normalise_file(path, kind, path.with_suffix(".norm.parquet"))
    return pq.read_table(out.path).to_pylist()


def test_a_good_row_is_normalised(tmp_path: Path) -> None:
    (row,) = _read(_csv(tmp_path, GOOD))
    assert row["price_fen"] == 9990 and row["strike_fen"] == 19900 and row["strike_label"] == ""
    assert row["observed_at"] == datetime(2025, 6, 1, 2, 0, tzinfo=UTC)  # naive = Asia/Shanghai
    assert row["day"] == date(2025, 6, 1) and row["surface"] == "detail"
    assert row["promo_start_day"] == date(2025, 6, 1) and row["promo_end_day"] == date(2025, 6, 3)
    assert row["observed_min"] * 60_000_000 <= row["observed_us"]  # type: ignore[operator]
    assert row["series_hash"] == series_hash("tmall", "s1", "k1")


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        (",s1,k1,2025-06-01,10,,,,,,\n", "platform", "不能为空"),
        ("t,s1,k1,06/01/2025,10,,,,,,\n", "observed_at", "ISO"),
        ("t,s1,k1,2025-06-01,,,,,,,\n", "price", "不能为空"),
        ("t,s1,k1,2025-06-01,abc,,,,,,\n", "price", "不是金额"),
        ("t,s1,k1,2025-06-01,-1,,,,,,\n", "price", "负"),
        ("t,s1,k1,2025-06-01,9.999,,,,,,\n", "price", "两位小数"),
        ("t,s1,k1,2025-06-01,1e12,,,,,,\n", "price", "过大"),
        ("t,s1,k1,2025-06-01,NaN,,,,,,\n", "price", "不是金额"),
        ("t,s1,k1,2025-06-01,10,x,,,,,\n", "strike_price", "不是金额"),
        ("t,s1,k1,2025-06-01,10,20,划线价,,,,\n", "strike_label", "msrp"),
        ("t,s1,k1,2025-06-01,10,,,,yesterday,,\n", "promo_start", "ISO"),
        ("t,s1,k1,2025-06-01,10,,,,,2025-13-01,\n", "promo_end", "ISO"),
        ("t,s1,k1,2025-06-01,10,,,,,,cart\n", "surface", "detail"),
    ],
)
def test_bad_cells_name_row_and_column(tmp_path: Path, line: str, column: str, words: str) -> None:
    path = _csv(tmp_path, GOOD + line)
    with pytest.raises(InputRejected) as caught:
        _read(path)
    (error,) = caught.value.row_errors
    assert (error.row, error.column) == (3, column)
    assert words in error.message
    assert first_problem(caught.value).startswith(f"第 3 行 {column} 列：")
    assert caught.value.source == path
    assert not list(tmp_path.glob("*.parquet*"))  # nothing written


def test_missing_required_column_is_row_1(tmp_path: Path) -> None:
    with pytest.raises(InputRejected) as caught:
        _read(_csv(tmp_path, "t,s,k,2025-06-01\n", header="platform,shop_id,sku_id,observed_at\n"))
    assert [(e.row, e.column) for e in caught.value.row_errors] == [(1, "price")]


def test_wrong_field_count_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputRejected) as caught:
        _read(_csv(tmp_path, GOOD + "t,s1,k1\n"))
    assert caught.value.row_errors[0].row == 3 and "列数" in caught.value.row_errors[0].message
    with pytest.raises(InputRejected) as caught:
        _read(_csv(tmp_path, ""))
    assert "没有数据行" in caught.value.row_errors[0].message
    empty_tx = _csv(tmp_path, "", header="platform,shop_id,sku_id,paid_at,unit_price\n", name="tx.csv")
    assert _read(empty_tx, InputKind.TRANSACTIONS) == []  # no sales is a fact, not an error


def test_not_utf8_and_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + GOOD).encode("gbk"))
    with pytest.raises(FileRejected, match="UTF-8"):
        _read(path)
    odd = tmp_path / "obs.xlsx"
    odd.write_bytes(b"PK\x03\x04")
    with pytest.raises(FileRejected, match="不支持"):
        _read(odd)


def test_parquet_input_with_typed_columns(tmp_path: Path) -> None:
    table = pa.table(
        {
            "platform": ["jd"],
            "shop_id": ["s"],
            "sku_id": [12345],  # an integer id is fine
            "observed_at": pa.array([datetime(2025, 6, 1, 16, 30, tzinfo=UTC)], pa.timestamp("ns", tz="UTC")),
            "price": pa.array([Decimal("19.90")], pa.decimal128(10, 2)),
            "strike_price": pa.array([29.9], pa.float64()),  # a float by its shortest repr: 29.9
            "promo_start": pa.array([date(2025, 6, 1)], pa.date32()),
        }
    )
    path = tmp_path / "obs.parquet"
    pq.write_table(table, path)
    (row,) = _read(path)
    assert row["sku_id"] == "12345" and row["price_fen"] == 1990 and row["strike_fen"] == 2990
    assert row["day"] == date(2025, 6, 2)  # 16:30 UTC is 00:30 the next day in Shanghai
    assert row["promo_start_day"] == date(2025, 6, 1)

    bad = table.set_column(4, "price", pa.array([Decimal("-1.00")], pa.decimal128(10, 2)))
    pq.write_table(bad, path)
    with pytest.raises(InputRejected) as caught:
        _read(path)
    assert (caught.value.row_errors[0].row, caught.value.row_errors[0].column) == (2, "price")


def test_money_is_exact() -> None:
    assert parse_money_fen("199", required=True) == 19900
    assert parse_money_fen("199.00", required=True) == parse_money_fen(Decimal("199"), required=True)
    assert parse_money_fen("¥1,299.5", required=True) == 129950
    assert parse_money_fen(0.1, required=True) == 10
    assert parse_money_fen("", required=False) is None
    with pytest.raises(CellError):
        parse_money_fen(True, required=True)


def test_normalise_reports_the_column() -> None:
    with pytest.raises(CellError) as caught:
        normalise_observation({"platform": "p", "shop_id": "s", "sku_id": "k", "observed_at": None}, 0)
    assert caught.value.args[1] == "observed_at"
