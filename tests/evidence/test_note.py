"""note.py against golang.org/x/mod, sum.golang.org, C2SP and transparency-dev/formats vectors."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tianping.evidence import note

VECTORS = Path(__file__).parent / "vectors"


def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


GO = _load("golang-mod-sumdb-note.json")
SUMDB = _load("sum-golang-org-checkpoints.json")
C2SP = _load("c2sp-checkpoint-and-note.json")
PETER, ENOCH = GO["peter"], GO["enoch"]


# --------------------------------------------------------------------------------------------------
# Keys


def test_key_ids_match_the_vectors() -> None:
    for key in (PETER["verifier_key"], ENOCH["verifier_key"], SUMDB["verifier_key"]):
        parsed = note.parse_verifier_key(key)
        assert str(parsed) == key
        assert note.key_id(parsed.name, parsed.public_key).hex() == key.split("+")[1]
    # the recipe spelled out: SHA-256(name || "\n" || 0x01 || public key)[:4]
    peter = note.parse_verifier_key(PETER["verifier_key"])
    assert hashlib.sha256(b"PeterNeumann\n\x01" + peter.public_key).digest()[:4].hex() == "c74f20a3"


def test_signer_key_parses_and_derives_its_verifier() -> None:
    signer = note.parse_signer_key(PETER["signer_key"])
    assert str(signer) == PETER["signer_key"]
    assert note.verifier_key_for(PETER["signer_key"]) == PETER["verifier_key"]
    assert "AYEK" not in repr(signer)  # the seed is never shown


def test_every_mangled_verifier_key_is_rejected() -> None:
    """As in golang.org/x/mod: every proper substring and every single-byte increment fails."""
    key = PETER["verifier_key"]
    for i in range(len(key) + 1):
        for j in range(i + 1, len(key) + 1):
            if (i, j) != (0, len(key)):
                with pytest.raises(note.NoteError):
                    note.parse_verifier_key(key[i:j])
    for i in range(len(key)):
        mangled = key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :]
        with pytest.raises(note.NoteError):
            note.parse_verifier_key(mangled)
    for bad in GO["bad_verifier_keys"]:
        with pytest.raises(note.NoteError):
            note.parse_verifier_key(bad["key"])


def test_every_mangled_signer_key_is_rejected() -> None:
    key = PETER["signer_key"]
    for i in range(len(key) + 1):
        for j in range(i + 1, len(key) + 1):
            if (i, j) != (0, len(key)):
                with pytest.raises(note.NoteError):
                    note.parse_signer_key(key[i:j])
    for i in range(len(key)):
        mangled = key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :]
        with pytest.raises(note.NoteError):
            note.parse_signer_key(mangled)


def test_key_errors_say_what_is_wrong() -> None:
    with pytest.raises(note.NoteError, match="does not match the key"):
        note.parse_verifier_key(PETER["verifier_key"].replace("c74f20a3", "c74f20a4"))
    with pytest.raises(note.NoteError, match="canonical base64"):  # "…BADKEY==" of the Go vector
        note.parse_verifier_key(GO["bad_verifier_keys"][0]["key"])
    short = b"\x01" + note.parse_verifier_key(PETER["verifier_key"]).public_key[:31]
    short_id = hashlib.sha256(b"PeterNeumann\n" + short).digest()[:4].hex()
    with pytest.raises(note.NoteError, match="1 \\+ 32"):
        note.parse_verifier_key(f"PeterNeumann+{short_id}+{base64.b64encode(short).decode()}")
    with pytest.raises(note.NoteError, match="unknown signature algorithm"):
        note.parse_verifier_key(GO["bad_verifier_keys"][1]["key"])
    with pytest.raises(note.NoteError, match="8 lowercase hex"):
        note.parse_verifier_key(PETER["verifier_key"].replace("c74f20a3", "C74F20A3"))
    with pytest.raises(note.NoteError, match="must not contain"):
        note.generate_signer("bad name")
    with pytest.raises(note.NoteError, match="must not contain"):
        note.generate_signer("a+b")


def test_generated_keys_round_trip() -> None:
    signer, verifier = note.generate_signer("bureau.example/evidence")
    assert signer.startswith("PRIVATE+KEY+bureau.example/evidence+")
    assert note.verifier_key_for(signer) == verifier
    signed = note.sign_note("hello\n", signer)
    assert note.open_note(signed, [verifier]) == ("hello\n", ["bureau.example/evidence"])
    _other_signer, other_verifier = note.generate_signer("bureau.example/evidence")
    assert other_verifier != verifier
    with pytest.raises(note.NoteError, match="no signature by a known key"):
        note.open_note(signed, [other_verifier])


# --------------------------------------------------------------------------------------------------
# Signing and opening


def test_sign_reproduces_the_go_vector_byte_for_byte() -> None:
    assert note.sign_note(GO["text"], PETER["signer_key"]) == GO["signed_by_peter"]


def test_open_with_one_known_and_one_unknown_signature() -> None:
    text = GO["text"] + "\n" + GO["peter_signature_line"] + GO["enoch_signature_line"]
    assert note.open_note(text, [PETER["verifier_key"]]) == (GO["text"], ["PeterNeumann"])
    body, names = note.open_note(text, [PETER["verifier_key"], ENOCH["verifier_key"]])
    assert body == GO["text"] and names == ["PeterNeumann", "EnochRoot"]
    assert note.open_note(text.encode("utf-8"), [ENOCH["verifier_key"]])[1] == ["EnochRoot"]
    with pytest.raises(note.NoteError, match="no signature by a known key"):
        note.open_note(text, [])


def test_a_bad_signature_by_a_known_key_rejects_the_note() -> None:
    sig = GO["peter_signature_line"]
    broken = GO["text"] + "\n" + sig[:60] + "ABCD" + sig[60:]
    with pytest.raises(note.NoteError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        note.open_note(broken, [PETER["verifier_key"]])
    # ... but is ignored while that key is not trusted
    enoch_sig = GO["enoch_signature_line"]
    mixed = GO["text"] + "\n" + sig + enoch_sig[:60] + "ABCD" + enoch_sig[60:]
    assert note.open_note(mixed, [PETER["verifier_key"]])[1] == ["PeterNeumann"]


def test_duplicated_signatures_count_once() -> None:
    sig, enoch = GO["peter_signature_line"], GO["enoch_signature_line"]
    text = GO["text"] + "\n" + sig + sig + enoch + enoch
    assert note.open_note(text, [PETER["verifier_key"]])[1] == ["PeterNeumann"]


def test_malformed_notes_are_rejected() -> None:
    for bad in GO["malformed_notes"]:
        with pytest.raises(note.NoteError):
            note.open_note(bad, [PETER["verifier_key"]])
    with pytest.raises(note.NoteError, match="UTF-8"):
        note.open_note(
            b"\xff" + (GO["text"] + "\n" + GO["peter_signature_line"]).encode(), [PETER["verifier_key"]]
        )
    too_many = GO["text"] + "\n" + GO["peter_signature_line"] * (GO["max_signatures_upstream"] + 1)
    with pytest.raises(note.NoteError, match="more than 100"):
        note.open_note(too_many, [PETER["verifier_key"]])
    sixteen = GO["text"] + "\n" + GO["peter_signature_line"] * 16  # the spec's minimum must pass
    assert note.open_note(sixteen, [PETER["verifier_key"]])[1] == ["PeterNeumann"]


def test_sign_refuses_bad_text() -> None:
    with pytest.raises(note.NoteError, match="end with a newline"):
        note.sign_note("abc", PETER["signer_key"])
    with pytest.raises(note.NoteError, match="control character"):
        note.sign_note("a\tb\n", PETER["signer_key"])
    with pytest.raises(note.NoteError, match="non-empty"):
        note.sign_note("", PETER["signer_key"])


def test_trusted_keys_must_be_well_formed() -> None:
    peter = note.parse_verifier_key(PETER["verifier_key"])
    forged = note.VerifierKey(peter.name, peter.key_id, hashlib.sha256(b"other").digest())
    with pytest.raises(note.NoteError, match="does not match the key"):  # an id that is not its key's
        note.open_note(GO["signed_by_peter"], [PETER["verifier_key"], str(forged)])
    with pytest.raises(note.NoteError, match="list of verifier key strings"):
        note.open_note(GO["signed_by_peter"], PETER["verifier_key"])  # type: ignore[arg-type]
    # the same key twice is harmless
    assert note.open_note(GO["signed_by_peter"], [PETER["verifier_key"]] * 2)[1] == ["PeterNeumann"]


def test_a_note_with_blank_lines_in_its_text() -> None:
    example = C2SP["signed_note_example"]
    body, signatures = note.split_note(example)
    assert body.endswith("ed è subito sera.\n") and "\n\n" in body
    assert [s.name for s in signatures] == ["quasimodo.example/salvatore"]
    signer, verifier = note.generate_signer("quasimodo.example/salvatore")
    signed = note.sign_note(body, signer)
    assert note.open_note(signed, [verifier])[0] == body


# --------------------------------------------------------------------------------------------------
# Real checkpoints and checkpoint text


def test_real_sum_golang_org_checkpoints_verify() -> None:
    for cp in SUMDB["checkpoints"]:
        text = f"{SUMDB['origin']}\n{cp['size']}\n{cp['root_b64']}\n\n{cp['signature_line']}"
        body, names = note.open_note(text, [SUMDB["verifier_key"]])
        assert names == ["sum.golang.org"]
        parsed = note.parse_checkpoint(body)
        assert (parsed.origin, parsed.size, base64.b64encode(parsed.root).decode()) == (
            SUMDB["origin"],
            cp["size"],
            cp["root_b64"],
        )
        assert note.format_checkpoint(parsed.origin, parsed.size, parsed.root) == body
        tampered = text.replace(f"\n{cp['size']}\n", f"\n{cp['size'] + 1}\n")
        with pytest.raises(note.NoteError, match="invalid signature"):
            note.open_note(tampered, [SUMDB["verifier_key"]])


def test_c2sp_checkpoint_example_parses_but_its_key_is_unknown() -> None:
    body, signatures = note.split_note(C2SP["tlog_checkpoint_example"])
    cp = note.parse_checkpoint(body)
    assert (cp.origin, cp.size, len(cp.root), cp.extensions) == (
        "example.com/behind-the-sofa",
        20852163,
        32,
        (),
    )
    assert signatures[0].name == "example.com/behind-the-sofa" and len(signatures[0].signature) == 64
    with pytest.raises(note.NoteError, match="no signature by a known key"):
        note.open_note(C2SP["tlog_checkpoint_example"], [SUMDB["verifier_key"]])


def test_checkpoint_marshal_vectors() -> None:
    for case in C2SP["checkpoint_marshal"]:
        root = case["root_ascii"].encode()
        # the formats vectors use short placeholder hashes; Tianping formats only SHA-256 roots
        with pytest.raises(note.NoteError, match="32-byte"):
            note.format_checkpoint(case["origin"], case["size"], root)
        parsed = note.parse_checkpoint(case["want"], hash_size=None)
        assert (parsed.origin, parsed.size, parsed.root) == (case["origin"], case["size"], root)


@pytest.mark.parametrize("case", C2SP["checkpoint_unmarshal"], ids=lambda c: c["desc"])
def test_checkpoint_unmarshal_vectors(case: dict[str, Any]) -> None:
    if case.get("wantErr") or case.get("tianping_rejects"):
        with pytest.raises(note.NoteError):
            note.parse_checkpoint(case["m"], hash_size=None)
        return
    parsed = note.parse_checkpoint(case["m"], hash_size=None)
    assert parsed == note.Checkpoint(
        case["origin"], case["size"], case["root_ascii"].encode(), tuple(case["extensions"])
    )
    with pytest.raises(note.NoteError, match="not 32"):
        note.parse_checkpoint(case["m"])  # our logs only ever have SHA-256 roots


def test_checkpoint_rules() -> None:
    root = hashlib.sha256(b"x").digest()
    body = note.format_checkpoint("bureau.example/evidence", 0, root)
    assert note.parse_checkpoint(body) == note.Checkpoint("bureau.example/evidence", 0, root)
    for bad in ("007", "+7", " 7", "18446744073709551616", "1e3"):
        with pytest.raises(note.NoteError, match="tree size"):
            note.parse_checkpoint(f"o\n{bad}\n{base64.b64encode(root).decode()}\n")
    with pytest.raises(note.NoteError, match="origin"):
        note.format_checkpoint("two\nlines", 1, root)
    with pytest.raises(note.NoteError, match="tree size"):
        note.format_checkpoint("o", -1, root)
    with pytest.raises(note.NoteError, match="tree size"):
        note.format_checkpoint("o", True, root)
    with pytest.raises(note.NoteError, match="canonical"):  # non-zero padding bits
        note.parse_checkpoint("o\n1\n" + base64.b64encode(root).decode()[:-2] + "9=\n")


@settings(max_examples=100, deadline=None)
@given(
    origin=st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\n"),
        min_size=1,
        max_size=40,
    ),
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
)
def test_checkpoint_round_trip(origin: str, size: int, root: bytes) -> None:
    assert note.parse_checkpoint(note.format_checkpoint(origin, size, root)) == note.Checkpoint(
        origin, size, root
    )


@settings(max_examples=150, deadline=None)
@given(
    body=st.text(min_size=1, max_size=200)
    | st.text(alphabet=st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010), max_size=5),
    junk=st.binary(max_size=120),
)
def test_parsers_fail_only_with_note_error(body: str, junk: bytes) -> None:
    candidates = (body, junk, body + "\n\n" + junk.decode("latin-1"), body + "\n\n— k " + body + "\n")
    for candidate in candidates:
        with contextlib.suppress(note.NoteError):
            note.open_note(candidate, [PETER["verifier_key"]])
    for parse in (note.parse_checkpoint, note.parse_verifier_key, note.parse_signer_key):
        with contextlib.suppress(note.NoteError):
            parse(body)
        with contextlib.suppress(note.NoteError):
            parse(body + "\n")
