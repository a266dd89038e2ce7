"""Queries of the registry.

Every read on behalf of a user goes through :func:`scope_filter`. The one exception is
:func:`find_by_keys`, which checks credit codes and external ids for uniqueness during imports; what it
finds reaches the user only as "already used" (a unique key cannot be checked without it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date

from sqlalchemy import ColumnElement, String, and_, bindparam, cast, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from tianping.core.authz import Actor, Perm
from tianping.registry.models import EntityAlias, MarketEntity
from tianping.registry.schemas import EntityQuery

__all__ = [
    "StoredAlias",
    "StoredEntity",
    "covers",
    "entity_loaders",
    "filter_clauses",
    "find_by_keys",
    "get_scoped",
    "list_page",
    "load_many",
    "scope_filter",
]

_IN_CHUNK = 500


def _division_clause(prefix: str) -> ColumnElement[bool]:
    """Entities registered in a division: a district (6 digits), a street (9 digits) or a prefix.

    Equality where possible (codes are at most 9 digits), so the indexes serve the common cases.
    """
    if len(prefix) == 6:
        return MarketEntity.district_code == prefix
    if len(prefix) == 9:
        return MarketEntity.division_code == prefix
    if len(prefix) < 6:
        return MarketEntity.district_code.startswith(prefix, autoescape=True)
    return MarketEntity.division_code.startswith(prefix, autoescape=True)


def scope_filter(actor: Actor) -> ColumnElement[bool]:
    """The rows ``actor`` may see; used by every query of the registry (list, search, get, export).

    * no ``entity:read`` permission (anonymous, public): nothing;
    * ``platform_entity_id``: that platform entity and the entities operating on it, nothing else;
    * ``division_prefixes``: entities registered in those districts (6 digits) or streets (9 digits);
    * ``industry_sections``: entities in those GB/T 4754 sections (and, being conjunctive, also in the
      actor's divisions).
    """
    if not actor.can(Perm.ENTITY_READ):
        return false()
    clauses: list[ColumnElement[bool]] = []
    if actor.platform_entity_id is not None:
        pid = actor.platform_entity_id
        clauses.append(or_(MarketEntity.id == pid, MarketEntity.platform_id == pid))
    if actor.division_prefixes is not None:
        if not actor.division_prefixes:
            return false()
        clauses.append(or_(*(_division_clause(p) for p in actor.division_prefixes)))
    if actor.industry_sections is not None:
        if not actor.industry_sections:
            return false()
        clauses.append(MarketEntity.industry_section.in_(actor.industry_sections))
    return and_(true(), *clauses)


def covers(
    actor: Actor,
    *,
    entity_id: int | None,
    platform_id: int | None,
    division_code: str | None,
    industry_section: str | None,
) -> bool:
    """Python twin of :func:`scope_filter` for rows not yet in the database (imports, forms).

    Kept rule for rule in step with the SQL; a test compares both on generated actors and entities.
    """
    if not actor.can(Perm.ENTITY_READ):
        return False
    pid = actor.platform_entity_id
    if pid is not None and not ((entity_id is not None and entity_id == pid) or platform_id == pid):
        return False
    if actor.division_prefixes is not None:
        code = division_code or ""
        district = code[:6] if code else ""
        ok = False
        for prefix in actor.division_prefixes:
            target = district if len(prefix) <= 6 else code
            if target and (target == prefix if len(prefix) == 6 else target.startswith(prefix)):
                ok = True
                break
        if not ok:
            return False
    return actor.industry_sections is None or industry_section in actor.industry_sections


def entity_loaders() -> list[LoaderOption]:
    """Eager loads for pages and API output: templates never lazy-load after the session closes."""
    return [selectinload(MarketEntity.aliases), selectinload(MarketEntity.platform)]


def get_scoped(session: Session, *, entity_id: int, actor: Actor) -> MarketEntity | None:
    stmt = (
        select(MarketEntity)
        .where(MarketEntity.id == entity_id, scope_filter(actor))
        .options(*entity_loaders())
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one_or_none()


def load_many(session: Session, ids: Sequence[int], *, actor: Actor) -> dict[int, MarketEntity]:
    """Entities by id (scoped), with aliases and platform loaded."""
    found: dict[int, MarketEntity] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        part = list(ids[start : start + _IN_CHUNK])
        stmt = (
            select(MarketEntity)
            .where(MarketEntity.id.in_(part), scope_filter(actor))
            .options(*entity_loaders())
        )
        for entity in session.scalars(stmt):
            found[entity.id] = entity
    return found


def filter_clauses(query: EntityQuery) -> list[ColumnElement[bool]]:
    """The plain filters of the list page (kind, district, industry, platform, status, tag)."""
    clauses: list[ColumnElement[bool]] = []
    if query.kind is not None:
        clauses.append(MarketEntity.kind == query.kind.value)
    if query.district:
        clauses.append(_division_clause(query.district))
    if query.industry:
        clauses.append(MarketEntity.industry_section == query.industry)
    if query.platform_id is not None:
        clauses.append(MarketEntity.platform_id == query.platform_id)
    if query.status is not None:
        clauses.append(MarketEntity.status == query.status.value)
    if query.tag:
        # Tags are a JSON list; its text holds each tag as a JSON string on every backend.
        clauses.append(cast(MarketEntity.tags, String).contains(json.dumps(query.tag), autoescape=True))
    return clauses


def list_page(session: Session, *, query: EntityQuery, actor: Actor) -> tuple[list[MarketEntity], int]:
    """Filtered list, newest first, with the total count."""
    where = [scope_filter(actor), *filter_clauses(query)]
    total = session.scalar(select(func.count()).select_from(MarketEntity).where(*where)) or 0
    stmt = (
        select(MarketEntity)
        .where(*where)
        .order_by(MarketEntity.id.desc())
        .limit(query.page_size)
        .offset((query.page - 1) * query.page_size)
        .options(*entity_loaders())
    )
    return list(session.scalars(stmt)), total


@dataclass(slots=True)
class StoredEntity:
    """An entity's stored fields as plain values: what an import compares against (no ORM objects,
    which would cost more than the rest of a re-import)."""

    id: int
    kind: str
    name: str
    normalized_name: str
    uscc: str | None
    external_id: str | None
    platform_id: int | None
    registered_address: str | None
    division_code: str | None
    district_code: str | None
    industry_section: str | None
    status: str
    established_on: date | None
    legal_representative: str | None
    contact_phone: str | None
    operator_id_card: str | None
    tags: list[str]
    aliases: list[StoredAlias] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StoredAlias:
    alias: str
    kind: str
    normalized_alias: str


_STORED_COLUMNS = [MarketEntity.__table__.c[f.name] for f in fields(StoredEntity) if f.name != "aliases"]


def _stored(
    session: Session, column: InstrumentedAttribute[str | None], keys: list[str]
) -> list[StoredEntity]:
    found: list[StoredEntity] = []
    for start in range(0, len(keys), _IN_CHUNK):
        stmt = select(*_STORED_COLUMNS).where(column.in_(bindparam("keys", expanding=True)))
        batch = [
            StoredEntity(*row) for row in session.execute(stmt, {"keys": keys[start : start + _IN_CHUNK]})
        ]
        by_id = {e.id: e for e in batch}
        if by_id:
            aliases = select(
                EntityAlias.entity_id, EntityAlias.alias, EntityAlias.kind, EntityAlias.normalized_alias
            ).where(EntityAlias.entity_id.in_(bindparam("ids", expanding=True)))
            for eid, alias, kind, normalized in session.execute(
                aliases.order_by(EntityAlias.id), {"ids": list(by_id)}
            ):
                by_id[eid].aliases.append(StoredAlias(alias, kind, normalized))
        found.extend(batch)
    return found


def find_by_keys(
    session: Session, *, usccs: Iterable[str], external_ids: Iterable[str]
) -> tuple[dict[str, StoredEntity], dict[str, StoredEntity]]:
    """Entities whose USCC or external id is among the given ones (unscoped: for uniqueness checks)."""
    by_uscc = {e.uscc: e for e in _stored(session, MarketEntity.uscc, sorted(set(usccs))) if e.uscc}
    by_ext = {
        e.external_id: e
        for e in _stored(session, MarketEntity.external_id, sorted(set(external_ids)))
        if e.external_id
    }
    return by_uscc, by_ext
