"""The correction loop: officer correction → next training includes it → registered active model →
``active_classifier`` returns it (verified by SHA-256), with timeline and audit events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.complaints_ml.corpus import corpus
from tianping.complaints import training
from tianping.complaints.classifier import KeywordClassifier, TextClassifier
from tianping.complaints.models import Correction, Ticket, TicketEvent, TriageModel
from tianping.core.audit import AuditEvent
from tianping.core.authz import Actor, Role
from tianping.core.errors import PermissionDenied, ValidationFailed
from tianping.core.settings import get_settings

OFFICER = Actor(user_id=None, username="officer-test", roles=frozenset({Role.OFFICER}))
ANALYST = Actor(user_id=None, username="analyst-test", roles=frozenset({Role.ANALYST}))
ADMIN = Actor(user_id=None, username="admin-test", roles=frozenset({Role.ADMIN}))
NOW = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    training._CACHE.clear()
    yield
    training._CACHE.clear()


def make_ticket(session: Session, no: str, title: str, text: str, category: str | None = None) -> Ticket:
    ticket = Ticket(
        ticket_no=no,
        channel="web",
        kind="complaint",
        status="registered",
        received_at=NOW,
        registered_at=NOW,
        title=title,
        text=text,
        category_code=category,
        category_source="model" if category else None,
        category_confidence=0.4 if category else None,
        needs_review=True,
        updated_at=NOW,
    )
    session.add(ticket)
    session.flush()
    return ticket


def test_record_correction_updates_ticket_timeline_and_audit(db_session: Session) -> None:
    ticket = make_ticket(db_session, "ML-T-1", "健身卡退费", "健身房关门，私教课余额不退", "online.coupon")
    correction = training.record_correction(
        session=db_session, ticket=ticket, new_category="prepaid.fitness", actor=OFFICER
    )
    assert correction.old_category == "online.coupon" and correction.new_category == "prepaid.fitness"
    assert correction.text == "健身卡退费\n健身房关门，私教课余额不退"
    assert (ticket.category_code, ticket.category_source, ticket.needs_review) == (
        "prepaid.fitness",
        "officer",
        False,
    )
    event = db_session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).one()
    assert event.action == "recategorised" and event.data == {
        "old": "online.coupon",
        "new": "prepaid.fitness",
    }
    assert "预付式消费/体育健身" in (event.note or "")
    audit = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "complaints.ticket.recategorise")
    ).one()
    assert audit.object_id == str(ticket.id) and audit.actor_username == "officer-test"
    assert training.correction_rows(session=db_session) == [(correction.text, "prepaid.fitness")]


def test_correction_is_validated_and_permission_checked(db_session: Session) -> None:
    ticket = make_ticket(db_session, "ML-T-2", "标题", "正文")
    with pytest.raises(ValidationFailed) as exc:
        training.record_correction(session=db_session, ticket=ticket, new_category="no.such", actor=OFFICER)
    assert exc.value.errors[0].field == "new_category"
    with pytest.raises(ValidationFailed, match="请选择分类"):
        training.record_correction(session=db_session, ticket=ticket, new_category=" ", actor=OFFICER)
    with pytest.raises(PermissionDenied):
        training.record_correction(session=db_session, ticket=ticket, new_category="food", actor=ANALYST)
    assert ticket.category_code is None
    assert db_session.scalars(select(Correction)).all() == []


def test_latest_correction_per_ticket_wins(db_session: Session) -> None:
    ticket = make_ticket(db_session, "ML-T-3", "外卖", "饭菜有异物")
    training.record_correction(
        session=db_session, ticket=ticket, new_category="prepaid.catering", actor=OFFICER
    )
    training.record_correction(session=db_session, ticket=ticket, new_category="food", actor=OFFICER)
    assert training.correction_rows(session=db_session) == [("外卖\n饭菜有异物", "food")]


def test_no_model_falls_back_to_keywords(db_session: Session) -> None:
    assert isinstance(training.active_classifier(session=db_session), KeywordClassifier)


def test_correction_loop_trains_registers_and_activates(db_session: Session) -> None:
    ticket = make_ticket(db_session, "ML-T-4", "网店赠品没给", "说好的赠品一直没有寄出", "online.logistics")
    training.record_correction(session=db_session, ticket=ticket, new_category="online.coupon", actor=OFFICER)
    texts, labels = corpus()
    extra = training.correction_rows(session=db_session)
    assert extra == [("网店赠品没给\n说好的赠品一直没有寄出", "online.coupon")]
    first = TextClassifier.train(texts, labels)
    older = training.register_model(
        session=db_session, classifier=first, rows=len(texts), corrections=0, metrics={}, actor=ADMIN
    )
    model = TextClassifier.train(texts + [t for t, _ in extra], labels + [c for _, c in extra])
    row = training.register_model(
        session=db_session,
        classifier=model,
        rows=len(texts) + 1,
        corrections=1,
        metrics={"macro_f1": 0.9},
        actor=ADMIN,
    )
    db_session.refresh(older)
    assert row.active and not older.active
    assert row.path.startswith("models/triage-") and row.path.endswith(".json.gz")
    assert (get_settings().home / row.path).is_file()
    assert row.labels == list(model.labels) and row.corrections == 1
    used = db_session.scalars(select(Correction)).one()
    assert used.used_by_model_id == row.id
    assert db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "complaints.model.register")
    ).all()
    active = training.active_classifier(session=db_session)
    assert isinstance(active, TextClassifier)
    assert active is training.active_classifier(session=db_session)  # cached by sha256
    text = "网店赠品没给\n说好的赠品一直没有寄出"
    assert active.predict([text]) == model.predict([text])
    assert [m.id for m in training.list_models(session=db_session)][:2] == [row.id, older.id]


def test_register_requires_admin(db_session: Session) -> None:
    texts, labels = corpus()
    with pytest.raises(PermissionDenied):
        training.register_model(
            session=db_session,
            classifier=TextClassifier.train(texts, labels),
            rows=len(texts),
            corrections=0,
            metrics={},
            actor=ANALYST,
        )


def test_tampered_model_file_is_not_used(db_session: Session, tmp_path: Path) -> None:
    texts, labels = corpus()
    path = tmp_path / "model.json.gz"
    row = training.register_model(
        session=db_session,
        classifier=TextClassifier.train(texts, labels),
        path=path,
        rows=len(texts),
        corrections=0,
        metrics={},
        actor=ADMIN,
    )
    assert row.path == str(path.resolve())
    assert training.model_status(row) == "正常"
    path.write_bytes(path.read_bytes() + b"x")
    assert training.model_status(row) == "校验失败"
    with pytest.raises(ValidationFailed, match="校验失败"):
        training.load_registered(row)
    fallback = training.active_classifier(session=db_session)
    assert isinstance(fallback, KeywordClassifier)
    assert fallback is training.keyword_classifier()  # rebuilt only when the taxonomy changes
    path.unlink()
    assert training.model_status(row) == "文件缺失"
    assert isinstance(training.active_classifier(session=db_session), KeywordClassifier)
    db_session.delete(row)
    db_session.flush()
    assert db_session.scalars(select(TriageModel).where(TriageModel.active.is_(True))).all() == []
