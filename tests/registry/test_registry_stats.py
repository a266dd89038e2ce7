"""Dashboard figures of the registry: scoped counts by kind, district and year, no personal data."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from tests.registry.registry_support import build_world
from tianping import registry
from tianping.core.authz import SYSTEM
from tianping.registry import EntityUpdate
from tianping.registry.stats import registry_stats


def test_stats_are_scoped_and_grouped(db_session: Session) -> None:
    world = build_world(db_session)
    this_year = date.today().year
    registry.update(
        session=db_session,
        entity_id=world.gym.id,
        actor=SYSTEM,
        entity_in=EntityUpdate(established_on=date(this_year, 1, 15)),
    )
    registry.update(
        session=db_session,
        entity_id=world.school.id,
        actor=SYSTEM,
        entity_in=EntityUpdate(established_on=date(this_year, 3, 1)),
    )
    registry.update(
        session=db_session,
        entity_id=world.salon.id,
        actor=SYSTEM,
        entity_in=EntityUpdate(established_on=date(this_year - 1, 6, 1)),
    )

    everything = registry_stats(session=db_session, actor=world.actors["analyst"])
    assert everything.total == 8
    assert dict(everything.by_district) == {"海淀区": 3, "朝阳区": 3, "丰台区": 2}
    assert dict(everything.established_by_year) == {this_year - 1: 1, this_year: 2}

    haidian = registry_stats(session=db_session, actor=world.actors["haidian"])
    assert haidian.total == 3 and dict(haidian.by_district) == {"海淀区": 3}
    assert dict(haidian.established_by_year) == {this_year - 1: 1}
