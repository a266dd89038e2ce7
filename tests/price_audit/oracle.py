"""A slow, obviously correct reading of ``spec/price-observations.md``, row by row, in plain Python.

It shares no code with ``tianping.price_audit``: it works on ``Decimal`` yuan and ``date`` objects,
loops over lists, and spells every rule out as the spec words it. The property tests assert that the
Ibis rules produce exactly its findings (every output column, in the same order).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
ORDER_56 = "《明码标价和禁止价格欺诈规定》"
ORDER_32 = "《规范促销行为暂行规定》"
ARTICLES = {
    "R1": f"{ORDER_56}第十六条第二款；{ORDER_32}第二十一条第二款",
    "R2": f"{ORDER_56}第十七条第二款",
    "R3": f"{ORDER_56}第十七条第一款",
    "R4": f"{ORDER_32}第二十条；{ORDER_56}第十九条第（四）项、第（六）项",
    "R5": f"{ORDER_56}第十九条第（三）项",
    "R6": f"{ORDER_56}第二十条第一款第（一）项",
    "R7": f"{ORDER_56}第十九条第（二）项",
}


@dataclass(frozen=True)
class Obs:
    platform: str
    shop_id: str
    sku_id: str
    observed_at: datetime  # naive = Asia/Shanghai
    price: Decimal
    strike_price: Decimal | None = None
    strike_label: str = ""
    promo_label: str = ""
    promo_start: date | None = None
    promo_end: date | None = None
    surface: str = "detail"

    @property
    def series(self) -> tuple[str, str, str]:
        return (self.platform, self.shop_id, self.sku_id)

    @property
    def instant(self) -> datetime:
        t = self.observed_at
        return (t if t.tzinfo else t.replace(tzinfo=SHANGHAI)).astimezone(UTC)

    @property
    def day(self) -> date:
        return self.instant.astimezone(SHANGHAI).date()


@dataclass(frozen=True)
class Tx:
    platform: str
    shop_id: str
    sku_id: str
    paid_at: datetime
    unit_price: Decimal

    @property
    def series(self) -> tuple[str, str, str]:
        return (self.platform, self.shop_id, self.sku_id)

    @property
    def instant(self) -> datetime:
        t = self.paid_at
        return (t if t.tzinfo else t.replace(tzinfo=SHANGHAI)).astimezone(UTC)

    @property
    def day(self) -> date:
        return self.instant.astimezone(SHANGHAI).date()


@dataclass(frozen=True)
class Params:
    tolerance: Decimal = Decimal("0")
    history_start: date | None = None
    raise_window: int = 14
    raise_ratio: Decimal = Decimal("0.10")
    baseline_days: int = 60
    overrun_days: int = 1
    pair_window: int = 10


def money(x: Decimal) -> str:
    return f"{x.quantize(CENT):.2f}"


def is_time_limited(label: str) -> bool:
    return "限时" in label or "秒杀" in label or "倒计时" in label


def audit(
    observations: list[Obs], transactions: list[Tx] | None, params: Params
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Findings (sorted as the spec says) and the counts of the summary line."""
    evidence = "proxy" if transactions is None else "transactions"
    if evidence == "transactions":
        price_word, sale_word = "成交价", "成交"
    else:
        price_word, sale_word = "成交价（以详情页标示价格代替）", "成交（以详情页标示价格代替）"
    tol = params.tolerance
    one_day = timedelta(days=1)

    # Duplicates: same series, instant and surface; the last one in input order is kept.
    last_index: dict[tuple[Any, ...], int] = {}
    for i, o in enumerate(observations):
        last_index[(o.series, o.instant, o.surface)] = i
    kept = [o for i, o in enumerate(observations) if last_index[(o.series, o.instant, o.surface)] == i]
    dropped = len(observations) - len(kept)

    history_start = params.history_start or min(o.day for o in observations)

    series_obs: dict[tuple[str, str, str], list[Obs]] = defaultdict(list)
    for o in kept:
        series_obs[o.series].append(o)

    findings: list[dict[str, Any]] = []
    episodes_total = 0
    insufficient = 0

    def finding(
        rule: str,
        o: Obs,
        start: date,
        strike: Decimal | None,
        baseline: Decimal | None,
        w_start: date | None,
        w_end: date | None,
        text: str,
    ) -> None:
        findings.append(
            {
                "rule_id": rule,
                "article": ARTICLES[rule],
                "platform": o.platform,
                "shop_id": o.shop_id,
                "sku_id": o.sku_id,
                "episode_start": start,
                "observed_at": o.instant,
                "strike_price": None if strike is None else strike.quantize(CENT),
                "price": o.price.quantize(CENT),
                "baseline_price": None if baseline is None else baseline.quantize(CENT),
                "window_start": w_start,
                "window_end": w_end,
                "evidence": evidence,
                "detail_zh": text,
            }
        )

    for series, rows in series_obs.items():
        rows.sort(key=lambda o: o.instant)
        detail = [o for o in rows if o.surface == "detail"]

        # Shown price of a day: the price of the last detail observation of that day.
        shown: dict[date, Decimal] = {}
        for o in detail:
            shown[o.day] = o.price  # rows are in time order, so the last one wins

        # Transactions: the file's, or every detail observation at its shown price.
        if transactions is None:
            txs = [(o.instant, o.day, o.price) for o in detail]
        else:
            txs = [(t.instant, t.day, t.unit_price) for t in transactions if t.series == series]

        # Comparison episodes.
        episodes: list[Obs] = []
        previous: Obs | None = None
        for o in detail:
            if o.strike_price is not None and (
                previous is None
                or previous.strike_price is None
                or previous.strike_price != o.strike_price
                or previous.strike_label != o.strike_label
            ):
                episodes.append(o)
            previous = o
        episodes_total += len(episodes)

        for e in episodes:
            d = e.day
            strike = e.strike_price
            assert strike is not None
            w_start, w_end = d - 7 * one_day, d - one_day
            # R1 / R2
            if e.strike_label == "":
                before = [t for t in txs if t[1] < d]
                window = [t for t in before if t[1] >= w_start]
                if window:
                    low = min(t[2] for t in window)
                    if strike - low > tol:
                        finding(
                            "R1",
                            e,
                            d,
                            strike,
                            low,
                            w_start,
                            w_end,
                            f"涉嫌虚构原价：自 {d} 起标示的被比较价格 ¥{money(strike)} 高于比较前七日"
                            f"（{w_start} 至 {w_end}）内的最低{price_word} ¥{money(low)}。",
                        )
                elif before:
                    last_instant = max(t[0] for t in before)
                    last = max(t[2] for t in before if t[0] == last_instant)
                    last_day = max(t[1] for t in before)
                    if strike - last > tol:
                        finding(
                            "R1",
                            e,
                            d,
                            strike,
                            last,
                            w_start,
                            w_end,
                            f"涉嫌虚构原价：自 {d} 起标示的被比较价格 ¥{money(strike)} 高于比较前最后一次"
                            f"{price_word} ¥{money(last)}（{last_day}；前七日 {w_start} 至 {w_end} 内无"
                            f"{sale_word}）。",
                        )
                elif d - 7 * one_day >= history_start:
                    finding(
                        "R2",
                        e,
                        d,
                        strike,
                        None,
                        w_start,
                        w_end,
                        f"涉嫌使用无依据的被比较价格：自 {d} 起标示被比较价格 ¥{money(strike)}，但此前没有"
                        f"任何{sale_word}记录（数据自 {history_start} 起，覆盖比较前七日 {w_start} 至 "
                        f"{w_end}）。",
                    )
                else:
                    insufficient += 1
            # R3
            rw, bd = params.raise_window, params.baseline_days
            b_start, b_end = d - (rw + bd) * one_day, d - (rw + 1) * one_day
            values = sorted(p for day, p in shown.items() if b_start <= day <= b_end)
            if values:
                n = len(values)
                if n % 2 == 1:
                    median = values[n // 2]
                else:
                    median = ((values[n // 2 - 1] + values[n // 2]) / 2).quantize(CENT, ROUND_HALF_UP)
                raised = [p for day, p in shown.items() if d - rw * one_day <= day <= d - one_day]
                if strike >= (1 + params.raise_ratio) * median and any(p >= strike - tol for p in raised):
                    pct = f"{(params.raise_ratio * 100).normalize():f}%"
                    finding(
                        "R3",
                        e,
                        d,
                        strike,
                        median,
                        b_start,
                        b_end,
                        f"涉嫌先涨后降：自 {d} 起以 ¥{money(strike)} 作为被比较价格，较 {b_start} 至 {b_end} "
                        f"标示价格的中位数 ¥{money(median)} 高出不少于 {pct}，且 {d - rw * one_day} 至 "
                        f"{d - one_day} 期间标示价格最高达 ¥{money(max(raised))}。",
                    )

        # R4: runs of detail observations with a time-limit label lacking promo_start or promo_end.
        def runs(items: list[Obs], meets: list[bool]) -> list[list[int]]:
            out: list[list[int]] = []
            current: list[int] = []
            for i, ok in enumerate(meets):
                if ok:
                    current.append(i)
                elif current:
                    out.append(current)
                    current = []
            if current:
                out.append(current)
            return out

        r4 = [
            is_time_limited(o.promo_label) and (o.promo_start is None or o.promo_end is None) for o in detail
        ]
        for run in runs(detail, r4):
            first, last = detail[run[0]], detail[run[-1]]
            finding(
                "R4",
                first,
                first.day,
                first.strike_price,
                None,
                first.day,
                last.day,
                f"涉嫌未显著标明限时促销期限：详情页促销标签「{first.promo_label}」未同时标明起止时间"
                f"（{first.day} 至 {last.day} 连续 {len(run)} 次观测）。",
            )

        # R5: late time-limited sales at or below the period's lowest daily shown price.
        first_late: dict[tuple[Any, ...], tuple[Obs, Decimal]] = {}
        for o in detail:
            if not is_time_limited(o.promo_label) or o.promo_start is None or o.promo_end is None:
                continue
            if (o.day - o.promo_end).days <= params.overrun_days:
                continue
            period = [p for day, p in shown.items() if o.promo_start <= day <= o.promo_end]
            if not period:
                continue
            low = min(period)
            key = (o.promo_label, o.promo_start, o.promo_end)
            if o.price <= low and key not in first_late:
                first_late[key] = (o, low)
        for (label, start, end), (o, low) in first_late.items():
            finding(
                "R5",
                o,
                o.day,
                o.strike_price,
                low,
                start,
                end,
                f"涉嫌虚假限时促销：「{label}」标明的促销期为 {start} 至 {end}，但 {o.day}（期满逾 "
                f"{params.overrun_days} 天）仍以 ¥{money(o.price)} 销售，不高于促销期内最低标示价格 "
                f"¥{money(low)}。",
            )

        # R6 / R7: list and checkout observations against the nearest detail observation.
        window = timedelta(minutes=params.pair_window)
        for surface, rule in (("list", "R6"), ("checkout", "R7")):
            items = [o for o in rows if o.surface == surface]
            pairs: list[Decimal | None] = []
            for o in items:
                near = [dd for dd in detail if abs(dd.instant - o.instant) <= window]
                near.sort(key=lambda dd: (abs(dd.instant - o.instant), dd.instant))
                pairs.append(near[0].price if near else None)
            if rule == "R6":
                meets = [p is not None and p - o.price > tol for o, p in zip(items, pairs, strict=True)]
            else:
                meets = [p is not None and o.price - p > tol for o, p in zip(items, pairs, strict=True)]
            for run in runs(items, meets):
                first, last = items[run[0]], items[run[-1]]
                paired = pairs[run[0]]
                assert paired is not None
                if rule == "R6":
                    text = (
                        f"涉嫌首页或列表价低于详情页价：列表价 ¥{money(first.price)} 低于前后 "
                        f"{params.pair_window} 分钟内的详情页价 ¥{money(paired)}（{first.day} 至 {last.day} "
                        f"连续 {len(run)} 次观测）。"
                    )
                else:
                    text = (
                        f"涉嫌低价招徕、高价结算：结算页价 ¥{money(first.price)} 高于前后 "
                        f"{params.pair_window} 分钟内的详情页价 ¥{money(paired)}（{first.day} 至 {last.day} "
                        f"连续 {len(run)} 次观测）。"
                    )
                finding(rule, first, first.day, first.strike_price, paired, first.day, last.day, text)

    findings.sort(
        key=lambda f: (
            f["rule_id"],
            f["platform"],
            f["shop_id"],
            f["sku_id"],
            f["episode_start"],
            f["observed_at"],
        )
    )
    counts = {
        "observations": len(observations),
        "duplicates_dropped": dropped,
        "episodes": episodes_total,
        "insufficient_history": insufficient,
    }
    return findings, counts
