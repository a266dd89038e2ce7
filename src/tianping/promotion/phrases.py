"""Chinese promotion phrases → rules in format 1 (``tianping-promotions/1``), never guessing what is open.

``parse_text("店铺满300减40，满500减80；跨店每满300减50，最高减150；满199减20券")`` returns the promotions
and coupons the text states, the *open points* (what the text does not settle, e.g. whether a threshold is
measured on 标价 or on the amount after earlier discounts), the pieces it did not understand and notes for
the officer. ``to_document()`` omits every open ``basis``/``repeat`` so the engine evaluates both readings
(spec, semantics 5). ``layer`` and ``scope`` are required by format 1: when the text does not state them the
parser writes ``shop`` / ``{"all": true}`` and reports them as open points.

How: the text is normalised character by character (NFKC: full-width digits and punctuation become ASCII;
positions map back to the original), split into segments at separators (，、/| weak; ；。！？ and line
breaks strong), and each segment is scanned left to right with the pattern table ``_PATTERNS``. Offers
(满减, 券, 折, 直降, 一口价, 第N件, 定金) become offers; a modifier before an offer (跨店, 全场, 实付) applies
to the next offer, one after it (最高减, 上不封顶, 限购, 尾款) to the last one. Consecutive 满减 across weak
separators, without 每满 or a new layer word, become tiers of one promotion. Whatever no pattern consumed
is reported in ``unparsed`` unless it is a filler word (活动, 优惠 …). docs/promotion-phrases.md has the rest.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from tianping.core.errors import FieldError, ValidationFailed

__all__ = ["FORMAT", "OpenPoint", "PhraseParse", "parse_text"]

FORMAT = "tianping-promotions/1"
_COUPON_PREFIX = "Q"
_MAX_INT_DIGITS = 10  # amounts below 100 亿元; longer numbers are reported, not converted


@dataclass(frozen=True)
class OpenPoint:
    """A field the text leaves open; ``path`` as the engine names fields (``promotions[0].basis``)."""

    path: str
    field: str
    reason_zh: str


@dataclass(frozen=True)
class PhraseParse:
    promotions: list[dict[str, Any]]
    coupons: list[dict[str, Any]]
    open_points: list[OpenPoint]
    unparsed: list[str]
    notes_zh: list[str]

    def to_document(self) -> dict[str, Any]:
        """A full rules document; open ``basis``/``repeat`` are omitted (ambiguous for the engine)."""
        return {
            "format": FORMAT,
            "currency": "CNY",
            "promotions": copy.deepcopy(self.promotions),
            "coupons": copy.deepcopy(self.coupons),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.to_document(),
            "open_points": [asdict(p) for p in self.open_points],
            "unparsed": list(self.unparsed),
            "notes_zh": list(self.notes_zh),
        }


# --- notes (zh-CN); every cited article was checked in research/data/laws-lawrefbook -----------------

N_BASE_21 = (
    "文案未标明折价、减价的基准。依《规范促销行为暂行规定》第二十一条第二款，未标明基准的，以同一经营者"
    "在同一经营场所内本次促销活动前七日内最低成交价格为基准（前七日内没有交易的，以活动前最后一次交易"
    "价格为基准）；引擎按购物车中的标价计算，核对时须另查该基准价。"
)
N_COUPON_22 = (
    "《规范促销行为暂行规定》第二十二条：通过礼券、代金券等折抵价款的，应当以显著方式标明或者公开折价"
    "计算的具体办法；未标明或者公开的，以经营者接受兑换时的标价作为折价计算基准。该款是否决定满减券门槛"
    "的计算口径须由执法人员判断，这里仍按“未说明”处理。"
)
N_TIME_20 = (
    "文案写有“限时”，但格式1不记录活动期限；开展限时减价、折价等价格促销活动的，应当显著标明期限"
    "（《规范促销行为暂行规定》第二十条）。"
)
N_CLAIM = (
    "“到手价/券后价”是价格宣传（声明），不是计算规则，未转换；可写入规则文件的 claims 并配合购物车核验"
    "（计算结果高于宣传价即为不实，见《明码标价和禁止价格欺诈规定》第十九条）。"
)
N_CAP_REPEAT = (
    "文案写明了最高减额，按每满（repeat: true）加封顶处理：封顶高于单次减额只有每满才说得通，"
    "等于单次减额时两种读法结果相同。"
)
N_ZERO_THRESHOLD = "无门槛（门槛为0）：只减一次（repeat: false），门槛口径不影响结果（basis 写为 current）。"
N_ITEM_LAYER = (
    "单品优惠（折扣、直降、一口价、第N件、定金）在格式1中都按单品层（item）计算；文案中的店铺/平台/跨店"
    "字样只说明出资方或范围，未作为层级使用。"
)
N_DINGJIN = "文案写作“订金”而非“定金”，按预售定金处理；两者的退还规则可能不同，须核对活动规则原文。"
N_REFUND_26 = (
    "“定金不退”等内容若以格式条款、通知、声明方式作出，不得排除或者限制消费者权利、加重消费者责任，"
    "否则无效（《消费者权益保护法》第二十六条第二款、第三款）。"
)
N_PIECE = "按件数的门槛或组合价（满N件、N件N折、N件N元）不在格式1中，未转换。"
N_TH_PERCENT = "满额打折（满X打N折）不在格式1中（percent_off 是单品折扣），未转换。"
N_GIFT = (
    "买赠/赠品不在格式1中，未转换；赠送物品的应当标示赠品的品名、数量"
    "（《明码标价和禁止价格欺诈规定》第十八条）。"
)
N_NTH_PRICE = "“第N件X元”是价格而不是折扣率，扩展类型 nth_item_percent 只支持折扣率，未转换。"
N_NTH_FIRST = "“第1件”的优惠不是第N件优惠（N 至少为2），未转换。"
N_FROM = "“X折起/低至X折/X元起”只说明最低价格或折扣，不是适用于全部商品的规则，未转换。"
N_RATE = "折扣率无效（应大于0折、小于10折），未转换。"
N_AMOUNT = "金额无法转换（最多两位小数、不超过十位整数，减额须大于0），未转换。"
N_COUPON_NO_THRESHOLD = "优惠券未写明使用门槛（满多少可用，或“无门槛”），未转换。"
N_DEPOSIT_AMBIGUOUS = (
    "定金文案有两种理解（“翻3倍”是抵3倍还是4倍；“定金50立减100”是抵100还是抵150），未转换；请写成“定金X抵Y”。"
)
N_DEPOSIT_VALUE = "定金可抵金额小于定金本身，文案自相矛盾，未转换。"
N_ATTACH = (
    "这段修饰（封顶、不封顶、仅一次、限购、尾款、定金退还、口径或层级）找不到可附加的优惠或与其矛盾，未转换。"
)
N_TIERS = "同一满减出现相同门槛的两档，另作一条优惠。"
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"叠加|同享|共享|同时使用"),
        "格式1只能用 exclusive 写明两条优惠不能同时用于同一商品行；文案未说明是哪两条，须人工补充。",
    ),
    (re.compile(r"包邮|运费|邮费"), "运费不在格式1中，未转换。"),
    (re.compile(r"赠|送"), N_GIFT),
    (re.compile(r"定金|订金|膨胀|尾款"), "预售文案须写明定金和可抵金额（如“定金50抵150”）才能转换。"),
    (re.compile(r"满减|满[0-9]"), "满减须写明门槛和减额（如“满300减50”）才能转换。"),
    (
        re.compile(r"会员|新人|新客|首单|首购|PLUS|VIP", re.IGNORECASE),
        "格式1没有会员/新人等资格条件，须人工核对；附加条件应当显著标明（《规范促销行为暂行规定》第二十条）。",
    ),
    (re.compile(r"[0-9]月[0-9]|[0-9][./][0-9]|时间|截止|期间"), "格式1不记录活动期限，未转换。"),
)
_FILLER = re.compile(
    r"限时抢购|限时|活动|优惠|促销|大促|狂欢节?|福利|专享|特惠|钜惠|巨惠|超值|好价|爆款|惊喜|预售|秒杀|抢购"
    r"|即可|立即|马上|可享|立享|即享|享受|享|可以|可用|使用|领取|领|可|下单|购买|购物|满减|门槛|计算|元|的"
    r"|再|还|就|都|仅需|只需|每单|每笔订单|订单|官方|双十一|双十二|双11|双12|618|年货节|[^\w]|_"
)

# --- the pattern table ----------------------------------------------------------------------------------

_CN_CHARS = "零〇一二两三四五六七八九十百千万"
_CN_DIGIT_CHARS = "零〇一二三四五六七八九"
_D = r"(?<![0-9.])[0-9]+(?:\.[0-9]+)?(?![0-9])"
_CN = rf"(?<![{_CN_CHARS}点])[{_CN_CHARS}]+(?:点[{_CN_DIGIT_CHARS}]+)?(?![{_CN_CHARS}])"
_NUM = rf"(?:{_D}|{_CN})"
_YUAN = r"(?:元|块)"
_INT = r"(?:(?<![0-9])[0-9]+(?![0-9])|(?<![一二两三四五六七八九十百])[一二两三四五六七八九十百]+)"
_RATE = (
    r"(?:(?<![0-9.])(?:[0-9]?\.[0-9]{1,2}|[0-9]{1,2})(?![0-9])"
    rf"|(?<![{_CN_CHARS}点])[{_CN_DIGIT_CHARS}]{{1,2}}(?:点[{_CN_DIGIT_CHARS}])?)"
)
_CPN = r"(?:优惠券|代金券|满减券|红包|券)"
_UNIT = r"(?:件|份|个|双|瓶|盒|袋|套|只|支|箱)"
_DAY = r"(?:[0-9]{1,2}月[0-9]{1,2}日(?:[0-9]{1,2}(?::[0-9]{2}|点|时))?|[0-9]{1,2}日|[0-9]{1,2}[./][0-9]{1,2})"
_PAY = r"(?:付|预付|支付)?"
_ONLY = r"(?:仅|只要|只需|仅需)?"
_ID = r"(?:每人|每单|每个?ID|每个?账号|每位|每户|单人|单个?ID)?"


def _amt(name: str) -> str:
    return rf"¥?(?P<{name}>{_NUM}){_YUAN}?"


@dataclass
class _Tok:
    kind: str  # an offer kind (_OFFER_KINDS), a modifier kind, or "unsupported" (understood, not convertible)
    start: int
    end: int
    data: dict[str, Any] = field(default_factory=dict)
    consumed: bool = False


_Handler = Callable[[re.Match[str]], "_Tok | None"]  # None: this pattern does not apply after all
_OFFER_KINDS = frozenset({"threshold", "percent", "amount", "fixed", "nth", "presale"})
_EITHER_WAY = frozenset({"context", "basis"})  # before an offer: forward; after one: backward


def _unsupported(m: re.Match[str], note: str) -> _Tok:
    return _Tok("unsupported", m.start(), m.end(), {"note": note})


def _h_presale(m: re.Match[str]) -> _Tok | None:
    deposit, value = _amount(m["a"]), _amount(m["b"])
    if deposit is None or value is None or deposit <= 0:
        return _unsupported(m, N_AMOUNT)
    if value < deposit:
        return _unsupported(m, N_DEPOSIT_VALUE)
    return _Tok("presale", m.start(), m.end(), {"deposit": deposit, "value": value, "word": m["w"]})


def _h_presale_double(m: re.Match[str]) -> _Tok | None:
    if m["k"] != "倍":
        return _unsupported(m, N_DEPOSIT_AMBIGUOUS)
    deposit = _amount(m["a"])
    if deposit is None or deposit <= 0:
        return _unsupported(m, N_AMOUNT)
    return _Tok("presale", m.start(), m.end(), {"deposit": deposit, "value": deposit * 2, "word": m["w"]})


def _h_nth(m: re.Match[str]) -> _Tok | None:
    n = _int(m["n"])
    if n is None:
        return None
    if n < 2:
        return _unsupported(m, N_NTH_FIRST)
    if m["y"] is not None:
        return _unsupported(m, N_NTH_PRICE)
    rate = Decimal("0.5") if m["half"] else Decimal(0) if m["free"] else _rate(m["r"])
    if rate is None:
        return _unsupported(m, N_RATE)
    return _Tok("nth", m.start(), m.end(), {"nth": n, "rate": rate})


def _h_threshold(*, coupon: bool) -> _Handler:
    """满X减Y; a coupon when the pattern is one (``coupon``) or says 券 before or after it."""

    def handle(m: re.Match[str]) -> _Tok | None:
        groups = m.groupdict()
        t = _amount(m["t"]) if "t" in groups else Decimal(0)  # no threshold group: 无门槛
        d = _amount(next(v for k, v in groups.items() if k.startswith("d") and v is not None))
        each = bool(groups.get("each"))
        if t is None or d is None or d <= 0 or (each and t == 0):
            return _unsupported(m, N_AMOUNT)
        is_coupon = coupon or bool(groups.get("cw") or groups.get("cs"))
        return _Tok("threshold", m.start(), m.end(), {"t": t, "d": d, "each": each, "coupon": is_coupon})

    return handle


def _h_percent(m: re.Match[str]) -> _Tok | None:
    groups = m.groupdict()
    if groups.get("low") or groups.get("from"):
        return _unsupported(m, N_FROM)
    if groups.get("p") is not None:
        rate: Decimal | None = 1 - Decimal(m["p"]) / 100
    else:
        rate = Decimal("0.5") if groups.get("half") else _rate(m["r"])
    if rate is None or not 0 < rate < 1:
        return _unsupported(m, N_RATE)
    return _Tok("percent", m.start(), m.end(), {"rate": rate})


def _h_value(kind: str, group: str, *, positive: bool) -> _Handler:
    def handle(m: re.Match[str]) -> _Tok | None:
        if m.groupdict().get("from"):
            return _unsupported(m, N_FROM)
        value = _amount(m[group])
        if value is None or (positive and value <= 0):
            return _unsupported(m, N_AMOUNT)
        return _Tok(kind, m.start(), m.end(), {"value": value})

    return handle


def _h_count(kind: str) -> _Handler:
    def handle(m: re.Match[str]) -> _Tok | None:
        n = _int(m["n"])
        if n is None or n < 1:
            return None
        if kind == "times" and n == 1:  # 限1次 = 仅一次
            return _Tok("once", m.start(), m.end())
        return _Tok(kind, m.start(), m.end(), {"n": n})

    return handle


_PLATFORM_WORDS = frozenset({"全平台", "平台", "购物津贴", "津贴", "购物金"})
_SHOP_WORDS = frozenset({"全店", "店铺", "本店", "店内"})
_ALL_WORDS = frozenset({"全店", "全平台", "全场", "全品类", "全品", "全部商品", "所有商品", "通用"})


def _h_context(m: re.Match[str]) -> _Tok | None:
    word = m[0]
    layer = (
        "cross_store"
        if word.startswith("跨店")
        else "platform"
        if word in _PLATFORM_WORDS
        else "shop"
        if word in _SHOP_WORDS
        else None
    )
    scope = "all" if word in _ALL_WORDS else None if layer else "named"
    return _Tok("context", m.start(), m.end(), {"layer": layer, "scope": scope})


def _h_simple(kind: str, **data: Any) -> _Handler:
    return lambda m: _Tok(kind, m.start(), m.end(), dict(data))


def _h_unsupported(note: str) -> _Handler:
    return lambda m: _unsupported(m, note)


# Tried in this order at the leftmost position where any of them matches.
_PATTERNS: tuple[tuple[str, _Handler], ...] = (
    (
        rf"{_PAY}(?P<w>定金|订金)(?:膨胀)?:?{_amt('a')}(?:可|立|最高)?"
        rf"(?:抵扣|抵用|抵|当|顶|膨胀(?:为|至|到|成)?|用)(?:尾款)?{_amt('b')}",
        _h_presale,
    ),
    (rf"{_PAY}(?P<w>定金|订金){_amt('a')}可?翻(?P<k>倍|{_INT}倍)", _h_presale_double),
    (
        rf"{_PAY}(?:定金|订金){_amt('a')}(?:可|再)?(?:立减|再减|减)¥?{_NUM}{_YUAN}?",
        _h_unsupported(N_DEPOSIT_AMBIGUOUS),
    ),
    (r"定金(?:不退还?|不可退还?|不予退还|概不退还)|不退定金", _h_simple("refund", refundable=False)),
    (r"定金可退|可退定金|支持退定金", _h_simple("refund", refundable=True)),
    (
        rf"尾款(?:支付)?(?:时间|期|时段)?:?(?P<w>{_DAY}(?:(?:-|~|至|到|—|–)+{_DAY})?)",
        lambda m: _Tok("balance", m.start(), m.end(), {"window": m["w"]}),
    ),
    (
        rf"第(?P<n>{_INT})件(?:商品)?(?:(?P<half>半价)|(?P<free>免费|免单|0元|零元)"
        rf"|(?:打|享)?(?P<r>{_RATE})折|{_amt('y')})",
        _h_nth,
    ),
    (rf"买{_INT}{_UNIT}?(?:送|赠){_INT}{_UNIT}?", _h_unsupported(N_GIFT)),
    (
        rf"每?满{_INT}{_UNIT}(?:,?(?:立|可|即|再|就|打|享)?"
        rf"(?:减¥?{_NUM}{_YUAN}?|省¥?{_NUM}{_YUAN}?|-{_NUM}|{_RATE}折|半价|包邮|免单))?",
        _h_unsupported(N_PIECE),
    ),
    (
        rf"(?:任选|任意|买)?{_INT}{_UNIT}(?:打|享|立享)?(?:{_RATE}折|半价|¥?{_NUM}{_YUAN})",
        _h_unsupported(N_PIECE),
    ),
    (
        rf"每?满¥?{_NUM}{_YUAN}?,?(?:打|享|即享|立享|可享|即打)?(?:{_RATE}折|半价)",
        _h_unsupported(N_TH_PERCENT),
    ),
    (
        rf"满{_amt('t')}(?:可用|使用|可使用|即可使用|可抵|可减|减免|用|,){_amt('d')}{_CPN}",
        _h_threshold(coupon=True),
    ),
    (rf"¥?(?P<d>{_NUM}){_YUAN}?{_CPN}\(?满{_amt('t')}(?:可用|使用|可使用|减)?\)?", _h_threshold(coupon=True)),
    (
        rf"无门槛{_CPN}:?{_amt('d3')}|无门槛:?{_amt('d1')}{_CPN}?|{_amt('d2')}无门槛{_CPN}?",
        _h_threshold(coupon=True),
    ),
    (rf"¥?{_NUM}{_YUAN}{_CPN}", _h_unsupported(N_COUPON_NO_THRESHOLD)),
    (
        rf"(?P<cw>{_CPN}:?)?(?P<each>每)?满{_amt('t')},?(?:立|可|即|再|就|可以)?(?:减|省|-|—|–)"
        rf"¥?(?P<d>{_NUM}){_YUAN}?(?P<cs>的?{_CPN})?",
        _h_threshold(coupon=False),
    ),
    (r"(?:直降|立减|降价|优惠|减|降)(?P<p>[0-9]{1,2}(?:\.[0-9]{1,2})?)%", _h_percent),
    (
        rf"(?:官方|下单)?(?:直降|立减|立省|直减|降价|下单减)¥?(?P<d>{_NUM}){_YUAN}?",
        _h_value("amount", "d", positive=True),
    ),
    (
        rf"(?:活动)?(?:到手价|到手|券后价|券后|折后价|折后|叠加后价?|实付价)(?:仅|只要|只需|低至)?:?¥?{_NUM}{_YUAN}?起?",
        _h_unsupported(N_CLAIM),
    ),
    (
        rf"(?:秒杀价|一口价|特价|活动价|促销价|抢购价|福利价|专享价|限时价|惊爆价|秒杀){_ONLY}:?{_ONLY}"
        rf"¥?(?P<p>{_NUM}){_YUAN}?(?P<from>起)?",
        _h_value("fixed", "p", positive=False),
    ),
    (rf"¥?(?P<p>{_NUM}){_YUAN}(?:秒杀|一口价|抢购)", _h_value("fixed", "p", positive=False)),
    (rf"(?P<low>低至|最低|低到)?打?(?:(?P<r>{_RATE})折|(?P<half>半价))(?P<from>起)?", _h_percent),
    (
        r"(?:每单|每人)?(?:仅限|仅|只|限)(?:减|享|可减)?(?:一|1)次|不累计|不累加|不可累计|不可累加|不重复减|不循环",
        _h_simple("once"),
    ),
    (rf"(?:最多|最高|上限|限)(?:减|叠加|使用|累计|可减|享受|享|可用|用)?(?P<n>{_INT})次", _h_count("times")),
    (
        rf"(?:最高|最多|上限|封顶)可?(?:减|优惠|立减|省|抵|可减)?:?¥?(?P<c>{_NUM}){_YUAN}?(?!次)(?:封顶)?",
        _h_value("cap", "c", positive=True),
    ),
    (rf"(?:最高|最多)?(?:减|优惠)?¥?(?P<c>{_NUM}){_YUAN}?封顶", _h_value("cap", "c", positive=True)),
    (r"上不封顶|不封顶|无上限|上不设限|不设上限|无封顶|不限次数?", _h_simple("nocap")),
    (rf"{_ID}(?:(?:限购|限买|限抢)(?P<n>{_INT}){_UNIT}?|限(?P<n2>{_INT}){_UNIT})", _h_count("limit")),
    (
        r"(?:按|以)(?:商品)?(?:标价|原价|吊牌价)(?:计算|计|为准)?|(?:标价|原价)(?=每?满)",
        _h_simple("basis", basis="list"),
    ),
    (
        r"(?:按|以)(?:实付|实际支付|实际付款|优惠后|折后|券后)(?:金额|价格|价)?(?:计算|计|为准)?"
        r"|(?:实付|实际支付|优惠后|折后|券后)(?:金额)?(?=每?满)",
        _h_simple("basis", basis="current"),
    ),
    (
        r"跨店铺?|全平台|平台|购物津贴|津贴|购物金|全店|店铺|本店|店内|全场|全品类|全品|全部商品|所有商品|通用"
        r"|(?:仅限|限)?(?:指定|部分|活动|参与活动的?|参加活动的?|特定|限定)(?:商品|品类|类目|款式|款)",
        _h_context,
    ),
)
_COMPILED = tuple((re.compile(p), h) for p, h in _PATTERNS)
_ANY = re.compile("|".join("(?:" + re.sub(r"\(\?P<\w+>", "(?:", p) + ")" for p, _ in _PATTERNS))


# --- numbers ------------------------------------------------------------------------------------------

_CN_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def _cn_int(s: str) -> int | None:
    """三百 → 300, 一百五 → 150 (colloquial), 一千零五 → 1005, 十五 → 15, 八五 → 85 (digit by digit)."""
    if not s or len(s) > 12:
        return None
    if all(c in _CN_DIGITS for c in s):
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    total, section, last_unit, zero = 0, 0, 0, False
    digit: int | None = None
    for c in s:
        if c in "零〇":
            zero = True
        elif c in _CN_DIGITS:
            if digit is not None:
                return None
            digit = _CN_DIGITS[c]
        elif c == "万":
            section += digit or 0
            if section == 0 or total:
                return None
            total, section, digit, last_unit, zero = section * 10_000, 0, None, 10_000, False
        else:
            unit = _CN_UNITS[c]
            if digit is None and not (c == "十" and section == 0):
                return None
            if last_unit and unit >= last_unit and last_unit != 10_000:
                return None
            section += (1 if digit is None else digit) * unit
            digit, last_unit, zero = None, unit, False
    if digit is not None:  # 一百五 = 150, but 一百零五 = 105 and 十五 = 15
        section += digit * (last_unit // 10 if last_unit >= 100 and not zero else 1)
    return total + section


def _int(s: str) -> int | None:
    value = (int(s) if s.isdigit() and len(s) <= 6 else None) if s.isascii() else _cn_int(s)
    return value if value is not None and value <= 100_000 else None


def _number(s: str) -> Decimal | None:
    if s.isascii():
        whole_digits = s.partition(".")[0]
        return Decimal(s) if len(whole_digits) <= _MAX_INT_DIGITS and len(s) <= _MAX_INT_DIGITS + 8 else None
    whole_cn, _, frac_cn = s.partition("点")
    whole = _cn_int(whole_cn) if whole_cn else None
    if whole is None or not all(c in _CN_DIGITS for c in frac_cn):
        return None
    return Decimal(f"{whole}.{''.join(str(_CN_DIGITS[c]) for c in frac_cn)}" if frac_cn else whole)


def _amount(s: str) -> Decimal | None:
    """A yuan amount with at most 2 decimals and at most 10 integer digits, else None."""
    value = _number(s)
    exponent = value.as_tuple().exponent if value is not None else None
    return value if isinstance(exponent, int) and exponent >= -2 else None


def _rate(s: str) -> Decimal | None:
    """8 → 0.8, 85 → 0.85, 8.5 → 0.85, 0.5 → 0.05, 八五 → 0.85, 八点五 → 0.85; 10 → None (no discount)."""
    value = _number(s)
    if value is None:
        return None
    digits = s.replace("点", ".")
    two_digit = "." not in digits and len(digits) == 2 and digits[1] not in "0零〇"
    rate = value / (100 if two_digit else 10)
    return rate if 0 < rate < 1 else None


def _fmt_amount(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


def _fmt_rate(value: Decimal) -> str:
    whole, _, frac = format(value.normalize(), "f").partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


# --- normalisation and scanning -----------------------------------------------------------------------

_STRONG = frozenset(";。!?\n")
_WEAK = frozenset(",、|")
_NUMERIC = frozenset("0123456789.")
_NEWLINES = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _normalise(text: str) -> tuple[str, list[int]]:
    """NFKC per character, spaces dropped (a separator between two numbers); index into ``text``."""
    chars = [(c, i) for i, ch in enumerate(text) for c in unicodedata.normalize("NFKC", ch)]
    following = [""] * (len(chars) + 1)  # the next character that is not a space
    for k in range(len(chars) - 1, -1, -1):
        c = chars[k][0]
        following[k] = following[k + 1] if c.isspace() and c not in _NEWLINES else c
    out: list[str] = []
    index: list[int] = []
    for k, (c, i) in enumerate(chars):
        if c in _NEWLINES:
            c = "\n"
        elif c.isspace():
            if not (out and out[-1] in _NUMERIC and following[k + 1] in _NUMERIC and following[k + 1]):
                continue
            c = ","  # "300 500" are two numbers, not 300500
        out.append(c)
        index.append(i)
    return "".join(out), index


@dataclass
class _Segment:
    start: int
    end: int
    strong_before: bool
    tokens: list[_Tok] = field(default_factory=list)
    clean: bool = True  # nothing but tokens and filler words: its 跨店/实付 may qualify a neighbour's offer


def _segments(norm: str) -> list[_Segment]:
    segments: list[_Segment] = []
    start, strong = 0, False
    for i, c in enumerate(norm + "\n"):
        slash = c == "/" and not (norm[i - 1 : i].isdigit() and norm[i + 1 : i + 2].isdigit())
        if c in _STRONG or c in _WEAK or slash:
            if i > start:
                tokens = _scan(norm, start, i)
                bounds = zip([start, *(t.end for t in tokens)], [*(t.start for t in tokens), i], strict=True)
                clean = not _FILLER.sub("", "".join(norm[a:b] for a, b in bounds))
                segments.append(_Segment(start, i, strong, tokens, clean))
                strong = False
            strong = strong or c in _STRONG
            start = i + 1
    return segments


def _scan(norm: str, start: int, end: int) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = start
    while (found := _ANY.search(norm, pos, end)) is not None:
        at = found.start()
        tok = None
        for pattern, handler in _COMPILED:
            m = pattern.match(norm, at, end)
            if m is not None and m.end() > at and (tok := handler(m)) is not None:
                break
        if tok is None:
            pos = at + 1
        else:
            tokens.append(tok)
            pos = tok.end
    return tokens


# --- building offers ----------------------------------------------------------------------------------


@dataclass
class _Offer:
    kind: str  # threshold_off | percent_off | amount_off | fixed_price | nth_item_percent | presale
    coupon: bool
    start: int
    end: int
    layer: str | None = None
    scope: str | None = None  # "all" | "named" | None (not stated)
    basis: str | None = None
    repeat: bool | None = None
    tiers: list[tuple[Decimal, Decimal]] = field(default_factory=list)
    cap: Decimal | None = None
    nocap: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    balance: str | None = None
    refundable: bool | None = None


_ITEM_KIND = {
    "percent": "percent_off",
    "amount": "amount_off",
    "fixed": "fixed_price",
    "nth": "nth_item_percent",
    "presale": "presale",
}
_LAYER_RANK = {"cross_store": 3, "platform": 2, "shop": 1}  # 平台跨店满减 is cross_store


class _Builder:
    def __init__(self) -> None:
        self.offers: list[_Offer] = []
        self.notes: list[str] = []

    def run(self, segments: list[_Segment]) -> None:
        pending: list[_Tok] = []
        joinable = False
        with_offers = [i for i, s in enumerate(segments) if any(t.kind in _OFFER_KINDS for t in s.tokens)]
        for si, seg in enumerate(segments):
            joinable = joinable and not seg.strong_before
            seg_has_offer = False
            for ti, tok in enumerate(seg.tokens):
                if tok.kind in _OFFER_KINDS:
                    self.offer(tok, pending, joinable)
                    pending, joinable, seg_has_offer = [], True, True
                elif tok.kind in _EITHER_WAY:
                    offer_follows = any(t.kind in _OFFER_KINDS for t in seg.tokens[ti + 1 :])
                    if offer_follows:
                        pending.append(tok)
                    elif seg_has_offer:
                        self.backward(tok)
                    elif seg.clean and any(i > si for i in with_offers):  # 跨店满减：每满300减50
                        pending.append(tok)
                    elif seg.clean:  # 每满200减30，可跨店
                        self.backward(tok)
                elif tok.kind == "unsupported":
                    self.notes.append(tok.data["note"])
                    joinable = False
                else:
                    self.backward(tok)

    def offer(self, tok: _Tok, pending: list[_Tok], joinable: bool) -> None:
        layers = [t.data["layer"] for t in pending if t.kind == "context" and t.data["layer"]]
        layer = max(layers, key=_LAYER_RANK.__getitem__) if layers else None
        scopes = {t.data["scope"] for t in pending if t.kind == "context" and t.data["scope"]}
        scope = "named" if "named" in scopes else "all" if scopes else None
        bases = {t.data["basis"] for t in pending if t.kind == "basis"}
        basis = bases.pop() if len(bases) == 1 and tok.kind == "threshold" else None
        used = [t for t in pending if t.kind == "context" or (t.kind == "basis" and basis is not None)]
        start = min([tok.start, *(t.start for t in used)])
        last = self.offers[-1] if self.offers else None
        if tok.kind == "threshold":
            t, d = tok.data["t"], tok.data["d"]
            if (
                joinable
                and last is not None
                and last.kind == "threshold_off"
                and not (last.coupon or tok.data["coupon"] or tok.data["each"])
                and last.repeat is not True
                and last.cap is None
                and layer in (None, last.layer)
                and basis in (None, last.basis)
                and scope is None
            ):
                if all(t != old for old, _ in last.tiers):  # another tier: 满300减40、满500减80
                    last.tiers.append((t, d))
                    last.end = tok.end
                    for consumed in (tok, *used):
                        consumed.consumed = True
                    return
                self.notes.append(N_TIERS)
            offer = _Offer("threshold_off", tok.data["coupon"], start, tok.end, layer, scope, basis)
            offer.tiers.append((t, d))
            offer.repeat = True if tok.data["each"] else None
        else:
            offer = _Offer(_ITEM_KIND[tok.kind], False, start, tok.end, "item", scope)
            offer.values = dict(tok.data)
            if layers:
                self.notes.append(N_ITEM_LAYER)
            if tok.kind == "presale" and tok.data["word"] == "订金":
                self.notes.append(N_DINGJIN)
        for consumed in (tok, *used):
            consumed.consumed = True
        self.offers.append(offer)

    def backward(self, tok: _Tok) -> None:
        target = self.offers[-1] if self.offers else None
        if target is not None and self.attach(target, tok):
            tok.consumed = True
            target.end = max(target.end, tok.end)
        elif target is not None or tok.kind not in _EITHER_WAY:  # a lone 跨店/全场 is explained by hints
            self.notes.append(N_ATTACH)

    def attach(self, o: _Offer, tok: _Tok) -> bool:
        """Apply a modifier to offer ``o``; False when it does not fit (it is then reported, not dropped)."""
        kind, data = tok.kind, tok.data
        threshold = o.kind == "threshold_off"
        repeatable = (
            threshold and len(o.tiers) == 1 and o.tiers[0][0] > 0
        )  # 每满 needs one tier, threshold > 0
        if kind == "context":
            if not threshold or (data["layer"] and o.layer) or (data["scope"] and o.scope):
                return False
            o.layer, o.scope = data["layer"] or o.layer, data["scope"] or o.scope
        elif kind == "basis":
            if not threshold or o.basis not in (None, data["basis"]):
                return False
            o.basis = data["basis"]
        elif kind in ("cap", "times"):
            if not repeatable or o.repeat is False or o.cap is not None or o.nocap:
                return False
            discount = o.tiers[0][1]
            cap = data["value"] if kind == "cap" else discount * data["n"]
            if cap < discount:
                return False
            if o.repeat is None and kind == "cap":
                self.notes.append(N_CAP_REPEAT)
            o.cap, o.repeat = cap, True
        elif kind == "nocap":
            if not repeatable or o.repeat is False or o.cap is not None:
                return False
            o.repeat, o.nocap = True, True
        elif kind == "once":
            if not threshold or o.repeat is True:
                return False
            o.repeat = False
        elif kind == "limit" and o.kind == "fixed_price" and "limit" not in o.values:
            o.values["limit"] = data["n"]
        elif kind == "balance" and o.kind == "presale" and o.balance is None:
            o.balance = data["window"]
        elif kind == "refund" and o.kind == "presale" and o.refundable is None:
            o.refundable = data["refundable"]
        else:
            return False
        return True


# --- output -------------------------------------------------------------------------------------------

R_LAYER = "文案未说明是店铺活动还是跨店/平台活动；暂按店铺（shop）处理，须核对。"
R_LAYER_COUPON = "文案未说明是店铺券还是平台券；暂按店铺（shop）处理，须核对。"
R_SCOPE = "文案未写明参加活动的商品；暂按全部商品（all）处理，须改为实际参加的商品、店铺或类目。"
R_SCOPE_ITEM = (
    "文案未写明适用哪些商品（单品优惠通常只适用于所在页面的商品）；暂按全部商品（all）处理，须改为具体商品。"
)
R_SCOPE_NAMED = "文案写明仅限指定/部分商品，但没有列出是哪些；暂按全部商品（all）处理，须改为具体商品。"
R_REPEAT = "文案未说明是否每满（满X减Y只减一次，还是每满X减Y重复减）。"
R_BASIS = "文案未说明门槛按标价还是按优惠后金额计算。"
R_BALANCE = "文案未说明尾款支付时间（balance_start、balance_end）。"
R_REFUND = "文案未说明未付尾款时定金是否退还。"


def _render(
    o: _Offer, ident: str, path: str, title: str
) -> tuple[dict[str, Any], list[OpenPoint], list[str]]:
    points: list[OpenPoint] = []
    notes: list[str] = []

    def open_(name: str, reason: str) -> None:
        points.append(OpenPoint(f"{path}.{name}", name, reason))

    out: dict[str, Any] = {"id": ident, "title": title}
    if o.layer is None:
        open_("layer", R_LAYER_COUPON if o.coupon else R_LAYER)
    out["layer"] = o.layer or "shop"
    out["type"] = o.kind
    if o.scope != "all":
        item = o.kind != "threshold_off"
        open_("scope", R_SCOPE_NAMED if o.scope == "named" else R_SCOPE_ITEM if item else R_SCOPE)
    out["scope"] = {"all": True}
    if o.kind == "threshold_off":
        tiers = sorted(o.tiers)
        out["tiers"] = [{"threshold": _fmt_amount(t), "discount": _fmt_amount(d)} for t, d in tiers]
        zero = len(tiers) == 1 and tiers[0][0] == 0
        if zero and o.repeat is None and o.basis is None:
            notes.append(N_ZERO_THRESHOLD)
        repeat = False if len(tiers) > 1 or zero else o.repeat  # several tiers never repeat (spec)
        if repeat is None:
            open_("repeat", R_REPEAT)
        else:
            out["repeat"] = repeat
        if o.cap is not None:
            out["cap"] = _fmt_amount(o.cap)
        basis = o.basis or ("current" if zero else None)
        if basis is None:
            open_("basis", R_BASIS)
        else:
            out["basis"] = basis
    elif o.kind in ("percent_off", "nth_item_percent"):
        if o.kind == "nth_item_percent":
            out["nth"] = o.values["nth"]
        out["rate"] = _fmt_rate(o.values["rate"])
    elif o.kind == "amount_off":
        out["discount"] = _fmt_amount(o.values["value"])
    elif o.kind == "fixed_price":
        out["price"] = _fmt_amount(o.values["value"])
        if "limit" in o.values:
            out["limit"] = o.values["limit"]
    else:
        out["deposit"] = _fmt_amount(o.values["deposit"])
        out["deposit_value"] = _fmt_amount(o.values["value"])
        if o.balance is None:
            open_("balance_end", R_BALANCE)
        else:
            notes.append(
                f"{ident}：尾款支付时间 {o.balance}（文案未写明年份和时刻，"
                "未写入 balance_start、balance_end，须按活动规则原文填写）。"
            )
        if o.refundable is None:
            open_("deposit_refundable", R_REFUND)
        else:
            out["deposit_refundable"] = o.refundable
            if not o.refundable:
                notes.append(N_REFUND_26)
    return out, points, notes


_STRIP = " \t\n,;。!?、|/:"
_BRACKETS = (("(", ")"), ("【", "】"), ("[", "]"), ("「", "」"), ("《", "》"))
_BASE_WORDS = re.compile(r"基准|原价|吊牌价|划线价|日常价|专柜价|指导价")


def parse_text(text: str, *, id_prefix: str = "P") -> PhraseParse:
    """Parse promotion phrases into format 1; never raises on any ``text`` (see the module docstring)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,15}", id_prefix) or re.fullmatch(r"Q[0-9]*", id_prefix):
        reason = "编号前缀须以字母开头、最多16个字符，且不能是 Q（优惠券使用 Q1、Q2…）"
        raise ValidationFailed("编号前缀无效", errors=[FieldError("id_prefix", reason)])
    norm, index = _normalise(text)

    def original(start: int, end: int) -> str:
        return text[index[start] : index[end - 1] + 1].strip(_STRIP) if end > start else ""

    def title(start: int, end: int) -> str:  # balance brackets: 满300减50（按实付计算）, 【跨店】每满300减50
        for left, right in _BRACKETS:
            while (
                end < len(norm)
                and norm[end] == right
                and norm.count(left, start, end) > norm.count(right, start, end)
            ):
                end += 1
            while (
                start > 0
                and norm[start - 1] == left
                and norm.count(right, start, end) > norm.count(left, start, end)
            ):
                start -= 1
        return original(start, end)

    segments = _segments(norm)
    builder = _Builder()
    builder.run(segments)
    notes, render_notes = builder.notes, []
    promotions: list[dict[str, Any]] = []
    coupons: list[dict[str, Any]] = []
    points: list[OpenPoint] = []
    for o in builder.offers:
        bucket, prefix, section = (
            (coupons, _COUPON_PREFIX, "coupons") if o.coupon else (promotions, id_prefix, "promotions")
        )
        path = f"{section}[{len(bucket)}]"
        offer, offer_points, offer_notes = _render(
            o, f"{prefix}{len(bucket) + 1}", path, title(o.start, o.end)
        )
        bucket.append(offer)
        points.extend(offer_points)
        render_notes.extend(offer_notes)
    unparsed: list[str] = []
    for seg in segments:
        pos = seg.start
        for tok in [*(t for t in seg.tokens if t.consumed), _Tok("end", seg.end, seg.end)]:
            piece = norm[pos : tok.start]
            if _FILLER.sub("", piece):
                unparsed.append(original(pos, tok.start))
                inside = [t for t in seg.tokens if t.kind == "unsupported" and pos <= t.start < tok.start]
                bounds = zip(
                    [pos, *(t.end for t in inside)], [*(t.start for t in inside), tok.start], strict=True
                )
                gaps = "".join(norm[a:b] for a, b in bounds)  # hints explain gaps, not unsupported phrases
                notes.extend(note for hint, note in _HINTS if hint.search(gaps))
            if "限时" in piece:
                notes.append(N_TIME_20)
            pos = max(pos, tok.end)
    if {o.kind for o in builder.offers} & {"percent_off", "amount_off"} and not _BASE_WORDS.search(norm):
        notes.append(N_BASE_21)
    if coupons:
        notes.append(N_COUPON_22)
    return PhraseParse(promotions, coupons, points, unparsed, list(dict.fromkeys([*notes, *render_notes])))
