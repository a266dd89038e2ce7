"""Rules R1–R7 of ``spec/price-observations.md``: one function per rule, each an Ibis table of findings.

Every rule carries its id, the article it encodes (the law texts are in
``research/data/laws-lawrefbook/部门规章/市场监督管理总局/``) and reads its thresholds from
:class:`AuditParams`, whose defaults are the spec's. A finding is a suspicion (涉嫌) for an officer to
review, never a verdict. Money stays integer fen until the output columns (``decimal(18, 2)``); the
ratio test of R3 is done in integers, never in floating point.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Final

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from tianping.core.errors import FieldError, ValidationFailed
from tianping.price_audit.episodes import (
    EPISODE_KEY,
    SERIES,
    AuditFrame,
    nearest_detail,
    runs,
    time_limit_label,
)

ORDER_56: Final = "《明码标价和禁止价格欺诈规定》"
ORDER_32: Final = "《规范促销行为暂行规定》"
LEGAL_WINDOW_DAYS: Final = 7  # 第十六条第二款 "进行价格比较前七日内": fixed by law, not a parameter

MONEY: Final = dt.Decimal(18, 2)
_WIDE: Final = dt.Decimal(20, 2)
_ONE_FEN: Final = Decimal("0.01")

OUTPUT_COLUMNS: Final = (
    "rule_id",
    "article",
    "platform",
    "shop_id",
    "sku_id",
    "episode_start",
    "observed_at",
    "strike_price",
    "price",
    "baseline_price",
    "window_start",
    "window_end",
    "evidence",
    "detail_zh",
)
SORT_COLUMNS: Final = ("rule_id", "platform", "shop_id", "sku_id", "episode_start", "observed_at")


def _param_error(name: str, message: str) -> ValidationFailed:
    return ValidationFailed("审计参数有误", errors=[FieldError(field=name, message=message)])


@dataclass(frozen=True)
class AuditParams:
    """Thresholds of the rules (spec defaults). Days are calendar days; the pair window is in minutes."""

    tolerance: Decimal = Decimal("0.00")
    history_start: date | None = None
    raise_window: int = 14
    raise_ratio: Decimal = Decimal("0.10")
    baseline_days: int = 60
    overrun_days: int = 1
    pair_window: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "tolerance", _decimal("tolerance", self.tolerance))
        object.__setattr__(self, "raise_ratio", _decimal("raise_ratio", self.raise_ratio))
        if self.tolerance < 0 or self.tolerance > Decimal("1000"):
            raise _param_error("tolerance", "容差应在 0 至 1000 元之间")
        if self.tolerance != self.tolerance.quantize(_ONE_FEN):
            raise _param_error("tolerance", "容差最多两位小数（到分）")
        if self.raise_ratio < 0 or self.raise_ratio > 10:
            raise _param_error("raise_ratio", "涨幅比例应在 0 至 10 之间（0.10 表示 10%）")
        if self.raise_ratio != self.raise_ratio.quantize(Decimal("0.0001")):
            raise _param_error("raise_ratio", "涨幅比例最多四位小数")
        for name, low, high in (
            ("raise_window", 1, 366),
            ("baseline_days", 1, 3660),
            ("overrun_days", 0, 3660),
            ("pair_window", 0, 1440),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise _param_error(name, f"应为 {low} 至 {high} 之间的整数")

    @property
    def tolerance_fen(self) -> int:
        return int(self.tolerance * 100)

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.raise_ratio)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tolerance": str(self.tolerance.quantize(_ONE_FEN)),
            "history_start": self.history_start.isoformat() if self.history_start else None,
            "raise_window": self.raise_window,
            "raise_ratio": str(self.raise_ratio),
            "baseline_days": self.baseline_days,
            "overrun_days": self.overrun_days,
            "pair_window": self.pair_window,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditParams:
        start = data.get("history_start")
        return cls(
            tolerance=Decimal(data["tolerance"]),
            history_start=date.fromisoformat(start) if start else None,
            raise_window=int(data["raise_window"]),
            raise_ratio=Decimal(data["raise_ratio"]),
            baseline_days=int(data["baseline_days"]),
            overrun_days=int(data["overrun_days"]),
            pair_window=int(data["pair_window"]),
        )


def _decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, float):
        raise _param_error(name, "请以文本或 Decimal 给出，不接受浮点数")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise _param_error(name, f"不是有效数字：{value!r}") from None
    if not result.is_finite():
        raise _param_error(name, f"不是有效数字：{value!r}")
    return result


# --- expression helpers ---------------------------------------------------------------------------


def yuan(fen: ir.IntegerValue | None) -> ir.DecimalValue:
    """Integer fen → exact ``decimal(18, 2)`` yuan (a decimal product, no floating point)."""
    if fen is None:
        return ibis.null().cast(MONEY)
    return (fen.cast(_WIDE) * ibis.literal(_ONE_FEN, type=_WIDE)).cast(MONEY)


def _template(text: str, **values: str | ir.Value) -> ir.StringValue:
    """The explanation of a finding: ``text`` with each ``{name}`` replaced by ``values[name]``.

    Python strings are pasted as they are; expressions become text in SQL (money as ``yuan``, dates as
    ISO ``YYYY-MM-DD``, counts as digits), so every engine writes the same sentence.
    """
    result: ir.StringValue = ibis.literal("")
    for literal, name, spec, conversion in string.Formatter().parse(text):
        if literal:
            result = result + literal
        if name is None:
            continue
        if spec or conversion:
            raise ValueError(f"no format specs in explanation templates: {{{name}}}")
        value = values[name]
        result = result + (value if isinstance(value, str) else value.cast("string"))
    return result


def _days_before(day: ir.DateValue, days: int) -> ir.DateValue:
    """The date ``days`` calendar days earlier.

    DuckDB answers ``date - INTERVAL`` with a midnight timestamp; the explicit round trip through a
    timestamp (which Ibis does not elide) pins a date on every engine, also where it is turned into text.
    """
    return (day - ibis.interval(days=days)).cast("timestamp").cast("date")


def _days_after(day: ir.DateValue, days: int) -> ir.DateValue:
    return (day + ibis.interval(days=days)).cast("timestamp").cast("date")


def _tx_words(evidence: str) -> tuple[str, str]:
    """How the text names the baseline: real transactions, or detail prices standing in for them."""
    if evidence == "transactions":
        return "成交价", "成交"
    return "成交价（以详情页标示价格代替）", "成交（以详情页标示价格代替）"


def _ratio_text(ratio: Fraction) -> str:
    percent = (Decimal(ratio.numerator) / Decimal(ratio.denominator) * 100).normalize()
    return f"{percent:f}%"


@dataclass(frozen=True)
class Rule:
    """A rule as data: its id, the article it encodes, a title, the parameters it reads, its builder."""

    id: str
    article: str
    title_zh: str
    parameters: tuple[str, ...]
    build: Callable[[AuditFrame, AuditParams], ir.Table] = field(repr=False)


def _finding(
    t: ir.Table,
    rule: Rule,
    frame: AuditFrame,
    *,
    episode_start: ir.DateValue,
    observed_at: ir.TimestampValue,
    strike_fen: ir.IntegerValue | None,
    price_fen: ir.IntegerValue,
    baseline_fen: ir.IntegerValue | None,
    window_start: ir.DateValue,
    window_end: ir.DateValue,
    detail_zh: ir.StringValue,
) -> ir.Table:
    return t.select(
        rule_id=ibis.literal(rule.id),
        article=ibis.literal(rule.article),
        platform=t.platform,
        shop_id=t.shop_id,
        sku_id=t.sku_id,
        episode_start=episode_start.cast("date"),
        observed_at=observed_at,
        strike_price=yuan(strike_fen),
        price=yuan(price_fen),
        baseline_price=yuan(baseline_fen),
        window_start=window_start.cast("date"),
        window_end=window_end.cast("date"),
        evidence=ibis.literal(frame.evidence),
        detail_zh=detail_zh,
    )


# --- R1, R2: the compared price against the 7-day transaction low (第十六条第二款, 第十七条第二款) ----


def _transactions_before_start(frame: AuditFrame) -> ir.Table:
    """Undetailed episodes with ``low7_fen`` (lowest transaction in D−7…D−1), ``last_day`` / ``last_fen``
    (the last transaction before D) and ``n_tx_days`` (days with a transaction before D)."""
    ep = frame.episodes.filter(frame.episodes.strike_label == "")
    txd = frame.transactions_daily
    tx = txd.select(
        t_platform=txd.platform,
        t_shop_id=txd.shop_id,
        t_sku_id=txd.sku_id,
        t_day=txd.day,
        t_min=txd.min_fen,
    )
    joined = ep.left_join(
        tx,
        [
            ep.platform == tx.t_platform,
            ep.shop_id == tx.t_shop_id,
            ep.sku_id == tx.t_sku_id,
            tx.t_day < ep.start_day,
        ],
    )
    summary = joined.group_by(ep.columns).aggregate(
        low7_fen=joined.t_min.min(where=joined.t_day >= _days_before(joined.start_day, LEGAL_WINDOW_DAYS)),
        last_day=joined.t_day.max(),
        n_tx_days=joined.t_day.count(),
    )
    last = txd.select(
        l_platform=txd.platform,
        l_shop_id=txd.shop_id,
        l_sku_id=txd.sku_id,
        l_day=txd.day,
        last_fen=txd.last_fen,
    )
    with_last = summary.left_join(
        last,
        [
            summary.platform == last.l_platform,
            summary.shop_id == last.l_shop_id,
            summary.sku_id == last.l_sku_id,
            summary.last_day == last.l_day,
        ],
    )
    return with_last.select(*summary.columns, "last_fen")


def rule_r1(frame: AuditFrame, params: AuditParams) -> ir.Table:
    """An undetailed compared price above the lowest transaction price of the 7-day window of D; with no
    transaction in the window, above the last transaction price before D."""
    t = _transactions_before_start(frame)
    tol = params.tolerance_fen
    in_window = t.low7_fen.notnull() & (t.strike_fen - t.low7_fen > tol)
    fallback = t.low7_fen.isnull() & t.last_fen.notnull() & (t.strike_fen - t.last_fen > tol)
    t = t.filter(in_window | fallback)
    price_word, sale_word = _tx_words(frame.evidence)
    d = t.start_day
    w_start, w_end = _days_before(d, LEGAL_WINDOW_DAYS), _days_before(d, 1)
    window_text = _template(
        "涉嫌虚构原价：自 {d} 起标示的被比较价格 ¥{strike} 高于比较前七日（{w_start} 至 {w_end}）内的"
        "最低{price_word} ¥{low}。",
        d=d,
        strike=yuan(t.strike_fen),
        w_start=w_start,
        w_end=w_end,
        price_word=price_word,
        low=yuan(t.low7_fen),
    )
    fallback_text = _template(
        "涉嫌虚构原价：自 {d} 起标示的被比较价格 ¥{strike} 高于比较前最后一次{price_word} ¥{last}"
        "（{last_day}；前七日 {w_start} 至 {w_end} 内无{sale_word}）。",
        d=d,
        strike=yuan(t.strike_fen),
        price_word=price_word,
        last=yuan(t.last_fen),
        last_day=t.last_day,
        w_start=w_start,
        w_end=w_end,
        sale_word=sale_word,
    )
    return _finding(
        t,
        R1,
        frame,
        episode_start=d,
        observed_at=t.observed_at,
        strike_fen=t.strike_fen,
        price_fen=t.price_fen,
        baseline_fen=t.low7_fen.coalesce(t.last_fen),
        window_start=w_start,
        window_end=w_end,
        detail_zh=ibis.ifelse(t.low7_fen.notnull(), window_text, fallback_text),
    )


def rule_r2(frame: AuditFrame, params: AuditParams) -> ir.Table:
    """An undetailed compared price with no transaction before D at all, the data covering D−7…D−1."""
    t = _transactions_before_start(frame)
    hs = ibis.literal(frame.history_start, type="date")
    t = t.filter((t.n_tx_days == 0) & (_days_before(t.start_day, LEGAL_WINDOW_DAYS) >= hs))
    _, sale_word = _tx_words(frame.evidence)
    d = t.start_day
    w_start, w_end = _days_before(d, LEGAL_WINDOW_DAYS), _days_before(d, 1)
    return _finding(
        t,
        R2,
        frame,
        episode_start=d,
        observed_at=t.observed_at,
        strike_fen=t.strike_fen,
        price_fen=t.price_fen,
        baseline_fen=None,
        window_start=w_start,
        window_end=w_end,
        detail_zh=_template(
            "涉嫌使用无依据的被比较价格：自 {d} 起标示被比较价格 ¥{strike}，但此前没有任何{sale_word}记录"
            "（数据自 {hs} 起，覆盖比较前七日 {w_start} 至 {w_end}）。",
            d=d,
            strike=yuan(t.strike_fen),
            sale_word=sale_word,
            hs=hs,
            w_start=w_start,
            w_end=w_end,
        ),
    )


def insufficient_history(frame: AuditFrame) -> ir.Table:
    """Undetailed episodes with no transaction before D whose 7-day window starts before the data."""
    t = _transactions_before_start(frame)
    hs = ibis.literal(frame.history_start, type="date")
    return t.filter((t.n_tx_days == 0) & (_days_before(t.start_day, LEGAL_WINDOW_DAYS) < hs))


# --- R3: 先涨后降 (第十七条第一款) ------------------------------------------------------------------------


def _shown_between(frame: AuditFrame, first_offset: int, last_offset: int) -> ir.Table:
    """Episodes joined with the shown prices of days D−first_offset … D−last_offset (first ≥ last)."""
    ep = frame.episodes
    s = frame.shown.select(
        s_platform=frame.shown.platform,
        s_shop_id=frame.shown.shop_id,
        s_sku_id=frame.shown.sku_id,
        s_day=frame.shown.day,
        s_fen=frame.shown.shown_fen,
    )
    return ep.join(
        s,
        [
            ep.platform == s.s_platform,
            ep.shop_id == s.s_shop_id,
            ep.sku_id == s.s_sku_id,
            s.s_day >= _days_before(ep.start_day, first_offset),
            s.s_day <= _days_before(ep.start_day, last_offset),
        ],
    )


def baseline_medians(frame: AuditFrame, params: AuditParams) -> ir.Table:
    """EPISODE_KEY + ``median_fen``: the median of the shown prices of the ``baseline_days`` days before
    D − ``raise_window``; an even count takes the mean of the two middle values, rounded half up to the fen.
    """
    first = params.raise_window + params.baseline_days
    j = _shown_between(frame, first, params.raise_window + 1)
    ranked = j.mutate(
        pos=ibis.row_number().over(ibis.window(group_by=EPISODE_KEY, order_by=j.s_fen)),
        n=j.s_fen.count().over(ibis.window(group_by=EPISODE_KEY)),
    )
    # 0-based ranks: the lower middle has 2·rank ∈ {n−1, n−2}, the upper 2·rank ∈ {n−1, n}.
    twice = ranked.pos * 2
    med = ranked.group_by(EPISODE_KEY).aggregate(
        lower=ranked.s_fen.max(where=(twice == ranked.n - 1) | (twice == ranked.n - 2)),
        upper=ranked.s_fen.max(where=(twice == ranked.n - 1) | (twice == ranked.n)),
    )
    # Halving a non-negative integer below 2**53 is exact, whatever the engine's division.
    return med.select(*EPISODE_KEY, median_fen=(med.lower + med.upper + 1) // 2)


def rule_r3(frame: AuditFrame, params: AuditParams) -> ir.Table:
    """先涨后降: P ≥ (1 + raise_ratio) × B, and a shown price ≥ P − tolerance in D − raise_window … D − 1."""
    med = baseline_medians(frame, params).rename(
        m_us="observed_us", m_platform="platform", m_shop_id="shop_id", m_sku_id="sku_id"
    )
    raised = _shown_between(frame, params.raise_window, 1)
    top = raised.group_by(EPISODE_KEY).aggregate(raise_max=raised.s_fen.max())
    top = top.rename(r_us="observed_us", r_platform="platform", r_shop_id="shop_id", r_sku_id="sku_id")
    ep = frame.episodes
    t = ep.join(
        med,
        [
            ep.platform == med.m_platform,
            ep.shop_id == med.m_shop_id,
            ep.sku_id == med.m_sku_id,
            ep.observed_us == med.m_us,
        ],
    )
    t = t.join(
        top,
        [
            t.platform == top.r_platform,
            t.shop_id == top.r_shop_id,
            t.sku_id == top.r_sku_id,
            t.observed_us == top.r_us,
        ],
    )
    ratio = params.ratio
    num, den = ratio.numerator, ratio.denominator
    t = t.filter(
        (t.strike_fen * den >= t.median_fen * (den + num))
        & (t.raise_max >= t.strike_fen - params.tolerance_fen)
    )
    d = t.start_day
    b_start = _days_before(d, params.raise_window + params.baseline_days)
    b_end = _days_before(d, params.raise_window + 1)
    return _finding(
        t,
        R3,
        frame,
        episode_start=d,
        observed_at=t.observed_at,
        strike_fen=t.strike_fen,
        price_fen=t.price_fen,
        baseline_fen=t.median_fen,
        window_start=b_start,
        window_end=b_end,
        detail_zh=_template(
            "涉嫌先涨后降：自 {d} 起以 ¥{strike} 作为被比较价格，较 {b_start} 至 {b_end} 标示价格的中位数"
            " ¥{median} 高出不少于 {ratio}，且 {r_start} 至 {r_end} 期间标示价格最高达 ¥{top}。",
            d=d,
            strike=yuan(t.strike_fen),
            b_start=b_start,
            b_end=b_end,
            median=yuan(t.median_fen),
            ratio=_ratio_text(ratio),
            r_start=_days_before(d, params.raise_window),
            r_end=_days_before(d, 1),
            top=yuan(t.raise_max),
        ),
    )


# --- R4, R5: time-limited promotions ---------------------------------------------------------------


def rule_r4(frame: AuditFrame, params: AuditParams) -> ir.Table:
    """A 限时 / 秒杀 / 倒计时 label without both promo_start and promo_end; one finding per run."""
    d = frame.detail
    marked = d.mutate(
        r4=time_limit_label(d.promo_label) & (d.promo_start_day.isnull() | d.promo_end_day.isnull())
    )
    t = runs(marked, "r4")
    return _finding(
        t,
        R4,
        frame,
        episode_start=t.day,
        observed_at=t.observed_at,
        strike_fen=t.strike_fen,
        price_fen=t.price_fen,
        baseline_fen=None,
        window_start=t.day,
        window_end=t.run_last_day,
        detail_zh=_template(
            "涉嫌未显著标明限时促销期限：详情页促销标签「{label}」未同时标明起止时间"
            "（{first} 至 {last} 连续 {n} 次观测）。",
            label=t.promo_label,
            first=t.day,
            last=t.run_last_day,
            n=t.run_obs,
        ),
    )


def rule_r5(frame: AuditFrame, params: AuditParams) -> ir.Table:
    """A time-limited price still offered more than ``overrun_days`` after the shown end, at or below the
    lowest daily shown price of the shown period; one finding per promotion, at its first late day."""
    d = frame.detail
    late = d.filter(
        time_limit_label(d.promo_label)
        & d.promo_start_day.notnull()
        & d.promo_end_day.notnull()
        & (d.day > _days_after(d.promo_end_day, params.overrun_days))
    )
    promo_key = [*SERIES, "promo_label", "promo_start_day", "promo_end_day"]
    periods = late.select(*promo_key).distinct()
    s = frame.shown.select(
        s_platform=frame.shown.platform,
        s_shop_id=frame.shown.shop_id,
        s_sku_id=frame.shown.sku_id,
        s_day=frame.shown.day,
        s_fen=frame.shown.shown_fen,
    )
    in_period = periods.join(
        s,
        [
            periods.platform == s.s_platform,
            periods.shop_id == s.s_shop_id,
            periods.sku_id == s.s_sku_id,
            s.s_day >= periods.promo_start_day,
            s.s_day <= periods.promo_end_day,
        ],
    )
    lows = in_period.group_by(promo_key).aggregate(low_fen=in_period.s_fen.min())
    candidates = late.join(lows, promo_key)
    candidates = candidates.filter(candidates.price_fen <= candidates.low_fen)
    firsts = candidates.group_by(promo_key).aggregate(first_us=candidates.observed_us.min())
    t = candidates.join(firsts, [*promo_key, candidates.observed_us == firsts.first_us])
    return _finding(
        t,
        R5,
        frame,
        episode_start=t.day,
        observed_at=t.observed_at,
        strike_fen=t.strike_fen,
        price_fen=t.price_fen,
        baseline_fen=t.low_fen,
        window_start=t.promo_start_day,
        window_end=t.promo_end_day,
        detail_zh=_template(
            "涉嫌虚假限时促销：「{label}」标明的促销期为 {start} 至 {end}，但 {day}（期满逾 {overrun} 天）"
            "仍以 ¥{price} 销售，不高于促销期内最低标示价格 ¥{low}。",
            label=t.promo_label,
            start=t.promo_start_day,
            end=t.promo_end_day,
            day=t.day,
            overrun=str(params.overrun_days),
            price=yuan(t.price_fen),
            low=yuan(t.low_fen),
        ),
    )


# --- R6, R7: one surface against the detail page ---------------------------------------------------


def _surface_against_detail(frame: AuditFrame, params: AuditParams, surface: str) -> ir.Table:
    rows = frame.observations.filter(frame.observations.surface == surface)
    paired = nearest_detail(rows, frame.detail, params.pair_window)
    tol = params.tolerance_fen
    if surface == "list":
        meets = paired.paired_fen - paired.price_fen > tol
    else:
        meets = paired.price_fen - paired.paired_fen > tol
    marked = paired.mutate(meets=paired.paired_fen.notnull() & meets.fill_null(False))
    return runs(marked, "meets")


def rule_r6(frame: AuditFrame, params: AuditParams) -> ir.Table:
    """A list (home page / search / feed) price lower than the nearest detail price; one finding per run."""
    t = _surface_against_detail(frame, params, "list")
    return _finding(
        t,
        R6,
        frame,
        episode_start=t.day,
        observed_at=t.observed_at,
        strike_fen=t.strike_fen,
        price_fen=t.price_fen,
        baseline_fen=t.paired_fen,
        window_start=t.day,
        window_end=t.run_last_day,
        detail_zh=_template(
            "涉嫌首页或列表价低于详情页价：列表价 ¥{price} 低于前后 {window} 分钟内的详情页价 ¥{paired}"
            "（{first} 至 {last} 连续 {n} 次观测）。",
            price=yuan(t.price_fen),
            window=str(params.pair_window),
            paired=yuan(t.paired_fen),
            first=t.day,
            last=t.run_last_day,
            n=t.run_obs,
        ),
    )


def rule_r7(frame: AuditFrame, params: AuditParams) -> ir.Table:
    """A checkout price higher than the nearest detail price; one finding per run."""
    t = _surface_against_detail(frame, params, "checkout")
    return _finding(
        t,
        R7,
        frame,
        episode_start=t.day,
        observed_at=t.observed_at,
        strike_fen=t.strike_fen,
        price_fen=t.price_fen,
        baseline_fen=t.paired_fen,
        window_start=t.day,
        window_end=t.run_last_day,
        detail_zh=_template(
            "涉嫌低价招徕、高价结算：结算页价 ¥{price} 高于前后 {window} 分钟内的详情页价 ¥{paired}"
            "（{first} 至 {last} 连续 {n} 次观测）。",
            price=yuan(t.price_fen),
            window=str(params.pair_window),
            paired=yuan(t.paired_fen),
            first=t.day,
            last=t.run_last_day,
            n=t.run_obs,
        ),
    )


R1 = Rule(
    "R1",
    f"{ORDER_56}第十六条第二款；{ORDER_32}第二十一条第二款",
    "划线价高于前七日最低成交价",
    ("tolerance",),
    rule_r1,
)
R2 = Rule("R2", f"{ORDER_56}第十七条第二款", "被比较价格无成交依据", ("history_start",), rule_r2)
R3 = Rule(
    "R3",
    f"{ORDER_56}第十七条第一款",
    "先涨后降",
    ("raise_window", "baseline_days", "raise_ratio", "tolerance"),
    rule_r3,
)
R4 = Rule(
    "R4", f"{ORDER_32}第二十条；{ORDER_56}第十九条第（四）项、第（六）项", "限时促销未标明期限", (), rule_r4
)
R5 = Rule("R5", f"{ORDER_56}第十九条第（三）项", "限时促销期满后仍按促销价销售", ("overrun_days",), rule_r5)
R6 = Rule(
    "R6",
    f"{ORDER_56}第二十条第一款第（一）项",
    "首页或列表价低于详情页价",
    ("pair_window", "tolerance"),
    rule_r6,
)
R7 = Rule("R7", f"{ORDER_56}第十九条第（二）项", "低价招徕、高价结算", ("pair_window", "tolerance"), rule_r7)
RULES: Final[tuple[Rule, ...]] = (R1, R2, R3, R4, R5, R6, R7)
RULES_BY_ID: Final = {r.id: r for r in RULES}


def all_findings(frame: AuditFrame, params: AuditParams, rules: tuple[Rule, ...] = RULES) -> ir.Table:
    """Every rule's findings in one table (the output columns, unsorted)."""
    tables = [rule.build(frame, params).select(*OUTPUT_COLUMNS) for rule in rules]
    return ibis.union(*tables, distinct=False)
