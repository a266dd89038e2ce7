"""The officers' view of a finished audit run: filtered findings, a per-shop summary, one finding with
the observations of its series (for the price timeline).

Findings are an Arrow table (``findings.parquet`` of the run, sorted as the spec says); a finding's id
is its row number in that file, stable because a finished run is never rewritten. Filters and
summaries are vectorised Arrow compute (``pyarrow.compute``, Acero joins and group-bys): a million
findings filter in tens of milliseconds, with no Python loop over rows. Only the few hundred
observations of one series are handled row by row (for the chart).

The observation input has no category column (``spec/price-observations.md``), so the "category"
filter matches a keyword in the SKU's product title (``title``), taken from the run's inputs.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from tianping.core.authz import Actor, Perm, Role
from tianping.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from tianping.price_audit.rules import RULES_BY_ID, Rule
from tianping.price_audit.schemas import AUDIT_ZONE
from tianping.price_audit.service import AuditRun, load_manifest, load_run, runs_dir

FINDING_ID: Final = "finding_id"
PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 500
TITLES_FILE: Final = "series_titles.parquet"
KEY_SEP: Final = "\x1f"
SERIES_COLUMNS: Final = ("platform", "shop_id", "sku_id")
#: Rules whose finding compares two prices a buyer could have paid (R6: list vs detail, R7: checkout vs
#: detail): only they give a per-transaction over-payment (see :data:`OVERPAYMENT_DEFINITION_ZH`).
OVERPAYMENT_RULES: Final = ("R6", "R7")

OVERPAYMENT_DEFINITION_ZH: Final = (
    "估算多付金额 = Σ（发现所涉时段内该 SKU 每一笔实际成交的成交单价 − 参考价，只计高于参考价的部分）。"
    "只计 R6、R7 两类发现：R6 的参考价为首页/列表页标示的较低价格（消费者被其吸引，却按详情页价格成交），"
    "R7 的参考价为详情页标示价格（结算价高于详情页价）；时段为该发现连续违规观测的首日至末日（含）。"
    "同一笔成交落入多条发现时只计一次，取差额最大者。虚构原价、先涨后降等规则涉及被比较价格而非实付金额，不计入。"
    "仅当审计运行读入了成交数据（--transactions 或观测库中的成交记录）时计算；"
    "以详情页价格代替成交的运行不估算。"
)

#: A plain-Chinese explanation of each rule, for officers and for the case file.
RULE_EXPLANATIONS: Final[dict[str, str]] = {
    "R1": (
        "商品标示了划线价（被比较价格），但没有说明它是什么价格。法规要求这种情况下划线价不得高于本店"
        "开始比价前七日内的最低成交价格；七日内没有成交的，不得高于此前最后一次成交价格。这里的划线价高于该价格，"
        "消费者看到的“优惠幅度”被夸大。"
    ),
    "R2": (
        "商品标示了划线价，但在开始比价之前从未按任何价格成交过（数据覆盖了比价前的整整七日），"
        "划线价无从比较，属于以无依据的价格作为被比较价格。"
    ),
    "R3": (
        "先涨后降：在打折、降价之前不久，店铺把标示价格临时显著提高（比此前一段时间的价格中位数高出规定比例），"
        "随后又把提高后的价格作为划线价或折扣基准，“降价”其实只是回到原来的水平。"
    ),
    "R4": (
        "商品页面标示“限时”“秒杀”“倒计时”等限时促销字样，却没有同时标明促销的起止时间，"
        "消费者无法判断“限时”是否真实，属于误导性的价格标示。"
    ),
    "R5": (
        "限时促销已经结束一段时间，店铺仍在以不高于促销期的价格销售、并继续使用限时促销字样，"
        "说明“限时”并不真实，涉嫌虚假的折价、减价。"
    ),
    "R6": (
        "同一商品在首页、搜索或信息流等显著位置标示的价格，低于同一时间详情页面标示的价格，"
        "消费者被低价吸引点入后看到的却是更高的价格。"
    ),
    "R7": (
        "同一商品在结算页面的价格高于同一时间详情页面标示的价格：以详情页的低价吸引消费者，结算时却收取更高的价格。"
    ),
}

#: The shaded span of each rule on the timeline, after the 7-day window of R1–R3.
WINDOW_LABELS: Final[dict[str, str]] = {
    "R3": "基准期（计算中位数）",
    "R4": "未标明期限的限时促销",
    "R5": "标示的促销期",
    "R6": "列表价低于详情页价",
    "R7": "结算价高于详情页价",
}
EPISODE_RULES: Final = ("R1", "R2", "R3")
PAIR_RULES: Final = ("R6", "R7")
RAISE_LABEL: Final = "涨价期（比较前）"


#: Who may open audit runs: ``stats:read`` and one of these roles (the bureau's own staff).
READER_ROLES: Final = frozenset({Role.ADMIN, Role.OFFICER, Role.STATION_OFFICER})


def may_read(actor: Actor) -> bool:
    return actor.can(Perm.STATS_READ) and bool(actor.roles & READER_ROLES)


def check_access(actor: Actor) -> None:
    if not may_read(actor):
        raise PermissionDenied("价格审计结果仅限市场监管部门工作人员查看")


# --- filters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingFilter:
    """What an officer narrows the findings to; empty fields do not filter. Dates bound
    ``episode_start`` (the finding's date), both inclusive."""

    rule: str | None = None
    platform: str | None = None
    shop: str | None = None
    category: str | None = None  # a keyword of the product title (the input has no category column)
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        for name in ("rule", "platform", "shop", "category"):
            value = getattr(self, name)
            object.__setattr__(self, name, value.strip() or None if isinstance(value, str) else None)
        if self.rule is not None and self.rule not in RULES_BY_ID:
            raise ValidationFailed(
                "筛选条件有误", errors=[FieldError(field="rule", message=f"没有规则 {self.rule}")]
            )
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationFailed(
                "筛选条件有误", errors=[FieldError(field="date_to", message="结束日期不能早于开始日期")]
            )

    @property
    def active(self) -> bool:
        return any(v is not None for v in self.as_query().values())

    def as_query(self) -> dict[str, str]:
        """The filter as URL query parameters (only the set ones)."""
        values = {
            "rule": self.rule,
            "platform": self.platform,
            "shop": self.shop,
            "category": self.category,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class FindingsPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    page_size: int
    by_rule: dict[str, int]  # counts of the filtered findings per rule


@dataclass(frozen=True)
class ShopSummary:
    platform: str
    shop_id: str
    findings: int
    skus: int  # distinct SKUs with a finding
    by_rule: dict[str, int]
    overpayment: Decimal | None  # None: the run read no transactions (see OVERPAYMENT_DEFINITION_ZH)
    overpaid_transactions: int


@dataclass(frozen=True)
class Facets:
    platforms: list[str]
    shops: list[tuple[str, str]]  # (platform, shop_id)


# --- loading (cached: a finished run never changes) -----------------------------------------------

_CACHE_SIZE: Final = 2
_cache: dict[tuple[str, str, int], tuple[AuditRun, pa.Table]] = {}
_cache_lock = threading.Lock()


def open_run(run_id: str, *, home: Path | None = None) -> tuple[AuditRun, pa.Table]:
    """A finished run and its findings with a ``finding_id`` column (the row number); cached per
    process (a finished run is never rewritten: the key includes the file's modification time)."""
    manifest = load_manifest(run_id, home=home)
    path = runs_dir(home) / run_id / "findings.parquet"
    key = (str(path), manifest.get("finished_at") or "", path.stat().st_mtime_ns if path.exists() else 0)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    run = load_run(run_id, home=home)
    table = run.findings.append_column(FINDING_ID, pa.array(range(run.findings.num_rows), pa.int64()))
    with _cache_lock:
        while len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = (run, table)
    return run, table


def _key(table: pa.Table, columns: Sequence[str]) -> pa.Array:
    joined = pc.binary_join_element_wise(*(table.column(c) for c in columns), KEY_SEP)
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _series_key(table: pa.Table) -> pa.Array:
    return _key(table, SERIES_COLUMNS)


def _input_files(run: AuditRun, name: str) -> list[str] | None:
    """Parquet files of a run's input (``None``: none, or kept in PostgreSQL)."""
    record = run.manifest.get("inputs", {}).get(name)
    if not record or record.get("source") == "postgres":
        return None
    files = [f for f in record.get("files", []) if Path(f).exists()]
    return files or None


def series_titles(run: AuditRun) -> pa.Table:
    """(platform, shop_id, sku_id, title): the latest non-empty title of each series, computed once
    per run from its observation input and kept beside the findings (``series_titles.parquet``)."""
    path = run.run_dir / TITLES_FILE
    if path.exists():
        return pq.read_table(path)
    files = _input_files(run, "observations")
    schema = pa.schema([(c, pa.string()) for c in (*SERIES_COLUMNS, "title")])
    if files is None:
        return schema.empty_table()
    obs = ds.dataset(files, format="parquet").to_table(
        columns=[*SERIES_COLUMNS, "title", "seq"], filter=pc.field("title").is_valid()
    )
    titles = (
        obs.sort_by("seq")
        .group_by(list(SERIES_COLUMNS), use_threads=False)
        .aggregate([("title", "last")])
        .rename_columns([*SERIES_COLUMNS, "title"])
        .cast(schema)
    )
    tmp = path.with_name(path.name + ".partial")
    try:
        pq.write_table(titles, tmp)
        tmp.replace(path)
    except OSError:  # a read-only run directory: compute again next time
        tmp.unlink(missing_ok=True)
    return titles


def filter_findings(run: AuditRun, findings: pa.Table, flt: FindingFilter) -> pa.Table:
    """The findings matching ``flt``, in the run's order."""
    expr: pc.Expression | None = None

    def both(e: pc.Expression) -> None:
        nonlocal expr
        expr = e if expr is None else expr & e

    if flt.rule:
        both(pc.field("rule_id") == flt.rule)
    if flt.platform:
        both(pc.field("platform") == flt.platform)
    if flt.shop:
        both(pc.field("shop_id") == flt.shop)
    if flt.date_from:
        both(pc.field("episode_start") >= pa.scalar(flt.date_from, pa.date32()))
    if flt.date_to:
        both(pc.field("episode_start") <= pa.scalar(flt.date_to, pa.date32()))
    table = findings if expr is None else findings.filter(expr)
    if flt.category:
        titles = series_titles(run)
        hits = titles.filter(pc.match_substring(titles.column("title"), flt.category, ignore_case=True))
        table = table.filter(pc.is_in(_series_key(table), value_set=_series_key(hits)))
    return table


def facets(findings: pa.Table) -> Facets:
    """The platforms and shops that have findings (for the filter's choices)."""
    shops = (
        findings.group_by(["platform", "shop_id"])
        .aggregate([])
        .sort_by([("platform", "ascending"), ("shop_id", "ascending")])
    )
    platforms = pc.unique(findings.column("platform")).to_pylist()
    return Facets(
        platforms=sorted(str(p) for p in platforms),
        shops=list(
            zip(shops.column("platform").to_pylist(), shops.column("shop_id").to_pylist(), strict=True)
        ),
    )


def _by_rule(table: pa.Table) -> dict[str, int]:
    counts = table.group_by("rule_id").aggregate([("rule_id", "count")])
    found = dict(
        zip(counts.column("rule_id").to_pylist(), counts.column("rule_id_count").to_pylist(), strict=True)
    )
    return {rule_id: int(found.get(rule_id, 0)) for rule_id in RULES_BY_ID}


def findings_page(
    run: AuditRun, findings: pa.Table, flt: FindingFilter, *, page: int = 1, page_size: int = PAGE_SIZE
) -> FindingsPage:
    return paginate(filter_findings(run, findings, flt), page=page, page_size=page_size)


def paginate(table: pa.Table, *, page: int = 1, page_size: int = PAGE_SIZE) -> FindingsPage:
    """One page of already filtered findings (a page past the end shows the last one)."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            "分页参数有误", errors=[FieldError(field="page_size", message="应为 1 至 500")]
        )
    total = table.num_rows
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    rows = table.slice((page - 1) * page_size, page_size).to_pylist()
    return FindingsPage(
        rows=rows, total=total, page=page, pages=pages, page_size=page_size, by_rule=_by_rule(table)
    )


# --- per-shop summary -----------------------------------------------------------------------------


def _fen(column: pa.ChunkedArray | pa.Array) -> pa.Array | pa.ChunkedArray:
    """decimal(18, 2) yuan → int64 fen, exactly."""
    return pc.cast(pc.multiply(column, pa.scalar(100, pa.int64())), pa.int64())


def overpayment_by_shop(run: AuditRun, findings: pa.Table) -> pa.Table | None:
    """(platform, shop_id, overpaid_fen, overpaid_transactions) per shop, as defined in
    :data:`OVERPAYMENT_DEFINITION_ZH`; ``None`` when the run read no transactions."""
    files = _input_files(run, "transactions")
    if files is None:
        return None
    relevant = findings.filter(pc.is_in(findings.column("rule_id"), value_set=pa.array(OVERPAYMENT_RULES)))
    out_schema = pa.schema(
        [
            ("platform", pa.string()),
            ("shop_id", pa.string()),
            ("overpaid_fen", pa.int64()),
            ("overpaid_transactions", pa.int64()),
        ]
    )
    if relevant.num_rows == 0:
        return out_schema.empty_table()
    reference = pc.if_else(
        pc.equal(relevant.column("rule_id"), "R6"),
        _fen(relevant.column("price")),
        _fen(relevant.column("baseline_price")),
    )
    spans = pa.table(
        {
            "platform": relevant.column("platform"),
            "shop_id": relevant.column("shop_id"),
            "sku_id": relevant.column("sku_id"),
            "w_start": relevant.column("window_start"),
            "w_end": relevant.column("window_end"),
            "ref_fen": reference,
        }
    )
    keys = pc.unique(_series_key(spans))
    shops = pc.unique(spans.column("shop_id").combine_chunks())
    tx = ds.dataset(files, format="parquet").to_table(
        columns=[*SERIES_COLUMNS, "seq", "day", "price_fen"],
        filter=pc.field("shop_id").isin(shops),  # pushed into the scan: only these shops' rows are read
    )
    tx = tx.filter(pc.is_in(_series_key(tx), value_set=keys))
    if tx.num_rows == 0:
        return out_schema.empty_table()
    joined = tx.join(spans, keys=list(SERIES_COLUMNS), join_type="inner", use_threads=True)
    day, price = joined.column("day"), joined.column("price_fen")
    inside = pc.and_(
        pc.and_(pc.greater_equal(day, joined.column("w_start")), pc.less_equal(day, joined.column("w_end"))),
        pc.greater(price, joined.column("ref_fen")),
    )
    hits = joined.filter(inside)
    hits = hits.append_column("over_fen", pc.subtract(hits.column("price_fen"), hits.column("ref_fen")))
    per_tx = hits.group_by(["platform", "shop_id", "seq"]).aggregate([("over_fen", "max")])
    per_shop = per_tx.group_by(["platform", "shop_id"]).aggregate([("over_fen_max", "sum"), ("seq", "count")])
    return per_shop.rename_columns(["platform", "shop_id", "overpaid_fen", "overpaid_transactions"]).cast(
        out_schema
    )


def _per_shop_counts(findings: pa.Table) -> pa.Table:
    """(platform, shop_id, findings, skus) per shop. Shops and SKUs are dictionary-encoded first and
    the distinct (shop, SKU) pairs counted as integers: a string ``count_distinct`` per group is ~10×
    slower on a million findings."""
    shops = pc.dictionary_encode(_key(findings, ("platform", "shop_id")))
    skus = pc.dictionary_encode(findings.column("sku_id").combine_chunks())
    shop_code = shops.indices.cast(pa.int64())
    width = pa.scalar(max(1, len(skus.dictionary)), pa.int64())
    pairs = pc.unique(pc.add(pc.multiply(shop_code, width), skus.indices.cast(pa.int64())))
    n_findings = pa.table({"code": shop_code}).group_by("code").aggregate([("code", "count")])
    n_skus = pa.table({"code": pc.divide(pairs, width)}).group_by("code").aggregate([("code", "count")])
    counts = n_findings.rename_columns(["code", "findings"]).join(
        n_skus.rename_columns(["code", "skus"]), keys="code"
    )
    parts = pc.split_pattern(shops.dictionary.take(counts.column("code")), KEY_SEP)
    return pa.table(
        {
            "platform": pc.list_element(parts, 0),
            "shop_id": pc.list_element(parts, 1),
            "findings": counts.column("findings"),
            "skus": counts.column("skus"),
        }
    )


def shop_summaries(run: AuditRun, findings: pa.Table, *, limit: int = 100) -> tuple[list[ShopSummary], int]:
    """The shops of ``findings``, most findings first (at most ``limit``), and how many shops there are."""
    if findings.num_rows == 0:
        return [], 0
    per_shop = _per_shop_counts(findings)
    total_shops = per_shop.num_rows
    per_shop = per_shop.sort_by(
        [("findings", "descending"), ("platform", "ascending"), ("shop_id", "ascending")]
    ).slice(0, limit)
    chosen = _key(per_shop, ("platform", "shop_id"))
    mine = findings.filter(pc.is_in(_key(findings, ("platform", "shop_id")), value_set=chosen))
    rule_counts = (
        mine.group_by(["platform", "shop_id", "rule_id"]).aggregate([("rule_id", "count")]).to_pylist()
    )
    by_shop: dict[tuple[str, str], dict[str, int]] = {}
    for r in rule_counts:  # one row per (shop, rule): at most 7 × limit
        by_shop.setdefault((r["platform"], r["shop_id"]), {})[r["rule_id"]] = int(r["rule_id_count"])
    over = overpayment_by_shop(run, mine)
    paid: dict[tuple[str, str], tuple[int, int]] = {}
    if over is not None:
        for r in over.to_pylist():
            paid[(r["platform"], r["shop_id"])] = (int(r["overpaid_fen"]), int(r["overpaid_transactions"]))
    summaries = []
    for r in per_shop.to_pylist():
        key = (r["platform"], r["shop_id"])
        fen, n = paid.get(key, (0, 0))
        summaries.append(
            ShopSummary(
                platform=r["platform"],
                shop_id=r["shop_id"],
                findings=int(r["findings"]),
                skus=int(r["skus"]),
                by_rule=by_shop.get(key, {}),
                overpayment=None if over is None else (Decimal(fen) / 100).quantize(Decimal("0.01")),
                overpaid_transactions=n,
            )
        )
    return summaries, total_shops


# --- one finding and its series -------------------------------------------------------------------


def get_finding(findings: pa.Table, finding_id: int) -> dict[str, Any]:
    if not 0 <= finding_id < findings.num_rows:
        raise NotFound(f"没有编号为 {finding_id} 的发现")
    row: dict[str, Any] = findings.slice(finding_id, 1).to_pylist()[0]
    return row


def shop_findings(findings: pa.Table, shop_id: str, platform: str | None = None) -> pa.Table:
    table = findings.filter(pc.field("shop_id") == shop_id)
    if platform:
        table = table.filter(pc.field("platform") == platform)
    if table.num_rows == 0:
        raise NotFound(f"该审计运行中没有店铺 {shop_id} 的发现")
    return table


def _series_filter(platform: str, shop_id: str, sku_id: str, start: date, end: date) -> pc.Expression:
    return (
        (pc.field("platform") == platform)
        & (pc.field("shop_id") == shop_id)
        & (pc.field("sku_id") == sku_id)
        & (pc.field("day") >= pa.scalar(start, pa.date32()))
        & (pc.field("day") <= pa.scalar(end, pa.date32()))
    )


def series_observations(
    run: AuditRun, series: Sequence[tuple[str, str, str]], start: date, end: date
) -> list[dict[str, Any]]:
    """Observations of the given series on days ``start`` … ``end`` (Shanghai), duplicates dropped as the
    spec says (same instant and surface: the last in input order stays), ordered by series and time.
    Each row: platform, shop_id, sku_id, observed_at (aware, Shanghai), day, surface, price, strike_price
    (Decimal yuan or None), strike_label, promo_label, title."""
    files = _input_files(run, "observations")
    if files is None or not series:
        return []
    expr: pc.Expression | None = None
    for platform, shop_id, sku_id in series:
        one = _series_filter(platform, shop_id, sku_id, start, end)
        expr = one if expr is None else expr | one
    table = ds.dataset(files, format="parquet").to_table(
        columns=[
            *SERIES_COLUMNS,
            "seq",
            "observed_at",
            "day",
            "surface",
            "price_fen",
            "strike_fen",
            "strike_label",
            "promo_label",
            "title",
        ],
        filter=expr,
    )
    kept: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in table.sort_by("seq").to_pylist():  # one series' rows: hundreds, not millions
        kept[(row["platform"], row["shop_id"], row["sku_id"], row["observed_at"], row["surface"])] = row
    rows = sorted(kept.values(), key=lambda r: (r["platform"], r["shop_id"], r["sku_id"], r["observed_at"]))
    return [
        {
            "platform": r["platform"],
            "shop_id": r["shop_id"],
            "sku_id": r["sku_id"],
            "observed_at": r["observed_at"].astimezone(AUDIT_ZONE),
            "day": r["day"],
            "surface": r["surface"],
            "price": _yuan(r["price_fen"]),
            "strike_price": _yuan(r["strike_fen"]),
            "strike_label": r["strike_label"],
            "promo_label": r["promo_label"],
            "title": r["title"],
        }
        for r in rows
    ]


def series_transactions(
    run: AuditRun, platform: str, shop_id: str, sku_id: str, start: date, end: date
) -> list[dict[str, Any]]:
    """The run's transactions of one series on days ``start`` … ``end`` (none without a transaction input)."""
    files = _input_files(run, "transactions")
    if files is None:
        return []
    table = ds.dataset(files, format="parquet").to_table(
        columns=["paid_at", "day", "price_fen", "seq"],
        filter=_series_filter(platform, shop_id, sku_id, start, end),
    )
    return [
        {"paid_at": r["paid_at"].astimezone(AUDIT_ZONE), "day": r["day"], "price": _yuan(r["price_fen"])}
        for r in table.sort_by([("paid_at", "ascending"), ("seq", "ascending")]).to_pylist()
    ]


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Marker:
    label: str
    at: datetime  # Shanghai
    price: Decimal


@dataclass
class FindingDetail:
    """A finding as its page shows it: the rule, the explanation, the series around the episode and the
    spans and points the timeline marks."""

    finding_id: int
    finding: dict[str, Any]
    rule: Rule
    explanation: str
    chart_start: date
    chart_end: date
    observations: list[dict[str, Any]]
    transactions: list[dict[str, Any]]
    window: tuple[date, date] | None  # the 7-day window D−7 … D−1 (R1–R3)
    spans: list[tuple[str, date, date]] = field(
        default_factory=list
    )  # further shaded spans (label, first, last day)
    low: Marker | None = None  # the lowest price of the 7-day window (or the last sale before D)
    raise_point: Marker | None = None  # R3: the raised level shortly before D
    title: str | None = None


def _low_of_window(
    detail: FindingDetail, evidence: str, window: tuple[date, date], start_day: date
) -> Marker | None:
    """R1's baseline as a point: the lowest transaction of the window (earliest on a tie); with none in
    it, the last transaction before D. Without a transaction input, detail observations stand in."""
    if evidence == "transactions":
        points = [(t["paid_at"], t["price"], t["day"]) for t in detail.transactions]
        word = "成交"
    else:
        points = [
            (o["observed_at"], o["price"], o["day"]) for o in detail.observations if o["surface"] == "detail"
        ]
        word = "详情页价（代替成交）"
    inside = [p for p in points if window[0] <= p[2] <= window[1]]
    if inside:
        at, price, _ = min(inside, key=lambda p: (p[1], p[0]))
        return Marker(f"前七日最低{word} ¥{price}", at, price)
    before = [p for p in points if p[2] < start_day]
    if before:
        at, price, _ = max(before, key=lambda p: (p[0], p[1]))
        return Marker(f"七日内无{word}，此前最后一次 ¥{price}", at, price)
    return None


def finding_detail(
    run: AuditRun, findings: pa.Table, finding_id: int, *, margin_days: int = 14
) -> FindingDetail:
    f = get_finding(findings, finding_id)
    rule = RULES_BY_ID[f["rule_id"]]
    d: date = f["episode_start"]
    w_start: date = f["window_start"]
    w_end: date = f["window_end"]
    raise_window = int(run.manifest["params"]["raise_window"])
    window = (d - timedelta(days=7), d - timedelta(days=1)) if rule.id in EPISODE_RULES else None
    first = min(
        w_start, window[0] if window else d, d - timedelta(days=raise_window if rule.id == "R3" else 0)
    )
    # list/checkout pairs are minutes apart: a narrow view; day-scale rules get a week before and after
    before, after = (1, 1) if rule.id in PAIR_RULES else (7, margin_days)
    chart_start = first - timedelta(days=before)
    chart_end = max(w_end, d) + timedelta(days=after)
    key = (f["platform"], f["shop_id"], f["sku_id"])
    observations = series_observations(run, [key], chart_start, chart_end)
    detail = FindingDetail(
        finding_id=finding_id,
        finding=f,
        rule=rule,
        explanation=RULE_EXPLANATIONS[rule.id],
        chart_start=chart_start,
        chart_end=chart_end,
        observations=observations,
        transactions=series_transactions(run, *key, chart_start - timedelta(days=366), chart_end),
        window=window,
        title=next((o["title"] for o in reversed(observations) if o["title"]), None),
    )
    if rule.id in WINDOW_LABELS:
        detail.spans.append((WINDOW_LABELS[rule.id], w_start, w_end))
    if window is not None:
        detail.low = _low_of_window(detail, f["evidence"], window, d)
    if rule.id == "R3":
        raise_first = d - timedelta(days=raise_window)
        detail.spans.append((RAISE_LABEL, raise_first, d - timedelta(days=1)))
        raised = [o for o in observations if o["surface"] == "detail" and raise_first <= o["day"] < d]
        if raised:
            top = max(raised, key=lambda o: (o["price"], -o["observed_at"].timestamp()))
            detail.raise_point = Marker(f"比较前临时提价 ¥{top['price']}", top["observed_at"], top["price"])
    return detail
