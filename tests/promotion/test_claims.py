"""Claims (宣传): true / false / favourable / depends_on_reading, with the articles they rest on."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import shared_path
from tests.promotion.support import ALL, doc, item_offer, line, th
from tianping.promotion import service
from tianping.promotion.claims import LAW

LAW_FILE = (
    "research",
    "data",
    "laws-lawrefbook",
    "部门规章",
    "市场监督管理总局",
    "明码标价和禁止价格欺诈规定(2022-04-14).md",
)


def _claim(ident: str, payable: str, *items: dict[str, Any], held: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": ident,
        "text": f"到手价{payable}元",
        "cart": {"items": list(items), "coupons_held": held or []},
        "payable": payable,
    }


def _claims(**document: Any) -> dict[str, dict[str, Any]]:
    report = service.lint(service.load_rules(doc(**document))).to_json()
    return {c["id"]: c for c in report["claims"]}


def test_the_four_statuses() -> None:
    # A 199.00 − 20% = 159.20; with the coupon 满150减10 (current) → 149.20
    offers = [item_offer("P2", "percent_off", {"skus": ["A"]}, rate="0.8")]
    coupons = [th("Q1", [("150", "10")], layer="platform")]
    claims = _claims(
        promotions=offers,
        coupons=coupons,
        claims=[
            _claim("K_true", "149.20", line("A", "199"), held=["Q1"]),
            _claim("K_false", "139.20", line("A", "199"), held=["Q1"]),
            _claim("K_favourable", "159.20", line("A", "199"), held=["Q1"]),
        ],
    )
    assert {k: (c["status"], c["computed"], c["claimed"]) for k, c in claims.items()} == {
        "K_true": ("true", "149.20", "149.20"),
        "K_false": ("false", "149.20", "139.20"),
        "K_favourable": ("favourable", "149.20", "159.20"),
    }
    assert "第十九条" in claims["K_false"]["message_zh"]
    assert "第二十一条第二项" in claims["K_favourable"]["message_zh"]
    assert "相符" in claims["K_true"]["message_zh"]


def test_a_claim_whose_verdict_depends_on_the_reading() -> None:
    # 100.00 − 直降5 → 95.00; 满100减10 with basis omitted: list → 85.00, current → 95.00
    claims = _claims(
        promotions=[item_offer("I", "amount_off", ALL, discount="5"), th("P", [("100", "10")], basis=None)],
        claims=[_claim("K", "85.00", line("A", "100")), _claim("K2", "99.00", line("A", "100"))],
    )
    k = claims["K"]
    assert (k["status"], k["computed"], k["range"]) == ("depends_on_reading", None, ["85.00", "95.00"])
    assert k["readings"] == [
        {"assignment": {"P.basis": "list"}, "payable": "85.00", "status": "true"},
        {"assignment": {"P.basis": "current"}, "payable": "95.00", "status": "false"},
    ]
    assert "第二十条第一款第三项" in k["message_zh"]
    # both readings are below the claim: favourable either way, even though the payable is a range
    assert (claims["K2"]["status"], claims["K2"]["computed"]) == ("favourable", None)


def test_the_spec_example_claim_is_true() -> None:
    from tests.promotion.test_document import SPEC_EXAMPLE

    (claim,) = service.lint(service.load_rules(SPEC_EXAMPLE)).to_json()["claims"]
    assert (claim["id"], claim["status"], claim["computed"]) == ("K1", "true", "159.20")


@pytest.mark.shared_data
def test_the_cited_articles_say_what_the_messages_rely_on() -> None:
    text = shared_path(*LAW_FILE).read_text(encoding="utf-8")
    assert "明码标价和禁止价格欺诈规定" in LAW

    def article(number: str) -> str:
        match = re.search(rf"^{number} .*?(?=^第[一二三四五六七八九十]+条 )", text, re.M | re.S)
        assert match is not None, number
        return match.group(0)

    assert "（二）以低价诱骗消费者或者其他经营者，以高价进行结算" in article("第十九条")
    assert "（三）其他虚假的或者使人误解的价格标示和价格促销行为" in article("第二十条")
    assert "（二）实际成交价格能够使消费者或者与其进行交易的其他经营者获得更大价格优惠" in article(
        "第二十一条"
    )
    assert "不属于第十九条规定的价格欺诈行为" in article("第二十一条")
