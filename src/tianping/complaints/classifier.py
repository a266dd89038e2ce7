"""Complaint category classifiers: explainable, calibrated, no model downloads, no pickle.

* :class:`TextClassifier` — character n-gram TF-IDF (:mod:`tianping.complaints.features`) and a
  one-vs-rest linear SVM (liblinear). Training picks the regularisation ``C`` by an inner
  stratified cross-validation on the training rows only (macro-F1), then fits a softmax
  temperature on the same out-of-fold margins (temperature scaling) so that ``confidence`` is a
  calibrated probability. The reasons of a prediction are the n-grams with the largest positive
  contribution (tf-idf weight × coefficient) toward the predicted label
  (:mod:`tianping.complaints.explain`). Inference is numpy/scipy only; the model is saved as
  gzipped JSON (vocabulary, idf, coefficients as base64 float32 arrays, labels, format version).
* :class:`KeywordClassifier` — the fallback while no model is trained: scores the taxonomy's leaf
  categories by the keywords found in the text; its confidence reflects the margin over the rest.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tianping.complaints.explain import PhraseIndex, explain
from tianping.complaints.features import MAX_N, NgramVectorizer, normalize_text
from tianping.complaints.taxonomy import Category, Taxonomy
from tianping.core.errors import FieldError, ValidationFailed

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "OTHER_LABEL",
    "KeywordClassifier",
    "Prediction",
    "TextClassifier",
    "cross_validate",
]

FORMAT = "tianping.complaints.text-classifier"
FORMAT_VERSION = 1
OTHER_LABEL = "other"  # the taxonomy's 其他 code; KeywordClassifier's answer when nothing matches

# Regularisation strengths tried by the inner cross-validation (training rows only).
C_GRID: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
DEFAULT_C = 1.0  # used when a label has too few rows for an inner cross-validation
INNER_FOLDS = 3
REASONS = 6
ALTERNATIVES = 3


@dataclass(frozen=True)
class Prediction:
    label: str  # category code (or whatever label the training file used)
    confidence: float  # calibrated probability of ``label``, 0..1
    reasons: tuple[tuple[str, float], ...]  # terms that pushed toward ``label``, weight desc
    alternatives: tuple[tuple[str, float], ...]  # next labels with their probabilities


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(f"不是有效的分类模型文件：{message}", errors=[FieldError("model", message)])


def _softmax(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    out: npt.NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return out


def _as_stored(array: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Round to float32 (what the file keeps) so a loaded model predicts exactly like the trained one."""
    return np.asarray(array, dtype=np.float32).astype(np.float64)


def _encode(array: npt.NDArray[np.float64]) -> dict[str, Any]:
    data = np.ascontiguousarray(array, dtype="<f4")
    return {"dtype": "<f4", "shape": list(data.shape), "data": base64.b64encode(data.tobytes()).decode()}


def _decode(obj: object, name: str, shape: tuple[int, ...]) -> npt.NDArray[np.float64]:
    if not isinstance(obj, dict) or obj.get("dtype") != "<f4" or list(obj.get("shape", [])) != list(shape):
        raise _invalid(f"{name} 的形状或类型不符")
    try:
        raw = base64.b64decode(str(obj.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(f"{name} 数据损坏") from None
    if len(raw) != 4 * int(np.prod(shape)):
        raise _invalid(f"{name} 数据长度不符")
    array = np.frombuffer(raw, dtype="<f4").astype(np.float64).reshape(shape)
    if not np.all(np.isfinite(array)):
        raise _invalid(f"{name} 含有非有限数值")
    return array


def _nll(scores: npt.NDArray[np.float64], y: npt.NDArray[np.int64], temperature: float) -> float:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(y)), y]))


def _fit_temperature(scores: npt.NDArray[np.float64], y: npt.NDArray[np.int64]) -> float:
    from scipy.optimize import minimize_scalar

    result = minimize_scalar(
        lambda t: _nll(scores, y, float(np.exp(t))), bounds=(-3.0, 3.0), method="bounded"
    )
    return float(np.exp(result.x))


class TextClassifier:
    """A trained category model. Build with :meth:`train` or :meth:`load`."""

    def __init__(
        self,
        *,
        labels: Sequence[str],
        vectorizer: NgramVectorizer,
        coef: npt.ArrayLike,
        intercept: npt.ArrayLike,
        temperature: float = 1.0,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.labels: tuple[str, ...] = tuple(labels)
        self.vectorizer = vectorizer
        self.vectorizer.idf = _as_stored(vectorizer.idf)
        self.coef = _as_stored(coef)
        self.intercept = _as_stored(intercept)
        self.temperature = float(np.float32(temperature))
        self.info: dict[str, Any] = dict(info or {})
        self._terms: list[str] | None = None
        self._phrase_index: PhraseIndex | None = None

    # --- training -------------------------------------------------------------------------------

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str], *, seed: int = 0) -> TextClassifier:
        texts, labels = list(texts), [str(label).strip() for label in labels]
        if len(texts) != len(labels):
            raise ValidationFailed("文本与标签的行数不一致")
        if any(not label for label in labels):
            raise ValidationFailed("训练数据中有空标签", errors=[FieldError("labels", "标签不能为空")])
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ValidationFailed(
                "训练数据至少需要两个不同的类别", errors=[FieldError("labels", "至少需要两个类别")]
            )
        index = {label: i for i, label in enumerate(classes)}
        y = np.array([index[label] for label in labels], dtype=np.int64)
        vectorizer = NgramVectorizer.fit(texts, min_df=2 if len(texts) >= 200 else 1)
        if vectorizer.size == 0:
            raise ValidationFailed(
                "训练文本中没有可用的字词", errors=[FieldError("texts", "文本为空或只有标点")]
            )
        x = vectorizer.transform(texts)
        c, temperature, inner = _select_c(x, y, len(classes), seed=seed)
        coef, intercept = _fit_linear(x, y, c, seed=seed)
        info = {"C": c, "temperature": temperature, "inner_cv": inner, "rows": len(texts), "seed": seed}
        return cls(
            labels=classes,
            vectorizer=vectorizer,
            coef=coef,
            intercept=intercept,
            temperature=temperature,
            info=info,
        )

    # --- inference ------------------------------------------------------------------------------

    def _scores(self, texts: Sequence[str]) -> tuple[Any, npt.NDArray[np.float64]]:
        x = self.vectorizer.transform(texts)
        scores = np.asarray(x @ self.coef.T) + self.intercept
        return x, scores

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Calibrated probabilities, one row per text, columns in :attr:`labels` order."""
        _, scores = self._scores(texts)
        return _softmax(scores / self.temperature)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        x, scores = self._scores(texts)
        probs = _softmax(scores / self.temperature)
        order = np.argsort(-probs, axis=1)
        reasons = explain(self._phrases(), x, self.coef, order[:, 0], limit=REASONS)
        out: list[Prediction] = []
        for row in range(probs.shape[0]):
            ranked = order[row]
            top = int(ranked[0])
            alternatives = tuple(
                (self.labels[int(k)], round(float(probs[row, k]), 4)) for k in ranked[1 : 1 + ALTERNATIVES]
            )
            out.append(
                Prediction(
                    label=self.labels[top],
                    confidence=float(probs[row, top]),
                    reasons=reasons[row],
                    alternatives=alternatives,
                )
            )
        return out

    def prepare(self) -> TextClassifier:
        """Build the lookup tables of inference now rather than on the first prediction."""
        self.vectorizer.prepare()
        self._phrases()
        return self

    def _phrases(self) -> PhraseIndex:
        if self._phrase_index is None:
            self._phrase_index = PhraseIndex.build(self._vocab_terms())
        return self._phrase_index

    def _vocab_terms(self) -> list[str]:
        if self._terms is None:
            self._terms = self.vectorizer.terms()
        return self._terms

    # --- persistence ----------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        payload = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "labels": list(self.labels),
            "max_n": self.vectorizer.max_n,
            "vocabulary": self._vocab_terms(),
            "idf": _encode(self.vectorizer.idf),
            "coef": _encode(self.coef),
            "intercept": [float(v) for v in np.asarray(self.intercept, dtype=np.float32)],
            "temperature": self.temperature,
            "info": self.info,
        }
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return gzip.compress(text.encode("utf-8"), mtime=0)

    def save(self, path: Path) -> str:
        """Write the model (gzipped JSON, no pickle); return the file's SHA-256."""
        data = self.to_bytes()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return hashlib.sha256(data).hexdigest()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextClassifier:
        try:
            raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            payload = json.loads(raw.decode("utf-8"))
        except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError):
            raise _invalid("无法解压或解析（文件已损坏或不是模型文件）") from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise _invalid("格式标识不符")
        if payload.get("version") != FORMAT_VERSION:
            raise _invalid(f"不支持的格式版本 {payload.get('version')!r}")
        labels, vocab = payload.get("labels"), payload.get("vocabulary")
        if (
            not isinstance(labels, list)
            or len(labels) < 2
            or not all(isinstance(label, str) and label for label in labels)
            or len(set(labels)) != len(labels)
        ):
            raise _invalid("类别列表无效")
        if (
            not isinstance(vocab, list)
            or not all(isinstance(g, str) for g in vocab)
            or len(set(vocab)) != len(vocab)
        ):
            raise _invalid("词表无效")
        max_n = payload.get("max_n")
        if not isinstance(max_n, int) or not 1 <= max_n <= MAX_N:
            raise _invalid("n-gram 长度无效")
        intercept = payload.get("intercept")
        if not isinstance(intercept, list) or len(intercept) != len(labels):
            raise _invalid("截距长度不符")
        temperature = payload.get("temperature")
        if not isinstance(temperature, int | float) or not 0 < float(temperature) < 1e6:
            raise _invalid("温度参数无效")
        size = len(vocab)
        idf = _decode(payload.get("idf"), "idf", (size,))
        coef = _decode(payload.get("coef"), "coef", (len(labels), size))
        info = payload.get("info")
        vectorizer = NgramVectorizer(vocabulary={g: i for i, g in enumerate(vocab)}, idf=idf, max_n=max_n)
        try:
            intercept_array = np.array([float(v) for v in intercept], dtype=np.float64)
        except (TypeError, ValueError):
            raise _invalid("截距数据无效") from None
        model = cls(
            labels=labels,
            vectorizer=vectorizer,
            coef=coef,
            intercept=intercept_array,
            temperature=float(temperature),
            info=info if isinstance(info, dict) else {},
        )
        model._terms = list(vocab)
        return model

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        """Read a model file; a foreign or corrupt file raises :class:`ValidationFailed`."""
        return cls.from_bytes(path.read_bytes())


def cross_validate(
    texts: Sequence[str], labels: Sequence[str], *, folds: int = 5, seed: int = 0
) -> dict[str, Any]:
    """Stratified k-fold macro-F1 and accuracy of :meth:`TextClassifier.train` (C chosen inside each fold)."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    texts, labels = list(texts), [str(label).strip() for label in labels]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    rarest = min(counts, key=lambda label: (counts[label], label)) if counts else ""
    if not counts or counts[rarest] < folds:
        raise ValidationFailed(
            f"类别“{rarest}”只有 {counts.get(rarest, 0)} 行，少于交叉验证折数 {folds}",
            errors=[FieldError("cv", "请减少折数或补充该类别的样本")],
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    per_fold: list[dict[str, float]] = []
    for train_idx, test_idx in splitter.split(np.zeros(len(labels)), labels):
        model = TextClassifier.train([texts[i] for i in train_idx], [labels[i] for i in train_idx], seed=seed)
        truth = [labels[i] for i in test_idx]
        guess = [p.label for p in model.predict([texts[i] for i in test_idx])]
        per_fold.append(
            {
                "macro_f1": float(f1_score(truth, guess, average="macro", zero_division=0)),
                "accuracy": float(accuracy_score(truth, guess)),
            }
        )
    return {
        "folds": folds,
        "seed": seed,
        "macro_f1": float(np.mean([f["macro_f1"] for f in per_fold])),
        "accuracy": float(np.mean([f["accuracy"] for f in per_fold])),
        "per_fold": per_fold,
    }


def _multiclass_weights(
    coef: npt.NDArray[np.float64], intercept: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """sklearn keeps one row for two classes; spread it over two so softmax equals the sigmoid."""
    if coef.shape[0] == 1:
        return np.vstack([-coef[0] / 2, coef[0] / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    return coef, intercept


def _fit_linear(
    x: Any, y: npt.NDArray[np.int64], c: float, *, seed: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    model = LinearSVC(C=c, max_iter=20_000, random_state=seed)
    with warnings.catch_warnings():
        # liblinear stopping at max_iter still yields a usable separator; CV scores judge it
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    return _multiclass_weights(np.asarray(model.coef_), np.asarray(model.intercept_))


def _select_c(
    x: Any, y: npt.NDArray[np.int64], n_classes: int, *, seed: int
) -> tuple[float, float, dict[str, Any]]:
    """Choose C by inner stratified CV (macro-F1, then log-loss); fit the temperature on its OOF scores."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    folds = min(INNER_FOLDS, int(np.bincount(y, minlength=n_classes).min()))
    if folds < 2:
        return DEFAULT_C, 1.0, {"folds": 0, "note": "too few rows per label for an inner CV"}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(y)), y))
    best: tuple[float, float, float, npt.NDArray[np.float64]] | None = None
    scores_by_c: dict[str, float] = {}
    for c in C_GRID:
        oof = np.zeros((len(y), n_classes), dtype=np.float64)
        for train_idx, test_idx in splits:
            coef, intercept = _fit_linear(x[train_idx], y[train_idx], c, seed=seed)
            part = np.asarray(x[test_idx] @ coef.T) + intercept
            oof[test_idx] = part  # folds <= the rarest label's rows: every label is in each part
        f1 = float(f1_score(y, oof.argmax(axis=1), average="macro", zero_division=0))
        loss = _nll(oof, y, 1.0)
        scores_by_c[str(c)] = round(f1, 4)
        if best is None or (f1, -loss) > (best[1], -best[2]):
            best = (c, f1, loss, oof)
    assert best is not None
    c, f1, _, oof = best
    temperature = _fit_temperature(oof, y)
    return (
        c,
        temperature,
        {"folds": folds, "macro_f1_by_C": scores_by_c, "chosen_C": c, "macro_f1": round(f1, 4)},
    )


# --- keyword fallback ---------------------------------------------------------------------------


OTHER_CONFIDENCE = 0.1  # "nothing matched": always below the review threshold
ANCESTOR_SHARE = 0.5  # weight of a parent category's keywords in its leaves' scores
PRIOR = 1.0  # pseudo-score of "none of these", so one weak keyword never reads as certainty
MARGIN_SCALE = 0.5  # a margin of one 2-character keyword (weight 1) gives 2/3 of the evidence term


def _keyword_weight(keyword: str) -> float:
    """Longer keywords are more specific: 2 characters weigh 1, each extra character adds 0.5 (max 3)."""
    return min(3.0, max(0.5, 1.0 + 0.5 * (len(keyword) - 2)))


class KeywordClassifier:
    """Scores leaf categories by the taxonomy keywords found in the normalised text.

    A leaf's keywords are its own (full weight) plus its ancestors' (:data:`ANCESTOR_SHARE` of the
    weight): ``预付卡`` points at every 预付式消费 leaf, ``美甲`` decides which. Score of a category =
    sum of the weights of its distinct keywords present. Confidence grows with the evidence and with
    the margin over the runner-up: ``top/(top + PRIOR) × margin/(margin + MARGIN_SCALE)`` (a tie
    gives 0); alternatives carry their share ``score/(total + PRIOR)``. No keyword at all gives
    ``other`` with low confidence.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.keywords: list[tuple[str, str, float]] = []  # (code, normalised keyword, weight)
        codes: list[str] = []
        for category in taxonomy.leaves():
            codes.append(category.code)
            weights: dict[str, float] = {}
            share, seen = 1.0, set()
            node: Category | None = category
            while node is not None and node.code not in seen:
                seen.add(node.code)
                for keyword in node.keywords:
                    norm = normalize_text(keyword)
                    if norm and norm not in weights:
                        weights[norm] = share * _keyword_weight(norm)
                share *= ANCESTOR_SHARE
                node = taxonomy.find(node.parent)
            self.keywords.extend((category.code, keyword, weight) for keyword, weight in weights.items())
        self.labels: tuple[str, ...] = tuple(dict.fromkeys([*codes, OTHER_LABEL]))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        out: list[Prediction] = []
        for text in texts:
            norm = normalize_text(text)
            scores: dict[str, float] = {}
            found: dict[str, list[tuple[str, float]]] = {}
            for code, keyword, weight in self.keywords:
                if keyword in norm:
                    scores[code] = scores.get(code, 0.0) + weight
                    found.setdefault(code, []).append((keyword, weight))
            if not scores:
                out.append(
                    Prediction(label=OTHER_LABEL, confidence=OTHER_CONFIDENCE, reasons=(), alternatives=())
                )
                continue
            total = sum(scores.values()) + PRIOR
            ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
            code, score = ranked[0]
            reasons = tuple(sorted(found[code], key=lambda item: (-item[1], item[0])))
            alternatives = tuple((c, round(s / total, 4)) for c, s in ranked[1 : 1 + ALTERNATIVES])
            margin = score - (ranked[1][1] if len(ranked) > 1 else 0.0)
            confidence = score / (score + PRIOR) * margin / (margin + MARGIN_SCALE)
            out.append(
                Prediction(label=code, confidence=confidence, reasons=reasons, alternatives=alternatives)
            )
        return out
