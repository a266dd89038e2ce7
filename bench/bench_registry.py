"""Benchmark of the registry: CSV import throughput and fuzzy name search at a million entities.

    .venv/bin/python bench/bench_registry.py            # full: 100,000-row import, 1,000,000 entities
    .venv/bin/python bench/bench_registry.py --quick         # smoke run (seconds)
    .venv/bin/python bench/bench_registry.py --entities 200000 --import-rows 20000 --queries 300

Everything runs against a fresh SQLite database in a temporary TIANPING_HOME. All data is fictitious:
names are built from word lists, credit codes carry correct check characters, divisions are Beijing's.

1. import: writes a CSV of ``--import-rows`` rows and imports it through ``registry.import_file``
   (decoding, validation, matching, bulk writes, search index, audit) — target ≥ 5,000 rows/s;
2. search: loads ``--entities`` entities through the same fast path (``registry.import_records`` in
   batches), then runs ``--queries`` fuzzy queries — substrings of legal names, brand aliases and
   one-character typos (substituted, missing or extra) — through ``registry.search`` as an unrestricted
   officer would; prints p50/p95/p99 latency (target p95 ≤ 50 ms) and how often the intended entity is
   in the top 10.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

IMPORT_TARGET_ROWS_PER_S = 5_000
SEARCH_TARGET_P95_MS = 50.0

_BRAND_CHARS = (
    "鑫盛源华泰恒达兴隆宏嘉佳瑞祥福康安和美优信诚德润丰顺通利博远腾飞创新星辰海天东方明阳金银玉宝鼎龙凤麒麟锦绣春秋山水林森荣"
    "昌永久宁静雅致尚品汇聚合力众志成城联同心启航领先智慧科晨曦朗悦欣怡乐享家宜居百味香园果鲜蔬记坊阁轩堂斋舍苑庭楼台亭榭桥泉"
    "湖溪峰岭川燕蓝碧青松翠柏红枫紫竹白云河光月影日升朝晖夕照万象千禧年"
)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强文军丹萍红梅鹏辉玲"
_INDUSTRY = [
    ("餐饮管理", "H"), ("科技", "I"), ("商贸", "F"), ("文化传媒", "R"), ("美容美发", "O"),
    ("教育咨询", "P"), ("健身服务", "R"), ("电子商务", "F"), ("网络科技", "I"), ("食品", "F"),
    ("超市", "F"), ("便利店", "F"), ("烘焙", "H"), ("洗衣", "O"), ("汽车服务", "O"),
    ("家政服务", "O"), ("医药", "F"), ("物业管理", "K"), ("旅行社", "L"), ("酒店管理", "H"),
]  # fmt: skip
_FORMS = ["有限公司", "有限责任公司", "股份有限公司"]
_SHOP_WORDS = [
    ("餐馆", "H"),
    ("美容美发店", "O"),
    ("便利店", "F"),
    ("水果店", "F"),
    ("洗衣店", "O"),
    ("小吃店", "H"),
]
_PLATFORM_WORDS = ["外卖", "优选", "商城", "直播", "到家", "团购", "二手", "出行"]
_SHOP_SUFFIX = ["旗舰店", "专营店", "官方店", "小店", "专卖店"]
_ALIAS_SUFFIX = ["", "优品", "到家", "生活", "鲜选", "优选"]
_PREPAID = [("健身", "R"), ("教育科技", "P"), ("美容", "O"), ("游泳", "R")]


@dataclass
class Generated:
    rows: list[dict[str, str]]
    platforms: int


class Generator:
    """Deterministic fictitious registry rows."""

    def __init__(self, seed: int) -> None:
        from tianping.core import divisions

        self.rnd = random.Random(seed)
        self.districts = [d for d in divisions.districts()]
        self.streets = {d.code: [s.code for s in divisions.streets(d.code)] for d in self.districts}
        self.charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        self.used_usccs: set[str] = set()

    def brand(self) -> str:
        n = 2 if self.rnd.random() < 0.4 else 3
        return "".join(self.rnd.choice(_BRAND_CHARS) for _ in range(n))

    def uscc(self, district: str, category: str) -> str:
        from tianping.core.validation import uscc_check_char

        while True:
            body = "9" + category + district + "".join(self.rnd.choice(self.charset) for _ in range(9))
            code = body + uscc_check_char(body)
            if code not in self.used_usccs:
                self.used_usccs.add(code)
                return code

    def person(self) -> str:
        return self.rnd.choice(_SURNAMES) + "".join(
            self.rnd.choice(_GIVEN) for _ in range(self.rnd.randint(1, 2))
        )

    def phone(self) -> str:
        return "1" + self.rnd.choice("3456789") + "".join(self.rnd.choice("0123456789") for _ in range(9))

    def row(self, index: int, platform_keys: list[str]) -> dict[str, str]:
        rnd = self.rnd
        district = rnd.choice(self.districts)
        division = rnd.choice(self.streets[district.code]) if rnd.random() < 0.7 else district.code
        brand = self.brand()
        roll = rnd.random()
        row: dict[str, str] = {"division_code": division, "status": "存续"}
        if roll < 0.08 and platform_keys:
            suffix = rnd.choice(_SHOP_SUFFIX)
            word, section = rnd.choice(_INDUSTRY)
            row |= {"kind": "平台内经营者", "name": f"{brand}{word}{suffix}", "industry_section": section}
            row["platform"] = rnd.choice(platform_keys)
            row["external_id"] = f"SHOP-{index:08d}"
        elif roll < 0.10 and platform_keys:
            row |= {"kind": "直播间/主播", "name": f"{brand}{self.person()}直播间", "industry_section": "F"}
            row["platform"] = rnd.choice(platform_keys)
            row["external_id"] = f"LIVE-{index:08d}"
        elif roll < 0.35:
            word, section = rnd.choice(_SHOP_WORDS)
            row |= {
                "kind": "个体工商户",
                "name": f"{district.name}{brand}{word}",
                "industry_section": section,
            }
            row["uscc"] = self.uscc(district.code, "2")
            row["legal_representative"] = self.person()
        elif roll < 0.355:
            row |= {"kind": "市场", "name": f"北京{brand}农副产品批发市场", "industry_section": "F"}
            row["uscc"] = self.uscc(district.code, "1")
        elif roll < 0.40:
            word, section = rnd.choice(_PREPAID)
            row |= {"kind": "预付式经营者", "name": f"北京{brand}{word}有限公司", "industry_section": section}
            row["uscc"] = self.uscc(district.code, "1")
            row["tags"] = "预付式"
        else:
            word, section = rnd.choice(_INDUSTRY)
            form = rnd.choice(_FORMS)
            name = f"北京{brand}{word}{form}" if rnd.random() < 0.6 else f"{brand}{word}（北京）{form}"
            row |= {"kind": "企业", "name": name, "industry_section": section}
            row["uscc"] = self.uscc(district.code, "1")
        row.setdefault("legal_representative", self.person())
        row["contact_phone"] = self.phone()
        row["established_on"] = (date(2000, 1, 1) + timedelta(days=rnd.randrange(9000))).isoformat()
        if rnd.random() < 0.3:
            row["aliases"] = self.brand() + rnd.choice(_ALIAS_SUFFIX)
        return row

    def platforms(self, count: int) -> list[dict[str, str]]:
        rows = []
        for i in range(count):
            word = _PLATFORM_WORDS[i % len(_PLATFORM_WORDS)]
            brand = self.brand()
            rows.append(
                {
                    "kind": "平台",
                    "name": f"{brand}{word}（北京）科技有限公司",
                    "uscc": self.uscc("110108", "1"),
                    "division_code": "110108",
                    "industry_section": "I",
                    "aliases": f"{brand}{word}",
                    "status": "存续",
                }
            )
        return rows

    def generate(self, n: int) -> Generated:
        platforms = self.platforms(min(50, max(2, n // 1000)))
        keys = [p["uscc"] for p in platforms]
        rows = platforms + [self.row(i, keys) for i in range(n - len(platforms))]
        return Generated(rows=rows, platforms=len(platforms))


DATABASE_URL: str | None = None  # --database-url: a disposable database instead of temporary SQLite


def _setup(home: Path) -> None:
    os.environ["TIANPING_HOME"] = str(home)
    os.environ["TIANPING_MODE"] = "test"
    os.environ["TIANPING_IMPORT_MAX_BYTES"] = str(2 << 30)
    os.environ["TIANPING_IMPORT_MAX_ROWS"] = str(5_000_000)
    if DATABASE_URL:
        os.environ["TIANPING_DATABASE_URL"] = DATABASE_URL
    else:
        os.environ.pop("TIANPING_DATABASE_URL", None)
    from tianping.core.db import Base, get_engine, set_engine
    from tianping.core.settings import reset_settings_cache

    reset_settings_cache()
    set_engine(None)
    import tianping.core.audit
    import tianping.registry  # noqa: F401  (tables)

    if DATABASE_URL:  # start from empty tables (the database is declared disposable)
        Base.metadata.drop_all(get_engine())
    Base.metadata.create_all(get_engine())


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    from tianping.registry.columns import FIELDS

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS.values())
        for row in rows:
            writer.writerow([row.get(key, "") for key in FIELDS])


def bench_import(rows: int, seed: int) -> bool:
    from tianping.core.authz import SYSTEM
    from tianping.core.db import unit_of_work
    from tianping.registry import import_file

    with tempfile.TemporaryDirectory(prefix="tp-bench-import-") as tmp:
        _setup(Path(tmp))
        data = Generator(seed).generate(rows)
        path = Path(tmp) / "entities.csv"
        _write_csv(path, data.rows)
        size = path.stat().st_size
        started = time.perf_counter()
        with unit_of_work() as session:
            report = import_file(session=session, source=path, filename=path.name, actor=SYSTEM)
        elapsed = time.perf_counter() - started
        with unit_of_work() as session:
            again = import_file(session=session, source=path, filename=path.name, actor=SYSTEM)
    rate = rows / elapsed
    ok = rate >= IMPORT_TARGET_ROWS_PER_S
    print(
        f"[import] {rows:,} rows ({size / 1e6:.1f} MB CSV): created {report.created:,} in {elapsed:.2f} s "
        f"(incl. commit) = {rate:,.0f} rows/s"
    )
    print(
        f"[import] re-import of the same file: created {again.created}, updated {again.updated}, "
        f"unchanged {again.unchanged:,} in {again.seconds:.2f} s"
    )
    print(
        f"[import] {'PASS' if ok else 'FAIL'}: {rate:,.0f} rows/s "
        f"vs target ≥ {IMPORT_TARGET_ROWS_PER_S:,} rows/s"
    )
    return ok


@dataclass
class Probe:
    text: str
    entity_key: str
    kind: str


def _typo(text: str, rnd: random.Random) -> str:
    chars = list(text)
    pos = rnd.randrange(len(chars))
    op = rnd.choice(("sub", "del", "ins"))
    if op == "sub":
        chars[pos] = rnd.choice([c for c in _BRAND_CHARS if c != chars[pos]])
    elif op == "del" and len(chars) > 3:
        del chars[pos]
    else:
        chars.insert(pos, rnd.choice(_BRAND_CHARS))
    return "".join(chars)


def _distinctive(name: str) -> str:
    """The normalised name without its leading place name (北京, 海淀区…): brand and trade remain."""
    from tianping.core import divisions
    from tianping.registry.grams import normalize_name

    text = normalize_name(name)
    for prefix in ["北京", *(d.name for d in divisions.districts())]:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _probes(rows: list[dict[str, str]], count: int, seed: int) -> list[Probe]:
    """Queries a user would type: a piece of the legal name (brand and trade), a brand alias, or either
    with one character substituted, missing or extra."""
    rnd = random.Random(seed + 1)
    probes: list[Probe] = []
    while len(probes) < count:
        row = rnd.choice(rows)
        key = row.get("uscc") or row["external_id"]
        style = rnd.choice(("substring", "alias", "typo"))
        alias = row.get("aliases", "")
        if style == "alias" and not alias:
            continue
        if style == "alias":
            probes.append(Probe(alias, key, "alias"))
            continue
        piece = _distinctive(row["name"])[: rnd.randint(5, 7)]
        if len(piece) < 5:
            continue
        if style == "typo":
            source = alias if len(alias) >= 4 and rnd.random() < 0.5 else piece
            probes.append(Probe(_typo(source, rnd), key, "typo"))
        else:
            probes.append(Probe(piece, key, "substring"))
    return probes


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _batches(rows: list[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def bench_search(entities: int, queries: int, seed: int) -> bool:
    from sqlalchemy import select

    from tianping.core.authz import SYSTEM, Actor, Role
    from tianping.core.db import unit_of_work
    from tianping.registry import MarketEntity, import_records, search_entities

    officer = Actor(user_id=1, username="bench-officer", roles=frozenset({Role.OFFICER}))
    district_officer = Actor(
        user_id=2, username="bench-haidian", roles=frozenset({Role.OFFICER}), division_prefixes=("110108",)
    )
    with tempfile.TemporaryDirectory(prefix="tp-bench-search-") as tmp:
        _setup(Path(tmp))
        started = time.perf_counter()
        data = Generator(seed + 7).generate(entities)
        print(f"[search] generated {entities:,} fictitious entities in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        loaded = 0
        for batch in _batches(data.rows, 100_000):
            with unit_of_work() as session:
                import_records(session=session, records=batch, actor=SYSTEM, source_name="bench")
            loaded += len(batch)
            print(
                f"[search]   loaded {loaded:,} entities, {loaded / (time.perf_counter() - started):,.0f}/s",
                flush=True,
            )
        load_s = time.perf_counter() - started
        if DATABASE_URL:  # what autovacuum does on a server after a bulk load (it may be off here)
            from tianping.core.db import get_engine

            with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        db_files = list(Path(tmp).glob("tianping.db*"))
        size = f"; database {sum(f.stat().st_size for f in db_files) / 1e9:.2f} GB" if db_files else ""
        print(f"[search] loaded {entities:,} entities in {load_s:.1f} s ({entities / load_s:,.0f}/s){size}")
        probes = _probes(data.rows[data.platforms :], queries, seed)
        timings: list[float] = []
        hits = 0
        by_kind: dict[str, list[int]] = {}
        with unit_of_work() as session:
            keys = {p.entity_key for p in probes}
            ids: dict[str, int] = {}
            for key_column in (MarketEntity.uscc, MarketEntity.external_id):
                for start in range(0, len(keys), 500):
                    part = list(keys)[start : start + 500]
                    for eid, key in session.execute(
                        select(MarketEntity.id, key_column).where(key_column.in_(part))
                    ):
                        ids[key] = eid
            for probe in probes[:20]:  # warm the page cache a little, as a running server would be
                search_entities(session=session, text=probe.text, actor=officer, limit=10)
            for probe in probes:
                t0 = time.perf_counter()
                results = search_entities(session=session, text=probe.text, actor=officer, limit=10)
                timings.append((time.perf_counter() - t0) * 1000)
                found = ids[probe.entity_key] in {r.id for r in results}
                hits += found
                by_kind.setdefault(probe.kind, [0, 0])
                by_kind[probe.kind][0] += found
                by_kind[probe.kind][1] += 1
            scoped: list[float] = []
            for probe in probes:  # the same queries by a district officer (join with the scope filter)
                t0 = time.perf_counter()
                search_entities(session=session, text=probe.text, actor=district_officer, limit=10)
                scoped.append((time.perf_counter() - t0) * 1000)
    p50, p95, p99 = (_percentile(timings, p) for p in (50, 95, 99))
    print(
        f"[search] {len(probes)} queries on {entities:,} entities: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"p99 {p99:.1f} ms, mean {statistics.fmean(timings):.1f} ms, max {max(timings):.1f} ms"
    )
    detail = ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(by_kind.items()))
    print(f"[search] intended entity in top 10: {hits}/{len(probes)} = {hits / len(probes):.1%} ({detail})")
    print(
        f"[search] same queries by a district officer (scope join): p50 {_percentile(scoped, 50):.1f} ms, "
        f"p95 {_percentile(scoped, 95):.1f} ms"
    )
    ok = p95 <= SEARCH_TARGET_P95_MS
    print(f"[search] {'PASS' if ok else 'FAIL'}: p95 {p95:.1f} ms vs target ≤ {SEARCH_TARGET_P95_MS:.0f} ms")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--entities", type=int, default=1_000_000, help="entities loaded for the search bench"
    )
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows of the CSV import bench")
    parser.add_argument("--queries", type=int, default=500, help="fuzzy queries to time")
    parser.add_argument("--seed", type=int, default=20250618)
    parser.add_argument("--quick", action="store_true", help="small smoke run: 5,000 rows, 20,000 entities")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument(
        "--database-url",
        help="run against this EMPTY, DISPOSABLE database (e.g. postgresql+psycopg://…/bench) instead of a "
        "temporary SQLite file; its tables are dropped and recreated",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.entities, args.import_rows, args.queries = 20_000, 5_000, 200
    global DATABASE_URL
    DATABASE_URL = args.database_url
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    results = []
    if not args.skip_import:
        results.append(bench_import(args.import_rows, args.seed))
    if not args.skip_search:
        results.append(bench_search(args.entities, args.queries, args.seed))
    print("[bench] ALL PASS" if all(results) else "[bench] SOME TARGETS FAILED")
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
