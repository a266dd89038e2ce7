"""Validators for Chinese identifiers: credit codes, ID cards, mobile numbers, division codes.

All ``is_valid_*`` functions take any string and return ``bool`` (never raise); they accept the
input as a user would type it: surrounding whitespace and full-width characters (``９１１１…``) are
normalised first (NFKC), and letters may be lower case.

统一社会信用代码 (unified social credit code, GB 32100-2015)
    18 characters from the 31-character set ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V):

    * position 1, 登记管理部门码 (registering authority): one of ``1``–``9``, ``A``, ``N``, ``Y``;
    * position 2, 机构类别码 (category): for the authorities whose category lists are fixed by the
      standard it must be one of them — ``1`` 机构编制 {1 机关, 2 事业单位, 3 群众团体, 9 其他},
      ``5`` 民政 {1 社会团体, 2 民办非企业单位, 3 基金会, 9 其他}, ``9`` 工商 {1 企业, 2 个体工商户,
      3 农民专业合作社}, ``Y`` 其他 {1}; for the other authorities any digit ``1``–``9``;
    * positions 3–8, 登记管理机关行政区划码: six digits (not checked against the division table,
      since codes of abolished divisions stay valid in old credit codes);
    * positions 9–17, 主体标识码 (organisation code): any characters of the set;
    * position 18, check character: weights ``3^i mod 31``; check = ``31 - (Σ value×weight mod 31)``,
      where 31 becomes 0. Because 31 is prime and no weight is 0 mod 31, every single-character
      substitution changes the check character, so it is always detected.

居民身份证号码 (citizen ID number, GB 11643-1999)
    18 characters: 6-digit region code whose first two digits are a province code (11–15, 21–23,
    31–37, 41–46, 50–54, 61–65, 71 Taiwan, 81 Hong Kong, 82 Macao, 83 Taiwan residence permits),
    8-digit birth date (a real date, year ≥ 1900, not after today in the configured time zone),
    3-digit sequence, check character ``"10X98765432"[Σ digit×weight mod 11]`` with weights
    ``2^(17-i) mod 11``. Every weight is non-zero mod 11 and 11 is prime, so every single-digit
    substitution is detected. The legacy 15-digit numbers are not accepted.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from tianping.core import divisions
from tianping.core.errors import ValidationFailed
from tianping.core.timeutil import local_today

__all__ = [
    "ID_CARD_PROVINCE_CODES",
    "USCC_CHARSET",
    "id_card_birth_date",
    "id_card_check_char",
    "is_valid_division_code",
    "is_valid_id_card",
    "is_valid_mobile",
    "is_valid_uscc",
    "normalize_id_card",
    "normalize_mobile",
    "normalize_uscc",
    "uscc_check_char",
]

# ---------------------------------------------------------------------------------------------------
# 统一社会信用代码
# ---------------------------------------------------------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, ...
_USCC_CATEGORIES: dict[str, str] = {
    "1": "1239",
    "5": "1239",
    "9": "123",
    "Y": "1",
}
_USCC_AUTHORITIES = "123456789ANY"
_OTHER_CATEGORIES = "123456789"


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def normalize_uscc(code: str) -> str:
    """Strip surrounding whitespace, convert full-width characters and upper-case the code."""
    return _nfkc(code).upper()


def uscc_check_char(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a credit code.

    Raises ``ValueError`` unless ``first17`` is 17 characters of :data:`USCC_CHARSET`.
    """
    if len(first17) != 17 or any(ch not in _USCC_VALUE for ch in first17):
        raise ValueError("first17 must be 17 characters of the USCC character set")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True if ``code`` is a well-formed 统一社会信用代码 with a correct check character."""
    if not isinstance(code, str):
        return False
    value = normalize_uscc(code)
    if len(value) != 18 or any(ch not in _USCC_VALUE for ch in value):
        return False
    authority, category = value[0], value[1]
    if authority not in _USCC_AUTHORITIES:
        return False
    if category not in _USCC_CATEGORIES.get(authority, _OTHER_CATEGORIES):
        return False
    if not value[2:8].isdigit():
        return False
    return uscc_check_char(value[:17]) == value[17]


# ---------------------------------------------------------------------------------------------------
# 居民身份证号码
# ---------------------------------------------------------------------------------------------------

ID_CARD_PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, ...
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)


def normalize_id_card(no: str) -> str:
    """Strip surrounding whitespace, convert full-width characters and upper-case a trailing ``x``."""
    return _nfkc(no).upper()


def id_card_check_char(first17: str) -> str:
    """The check character (``0``–``9`` or ``X``) for the first 17 digits of an ID number.

    Raises ``ValueError`` unless ``first17`` is 17 ASCII digits.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("first17 must be 17 ASCII digits")
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_card_birth_date(no: str, *, today: date | None = None) -> date | None:
    """The birth date encoded in an 18-digit (or legacy 15-digit) ID number, if plausible.

    Plausible means a real calendar date, year ≥ 1900 and not after ``today`` (default: today in the
    configured time zone). The check character is not verified here.
    """
    value = normalize_id_card(no)
    if len(value) == 18:
        digits = value[6:14]
    elif len(value) == 15:
        digits = "19" + value[6:12]
    else:
        return None
    if not digits.isascii() or not digits.isdigit():
        return None
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    if born.year < 1900 or born > (today or local_today()):
        return None
    return born


def is_valid_id_card(no: str, *, today: date | None = None) -> bool:
    """True for a valid 18-character 居民身份证号码 (see the module docstring for the rules)."""
    if not isinstance(no, str):
        return False
    value = normalize_id_card(no)
    if not _ID_RE.fullmatch(value):
        return False
    if value[:2] not in ID_CARD_PROVINCE_CODES:
        return False
    if id_card_birth_date(value, today=today) is None:
        return False
    return id_card_check_char(value[:17]) == value[17]


# ---------------------------------------------------------------------------------------------------
# 手机号码
# ---------------------------------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})", re.ASCII)
_MOBILE_SEPARATORS = re.compile(r"[\s\-]+")


def _mobile_core(no: str) -> str | None:
    if not isinstance(no, str):
        return None
    compact = _MOBILE_SEPARATORS.sub("", _nfkc(no))
    match = _MOBILE_RE.fullmatch(compact)
    return match.group(1) if match else None


def is_valid_mobile(no: str) -> bool:
    """True for a mainland mobile number ``1[3-9]`` + 9 digits.

    An optional ``+86`` / ``0086`` / ``86`` prefix and spaces or hyphens anywhere are accepted:
    ``"+86 138-1234-5678"`` is valid.
    """
    return _mobile_core(no) is not None


def normalize_mobile(no: str) -> str:
    """The 11 digits of a mobile number; raises :class:`ValidationFailed` if it is not one."""
    core = _mobile_core(no)
    if core is None:
        raise ValidationFailed("手机号码格式不正确：应为 11 位数字，以 13–19 开头")
    return core


# ---------------------------------------------------------------------------------------------------
# 行政区划代码
# ---------------------------------------------------------------------------------------------------


def is_valid_division_code(code: str) -> bool:
    """True for a known 6-digit GB/T 2260 code or 9-digit Beijing street code (see ``divisions``)."""
    return divisions.is_valid_division_code(code)
