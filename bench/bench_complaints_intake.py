"""Benchmark of complaint intake: 12345 export import and batch triage.

    .venv/bin/python bench/bench_complaints_intake.py                 # 50,000 work orders
    .venv/bin/python bench/bench_complaints_intake.py --rows 5000     # quicker
    .venv/bin/python bench/bench_complaints_intake.py --postgres postgresql+psycopg://…/scratch  # throwaway

A fresh SQLite database in a temporary TIANPING_HOME is migrated (``tianping.migrate.upgrade``) and
given a demo-like world: the 16 district bureaus, a market-supervision station per street of 丰台 and
海淀, member units (商务局, 体育局, 教育委员会) per district and a registry of fictitious businesses,
platforms and shops (with brand aliases). Then:

1. import: a fictitious 12345 export of ``--rows`` rows is written as CSV and imported with
   ``complaints.importer.run_import(triage=False)`` (decoding, validation, idempotency check, parties,
   tickets, 第七条 splits, clocks, timeline) — target ≥ 2,000 rows/s;
2. triage: every imported ticket is triaged with ``triage_many`` in batches of 2,000 (classifier,
   registry linking, duplicates, routing) — target ≥ 1,000 tickets/s;
3. re-import: the same file again must create nothing.

All names are fictitious (word lists); phone numbers are random 1380000xxxx-style numbers.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

IMPORT_TARGET = 2_000.0
TRIAGE_TARGET = 1_000.0
TRIAGE_BATCH = 2_000

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国志文丹萍红梅鹏辉玲"
_BRAND = (
    "鑫盛源华泰恒达兴隆宏嘉佳瑞祥福康安和美优信诚德润丰顺通利博远腾飞创新星辰海天东方"
    "明阳金银玉宝鼎龙凤锦绣春秋山水林森荣"
)
_SHOPS = [
    ("美容美发店", "O", "prepaid.beauty", "办理了美容卡{amount}元，门店突然停业，剩余费用无法退还。"),
    ("健身中心", "R", "prepaid.fitness", "办了健身年卡{amount}元，健身房关门跑路，教练联系不上。"),
    ("教育培训学校", "P", "prepaid.education", "给孩子报了培训课程{amount}元，机构停课不退费。"),
    ("餐厅", "H", "prepaid.catering", "充值了储值卡{amount}元，餐厅倒闭，余额无法使用。"),
    ("便利店", "F", "food", "买到过期食品，要求退一赔十被拒绝。"),
    ("超市", "F", "online.price", "商品标价与结算价格不一致，多收了{amount}元。"),
]
_ONLINE = [
    ("online.coupon", "领取的满减优惠券在结算时无法使用，商家称活动规则已变更。"),
    ("online.return", "收到的商品有质量问题，申请七日无理由退货被拒绝。"),
    ("online.logistics", "订单付款后迟迟不发货，客服一直推脱。"),
    ("online.livestream", "直播间宣传的商品与实际收到的不符，主播拒绝售后。"),
]
_KINDS = ["投诉"] * 70 + ["举报"] * 8 + ["咨询"] * 15 + ["建议"] * 4 + ["投诉举报"] * 3
_URGENCY = ["一般"] * 90 + ["紧急"] * 7 + ["民生保障"] * 3
_HEADERS = ["工单编号", "来电时间", "诉求类型", "紧急程度", "来电人", "联系电话", "诉求地址", "被反映主体",
            "诉求标题", "诉求内容", "诉求", "涉及金额", "订单号", "平台名称"]  # fmt: skip


def _setup(home: Path, postgres: str | None) -> str:
    os.environ["TIANPING_HOME"] = str(home)
    os.environ["TIANPING_MODE"] = "test"
    os.environ["TIANPING_IMPORT_MAX_BYTES"] = str(2 << 30)
    os.environ["TIANPING_IMPORT_MAX_ROWS"] = str(5_000_000)
    url = postgres or f"sqlite:///{home / 'bench.db'}"
    os.environ["TIANPING_DATABASE_URL"] = url
    from tianping.core.db import Base, get_engine, set_engine
    from tianping.core.settings import reset_settings_cache
    from tianping.migrate import upgrade

    reset_settings_cache()
    set_engine(None)
    if postgres:  # declared disposable: start from nothing
        import tianping.models  # noqa: F401  (all tables)

        Base.metadata.drop_all(get_engine())
        from sqlalchemy import text

        with get_engine().begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        set_engine(None)
    upgrade(url)
    return url


class World:
    """Organisations and registry entities of the benchmark (fictitious)."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.businesses: list[tuple[str, str, str]] = []  # (name, alias, category)
        self.platforms: list[tuple[str, str]] = []  # (name, alias)
        self.streets: list[tuple[str, str, str]] = []  # (district name, street name, code)

    def build(self) -> None:
        from tianping.core import divisions
        from tianping.core.authz import SYSTEM
        from tianping.core.db import unit_of_work
        from tianping.core.timeutil import utcnow
        from tianping.identity.models import Organization, OrgKind
        from tianping.registry import import_records

        now = utcnow()
        orgs: list[Organization] = []
        for district in divisions.districts():
            orgs.append(
                Organization(
                    name=f"{district.name}市场监督管理局",
                    kind=OrgKind.DISTRICT_BUREAU.value,
                    division_code=district.code,
                    jurisdiction=[],
                    industry_sections=[],
                    is_active=True,
                    created_at=now,
                )
            )
            for unit, sections in (("商务局", ["F", "H", "O"]), ("体育局", ["R"]), ("教育委员会", ["P"])):
                orgs.append(
                    Organization(
                        name=f"{district.name}{unit}",
                        kind=OrgKind.MEMBER_UNIT.value,
                        division_code=district.code,
                        jurisdiction=[],
                        industry_sections=sections,
                        is_active=True,
                        created_at=now,
                    )
                )
            if district.code in ("110106", "110108"):
                for street in divisions.streets(district.code):
                    self.streets.append((district.name, street.name, street.code))
                    orgs.append(
                        Organization(
                            name=f"{district.name}{street.name.removesuffix('街道')}市场监管所",
                            kind=OrgKind.STATION.value,
                            division_code=street.code,
                            jurisdiction=[],
                            industry_sections=[],
                            is_active=True,
                            created_at=now,
                        )
                    )
        records: list[dict[str, str]] = []
        for i, word in enumerate(("外卖", "优选", "商城", "直播")):
            name = f"京{_BRAND[i * 3 : i * 3 + 2]}{word}平台网络科技有限公司"
            alias = f"{_BRAND[i * 3 : i * 3 + 2]}{word}"
            self.platforms.append((name, alias))
            records.append(
                {
                    "name": name,
                    "kind": "platform",
                    "external_id": f"P{i}",
                    "division_code": "110108",
                    "aliases": alias,
                }
            )
        seen: set[str] = set()
        while len(self.businesses) < 2_000:
            brand = "".join(self.rnd.sample(_BRAND, 2))
            shop, section, category, _text = self.rnd.choice(_SHOPS)
            _district_name, street_name, code = self.rnd.choice(self.streets)
            name = f"{brand}{shop}（{street_name.removesuffix('街道')}店）"
            if name in seen:
                continue
            seen.add(name)
            alias = f"{brand}{shop[:2]}"
            self.businesses.append((name, alias, category))
            records.append(
                {
                    "name": name,
                    "kind": "enterprise",
                    "external_id": f"B{len(self.businesses)}",
                    "division_code": code,
                    "industry_section": section,
                    "aliases": alias,
                }
            )
        with unit_of_work() as session:
            session.add_all(orgs)
            import_records(session=session, records=records, actor=SYSTEM, source_name="bench")

    def export(self, n: int) -> bytes:
        rnd = self.rnd
        phones = [f"13{rnd.randint(5, 9)}{rnd.randint(0, 99_999_999):08d}" for _ in range(max(1, n // 3))]
        names = {p: rnd.choice(_SURNAMES) + "".join(rnd.sample(_GIVEN, 2)) for p in phones}
        start = datetime(2025, 5, 1, 8, 0)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_HEADERS)
        for i in range(n):
            phone = rnd.choice(phones)
            district, street, _code = rnd.choice(self.streets)
            roll = rnd.random()
            platform = ""
            order = ""
            if roll < 0.2:
                category, text = rnd.choice(_ONLINE)
                platform_name, alias = rnd.choice(self.platforms)
                platform = alias if rnd.random() < 0.7 else platform_name
                business = ""
                order = f"{rnd.randint(10**15, 10**16 - 1)}"
                title = "网购纠纷"
            else:
                name, alias, category = rnd.choice(self.businesses)
                shop_text = next(t for s, _sec, c, t in _SHOPS if c == category)
                text = shop_text.format(amount=rnd.choice((980, 2000, 3000, 5800)))
                pick = rnd.random()
                business = name if pick < 0.6 else alias if pick < 0.8 else name[:-1] if pick < 0.9 else ""
                if not business:
                    text = f"我在{name.split('（')[0]}消费，" + text
                title = text[:12]
            amount = f"{rnd.choice((98, 980, 2000, 3000))}.00" if rnd.random() < 0.6 else ""
            writer.writerow(
                [
                    f"GD{start:%Y%m}{i:07d}",
                    f"{start + timedelta(minutes=i * 2):%Y-%m-%d %H:%M}",
                    rnd.choice(_KINDS),
                    rnd.choice(_URGENCY),
                    names[phone],
                    phone,
                    f"北京市{district}{street}示例路{rnd.randint(1, 300)}号",
                    business,
                    title,
                    text,
                    "要求退款" if rnd.random() < 0.8 else "",
                    amount,
                    order,
                    platform,
                ]
            )
        return buffer.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=50_000, help="work orders in the export (default 50,000)")
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument("--postgres", default=None, help="a DISPOSABLE PostgreSQL URL instead of SQLite")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tp-bench-intake-") as tmp:
        home = Path(tmp)
        url = _setup(home, args.postgres)
        from sqlalchemy import func, select

        from tianping.complaints.importer import run_import
        from tianping.complaints.models import Ticket
        from tianping.complaints.triage import triage_many
        from tianping.core.authz import SYSTEM
        from tianping.core.db import unit_of_work

        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(f"backend: {backend} ({url.split('@')[-1] if args.postgres else 'temporary file'})")
        rnd = random.Random(args.seed)
        world = World(rnd)
        t0 = time.perf_counter()
        world.build()
        print(f"world: {len(world.businesses):,} businesses, {len(world.platforms)} platforms, "
              f"{len(world.streets)} streets with stations ({time.perf_counter() - t0:.1f} s)")  # fmt: skip
        data = world.export(args.rows)
        print(f"export: {args.rows:,} rows, {len(data) / 1e6:.1f} MB CSV")

        t0 = time.perf_counter()
        with unit_of_work() as session:
            report = run_import(
                session=session, data=data, filename="12345.csv", channel="12345", mapping=None,
                actor=SYSTEM, triage=False,
            )  # fmt: skip
        import_s = time.perf_counter() - t0
        import_rate = report.total_rows / import_s
        print(f"import: {report.created:,} rows → {report.tickets:,} tickets in {import_s:.2f} s "
              f"= {import_rate:,.0f} rows/s (target ≥ {IMPORT_TARGET:,.0f})")  # fmt: skip

        t0 = time.perf_counter()
        triaged = 0
        with unit_of_work() as session:
            ids = list(session.scalars(select(Ticket.id).order_by(Ticket.id)))
            for start in range(0, len(ids), TRIAGE_BATCH):
                chunk = ids[start : start + TRIAGE_BATCH]
                tickets = list(
                    session.scalars(select(Ticket).where(Ticket.id.in_(chunk)).order_by(Ticket.id))
                )
                triaged += triage_many(session=session, tickets=tickets, actor=SYSTEM)
                session.expunge_all()
        triage_s = time.perf_counter() - t0
        triage_rate = triaged / triage_s
        print(f"triage: {triaged:,} tickets in {triage_s:.2f} s = {triage_rate:,.0f} tickets/s "
              f"(target ≥ {TRIAGE_TARGET:,.0f})")  # fmt: skip
        with unit_of_work() as session:
            linked = session.scalar(
                select(func.count()).select_from(Ticket).where(Ticket.link_status == "linked")
            )
            review = session.scalar(
                select(func.count()).select_from(Ticket).where(Ticket.needs_review.is_(True))
            )
            routed = session.scalar(
                select(func.count()).select_from(Ticket).where(Ticket.handling_org_id.is_not(None))
            )
            matters = session.scalar(
                select(func.count()).select_from(Ticket).where(Ticket.matter_id.is_not(None))
            )
        print(f"  linked {linked:,} · needs review {review:,} · routed {routed:,} · in a matter {matters:,}")

        t0 = time.perf_counter()
        with unit_of_work() as session:
            again = run_import(
                session=session, data=data, filename="12345.csv", channel="12345", mapping=None,
                actor=SYSTEM, triage=False,
            )  # fmt: skip
        seconds = time.perf_counter() - t0
        print(f"re-import: created {again.created}, existing {again.existing:,} ({seconds:.2f} s)")
        ok_import = import_rate >= IMPORT_TARGET
        ok_triage = triage_rate >= TRIAGE_TARGET
        ok_idem = again.created == 0 and again.existing == report.created
        print(f"{'PASS' if ok_import else 'FAIL'} import {import_rate:,.0f} rows/s ≥ {IMPORT_TARGET:,.0f}")
        print(f"{'PASS' if ok_triage else 'FAIL'} triage {triage_rate:,.0f} tickets/s ≥ {TRIAGE_TARGET:,.0f}")
        print(f"{'PASS' if ok_idem else 'FAIL'} re-import creates nothing")
        from tianping.core.db import set_engine

        set_engine(None)
        return 0 if ok_import and ok_triage and ok_idem else 1


if __name__ == "__main__":
    sys.exit(main())
