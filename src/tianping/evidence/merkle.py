"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification (SHA-256).

The evidence log is an append-only list of leaves. Its tree is the one of RFC 6962 §2.1 (kept
unchanged by RFC 9162 §2.1.1): ``MTH({}) = SHA-256()``, ``MTH({d}) = SHA-256(0x00 || d)`` and, for
``n > 1`` with ``k`` the largest power of two below ``n``,
``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``. The two prefixes keep a leaf from being
passed off as an inner node (second-preimage resistance).

Two families of functions:

* **List based** (:func:`root`, :func:`inclusion_proof`, :func:`consistency_proof`) take the raw leaf
  data of the whole tree; they are the reference the tests and the benchmark compare against.
* **Store based** (:func:`root_from_store`, :func:`inclusion_proof_from_store`,
  :func:`consistency_proof_from_store`) read only the *perfect subtree* hashes they need from a
  :class:`NodeStore`. Node ``(level, index)`` is the hash of the complete subtree over leaves
  ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes. Any RFC 6962 tree
  head, audit path or consistency proof element is a right-to-left fold of a few such nodes, so a
  persistent log never rebuilds its tree: each call fetches O(log n) nodes in **one**
  :meth:`NodeStore.get_nodes` call (one database round trip).

Appending (:func:`new_nodes_for_append`) needs only the *frontier* of the old tree, i.e. the
perfect nodes along its right edge, which are exactly ``required_nodes_for_root(old_size)``::

    frontier = store.get_nodes(required_nodes_for_root(old_size))
    for level, index, digest in new_nodes_for_append(frontier, old_size, leaf_hashes):
        ...  # store node (level, index)

The verifiers follow RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) and return ``False``
— they never raise — for anything malformed: wrong types, hashes that are not 32 bytes, negative
sizes, an index at or beyond the tree size. As in the reference implementations
(transparency-dev/merkle since 2026, its PR #236), a consistency proof from an old size of 0 is never
valid, not even to a tree of size 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryNodeStore",
    "MissingNodeError",
    "NodeKey",
    "NodeStore",
    "consistency_proof",
    "consistency_proof_from_store",
    "inclusion_proof",
    "inclusion_proof_from_store",
    "leaf_hash",
    "new_nodes_for_append",
    "node_hash",
    "required_nodes_for_consistency",
    "required_nodes_for_inclusion",
    "required_nodes_for_root",
    "root",
    "root_from_store",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
MAX_TREE_SIZE = 2**64 - 1  # tree sizes are uint64 in RFC 6962 / RFC 9162

NodeKey = tuple[int, int]  # (level, index) of a perfect subtree
_sha256 = hashlib.sha256


class MissingNodeError(LookupError):
    """A node store does not hold a node that a tree of the requested size must have."""


class NodeStore(Protocol):
    """Read access to perfect-subtree hashes, keyed ``(level, index)`` (level 0 = leaf hashes)."""

    def get_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """The hashes of those ``keys`` the store holds (absent keys are simply left out)."""
        ...


# --------------------------------------------------------------------------------------------------
# Hashing


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one leaf (RFC 6962 §2.1)."""
    return _sha256(b"\x00" + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an inner node (RFC 6962 §2.1)."""
    return _sha256(b"\x01" + bytes(left) + bytes(right)).digest()


def _fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of adjacent perfect subtrees of strictly decreasing size, given left to right."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = _sha256(b"\x01" + h + acc).digest()
    return acc


def _largest_power_of_two_below(n: int) -> int:
    """``k`` with ``k < n <= 2k`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


# --------------------------------------------------------------------------------------------------
# List based reference functions


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """All levels of the tree, built by pairing and promoting a lone last node unchanged.

    For RFC 6962 trees this promotion yields exactly ``MTH``: the left-complete shape means the
    promoted node is always the root of the ragged right edge.
    """
    level = [leaf_hash(d) for d in leaves]
    out = [level]
    while len(level) > 1:
        nxt = [_sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        out.append(nxt)
        level = nxt
    return out


def root(leaves: Sequence[bytes]) -> bytes:
    """``MTH(leaves)`` of raw leaf data; the empty tree's root is ``SHA-256()``."""
    if not leaves:
        return EMPTY_ROOT
    stack: list[tuple[int, bytes]] = []  # (height, hash) of perfect subtrees, heights decreasing
    for data in leaves:
        height, h = 0, leaf_hash(data)
        while stack and stack[-1][0] == height:
            h = _sha256(b"\x01" + stack.pop()[1] + h).digest()
            height += 1
        stack.append((height, h))
    return _fold([h for _, h in stack])


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path ``PATH(index, leaves)`` (RFC 6962 §2.1.1), bottom-up."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is outside a tree of size {n}")
    proof: list[bytes] = []
    for level in _levels(leaves)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):  # a lone last node is promoted: no proof element at this level
            proof.append(level[sibling])
        index >>= 1
    return proof


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """``PROOF(old_size, leaves)`` (RFC 6962 §2.1.2) between sizes ``old_size`` and ``len(leaves)``."""
    n = len(leaves)
    if not 0 < old_size <= n:
        raise ValueError(f"a consistency proof needs 0 < old size <= new size; got {old_size} and {n}")
    levels = _levels(leaves)

    def mth(lo: int, hi: int) -> bytes:
        # [lo, hi) is aligned: decompose it into perfect subtrees read from the levels table.
        parts = []
        while lo < hi:
            height = min((lo & -lo).bit_length() - 1 if lo else 63, (hi - lo).bit_length() - 1)
            parts.append(levels[height][lo >> height])
            lo += 1 << height
        return _fold(parts)

    out: list[bytes] = []

    def sub(m: int, lo: int, hi: int, complete: bool) -> None:
        size = hi - lo
        if m == size:
            if not complete:
                out.append(mth(lo, hi))
            return
        k = _largest_power_of_two_below(size)
        if m <= k:
            sub(m, lo, lo + k, complete)
            out.append(mth(lo + k, hi))
        else:
            sub(m - k, lo + k, hi, False)
            out.append(mth(lo, lo + k))

    sub(old_size, 0, n, True)
    return out


# --------------------------------------------------------------------------------------------------
# Perfect-subtree plans and the store based engine


def _range_nodes(lo: int, hi: int) -> list[NodeKey]:
    """Perfect subtrees covering ``[lo, hi)`` left to right, largest first (``lo`` aligned)."""
    nodes: list[NodeKey] = []
    while lo < hi:
        height = (hi - lo).bit_length() - 1
        if lo:
            height = min(height, (lo & -lo).bit_length() - 1)
        nodes.append((height, lo >> height))
        lo += 1 << height
    return nodes


def _check_size(size: int, what: str = "tree size") -> None:
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"{what} must be an integer, not {type(size).__name__}")
    if not 0 <= size <= MAX_TREE_SIZE:
        raise ValueError(f"{what} {size} is outside 0..2^64-1")


def _inclusion_plan(index: int, size: int) -> list[list[NodeKey]]:
    """Each audit path element, bottom-up, as the perfect nodes whose fold gives it."""
    _check_size(size)
    _check_size(index, "leaf index")
    if index >= size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    plan: list[list[NodeKey]] = []
    lo, hi = 0, size
    while hi - lo > 1:  # top-down, then reversed
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            plan.append(_range_nodes(lo + k, hi))
            hi = lo + k
        else:
            plan.append(_range_nodes(lo, lo + k))
            lo = lo + k
    plan.reverse()
    return plan


def _consistency_plan(old_size: int, new_size: int) -> list[list[NodeKey]]:
    _check_size(old_size, "old tree size")
    _check_size(new_size, "new tree size")
    if not 0 < old_size <= new_size:
        raise ValueError(f"a consistency proof needs 0 < old size <= new size; got {old_size} and {new_size}")
    plan: list[list[NodeKey]] = []
    m, lo, hi, complete = old_size, 0, new_size, True
    trailing: list[list[NodeKey]] = []  # appended after the recursion unwinds, innermost first
    while hi - lo != m:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            trailing.append(_range_nodes(lo + k, hi))
            hi = lo + k
        else:
            trailing.append(_range_nodes(lo, lo + k))
            m, lo, complete = m - k, lo + k, False
    if not complete:
        plan.append(_range_nodes(lo, hi))
    plan.extend(reversed(trailing))
    return plan


def required_nodes_for_root(size: int) -> list[NodeKey]:
    """The perfect nodes whose fold is the root of a tree of ``size`` leaves (its right edge).

    Left to right, largest first; one per set bit of ``size``. Empty for ``size == 0``.
    """
    _check_size(size)
    return _range_nodes(0, size)


def required_nodes_for_inclusion(index: int, size: int) -> list[NodeKey]:
    """Every perfect node the audit path of leaf ``index`` in a tree of ``size`` leaves needs."""
    return [key for element in _inclusion_plan(index, size) for key in element]


def required_nodes_for_consistency(old_size: int, new_size: int) -> list[NodeKey]:
    """Every perfect node a consistency proof from ``old_size`` to ``new_size`` needs."""
    return [key for element in _consistency_plan(old_size, new_size) for key in element]


def _fetch(store: NodeStore, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    got = store.get_nodes(wanted)
    missing = [k for k in wanted if k not in got]
    if missing:
        level, index = missing[0]
        raise MissingNodeError(
            f"node store lacks {len(missing)} needed node(s), e.g. level {level} index {index}; "
            "it holds fewer leaves than the requested tree size or is damaged"
        )
    return got


def _assemble(plan: list[list[NodeKey]], nodes: Mapping[NodeKey, bytes]) -> list[bytes]:
    return [_fold([nodes[k] for k in element]) for element in plan]


def root_from_store(store: NodeStore, size: int) -> bytes:
    """The root of the first ``size`` leaves, from at most ⌈log2 size⌉ + 1 stored nodes."""
    keys = required_nodes_for_root(size)
    if not keys:
        return EMPTY_ROOT
    nodes = _fetch(store, keys)
    return _fold([nodes[k] for k in keys])


def inclusion_proof_from_store(store: NodeStore, index: int, size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
    plan = _inclusion_plan(index, size)
    return _assemble(plan, _fetch(store, (k for element in plan for k in element)))


def consistency_proof_from_store(store: NodeStore, old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof between the trees of the first ``old_size`` and ``new_size`` leaves."""
    plan = _consistency_plan(old_size, new_size)
    return _assemble(plan, _fetch(store, (k for element in plan for k in element)))


def new_nodes_for_append(
    frontier: Mapping[NodeKey, bytes], start_size: int, new_leaf_hashes: Sequence[bytes]
) -> list[tuple[int, int, bytes]]:
    """The perfect nodes completed by appending ``new_leaf_hashes`` to a tree of ``start_size``.

    ``frontier`` maps each key of ``required_nodes_for_root(start_size)`` to its hash (the old
    tree's right edge, e.g. ``store.get_nodes(required_nodes_for_root(start_size))``; extra keys are
    ignored). Returns ``(level, index, hash)`` triples in the order they complete: every new leaf
    hash (level 0) followed by the inner nodes it closes.
    """
    _check_size(start_size, "start size")
    edge = required_nodes_for_root(start_size)
    missing = [k for k in edge if k not in frontier]
    if missing:
        raise MissingNodeError(
            f"frontier of a tree of size {start_size} lacks node level {missing[0][0]} index {missing[0][1]}"
        )
    stack: list[tuple[int, int, bytes]] = [(lv, ix, bytes(frontier[(lv, ix)])) for lv, ix in edge]
    out: list[tuple[int, int, bytes]] = []
    position = start_size
    for h in new_leaf_hashes:
        if len(h) != HASH_SIZE:
            raise ValueError(f"leaf hash {len(out)} is {len(h)} bytes, not {HASH_SIZE}")
        node = (0, position, bytes(h))
        out.append(node)
        while stack and stack[-1][0] == node[0]:
            left = stack.pop()
            node = (node[0] + 1, left[1] >> 1, _sha256(b"\x01" + left[2] + node[2]).digest())
            out.append(node)
        stack.append(node)
        position += 1
    return out


class MemoryNodeStore:
    """A :class:`NodeStore` kept in memory, one list per level (for tests and benchmarks)."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return len(self.levels[0])

    def get_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        levels = self.levels
        out: dict[NodeKey, bytes] = {}
        for level, index in keys:
            if 0 <= level < len(levels) and 0 <= index < len(levels[level]):
                out[(level, index)] = levels[level][index]
        return out

    def append(self, leaf_hashes: Sequence[bytes]) -> list[tuple[int, int, bytes]]:
        """Append leaf hashes (see :func:`leaf_hash`); returns the nodes this completed."""
        start = self.size
        frontier = self.get_nodes(required_nodes_for_root(start))
        new = new_nodes_for_append(frontier, start, leaf_hashes)
        levels = self.levels
        for level, index, digest in new:
            while len(levels) <= level:
                levels.append([])
            if index != len(levels[level]):  # pragma: no cover - guarded by new_nodes_for_append
                raise AssertionError(f"out-of-order node level {level} index {index}")
            levels[level].append(digest)
        return new

    def append_data(self, leaves: Iterable[bytes]) -> None:
        """Append raw leaf data (hashed with :func:`leaf_hash`)."""
        self.append([leaf_hash(d) for d in leaves])


# --------------------------------------------------------------------------------------------------
# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2); never raises


def _is_hash(value: object) -> bool:
    return isinstance(value, (bytes, bytearray)) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TREE_SIZE


def _proof_ok(proof: object) -> bool:
    return isinstance(proof, (list, tuple)) and all(_is_hash(p) for p in proof)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf with hash ``leaf_hash`` at ``index`` in the tree ``root``.

    RFC 9162 §2.1.3.2. ``False`` (never an exception) for malformed input.
    """
    try:
        if not (_is_hash(leaf_hash) and _is_hash(root) and _proof_ok(proof)):
            return False
        if not (_is_size(index) and _is_size(tree_size)) or index >= tree_size:
            return False
        fn, sn = index, tree_size - 1
        r = bytes(leaf_hash)
        for p in proof:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                r = _sha256(b"\x01" + bytes(p) + r).digest()
                if not fn & 1:
                    while fn and not fn & 1:
                        fn >>= 1
                        sn >>= 1
            else:
                r = _sha256(b"\x01" + r + bytes(p)).digest()
            fn >>= 1
            sn >>= 1
        return sn == 0 and r == bytes(root)
    except Exception:  # a verifier answers yes or no, whatever it is given
        return False


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``new_root`` of ``new_size`` extends ``old_root`` of ``old_size``.

    RFC 9162 §2.1.4.2, which bounds the proof to ``0 < old_size``: an old size of 0 is never valid.
    Equal sizes need an empty proof and equal roots. ``False`` (never an exception) for malformed
    input.
    """
    try:
        if not (_is_hash(old_root) and _is_hash(new_root) and _proof_ok(proof)):
            return False
        if not (_is_size(old_size) and _is_size(new_size)) or not 0 < old_size <= new_size:
            return False
        old_root, new_root = bytes(old_root), bytes(new_root)
        if old_size == new_size:
            return len(proof) == 0 and old_root == new_root
        path = [bytes(p) for p in proof]
        if not path:
            return False
        if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
            path.insert(0, old_root)
        fn, sn = old_size - 1, new_size - 1
        while fn & 1:
            fn >>= 1
            sn >>= 1
        fr = sr = path[0]
        for c in path[1:]:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                fr = _sha256(b"\x01" + c + fr).digest()
                sr = _sha256(b"\x01" + c + sr).digest()
                if not fn & 1:
                    while fn and not fn & 1:
                        fn >>= 1
                        sn >>= 1
            else:
                sr = _sha256(b"\x01" + sr + c).digest()
            fn >>= 1
            sn >>= 1
        return fr == old_root and sr == new_root and sn == 0
    except Exception:  # a verifier answers yes or no, whatever it is given
        return False
