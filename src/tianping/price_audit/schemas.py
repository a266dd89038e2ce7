"""The input contract of ``tianping prices audit`` (``spec/price-observations.md``) and its validation.

Observation and transaction files are read row by row into a *normalised* form that every engine
handles the same way:

* money as integer fen (``price_fen``), so comparisons and medians are exact;
* ``observed_at`` as an aware UTC timestamp plus ``observed_us`` (microseconds since the epoch, for
  ordering and pairing), ``observed_min`` (whole minutes, for pairing buckets) and ``day``, the
  calendar date in Asia/Shanghai on which every window of the rules is counted;
* ``seq``, the position in input order (the last of duplicate rows wins), and ``series_hash``, a stable
  hash of the series key that partitions long runs into resumable buckets.

The first problem of a row is reported with its row number (the header is row 1) and its column.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo

import pyarrow as pa

#: Days and windows of the rules are calendar days in this zone (the spec, "Day").
AUDIT_ZONE: Final = ZoneInfo("Asia/Shanghai")
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_MINUTE: Final = 60_000_000

#: Largest amount accepted (yuan). Keeps every fen product of the rules far inside 64-bit integers.
MAX_YUAN: Final = Decimal("1000000000.00")
MAX_TEXT: Final = 500

SURFACES: Final = ("detail", "list", "checkout")
STRIKE_LABELS: Final = ("", "msrp", "detailed")
#: Promotion labels that announce a time limit (规范促销行为暂行规定 第二十条 "限时减价").
TIME_LIMIT_WORDS: Final = ("限时", "秒杀", "倒计时")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    meaning_zh: str


OBSERVATION_COLUMNS: Final = (
    Column("platform", True, "平台或渠道编号"),
    Column("shop_id", True, "店铺（平台内经营者）编号"),
    Column("sku_id", True, "规格级商品编号"),
    Column("observed_at", True, "观测时间（ISO 日期或日期时间，未带时区按北京时间）"),
    Column("price", True, "当时标示的销售价格（元）"),
    Column("strike_price", False, "划线价（被比较价格），空表示未标示"),
    Column("strike_label", False, "划线价说明：空、msrp（厂商建议零售价）、detailed（已标明类型和来源）"),
    Column("promo_label", False, "促销文字，如 限时直降、秒杀"),
    Column("promo_start", False, "向消费者标示的促销开始时间"),
    Column("promo_end", False, "向消费者标示的促销结束时间"),
    Column("surface", False, "页面：detail（详情页，默认）、list（首页/搜索/信息流）、checkout（结算页）"),
    Column("title", False, "商品标题"),
)
TRANSACTION_COLUMNS: Final = (
    Column("platform", True, "平台或渠道编号"),
    Column("shop_id", True, "店铺编号"),
    Column("sku_id", True, "规格级商品编号"),
    Column("paid_at", True, "成交时间（ISO，未带时区按北京时间）"),
    Column("unit_price", True, "成交单价（元）"),
)

SERIES_KEY: Final = ("platform", "shop_id", "sku_id")

_TS = pa.timestamp("us", tz="UTC")
OBSERVATION_SCHEMA: Final = pa.schema(
    [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("platform", pa.string(), nullable=False),
        pa.field("shop_id", pa.string(), nullable=False),
        pa.field("sku_id", pa.string(), nullable=False),
        pa.field("series_hash", pa.int64(), nullable=False),
        pa.field("observed_at", _TS, nullable=False),
        pa.field("observed_us", pa.int64(), nullable=False),
        pa.field("observed_min", pa.int64(), nullable=False),
        pa.field("day", pa.date32(), nullable=False),
        pa.field("price_fen", pa.int64(), nullable=False),
        pa.field("strike_fen", pa.int64()),
        pa.field("strike_label", pa.string(), nullable=False),
        pa.field("promo_label", pa.string(), nullable=False),
        pa.field("promo_start_day", pa.date32()),
        pa.field("promo_end_day", pa.date32()),
        pa.field("surface", pa.string(), nullable=False),
        pa.field("title", pa.string()),
    ]
)
TRANSACTION_SCHEMA: Final = pa.schema(
    [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("platform", pa.string(), nullable=False),
        pa.field("shop_id", pa.string(), nullable=False),
        pa.field("sku_id", pa.string(), nullable=False),
        pa.field("series_hash", pa.int64(), nullable=False),
        pa.field("paid_at", _TS, nullable=False),
        pa.field("paid_us", pa.int64(), nullable=False),
        pa.field("day", pa.date32(), nullable=False),
        pa.field("price_fen", pa.int64(), nullable=False),
    ]
)


class CellError(ValueError):
    """A value that cannot be used; the message is zh-CN and names no row (the reader adds it)."""


def series_hash(platform: str, shop_id: str, sku_id: str) -> int:
    """A stable, non-negative hash of the series key (CRC-32 of the UTF-8 key); the same in every run."""
    return zlib.crc32("\x1f".join((platform, shop_id, sku_id)).encode("utf-8"))


def parse_text(value: Any, *, required: bool) -> str | None:
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        raise CellError(f"应为文本，实际为 {type(value).__name__}")
    if not text:
        if required:
            raise CellError("不能为空")
        return None
    if len(text) > MAX_TEXT:
        raise CellError(f"过长（{len(text)} 个字符，最多 {MAX_TEXT} 个）")
    return text


def parse_money_fen(value: Any, *, required: bool) -> int | None:
    """Yuan → integer fen, exactly. Strings and decimals as written; a float by its shortest repr."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CellError("不能为空")
        return None
    if isinstance(value, bool):
        raise CellError("不是金额")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "").removeprefix("¥").removeprefix("￥")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise CellError(f"不是金额：{value!r}") from None
    else:
        raise CellError(f"不是金额（{type(value).__name__}）")
    if not amount.is_finite():
        raise CellError(f"不是金额：{value!r}")
    if amount < 0:
        raise CellError(f"金额不能为负：{amount}")
    if amount > MAX_YUAN:
        raise CellError(f"金额过大：{amount}（最多 {MAX_YUAN} 元）")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise CellError(f"金额最多两位小数（到分）：{value!r}")
    return int(fen)


def _parse_instant_text(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise CellError(f"不是 ISO 日期或日期时间：{text!r}") from None


def parse_instant(value: Any) -> datetime:
    """ISO date or datetime → aware datetime; naive values are Asia/Shanghai, a date is its midnight."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        moment = _parse_instant_text(value.strip())
    elif value is None or isinstance(value, str):
        raise CellError("不能为空")
    else:
        raise CellError(f"不是日期或日期时间（{type(value).__name__}）")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AUDIT_ZONE)
    return moment


def parse_day(value: Any) -> date | None:
    """Optional ISO date or datetime → its calendar day in Asia/Shanghai (``None`` when empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return local_day(parse_instant(value))


def local_day(moment: datetime) -> date:
    return moment.astimezone(AUDIT_ZONE).date()


def to_micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def parse_surface(value: Any) -> str:
    text = (parse_text(value, required=False) or "detail").lower()
    if text not in SURFACES:
        raise CellError(f"应为 detail、list 或 checkout（空表示 detail），实际为 {text!r}")
    return text


def parse_strike_label(value: Any) -> str:
    text = (parse_text(value, required=False) or "").lower()
    if text not in STRIKE_LABELS:
        raise CellError(
            f"应为空（未说明或仅有一般性提示）、msrp（厂商建议零售价）或 detailed（已标明类型和来源），"
            f"实际为 {text!r}"
        )
    return text


def normalise_observation(raw: dict[str, Any], seq: int) -> dict[str, Any]:
    """One input row → one normalised row. Raises ``CellError`` with ``.args[1]`` = the column."""
    row: dict[str, Any] = {"seq": seq}
    column = ""
    try:
        for column in SERIES_KEY:
            row[column] = parse_text(raw.get(column), required=True)
        column = "observed_at"
        moment = parse_instant(raw.get(column))
        column = "price"
        row["price_fen"] = parse_money_fen(raw.get(column), required=True)
        column = "strike_price"
        row["strike_fen"] = parse_money_fen(raw.get(column), required=False)
        column = "strike_label"
        row["strike_label"] = parse_strike_label(raw.get(column))
        column = "promo_label"
        row["promo_label"] = parse_text(raw.get(column), required=False) or ""
        column = "promo_start"
        row["promo_start_day"] = parse_day(raw.get(column))
        column = "promo_end"
        row["promo_end_day"] = parse_day(raw.get(column))
        column = "surface"
        row["surface"] = parse_surface(raw.get(column))
        column = "title"
        row["title"] = parse_text(raw.get(column), required=False)
    except CellError as exc:
        raise CellError(exc.args[0], column) from None
    micros = to_micros(moment)
    row["series_hash"] = series_hash(row["platform"], row["shop_id"], row["sku_id"])
    row["observed_at"] = moment.astimezone(UTC)
    row["observed_us"] = micros
    row["observed_min"] = micros // MICROS_PER_MINUTE
    row["day"] = local_day(moment)
    return row


def normalise_transaction(raw: dict[str, Any], seq: int) -> dict[str, Any]:
    row: dict[str, Any] = {"seq": seq}
    column = ""
    try:
        for column in SERIES_KEY:
            row[column] = parse_text(raw.get(column), required=True)
        column = "paid_at"
        moment = parse_instant(raw.get(column))
        column = "unit_price"
        row["price_fen"] = parse_money_fen(raw.get(column), required=True)
    except CellError as exc:
        raise CellError(exc.args[0], column) from None
    row["series_hash"] = series_hash(row["platform"], row["shop_id"], row["sku_id"])
    row["paid_at"] = moment.astimezone(UTC)
    row["paid_us"] = to_micros(moment)
    row["day"] = local_day(moment)
    return row
