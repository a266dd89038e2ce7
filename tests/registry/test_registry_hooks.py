"""Entity panels: the built-in provider and a third-party provider plugged in without the registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tests.registry.registry_support import World, build_world
from tianping import registry
from tianping.core.authz import SYSTEM, Actor
from tianping.core.errors import PermissionDenied
from tianping.registry import EntityPanel, EntityPanelProvider, PanelRow


class FakeComplaints:
    """What a complaints module would register: a panel per entity, scoped by the actor."""

    key = "test.complaints"
    title = "投诉举报（测试）"
    order = 50

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def panel(self, *, session: Session, entity_id: int, actor: Actor) -> EntityPanel | None:
        self.calls.append((entity_id, actor.username))
        rows = [PanelRow(label="TS-0001", value="虚假宣传（处理中）", href="/complaints/1")]
        return EntityPanel(key=self.key, title=self.title, count=len(rows), rows=rows)


class Broken:
    key = "test.broken"
    title = "会出错的栏目"
    order = 60

    def panel(self, *, session: Session, entity_id: int, actor: Actor) -> EntityPanel | None:
        raise RuntimeError("boom")


class Forbidden:
    key = "test.forbidden"
    title = "无权查看的栏目"
    order = 70

    def panel(self, *, session: Session, entity_id: int, actor: Actor) -> EntityPanel | None:
        raise PermissionDenied("无权")


@pytest.fixture
def fake() -> Iterator[FakeComplaints]:
    provider = FakeComplaints()
    registry.register_panel_provider(provider)
    yield provider
    registry.unregister_panel_provider(provider.key)


def test_providers_satisfy_the_protocol(fake: FakeComplaints) -> None:
    assert isinstance(fake, EntityPanelProvider)
    keys = [p.key for p in registry.panel_providers()]
    assert keys.index("registry.platform_operators") < keys.index("test.complaints")
    with pytest.raises(TypeError):
        registry.register_panel_provider(object())  # type: ignore[arg-type]


def test_third_party_panel_is_shown(db_session: Session, fake: FakeComplaints) -> None:
    world: World = build_world(db_session)
    panels = registry.collect_panels(
        session=db_session, entity_id=world.salon.id, actor=world.actors["haidian"]
    )
    assert [p.key for p in panels] == ["test.complaints"]  # the platform panel says nothing about a salon
    assert panels[0].rows[0].label == "TS-0001"
    assert fake.calls == [(world.salon.id, "reg-haidian")]


def test_builtin_platform_operators_panel_is_scoped(db_session: Session) -> None:
    world = build_world(db_session)
    panel = registry.collect_panels(session=db_session, entity_id=world.platform_a.id, actor=SYSTEM)[0]
    assert panel.key == "registry.platform_operators" and panel.count == 1
    assert panel.rows[0].label == world.shop_a.name and panel.rows[0].href == f"/entities/{world.shop_a.id}"
    station = registry.collect_panels(
        session=db_session, entity_id=world.platform_b.id, actor=world.actors["station"]
    )[0]
    assert station.count == 0 and not station.rows and station.empty_text


def test_failing_providers_do_not_break_the_page(
    db_session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    world = build_world(db_session)
    registry.register_panel_provider(Broken())
    registry.register_panel_provider(Forbidden())
    try:
        panels = registry.collect_panels(session=db_session, entity_id=world.salon.id, actor=SYSTEM)
    finally:
        registry.unregister_panel_provider(Broken.key)
        registry.unregister_panel_provider(Forbidden.key)
    assert [(p.key, p.failed) for p in panels] == [("test.broken", True)]
    assert "test.broken" in caplog.text
