"""The batching writer: concurrent submitters, one transaction per batch, acknowledgements after commit."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.evidence.evidence_support import ADMIN, BUSINESS, OFFICER, Vault
from tianping.core.errors import Conflict
from tianping.evidence import service
from tianping.evidence.log import Appended
from tianping.evidence.models import EvidenceCheckpoint, EvidenceEntry
from tianping.evidence.schemas import HashRegistrationIn, ItemIn
from tianping.evidence.standalone_verifier import verify_receipt
from tianping.evidence.writer import EvidenceLog, WriterClosed

THREADS = 8
PER_THREAD = 30


def _registration(n: int, key: str | None = None) -> HashRegistrationIn:
    return HashRegistrationIn(sha256=f"{n:064x}", purpose=f"并发登记 {n}", idempotency_key=key)


def test_concurrent_submitters_are_batched_and_all_durable(committed_engine: Engine, vault: Vault) -> None:
    acks: dict[int, Appended] = {}
    lock = threading.Lock()
    with EvidenceLog(engine=committed_engine, keyring=vault.keyring, batch_max=64, wait_ms=5) as writer:

        def work(thread: int) -> None:
            for k in range(PER_THREAD):
                n = thread * PER_THREAD + k
                if k % 10 == 0:  # some real files among the digests
                    sub = service.prepare_item(
                        actor=OFFICER,
                        source=io.BytesIO(f"并发证据文件 {n}".encode()),
                        item_in=ItemIn(purpose="并发证据"),
                        blobs=vault.blobs,
                    )
                else:
                    sub = service.prepare_hash_registration(actor=BUSINESS, registration_in=_registration(n))
                ack = writer.append(sub)
                with lock:
                    acks[n] = ack

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(work, range(THREADS)))
        batches = writer.batches

    total = THREADS * PER_THREAD
    assert sorted(a.leaf_index for a in acks.values()) == list(range(total))
    assert 1 <= batches < total  # submissions were grouped
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(EvidenceEntry)) == total
        assert session.scalar(select(func.count()).select_from(EvidenceCheckpoint)) == batches
        for ack in (acks[0], acks[total - 1], acks[total // 2]):
            receipt = service.receipt_for(session, ack)
            assert receipt["tree_size"] == ack.tree_size and verify_receipt(receipt).verified
        report = service.audit_store(session=session, actor=ADMIN, blobs=vault.blobs, keyring=vault.keyring)
        assert report.ok, report.problems
        assert report.files == THREADS * ((PER_THREAD + 9) // 10)


def test_retries_with_one_key_append_once_conflicts_stay_local(
    committed_engine: Engine, vault: Vault
) -> None:
    with EvidenceLog(engine=committed_engine, keyring=vault.keyring, batch_max=32, wait_ms=50) as writer:
        same = [
            writer.submit(
                service.prepare_hash_registration(
                    actor=BUSINESS, registration_in=_registration(7, "retry-key-7")
                )
            )
            for _ in range(5)
        ]
        clash = writer.submit(
            service.prepare_hash_registration(actor=BUSINESS, registration_in=_registration(8, "retry-key-7"))
        )
        other = writer.submit(
            service.prepare_hash_registration(actor=BUSINESS, registration_in=_registration(9))
        )
        results = [f.result(timeout=30) for f in same]
        with pytest.raises(Conflict):
            clash.result(timeout=30)
        assert not other.result(timeout=30).duplicate
    assert len({r.leaf_index for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(EvidenceEntry)) == 2
    with pytest.raises(WriterClosed):
        writer.submit(service.prepare_hash_registration(actor=BUSINESS, registration_in=_registration(10)))


def test_process_writer_uses_the_process_engine(committed_engine: Engine, vault: Vault) -> None:
    from tianping.evidence.writer import close_process_writer, process_writer

    writer = process_writer()
    assert process_writer() is writer
    writer.keyring = vault.keyring
    try:
        ack = writer.append(
            service.prepare_hash_registration(actor=BUSINESS, registration_in=_registration(1))
        )
    finally:
        close_process_writer()
    assert ack.leaf_index == 0 and ack.receipt is not None and verify_receipt(ack.receipt).verified
    assert process_writer() is not writer
    close_process_writer()
