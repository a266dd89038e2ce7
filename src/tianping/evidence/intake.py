"""Public intake of evidence: what a consumer may send, what the file really is, who may fetch a receipt.

* **Purposes.** Anyone — a consumer with no account included — may hand in a file as evidence of
  a complaint or report (``/evidence/submit``). The log is append-only and can never be edited, so
  a public submitter does not type free text into it: the purpose is chosen from
  :data:`PUBLIC_PURPOSES`, and the only link is a complaint/report number.
* **No personal data in the log.** :func:`refuse_personal_data` rejects purposes and link numbers
  that contain a phone number, an ID number, a bank card or an e-mail address
  (:func:`tianping.core.pii.find_pii`): what enters the log stays there and is printed on receipts.
* **Media type** is recognised from the file's first bytes (:func:`sniff_media_type`), never taken
  from the client; a public submission must be one of :data:`PUBLIC_MEDIA_TYPES`.
* **Receipt capabilities.** An anonymous submitter fetches their receipt with an unguessable token
  (:func:`receipt_token`: an HMAC under ``TIANPING_SECRET_KEY`` of the entry's index and leaf hash),
  so nobody can enumerate other people's receipts by counting indices. Changing the secret key
  invalidates the links handed out before (the receipts themselves stay valid).
* **Rate limit.** Anonymous submissions are limited per IP address
  (``settings.evidence_public_per_hour`` per :data:`PUBLIC_WINDOW`), counted from the audit events
  that every append writes, so the limit holds across processes without a table of its own.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import re
from datetime import timedelta
from enum import StrEnum
from typing import Any, BinaryIO

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tianping.core.audit import AuditEvent
from tianping.core.errors import FieldError, FileRejected, RateLimited, ValidationFailed
from tianping.core.pii import find_pii
from tianping.core.settings import Settings, get_settings
from tianping.core.timeutil import utcnow
from tianping.evidence.schemas import check_idempotency_key, check_link

SNIFF_BYTES = 8192


class PublicPurpose(StrEnum):
    COMPLAINT = "complaint"
    REPORT = "report"
    OTHER = "other"

    @property
    def label(self) -> str:
        return PUBLIC_PURPOSES[self]


PUBLIC_PURPOSES: dict[PublicPurpose, str] = {
    PublicPurpose.COMPLAINT: "消费投诉证据",
    PublicPurpose.REPORT: "举报线索",
    PublicPurpose.OTHER: "其他",
}

PUBLIC_WINDOW = timedelta(hours=1)  # the most per window is settings.evidence_public_per_hour

# media type -> what the page calls it
PUBLIC_MEDIA_TYPES: dict[str, str] = {
    "image/png": "PNG 图片",
    "image/jpeg": "JPEG 图片",
    "image/gif": "GIF 图片",
    "image/webp": "WebP 图片",
    "image/bmp": "BMP 图片",
    "image/tiff": "TIFF 图片",
    "image/heic": "HEIC 图片",
    "application/pdf": "PDF 文档",
    "application/zip": "ZIP 压缩包 / Office 文档",
    "text/plain": "文本（如聊天记录导出）",
    "audio/mpeg": "MP3 音频",
    "audio/amr": "AMR 语音",
    "audio/wav": "WAV 音频",
    "audio/ogg": "OGG 音频",
    "audio/mp4": "M4A 音频",
    "video/mp4": "MP4 视频",
    "video/quicktime": "MOV 视频",
}

ACCEPTED_TYPES_ZH = "图片（PNG、JPEG、GIF、WebP、BMP、TIFF、HEIC）、PDF、文本、ZIP/Office 文档、音频或视频"

_ISO_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heic",
    b"msf1": "image/heic",
    b"M4A ": "audio/mp4",
    b"qt  ": "video/quicktime",
}


def sniff_media_type(head: bytes) -> str | None:
    """The media type recognised from a file's first bytes (up to :data:`SNIFF_BYTES`), or None.

    Magic numbers as published with each format (PNG, JFIF/EXIF, GIF87a/89a, RIFF, ISO base media
    ``ftyp`` boxes, ``%PDF-``, ZIP local headers …). Text is recognised when the bytes hold no
    binary control byte and decode as UTF-8 (a sequence cut at the end is allowed) or GB18030; it
    is reported as ``text/plain`` whatever markup it holds, so a stored file is never served as HTML.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav"}.get(head[8:12])
    if head[:2] == b"BM" and len(head) >= 26 and head[6:10] == b"\0\0\0\0":
        return "image/bmp"
    if head[:4] in (b"II*\0", b"MM\0*"):
        return "image/tiff"
    if head[4:8] == b"ftyp" and len(head) >= 12:
        return _ISO_BRANDS.get(head[8:12], "video/mp4")
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "application/zip"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] in (0xFB, 0xF3, 0xF2)):
        return "audio/mpeg"
    if head and not _BINARY.search(head) and _is_text(head):
        return "text/plain"
    return None


# WHATWG MIME Sniffing §3 "binary data byte" (0x00–0x08, 0x0B, 0x0E–0x1A, 0x1C–0x1F), plus DEL
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def _is_text(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(head, final=False)  # a multi-byte sequence cut by the sniff window is fine
        except UnicodeDecodeError:
            continue
        return True
    return False


class _Prefixed:
    """A stream whose first bytes were already read: yields them again, then the rest."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                out, self._head = self._head + self._rest.read(), b""
                return out
            out, self._head = self._head[:size], self._head[size:]
            return out
        return self._rest.read(size)


def peek(source: BinaryIO) -> tuple[bytes, BinaryIO]:
    """The first bytes of ``source`` and a stream that still starts at the beginning."""
    head = source.read(SNIFF_BYTES)
    try:
        source.seek(0)
    except (AttributeError, OSError, ValueError):
        return head, _Prefixed(head, source)  # type: ignore[return-value]
    return head, source


def public_media_type(head: bytes) -> str:
    """The sniffed type of a public submission; anything not in :data:`PUBLIC_MEDIA_TYPES` is refused."""
    if not head:
        raise FileRejected("文件为空", errors=[FieldError("file", "不能登记空文件")])
    media_type = sniff_media_type(head)
    if media_type not in PUBLIC_MEDIA_TYPES:
        raise FileRejected(
            "无法识别的文件类型",
            errors=[FieldError("file", f"无法识别该文件的类型；可以提交{ACCEPTED_TYPES_ZH}")],
        )
    return media_type


# -- personal data -------------------------------------------------------------------------------------

_PII_KINDS = {
    "mobile": "手机号码",
    "landline": "电话号码",
    "id_card": "身份证号",
    "bank_card": "银行卡号",
    "email": "电子邮箱",
}


def refuse_personal_data(**fields: str | None) -> None:
    """Refuse values that would put personal data into the append-only log (named by field)."""
    errors = []
    for name, value in fields.items():
        if not value:
            continue
        found = find_pii(value)
        if found:
            kinds = "、".join(dict.fromkeys(_PII_KINDS[m.kind] for m in found))
            errors.append(FieldError(name, f"不能包含{kinds}等个人信息：存证日志永久保存且不可删改"))
    if errors:
        raise ValidationFailed("存证内容不能包含个人信息", errors=errors)


# -- the public form ----------------------------------------------------------------------------------


def _error(message: str) -> PydanticCustomError:
    return PydanticCustomError("value_error", message)


class PublicItemIn(BaseModel):
    """A file handed in by anyone (consumer, reporter): a purpose from the list, an optional number."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    purpose: PublicPurpose = Field(description="complaint 消费投诉证据 / report 举报线索 / other 其他")
    ticket: str | None = Field(default=None, description="投诉/举报单号（选填）")
    idempotency_key: str | None = Field(
        default=None, description="幂等键：重试同一提交时使用相同的键，不会重复登记（8–128 位字母数字._:-）"
    )

    @field_validator("purpose", mode="before")
    @classmethod
    def _purpose_label(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            by_label = {label: code for code, label in PUBLIC_PURPOSES.items()}
            return by_label.get(text, text)
        return value

    @field_validator("ticket", "idempotency_key", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("ticket")
    @classmethod
    def _ticket(cls, value: str | None) -> str | None:
        return check_link(value, "单号")

    @field_validator("idempotency_key")
    @classmethod
    def _idempotency(cls, value: str | None) -> str | None:
        return check_idempotency_key(value)


# -- receipt capabilities -----------------------------------------------------------------------------

TOKEN_HEX = 32  # 128 bits


def receipt_token(leaf_index: int, leaf: bytes, settings: Settings | None = None) -> str:
    """The capability that opens the receipt of entry ``leaf_index`` (whose leaf bytes are ``leaf``)."""
    settings = settings or get_settings()
    message = f"evidence-receipt|{leaf_index}|".encode() + hashlib.sha256(leaf).digest()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:TOKEN_HEX]


def token_matches(token: str | None, leaf_index: int, leaf: bytes, settings: Settings | None = None) -> bool:
    if not token or len(token) != TOKEN_HEX:
        return False
    return hmac.compare_digest(token.lower(), receipt_token(leaf_index, leaf, settings))


# -- rate limit ---------------------------------------------------------------------------------------


def recent_public_submissions(session: Session, ip: str) -> int:
    since = utcnow() - PUBLIC_WINDOW
    stmt = (
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "evidence.add",
            AuditEvent.actor_user_id.is_(None),
            AuditEvent.ip == ip,
            AuditEvent.occurred_at >= since,
        )
    )
    return session.scalar(stmt) or 0


def check_public_rate(session: Session, ip: str | None) -> None:
    """Anonymous submissions from one address: at most ``settings.evidence_public_per_hour`` an hour."""
    if ip is None:
        return
    most = get_settings().evidence_public_per_hour
    if recent_public_submissions(session, ip) >= most:
        minutes = int(PUBLIC_WINDOW.total_seconds() // 60)
        raise RateLimited(f"提交过于频繁：同一网络地址每 {minutes} 分钟最多提交 {most} 份证据，请稍后再试")
