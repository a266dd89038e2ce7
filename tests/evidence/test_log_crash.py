"""Crash test: a process appending in batches is killed with SIGKILL at random moments, several
times. Every acknowledged submission must be in the log exactly once, the store must audit clean,
and resubmitting what was not acknowledged (same idempotency keys) must not duplicate anything."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from tests.evidence.crash_child import content_of, is_file
from tests.evidence.evidence_support import ADMIN, OFFICER, make_vault
from tianping.evidence import service
from tianping.evidence.models import EvidenceEntry
from tianping.evidence.standalone_verifier import verify_receipt

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("crash_child.py")
TOTAL = 2_000
KILLS = 5


class Child:
    """The child process and the acknowledgements it printed (read on a thread, line by line)."""

    def __init__(self, url: str, vault: Path, keys_file: Path, errors: Path) -> None:
        env = os.environ | {"PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'src'}", "TIANPING_MODE": "test"}
        self.errors = errors
        with errors.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(CHILD), url, str(vault), str(keys_file)],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env=env,
            )
        self.acks: list[tuple[str, int, bool]] = []
        self.done = False
        self.first_ack = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.endswith("\n"):
                break  # cut off by the kill: never counted as acknowledged
            parts = line.split()
            if parts == ["DONE"]:
                self.done = True
            elif len(parts) == 4 and parts[0] == "ACK":
                self.acks.append((parts[1], int(parts[2]), parts[3] == "1"))
                self.first_ack.set()
        self.first_ack.set()

    def _close(self) -> None:
        self.reader.join(timeout=30)
        assert self.proc.stdout is not None
        self.proc.stdout.close()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._close()

    def finish(self) -> str:
        self.proc.wait(timeout=600)
        self._close()
        return self.errors.read_text(errors="replace")


@pytest.mark.slow
def test_kill_minus_nine_loses_nothing_acknowledged_and_duplicates_nothing(
    committed_url: str, tmp_path: Path
) -> None:
    rng = random.Random(20260701)
    vault_dir = tmp_path / "vault"
    keys = [f"crash-{n:05d}" for n in range(TOTAL)]
    acknowledged: dict[str, int] = {}
    duplicates_seen = 0
    kills = 0
    for round_no in range(KILLS + 1):
        pending = [k for k in keys if k not in acknowledged]
        keys_file = tmp_path / f"keys-{round_no}.txt"
        keys_file.write_text("\n".join(pending))
        child = Child(committed_url, vault_dir, keys_file, tmp_path / f"child-{round_no}.err")
        if round_no < KILLS:
            assert child.first_ack.wait(timeout=120), "the child never acknowledged anything"
            time.sleep(rng.uniform(0.05, 0.8))
            child.kill()
            kills += 1 if not child.done else 0
        else:
            err = child.finish()
            assert child.proc.returncode == 0 and child.done, err[-3000:]
        for key, leaf_index, duplicate in child.acks:
            if key in acknowledged:
                # acknowledged twice is allowed only as a duplicate naming the same leaf
                assert duplicate and acknowledged[key] == leaf_index
            acknowledged[key] = leaf_index
            duplicates_seen += duplicate

    assert kills >= KILLS - 1, "the children finished before they could be killed"
    assert set(acknowledged) == set(keys)
    engine = create_engine(committed_url)
    vault = make_vault(vault_dir)
    try:
        with Session(engine) as session:
            rows = session.execute(select(EvidenceEntry.idempotency_key, EvidenceEntry.leaf_index)).all()
            assert len(rows) == TOTAL  # nothing lost, nothing duplicated
            assert {k: i for k, i in rows} == acknowledged
            assert sorted(i for _k, i in rows) == list(range(TOTAL))
            assert session.scalar(select(func.count(func.distinct(EvidenceEntry.sha256)))) == TOTAL
            report = service.audit_store(
                session=session, actor=ADMIN, blobs=vault.blobs, keyring=vault.keyring
            )
            assert report.ok, report.problems[:5]
            assert report.files == sum(1 for k in keys if is_file(k))
            for key in rng.sample(keys, 10):
                receipt = service.receipt(session=session, actor=OFFICER, leaf_index=acknowledged[key])
                assert receipt["entry"]["kind"] == ("evidence" if is_file(key) else "hash_registration")
                assert verify_receipt(receipt, content_of(key)).verified
    finally:
        engine.dispose()
    # The figure of interest in the log: how many committed-but-unacknowledged entries came back.
    print(f"crash test: {kills} kills, {duplicates_seen} resubmissions answered from the log")


def test_two_processes_append_to_one_log(committed_url: str, tmp_path: Path) -> None:
    """Leaf indices are allocated under the log lock: two writers in two processes interleave their
    batches without a gap, a clash or a broken tree."""
    vault_dir = tmp_path / "vault"
    children = []
    for name in ("a", "b"):
        keys_file = tmp_path / f"keys-{name}.txt"
        keys_file.write_text("\n".join(f"proc{name}-{n:05d}" for n in range(300)))
        children.append(Child(committed_url, vault_dir, keys_file, tmp_path / f"{name}.err"))
    for child in children:
        err = child.finish()
        assert child.proc.returncode == 0 and child.done, err[-3000:]
    acks = [a for child in children for a in child.acks]
    assert sorted(i for _k, i, _d in acks) == list(range(600))
    engine = create_engine(committed_url)
    vault = make_vault(vault_dir)
    try:
        with Session(engine) as session:
            report = service.audit_store(
                session=session, actor=ADMIN, blobs=vault.blobs, keyring=vault.keyring
            )
            assert report.ok and report.entries == 600, report.problems[:5]
            assert len(service.key_history(session=session)) == 1  # the first writer created the key
    finally:
        engine.dispose()
