"""Pages of the registry: the entity list with fuzzy search, the entity page, the import form."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from tianping import registry
from tianping.core.authz import Actor, Perm
from tianping.core.divisions import districts
from tianping.core.errors import FileRejected, ImportRejected
from tianping.registry import (
    ENTITY_KIND_LABELS,
    ENTITY_STATUS_LABELS,
    INDUSTRY_SECTIONS,
    MAX_ID,
    EntityOut,
    EntityQuery,
)
from tianping.web.deps import CsrfChecked, PageUser, SessionDep, render

router = APIRouter()

EntityId = Annotated[int, Path(ge=1, le=MAX_ID)]

ERRORS_SHOWN = 200


def _page_links(query: EntityQuery, pages: int) -> dict[str, str | None]:
    base = {k: v for k, v in query.model_dump(mode="json", exclude_none=True).items() if k != "page"}

    def link(page: int) -> str:
        return "/entities?" + urlencode({**base, "page": page})

    return {
        "prev": link(query.page - 1) if query.page > 1 else None,
        "next": link(query.page + 1) if query.page < pages else None,
    }


@router.get("/entities", response_class=HTMLResponse)
def entity_list(
    request: Request, session: SessionDep, actor: PageUser, query: Annotated[EntityQuery, Query()]
) -> HTMLResponse:
    page = registry.list_entities(session=session, query=query, actor=actor)
    return render(
        request,
        "registry/list.html",
        actor=actor,
        nav="entities",
        query=query,
        result=page,
        links=_page_links(query, page.pages),
        kinds=ENTITY_KIND_LABELS,
        statuses=ENTITY_STATUS_LABELS,
        sections=INDUSTRY_SECTIONS,
        districts=districts(),
        platforms=registry.platform_choices(session=session, actor=actor),
    )


def _import_page(request: Request, actor: Actor, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(
        request, "registry/import.html", actor=actor, nav="entities", status_code=status_code, **context
    )


@router.get("/entities/import", response_class=HTMLResponse)
def import_form(request: Request, actor: PageUser) -> HTMLResponse:
    actor.require(Perm.ENTITY_IMPORT)
    return _import_page(request, actor)


@router.post("/entities/import", response_class=HTMLResponse, dependencies=[CsrfChecked])
def import_submit(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    file: Annotated[UploadFile, File()],
    mapping: Annotated[str, Form(max_length=5000)] = "",
    dry_run: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    actor.require(Perm.ENTITY_IMPORT)
    filename = file.filename or "upload.csv"
    try:
        report = registry.import_file(
            session=session,
            source=file.file,
            filename=filename,
            actor=actor,
            mapping=registry.parse_mapping_json(mapping),
            dry_run=dry_run,
        )
    except ImportRejected as exc:
        return _import_page(
            request,
            actor,
            status_code=422,
            message=exc.message,
            filename=filename,
            mapping=mapping,
            row_errors=exc.row_errors[:ERRORS_SHOWN],
            more_errors=max(0, len(exc.row_errors) - ERRORS_SHOWN),
            total_rows=exc.total_rows,
        )
    except FileRejected as exc:
        return _import_page(
            request, actor, status_code=422, message=exc.message, filename=filename, mapping=mapping
        )
    verb = "校验通过（未写入）" if report.dry_run else "导入完成"
    return _import_page(
        request,
        actor,
        message=f"{filename}：{verb}",
        message_ok=True,
        report=report,
        filename=filename,
    )


def _detail(request: Request, session: SessionDep, actor: Actor, out: EntityOut) -> HTMLResponse:
    panels = registry.collect_panels(session=session, entity_id=out.id, actor=actor)
    return render(request, "registry/detail.html", actor=actor, nav="entities", entity=out, panels=panels)


@router.get("/entities/{entity_id:int}", response_class=HTMLResponse)
def entity_detail(
    request: Request, session: SessionDep, actor: PageUser, entity_id: EntityId
) -> HTMLResponse:
    entity = registry.get(session=session, entity_id=entity_id, actor=actor)
    return _detail(request, session, actor, registry.to_out(entity, actor=actor))


@router.post("/entities/{entity_id:int}/reveal", response_class=HTMLResponse, dependencies=[CsrfChecked])
def entity_reveal(
    request: Request, session: SessionDep, actor: PageUser, entity_id: EntityId
) -> HTMLResponse:
    out = registry.reveal_pii(session=session, entity_id=entity_id, actor=actor)
    return _detail(request, session, actor, out)
