"""Officers' pages of complaints and work orders (投诉举报工单).

* ``/complaints`` — the list with filters and queue tabs (全部 / 待分拣 / 待确认经营者 / 临期 / 逾期); it
  also takes the drill-down parameters of the dashboard (``member_unit``, ``entity_id``,
  ``platform_entity_id``);
* ``/complaints/{id}`` — one ticket: the facts, the triage with its reasons, the deadline clocks, the
  timeline and the actions the actor may take now (:func:`tianping.complaints.lifecycle.next_actions`).

The public form lives in :mod:`tianping.web.complaint_forms`, the actions (POST, reveal included) in
:mod:`tianping.web.complaint_actions`, the view models in :mod:`tianping.web.complaint_views`; the
routers are mounted here.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from tianping.complaints import service as complaints
from tianping.complaints.models import CHANNEL_LABELS, TICKET_KIND_LABELS, TICKET_STATUS_LABELS
from tianping.complaints.schemas import TicketQuery
from tianping.core.authz import Actor, Perm
from tianping.core.divisions import districts
from tianping.registry import service as registry
from tianping.web import complaint_actions, complaint_forms
from tianping.web.complaint_views import TicketId, category_choices, choices, detail_page, org_choices
from tianping.web.deps import PageUser, SessionDep, render

router = APIRouter()
router.include_router(complaint_forms.router)

TABS: tuple[tuple[str, str], ...] = (
    ("", "全部"),
    ("review", "待分拣"),
    ("unresolved", "待确认经营者"),
    ("due_soon", "临期"),
    ("overdue", "逾期"),
)
FILTERS = ("q", "status", "kind", "channel", "category", "district", "month")
DRILL_FILTERS = ("member_unit", "entity_id", "platform_entity_id")

# -- list -----------------------------------------------------------------------------------------


def _query_params(query: TicketQuery, **changes: Any) -> dict[str, Any]:
    params = query.model_dump(mode="json", exclude_none=True, exclude={"page", "page_size"})
    params.update(changes)
    return {k: v for k, v in params.items() if v not in (None, "")}


def _list_url(params: dict[str, Any]) -> str:
    return "/complaints" + (f"?{urlencode(params)}" if params else "")


def _drill_labels(session: SessionDep, actor: Actor, query: TicketQuery) -> list[str]:
    labels: list[str] = []
    if query.member_unit:
        names = {oid: name for _g, items in org_choices(session) for oid, name in items}
        labels.append(f"成员单位：{names.get(query.member_unit, f'#{query.member_unit}')}")
    for entity_id, label in ((query.entity_id, "经营者"), (query.platform_entity_id, "平台")):
        if entity_id:
            name = f"#{entity_id}"
            if actor.can(Perm.ENTITY_READ):
                name = registry.get(session=session, entity_id=entity_id, actor=actor).name
            labels.append(f"{label}：{name}")
    return labels


@router.get("/complaints", response_class=HTMLResponse)
def ticket_list(
    request: Request, session: SessionDep, actor: PageUser, query: Annotated[TicketQuery, Query()]
) -> HTMLResponse:
    actor.require(Perm.COMPLAINT_READ)
    result = complaints.list_tickets(session=session, query=query, actor=actor)
    pages = max(1, math.ceil(result.total / result.page_size))
    tab_base = _query_params(query, queue=None)
    tabs = [(key, label, _list_url({**tab_base, "queue": key} if key else tab_base)) for key, label in TABS]
    return render(
        request,
        "complaints/list.html",
        actor=actor,
        nav="complaints",
        query=query,
        result=result,
        pages=pages,
        tabs=tabs,
        links={
            "prev": _list_url(_query_params(query, page=query.page - 1)) if query.page > 1 else None,
            "next": _list_url(_query_params(query, page=query.page + 1)) if query.page < pages else None,
        },
        hidden=DRILL_FILTERS,
        filtered=any(getattr(query, f) for f in (*FILTERS, *DRILL_FILTERS)),
        extra_filters=_drill_labels(session, actor, query),
        statuses=choices(TICKET_STATUS_LABELS),
        kinds=choices(TICKET_KIND_LABELS),
        channels=choices(CHANNEL_LABELS),
        categories=category_choices(),
        districts=[(d.code, d.name) for d in districts()],
    )


@router.get("/complaints/{ticket_id:int}", response_class=HTMLResponse)
def ticket_detail(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    ticket_id: TicketId,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    actor.require(Perm.COMPLAINT_READ)
    message = complaint_actions.DONE_MESSAGES.get(done or "")
    return detail_page(request, session, actor, ticket_id, message=message, message_ok=bool(message))


router.include_router(complaint_actions.router)
