"""Benchmark of the evidence log's Merkle core, side by side with pymerkle on the same leaves.

    .venv/bin/python bench/bench_evidence_merkle.py            # N = 10^4, 10^5 and 10^6 (~30 s)
    .venv/bin/python bench/bench_evidence_merkle.py --quick    # N = 10^4 and 10^5 only (seconds)
    .venv/bin/python bench/bench_evidence_merkle.py --sizes 20000 --samples 300

For each N, in one run and on the same fictitious leaves (canonical-JSON entries of ~300 bytes, as
the vault logs them):

1. build: leaf hashing plus appending in batches of 1,000 — ours into a ``MemoryNodeStore``
   (perfect-subtree hashes, as the database keeps them), pymerkle's ``InmemoryTree.append_entries``;
2. root of the whole tree;
3. inclusion proof for ``--samples`` random leaves — ours read from the node store
   (``inclusion_proof_from_store``, one ``get_nodes`` call per proof), pymerkle's
   ``prove_inclusion(index + 1, size)`` (1-based);
4. verification of those proofs (ours RFC 9162 §2.1.3.2; pymerkle ``verify_inclusion``);
5. consistency proofs from random older sizes, and their verification.

Every proof is checked: ours verify, pymerkle's verify, and pymerkle's audit path (after its leading
leaf hash) must equal ours, and both roots must agree. Targets at 1,000,000 entries: inclusion proof
median ≤ 1 ms and verification median ≤ 0.1 ms (p95 is printed beside them).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

INCLUSION_TARGET_MS = 1.0
VERIFY_TARGET_MS = 0.1
TARGET_SIZE = 1_000_000
BATCH = 1_000


def make_leaves(n: int) -> list[bytes]:
    """Deterministic, fictitious entries in the vault's canonical JSON form."""
    out = []
    for i in range(n):
        sha = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
        out.append(
            (
                '{"action":null,"kind":"evidence","links":{"case":"CASE-2026-%06d","incident":null,'
                '"ticket":null},"media_type":"image/png","nonce":"%016x","purpose":"网络交易监督检查取证",'
                '"ref":null,"registered_at":"2026-03-01T08:00:00.250Z","sha256":"%s","size":%d,'
                '"sm3":null,"submitter":"officer-%02d","v":1}'
            ).encode()
            % (i % 1_000_000, i * 2654435761 % 2**64, sha.encode(), 1000 + i % 90_000, i % 37)
        )
    return out


def _ms(samples_ns: list[int]) -> tuple[float, float]:
    ordered = sorted(samples_ns)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) / 1e6, p95 / 1e6


def _time_each(items: list[int], op: Callable[[int], object]) -> list[int]:
    gc.collect()
    out = []
    clock = time.perf_counter_ns
    for item in items:
        t0 = clock()
        op(item)
        out.append(clock() - t0)
    return out


@dataclass
class Figures:
    build_rate: float  # leaves per second
    root_ms: float
    incl_med: float
    incl_p95: float
    verify_med: float
    verify_p95: float
    cons_med: float
    cons_verify_med: float
    proof_len: float


def bench_ours(
    leaves: list[bytes], indices: list[int], olds: list[int]
) -> tuple[Figures, bytes, dict[int, list[bytes]]]:
    from tianping.evidence import merkle

    n = len(leaves)
    gc.collect()
    t0 = time.perf_counter()
    store = merkle.MemoryNodeStore()
    leaf_hashes: list[bytes] = []
    for start in range(0, n, BATCH):
        batch = [merkle.leaf_hash(d) for d in leaves[start : start + BATCH]]
        leaf_hashes.extend(batch)
        store.append(batch)
    build_s = time.perf_counter() - t0

    root_ns = _time_each([n] * 50, lambda size: merkle.root_from_store(store, size))
    root = merkle.root_from_store(store, n)
    proofs: dict[int, list[bytes]] = {}

    def prove(i: int) -> None:
        proofs[i] = merkle.inclusion_proof_from_store(store, i, n)

    incl = _time_each(indices, prove)
    results: list[bool] = []
    verify = _time_each(
        indices, lambda i: results.append(merkle.verify_inclusion(leaf_hashes[i], i, n, proofs[i], root))
    )
    if not all(results):
        raise SystemExit("BUG: one of our inclusion proofs did not verify")

    cons_proofs: dict[int, list[bytes]] = {}
    old_roots = {m: merkle.root_from_store(store, m) for m in olds}

    def prove_cons(m: int) -> None:
        cons_proofs[m] = merkle.consistency_proof_from_store(store, m, n)

    cons = _time_each(olds, prove_cons)
    cons_ok: list[bool] = []
    cons_verify = _time_each(
        olds, lambda m: cons_ok.append(merkle.verify_consistency(m, n, old_roots[m], root, cons_proofs[m]))
    )
    if not all(cons_ok):
        raise SystemExit("BUG: one of our consistency proofs did not verify")
    incl_med, incl_p95 = _ms(incl)
    ver_med, ver_p95 = _ms(verify)
    figures = Figures(
        build_rate=n / build_s,
        root_ms=_ms(root_ns)[0],
        incl_med=incl_med,
        incl_p95=incl_p95,
        verify_med=ver_med,
        verify_p95=ver_p95,
        cons_med=_ms(cons)[0],
        cons_verify_med=_ms(cons_verify)[0],
        proof_len=statistics.fmean(len(p) for p in proofs.values()),
    )
    return figures, root, proofs


def bench_pymerkle(
    leaves: list[bytes],
    indices: list[int],
    olds: list[int],
    our_root: bytes,
    our_proofs: dict[int, list[bytes]],
) -> Figures:
    from pymerkle import InmemoryTree, verify_consistency, verify_inclusion

    n = len(leaves)
    gc.collect()
    t0 = time.perf_counter()
    tree = InmemoryTree()
    for start in range(0, n, BATCH):
        tree.append_entries(leaves[start : start + BATCH])
    build_s = time.perf_counter() - t0

    root_ns = _time_each([n] * 50, lambda size: tree.get_root(size))
    root = tree.get_root(n)
    if root != our_root:
        raise SystemExit("BUG: pymerkle and Tianping disagree on the root")
    proofs = {}

    def prove(i: int) -> None:
        proofs[i] = tree.prove_inclusion(i + 1, n)  # pymerkle indices are 1-based

    incl = _time_each(indices, prove)
    leaf_hashes = {i: tree.get_leaf(i + 1) for i in indices}
    verify = _time_each(indices, lambda i: verify_inclusion(leaf_hashes[i], root, proofs[i]))  # raises if bad
    for i in indices:
        if list(proofs[i].path[1:]) != our_proofs[i]:
            raise SystemExit(f"BUG: pymerkle's audit path for leaf {i} differs from ours")

    cons_proofs = {}
    old_roots = {m: tree.get_root(m) for m in olds}

    def prove_cons(m: int) -> None:
        cons_proofs[m] = tree.prove_consistency(m, n)

    cons = _time_each(olds, prove_cons)
    cons_verify = _time_each(olds, lambda m: verify_consistency(old_roots[m], root, cons_proofs[m]))
    incl_med, incl_p95 = _ms(incl)
    ver_med, ver_p95 = _ms(verify)
    return Figures(
        build_rate=n / build_s,
        root_ms=_ms(root_ns)[0],
        incl_med=incl_med,
        incl_p95=incl_p95,
        verify_med=ver_med,
        verify_p95=ver_p95,
        cons_med=_ms(cons)[0],
        cons_verify_med=_ms(cons_verify)[0],
        proof_len=statistics.fmean(len(p.path) for p in proofs.values()),
    )


def _row(label: str, ours: float, theirs: float, unit: str, higher_is_better: bool = False) -> str:
    ratio = (ours / theirs if higher_is_better else theirs / ours) if ours and theirs else float("nan")
    fmt = ",.0f" if unit == "leaves/s" else ".4f"
    return f"  {label:<34} {ours:>12{fmt}} {theirs:>12{fmt}}  {unit:<9} ×{ratio:>6.2f}"


def run(size: int, samples: int, seed: int) -> bool:
    rnd = random.Random(seed + size)
    t0 = time.perf_counter()
    leaves = make_leaves(size)
    print(f"[merkle] N = {size:,}: generated {size:,} fictitious leaves in {time.perf_counter() - t0:.1f} s")
    indices = [rnd.randrange(size) for _ in range(samples)]
    olds = sorted({rnd.randrange(1, size) for _ in range(max(50, samples // 5))})
    ours, root, our_proofs = bench_ours(leaves, indices, olds)
    theirs = bench_pymerkle(leaves, indices, olds, root, our_proofs)
    title = f"operation (N = {size:,})"
    print(f"  {title:<34} {'Tianping':>12} {'pymerkle':>12}  {'unit':<9} speed-up")
    print(
        _row("build (hash + append)", ours.build_rate, theirs.build_rate, "leaves/s", higher_is_better=True)
    )
    print(_row("root of the whole tree", ours.root_ms, theirs.root_ms, "ms"))
    print(_row("inclusion proof, median", ours.incl_med, theirs.incl_med, "ms"))
    print(_row("inclusion proof, p95", ours.incl_p95, theirs.incl_p95, "ms"))
    print(_row("inclusion verification, median", ours.verify_med, theirs.verify_med, "ms"))
    print(_row("inclusion verification, p95", ours.verify_p95, theirs.verify_p95, "ms"))
    print(_row("consistency proof, median", ours.cons_med, theirs.cons_med, "ms"))
    print(_row("consistency verification, median", ours.cons_verify_med, theirs.cons_verify_med, "ms"))
    print(
        f"  ({samples} inclusion and {len(olds)} consistency samples; audit path {ours.proof_len:.1f} "
        f"hashes, pymerkle's {theirs.proof_len:.1f} incl. the leaf; roots and audit paths identical; "
        "pymerkle caches roots, ours are recomputed from the stored nodes on every call)"
    )
    if size != TARGET_SIZE:
        return True
    ok_incl = ours.incl_med <= INCLUSION_TARGET_MS
    ok_ver = ours.verify_med <= VERIFY_TARGET_MS
    print(
        f"[merkle] {'PASS' if ok_incl else 'FAIL'}: inclusion proof median {ours.incl_med:.4f} ms "
        f"(p95 {ours.incl_p95:.4f} ms) vs target ≤ {INCLUSION_TARGET_MS} ms at {TARGET_SIZE:,} entries"
    )
    print(
        f"[merkle] {'PASS' if ok_ver else 'FAIL'}: verification median {ours.verify_med:.4f} ms "
        f"(p95 {ours.verify_p95:.4f} ms) vs target ≤ {VERIFY_TARGET_MS} ms at {TARGET_SIZE:,} entries"
    )
    return ok_incl and ok_ver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--samples", type=int, default=2_000, help="random leaves to prove (≥ 1000 for p95)")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--quick", action="store_true", help="only N = 10^4 and 10^5")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = [10_000, 100_000]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    results = [run(size, args.samples, args.seed) for size in args.sizes]
    if TARGET_SIZE not in args.sizes:
        print(f"[bench] targets are checked at N = {TARGET_SIZE:,}; run without --quick to check them")
    print("[bench] ALL PASS" if all(results) else "[bench] SOME TARGETS FAILED")
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
