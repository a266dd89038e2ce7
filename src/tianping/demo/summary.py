"""What a demo load produced: counts, and the logins to try the platform with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tianping.core.authz import ROLE_LABELS, Role
from tianping.identity.models import ORG_KIND_LABELS, OrgKind
from tianping.registry.models import ENTITY_KIND_LABELS, EntityKind

__all__ = ["DemoLogin", "DemoSummary"]


@dataclass(frozen=True)
class DemoLogin:
    """A demo account: its login name, role, organisation and what it is for."""

    username: str
    role: Role
    org_name: str
    purpose: str


@dataclass
class DemoSummary:
    seed: int
    as_of: date
    password: str
    entities: dict[EntityKind, int] = field(default_factory=dict)
    organizations: dict[OrgKind, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)
    seconds: float = 0.0
    reset: bool = False

    @property
    def total_entities(self) -> int:
        return sum(self.entities.values())

    def as_detail(self) -> dict[str, object]:
        """JSON-friendly form, stored in the audit event of the load."""
        return {
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "reset": self.reset,
            "entities": {k.value: v for k, v in self.entities.items()},
            "organizations": {k.value: v for k, v in self.organizations.items()},
            "users": [login.username for login in self.logins],
            "seconds": self.seconds,
        }

    def render(self) -> RenderableType:
        counts = Table(title="演示数据", title_justify="left", show_lines=False)
        counts.add_column("类别")
        counts.add_column("数量", justify="right")
        for kind in EntityKind:
            counts.add_row(f"经营主体 · {ENTITY_KIND_LABELS[kind]}", f"{self.entities.get(kind, 0):,}")
        counts.add_row("[b]经营主体合计[/b]", f"[b]{self.total_entities:,}[/b]")
        for org_kind in OrgKind:
            counts.add_row(f"机构 · {ORG_KIND_LABELS[org_kind]}", f"{self.organizations.get(org_kind, 0):,}")
        counts.add_row("演示账号", f"{len(self.logins)}")

        logins = Table(title=f"演示账号（统一密码：{self.password}）", title_justify="left")
        logins.add_column("登录名", style="bold", no_wrap=True)
        logins.add_column("角色", no_wrap=True)
        logins.add_column("所属机构", overflow="fold")
        logins.add_column("用途", overflow="fold")
        for login in self.logins:
            logins.add_row(login.username, ROLE_LABELS[login.role], login.org_name, login.purpose)

        note = Text(
            f"随机种子 {self.seed}，数据截至 {self.as_of:%Y-%m-%d}，用时 {self.seconds:.1f} 秒"
            + ("（已清空并重建）" if self.reset else "")
            + "。所有名称、代码和人员均为虚构。",
            style="dim",
        )
        return Group(counts, logins, note)
