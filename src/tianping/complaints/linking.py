"""Linking a ticket to the market entity it is about (被投诉人), and to the platform involved.

Names come from the form (``business_name``, ``platform_name``) and from the text (quoted names
「…」/“…”, "在XX店", "XX有限公司", "XX健身/美容/培训…"). Each is looked up in the registry by name and
alias (:func:`tianping.registry.search_names`, fuzzy). The best entity is linked only when its score
reaches :data:`LINK_SCORE` **and** leads the next different entity by :data:`LINK_MARGIN`; otherwise the
ticket is ``UNRESOLVED`` with the candidates in ``link_detail`` and goes to the officers' queue —
a name is never guessed silently. An officer settles it with :func:`confirm_business` (audited).

``platform_entity_id`` is the linked entity when it is a platform, the platform of a linked shop or
livestream room, or else the platform found by ``platform_name``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tianping.core import audit
from tianping.core.authz import SYSTEM, Actor, Perm
from tianping.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from tianping.core.timeutil import utcnow
from tianping.registry import EntityAlias, EntityKind, MarketEntity, search_names
from tianping.registry.grams import normalize_name

from .clocks import ticket_event
from .models import LinkStatus, Ticket
from .repository import in_scope

__all__ = [
    "LINK_MARGIN",
    "LINK_SCORE",
    "LinkCache",
    "LinkResult",
    "confirm_business",
    "extract_names",
    "link_business",
]

LINK_SCORE = 80.0  # 0–100 (registry search score; one wrong character in seven scores about 81)
LINK_MARGIN = 8.0  # the best entity must lead the next different entity by this much
TEXT_FACTOR = 0.97  # a name found in the text counts a little less than one typed in the form field
_MAX_NAMES = 6

_NAME_CHARS = r"[\u4e00-\u9fffA-Za-z0-9（）()·&]"
_QUOTED = re.compile(r"[「“\"『《]([^」”\"』》\n]{2,40})[」”\"』》]")
_COMPANY = re.compile(rf"({_NAME_CHARS}{{2,30}}?有限(?:责任)?公司(?:{_NAME_CHARS}{{1,12}}?(?:分公司|店))?)")
_SHOP = re.compile(
    rf"(?:在|到|去|于|从)({_NAME_CHARS}{{2,20}}?(?:门店|分店|旗舰店|专卖店|店|会所|工作室|中心|馆|学校|机构))"
)
_TRADE = re.compile(
    rf"({_NAME_CHARS}{{2,10}}?(?:健身|美容|美发|美甲|培训|教育|瑜伽|舞蹈|口腔|餐厅|饭店|超市|药房|药店|影城|游泳))"
)
# Words that often precede a name in a sentence and are not part of it.
_LEADING = re.compile(r"^(?:我|我们|本人|消费者|来电人|市民)?(?:在|到|去|于|从|向|对|被|和|与|是|说|称)?")


@dataclass(frozen=True)
class Candidate:
    entity_id: int
    name: str  # the name or alias that matched
    score: float
    source: str  # business_name | text | platform_name


@dataclass
class LinkResult:
    status: LinkStatus
    entity_id: int | None = None
    platform_entity_id: int | None = None
    entity_division_code: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    reason: str = ""

    def detail(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "names": self.names,
            "reason": self.reason,
            "candidates": [
                {"entity_id": c.entity_id, "name": c.name, "score": round(c.score, 1), "source": c.source}
                for c in self.candidates[:5]
            ],
            "entity_id": self.entity_id,
            "platform_entity_id": self.platform_entity_id,
            "thresholds": {"score": LINK_SCORE, "margin": LINK_MARGIN},
        }


@dataclass
class _EntityFacts:
    kind: str
    platform_id: int | None
    division_code: str | None
    name: str


class LinkCache:
    """Registry lookups (exact names, fuzzy searches, entity facts), reused across tickets.

    :meth:`shared` returns one cache per process for as long as the registry is unchanged (same
    number of entities and aliases, same latest id and update time), so the same business named in
    thousands of work orders is looked up once.
    """

    _shared: tuple[tuple[Any, ...], LinkCache] | None = None

    def __init__(self) -> None:
        self.hits: dict[tuple[str, bool], list[tuple[int, float, str]]] = {}
        self.exact: dict[str, tuple[int, ...]] = {}
        self.facts: dict[int, _EntityFacts] = {}

    @classmethod
    def shared(cls, session: Session) -> LinkCache:
        columns = (func.count(MarketEntity.id), func.max(MarketEntity.id), func.max(MarketEntity.updated_at))
        entities = session.execute(select(*columns)).one()
        aliases = session.scalar(select(func.count(EntityAlias.id)))
        stamp = (*entities, aliases)
        if cls._shared is None or cls._shared[0] != stamp:
            cls._shared = (stamp, cls())
        return cls._shared[1]

    def prefetch_exact(self, session: Session, names: list[str]) -> None:
        """Entities whose whole normalised name or alias equals one of ``names`` (two queries a chunk)."""
        wanted = sorted({n for n in map(normalize_name, names) if n and n not in self.exact})
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            found: dict[str, set[int]] = {n: set() for n in chunk}
            by_name = select(MarketEntity.normalized_name, MarketEntity.id).where(
                MarketEntity.normalized_name.in_(chunk)
            )
            by_alias = select(EntityAlias.normalized_alias, EntityAlias.entity_id).where(
                EntityAlias.normalized_alias.in_(chunk)
            )
            for norm, entity_id in [*session.execute(by_name), *session.execute(by_alias)]:
                found[norm].add(entity_id)
            for norm, ids in found.items():
                self.exact[norm] = tuple(sorted(ids))
            self.prefetch_facts(session, sorted({i for ids in found.values() for i in ids}))

    def prefetch_facts(self, session: Session, entity_ids: list[int]) -> None:
        wanted = [i for i in entity_ids if i not in self.facts]
        for i in range(0, len(wanted), 500):
            stmt = select(
                MarketEntity.id,
                MarketEntity.kind,
                MarketEntity.platform_id,
                MarketEntity.division_code,
                MarketEntity.name,
            ).where(MarketEntity.id.in_(wanted[i : i + 500]))
            for entity_id, kind, platform_id, division_code, name in session.execute(stmt):
                self.facts[entity_id] = _EntityFacts(kind, platform_id, division_code, name)

    def exact_ids(self, session: Session, name: str) -> tuple[int, ...]:
        norm = normalize_name(name)
        if not norm:
            return ()
        if norm not in self.exact:
            self.prefetch_exact(session, [name])
        return self.exact[norm]

    def search(
        self, session: Session, name: str, *, platforms_only: bool = False
    ) -> list[tuple[int, float, str]]:
        key = (normalize_name(name), platforms_only)
        if not key[0]:
            return []
        if key not in self.hits:
            filters = [MarketEntity.kind == EntityKind.PLATFORM.value] if platforms_only else []
            hits = search_names(session=session, text=name, actor=SYSTEM, limit=5, filters=filters)
            self.hits[key] = [(h.entity_id, h.score, h.matched) for h in hits]
        return self.hits[key]

    def entity(self, session: Session, entity_id: int) -> _EntityFacts | None:
        if entity_id not in self.facts:
            row = session.execute(
                select(
                    MarketEntity.kind, MarketEntity.platform_id, MarketEntity.division_code, MarketEntity.name
                ).where(MarketEntity.id == entity_id)
            ).first()
            if row is None:
                return None
            self.facts[entity_id] = _EntityFacts(row[0], row[1], row[2], row[3])
        return self.facts[entity_id]


def _clean(name: str) -> str:
    value = _LEADING.sub("", name.strip())
    return value.strip(" ，。,.：:；;、")


def extract_names(text: str) -> list[str]:
    """Business names mentioned in a text, in order of appearance, without repeats."""
    found: list[tuple[int, str]] = []
    for pattern in (_QUOTED, _COMPANY, _SHOP, _TRADE):
        for match in pattern.finditer(text):
            name = _clean(match.group(1))
            if 2 <= len(name) <= 40:
                found.append((match.start(1), name))
    distinct = {name for _pos, name in found}
    # A fragment of a longer name found too ("示例美容" inside "示例美容美发店") adds nothing.
    kept = {n for n in distinct if not any(n != other and n in other for other in distinct)}
    names: list[str] = []
    for _pos, name in sorted(found):
        if name in kept and name not in names:
            names.append(name)
    return names[:_MAX_NAMES]


def _platform_of(facts: _EntityFacts | None, entity_id: int) -> int | None:
    if facts is None:
        return None
    if facts.kind == EntityKind.PLATFORM.value:
        return entity_id
    if facts.kind in (EntityKind.PLATFORM_SHOP.value, EntityKind.LIVESTREAM.value):
        return facts.platform_id
    return None


def _fuzzy(session: Session, names: list[tuple[str, str, float]], cache: LinkCache) -> list[Candidate]:
    best: dict[int, Candidate] = {}
    for name, source, factor in names:
        for entity_id, score, matched in cache.search(session, name):
            candidate = Candidate(entity_id, matched, score * factor, source)
            if entity_id not in best or candidate.score > best[entity_id].score:
                best[entity_id] = candidate
    return sorted(best.values(), key=lambda c: (-c.score, c.entity_id))


def _exact(session: Session, names: list[tuple[str, str, float]], cache: LinkCache) -> list[Candidate]:
    found: dict[int, Candidate] = {}
    for name, source, _factor in names:
        for entity_id in cache.exact_ids(session, name):
            found.setdefault(entity_id, Candidate(entity_id, name, 100.0, source))
    return list(found.values())


def _decide(result: LinkResult, ranked: list[Candidate], exact: list[Candidate]) -> bool:
    """Set the decision on ``result`` from exact and fuzzy candidates; True when linked."""
    if len(exact) == 1:
        top = exact[0]
        result.status = LinkStatus.LINKED
        result.entity_id = top.entity_id
        result.candidates = [top, *[c for c in ranked if c.entity_id != top.entity_id]]
        where = "表单填写的名称" if top.source == "business_name" else "内容中的名称"
        result.reason = f"{where}“{top.name}”与名录中的名称或别名完全一致"
        return True
    result.candidates = ranked
    if len(exact) > 1:
        result.status = LinkStatus.UNRESOLVED
        result.candidates = exact + [c for c in ranked if c.entity_id not in {e.entity_id for e in exact}]
        result.reason = f"“{exact[0].name}”在名录中对应 {len(exact)} 个经营主体，待人工确认"
        return False
    if not ranked:
        result.status = LinkStatus.UNRESOLVED
        result.reason = "名录中未找到“" + "”“".join(result.names[:3]) + "”，待人工确认"
        return False
    top = ranked[0]
    second = ranked[1].score if len(ranked) > 1 else 0.0
    if top.score < LINK_SCORE:
        result.status = LinkStatus.UNRESOLVED
        result.reason = f"最接近的“{top.name}”相似度 {top.score:.0f} 低于 {LINK_SCORE:.0f}，待人工确认"
        return False
    if top.score - second < LINK_MARGIN:
        result.status = LinkStatus.UNRESOLVED
        result.reason = (
            f"“{top.name}”（{top.score:.0f}）与“{ranked[1].name}”（{second:.0f}）难以区分，待人工确认"
        )
        return False
    result.status = LinkStatus.LINKED
    result.entity_id = top.entity_id
    where = "表单填写的名称" if top.source == "business_name" else "内容中的名称"
    result.reason = f"{where}匹配“{top.name}”，相似度 {top.score:.0f}，领先第二名 {top.score - second:.0f}"
    return True


def resolve(
    session: Session,
    *,
    business_name: str | None,
    platform_name: str | None,
    text: str,
    cache: LinkCache | None = None,
) -> LinkResult:
    """Decide the entity (and platform) a submission is about; pure lookup, changes nothing.

    The name typed in the form is tried first (exact name or alias, then fuzzy); only when it does
    not decide are the names found in the text added.
    """
    cache = cache or LinkCache()
    form: list[tuple[str, str, float]] = [(business_name, "business_name", 1.0)] if business_name else []
    names = list(form)
    for name in extract_names(text):
        if not any(normalize_name(name) == normalize_name(n) for n, _s, _f in names):
            names.append((name, "text", TEXT_FACTOR))
    result = LinkResult(status=LinkStatus.NONE, names=[n for n, _s, _f in names])
    # A platform named in its own field is a fact about the platform, not the business.
    platform_hit: Candidate | None = None
    if platform_name:
        hits = cache.search(session, platform_name, platforms_only=True)
        if hits and hits[0][1] >= LINK_SCORE and (len(hits) == 1 or hits[0][1] - hits[1][1] >= LINK_MARGIN):
            platform_hit = Candidate(hits[0][0], hits[0][2], hits[0][1], "platform_name")
            result.platform_entity_id = platform_hit.entity_id
    if not names:
        if platform_hit is not None:
            result.reason = f"仅填写平台名称：关联平台“{platform_hit.name}”"
        else:
            result.reason = "未填写或未识别出经营者名称"
        return result
    linked = False
    if form:
        exact = _exact(session, form, cache)
        linked = _decide(result, [] if exact else _fuzzy(session, form, cache), exact)
    if not linked and len(names) > len(form):
        exact = _exact(session, names, cache)
        linked = _decide(result, [] if len(exact) == 1 else _fuzzy(session, names, cache), exact)
    if linked and result.entity_id is not None:
        facts = cache.entity(session, result.entity_id)
        result.entity_division_code = facts.division_code if facts else None
        own_platform = _platform_of(facts, result.entity_id)
        if own_platform is not None:
            result.platform_entity_id = own_platform
    return result


def apply(ticket: Ticket, result: LinkResult) -> None:
    """Store a link decision on the ticket (officer-confirmed links are never overwritten)."""
    if ticket.link_status == LinkStatus.CONFIRMED.value:
        return
    ticket.link_status = result.status.value
    ticket.entity_id = result.entity_id
    ticket.platform_entity_id = result.platform_entity_id
    ticket.link_detail = result.detail()


def link_business(*, session: Session, ticket: Ticket, cache: LinkCache | None = None) -> LinkResult:
    """Find and store the ticket's entity and platform (see the module docstring)."""
    result = resolve(
        session,
        business_name=ticket.business_name,
        platform_name=ticket.platform_name,
        text=f"{ticket.title}\n{ticket.text}",
        cache=cache,
    )
    apply(ticket, result)
    return result


def confirm_business(*, session: Session, ticket_id: int, entity_id: int | None, actor: Actor) -> Ticket:
    """An officer chooses the entity (or states that none applies); audited, kept by later triage."""
    actor.require(Perm.COMPLAINT_HANDLE)
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not in_scope(ticket, actor):
        raise NotFound(f"工单 {ticket_id} 不存在或不在您的管辖范围内")
    if actor.platform_entity_id is not None:
        raise PermissionDenied("平台经办人不能确认被投诉经营者")
    old = ticket.entity_id
    platform_id: int | None = None
    if entity_id is not None:
        entity = session.get(MarketEntity, entity_id)
        if entity is None:
            raise ValidationFailed("经营主体不存在", errors=[FieldError("entity_id", "经营主体不存在")])
        cache = LinkCache()
        platform_id = _platform_of(cache.entity(session, entity_id), entity_id)
    detail = dict(ticket.link_detail or {})
    detail["confirmed"] = {"by": actor.username, "entity_id": entity_id, "previous_entity_id": old}
    ticket.entity_id = entity_id
    ticket.link_status = (LinkStatus.CONFIRMED if entity_id is not None else LinkStatus.NONE).value
    ticket.link_detail = detail
    if platform_id is not None or entity_id is not None:
        ticket.platform_entity_id = platform_id if platform_id is not None else ticket.platform_entity_id
    now = utcnow()
    ticket.updated_at = now
    # Review stays only if the category still needs it (triage recorded why).
    ticket.needs_review = bool((ticket.triage_detail or {}).get("category", {}).get("low_confidence"))
    ticket_event(
        session,
        ticket,
        actor=actor,
        action="business_confirmed",
        note="确认被投诉经营者" if entity_id is not None else "确认不涉及名录中的经营者",
        data={"entity_id": entity_id, "previous_entity_id": old},
        at=now,
    )
    audit.record(
        session,
        actor=actor,
        action="complaints.confirm_business",
        object_type="complaints.ticket",
        object_id=ticket.id,
        summary=f"工单 {ticket.ticket_no} 确认经营者：{entity_id if entity_id is not None else '无'}",
        detail={"entity_id": entity_id, "previous_entity_id": old},
    )
    return ticket
