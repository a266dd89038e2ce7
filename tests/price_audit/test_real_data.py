"""The price audit on real weekly retail snapshots (research/data/price-history-retail, ZAR).

``docs/price-audit-real-data.md`` documents the run; these tests keep it true: the converter maps the
snapshots to valid observations ("was" price -> strike_price), the audit finds R1 findings, and the
examples of the page are among them with the reference prices it prints.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scripts.price_history_retail import convert, main, review_r1

from tests.conftest import shared_path
from tianping.price_audit import run_audit
from tianping.price_audit.rules import R1

DATA = ("research", "data", "price-history-retail", "pnp-makro-foodline-za")

#: The page's examples: (name, episode start D, strike price, shown price, 7-day reference price).
DOCUMENTED = [
    ("Frimax Potato Chips Salt & Vinegar 125g", date(2025, 8, 14), "20.99", "18.99", "18.99"),
    ("Castle Lager Local Beer 24 x 330ml", date(2026, 2, 5), "299.99", "294.99", "274.99"),
    ("Faircape 20% Guava Nectar 4L", date(2025, 8, 7), "69.99", "49.99", "59.99"),
    ("Bond Lamb Dog Small Breed 6kg", date(2026, 2, 5), "199.99", "169.99", "176.99"),
    ("Du Toit Cherry Time Cherries 700g", date(2026, 1, 1), "119.99", "99.99", "99.99"),
    ("Defy 7.6L Black Digital Cookfit Airfryer DAF3376DB", date(2025, 12, 4), "1499.00", "999.00", "999.00"),
    ("Spekko Basmati Classic Rice 1kg", date(2026, 2, 5), "95.99", "54.99", "54.99"),
]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    source = shared_path(*DATA)
    out = tmp_path_factory.mktemp("za") / "obs.csv"
    return out, convert(source, out)


@pytest.fixture(scope="module")
def audited(converted: tuple[Path, Any], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    obs, _ = converted
    home = tmp_path_factory.mktemp("home")
    return home / "findings.csv", run_audit(observations=obs, home=home, out=home / "findings.csv")


@pytest.mark.shared_data
def test_converter_maps_every_snapshot_row(converted: tuple[Path, Any]) -> None:
    obs, report = converted
    pnp, foodline = report.per_store["pnp"], report.per_store["foodline"]
    assert (pnp.snapshots, pnp.rows_read, pnp.observations, pnp.with_strike) == (32, 156958, 156345, 9118)
    assert (foodline.snapshots, foodline.rows_read, foodline.observations, foodline.with_strike) == (
        11,
        3519,
        3469,
        210,
    )
    assert "makro" not in report.per_store  # no "was" prices: left out by default
    assert (report.exact_duplicates, report.ambiguous_names, report.zero_price_rows) == (202, 12, 5)

    rows = _rows(obs)
    assert len(rows) == report.observations == 159814
    assert {r["surface"] for r in rows} == {"detail"} and {r["strike_label"] for r in rows} == {""}
    struck = [r for r in rows if r["strike_price"]]
    assert len(struck) == 9328
    assert all(Decimal(r["strike_price"]) > Decimal(r["price"]) for r in struck)
    # old_price -> strike_price, price -> price, name -> sku_id, snapshot date -> observed_at
    faircape = {r["observed_at"]: r for r in rows if r["sku_id"] == "Faircape 20% Guava Nectar 4L"}
    assert (faircape["2025-07-31"]["price"], faircape["2025-07-31"]["strike_price"]) == ("59.99", "")
    assert (faircape["2025-08-07"]["price"], faircape["2025-08-07"]["strike_price"]) == ("49.99", "69.99")
    assert faircape["2025-08-07"]["platform"] == "pnp" and faircape["2025-08-07"]["shop_id"] == "Pick n Pay"


@pytest.mark.shared_data
def test_audit_finds_the_documented_r1_examples(
    converted: tuple[Path, Any], audited: tuple[Path, Any]
) -> None:
    obs, report = converted
    out, run = audited
    counts = run.counts
    assert counts["observations"] == report.observations and counts["duplicates_dropped"] == 0
    assert counts["by_rule"]["R1"] >= 150  # 215 on the documented run
    r1 = {(f["sku_id"], f["episode_start"]): f for f in run.rows() if f["rule_id"] == "R1"}
    assert len(r1) == counts["by_rule"]["R1"]
    for name, day, strike, shown, reference in DOCUMENTED:
        finding = r1[(name, day)]
        assert finding["strike_price"] == Decimal(strike)
        assert finding["price"] == Decimal(shown)
        assert finding["baseline_price"] == Decimal(reference)
        assert finding["article"] == R1.article
        assert finding["evidence"] == "proxy"
    # The README's caution: a regular price shown again as "was" one week later is not flagged.
    assert ("Faircape 20% Guava Nectar 4L", date(2025, 9, 11)) not in r1

    kinds = review_r1(obs, out)
    assert sum(len(v) for v in kinds.values()) == len(r1)
    assert ("Boschendal Luxe Nectar Demi Sec 750ml", "2025-12-25") in kinds["multi_buy_base"]
    assert ("DAY Bamboo Cutting Board With String 3 Piece", "2025-12-25") in kinds["stale_base_fallback"]
    assert ("Castle Lager Local Beer 24 x 330ml", "2026-02-05") in kinds["was_above_regular"]


def _snapshot(folder: Path, name: str, lines: list[str]) -> None:
    (folder / name).write_text(
        "store,name,price,old_price,promotion\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )


def test_converter_cleans_repeats_ambiguous_names_and_odd_prices(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _snapshot(
        src,
        "pnp_products_2025-07-26.csv",
        [
            "Pick n Pay,Tea 100s,49.99,,",
            "Pick n Pay,Tea 100s,49.99,,",  # verbatim repeat: kept once
            "Pick n Pay,Rusks 500g,57.99,,",
            "Pick n Pay,Rusks 500g,73.99,,",  # two products share the name: the name is dropped
            "Pick n Pay,Chicken Breasts,48.831120000000006,,",  # variable weight: rounded to the cent
        ],
    )
    _snapshot(
        src,
        "pnp_products_2025-08-07.csv",
        ["Pick n Pay,Tea 100s,39.99,54.99,2 For R70.00", "Pick n Pay,Rusks 500g,57.99,,"],
    )
    _snapshot(src, "foodline_products_2025-07-26.csv", ['Foodline,"COOKIES 80G",0.0,,'])
    _snapshot(src, "makro_products_2025-07-26.csv", ["Makro,Rice 10kg,199.00,,"])
    out = tmp_path / "obs.csv"
    report = convert(src, out)
    rows = _rows(out)
    assert [
        (r["sku_id"], r["observed_at"], r["price"], r["strike_price"], r["promo_label"]) for r in rows
    ] == [
        ("Tea 100s", "2025-07-26", "49.99", "", ""),
        ("Chicken Breasts", "2025-07-26", "48.83", "", ""),
        ("Tea 100s", "2025-08-07", "39.99", "54.99", "2 For R70.00"),
    ]
    assert (report.exact_duplicates, report.ambiguous_names, report.ambiguous_rows) == (1, 1, 3)
    assert (report.zero_price_rows, report.rounded_prices, report.with_strike) == (1, 1, 1)
    assert "Left out: 1 verbatim repeats" in report.summary()

    assert main(["convert", str(src), str(tmp_path / "o.csv"), "--stores", "makro"]) == 0
    assert [r["sku_id"] for r in _rows(tmp_path / "o.csv")] == ["Rice 10kg"]
    assert main(["convert", str(src), str(tmp_path / "x.csv"), "--stores", "spar"]) == 2
