"""The fictitious Beijing demo dataset (``tianping demo load``).

Bureaus, stations, member units, consumer associations and platform companies; platforms, shops on
them, livestream rooms, wholesale markets, enterprises, individual and prepaid-card businesses; and one
demo account per role. Every name, code and person is invented; the same seed gives the same data.
"""

from tianping.demo.entities import EntitySpec, generate_entities, kind_quotas
from tianping.demo.loader import DEMO_PASSWORD, DEMO_USERS, load_demo
from tianping.demo.organizations import OrgPlan, StationPlan, plan_organizations, plan_stations
from tianping.demo.summary import DemoLogin, DemoSummary
from tianping.demo.words import FORBIDDEN_BRANDS, PLATFORMS

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "FORBIDDEN_BRANDS",
    "PLATFORMS",
    "DemoLogin",
    "DemoSummary",
    "EntitySpec",
    "OrgPlan",
    "StationPlan",
    "generate_entities",
    "kind_quotas",
    "load_demo",
    "plan_organizations",
    "plan_stations",
]
