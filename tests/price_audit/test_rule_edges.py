"""Edges of every rule, with the expected findings written out by hand (DuckDB, through the service)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.price_audit.oracle import Obs, Tx
from tests.price_audit.support import write_observations, write_transactions
from tianping.price_audit import AuditParams, AuditRun, run_audit

S = ("tmall", "旗舰店", "K1")
D = date(2025, 6, 10)


def at(day: date, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second)


def obs(when: datetime, price: str, strike: str | None = None, label: str = "", **kw: Any) -> Obs:
    return Obs(*S, when, Decimal(price), Decimal(strike) if strike is not None else None, label, **kw)


def tx(when: datetime, price: str) -> Tx:
    return Tx(*S, when, Decimal(price))


def daily(first: date, last: date, price: str) -> list[Obs]:
    return [obs(at(first + timedelta(days=i)), price) for i in range((last - first).days + 1)]


def audit(tmp_path: Path, rows: list[Obs], transactions: list[Tx] | None = None, **params: Any) -> AuditRun:
    home = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    home.mkdir()
    return run_audit(
        observations=write_observations(home / "obs.csv", rows),
        transactions=write_transactions(home / "tx.csv", transactions) if transactions is not None else None,
        params=AuditParams(**params),
        home=home,
    )


def found(run: AuditRun, rule: str | None = None) -> list[dict[str, Any]]:
    return [r for r in run.rows() if rule is None or r["rule_id"] == rule]


# --- R1 ---------------------------------------------------------------------------------------------


def test_r1_window_includes_d_minus_7(tmp_path: Path) -> None:
    rows = [obs(at(D), "90", "120")]
    run = audit(
        tmp_path, rows, [tx(at(D - timedelta(days=7), 0, 1), "100"), tx(at(D - timedelta(days=8)), "130")]
    )
    (f,) = found(run, "R1")
    assert f["baseline_price"] == Decimal("100.00")
    assert (f["window_start"], f["window_end"]) == (date(2025, 6, 3), date(2025, 6, 9))
    assert f["episode_start"] == D and f["evidence"] == "transactions"
    assert f["strike_price"] == Decimal("120.00") and f["price"] == Decimal("90.00")
    assert "2025-06-03 至 2025-06-09" in f["detail_zh"] and f["detail_zh"].startswith("涉嫌")


def test_r1_window_excludes_d_minus_8_and_day_d(tmp_path: Path) -> None:
    rows = [obs(at(D, 12), "90", "120")]
    transactions = [
        tx(at(D - timedelta(days=8), 23, 59), "100"),  # D−8: outside
        tx(at(D - timedelta(days=7)), "130"),  # D−7: inside, and not below the strike price
        tx(at(D, 8), "50"),  # on day D itself, even before the first observation: not "before D"
    ]
    assert found(audit(tmp_path, rows, transactions), "R1") == []


def test_r1_falls_back_to_the_last_transaction_before_d(tmp_path: Path) -> None:
    rows = [obs(at(D), "90", "120")]
    transactions = [tx(at(D - timedelta(days=30)), "200"), tx(at(D - timedelta(days=20)), "100")]
    (f,) = found(audit(tmp_path, rows, transactions), "R1")
    assert f["baseline_price"] == Decimal("100.00")
    assert "最后一次成交价 ¥100.00（2025-05-21；前七日 2025-06-03 至 2025-06-09 内无成交）" in f["detail_zh"]
    # The last one decides, not the lowest before it.
    transactions = [tx(at(D - timedelta(days=30)), "100"), tx(at(D - timedelta(days=20)), "130")]
    assert found(audit(tmp_path, rows, transactions), "R1") == []


def test_r1_tie_at_the_last_instant_takes_the_highest(tmp_path: Path) -> None:
    rows = [obs(at(D), "90", "120")]
    last = at(D - timedelta(days=10), 20)
    assert found(audit(tmp_path, rows, [tx(last, "100"), tx(last, "120")]), "R1") == []
    (f,) = found(audit(tmp_path, rows, [tx(last, "100"), tx(last, "110")]), "R1")
    assert f["baseline_price"] == Decimal("110.00")


def test_r1_tolerance(tmp_path: Path) -> None:
    rows = [obs(at(D), "90", "100.50")]
    transactions = [tx(at(D - timedelta(days=1)), "100")]
    assert found(audit(tmp_path, rows, transactions, tolerance=Decimal("0.50")), "R1") == []
    assert len(found(audit(tmp_path, rows, transactions, tolerance=Decimal("0.49")), "R1")) == 1


@pytest.mark.parametrize("label", ["msrp", "detailed"])
def test_r1_r2_exempt_labelled_strike_prices(tmp_path: Path, label: str) -> None:
    rows = [*daily(D - timedelta(days=20), D - timedelta(days=1), "100"), obs(at(D), "90", "500", label)]
    run = audit(tmp_path, rows)
    assert found(run, "R1") == [] and found(run, "R2") == []
    assert run.counts["episodes"] == 1


def test_r1_is_anchored_at_the_episode_start(tmp_path: Path) -> None:
    rows = [*daily(D - timedelta(days=10), D - timedelta(days=1), "130")]
    rows += [obs(at(D + timedelta(days=i)), "90", "120") for i in range(15)]  # one episode, 15 days
    rows.insert(12, obs(at(D, 11), "95", surface="list"))  # other surfaces do not interrupt it
    rows += [obs(at(D + timedelta(days=15)), "90", "120.00")]  # 120 = 120.00: still the same episode
    run = audit(tmp_path, rows)
    # At D the 7-day low is 130 ≥ 120; later days' windows (full of ¥90 sales) are never looked at.
    assert found(run, "R1") == [] and run.counts["episodes"] == 1


def test_r1_a_new_episode_after_an_interruption_or_label_change(tmp_path: Path) -> None:
    rows = [*daily(D - timedelta(days=10), D - timedelta(days=1), "130")]
    rows += [obs(at(D), "90", "120"), obs(at(D + timedelta(days=1)), "90")]  # no strike: episode ends
    rows += [obs(at(D + timedelta(days=2)), "90", "120")]  # new episode: window now holds ¥90
    rows += [obs(at(D + timedelta(days=3)), "90", "120", "detailed")]  # label change: a third one
    run = audit(tmp_path, rows)
    (f,) = found(run, "R1")
    assert f["episode_start"] == D + timedelta(days=2) and f["baseline_price"] == Decimal("90.00")
    assert f["evidence"] == "proxy" and "以详情页标示价格代替" in f["detail_zh"]
    assert run.counts["episodes"] == 3


# --- R2 ---------------------------------------------------------------------------------------------


def test_r2_needs_the_whole_window_covered(tmp_path: Path) -> None:
    other = Obs("jd", "x", "y", at(D - timedelta(days=7)), Decimal("1"))  # history starts at D−7
    run = audit(tmp_path, [other, obs(at(D), "90", "199")])
    (f,) = found(run, "R2")
    assert f["baseline_price"] is None and f["strike_price"] == Decimal("199.00")
    assert "数据自 2025-06-03 起" in f["detail_zh"]
    assert run.counts["insufficient_history"] == 0

    other = Obs("jd", "x", "y", at(D - timedelta(days=6)), Decimal("1"))  # history starts at D−6
    run = audit(tmp_path, [other, obs(at(D), "90", "199")])
    assert found(run, "R2") == [] and run.counts["insufficient_history"] == 1

    run = audit(tmp_path, [other, obs(at(D), "90", "199")], history_start=date(2025, 1, 1))
    assert len(found(run, "R2")) == 1 and run.counts["insufficient_history"] == 0


def test_r2_transactions_do_not_move_history_start(tmp_path: Path) -> None:
    other = Tx("jd", "x", "y", at(D - timedelta(days=100)), Decimal("1"))  # an old sale of another series
    run = audit(tmp_path, [obs(at(D), "90", "199")], [other])
    assert found(run, "R2") == [] and run.counts["insufficient_history"] == 1


def test_r2_a_series_absent_from_the_transactions_file_has_none(tmp_path: Path) -> None:
    rows = [*daily(D - timedelta(days=30), D - timedelta(days=1), "150"), obs(at(D), "90", "120")]
    other = Tx("jd", "x", "y", at(D - timedelta(days=1)), Decimal("1"))
    run = audit(tmp_path, rows, [other])
    (f,) = found(run, "R2")  # its own detail prices do not stand in for sales when a file is given
    assert f["evidence"] == "transactions" and found(run, "R1") == []


# --- R3 ---------------------------------------------------------------------------------------------


def _raise_history(base: list[str], raised: str, strike: str, label: str = "") -> list[Obs]:
    """Baseline prices on D−74 … (one per day, cycling ``base``), ``raised`` on D−3, the episode at D."""
    rows = [obs(at(D - timedelta(days=74 - i)), base[i % len(base)]) for i in range(60)]
    rows.append(obs(at(D - timedelta(days=3)), raised))
    rows.append(obs(at(D), "99", strike, label))
    return rows


def test_r3_flags_a_raise_before_the_discount_whatever_the_label(tmp_path: Path) -> None:
    (f,) = found(audit(tmp_path, _raise_history(["100"], "110", "110", "detailed")), "R3")
    assert f["baseline_price"] == Decimal("100.00") and f["strike_price"] == Decimal("110.00")
    assert (f["window_start"], f["window_end"]) == (D - timedelta(days=74), D - timedelta(days=15))
    assert "高出不少于 10%" in f["detail_zh"] and "最高达 ¥110.00" in f["detail_zh"]


def test_r3_ratio_is_exact(tmp_path: Path) -> None:
    assert found(audit(tmp_path, _raise_history(["100"], "109.99", "109.99", "msrp")), "R3") == []
    assert (
        len(
            found(
                audit(tmp_path, _raise_history(["100"], "130", "115", "msrp"), raise_ratio=Decimal("0.15")),
                "R3",
            )
        )
        == 1
    )
    assert (
        found(
            audit(tmp_path, _raise_history(["100"], "130", "114.99", "msrp"), raise_ratio=Decimal("0.15")),
            "R3",
        )
        == []
    )


def test_r3_median_of_an_even_count_rounds_half_up(tmp_path: Path) -> None:
    (f,) = found(audit(tmp_path, _raise_history(["100.00", "100.01"], "200", "200", "msrp")), "R3")
    assert f["baseline_price"] == Decimal("100.01")  # (100.00 + 100.01) / 2 = 100.005 → 100.01
    (f,) = found(audit(tmp_path, _raise_history(["80", "100", "300"], "200", "200", "msrp")), "R3")
    assert f["baseline_price"] == Decimal("100.00")  # 20 × 80, 20 × 100, 20 × 300: the middles are 100


def test_r3_needs_the_raised_level_in_the_raise_window(tmp_path: Path) -> None:
    rows = _raise_history(["100"], "100", "150", "msrp")  # never shown at 150 before D
    assert found(audit(tmp_path, rows), "R3") == []
    rows = _raise_history(["100"], "149.50", "150", "msrp")
    assert found(audit(tmp_path, rows), "R3") == []
    assert len(found(audit(tmp_path, rows, tolerance=Decimal("0.50")), "R3")) == 1


def test_r3_window_edges(tmp_path: Path) -> None:
    # Only D−14 shows 150: it is in the raise window, not the baseline.
    rows = [
        obs(at(D - timedelta(days=74)), "100"),
        obs(at(D - timedelta(days=14)), "150"),
        obs(at(D), "99", "150", "msrp"),
    ]
    (f,) = found(audit(tmp_path, rows), "R3")
    assert f["baseline_price"] == Decimal("100.00")
    # D−75 is outside the baseline: no baseline, no finding.
    rows = [
        obs(at(D - timedelta(days=75)), "100"),
        obs(at(D - timedelta(days=14)), "150"),
        obs(at(D), "99", "150", "msrp"),
    ]
    assert found(audit(tmp_path, rows), "R3") == []
    # D−15 is the last baseline day.
    rows = [
        obs(at(D - timedelta(days=15)), "100"),
        obs(at(D - timedelta(days=1)), "150"),
        obs(at(D), "99", "150", "msrp"),
    ]
    assert len(found(audit(tmp_path, rows), "R3")) == 1


def test_r3_shown_price_is_the_last_detail_of_the_day(tmp_path: Path) -> None:
    rows = [
        obs(at(D - timedelta(days=20), 9), "300"),
        obs(at(D - timedelta(days=20), 21), "100"),  # the day's shown price
        obs(at(D - timedelta(days=20), 22), "50", surface="list"),  # not a detail observation
        obs(at(D - timedelta(days=2)), "150"),
        obs(at(D), "99", "150", "msrp"),
    ]
    (f,) = found(audit(tmp_path, rows), "R3")
    assert f["baseline_price"] == Decimal("100.00")


# --- R4, R5 -----------------------------------------------------------------------------------------


def test_r4_one_finding_per_run(tmp_path: Path) -> None:
    rows = [
        obs(at(D), "90", promo_label="限时直降"),
        obs(at(D, 11), "90", promo_label="限时直降", surface="list"),  # another surface: no effect
        obs(at(D + timedelta(days=3)), "90", promo_label="秒杀", promo_end=D),  # a gap and a new label
        obs(at(D + timedelta(days=4)), "90", promo_label="倒计时 2 小时", promo_start=D),
        obs(at(D + timedelta(days=5)), "90", promo_label="限时直降", promo_start=D, promo_end=D),  # ends it
        obs(at(D + timedelta(days=6)), "90", promo_label="限时特价"),
        obs(at(D + timedelta(days=7)), "90", promo_label="满300减30"),
    ]
    first, second = found(audit(tmp_path, rows), "R4")
    assert (first["episode_start"], first["window_end"]) == (D, D + timedelta(days=4))
    assert "连续 3 次观测" in first["detail_zh"] and "「限时直降」" in first["detail_zh"]
    assert (second["episode_start"], second["window_end"]) == (D + timedelta(days=6), D + timedelta(days=6))


def test_r5_overrun_boundary_and_one_finding_per_promotion(tmp_path: Path) -> None:
    start, end = D, D + timedelta(days=2)
    promo = {"promo_label": "限时直降", "promo_start": start, "promo_end": end}
    rows = [obs(at(start + timedelta(days=i)), "80", **promo) for i in range(3)]
    rows.append(obs(at(end + timedelta(days=1)), "70", **promo))  # 1 day after: allowed
    rows.append(obs(at(end + timedelta(days=2)), "81", **promo))  # late, but dearer than the period
    rows.append(obs(at(end + timedelta(days=3)), "80", **promo))  # late and not dearer: the finding
    rows.append(obs(at(end + timedelta(days=4)), "60", **promo))  # same promotion: no second finding
    (f,) = found(audit(tmp_path, rows), "R5")
    assert f["episode_start"] == end + timedelta(days=3)
    assert f["baseline_price"] == Decimal("80.00") and f["price"] == Decimal("80.00")
    assert (f["window_start"], f["window_end"]) == (start, end)
    assert "期满逾 1 天" in f["detail_zh"]
    assert found(audit(tmp_path, rows, overrun_days=3), "R5")[0]["episode_start"] == end + timedelta(days=4)


def test_r5_needs_a_shown_price_within_the_period(tmp_path: Path) -> None:
    promo = {"promo_label": "秒杀", "promo_start": D, "promo_end": D + timedelta(days=1)}
    rows = [obs(at(D - timedelta(days=1)), "50"), obs(at(D + timedelta(days=5)), "50", **promo)]
    assert found(audit(tmp_path, rows), "R5") == []


# --- R6, R7 -----------------------------------------------------------------------------------------


def test_r6_pair_window_is_inclusive_and_ties_take_the_earlier(tmp_path: Path) -> None:
    rows = [obs(at(D, 12, 0), "100"), obs(at(D, 12, 10), "90", surface="list")]
    (f,) = found(audit(tmp_path, rows), "R6")
    assert f["baseline_price"] == Decimal("100.00") and f["price"] == Decimal("90.00")
    rows = [obs(at(D, 12, 0), "100"), obs(at(D, 12, 10, 1), "90", surface="list")]  # 10 min 1 s apart
    assert found(audit(tmp_path, rows), "R6") == []
    # Two detail observations 5 minutes either side: the earlier (¥80) is the pair, so no finding.
    rows = [obs(at(D, 12, 0), "80"), obs(at(D, 12, 5), "90", surface="list"), obs(at(D, 12, 10), "100")]
    assert found(audit(tmp_path, rows), "R6") == []
    rows[0], rows[2] = obs(at(D, 12, 0), "100"), obs(at(D, 12, 10), "80")
    assert len(found(audit(tmp_path, rows), "R6")) == 1


def test_r6_runs_and_tolerance(tmp_path: Path) -> None:
    rows = [
        obs(at(D, 12, 0), "100"),
        obs(at(D, 12, 1), "90", surface="list"),
        obs(at(D + timedelta(days=1), 12, 1), "90", surface="list"),  # no detail to pair with: ends the run
        obs(at(D + timedelta(days=2), 12, 0), "100"),
        obs(at(D + timedelta(days=2), 12, 1), "99.50", surface="list"),
        obs(at(D + timedelta(days=3), 12, 0), "100"),
        obs(at(D + timedelta(days=3), 12, 1), "99", surface="list"),
    ]
    first, second = found(audit(tmp_path, rows), "R6")
    assert first["episode_start"] == D and first["window_end"] == D
    assert second["episode_start"] == D + timedelta(days=2) and "连续 2 次观测" in second["detail_zh"]
    # ¥0.50 less is within a ¥0.50 tolerance: that observation ends the run, the next one starts another.
    first, second = found(audit(tmp_path, rows, tolerance=Decimal("0.50")), "R6")
    assert first["episode_start"] == D and second["episode_start"] == D + timedelta(days=3)
    assert len(found(audit(tmp_path, rows, pair_window=0), "R6")) == 0


def test_r7_checkout_dearer_than_detail(tmp_path: Path) -> None:
    rows = [
        obs(at(D, 12, 0), "100"),
        obs(at(D, 12, 3), "100.01", surface="checkout"),
        obs(at(D, 12, 4), "100", surface="checkout"),  # equal: ends the run
        obs(at(D, 12, 5), "105", surface="checkout"),
    ]
    first, second = found(audit(tmp_path, rows), "R7")
    assert first["price"] == Decimal("100.01") and first["baseline_price"] == Decimal("100.00")
    assert second["price"] == Decimal("105.00")
    assert found(audit(tmp_path, rows, tolerance=Decimal("5")), "R7") == []


# --- duplicates, time zone, output order -----------------------------------------------------------


def test_duplicates_keep_the_last_in_input_order(tmp_path: Path) -> None:
    instant = at(D, 12)
    rows = [
        obs(instant, "100"),
        obs((instant - timedelta(hours=8)).replace(tzinfo=UTC), "70"),  # the same instant, in UTC
        obs(instant, "90", surface="list"),  # another surface: not a duplicate
    ]
    run = audit(tmp_path, rows)
    assert run.counts["duplicates_dropped"] == 1
    assert found(run, "R6") == []  # the detail price is ¥70 (the last one), not ¥100


def test_days_are_shanghai_calendar_days(tmp_path: Path) -> None:
    # 2025-06-09T16:30Z is 2025-06-10 00:30 in Shanghai: the episode starts on D, not D−1.
    rows = [obs(at(D - timedelta(days=1)), "100"), obs(datetime(2025, 6, 9, 16, 30, tzinfo=UTC), "90", "120")]
    (f,) = found(audit(tmp_path, rows), "R1")
    assert f["episode_start"] == D and f["window_end"] == D - timedelta(days=1)
    assert f["observed_at"] == datetime(2025, 6, 9, 16, 30, tzinfo=UTC)


def test_findings_are_sorted(tmp_path: Path) -> None:
    rows = [
        Obs("b", "s", "k", at(D), Decimal("90"), Decimal("120")),
        Obs("a", "s", "k", at(D), Decimal("90"), promo_label="限时"),
        Obs("a", "s", "k", at(D + timedelta(days=1)), Decimal("90"), Decimal("120")),
        Obs("a", "s", "k", at(D - timedelta(days=9)), Decimal("90"), Decimal("120")),
    ]
    keys = [(f["rule_id"], f["platform"], f["episode_start"]) for f in audit(tmp_path, rows).rows()]
    assert keys == sorted(keys) and len(keys) >= 3
