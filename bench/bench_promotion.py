"""Benchmark of the promotion engine: exact quotes, lint of a large rule set, fast vs exhaustive search.

    .venv/bin/python bench/bench_promotion.py            # full run (a few minutes)
    .venv/bin/python bench/bench_promotion.py --quick    # smoke run (seconds)

All rules and carts are fictitious and generated from a fixed seed.

1. quote: a 30-line cart over three shops against 15 promotions (item discounts, contested shop
   满减, an optional promotion, 跨店每满减, platform 满减) with 5 held coupons, quoted exactly
   (consumer's best combination, all tie-breaks). Median and p95 over repeats; target p95 ≤ 100 ms.
   Then the same rule set on other random carts of the same shape: the spread (median, p95, max) and
   how many exceeded the search's work limit — the exact search is exponential in the worst case.
2. lint: a 200-promotion rule set (about a third with omitted basis/repeat) linted with checked
   counterexamples; target ≤ 10 s.
3. fast vs exhaustive: growing carts against contested offers, the literal exhaustive reference
   against the fast search (same result checked), until the exhaustive one needs more than ~10 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from typing import Any

QUOTE_TARGET_MS = 100.0
LINT_TARGET_S = 10.0
EXHAUSTIVE_BUDGET_S = 10.0


def _th(
    pid: str, layer: str, title: str, scope: dict[str, Any], tiers: list[tuple[str, str]], **extra: Any
) -> dict[str, Any]:
    offer = {
        "id": pid,
        "title": title,
        "layer": layer,
        "type": "threshold_off",
        "scope": scope,
        "tiers": [{"threshold": t, "discount": d} for t, d in tiers],
        "repeat": False,
        "basis": "current",
    }
    offer.update(extra)
    return offer


def _item(pid: str, title: str, kind: str, scope: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": pid, "title": title, "layer": "item", "type": kind, "scope": scope, **fields}


S1, S2, S3 = {"shops": ["S1"]}, {"shops": ["S2"]}, {"shops": ["S3"]}
EVERYTHING: dict[str, Any] = {"all": True}
RULES: dict[str, Any] = {
    "format": "tianping-promotions/1",
    "promotions": [
        _item("P01", "食品85折", "percent_off", {"skus": ["F1", "F2", "F3"]}, rate="0.85"),
        _item("P02", "耳机直降20", "amount_off", {"skus": ["D1"]}, discount="20"),
        _item("P03", "秒杀99", "fixed_price", {"skus": ["C5"]}, price="99", limit=1),
        _item("P04", "美妆9折（领取）", "percent_off", {"categories": ["美妆"]}, rate="0.9", automatic=False),
        _item("P05", "零食直降5元", "amount_off", {"skus": ["F2", "F4"]}, discount="5"),
        _th("P06", "shop", "S1满300减40/满500减80", S1, [("300", "40"), ("500", "80")]),
        _th("P07", "shop", "S2满200减20", S2, [("200", "20")]),
        _th("P08", "shop", "S3每满150减15", S3, [("150", "15")], repeat=True, cap="60"),
        _th("P09", "shop", "S1服装满199减30", {**S1, "categories": ["服装"]}, [("199", "30")]),
        _th("P10", "shop", "S2会员满400减50", S2, [("400", "50")], automatic=False),
        _th("P11", "shop", "S3食品满100减10", {**S3, "categories": ["食品"]}, [("100", "10")]),
        _th(
            "P12", "cross_store", "跨店每满300减50", EVERYTHING, [("300", "50")],
            repeat=True, cap="200", exclude={"categories": ["数码"]},
        ),
        _th("P13", "cross_store", "美妆满500减60", {"categories": ["美妆"]}, [("500", "60")]),
        _th("P14", "platform", "平台满1000减50", EVERYTHING, [("1000", "50")], basis="list"),
        _th("P15", "platform", "数码满2000减100", {"categories": ["数码"]}, [("2000", "100")]),
    ],
    "coupons": [
        _th("Q1", "shop", "S1店铺券满199减20", S1, [("199", "20")]),
        _th("Q2", "shop", "S2店铺券满99减10", S2, [("99", "10")]),
        _th("Q3", "platform", "平台券满299减30", EVERYTHING, [("299", "30")]),
        _th("Q4", "platform", "平台券满599减60", EVERYTHING, [("599", "60")]),
        _th("Q5", "platform", "数码券满1000减80", {"categories": ["数码"]}, [("1000", "80")]),
    ],
    "exclusive": [["P03", "Q3"], ["P02", "P12"]],
}  # fmt: skip

CATALOG = [
    ("F1", "食品"), ("F2", "食品"), ("F3", "食品"), ("F4", "食品"),
    ("D1", "数码"), ("D2", "数码"), ("D3", "数码"),
    ("C1", "服装"), ("C2", "服装"), ("C3", "服装"), ("C4", "服装"), ("C5", "服装"),
    ("M1", "美妆"), ("M2", "美妆"), ("M3", "美妆"), ("H1", "家居"), ("H2", "家居"),
]  # fmt: skip
PRICES = [
    "19.90",
    "29.00",
    "39.90",
    "59.00",
    "89.00",
    "129.00",
    "199.00",
    "259.00",
    "399.00",
    "599.00",
    "899.00",
]


def make_cart(seed: int, lines: int = 30) -> dict[str, Any]:
    rnd = random.Random(seed)
    items = []
    for _ in range(lines):
        sku, category = rnd.choice(CATALOG)
        items.append(
            {
                "sku": sku,
                "shop": rnd.choice(["S1", "S2", "S3"]),
                "category": category,
                "price": rnd.choice(PRICES),
                "qty": rnd.choice([1, 1, 1, 2, 3]),
            }
        )
    return {"items": items, "coupons_held": ["Q1", "Q2", "Q3", "Q4", "Q5"]}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def bench_quote(repeats: int, spread: int) -> bool:
    from tianping.promotion import QuoteTooComplex, service
    from tianping.promotion.engine import compile_problem
    from tianping.promotion.search import search_nodes

    rules = service.load_rules(RULES)
    cart = service.load_cart(make_cart(0))
    times = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = service.quote(rules, cart)
        times.append((time.perf_counter() - started) * 1000)
    assert result is not None
    nodes = search_nodes(compile_problem(rules, cart, {}))
    p50, p95 = statistics.median(times), _percentile(times, 95)
    print(
        f"[quote] 30 lines, 15 promotions, 5 held coupons: payable ¥{result.to_json()['payable']}, "
        f"{len(result.first.steps)} steps ({result.first.coupons_used} coupons), {nodes:,} search nodes"
    )
    print(f"[quote] {repeats} quotes: median {p50:.1f} ms, p95 {p95:.1f} ms, min {min(times):.1f} ms")
    ok = p95 <= QUOTE_TARGET_MS
    print(f"[quote] {'PASS' if ok else 'FAIL'}: p95 {p95:.1f} ms vs target ≤ {QUOTE_TARGET_MS:.0f} ms")

    if spread:
        spread_times: list[float] = []
        too_complex = 0
        for seed in range(1, spread + 1):
            basket = service.load_cart(make_cart(seed))
            started = time.perf_counter()
            try:
                service.quote(rules, basket)
            except QuoteTooComplex:
                too_complex += 1
            spread_times.append((time.perf_counter() - started) * 1000)
        within = sum(1 for t in spread_times if t <= QUOTE_TARGET_MS)
        print(
            f"[quote] spread over {spread} other random 30-line carts: "
            f"median {statistics.median(spread_times):.1f} ms, p95 {_percentile(spread_times, 95):.1f} ms, "
            f"max {max(spread_times):.0f} ms; {within}/{spread} within {QUOTE_TARGET_MS:.0f} ms; "
            f"{too_complex} over the work limit"
        )
    return ok


def large_rule_set(count: int, seed: int) -> dict[str, Any]:
    """``count`` fictitious promotions over 20 shops and 8 categories, about a third with omitted fields:
    a quarter item discounts on single SKUs, most 满减 per shop (some per category within a shop), a few
    跨店 and platform ones per category, rarely store-wide."""
    rnd = random.Random(seed)
    shops = [f"店铺{i:02d}" for i in range(20)]
    categories = ["服装", "食品", "数码", "美妆", "家居", "母婴", "图书", "运动"]
    promotions: list[dict[str, Any]] = []
    for i in range(count):
        pid = f"P{i:03d}"
        roll = rnd.random()
        if roll < 0.25:
            kind = rnd.choice(["percent_off", "amount_off", "fixed_price"])
            offer: dict[str, Any] = {
                "id": pid,
                "layer": "item",
                "type": kind,
                "scope": {"skus": [f"SKU{rnd.randrange(400):03d}"]},
            }
            if kind == "percent_off":
                offer["rate"] = rnd.choice(["0.95", "0.90", "0.85", "0.80"])
            elif kind == "amount_off":
                offer["discount"] = rnd.choice(["5", "10", "20"])
            else:
                offer["price"] = rnd.choice(["9.9", "49", "99"])
                offer["limit"] = 1
        else:
            layer = "shop" if roll < 0.80 else "cross_store" if roll < 0.92 else "platform"
            scope: dict[str, Any]
            if layer == "shop":
                scope = {"shops": [rnd.choice(shops)]}
                if rnd.random() < 0.3:
                    scope["categories"] = [rnd.choice(categories)]
            elif rnd.random() < 0.1:
                scope = {"all": True}
            else:
                scope = {"categories": [rnd.choice(categories)]}
            threshold = rnd.choice([99, 199, 299, 399, 599])
            repeat = layer == "cross_store" and rnd.random() < 0.5
            tiers = [(str(threshold), str(threshold // 10))]
            if not repeat and rnd.random() < 0.4:
                tiers.append((str(threshold * 2), str(threshold // 4)))
            offer = _th(pid, layer, f"满{threshold}减{threshold // 10}", scope, tiers, repeat=repeat)
            if repeat:
                offer["cap"] = str(threshold // 2)
            if rnd.random() < 0.3:
                del offer["basis"]
            if len(tiers) == 1 and not repeat and rnd.random() < 0.2:
                del offer["repeat"]
        promotions.append(offer)
    coupons = [
        _th(
            f"Q{i}",
            "platform",
            f"平台券{i}",
            {"all": True},
            [(str(100 * (i + 1)), str(10 * (i + 1)))],
            basis=None,
        )
        for i in range(5)
    ]
    for coupon in coupons:
        del coupon["basis"]
    return {"format": "tianping-promotions/1", "promotions": promotions, "coupons": coupons}


def bench_lint(count: int) -> bool:
    from tianping.promotion import service

    document = large_rule_set(count, seed=11)
    rules = service.load_rules(document)
    started = time.perf_counter()
    report = service.lint(rules)
    elapsed = time.perf_counter() - started
    codes = Counter(f.code for f in report.findings)
    print(
        f"[lint] {count} promotions + 5 coupons, {len(rules.ambiguous_fields)} omitted basis/repeat fields: "
        f"{elapsed:.2f} s; findings: " + ", ".join(f"{code} {n}" for code, n in sorted(codes.items()))
    )
    ok = elapsed <= LINT_TARGET_S
    print(f"[lint] {'PASS' if ok else 'FAIL'}: {elapsed:.2f} s vs target ≤ {LINT_TARGET_S:.0f} s")
    return ok


def _contested(lines: int) -> tuple[Any, Any]:
    """Lines each matching an item discount, two rival shop promotions, an optional one and three coupons."""
    from tianping.promotion import service

    rules = service.load_rules(
        {
            "format": "tianping-promotions/1",
            "promotions": [
                _item("I1", "食品9折", "percent_off", {"categories": ["食品"]}, rate="0.9"),
                _th("P1", "shop", "满100减10", {"all": True}, [("100", "10"), ("200", "25")]),
                _th("P2", "shop", "食品满80减12", {"categories": ["食品"]}, [("80", "12")]),
                _th("P3", "shop", "会员满150减20", {"all": True}, [("150", "20")], automatic=False),
            ],
            "coupons": [
                _th("Q1", "platform", "满60减6", {"all": True}, [("60", "6")]),
                _th("Q2", "platform", "满120减15", {"all": True}, [("120", "15")]),
                _th("Q3", "platform", "食品满50减8", {"categories": ["食品"]}, [("50", "8")], basis="list"),
            ],
        }
    )  # fmt: skip
    rnd = random.Random(lines)
    cart = service.load_cart(
        {
            "items": [
                {
                    "sku": f"S{i}", "shop": "S1", "category": rnd.choice(["食品", "服装"]),
                    "price": rnd.choice(["39", "59", "89"]), "qty": 1,
                }
                for i in range(lines)
            ],
            "coupons_held": ["Q1", "Q2", "Q3"],
        }
    )  # fmt: skip
    return rules, cart


def bench_exhaustive(max_lines: int) -> bool:
    from tianping.promotion._exhaustive import exhaustive_best
    from tianping.promotion.engine import compile_problem
    from tianping.promotion.search import best_outcome

    ok = True
    for lines in range(1, max_lines + 1):
        rules, cart = _contested(lines)
        problem = compile_problem(rules, cart, {})
        started = time.perf_counter()
        fast = best_outcome(problem)
        fast_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        slow = exhaustive_best(problem)
        slow_s = time.perf_counter() - started
        same = fast.key == slow.key and fast.steps == slow.steps
        ok &= same
        print(
            f"[exhaustive] {lines} lines: exhaustive {slow_s * 1000:,.1f} ms, fast {fast_ms:.2f} ms, "
            f"ratio {slow_s * 1000 / max(fast_ms, 1e-6):,.0f}×, same result: {'yes' if same else 'NO'}"
        )
        if slow_s > EXHAUSTIVE_BUDGET_S / 5:  # the next size is about five times slower
            break
    print(f"[exhaustive] {'PASS' if ok else 'FAIL'}: the fast search equals the exhaustive one on every size")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args(argv)
    repeats, spread, lint_count, max_lines = (5, 3, 60, 4) if args.quick else (30, 20, 200, 12)
    results = [bench_quote(repeats, spread), bench_lint(lint_count), bench_exhaustive(max_lines)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
