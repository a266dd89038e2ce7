"""Registry verbs. Keyword-only, explicit session, never commit; every change writes an audit event.

Every read is scoped by :func:`~tianping.registry.repository.scope_filter`: an entity outside the
actor's reach is reported as not found (its existence is not revealed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tianping.core import audit, divisions, pii
from tianping.core.authz import Actor, Perm
from tianping.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from tianping.core.timeutil import utcnow
from tianping.registry import importer, repository, search_index
from tianping.registry.grams import doc_grams, normalize_name
from tianping.registry.models import (
    ALIAS_KIND_LABELS,
    ENTITY_KIND_LABELS,
    ENTITY_STATUS_LABELS,
    INDUSTRY_SECTIONS,
    ON_PLATFORM_KINDS,
    AliasKind,
    EntityAlias,
    EntityKind,
    EntityStatus,
    MarketEntity,
)
from tianping.registry.schemas import (
    AliasIn,
    AliasOut,
    EntityIn,
    EntityOut,
    EntityPage,
    EntityQuery,
    EntityUpdate,
)
from tianping.registry.search import CANDIDATES, search_names
from tianping.registry.validators import district_of

__all__ = [
    "create",
    "get",
    "import_file",
    "import_records",
    "list_entities",
    "platform_choices",
    "reindex",
    "reveal_pii",
    "search_entities",
    "to_out",
    "update",
]

MAX_SEARCH_RESULTS = 500
_UPDATABLE = (
    "kind",
    "name",
    "uscc",
    "external_id",
    "platform_id",
    "registered_address",
    "division_code",
    "industry_section",
    "status",
    "established_on",
    "legal_representative",
    "contact_phone",
    "operator_id_card",
    "tags",
)


# ---------------------------------------------------------------------------------------------
# Output


def to_out(entity: MarketEntity, *, actor: Actor, reveal: bool = False) -> EntityOut:
    """The entity as the actor may see it: personal data masked unless ``reveal``.

    ``reveal=True`` requires ``pii:reveal``; call :func:`reveal_pii`, which also audits the view.
    ``entity.aliases`` and ``entity.platform`` must be loaded (see ``repository.entity_loaders``).
    """
    if reveal:
        actor.require(Perm.PII_REVEAL)
    kind = EntityKind(entity.kind)
    status = EntityStatus(entity.status)
    masked = not reveal
    address = entity.registered_address
    if masked and address and kind == EntityKind.INDIVIDUAL_BUSINESS:
        address = pii.mask_address(address)
    platform = entity.platform
    return EntityOut(
        id=entity.id,
        kind=kind,
        kind_label=ENTITY_KIND_LABELS[kind],
        name=entity.name,
        uscc=entity.uscc,
        external_id=entity.external_id,
        platform_id=entity.platform_id,
        platform_name=platform.name if platform is not None else None,
        registered_address=address,
        division_code=entity.division_code,
        division_name=divisions.full_name(entity.division_code) if entity.division_code else None,
        district_code=entity.district_code,
        district_name=divisions.name_of(entity.district_code) if entity.district_code else None,
        industry_section=entity.industry_section,
        industry_name=INDUSTRY_SECTIONS.get(entity.industry_section or ""),
        status=status,
        status_label=ENTITY_STATUS_LABELS[status],
        established_on=entity.established_on,
        legal_representative=_mask(entity.legal_representative, pii.mask_name, masked),
        contact_phone=_mask(entity.contact_phone, pii.mask_phone, masked),
        operator_id_card=_mask(entity.operator_id_card, pii.mask_id_card, masked),
        tags=list(entity.tags or []),
        aliases=[
            AliasOut(
                id=a.id,
                alias=a.alias,
                kind=AliasKind(a.kind),
                kind_label=ALIAS_KIND_LABELS[AliasKind(a.kind)],
            )
            for a in entity.aliases
        ],
        pii_masked=masked,
        created_at=entity.created_at,
        updated_at=entity.updated_at,
    )


def _mask(value: str | None, masker: Callable[[str], str], masked: bool) -> str | None:
    if value is None or not masked:
        return value
    return masker(value)


# ---------------------------------------------------------------------------------------------
# Reads


def get(*, session: Session, entity_id: int, actor: Actor) -> MarketEntity:
    """One entity in the actor's scope, with aliases and platform loaded; otherwise ``NotFound``."""
    actor.require(Perm.ENTITY_READ)
    entity = repository.get_scoped(session, entity_id=entity_id, actor=actor)
    if entity is None:
        raise NotFound("未找到该经营主体")
    return entity


def reveal_pii(*, session: Session, entity_id: int, actor: Actor) -> EntityOut:
    """The unmasked entity; requires ``pii:reveal`` and writes a ``pii.view`` audit event."""
    actor.require(Perm.ENTITY_READ)
    actor.require(Perm.PII_REVEAL)
    entity = get(session=session, entity_id=entity_id, actor=actor)
    audit.record(
        session,
        actor=actor,
        action="pii.view",
        object_type="registry_entity",
        object_id=entity.id,
        summary=f"查看经营主体“{entity.name}”的完整个人信息",
        detail={
            "fields": ["legal_representative", "contact_phone", "operator_id_card", "registered_address"]
        },
    )
    return to_out(entity, actor=actor, reveal=True)


def search_entities(*, session: Session, text: str, actor: Actor, limit: int = 20) -> list[EntityOut]:
    """Fuzzy name/alias search (masked output), best first, within the actor's scope."""
    actor.require(Perm.ENTITY_READ)
    query = EntityQuery(q=text.strip()[:100], page_size=min(limit, 200))
    page = list_entities(session=session, query=query, actor=actor)
    return page.items


def platform_choices(*, session: Session, actor: Actor, limit: int = 500) -> list[tuple[int, str]]:
    """``(id, name)`` of the platforms the actor can see, by name (for filter drop-downs)."""
    actor.require(Perm.ENTITY_READ)
    stmt = (
        select(MarketEntity.id, MarketEntity.name)
        .where(MarketEntity.kind == EntityKind.PLATFORM.value, repository.scope_filter(actor))
        .order_by(MarketEntity.name)
        .limit(limit)
    )
    return [(eid, name) for eid, name in session.execute(stmt)]


def list_entities(*, session: Session, query: EntityQuery, actor: Actor) -> EntityPage:
    """The list page: filtered and paginated, or ranked by the fuzzy search when ``query.q`` is set.

    With ``q`` the total is the number of matches found among the best ``search.CANDIDATES``
    candidates (more when paging deeper, at most ``MAX_SEARCH_RESULTS``).
    """
    actor.require(Perm.ENTITY_READ)
    if not query.q:
        entities, total = repository.list_page(session, query=query, actor=actor)
        items = [to_out(e, actor=actor) for e in entities]
        return EntityPage(items=items, total=total, page=query.page, page_size=query.page_size)
    # The same candidate pool for every page (unless paging deep), so the total does not move.
    wanted = min(max(CANDIDATES, query.page * query.page_size), MAX_SEARCH_RESULTS)
    hits = search_names(
        session=session, text=query.q, actor=actor, limit=wanted, filters=repository.filter_clauses(query)
    )
    window = hits[(query.page - 1) * query.page_size : query.page * query.page_size]
    loaded = repository.load_many(session, [h.entity_id for h in window], actor=actor)
    items = []
    for hit in window:
        entity = loaded.get(hit.entity_id)
        if entity is not None:
            items.append(
                to_out(entity, actor=actor).model_copy(update={"score": hit.score, "matched": hit.matched})
            )
    return EntityPage(items=items, total=len(hits), page=query.page, page_size=query.page_size)


# ---------------------------------------------------------------------------------------------
# Writes


def _check_platform(session: Session, platform_id: int | None, kind: EntityKind) -> None:
    if kind in ON_PLATFORM_KINDS and platform_id is None:
        raise ValidationFailed(
            "平台内经营者和直播间/主播必须填写所属平台",
            errors=[FieldError("platform_id", "平台内经营者和直播间/主播必须填写所属平台")],
        )
    if kind not in ON_PLATFORM_KINDS and platform_id is not None:
        raise ValidationFailed(
            "仅平台内经营者和直播间/主播可以填写所属平台",
            errors=[FieldError("platform_id", "仅平台内经营者和直播间/主播可以填写所属平台")],
        )
    if platform_id is not None:
        platform_kind = session.scalar(select(MarketEntity.kind).where(MarketEntity.id == platform_id))
        if platform_kind != EntityKind.PLATFORM.value:
            message = "所属平台不存在" if platform_kind is None else "所属平台必须是“平台”类主体"
            raise ValidationFailed(message, errors=[FieldError("platform_id", message)])


def _check_unique(
    session: Session, *, uscc: str | None, external_id: str | None, entity_id: int | None
) -> None:
    for column, value, label, key in (
        (MarketEntity.uscc, uscc, "统一社会信用代码", "uscc"),
        (MarketEntity.external_id, external_id, "外部编号", "external_id"),
    ):
        if value is None:
            continue
        other = session.scalar(select(MarketEntity.id).where(column == value))
        if other is not None and other != entity_id:
            raise Conflict(
                f"{label}已被其他经营主体使用", errors=[FieldError(key, f"{label}已被其他经营主体使用")]
            )


def _check_write_scope(session: Session, entity: MarketEntity, actor: Actor) -> None:
    """After the change is flushed, the entity must still be inside the actor's scope."""
    session.flush()
    visible = session.scalar(
        select(MarketEntity.id).where(MarketEntity.id == entity.id, repository.scope_filter(actor))
    )
    if visible is None:
        raise PermissionDenied("不能在您的管辖范围（区划、行业或平台）以外登记或修改经营主体")


def _new_aliases(aliases: list[AliasIn]) -> list[EntityAlias]:
    result: list[EntityAlias] = []
    seen: set[str] = set()
    for item in aliases:
        normalized = normalize_name(item.alias)
        if normalized and normalized not in seen:
            seen.add(normalized)
            result.append(EntityAlias(alias=item.alias, normalized_alias=normalized, kind=item.kind.value))
    return result


def _grams(entity: MarketEntity) -> set[int]:
    return doc_grams([entity.normalized_name, *(a.normalized_alias for a in entity.aliases)])


def create(*, session: Session, entity_in: EntityIn, actor: Actor) -> MarketEntity:
    """Register a new market entity (scope-checked, indexed for search, audited)."""
    actor.require(Perm.ENTITY_WRITE)
    _check_platform(session, entity_in.platform_id, entity_in.kind)
    _check_unique(session, uscc=entity_in.uscc, external_id=entity_in.external_id, entity_id=None)
    now = utcnow()
    entity = MarketEntity(
        kind=entity_in.kind.value,
        name=entity_in.name,
        normalized_name=normalize_name(entity_in.name),
        uscc=entity_in.uscc,
        external_id=entity_in.external_id,
        platform_id=entity_in.platform_id,
        registered_address=entity_in.registered_address,
        division_code=entity_in.division_code,
        district_code=district_of(entity_in.division_code),
        industry_section=entity_in.industry_section,
        status=entity_in.status.value,
        established_on=entity_in.established_on,
        legal_representative=entity_in.legal_representative,
        contact_phone=entity_in.contact_phone,
        operator_id_card=entity_in.operator_id_card,
        tags=list(entity_in.tags),
        created_at=now,
        updated_at=now,
    )
    entity.aliases = _new_aliases(entity_in.aliases)
    session.add(entity)
    _check_write_scope(session, entity, actor)
    search_index.apply_changes(session, {}, {entity.id: _grams(entity)})
    audit.record(
        session,
        actor=actor,
        action="registry.create",
        object_type="registry_entity",
        object_id=entity.id,
        summary=f"登记经营主体“{entity.name}”（{ENTITY_KIND_LABELS[entity_in.kind]}）",
        detail={"kind": entity.kind, "uscc": entity.uscc, "division_code": entity.division_code},
    )
    return get(session=session, entity_id=entity.id, actor=actor)


def update(*, session: Session, entity_id: int, entity_in: EntityUpdate, actor: Actor) -> MarketEntity:
    """Change the fields sent in ``entity_in``; a no-op change writes nothing and no audit event."""
    actor.require(Perm.ENTITY_WRITE)
    entity = get(session=session, entity_id=entity_id, actor=actor)
    sent = entity_in.model_fields_set
    new: dict[str, Any] = {}
    for key in _UPDATABLE:
        if key in sent:
            value = getattr(entity_in, key)
            if key in ("kind", "status") and value is not None:
                value = value.value
            if key == "tags":
                value = list(value or [])
            new[key] = value
    changes = {k: v for k, v in new.items() if getattr(entity, k) != v}
    kind = EntityKind(changes.get("kind", entity.kind))
    platform_id = changes.get("platform_id", entity.platform_id)
    if kind not in ON_PLATFORM_KINDS and "platform_id" not in sent and entity.platform_id is not None:
        changes["platform_id"] = platform_id = None
    if "kind" in changes or "platform_id" in changes:
        _check_platform(session, platform_id, kind)
    id_card = changes.get("operator_id_card", entity.operator_id_card)
    if id_card and kind != EntityKind.INDIVIDUAL_BUSINESS:
        message = "仅个体工商户可以登记经营者身份证号"
        raise ValidationFailed(message, errors=[FieldError("operator_id_card", message)])
    if "uscc" in changes or "external_id" in changes:
        _check_unique(
            session, uscc=changes.get("uscc"), external_id=changes.get("external_id"), entity_id=entity.id
        )
    aliases_changed = False
    new_aliases: list[EntityAlias] = []
    if "aliases" in sent and entity_in.aliases is not None:
        new_aliases = _new_aliases(entity_in.aliases)
        current = sorted((a.alias, a.kind) for a in entity.aliases)
        aliases_changed = current != sorted((a.alias, a.kind) for a in new_aliases)
    if not changes and not aliases_changed:
        return entity
    before = _grams(entity)
    for key, value in changes.items():
        setattr(entity, key, value)
    if "name" in changes:
        entity.normalized_name = normalize_name(entity.name)
    if "division_code" in changes:
        entity.district_code = district_of(entity.division_code)
    if aliases_changed:
        entity.aliases = new_aliases
    entity.updated_at = utcnow()
    _check_write_scope(session, entity, actor)
    if "name" in changes or aliases_changed:
        search_index.apply_changes(session, {entity.id: before}, {entity.id: _grams(entity)})
    changed_fields = sorted(changes) + (["aliases"] if aliases_changed else [])
    audit.record(
        session,
        actor=actor,
        action="registry.update",
        object_type="registry_entity",
        object_id=entity.id,
        summary=f"修改经营主体“{entity.name}”：{'、'.join(changed_fields)}",
        detail={"fields": changed_fields},
    )
    return get(session=session, entity_id=entity.id, actor=actor)


# ---------------------------------------------------------------------------------------------
# Bulk


# Imports live in the importer; the service exposes them under the domain's verbs.
import_file = importer.import_file
import_records = importer.import_records


def reindex(*, session: Session, actor: Actor) -> int:
    """Rebuild the whole search index; returns the number of entities indexed (audited)."""
    actor.require(Perm.ENTITY_IMPORT)
    count = search_index.rebuild(session)
    audit.record(
        session,
        actor=actor,
        action="registry.reindex",
        object_type="registry_entity",
        object_id=None,
        summary=f"重建经营主体名称检索索引：{count} 个主体",
        detail={"entities": count},
    )
    return count
