"""Validators: 统一社会信用代码, 居民身份证号码, mobile numbers, division codes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tianping.core.errors import ValidationFailed
from tianping.core.validation import (
    ID_CARD_PROVINCE_CODES,
    USCC_CHARSET,
    id_card_birth_date,
    id_card_check_char,
    is_valid_division_code,
    is_valid_id_card,
    is_valid_mobile,
    is_valid_uscc,
    normalize_id_card,
    normalize_mobile,
    normalize_uscc,
    uscc_check_char,
)

# ---------------------------------------------------------------------------------------------------
# 统一社会信用代码
# ---------------------------------------------------------------------------------------------------

# Published credit codes of large companies (their check characters were verified independently).
REAL_USCC = ["9144030071526726XG", "914403001922038216", "91110000802100433B", "91110108551385082Q"]


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_credit_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]


def test_uscc_normalisation() -> None:
    assert normalize_uscc("  9144030071526726xg\n") == "9144030071526726XG"
    assert normalize_uscc("９１４４０３００７１５２６７２６ＸＧ") == "9144030071526726XG"
    assert is_valid_uscc(" 9144030071526726xg ")
    assert is_valid_uscc("９１４４０３００７１５２６７２６ＸＧ")


@pytest.mark.parametrize(
    "code",
    [
        "",
        "9144030071526726X",  # 17 characters
        "9144030071526726XGG",  # 19 characters
        "9144030071526726XA",  # wrong check character
        "9144030071526726IG",  # I is not in the character set
        "91440300715267260O",  # O is not in the character set
        "B144030071526726XG",  # unknown registering authority
        "9444030071526726XG",  # 工商 has categories 1-3 only
        "Y2440300715267260G",  # 其他 has category 1 only
        "91A4030071526726XG",  # region code must be digits
        "9144 030071526726XG",
    ],
)
def test_invalid_credit_codes(code: str) -> None:
    assert not is_valid_uscc(code)


def test_uscc_check_char_of_constructed_codes() -> None:
    # check = 31 - (sum mod 31), 31 -> 0: 17 zeros give sum 0 -> check 0
    assert uscc_check_char("0" * 17) == "0"
    # a single 1 at position i contributes 3^i mod 31; at position 0: sum 1 -> 30 -> 'Y'
    assert uscc_check_char("1" + "0" * 16) == "Y"
    with pytest.raises(ValueError):
        uscc_check_char("0" * 16)
    with pytest.raises(ValueError):
        uscc_check_char("I" + "0" * 16)


_CATEGORIES = {"1": "1239", "5": "1239", "9": "123", "Y": "1"}
_AUTHORITIES = "123456789ANY"


@st.composite
def uscc_first17(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(_AUTHORITIES))
    category = draw(st.sampled_from(_CATEGORIES.get(authority, "123456789")))
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    body = draw(st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9))
    return authority + category + region + body


@settings(max_examples=300)
@given(first17=uscc_first17(), data=st.data())
def test_property_uscc_single_substitution_is_detected(first17: str, data: st.DataObject) -> None:
    code = first17 + uscc_check_char(first17)
    assert is_valid_uscc(code)
    assert is_valid_uscc(code.lower())
    # 31 is prime and every weight 3^i is non-zero mod 31: any substitution changes the check sum.
    position = data.draw(st.integers(min_value=0, max_value=17))
    replacement = data.draw(st.sampled_from([c for c in USCC_CHARSET if c != code[position]]))
    assert not is_valid_uscc(code[:position] + replacement + code[position + 1 :])


# ---------------------------------------------------------------------------------------------------
# 居民身份证号码
# ---------------------------------------------------------------------------------------------------


def test_textbook_id_number() -> None:
    # GB 11643-1999 example: 北京市朝阳区, born 1949-12-31, female (sequence 002), check X
    assert id_card_check_char("11010519491231002") == "X"
    assert is_valid_id_card("11010519491231002X")
    assert is_valid_id_card("11010519491231002x")  # lower-case x is accepted
    assert normalize_id_card(" 11010519491231002x ") == "11010519491231002X"
    assert id_card_birth_date("11010519491231002X") == date(1949, 12, 31)


def test_id_number_born_before_1900_is_rejected() -> None:
    # 440524188001010014: the check digit is right (computed: 4), but 1880 is before 1900.
    assert id_card_check_char("44052418800101001") == "4"
    assert not is_valid_id_card("440524188001010014")


def test_id_number_rules() -> None:
    def make(first17: str) -> str:
        return first17 + id_card_check_char(first17)

    assert is_valid_id_card(make("11010820000229123"))  # 2000-02-29 exists
    assert not is_valid_id_card(make("11010819000229123"))  # 1900-02-29 does not
    assert not is_valid_id_card(make("11010820001301123"))  # month 13
    assert not is_valid_id_card(make("99010819900101123"))  # province 99
    assert not is_valid_id_card(make("10010819900101123"))  # province 10
    assert is_valid_id_card(make("81000019900101123"))  # Hong Kong residence permit
    future = make("11010820300101123")
    assert not is_valid_id_card(future)
    assert is_valid_id_card(future, today=date(2031, 1, 1))
    assert not is_valid_id_card("11010519491231002")  # 17 characters
    assert not is_valid_id_card("1101051949123100XX")
    assert not is_valid_id_card("110105194912310021")  # wrong check digit
    assert not is_valid_id_card("110105491231002")  # legacy 15-digit numbers are not accepted
    assert id_card_birth_date("110105491231002") == date(1949, 12, 31)
    with pytest.raises(ValueError):
        id_card_check_char("1101051949123100X")


@st.composite
def id_first17(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(ID_CARD_PROVINCE_CODES)))
    rest_of_region = draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    sequence = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    return province + rest_of_region + born.strftime("%Y%m%d") + sequence


@settings(max_examples=300)
@given(first17=id_first17(), data=st.data())
def test_property_id_single_substitution_is_detected(first17: str, data: st.DataObject) -> None:
    number = first17 + id_card_check_char(first17)
    assert is_valid_id_card(number)
    # 11 is prime and every weight 2^k mod 11 is non-zero: any substitution changes the check sum,
    # and a changed check character no longer matches.
    position = data.draw(st.integers(min_value=0, max_value=17))
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    assert not is_valid_id_card(number[:position] + replacement + number[position + 1 :])


# ---------------------------------------------------------------------------------------------------
# 手机号码
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "13812345678",
        "19912345678",
        "+86 138 1234 5678",
        "86-138-1234-5678",
        "0086 13812345678",
        "１３８１２３４５６７８",
    ],
)
def test_valid_mobile(number: str) -> None:
    assert is_valid_mobile(number)
    assert normalize_mobile(number) in ("13812345678", "19912345678")


@pytest.mark.parametrize(
    "number",
    [
        "",
        "12812345678",
        "1381234567",
        "138123456789",
        "+1 13812345678",
        "010-12345678",
        "1381234567a",
        "+8713812345678",
    ],
)
def test_invalid_mobile(number: str) -> None:
    assert not is_valid_mobile(number)
    with pytest.raises(ValidationFailed, match="手机号码格式不正确"):
        normalize_mobile(number)


@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"))
def test_property_mobile(number: str) -> None:
    assert is_valid_mobile(number)
    assert normalize_mobile(f"+86 {number[:3]}-{number[3:7]}-{number[7:]}") == number


# ---------------------------------------------------------------------------------------------------
# 行政区划代码
# ---------------------------------------------------------------------------------------------------


def test_division_codes() -> None:
    assert is_valid_division_code("110108")
    assert is_valid_division_code("110101001")
    assert is_valid_division_code("440305")
    assert not is_valid_division_code("110199")
    assert not is_valid_division_code("11010")
    assert not is_valid_division_code("abcdef")
