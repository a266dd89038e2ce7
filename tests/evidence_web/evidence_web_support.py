"""Helpers of the evidence web and API tests: fictitious files, users, submissions through the app."""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import actor_of, make_org, make_user
from tianping.core.authz import Role
from tianping.identity import service as identity
from tianping.identity.models import OrgKind, User


def png(colour: tuple[int, int, int] = (200, 30, 30), size: int = 6) -> bytes:
    """A tiny RGB PNG of one colour (a fictitious screenshot)."""
    raw = b"".join(b"\x00" + bytes(colour) * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


SCREENSHOT = png()
CHAT = "2025-06-12 20:14 顾客：页面写的是满199减100，结算时没有减。（虚构）\n".encode()

RECEIPT_LINK = re.compile(r"/evidence/receipts/(\d+)\?t=([0-9a-f]{32})")


@dataclass
class Submitted:
    leaf_index: int
    token: str
    location: str


def submit(
    client: TestClient,
    content: bytes = SCREENSHOT,
    *,
    purpose: str = "complaint",
    ticket: str = "",
    csrf: str = "",
    filename: str = "screenshot.png",
    content_type: str = "image/png",
) -> Submitted:
    """Hand in a file through the public page; asserts the redirect to the receipt."""
    resp = client.post(
        "/evidence/submit",
        data={"purpose": purpose, "ticket": ticket, "csrf_token": csrf},
        files={"file": (filename, content, content_type)},
    )
    assert resp.status_code == 303, resp.text[:800]
    location = resp.headers["location"]
    match = RECEIPT_LINK.match(location)
    assert match, location
    return Submitted(int(match.group(1)), match.group(2), location)


def receipt_json(client: TestClient, leaf_index: int, token: str | None = None) -> Any:
    url = f"/evidence/receipts/{leaf_index}/receipt.json" + (f"?t={token}" if token else "")
    resp = client.get(url)
    assert resp.status_code == 200, resp.text[:500]
    return resp.json()


@dataclass
class People:
    officer: User
    station: User
    member: User
    analyst: User
    business: User
    admin: User


def make_people(session: Session) -> People:
    """One user of each role. Committed (to the test's outer transaction), so that a request that
    fails — which rolls its unit of work back — does not take them along."""
    city = make_org(session, "北京市市场监督管理局（存证测试）", OrgKind.CITY_BUREAU)
    unit = make_org(session, "丰台区体育局（存证测试）", OrgKind.MEMBER_UNIT, division_code="110106")
    people = People(
        officer=make_user(session, "ev-officer", Role.OFFICER, org=city),
        station=make_user(session, "ev-station", Role.STATION_OFFICER, org=city),
        member=make_user(session, "ev-member", Role.MEMBER_UNIT_HANDLER, org=unit),
        analyst=make_user(session, "ev-analyst", Role.ANALYST, org=city),
        business=make_user(session, "ev-shop", Role.PLATFORM_HANDLER, org=city),
        admin=make_user(session, "ev-admin", Role.ADMIN, org=city),
    )
    session.commit()
    return people


def bearer(session: Session, user: User) -> dict[str, str]:
    """Authorization header of a fresh API token of ``user``."""
    _, token = identity.create_api_token(
        session, user_id=user.id, name=f"tests-{user.username}", actor=actor_of(session, user)
    )
    return {"Authorization": f"Bearer {token}"}
