"""merkle.py against an independent implementation, the store engine, and malformed input.

The independent reference below is written straight from the recursive definitions of RFC 6962
§2.1 (MTH, PATH, PROOF/SUBPROOF), and it verifies proofs by rebuilding the roots along that same
recursion — deliberately unlike the bit-walking verifiers of RFC 9162 that merkle.py implements.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tianping.evidence import merkle

MAX_SIZE = 300
LEAVES = [f"leaf {i} · 存证".encode() + bytes([i % 256]) * (i % 7) for i in range(MAX_SIZE)]


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def ref_mth(lo: int, hi: int) -> bytes:
    """MTH(LEAVES[lo:hi]) by the recursive definition."""
    n = hi - lo
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + LEAVES[lo])
    k = _k(n)
    return _h(b"\x01" + ref_mth(lo, lo + k) + ref_mth(lo + k, hi))


def ref_path(m: int, lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, lo, lo + k), ref_mth(lo + k, hi)]
    return [*ref_path(m - k, lo + k, hi), ref_mth(lo, lo + k)]


def ref_subproof(m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if complete else [ref_mth(lo, hi)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, lo, lo + k, complete), ref_mth(lo + k, hi)]
    return [*ref_subproof(m - k, lo + k, hi, False), ref_mth(lo, lo + k)]


def ref_root_from_path(m: int, n: int, leaf_hash: bytes, path: Sequence[bytes]) -> bytes | None:
    """Rebuild the root along PATH's recursion; None when the path has the wrong length."""
    if n == 1:
        return leaf_hash if not path else None
    if not path:
        return None
    k = _k(n)
    if m < k:
        left = ref_root_from_path(m, k, leaf_hash, path[:-1])
        return None if left is None else _h(b"\x01" + left + path[-1])
    right = ref_root_from_path(m - k, n - k, leaf_hash, path[:-1])
    return None if right is None else _h(b"\x01" + path[-1] + right)


def ref_roots_from_consistency(
    m: int, n: int, proof: Sequence[bytes], old_root: bytes, complete: bool = True
) -> tuple[bytes, bytes] | None:
    """(old root, new root) rebuilt along SUBPROOF's recursion; None for a wrong-length proof."""
    if m == n:
        if complete:
            return (old_root, old_root) if not proof else None
        return (proof[0], proof[0]) if len(proof) == 1 else None
    if not proof:
        return None
    k = _k(n)
    if m <= k:
        inner = ref_roots_from_consistency(m, k, proof[:-1], old_root, complete)
        return None if inner is None else (inner[0], _h(b"\x01" + inner[1] + proof[-1]))
    inner = ref_roots_from_consistency(m - k, n - k, proof[:-1], old_root, False)
    if inner is None:
        return None
    return _h(b"\x01" + proof[-1] + inner[0]), _h(b"\x01" + proof[-1] + inner[1])


@pytest.fixture(scope="module")
def store() -> merkle.MemoryNodeStore:
    s = merkle.MemoryNodeStore()
    rnd = random.Random(7)
    i = 0
    while i < MAX_SIZE:  # appended in uneven batches, as a log would
        step = rnd.randint(1, 23)
        s.append_data(LEAVES[i : i + step])
        i += step
    assert s.size == MAX_SIZE
    return s


def test_roots_for_every_size(store: merkle.MemoryNodeStore) -> None:
    for n in range(MAX_SIZE + 1):
        want = ref_mth(0, n)
        assert merkle.root(LEAVES[:n]) == want, n
        assert merkle.root_from_store(store, n) == want, n


def test_inclusion_for_every_index_and_size(store: merkle.MemoryNodeStore) -> None:
    rnd = random.Random(11)
    checked = 0
    for n in range(1, MAX_SIZE + 1):
        root = ref_mth(0, n)
        sampled_for_list = {0, n - 1, n // 2, *rnd.sample(range(n), min(n, 4))}
        for i in range(n):
            want = ref_path(i, 0, n)
            proof = merkle.inclusion_proof_from_store(store, i, n)
            assert proof == want, (i, n)
            leaf = merkle.leaf_hash(LEAVES[i])
            assert merkle.verify_inclusion(leaf, i, n, proof, root), (i, n)
            assert ref_root_from_path(i, n, leaf, proof) == root
            if i in sampled_for_list:  # the list based reference rebuilds the tree on each call
                assert merkle.inclusion_proof(LEAVES[:n], i) == want, (i, n)
            checked += 1
    assert checked == MAX_SIZE * (MAX_SIZE + 1) // 2


def _old_sizes(n: int, rnd: random.Random) -> set[int]:
    if n <= 48:
        return set(range(1, n + 1))
    picks = {1, 2, 3, n - 2, n - 1, n, n // 2}
    p = 1
    while p < n:
        picks |= {p - 1, p, p + 1}
        p *= 2
    picks |= set(rnd.sample(range(1, n + 1), 6))
    return {m for m in picks if 1 <= m <= n}


def test_consistency_for_sampled_pairs_of_every_size(store: merkle.MemoryNodeStore) -> None:
    rnd = random.Random(13)
    pairs = 0
    for n in range(1, MAX_SIZE + 1):
        new_root = ref_mth(0, n)
        for m in sorted(_old_sizes(n, rnd)):
            want = ref_subproof(m, 0, n, True)
            old_root = ref_mth(0, m)
            assert merkle.consistency_proof_from_store(store, m, n) == want, (m, n)
            assert merkle.consistency_proof(LEAVES[:n], m) == want, (m, n)
            assert merkle.verify_consistency(m, n, old_root, new_root, want), (m, n)
            assert ref_roots_from_consistency(m, n, want, old_root) == (old_root, new_root)
            if m < n:  # the wrong old root never passes
                assert not merkle.verify_consistency(m, n, ref_mth(0, m - 1), new_root, want)
            pairs += 1
    assert pairs > 8000


def test_store_reads_each_proof_in_one_call_with_few_nodes(store: merkle.MemoryNodeStore) -> None:
    calls: list[int] = []

    class Counting:
        def get_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
            calls.append(len(keys))
            return store.get_nodes(keys)

    counting = Counting()
    for n in (1, 2, 3, 255, 256, 257, 299, 300):
        for i in (0, n // 3, n - 1):
            calls.clear()
            merkle.inclusion_proof_from_store(counting, i, n)
            assert len(calls) <= 1 and (not calls or calls[0] <= 2 * n.bit_length()), (i, n, calls)
        calls.clear()
        merkle.root_from_store(counting, n)
        assert calls == [bin(n).count("1")]
        for m in (1, n // 2 or 1, n):
            calls.clear()
            merkle.consistency_proof_from_store(counting, m, n)
            assert len(calls) <= 1 and (not calls or calls[0] <= 2 * n.bit_length()), (m, n, calls)


def test_required_nodes_match_what_the_store_is_asked_for() -> None:
    assert merkle.required_nodes_for_root(0) == []
    assert merkle.required_nodes_for_root(13) == [(3, 0), (2, 2), (0, 12)]
    assert merkle.required_nodes_for_inclusion(0, 1) == []
    assert sorted(merkle.required_nodes_for_inclusion(5, 8)) == sorted([(0, 4), (1, 3), (2, 0)])
    # leaf 6 of 7 has no right neighbour: its path is MTH(leaves 4..5), then MTH(leaves 0..3)
    assert merkle.required_nodes_for_inclusion(6, 7) == [(1, 2), (2, 0)]
    assert merkle.required_nodes_for_consistency(4, 4) == []
    assert sorted(merkle.required_nodes_for_consistency(6, 8)) == sorted([(1, 2), (1, 3), (2, 0)])


def test_append_in_batches_equals_append_one_by_one() -> None:
    rnd = random.Random(3)
    for _ in range(20):
        total = rnd.randint(0, 200)
        hashes = [merkle.leaf_hash(d) for d in LEAVES[:total]]
        one, batched = merkle.MemoryNodeStore(), merkle.MemoryNodeStore()
        for h in hashes:
            one.append([h])
        i = 0
        while i < total:
            step = rnd.randint(0, 40)
            batched.append(hashes[i : i + step])
            i += step
        assert one.levels[: len(batched.levels)] == batched.levels[: len(one.levels)]
        assert (
            merkle.root_from_store(one, total) == merkle.root_from_store(batched, total) == ref_mth(0, total)
        )


def test_new_nodes_for_append_reports_the_completed_nodes_in_order() -> None:
    store = merkle.MemoryNodeStore()
    store.append_data(LEAVES[:5])
    frontier = store.get_nodes(merkle.required_nodes_for_root(5))
    h5, h6, h7 = (merkle.leaf_hash(d) for d in LEAVES[5:8])
    new = merkle.new_nodes_for_append(frontier, 5, [h5, h6, h7])
    assert [(lv, ix) for lv, ix, _ in new] == [(0, 5), (1, 2), (0, 6), (0, 7), (1, 3), (2, 1), (3, 0)]
    assert new[-1][2] == ref_mth(0, 8)
    with pytest.raises(merkle.MissingNodeError):
        merkle.new_nodes_for_append({}, 5, [h5])
    with pytest.raises(ValueError, match="not 32"):
        merkle.new_nodes_for_append(frontier, 5, [b"short"])


def test_missing_nodes_and_bad_sizes_are_clear_errors() -> None:
    small = merkle.MemoryNodeStore()
    small.append_data(LEAVES[:10])
    with pytest.raises(merkle.MissingNodeError, match="fewer leaves"):
        merkle.root_from_store(small, 11)
    with pytest.raises(merkle.MissingNodeError):
        merkle.inclusion_proof_from_store(small, 3, 12)
    with pytest.raises(ValueError, match="outside a tree of size 10"):
        merkle.inclusion_proof_from_store(small, 10, 10)
    with pytest.raises(ValueError, match="0 < old size"):
        merkle.consistency_proof_from_store(small, 0, 10)
    with pytest.raises(ValueError, match="0 < old size"):
        merkle.consistency_proof_from_store(small, 5, 4)
    with pytest.raises(ValueError, match="0 < old size"):
        merkle.consistency_proof(LEAVES[:3], 0)
    with pytest.raises(ValueError):
        merkle.inclusion_proof(LEAVES[:3], -1)
    with pytest.raises(TypeError):
        merkle.root_from_store(small, "3")  # type: ignore[arg-type]


def test_consistency_from_size_zero_is_never_valid() -> None:
    empty = merkle.EMPTY_ROOT
    assert not merkle.verify_consistency(0, 0, empty, empty, [])
    assert not merkle.verify_consistency(0, 1, empty, ref_mth(0, 1), [])
    assert not merkle.verify_consistency(0, 1, empty, ref_mth(0, 1), [ref_mth(0, 1)])


# --------------------------------------------------------------------------------------------------
# Property tests


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8 % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 120),
    data=st.data(),
    target=st.sampled_from(["proof", "root", "leaf"]),
    bit=st.integers(0, 255),
)
def test_any_single_bit_flip_breaks_inclusion(size: int, data: st.DataObject, target: str, bit: int) -> None:
    index = data.draw(st.integers(0, size - 1))
    leaf = merkle.leaf_hash(LEAVES[index])
    proof = ref_path(index, 0, size)
    root = ref_mth(0, size)
    assert merkle.verify_inclusion(leaf, index, size, proof, root)
    if target == "proof":
        if not proof:
            target = "leaf"
        else:
            k = data.draw(st.integers(0, len(proof) - 1))
            proof = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
    if target == "root":
        root = _flip(root, bit)
    elif target == "leaf":
        leaf = _flip(leaf, bit)
    assert not merkle.verify_inclusion(leaf, index, size, proof, root)


@settings(max_examples=300, deadline=None)
@given(
    new_size=st.integers(2, 120),
    data=st.data(),
    target=st.sampled_from(["proof", "old_root", "new_root"]),
    bit=st.integers(0, 255),
)
def test_any_single_bit_flip_breaks_consistency(
    new_size: int, data: st.DataObject, target: str, bit: int
) -> None:
    old_size = data.draw(st.integers(1, new_size - 1))
    proof = ref_subproof(old_size, 0, new_size, True)
    old_root, new_root = ref_mth(0, old_size), ref_mth(0, new_size)
    assert merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)
    if target == "proof":
        k = data.draw(st.integers(0, len(proof) - 1))
        proof = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
    elif target == "old_root":
        old_root = _flip(old_root, bit)
    else:
        new_root = _flip(new_root, bit)
    assert not merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)


_anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.binary(min_size=32, max_size=32),
    st.lists(st.binary(max_size=40), max_size=5),
    st.lists(st.binary(min_size=32, max_size=32), max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(a=_anything, b=_anything, c=_anything, d=_anything, e=_anything)
def test_verifiers_never_raise(a: object, b: object, c: object, d: object, e: object) -> None:
    assert merkle.verify_inclusion(a, b, c, d, e) in (True, False)  # type: ignore[arg-type]
    assert merkle.verify_consistency(a, b, c, d, e) in (True, False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("leaf", "index", "size", "proof", "root"),
    [
        (b"\0" * 32, -1, 1, [], b"\0" * 32),  # negative index
        (b"\0" * 32, 0, -1, [], b"\0" * 32),  # negative size
        (b"\0" * 32, 1, 1, [], b"\0" * 32),  # index == size
        (b"\0" * 31, 0, 1, [], b"\0" * 31),  # short hashes
        (b"\0" * 32, True, 2, [b"\0" * 32], b"\0" * 32),  # bool is not an index
        (b"\0" * 32, 0, 2, "x" * 32, b"\0" * 32),  # proof of the wrong type
        (b"\0" * 32, 0, 2, [b"\0" * 33], b"\0" * 32),  # proof element of the wrong length
        ("0" * 32, 0, 1, [], "0" * 32),  # text is not bytes
        (b"\0" * 32, 0, 2**64, [], b"\0" * 32),  # beyond uint64
    ],
)
def test_malformed_inclusion_input_is_false(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> None:
    assert merkle.verify_inclusion(leaf, index, size, proof, root) is False


def test_a_single_leaf_tree_and_its_root() -> None:
    leaf = merkle.leaf_hash(b"x")
    assert merkle.verify_inclusion(leaf, 0, 1, [], leaf)
    assert merkle.verify_inclusion(bytearray(leaf), 0, 1, (), bytearray(leaf))
    assert not merkle.verify_inclusion(leaf, 0, 1, [leaf], leaf)
