"""Market-entity endpoints (经营主体): list and fuzzy search, detail, create, update, reveal, import.

Mounted under ``/api/v1``. Personal data is masked in every response except ``POST /{id}/reveal``,
which needs ``pii:reveal`` and is audited. Entities outside the caller's scope answer 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile, status

from tianping import registry
from tianping.api.deps import SessionDep, UserDep
from tianping.registry import MAX_ID, EntityIn, EntityOut, EntityPage, EntityQuery, EntityUpdate, ImportReport

router = APIRouter(prefix="/entities", tags=["registry"])

EntityId = Annotated[int, Path(ge=1, le=MAX_ID, description="经营主体 ID")]


@router.get("", response_model=EntityPage, summary="经营主体列表；带 q 时按名称、别名模糊检索")
def list_entities(session: SessionDep, actor: UserDep, query: Annotated[EntityQuery, Query()]) -> EntityPage:
    return registry.list_entities(session=session, query=query, actor=actor)


@router.post("", response_model=EntityOut, status_code=status.HTTP_201_CREATED, summary="登记经营主体")
def create_entity(entity_in: EntityIn, session: SessionDep, actor: UserDep) -> EntityOut:
    entity = registry.create(session=session, entity_in=entity_in, actor=actor)
    return registry.to_out(entity, actor=actor)


@router.post(
    "/import",
    response_model=ImportReport,
    summary="导入经营主体（CSV/XLSX）：任一行有误则整体不写入，返回逐行错误",
)
def import_entities(
    session: SessionDep,
    actor: UserDep,
    file: Annotated[UploadFile, File(description="CSV（UTF-8 或 GBK）或 XLSX 文件")],
    mapping: Annotated[str | None, Form(description='列映射 JSON，如 {"name": "企业名称"}')] = None,
    dry_run: Annotated[bool, Form(description="只校验，不写入")] = False,
) -> ImportReport:
    return registry.import_file(
        session=session,
        source=file.file,
        filename=file.filename or "upload.csv",
        actor=actor,
        mapping=registry.parse_mapping_json(mapping),
        dry_run=dry_run,
    )


@router.get("/{entity_id}", response_model=EntityOut, summary="经营主体详情（个人信息脱敏）")
def get_entity(entity_id: EntityId, session: SessionDep, actor: UserDep) -> EntityOut:
    return registry.to_out(registry.get(session=session, entity_id=entity_id, actor=actor), actor=actor)


@router.patch("/{entity_id}", response_model=EntityOut, summary="修改经营主体（只改提交的字段）")
def update_entity(
    entity_id: EntityId, entity_in: EntityUpdate, session: SessionDep, actor: UserDep
) -> EntityOut:
    entity = registry.update(session=session, entity_id=entity_id, entity_in=entity_in, actor=actor)
    return registry.to_out(entity, actor=actor)


@router.post(
    "/{entity_id}/reveal",
    response_model=EntityOut,
    summary="查看完整个人信息（需“查看个人信息”权限，记入审计日志）",
)
def reveal_entity(entity_id: EntityId, session: SessionDep, actor: UserDep) -> EntityOut:
    return registry.reveal_pii(session=session, entity_id=entity_id, actor=actor)
