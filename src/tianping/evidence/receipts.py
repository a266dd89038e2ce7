"""Receipts: everything needed to verify an entry offline, and what each part proves in court.

A receipt (format ``tianping-receipt/1``) holds the entry, its exact leaf bytes, the inclusion proof
at the size of a signed checkpoint, that checkpoint (a C2SP signed note) and the log's key history.
``tianping evidence verify`` and the standalone verifier check it with no database and no network.

``legal_basis`` says which element of 《最高人民法院关于互联网法院审理案件若干问题的规定》
（法释〔2018〕16号）第十一条 each part supports — and, as honestly, what a receipt cannot show.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from tianping.core.errors import NotFound
from tianping.core.timeutil import format_local
from tianping.evidence import merkle
from tianping.evidence.entries import parse_rfc3339, rfc3339
from tianping.evidence.models import (
    CUSTODY_ACTION_LABELS,
    ENTRY_KIND_LABELS,
    CustodyAction,
    EntryKind,
    EvidenceCheckpoint,
    EvidenceEntry,
    EvidenceKey,
)
from tianping.evidence.store import DbNodeStore, LogCorrupted

RECEIPT_FORMAT = "tianping-receipt/1"

CITATION_ZH = "《最高人民法院关于互联网法院审理案件若干问题的规定》（法释〔2018〕16号）第十一条"

LEGAL_BASIS: tuple[dict[str, str], ...] = (
    {
        "field": "checkpoint",
        "element_zh": "第一款第（一）项：电子数据生成、收集、存储、传输所依赖的计算机系统等硬件、"
        "软件环境是否安全、可靠",
        "explanation_zh": "检查点由本平台以 Ed25519 密钥签名（C2SP 签名注记格式），"
        "公钥及有效期列于 log_public_keys。回执本身不能证明系统环境安全可靠，"
        "需结合平台的系统说明与定期完整性审计记录（tianping evidence audit）审查。",
    },
    {
        "field": "entry.submitter, entry.registered_at",
        "element_zh": "第一款第（二）项：电子数据的生成主体和时间是否明确",
        "explanation_zh": "条目记录了提交人化名和平台登记时间（UTC）。登记时间取自本平台时钟，"
        "并非第三方可信时间戳；回执证明该内容不晚于登记时间已经存在，"
        "不能证明登记之前的生成时间和生成主体。",
    },
    {
        "field": "entry.kind, entry.links, entry.ref, entry.action",
        "element_zh": "第一款第（三）项：电子数据的存储、保管介质是否明确，保管方式和手段是否妥当",
        "explanation_zh": "原文件按 SHA-256 摘要存放于本平台存证库（“摘要登记”则原文件由登记人自行保管）；"
        "查看、导出、关联等保管操作均作为独立条目写入同一日志，可逐条核验。",
    },
    {
        "field": "entry.sha256, entry.sm3, entry.size",
        "element_zh": "第一款第（四）项：电子数据提取和固定的主体、工具和方式是否可靠，提取过程是否可以重现",
        "explanation_zh": "文件内容以公开算法 SHA-256 和 SM3（GB/T 32905-2016）固定，任何人可用通用工具"
        "（如 sha256sum、tianping evidence hash）对原文件重新计算并比对。",
    },
    {
        "field": "leaf_b64, leaf_index, tree_size, inclusion_proof",
        "element_zh": "第一款第（五）项：电子数据的内容是否存在增加、删除、修改及不完整等情形",
        "explanation_zh": "条目按 RFC 9162 默克尔树写入只增日志；包含证明把该条目与签名检查点中的根哈希相连，"
        "条目或日志中任何内容被增加、删除或修改，验证都会失败。",
    },
    {
        "field": "checkpoint, log_public_keys",
        "element_zh": "第一款第（六）项：电子数据是否可以通过特定形式得到验证",
        "explanation_zh": "无需联网、无需访问本平台数据库，即可用 tianping evidence verify "
        "或独立验证程序核验本回执及原文件。",
    },
    {
        "field": "entry.sha256, checkpoint",
        "element_zh": "第二款：通过电子签名、可信时间戳、哈希值校验、区块链等证据收集、"
        "固定和防篡改的技术手段",
        "explanation_zh": "本回执采用哈希值校验（SHA-256/SM3、默克尔树）与电子签名（Ed25519 签名检查点）；"
        "未使用第三方可信时间戳或区块链。",
    },
)

LIMITATION_ZH = (
    "本回执只能证明条目在登记之后未被篡改，不能证明登记之前电子数据的真实性；登记前的真实性需结合"
    "数据来源、生成机制等另行证明（对区块链存储的电子数据，《人民法院在线诉讼规则》第十八条亦作此要求）。"
    "“摘要登记”只证明登记人在登记时持有与该摘要一致的文件，不公开、也不证明文件的内容。"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def build_receipt(session: Session, *, leaf_index: int, tree_size: int | None = None) -> dict[str, Any]:
    """The receipt of entry ``leaf_index`` at the checkpoint of ``tree_size`` (default: the latest).

    Plain Core queries on the session's connection (no ORM objects): receipts are built often.
    """
    conn = session.connection()
    leaf_value = conn.execute(
        select(EvidenceEntry.leaf).where(EvidenceEntry.leaf_index == leaf_index)
    ).scalar()
    if leaf_value is None:
        raise NotFound(f"存证 #{leaf_index} 不存在")
    stmt = select(EvidenceCheckpoint.tree_size, EvidenceCheckpoint.note, EvidenceCheckpoint.signed_at)
    if tree_size is None:
        stmt = stmt.order_by(EvidenceCheckpoint.tree_size.desc()).limit(1)
    else:
        stmt = stmt.where(EvidenceCheckpoint.tree_size == tree_size)
    checkpoint = conn.execute(stmt).first()
    if checkpoint is None or checkpoint.tree_size <= leaf_index:
        raise NotFound(f"没有包含存证 #{leaf_index} 的签名检查点")
    try:
        proof = merkle.inclusion_proof_from_store(DbNodeStore(session), leaf_index, checkpoint.tree_size)
    except merkle.MissingNodeError:
        raise LogCorrupted("存证日志的已存节点缺失，无法生成回执；请运行 tianping evidence audit") from None
    return assemble(
        leaf=bytes(leaf_value),
        leaf_index=leaf_index,
        tree_size=checkpoint.tree_size,
        proof=proof,
        checkpoint=checkpoint.note,
        signed_at=checkpoint.signed_at,
        keys=published_keys(session),
    )


def published_keys(session: Session) -> list[tuple[str, datetime, datetime | None]]:
    """The key history as (verifier key, valid from, valid until), oldest first."""
    columns = (EvidenceKey.verifier_key, EvidenceKey.valid_from, EvidenceKey.valid_until)
    rows = session.connection().execute(select(*columns).order_by(EvidenceKey.id))
    return [(key, start, until) for key, start, until in rows]


def assemble(
    *,
    leaf: bytes,
    leaf_index: int,
    tree_size: int,
    proof: Sequence[bytes],
    checkpoint: str,
    signed_at: datetime,
    keys: Sequence[tuple[str, datetime, datetime | None]],
) -> dict[str, Any]:
    """The receipt from its parts (no database)."""
    return {
        "format": RECEIPT_FORMAT,
        "log_origin": checkpoint.split("\n", 1)[0],
        "entry": json.loads(leaf),
        "leaf_b64": _b64(leaf),
        "leaf_index": leaf_index,
        "tree_size": tree_size,
        "inclusion_proof": [_b64(h) for h in proof],
        "checkpoint": checkpoint,
        "checkpoint_signed_at": rfc3339(signed_at),
        "log_public_keys": [
            {
                "verifier_key": verifier_key,
                "valid_from": rfc3339(valid_from),
                "valid_until": rfc3339(valid_until) if valid_until is not None else None,
            }
            for verifier_key, valid_from, valid_until in keys
        ],
        "legal_citation_zh": CITATION_ZH,
        "legal_basis": [dict(item) for item in LEGAL_BASIS],
        "limitations_zh": LIMITATION_ZH,
    }


def dumps(receipt: dict[str, Any]) -> str:
    return json.dumps(receipt, ensure_ascii=False, indent=2) + "\n"


def qr_payload(receipt: dict[str, Any]) -> str:
    """What the printed QR code carries: enough to match the paper to the log and the file."""
    body = str(receipt["checkpoint"]).split("\n\n", 1)[0].split("\n")
    return json.dumps(
        {
            "f": receipt["format"],
            "log": body[0] if body else None,
            "i": receipt["leaf_index"],
            "n": receipt["tree_size"],
            "sha256": receipt["entry"].get("sha256"),
            "root": body[2] if len(body) > 2 else None,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def qr_svg(receipt: dict[str, Any]) -> str:
    """The receipt's QR code (see :func:`qr_payload`) as inline SVG markup."""
    return _qr_svg(qr_payload(receipt))


def _qr_svg(payload: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(payload, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return str(image.to_string(encoding="unicode"))


_env = Environment(
    loader=PackageLoader("tianping.evidence", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _local(text: str | None) -> str:
    if not text:
        return ""
    moment: datetime = parse_rfc3339(text)
    return format_local(moment, "%Y-%m-%d %H:%M:%S") + "（北京时间）"


def render_html(receipt: dict[str, Any]) -> str:
    """A printable zh-CN page of the receipt with a QR code (self-contained: no scripts, no links)."""
    entry = receipt["entry"]
    kind = EntryKind(entry["kind"])
    action = CustodyAction(entry["action"]) if entry.get("action") else None
    return _env.get_template("receipt.html").render(
        r=receipt,
        entry=entry,
        kind_label=ENTRY_KIND_LABELS[kind],
        action_label=CUSTODY_ACTION_LABELS[action] if action else None,
        registered_local=_local(entry.get("registered_at")),
        signed_local=_local(receipt.get("checkpoint_signed_at")),
        qr_svg=_qr_svg(qr_payload(receipt)),
        receipt_json=dumps(receipt),
    )
