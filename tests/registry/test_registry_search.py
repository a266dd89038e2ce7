"""Fuzzy name search: normalisation, grams, substrings, aliases, typos, scope and the index upkeep."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.registry.registry_support import World, build_world, entity_in, uscc
from tianping import registry
from tianping.core.authz import SYSTEM
from tianping.registry import AliasIn, EntityQuery, EntityUpdate
from tianping.registry.grams import doc_grams, gram_code, gram_codes, index_text, normalize_name
from tianping.registry.models import SearchGram, SearchGramDf
from tianping.registry.search import Matcher, match_score


@pytest.fixture
def world(db_session: Session) -> World:
    return build_world(db_session)


def _top(session: Session, text: str, **kw: object) -> list[int]:
    return [h.entity_id for h in registry.search_names(session=session, text=text, actor=SYSTEM, **kw)]  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# Pure parts


def test_normalisation() -> None:
    assert normalize_name("示例外卖平台（北京）科技有限公司") == "示例外卖平台北京科技有限公司"
    assert normalize_name("Ｓｈｉｌｉ  外卖·Ｎｏ．１！") == "shili外卖no1"
    assert normalize_name("【京西】示范-美容 美发店") == "京西示范美容美发店"
    assert index_text("示例外卖平台北京科技有限公司") == "示例外卖平台北京科技"
    assert index_text("有限公司") == "有限公司"
    assert index_text("示范公司") == "示范"


def test_grams_are_bigrams_and_skip_bigrams() -> None:
    assert gram_codes("示例外卖") == {
        gram_code("示", "例"), gram_code("例", "外"), gram_code("外", "卖"),
        gram_code("示", "外"), gram_code("例", "卖"),
    }  # fmt: skip
    assert gram_codes("示") == set()
    assert max(gram_codes("\U0010ffff\U0010ffff")) < 2**42
    typo, right = gram_codes("示列外卖"), gram_codes("示例外卖")
    assert typo & right == {gram_code("外", "卖"), gram_code("示", "外")}
    missing = gram_codes("示外卖")
    assert gram_code("示", "外") in missing & right  # a missing character turns a skip-bigram into a bigram
    assert doc_grams(["示例", "外卖"]) == {gram_code("示", "例"), gram_code("外", "卖")}


@given(
    st.text(alphabet="示例外卖平台京西范美容发店", min_size=1, max_size=8),
    st.text(alphabet="示例外卖平台京西范美容发店", max_size=16),
)
def test_substring_distance_matches_brute_force(query: str, text: str) -> None:
    from rapidfuzz.distance import Levenshtein

    brute = min(
        Levenshtein.distance(query, text[i:j]) for i in range(len(text) + 1) for j in range(i, len(text) + 1)
    )
    assert Matcher(query).substring_distance(text) == brute


def test_match_scores_order_sensibly() -> None:
    assert match_score("示例外卖", "示例外卖") == 100
    assert 95 < match_score("示例外卖", "示例外卖平台北京科技") < 100
    assert match_score("示列外卖", "示例外卖") > match_score("示列外卖", "示例外卖平台北京科技") > 60
    assert match_score("示外卖", "示例外卖") > 60 and match_score("示例例外卖", "示例外卖") > 60
    assert match_score("示例外卖", "示例到家平台") < 60


# ------------------------------------------------------------------------------------------------
# Against the database


def test_substring_of_a_long_legal_name(db_session: Session, world: World) -> None:
    assert _top(db_session, "示例外卖")[0] == world.platform_a.id
    assert _top(db_session, "外卖平台（北京）科技")[0] == world.platform_a.id
    assert _top(db_session, "示例外卖平台北京科技有限公司")[0] == world.platform_a.id


def test_alias_finds_the_legal_entity(db_session: Session, world: World) -> None:
    hits = registry.search_names(session=db_session, text="样例优选", actor=SYSTEM)
    assert hits[0].entity_id == world.platform_b.id and hits[0].matched == "样例优选"


@pytest.mark.parametrize("typo", ["示列外卖", "示外卖", "示例例外卖", "示例外买"])
def test_one_character_typos(db_session: Session, world: World, typo: str) -> None:
    hits = registry.search_names(session=db_session, text=typo, actor=SYSTEM)
    assert hits and hits[0].entity_id == world.platform_a.id, hits
    assert hits[0].matched == "示例外卖"


def test_credit_code_and_external_id_find_exactly(db_session: Session, world: World) -> None:
    assert _top(db_session, (world.salon.uscc or "").lower())[0] == world.salon.id
    assert _top(db_session, "SL-SHOP-0001")[0] == world.shop_a.id


def test_short_and_empty_queries(db_session: Session, world: World) -> None:
    assert world.salon.id in _top(db_session, "美")
    assert _top(db_session, "（）！") == []
    assert _top(db_session, "完全无关的名字") == []


def test_search_respects_scope_and_filters(db_session: Session, world: World) -> None:
    haidian = world.actors["haidian"]
    ids = {
        h.entity_id for h in registry.search_names(session=db_session, text="示范", actor=haidian, limit=50)
    }
    assert ids == {world.shop_a.id, world.salon.id}
    page = registry.list_entities(
        session=db_session, query=EntityQuery(q="示范", kind="individual_business"), actor=SYSTEM
    )
    assert [i.id for i in page.items] == [world.salon.id] and page.items[0].score is not None
    page = registry.list_entities(
        session=db_session, query=EntityQuery(q="示范", district="110106"), actor=SYSTEM
    )
    assert {i.id for i in page.items} == {world.school.id, world.gym.id}


def test_search_pages_are_consistent(db_session: Session, world: World) -> None:
    first = registry.list_entities(session=db_session, query=EntityQuery(q="示范", page_size=2), actor=SYSTEM)
    second = registry.list_entities(
        session=db_session, query=EntityQuery(q="示范", page_size=2, page=2), actor=SYSTEM
    )
    assert first.total == second.total >= 4
    assert not {i.id for i in first.items} & {i.id for i in second.items}
    assert [i.score for i in first.items] == sorted((i.score for i in first.items), reverse=True)


def test_index_follows_creates_updates_and_rebuilds(db_session: Session, world: World) -> None:
    def snapshot() -> tuple[set[tuple[int, int]], dict[int, int]]:
        postings = set(db_session.execute(select(SearchGram.gram, SearchGram.entity_id)).all())
        dfs = {g: d for g, d in db_session.execute(select(SearchGramDf.gram, SearchGramDf.df)).all() if d}
        return postings, dfs

    registry.update(
        session=db_session,
        entity_id=world.gym.id,
        entity_in=EntityUpdate(name="丰台样例游泳馆有限公司", aliases=[AliasIn(alias="样例游泳")]),
        actor=SYSTEM,
    )
    registry.create(
        session=db_session, entity_in=entity_in(name="海淀示范眼镜店", uscc=uscc(30)), actor=SYSTEM
    )
    incremental = snapshot()
    assert registry.reindex(session=db_session, actor=SYSTEM) == 9
    assert snapshot() == incremental
    assert _top(db_session, "样例游泳")[0] == world.gym.id
    assert world.gym.id not in _top(db_session, "示范健身")
    total = db_session.scalar(select(func.sum(SearchGramDf.df)))
    assert total == db_session.scalar(select(func.count()).select_from(SearchGram))
