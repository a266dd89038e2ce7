"""Evidence vault endpoints (电子存证): hand in files and digests, receipts, custody, verification, keys.

Mounted under ``/api/v1/evidence``. Anyone may hand in a file (anonymous callers under the public
rules: a purpose from the list, a complaint/report number, a per-address rate limit) and verify a
receipt; the checkpoint and the key history are public. Receipts open for readers of the entry
and for whoever holds the capability token returned with a submission. Viewing an item, exporting
its file and attaching it are custody entries in the log. Retries with the same ``Idempotency-Key``
header append once.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, File, Form, Header, Path, Query, Request, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tianping.api.deps import ActorDep, SessionDep, UserDep, client_ip
from tianping.core.authz import Actor, Perm
from tianping.core.errors import FieldError, NotFound, ValidationFailed
from tianping.core.messages import translate
from tianping.evidence import service
from tianping.evidence.entries import Links
from tianping.evidence.intake import PublicItemIn
from tianping.evidence.log import Appended
from tianping.evidence.schemas import (
    CheckpointOut,
    EvidencePage,
    EvidenceQuery,
    HashRegistrationIn,
    ItemIn,
    ItemOut,
    KeyOut,
)

router = APIRouter(prefix="/evidence", tags=["evidence"])

LeafIndex = Annotated[int, Path(ge=0, le=2**53, description="存证编号（日志中的条目序号）")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="幂等键：重试同一提交时使用相同的键，不会重复登记（8–128 位字母数字._:-）",
    ),
]

Model = TypeVar("Model", bound=BaseModel)


def _parse(model: type[Model], **data: Any) -> Model:
    """Validate into a domain model; errors become field-level 422 answers."""
    try:
        return model(**data)
    except ValidationError as exc:
        errors = [FieldError(e["field"], e["message"]) for e in translate(exc.errors())]
        raise ValidationFailed("请求参数有误", errors=errors) from None


class LinksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket: str | None = Field(default=None, max_length=64, description="投诉举报工单编号")
    case: str | None = Field(default=None, max_length=64, description="案件编号")
    incident: str | None = Field(default=None, max_length=64, description="事件编号")


class HashRegistrationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(max_length=200, description="文件的 SHA-256 摘要（64 位十六进制）")
    sm3: str | None = Field(default=None, max_length=200, description="文件的 SM3 摘要（可选）")
    size: int | None = Field(default=None, ge=0, le=2**53, description="文件字节数（可选）")
    purpose: str = Field(max_length=1000, description="用途说明（不得含个人信息）")
    links: LinksIn = Field(default_factory=LinksIn)


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    receipt: dict[str, Any] = Field(description="存证回执（tianping-receipt/1 JSON 对象）")
    file_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-fA-F]{64}$", description="原文件的 SHA-256（在本机计算，文件不必上传）"
    )
    file_sm3: str | None = Field(
        default=None, pattern=r"^[0-9a-fA-F]{64}$", description="原文件的 SM3（可选）"
    )
    key: str | None = Field(default=None, max_length=1000, description="从独立渠道获得的日志公钥（推荐）")


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(default="", max_length=500, description="事由，写入保管链")


class AttachRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    links: LinksIn
    purpose: str = Field(default="", max_length=500, description="事由，写入保管链")


class LoggedEntry(BaseModel):
    """An entry just written to the log (or found again by its idempotency key)."""

    leaf_index: int
    tree_size: int = Field(description="包含该条目的签名检查点的日志大小")
    duplicate: bool = Field(description="幂等键已登记过：返回原条目，未重复登记")
    entry: dict[str, Any]


class Submitted(LoggedEntry):
    receipt_token: str = Field(description="查看凭证：匿名提交人凭它取回回执（请妥善保管）")
    receipt_url: str = Field(description="回执页面（含查看凭证）")
    receipt: dict[str, Any]


class CheckOut(BaseModel):
    name: str
    status: str = Field(description="passed / failed / skipped")
    message_zh: str
    message_en: str
    legal_element_zh: str | None


class VerifyResult(BaseModel):
    verified: bool
    usable: bool
    leaf_index: int | None
    tree_size: int | None
    origin: str | None
    verified_by: str | None
    checks: list[CheckOut]


def _logged(appended: Appended) -> LoggedEntry:
    return LoggedEntry(
        leaf_index=appended.leaf_index,
        tree_size=appended.tree_size,
        duplicate=appended.duplicate,
        entry=appended.entry,
    )


def _submitted(session: SessionDep, appended: Appended) -> Submitted:
    token = service.receipt_token(appended)
    return Submitted(
        **_logged(appended).model_dump(),
        receipt_token=token,
        receipt_url=f"/evidence/receipts/{appended.leaf_index}?t={token}",
        receipt=service.receipt_for(session, appended),
    )


def _with_ip(request: Request, actor: Actor) -> Actor:
    return actor if actor.ip is not None else dataclasses.replace(actor, ip=client_ip(request))


@router.post(
    "",
    response_model=Submitted,
    status_code=status.HTTP_201_CREATED,
    summary="提交证据文件（任何人可提交；匿名提交按公众规则并限流）",
)
def submit_file(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="证据文件（类型按文件内容识别）")],
    purpose: Annotated[
        str,
        Form(
            max_length=1000,
            description="用途。执法人员可自由填写；其他提交人填 complaint（消费投诉证据）、"
            "report（举报线索）或 other（其他）",
        ),
    ],
    ticket: Annotated[str | None, Form(max_length=200, description="投诉/举报单号")] = None,
    case: Annotated[str | None, Form(max_length=200, description="案件编号（仅执法人员）")] = None,
    incident: Annotated[str | None, Form(max_length=200, description="事件编号（仅执法人员）")] = None,
    idempotency_key: IdempotencyKey = None,
) -> Submitted:
    if actor.can(Perm.EVIDENCE_KEEP):
        item_in = _parse(
            ItemIn,
            purpose=purpose,
            ticket=ticket,
            case=case,
            incident=incident,
            idempotency_key=idempotency_key,
        )
        appended = service.add_item(
            session=session,
            actor=actor,
            source=file.file,
            item_in=item_in,
            filename=file.filename,
            via_writer=True,
        )
        return _submitted(session, appended)
    if case or incident:
        field = "case" if case else "incident"
        raise ValidationFailed(
            "只有执法人员可以关联案件或事件", errors=[FieldError(field, "公众提交只能填写投诉/举报单号")]
        )
    public_in = _parse(PublicItemIn, purpose=purpose, ticket=ticket, idempotency_key=idempotency_key)
    appended = service.add_public_item(
        session=session, actor=_with_ip(request, actor), source=file.file, item_in=public_in
    )
    return _submitted(session, appended)


@router.post(
    "/hash-registrations",
    response_model=Submitted,
    status_code=status.HTTP_201_CREATED,
    summary="登记文件摘要（不上传文件，如商业秘密）",
)
def register_hash(
    body: HashRegistrationRequest, session: SessionDep, actor: UserDep, idempotency_key: IdempotencyKey = None
) -> Submitted:
    registration_in = _parse(
        HashRegistrationIn,
        sha256=body.sha256,
        sm3=body.sm3,
        size=body.size,
        purpose=body.purpose,
        ticket=body.links.ticket,
        case=body.links.case,
        incident=body.links.incident,
        idempotency_key=idempotency_key,
    )
    appended = service.register_hash(
        session=session, actor=actor, registration_in=registration_in, via_writer=True
    )
    return _submitted(session, appended)


@router.get("", response_model=EvidencePage, summary="存证列表（有查阅权限者看全部，其他用户只看本人登记的）")
def list_evidence(
    session: SessionDep, actor: UserDep, query: Annotated[EvidenceQuery, Query()]
) -> EvidencePage:
    return service.search_items(session=session, actor=actor, query=query)


@router.post("/verify", response_model=VerifyResult, summary="核验存证回执（公开；可附原文件的 SHA-256）")
def verify(body: VerifyRequest) -> VerifyResult:
    report = service.verify(
        body.receipt, file_sha256=body.file_sha256, file_sm3=body.file_sm3, pinned_key=body.key
    )
    return VerifyResult.model_validate(report.to_dict())


@router.get("/checkpoint", response_model=CheckpointOut, summary="最新签名检查点（公开）")
def checkpoint(session: SessionDep) -> CheckpointOut:
    latest = service.latest_checkpoint(session=session)
    if latest is None:
        raise NotFound("存证日志还没有签名检查点")
    return latest


@router.get("/keys", response_model=list[KeyOut], summary="存证日志公钥历史（公开）")
def keys(session: SessionDep) -> list[KeyOut]:
    return service.key_history(session=session)


@router.get("/{leaf_index}", response_model=ItemOut, summary="存证详情（查看记入保管链）")
def get_item(leaf_index: LeafIndex, session: SessionDep, actor: UserDep) -> ItemOut:
    item, _custody = service.view_item(session=session, actor=actor, leaf_index=leaf_index, via_writer=True)
    return item


@router.get("/{leaf_index}/receipt", summary="存证回执（本人、有查阅权限者或持查看凭证者）")
def get_receipt(
    leaf_index: LeafIndex,
    session: SessionDep,
    actor: ActorDep,
    t: Annotated[
        str | None, Query(max_length=64, description="查看凭证（提交时返回的 receipt_token）")
    ] = None,
) -> dict[str, Any]:
    return service.receipt(session=session, actor=actor, leaf_index=leaf_index, token=t)


@router.get("/{leaf_index}/custody", response_model=list[ItemOut], summary="保管链：查看、导出、关联记录")
def custody(leaf_index: LeafIndex, session: SessionDep, actor: UserDep) -> list[ItemOut]:
    return service.custody_history(session=session, actor=actor, leaf_index=leaf_index)


@router.post(
    "/{leaf_index}/export",
    summary="下载原文件（需导出权限，记入保管链）",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def export(
    leaf_index: LeafIndex,
    session: SessionDep,
    actor: UserDep,
    body: Annotated[ExportRequest | None, Body()] = None,
) -> FileResponse:
    item, path, _custody = service.export_item(
        session=session,
        actor=actor,
        leaf_index=leaf_index,
        purpose=(body.purpose.strip() if body else ""),
        via_writer=True,
    )
    return FileResponse(
        path,
        media_type=item.media_type or "application/octet-stream",
        filename=f"evidence-{leaf_index}-{item.sha256[:12]}",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )


@router.post(
    "/{leaf_index}/attach",
    response_model=LoggedEntry,
    status_code=status.HTTP_201_CREATED,
    summary="关联到工单、案件或事件（记入保管链）",
)
def attach(leaf_index: LeafIndex, body: AttachRequest, session: SessionDep, actor: UserDep) -> LoggedEntry:
    appended = service.attach_item(
        session=session,
        actor=actor,
        leaf_index=leaf_index,
        links=Links(ticket=body.links.ticket, case=body.links.case, incident=body.links.incident),
        purpose=body.purpose.strip(),
        via_writer=True,
    )
    return _logged(appended)
