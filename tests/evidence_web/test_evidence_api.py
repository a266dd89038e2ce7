"""The evidence JSON API: public intake and verification, receipts by capability, custody, roles."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.evidence_web.evidence_web_support import CHAT, SCREENSHOT, bearer, make_people, png
from tianping.evidence.models import EvidenceEntry
from tianping.evidence.standalone_verifier import verify_receipt

API = "/api/v1/evidence"


def _fields(resp: object) -> set[str]:
    body = resp.json()  # type: ignore[attr-defined]
    assert "detail" in body and "code" in body, body
    return {e["field"] for e in body["errors"]}


def test_anyone_hands_in_a_file_and_gets_a_receipt_with_its_capability(client: TestClient) -> None:
    resp = client.post(
        API, data={"purpose": "complaint", "ticket": "TS-9"}, files={"file": ("a.png", SCREENSHOT)}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["duplicate"] is False and body["entry"]["media_type"] == "image/png"
    assert body["entry"]["purpose"] == "消费投诉证据" and body["entry"]["links"]["ticket"] == "TS-9"
    assert verify_receipt(body["receipt"], SCREENSHOT).verified
    assert body["receipt_url"] == f"/evidence/receipts/{body['leaf_index']}?t={body['receipt_token']}"
    leaf = body["leaf_index"]

    fetched = client.get(f"{API}/{leaf}/receipt", params={"t": body["receipt_token"]})
    assert fetched.status_code == 200 and fetched.json()["entry"] == body["entry"]
    for params in ({}, {"t": "f" * 32}, {"t": "short"}):
        denied = client.get(f"{API}/{leaf}/receipt", params=params)
        assert denied.status_code == 404 and body["entry"]["sha256"] not in denied.text
    assert client.get(f"{API}/{leaf}").status_code == 401
    assert client.get(API).status_code == 401


def test_public_rules_and_idempotent_retries(client: TestClient, db_session: Session) -> None:
    free_text = client.post(API, data={"purpose": "我的投诉"}, files={"file": ("a.png", SCREENSHOT)})
    assert free_text.status_code == 422 and _fields(free_text) == {"purpose"}
    with_case = client.post(
        API, data={"purpose": "complaint", "case": "AJ-1"}, files={"file": ("a.png", SCREENSHOT)}
    )
    assert with_case.status_code == 422 and _fields(with_case) == {"case"}
    bad_key = client.post(
        API,
        data={"purpose": "complaint"},
        files={"file": ("a.png", SCREENSHOT)},
        headers={"Idempotency-Key": "x"},
    )
    assert bad_key.status_code == 422 and _fields(bad_key) == {"idempotency_key"}
    phone = client.post(
        API, data={"purpose": "complaint", "ticket": "13812345678"}, files={"file": ("a.png", SCREENSHOT)}
    )
    assert phone.status_code == 422 and _fields(phone) == {"ticket"}
    binary = client.post(
        API, data={"purpose": "complaint"}, files={"file": ("a.bin", b"\x00\x01\x02\x03" * 8)}
    )
    assert binary.status_code == 422 and _fields(binary) == {"file"}
    assert db_session.scalar(select(EvidenceEntry.leaf_index).limit(1)) is None

    headers = {"Idempotency-Key": "retry-0001-complaint"}
    first = client.post(API, data={"purpose": "report"}, files={"file": ("c.txt", CHAT)}, headers=headers)
    again = client.post(API, data={"purpose": "report"}, files={"file": ("c.txt", CHAT)}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["duplicate"] is True and again.json()["leaf_index"] == first.json()["leaf_index"]
    assert again.json()["receipt_token"] == first.json()["receipt_token"]
    other = client.post(
        API, data={"purpose": "report"}, files={"file": ("p.png", SCREENSHOT)}, headers=headers
    )
    assert other.status_code == 409 and _fields(other) == {"idempotency_key"}
    assert len(db_session.scalars(select(EvidenceEntry)).all()) == 1


def test_officers_keep_view_export_and_attach(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    officer = bearer(db_session, people.officer)
    db_session.commit()
    kept = client.post(
        API,
        data={"purpose": "执法检查：网店页面截图", "case": "AJ-2025-0042"},
        files={"file": ("page.bin", png((1, 2, 3)), "application/octet-stream")},
        headers=officer,
    )
    assert kept.status_code == 201, kept.text
    entry = kept.json()["entry"]
    assert entry["links"]["case"] == "AJ-2025-0042" and entry["media_type"] == "image/png"
    leaf = kept.json()["leaf_index"]

    item = client.get(f"{API}/{leaf}", headers=officer)
    assert item.status_code == 200 and item.json()["sha256"] == entry["sha256"]
    exported = client.post(f"{API}/{leaf}/export", json={"purpose": "移送"}, headers=officer)
    assert exported.status_code == 200 and exported.content == png((1, 2, 3))
    attached = client.post(f"{API}/{leaf}/attach", json={"links": {"ticket": "TS-77"}}, headers=officer)
    assert attached.status_code == 201 and attached.json()["entry"]["action"] == "attach"
    bad_link = client.post(f"{API}/{leaf}/attach", json={"links": {"case": "has space"}}, headers=officer)
    assert bad_link.status_code == 422 and _fields(bad_link) == {"case"}
    no_link = client.post(f"{API}/{leaf}/attach", json={"links": {}}, headers=officer)
    assert no_link.status_code == 422 and _fields(no_link) == {"case"}
    control = client.post(f"{API}/{leaf}/export", json={"purpose": "a\nb"}, headers=officer)
    assert control.status_code == 422 and _fields(control) == {"purpose"}

    custody = client.get(f"{API}/{leaf}/custody", headers=officer).json()
    assert [(c["action"], c["ref_index"]) for c in custody] == [
        ("view", leaf),
        ("export", leaf),
        ("attach", leaf),
    ]
    assert custody[1]["purpose"] == "移送" and custody[2]["ticket"] == "TS-77"
    listed = client.get(API, params={"case": "AJ-2025-0042", "kind": "evidence"}, headers=officer).json()
    assert listed["total"] == 1 and listed["items"][0]["leaf_index"] == leaf
    assert client.get(API, params={"kind": "custody"}, headers=officer).json()["total"] == 3
    for bad in ({"kind": "nonsense"}, {"ticket": "a\x00b"}, {"case": "a b"}, {"sha256": "12"}):
        refused = client.get(API, params=bad, headers=officer)
        assert refused.status_code == 422 and _fields(refused) == set(bad), bad

    # roles: analysts and platform handlers see nothing of it, member units read but cannot export
    for user in (people.analyst, people.business):
        headers = bearer(db_session, user)
        db_session.commit()
        assert client.get(f"{API}/{leaf}", headers=headers).status_code == 404
        assert client.get(f"{API}/{leaf}/custody", headers=headers).status_code == 404
        assert client.get(f"{API}/{leaf}/receipt", headers=headers).status_code == 404
        assert client.post(f"{API}/{leaf}/export", headers=headers).status_code == 404
        assert client.get(API, headers=headers).json()["total"] == 0
    member = bearer(db_session, people.member)
    db_session.commit()
    assert client.get(f"{API}/{leaf}", headers=member).status_code == 200
    assert client.post(f"{API}/{leaf}/export", headers=member).status_code == 403
    assert (
        client.post(f"{API}/{leaf}/attach", json={"links": {"case": "X-1"}}, headers=member).status_code
        == 403
    )


def test_hash_registrations(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    shop = bearer(db_session, people.business)
    db_session.commit()
    digest = hashlib.sha256(b"fictitious recipe").hexdigest()
    body = {"sha256": digest.upper(), "purpose": "配方（商业秘密）", "size": 17, "links": {"ticket": None}}
    assert client.post(f"{API}/hash-registrations", json=body).status_code == 401
    resp = client.post(f"{API}/hash-registrations", json=body, headers=shop)
    assert resp.status_code == 201, resp.text
    assert resp.json()["entry"]["sha256"] == digest and resp.json()["entry"]["kind"] == "hash_registration"
    assert verify_receipt(resp.json()["receipt"]).verified
    mine = client.get(API, headers=shop).json()
    assert [i["leaf_index"] for i in mine["items"]] == [resp.json()["leaf_index"]]
    for bad, field in (
        ({"sha256": "abc", "purpose": "x"}, "sha256"),
        ({"sha256": digest, "purpose": "联系人身份证 110105198001010024"}, "purpose"),
        ({"sha256": digest, "purpose": ""}, "purpose"),
        ({"sha256": digest, "purpose": "x", "links": {"case": "a b"}}, "case"),
    ):
        refused = client.post(f"{API}/hash-registrations", json=bad, headers=shop)
        assert refused.status_code == 422 and field in _fields(refused), (bad, refused.text)
    # exporting a digest-only registration: nothing to export (own entry, but no export right anyway)
    assert client.post(f"{API}/{resp.json()['leaf_index']}/export", headers=shop).status_code == 403


def test_verification_checkpoint_and_keys_are_public(client: TestClient) -> None:
    empty = client.get(f"{API}/checkpoint")
    assert empty.status_code == 404 and empty.json()["code"] == "not_found"
    assert client.get(f"{API}/keys").json() == []
    submitted = client.post(API, data={"purpose": "other"}, files={"file": ("c.txt", CHAT)}).json()
    receipt = submitted["receipt"]

    ok = client.post(
        f"{API}/verify", json={"receipt": receipt, "file_sha256": hashlib.sha256(CHAT).hexdigest()}
    )
    assert ok.status_code == 200 and ok.json()["verified"] is True
    altered = hashlib.sha256(CHAT + b" ").hexdigest()
    failed = client.post(f"{API}/verify", json={"receipt": receipt, "file_sha256": altered}).json()
    assert failed["verified"] is False
    (check,) = [c for c in failed["checks"] if c["name"] == "file_sha256"]
    assert check["status"] == "failed" and check["message_zh"].startswith(
        "文件内容与存证记录的 SHA-256 摘要不一致"
    )
    malformed = client.post(f"{API}/verify", json={"receipt": receipt, "file_sha256": "zz"})
    assert malformed.status_code == 422 and _fields(malformed) == {"file_sha256"}
    junk = client.post(f"{API}/verify", json={"receipt": {"format": "tianping-receipt/1"}}).json()
    assert junk["verified"] is False and any(c["status"] == "failed" for c in junk["checks"])

    latest = client.get(f"{API}/checkpoint").json()
    assert latest["tree_size"] == receipt["tree_size"] and latest["note"] == receipt["checkpoint"]
    keys = client.get(f"{API}/keys").json()
    assert [k["verifier_key"] for k in keys] == [k["verifier_key"] for k in receipt["log_public_keys"]]
