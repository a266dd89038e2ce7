"""The public benchmark (real citizen messages, 7 labelled categories): 5-fold macro-F1 ≥ 0.75."""

from __future__ import annotations

import csv

import pytest

from tests.conftest import shared_path
from tianping.complaints.classifier import cross_validate

DATA = ("research", "data", "gov-messages-tipdm2020c", "attachment2_labelled_messages_sample495.csv")


@pytest.mark.shared_data
def test_five_fold_macro_f1_on_government_messages() -> None:
    path = shared_path(*DATA)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = [" ".join(f"{r['留言主题']} {r['留言详情']}".split()) for r in rows]
    labels = [r["一级分类"].strip() for r in rows]
    assert len(texts) == 495 and len(set(labels)) == 7
    result = cross_validate(texts, labels, folds=5, seed=0)
    assert result["macro_f1"] >= 0.75, result
    assert all(fold["macro_f1"] >= 0.65 for fold in result["per_fold"]), result
