"""The download behind the 「导出」 buttons of the entity list."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response

from tianping.registry.exporter import export_entities
from tianping.registry.schemas import EntityQuery
from tianping.web.deps import PageUser, SessionDep

router = APIRouter()


@router.get("/entities/export.{fmt}")
def export(
    fmt: Literal["csv", "xlsx"],
    session: SessionDep,
    actor: PageUser,
    query: Annotated[EntityQuery, Query()],
) -> Response:
    file = export_entities(session=session, query=query, actor=actor, fmt=fmt)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}"},
    )
