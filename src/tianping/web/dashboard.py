"""What the home dashboard shows: figures from each domain the actor may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tianping.core.authz import Actor, Perm
from tianping.registry.stats import registry_stats


@dataclass
class Dashboard:
    kpis: list[tuple[str, int | str, str]] = field(default_factory=list)  # (label, value, href)
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)  # chart id -> ECharts option


def dashboard_tiles(*, session: Session, actor: Actor) -> Dashboard:
    dash = Dashboard()
    if not (actor.can(Perm.STATS_READ) or actor.can(Perm.ENTITY_READ)):
        return dash
    stats = registry_stats(session=session, actor=actor)
    dash.kpis.append(("经营主体（辖区内）", stats.total, "/entities"))
    dash.kpis.append(("存续（在业）", stats.active, "/entities?status=active"))
    for label, kind in (
        ("平台", "platform"),
        ("平台内经营者", "platform_shop"),
        ("预付式经营者", "prepaid_business"),
    ):
        dash.kpis.append((label, stats.by_kind.get(label, 0), f"/entities?kind={kind}"))
    if stats.by_district:
        names = [n for n, _ in stats.by_district]
        dash.charts["by-district"] = {
            "animation": False,
            "title": {"text": "经营主体分区分布", "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 50, "right": 20, "bottom": 70, "top": 40},
            "xAxis": {"type": "category", "data": names, "axisLabel": {"rotate": 40}},
            "yAxis": {"type": "value", "name": "户数"},
            "series": [
                {"type": "bar", "data": [v for _, v in stats.by_district], "itemStyle": {"color": "#b3261e"}}
            ],
        }
    if stats.by_kind:
        dash.charts["by-kind"] = {
            "animation": False,
            "title": {"text": "主体类型构成", "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "item", "formatter": "{b}：{c}（{d}%）"},
            "series": [
                {
                    "type": "pie",
                    "radius": ["35%", "65%"],
                    "top": 30,
                    "data": [{"name": k, "value": v} for k, v in stats.by_kind.items()],
                }
            ],
        }
    if stats.established_by_year:
        dash.charts["by-year"] = {
            "animation": False,
            "title": {"text": "近年新设立主体", "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 50, "right": 20, "bottom": 30, "top": 40},
            "xAxis": {"type": "category", "data": [str(y) for y, _ in stats.established_by_year]},
            "yAxis": {"type": "value", "name": "户数"},
            "series": [
                {
                    "type": "line",
                    "smooth": True,
                    "data": [v for _, v in stats.established_by_year],
                    "itemStyle": {"color": "#1d4f91"},
                }
            ],
        }
    return dash
