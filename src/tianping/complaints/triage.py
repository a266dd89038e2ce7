"""Triage (分拣): category, business, duplicates and routing for new tickets, each with its reasons.

1. **Category** — a category the source gave (hotline export, form) is kept when the taxonomy knows it
   (``category_source`` = ``import`` / ``form``); an officer's correction is never overwritten; else
   the active classifier predicts it (``training.active_classifier``: the trained model, or the
   taxonomy keywords when none is active) with its confidence, the terms that drove it and the
   alternatives.
2. **Business** — :mod:`linking` (registry names and aliases; unresolved names go to the queue).
3. **Duplicates and repeats** — :mod:`duplicates`.
4. **Routing** — :func:`routing.route` by jurisdiction (the linked entity's division first, 第十二条;
   else the division given by the source; else the address located in ``location`` /
   ``business_address`` / the text) and by category (→ member unit).
5. ``needs_review`` when the predicted category's confidence is below
   ``settings.complaints_triage_min_confidence`` or the business name is unresolved.

Everything is written to ``ticket.triage_detail`` (what the officer sees) plus a ``triaged`` timeline
event. :func:`triage_many` classifies in one batch and caches registry and organisation lookups.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from tianping.core import audit
from tianping.core.authz import Actor
from tianping.core.settings import get_settings
from tianping.core.timeutil import utcnow
from tianping.identity.models import Organization

from .classifier import Prediction
from .duplicates import find_duplicates_many
from .linking import LinkCache, LinkResult, link_business
from .models import Channel, LinkStatus, Ticket, TicketEvent, TicketKind, TicketStatus
from .routing import Location, Routing, explain_location, route
from .taxonomy import Taxonomy, load_taxonomy
from .training import active_classifier

__all__ = ["Classifier", "TriageResult", "pending_tickets", "triage", "triage_many"]

_SOURCE_CHANNELS = frozenset(
    {
        Channel.HOTLINE_12315.value,
        Channel.HOTLINE_12345.value,
        Channel.PLATFORM.value,
        Channel.CONSUMER_ASSOCIATION.value,
    }
)


class Classifier(Protocol):
    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...


@dataclass
class TriageResult:
    ticket_id: int
    category_code: str | None
    category_source: str | None
    confidence: float | None
    link: LinkResult
    routing: Routing
    needs_review: bool
    review_reasons: list[str]


def classifier_text(ticket: Ticket) -> str:
    """The text the classifier reads (the contract: title, newline, body)."""
    return f"{ticket.title}\n{ticket.text}"


def _category_detail(prediction: Prediction, min_confidence: float) -> dict[str, Any]:
    return {
        "label": prediction.label,
        "confidence": round(prediction.confidence, 4),
        "reasons": [[term, round(weight, 4)] for term, weight in prediction.reasons],
        "alternatives": [[label, round(p, 4)] for label, p in prediction.alternatives],
        "source": "model",
        "threshold": min_confidence,
        "low_confidence": prediction.confidence < min_confidence,
    }


ROUTE_CACHE_SECONDS = 60


class _RouteCache:
    """Routing decisions reused across tickets and batches while organisations and taxonomy are unchanged."""

    _shared: tuple[tuple[Any, ...], _RouteCache] | None = None

    @classmethod
    def shared(cls, session: Session, taxonomy: Taxonomy) -> _RouteCache:
        orgs = session.execute(
            select(
                func.count(Organization.id),
                func.max(Organization.id),
                func.sum(case((Organization.is_active, 1), else_=0)),
            )
        ).one()
        stamp = (*orgs, id(taxonomy))
        now = time.monotonic()
        # Organisation edits that change no count (a station's streets) are picked up within a minute.
        if cls._shared is None or cls._shared[0] != stamp or now - cls._shared[1].born > ROUTE_CACHE_SECONDS:
            cls._shared = (stamp, cls())
        return cls._shared[1]

    def __init__(self) -> None:
        self.born = time.monotonic()
        self.routes: dict[tuple[str | None, str | None, str, str | None], Routing] = {}
        self.located: dict[str, Location | None] = {}

    def locate(self, text: str | None) -> Location | None:
        if not text:
            return None
        if text not in self.located:
            self.located[text] = explain_location(text)
        return self.located[text]

    def route(
        self,
        session: Session,
        division: str | None,
        category: str | None,
        kind: str,
        entity_division: str | None,
        located_from: str | None,
    ) -> Routing:
        """:func:`routing.route`, cached by what decides it.

        Jurisdiction follows the precedence of ``routing.route`` (complaints: the linked entity's place
        of business first, 第十二条; reports: where the conduct happened first, 第二十五条), so the
        input that cannot win is left out of the cache key. The "地址含…" reason is added here.
        """
        beijing_entity = entity_division if entity_division and entity_division.startswith("11") else None
        if kind == TicketKind.REPORT.value:
            if division:
                entity_division = None
        elif beijing_entity:
            division = None
        # Only reports differ from the other kinds in routing (jurisdiction precedence).
        kind = TicketKind.REPORT.value if kind == TicketKind.REPORT.value else TicketKind.COMPLAINT.value
        key = (division, category, kind, entity_division)
        if key not in self.routes:
            self.routes[key] = route(
                session=session,
                division_code=division,
                category_code=category,
                kind=kind,
                entity_division_code=entity_division,
            )
        routing = self.routes[key]
        if located_from and division:
            return replace(routing, reasons=(f"地址含“{located_from}”", *routing.reasons))
        return routing


def _decide_category(
    ticket: Ticket, taxonomy: Taxonomy, prediction: Prediction | None, min_confidence: float
) -> tuple[dict[str, Any], bool]:
    """Set the ticket's category; returns the detail and whether confidence is too low."""
    if ticket.category_source == "officer" and ticket.category_code:
        return {"label": ticket.category_code, "source": "officer", "low_confidence": False}, False
    if (
        ticket.category_code
        and ticket.category_code in taxonomy
        and ticket.category_source in (None, "import", "form")
    ):
        source = "import" if ticket.channel in _SOURCE_CHANNELS else "form"
        ticket.category_source = source
        ticket.category_confidence = None
        return {"label": ticket.category_code, "source": source, "low_confidence": False}, False
    detail: dict[str, Any] = {}
    if ticket.category_code and ticket.category_code not in taxonomy:
        detail["given_unknown"] = ticket.category_code
    if prediction is None:
        return {**detail, "label": None, "source": None, "low_confidence": True}, True
    ticket.category_code = prediction.label
    ticket.category_source = "model"
    ticket.category_confidence = round(prediction.confidence, 4)
    detail.update(_category_detail(prediction, min_confidence))
    return detail, bool(detail["low_confidence"])


def _summary(ticket: Ticket, taxonomy: Taxonomy, link: LinkResult, routing: Routing) -> str:
    parts = [f"分类：{taxonomy.label(ticket.category_code)}"]
    if ticket.category_confidence is not None:
        parts[0] += f"（置信度 {ticket.category_confidence:.2f}）"
    parts.append(f"经营者：{link.status.label}")
    if routing.reasons:
        last = routing.reasons[-1]
        parts.append(last if last.startswith("承办") else "承办：" + last)
    return "；".join(parts)


def _predict(tickets: Sequence[Ticket], taxonomy: Taxonomy, classifier: Classifier) -> dict[int, Prediction]:
    needing = [
        t
        for t in tickets
        if not (t.category_source == "officer" and t.category_code)
        and not (
            t.category_code and t.category_code in taxonomy and t.category_source in (None, "import", "form")
        )
    ]
    if not needing:
        return {}
    predictions = classifier.predict([classifier_text(t) for t in needing])
    return {t.id: p for t, p in zip(needing, predictions, strict=True)}


def _link_all(
    session: Session,
    tickets: Sequence[Ticket],
    taxonomy: Taxonomy,
    predictions: dict[int, Prediction],
    min_confidence: float,
    links: LinkCache,
    link_results: dict[int, LinkResult],
    category_details: dict[int, tuple[dict[str, Any], bool]],
) -> None:
    for ticket in tickets:
        category_details[ticket.id] = _decide_category(
            ticket, taxonomy, predictions.get(ticket.id), min_confidence
        )
        if ticket.link_status == LinkStatus.CONFIRMED.value:
            facts = links.entity(session, ticket.entity_id) if ticket.entity_id else None
            link_results[ticket.id] = LinkResult(
                status=LinkStatus.CONFIRMED,
                entity_id=ticket.entity_id,
                platform_entity_id=ticket.platform_entity_id,
                entity_division_code=facts.division_code if facts else None,
            )
        else:
            link_results[ticket.id] = link_business(session=session, ticket=ticket, cache=links)


def _route_one(
    session: Session,
    ticket: Ticket,
    taxonomy: Taxonomy,
    routes: _RouteCache,
    link: LinkResult,
    category_detail: tuple[dict[str, Any], bool],
    min_confidence: float,
    actor: Actor,
    now: datetime,
) -> TicketEvent:
    """Route one ticket, store the triage detail and return its timeline event."""
    category, low = category_detail
    given = _given_division(ticket)
    located = None
    if not given:
        located = (
            routes.locate(_location(ticket))
            or routes.locate(ticket.business_address)
            or routes.locate(f"{ticket.title}\n{ticket.text}")
        )
    division = given or (located.code if located else None)
    routing = routes.route(
        session,
        division,
        ticket.category_code,
        ticket.kind,
        link.entity_division_code,
        located.matched if located else None,
    )
    ticket.division_code = routing.division_code
    ticket.district_code = routing.district_code
    ticket.station_org_id = routing.station_org_id
    ticket.member_unit_org_id = routing.member_unit_org_id
    if ticket.status == TicketStatus.REGISTERED.value and ticket.transfer_count == 0:
        ticket.handling_org_id = routing.handling_org_id
    reasons: list[str] = []
    if low:
        reasons.append(f"分类置信度低于 {min_confidence:.2f}")
    if link.status == LinkStatus.UNRESOLVED:
        reasons.append("被投诉经营者待确认")
    ticket.needs_review = bool(reasons)
    detail = dict(ticket.triage_detail or {})
    detail["category"] = category
    detail["business"] = link.detail() if link.status != LinkStatus.CONFIRMED else ticket.link_detail
    detail["routing"] = {
        "reasons": list(routing.reasons),
        "division_code": ticket.division_code,
        "station_org_id": routing.station_org_id,
        "member_unit_org_id": routing.member_unit_org_id,
        "handling_org_id": routing.handling_org_id,
        "located_from_text": located is not None,
    }
    detail["review_reasons"] = reasons
    detail["triaged_at"] = now.isoformat()
    ticket.triage_detail = detail
    ticket.updated_at = now
    return TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor_user_id=actor.user_id,
        actor_name=actor.username,
        action="triaged",
        from_status=ticket.status,
        to_status=ticket.status,
        note=_summary(ticket, taxonomy, link, routing),
        data={
            "category_code": ticket.category_code,
            "confidence": ticket.category_confidence,
            "entity_id": ticket.entity_id,
            "link_status": ticket.link_status,
            "handling_org_id": ticket.handling_org_id,
            "needs_review": ticket.needs_review,
        },
    )


def triage_many(
    *,
    session: Session,
    tickets: Sequence[Ticket],
    actor: Actor,
    classifier: Classifier | None = None,
    audit_each: bool = False,
) -> int:
    """Triage flushed tickets in one batch; returns how many were triaged."""
    if not tickets:
        return 0
    settings = get_settings()
    min_confidence = settings.complaints_triage_min_confidence
    taxonomy = load_taxonomy()
    model: Classifier = classifier if classifier is not None else active_classifier(session=session)
    predictions = _predict(tickets, taxonomy, model)
    links = LinkCache.shared(session)
    links.prefetch_exact(session, [t.business_name for t in tickets if t.business_name])
    routes = _RouteCache.shared(session, taxonomy)
    now = utcnow()
    link_results: dict[int, LinkResult] = {}
    category_details: dict[int, tuple[dict[str, Any], bool]] = {}
    with session.no_autoflush:  # lookups below must not flush half-triaged rows one by one
        _link_all(
            session, tickets, taxonomy, predictions, min_confidence, links, link_results, category_details
        )
    find_duplicates_many(session=session, tickets=tickets)
    events: list[TicketEvent] = []
    with session.no_autoflush:
        for ticket in tickets:
            events.append(
                _route_one(
                    session,
                    ticket,
                    taxonomy,
                    routes,
                    link_results[ticket.id],
                    category_details[ticket.id],
                    min_confidence,
                    actor,
                    now,
                )
            )
            if audit_each:
                audit.record(
                    session,
                    actor=actor,
                    action="complaints.triage",
                    object_type="complaints.ticket",
                    object_id=ticket.id,
                    summary=f"工单 {ticket.ticket_no} 分拣：{events[-1].note}"[:500],
                )
    _write(session, tickets, events)
    if not audit_each:
        audit.record(
            session,
            actor=actor,
            action="complaints.triage",
            object_type="complaints.ticket",
            object_id=tickets[0].id if len(tickets) == 1 else None,
            summary=f"分拣 {len(tickets)} 件工单",
            detail={"count": len(tickets), "ticket_ids": [t.id for t in tickets[:200]]},
        )
    session.flush()
    return len(tickets)


# What triage decides, written for a whole batch with one executemany UPDATE.
_TRIAGED_COLUMNS = (
    "category_code",
    "category_source",
    "category_confidence",
    "entity_id",
    "link_status",
    "link_detail",
    "platform_entity_id",
    "division_code",
    "district_code",
    "station_org_id",
    "member_unit_org_id",
    "handling_org_id",
    "needs_review",
    "triage_detail",
    "matter_id",
    "repeat_of_id",
    "updated_at",
)


def _write(session: Session, tickets: Sequence[Ticket], events: list[TicketEvent]) -> None:
    """Write the triage of a batch: one ``executemany`` UPDATE of the decided columns (the objects
    are marked as saved for those columns) and one INSERT of the timeline events.

    The unit of work would issue one UPDATE per ticket with varying column sets, several times
    slower for the thousands of tickets of an import.
    """
    params: list[dict[str, Any]] = []
    for ticket in tickets:
        values = {f"v_{c}": getattr(ticket, c) for c in _TRIAGED_COLUMNS}
        values["b_id"] = ticket.id
        params.append(values)
        for column in _TRIAGED_COLUMNS:
            set_committed_value(ticket, column, getattr(ticket, column))
    stmt = (
        update(Ticket)
        .where(Ticket.id == bindparam("b_id"))
        .values({c: bindparam(f"v_{c}") for c in _TRIAGED_COLUMNS})
    )
    conn = session.connection()
    conn.execute(stmt, params)
    rows = [
        {
            "ticket_id": e.ticket_id,
            "at": e.at,
            "actor_user_id": e.actor_user_id,
            "actor_name": e.actor_name,
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "note": e.note,
            "data": e.data,
        }
        for e in events
    ]
    if rows:
        conn.execute(insert(TicketEvent), rows)


def _given_division(ticket: Ticket) -> str | None:
    """The division code the source gave (kept in the intake detail: triage overwrites the column)."""
    intake = (ticket.triage_detail or {}).get("intake", {})
    value = intake.get("division_code")
    return value if isinstance(value, str) else None


def _location(ticket: Ticket) -> str | None:
    intake = (ticket.triage_detail or {}).get("intake", {})
    value = intake.get("location")
    return value if isinstance(value, str) else None


def triage(
    *, session: Session, ticket: Ticket, actor: Actor, classifier: Classifier | None = None
) -> TriageResult:
    """Triage one ticket (see the module docstring) and return what was decided."""
    triage_many(session=session, tickets=[ticket], actor=actor, classifier=classifier, audit_each=True)
    detail = ticket.triage_detail or {}
    routing = detail.get("routing", {})
    return TriageResult(
        ticket_id=ticket.id,
        category_code=ticket.category_code,
        category_source=ticket.category_source,
        confidence=ticket.category_confidence,
        link=LinkResult(
            status=LinkStatus(ticket.link_status),
            entity_id=ticket.entity_id,
            platform_entity_id=ticket.platform_entity_id,
        ),
        routing=Routing(
            division_code=ticket.division_code,
            district_code=ticket.district_code,
            station_org_id=ticket.station_org_id,
            member_unit_org_id=ticket.member_unit_org_id,
            handling_org_id=ticket.handling_org_id,
            reasons=tuple(routing.get("reasons", ())),
        ),
        needs_review=ticket.needs_review,
        review_reasons=list(detail.get("review_reasons", [])),
    )


def pending_tickets(session: Session, *, all_registered: bool = False, limit: int = 100_000) -> list[Ticket]:
    """Registered tickets without a category (or all registered ones), oldest first."""
    stmt = select(Ticket).where(Ticket.status == TicketStatus.REGISTERED.value)
    if not all_registered:
        stmt = stmt.where(Ticket.category_code.is_(None))
    return list(session.scalars(stmt.order_by(Ticket.id).limit(limit)))
