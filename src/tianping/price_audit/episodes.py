"""Building blocks of the rules, as Ibis expressions that know nothing about the engine.

Everything here follows the definitions of ``spec/price-observations.md``:

* duplicates (same series, instant and surface) are dropped, the last in input order kept;
* the *shown price of a day* is the price of the day's last ``detail`` observation;
* a *comparison episode* is a maximal run of consecutive ``detail`` observations showing the same
  non-empty strike price with the same label; only its first observation (day D) matters to the rules;
* a *run* (R4, R6, R7) is a maximal sequence of consecutive observations of one surface that all meet
  a condition.

Baselines are computed at each episode start with an equi-join on the series plus a range filter on
the day and a group-by (anchors-pricing.md §8), not with a window over every row. Windows are used
only where order itself is the definition (episode and run boundaries, the rank of a median).
Money is integer fen throughout; days are Asia/Shanghai calendar dates stored with the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir

from tianping.price_audit.schemas import MICROS_PER_MINUTE, SERIES_KEY, TIME_LIMIT_WORDS

SERIES = list(SERIES_KEY)
#: An episode (or any first observation) is identified by its series and instant.
EPISODE_KEY = [*SERIES, "observed_us"]


@dataclass(frozen=True)
class AuditFrame:
    """The prepared inputs every rule reads."""

    observations: ir.Table  # deduplicated, every surface
    detail: ir.Table  # deduplicated detail observations
    shown: ir.Table  # platform, shop_id, sku_id, day, shown_fen: the shown price of each day
    episodes: ir.Table  # the first observation of each comparison episode (start_day = D)
    transactions_daily: ir.Table  # platform, shop_id, sku_id, day, min_fen, last_fen
    evidence: str  # "transactions" or "proxy"
    history_start: date


def deduplicate(raw: ir.Table) -> ir.Table:
    """Drop duplicates (same series, instant and surface); the last in input order (max ``seq``) stays."""
    last = raw.group_by([*SERIES, "observed_us", "surface"]).aggregate(keep_seq=raw.seq.max())
    keep = last.select(seq=last.keep_seq)
    return raw.join(keep, "seq").select(*raw.columns)


def detail_observations(observations: ir.Table) -> ir.Table:
    return observations.filter(observations.surface == "detail")


def shown_prices(detail: ir.Table) -> ir.Table:
    """The shown price of each day: the price of that day's last detail observation."""
    return detail.group_by([*SERIES, "day"]).aggregate(shown_fen=detail.price_fen.argmax(detail.observed_us))


def comparison_episodes(detail: ir.Table) -> ir.Table:
    """First observations of comparison episodes: a strike price differing from the previous detail row's."""
    order = ibis.window(group_by=SERIES, order_by=detail.observed_us)
    marked = detail.mutate(
        prev_strike=detail.strike_fen.lag().over(order),
        prev_label=detail.strike_label.lag().over(order),
    )
    starts = marked.filter(
        marked.strike_fen.notnull()
        & (
            marked.prev_strike.isnull()
            | (marked.prev_strike != marked.strike_fen)
            | (marked.prev_label != marked.strike_label)
        )
    )
    return starts.select(
        *SERIES,
        "observed_at",
        "observed_us",
        "price_fen",
        "strike_fen",
        "strike_label",
        start_day=starts.day,
    )


def transactions_daily(transactions: ir.Table) -> ir.Table:
    """Per series and day: the lowest transaction price and the price of the day's last transaction.

    ``transactions`` has ``platform, shop_id, sku_id, day, paid_us, price_fen``. Several transactions at
    the very last instant of a day are a tie the law does not settle; the highest of them is taken, so a
    compared price is only suspect when it exceeds every one of them.
    """
    daily = transactions.group_by([*SERIES, "day"]).aggregate(
        min_fen=transactions.price_fen.min(), last_us=transactions.paid_us.max()
    )
    at_last = transactions.join(daily, [*SERIES, "day", transactions.paid_us == daily.last_us])
    last_price = at_last.group_by([*SERIES, "day"]).aggregate(
        last_fen=at_last.price_fen.max(), min_fen=at_last.min_fen.max()
    )
    return last_price.select(*SERIES, "day", "min_fen", "last_fen")


def proxy_transactions(detail: ir.Table) -> ir.Table:
    """Without a transactions file every detail observation stands in for a sale at its shown price."""
    return detail.select(*SERIES, "day", paid_us=detail.observed_us, price_fen=detail.price_fen)


def time_limit_label(label: ir.StringValue) -> ir.BooleanValue:
    """The promotion label announces a time limit: it contains 限时, 秒杀 or 倒计时."""
    hit: ir.BooleanValue = label.contains(TIME_LIMIT_WORDS[0])
    for word in TIME_LIMIT_WORDS[1:]:
        hit = hit | label.contains(word)
    return hit


def runs(rows: ir.Table, condition: str) -> ir.Table:
    """First observation of each run of consecutive ``rows`` (one surface) meeting ``condition``.

    Adds ``run_last_day`` (day of the run's last observation) and ``run_obs`` (its length). A row that
    does not meet the condition ends the run; gaps in time do not.
    """
    order = ibis.cumulative_window(group_by=SERIES, order_by=rows.observed_us)
    numbered = rows.mutate(run_no=ibis.ifelse(rows[condition], 0, 1).sum().over(order))
    flagged = numbered.filter(numbered[condition])
    summary = flagged.group_by([*SERIES, "run_no"]).aggregate(
        run_first_us=flagged.observed_us.min(),
        run_last_day=flagged.day.max(),
        run_obs=flagged.count(),
    )
    firsts = flagged.join(summary, [*SERIES, "run_no", flagged.observed_us == summary.run_first_us])
    # An explicit column list: ``drop`` compiles to an EXCLUDE list in set order (unstable snapshots).
    return firsts.select(*[c for c in firsts.columns if c not in ("run_no", "run_first_us")])


def nearest_detail(rows: ir.Table, detail: ir.Table, window_minutes: int) -> ir.Table:
    """``rows`` plus ``paired_fen``: the price of the detail observation of the same series nearest in time
    within ``window_minutes`` (inclusive; on a tie the earlier one), or null when there is none.

    An equi-join on the series and a time bucket (the detail rows copied into the neighbouring buckets)
    followed by an exact filter on the distance, instead of comparing every pair of the series.
    """
    width = window_minutes + 1  # minutes; pairs within the window fall in the same or adjacent bucket
    window_us = window_minutes * MICROS_PER_MINUTE
    base = detail.select(
        d_platform=detail.platform,
        d_shop_id=detail.shop_id,
        d_sku_id=detail.sku_id,
        d_us=detail.observed_us,
        d_fen=detail.price_fen,
        d_bucket=detail.observed_min // width,
    )
    copies = ibis.union(
        *(base.mutate(pair_bucket=base.d_bucket + shift) for shift in (-1, 0, 1)), distinct=False
    )
    probe = rows.select(*SERIES, "observed_us", pair_bucket=rows.observed_min // width)
    joined = probe.join(
        copies,
        [
            probe.platform == copies.d_platform,
            probe.shop_id == copies.d_shop_id,
            probe.sku_id == copies.d_sku_id,
            probe.pair_bucket == copies.pair_bucket,
        ],
    )
    distance = (joined.d_us - joined.observed_us).abs()
    near = joined.filter(distance <= window_us)
    near = near.mutate(
        rank_key=(near.d_us - near.observed_us).abs() * 2 + ibis.ifelse(near.d_us > near.observed_us, 1, 0)
    )
    best = near.group_by(EPISODE_KEY).aggregate(paired_fen=near.d_fen.argmin(near.rank_key))
    best = best.select(
        b_platform=best.platform,
        b_shop_id=best.shop_id,
        b_sku_id=best.sku_id,
        b_us=best.observed_us,
        paired_fen=best.paired_fen,
    )
    paired = rows.left_join(
        best,
        [
            rows.platform == best.b_platform,
            rows.shop_id == best.b_shop_id,
            rows.sku_id == best.b_sku_id,
            rows.observed_us == best.b_us,
        ],
    )
    return paired.select(*rows.columns, "paired_fen")


def prepare(
    raw_observations: ir.Table,
    raw_transactions: ir.Table | None,
    history_start: date,
    *,
    materialise: Callable[[ir.Table], ir.Table] | None = None,
) -> AuditFrame:
    """Deduplicate, derive shown prices and episodes, and choose real or proxy transactions.

    ``materialise`` (e.g. ``Table.cache``) is applied to the intermediate tables every rule reads, so an
    engine computes them once instead of once per rule; the expressions stay the same without it.
    """
    keep = materialise or (lambda table: table)
    observations = keep(deduplicate(raw_observations))
    detail = detail_observations(observations)
    if raw_transactions is None:
        tx = proxy_transactions(detail)
        evidence = "proxy"
    else:
        tx = raw_transactions.select(*SERIES, "day", "paid_us", "price_fen")
        evidence = "transactions"
    return AuditFrame(
        observations=observations,
        detail=detail,
        shown=keep(shown_prices(detail)),
        episodes=keep(comparison_episodes(detail)),
        transactions_daily=keep(transactions_daily(tx)),
        evidence=evidence,
        history_start=history_start,
    )
