"""Evidence pages through the real app: public intake, receipts by capability, verification,
hash-only registration, the readers' list and item pages with their custody history."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.evidence_web.evidence_web_support import (
    CHAT,
    SCREENSHOT,
    make_people,
    png,
    receipt_json,
    submit,
)
from tests.factories import actor_of, login
from tianping.core import audit
from tianping.core.audit import AuditEvent
from tianping.core.authz import ANONYMOUS
from tianping.core.settings import get_settings
from tianping.core.timeutil import local_today
from tianping.evidence import intake, note, service
from tianping.evidence.models import EvidenceEntry
from tianping.evidence.standalone_verifier import verify_receipt


def _entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(EvidenceEntry)) or 0


def _verify(client: TestClient, receipt: object, **data: str) -> str:
    files = {"receipt": ("回执.json", json.dumps(receipt, ensure_ascii=False).encode(), "application/json")}
    resp = client.post("/evidence/verify", files=files, data=data)
    assert resp.status_code == 200, resp.text[:500]
    return resp.text


def _status(page: str, check: str) -> str:
    match = re.search(rf'data-testid="check-{check}" data-status="(\w+)"', page)
    assert match, f"no {check} check on the page"
    return match.group(1)


def test_a_consumer_hands_in_a_screenshot_and_only_they_can_open_the_receipt(
    client: TestClient, db_session: Session
) -> None:
    form = client.get("/evidence/submit")
    assert form.status_code == 200 and "提交电子证据" in form.text and "不含您的姓名" in form.text
    # the client calls it text/plain: the type is taken from the file's first bytes, not from the client
    mine = submit(client, SCREENSHOT, ticket="TS-2025-000318", content_type="text/plain")
    page = client.get(mine.location)
    assert page.status_code == 200
    assert "存证成功" in page.text and hashlib.sha256(SCREENSHOT).hexdigest() in page.text
    assert "<svg" in page.text and "TS-2025-000318" in page.text and "第十一条" in page.text

    receipt = receipt_json(client, mine.leaf_index, mine.token)
    assert verify_receipt(receipt, SCREENSHOT).verified
    entry = receipt["entry"]
    assert entry["media_type"] == "image/png" and entry["purpose"] == "消费投诉证据"
    assert entry["links"] == {"ticket": "TS-2025-000318", "case": None, "incident": None}
    # nothing personal in the receipt: a pseudonym, no address, no account
    assert entry["submitter"].startswith("tp-") and "testclient" not in json.dumps(receipt)
    printable = client.get(f"/evidence/receipts/{mine.leaf_index}/receipt.html?t={mine.token}")
    assert printable.status_code == 200 and "attachment" in printable.headers["content-disposition"]
    assert "电子证据存证回执" in printable.text

    # without the token, with a wrong one, or with another entry's token: not found
    other = submit(client, CHAT, purpose="report", filename="chat.txt", content_type="text/plain")
    for url in (
        f"/evidence/receipts/{mine.leaf_index}",
        f"/evidence/receipts/{mine.leaf_index}?t={'0' * 32}",
        f"/evidence/receipts/{mine.leaf_index}?t={other.token}",
        f"/evidence/receipts/{mine.leaf_index}/receipt.json?t={other.token}",
        "/evidence/receipts/99",
    ):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert entry["sha256"] not in resp.text
    # and anonymous visitors cannot list or open items
    assert client.get("/evidence").status_code == 303
    assert client.get(f"/evidence/{mine.leaf_index}").status_code == 303

    row = db_session.get(EvidenceEntry, other.leaf_index)
    assert row is not None and row.media_type == "text/plain" and row.submitted_by is None
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.add")).all()
    assert [e.ip for e in events] == ["testclient", "testclient"]


def test_bad_submissions_name_the_field_and_write_nothing(client: TestClient, db_session: Session) -> None:
    cases = [
        ({"purpose": "complaint"}, None, "请选择要提交的文件"),
        ({"purpose": "complaint"}, ("x.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"), "无法识别该文件的类型"),
        ({"purpose": "complaint"}, ("empty.png", b""), "不能登记空文件"),
        ({"purpose": "complaint", "ticket": "13812345678"}, ("a.png", SCREENSHOT), "手机号码"),
        ({"purpose": "complaint", "ticket": "单号 带空格"}, ("a.png", SCREENSHOT), "单号只能包含"),
        ({"purpose": "lawsuit"}, ("a.png", SCREENSHOT), "取值无效"),
    ]
    for data, upload, expected in cases:
        files = {"file": (upload[0], upload[1], "application/octet-stream")} if upload else None
        resp = client.post("/evidence/submit", data=data, files=files)
        assert resp.status_code == 422, (data, resp.status_code)
        assert expected in resp.text and 'class="field-error"' in resp.text, expected
        assert "Traceback" not in resp.text
    assert _entries(db_session) == 0


def test_signed_in_submitters_need_the_form_token(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    csrf = login(client, "ev-shop")
    resp = client.post("/evidence/submit", data={"purpose": "other"}, files={"file": ("a.png", SCREENSHOT)})
    assert resp.status_code == 403 and _entries(db_session) == 0
    mine = submit(client, csrf=csrf, purpose="other")
    row = db_session.get(EvidenceEntry, mine.leaf_index)
    assert row is not None and row.submitted_by == people.business.id
    # their own receipt opens without the token, and names them only by a pseudonym
    receipt = receipt_json(client, mine.leaf_index)
    text = json.dumps(receipt, ensure_ascii=False)
    assert "ev-shop" not in text and "测试ev-shop" not in text and "testclient" not in text
    assert receipt["entry"]["submitter"] == service.pseudonym(actor_of(db_session, people.business))
    # the list shows their own entries only
    listing = client.get("/evidence")
    assert "我登记的存证" in listing.text and listing.text.count('data-testid="evidence-row"') == 1


def test_anonymous_submissions_are_rate_limited_per_address(client: TestClient, db_session: Session) -> None:
    busy = dataclasses.replace(ANONYMOUS, ip="testclient")
    for n in range(get_settings().evidence_public_per_hour):
        audit.record(
            db_session,
            actor=busy,
            action="evidence.add",
            object_type="evidence_entry",
            object_id=n,
            summary="x",
        )
    db_session.flush()
    resp = client.post(
        "/evidence/submit", data={"purpose": "complaint"}, files={"file": ("a.png", SCREENSHOT)}
    )
    assert resp.status_code == 429 and "提交过于频繁" in resp.text
    assert _entries(db_session) == 0
    # another address, or an older burst, is not limited
    old = db_session.scalars(select(AuditEvent).where(AuditEvent.ip == "testclient")).all()
    for event in old:
        event.occurred_at -= intake.PUBLIC_WINDOW + timedelta(minutes=1)
    db_session.commit()
    submit(client)


def test_the_verify_page_checks_receipt_and_digest(client: TestClient, db_session: Session) -> None:
    mine = submit(client)
    receipt = receipt_json(client, mine.leaf_index, mine.token)
    form = client.get("/evidence/verify")
    assert form.status_code == 200 and "文件本身不会上传" in form.text

    good = _verify(client, receipt, file_sha256=hashlib.sha256(SCREENSHOT).hexdigest().upper())
    assert 'data-testid="verify-ok"' in good and "验证通过" in good
    assert _status(good, "file_sha256") == "passed" and "文件摘要由您的浏览器在本机计算" in good

    altered = bytearray(SCREENSHOT)
    altered[40] ^= 0x01
    bad = _verify(client, receipt, file_sha256=hashlib.sha256(bytes(altered)).hexdigest())
    assert 'data-testid="verify-failed"' in bad
    assert "文件内容与存证记录的 SHA-256 摘要不一致：文件已被修改或不是原文件" in bad
    assert _status(bad, "file_sha256") == "failed" and _status(bad, "inclusion_proof") == "passed"
    assert "所选文件不是存证时的那个文件" in bad

    # without a file: the record verifies, the file check is skipped
    alone = _verify(client, receipt)
    assert "验证通过（未核对文件）" in alone and _status(alone, "file_sha256") == "skipped"

    # the no-script fallback uploads the file; SHA-256 and SM3 are computed on the server
    files = {
        "receipt": ("r.json", json.dumps(receipt).encode(), "application/json"),
        "file": ("s.png", SCREENSHOT, "image/png"),
    }
    uploaded = client.post("/evidence/verify", files=files)
    assert "验证通过" in uploaded.text and "核验后即丢弃" in uploaded.text
    if receipt["entry"]["sm3"]:
        assert _status(uploaded.text, "file_sm3") == "passed"

    # a receipt whose entry was edited fails precisely
    forged = json.loads(json.dumps(receipt))
    forged["entry"]["purpose"] = "举报线索"
    edited = _verify(client, forged)
    assert "存证记录内容与叶子数据不一致" in edited and _status(edited, "entry_matches_leaf") == "failed"

    # pinning: the log's own key passes, another key fails
    key = receipt["log_public_keys"][0]["verifier_key"]
    assert "验证通过" in _verify(client, receipt, key=key)
    _signer, stranger = note.generate_signer("evidence.example.invalid/log")
    assert "签名检查点不是由指定的公钥签发的" in _verify(client, receipt, key=stranger)

    # unusable input: field-level messages, no traceback
    not_json = client.post("/evidence/verify", files={"receipt": ("r.json", b"\xff\xfe not json")})
    assert not_json.status_code == 422 and 'data-testid="error-receipt"' in not_json.text
    no_receipt = client.post("/evidence/verify", data={"file_sha256": "ab"})
    assert no_receipt.status_code == 422 and "请选择存证回执" in no_receipt.text
    files = {"receipt": ("r.json", json.dumps(receipt).encode())}
    bad_digest = client.post("/evidence/verify", files=files, data={"file_sha256": "xyz"})
    assert bad_digest.status_code == 422 and "64 位十六进制" in bad_digest.text
    other = _verify(client, {"format": "something-else"})
    assert "无法核验" in other and "不是天平存证回执" in other


def test_hash_registration_never_uploads_the_file(client: TestClient, db_session: Session) -> None:
    make_people(db_session)
    assert client.get("/evidence/register-hash").status_code == 303  # sign in first
    csrf = login(client, "ev-shop")
    form = client.get("/evidence/register-hash")
    assert form.status_code == 200 and "文件不会上传" in form.text
    picker = re.search(r'<input type="file"[^>]*data-testid="register-file"[^>]*>', form.text)
    assert picker and "name=" not in picker.group(0)  # the file is never part of the form
    assert "multipart/form-data" not in form.text

    digest = hashlib.sha256(b"fictitious trade secret 7f3c").hexdigest()
    errors = client.post(
        "/evidence/register-hash",
        data={"csrf_token": csrf, "sha256": "1234", "purpose": "联系 13812345678"},
    )
    assert errors.status_code == 422 and 'data-testid="error-sha256"' in errors.text
    with_phone = client.post(
        "/evidence/register-hash", data={"csrf_token": csrf, "sha256": digest, "purpose": "联系 13812345678"}
    )
    assert with_phone.status_code == 422 and "手机号码" in with_phone.text
    assert (
        client.post("/evidence/register-hash", data={"sha256": digest, "purpose": "配方"}).status_code == 403
    )
    assert _entries(db_session) == 0

    resp = client.post(
        "/evidence/register-hash",
        data={
            "csrf_token": csrf,
            "sha256": digest,
            "size": "28",
            "purpose": "产品配方文件 2025 版（商业秘密）",
        },
    )
    assert resp.status_code == 303
    page = client.get(resp.headers["location"])
    assert "摘要登记" in page.text and digest in page.text
    leaf_index = int(resp.headers["location"].split("/")[3].split("?")[0])
    entry = receipt_json(client, leaf_index)["entry"]
    assert entry["kind"] == "hash_registration" and entry["sha256"] == digest and entry["size"] == 28
    row = db_session.get(EvidenceEntry, leaf_index)
    assert row is not None and not row.has_blob


def test_readers_list_open_export_and_attach_with_custody_entries(
    client: TestClient, db_session: Session
) -> None:
    make_people(db_session)
    item = submit(client, SCREENSHOT, ticket="TS-2025-000318")
    submit(client, CHAT, purpose="report", filename="chat.txt", content_type="text/plain")
    csrf = login(client, "ev-officer")

    listing = client.get("/evidence")
    assert listing.status_code == 200 and "电子存证库" in listing.text
    assert listing.text.count('data-testid="evidence-row"') == 2
    today = local_today()
    filtered = client.get(f"/evidence?kind=evidence&ticket=TS-2025-000318&date_from={today}&date_to={today}")
    assert filtered.text.count('data-testid="evidence-row"') == 1
    past = client.get(f"/evidence?date_to={today - timedelta(days=1)}&kind=&case=")
    assert past.text.count('data-testid="evidence-row"') == 0 and "没有符合条件的存证" in past.text
    assert client.get("/evidence?date_from=not-a-date").status_code == 422

    first = client.get(f"/evidence/{item.leaf_index}")
    assert first.status_code == 200 and hashlib.sha256(SCREENSHOT).hexdigest() in first.text
    second = client.get(f"/evidence/{item.leaf_index}")
    assert second.text.count('data-action="view"') == 2  # each opening is a custody entry

    exported = client.post(
        f"/evidence/{item.leaf_index}/export", data={"csrf_token": csrf, "purpose": "移送案件承办人"}
    )
    assert exported.status_code == 200 and exported.content == SCREENSHOT
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.headers["x-content-type-options"] == "nosniff"
    assert client.post(f"/evidence/{item.leaf_index}/export", data={}).status_code == 403  # no form token

    missing = client.post(f"/evidence/{item.leaf_index}/attach", data={"csrf_token": csrf})
    assert missing.status_code == 422 and 'data-testid="error-case"' in missing.text
    attached = client.post(
        f"/evidence/{item.leaf_index}/attach",
        data={"csrf_token": csrf, "case": "AJ-2025-0042", "purpose": "立案"},
    )
    assert attached.status_code == 200 and "已关联" in attached.text
    actions = re.findall(r'data-testid="custody-row" data-action="(\w+)"', attached.text)
    assert actions == ["view", "view", "export", "attach"]
    # the case now finds the item it was attached to (and the attach entry itself)
    by_case = client.get("/evidence?case=AJ-2025-0042&kind=evidence")
    assert re.findall(r'data-leaf-index="(\d+)"', by_case.text) == [str(item.leaf_index)]

    custody = db_session.scalars(
        select(EvidenceEntry)
        .where(EvidenceEntry.ref_index == item.leaf_index)
        .order_by(EvidenceEntry.leaf_index)
    ).all()
    assert [c.action for c in custody] == ["view", "view", "export", "attach"]
    assert custody[2].purpose == "移送案件承办人" and custody[3].link_case == "AJ-2025-0042"
    for c in custody:
        assert verify_receipt(receipt_json(client, c.leaf_index)).verified
    logged = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.startswith("evidence.custody"))
    )
    assert sorted(logged) == sorted(f"evidence.custody.{a}" for a in ("view", "view", "export", "attach"))


def test_who_may_see_what(client: TestClient, db_session: Session) -> None:
    make_people(db_session)
    item = submit(client)
    # analysts and platform handlers: nothing of others — 404, never a hint
    for username in ("ev-analyst", "ev-shop"):
        csrf = login(client, username)
        assert client.get("/evidence").text.count('data-testid="evidence-row"') == 0, username
        for url in (f"/evidence/{item.leaf_index}", f"/evidence/receipts/{item.leaf_index}"):
            assert client.get(url).status_code == 404, (username, url)
        export = client.post(f"/evidence/{item.leaf_index}/export", data={"csrf_token": csrf})
        assert export.status_code == 404, username
    # member units read (and their views are logged) but neither export nor attach
    csrf = login(client, "ev-member")
    page = client.get(f"/evidence/{item.leaf_index}")
    assert page.status_code == 200 and 'data-testid="export-form"' not in page.text
    assert 'data-testid="attach-form"' not in page.text
    assert client.post(f"/evidence/{item.leaf_index}/export", data={"csrf_token": csrf}).status_code == 403
    attach = client.post(f"/evidence/{item.leaf_index}/attach", data={"csrf_token": csrf, "case": "AJ-1"})
    assert attach.status_code == 403
    # station officers keep and export
    csrf = login(client, "ev-station")
    page = client.get(f"/evidence/{item.leaf_index}")
    assert 'data-testid="export-form"' in page.text and 'data-testid="attach-form"' in page.text
    export = client.post(f"/evidence/{item.leaf_index}/export", data={"csrf_token": csrf})
    assert export.status_code == 200 and export.content == SCREENSHOT
    actions = db_session.scalars(
        select(EvidenceEntry.action).where(EvidenceEntry.ref_index == item.leaf_index)
    )
    assert sorted(a for a in actions if a) == ["export", "view", "view"]


def test_keys_page_json_and_the_standalone_verifier(client: TestClient, db_session: Session) -> None:
    empty = client.get("/evidence/keys")
    assert empty.status_code == 200 and "尚未启用" in empty.text
    assert client.get("/evidence/keys.json").json() == {"keys": [], "checkpoint": None}
    mine = submit(client, png((10, 120, 40)))
    receipt = receipt_json(client, mine.leaf_index, mine.token)
    key = receipt["log_public_keys"][0]["verifier_key"]
    page = client.get("/evidence/keys")
    assert key in page.text and "现行" in page.text
    published = client.get("/evidence/keys.json").json()
    assert [k["verifier_key"] for k in published["keys"]] == [key]
    assert published["checkpoint"]["tree_size"] == receipt["tree_size"]
    assert published["checkpoint"]["note"] == receipt["checkpoint"]
    source = client.get("/evidence/verifier.py")
    assert source.status_code == 200 and "def verify_receipt" in source.text
    assert "from tianping" not in source.text and "import tianping" not in source.text


def test_navigation_for_the_public_and_for_officers(client: TestClient, db_session: Session) -> None:
    public = client.get("/evidence/verify").text
    assert 'href="/evidence/submit"' in public and 'href="/login"' in public
    make_people(db_session)
    login(client, "ev-officer")
    home = client.get("/").text
    assert 'href="/evidence"' in home and "电子存证" in home
