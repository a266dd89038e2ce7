"""KeywordClassifier: the explainable fallback while no model is trained."""

from __future__ import annotations

import pytest

from tianping.complaints.classifier import OTHER_LABEL, KeywordClassifier
from tianping.complaints.taxonomy import Taxonomy, load_taxonomy, parse_taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return parse_taxonomy(
        {
            "version": 1,
            "categories": [
                {
                    "code": "prepaid",
                    "name": "预付式消费",
                    "department": "商务局",
                    "hotline_class": "complex",
                    "keywords": ["预付卡", "退费"],
                },
                {
                    "code": "prepaid.beauty",
                    "name": "美容美发",
                    "parent": "prepaid",
                    "keywords": ["美容", "美发"],
                },
                {
                    "code": "prepaid.fitness",
                    "name": "体育健身",
                    "parent": "prepaid",
                    "keywords": ["健身", "私教"],
                },
                {
                    "code": "online.coupon",
                    "name": "优惠券",
                    "department": "市场监督管理局",
                    "hotline_class": "ordinary",
                    "keywords": ["优惠券", "满减"],
                },
                {
                    "code": "other",
                    "name": "其他",
                    "department": "市场监督管理局",
                    "hotline_class": "ordinary",
                    "keywords": ["短斤缺两"],
                },
            ],
        }
    )


def test_keywords_pick_the_leaf_with_reasons(taxonomy: Taxonomy) -> None:
    clf = KeywordClassifier(taxonomy)
    assert set(clf.labels) == {"prepaid.beauty", "prepaid.fitness", "online.coupon", "other"}
    p = clf.predict(["在悦颜美容店办的预付卡要求退费"])[0]
    assert p.label == "prepaid.beauty"
    terms = dict(p.reasons)
    assert terms["美容"] == 1.0 and terms["预付卡"] == 0.75  # parent keywords count half
    assert "退费" in terms
    # the sibling shares only the parent's evidence: a lower share, listed as the alternative
    assert p.alternatives[0][0] == "prepaid.fitness" and p.alternatives[0][1] < p.confidence


def test_confidence_reflects_margin_and_evidence(taxonomy: Taxonomy) -> None:
    clf = KeywordClassifier(taxonomy)
    strong, weak, tied = clf.predict(["优惠券满减不能叠加，优惠券作废", "满减", "预付卡退费"])
    assert strong.label == weak.label == "online.coupon"
    assert 0.0 < weak.confidence < strong.confidence <= 1.0
    # parent evidence alone cannot tell the leaves apart: no margin, zero confidence
    assert tied.label.startswith("prepaid.") and tied.confidence == 0.0


def test_no_keyword_is_other_with_low_confidence(taxonomy: Taxonomy) -> None:
    p = KeywordClassifier(taxonomy).predict(["今天天气很好"])[0]
    assert p.label == OTHER_LABEL and p.confidence < 0.6
    assert p.reasons == () and p.alternatives == ()


def test_full_width_and_case_are_normalised(taxonomy: Taxonomy) -> None:
    p = KeywordClassifier(taxonomy).predict(["ＶＩＰ私教课退不了"])[0]
    assert p.label == "prepaid.fitness" and ("私教", 1.0) in p.reasons


def test_shipped_taxonomy_works_as_fallback() -> None:
    clf = KeywordClassifier(load_taxonomy())
    predictions = clf.predict(["优惠券满减规则不能用", "外卖吃了以后腹泻，怀疑食品变质"])
    assert [p.label for p in predictions] == ["online.coupon", "food"]
    assert all(p.reasons for p in predictions)
