"""Chain of custody: viewing, exporting and attaching an item are log entries of their own."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.evidence.evidence_support import (
    ADMIN,
    ANALYST,
    BUSINESS,
    OFFICER,
    OTHER_BUSINESS,
    OTHER_OFFICER,
    Vault,
)
from tianping.core.audit import AuditEvent
from tianping.core.errors import NotFound, PermissionDenied, ValidationFailed
from tianping.evidence import service
from tianping.evidence.entries import Links
from tianping.evidence.models import CustodyAction, EntryKind
from tianping.evidence.schemas import CustodyIn
from tianping.evidence.standalone_verifier import verify_receipt

CONTENT = b"fictitious chat log between a consumer and a shop"


def test_view_export_attach_are_logged_and_verifiable(db_session: Session, vault: Vault) -> None:
    item = vault.add(db_session, CONTENT, ticket="TS-1")
    shown, viewed = service.view_item(
        session=db_session, actor=OTHER_OFFICER, leaf_index=item.leaf_index, keyring=vault.keyring
    )
    assert shown.sha256 == item.entry["sha256"] and viewed is not None
    _out, path, exported = service.export_item(
        session=db_session,
        actor=OFFICER,
        leaf_index=item.leaf_index,
        purpose="移送公安",
        keyring=vault.keyring,
        blobs=vault.blobs,
    )
    assert path.read_bytes() == CONTENT
    attached = service.attach_item(
        session=db_session,
        actor=OFFICER,
        leaf_index=item.leaf_index,
        links=Links(case="AJ-2026-0009"),
        keyring=vault.keyring,
    )
    history = service.custody_history(session=db_session, actor=OFFICER, leaf_index=item.leaf_index)
    assert [(h.action, h.ref_index) for h in history] == [
        (CustodyAction.VIEW, 0),
        (CustodyAction.EXPORT, 0),
        (CustodyAction.ATTACH, 0),
    ]
    assert [h.leaf_index for h in history] == [viewed.leaf_index, exported.leaf_index, attached.leaf_index]
    assert history[1].purpose == "移送公安" and history[2].case == "AJ-2026-0009"
    assert {h.sha256 for h in history} == {item.entry["sha256"]}
    assert history[0].submitter != history[1].submitter  # two officers, two pseudonyms
    for h in history:
        receipt = service.receipt(session=db_session, actor=OFFICER, leaf_index=h.leaf_index)
        assert receipt["entry"]["kind"] == "custody" and verify_receipt(receipt).verified
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.startswith("evidence.")).order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "evidence.add",
        "evidence.custody.view",
        "evidence.custody.export",
        "evidence.custody.attach",
    ]
    report = service.audit_store(session=db_session, actor=ADMIN, blobs=vault.blobs, keyring=vault.keyring)
    assert report.ok, report.problems


def test_custody_rules(db_session: Session, vault: Vault) -> None:
    item = vault.add(db_session, CONTENT)
    registration = vault.register(db_session, "ab" * 32)
    with pytest.raises(ValidationFailed) as exc:
        service.record_custody(
            session=db_session,
            actor=OFFICER,
            custody_in=CustodyIn(leaf_index=item.leaf_index, action=CustodyAction.ATTACH),
            keyring=vault.keyring,
        )
    assert exc.value.errors[0].field == "case"
    with pytest.raises(ValidationFailed) as exc:
        service.export_item(
            session=db_session,
            actor=OFFICER,
            leaf_index=registration.leaf_index,
            keyring=vault.keyring,
            blobs=vault.blobs,
        )
    viewed = service.view_item(
        session=db_session, actor=OFFICER, leaf_index=item.leaf_index, keyring=vault.keyring
    )
    custody_index = viewed[1].leaf_index if viewed[1] else -1
    # viewing a custody entry is not itself logged; custody of custody is refused
    _shown, none = service.view_item(
        session=db_session, actor=OFFICER, leaf_index=custody_index, keyring=vault.keyring
    )
    assert none is None
    with pytest.raises(ValidationFailed):
        service.record_custody(
            session=db_session,
            actor=OFFICER,
            custody_in=CustodyIn(leaf_index=custody_index, action=CustodyAction.VIEW),
            keyring=vault.keyring,
        )
    with pytest.raises(NotFound):
        service.view_item(session=db_session, actor=OFFICER, leaf_index=999, keyring=vault.keyring)


def test_businesses_register_digests_and_see_only_their_own(db_session: Session, vault: Vault) -> None:
    mine = vault.register(db_session, "cd" * 32, actor=BUSINESS)
    vault.register(db_session, "ef" * 32, actor=OTHER_BUSINESS)
    items, total = service.list_items(session=db_session, actor=BUSINESS)
    assert total == 1 and [i.leaf_index for i in items] == [mine.leaf_index]
    assert service.receipt(session=db_session, actor=BUSINESS, leaf_index=mine.leaf_index)["leaf_index"] == 0
    with pytest.raises(NotFound):
        service.receipt(session=db_session, actor=OTHER_BUSINESS, leaf_index=mine.leaf_index)
    with pytest.raises(PermissionDenied):
        vault.add(db_session, CONTENT, actor=BUSINESS)
    with pytest.raises(PermissionDenied):
        service.export_item(
            session=db_session,
            actor=BUSINESS,
            leaf_index=mine.leaf_index,
            keyring=vault.keyring,
            blobs=vault.blobs,
        )
    everything, total_all = service.list_items(session=db_session, actor=OFFICER)
    assert total_all == 2 and {i.kind for i in everything} == {EntryKind.HASH_REGISTRATION}
    with pytest.raises(NotFound):
        service.get_item(session=db_session, actor=ANALYST, leaf_index=0)
