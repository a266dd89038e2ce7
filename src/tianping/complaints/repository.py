"""Queries of tickets. Every read on behalf of a user goes through :func:`scope_filter`.

Who sees which ticket (the binding rule of the complaints domain):

* administrators, and officers without a territorial limit (``division_prefixes is None``): all;
* officers and station officers with ``division_prefixes``: tickets whose ``division_code`` or
  ``district_code`` starts with one of the prefixes, or that their organisation holds now
  (``handling_org_id``);
* member-unit handlers: tickets routed to their unit (``member_unit_org_id``) or held by it;
* platform handlers: tickets about their platform or a shop / livestream on it
  (``platform_entity_id``, set at triage); they never see complainants' personal data;
* analysts: all, read-only and masked;
* anyone without ``complaint:read`` (the public): nothing.

An actor holding several roles sees the union of what each role sees.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from tianping.core.authz import Actor, Perm, Role
from tianping.core.settings import get_settings
from tianping.core.validation import is_valid_mobile, normalize_mobile
from tianping.identity.models import Organization

from .models import Party, Ticket

__all__ = ["find_party", "in_scope", "org_names", "phone_key", "scope_filter"]


def _prefix_clauses(prefixes: Iterable[str]) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for prefix in prefixes:
        if len(prefix) == 6:
            clauses.append(Ticket.district_code == prefix)
        clauses.append(Ticket.division_code.startswith(prefix, autoescape=True))
        if len(prefix) < 6:
            clauses.append(Ticket.district_code.startswith(prefix, autoescape=True))
    return clauses


def scope_filter(actor: Actor) -> list[ColumnElement[bool]]:
    """WHERE clauses (to be ANDed) restricting ``Ticket`` rows to what ``actor`` may see.

    An empty list means "everything". See the module docstring for the rule.
    """
    if not actor.can(Perm.COMPLAINT_READ):
        return [false()]
    if actor.is_admin or Role.ANALYST in actor.roles:
        return []
    reach: list[ColumnElement[bool]] = []
    if Role.OFFICER in actor.roles or Role.STATION_OFFICER in actor.roles:
        if actor.division_prefixes is None:
            return []
        reach.extend(_prefix_clauses(actor.division_prefixes))
        if actor.org_id is not None:
            reach.append(Ticket.handling_org_id == actor.org_id)
    if Role.MEMBER_UNIT_HANDLER in actor.roles and actor.org_id is not None:
        reach.append(Ticket.member_unit_org_id == actor.org_id)
        reach.append(Ticket.handling_org_id == actor.org_id)
    if Role.PLATFORM_HANDLER in actor.roles and actor.platform_entity_id is not None:
        reach.append(Ticket.platform_entity_id == actor.platform_entity_id)
    if not reach:
        return [false()]
    return [or_(*reach)]


def in_scope(ticket: Ticket, actor: Actor) -> bool:
    """The Python twin of :func:`scope_filter` for a loaded row (used after writes)."""
    if not actor.can(Perm.COMPLAINT_READ):
        return False
    if actor.is_admin or Role.ANALYST in actor.roles:
        return True
    if Role.OFFICER in actor.roles or Role.STATION_OFFICER in actor.roles:
        if actor.division_prefixes is None:
            return True
        codes = [c for c in (ticket.division_code, ticket.district_code) if c]
        if any(c.startswith(p) for c in codes for p in actor.division_prefixes):
            return True
        if actor.org_id is not None and ticket.handling_org_id == actor.org_id:
            return True
    member = Role.MEMBER_UNIT_HANDLER in actor.roles and actor.org_id is not None
    if member and actor.org_id in (ticket.member_unit_org_id, ticket.handling_org_id):
        return True
    if Role.PLATFORM_HANDLER in actor.roles and actor.platform_entity_id is not None:
        return ticket.platform_entity_id == actor.platform_entity_id
    return False


def phone_key(phone: str | None) -> str | None:
    """HMAC-SHA256 (secret key) of the normalised phone: finds the same person without the number."""
    if not phone:
        return None
    value = normalize_mobile(phone) if is_valid_mobile(phone) else "".join(c for c in phone if c.isdigit())
    if not value:
        return None
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def find_party(session: Session, *, key: str | None, name: str | None) -> Party | None:
    """The stored party with this phone key and name (the same person), if any."""
    if key is None:
        return None
    stmt = select(Party).where(Party.phone_key == key).order_by(Party.id)
    for party in session.scalars(stmt):
        if (party.name or "") == (name or ""):
            return party
    return None


def org_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Organisation names by id (one query)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    stmt = select(Organization.id, Organization.name).where(Organization.id.in_(wanted))
    return {oid: name for oid, name in session.execute(stmt)}
