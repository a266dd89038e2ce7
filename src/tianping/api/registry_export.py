"""Export of the entity list as CSV or XLSX (scoped, personal data masked, audited)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response

from tianping.api.deps import SessionDep, UserDep
from tianping.registry.exporter import export_entities
from tianping.registry.schemas import EntityQuery

router = APIRouter(prefix="/entities", tags=["registry"])


@router.get(
    "/export",
    summary="导出经营主体（CSV / XLSX；个人信息脱敏；最多 100,000 行）",
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
def export(
    session: SessionDep,
    actor: UserDep,
    query: Annotated[EntityQuery, Query()],
    format: Annotated[Literal["csv", "xlsx"], Query(description="文件格式")] = "csv",
) -> Response:
    file = export_entities(session=session, query=query, actor=actor, fmt=format)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}",
            "X-Export-Rows": str(file.rows),
            "X-Export-Truncated": "1" if file.truncated else "0",
        },
    )
