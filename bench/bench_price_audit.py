"""Benchmark of the promotion price audit (issue 5) on generated data with planted violations.

    .venv/bin/python bench/bench_price_audit.py              # default run (~10M observations, < ~5 min)
    .venv/bin/python bench/bench_price_audit.py --quick      # smoke run (~1M observations)
    .venv/bin/python bench/bench_price_audit.py --huge       # + 100M observations out of core (long)

Data: ``bench/price_audit_gen.py`` (N SKUs × D days, fictitious, fixed seed; the manifest lists every
planted violation of R1–R7). One run prints:

1. generation and normalisation (the ``prices audit`` input check) times — not counted as audit;
2. the audit on DuckDB through the project's engine: R1+R2 only and the full rule set R1–R7 (the Ibis
   rules of ``tianping.price_audit.rules`` on ``analytics.connect("duckdb")`` over the normalised
   Parquet), observations/s; then the whole service (``price_audit.run_audit``: normalise, bucket,
   audit, write) for the same file, with recall/precision against the planted manifest;
3. a straightforward pandas implementation of the same rules (below: groupby / merge / merge_asof), its
   (rule, series, day) set asserted equal to the engine's on a small set, and its throughput on a
   subset of the same distribution (scaled honestly: both engines are timed on that subset too);
4. ``--huge``: 100M observations through ``run_audit`` with a DuckDB memory limit (spilling) and
   buckets, peak RSS of this process (``resource.getrusage``), every planted violation found.

Targets (2-core machine): R1+R2 ≥ 10M obs/s, full ≥ 3M obs/s, ≥ 20× pandas, 100M within 24 GiB.
Each prints PASS/FAIL; the exit status is 1 if any fails.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from price_audit_gen import generate, planted_keys
from tianping import analytics
from tianping.price_audit import run_audit
from tianping.price_audit.episodes import prepare
from tianping.price_audit.io import InputKind, normalise_file
from tianping.price_audit.rules import R1, R2, RULES, AuditParams, Rule, all_findings

R12_TARGET = 10_000_000
FULL_TARGET = 3_000_000
PANDAS_RATIO_TARGET = 20.0
MEMORY_LIMIT_GIB = 24.0
DAYS = 120
OBS_PER_SERIES = 197.5  # measured: ~1.65 observations per series and day over 120 days

Key = tuple[str, str, str, str, date]
_EPOCH = date(1970, 1, 1)


def peak_rss_gib() -> float:
    """Peak resident set size of this process and its waited-for children (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024**2


def finding_keys(findings: pa.Table) -> set[Key]:
    cols = ("rule_id", "platform", "shop_id", "sku_id", "episode_start")
    return set(zip(*(findings.column(c).to_pylist() for c in cols), strict=True))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- the engine, timed without generation ------------------------------------------------------------


def engine_audit(
    normalised: Path, rules: tuple[Rule, ...], temp: Path, memory_limit: str | None = None
) -> tuple[pa.Table, float]:
    """The project's Ibis rules on DuckDB over a normalised Parquet file; returns findings and seconds."""
    engine = analytics.connect("duckdb", temp_dir=temp, memory_limit=memory_limit)
    try:
        started = time.perf_counter()
        raw = analytics.register_parquet(engine, [normalised], "bench_obs")
        history_start = analytics.scalar(engine, raw.day.min())
        frame = prepare(raw, None, history_start)
        findings = analytics.to_arrow(engine, all_findings(frame, AuditParams(), rules))
        return findings, time.perf_counter() - started
    finally:
        engine.close()


# --- the pandas baseline -----------------------------------------------------------------------------


def _runs_first(rows: pd.DataFrame, cond: pd.Series) -> pd.DataFrame:
    """First row of each run of consecutive rows (per series, in time order) meeting ``cond``."""
    breaks = (~cond).astype(np.int64).groupby(rows["sid"]).cumsum()
    flagged = rows.assign(_run=breaks)[cond]
    return flagged.groupby(["sid", "_run"], sort=False).head(1)


def _nearest_detail(rows: pd.DataFrame, detail: pd.DataFrame, window_us: int) -> pd.Series:
    """Price of the nearest detail row of the same series within the window (tie: the earlier one)."""
    left = rows[["sid", "observed_us"]].reset_index().sort_values("observed_us", kind="stable")
    right = detail[["sid", "observed_us", "price_fen"]].sort_values("observed_us", kind="stable")
    right = right.assign(d_us=right["observed_us"])
    back = pd.merge_asof(
        left, right, on="observed_us", by="sid", direction="backward", tolerance=window_us
    ).set_index("index")
    fwd = pd.merge_asof(
        left, right, on="observed_us", by="sid", direction="forward", tolerance=window_us
    ).set_index("index")
    back, fwd = back.loc[rows.index], fwd.loc[rows.index]
    db = rows["observed_us"] - back["d_us"]
    df = fwd["d_us"] - rows["observed_us"]
    use_back = back["price_fen"].notna() & (fwd["price_fen"].isna() | (db <= df))
    return back["price_fen"].where(use_back, fwd["price_fen"])


def pandas_audit(normalised: Path, params: AuditParams) -> set[Key]:
    """R1–R7 (proxy transactions) in plain pandas, as a data analyst would write them."""
    t = pq.read_table(normalised)
    int_day = {
        name: pc.fill_null(t.column(name).cast(pa.int32()), -1).to_numpy()
        for name in ("day", "promo_start_day", "promo_end_day")
    }
    df = pd.DataFrame(
        {
            "platform": t.column("platform").to_numpy(zero_copy_only=False),
            "shop_id": t.column("shop_id").to_numpy(zero_copy_only=False),
            "sku_id": t.column("sku_id").to_numpy(zero_copy_only=False),
            "seq": t.column("seq").to_numpy(),
            "observed_us": t.column("observed_us").to_numpy(),
            "day": int_day["day"],
            "price_fen": t.column("price_fen").to_numpy(),
            "strike_fen": pc.fill_null(t.column("strike_fen"), -1).to_numpy(),
            "strike_label": t.column("strike_label").to_numpy(zero_copy_only=False),
            "promo_label": t.column("promo_label").to_numpy(zero_copy_only=False),
            "ps": int_day["promo_start_day"],
            "pe": int_day["promo_end_day"],
            "surface": t.column("surface").to_numpy(zero_copy_only=False),
        }
    )
    del t
    df["sid"] = df.groupby(["platform", "shop_id", "sku_id"], sort=False).ngroup()
    names = df.drop_duplicates("sid").set_index("sid")[["platform", "shop_id", "sku_id"]]
    df = df.sort_values("seq").drop_duplicates(["sid", "observed_us", "surface"], keep="last")
    df = df.sort_values(["sid", "observed_us"], kind="stable").reset_index(drop=True)
    history_start = (
        int(df["day"].min()) if params.history_start is None else (params.history_start - _EPOCH).days
    )
    tol = params.tolerance_fen
    found: list[pd.DataFrame] = []

    def add(rule: str, rows: pd.DataFrame, day: str) -> None:
        found.append(pd.DataFrame({"rule": rule, "sid": rows["sid"].to_numpy(), "day": rows[day].to_numpy()}))

    detail = df[df["surface"] == "detail"]
    shown = detail.groupby(["sid", "day"], sort=False)["price_fen"].last().rename("shown").reset_index()
    txd = detail.groupby(["sid", "day"], sort=False)["price_fen"].agg(["min", "last"]).reset_index()

    # Episodes: a strike price (and label) differing from the previous detail row of the series.
    by_sid = detail.groupby("sid", sort=False)
    prev_strike, prev_label = by_sid["strike_fen"].shift(), by_sid["strike_label"].shift()
    start = (detail["strike_fen"] >= 0) & (
        prev_strike.isna() | (prev_strike != detail["strike_fen"]) | (prev_label != detail["strike_label"])
    )
    ep = detail.loc[start, ["sid", "day", "strike_fen", "strike_label"]].rename(columns={"day": "D"})
    ep = ep.reset_index(drop=True).rename_axis("eid").reset_index()

    # R1 / R2: transactions before D (proxy: detail prices), the 7-day low and the last one.
    e0 = ep[ep["strike_label"] == ""]
    m = e0[["eid", "sid", "D"]].merge(txd, on="sid")
    m = m[m["day"] < m["D"]]
    low7 = m[m["day"] >= m["D"] - 7].groupby("eid")["min"].min()
    last = m.loc[m.groupby("eid")["day"].idxmax()].set_index("eid")["last"]
    e0 = e0.set_index("eid").assign(low7=low7, last=last).reset_index()
    r1 = (e0["low7"].notna() & (e0["strike_fen"] - e0["low7"] > tol)) | (
        e0["low7"].isna() & e0["last"].notna() & (e0["strike_fen"] - e0["last"] > tol)
    )
    add("R1", e0[r1], "D")
    r2 = e0["low7"].isna() & e0["last"].isna() & (e0["D"] - 7 >= history_start)
    add("R2", e0[r2], "D")

    # R3: the strike price against the baseline median, raised shortly before.
    rw, bd = params.raise_window, params.baseline_days
    m3 = ep[["eid", "sid", "D", "strike_fen"]].merge(shown, on="sid")
    base = m3[(m3["day"] >= m3["D"] - (rw + bd)) & (m3["day"] <= m3["D"] - (rw + 1))]
    twice = (base.groupby("eid")["shown"].median() * 2).round().astype("int64")
    raised_rows = m3[(m3["day"] >= m3["D"] - rw) & (m3["day"] <= m3["D"] - 1)]
    raised = raised_rows.groupby("eid")["shown"].max()
    e3 = ep.set_index("eid").assign(B=(twice + 1) // 2, raised=raised).dropna(subset=["B", "raised"])
    ratio = Fraction(params.raise_ratio)
    cond3 = (e3["strike_fen"] * ratio.denominator >= e3["B"] * (ratio.denominator + ratio.numerator)) & (
        e3["raised"] >= e3["strike_fen"] - tol
    )
    add("R3", e3[cond3], "D")

    # R4: time-limit label without both promotion dates; one finding per run of detail rows.
    limited = detail["promo_label"].str.contains("限时|秒杀|倒计时", regex=True)
    add("R4", _runs_first(detail, limited & ((detail["ps"] < 0) | (detail["pe"] < 0))), "day")

    # R5: still offered after the period, at or below the period's lowest shown price.
    late = detail[
        limited
        & (detail["ps"] >= 0)
        & (detail["pe"] >= 0)
        & (detail["day"] - detail["pe"] > params.overrun_days)
    ]
    periods = late[["sid", "ps", "pe"]].drop_duplicates().merge(shown, on="sid")
    periods = periods[(periods["day"] >= periods["ps"]) & (periods["day"] <= periods["pe"])]
    lows = periods.groupby(["sid", "ps", "pe"])["shown"].min().rename("low").reset_index()
    late = late.merge(lows, on=["sid", "ps", "pe"])
    late = late[late["price_fen"] <= late["low"]].sort_values(["sid", "observed_us"], kind="stable")
    add("R5", late.groupby(["sid", "promo_label", "ps", "pe"], sort=False).head(1), "day")

    # R6 / R7: list and checkout rows against the nearest detail row within the pair window.
    window_us = params.pair_window * 60 * 1_000_000
    for surface, rule in (("list", "R6"), ("checkout", "R7")):
        rows = df[df["surface"] == surface]
        paired = _nearest_detail(rows, detail, window_us)
        diff = (paired - rows["price_fen"]) if rule == "R6" else (rows["price_fen"] - paired)
        add(rule, _runs_first(rows, paired.notna() & (diff > tol)), "day")

    allf = pd.concat(found, ignore_index=True)
    allf = allf.join(names, on="sid")
    return {
        (r.rule, r.platform, r.shop_id, r.sku_id, _EPOCH + timedelta(days=int(r.day)))
        for r in allf.itertuples(index=False)
    }


# --- the run -----------------------------------------------------------------------------------------


def timed(label: str, fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    print(f"  {label}: {elapsed:.2f} s", flush=True)
    return result, elapsed


def dataset(work: Path, name: str, series: int, seed: int) -> tuple[Any, Path]:
    """Generate a set and normalise it (the input check of ``prices audit``); neither is the audit."""
    print(f"\n[{name}] {series:,} SKUs × {DAYS} days", flush=True)
    gen, _ = timed("generate", lambda: generate(work / name, series=series, days=DAYS, seed=seed))
    print(f"  observations: {gen.rows:,}; planted violations: {gen.planted_count:,}")
    norm_path = work / name / "normalised.parquet"
    _, secs = timed(
        "normalise (input check)",
        lambda: normalise_file(gen.observations, InputKind.OBSERVATIONS, norm_path),
    )
    print(f"  normalise throughput: {gen.rows / secs:,.0f} obs/s")
    return gen, norm_path


def recall_report(found: set[Key], planted: set[Key]) -> bool:
    missing = planted - found
    extra = found - planted
    recall = 1 - len(missing) / len(planted) if planted else 1.0
    precision = (len(found & planted) / len(found)) if found else 1.0
    print(
        f"  planted {len(planted):,}, found {len(found):,}: recall {recall:.4%}, precision vs planted "
        f"{precision:.4%} (missing {len(missing)}, extra {len(extra)})"
    )
    for key in sorted(missing)[:5]:
        print(f"    missing: {key}")
    for key in sorted(extra)[:5]:
        print(f"    extra: {key}")
    return not missing


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: about 1M observations")
    parser.add_argument("--huge", action="store_true", help="also audit 100M observations out of core")
    parser.add_argument("--observations", type=int, default=10_000_000, help="size of the main set")
    parser.add_argument("--pandas-observations", type=int, default=1_000_000, help="pandas throughput set")
    parser.add_argument("--check-observations", type=int, default=200_000, help="pandas = engine check set")
    parser.add_argument("--huge-only", action="store_true", help="only the 100M section (implies --huge)")
    parser.add_argument("--huge-observations", type=int, default=100_000_000)
    parser.add_argument("--huge-memory-limit", default="12GB", help="DuckDB memory_limit for --huge")
    parser.add_argument("--huge-bucket-rows", type=int, default=10_000_000, help="observations per bucket")
    parser.add_argument("--workdir", type=Path, default=None, help="scratch directory (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    if args.quick:
        args.observations, args.pandas_observations, args.check_observations = 1_000_000, 200_000, 50_000
    work = args.workdir or Path(tempfile.mkdtemp(prefix="tp-bench-prices-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TIANPING_HOME", str(work / "home"))
    results: list[tuple[str, bool]] = []
    print(f"price-audit benchmark; scratch {work}; cores {os.cpu_count()}; load {os.getloadavg()[0]:.2f}")
    try:
        if not args.huge_only:
            results += main_set(args, work)
            results += pandas_section(args, work)
        if args.huge or args.huge_only:
            results += huge_section(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\nSummary")
    for name, ok in results:
        print(f"  {verdict(ok)}  {name}")
    return 0 if all(ok for _, ok in results) else 1


def main_set(args: argparse.Namespace, work: Path) -> list[tuple[str, bool]]:
    series = max(1, round(args.observations / OBS_PER_SERIES))
    gen, norm = dataset(work, "main", series, seed=20260618)
    planted = planted_keys(gen.planted)
    out: list[tuple[str, bool]] = []
    print("  DuckDB, the project's Ibis rules on the normalised Parquet:")
    r12, secs12 = timed("R1+R2", lambda: engine_audit(norm, (R1, R2), work / "tmp")[0])
    rate12 = gen.rows / secs12
    print(f"  R1+R2: {rate12:,.0f} obs/s ({r12.num_rows:,} findings); target ≥ {R12_TARGET:,}")
    full, secs = timed("R1–R7", lambda: engine_audit(norm, RULES, work / "tmp")[0])
    rate = gen.rows / secs
    print(f"  R1–R7: {rate:,.0f} obs/s ({full.num_rows:,} findings); target ≥ {FULL_TARGET:,}")
    planted12 = {k for k in planted if k[0] in ("R1", "R2")}
    ok12 = recall_report(finding_keys(r12), planted12)
    okfull = recall_report(finding_keys(full), planted)
    out.append((f"R1+R2 on DuckDB ≥ 10M obs/s ({rate12:,.0f}; {gen.rows:,} obs)", rate12 >= R12_TARGET))
    out.append((f"R1–R7 on DuckDB ≥ 3M obs/s ({rate:,.0f}; {gen.rows:,} obs)", rate >= FULL_TARGET))
    out.append(("planted violations found (R1+R2 and R1–R7 runs)", ok12 and okfull))
    print("  The whole service (run_audit: normalise + buckets + rules + manifest), same file:")
    run, secs_svc = timed(
        "run_audit", lambda: run_audit(observations=gen.observations, home=work / "home-main")
    )
    print(f"  run_audit end to end: {gen.rows / secs_svc:,.0f} obs/s; {run.summary_zh()}")
    out.append(
        ("run_audit finds every planted violation", recall_report(finding_keys(run.findings), planted))
    )
    return out


def pandas_section(args: argparse.Namespace, work: Path) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    params = AuditParams()
    series = max(1, round(args.check_observations / OBS_PER_SERIES))
    gen, norm = dataset(work, "check", series, seed=7)
    engine_found = finding_keys(engine_audit(norm, RULES, work / "tmp")[0])
    pandas_found, _ = timed("pandas R1–R7", lambda: pandas_audit(norm, params))
    same = engine_found == pandas_found
    print(
        f"  pandas vs engine (rule, series, day): {len(pandas_found):,} vs {len(engine_found):,}, "
        f"equal: {same} (only pandas {len(pandas_found - engine_found)}, only engine "
        f"{len(engine_found - pandas_found)})"
    )
    recall_report(pandas_found, planted_keys(gen.planted))
    out.append((f"pandas baseline = engine on {gen.rows:,} obs", same))

    series = max(1, round(args.pandas_observations / OBS_PER_SERIES))
    gen, norm = dataset(work, "pandas", series, seed=11)
    _, pandas_secs = timed("pandas R1–R7", lambda: pandas_audit(norm, params))
    _, engine_secs = timed("DuckDB R1–R7", lambda: engine_audit(norm, RULES, work / "tmp"))
    pandas_rate, engine_rate = gen.rows / pandas_secs, gen.rows / engine_secs
    ratio = engine_rate / pandas_rate
    print(
        f"  same {gen.rows:,} observations: pandas {pandas_rate:,.0f} obs/s, DuckDB {engine_rate:,.0f} obs/s "
        f"→ {ratio:.1f}× (target ≥ {PANDAS_RATIO_TARGET:.0f}×)"
    )
    out.append(
        (f"DuckDB ≥ 20× pandas on the same {gen.rows:,} obs ({ratio:.1f}×)", ratio >= PANDAS_RATIO_TARGET)
    )
    return out


def huge_section(args: argparse.Namespace, work: Path) -> list[tuple[str, bool]]:
    os.environ["TIANPING_PRICE_AUDIT_DUCKDB_MEMORY_LIMIT"] = args.huge_memory_limit
    os.environ["TIANPING_PRICE_AUDIT_BUCKET_ROWS"] = str(args.huge_bucket_rows)
    from tianping.core.settings import get_settings

    get_settings.cache_clear()  # the two settings above are read at the next run
    series = max(1, round(args.huge_observations / OBS_PER_SERIES))
    print(f"\n[huge] {series:,} SKUs × {DAYS} days", flush=True)
    gen, _ = timed("generate", lambda: generate(work / "huge", series=series, days=DAYS, seed=100))
    print(f"  observations: {gen.rows:,}; planted violations: {gen.planted_count:,}")
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter() - started
        stages.setdefault(stage, now)
        if stage == "审计分桶":
            print(f"    {now:7.1f} s  bucket {done}/{total}; peak RSS {peak_rss_gib():.2f} GiB", flush=True)

    try:
        run = run_audit(observations=gen.observations, home=work / "home-huge", progress=progress)
    except Exception as error:  # e.g. DuckDB's OutOfMemoryException: report it as a failed target
        first_line = str(error).splitlines()[0]
        print(
            f"  run_audit failed after {time.perf_counter() - started:.1f} s: "
            f"{type(error).__name__}: {first_line}"
        )
        print(f"  peak RSS {peak_rss_gib():.2f} GiB (memory_limit {args.huge_memory_limit})")
        return [
            ("100M: audit completed within the memory limit", False),
            ("100M: every planted violation found", False),
        ]
    total = time.perf_counter() - started
    audit_start = stages.get("审计分桶", 0.0)
    rss = peak_rss_gib()
    print(
        f"  run_audit: {total:.1f} s in all ({total - audit_start:.1f} s rules over "
        f"{run.manifest['buckets']} buckets after {audit_start:.1f} s of input check); "
        f"{gen.rows / total:,.0f} obs/s end to end, "
        f"{gen.rows / max(total - audit_start, 1e-9):,.0f} obs/s rules"
    )
    print(f"  peak RSS {rss:.2f} GiB (memory_limit {args.huge_memory_limit}); {run.summary_zh()}")
    ok = recall_report(finding_keys(run.findings), planted_keys(gen.planted))
    return [
        (
            f"100M: {gen.rows:,} obs audited, peak RSS {rss:.2f} GiB ≤ {MEMORY_LIMIT_GIB:.0f} GiB",
            rss <= MEMORY_LIMIT_GIB,
        ),
        ("100M: every planted violation found", ok),
    ]


if __name__ == "__main__":
    sys.exit(main())
