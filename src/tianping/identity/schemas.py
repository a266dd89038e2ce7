"""Input and output shapes of the identity domain (pydantic v2)."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tianping.core.authz import Role
from tianping.core.db import MAX_ID
from tianping.core.textinput import TextInput
from tianping.identity.models import OrgKind

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")


class OrgIn(TextInput):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200, description="机构名称")
    kind: OrgKind = Field(description="机构类型")
    parent_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="上级机构")
    division_code: str | None = Field(default=None, max_length=12, description="辖区区划代码")
    jurisdiction: list[str] = Field(default_factory=list, max_length=200, description="辖区内街道/乡镇代码")
    industry_sections: list[str] = Field(default_factory=list, description="主管行业门类（GB/T 4754）")
    platform_entity_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="平台企业对应的经营主体编号"
    )

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if len(v) < 2:
            raise ValueError("机构名称至少 2 个字")
        return v

    @field_validator("industry_sections")
    @classmethod
    def _sections(cls, v: list[str]) -> list[str]:
        out = sorted({s.strip().upper() for s in v if s.strip()})
        for s in out:
            if len(s) != 1 or not ("A" <= s <= "T"):
                raise ValueError(f"行业门类应为 A–T 的字母：{s}")
        return out


class OrgOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    parent_id: int | None
    division_code: str | None
    jurisdiction: list[str]
    industry_sections: list[str]
    platform_entity_id: int | None
    is_active: bool


class UserIn(TextInput):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64, description="登录名（小写字母开头）")
    display_name: str = Field(min_length=1, max_length=64, description="姓名")
    password: str = Field(min_length=10, max_length=128, description="密码，至少 10 位，含字母和数字")
    org_id: int = Field(ge=1, le=MAX_ID, description="所属机构")
    roles: list[Role] = Field(min_length=1, description="角色")
    phone: str | None = Field(default=None, max_length=32, description="手机号")
    email: str | None = Field(default=None, max_length=200, description="电子邮箱")

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        v = v.strip().lower()
        if not USERNAME_RE.match(v):
            raise ValueError("登录名须以小写字母开头，仅含小写字母、数字、_ . -，3–64 位")
        return v

    @field_validator("password")
    @classmethod
    def _password(cls, v: str) -> str:
        if not (re.search(r"[A-Za-z]", v) and re.search(r"\d", v)):
            raise ValueError("密码须同时包含字母和数字")
        return v

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[Role]) -> list[Role]:
        if Role.PUBLIC in v:
            raise ValueError("“公众”不是可分配的角色")
        return sorted(set(v))


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    org_id: int
    org_name: str
    roles: list[str]
    phone: str | None  # masked
    email: str | None  # masked
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class ApiTokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="仅在创建时显示一次")


class LoginIn(TextInput):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class MeOut(BaseModel):
    user_id: int | None
    username: str
    roles: list[str]
    org_id: int | None
    org_name: str
    permissions: list[str]
    division_prefixes: list[str] | None
    platform_entity_id: int | None
