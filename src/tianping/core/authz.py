"""Authorisation primitives: roles, permissions and the acting principal.

Domains take an :class:`Actor` and scope every read and write with it. The identity domain builds
actors from users; nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tianping.core.errors import PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    STATION_OFFICER = "station_officer"
    MEMBER_UNIT_HANDLER = "member_unit_handler"
    PLATFORM_HANDLER = "platform_handler"
    ANALYST = "analyst"
    PUBLIC = "public"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.OFFICER: "监管人员",
    Role.STATION_OFFICER: "所站人员",
    Role.MEMBER_UNIT_HANDLER: "成员单位经办人",
    Role.PLATFORM_HANDLER: "平台经办人",
    Role.ANALYST: "分析员",
    Role.PUBLIC: "公众",
}


class Perm(StrEnum):
    ENTITY_READ = "entity:read"
    ENTITY_WRITE = "entity:write"
    ENTITY_IMPORT = "entity:import"
    PII_REVEAL = "pii:reveal"  # may open unmasked personal data (each view is audited)
    STATS_READ = "stats:read"
    ORG_ADMIN = "org:admin"
    USER_ADMIN = "user:admin"
    AUDIT_READ = "audit:read"
    CALENDAR_ADMIN = "calendar:admin"
    EVIDENCE_READ = "evidence:read"  # list and view evidence items and their custody history
    EVIDENCE_EXPORT = "evidence:export"  # download stored evidence files (each export is logged)
    EVIDENCE_KEEP = "evidence:keep"  # keep files with case links, attach items to cases/tickets
    COMPLAINT_READ = "complaint:read"  # list and view tickets in reach (personal data masked)
    COMPLAINT_HANDLE = "complaint:handle"  # register, triage, accept, assign, mediate, close, call back
    COMPLAINT_REPLY = "complaint:reply"  # platforms: reply to complaints about their platform (ODR)
    COMPLAINT_ADMIN = "complaint:admin"  # taxonomy, deadlines, KPI formulas, approve 申诉/核减, models


EVIDENCE_KEEPER_PERMS = frozenset({Perm.EVIDENCE_READ, Perm.EVIDENCE_EXPORT, Perm.EVIDENCE_KEEP})

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.OFFICER: frozenset(
        {Perm.ENTITY_READ, Perm.ENTITY_WRITE, Perm.ENTITY_IMPORT, Perm.PII_REVEAL, Perm.STATS_READ}
        | EVIDENCE_KEEPER_PERMS
        | {Perm.COMPLAINT_READ, Perm.COMPLAINT_HANDLE, Perm.COMPLAINT_ADMIN}
    ),
    Role.STATION_OFFICER: frozenset(
        {Perm.ENTITY_READ, Perm.ENTITY_WRITE, Perm.PII_REVEAL, Perm.STATS_READ}
        | EVIDENCE_KEEPER_PERMS
        | {Perm.COMPLAINT_READ, Perm.COMPLAINT_HANDLE}
    ),
    Role.MEMBER_UNIT_HANDLER: frozenset(
        {Perm.ENTITY_READ, Perm.STATS_READ, Perm.EVIDENCE_READ, Perm.COMPLAINT_READ, Perm.COMPLAINT_HANDLE}
    ),
    Role.PLATFORM_HANDLER: frozenset({Perm.ENTITY_READ, Perm.COMPLAINT_READ, Perm.COMPLAINT_REPLY}),
    Role.ANALYST: frozenset({Perm.ENTITY_READ, Perm.STATS_READ, Perm.COMPLAINT_READ}),
    Role.PUBLIC: frozenset(),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting, and what they may reach.

    ``division_prefixes`` limits records to those whose division code starts with one of the
    prefixes (``None`` = no territorial limit). ``platform_entity_id`` confines a platform handler to
    its own platform and the shops on it. ``industry_sections`` confines a member unit to the
    GB/T 4754 sections of its competence (``None`` = all).
    """

    user_id: int | None
    username: str
    roles: frozenset[Role]
    org_id: int | None = None
    org_name: str = ""
    division_prefixes: tuple[str, ...] | None = None
    platform_entity_id: int | None = None
    industry_sections: tuple[str, ...] | None = None
    ip: str | None = None
    perms: frozenset[Perm] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.perms:
            perms: set[Perm] = set()
            for role in self.roles:
                perms |= ROLE_PERMS[role]
            object.__setattr__(self, "perms", frozenset(perms))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def can(self, perm: Perm) -> bool:
        return perm in self.perms

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDenied("您没有执行此操作的权限")

    @property
    def may_reveal_pii(self) -> bool:
        return self.can(Perm.PII_REVEAL)

    def covers_division(self, code: str | None) -> bool:
        if self.division_prefixes is None:
            return True
        if not code:
            return False
        return any(code.startswith(p) for p in self.division_prefixes)


ANONYMOUS = Actor(user_id=None, username="anonymous", roles=frozenset({Role.PUBLIC}))

SYSTEM = Actor(user_id=None, username="system", roles=frozenset({Role.ADMIN}))
