"""Extension point: panels other modules attach to an entity's page.

Complaints, price findings, risk lights… each live in their own domain. To show up on the entity page
they register a provider; the registry never imports them::

    class ComplaintPanel:
        key = "complaint.recent"
        title = "投诉举报"
        order = 20

        def panel(self, *, session, entity_id, actor):
            rows = ...  # the domain's own scoped query
            return EntityPanel(key=self.key, title=self.title, count=len(rows), rows=rows)

    register_panel_provider(ComplaintPanel())

A provider returns ``None`` when it has nothing to say about this entity (e.g. a platform-only panel
on a shop). It must apply its own scoping for ``actor``; a provider that raises ``PermissionDenied`` is
silently left out, any other error is logged and shown as a panel that failed to load, so one broken
module never takes the entity page down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tianping.core.authz import Actor
from tianping.core.errors import PermissionDenied
from tianping.registry.models import (
    ENTITY_KIND_LABELS,
    ENTITY_STATUS_LABELS,
    EntityKind,
    EntityStatus,
    MarketEntity,
)
from tianping.registry.repository import scope_filter

__all__ = [
    "EntityPanel",
    "EntityPanelProvider",
    "PanelRow",
    "PlatformOperatorsPanel",
    "collect_panels",
    "panel_providers",
    "register_panel_provider",
    "unregister_panel_provider",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PanelRow:
    """One line of a panel: a label, a value and an optional link."""

    label: str
    value: str = ""
    href: str | None = None


@dataclass(frozen=True)
class EntityPanel:
    """What a provider shows: rows (label, value, link) or a small table, and a total count."""

    key: str
    title: str
    count: int | None = None
    rows: list[PanelRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # a small table instead of rows, if given
    table: list[list[str]] = field(default_factory=list)
    empty_text: str = "暂无记录"
    more_href: str | None = None
    failed: bool = False


@runtime_checkable
class EntityPanelProvider(Protocol):
    key: str
    title: str  # zh-CN
    order: int  # smaller first

    def panel(self, *, session: Session, entity_id: int, actor: Actor) -> EntityPanel | None: ...


_providers: dict[str, EntityPanelProvider] = {}


def register_panel_provider(provider: EntityPanelProvider) -> None:
    """Add a provider (a provider with the same ``key`` is replaced)."""
    if not isinstance(provider, EntityPanelProvider):
        raise TypeError("provider must have key, title, order and panel(*, session, entity_id, actor)")
    _providers[provider.key] = provider


def unregister_panel_provider(key: str) -> None:
    _providers.pop(key, None)


def panel_providers() -> list[EntityPanelProvider]:
    return sorted(_providers.values(), key=lambda p: (p.order, p.key))


def collect_panels(*, session: Session, entity_id: int, actor: Actor) -> list[EntityPanel]:
    """The panels of every provider for this entity, in order. The caller has checked the entity."""
    panels: list[EntityPanel] = []
    for provider in panel_providers():
        try:
            panel = provider.panel(session=session, entity_id=entity_id, actor=actor)
        except PermissionDenied:
            continue
        except Exception:
            log.exception("entity panel %s failed for entity %s", provider.key, entity_id)
            panel = EntityPanel(
                key=provider.key,
                title=provider.title,
                empty_text="该栏目暂时无法加载，请稍后重试",
                failed=True,
            )
        if panel is not None:
            panels.append(panel)
    return panels


class PlatformOperatorsPanel:
    """Built-in: the shops and livestream rooms operating on a platform (in the actor's scope)."""

    key = "registry.platform_operators"
    title = "平台内经营者"
    order = 10
    limit = 20

    def panel(self, *, session: Session, entity_id: int, actor: Actor) -> EntityPanel | None:
        kind = session.scalar(select(MarketEntity.kind).where(MarketEntity.id == entity_id))
        if kind != EntityKind.PLATFORM.value:
            return None
        where = [MarketEntity.platform_id == entity_id, scope_filter(actor)]
        count = session.scalar(select(func.count()).select_from(MarketEntity).where(*where)) or 0
        shops = session.execute(
            select(MarketEntity.id, MarketEntity.name, MarketEntity.kind, MarketEntity.status)
            .where(*where)
            .order_by(MarketEntity.id)
            .limit(self.limit)
        ).all()
        rows = [
            PanelRow(
                label=name,
                value=f"{ENTITY_KIND_LABELS[EntityKind(k)]} · {ENTITY_STATUS_LABELS[EntityStatus(s)]}",
                href=f"/entities/{eid}",
            )
            for eid, name, k, s in shops
        ]
        return EntityPanel(
            key=self.key,
            title=self.title,
            count=count,
            rows=rows,
            empty_text="该平台暂无登记的平台内经营者",
            more_href=f"/entities?platform_id={entity_id}" if count > self.limit else None,
        )


register_panel_provider(PlatformOperatorsPanel())
