"""Pages of the promotion rules (促销规则).

* ``/promotions/calculator`` — the public 到手价 calculator: a rule set (a sample, pasted YAML/JSON,
  or one generated from promotion phrases), a cart, the coupons held; the server quotes it and the
  page shows the payable, each line's 分摊 (what a refund of that line returns), the steps, and —
  when the rules leave something open — the range of payables in words a consumer understands.
* ``/promotions/review`` — officers (any signed-in internal role): lint a platform's published rule
  set, see each finding with its counterexample cart, the verdict on each advertised claim, and
  export the report as XLSX (an audited ``promotion.lint_export`` event).

The forms post to the server and work without scripts; htmx (when present) swaps in partials, and
``promotion.js`` only adds and removes cart rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote as url_quote

import yaml
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from tianping.core.audit import record
from tianping.core.authz import Actor, Role
from tianping.core.errors import FieldError, PermissionDenied, TianpingError, ValidationFailed
from tianping.core.timeutil import format_local, utcnow
from tianping.promotion import service
from tianping.promotion.errors import PromotionFormatError
from tianping.promotion.phrases import parse_text
from tianping.web.deps import PageActor, PageUser, SessionDep, client_ip, render

router = APIRouter()

SAMPLES_DIR = Path(__file__).parent / "promotion_samples"
MAX_RULES_BYTES = 256 * 1024  # pasted or uploaded rule sets
MAX_PHRASES = 5000
MAX_ROWS = 50  # cart rows on the calculator form
BLANK_ROWS = 3  # empty rows offered to browsers without scripts
UPLOAD_SUFFIXES = (".yaml", ".yml", ".json", ".txt")

RulesText = Annotated[str, Form(max_length=MAX_RULES_BYTES)]
CellList = Annotated[list[str], Form(max_length=MAX_ROWS)]


# -- samples ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    key: str
    title: str  # the file's first comment line
    text: str


@lru_cache(maxsize=1)
def samples() -> tuple[Sample, ...]:
    found = []
    for path in sorted(SAMPLES_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        title = first.removeprefix("#").strip() if first.startswith("#") else path.stem
        found.append(Sample(key=path.stem, title=title, text=text))
    order = {"shuang11": 0, "ambiguous": 1}
    return tuple(sorted(found, key=lambda s: (order.get(s.key, 9), s.key)))


def sample_text(key: str) -> str:
    for sample in samples():
        if sample.key == key:
            return sample.text
    raise ValidationFailed("没有这个示例规则", errors=[FieldError("sample", "请从列表中选择示例规则")])


# -- plain words -----------------------------------------------------------------------------------

FIELD_ZH = {
    "basis": "满减门槛按标价还是按折后价计算没有写明",
    "repeat": "是“满一次减一次”还是“每满都减”没有写明",
}
READING_ZH = {
    ("basis", "list"): "门槛按标价算",
    ("basis", "current"): "门槛按折后价算",
    ("repeat", "false"): "只减一次",
    ("repeat", "true"): "每满都减",
}
FINDING_ZH = {
    "ambiguous_basis": "门槛基准未写明",
    "ambiguous_repeat": "未写明是否每满",
    "unspecified_without_effect": "未写明但不影响金额",
    "ambiguity_unconfirmed": "可能有歧义（未找到反例）",
    "offer_never_applies": "优惠永远用不上",
    "tiers_unordered": "档位未按门槛排序",
    "tier_discount_not_increasing": "高档减额不高于低档",
    "discount_not_below_threshold": "减额不低于门槛",
    "cap_below_discount": "封顶低于单次减额",
    "presale_terms_hidden": "预售条件未标示",
    "presale_dearer_than_spot": "预售价高于同期现货价",
}
LAW_19 = "《明码标价和禁止价格欺诈规定》第十九条"
CLAIM_STATUS = {
    "true": ("属实", "ok"),
    "false": (f"虚假（涉嫌违反{LAW_19}）", "bad"),
    "favourable": ("优于宣传", "info"),
    "depends_on_reading": ("取决于理解", "warn"),
}
LAYER_ZH = {"item": "单品", "shop": "店铺", "cross_store": "跨店", "platform": "平台"}


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _offer_title(rules: service.RuleSet, offer_id: str) -> str:
    try:
        offer = rules.offer(offer_id)
    except KeyError:
        return offer_id
    return offer.title or offer_id


def field_words(rules: service.RuleSet, name: str) -> str:
    """``P1.basis`` → 「店铺满300减40」满减门槛按标价还是按折后价计算没有写明."""
    offer_id, _, field = name.rpartition(".")
    return f"「{_offer_title(rules, offer_id)}」{FIELD_ZH.get(field, f'{field} 没有写明')}"


def reading_words(rules: service.RuleSet, assignment: dict[str, Any]) -> str:
    parts = []
    for name, value in assignment.items():
        offer_id, _, field = name.rpartition(".")
        said = READING_ZH.get((field, _value_text(value)), f"{field} = {_value_text(value)}")
        parts.append(f"「{_offer_title(rules, offer_id)}」{said}")
    return "；".join(parts)


def explanation_blocks(text: str) -> list[dict[str, Any]]:
    """The engine's explanation lines grouped for display: headings, numbered steps, notes."""
    blocks: list[dict[str, Any]] = []
    for line in text.splitlines():
        step = re.match(r"^(\d+)\.\s*(.*)$", line)
        if step:
            if not blocks or blocks[-1]["kind"] != "steps":
                blocks.append({"kind": "steps", "items": []})
            blocks[-1]["items"].append(step.group(2))
        elif line.startswith("【"):
            blocks.append({"kind": "heading", "text": line.strip("【】")})
        elif line.strip():
            blocks.append({"kind": "note", "text": line})
    return blocks


# -- calculator ------------------------------------------------------------------------------------


@dataclass
class CartRow:
    sku: str = ""
    shop: str = ""
    category: str = ""
    price: str = ""
    qty: str = "1"

    @property
    def blank(self) -> bool:
        return not (self.sku or self.shop or self.category or self.price)


def default_rows() -> list[CartRow]:
    return [
        CartRow("YR-001", "示例服饰旗舰店", "服装", "399.00", "1"),
        CartRow("WY-002", "示例服饰旗舰店", "服装", "169.00", "2"),
        CartRow("EJ-003", "示例数码专营店", "数码", "259.00", "1"),
    ]


def _rows_from_form(
    sku: list[str], shop: list[str], category: list[str], price: list[str], qty: list[str]
) -> list[CartRow]:
    n = max(len(sku), len(shop), len(category), len(price), len(qty), 0)

    def cell(values: list[str], i: int) -> str:
        return values[i].strip() if i < len(values) else ""

    return [
        CartRow(cell(sku, i), cell(shop, i), cell(category, i), cell(price, i), cell(qty, i) or "1")
        for i in range(n)
    ]


def _cart_document(rows: list[CartRow], coupons: list[str]) -> tuple[dict[str, Any], list[int]]:
    """The cart document of the filled rows, and each item's row number on the form (1-based)."""
    items: list[dict[str, Any]] = []
    numbers: list[int] = []
    for number, row in enumerate(rows, start=1):
        if row.blank:
            continue
        qty: Any = int(row.qty) if re.fullmatch(r"[0-9]{1,9}", row.qty) else row.qty
        items.append(
            {"sku": row.sku, "shop": row.shop, "category": row.category, "price": row.price, "qty": qty}
        )
        numbers.append(number)
    return {"items": items, "coupons_held": list(dict.fromkeys(coupons))}, numbers


CART_FIELD_ZH = {"sku": "商品编号", "shop": "店铺", "category": "类目", "price": "标价", "qty": "数量"}


def cart_error_text(exc: PromotionFormatError, numbers: list[int]) -> str:
    """``items[1].price`` → 购物车第 3 行「标价」：… (row numbers as the form shows them)."""
    match = re.match(r"^items\[(\d+)\](?:\.(\w+))?", exc.path)
    if match:
        index = int(match.group(1))
        row = numbers[index] if index < len(numbers) else index + 1
        column = CART_FIELD_ZH.get(match.group(2) or "", match.group(2) or "")
        return f"购物车第 {row} 行" + (f"「{column}」" if column else "") + f"：{exc.reason}"
    if exc.path.startswith("coupons_held"):
        return f"所选的券：{exc.reason}"
    if exc.path == "items":
        return "购物车是空的：请至少填写一行商品（商品编号、店铺、标价）"
    return f"购物车 {exc.path}：{exc.reason}" if exc.path else f"购物车：{exc.reason}"


def rules_error_text(exc: PromotionFormatError) -> str:
    return f"规则 {exc.path}：{exc.reason}" if exc.path else f"规则：{exc.reason}"


@dataclass
class CouponChoice:
    id: str
    title: str
    checked: bool


@dataclass
class CouponBox:
    coupons: list[CouponChoice] = dataclasses.field(default_factory=list)
    error: str | None = None


def coupon_box(rules_text: str, held: list[str]) -> CouponBox:
    if not rules_text.strip():
        return CouponBox(error="请先选择示例规则或粘贴规则")
    try:
        rules = service.load_rules(rules_text)
    except PromotionFormatError as exc:
        return CouponBox(error=rules_error_text(exc))
    return CouponBox(coupons=[CouponChoice(c.id, c.title or c.id, c.id in held) for c in rules.coupons])


def _reading_view(
    rows: list[CartRow],
    numbers: list[int],
    lines: list[dict[str, Any]],
    steps: list[dict[str, Any]],
    *,
    list_total: str,
    payable: str,
) -> dict[str, Any]:
    shares: list[dict[int, str]] = [{} for _ in lines]
    for s, step in enumerate(steps):
        for line in step["lines"]:
            shares[line["index"]][s] = line["share"]
    table = []
    for line, line_shares in zip(lines, shares, strict=True):
        row = rows[numbers[line["index"]] - 1]
        table.append({**line, "category": row.category, "shares": line_shares, "row": numbers[line["index"]]})
    columns = [
        {**step, "layer_zh": LAYER_ZH.get(step["layer"], step["layer"]), "label": step["title"] or step["id"]}
        for step in steps
    ]
    return {"lines": table, "steps": columns, "list_total": list_total, "payable": payable}


def quote_view(
    rules: service.RuleSet, rows: list[CartRow], numbers: list[int], result: dict[str, Any]
) -> dict[str, Any]:
    """Everything the result partial shows, from the engine's quote JSON."""
    view: dict[str, Any] = {
        "payable": result["payable"],
        "ambiguous": result["ambiguous"],
        "range": result["range"],
        "list_total": result["list_total"],
        "blocks": explanation_blocks(result["explanation_zh"]),
        "open_here": [],
        "readings": [],
        "silent_fields": [field_words(rules, name) for name in result["ambiguous_fields"]],
    }
    if result["ambiguous"]:
        names = list(result["readings"][0]["assignment"])
        view["open_here"] = [field_words(rules, name) for name in names]
        view["readings"] = [
            {
                "number": i + 1,
                "words": reading_words(rules, reading["assignment"]),
                "payable": reading["payable"],
                **_reading_view(
                    rows,
                    numbers,
                    result["lines"][i],
                    result["steps"][i],
                    list_total=result["list_total"],
                    payable=reading["payable"],
                ),
            }
            for i, reading in enumerate(result["readings"])
        ]
    else:
        view["saved"] = f"{Decimal(result['list_total']) - Decimal(result['payable']):.2f}"
        view["single"] = _reading_view(
            rows,
            numbers,
            result["lines"],
            result["steps"],
            list_total=result["list_total"],
            payable=result["payable"],
        )
    return view


def _check_csrf_if_signed_in(request: Request, actor: Actor, csrf_token: str) -> None:
    """Public forms: a signed-in user's post must carry the session's token."""
    if actor.is_authenticated and csrf_token != getattr(request.state, "csrf_token", None):
        raise PermissionDenied("表单已失效（CSRF 校验失败），请刷新页面后重试")


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _blank_rows(rows: list[CartRow]) -> int:
    trailing = 0
    for row in reversed(rows):
        if not row.blank:
            break
        trailing += 1
    return max(0, BLANK_ROWS - trailing)


def _calculator_page(request: Request, actor: Actor, status_code: int = 200, **context: Any) -> HTMLResponse:
    rows: list[CartRow] = context.pop("rows", None) or default_rows()
    rules_text: str = context.setdefault("rules_text", "")
    held: list[str] = context.setdefault("held", [])
    context.setdefault("box", coupon_box(rules_text, held))
    context.setdefault("quote", None)
    context.setdefault("cart_error", None)
    context.setdefault("phrases", "")
    context.setdefault("parsed", None)
    return render(
        request,
        "promotion/calculator.html",
        actor=actor,
        nav="promotion-calculator",
        status_code=status_code,
        samples=samples(),
        rows=[*rows, *(CartRow(qty="") for _ in range(_blank_rows(rows)))][: max(len(rows), MAX_ROWS)],
        max_rows=MAX_ROWS,
        **context,
    )


@router.get("/promotions/calculator", response_class=HTMLResponse)
def calculator(
    request: Request, actor: PageActor, sample: Annotated[str, Query(max_length=40)] = "shuang11"
) -> HTMLResponse:
    text = sample_text(sample) if sample else ""
    return _calculator_page(request, actor, rules_text=text, sample=sample, held=[])


@router.get("/promotions/calculator/rules", response_class=HTMLResponse)
def calculator_rules(
    request: Request, actor: PageActor, sample: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    """The rules block (text + held coupons) filled with a sample; htmx swaps it into the page."""
    text = sample_text(sample) if sample else ""
    return render(
        request, "promotion/_rules_block.html", actor=actor, rules_text=text, box=coupon_box(text, [])
    )


@router.post("/promotions/calculator/rules", response_class=HTMLResponse)
def calculator_use_rules(
    request: Request, actor: PageActor, rules_text: RulesText = "", csrf_token: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """The rules block filled with posted text (the document generated from phrases)."""
    _check_csrf_if_signed_in(request, actor, csrf_token)
    return render(
        request,
        "promotion/_rules_block.html",
        actor=actor,
        rules_text=rules_text,
        box=coupon_box(rules_text, []),
    )


@router.post("/promotions/calculator/coupons", response_class=HTMLResponse)
def calculator_coupons(
    request: Request,
    actor: PageActor,
    rules_text: RulesText = "",
    coupon: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 - FastAPI copies defaults
) -> HTMLResponse:
    """The held-coupon checkboxes of the rules being edited (an error line when they do not load)."""
    return render(request, "promotion/_coupons.html", actor=actor, box=coupon_box(rules_text, coupon))


@router.post("/promotions/calculator/parse", response_class=HTMLResponse)
def calculator_parse(
    request: Request,
    actor: PageActor,
    phrases: Annotated[str, Form(max_length=MAX_PHRASES)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    _check_csrf_if_signed_in(request, actor, csrf_token)
    parsed = parse_view(phrases)
    if _is_htmx(request):
        return render(request, "promotion/_parsed.html", actor=actor, parsed=parsed, phrases=phrases)
    text = parsed["yaml"] if parsed.get("yaml") else ""
    return _calculator_page(request, actor, phrases=phrases, parsed=parsed, rules_text=text)


def parse_view(phrases: str) -> dict[str, Any]:
    if not phrases.strip():
        return {
            "error": "请输入促销文案，例如：店铺满300减40，满500减80；跨店每满300减50，最高减150；满199减20券"
        }
    result = parse_text(phrases)
    document = result.to_document()
    found = bool(document["promotions"] or document["coupons"])
    return {
        "yaml": yaml.safe_dump(document, allow_unicode=True, sort_keys=False) if found else "",
        "open_points": result.open_points,
        "unparsed": result.unparsed,
        "notes": result.notes_zh,
        "error": None if found else "没有从文案中识别出优惠规则",
    }


@router.post("/promotions/calculator", response_class=HTMLResponse)
def calculator_quote(
    request: Request,
    actor: PageActor,
    rules_text: RulesText = "",
    sku: CellList = [],  # noqa: B006 - FastAPI copies defaults
    shop: CellList = [],  # noqa: B006
    category: CellList = [],  # noqa: B006
    price: CellList = [],  # noqa: B006
    qty: CellList = [],  # noqa: B006
    coupon: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    _check_csrf_if_signed_in(request, actor, csrf_token)
    rows = _rows_from_form(sku, shop, category, price, qty)
    status, quote, error = 200, None, None
    try:
        quote = _quote(rules_text, rows, coupon)
    except _CalculatorError as exc:
        status, error = 422, exc.text
    except TianpingError as exc:  # QuoteTooComplex and friends
        status, error = exc.status_code, exc.message
    if _is_htmx(request):
        return render(
            request,
            "promotion/_quote_result.html",
            actor=actor,
            quote=quote,
            cart_error=error,
            status_code=status,
        )
    return _calculator_page(
        request,
        actor,
        status,
        rows=rows,
        rules_text=rules_text,
        held=coupon,
        quote=quote,
        cart_error=error,
    )


class _CalculatorError(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _quote(rules_text: str, rows: list[CartRow], coupons: list[str]) -> dict[str, Any]:
    if not rules_text.strip():
        raise _CalculatorError("请先选择示例规则，或粘贴规则文本")
    try:
        rules = service.load_rules(rules_text)
    except PromotionFormatError as exc:
        raise _CalculatorError(rules_error_text(exc)) from None
    document, numbers = _cart_document(rows, coupons)
    try:
        cart = service.load_cart(document)
        result = service.quote(rules, cart).to_json()
    except PromotionFormatError as exc:
        raise _CalculatorError(cart_error_text(exc, numbers)) from None
    return quote_view(rules, rows, numbers, result)


# -- officer review --------------------------------------------------------------------------------


def require_internal(actor: Actor) -> None:
    if not actor.roles - {Role.PUBLIC}:
        raise PermissionDenied("促销规则审查仅供监管机构及相关单位的工作人员使用")


def rules_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _readings_rows(readings: dict[str, str] | None, field: str | None) -> list[dict[str, str]]:
    if not readings:
        return []
    kind = (field or "").rpartition(".")[2]
    return [{"label": READING_ZH.get((kind, key), key), "payable": value} for key, value in readings.items()]


def review_view(text: str) -> dict[str, Any]:
    """The lint report as the page and the export show it."""
    rules = service.load_rules(text)
    report = service.lint(rules).to_json()
    findings = [
        {
            **f,
            "label": FINDING_ZH.get(f["code"], f["code"]),
            "reading_rows": _readings_rows(f["readings"], f["field"]),
        }
        for f in report["findings"]
    ]
    claims = []
    for c in report["claims"]:
        label, tone = CLAIM_STATUS.get(c["status"], (c["status"], "warn"))
        claims.append({**c, "status_zh": label, "tone": tone})
    return {
        "findings": findings,
        "claims": claims,
        "digest": rules_digest(text),
        "offers": len(rules.offers),
        "checked_at": format_local(utcnow(), "%Y-%m-%d %H:%M:%S"),
    }


async def _rules_from_upload(upload: UploadFile | None) -> str | None:
    if upload is None or not upload.filename:
        return None
    name = upload.filename.lower()
    if not name.endswith(UPLOAD_SUFFIXES):
        raise ValidationFailed(
            "文件类型不支持", errors=[FieldError("file", "请上传 .yaml、.yml 或 .json 格式的规则文件")]
        )
    data = await upload.read(MAX_RULES_BYTES + 1)
    if len(data) > MAX_RULES_BYTES:
        raise ValidationFailed(
            "文件过大", errors=[FieldError("file", f"规则文件不能超过 {MAX_RULES_BYTES // 1024} KB")]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "文件编码有误", errors=[FieldError("file", "规则文件须为 UTF-8 编码的文本")]
        ) from None


def _review_page(request: Request, actor: Actor, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("rules_text", "")
    context.setdefault("report", None)
    return render(
        request,
        "promotion/review.html",
        actor=actor,
        nav="promotion-review",
        status_code=status_code,
        samples=samples(),
        max_kb=MAX_RULES_BYTES // 1024,
        **context,
    )


@router.get("/promotions/review", response_class=HTMLResponse)
def review(
    request: Request, actor: PageUser, sample: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    require_internal(actor)
    return _review_page(request, actor, rules_text=sample_text(sample) if sample else "", sample=sample)


def _check_csrf(request: Request, csrf_token: str) -> None:
    if not csrf_token or csrf_token != getattr(request.state, "csrf_token", None):
        raise PermissionDenied("表单已失效（CSRF 校验失败），请刷新页面后重试")


@router.post("/promotions/review", response_class=HTMLResponse)
async def review_post(
    request: Request,
    actor: PageUser,
    rules_text: RulesText = "",
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    require_internal(actor)
    _check_csrf(request, csrf_token)
    try:
        uploaded = await _rules_from_upload(file)
    except ValidationFailed as exc:
        errors = {e.field: e.message for e in exc.errors}
        return _review_page(request, actor, 422, rules_text=rules_text, errors=errors, message=exc.message)
    text = uploaded if uploaded is not None else rules_text
    if not text.strip():
        errors = {"rules_text": "请粘贴规则文本或上传规则文件"}
        return _review_page(request, actor, 422, errors=errors, message="没有收到规则")
    try:
        report = review_view(text)
    except PromotionFormatError as exc:
        return _review_page(
            request,
            actor,
            422,
            rules_text=text,
            errors={"rules_text": rules_error_text(exc)},
            message="规则文档有误",
        )
    except TianpingError as exc:
        return _review_page(request, actor, exc.status_code, rules_text=text, message=exc.message)
    return _review_page(request, actor, rules_text=text, report=report)


@router.post("/promotions/review/export")
def review_export(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    rules_text: RulesText = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_internal(actor)
    _check_csrf(request, csrf_token)
    try:
        report = review_view(rules_text)
    except PromotionFormatError as exc:
        field = f"rules_text.{exc.path}" if exc.path else "rules_text"
        raise ValidationFailed("规则文档有误，无法导出", errors=[FieldError(field, exc.reason)]) from None
    content = report_xlsx(report)
    who = actor if actor.ip is not None else dataclasses.replace(actor, ip=client_ip(request))
    record(
        session,
        actor=who,
        action="promotion.lint_export",
        object_type="promotion_rules",
        object_id=report["digest"],
        summary=f"导出促销规则审查报告（{len(report['findings'])} 项问题，{len(report['claims'])} 条宣传）",
        detail={
            "sha256": report["digest"],
            "findings": len(report["findings"]),
            "claims": len(report["claims"]),
            "codes": sorted({f["code"] for f in report["findings"]}),
        },
    )
    filename = f"促销规则审查报告-{report['digest'][:12]}.xlsx"
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{url_quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def _cart_text(cart: dict[str, Any] | None) -> str:
    if not cart:
        return ""
    items = "；".join(
        f"{i['sku']}（{i['shop']}，{i['category']}）¥{i['price']}×{i['qty']}" for i in cart.get("items", [])
    )
    held = cart.get("coupons_held") or []
    return items + (f"；持券 {'、'.join(held)}" if held else "")


def report_xlsx(report: dict[str, Any]) -> bytes:
    """The review as a workbook: summary, findings (with counterexamples), claims."""
    wb = Workbook()
    head_font = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="EEF1F4")
    wrap = Alignment(wrap_text=True, vertical="top")

    summary = wb.active
    assert summary is not None
    summary.title = "概要"
    rows = [
        ("促销规则审查报告", ""),
        ("规则文本 SHA-256", report["digest"]),
        ("审查时间（北京时间）", report["checked_at"]),
        ("优惠数（促销+券）", report["offers"]),
        ("发现问题", len(report["findings"])),
        ("宣传核验", len(report["claims"])),
        (
            "说明",
            "本报告由天平平台按 tianping-promotions/1 规则格式自动计算，供执法人员参考，不作为处罚决定。",
        ),
    ]
    for row in rows:
        summary.append(row)
    summary["A1"].font = Font(bold=True, size=14)
    summary.column_dimensions["A"].width = 22
    summary.column_dimensions["B"].width = 80

    def sheet(title: str, header: list[str], body: list[list[Any]], widths: list[int]) -> None:
        ws = wb.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font, cell.fill = head_font, head_fill
        for line in body:
            ws.append(line)
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = wrap
        ws.freeze_panes = "A2"

    sheet(
        "问题",
        ["代码", "类别", "涉及优惠", "字段", "各理解下应付", "反例购物车", "说明"],
        [
            [
                f["code"],
                f["label"],
                "、".join(f["ids"]),
                f["field"] or "",
                "；".join(f"{r['label']} ¥{r['payable']}" for r in f["reading_rows"]),
                _cart_text(f["counterexample"]),
                f["message_zh"],
            ]
            for f in report["findings"]
        ],
        [26, 18, 16, 16, 30, 40, 80],
    )
    sheet(
        "宣传核验",
        ["编号", "宣传内容", "宣传应付", "计算应付", "结论", "说明"],
        [
            [
                c["id"],
                c["text"] or "",
                c["claimed"],
                c["computed"] if c["computed"] is not None else f"{c['range'][0]} – {c['range'][1]}",
                c["status_zh"],
                c["message_zh"],
            ]
            for c in report["claims"]
        ],
        [10, 36, 12, 18, 30, 80],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
