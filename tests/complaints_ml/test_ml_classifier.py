"""TextClassifier: training, calibrated predictions with reasons, save/load, refusal of bad files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from tests.complaints_ml.corpus import corpus
from tianping.complaints.classifier import FORMAT, TextClassifier, cross_validate
from tianping.complaints.features import NgramVectorizer, grams, normalize_text
from tianping.core.errors import ValidationFailed


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    texts, labels = corpus()
    return TextClassifier.train(texts, labels, seed=0)


def test_normalisation_folds_width_case_digits_and_spaces() -> None:
    assert normalize_text("ＡＢＣ　１２３元\t\n退费") == "abc 0元 退费"
    # grams never span punctuation or whitespace
    assert grams("退费，关门") == ["退", "费", "退费", "关", "门", "关门"]


def test_vectoriser_rows_are_l2_normalised_with_sublinear_tf() -> None:
    vec = NgramVectorizer.fit(["预付卡退费", "优惠券满减"])
    x = vec.transform(["预付卡退费退费", "完全无关"])
    assert x.shape == (2, vec.size)
    assert np.isclose(np.sqrt(x[0].multiply(x[0]).sum()), 1.0)
    assert x[1].nnz == 0  # nothing known: an empty row, not a crash
    row = dict(zip(x[0].indices, x[0].data, strict=True))
    twice, once = vec.vocabulary["退费"], vec.vocabulary["预付卡"]
    # tf 2 → 1 + ln 2 (same idf as 预付卡): sublinear, not double
    assert np.isclose(row[twice] / row[once], 1 + np.log(2))


def test_vectorised_grams_match_the_reference_grams() -> None:
    texts = [
        "ＡＢＣ　１２３元\t\n退费",
        "",
        "，，，",
        "a",
        "ab_cd 退费",
        "😀表情😀包",
        "x\x00y",
        "预付卡退费退费",
    ]
    vec = NgramVectorizer.fit(texts)
    x = vec.transform(texts)
    for row, text in enumerate(texts):
        expected = {vec.vocabulary[g] for g in grams(normalize_text(text))}
        assert set(x[row].indices) == expected, text
    assert NgramVectorizer.fit([""]).transform(["退费"]).shape == (1, 0)


def test_predicts_held_out_texts_with_reasons_and_calibrated_confidence(model: TextClassifier) -> None:
    assert model.labels == ("food", "online.coupon", "online.logistics", "prepaid.beauty")
    texts = [
        "丽人美发店倒闭了，储值卡余额不退，要求退费",
        "双十一的满减优惠券结算时用不了",
        "买的衣服一直不发货，物流没有更新",
        "买到过期变质的食品，吃了以后腹泻",
    ]
    predictions = model.predict(texts)
    assert [p.label for p in predictions] == ["prepaid.beauty", "online.coupon", "online.logistics", "food"]
    for p in predictions:
        assert 0.0 <= p.confidence <= 1.0
        assert all(0.0 <= prob <= 1.0 for _, prob in p.alternatives)
        assert p.confidence + sum(prob for _, prob in p.alternatives) == pytest.approx(1.0, abs=1e-3)
        assert p.confidence > max(prob for _, prob in p.alternatives)
        weights = [w for _, w in p.reasons]
        assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
        assert all(term.strip() and "，" not in term for term, _ in p.reasons)
    terms = ["".join(term for term, _ in p.reasons) for p in predictions]
    assert "退" in terms[0] or "余额" in terms[0]
    assert "券" in terms[1] or "满减" in terms[1]
    assert "发货" in terms[2] or "物流" in terms[2]
    assert "食品" in terms[3] or "变质" in terms[3] or "过期" in terms[3]


def test_probabilities_sum_to_one_and_unknown_text_is_uncertain(model: TextClassifier) -> None:
    probs = model.predict_proba(["预付卡退费", "今天天气不错，适合散步"])
    assert np.allclose(probs.sum(axis=1), 1.0)
    unknown = model.predict(["今天天气不错，适合散步"])[0]
    assert unknown.confidence < model.predict(["预付卡余额不退，商家关门跑路"])[0].confidence
    assert model.predict([]) == []


def test_training_records_inner_cv_and_temperature(model: TextClassifier) -> None:
    assert model.info["rows"] == 40
    assert model.info["inner_cv"]["folds"] == 3
    assert model.info["C"] in (0.5, 1.0, 2.0, 4.0)
    assert 0.0 < model.temperature < 100.0


def test_save_load_round_trip_gives_identical_predictions(model: TextClassifier, tmp_path: Path) -> None:
    path = tmp_path / "model.json.gz"
    sha = model.save(path)
    assert len(sha) == 64 and model.save(tmp_path / "again.json.gz") == sha  # deterministic bytes
    payload = json.loads(gzip.decompress(path.read_bytes()))
    assert payload["format"] == FORMAT and payload["version"] == 1
    assert b"pickle" not in path.read_bytes()
    loaded = TextClassifier.load(path)
    texts = ["健身房关门了会员卡不退", "优惠券无法使用", "快递丢件", "饭菜有异物"]
    assert loaded.predict(texts) == model.predict(texts)
    assert loaded.labels == model.labels


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a model",
        gzip.compress(b"{broken json"),
        gzip.compress(json.dumps({"format": "something-else", "version": 1}).encode()),
        gzip.compress(json.dumps({"format": FORMAT, "version": 99}).encode()),
        gzip.compress(b"\xff\xfe\x00"),
    ],
    ids=["empty", "text", "bad-json", "foreign", "future-version", "binary"],
)
def test_foreign_or_corrupt_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json.gz"
    path.write_bytes(content)
    with pytest.raises(ValidationFailed) as exc:
        TextClassifier.load(path)
    assert exc.value.message.startswith("不是有效的分类模型文件")
    assert exc.value.errors[0].field == "model"


def test_tampered_arrays_are_refused(model: TextClassifier, tmp_path: Path) -> None:
    payload = json.loads(gzip.decompress(model.to_bytes()))
    payload["coef"]["shape"] = [2, 3]
    with pytest.raises(ValidationFailed, match="coef"):
        TextClassifier.from_bytes(gzip.compress(json.dumps(payload).encode()))
    payload = json.loads(gzip.decompress(model.to_bytes()))
    payload["idf"]["data"] = payload["idf"]["data"][:-8]
    with pytest.raises(ValidationFailed, match="idf"):
        TextClassifier.from_bytes(gzip.compress(json.dumps(payload).encode()))
    payload = json.loads(gzip.decompress(model.to_bytes()))
    payload["labels"] = ["a"]
    with pytest.raises(ValidationFailed, match="类别"):
        TextClassifier.from_bytes(gzip.compress(json.dumps(payload).encode()))


def test_two_classes_and_tiny_data_still_train() -> None:
    texts = ["预付卡退费", "会员卡余额不退", "优惠券不能用", "满减券无效"]
    labels = ["prepaid", "prepaid", "coupon", "coupon"]
    model = TextClassifier.train(texts, labels)
    assert model.info["inner_cv"]["folds"] == 2
    predictions = model.predict(["储值卡退费", "优惠券过期"])
    assert [p.label for p in predictions] == ["prepaid", "coupon"]
    assert all(len(p.alternatives) == 1 for p in predictions)


def test_bad_training_input_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed, match="两个不同的类别"):
        TextClassifier.train(["一", "二"], ["a", "a"])
    with pytest.raises(ValidationFailed, match="空标签"):
        TextClassifier.train(["一", "二"], ["a", " "])
    with pytest.raises(ValidationFailed, match="没有可用的字词"):
        TextClassifier.train(["，，", "！"], ["a", "b"])
    with pytest.raises(ValidationFailed, match="行数不一致"):
        TextClassifier.train(["一"], ["a", "b"])


def test_cross_validate_reports_folds_and_refuses_too_few_rows() -> None:
    texts, labels = corpus()
    result = cross_validate(texts, labels, folds=3)
    assert len(result["per_fold"]) == 3
    assert result["macro_f1"] >= 0.8 and 0.0 <= result["accuracy"] <= 1.0
    with pytest.raises(ValidationFailed, match="少于交叉验证折数"):
        cross_validate(texts, labels, folds=11)


def test_reasons_are_words_without_overlap_or_folded_digits(model: TextClassifier) -> None:
    texts = ["悦颜美容店充值3000元后关门，预付卡余额2000元不退", "优惠券满减 100 元不能用"]
    for p in model.predict(texts):
        terms = [t for t, _ in p.reasons]
        assert terms and all("0" not in t for t in terms)
        for i, a in enumerate(terms):
            assert not any(set(a) & set(b) for b in terms[i + 1 :]), terms
        assert min(w for _, w in p.reasons) >= 0.1 * max(w for _, w in p.reasons)
    beauty = model.predict(texts[:1])[0]
    assert any(len(t) >= 2 for t, _ in beauty.reasons)  # phrases, not only single characters
