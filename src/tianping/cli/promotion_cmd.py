"""``tianping promotions``: quote carts, lint rules, parse phrases, check observed checkouts (format 1).

Files may be ``.json``, ``.yaml`` or ``.yml``. An invalid document prints one line naming the offending
field (``错误：promotions[0].tiers[1].discount: …``) to stderr and exits with code 2. ``--json`` prints
the result as JSON (UTF-8, indented); without it a readable zh-CN rendering.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from tianping.cli.common import cli_errors, fail
from tianping.promotion import LintReport, PromotionFormatError, QuoteResult, QuoteTooComplex, service
from tianping.promotion.checkouts import STATUS_ZH, DiffReport
from tianping.promotion.document import parse_json, parse_yaml
from tianping.promotion.model import yuan
from tianping.promotion.phrases import PhraseParse, parse_text

app = typer.Typer(help="促销规则：计算到手价、检查规则歧义与宣传", no_args_is_help=True, add_completion=False)
console = Console()

_READERS: dict[str, Callable[[bytes], Any]] = {".json": parse_json, ".yaml": parse_yaml, ".yml": parse_yaml}
_STATUS_ZH = {
    "true": "相符",
    "false": "不实（实际高于宣传）",
    "favourable": "优于宣传",
    "depends_on_reading": "取决于规则理解",
}


def _read(path: Path) -> Any:
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise fail(f"{path.name}: 只支持 .json、.yaml、.yml 文件")
    if not path.is_file():
        raise fail(f"无法读取文件：{path}")
    return reader(path.read_bytes())


def _echo_json(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _print_quote(result: QuoteResult) -> None:
    payable = result.payable
    if payable is None:
        low, high = result.range or (0, 0)
        console.print(f"[bold]应付 {yuan(low)} 至 {yuan(high)}[/bold]（规则有歧义，取决于理解）")
    else:
        console.print(f"[bold]应付 {yuan(payable)}[/bold]（标价合计 {yuan(result.first.list_total)}）")
    if not result.ambiguous:
        table = Table(
            "行", "商品", "店铺", "数量", "标价金额", "应付金额", title="各行金额（部分退款按此计算）"
        )
        for i, item in enumerate(result.cart.items):
            table.add_row(
                str(i + 1),
                item.sku,
                item.shop,
                str(item.qty),
                yuan(item.list_amount),
                yuan(result.first.amounts[i]),
            )
        console.print(table)
    console.print(result.explanation_zh, highlight=False, markup=False, soft_wrap=True)


def _print_lint(report: LintReport) -> None:
    if report.findings:
        table = Table("问题", "编号", "说明", title=f"规则检查：{len(report.findings)} 项", show_lines=True)
        for finding in report.findings:
            table.add_row(finding.code, "、".join(finding.ids), finding.message_zh)
        console.print(table)
    else:
        console.print("规则检查：未发现问题")
    if report.claims:
        table = Table("宣传", "结论", "计算应付", "说明", title="宣传核对", show_lines=True)
        for claim in report.claims:
            data = claim.to_json()
            computed = data["computed"] or " 至 ".join(data["range"] or [])
            table.add_row(claim.claim.id, _STATUS_ZH[claim.status], computed, claim.message_zh)
        console.print(table)


@app.command("quote")
@cli_errors
def quote_cmd(
    rules: Annotated[Path, typer.Argument(help="规则文件（.json/.yaml/.yml）")],
    cart: Annotated[Path, typer.Argument(help="购物车文件（.json/.yaml/.yml）")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """按规则计算购物车的到手价（消费者可选的最优组合），逐步说明。"""
    try:
        result = service.quote(service.load_rules(_read(rules)), service.load_cart(_read(cart)))
    except (PromotionFormatError, QuoteTooComplex) as exc:
        raise fail(str(exc)) from None
    if as_json:
        _echo_json(result.to_json())
    else:
        _print_quote(result)


@app.command("lint")
@cli_errors
def lint_cmd(
    rules: Annotated[Path, typer.Argument(help="规则文件（.json/.yaml/.yml）")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """检查规则：歧义（附反例购物车）、其他疑点，并核对规则中的宣传（claims）。"""
    try:
        report = service.lint(service.load_rules(_read(rules)))
    except (PromotionFormatError, QuoteTooComplex) as exc:
        raise fail(str(exc)) from None
    if as_json:
        _echo_json(report.to_json())
    else:
        _print_lint(report)


def _print_parse(result: PhraseParse) -> None:
    document = yaml.safe_dump(result.to_document(), allow_unicode=True, sort_keys=False)
    console.print(document, highlight=False, markup=False, soft_wrap=True)
    for point in result.open_points:
        console.print(
            f"待确认 {point.path}：{point.reason_zh}", highlight=False, markup=False, soft_wrap=True
        )
    for piece in result.unparsed:
        console.print(f"未能识别：{piece}", highlight=False, markup=False)
    for note in result.notes_zh:
        console.print(f"说明：{note}", highlight=False, markup=False, soft_wrap=True)


@app.command("parse")
@cli_errors
def parse_cmd(
    text: Annotated[str, typer.Argument(help="促销文案，如“店铺满300减40，满500减80”")],
    id_prefix: Annotated[str, typer.Option("--id-prefix", help="促销编号前缀（券固定为 Q）")] = "P",
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """把中文促销文案转换为规则（格式1），列出文案未写明、须人工确认的字段。"""
    result = parse_text(text, id_prefix=id_prefix)
    if as_json:
        _echo_json(result.to_json())
    else:
        _print_parse(result)


def _print_check(report: DiffReport) -> None:
    summary = report.summary
    counts = "，".join(f"{STATUS_ZH[status]} {n} 笔" for status, n in summary.items() if n)
    console.print(f"核对结算记录 {len(report.results)} 笔：{counts or '无记录'}", highlight=False)
    if not report.mismatches:
        return
    table = Table(
        "记录", "结论", "实收", "按规则应付", "差额", title="与公布规则不一致的结算", show_lines=True
    )
    for result in report.mismatches:
        data = result.to_json()
        computed = data["computed"] or " 至 ".join(data["range"] or []) or "—"
        table.add_row(data["id"], data["status_zh"], data["charged"], computed, data["difference"] or "—")
    console.print(table)
    for result in report.mismatches:
        console.print(result.message_zh, highlight=False, markup=False, soft_wrap=True)


@app.command("check")
@cli_errors
def check_cmd(
    rules: Annotated[Path, typer.Argument(help="规则文件（.json/.yaml/.yml）")],
    checkouts: Annotated[Path, typer.Argument(help="结算记录文件：{checkouts: [{id, cart, charged}]}")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """核对实际结算：列出实收金额与公布的促销规则计算结果不一致的每一笔（多收/少收）。"""
    try:
        rule_set = service.load_rules(_read(rules))
        report = service.check_checkouts(rule_set, service.load_checkouts(_read(checkouts), rule_set))
    except PromotionFormatError as exc:
        raise fail(str(exc)) from None
    if as_json:
        _echo_json(report.to_json())
    else:
        _print_check(report)
