"""Reading and validating rules and cart documents (JSON or YAML) into ``model`` values.

Every problem raises ``PromotionFormatError(path, reason)`` naming the first offending field in
document order, e.g. ``promotions[0].tiers[1].discount``. YAML is read with a safe loader that also
refuses what YAML 1.1 silently reinterprets: field names such as ``on``/``yes`` (read as booleans),
``yes``/``off`` as values, octal/hex/sexagesimal integers, aliases and duplicate keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import yaml

from tianping.promotion.errors import PromotionFormatError
from tianping.promotion.model import (
    CURRENCY,
    DEFAULT_LAYERS,
    FORMAT,
    ITEM_LAYER,
    OFFER_TYPES,
    RESERVED_TYPES,
    AmountOff,
    Basis,
    Cart,
    CartItem,
    Checkout,
    Claim,
    FixedPrice,
    NthItemPercent,
    Offer,
    OfferKind,
    PercentOff,
    Presale,
    RuleSet,
    Scope,
    ThresholdOff,
    Tier,
)

MAX_ITEMS = 1000
MAX_OFFERS = 10_000
MAX_QTY = 1_000_000
MAX_FEN = 10**14  # 1 万亿元: far above any cart, small enough to keep arithmetic instant
MAX_USES = 10**9
SHANGHAI = ZoneInfo("Asia/Shanghai")  # a datetime without an offset is China Standard Time

_AMOUNT_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_RATE_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DECIMAL_INT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


# --------------------------------------------------------------------------------------------------
# Parsing text


class _OddScalar:
    """A YAML 1.1 scalar whose meaning differs in YAML 1.2/JSON (``yes``, ``010``, ``0x1F``, ``1_000``)."""

    __slots__ = ("kind", "text")

    def __init__(self, text: str, kind: str) -> None:
        self.text = text
        self.kind = kind


class _BoolKey(str):
    """A mapping key YAML 1.1 reads as a boolean (``on:``, ``yes:``); kept as written to name it."""


class _Map(dict[Any, Any]):
    """A mapping that remembers keys written twice (both loaders would silently keep the last)."""

    def __init__(self) -> None:
        super().__init__()
        self.duplicates: list[Any] = []


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "不支持 YAML 别名（*名称）：请直接写出内容", event.start_mark
            )
        return super().compose_node(parent, index)


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    data = _Map()
    for key_node, value_node in node.value:
        key: Any
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:bool":
            key = _BoolKey(key_node.value)
        else:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                key = repr(key)
                data.duplicates.append(("unhashable", key))
                continue
        if key in data:
            data.duplicates.append(key)
        data[key] = loader.construct_object(value_node, deep=True)
    return data


def _construct_bool(loader: _Loader, node: yaml.ScalarNode) -> bool | _OddScalar:
    text = str(node.value)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return _OddScalar(text, "bool")


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int | _OddScalar:
    text = str(node.value)
    if _DECIMAL_INT_RE.fullmatch(text):
        return int(text)
    return _OddScalar(text, "int")


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _json_pairs(pairs: list[tuple[str, Any]]) -> _Map:
    data = _Map()
    for key, value in pairs:
        if key in data:
            data.duplicates.append(key)
        data[key] = value
    return data


def _json_constant(name: str) -> NoReturn:
    raise PromotionFormatError("", f"JSON 中不允许 {name}")


def _decode(data: str | bytes) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PromotionFormatError("", "文件不是 UTF-8 编码的文本") from None
    return data.removeprefix("\ufeff")


def parse_json(text: str | bytes) -> Any:
    try:
        return json.loads(_decode(text), object_pairs_hook=_json_pairs, parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        raise PromotionFormatError(
            "", f"JSON 语法错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}"
        ) from None
    except RecursionError:
        raise PromotionFormatError("", "JSON 嵌套过深") from None


def parse_yaml(text: str | bytes) -> Any:
    try:
        return yaml.load(_decode(text), Loader=_Loader)  # _Loader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"（第 {mark.line + 1} 行第 {mark.column + 1} 列）" if mark is not None else ""
        raise PromotionFormatError("", f"YAML 语法错误{where}：{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise PromotionFormatError("", f"YAML 语法错误：{exc}") from None
    except RecursionError:
        raise PromotionFormatError("", "YAML 嵌套过深") from None


def parse_text(text: str | bytes) -> Any:
    """JSON when the text starts like a JSON object, otherwise YAML (which reads JSON too)."""
    decoded = _decode(text)
    if decoded.lstrip().startswith("{"):
        try:
            return parse_json(decoded)
        except PromotionFormatError as json_error:
            try:
                return parse_yaml(decoded)
            except PromotionFormatError:
                raise json_error from None
    return parse_yaml(decoded)


def _as_document(data: str | bytes | Mapping[str, Any]) -> Any:
    if isinstance(data, str | bytes):
        return parse_text(data)
    return data


# --------------------------------------------------------------------------------------------------
# Field readers


def _fail(path: str, reason: str) -> NoReturn:
    raise PromotionFormatError(path, reason)


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _odd(value: _OddScalar, path: str, expected: str) -> NoReturn:
    if value.kind == "bool":
        _fail(path, f"“{value.text}”在 YAML 1.1 中被读成布尔值，在 JSON/YAML 1.2 中却是文字；{expected}")
    _fail(
        path,
        f"“{value.text}”不是普通十进制整数（YAML 1.1 会把它读成八进制、十六进制或带下划线的数）；{expected}",
    )


def _mapping(value: Any, path: str, what: str) -> dict[str, Any]:
    if isinstance(value, _OddScalar):
        _odd(value, path, f"这里应为{what}")
    if not isinstance(value, Mapping):
        _fail(path, f"应为{what}（键值对）")
    for key in value:
        if isinstance(key, _BoolKey):
            _fail(
                _key(path, str(key)),
                f"字段名“{key}”在 YAML 1.1 中是布尔值，不能作字段名（本格式没有这个字段）",
            )
        if not isinstance(key, str):
            _fail(_key(path, str(key)), "字段名必须是文字")
    duplicates = getattr(value, "duplicates", None)
    if duplicates:
        first = duplicates[0]
        if isinstance(first, tuple):
            _fail(path, "字段名不能是列表或映射")
        _fail(_key(path, str(first)), "字段重复出现")
    return dict(value)


def _list(value: Any, path: str, *, non_empty: bool = True) -> list[Any]:
    if isinstance(value, _OddScalar):
        _odd(value, path, "这里应为列表")
    if not isinstance(value, list):
        _fail(path, "应为列表")
    if non_empty and not value:
        _fail(path, "列表不能为空")
    return value


def _string(value: Any, path: str) -> str:
    if isinstance(value, _OddScalar):
        _fail(path, f'“{value.text}”在 YAML 中不会被读成文字，请加引号写成 "{value.text}"')
    if isinstance(value, bool):
        _fail(path, "应为文字，却是布尔值（YAML 中的 yes/no/on/off/true/false 请加引号）")
    if isinstance(value, int | float | Decimal):
        _fail(path, f'应为文字，却是数字 {value}（编号请加引号，如 "{value}"）')
    if not isinstance(value, str):
        _fail(path, "应为文字")
    if not value.strip():
        _fail(path, "不能为空")
    return value


def _optional_text(value: Any, path: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        _fail(path, "应为文字（请加引号）")
    return value


def _bool(value: Any, path: str) -> bool:
    if isinstance(value, _OddScalar):
        _odd(value, path, "请写 true 或 false")
    if not isinstance(value, bool):
        _fail(path, "应为 true 或 false")
    return value


def _amount(value: Any, path: str) -> int:
    """A yuan amount as fen: a decimal string with at most 2 decimals, or an integer; never negative."""
    if isinstance(value, _OddScalar):
        _odd(value, path, '金额请写成带引号的字符串，如 "20.00"')
    if isinstance(value, bool):
        _fail(path, "不是金额（是布尔值）")
    if isinstance(value, float | Decimal):
        _fail(path, f'不带引号的小数 {value} 不精确，不能作金额；请写成字符串，如 "{value}"')
    if isinstance(value, int):
        if value < 0:
            _fail(path, "金额不能为负数")
        fen = value * 100
    elif isinstance(value, str):
        if not _AMOUNT_RE.fullmatch(value):
            _fail(path, f'“{value}”不是金额（应为以元计的十进制数，如 "199.00"）')
        if value.startswith("-"):
            _fail(path, "金额不能为负数")
        whole, _, decimals = value.partition(".")
        if len(decimals) > 2:
            _fail(path, f"“{value}”超过两位小数（金额精确到分）")
        fen = int(whole) * 100 + int((decimals + "00")[:2])
    else:
        _fail(path, '不是金额（应为字符串，如 "199.00"）')
    if fen > MAX_FEN:
        _fail(path, "金额过大")
    return fen


def _int(value: Any, path: str, *, minimum: int, maximum: int) -> int:
    if isinstance(value, _OddScalar):
        _odd(value, path, "请写成普通整数")
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float):
            _fail(path, f"应为整数，不能是小数 {value}")
        _fail(path, "应为整数")
    if value < minimum:
        _fail(path, f"不能小于 {minimum}")
    if value > maximum:
        _fail(path, f"不能大于 {maximum}")
    return value


def _rate(value: Any, path: str, *, closed: bool = False) -> Fraction:
    """A rate as a decimal string with at most 4 decimals: 0 < rate < 1, or 0 <= rate <= 1 if ``closed``."""
    if isinstance(value, _OddScalar):
        _odd(value, path, '折扣率请写成带引号的字符串，如 "0.80"')
    if isinstance(value, float | Decimal):
        _fail(path, f'不带引号的小数 {value} 不精确；请写成字符串，如 "{value}"')
    if isinstance(value, bool) or not isinstance(value, str | int):
        _fail(path, '应为折扣率字符串，如 "0.80"')
    text = str(value)
    if not _RATE_RE.fullmatch(text):
        _fail(path, f'“{text}”不是折扣率（应为 0 与 1 之间的小数，如 "0.80"）')
    if len(text.partition(".")[2]) > 4:
        _fail(path, "折扣率最多四位小数")
    rate = Fraction(text)
    if closed and not 0 <= rate <= 1:
        _fail(path, '折扣率必须在 0 与 1 之间（如 "0.50" 即半价，"0" 即免费）')
    if not closed and not 0 < rate < 1:
        _fail(path, '折扣率必须大于 0 且小于 1（如 "0.80" 即八折）')
    return rate


def _datetime(value: Any, path: str) -> datetime:
    """An ISO 8601 date and time (string, or a YAML timestamp); without an offset: Asia/Shanghai."""
    example = "如 2026-11-01T20:00:00+08:00"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        _fail(path, f"只有日期没有时刻，请写明到时刻（{example}）")
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            _fail(path, f"“{value}”不是日期时间（{example}）")
        if "T" not in value and " " not in value.strip():
            _fail(path, f"只有日期没有时刻，请写明到时刻（{example}）")
    else:
        _fail(path, f"应为日期时间字符串（{example}）")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment


def _check_keys(data: Mapping[str, Any], path: str, allowed: tuple[str, ...], what: str) -> None:
    for key in data:
        if key not in allowed:
            _fail(_key(path, key), f"{what}没有这个字段（可用：{', '.join(allowed)}）")


def _required(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data or data[key] is None:
        _fail(_key(path, key), "缺少必填字段")
    return data[key]


# --------------------------------------------------------------------------------------------------
# Carts


def _cart(value: Any, path: str) -> Cart:
    data = _mapping(value, path, "购物车")
    _check_keys(data, path, ("items", "coupons_held", "used"), "购物车")
    items_path = _key(path, "items")
    raw_items = _list(_required(data, "items", path), items_path)
    if len(raw_items) > MAX_ITEMS:
        _fail(items_path, f"购物车最多 {MAX_ITEMS} 行")
    items = tuple(_item(raw, f"{items_path}[{i}]") for i, raw in enumerate(raw_items))
    held: list[str] = []
    if data.get("coupons_held") is not None:
        held_path = _key(path, "coupons_held")
        for i, raw in enumerate(_list(data["coupons_held"], held_path, non_empty=False)):
            coupon_id = _string(raw, f"{held_path}[{i}]")
            if coupon_id in held:
                _fail(f"{held_path}[{i}]", f"券 {coupon_id} 重复列出（每张券每单最多使用一次）")
            held.append(coupon_id)
    used: list[tuple[str, int]] = []
    if data.get("used") is not None:
        used_path = _key(path, "used")
        counts = _mapping(data["used"], used_path, "已使用次数（编号: 次数）")
        for offer_id, raw in counts.items():
            if not offer_id.strip():
                _fail(used_path, "编号不能为空")
            count = _int(raw, _key(used_path, offer_id), minimum=0, maximum=MAX_USES)
            used.append((offer_id, count))
    return Cart(items=items, coupons_held=tuple(held), used=tuple(used))


def _item(value: Any, path: str) -> CartItem:
    data = _mapping(value, path, "商品行")
    _check_keys(data, path, ("sku", "shop", "category", "price", "qty"), "商品行")
    sku = _string(_required(data, "sku", path), _key(path, "sku"))
    shop = _string(_required(data, "shop", path), _key(path, "shop"))
    category = None if data.get("category") is None else _string(data["category"], _key(path, "category"))
    price = _amount(_required(data, "price", path), _key(path, "price"))
    qty = _int(_required(data, "qty", path), _key(path, "qty"), minimum=1, maximum=MAX_QTY)
    return CartItem(sku=sku, shop=shop, category=category, price=price, qty=qty)


def load_cart(data: str | bytes | Mapping[str, Any]) -> Cart:
    """A cart document (JSON/YAML text or an already parsed mapping) as a ``Cart``."""
    return _cart(_as_document(data), "")


# --------------------------------------------------------------------------------------------------
# Rules

_COMMON_FIELDS = ("id", "title", "layer", "type", "scope", "exclude", "limit_per_user")
_TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "threshold_off": ("tiers", "repeat", "cap", "basis"),
    "percent_off": ("rate",),
    "amount_off": ("discount",),
    "fixed_price": ("price", "limit"),
    "nth_item_percent": ("nth", "rate"),
    "presale": (
        "deposit",
        "deposit_value",
        "balance_start",
        "balance_end",
        "deposit_refundable",
        "spot_price",
    ),
}
_REQUIRED_TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "threshold_off": ("tiers",),
    "percent_off": ("rate",),
    "amount_off": ("discount",),
    "fixed_price": ("price",),
    "nth_item_percent": ("nth", "rate"),
    "presale": ("deposit", "deposit_value"),
}
_SCOPE_KEYS = ("all", "skus", "shops", "categories")


def _scope(value: Any, path: str, *, what: str) -> Scope:
    data = _mapping(value, path, what)
    _check_keys(data, path, _SCOPE_KEYS, what)
    if not data:
        _fail(path, f"{what}至少要有一个键（all、skus、shops 或 categories）")
    everything = False
    lists: dict[str, frozenset[str]] = {}
    for key, raw in data.items():
        key_path = _key(path, key)
        if key == "all":
            if not _bool(raw, key_path):
                _fail(key_path, "all 只能写 true（不限范围）；要限定范围请用 skus、shops 或 categories")
            everything = True
        else:
            values = _list(raw, key_path)
            lists[key] = frozenset(_string(v, f"{key_path}[{i}]") for i, v in enumerate(values))
    return Scope(
        all=everything, skus=lists.get("skus"), shops=lists.get("shops"), categories=lists.get("categories")
    )


def _tiers(value: Any, path: str) -> tuple[Tier, ...]:
    tiers: list[Tier] = []
    for i, raw in enumerate(_list(value, path)):
        tier_path = f"{path}[{i}]"
        data = _mapping(raw, tier_path, "档位")
        _check_keys(data, tier_path, ("threshold", "discount"), "档位")
        threshold = _amount(_required(data, "threshold", tier_path), _key(tier_path, "threshold"))
        discount = _amount(_required(data, "discount", tier_path), _key(tier_path, "discount"))
        if any(t.threshold == threshold for t in tiers):
            _fail(_key(tier_path, "threshold"), "与前面的档位门槛相同")
        tiers.append(Tier(threshold=threshold, discount=discount))
    return tuple(tiers)


def _offer(value: Any, path: str, *, kind: OfferKind, layers: tuple[str, ...]) -> Offer:
    what = "券" if kind == "coupon" else "促销"
    data = _mapping(value, path, what)
    type_name = _string(_required(data, "type", path), _key(path, "type"))
    if type_name in RESERVED_TYPES:  # none at present; kept for types announced before they are built
        _fail(_key(path, "type"), f"类型 {type_name} 已预留，尚未支持")
    if type_name not in OFFER_TYPES:
        _fail(_key(path, "type"), f"未知类型 {type_name}（可用：{', '.join(OFFER_TYPES)}）")
    if kind == "coupon" and type_name != "threshold_off":
        _fail(_key(path, "type"), "券只能是 threshold_off（满减券）")
    allowed = _COMMON_FIELDS + _TYPE_FIELDS[type_name] + (("automatic",) if kind == "promotion" else ())
    for key in data:
        if key == "automatic" and kind == "coupon":
            _fail(_key(path, key), "券没有 automatic 字段：持有并选择使用时才生效")
        if key not in allowed:
            _fail(_key(path, key), f"{type_name} {what}没有这个字段（可用：{', '.join(allowed)}）")

    fields: dict[str, Any] = {}
    for key, raw in data.items():
        key_path = _key(path, key)
        if raw is None and key not in ("title",):
            _fail(key_path, "不能为空")
        if key == "id":
            fields["id"] = _string(raw, key_path)
        elif key == "title":
            fields["title"] = _optional_text(raw, key_path)
        elif key == "layer":
            layer = _string(raw, key_path)
            if layer not in layers:
                _fail(key_path, f"未声明的层 {layer}（已声明：{', '.join(layers)}）")
            item_type = OFFER_TYPES[type_name].ITEM_TYPE
            if item_type and layer != ITEM_LAYER:
                _fail(key_path, f"{type_name} 改变商品单价，只能放在 {ITEM_LAYER} 层")
            if not item_type and layer == ITEM_LAYER:
                _fail(key_path, f"{type_name} 不能放在 {ITEM_LAYER} 层（item 层只改单价）")
            fields["layer"] = layer
        elif key == "scope":
            fields["scope"] = _scope(raw, key_path, what="范围 scope")
        elif key == "exclude":
            fields["exclude"] = _scope(raw, key_path, what="排除范围 exclude")
        elif key == "automatic":
            fields["automatic"] = _bool(raw, key_path)
        elif key == "tiers":
            fields["tiers"] = _tiers(raw, key_path)
        elif key == "repeat":
            fields["repeat"] = _bool(raw, key_path)
        elif key == "cap":
            fields["cap"] = _amount(raw, key_path)
        elif key == "basis":
            basis_text = _string(raw, key_path)
            if basis_text not in ("list", "current"):
                _fail(key_path, "只能是 list（按标价）或 current（按此前优惠后的金额）")
            fields["basis"] = basis_text
        elif key == "rate":
            fields["rate"] = _rate(raw, key_path, closed=type_name == "nth_item_percent")
        elif key in ("discount", "price", "spot_price"):
            fields[key] = _amount(raw, key_path)
        elif key in ("deposit", "deposit_value"):
            fields[key] = _amount(raw, key_path)
            if fields[key] == 0:
                _fail(key_path, "必须大于 0")
        elif key in ("limit", "limit_per_user"):
            fields[key] = _int(raw, key_path, minimum=1, maximum=MAX_QTY)
        elif key == "nth":
            fields["nth"] = _int(raw, key_path, minimum=2, maximum=MAX_QTY)
        elif key in ("balance_start", "balance_end"):
            fields[key] = _datetime(raw, key_path)
        elif key == "deposit_refundable":
            fields[key] = _bool(raw, key_path)
        else:  # "type"
            pass
    for key in ("id", "layer", "scope", *_REQUIRED_TYPE_FIELDS[type_name]):
        if key not in fields:
            _fail(_key(path, key), "缺少必填字段")

    common: dict[str, Any] = {
        "id": fields["id"],
        "title": fields.get("title", ""),
        "layer": fields["layer"],
        "kind": kind,
        "scope": fields["scope"],
        "exclude": fields.get("exclude"),
        "automatic": fields.get("automatic", kind == "promotion"),
        "limit_per_user": fields.get("limit_per_user"),
    }
    if type_name == "threshold_off":
        tiers: tuple[Tier, ...] = fields["tiers"]
        repeat: bool | None = fields.get("repeat")
        if kind == "coupon" and len(tiers) != 1:
            _fail(_key(path, "tiers"), "券只能有一个档位")
        if repeat is True and len(tiers) != 1:
            _fail(_key(path, "tiers"), "repeat: true（每满减）只能有一个档位")
        if repeat is True and tiers[0].threshold == 0:
            _fail(_key(path, "tiers[0].threshold"), "每满减的门槛必须大于 0")
        if "cap" in fields and repeat is not True:
            _fail(_key(path, "cap"), "cap（封顶）只能与 repeat: true（每满减）一起使用")
        basis: Basis | None = fields.get("basis")
        return ThresholdOff(**common, tiers=tiers, repeat=repeat, cap=fields.get("cap"), basis=basis)
    if type_name == "percent_off":
        return PercentOff(**common, rate=fields["rate"])
    if type_name == "amount_off":
        return AmountOff(**common, discount=fields["discount"])
    if type_name == "nth_item_percent":
        return NthItemPercent(**common, nth=fields["nth"], rate=fields["rate"])
    if type_name == "presale":
        if fields["deposit_value"] < fields["deposit"]:
            _fail(_key(path, "deposit_value"), "定金可抵金额不能小于定金本身")
        start, end = fields.get("balance_start"), fields.get("balance_end")
        if start is not None and end is not None and end <= start:
            _fail(_key(path, "balance_end"), "尾款支付结束时间必须晚于开始时间")
        return Presale(
            **common,
            deposit=fields["deposit"],
            deposit_value=fields["deposit_value"],
            balance_start=start,
            balance_end=end,
            deposit_refundable=fields.get("deposit_refundable"),
            spot_price=fields.get("spot_price"),
        )
    return FixedPrice(**common, price=fields["price"], limit=fields.get("limit"))


def _layers(data: Mapping[str, Any]) -> tuple[str, ...]:
    if data.get("layers") is None:
        return DEFAULT_LAYERS
    layers: list[str] = []
    for i, raw in enumerate(_list(data["layers"], "layers")):
        name = _string(raw, f"layers[{i}]")
        if name in layers:
            _fail(f"layers[{i}]", f"层 {name} 重复")
        layers.append(name)
    if ITEM_LAYER in layers and layers[0] != ITEM_LAYER:
        _fail(f"layers[{layers.index(ITEM_LAYER)}]", "item 层改变单价，必须排在第一位")
    return tuple(layers)


def _offers(
    data: Mapping[str, Any], section: str, kind: OfferKind, layers: tuple[str, ...], seen: dict[str, str]
) -> tuple[Offer, ...]:
    if data.get(section) is None:
        return ()
    raw_offers = _list(data[section], section, non_empty=False)
    if len(raw_offers) + len(seen) > MAX_OFFERS:
        _fail(section, f"促销与券合计最多 {MAX_OFFERS} 条")
    offers: list[Offer] = []
    for i, raw in enumerate(raw_offers):
        path = f"{section}[{i}]"
        offer = _offer(raw, path, kind=kind, layers=layers)
        if offer.id in seen:
            _fail(f"{path}.id", f"编号 {offer.id} 与 {seen[offer.id]} 重复（促销与券的编号必须唯一）")
        seen[offer.id] = path
        offers.append(offer)
    return tuple(offers)


_RULES_FIELDS = ("format", "currency", "layers", "promotions", "coupons", "exclusive", "claims")


def _rules(value: Any) -> RuleSet:
    data = _mapping(value, "", "规则文档")
    _check_keys(data, "", _RULES_FIELDS, "规则文档")
    fmt = data.get("format")
    if fmt is None:
        _fail("format", f"缺少必填字段（应为 {FORMAT}）")
    if _string(fmt, "format") != FORMAT:
        _fail("format", f"不支持的格式 {fmt}（应为 {FORMAT}）")
    if data.get("currency") is not None and _string(data["currency"], "currency") != CURRENCY:
        _fail("currency", f"只支持 {CURRENCY}")
    layers = _layers(data)
    seen: dict[str, str] = {}
    keys = list(data)
    coupons_first = (
        "coupons" in keys and "promotions" in keys and keys.index("coupons") < keys.index("promotions")
    )
    sections: list[tuple[str, OfferKind]] = [("promotions", "promotion"), ("coupons", "coupon")]
    if coupons_first:
        sections.reverse()
    read: dict[str, tuple[Offer, ...]] = {}
    for section, kind in sections:
        read[section] = _offers(data, section, kind, layers, seen)
    coupons = tuple(o for o in read["coupons"] if isinstance(o, ThresholdOff))
    exclusive = _exclusive(data.get("exclusive"), seen)
    claims = _claims(data.get("claims"), {c.id for c in coupons}, seen)
    return RuleSet(
        layers=layers,
        promotions=read["promotions"],
        coupons=coupons,
        exclusive=exclusive,
        claims=claims,
        coupons_first=coupons_first,
    )


def _exclusive(value: Any, known: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    pairs: list[tuple[str, str]] = []
    for i, raw in enumerate(_list(value, "exclusive", non_empty=False)):
        path = f"exclusive[{i}]"
        members = _list(raw, path)
        if len(members) != 2:
            _fail(path, "每一项必须正好是两个编号，如 [P4, Q1]")
        ids = [_string(m, f"{path}[{j}]") for j, m in enumerate(members)]
        for j, offer_id in enumerate(ids):
            if offer_id not in known:
                _fail(f"{path}[{j}]", f"没有编号为 {offer_id} 的促销或券")
        if ids[0] == ids[1]:
            _fail(f"{path}[1]", "两个编号不能相同")
        pairs.append((ids[0], ids[1]))
    return tuple(pairs)


def _claims(value: Any, coupon_ids: set[str], offer_ids: Mapping[str, str]) -> tuple[Claim, ...]:
    if value is None:
        return ()
    claims: list[Claim] = []
    for i, raw in enumerate(_list(value, "claims", non_empty=False)):
        path = f"claims[{i}]"
        data = _mapping(raw, path, "宣传")
        _check_keys(data, path, ("id", "text", "cart", "payable"), "宣传")
        claim_id = _string(_required(data, "id", path), f"{path}.id")
        if any(c.id == claim_id for c in claims):
            _fail(f"{path}.id", f"宣传编号 {claim_id} 重复")
        text = _optional_text(data.get("text"), f"{path}.text")
        cart = _cart(_required(data, "cart", path), f"{path}.cart")
        check_held_coupons(cart, coupon_ids, offer_ids, path=f"{path}.cart")
        payable = _amount(_required(data, "payable", path), f"{path}.payable")
        claims.append(Claim(id=claim_id, text=text, cart=cart, payable=payable))
    return tuple(claims)


def check_held_coupons(
    cart: Cart, coupon_ids: set[str], offer_ids: Mapping[str, Any], *, path: str = ""
) -> None:
    """Every id in ``coupons_held`` must name a coupon of the rules, every key of ``used`` an offer."""
    for i, coupon_id in enumerate(cart.coupons_held):
        if coupon_id not in coupon_ids:
            where = _key(path, f"coupons_held[{i}]")
            if coupon_id in offer_ids:
                _fail(where, f"{coupon_id} 是促销，不是券")
            _fail(where, f"规则中没有编号为 {coupon_id} 的券")
    for offer_id, _count in cart.used:
        if offer_id not in offer_ids:
            _fail(_key(path, f"used.{offer_id}"), f"规则中没有编号为 {offer_id} 的促销或券")


def load_rules(data: str | bytes | Mapping[str, Any]) -> RuleSet:
    """A rules document (JSON/YAML text or an already parsed mapping) as a validated ``RuleSet``."""
    return _rules(_as_document(data))


MAX_CHECKOUTS = 100_000


def load_checkouts(data: str | bytes | Mapping[str, Any] | list[Any], rules: RuleSet) -> tuple[Checkout, ...]:
    """Observed checkouts: ``{"checkouts": [{"id", "cart", "charged"}, …]}`` (or just the list).

    Each cart is validated like a cart document and against ``rules`` (held coupons, ``used`` ids);
    paths name the checkout, e.g. ``checkouts[2].cart.items[0].price``.
    """
    document = data if isinstance(data, list) else _as_document(data)
    if isinstance(document, list):
        raw = document
    else:
        top = _mapping(document, "", "结算记录文档")
        _check_keys(top, "", ("checkouts",), "结算记录文档")
        raw = _list(_required(top, "checkouts", ""), "checkouts", non_empty=False)
    if len(raw) > MAX_CHECKOUTS:
        _fail("checkouts", f"最多 {MAX_CHECKOUTS} 条结算记录")
    coupon_ids = {c.id for c in rules.coupons}
    offer_ids = {o.id: o for o in rules.offers}
    out: list[Checkout] = []
    seen: set[str] = set()
    for i, value in enumerate(raw):
        path = f"checkouts[{i}]"
        entry = _mapping(value, path, "结算记录")
        _check_keys(entry, path, ("id", "cart", "charged"), "结算记录")
        checkout_id = _string(_required(entry, "id", path), f"{path}.id")
        if checkout_id in seen:
            _fail(f"{path}.id", f"结算记录编号 {checkout_id} 重复")
        seen.add(checkout_id)
        cart = _cart(_required(entry, "cart", path), f"{path}.cart")
        check_held_coupons(cart, coupon_ids, offer_ids, path=f"{path}.cart")
        charged = _amount(_required(entry, "charged", path), f"{path}.charged")
        out.append(Checkout(id=checkout_id, cart=cart, charged=charged))
    return tuple(out)
