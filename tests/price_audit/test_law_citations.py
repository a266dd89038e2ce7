"""Every article a rule cites exists in the law text, with the cited paragraph and item, and says what the
rule relies on; every parameter a rule names is one of AuditParams'."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.conftest import shared_path
from tianping.price_audit import RULES, AuditParams, Rule

LAWS = ("research", "data", "laws-lawrefbook", "部门规章", "市场监督管理总局")
FILES = {
    "明码标价和禁止价格欺诈规定": "明码标价和禁止价格欺诈规定(2022-04-14).md",
    "规范促销行为暂行规定": "规范促销行为暂行规定(2020-10-29).md",
}
# What each rule relies on, in the words of the cited provision.
KEY_WORDS = {
    "R1": ["前七日内的最低成交价格", "本次价格比较前最后一次交易价格", "本次促销活动前七日内最低成交价格"],
    "R2": ["无依据或者无从比较的价格"],
    "R3": ["临时显著提高标示价格并作为折价、减价计算基准"],
    "R4": ["限时减价、折价等价格促销活动的，应当显著标明期限", "误导性", "不利的价格条件"],
    "R5": ["虚假折价、减价"],
    "R6": ["在首页或者其他显著位置标示的商品或者服务价格低于在详情页面标示的价格"],
    "R7": ["以低价诱骗消费者或者其他经营者，以高价进行结算"],
}
CITATION = re.compile(
    r"《(?P<law>[^》]+)》第(?P<article>[一二三四五六七八九十]+)条"
    r"(?:第(?P<paragraph>[一二三四五六七八九十]+)款)?"
    r"(?P<items>(?:第（[一二三四五六七八九十]+）项、?)*)"
)
NUMERALS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}


def _number(chinese: str) -> int:
    if chinese.startswith("十"):
        chinese = "一" + chinese
    if "十" in chinese:
        tens, _, units = chinese.partition("十")
        return NUMERALS[tens] * 10 + (NUMERALS[units] if units else 0)
    return NUMERALS[chinese]


def _article(law: str, number: int) -> list[str]:
    """The article's lines: its paragraphs (款) and items (项), without blank lines."""
    text = shared_path(*LAWS, FILES[law]).read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if re.match(r"^第[一二三四五六七八九十百]+条", line)]
    for k, start in enumerate(starts):
        if _number(re.match(r"^第([一二三四五六七八九十]+)条", lines[start]).group(1)) == number:  # type: ignore[union-attr]
            end = starts[k + 1] if k + 1 < len(starts) else len(lines)
            return lines[start:end]
    raise AssertionError(f"{law} has no article {number}")


@pytest.mark.shared_data
@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_cited_articles_exist_and_say_it(rule: Rule) -> None:
    citations = list(CITATION.finditer(rule.article))
    assert citations and "".join(m.group(0) for m in citations) == rule.article.replace("；", "")
    cited_text = ""
    for m in citations:
        span = _article(m.group("law"), _number(m.group("article")))
        if m.group("paragraph"):
            heads = [i for i, line in enumerate(span) if not line.startswith("（")]
            index = _number(m.group("paragraph")) - 1
            assert index < len(heads), m.group(0)
            end = heads[index + 1] if index + 1 < len(heads) else len(span)
            span = span[heads[index] : end]  # the paragraph and its items
        items = re.findall(r"（([一二三四五六七八九十]+)）", m.group("items"))
        if items:
            picked = [line for line in span if any(line.startswith(f"（{item}）") for item in items)]
            assert len(picked) == len(items), m.group(0)
            span = [span[0], *picked]  # the lead-in sentence and the cited items
        cited_text += "".join(span)
    for words in KEY_WORDS[rule.id]:
        assert words in cited_text, (rule.id, words)


def test_rule_parameters_are_audit_params() -> None:
    fields = {f.name for f in dataclasses.fields(AuditParams)}
    for rule in RULES:
        assert set(rule.parameters) <= fields, rule.id
    assert {p for r in RULES for p in r.parameters} == fields
