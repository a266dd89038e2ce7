"""Synthetic price observations with PLANTED violations of R1–R7, for the price-audit benchmark.

``generate(out_dir, series=N, days=D, seed=S)`` writes ``observations.parquet`` (the spec's input
columns, typed: naive Asia/Shanghai timestamps, money as decimal text, ``date32`` promotion dates) in
chunks of series, so 100 million rows never sit in memory, and ``planted.parquet``: one row per planted
violation (``rule_id, platform, shop_id, sku_id, day``, the day being the ``episode_start`` the audit
must report). Everything is fictitious and a pure function of ``(series, days, seed, chunk_series)``.

Each series (platform, shop, SKU) has a base price and a noisy daily price (a change on ~15 % of days,
within ±2 % of the base). Every day has a morning ``detail`` observation, some days an evening one
(same price), a ``list`` card 3 minutes after the morning detail and a ``checkout`` 5 minutes after it
(both at the detail price). The days are cut into 30-day slots; in each slot one event (or none) is
placed at day ``30k + 18 + jitter(0..5)``. LEGAL events, on which no rule may fire:

* ``promo``: 3 days with a strike price equal to the lowest shown price of the 7 days before (第十六条
  第二款 satisfied), price −15 %, label 限时直降 with its period shown;
* ``msrp`` / ``detailed``: 5 days with a labelled strike price well above the price (exempt from R1/R2;
  never reached by the shown price, so no 先涨后降);
* ``flash``: 2 days of 秒杀 with both dates shown; ``everyday``: 7 days of 每日特价 (not a time limit).

PLANTED events (one finding each, by construction):

* R1: 3 days with an unlabelled strike price 3 % above the highest shown price of the 14 days before;
* R2 (slot 0 only, a new listing): the series has no observation before D and shows a strike price
  from its first day, D − 7 ≥ the history start;
* R3: the price is raised 30 % on the 10 days before D, then that raised level is the strike price;
  the 7-day low equals it, so R1 stays silent — exactly the 先涨后降 that R1 cannot see;
* R4: 2 days of 秒杀 without promotion dates; R5: 限时直降 with a 3-day period still labelled, at the
  promotion price, on the 3 days after the end (found on end + 2, the first day "more than one day"
  after it); R6: one list card 5 % below the detail price; R7: one checkout 5 % above it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

PLATFORMS: Final = ("yunshang", "jiyou", "beiwu", "xiaohe")  # fictitious platforms
SKUS_PER_SHOP: Final = 25
SLOT_DAYS: Final = 30
SLOT_EVENT_OFFSET: Final = 18
START_DAY: Final = date(2026, 3, 1)
_EPOCH_DAY: Final = (START_DAY - date(1970, 1, 1)).days
_DAY_US: Final = 86_400 * 1_000_000
_MIN_US: Final = 60 * 1_000_000

KINDS: Final = (
    ("none", 0.35),
    ("promo", 0.20),
    ("msrp", 0.08),
    ("detailed", 0.04),
    ("flash", 0.05),
    ("everyday", 0.04),
    ("R1", 0.04),
    ("R3", 0.04),
    ("R4", 0.04),
    ("R5", 0.04),
    ("R6", 0.04),
    ("R7", 0.04),
)
KIND_CODE: Final = {name: i for i, (name, _) in enumerate(KINDS)}
R2_SHARE: Final = 0.02
STRIKE_LABELS: Final = ("", "msrp", "detailed")
PROMO_LABELS: Final = ("", "限时直降", "秒杀", "每日特价")
SURFACES: Final = ("detail", "list", "checkout")

OBS_SCHEMA: Final = pa.schema(
    [
        pa.field("platform", pa.string()),
        pa.field("shop_id", pa.string()),
        pa.field("sku_id", pa.string()),
        pa.field("observed_at", pa.timestamp("us")),
        pa.field("price", pa.string()),
        pa.field("strike_price", pa.string()),
        pa.field("strike_label", pa.string()),
        pa.field("promo_label", pa.string()),
        pa.field("promo_start", pa.date32()),
        pa.field("promo_end", pa.date32()),
        pa.field("surface", pa.string()),
    ]
)
PLANTED_SCHEMA: Final = pa.schema(
    [
        pa.field("rule_id", pa.string()),
        pa.field("platform", pa.string()),
        pa.field("shop_id", pa.string()),
        pa.field("sku_id", pa.string()),
        pa.field("day", pa.date32()),
    ]
)


@dataclass(frozen=True)
class Generated:
    observations: Path
    planted: Path
    rows: int
    series: int
    days: int
    planted_count: int


def slots(days: int) -> int:
    """How many 30-day event slots fit (the last event touches day 30k + 28)."""
    return 0 if days < SLOT_DAYS - 1 else (days - (SLOT_DAYS - 1)) // SLOT_DAYS + 1


def series_names(first: int, count: int) -> tuple[list[str], list[str], list[str]]:
    g = range(first, first + count)
    platforms = [PLATFORMS[i % len(PLATFORMS)] for i in g]
    shops = [f"{PLATFORMS[i % len(PLATFORMS)]}-s{i // len(PLATFORMS) // SKUS_PER_SHOP:06d}" for i in g]
    skus = [f"sku{i:09d}" for i in g]
    return platforms, shops, skus


def _money(fen: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Money as plain decimal text (``946.81``), null where not ``valid``.

    Text, not ``decimal(12, 2)``: the columnar reader (``price_audit.columnar.money_fen``) sends Parquet
    decimals to the row-by-row reader (its ``decimal128(38, 2) × decimal(3, 0)`` product needs precision
    42), about ten times slower; text amounts take the fast path.
    """
    yuan = pa.array(fen // 100, pa.int64()).cast(pa.string())
    cents = pc.utf8_lpad(pa.array(fen % 100, pa.int64()).cast(pa.string()), width=2, padding="0")
    text = pc.binary_join_element_wise(yuan, cents, ".")
    if valid is None:
        return text
    return pc.if_else(pa.array(valid, pa.bool_()), text, pa.scalar(None, pa.string()))


def _dates(days: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array((days + _EPOCH_DAY).astype(np.int32), pa.int32(), mask=~valid).cast(pa.date32())


class _Chunk:
    """The day-by-series matrices of one chunk of series, with the events applied."""

    def __init__(self, rng: np.random.Generator, n: int, days: int) -> None:
        self.n, self.days = n, days
        self.rng = rng
        self.base = rng.integers(10, 2000, n).astype(np.int64) * 100 - rng.choice([0, 1, 10], n)
        change = rng.random((n, days)) < 0.15
        change[:, 0] = True
        bp = rng.integers(-200, 201, (n, days))
        held = np.maximum.accumulate(np.where(change, np.arange(days)[None, :], 0), axis=1)
        self.price = self.base[:, None] * (10_000 + np.take_along_axis(bp, held, axis=1)) // 10_000
        self.strike = np.full((n, days), -1, dtype=np.int64)
        self.slabel = np.zeros((n, days), dtype=np.int8)
        self.plabel = np.zeros((n, days), dtype=np.int8)
        self.pstart = np.full((n, days), -1, dtype=np.int32)
        self.pend = np.full((n, days), -1, dtype=np.int32)
        self.present = np.ones((n, days), dtype=bool)
        self.evening = rng.random((n, days)) < 0.2
        self.list_on = rng.random((n, days)) < 0.3
        self.checkout_on = rng.random((n, days)) < 0.15
        self.list_delta = np.zeros((n, days), dtype=np.int64)
        self.checkout_delta = np.zeros((n, days), dtype=np.int64)
        self.minute = rng.integers(0, 50, n).astype(np.int64)
        self.planted: list[tuple[str, np.ndarray, np.ndarray]] = []  # rule, rows, day

    def _span(self, r: np.ndarray, d: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Index arrays for days d+lo … d+hi−1 of rows r."""
        offsets = np.arange(lo, hi)
        return np.repeat(r[:, None], hi - lo, axis=1), d[:, None] + offsets[None, :]

    def apply(self, kind: str, r: np.ndarray, d: np.ndarray) -> None:
        if len(r) == 0:
            return
        p = self.price
        if kind == "promo":
            P = p[self._span(r, d, -7, 0)].min(axis=1)
            rows, cols = self._span(r, d, 0, 3)
            self.strike[rows, cols] = P[:, None]
            p[rows, cols] = (P * 85 // 100)[:, None]
            self.plabel[rows, cols] = 1
            self.pstart[rows, cols] = d[:, None]
            self.pend[rows, cols] = d[:, None] + 2
        elif kind in ("msrp", "detailed"):
            rows, cols = self._span(r, d, 0, 5)
            factor = 14 if kind == "msrp" else 13
            self.strike[rows, cols] = (self.base[r] * factor // 10)[:, None]
            self.slabel[rows, cols] = 1 if kind == "msrp" else 2
        elif kind == "flash":
            rows, cols = self._span(r, d, 0, 2)
            p[rows, cols] = p[rows, cols] * 90 // 100
            self.plabel[rows, cols] = 2
            self.pstart[rows, cols] = d[:, None]
            self.pend[rows, cols] = d[:, None] + 1
        elif kind == "everyday":
            rows, cols = self._span(r, d, 0, 7)
            p[rows, cols] = p[rows, cols] * 95 // 100
            self.plabel[rows, cols] = 3
        elif kind == "R1":
            high = p[self._span(r, d, -14, 0)].max(axis=1)
            P = (high * 103 + 99) // 100
            rows, cols = self._span(r, d, 0, 3)
            self.strike[rows, cols] = P[:, None]
            p[rows, cols] = (p[r, d - 1] * 90 // 100)[:, None]
            self.planted.append(("R1", r, d))
        elif kind == "R3":
            P = self.base[r] * 13 // 10
            p[self._span(r, d, -10, 0)] = P[:, None]
            rows, cols = self._span(r, d, 0, 3)
            self.strike[rows, cols] = P[:, None]
            p[rows, cols] = (self.base[r] * 95 // 100)[:, None]
            self.planted.append(("R3", r, d))
        elif kind == "R4":
            rows, cols = self._span(r, d, 0, 2)
            p[rows, cols] = p[rows, cols] * 90 // 100
            self.plabel[rows, cols] = 2
            self.planted.append(("R4", r, d))
        elif kind == "R5":
            promo = p[r, d] * 88 // 100
            rows, cols = self._span(r, d, 0, 6)
            p[rows, cols] = promo[:, None]
            self.plabel[rows, cols] = 1
            self.pstart[rows, cols] = d[:, None]
            self.pend[rows, cols] = d[:, None] + 2
            self.planted.append(("R5", r, d + 4))
        elif kind == "R6":
            self.list_on[r, d] = True
            self.list_on[r, d + 1] = True  # a fair card after it ends the run
            self.list_delta[r, d] = -np.maximum(100, p[r, d] // 20)
            self.planted.append(("R6", r, d))
        elif kind == "R7":
            self.checkout_on[r, d] = True
            self.checkout_on[r, d + 1] = True
            self.checkout_delta[r, d] = np.maximum(100, p[r, d] // 20)
            self.planted.append(("R7", r, d))
        else:  # pragma: no cover - a kind without an action
            raise ValueError(kind)

    def new_listing(self, r: np.ndarray, d: np.ndarray) -> None:
        """R2: no observation before D, an unlabelled strike price from the first day."""
        if len(r) == 0:
            return
        self.present[r[:, None], np.arange(self.days)[None, :]] &= np.arange(self.days)[None, :] >= d[:, None]
        rows, cols = self._span(r, d, 0, 3)
        self.strike[rows, cols] = (self.base[r] * 12 // 10)[:, None]
        self.planted.append(("R2", r, d))


def _build_chunk(rng: np.random.Generator, first: int, n: int, days: int) -> tuple[pa.Table, pa.Table]:
    c = _Chunk(rng, n, days)
    probabilities = np.array([w for _, w in KINDS])
    for k in range(slots(days)):
        kinds = rng.choice(len(KINDS), size=n, p=probabilities / probabilities.sum())
        day = SLOT_DAYS * k + SLOT_EVENT_OFFSET + rng.integers(0, 6, n)
        if k == 0:
            r2 = rng.random(n) < R2_SHARE
            kinds[r2] = -1
            c.new_listing(np.flatnonzero(r2), day[r2])
        for name, code in KIND_CODE.items():
            if name != "none":
                rows = np.flatnonzero(kinds == code)
                c.apply(name, rows, day[rows])

    platforms, shops, skus = series_names(first, n)
    names = (pa.array(platforms), pa.array(shops), pa.array(skus))
    tables = []
    day_us = (np.arange(days, dtype=np.int64) + _EPOCH_DAY) * _DAY_US
    for surface, mask, clock_min, delta in (
        ("detail", c.present, 10 * 60, None),
        ("detail", c.present & c.evening, 20 * 60, None),
        ("list", c.present & c.list_on, 10 * 60 + 3, c.list_delta),
        ("checkout", c.present & c.checkout_on, 10 * 60 + 5, c.checkout_delta),
    ):
        i, d = np.nonzero(mask)
        price = c.price[i, d] if delta is None else c.price[i, d] + delta[i, d]
        strike = c.strike[i, d]
        has_promo = c.pstart[i, d] >= 0
        idx = pa.array(i.astype(np.int64))
        columns = [
            names[0].take(idx),
            names[1].take(idx),
            names[2].take(idx),
            pa.array(day_us[d] + (clock_min + c.minute[i]) * _MIN_US, pa.int64()).cast(pa.timestamp("us")),
            _money(price),
            _money(np.maximum(strike, 0), strike >= 0),
            pa.array(STRIKE_LABELS).take(pa.array(c.slabel[i, d].astype(np.int64))),
            pa.array(PROMO_LABELS).take(pa.array(c.plabel[i, d].astype(np.int64))),
            _dates(c.pstart[i, d], has_promo),
            _dates(c.pend[i, d], has_promo),
            pa.array([surface] * 1, pa.string()).take(pa.array(np.zeros(len(i), dtype=np.int64))),
        ]
        tables.append(pa.Table.from_arrays(columns, schema=OBS_SCHEMA))
    planted_parts = []
    for rule, rows, d in c.planted:
        idx = pa.array(rows.astype(np.int64))
        planted_parts.append(
            pa.Table.from_arrays(
                [
                    pa.array([rule] * len(rows), pa.string()),
                    names[0].take(idx),
                    names[1].take(idx),
                    names[2].take(idx),
                    _dates(d.astype(np.int32), np.ones(len(d), dtype=bool)),
                ],
                schema=PLANTED_SCHEMA,
            )
        )
    planted = pa.concat_tables(planted_parts) if planted_parts else PLANTED_SCHEMA.empty_table()
    return pa.concat_tables(tables), planted


def generate(
    out_dir: Path,
    *,
    series: int,
    days: int,
    seed: int = 0,
    chunk_series: int = 10_000,
) -> Generated:
    """Write ``observations.parquet`` and ``planted.parquet`` into ``out_dir`` (replacing them)."""
    if days < SLOT_DAYS - 1:
        raise ValueError(f"days must be at least {SLOT_DAYS - 1} (one event slot)")
    out_dir.mkdir(parents=True, exist_ok=True)
    obs_path, planted_path = out_dir / "observations.parquet", out_dir / "planted.parquet"
    tmp_obs = out_dir / "observations.parquet.partial"
    rows = 0
    planted_tables = []
    with pq.ParquetWriter(tmp_obs, OBS_SCHEMA, compression="zstd") as writer:
        for chunk, first in enumerate(range(0, series, chunk_series)):
            n = min(chunk_series, series - first)
            rng = np.random.default_rng([seed, chunk])
            table, planted = _build_chunk(rng, first, n, days)
            writer.write_table(table, row_group_size=1 << 20)
            rows += table.num_rows
            planted_tables.append(planted)
    shutil.move(tmp_obs, obs_path)
    planted_all = pa.concat_tables(planted_tables)
    pq.write_table(planted_all, planted_path)
    return Generated(obs_path, planted_path, rows, series, days, planted_all.num_rows)


def planted_keys(path: Path) -> set[tuple[str, str, str, str, date]]:
    """The manifest as a set of ``(rule_id, platform, shop_id, sku_id, day)``."""
    t = pq.read_table(path)
    return set(
        zip(
            *(t.column(c).to_pylist() for c in ("rule_id", "platform", "shop_id", "sku_id", "day")),
            strict=True,
        )
    )


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    g = generate(Path(sys.argv[1]), series=int(sys.argv[2]), days=int(sys.argv[3]))
    print(g)
