"""``tianping promotions quote`` / ``lint``: JSON and readable output, one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from tests.promotion.support import doc, item_offer, line, th
from tests.promotion.test_document import SPEC_EXAMPLE
from tianping.cli.main import app

runner = CliRunner()
CART = {
    "items": [
        line("A1", "199.00", 2),
        line("C1", "150.00", 2),
        line("B1", "60.00", shop="S2", category="食品"),
    ],
    "coupons_held": ["Q1"],
}


def _files(tmp_path: Path) -> tuple[Path, Path]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(SPEC_EXAMPLE, encoding="utf-8")
    cart = tmp_path / "cart.json"
    cart.write_text(json.dumps(CART, ensure_ascii=False), encoding="utf-8")
    return rules, cart


def test_quote_json(tmp_path: Path) -> None:
    rules, cart = _files(tmp_path)
    result = runner.invoke(app, ["promotions", "quote", str(rules), str(cart), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["payable"] == "457.40"
    assert [s["id"] for s in data["steps"]] == ["P2", "P3", "P4", "P1", "P1b", "Q1"]
    assert "应付 ¥457.40" in result.stdout  # ensure_ascii=False keeps the Chinese readable


def test_quote_readable(tmp_path: Path) -> None:
    rules, _ = _files(tmp_path)
    yml = tmp_path / "cart.yml"
    yml.write_text(yaml.safe_dump(CART, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["promotions", "quote", str(rules), str(yml)])
    assert result.exit_code == 0, result.output
    assert "应付 ¥457.40" in result.stdout
    assert "店铺满300减40（P1）" in result.stdout


def test_lint_json_and_readable(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps(
            doc(
                [
                    item_offer("I", "amount_off", {"skus": ["A"]}, discount="5"),
                    th("P", [("100", "10")], basis=None),
                ],
                claims=[{"id": "K", "cart": {"items": [line("A", "100")]}, "payable": "85.00"}],
            )
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["promotions", "lint", str(rules), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [f["code"] for f in data["findings"]] == ["ambiguous_basis"]
    assert data["claims"][0]["status"] == "depends_on_reading"
    readable = runner.invoke(app, ["promotions", "lint", str(rules)])
    assert readable.exit_code == 0
    assert "ambiguous_basis" in readable.stdout and "取决于规则理解" in readable.stdout


def test_an_invalid_document_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    rules, cart = _files(tmp_path)
    rules.write_text(SPEC_EXAMPLE.replace('discount: "80"', 'discount: "8.001"'), encoding="utf-8")
    result = runner.invoke(app, ["promotions", "quote", str(rules), str(cart)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == "错误：promotions[0].tiers[1].discount: “8.001”超过两位小数（金额精确到分）"
    )
    assert result.stdout == ""


def test_an_invalid_cart_names_its_field(tmp_path: Path) -> None:
    rules, cart = _files(tmp_path)
    cart.write_text('{"items": [{"sku": "A", "shop": "S", "price": 1.5, "qty": 1}]}', encoding="utf-8")
    result = runner.invoke(app, ["promotions", "quote", str(rules), str(cart)])
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：items[0].price: ") and len(result.stderr.strip().splitlines()) == 1


def test_unsupported_or_missing_files(tmp_path: Path) -> None:
    rules, _ = _files(tmp_path)
    other = tmp_path / "rules.txt"
    other.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["promotions", "lint", str(other)])
    assert (result.exit_code, result.stderr.strip()) == (2, "错误：rules.txt: 只支持 .json、.yaml、.yml 文件")
    result = runner.invoke(app, ["promotions", "quote", str(rules), str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "无法读取文件" in result.stderr
    # a JSON file is read as JSON only
    bad = tmp_path / "cart2.json"
    bad.write_text("items: []\n", encoding="utf-8")
    result = runner.invoke(app, ["promotions", "quote", str(rules), str(bad)])
    assert result.exit_code == 2 and "JSON 语法错误" in result.stderr


def test_the_real_command_exits_2_with_one_line(tmp_path: Path) -> None:
    rules, cart = _files(tmp_path)
    rules.write_text(SPEC_EXAMPLE.replace("layer: shop", "layer: mall", 1), encoding="utf-8")
    exe = Path(sys.executable).with_name("tianping")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "tianping.cli.main"]
    done = subprocess.run(
        [*command, "promotions", "quote", str(rules), str(cart)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：promotions[0].layer: 未声明的层 mall")
    assert "Traceback" not in done.stderr


def test_parse_prints_the_document_as_json_and_readable() -> None:
    result = runner.invoke(app, ["promotions", "parse", "店铺满300减40，满500减80；第二件半价", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    promotions = data["document"]["promotions"]
    assert [(p["id"], p["type"]) for p in promotions] == [("P1", "threshold_off"), ("P2", "nth_item_percent")]
    assert promotions[0]["tiers"] == [
        {"threshold": "300", "discount": "40"},
        {"threshold": "500", "discount": "80"},
    ]
    assert {p["path"] for p in data["open_points"]} >= {"promotions[0].basis", "promotions[1].scope"}
    readable = runner.invoke(app, ["promotions", "parse", "满300减40", "--id-prefix", "S"])
    assert readable.exit_code == 0, readable.output
    assert "id: S1" in readable.stdout
    assert "待确认 promotions[0].basis：文案未说明门槛按标价还是按优惠后金额计算。" in readable.stdout


def test_parse_with_an_invalid_id_prefix_is_one_line_and_exit_code_2() -> None:
    result = runner.invoke(app, ["promotions", "parse", "满300减40", "--id-prefix", "Q1"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：编号前缀无效（id_prefix: ")
