"""Registry service: validation, scoping per role, masking and audited reveal of personal data."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.registry.registry_support import World, build_world, entity_in, uscc
from tianping import registry
from tianping.core.audit import AuditEvent
from tianping.core.authz import SYSTEM
from tianping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tianping.registry import AliasIn, EntityQuery, EntityUpdate, MarketEntity
from tianping.registry.models import SearchGram


@pytest.fixture
def world(db_session: Session) -> World:
    return build_world(db_session)


def _visible(session: Session, world: World, who: str) -> set[str]:
    page = registry.list_entities(session=session, query=EntityQuery(page_size=200), actor=world.actors[who])
    return {item.name for item in page.items}


# ------------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"uscc": uscc(7)[:-1] + ("0" if uscc(7)[-1] != "0" else "1")}, "uscc", "校验位"),
        ({"uscc": "91110108"}, "uscc", "18 位"),
        ({"division_code": "110199"}, "division_code", "区划代码无效"),
        ({"division_code": "110000"}, "division_code", "不是区县或街道乡镇级"),
        ({"industry_section": "Z"}, "industry_section", "行业门类无效"),
        ({"contact_phone": "12345"}, "contact_phone", "联系电话格式不正确"),
        (
            {"kind": "individual_business", "operator_id_card": "110105198001010025"},
            "operator_id_card",
            "身份证",
        ),
        ({"kind": "platform_shop"}, None, "必须填写所属平台"),
        ({"platform_id": 1}, None, "仅平台内经营者"),
        ({"operator_id_card": "110105198001010024"}, None, "仅个体工商户"),
    ],
)
def test_entity_in_rejects_bad_fields_with_chinese_messages(
    fields: dict[str, object], field: str | None, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        entity_in(**fields)
    errors = info.value.errors()
    assert any(message in e["msg"] for e in errors), errors
    if field:
        assert any(e["loc"] == (field,) for e in errors)


def test_entity_in_normalises_what_users_type() -> None:
    code = uscc(8)
    e = entity_in(
        uscc=" " + code.lower() + " ",
        contact_phone="+86 138-0013-8000",
        industry_section="f 批发和零售业",
        tags=["预付式", " 预付式 ", ""],
        division_code="110108001",
    )
    assert e.uscc == code and e.contact_phone == "13800138000" and e.industry_section == "F"
    assert e.tags == ["预付式"]
    assert entity_in(contact_phone="(010)62345678").contact_phone == "010-62345678"


def test_create_derives_district_indexes_and_audits(db_session: Session, world: World) -> None:
    salon = registry.get(session=db_session, entity_id=world.salon.id, actor=SYSTEM)
    assert salon.district_code == "110108" and salon.division_code == "110108001"
    assert salon.normalized_name == "京西示范美容美发店"
    postings = db_session.scalar(
        select(func.count()).select_from(SearchGram).where(SearchGram.entity_id == salon.id)
    )
    assert postings and postings > 5
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "registry.create", AuditEvent.object_id == str(salon.id)
        )
    ).all()
    assert len(events) == 1 and "京西示范美容美发店" in events[0].summary


def test_platform_must_be_a_platform(db_session: Session, world: World) -> None:
    with pytest.raises(ValidationFailed) as info:
        registry.create(
            session=db_session,
            entity_in=entity_in(
                kind="livestream", name="示范直播间", external_id="L1", platform_id=world.trader.id
            ),
            actor=SYSTEM,
        )
    assert info.value.errors[0].field == "platform_id" and "平台" in info.value.message
    with pytest.raises(ValidationFailed, match="所属平台不存在"):
        registry.create(
            session=db_session,
            entity_in=entity_in(kind="livestream", name="示范直播间", external_id="L1", platform_id=999_999),
            actor=SYSTEM,
        )


def test_duplicate_uscc_is_a_conflict(db_session: Session, world: World) -> None:
    with pytest.raises(Conflict) as info:
        registry.create(session=db_session, entity_in=entity_in(uscc=world.salon.uscc), actor=SYSTEM)
    assert info.value.errors[0].field == "uscc"


def test_update_changes_only_what_was_sent_and_reindexes(db_session: Session, world: World) -> None:
    before = world.trader.updated_at
    same = registry.update(
        session=db_session,
        entity_id=world.trader.id,
        entity_in=EntityUpdate(name=world.trader.name),
        actor=SYSTEM,
    )
    assert same.updated_at == before
    assert not db_session.scalars(select(AuditEvent).where(AuditEvent.action == "registry.update")).all()

    updated = registry.update(
        session=db_session,
        entity_id=world.trader.id,
        entity_in=EntityUpdate(
            name="朝阳样例果品商贸有限公司", aliases=[AliasIn(alias="样例果品")], status="suspended"
        ),
        actor=SYSTEM,
    )
    assert updated.status == "suspended" and updated.industry_section == "F"
    assert [a.alias for a in updated.aliases] == ["样例果品"]
    hits = registry.search_names(session=db_session, text="样例果品", actor=SYSTEM)
    assert hits and hits[0].entity_id == world.trader.id
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "registry.update")).one()
    assert set(event.detail["fields"]) >= {"name", "status", "aliases"}


def test_update_cannot_clear_required_fields() -> None:
    with pytest.raises(ValidationError) as info:
        EntityUpdate.model_validate({"name": None})
    assert "不能清空" in str(info.value)


def test_kind_change_away_from_shop_drops_the_platform(db_session: Session, world: World) -> None:
    changed = registry.update(
        session=db_session, entity_id=world.shop_a.id, entity_in=EntityUpdate(kind="enterprise"), actor=SYSTEM
    )
    assert changed.kind == "enterprise" and changed.platform_id is None


# ------------------------------------------------------------------------------------------------
# Scoping


def test_each_role_sees_exactly_its_scope(db_session: Session, world: World) -> None:
    everything = {
        world.platform_a.name, world.platform_b.name, world.shop_a.name, world.shop_b.name,
        world.salon.name, world.school.name, world.gym.name, world.trader.name,
    }  # fmt: skip
    assert _visible(db_session, world, "city") == everything
    assert _visible(db_session, world, "analyst") == everything
    assert _visible(db_session, world, "haidian") == {
        world.platform_a.name,
        world.shop_a.name,
        world.salon.name,
    }
    assert _visible(db_session, world, "station") == {world.shop_a.name, world.salon.name}
    assert _visible(db_session, world, "education") == {world.school.name}
    assert _visible(db_session, world, "platform") == {world.platform_a.name, world.shop_a.name}


def test_out_of_scope_get_is_not_found(db_session: Session, world: World) -> None:
    actors = world.actors
    with pytest.raises(NotFound):
        registry.get(session=db_session, entity_id=world.trader.id, actor=actors["haidian"])
    with pytest.raises(NotFound):
        registry.get(session=db_session, entity_id=world.shop_b.id, actor=actors["platform"])
    with pytest.raises(NotFound):
        registry.get(session=db_session, entity_id=world.gym.id, actor=actors["education"])
    assert (
        registry.get(session=db_session, entity_id=world.shop_a.id, actor=actors["platform"]).id
        == world.shop_a.id
    )


def test_platform_handler_cannot_find_another_platforms_shop(db_session: Session, world: World) -> None:
    actor = world.actors["platform"]
    for text in ("朝外示范水果店", "样例优选", "示范"):
        ids = {
            h.entity_id for h in registry.search_names(session=db_session, text=text, actor=actor, limit=50)
        }
        assert world.shop_b.id not in ids and world.platform_b.id not in ids
    ids = {h.entity_id for h in registry.search_names(session=db_session, text="京西示范餐馆", actor=actor)}
    assert ids == {world.shop_a.id}


def test_anonymous_and_public_see_nothing(db_session: Session, world: World) -> None:
    anonymous = world.actors["anonymous"]
    with pytest.raises(PermissionDenied):
        registry.list_entities(session=db_session, query=EntityQuery(), actor=anonymous)
    with pytest.raises(PermissionDenied):
        registry.get(session=db_session, entity_id=world.salon.id, actor=anonymous)
    assert registry.search_names(session=db_session, text="示例外卖", actor=anonymous) == []


def test_writes_are_limited_to_the_actors_territory(db_session: Session, world: World) -> None:
    haidian = world.actors["haidian"]
    created = registry.create(
        session=db_session, entity_in=entity_in(name="海淀示范书店", uscc=uscc(20)), actor=haidian
    )
    assert created.district_code == "110108"
    with pytest.raises(PermissionDenied):
        registry.create(
            session=db_session,
            entity_in=entity_in(
                name="朝阳示范书店", uscc=uscc(21, district="110105"), division_code="110105"
            ),
            actor=haidian,
        )
    with pytest.raises(PermissionDenied):  # moving an entity out of the district
        registry.update(
            session=db_session,
            entity_id=created.id,
            entity_in=EntityUpdate(division_code="110105"),
            actor=haidian,
        )
    with pytest.raises(PermissionDenied):  # analysts read only
        registry.create(session=db_session, entity_in=entity_in(name="示范"), actor=world.actors["analyst"])
    with pytest.raises(NotFound):  # another district's entity cannot even be addressed
        registry.update(
            session=db_session,
            entity_id=world.trader.id,
            entity_in=EntityUpdate(status="revoked"),
            actor=haidian,
        )


def test_list_filters_and_pagination(db_session: Session, world: World) -> None:
    def names(**params: object) -> list[str]:
        page = registry.list_entities(session=db_session, query=EntityQuery(**params), actor=SYSTEM)
        return [i.name for i in page.items]

    assert names(kind="platform") == [world.platform_b.name, world.platform_a.name]
    assert set(names(district="110106")) == {world.school.name, world.gym.name}
    assert names(district="110108001") == [world.salon.name, world.shop_a.name]
    assert names(industry="p") == [world.school.name]
    assert names(platform_id=world.platform_b.id) == [world.shop_b.name]
    assert set(names(tag="预付式")) == {world.salon.name, world.school.name}
    assert names(tag="预付") == []
    page = registry.list_entities(session=db_session, query=EntityQuery(page=2, page_size=3), actor=SYSTEM)
    assert page.total == 8 and len(page.items) == 3 and page.pages == 3


def test_scope_filter_and_python_twin_agree(db_session: Session, world: World) -> None:
    from tianping.registry.repository import covers

    entities = db_session.scalars(select(MarketEntity)).all()
    for name, actor in world.actors.items():
        in_sql = set(db_session.scalars(select(MarketEntity.id).where(registry.scope_filter(actor))).all())
        in_python = {
            e.id
            for e in entities
            if covers(
                actor,
                entity_id=e.id,
                platform_id=e.platform_id,
                division_code=e.division_code,
                industry_section=e.industry_section,
            )
        }
        assert in_sql == in_python, name


# ------------------------------------------------------------------------------------------------
# Personal data


def test_personal_data_is_masked_by_default(db_session: Session, world: World) -> None:
    out = registry.to_out(
        registry.get(session=db_session, entity_id=world.salon.id, actor=world.actors["analyst"]),
        actor=world.actors["analyst"],
    )
    assert out.pii_masked
    assert out.legal_representative == "张**"
    assert out.contact_phone == "138****8000"
    assert out.operator_id_card == "110105********0024"
    assert out.registered_address and "示范路" not in out.registered_address
    platform = registry.to_out(
        registry.get(session=db_session, entity_id=world.platform_a.id, actor=SYSTEM), actor=SYSTEM
    )
    assert platform.legal_representative == "王**"


def test_analyst_cannot_reveal(db_session: Session, world: World) -> None:
    for who in ("analyst", "platform", "education"):
        with pytest.raises(PermissionDenied):
            registry.reveal_pii(session=db_session, entity_id=world.salon.id, actor=world.actors[who])
    assert not db_session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.view")).all()


def test_officer_reveal_is_audited(db_session: Session, world: World) -> None:
    officer = world.actors["haidian"]
    out = registry.reveal_pii(session=db_session, entity_id=world.salon.id, actor=officer)
    assert not out.pii_masked
    assert out.legal_representative == "张示范" and out.contact_phone == "13800138000"
    assert (
        out.operator_id_card == "110105198001010024"
        and out.registered_address == "北京市海淀区万寿路街道示范路 8 号"
    )
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.view")).one()
    assert event.object_type == "registry_entity" and event.object_id == str(world.salon.id)
    assert event.actor_username == "reg-haidian"
    with pytest.raises(NotFound):  # out of scope: not found, and nothing audited
        registry.reveal_pii(session=db_session, entity_id=world.trader.id, actor=officer)
    assert (
        db_session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "pii.view"))
        == 1
    )
