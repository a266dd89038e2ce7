"""The batching writer: many concurrent submitters, one transaction per batch.

Submitters (request handlers, import jobs) call :meth:`EvidenceLog.submit` with a prepared
:class:`~tianping.evidence.log.Submission` (files are already stored durably by then) and wait on the
returned future. One writer thread takes what is pending — up to ``evidence_batch_max``
submissions, waiting at most ``evidence_batch_wait_ms`` for a batch to fill — and appends it in one
:func:`~tianping.evidence.log.durable_session`: entries, tree nodes, one signed checkpoint, audit
events. Futures are resolved only after the commit, so an acknowledged entry is durable; if the
process dies first, nothing of that batch is acknowledged and nothing of it is in the log (the
transaction is atomic), and resubmitting with the same idempotency keys cannot duplicate.

The writer owns its unit of work (the one exception to "services never commit"); several processes
may each run one, the log lock serialises their batches.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy import Engine

from tianping.core.errors import TianpingError
from tianping.core.settings import Settings, get_settings
from tianping.evidence.keys import KeyRing
from tianping.evidence.log import Appended, Submission, append, durable_session

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    submission: Submission
    future: Future[Appended]


class WriterClosed(RuntimeError):
    pass


class EvidenceLog:
    GAP = 0.002  # seconds without a new submission that close a batch early

    def __init__(
        self,
        *,
        engine: Engine | None = None,
        keyring: KeyRing | None = None,
        settings: Settings | None = None,
        batch_max: int | None = None,
        wait_ms: int | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.engine = engine
        self.keyring = keyring or KeyRing.for_settings(self.settings)
        self.batch_max = batch_max or self.settings.evidence_batch_max
        self.wait = (self.settings.evidence_batch_wait_ms if wait_ms is None else wait_ms) / 1000
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()
        self.batches = 0
        self.appended = 0

    def __enter__(self) -> EvidenceLog:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="evidence-writer", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def submit(self, submission: Submission) -> Future[Appended]:
        if self._closed:
            raise WriterClosed("the evidence writer is closed")
        self.start()
        future: Future[Appended] = Future()
        self._queue.put(_Pending(submission, future))
        return future

    def append(self, submission: Submission, *, timeout: float = 30.0) -> Appended:
        """Submit and wait for the acknowledgement (raises the submission's error, if any)."""
        return self.submit(submission).result(timeout=timeout)

    def _take_batch(self, first: _Pending) -> tuple[list[_Pending], bool]:
        """What is pending now, plus what keeps arriving: the batch closes when the queue stayed
        empty for :attr:`GAP` seconds, when ``wait`` has passed since the first submission, or when
        it holds ``batch_max`` submissions. Under load batches grow; a lone submission waits ≤ GAP."""
        batch = [first]
        deadline = time.monotonic() + self.wait
        while len(batch) < self.batch_max:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = min(self.GAP, deadline - time.monotonic())
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch, stop = self._take_batch(first)
            self._write(batch)
        # drain what arrived before close()
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self._write([item])

    def _write(self, batch: list[_Pending]) -> None:
        live = [p for p in batch if p.future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            with durable_session(self.engine) as session:
                outcomes = append(
                    session, [p.submission for p in live], keyring=self.keyring, settings=self.settings
                )
        except Exception as exc:  # the whole batch failed and was rolled back: tell every submitter
            log.exception("evidence batch of %d failed", len(live))
            for p in live:
                p.future.set_exception(exc)
            return
        self.batches += 1
        for p, outcome in zip(live, outcomes, strict=True):
            if isinstance(outcome, TianpingError):
                p.future.set_exception(outcome)
            else:
                self.appended += 0 if outcome.duplicate else 1
                p.future.set_result(outcome)


_process_writer: EvidenceLog | None = None
_process_lock = threading.Lock()


def process_writer() -> EvidenceLog:
    """The writer of this process (created on first use, on the process's engine and settings).

    Edges submit through it; the application closes it on shutdown (:func:`close_process_writer`).
    """
    global _process_writer
    with _process_lock:
        if _process_writer is None:
            _process_writer = EvidenceLog()
            _process_writer.start()
        return _process_writer


def close_process_writer() -> None:
    """Finish the queued submissions and stop the process's writer (if it was started)."""
    global _process_writer
    with _process_lock:
        writer, _process_writer = _process_writer, None
    if writer is not None:
        writer.close()
