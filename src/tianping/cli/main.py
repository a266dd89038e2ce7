"""Entry point of the `tianping` command."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tianping import __version__
from tianping.cli import (
    calendar_cmd,
    complaints_cmd,
    evidence_cmd,
    prices_cmd,
    promotion_cmd,
    registry_cmd,
    reports_cmd,
)
from tianping.cli.common import cli_actor, cli_errors, fail
from tianping.core.audit import AuditQuery, list_events
from tianping.core.authz import ROLE_LABELS, Role
from tianping.core.db import unit_of_work
from tianping.core.settings import get_settings
from tianping.core.timeutil import format_local

app = typer.Typer(
    name="tianping",
    help="天平：网络交易监管与消费者权益保护平台",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
users_app = typer.Typer(help="用户与 API 令牌", no_args_is_help=True)
orgs_app = typer.Typer(help="机构", no_args_is_help=True)
demo_app = typer.Typer(help="演示数据", no_args_is_help=True)
docs_app = typer.Typer(help="开发者文档", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(orgs_app, name="orgs")
app.add_typer(demo_app, name="demo")
app.add_typer(docs_app, name="docs")
app.add_typer(calendar_cmd.app, name="calendar")
app.add_typer(registry_cmd.app, name="registry")
app.add_typer(promotion_cmd.app, name="promotions")
app.add_typer(evidence_cmd.app, name="evidence")
app.add_typer(prices_cmd.app, name="prices")
app.add_typer(complaints_cmd.app, name="complaints")
app.add_typer(reports_cmd.app, name="reports")

console = Console()


@app.command()
def version() -> None:
    """显示版本号。"""
    typer.echo(__version__)


@app.command()
@cli_errors
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="监听端口", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="工作进程数", min=1, max=32)] = 1,
    upgrade: Annotated[bool, typer.Option(help="启动前执行数据库迁移")] = True,
) -> None:
    """启动 Web 平台与 JSON API。"""
    import uvicorn

    from tianping.migrate import upgrade as do_upgrade

    if upgrade:
        do_upgrade()
    typer.echo(f"天平平台：http://{host}:{port}/  （API 文档：http://{host}:{port}/api/v1/openapi.json）")
    uvicorn.run(
        "tianping.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=get_settings().log_level.lower(),
    )


@db_app.command("upgrade")
@cli_errors
def db_upgrade(revision: Annotated[str, typer.Argument(help="目标版本")] = "head") -> None:
    """把数据库迁移到最新（或指定）版本。"""
    from tianping.migrate import upgrade

    upgrade(revision=revision)
    typer.echo(f"数据库已迁移到 {revision}：{get_settings().resolved_database_url.split('@')[-1]}")


@db_app.command("current")
@cli_errors
def db_current() -> None:
    """显示数据库当前版本与最新版本。"""
    from tianping.core.db import get_engine
    from tianping.migrate import current_revision, head_revision

    with get_engine().connect() as conn:
        current = current_revision(conn)
    head = head_revision()
    verdict = "✓ 已是最新" if current == head else "需要执行 tianping db upgrade"
    typer.echo(f"当前：{current or '（未初始化）'}  最新：{head}  {verdict}")


@users_app.command("create")
@cli_errors
def users_create(
    username: Annotated[str, typer.Argument(help="登录名")],
    org: Annotated[str, typer.Option(help="所属机构名称")],
    role: Annotated[list[Role], typer.Option(help="角色，可重复")],
    display_name: Annotated[str, typer.Option(help="姓名")] = "",
    password_env: Annotated[str, typer.Option(help="从该环境变量读取密码（否则交互输入）")] = "",
) -> None:
    """新建用户。"""
    from tianping.identity import service
    from tianping.identity.schemas import UserIn

    password = (
        os.environ.get(password_env, "")
        if password_env
        else typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    )
    if not password:
        raise fail(f"环境变量 {password_env} 未设置或为空")
    with unit_of_work() as session:
        org_row = service.find_org(session, name=org)
        if org_row is None:
            raise fail(f"机构不存在：{org}")
        user = service.create_user(
            session,
            actor=cli_actor(),
            user_in=UserIn(
                username=username,
                display_name=display_name or username,
                password=password,
                org_id=org_row.id,
                roles=role,
            ),
        )
        typer.echo(f"已新建用户 {user.username}（{'、'.join(ROLE_LABELS[Role(r)] for r in user.roles)}）")


@users_app.command("list")
@cli_errors
def users_list() -> None:
    """列出用户（手机号脱敏）。"""
    from tianping.identity import service

    with unit_of_work() as session:
        table = Table("登录名", "姓名", "机构", "角色", "状态")
        for u in service.list_users(session, actor=cli_actor()):
            out = service.to_user_out(u)
            table.add_row(
                out.username,
                out.display_name,
                out.org_name,
                "、".join(ROLE_LABELS[Role(r)] for r in out.roles),
                "启用" if out.is_active else "停用",
            )
        console.print(table)


@users_app.command("token")
@cli_errors
def users_token(
    username: Annotated[str, typer.Argument(help="登录名")],
    name: Annotated[str, typer.Option(help="令牌名称，如 平台对接")],
    days: Annotated[int, typer.Option(help="有效天数", min=1, max=3650)] = 365,
) -> None:
    """为用户创建 API 令牌（明文只显示一次）。"""
    from sqlalchemy import select

    from tianping.identity import service
    from tianping.identity.models import User

    with unit_of_work() as session:
        user_id = session.scalar(select(User.id).where(User.username == username.strip().lower()))
        if user_id is None:
            raise fail(f"用户不存在：{username}")
        _, token = service.create_api_token(session, user_id=user_id, name=name, actor=cli_actor(), days=days)
    typer.echo(f"API 令牌（只显示一次，请妥善保存）：{token}")


@orgs_app.command("list")
@cli_errors
def orgs_list() -> None:
    """列出机构。"""
    from tianping.identity import service
    from tianping.identity.models import ORG_KIND_LABELS, OrgKind

    with unit_of_work() as session:
        table = Table("编号", "名称", "类型", "辖区")
        for o in service.list_orgs(session, actor=cli_actor()):
            table.add_row(str(o.id), o.name, ORG_KIND_LABELS[OrgKind(o.kind)], o.division_code or "全市")
        console.print(table)


@app.command("audit")
@cli_errors
def audit_list(
    action: Annotated[str, typer.Option(help="操作前缀，如 pii.")] = "",
    user: Annotated[str, typer.Option(help="操作人登录名")] = "",
    limit: Annotated[int, typer.Option(help="条数", min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 行")] = False,
) -> None:
    """查看审计日志（最新在前）。"""
    with unit_of_work() as session:
        rows, total = list_events(
            session,
            actor=cli_actor(),
            query=AuditQuery(action=action or None, actor_username=user or None, limit=limit),
        )
        if as_json:
            for e in rows:
                typer.echo(
                    json.dumps(
                        {
                            "id": e.id,
                            "at": e.occurred_at.isoformat(),
                            "user": e.actor_username,
                            "ip": e.ip,
                            "action": e.action,
                            "object": f"{e.object_type}:{e.object_id}",
                            "summary": e.summary,
                        },
                        ensure_ascii=False,
                    )
                )
            return
        table = Table("时间", "操作人", "操作", "对象", "摘要", title=f"审计日志（共 {total} 条）")
        for e in rows:
            table.add_row(
                format_local(e.occurred_at, "%Y-%m-%d %H:%M:%S"),
                e.actor_username,
                e.action,
                f"{e.object_type}#{e.object_id or ''}",
                e.summary,
            )
        console.print(table)


@demo_app.command("load")
@cli_errors
def demo_load(
    seed: Annotated[int | None, typer.Option(help="随机种子（默认取设置 TIANPING_DEMO_SEED）")] = None,
    entities: Annotated[int | None, typer.Option(help="经营主体数量", min=100, max=2_000_000)] = None,
    reset: Annotated[bool, typer.Option(help="若已有演示数据则先清空业务数据")] = False,
    skip_if_present: Annotated[
        bool, typer.Option(help="数据库中已有机构时跳过（make demo 重复执行时使用）")
    ] = False,
) -> None:
    """生成虚构的北京演示数据集（机构、用户、平台、店铺、预付式经营者……）。"""
    from rich.progress import Progress

    from tianping.demo import load_demo
    from tianping.identity import service as identity
    from tianping.migrate import upgrade

    settings = get_settings()
    upgrade()
    if skip_if_present and not reset:
        with unit_of_work() as session:
            if identity.list_orgs(session, actor=cli_actor()):
                typer.echo("数据库中已有数据，跳过演示数据生成（如需重建：tianping demo load --reset）")
                _print_demo_logins()
                return
    with Progress(console=console) as progress, unit_of_work() as session:
        summary = load_demo(
            session,
            seed=settings.demo_seed if seed is None else seed,
            entities=entities or settings.demo_entities,
            reset=reset,
            progress=progress,
        )
    console.print(summary.render())


def _print_demo_logins() -> None:
    from tianping.demo import DEMO_PASSWORD, DEMO_USERS

    table = Table(
        "登录名",
        "角色",
        "所属机构",
        "用途",
        title=f"演示账号（统一密码：{DEMO_PASSWORD}）",
        title_justify="left",
    )
    for username, _name, role, org_name, purpose in DEMO_USERS:
        table.add_row(username, ROLE_LABELS[role], org_name, purpose)
    console.print(table)


@docs_app.command("cli")
@cli_errors
def docs_cli(out: Annotated[Path, typer.Option(help="输出文件")] = Path("docs/cli.md")) -> None:
    """生成命令行参考文档（docs/cli.md）。"""
    from tianping.cli.reference import render_reference

    out.write_text(render_reference(app), encoding="utf-8")
    typer.echo(f"已写入 {out}")


@docs_app.command("settings")
@cli_errors
def docs_settings(out: Annotated[Path, typer.Option(help="输出文件")] = Path("docs/settings.md")) -> None:
    """生成设置项参考文档（docs/settings.md）。"""
    from tianping.cli.reference import render_settings

    out.write_text(render_settings(), encoding="utf-8")
    typer.echo(f"已写入 {out}")


def main() -> None:
    app()
