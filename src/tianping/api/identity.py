"""Identity endpoints: who am I, organisations, users and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from tianping.api.deps import IdPath, SessionDep, UserDep
from tianping.core.authz import Perm
from tianping.identity import service
from tianping.identity.schemas import ApiTokenCreated, ApiTokenOut, MeOut, OrgIn, OrgOut, UserIn, UserOut

router = APIRouter(tags=["identity"])


@router.get("/me", response_model=MeOut, summary="当前用户与权限")
def me(actor: UserDep) -> MeOut:
    return MeOut(
        user_id=actor.user_id,
        username=actor.username,
        roles=sorted(actor.roles),
        org_id=actor.org_id,
        org_name=actor.org_name,
        permissions=sorted(actor.perms),
        division_prefixes=list(actor.division_prefixes) if actor.division_prefixes is not None else None,
        platform_entity_id=actor.platform_entity_id,
    )


@router.get("/orgs", response_model=list[OrgOut], summary="机构列表")
def list_orgs(session: SessionDep, actor: UserDep) -> list[OrgOut]:
    return [OrgOut.model_validate(o) for o in service.list_orgs(session, actor=actor)]


@router.post("/orgs", response_model=OrgOut, status_code=status.HTTP_201_CREATED, summary="新建机构")
def create_org(org_in: OrgIn, session: SessionDep, actor: UserDep) -> OrgOut:
    return OrgOut.model_validate(service.create_org(session, org_in=org_in, actor=actor))


@router.get("/users", response_model=list[UserOut], summary="用户列表（需用户管理权限）")
def list_users(session: SessionDep, actor: UserDep) -> list[UserOut]:
    return [service.to_user_out(u) for u in service.list_users(session, actor=actor)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="新建用户")
def create_user(user_in: UserIn, session: SessionDep, actor: UserDep) -> UserOut:
    return service.to_user_out(service.create_user(session, user_in=user_in, actor=actor))


@router.get("/me/tokens", response_model=list[ApiTokenOut], summary="我的 API 令牌")
def my_tokens(session: SessionDep, actor: UserDep) -> list[ApiTokenOut]:
    assert actor.user_id is not None
    return service.list_api_tokens(session, user_id=actor.user_id, actor=actor)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="撤销 API 令牌")
def revoke_token(token_id: IdPath, session: SessionDep, actor: UserDep) -> None:
    service.revoke_api_token(session, token_id=token_id, actor=actor)


@router.post(
    "/users/{user_id}/tokens",
    response_model=ApiTokenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="为用户创建 API 令牌（令牌明文只返回一次）",
)
def create_token(
    user_id: IdPath,
    name: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")],
    session: SessionDep,
    actor: UserDep,
) -> ApiTokenCreated:
    if actor.user_id != user_id:
        actor.require(Perm.USER_ADMIN)
    out, token = service.create_api_token(session, user_id=user_id, name=name, actor=actor)
    return ApiTokenCreated(**out.model_dump(), token=token)
