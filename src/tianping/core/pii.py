"""Masking of personal information (个人信息脱敏) for display, exports and logs.

Field maskers (each keeps the length of its input, except :func:`mask_address`):

* :func:`mask_phone` — mobile ``13812345678`` → ``138****5678`` (first 3 and last 4 digits of the
  11-digit number; a ``+86`` prefix and separators are kept). Landline ``010-12345678`` →
  ``010-****5678``: the area code (3 digits for ``01x``/``02x``, otherwise 4) and the last 4 digits
  are kept. Any other text: the first 3 and last 4 digits are kept if it has at least 8 digits,
  otherwise every digit is masked.
* :func:`mask_id_card` — first 6 and last 4 characters kept: ``110105********002X``.
* :func:`mask_bank_card` — first 4 and last 4 digits kept, spaces kept: ``6222 **** **** 1234``.
* :func:`mask_email` — first character of the local part kept: ``z*******@example.com``.
* :func:`mask_name` — first character kept (first two for a compound surname such as 欧阳 when the
  name has at least three characters); a one-character name becomes ``*``; ``·`` is kept.
* :func:`mask_address` — the administrative prefix (省/自治区, 市/州/地区/盟, 区/县/旗, 街道/镇/乡)
  is kept, the rest (road, house number, room) becomes ``****``. Beijing's 地区办事处 (南磨房地区)
  count as street level.

:func:`find_pii` locates mobile and landline numbers, 18- and 15-digit ID numbers, bank card numbers
and e-mail addresses in free text; :func:`scrub_text` masks them and leaves every other character
untouched (so the result has the same length as the input). Full-width digits and ``＠`` are
recognised too. Detection rules:

* numbers are delimited by non-digits: a run of digits is never split, so a 20-digit order number
  contains no phone number, and a number followed by ``.<digit>`` (an amount) is ignored;
* mobile: ``1[3-9]`` + 9 digits, optionally ``+86``/``0086``/``86`` and space/hyphen separators
  (``138 1234 5678``, ``138-1234-5678``);
* landline: area code ``01x``/``02x`` and an 8-digit local number, or area code ``0[3-9]xx`` and a
  7–8-digit local number, the local number not starting with 0; written ``0731-88889999``,
  ``0746—8222289``, ``(010)12345678``, full-width brackets, ``010 12345678`` or ``01012345678``.
  Short service numbers (``0731-12315``) are not personal data and are left alone;
* ID number: 17 digits + digit/``X`` whose first two digits are a province code and whose birth
  date is a real date between 1900 and today, or a legacy 15-digit number with a plausible 19xx
  birth date; the check character is not required (mistyped numbers are still personal data);
* bank card: 16–19 digits, optionally in groups of 4 separated by single spaces or hyphens,
  starting with 3, 4, 5, 6 or 9 and passing the Luhn check. Exception: an 18-digit number that is a
  valid 统一社会信用代码 of a company (``91``/``92``/``93``, registered by 市场监管) is not a card;
* e-mail: ASCII ``local@domain.tld``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tianping.core.validation import ID_CARD_PROVINCE_CODES, id_card_birth_date, is_valid_uscc

__all__ = [
    "PiiKind",
    "PiiMatch",
    "find_pii",
    "luhn_ok",
    "mask_address",
    "mask_bank_card",
    "mask_email",
    "mask_id_card",
    "mask_name",
    "mask_phone",
    "scrub_text",
]

PiiKind = Literal["email", "id_card", "bank_card", "mobile", "landline"]

STAR = "*"


@dataclass(frozen=True)
class PiiMatch:
    """A piece of personal information found in a text: ``text[start:end]``."""

    kind: PiiKind
    start: int
    end: int


# ---------------------------------------------------------------------------------------------------
# Field maskers
# ---------------------------------------------------------------------------------------------------


def _mask_digits(value: str, keep_first: int, keep_last: int) -> str:
    """Replace digits by ``*`` except the first ``keep_first`` and last ``keep_last`` digits."""
    positions = [i for i, ch in enumerate(value) if "0" <= ch <= "9"]
    if len(positions) <= keep_first + keep_last:
        return value
    hidden = set(positions[keep_first : len(positions) - keep_last])
    return "".join(STAR if i in hidden else ch for i, ch in enumerate(value))


def _landline_area_length(digits: str) -> int:
    return 3 if digits[1] in "12" else 4


def mask_phone(phone: str) -> str:
    """Mask a mobile or landline number, keeping its length and separators (see module docs)."""
    digits = "".join(ch for ch in phone if "0" <= ch <= "9")
    core = digits
    prefix = 0
    if (len(digits), digits[:2]) == (13, "86") or (len(digits), digits[:4]) == (15, "0086"):
        prefix = len(digits) - 11
        core = digits[prefix:]
    if len(core) == 11 and core[0] == "1":
        return _mask_digits(phone, prefix + 3, 4)
    if len(digits) >= 10 and digits[0] == "0" and digits[1] != "0":
        return _mask_digits(phone, _landline_area_length(digits), 4)
    if len(digits) >= 8:
        return _mask_digits(phone, 3, 4)
    return "".join(STAR if "0" <= ch <= "9" else ch for ch in phone)


def mask_id_card(no: str) -> str:
    """Keep the first 6 and last 4 characters, star the rest (same length); short input: all stars."""
    if len(no) <= 10:
        return STAR * len(no)
    return no[:6] + STAR * (len(no) - 10) + no[-4:]


def mask_bank_card(no: str) -> str:
    """Keep the first 4 and last 4 digits (separators kept); 8 digits or fewer: all digits masked."""
    digits = sum(1 for ch in no if "0" <= ch <= "9")
    if digits <= 8:
        return "".join(STAR if "0" <= ch <= "9" else ch for ch in no)
    return _mask_digits(no, 4, 4)


def mask_email(email: str) -> str:
    """Keep the first character of the local part and the domain: ``z*******@example.com``.

    A one-character local part becomes ``*``; without ``@`` all but the first character is masked.
    """
    local, at, domain = email.rpartition("@")
    if not at:
        return email[:1] + STAR * (len(email) - 1)
    if len(local) <= 1:
        return STAR * len(local) + at + domain
    return local[0] + STAR * (len(local) - 1) + at + domain


_COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐",
        "长孙", "宇文", "司徒", "司空", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门",
        "万俟", "闻人", "澹台", "公冶", "申屠", "太史", "钟离", "呼延", "百里", "东郭",
        "拓跋", "赫连", "第五", "淳于", "单于",
    }
)  # fmt: skip


def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``, ``张三`` → ``张*``, ``张`` → ``*``, ``欧阳娜娜`` → ``欧阳**``.

    Surrounding whitespace is removed; the middle dot of transliterated names is kept
    (``买买提·艾力`` → ``买****·**``).
    """
    value = name.strip()
    if len(value) <= 1:
        return STAR * len(value)
    keep = 2 if len(value) >= 3 and value[:2] in _COMPOUND_SURNAMES else 1
    return value[:keep] + "".join(ch if ch in "·•・" else STAR for ch in value[keep:])


_ADMIN_NAME = r"[^\s\d省市区县旗盟镇乡街路号楼栋幢室弄巷]"
# 市 and 区 also end words that are not divisions: 超市, 菜市; 小区, 社区, 园区, 校区, 景区 ...
_CITY = r"(?<![超菜夜门集股])市"
_DISTRICT = r"(?<![小社园校片景厂营库])区"
_ADDRESS_PREFIX = re.compile(
    rf"""
    (?:{_ADMIN_NAME}{{2,10}}?(?:省|自治区|特别行政区))?
    (?:{_ADMIN_NAME}{{1,12}}?(?:自治州|地区|盟|{_CITY}))?
    (?:{_ADMIN_NAME}{{1,12}}?(?:自治县|{_DISTRICT}|县|旗|{_CITY}))?
    (?:{_ADMIN_NAME}{{1,12}}?(?:街道|镇|乡|苏木|地区))?
    """,
    re.VERBOSE,
)


def mask_address(address: str) -> str:
    """Keep the administrative prefix of an address and replace the rest by ``****``.

    ``北京市海淀区中关村街道中关村大街27号1单元302`` → ``北京市海淀区中关村街道****``;
    an address without a recognisable prefix becomes ``****`` (when in doubt, mask more).
    """
    value = address.strip()
    if not value:
        return ""
    prefix = _ADDRESS_PREFIX.match(value)
    kept = prefix.group(0) if prefix else ""
    return kept + ("****" if len(kept) < len(value) else "")


# ---------------------------------------------------------------------------------------------------
# Detection in free text
# ---------------------------------------------------------------------------------------------------

# Full-width ASCII (U+FF01–U+FF5E) and the ideographic space map 1:1 to ASCII, so offsets are kept.
_HALF_WIDTH = str.maketrans({**{chr(0xFF01 + i): chr(0x21 + i) for i in range(94)}, "\u3000": " "})

_START = r"(?<![0-9])(?<![0-9]\.)"
_END = r"(?![0-9])(?!\.[0-9])"
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)
_ID18 = re.compile(_START + r"[1-9][0-9]{16}[0-9Xx]" + _END)
_ID15 = re.compile(_START + r"[1-9][0-9]{14}" + _END)
_CARD = re.compile(
    _START + r"(?:[0-9]{16,19}|[0-9]{4}(?:([ \-])[0-9]{4})(?:\1[0-9]{4}){2}(?:\1[0-9]{1,3})?)" + _END
)
_MOBILE = re.compile(_START + r"(?:(?:\+|00)?86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}" + _END)
_AREA = r"(?:0[12][0-9]|0[3-9][0-9]{2})"
_LOCAL = r"[1-9][0-9]{2,3}[ \-]?[0-9]{4}"
_LANDLINE = re.compile(
    _START + rf"(?:[(（]{_AREA}[)）] ?|{_AREA} ?[\-－—–]{{1,3}} ?|{_AREA} ?)" + _LOCAL + _END
)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by bank card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        value = ord(ch) - 48
        if i % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(ch for ch in text if "0" <= ch <= "9")


def _plausible_id(value: str) -> bool:
    return value[:2] in ID_CARD_PROVINCE_CODES and id_card_birth_date(value) is not None


def _plausible_card(value: str) -> bool:
    digits = _digits(value)
    if len(digits) == 18 and digits[:2] in ("91", "92", "93") and is_valid_uscc(digits):
        return False  # an all-digit 统一社会信用代码 of a market entity, not a card
    return 16 <= len(digits) <= 19 and digits[0] in "34569" and luhn_ok(digits)


def _plausible_landline(value: str) -> bool:
    digits = _digits(value)
    area = _landline_area_length(digits)
    local = len(digits) - area
    # 010 and 02x cities all have 8-digit local numbers; elsewhere 7 or 8.
    return local == 8 or (area == 4 and local == 7)


def _detect(shadow: str) -> list[PiiMatch]:
    """One detection round on half-width text: non-overlapping matches, by kind priority."""
    found: list[PiiMatch] = []

    def add(kind: PiiKind, start: int, end: int) -> None:
        if not any(start < m.end and m.start < end for m in found):
            found.append(PiiMatch(kind, start, end))

    for m in _EMAIL.finditer(shadow):
        add("email", m.start(), m.end())
    for pattern in (_ID18, _ID15):
        for m in pattern.finditer(shadow):
            if _plausible_id(m.group(0)):
                add("id_card", m.start(), m.end())
    for m in _CARD.finditer(shadow):
        if _plausible_card(m.group(0)):
            add("bank_card", m.start(), m.end())
    for m in _MOBILE.finditer(shadow):
        add("mobile", m.start(), m.end())
    for m in _LANDLINE.finditer(shadow):
        if _plausible_landline(m.group(0)):
            add("landline", m.start(), m.end())
    return found


_MASKERS = {
    "email": mask_email,
    "id_card": mask_id_card,
    "bank_card": mask_bank_card,
    "mobile": mask_phone,
    "landline": mask_phone,
}


def _find_and_mask(text: str) -> tuple[list[PiiMatch], str]:
    """Detect and mask until nothing is left; return the matches and the masked half-width text."""
    shadow = text.translate(_HALF_WIDTH)
    matches: list[PiiMatch] = []
    while True:
        changed = False
        for match in _detect(shadow):
            before = shadow[match.start : match.end]
            after = _MASKERS[match.kind](before)
            if after != before:
                shadow = shadow[: match.start] + after + shadow[match.end :]
                matches.append(match)
                changed = True
        if not changed:
            return sorted(matches, key=lambda m: (m.start, m.end)), shadow


def find_pii(text: str) -> list[PiiMatch]:
    """All personal data found in ``text``, sorted by position.

    When candidates overlap, the first kind in this order wins: e-mail, ID number, bank card,
    mobile, landline (so ``13812345678@163.com`` is one e-mail address). Detection is repeated on
    the masked text until nothing new is found, because masking can expose another item (a phone
    number in the domain of an e-mail address, a card number after a masked landline). Items of
    different rounds may therefore share characters that a mask kept, e.g. the last four digits.
    """
    return _find_and_mask(text)[0]


def scrub_text(text: str) -> str:
    """Mask every item :func:`find_pii` finds; all other characters are returned unchanged.

    Masked characters become ``*``; the result has the same length as ``text``, and
    ``scrub_text(scrub_text(x)) == scrub_text(x)`` (detection runs to a fixed point).
    """
    matches, masked = _find_and_mask(text)
    if not matches:
        return text
    return "".join(STAR if m == STAR else o for o, m in zip(text, masked, strict=True))
