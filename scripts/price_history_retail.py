"""Convert the weekly South African retail snapshots into price observations for ``tianping prices audit``.

The data set (``research/data/price-history-retail/pnp-makro-foodline-za/``, see its README) holds one
CSV per store and snapshot date, ``<store>_products_<YYYY-MM-DD>.csv`` with the columns
``store, name, price, old_price, promotion`` (prices in ZAR). It is for internal testing only: this
script reads it where it lies and writes the observations to a file you name; never copy either into
the project.

Mapping to ``spec/price-observations.md``:

* ``platform`` = the store's short id (``pnp``, ``foodline``, ``makro``), ``shop_id`` = the store name;
* ``sku_id`` and ``title`` = ``name`` (the data set has no product id: the exact name is the key);
* ``observed_at`` = the snapshot date of the file name (a date: the whole day is the observation);
* ``price`` = ``price`` (the shown price), ``strike_price`` = ``old_price`` (the crossed-out "was"
  price), ``strike_label`` empty (the shop states neither the type nor the source of the "was" price);
* ``promo_label`` = ``promotion`` (e.g. ``2 For R32.00 (Smart Price)``), ``surface`` = ``detail``.

Cleaning, each counted in the report:

* rows repeated verbatim within one snapshot are kept once;
* a name listed twice in one snapshot with different prices is two products sharing a name, so the
  name is ambiguous as a key and every row of it (all snapshots) is left out;
* a price of 0 is "no price" and the row is left out;
* prices with more than two decimals (estimated prices of variable-weight packs, e.g. ``48.831120000000006``)
  are rounded half up to the cent.

Usage (``docs/price-audit-real-data.md``)::

    SRC=../shared/research/data/price-history-retail/pnp-makro-foodline-za
    .venv/bin/python scripts/price_history_retail.py convert $SRC /tmp/za-obs.csv --stores pnp,foodline
    .venv/bin/tianping prices audit /tmp/za-obs.csv --out /tmp/za-findings.csv
    .venv/bin/python scripts/price_history_retail.py review /tmp/za-obs.csv /tmp/za-findings.csv
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Final

#: Store ids of the file names and the store names of the ``store`` column.
STORES: Final = {"pnp": "Pick n Pay", "foodline": "Foodline", "makro": "Makro"}
#: Stores whose snapshots carry "was" prices (Makro has none).
DEFAULT_STORES: Final = ("pnp", "foodline")
SNAPSHOT_NAME: Final = re.compile(r"^(?P<store>[a-z]+)_products_(?P<day>\d{4}-\d{2}-\d{2})\.csv$")
SOURCE_COLUMNS: Final = ("store", "name", "price", "old_price", "promotion")
OUTPUT_COLUMNS: Final = (
    "platform",
    "shop_id",
    "sku_id",
    "observed_at",
    "price",
    "strike_price",
    "strike_label",
    "promo_label",
    "surface",
    "title",
)
_CENT: Final = Decimal("0.01")


class SnapshotError(ValueError):
    """A snapshot file that does not have the data set's shape."""


@dataclass(frozen=True)
class Snapshot:
    store: str
    day: date
    path: Path


@dataclass
class StoreCounts:
    snapshots: int = 0
    rows_read: int = 0
    observations: int = 0
    with_strike: int = 0
    names: int = 0


@dataclass
class ConversionReport:
    """What the conversion read, wrote and left out."""

    per_store: dict[str, StoreCounts] = field(default_factory=dict)
    exact_duplicates: int = 0
    ambiguous_names: int = 0
    ambiguous_rows: int = 0
    zero_price_rows: int = 0
    rounded_prices: int = 0

    @property
    def observations(self) -> int:
        return sum(c.observations for c in self.per_store.values())

    @property
    def with_strike(self) -> int:
        return sum(c.with_strike for c in self.per_store.values())

    def summary(self) -> str:
        stores = "; ".join(
            f"{store}: {c.snapshots} snapshots, {c.rows_read} rows read, {c.observations} observations "
            f"({c.with_strike} with a strike price) of {c.names} names"
            for store, c in self.per_store.items()
        )
        return (
            f"{stores}. Left out: {self.exact_duplicates} verbatim repeats, {self.ambiguous_rows} rows of "
            f"{self.ambiguous_names} ambiguous names, {self.zero_price_rows} zero prices; "
            f"{self.rounded_prices} prices rounded to the cent."
        )


def snapshots(source: Path, stores: Iterable[str] = DEFAULT_STORES) -> list[Snapshot]:
    """The snapshot files of ``stores`` in ``source``, by store then date."""
    wanted = set(stores)
    unknown = wanted - STORES.keys()
    if unknown:
        raise SnapshotError(f"unknown store id(s): {', '.join(sorted(unknown))} (known: {', '.join(STORES)})")
    found = []
    for path in source.iterdir():
        match = SNAPSHOT_NAME.match(path.name)
        if match and match["store"] in wanted:
            found.append(Snapshot(match["store"], date.fromisoformat(match["day"]), path))
    return sorted(found, key=lambda s: (s.store, s.day))


def _money(text: str, *, where: str) -> tuple[Decimal, bool]:
    """A ZAR amount rounded half up to the cent, and whether rounding changed it."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise SnapshotError(f"{where}: not an amount: {text!r}") from None
    if not amount.is_finite() or amount < 0:
        raise SnapshotError(f"{where}: not an amount: {text!r}")
    cents = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    return cents, cents != amount


def _read_snapshot(snapshot: Snapshot) -> list[dict[str, str]]:
    with snapshot.path.open("r", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != SOURCE_COLUMNS:
            raise SnapshotError(f"{snapshot.path.name}: expected columns {', '.join(SOURCE_COLUMNS)}")
        return [{k: (v or "").strip() for k, v in row.items()} for row in reader]


def convert(source: Path, out: Path, *, stores: Sequence[str] = DEFAULT_STORES) -> ConversionReport:
    """Write the observations of ``stores`` found in ``source`` to the CSV ``out``; report the counts."""
    report = ConversionReport()
    found = snapshots(source, stores)
    if not found:
        raise SnapshotError(f"no snapshot files of {', '.join(stores)} in {source}")
    # The distinct rows of each (snapshot, name), verbatim repeats dropped; a name with two different
    # rows in one snapshot is ambiguous everywhere. Every row read is written or counted as left out.
    kept: dict[tuple[str, date], dict[str, list[tuple[str, str, str]]]] = {}
    ambiguous: dict[str, set[str]] = defaultdict(set)
    for snap in found:
        counts = report.per_store.setdefault(snap.store, StoreCounts())
        counts.snapshots += 1
        day_rows: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for row in _read_snapshot(snap):
            counts.rows_read += 1
            if row["store"] != STORES[snap.store]:
                raise SnapshotError(f"{snap.path.name}: store {row['store']!r} is not {STORES[snap.store]!r}")
            values = (row["price"], row["old_price"], row["promotion"])
            variants = day_rows[row["name"]]
            if values in variants:
                report.exact_duplicates += 1
                continue
            variants.append(values)
            if len(variants) > 1:
                ambiguous[snap.store].add(row["name"])
        kept[(snap.store, snap.day)] = day_rows

    report.ambiguous_names = sum(len(names) for names in ambiguous.values())
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_COLUMNS)
        names_seen: dict[str, set[str]] = defaultdict(set)
        for (store, day), day_rows in kept.items():
            counts = report.per_store[store]
            for name, variants in day_rows.items():
                if name in ambiguous[store]:
                    report.ambiguous_rows += len(variants)
                    continue
                ((price_text, old_text, promotion),) = variants
                where = f"{store} {day} {name!r}"
                price, rounded = _money(price_text, where=where)
                if price == 0:
                    report.zero_price_rows += 1
                    continue
                strike = ""
                if old_text:
                    old, old_rounded = _money(old_text, where=where)
                    rounded = rounded or old_rounded
                    strike = str(old)
                    counts.with_strike += 1
                report.rounded_prices += rounded
                writer.writerow(
                    (
                        store,
                        STORES[store],
                        name,
                        day.isoformat(),
                        str(price),
                        strike,
                        "",
                        promotion,
                        "detail",
                        name,
                    )
                )
                counts.observations += 1
                names_seen[store].add(name)
        for store, names in names_seen.items():
            report.per_store[store].names = len(names)
    return report


#: Promotion texts of multi-buy deals, whose ``price`` may be a per-unit equivalent (e.g. a 6-pack / 6).
MULTI_BUY: Final = re.compile(r"Pay For|\d+ For R|Combo", re.IGNORECASE)
#: A fallback base ("last transaction before D") older than this many days is stale for weekly data.
STALE_DAYS: Final = 14


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open("r", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def review_r1(observations: Path, findings: Path) -> dict[str, list[tuple[str, str]]]:
    """Sort the R1 findings of a run on converted snapshots by what most likely caused them.

    Returns ``{kind: [(sku_id, episode_start), ...]}``. The kinds, tried in this order, look at the
    base observations (those in the 7-day window, or the last one before D when the window is empty):

    * ``multi_buy_base``: the base price was shown with a multi-buy text (likely a per-unit equivalent);
    * ``stale_base``: the window was empty and the last observation is more than 14 days before D;
    * ``strike_lowered`` / ``strike_raised``: the previous observation already showed a "was" price and
      the new one is lower / higher (a continuing promotion re-based);
    * ``was_above_regular``: the previous observation had no "was" price.

    A ``_fallback`` suffix marks findings whose 7-day window held no observation.
    """
    series: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in _read_csv(observations):
        series[(row["platform"], row["shop_id"], row["sku_id"])].append(row)
    kinds: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for finding in _read_csv(findings):
        if finding["rule_id"] != "R1":
            continue
        day = finding["episode_start"]
        before = [
            r
            for r in series[(finding["platform"], finding["shop_id"], finding["sku_id"])]
            if r["observed_at"] < day
        ]
        window = [r for r in before if finding["window_start"] <= r["observed_at"] <= finding["window_end"]]
        previous = before[-1]
        base = [
            r for r in (window or [previous]) if Decimal(r["price"]) == Decimal(finding["baseline_price"])
        ]
        gap = (date.fromisoformat(day) - date.fromisoformat(previous["observed_at"])).days
        if any(MULTI_BUY.search(r["promo_label"]) for r in base):
            kind = "multi_buy_base"
        elif not window and gap > STALE_DAYS:
            kind = "stale_base"
        elif previous["strike_price"]:
            lowered = Decimal(finding["strike_price"]) < Decimal(previous["strike_price"])
            kind = "strike_lowered" if lowered else "strike_raised"
        else:
            kind = "was_above_regular"
        kinds[kind + ("" if window else "_fallback")].append((finding["sku_id"], day))
    return dict(sorted(kinds.items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    to_obs = commands.add_parser("convert", help="snapshots -> observations CSV")
    to_obs.add_argument("source", type=Path, help="the pnp-makro-foodline-za folder")
    to_obs.add_argument("out", type=Path, help="observations CSV to write (outside the project)")
    to_obs.add_argument(
        "--stores",
        default=",".join(DEFAULT_STORES),
        help=f"comma-separated store ids among {', '.join(STORES)} (default: %(default)s)",
    )
    review = commands.add_parser("review", help="sort a run's R1 findings by likely cause")
    review.add_argument("observations", type=Path, help="the converted observations CSV")
    review.add_argument("findings", type=Path, help="the findings CSV of tianping prices audit")
    args = parser.parse_args(argv)
    try:
        if args.command == "convert":
            stores = [s.strip() for s in args.stores.split(",") if s.strip()]
            print(convert(args.source, args.out, stores=stores).summary(), file=sys.stderr)
        else:
            for kind, found in review_r1(args.observations, args.findings).items():
                print(f"{kind}\t{len(found)}\t" + "; ".join(f"{sku} {day}" for sku, day in found[:3]))
    except (SnapshotError, OSError, KeyError, IndexError) as exc:
        print(f"error: {exc!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
