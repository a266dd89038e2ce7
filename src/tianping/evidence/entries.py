"""The log entry: a small JSON object whose canonical encoding is the Merkle leaf.

Canonical encoding (shared with the standalone verifier): ``json.dumps(entry, ensure_ascii=False,
sort_keys=True, separators=(",", ":"))`` encoded as UTF-8. Entries hold only strings, integers,
booleans, null and nested objects of those — never floats — so every implementation encodes them the
same way.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tianping.evidence.models import EntryKind

ENTRY_VERSION = 1


def canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def rfc3339(moment: datetime) -> str:
    """UTC with millisecond precision and a ``Z``, e.g. ``2026-03-01T08:00:00.250Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class Links:
    """What an item belongs to: a complaint ticket, a case, an incident (ids of other modules)."""

    ticket: str | None = None
    case: str | None = None
    incident: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"ticket": self.ticket, "case": self.case, "incident": self.incident}

    @property
    def any(self) -> bool:
        return any((self.ticket, self.case, self.incident))


def make_entry(
    *,
    kind: EntryKind,
    sha256: str,
    sm3: str | None,
    media_type: str | None,
    size: int | None,
    submitter: str,
    purpose: str,
    links: Links,
    registered_at: datetime,
    ref: int | None = None,
    action: str | None = None,
    nonce: str | None = None,
) -> dict[str, Any]:
    return {
        "v": ENTRY_VERSION,
        "kind": kind.value,
        "sha256": sha256,
        "sm3": sm3,
        "media_type": media_type,
        "size": size,
        "submitter": submitter,
        "purpose": purpose,
        "links": links.as_json(),
        "registered_at": rfc3339(registered_at),
        "ref": ref,
        "action": action,
        "nonce": nonce or secrets.token_hex(8),
    }
