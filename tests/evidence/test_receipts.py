"""Receipts: the legal basis quotes 第十一条 exactly, and the printable page carries what matters."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy.orm import Session

from tests.conftest import shared_path
from tests.evidence.evidence_support import Vault
from tianping.evidence import receipts, service


@pytest.mark.shared_data
def test_legal_basis_quotes_article_11_word_for_word() -> None:
    """Each element named in a receipt is the wording of 第十一条 as quoted (from LawRefBook/Laws,
    司法解释/最高人民法院关于互联网法院审理案件若干问题的规定(2018-09-06).md) in the research note."""
    note = shared_path("research", "anchors-integrity-detection.md").read_text(encoding="utf-8")
    start = note.index("> 第十一条")
    lines = [line.removeprefix("> ") for line in note[start : note.index("\n\n", start)].splitlines()]
    items = dict(re.fullmatch(r"（([一二三四五六])）(.+)[；。]", line).groups() for line in lines[1:7])
    second_paragraph = lines[7]
    assert len(items) == 6 and second_paragraph.startswith("当事人提交的电子数据，通过电子签名")
    assert "第十一条" in receipts.CITATION_ZH and "法释〔2018〕16号" in receipts.CITATION_ZH
    numbers = set()
    for basis in receipts.LEGAL_BASIS:
        label, _sep, wording = basis["element_zh"].partition("：")
        numbered = re.fullmatch(r"第一款第（([一二三四五六])）项", label)
        if numbered:
            numbers.add(numbered.group(1))
            assert items[numbered.group(1)].startswith(wording), basis["element_zh"]
        else:
            assert label == "第二款" and wording in second_paragraph
        assert basis["explanation_zh"] and basis["field"]
    assert numbers == set(items)


def test_receipt_fields_and_printable_page(db_session: Session, vault: Vault) -> None:
    appended = vault.add(db_session, "直播间价格截图 <script>alert(1)</script>".encode(), case="AJ-2026-3")
    receipt = service.receipt_for(db_session, appended)
    assert set(receipt) >= {
        "format",
        "entry",
        "leaf_b64",
        "leaf_index",
        "tree_size",
        "inclusion_proof",
        "checkpoint",
        "log_public_keys",
        "legal_basis",
    }
    assert receipt["log_public_keys"][0]["valid_until"] is None
    assert json.loads(receipts.dumps(receipt)) == receipt
    page = receipts.render_html(receipt)
    assert page.startswith("<!doctype html>") and 'lang="zh-CN"' in page
    for needle in (
        appended.entry["sha256"],
        "AJ-2026-3",
        "<svg",
        "第十一条",
        receipt["checkpoint"].split("\n")[0],
    ):
        assert needle in page
    assert "<script>" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")
    payload = json.loads(receipts.qr_payload(receipt))
    assert payload["i"] == 0 and payload["n"] == 1 and payload["sha256"] == appended.entry["sha256"]
