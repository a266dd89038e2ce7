"""Public intake rules: media types from magic numbers, no personal data in the log, receipt
capabilities, and verification against a digest computed elsewhere (the browser)."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy.orm import Session

from tests.evidence.evidence_support import Vault
from tests.evidence_web.evidence_web_support import CHAT, SCREENSHOT
from tianping.core.authz import ANONYMOUS
from tianping.core.errors import FileRejected, ValidationFailed
from tianping.core.settings import Settings
from tianping.evidence import intake, service
from tianping.evidence.entries import canonical
from tianping.evidence.hashing import sm3_available
from tianping.evidence.intake import PublicItemIn, PublicPurpose, sniff_media_type
from tianping.evidence.standalone_verifier import verify_receipt

MAGIC = [
    (SCREENSHOT, "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
    (b"GIF89a\x01\x00\x01\x00", "image/gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
    (b"BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00" + b"\x00" * 8, "image/bmp"),
    (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", "video/mp4"),
    (b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00", "audio/mp4"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
    (b"PK\x03\x04\x14\x00\x06\x00", "application/zip"),
    (b"#!AMR\n\x3c", "audio/amr"),
    (b"OggS\x00\x02", "audio/ogg"),
    (b"ID3\x04\x00\x00", "audio/mpeg"),
    (CHAT, "text/plain"),
    ("订单号：DD-1（GB18030 编码）".encode("gb18030"), "text/plain"),
    (b"<html><script>alert(1)</script></html>", "text/plain"),  # never served as HTML
    ("截断".encode()[:-1], "text/plain"),  # a multi-byte sequence cut by the sniff window
    (b"MZ\x90\x00\x03\x00", None),  # a Windows program
    (b"\x7fELF\x02\x01\x01", None),
    (b"\x00\x01\x02\x03\x04", None),
    (b"", None),
]


@pytest.mark.parametrize(("head", "expected"), MAGIC)
def test_media_types_come_from_the_first_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_media_type(head) == expected


def test_public_files_of_unknown_type_are_refused_by_field() -> None:
    with pytest.raises(FileRejected) as exc:
        intake.public_media_type(b"MZ\x90\x00")
    assert exc.value.errors[0].field == "file" and "图片" in exc.value.errors[0].message
    with pytest.raises(FileRejected):
        intake.public_media_type(b"")


class _Pipe:
    """A stream that cannot seek (a socket, a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


def test_peeking_keeps_the_whole_stream() -> None:
    data = bytes(range(256)) * 100
    head, stream = intake.peek(_Pipe(data))  # type: ignore[arg-type]
    assert head == data[: intake.SNIFF_BYTES]
    assert stream.read(10) + stream.read(-1) == data
    head, stream = intake.peek(io.BytesIO(data))
    assert stream.read() == data


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("13812345678", "手机号码"),
        ("TS 138-1234-5678", "手机号码"),
        ("110105198001010024", "身份证号"),
        ("someone@example.com", "电子邮箱"),
        ("6222021234567890128", "银行卡号"),
    ],
)
def test_personal_data_never_enters_the_log(value: str, kind: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        intake.refuse_personal_data(purpose="消费投诉证据", ticket=value)
    assert [(e.field, kind in e.message) for e in exc.value.errors] == [("ticket", True)]
    intake.refuse_personal_data(purpose="投诉举报证据：商品页面截图", ticket="TS-2025-000318", case=None)


def test_officers_cannot_log_personal_data_either(db_session: Session, vault: Vault) -> None:
    with pytest.raises(ValidationFailed) as exc:
        vault.add(db_session, SCREENSHOT, purpose="当事人张某 13812345678 提供")
    assert exc.value.errors[0].field == "purpose"


def test_public_form_values() -> None:
    assert PublicItemIn(purpose="消费投诉证据").purpose is PublicPurpose.COMPLAINT  # the label works too
    assert PublicItemIn(purpose="report", ticket="  ").ticket is None
    with pytest.raises(ValueError, match="单号只能包含"):
        PublicItemIn(purpose="other", ticket="a b")
    with pytest.raises(ValueError):
        PublicItemIn(purpose="other", submitter="x")  # type: ignore[call-arg]


def test_receipt_tokens_are_bound_to_the_entry_and_the_secret(db_session: Session, vault: Vault) -> None:
    appended = service.add_public_item(
        session=db_session,
        actor=ANONYMOUS,
        source=io.BytesIO(SCREENSHOT),
        item_in=PublicItemIn(purpose="complaint"),
        keyring=vault.keyring,
        blobs=vault.blobs,
        via_writer=False,
    )
    leaf = canonical(appended.entry)
    token = service.receipt_token(appended)
    assert len(token) == intake.TOKEN_HEX and intake.token_matches(token, appended.leaf_index, leaf)
    assert intake.token_matches(token.upper(), appended.leaf_index, leaf)
    assert not intake.token_matches(token, appended.leaf_index + 1, leaf)
    assert not intake.token_matches(token, appended.leaf_index, leaf + b" ")
    assert not intake.token_matches(token[:-1], appended.leaf_index, leaf)
    assert not intake.token_matches(None, appended.leaf_index, leaf)
    other = Settings(secret_key="another-installation-secret-0123456789")
    assert not intake.token_matches(token, appended.leaf_index, leaf, other)
    opened = service.receipt(session=db_session, actor=ANONYMOUS, leaf_index=appended.leaf_index, token=token)
    assert verify_receipt(opened, SCREENSHOT).verified


def test_the_verifier_accepts_a_digest_instead_of_the_file(db_session: Session, vault: Vault) -> None:
    appended = vault.add(db_session, CHAT, filename="chat.txt")
    receipt = service.receipt_for(db_session, appended)
    good = verify_receipt(receipt, file_sha256=hashlib.sha256(CHAT).hexdigest().upper())
    assert good.verified and good.check("file_sha256").ok  # type: ignore[union-attr]
    sm3 = good.check("file_sm3")
    if receipt["entry"]["sm3"]:
        assert sm3 is not None and sm3.status == "skipped" and "只提供了文件的 SHA-256" in sm3.message_zh
    bad = verify_receipt(receipt, file_sha256=hashlib.sha256(CHAT + b"!").hexdigest())
    assert not bad.verified
    assert bad.failures[0].message_zh == "文件内容与存证记录的 SHA-256 摘要不一致：文件已被修改或不是原文件"
    malformed = verify_receipt(receipt, file_sha256="not-a-digest")
    assert not malformed.verified and "格式不正确" in malformed.failures[0].message_zh
    if sm3_available():
        both = verify_receipt(
            receipt,
            file_sha256=hashlib.sha256(CHAT).hexdigest(),
            file_sm3=hashlib.new("sm3", CHAT).hexdigest(),
        )
        assert both.verified and both.check("file_sm3").ok  # type: ignore[union-attr]
        wrong_sm3 = verify_receipt(receipt, file_sha256=hashlib.sha256(CHAT).hexdigest(), file_sm3="00" * 32)
        assert not wrong_sm3.verified and wrong_sm3.failures[0].name == "file_sm3"
    # the bytes win over digests given alongside
    assert verify_receipt(receipt, CHAT, file_sha256="00" * 32).verified
