"""Child process of the crash test: submits evidence through the batching writer and prints one line
``ACK <idempotency key> <leaf index> <duplicate 0|1>`` per acknowledgement, the moment it is given.

Usage: ``python crash_child.py DATABASE_URL VAULT_DIR KEYS_FILE``. Every key stands for a fixed
content (so a resubmission is the same submission); one in four is a file kept in the vault, the
others are hash registrations. The parent kills this process with SIGKILL at random moments.
"""

from __future__ import annotations

import hashlib
import io
import queue
import sys
import threading
from pathlib import Path

from tianping.core.authz import Actor, Role
from tianping.core.db import make_engine
from tianping.evidence import service
from tianping.evidence.blobs import BlobStore
from tianping.evidence.keys import KeyRing
from tianping.evidence.schemas import HashRegistrationIn, ItemIn
from tianping.evidence.writer import EvidenceLog

SUBMITTERS = 4
OFFICER = Actor(user_id=7, username="crash-officer", roles=frozenset({Role.OFFICER}))


def content_of(key: str) -> bytes:
    return f"示例证据 {key} ".encode() * (1 + int(hashlib.sha256(key.encode()).hexdigest(), 16) % 50)


def is_file(key: str) -> bool:
    return int(key.rsplit("-", 1)[1]) % 4 == 0


def main() -> None:
    url, vault_dir, keys_file = sys.argv[1:4]
    vault = Path(vault_dir)
    blobs, keyring = BlobStore(vault / "blobs"), KeyRing(vault / "keys")
    engine = make_engine(url=url)
    pending: queue.Queue[str] = queue.Queue()
    for key in Path(keys_file).read_text().split():
        pending.put(key)
    out_lock = threading.Lock()

    with EvidenceLog(engine=engine, keyring=keyring, batch_max=16, wait_ms=2) as writer:

        def submit_all() -> None:
            while True:
                try:
                    key = pending.get_nowait()
                except queue.Empty:
                    return
                content = content_of(key)
                if is_file(key):
                    submission = service.prepare_item(
                        actor=OFFICER,
                        source=io.BytesIO(content),
                        item_in=ItemIn(purpose="崩溃测试证据", idempotency_key=key),
                        blobs=blobs,
                    )
                else:
                    submission = service.prepare_hash_registration(
                        actor=OFFICER,
                        registration_in=HashRegistrationIn(
                            sha256=hashlib.sha256(content).hexdigest(),
                            purpose="崩溃测试登记",
                            idempotency_key=key,
                        ),
                    )
                ack = writer.append(submission)
                with out_lock:
                    sys.stdout.write(f"ACK {key} {ack.leaf_index} {int(ack.duplicate)}\n")
                    sys.stdout.flush()

        threads = [threading.Thread(target=submit_all) for _ in range(SUBMITTERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    sys.stdout.write("DONE\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
