"""Helpers of the price-audit tests: writing inputs, a rich fixture dataset, random histories."""

from __future__ import annotations

import csv
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.price_audit.oracle import Obs, Params, Tx
from tianping.price_audit import AuditParams

OBS_HEADER = [
    "platform",
    "shop_id",
    "sku_id",
    "observed_at",
    "price",
    "strike_price",
    "strike_label",
    "promo_label",
    "promo_start",
    "promo_end",
    "surface",
    "title",
]
TX_HEADER = ["platform", "shop_id", "sku_id", "paid_at", "unit_price"]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.tzinfo is None else value.isoformat()
    return str(value)


def write_observations(path: Path, rows: list[Obs], *, money_style: list[str] | None = None) -> Path:
    """CSV of ``rows``; ``money_style`` may spell prices differently (``199`` vs ``199.00``) per row."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(OBS_HEADER)
        for i, o in enumerate(rows):
            style = money_style[i] if money_style else ""
            price = f"{o.price:{style}}" if style else str(o.price)
            writer.writerow(
                [
                    o.platform,
                    o.shop_id,
                    o.sku_id,
                    _text(o.observed_at),
                    price,
                    _text(o.strike_price),
                    o.strike_label,
                    o.promo_label,
                    _text(o.promo_start),
                    _text(o.promo_end),
                    "" if o.surface == "detail" and i % 2 else o.surface,
                    f"商品 {o.sku_id}",
                ]
            )
    return path


def write_transactions(path: Path, rows: list[Tx]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TX_HEADER)
        for t in rows:
            writer.writerow([t.platform, t.shop_id, t.sku_id, _text(t.paid_at), str(t.unit_price)])
    return path


def audit_params(p: Params) -> AuditParams:
    return AuditParams(
        tolerance=p.tolerance,
        history_start=p.history_start,
        raise_window=p.raise_window,
        raise_ratio=p.raise_ratio,
        baseline_days=p.baseline_days,
        overrun_days=p.overrun_days,
        pair_window=p.pair_window,
    )


# --- random histories -----------------------------------------------------------------------------

BASE_DAY = date(2025, 3, 1)
SERIES = [("tmall", "s1", "k1"), ("tmall", "s1", "k2"), ("jd", "s1", "k1"), ("jd", "店铺2", "规格A")]
PRICES = [Decimal(x) for x in ("0", "79.90", "80", "90", "99.99", "100", "110", "120", "150")]
STRIKES = [None, None, Decimal("100"), Decimal("120"), Decimal("120.00"), Decimal("150"), Decimal("199")]
STRIKE_LABELS = ["", "", "", "msrp", "detailed"]
PROMO_LABELS = ["", "", "限时直降", "秒杀价", "满300减30", "倒计时特惠"]
SURFACES = ["detail", "detail", "detail", "list", "list", "checkout"]
MINUTES = [0, 3, 5, 10, 11, 15, 20]
HOURS = [0, 9, 10, 23]


def _moment(day: int, hour: int, minute: int, aware: bool) -> datetime:
    naive = datetime(BASE_DAY.year, BASE_DAY.month, BASE_DAY.day, hour, minute) + timedelta(days=day)
    if not aware:
        return naive
    # The same Shanghai wall time written as UTC with an offset: exercises the day boundary.
    return (naive - timedelta(hours=8)).replace(tzinfo=UTC)


@st.composite
def observations(draw: st.DrawFn, max_rows: int = 40, span: int = 40) -> list[Obs]:
    n = draw(st.integers(min_value=1, max_value=max_rows))
    series = draw(st.lists(st.sampled_from(SERIES), min_size=1, max_size=3, unique=True))
    rows: list[Obs] = []
    for _ in range(n):
        platform, shop, sku = draw(st.sampled_from(series))
        day = draw(st.integers(min_value=0, max_value=span))
        promo_start = draw(st.none() | st.integers(min_value=-3, max_value=span))
        promo_len = draw(st.integers(min_value=-1, max_value=5))
        rows.append(
            Obs(
                platform=platform,
                shop_id=shop,
                sku_id=sku,
                observed_at=_moment(
                    day, draw(st.sampled_from(HOURS)), draw(st.sampled_from(MINUTES)), draw(st.booleans())
                ),
                price=draw(st.sampled_from(PRICES)),
                strike_price=draw(st.sampled_from(STRIKES)),
                strike_label=draw(st.sampled_from(STRIKE_LABELS)),
                promo_label=draw(st.sampled_from(PROMO_LABELS)),
                promo_start=None if promo_start is None else BASE_DAY + timedelta(days=promo_start),
                promo_end=(
                    None
                    if promo_start is None or draw(st.booleans())
                    else BASE_DAY + timedelta(days=promo_start + promo_len)
                ),
                surface=draw(st.sampled_from(SURFACES)),
            )
        )
    return rows


@st.composite
def transactions(draw: st.DrawFn, span: int = 40) -> list[Tx] | None:
    if draw(st.booleans()):
        return None
    n = draw(st.integers(min_value=0, max_value=15))
    rows = []
    for _ in range(n):
        platform, shop, sku = draw(st.sampled_from(SERIES))
        rows.append(
            Tx(
                platform=platform,
                shop_id=shop,
                sku_id=sku,
                paid_at=_moment(
                    draw(st.integers(min_value=-5, max_value=span)),
                    draw(st.sampled_from(HOURS)),
                    draw(st.sampled_from(MINUTES)),
                    draw(st.booleans()),
                ),
                unit_price=draw(st.sampled_from(PRICES)),
            )
        )
    return rows


@st.composite
def params(draw: st.DrawFn) -> Params:
    return Params(
        tolerance=draw(st.sampled_from([Decimal("0"), Decimal("0"), Decimal("0.01"), Decimal("10")])),
        history_start=draw(
            st.none() | st.sampled_from([BASE_DAY - timedelta(days=30), BASE_DAY + timedelta(days=5)])
        ),
        raise_window=draw(st.integers(min_value=1, max_value=6)),
        raise_ratio=draw(st.sampled_from([Decimal("0"), Decimal("0.10"), Decimal("0.2"), Decimal("0.125")])),
        baseline_days=draw(st.integers(min_value=1, max_value=12)),
        overrun_days=draw(st.integers(min_value=0, max_value=3)),
        pair_window=draw(st.sampled_from([0, 3, 5, 10])),
    )


def random_history(seed: int, rows: int = 400, span: int = 90) -> tuple[list[Obs], list[Tx] | None]:
    """A larger random dataset without hypothesis (for the engine-parity test)."""
    rng = random.Random(seed)
    obs: list[Obs] = []
    for _ in range(rows):
        platform, shop, sku = rng.choice(SERIES)
        start = rng.choice([None, rng.randint(-3, span)])
        obs.append(
            Obs(
                platform=platform,
                shop_id=shop,
                sku_id=sku,
                observed_at=_moment(
                    rng.randint(0, span), rng.choice(HOURS), rng.choice(MINUTES), rng.random() < 0.3
                ),
                price=rng.choice(PRICES),
                strike_price=rng.choice(STRIKES),
                strike_label=rng.choice(STRIKE_LABELS),
                promo_label=rng.choice(PROMO_LABELS),
                promo_start=None if start is None else BASE_DAY + timedelta(days=start),
                promo_end=None
                if start is None or rng.random() < 0.3
                else BASE_DAY + timedelta(days=start + 3),
                surface=rng.choice(SURFACES),
            )
        )
    if seed % 2:
        return obs, None
    tx = [
        Tx(
            p,
            s,
            k,
            _moment(rng.randint(-10, span), rng.choice(HOURS), rng.choice(MINUTES), False),
            rng.choice(PRICES),
        )
        for p, s, k in (rng.choice(SERIES) for _ in range(rows // 4))
    ]
    return obs, tx


# --- a hand-made dataset in which every rule fires --------------------------------------------------


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def rich_history() -> tuple[list[Obs], list[Tx]]:
    """Five series; without transactions R1–R7 all fire, with ``tx`` R1 falls back to the last sale."""
    d0 = date(2025, 4, 1)
    obs: list[Obs] = []
    a = ("tmall", "旗舰店", "A-红色-XL")
    for i in range(61):  # 04-01 … 05-31: 100, raised to 150 for 05-20 … 05-26
        day = d0 + timedelta(days=i)
        price = Decimal("150") if date(2025, 5, 20) <= day <= date(2025, 5, 26) else Decimal("100")
        obs.append(Obs(*a, _at(day), price))
    # 06-01: "was ¥150" — above the 7-day low (R1) and a level raised shortly before (R3).
    obs.append(Obs(*a, _at(date(2025, 6, 1)), Decimal("120"), Decimal("150.00")))
    obs.append(Obs(*a, _at(date(2025, 6, 2)), Decimal("120"), Decimal("150")))  # same episode
    obs.append(Obs(*a, _at(date(2025, 6, 2)), Decimal("119"), Decimal("150")))  # a duplicate: this one stays
    b = ("tmall", "旗舰店", "B-蓝色")
    obs.append(Obs(*b, _at(date(2025, 6, 1), 9), Decimal("99"), Decimal("199")))  # nothing ever sold: R2
    c = ("jd", "自营", "C-1")
    obs.append(Obs(*c, _at(date(2025, 5, 1)), Decimal("60"), Decimal("80"), "msrp"))
    for i in range(3):  # 限时 without an end date: one R4 run of three observations
        obs.append(Obs(*c, _at(date(2025, 5, 2 + i)), Decimal("55"), None, "", "限时直降", date(2025, 5, 2)))
    obs.append(Obs(*c, _at(date(2025, 5, 5)), Decimal("58")))
    for i in range(3):  # 秒杀 06-01 … 06-03 at 50, still at 50 on 06-06 and 06-07: one R5
        obs.append(
            Obs(
                *c,
                _at(date(2025, 6, 1 + i)),
                Decimal("50"),
                None,
                "",
                "秒杀",
                date(2025, 6, 1),
                date(2025, 6, 3),
            )
        )
    for day in (date(2025, 6, 4), date(2025, 6, 6), date(2025, 6, 7)):
        obs.append(Obs(*c, _at(day), Decimal("50"), None, "", "秒杀", date(2025, 6, 1), date(2025, 6, 3)))
    d = ("pdd", "店铺9", "D-2")
    obs.append(Obs(*d, _at(date(2025, 6, 1), 12, 0), Decimal("88")))
    obs.append(Obs(*d, _at(date(2025, 6, 1), 12, 4), Decimal("79"), surface="list"))  # R6
    obs.append(Obs(*d, _at(date(2025, 6, 1), 12, 6), Decimal("79"), surface="list"))  # same run
    obs.append(Obs(*d, _at(date(2025, 6, 1), 12, 8), Decimal("95"), surface="checkout"))  # R7
    # An instant given in UTC: 2025-06-01T16:30Z is 06-02 00:30 in Shanghai.
    obs.append(Obs(*d, datetime(2025, 6, 1, 16, 30, tzinfo=UTC), Decimal("88")))
    obs.append(Obs(*d, datetime(2025, 6, 1, 16, 35, tzinfo=UTC), Decimal("99"), surface="checkout"))  # R7
    tx = [
        Tx(*a, _at(date(2025, 5, 10), 20), Decimal("100")),  # before the 7-day window: R1 falls back to it
        Tx(*a, _at(date(2025, 5, 10), 20), Decimal("98")),  # a tie at the last instant: the higher counts
        Tx(*c, _at(date(2025, 5, 30)), Decimal("50")),
    ]
    return obs, tx
