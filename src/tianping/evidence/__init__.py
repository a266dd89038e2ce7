"""Evidence vault (电子证据存证库): files and digests in a tamper-evident, append-only log.

* :mod:`~tianping.evidence.merkle`, :mod:`~tianping.evidence.note` — RFC 6962/9162 Merkle trees and
  C2SP signed notes/checkpoints; :mod:`~tianping.evidence.standalone_verifier` — the one-file
  offline receipt verifier (imports nothing from Tianping).
* :mod:`~tianping.evidence.models` — the log tables; :mod:`~tianping.evidence.store` — the stored
  tree as a node store; :mod:`~tianping.evidence.log` — appending batches (the only writer);
  :mod:`~tianping.evidence.writer` — the batching writer thread; :mod:`~tianping.evidence.blobs`,
  :mod:`~tianping.evidence.keys` — files and signing keys under ``<home>/evidence``.
* :mod:`~tianping.evidence.service` — the verbs edges call (keep, register, custody, receipts,
  keys, audit); :mod:`~tianping.evidence.receipts` — receipts and their printable page;
  :mod:`~tianping.evidence.integrity` — the full-store audit.

Operator guide: ``docs/evidence.md``; for courts and counterparties: ``docs/evidence-verifier.md``.
"""
