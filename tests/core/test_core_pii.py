"""Masking of personal information, in fields and in free text (incl. a real public corpus)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tianping.core.pii import (
    PiiMatch,
    find_pii,
    luhn_ok,
    mask_address,
    mask_bank_card,
    mask_email,
    mask_id_card,
    mask_name,
    mask_phone,
    scrub_text,
)
from tianping.core.validation import (
    ID_CARD_PROVINCE_CODES,
    id_card_check_char,
    is_valid_id_card,
    is_valid_uscc,
)

# ---------------------------------------------------------------------------------------------------
# Field maskers
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138-1234-5678", "138-****-5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("008613812345678", "0086138****5678"),
        ("010-12345678", "010-****5678"),
        ("(010)62345678", "(010)****5678"),
        ("0731-88889999", "0731-****9999"),
        ("0738-6825220", "0738-***5220"),
        ("073188889999", "0731****9999"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_mask_id_card() -> None:
    assert mask_id_card("11010519491231002X") == "110105********002X"
    assert mask_id_card("110105491231002") == "110105*****1002"
    assert mask_id_card("12345") == "*****"


def test_mask_name() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("张") == "*"
    assert mask_name("") == ""
    assert mask_name(" 李四 ") == "李*"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name("欧阳修") == "欧阳*"
    assert mask_name("欧阳") == "欧*"
    assert mask_name("买买提·艾力") == "买**·**"


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("北京市海淀区中关村街道中关村大街27号1单元302", "北京市海淀区中关村街道****"),
        ("北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("北京市大兴区黄村镇兴华大街1号", "北京市大兴区黄村镇****"),
        ("北京市朝阳区南磨房地区百子湾路16号", "北京市朝阳区南磨房地区****"),
        ("广东省深圳市南山区粤海街道科技园路1号", "广东省深圳市南山区粤海街道****"),
        ("上海市浦东新区张江镇祖冲之路899号", "上海市浦东新区张江镇****"),
        ("新疆维吾尔自治区乌鲁木齐市天山区解放南路", "新疆维吾尔自治区乌鲁木齐市天山区****"),
        ("延边朝鲜族自治州延吉市河南街道", "延边朝鲜族自治州延吉市河南街道"),
        ("海淀区学院路30号", "海淀区****"),
        ("望京西园小区3号楼2单元", "****"),
        ("", ""),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_mask_bank_card_and_email() -> None:
    assert mask_bank_card("6222 0212 3456 7890") == "6222 **** **** 7890"
    assert mask_bank_card("6222021234567890123") == "6222***********0123"
    assert mask_bank_card("12345678") == "********"
    assert mask_email("zhangsan@example.com") == "z*******@example.com"
    assert mask_email("a@example.com") == "*@example.com"
    assert mask_email("nonsense") == "n*******"


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert luhn_ok("79927398713")
    assert not luhn_ok("4111111111111112")


# ---------------------------------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------------------------------


def test_scrub_text_example() -> None:
    text = (
        "张先生电话13812345678，或+86 138-1234-5678，单位座机0731-88889999、（010）62345678；"
        "身份证11010519491231002X，卡号4111 1111 1111 1111，邮箱zhang.san@example.com。"
        "2019/2/28 在12栋3单元付款12345.67元，订单号20190612123456789012，投诉热线0731-12315。"
    )
    expected = (
        "张先生电话138****5678，或+86 138-****-5678，单位座机0731-****9999、（010）****5678；"
        "身份证110105********002X，卡号4111 **** **** 1111，邮箱z********@example.com。"
        "2019/2/28 在12栋3单元付款12345.67元，订单号20190612123456789012，投诉热线0731-12315。"
    )
    assert scrub_text(text) == expected
    kinds = [m.kind for m in find_pii(text)]
    assert kinds == ["mobile", "mobile", "landline", "landline", "id_card", "bank_card", "email"]


@pytest.mark.parametrize(
    "text",
    [
        "2019/2/28 12:09:38",
        "活期存款4952609.59元，资产0000-00000000.04元",
        "12栋3单元502室",
        "订单号 201906121234567890123",  # 21 digits: not a phone, card or ID
        "13812345678.50元",  # an amount, not a phone number
        "《住宅设计规范》GB50096-2011第6.1条",
        "统一社会信用代码914403001922038216",  # Luhn-valid digits, but a company's credit code
        "电话0000-00000000（已脱敏）",
        "请拨打12345或0731-12345",
        "买买提·艾力@强烈请求",
    ],
)
def test_scrub_leaves_non_pii_alone(text: str) -> None:
    assert scrub_text(text) == text


def test_full_width_and_overlaps() -> None:
    assert scrub_text("电话：１３８１２３４５６７８。") == "电话：１３８****５６７８。"
    assert scrub_text("邮箱：ab＠qq.com") == "邮箱：a*＠qq.com"
    # a QQ-number e-mail address is one e-mail, not a mobile number plus a domain
    assert find_pii("13812345678@163.com") == [PiiMatch("email", 0, 19)]
    assert scrub_text("13812345678@163.com") == "1**********@163.com"
    # 15-digit legacy ID number with a plausible birth date
    assert scrub_text("身份证110105491231002号") == "身份证110105*****1002号"


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------

CHINESE = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from("，。：；、！？（）《》“”　"),
    ),
    max_size=30,
)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    number = "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    style = draw(st.sampled_from(["plain", "dash", "space", "+86", "86"]))
    if style == "dash":
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if style == "space":
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if style == "+86":
        return "+86 " + number
    return "86" + number if style == "86" else number


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(ID_CARD_PROVINCE_CODES)))
    region = draw(st.text("0123456789", min_size=4, max_size=4))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31)))
    first17 = (
        province + region + born.strftime("%Y%m%d") + draw(st.text("0123456789", min_size=3, max_size=3))
    )
    return first17 + id_card_check_char(first17)


def _luhn_complete(partial: str) -> str:
    for digit in "0123456789":
        if luhn_ok(partial + digit):
            return partial + digit
    raise AssertionError("unreachable")


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(min_value=16, max_value=19))
    first = draw(st.sampled_from("34569"))
    number = _luhn_complete(first + draw(st.text("0123456789", min_size=length - 2, max_size=length - 2)))
    # documented exception: an 18-digit company credit code (91/92/93...) is not a card
    if len(number) == 18 and number[:2] in ("91", "92", "93") and is_valid_uscc(number):
        number = "6" + number[1:-1]
        number = _luhn_complete(number)
    if draw(st.booleans()):
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


@settings(max_examples=200)
@given(mobiles())
def test_property_mask_phone_keeps_length_and_ends(phone: str) -> None:
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    digits = re.sub(r"\D", "", phone)[-11:]
    kept = re.sub(r"\D", "", masked.replace("*", "#"))
    assert kept.endswith(digits[-4:])
    assert digits[:3] in re.sub(r"[^\d*]", "", masked)
    assert masked.count("*") == 4


@settings(max_examples=200)
@given(id_numbers())
def test_property_mask_id_card(number: str) -> None:
    masked = mask_id_card(number)
    assert len(masked) == len(number)
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:]
    assert masked[6:-4] == "*" * 8


@settings(max_examples=300)
@given(prefix=CHINESE, pii=st.one_of(mobiles(), id_numbers(), card_numbers()), suffix=CHINESE)
def test_property_embedded_pii_is_masked(prefix: str, pii: str, suffix: str) -> None:
    scrubbed = scrub_text(prefix + pii + suffix)
    assert len(scrubbed) == len(prefix + pii + suffix)
    assert scrubbed.startswith(prefix) and scrubbed.endswith(suffix)
    middle = scrubbed[len(prefix) : len(prefix) + len(pii)]
    assert middle != pii and "*" in middle
    assert all(m == o or m == "*" for m, o in zip(middle, pii, strict=True))


def test_embedded_email_is_masked() -> None:
    assert scrub_text("联系邮箱zs2019@example.com.cn谢谢") == "联系邮箱z*****@example.com.cn谢谢"


FRAGMENTS = st.one_of(
    CHINESE,
    st.text("0123456789", min_size=1, max_size=20),
    st.sampled_from(
        [" ", "-", "—", "@", ".", "qq.com", "a", "X", "x", "（", "）", "(", ")", "+86", "0731", "010"]
    ),
    mobiles(),
    id_numbers(),
    card_numbers(),
    st.emails(),
)


@settings(max_examples=400)
@given(st.lists(FRAGMENTS, max_size=12).map("".join))
def test_property_scrub_is_idempotent_and_only_stars(text: str) -> None:
    once = scrub_text(text)
    assert scrub_text(once) == once
    assert len(once) == len(text)
    assert all(a == b or a == "*" for a, b in zip(once, text, strict=True))


@given(st.text(alphabet=st.characters(exclude_categories=["Nd"], exclude_characters="@＠")))
def test_property_text_without_digits_or_at_is_unchanged(text: str) -> None:
    assert scrub_text(text) == text
    assert find_pii(text) == []


# ---------------------------------------------------------------------------------------------------
# Real corpus: public 政务留言 (TipDM 2020 C), see ../shared/research/data/gov-messages-tipdm2020c
# ---------------------------------------------------------------------------------------------------

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "research" / "data" / "gov-messages-tipdm2020c"
CORPUS_FILES = ("attachment4_messages_with_replies.csv", "attachment2_labelled_messages_sample495.csv")
COLUMNS = ("留言详情", "答复意见", "留言主题")

# independent detectors: deliberately simpler and broader than tianping.core.pii
MOBILE = re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
ID18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
LANDLINE = re.compile(r"(?<!\d)0[1-9]\d{1,2}\s*[-－—]+\s*[1-9]\d{6,7}(?!\d)")


def _corpus_texts() -> list[str]:
    missing = [name for name in CORPUS_FILES if not (CORPUS / name).is_file()]
    if missing:
        pytest.skip(f"../shared research data not present: {CORPUS} lacks {', '.join(missing)}")
    texts: list[str] = []
    for name in CORPUS_FILES:
        with (CORPUS / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                texts.extend(row[c] for c in COLUMNS if row.get(c))
    return texts


@pytest.mark.shared_data
def test_corpus_scrubbing(record_property: Callable[[str, object], None]) -> None:
    texts = _corpus_texts()
    assert len(texts) > 5000

    # What the corpus contains (checked when this test was written): the organisers anonymised it,
    # so there are NO mobile numbers, NO ID numbers and NO e-mail addresses with a real local part
    # (phones appear as "0000-00000000", mail as "********@qq.com"). What remains are the landline
    # numbers of government offices (e.g. 0738-6825220, 0746—8222289, 0735---3323506); the positive
    # assertion is therefore on landlines, and the others are checked to be absent after scrubbing.
    raw = "\n".join(texts)
    raw_counts = {
        "mobile": len(MOBILE.findall(raw)),
        "id_card": sum(1 for m in ID18.findall(raw) if is_valid_id_card(m)),
        "email": len(EMAIL.findall(raw)),
        "landline": len(LANDLINE.findall(raw)),
    }
    assert raw_counts["landline"] > 50

    masked: Counter[str] = Counter()
    changed_texts = 0
    for text in texts:
        matches = find_pii(text)
        masked.update(m.kind for m in matches)
        scrubbed = scrub_text(text)
        # outside the masked spans nothing changes; inside, characters only turn into '*'
        assert len(scrubbed) == len(text)
        inside = {i for m in matches for i in range(m.start, m.end)}
        for i, (after, before) in enumerate(zip(scrubbed, text, strict=True)):
            if after != before:
                assert after == "*" and i in inside, (
                    text[max(0, i - 20) : i + 20],
                    scrubbed[i - 20 : i + 20],
                )
        changed_texts += scrubbed != text
        assert not MOBILE.search(scrubbed), scrubbed
        assert not [m for m in ID18.findall(scrubbed) if is_valid_id_card(m)], scrubbed
        assert not EMAIL.search(scrubbed), scrubbed
        assert not LANDLINE.search(scrubbed), LANDLINE.search(scrubbed)

    record_property("raw_counts", raw_counts)
    record_property("masked", dict(masked))
    print(f"corpus: {len(texts)} texts, {changed_texts} changed; found {raw_counts}; masked {dict(masked)}")
    assert masked["landline"] >= raw_counts["landline"]
    assert masked["mobile"] >= raw_counts["mobile"]
    assert masked["id_card"] >= raw_counts["id_card"]
    assert masked["email"] >= raw_counts["email"]
