"""``tianping evidence``: keep files and digests in the tamper-evident log, receipts, offline
verification, the full-store audit and the log's signing keys.

Exit codes: 0 done; 1 ``verify`` or ``audit`` found the evidence or the store altered; 2 unusable
input (a missing file, a malformed digest or receipt), with one ``错误：…`` line on stderr.
``hash`` and ``verify`` need no database and no network. Commands act as the installation's
operator (an administrator, audited under ``cli:<OS user>``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table

from tianping.cli.common import cli_actor, cli_errors, fail
from tianping.core.timeutil import format_local

app = typer.Typer(help="电子证据存证库", no_args_is_help=True, add_completion=False)
keys_app = typer.Typer(help="存证日志签名密钥", no_args_is_help=True, add_completion=False)
app.add_typer(keys_app, name="keys")
console = Console()
err_console = Console(stderr=True)

PurposeOpt = Annotated[str, typer.Option("--purpose", help="存证用途，如“投诉举报证据：商品页面截图”")]
TicketOpt = Annotated[str, typer.Option("--ticket", help="关联工单编号")]
CaseOpt = Annotated[str, typer.Option("--case", help="关联案件编号")]
IncidentOpt = Annotated[str, typer.Option("--incident", help="关联事件编号")]
SubmitterOpt = Annotated[str, typer.Option("--submitter", help="提交人化名（不填则按操作系统用户生成）")]
KeyOpt = Annotated[str, typer.Option("--idempotency-key", help="幂等键：重试时使用相同的键不会重复登记")]
ReceiptOutOpt = Annotated[
    Path | None,
    typer.Option("--receipt-out", help="把回执写入此文件（.json；.html 为可打印页面）", dir_okay=False),
]


def _write_receipt(receipt: dict[str, Any], out: Path) -> None:
    from tianping.evidence import receipts

    text = (
        receipts.render_html(receipt) if out.suffix.lower() in (".html", ".htm") else receipts.dumps(receipt)
    )
    out.write_text(text, encoding="utf-8")


def _acknowledge(receipt: dict[str, Any], duplicate: bool, out: Path | None) -> None:
    entry = receipt["entry"]
    head = "该幂等键已登记过，返回原条目" if duplicate else "已登记"
    console.print(
        f"{head}：存证 #{receipt['leaf_index']}（日志大小 {receipt['tree_size']}）\n"
        f"SHA-256 {entry['sha256']}\n"
        f"SM3     {entry['sm3'] or '（未计算）'}\n"
        f"登记时间 {entry['registered_at']}"
    )
    if out is not None:
        _write_receipt(receipt, out)
        console.print(f"回执已写入 {out}")


@app.command("add")
@cli_errors
def add_cmd(
    file: Annotated[Path, typer.Argument(help="要存证的文件", exists=True, dir_okay=False, readable=True)],
    purpose: PurposeOpt,
    ticket: TicketOpt = "",
    case: CaseOpt = "",
    incident: IncidentOpt = "",
    submitter: SubmitterOpt = "",
    media_type: Annotated[
        str, typer.Option("--media-type", help="媒体类型，如 image/png（默认按扩展名）")
    ] = "",
    idempotency_key: KeyOpt = "",
    receipt_out: ReceiptOutOpt = None,
) -> None:
    """把文件存入存证库并写入防篡改日志，输出回执。"""
    from tianping.evidence import service
    from tianping.evidence.log import durable_session
    from tianping.evidence.schemas import ItemIn

    item_in = ItemIn(
        purpose=purpose,
        ticket=ticket,
        case=case,
        incident=incident,
        submitter=submitter,
        media_type=media_type,
        idempotency_key=idempotency_key,
    )
    with file.open("rb") as source, durable_session() as session:
        appended = service.add_item(
            session=session, actor=cli_actor(), source=source, item_in=item_in, filename=file.name
        )
        receipt = service.receipt_for(session, appended)
    _acknowledge(receipt, appended.duplicate, receipt_out)


@app.command("register-hash")
@cli_errors
def register_hash_cmd(
    sha256: Annotated[
        str, typer.Argument(help="文件的 SHA-256（64 位十六进制，可用 tianping evidence hash 计算）")
    ],
    purpose: PurposeOpt,
    sm3: Annotated[str, typer.Option("--sm3", help="文件的 SM3 摘要（可选）")] = "",
    size: Annotated[int | None, typer.Option("--size", help="文件字节数（可选）", min=0)] = None,
    ticket: TicketOpt = "",
    case: CaseOpt = "",
    incident: IncidentOpt = "",
    submitter: SubmitterOpt = "",
    idempotency_key: KeyOpt = "",
    receipt_out: ReceiptOutOpt = None,
) -> None:
    """只登记文件摘要、不上传文件（如商业秘密），日后可证明当时持有该文件。"""
    from tianping.evidence import service
    from tianping.evidence.log import durable_session
    from tianping.evidence.schemas import HashRegistrationIn

    registration_in = HashRegistrationIn(
        sha256=sha256,
        sm3=sm3,
        size=size,
        purpose=purpose,
        ticket=ticket,
        case=case,
        incident=incident,
        submitter=submitter,
        idempotency_key=idempotency_key,
    )
    with durable_session() as session:
        appended = service.register_hash(session=session, actor=cli_actor(), registration_in=registration_in)
        receipt = service.receipt_for(session, appended)
    _acknowledge(receipt, appended.duplicate, receipt_out)


@app.command("hash")
@cli_errors
def hash_cmd(
    file: Annotated[Path, typer.Argument(help="文件", exists=True, dir_okay=False, readable=True)],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """计算文件的 SHA-256 与 SM3 摘要（不需要数据库，文件不离开本机）。"""
    from tianping.evidence.hashing import hash_file

    digests = hash_file(file)
    if as_json:
        typer.echo(json.dumps({"sha256": digests.sha256, "sm3": digests.sm3, "size": digests.size}))
        return
    typer.echo(f"SHA-256  {digests.sha256}")
    typer.echo(f"SM3      {digests.sm3 or '（本机 OpenSSL 不支持 SM3）'}")
    typer.echo(f"大小     {digests.size} 字节")


@app.command("receipt")
@cli_errors
def receipt_cmd(
    leaf_index: Annotated[int, typer.Argument(help="存证编号", min=0)],
    out: Annotated[
        Path | None, typer.Option("--out", help="写入此文件（.json；.html 为可打印页面），默认输出到屏幕")
    ] = None,
) -> None:
    """按最新签名检查点生成某条存证的回执。"""
    from tianping.core.db import unit_of_work
    from tianping.evidence import receipts, service

    with unit_of_work() as session:
        receipt = service.receipt(session=session, actor=cli_actor(), leaf_index=leaf_index)
    if out is None:
        typer.echo(receipts.dumps(receipt), nl=False)
        return
    _write_receipt(receipt, out)
    console.print(f"回执已写入 {out}")


@app.command("show")
@cli_errors
def show_cmd(leaf_index: Annotated[int, typer.Argument(help="存证编号", min=0)]) -> None:
    """查看一条存证及其保管链（查看本身记入保管链）。"""
    from tianping.evidence import service
    from tianping.evidence.log import durable_session

    with durable_session() as session:
        item, _custody = service.view_item(session=session, actor=cli_actor(), leaf_index=leaf_index)
        history = service.custody_history(session=session, actor=cli_actor(), leaf_index=leaf_index)
    table = Table(
        show_header=False, title=f"存证 #{item.leaf_index}（{item.kind_label}）", title_justify="left"
    )
    table.add_row("登记时间", format_local(item.registered_at, "%Y-%m-%d %H:%M:%S"))
    table.add_row("提交人（化名）", item.submitter)
    table.add_row("用途", item.purpose)
    table.add_row("SHA-256", item.sha256)
    table.add_row("SM3", item.sm3 or "")
    table.add_row("大小", "" if item.size is None else f"{item.size:,} 字节")
    table.add_row("关联", " ".join(x for x in (item.ticket, item.case, item.incident) if x))
    console.print(table)
    custody = Table("编号", "时间", "操作", "操作人（化名）", "事由", title="保管链", title_justify="left")
    for c in history:
        custody.add_row(
            str(c.leaf_index),
            format_local(c.registered_at, "%Y-%m-%d %H:%M:%S"),
            c.action_label or "",
            c.submitter,
            c.purpose,
        )
    console.print(custody)


@app.command("export")
@cli_errors
def export_cmd(
    leaf_index: Annotated[int, typer.Argument(help="存证编号", min=0)],
    out: Annotated[Path, typer.Option("--out", help="导出到此文件", dir_okay=False)],
    purpose: Annotated[str, typer.Option("--purpose", help="导出事由")] = "",
) -> None:
    """导出存证原文件（导出记入保管链）。"""
    import shutil

    from tianping.evidence import service
    from tianping.evidence.log import durable_session

    if out.exists():
        raise fail(f"目标文件已存在：{out}")
    with durable_session() as session:
        _item, path, custody = service.export_item(
            session=session, actor=cli_actor(), leaf_index=leaf_index, purpose=purpose
        )
        shutil.copyfile(path, out)
    console.print(f"已导出到 {out}（保管链记录 #{custody.leaf_index}）")


@app.command("attach")
@cli_errors
def attach_cmd(
    leaf_index: Annotated[int, typer.Argument(help="存证编号", min=0)],
    ticket: TicketOpt = "",
    case: CaseOpt = "",
    incident: IncidentOpt = "",
    purpose: Annotated[str, typer.Option("--purpose", help="事由")] = "",
) -> None:
    """把存证关联到工单、案件或事件（关联记入保管链）。"""
    from tianping.evidence import service
    from tianping.evidence.entries import Links
    from tianping.evidence.log import durable_session
    from tianping.evidence.schemas import CustodyIn

    links = CustodyIn(leaf_index=leaf_index, action="attach", ticket=ticket, case=case, incident=incident)
    with durable_session() as session:
        custody = service.attach_item(
            session=session,
            actor=cli_actor(),
            leaf_index=leaf_index,
            links=Links(ticket=links.ticket, case=links.case, incident=links.incident),
            purpose=purpose,
        )
    console.print(f"已关联（保管链记录 #{custody.leaf_index}）")


_MARKS = {"passed": "✓", "failed": "✗", "skipped": "－"}


@app.command("verify")
@cli_errors
def verify_cmd(
    receipt: Annotated[Path, typer.Argument(help="回执 JSON 文件")],
    file: Annotated[Path | None, typer.Argument(help="原文件（可选）：核对其摘要与回执一致")] = None,
    key: Annotated[
        str, typer.Option("--key", help="指定信任的日志公钥（verifier key），回执必须由它签名")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """离线核验回执（及原文件）：不联网、不访问数据库；核验失败时退出码为 1。"""
    from tianping.evidence.standalone_verifier import verify_receipt

    try:
        data = json.loads(receipt.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"无法读取回执文件 {receipt}（{exc.__class__.__name__}）") from None
    except json.JSONDecodeError as exc:
        raise fail(f"回执文件 {receipt} 不是 JSON（第 {exc.lineno} 行）") from None
    file_bytes = None
    if file is not None:
        try:
            file_bytes = file.read_bytes()
        except OSError as exc:
            raise fail(f"无法读取文件 {file}（{exc.__class__.__name__}）") from None
    report = verify_receipt(data, file_bytes, key or None)
    if not report.usable:
        raise fail("；".join(c.message_zh for c in report.failures) or "回执无法使用")
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for check in report.checks:
            typer.echo(f"{_MARKS.get(check.status, '?')} {check.message_zh}")
        typer.echo("核验通过" if report.verified else f"核验失败：{len(report.failures)} 项未通过")
    if not report.verified:
        raise typer.Exit(code=1)


@app.command("audit")
@cli_errors
def audit_cmd(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """重新核验整个存证库：原文件摘要、条目与树、树节点、检查点签名与一致性；发现篡改时退出码为 1。"""
    from tianping.core.db import unit_of_work
    from tianping.evidence import service

    tasks: dict[str, TaskID] = {}
    with (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
            console=err_console,
            transient=True,
            disable=as_json,
        ) as progress,
        unit_of_work() as session,
    ):

        def report_progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=max(total, 1))
            progress.update(tasks[phase], completed=done, total=max(total, 1))

        report = service.audit_store(session=session, actor=cli_actor(), progress=report_progress)
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        console.print(
            f"日志大小 {report.tree_size}；条目 {report.entries}，树节点 {report.nodes}，"
            f"检查点 {report.checkpoints}，原文件 {report.files}"
        )
        for p in report.problems:
            line = f"✗ [{p.code}] {p.target}：{p.message_zh}"
            if p.expected is not None or p.found is not None:
                line += f"（应为 {p.expected}，实为 {p.found}）"
            console.print(line, markup=False, highlight=False)
        for n in report.notes_zh:
            console.print(f"提示：{n}", markup=False, highlight=False)
        console.print("✓ 未发现篡改" if report.ok else f"发现 {len(report.problems)} 处篡改或损坏")
    if not report.ok:
        raise typer.Exit(code=1)


@app.command("checkpoint")
@cli_errors
def checkpoint_cmd() -> None:
    """输出最新的签名检查点（C2SP 签名注记）。"""
    from tianping.core.db import unit_of_work
    from tianping.evidence import service

    with unit_of_work() as session:
        latest = service.latest_checkpoint(session=session)
    if latest is None:
        raise fail("存证日志还没有任何条目")
    typer.echo(latest.note, nl=False)


@app.command("sweep")
@cli_errors
def sweep_cmd(dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出，不删除")] = False) -> None:
    """删除未被任何存证条目引用的文件（中断的提交或演示数据重置留下，超过 1 小时）。"""
    from tianping.core.db import unit_of_work
    from tianping.evidence import service

    with unit_of_work() as session:
        paths = service.sweep_blobs(session=session, actor=cli_actor(), dry_run=dry_run)
    for p in paths:
        typer.echo(str(p))
    console.print(f"{'将删除' if dry_run else '已删除'} {len(paths)} 个文件")


@keys_app.command("list")
@cli_errors
def keys_list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（公开的密钥历史）")] = False,
) -> None:
    """列出日志签名公钥的历史及有效期。"""
    from tianping.core.db import unit_of_work
    from tianping.evidence import service

    with unit_of_work() as session:
        keys = service.key_history(session=session)
    if as_json:
        typer.echo(json.dumps([k.model_dump(mode="json") for k in keys], ensure_ascii=False, indent=2))
        return
    table = Table("密钥编号", "公钥（verifier key）", "启用", "停用")
    for k in keys:
        table.add_row(
            k.key_id,
            k.verifier_key,
            format_local(k.valid_from, "%Y-%m-%d %H:%M:%S"),
            format_local(k.valid_until, "%Y-%m-%d %H:%M:%S") if k.valid_until else "现行",
        )
    console.print(table if keys else "还没有签名密钥（首次登记时自动生成）")


@keys_app.command("rotate")
@cli_errors
def keys_rotate_cmd() -> None:
    """停用当前签名密钥并启用新密钥（旧回执仍可用密钥历史核验）。"""
    from tianping.evidence import service
    from tianping.evidence.log import durable_session

    with durable_session() as session:
        key = service.rotate_key(session=session, actor=cli_actor())
    console.print(f"新签名密钥已启用：{key.verifier_key}", markup=False, highlight=False)
