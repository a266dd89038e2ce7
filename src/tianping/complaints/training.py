"""The training loop of the triage classifier, on the database side.

Officers correct a ticket's category (:func:`record_correction`); the next training run appends
those corrections (:func:`correction_rows`) to the training file's rows; the new model is stored
under ``<settings.home>/models/`` with its SHA-256 and becomes the active one
(:func:`register_model`); triage asks :func:`active_classifier` for it, which verifies the file
against the recorded checksum and falls back to the taxonomy keywords while none is trained.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tianping.complaints import clocks
from tianping.complaints.classifier import KeywordClassifier, TextClassifier
from tianping.complaints.models import Correction, Ticket, TriageModel
from tianping.complaints.taxonomy import Taxonomy, load_taxonomy
from tianping.core import audit
from tianping.core.authz import Actor, Perm
from tianping.core.errors import FieldError, NotFound, ValidationFailed
from tianping.core.settings import get_settings
from tianping.core.timeutil import utcnow

__all__ = [
    "active_classifier",
    "active_model",
    "correction_rows",
    "keyword_classifier",
    "list_models",
    "model_path",
    "model_status",
    "record_correction",
    "register_model",
]

log = logging.getLogger(__name__)

_CACHE: dict[str, TextClassifier] = {}  # sha256 -> loaded model
_CACHE_LOCK = threading.Lock()
_KEYWORDS: tuple[Taxonomy, KeywordClassifier] | None = None


def ticket_text(ticket: Ticket) -> str:
    """The text the classifier reads for a ticket (title, newline, body)."""
    return f"{ticket.title}\n{ticket.text}"


def correction_rows(*, session: Session) -> list[tuple[str, str]]:
    """(text, category) for training: every correction, the latest one per ticket winning."""
    latest: dict[int, tuple[str, str]] = {}
    for row in session.scalars(select(Correction).order_by(Correction.id)):
        latest[row.ticket_id] = (row.text, row.new_category)
    return list(latest.values())


def model_path(now: datetime | None = None) -> Path:
    """Where a newly trained model is written: ``<home>/models/triage-<UTC timestamp>.json.gz``."""
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%S%fZ")
    return get_settings().home / "models" / f"triage-{stamp}.json.gz"


def _stored_path(path: Path) -> str:
    """Paths inside the data directory are kept relative to it, so a moved installation still works."""
    home = get_settings().home.resolve()
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(home))
    except ValueError:
        return str(resolved)


def _resolve(stored: str) -> Path:
    path = Path(stored)
    return path if path.is_absolute() else get_settings().home / path


def register_model(
    *,
    session: Session,
    classifier: TextClassifier,
    path: Path | None = None,
    rows: int,
    corrections: int,
    metrics: dict[str, Any],
    actor: Actor,
    activate: bool = True,
) -> TriageModel:
    """Save the model (to ``path``, default :func:`model_path`), record it, make it active.

    Corrections not yet used by a model are marked as used by this one when ``corrections`` > 0.
    """
    actor.require(Perm.COMPLAINT_ADMIN)
    now = utcnow()
    target = path or model_path(now)
    sha256 = classifier.save(target)
    if activate:
        session.execute(update(TriageModel).where(TriageModel.active.is_(True)).values(active=False))
    model = TriageModel(
        created_at=now,
        path=_stored_path(target),
        sha256=sha256,
        labels=list(classifier.labels),
        rows=rows,
        corrections=corrections,
        metrics=dict(metrics),
        active=activate,
    )
    session.add(model)
    session.flush()
    if corrections > 0:
        session.execute(
            update(Correction).where(Correction.used_by_model_id.is_(None)).values(used_by_model_id=model.id)
        )
    audit.record(
        session,
        actor=actor,
        action="complaints.model.register",
        object_type="complaints_model",
        object_id=model.id,
        summary=f"登记投诉分类模型 #{model.id}（{rows} 行，其中人工更正 {corrections} 行，"
        f"{len(classifier.labels)} 个类别）" + ("，已启用" if activate else ""),
        detail={"sha256": sha256, "path": model.path, "metrics": dict(metrics), "active": activate},
    )
    return model


def list_models(*, session: Session) -> list[TriageModel]:
    return list(session.scalars(select(TriageModel).order_by(TriageModel.id.desc())))


def active_model(*, session: Session) -> TriageModel | None:
    return session.scalars(
        select(TriageModel).where(TriageModel.active.is_(True)).order_by(TriageModel.id.desc()).limit(1)
    ).first()


def load_registered(row: TriageModel) -> TextClassifier:
    """Load a registered model file, refusing one whose bytes no longer match the recorded SHA-256."""
    with _CACHE_LOCK:
        cached = _CACHE.get(row.sha256)
    if cached is not None:
        return cached
    path = _resolve(row.path)
    try:
        data = path.read_bytes()
    except OSError:
        raise NotFound(f"模型文件不存在：{path}") from None
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise ValidationFailed(
            f"模型文件校验失败（SHA-256 与登记值不符）：{path}",
            errors=[FieldError("model", "文件可能被修改或替换")],
        )
    model = TextClassifier.from_bytes(data).prepare()
    with _CACHE_LOCK:
        _CACHE[row.sha256] = model
    return model


def model_status(row: TriageModel) -> str:
    """``正常``, ``文件缺失`` or ``校验失败`` (the file's SHA-256 differs from the recorded one)."""
    path = _resolve(row.path)
    try:
        data = path.read_bytes()
    except OSError:
        return "文件缺失"
    return "正常" if hashlib.sha256(data).hexdigest() == row.sha256 else "校验失败"


def keyword_classifier() -> KeywordClassifier:
    """The keyword fallback over the current taxonomy (rebuilt only when the taxonomy changes)."""
    global _KEYWORDS
    taxonomy = load_taxonomy()
    with _CACHE_LOCK:
        if _KEYWORDS is None or _KEYWORDS[0] is not taxonomy:
            _KEYWORDS = (taxonomy, KeywordClassifier(taxonomy))
        return _KEYWORDS[1]


def active_classifier(*, session: Session) -> TextClassifier | KeywordClassifier:
    """The active trained model (cached by SHA-256), else the taxonomy keyword classifier.

    A registered file that is missing or fails its checksum is logged and skipped, so intake keeps
    working on the keyword fallback; ``tianping complaints models`` shows the problem.
    """
    row = active_model(session=session)
    if row is not None:
        try:
            return load_registered(row)
        except (NotFound, ValidationFailed) as exc:
            log.error("active triage model #%s unusable, using keywords: %s", row.id, exc.message)
    return keyword_classifier()


def record_correction(
    *,
    session: Session,
    ticket: Ticket,
    new_category: str,
    actor: Actor,
    taxonomy: Taxonomy | None = None,
) -> Correction:
    """An officer sets the ticket's category; the (text, category) pair feeds the next training run."""
    actor.require(Perm.COMPLAINT_HANDLE)
    tax = taxonomy or load_taxonomy()
    code = new_category.strip()
    if not code:
        raise ValidationFailed("请选择分类", errors=[FieldError("new_category", "请选择分类")])
    if code not in tax:
        raise ValidationFailed(
            "分类代码不存在", errors=[FieldError("new_category", f"“{code}”不在投诉分类目录中")]
        )
    old = ticket.category_code
    now = utcnow()
    correction = Correction(
        ticket_id=ticket.id,
        at=now,
        by_user_id=actor.user_id,
        old_category=old,
        new_category=code,
        text=ticket_text(ticket),
    )
    session.add(correction)
    ticket.category_code = code
    ticket.category_source = "officer"
    ticket.category_confidence = None
    ticket.needs_review = False
    ticket.updated_at = now
    # The 12345 limit depends on the category's hotline class: move the clock's deadline with it.
    clocks.retime_clock(session=session, ticket=ticket, kind="hotline")
    old_label, new_label = tax.label(old), tax.label(code)
    clocks.ticket_event(
        session,
        ticket,
        actor=actor,
        action="recategorised",
        note=f"分类更正：{old_label} → {new_label}",
        data={"old": old, "new": code},
        at=now,
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="complaints.ticket.recategorise",
        object_type="complaints_ticket",
        object_id=ticket.id,
        summary=f"工单 {ticket.ticket_no} 分类更正：{old_label} → {new_label}",
        detail={"old": old, "new": code, "correction_id": correction.id},
    )
    return correction
