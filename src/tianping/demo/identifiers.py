"""Fictitious but well-formed identifiers: credit codes, ID numbers, phone numbers.

Every function draws from the ``random.Random`` it is given (never the global state), so a seed fixes
the output. Generated values pass :mod:`tianping.core.validation`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from tianping.core.validation import USCC_CHARSET, id_card_check_char, uscc_check_char

__all__ = [
    "BEIJING_ID_AREAS",
    "MOBILE_PREFIXES",
    "birth_date",
    "id_card",
    "landline",
    "mobile",
    "org_code",
    "uscc",
]

# 6-digit area codes found in Beijing ID numbers: today's districts and the former 崇文/宣武 districts
# and 县 (counties) that issued numbers before they became districts.
BEIJING_ID_AREAS: tuple[str, ...] = (
    "110101", "110102", "110103", "110104", "110105", "110106", "110107", "110108", "110109",
    "110111", "110112", "110113", "110114", "110115", "110116", "110117", "110118", "110119",
    "110221", "110222", "110224", "110226", "110227", "110228", "110229",
)  # fmt: skip

# Mobile number segments allocated to mainland operators (中国移动、联通、电信、广电).
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "147", "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "173", "175", "176", "177", "178", "180", "181", "182", "183",
    "184", "185", "186", "187", "188", "189", "191", "192", "195", "198", "199",
)  # fmt: skip

_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 组织机构代码
_NEW_CODE_CHARS = USCC_CHARSET


def org_code(rng: random.Random, *, established_on: date) -> str:
    """The 9-character 主体标识码 (positions 9–17 of a credit code).

    Entities registered since the credit-code reform (October 2015) get the ``MA…`` form Beijing
    issues today; older ones keep their GB 11714 organisation code (8 digits and a check character).
    """
    # Both forms are drawn, so the random stream does not depend on the date.
    new_form = "MA0" + rng.choice("01234") + "".join(rng.choice(_NEW_CODE_CHARS) for _ in range(5))
    digits = [rng.randrange(10) for _ in range(8)]
    if established_on >= date(2015, 10, 1):
        return new_form
    check = 11 - sum(d * w for d, w in zip(digits, _ORG_CODE_WEIGHTS, strict=True)) % 11
    check_char = "X" if check == 10 else "0" if check == 11 else str(check)
    return "".join(map(str, digits)) + check_char


def uscc(rng: random.Random, *, category: str, authority_area: str, established_on: date) -> str:
    """A 统一社会信用代码 registered by the market regulator (authority ``9``).

    ``category`` is ``"1"`` for enterprises, ``"2"`` for individual businesses; ``authority_area`` the
    6-digit code of the registering bureau (a Beijing district, or ``110000`` for the city bureau).
    """
    first17 = "9" + category + authority_area + org_code(rng, established_on=established_on)
    return first17 + uscc_check_char(first17)


def id_card(rng: random.Random, *, born: date, male: bool) -> str:
    """An 18-digit ID number with a Beijing area code, this birth date and the sex digit (odd = male)."""
    area = rng.choice(BEIJING_ID_AREAS)
    sequence = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    first17 = f"{area}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_card_check_char(first17)


def birth_date(rng: random.Random, *, as_of: date, min_age: int = 20, max_age: int = 65) -> date:
    """A birth date giving an age between ``min_age`` and ``max_age`` on ``as_of``."""
    return as_of - timedelta(days=rng.randint(min_age * 365 + 5, max_age * 365))


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number in an allocated segment."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def landline(rng: random.Random) -> str:
    """A Beijing landline number, ``010-`` and 8 digits starting with 5, 6 or 8."""
    return f"010-{rng.choice('568')}{rng.randrange(10_000_000):07d}"
