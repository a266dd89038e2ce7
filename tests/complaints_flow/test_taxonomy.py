"""The category taxonomy: the shipped file, validation with path-named errors, the officer's override."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tianping.cli.main import app as cli_app
from tianping.complaints.taxonomy import (
    BUREAU_DEPARTMENT,
    dump_taxonomy,
    install_taxonomy,
    load_taxonomy,
    parse_taxonomy,
    parse_taxonomy_text,
    reload_taxonomy,
    taxonomy_path,
)
from tianping.core.errors import NotFound, ValidationFailed
from tianping.demo.organizations import MEMBER_UNITS

REQUIRED = {
    "prepaid": ["美容美发", "教育培训", "体育健身", "餐饮", "其他预付式消费"],
    "online": [
        "优惠券与促销规则",
        "价格欺诈与虚假折价",
        "退换货与七日无理由",
        "发货物流",
        "商品质量",
        "虚假宣传",
        "刷单与虚假评价",
        "直播带货",
        "个人信息",
    ],
}


@pytest.fixture
def clean_home() -> Iterator[Path]:
    """No installed taxonomy before or after the test (the home directory is shared by the run)."""
    path = taxonomy_path()
    path.unlink(missing_ok=True)
    reload_taxonomy()
    yield path
    path.unlink(missing_ok=True)
    reload_taxonomy()


def _minimal(**extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "categories": [
            {"code": "prepaid", "name": "预付式消费", "department": "商务局", "industry_sections": ["F"],
             "hotline_class": "complex", "keywords": ["预付卡"]},
            {"code": "prepaid.beauty", "name": "美容美发", "parent": "prepaid", "keywords": ["美发"]},
            {"code": "other", "name": "其他", "department": BUREAU_DEPARTMENT, "hotline_class": "ordinary"},
        ],
        **extra,
    }  # fmt: skip


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for e in exc.value.errors:
        fields[e.field] = fields.get(e.field, "") + e.message + "；"
    return fields


def test_shipped_taxonomy_has_the_required_categories(clean_home: Path) -> None:
    taxonomy = load_taxonomy()
    for parent, names in REQUIRED.items():
        assert [c.name for c in taxonomy.children(parent)] == names
    for code in ("food", "platform_fee", "other"):
        assert taxonomy.get(code).parent is None
        assert taxonomy.get(code) in taxonomy.leaves()
    assert taxonomy.label("prepaid.beauty") == "预付式消费/美容美发"
    assert taxonomy.label("online.coupon") == "网络购物/优惠券与促销规则"
    assert taxonomy.label(None) == "未分类"
    assert taxonomy.get("prepaid") not in taxonomy.leaves()


def test_shipped_departments_are_member_units_or_the_bureau(clean_home: Path) -> None:
    units = {name for name, _ in MEMBER_UNITS}
    for category in load_taxonomy().all():
        assert category.department in units | {BUREAU_DEPARTMENT}, category.code
        assert 10 <= len(category.keywords) <= 30, category.code
        assert category.hotline_class in ("ordinary", "complex", "safety")
    assert load_taxonomy().get("prepaid.education").department == "教育委员会"
    assert load_taxonomy().get("prepaid.fitness").department == "体育局"
    assert load_taxonomy().get("food").is_bureau_matter


def test_children_inherit_department_sections_and_hotline_class() -> None:
    taxonomy = parse_taxonomy(_minimal())
    beauty = taxonomy.get("prepaid.beauty")
    assert (beauty.department, beauty.industry_sections, beauty.hotline_class) == (
        "商务局",
        ("F",),
        "complex",
    )
    assert beauty.path == "预付式消费/美容美发"
    assert [c.code for c in taxonomy.leaves()] == ["prepaid.beauty", "other"]


def test_unknown_code_is_not_found() -> None:
    with pytest.raises(NotFound, match="分类代码 nope 不存在"):
        parse_taxonomy(_minimal()).get("nope")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda d: d["categories"].append(dict(d["categories"][2])), "categories[3].code", "重复"),
        (
            lambda d: d["categories"][1].update(parent="missing"),
            "categories[1].parent",
            "父分类 missing 不存在",
        ),
        (lambda d: d["categories"][0].update(colour="red"), "categories[0].colour", "未知字段 colour"),
        (lambda d: d["categories"][0].update(department=" "), "categories[0].department", "不能为空"),
        (lambda d: d["categories"][2].pop("department"), "categories[2].department", "缺少 department"),
        (lambda d: d["categories"][0].update(hotline_class="vip"), "categories[0].hotline_class", "之一"),
        (
            lambda d: d["categories"][0].update(industry_sections=["Z"]),
            "categories[0].industry_sections",
            "GB/T 4754",
        ),
        (lambda d: d["categories"][0].update(code="Prepaid!"), "categories[0].code", "小写字母"),
        (
            lambda d: d["categories"][1].update(keywords=["美发", "美发"]),
            "categories[1].keywords",
            "关键词重复",
        ),
        (lambda d: d["categories"][1].update(name=""), "categories[1].name", "name 不能为空"),
        (lambda d: d.update(extra=1), "extra", "未知字段"),
        (lambda d: d.update(categories=[]), "categories", "非空列表"),
    ],
)
def test_validation_errors_name_the_field(change: Any, field: str, message: str) -> None:
    data = _minimal()
    change(data)
    with pytest.raises(ValidationFailed) as exc:
        parse_taxonomy(data)
    assert field in _fields(exc), exc.value.errors
    assert message in _fields(exc)[field]
    assert exc.value.message.startswith("分类文件无效：")


def test_cycles_are_refused() -> None:
    data = _minimal()
    data["categories"][0]["parent"] = "prepaid.beauty"
    with pytest.raises(ValidationFailed) as exc:
        parse_taxonomy(data)
    assert any("循环" in e.message for e in exc.value.errors)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"categories: [", "不是合法的 YAML"),
        (b"version: 1\nversion: 2\ncategories: []\n", "重复"),
        (b"\xff\xfe", "UTF-8"),
        (b"- 1\n- 2\n", "顶层必须是对象"),
    ],
)
def test_bad_files_are_clear_errors(raw: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        parse_taxonomy_text(raw)


def test_dump_round_trips(clean_home: Path) -> None:
    taxonomy = load_taxonomy()
    again = parse_taxonomy_text(dump_taxonomy(taxonomy))
    assert again.all() == taxonomy.all()


def test_installed_file_replaces_the_shipped_one(clean_home: Path) -> None:
    target, installed = install_taxonomy(yaml.safe_dump(_minimal(), allow_unicode=True).encode())
    assert target == clean_home and target.is_file()
    assert [c.code for c in load_taxonomy().all()] == ["prepaid", "prepaid.beauty", "other"]
    assert installed.get("other").is_bureau_matter
    # A broken installed file is an error naming the file, never a silent fallback.
    clean_home.write_text("categories: 3\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="已安装的分类文件无效") as exc:
        load_taxonomy()
    assert str(clean_home) in exc.value.message
    clean_home.unlink()
    assert len(load_taxonomy().all()) > 3


def test_cli_show_export_import(clean_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(cli_app, ["complaints", "taxonomy", "show"])
    assert shown.exit_code == 0, shown.output
    assert "食品安全" in shown.output and "系统内置" in shown.output
    out = tmp_path / "taxonomy.yaml"
    exported = runner.invoke(cli_app, ["complaints", "taxonomy", "export", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert parse_taxonomy_text(out.read_bytes()).get("food").name == "食品安全"

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        out.read_text(encoding="utf-8").replace("parent: online", "parent: onlin"), encoding="utf-8"
    )
    refused = runner.invoke(cli_app, ["complaints", "taxonomy", "import", str(bad)])
    assert refused.exit_code == 2
    assert "父分类 onlin 不存在" in refused.output and "Traceback" not in refused.output
    assert not clean_home.exists()

    checked = runner.invoke(cli_app, ["complaints", "taxonomy", "import", str(out), "--check"])
    assert checked.exit_code == 0 and "文件有效" in checked.output
    assert not clean_home.exists()
    installed = runner.invoke(cli_app, ["complaints", "taxonomy", "import", str(out)])
    assert installed.exit_code == 0, installed.output
    assert clean_home.is_file()
    missing = runner.invoke(cli_app, ["complaints", "taxonomy", "import", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2
