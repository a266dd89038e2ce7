"""Organisations, users, web sessions, API tokens and login attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tianping.core.db import Base, UTCDateTime


class OrgKind(StrEnum):
    CITY_BUREAU = "city_bureau"
    DISTRICT_BUREAU = "district_bureau"
    STATION = "station"
    MEMBER_UNIT = "member_unit"
    PLATFORM_COMPANY = "platform_company"
    CONSUMER_ASSOCIATION = "consumer_association"


ORG_KIND_LABELS: dict[OrgKind, str] = {
    OrgKind.CITY_BUREAU: "市级市场监管局",
    OrgKind.DISTRICT_BUREAU: "区级市场监管局",
    OrgKind.STATION: "市场监管所",
    OrgKind.MEMBER_UNIT: "成员单位",
    OrgKind.PLATFORM_COMPANY: "平台企业",
    OrgKind.CONSUMER_ASSOCIATION: "消费者协会",
}


class Organization(Base):
    __tablename__ = "identity_organization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    # Territory: a district (6 digits) or street (9 digits) code; None for city-wide bodies.
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    # Extra territory, e.g. the streets a station covers. Scope = division_code + these.
    jurisdiction: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Member units: GB/T 4754 sections of their competence (e.g. ["P"] for education).
    industry_sections: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Platform companies: the registry id of their platform entity (by id, not FK: another domain).
    platform_entity_id: Mapped[int | None] = mapped_column(Integer, index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    parent: Mapped[Organization | None] = relationship(remote_side=[id], lazy="raise")


class User(Base):
    __tablename__ = "identity_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    phone: Mapped[str | None] = mapped_column(String(32))  # personal data: masked in lists
    email: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship(lazy="joined")


class WebSession(Base):
    """Server-side web session; the cookie holds a random token whose SHA-256 is the key."""

    __tablename__ = "identity_web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("identity_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ApiToken(Base):
    """Per-user token for machine clients (platform systems). Only its SHA-256 is stored."""

    __tablename__ = "identity_api_token"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("identity_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    __tablename__ = "identity_login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    success: Mapped[bool] = mapped_column(Boolean)
