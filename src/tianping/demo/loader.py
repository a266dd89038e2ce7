"""Loading the demo dataset into a database, inside the caller's unit of work (never commits).

Entities go through the registry's bulk import (Core statements in batches, search index maintained,
one ``registry.import`` audit event), then their simulated history (record creation and status-change
times over the last two years) is written with one bulk UPDATE by primary key. Organisations and users
go through the identity service. One ``demo.load`` audit event summarises the load.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from datetime import date

from rich.progress import Progress, TaskID
from sqlalchemy import MetaData, Table, delete, func, select, update
from sqlalchemy.orm import Session

import tianping.models  # noqa: F401  (every domain's tables, for a complete reset)
from tianping import registry
from tianping.core import audit
from tianping.core.authz import Actor, Role
from tianping.core.db import Base
from tianping.core.errors import Conflict
from tianping.core.settings import get_settings
from tianping.core.timeutil import local_today
from tianping.demo import identifiers as ids
from tianping.demo.complaints import complaints_count, load_complaints
from tianping.demo.entities import EntitySpec, generate_entities
from tianping.demo.evidence import add_demo_evidence
from tianping.demo.organizations import CITY_BUREAU, create_organizations, plan_organizations
from tianping.demo.summary import DemoLogin, DemoSummary
from tianping.demo.words import PLATFORMS
from tianping.evidence import service as evidence_service
from tianping.identity import service as identity
from tianping.identity.models import Organization, OrgKind, User
from tianping.identity.schemas import UserIn
from tianping.registry.models import EntityKind, MarketEntity

__all__ = ["DEMO_ACTOR", "DEMO_PASSWORD", "DEMO_USERS", "KEEP_ON_RESET", "load_demo", "to_import_record"]

DEMO_PASSWORD = "Tianping-2025"
"""The password of every demo account (meets the identity rules: ≥ 10 characters, letters and digits)."""

DEMO_ACTOR = Actor(user_id=None, username="demo", roles=frozenset({Role.ADMIN}))
"""Who the organisations, users and entities of the demo are recorded as created by."""

# (username, display name, role, organisation, purpose)
DEMO_USERS: tuple[tuple[str, str, Role, str, str], ...] = (
    ("admin", "演示管理员", Role.ADMIN, CITY_BUREAU, "机构、用户、审计日志的管理"),
    ("officer", "市局监管员", Role.OFFICER, CITY_BUREAU, "全市范围的监管业务"),
    ("haidian_officer", "海淀区局监管员", Role.OFFICER, "海淀区市场监督管理局", "仅限海淀区"),
    ("fengtai_officer", "丰台区局监管员", Role.OFFICER, "丰台区市场监督管理局", "仅限丰台区"),
    ("station_officer", "清源所监管员", Role.STATION_OFFICER, "清源市场监管所", "仅限清源所辖街道"),
    ("sports_handler", "丰台区体育局经办人", Role.MEMBER_UNIT_HANDLER, "丰台区体育局", "丰台区体育健身"),
    ("platform_handler", "示例外卖经办人", Role.PLATFORM_HANDLER, PLATFORMS[0].company, "仅限本平台"),
    ("platform2_handler", "京彩优选经办人", Role.PLATFORM_HANDLER, PLATFORMS[1].company, "仅限本平台"),
    ("analyst", "市局分析员", Role.ANALYST, CITY_BUREAU, "统计分析（只读）"),
    ("xicheng_cca", "西城区消协工作人员", Role.ANALYST, "西城区消费者协会", "消费者协会（只读）"),
)

KEEP_ON_RESET = frozenset({"audit_event"})
"""Tables a reset never empties. A domain marks reference data with ``__table_args__ = {"info":
{"keep_on_demo_reset": True}}``; every other table of ``Base.metadata`` is business data."""


class _Steps:
    """Rich progress tasks, or nothing when no progress display is given."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, description: str, total: float = 1) -> None:
        self.finish()
        if self.progress is not None:
            self.task = self.progress.add_task(description, total=total)

    def update(self, *, completed: float, total: float | None = None, description: str | None = None) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=completed, total=total, description=description)

    def finish(self) -> None:
        if self.progress is not None and self.task is not None:
            task = self.progress.tasks[self.task]
            self.progress.update(self.task, completed=task.total or 1)
        self.task = None


def to_import_record(spec: EntitySpec, platform_usccs: Mapping[str, str]) -> dict[str, str]:
    """The registry import record (field key -> cell text) of a generated entity."""
    platform = ""
    if spec.kind in (EntityKind.PLATFORM_SHOP, EntityKind.LIVESTREAM) and spec.platform_key:
        platform = platform_usccs[spec.platform_key]
    return {
        "name": spec.name,
        "kind": spec.kind.value,
        "uscc": spec.uscc or "",
        "external_id": spec.external_id or "",
        "platform": platform,
        "registered_address": spec.registered_address,
        "division_code": spec.division_code,
        "industry_section": spec.industry_section,
        "status": spec.status.value,
        "established_on": spec.established_on.isoformat(),
        "legal_representative": spec.legal_representative or "",
        "contact_phone": spec.contact_phone or "",
        "operator_id_card": spec.operator_id_card or "",
        "aliases": "；".join(f"{kind.value}:{alias}" for alias, kind in spec.aliases),
        "tags": "；".join(spec.tags),
    }


def _business_tables(session: Session) -> list[Table]:
    """The tables a reset empties, children before parents.

    Read from the database itself, so a table whose model was not imported is emptied too (rows of
    other domains refer to entities and organisations by id, often without a foreign key).
    """
    present = MetaData()
    present.reflect(bind=session.connection())
    keep = set(KEEP_ON_RESET) | {"alembic_version"}
    keep |= {t.name for t in Base.metadata.sorted_tables if t.info.get("keep_on_demo_reset")}
    return [table for table in reversed(present.sorted_tables) if table.name not in keep]


def _existing_demo_data(session: Session, org_names: list[str]) -> bool:
    if session.scalar(select(MarketEntity.id).limit(1)) is not None:
        return True
    if session.scalar(select(Organization.id).where(Organization.name.in_(org_names)).limit(1)) is not None:
        return True
    usernames = [u[0] for u in DEMO_USERS]
    return session.scalar(select(User.id).where(User.username.in_(usernames)).limit(1)) is not None


def _reset(session: Session) -> list[str]:
    """Empty every business table (see :data:`KEEP_ON_RESET`); returns the table names emptied."""
    names: list[str] = []
    for table in _business_tables(session):
        session.execute(delete(table))
        names.append(table.name)
    session.expunge_all()
    return names


def _write_history(session: Session, specs: list[EntitySpec]) -> dict[str, int]:
    """Set each entity's creation and last-change time; returns entity id by name."""
    ids_by_name = {name: eid for eid, name in session.execute(select(MarketEntity.id, MarketEntity.name))}
    rows = [
        {"id": ids_by_name[s.name], "created_at": s.created_at, "updated_at": s.updated_at} for s in specs
    ]
    for start in range(0, len(rows), 5_000):
        session.execute(update(MarketEntity), rows[start : start + 5_000])
    return ids_by_name


def _create_users(session: Session, *, seed: int, orgs: Mapping[str, Organization]) -> list[DemoLogin]:
    rng = random.Random(f"{seed}-users")
    logins: list[DemoLogin] = []
    for username, display_name, role, org_name, purpose in DEMO_USERS:
        org = orgs[org_name]
        user_in = UserIn(
            username=username,
            display_name=display_name,
            password=DEMO_PASSWORD,
            org_id=org.id,
            roles=[role],
            phone=ids.mobile(rng),
            email=f"{username}@demo.tianping.invalid",
        )
        identity.create_user(session, user_in=user_in, actor=DEMO_ACTOR)
        logins.append(DemoLogin(username=username, role=role, org_name=org_name, purpose=purpose))
    return logins


def load_demo(
    session: Session,
    *,
    seed: int,
    entities: int,
    reset: bool,
    progress: Progress | None = None,
    as_of: date | None = None,
) -> DemoSummary:
    """Generate and write the fictitious Beijing dataset; the caller commits.

    ``as_of`` (default: today in the configured zone) is the end of the simulated two-year history;
    the same seed gives the same names and people for any ``as_of``, and identical rows for the
    same one. Raises :class:`Conflict` when demo data exists and ``reset`` is false, and always in
    production mode.
    """
    started = time.perf_counter()
    if get_settings().mode == "production":
        raise Conflict("生产环境不能加载演示数据")
    as_of = as_of or local_today()
    steps = _Steps(progress)
    plan = plan_organizations(seed)
    org_names = [
        CITY_BUREAU,
        *(s.name for s in plan.stations),
        *(u[0] for u in plan.member_units),
        *(p.company for p in PLATFORMS),
    ]

    steps.start("检查现有数据")
    emptied: list[str] = []
    if _existing_demo_data(session, org_names):
        if not reset:
            raise Conflict("已有演示数据；如需重建请加 --reset")
        steps.start("清空原有业务数据")
        emptied = _reset(session)

    steps.start("生成虚构经营主体")
    specs = generate_entities(seed=seed, count=entities, as_of=as_of)
    platform_usccs = {
        s.platform_key: s.uscc for s in specs if s.kind == EntityKind.PLATFORM and s.platform_key and s.uscc
    }
    records = [to_import_record(s, platform_usccs) for s in specs]

    steps.start("写入经营主体", total=len(records))

    def on_import(phase: str, done: int, total: int) -> None:
        steps.update(completed=done, total=max(total, 1), description=f"写入经营主体（{phase}）")

    registry.import_records(
        session=session, records=records, actor=DEMO_ACTOR, source_name="演示数据", progress=on_import
    )
    steps.start("写入经营主体历史时间")
    ids_by_name = _write_history(session, specs)

    steps.start("建立机构")
    platform_ids = {p.key: ids_by_name[p.company] for p in PLATFORMS}
    created = create_organizations(session, plan=plan, platform_ids=platform_ids, actor=DEMO_ACTOR)

    steps.start("建立演示账号", total=len(DEMO_USERS))
    logins = _create_users(session, seed=seed, orgs=created.by_name)

    steps.start("登记演示电子证据")
    add_demo_evidence(session)
    if emptied:  # files of the emptied evidence log that no entry names any more
        evidence_service.sweep_blobs(session=session, actor=DEMO_ACTOR)

    steps.start("生成演示投诉举报工单")
    load_complaints(session=session, seed=seed, today=as_of, count=complaints_count(entities))

    kinds = dict(session.execute(select(MarketEntity.kind, func.count()).group_by(MarketEntity.kind)).all())
    summary = DemoSummary(
        seed=seed,
        as_of=as_of,
        password=DEMO_PASSWORD,
        entities={kind: int(kinds.get(kind.value, 0)) for kind in EntityKind},
        organizations={kind: created.counts.get(kind, 0) for kind in OrgKind},
        logins=logins,
        reset=bool(emptied),
    )
    summary.seconds = round(time.perf_counter() - started, 2)
    detail = summary.as_detail() | {"emptied_tables": emptied}
    audit.record(
        session,
        actor=DEMO_ACTOR,
        action="demo.load",
        object_type="demo",
        object_id=str(seed),
        summary=(
            f"加载演示数据（种子 {seed}）：经营主体 {summary.total_entities} 个，"
            f"机构 {sum(summary.organizations.values())} 个，账号 {len(logins)} 个"
            + ("，已先清空原有业务数据" if emptied else "")
        ),
        detail=detail,
    )
    steps.finish()
    return summary
