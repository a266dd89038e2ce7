"""Differential check (extension): observed checkouts against the published rules; ``promotions check``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.promotion.support import doc, item_offer, line, th
from tianping.cli.main import app
from tianping.promotion import PromotionFormatError, service

runner = CliRunner()
RULES = doc([th("P", [("300", "40")], title="店铺满300减40")], [th("Q", [("199", "20")], layer="platform")])
AMBIGUOUS = doc(
    [item_offer("I", "amount_off", {"skus": ["A"]}, discount="50"), th("P", [("300", "40")], basis=None)]
)


def observed(
    ident: str, items: list[dict[str, Any]], charged: str, held: list[str] | None = None
) -> dict[str, Any]:
    return {"id": ident, "cart": {"items": items, "coupons_held": held or []}, "charged": charged}


CHECKOUTS = {
    "checkouts": [
        observed("C1", [line("A", "350")], "290", ["Q"]),  # 350 − 40 = 310 ≥ 199 → − 20 = 290
        observed("C2", [line("A", "350")], "310", ["Q"]),  # the coupon was not honoured: 20 more
        observed("C3", [line("A", "100")], "95"),  # no offer reached: 100, charged 5 less
    ]
}


def test_each_checkout_gets_a_status_and_mismatches_are_reported() -> None:
    rules = service.load_rules(RULES)
    report = service.check_checkouts(rules, CHECKOUTS)
    assert [r.status for r in report.results] == ["match", "overcharged", "undercharged"]
    data = report.to_json()
    assert data["checked"] == 3
    assert data["summary"] == {
        "match": 1, "overcharged": 1, "undercharged": 1, "depends_on_reading": 0, "too_complex": 0,
    }  # fmt: skip
    over, under = data["mismatches"]
    assert (over["id"], over["status_zh"], over["charged"], over["computed"], over["difference"]) == (
        "C2", "多收", "310.00", "290.00", "20.00",
    )  # fmt: skip
    assert (
        "第二十条第一款第（二）项“公布的促销活动范围、规则与实际促销活动范围、规则不一致”"
        in over["message_zh"]
    )
    assert "第十九条第（二）项“以低价诱骗消费者或者其他经营者，以高价进行结算”" in over["message_zh"]
    assert "按规则应使用券 Q 折抵" in over["message_zh"] and "第十九条第（七）项" in over["message_zh"]
    assert over["explanation_zh"].endswith("应付 ¥290.00")
    assert (under["status"], under["difference"]) == ("undercharged", "5.00")
    assert "第二十一条第（二）项不属于第十九条规定的价格欺诈" in under["message_zh"]
    assert "第十九条第（二）项" not in under["message_zh"]


@pytest.mark.parametrize(
    ("charged", "status", "difference"),
    [("250", "depends_on_reading", None), ("230", "depends_on_reading", None),
     ("280", "overcharged", "10.00"), ("200", "undercharged", "30.00")],
)  # fmt: skip
def test_ambiguous_rules_give_a_range(charged: str, status: str, difference: str | None) -> None:
    # 标价 320, 直降 50 → 270; basis list: 320 ≥ 300 → 230; basis current: 270 < 300 → 270
    rules = service.load_rules(AMBIGUOUS)
    report = service.check_checkouts(rules, [observed("C", [line("A", "320")], charged)])
    (result,) = report.to_json()["mismatches"]
    assert (result["status"], result["difference"], result["range"]) == (
        status,
        difference,
        ["230.00", "270.00"],
    )
    assert [r["payable"] for r in result["readings"]] == ["230.00", "270.00"]
    if status == "depends_on_reading":
        assert "P.basis" in result["message_zh"] and "第二十条第一款第（三）项" in result["message_zh"]


def test_loaded_checkouts_and_yaml_text_give_the_same_report() -> None:
    rules = service.load_rules(RULES)
    loaded = service.load_checkouts(CHECKOUTS, rules)
    text = yaml.safe_dump(CHECKOUTS, allow_unicode=True)
    assert service.check_checkouts(rules, loaded).to_json() == service.check_checkouts(rules, text).to_json()
    assert service.check_checkouts(rules, CHECKOUTS["checkouts"]).to_json()["checked"] == 3


@pytest.mark.parametrize(
    ("checkouts", "path", "reason"),
    [
        ({"checkouts": [observed("C", [line("A", "1")], "1.001")]}, "checkouts[0].charged", "两位小数"),
        ({"checkouts": [observed("C", [line("A", "1")], "1", ["Q9"])]}, "checkouts[0].cart.coupons_held[0]",
         "没有编号为 Q9 的券"),
        ({"checkouts": [observed("C", [line("A", "1")], "1")] * 2}, "checkouts[1].id", "重复"),
        ({"checkouts": [{"id": "C", "cart": {"items": [line("A", "1")]}}]}, "checkouts[0].charged", "必填"),
        ({"observations": []}, "observations", "没有这个字段"),
    ],
)  # fmt: skip
def test_invalid_checkouts_name_the_field(checkouts: dict[str, Any], path: str, reason: str) -> None:
    with pytest.raises(PromotionFormatError) as caught:
        service.check_checkouts(service.load_rules(RULES), checkouts)
    assert caught.value.path == path and reason in caught.value.reason


def test_cli_check_json_readable_and_invalid(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES, ensure_ascii=False), encoding="utf-8")
    observations = tmp_path / "checkouts.yaml"
    observations.write_text(yaml.safe_dump(CHECKOUTS, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["promotions", "check", str(rules), str(observations), "--json"])
    assert result.exit_code == 0, result.output
    assert [m["id"] for m in json.loads(result.stdout)["mismatches"]] == ["C2", "C3"]
    readable = runner.invoke(app, ["promotions", "check", str(rules), str(observations)])
    assert readable.exit_code == 0, readable.output
    assert "核对结算记录 3 笔：相符 1 笔，多收 1 笔，少收 1 笔" in readable.stdout
    assert "C2：实收 ¥310.00，按公布的规则应付 ¥290.00，多收 ¥20.00。" in readable.stdout
    observations.write_text("checkouts:\n  - {id: C, cart: {items: []}, charged: '1'}\n", encoding="utf-8")
    bad = runner.invoke(app, ["promotions", "check", str(rules), str(observations)])
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.strip() == "错误：checkouts[0].cart.items: 列表不能为空"
