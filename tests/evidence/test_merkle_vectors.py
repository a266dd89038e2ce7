"""merkle.py against published vectors of other implementations (see vectors/README.md)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tianping.evidence import merkle

VECTORS = Path(__file__).parent / "vectors"


def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _b64_list(values: list[str] | None) -> list[bytes]:
    return [_b64(v) for v in values or []]


INCLUSION = _load("transparency-dev-merkle-inclusion.json")["probes"]
CONSISTENCY = _load("transparency-dev-merkle-consistency.json")["probes"]
CONSTANTS = _load("transparency-dev-merkle-constants.json")
CT = _load("google-ct-python-merkle-test.json")

# Where Tianping is stricter than the source (vectors/README.md explains each one).
STRICTER = {
    "testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json": (
        "equal 12-byte placeholder roots; Tianping rejects any hash that is not 32 bytes"
    ),
}


def test_all_transparency_dev_probes_are_present() -> None:
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98
    dirs = {p["source"].rsplit("/", 1)[0] for p in INCLUSION + CONSISTENCY}
    for n in range(5):
        assert f"testdata/inclusion/{n}" in dirs
        assert f"testdata/consistency/{n}" in dirs
    # every probe directory has a happy path that must verify
    happy = [p for p in INCLUSION + CONSISTENCY if not p["wantErr"]]
    assert len(happy) >= 10


@pytest.mark.parametrize("probe", INCLUSION, ids=[p["source"].removeprefix("testdata/") for p in INCLUSION])
def test_inclusion_probe(probe: dict[str, Any]) -> None:
    got = merkle.verify_inclusion(
        _b64(probe["leafHash"]),
        probe["leafIdx"],
        probe["treeSize"],
        _b64_list(probe["proof"]),
        _b64(probe["root"]),
    )
    assert got is (not probe["wantErr"]), probe["desc"]


@pytest.mark.parametrize(
    "probe", CONSISTENCY, ids=[p["source"].removeprefix("testdata/") for p in CONSISTENCY]
)
def test_consistency_probe(probe: dict[str, Any]) -> None:
    got = merkle.verify_consistency(
        probe["size1"], probe["size2"], _b64(probe["root1"]), _b64(probe["root2"]), _b64_list(probe["proof"])
    )
    expected = not probe["wantErr"] and probe["source"] not in STRICTER
    assert got is expected, probe["desc"]


def test_the_stricter_probe_is_only_a_hash_length_question() -> None:
    (probe,) = [p for p in CONSISTENCY if p["source"] in STRICTER]
    assert len(_b64(probe["root1"])) == 12 and probe["root1"] == probe["root2"] and not probe["proof"]
    padded = _b64(probe["root1"]).ljust(32, b"\0")
    assert merkle.verify_consistency(probe["size1"], probe["size2"], padded, padded, []) is True


def test_happy_probes_are_what_this_implementation_generates() -> None:
    """The upstream happy paths are over the canonical 8 leaves: our proofs must equal theirs."""
    leaves = [bytes.fromhex(h) for h in CONSTANTS["leaf_inputs"]]
    checked = 0
    for p in INCLUSION:
        if p["wantErr"] or p["source"].startswith("testdata/inclusion/single-entry"):
            continue
        n, i = p["treeSize"], p["leafIdx"]
        assert merkle.leaf_hash(leaves[i]) == _b64(p["leafHash"])
        assert merkle.root(leaves[:n]) == _b64(p["root"])
        assert merkle.inclusion_proof(leaves[:n], i) == _b64_list(p["proof"])
        checked += 1
    for p in CONSISTENCY:
        if p["wantErr"] or p["size1"] == p["size2"]:
            continue
        m, n = p["size1"], p["size2"]
        assert merkle.root(leaves[:m]) == _b64(p["root1"])
        assert merkle.consistency_proof(leaves[:n], m) == _b64_list(p["proof"])
        checked += 1
    assert checked == 9  # 5 inclusion + 4 consistency happy paths


def test_primitives() -> None:
    for case in CONSTANTS["primitives"]:
        want = bytes.fromhex(case["want"])
        if case["op"] == "empty_root":
            assert merkle.root([]) == merkle.EMPTY_ROOT == want
        elif case["op"] == "leaf_hash":
            assert merkle.leaf_hash(case["data_ascii"].encode()) == want, case["desc"]
        else:
            assert merkle.node_hash(case["left_ascii"].encode(), case["right_ascii"].encode()) == want
    assert merkle.leaf_hash(b"") != merkle.EMPTY_ROOT  # the empty leaf is not the empty tree
    for case in CT["leaf_hashes"]:
        assert merkle.leaf_hash(bytes.fromhex(case["leaf"])).hex() == case["hash"]
    for case in CT["node_hashes"]:
        assert (
            merkle.node_hash(bytes.fromhex(case["left"]), bytes.fromhex(case["right"])).hex() == case["hash"]
        )
    assert merkle.EMPTY_ROOT.hex() == CT["empty_hash"]


def test_the_nine_roots_of_the_reference_tree() -> None:
    leaves = [bytes.fromhex(h) for h in CONSTANTS["leaf_inputs"]]
    roots = CONSTANTS["root_hashes_by_size"]
    assert len(roots) == 9
    store = merkle.MemoryNodeStore()
    for size, want in enumerate(roots):
        assert merkle.root(leaves[:size]).hex() == want
        assert merkle.root_from_store(store, size).hex() == want
        if size < len(leaves):
            store.append_data([leaves[size]])
    assert CT["tree_roots_by_size_from_1"] == roots[1:]


def test_every_complete_subtree_hash_is_stored() -> None:
    store = merkle.MemoryNodeStore()
    store.append_data(bytes.fromhex(h) for h in CONSTANTS["leaf_inputs"])
    want = [[bytes.fromhex(h) for h in level] for level in CONSTANTS["node_hashes_by_level"]]
    assert store.levels == want


def test_ct_python_consistency_vectors() -> None:
    for case in CT["consistency_proofs"]:
        proof = [bytes.fromhex(h) for h in case["proof"]]
        old_root, new_root = bytes.fromhex(case["old_root"]), bytes.fromhex(case["new_root"])
        assert merkle.verify_consistency(case["old_size"], case["new_size"], old_root, new_root, proof)
    for case in CT["consistency_rejections"]:
        proof = [bytes.fromhex(h) for h in case["proof"]]
        old_root, new_root = bytes.fromhex(case["old_root"]), bytes.fromhex(case["new_root"])
        assert not merkle.verify_consistency(case["old_size"], case["new_size"], old_root, new_root, proof), (
            case["what"]
        )


def test_real_certificate_transparency_inclusion_proof() -> None:
    real = CT["real_log_inclusion"]
    leaf = bytes.fromhex(real["leaf_input"])
    assert merkle.leaf_hash(leaf).hex() == real["leaf_hash"]
    path = [bytes.fromhex(h) for h in real["audit_path"]]
    root = bytes.fromhex(real["root"])
    assert len(path) == 22
    assert merkle.verify_inclusion(merkle.leaf_hash(leaf), real["leaf_index"], real["tree_size"], path, root)
    # and each part matters (a size only matters where it changes the shape of the path: the
    # checkpoint signature, not the proof, binds the size to the root)
    assert not merkle.verify_inclusion(
        merkle.leaf_hash(leaf), real["leaf_index"] + 1, real["tree_size"], path, root
    )
    assert not merkle.verify_inclusion(
        merkle.leaf_hash(leaf), real["leaf_index"], real["tree_size"] * 2, path, root
    )
    assert not merkle.verify_inclusion(
        merkle.leaf_hash(leaf), real["leaf_index"], real["tree_size"], path[:-1], root
    )
    assert not merkle.verify_inclusion(
        merkle.leaf_hash(leaf + b"\0"), real["leaf_index"], real["tree_size"], path, root
    )
