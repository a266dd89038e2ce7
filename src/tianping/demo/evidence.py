"""Demo evidence: a few fictitious files in the evidence vault, linked to made-up ticket and case numbers.

The files are generated in code — a small "phone screenshot" PNG drawn with zlib/struct, a chat
log, an order confirmation — and go through the evidence service like real submissions: two
complaint attachments from an anonymous consumer, a file an officer keeps for a case, the
officer attaching the consumer's screenshot to that case (a custody entry), and a digest that a
platform company registers without uploading its file. Appended inside the demo's unit of work.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from tianping.core.authz import Actor, Role
from tianping.evidence import service as evidence
from tianping.evidence.entries import Links
from tianping.evidence.intake import PublicItemIn, PublicPurpose
from tianping.evidence.schemas import HashRegistrationIn, ItemIn
from tianping.identity.models import User
from tianping.identity.service import build_actor

CONSUMER = Actor(user_id=None, username="demo-consumer", roles=frozenset({Role.PUBLIC}))
TICKET = "TS-2025-000318"
CASE = "AJ-2025-0042"

Color = tuple[int, int, int]


def _png(width: int, height: int, boxes: list[tuple[int, int, int, int, Color]]) -> bytes:
    """An RGB PNG (ISO/IEC 15948) of coloured rectangles (x, y, w, h, colour) on white."""
    rows = []
    for y in range(height):
        row = bytearray(b"\xff" * (3 * width))
        for bx, by, bw, bh, colour in boxes:
            if by <= y < by + bh:
                row[3 * bx : 3 * (bx + bw)] = bytes(colour) * bw
        rows.append(b"\x00" + bytes(row))  # filter type 0 for every scanline

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def product_page_screenshot() -> bytes:
    """A shop page as a phone shows it: title bar, product photo, price, grey text lines, buy button."""
    grey: Color = (214, 219, 224)
    boxes = [
        (0, 0, 240, 28, (230, 80, 40)),  # title bar
        (16, 40, 208, 150, (250, 226, 180)),  # product photo
        (60, 80, 120, 70, (240, 170, 90)),
        (16, 202, 96, 18, (220, 30, 30)),  # the advertised price
        (16, 228, 200, 8, grey),
        (16, 242, 180, 8, grey),
        (16, 256, 150, 8, grey),
        (16, 284, 208, 30, (230, 80, 40)),  # 立即购买
    ]
    return _png(240, 330, boxes)


CHAT_LOG = """聊天记录导出（虚构演示数据）
2025-06-12 20:14 顾客：页面写的是“满199减100”，结算时没有减。
2025-06-12 20:16 客服：活动已结束，页面还没来得及更新。
2025-06-12 20:17 顾客：页面现在还显示活动进行中，我已截图。
2025-06-12 20:20 客服：那您可以申请退款。
"""

ORDER_NOTE = """订单确认（虚构演示数据）
订单号：DD20250612-0007731
商品：演示用空气炸锅 1 台
页面标示价：199.00 元（满199减100）
实际支付：199.00 元
"""

RULES_DRAFT = "示例外卖平台《商家促销活动规则》修订稿（虚构演示数据，含随机标记 7f3c1a9e）\n"


def _actor(session: Session, username: str) -> Actor:
    user = session.scalars(select(User).where(User.username == username)).one()
    return build_actor(user, user.org)


def add_demo_evidence(session: Session) -> int:
    """Append the demo's evidence; returns the number of log entries written."""
    complaint = PublicItemIn(purpose=PublicPurpose.COMPLAINT, ticket=TICKET)
    screenshot = evidence.add_public_item(
        session=session,
        actor=CONSUMER,
        source=io.BytesIO(product_page_screenshot()),
        item_in=complaint,
        via_writer=False,
    )
    chat = evidence.add_public_item(
        session=session,
        actor=CONSUMER,
        source=io.BytesIO(CHAT_LOG.encode("utf-8")),
        item_in=complaint,
        via_writer=False,
    )
    officer = _actor(session, "officer")
    order = evidence.add_item(
        session=session,
        actor=officer,
        source=io.BytesIO(ORDER_NOTE.encode("utf-8")),
        item_in=ItemIn(purpose="执法检查：消费者提供的订单确认", case=CASE, ticket=TICKET),
        filename="订单确认.txt",
    )
    attached = evidence.attach_item(
        session=session,
        actor=officer,
        leaf_index=screenshot.leaf_index,
        links=Links(case=CASE),
        purpose="投诉转立案，证据随案移送",
    )
    registered = evidence.register_hash(
        session=session,
        actor=_actor(session, "platform_handler"),
        registration_in=HashRegistrationIn(
            sha256=hashlib.sha256(RULES_DRAFT.encode("utf-8")).hexdigest(),
            purpose="促销活动规则修订稿（商业秘密）",
        ),
    )
    written = [screenshot, chat, order, attached, registered]
    return sum(1 for appended in written if not appended.duplicate)
