"""The generator of the complaints demo: volumes per month, district and category (with the Fengtai
story and the 618 surge), and one ticket at a time with its party, routing, timeline, clocks,
callback and platform reply, as plain row dicts for bulk insertion."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from tianping.complaints.deadlines import load_deadlines
from tianping.complaints.models import (
    Channel,
    ClockStatus,
    LinkStatus,
    Outcome,
    Satisfaction,
    TicketKind,
    TicketStatus,
)
from tianping.complaints.repository import phone_key
from tianping.complaints.taxonomy import load_taxonomy
from tianping.core.divisions import districts
from tianping.demo import identifiers as ids
from tianping.demo.complaint_texts import (
    CATEGORY_TEXTS,
    CONSULTATION_TEXTS,
    FOOD_ITEMS,
    ITEMS,
    SUGGESTION_TEXTS,
    compose,
)
from tianping.demo.complaint_world import (
    BEIJING,
    Ent,
    Workdays,
    World,
    end_of_day,
    local_date,
)
from tianping.registry.models import EntityKind

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

_T = TypeVar("_T")

__all__ = [
    "FENGTAI",
    "FIRST_MONTH",
    "STORY_START",
    "Generator",
    "Rows",
    "month_end",
    "plan_counts",
]

FIRST_MONTH = date(2024, 1, 1)
FENGTAI = "110106"
STORY_START = date(2025, 3, 1)
"""The "丰铃" action on prepaid consumption in Fengtai starts this month."""

_CATEGORY_WEIGHTS: dict[str, float] = {
    "prepaid.beauty": 8, "prepaid.education": 8, "prepaid.fitness": 7, "prepaid.catering": 4,
    "prepaid.other": 3, "online.coupon": 4, "online.price": 4, "online.return": 7, "online.logistics": 6,
    "online.quality": 8, "online.advertising": 3, "online.review": 2, "online.livestream": 4,
    "online.privacy": 2, "food": 10, "platform_fee": 2, "other": 9,
}  # fmt: skip

_DISTRICT_WEIGHTS: dict[str, float] = {
    "110101": 1.0, "110102": 1.1, "110105": 1.6, "110106": 1.3, "110107": 0.5, "110108": 1.6,
    "110109": 0.3, "110111": 0.6, "110112": 1.0, "110113": 0.8, "110114": 1.0, "110115": 0.9,
    "110116": 0.3, "110117": 0.3, "110118": 0.2, "110119": 0.2,
}  # fmt: skip

_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)

_GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华建国红玉兰春梅海燕文博子涵浩然欣怡宇轩思雨佳琪"

_REJECTION_GROUNDS = ("1", "2", "3", "4", "5", "6")


def month_end(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1) - timedelta(days=1)


@dataclass
class Rows:
    parties: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    clocks: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (title + text, category) for training


def _story_factor(month: date) -> tuple[float, float]:
    """Fengtai prepaid: (volume factor, probability of resolution at first handling) in ``month``."""
    if month < STORY_START:
        return 1.5, 0.55
    k = min(1.0, ((month.year - 2025) * 12 + month.month - 3) / 9)
    return 1.5 - 0.85 * k, 0.62 + 0.26 * k


def _season(code: str, month: date) -> float:
    factor = 1.0 + 0.004 * ((month.year - 2024) * 12 + month.month)
    if code.startswith("online."):
        if month.month == 6:
            factor *= (
                4.0
                if code == "online.coupon"
                else 1.6
                if code in ("online.price", "online.logistics")
                else 1.2
            )
        elif month.month == 11:
            factor *= 2.5 if code == "online.coupon" else 1.3
    if code.startswith("prepaid.") and month.month in (1, 2):
        factor *= 1.15  # after New Year cards are sold
    return factor


def plan_counts(rng: random.Random, months: list[date], count: int) -> list[tuple[date, str, str, int]]:
    cells: list[tuple[date, str, str, float]] = []
    for month in months:
        for district, dw in _DISTRICT_WEIGHTS.items():
            for code, cw in _CATEGORY_WEIGHTS.items():
                w = dw * cw * _season(code, month)
                if district == FENGTAI and code.startswith("prepaid."):
                    w *= _story_factor(month)[0]
                cells.append((month, district, code, w))
    total = sum(c[3] for c in cells) or 1.0
    # Systematic rounding along each (district, category) series: any run of months gets its
    # expected count to within one ticket, so even a small demo tells the story faithfully.
    carry: dict[tuple[str, str], float] = {}
    out: list[tuple[date, str, str, int]] = []
    for month, district, code, w in cells:
        key = (district, code)
        if key not in carry:
            carry[key] = rng.random()
        value = carry[key] + w * count / total
        n = int(value)
        carry[key] = value - n
        if n:
            out.append((month, district, code, n))
    return out


def _pick(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    roll = rng.random() * sum(w for _, w in options)
    for value, w in options:
        roll -= w
        if roll <= 0:
            return value
    return options[-1][0]


class _FastRandom(random.Random):
    """Seeded like :class:`random.Random`; ``randint`` and ``choice`` from one ``random()`` draw each
    (a few times faster than the rejection-sampling originals, which dominate a 40,000-ticket run)."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: SupportsLenAndGetItem[_T]) -> _T:
        if not seq:
            raise IndexError("Cannot choose from an empty sequence")
        return seq[int(self.random() * len(seq))]


class Generator:
    def __init__(
        self, *, seed: int, today: date, world: World, start_id: int, start_party: int, end: date
    ) -> None:
        self.rng = _FastRandom(f"{seed}-complaints")
        self.world = world
        self.today = today
        self.end = end
        self.now = end_of_day(end)
        self.next_id = start_id
        self.next_party = start_party
        self.rows = Rows()
        self.taxonomy = load_taxonomy()
        self.deadlines = load_deadlines()
        self.workdays = Workdays(FIRST_MONTH - timedelta(days=10), max(end, today) + timedelta(days=400))
        self.external_seq: dict[str, int] = defaultdict(int)
        self.closed_by_pool: dict[str, list[tuple[int, int, Ent, datetime]]] = defaultdict(list)
        self.rule_basis = {k: r.basis for k, r in self.deadlines.rules.items()}
        self.district_names = {d.code: d.name for d in districts()}

    # -- pieces ----------------------------------------------------------------------------------------

    def _moment(self, month: date) -> datetime:
        last = min(month_end(month), self.end)
        day = month + timedelta(days=self.rng.randint(0, (last - month).days))
        local = datetime.combine(day, time(self.rng.randint(8, 21), self.rng.randint(0, 59)), tzinfo=BEIJING)
        return local.astimezone(UTC)

    def _entity(self, code: str, district: str) -> Ent | None:
        pool = {"food": "food", "platform_fee": "platform", "other": "general"}.get(code)
        if code.startswith("prepaid."):
            pool = code
        elif code == "online.livestream":
            pool = "live"
        elif code.startswith("online."):
            pool = "shop"
        if pool == "platform":
            keys = sorted(self.world.platforms)
            return self.world.platforms[self.rng.choice(keys)] if keys else None
        if pool == "food" and self.rng.random() < 0.35:
            pool = "general"
        assert pool is not None
        local = self.world.by_pool.get(pool, {}).get(district)
        if local:
            return self.rng.choice(local)
        if code.startswith("prepaid."):  # the consumer names a local shop: never move the ticket away
            local = self.world.by_pool.get("prepaid.other", {}).get(district)
            return self.rng.choice(local) if local else None
        anywhere = self.world.pool_all.get(pool)
        return self.rng.choice(anywhere) if anywhere else None

    def _party(self, received: datetime, district: str) -> int:
        name = self.rng.choice(_SURNAMES) + "".join(
            self.rng.choice(_GIVEN) for _ in range(self.rng.choice((1, 2, 2)))
        )
        phone = ids.mobile(self.rng)
        pid = self.next_party
        self.next_party += 1
        street = self.rng.choice(self.world.streets.get(district) or [district])
        self.rows.parties.append(
            {
                "id": pid,
                "name": name,
                "phone": phone,
                "id_number": None,
                "address": f"北京市{street}{self.rng.randint(1, 30)}号院{self.rng.randint(1, 12)}号楼"
                f"{self.rng.randint(1, 6)}单元{self.rng.randint(101, 1802)}",
                "phone_key": phone_key(phone),
                "created_at": received,
            }
        )
        return pid

    def _event(
        self,
        ticket_id: int,
        at: datetime,
        action: str,
        from_status: str | None,
        to_status: str | None,
        note: str | None = None,
        data: dict[str, Any] | None = None,
        actor: str = "demo",
    ) -> None:
        self.rows.events.append(
            {
                "ticket_id": ticket_id,
                "at": at,
                "actor_user_id": None,
                "actor_name": actor,
                "action": action,
                "from_status": from_status,
                "to_status": to_status,
                "note": note,
                "data": data or {},
            }
        )

    def _clock(
        self, ticket_id: int, kind: str, start: datetime, due: datetime, stopped: datetime | None, basis: str
    ) -> None:
        if stopped is None:
            status = ClockStatus.RUNNING.value
        else:
            status = ClockStatus.MET.value if stopped <= due else ClockStatus.BREACHED.value
        overdue = stopped is None and due < self.now
        self.rows.clocks.append(
            {
                "ticket_id": ticket_id,
                "kind": kind,
                "basis": basis,
                "started_at": start,
                "due_at": due,
                "status": status,
                "stopped_at": stopped,
                "reminded_at": due - timedelta(days=2) if overdue else None,
                "escalated_at": due + timedelta(hours=1) if overdue else None,
            }
        )

    def _wd_due(self, start: datetime, n: int) -> datetime:
        return end_of_day(self.workdays.add(local_date(start), n))

    def _after_workdays(self, start: datetime, n: int) -> datetime:
        day = self.workdays.add(local_date(start), n)
        local = datetime.combine(day, time(self.rng.randint(9, 17), self.rng.randint(0, 59)), tzinfo=BEIJING)
        return max(local.astimezone(UTC), start + timedelta(minutes=5))

    def _external_id(self, channel: str, received: datetime) -> str | None:
        prefix = {"12345": "GD", "12315": "TS12315-", "platform": "PT"}.get(channel)
        if prefix is None:
            return None
        self.external_seq[channel] += 1
        return f"{prefix}{local_date(received):%Y%m}{self.external_seq[channel]:07d}"

    # -- one ticket --------------------------------------------------------------------------------------

    def ticket(self, month: date, district: str, code: str) -> None:
        rng = self.rng
        received = self._moment(month)
        category = self.taxonomy.get(code)
        if code == "food":
            kind = _pick(
                rng, ((TicketKind.COMPLAINT, 55), (TicketKind.REPORT, 35), (TicketKind.CONSULTATION, 10))
            )
        else:
            kind = _pick(
                rng,
                (
                    (TicketKind.COMPLAINT, 76),
                    (TicketKind.REPORT, 8),
                    (TicketKind.CONSULTATION, 11),
                    (TicketKind.SUGGESTION, 5),
                ),
            )
        story = district == FENGTAI and code.startswith("prepaid.")
        p_first = _story_factor(month)[1] if story else 0.72

        repeat_of: int | None = None
        ent: Ent | None = None
        party_id: int | None = None
        earlier = self.closed_by_pool.get(f"{district}:{code}")
        p_repeat = (0.10 if month < STORY_START else 0.02) if story else 0.03
        if kind == TicketKind.COMPLAINT and earlier and rng.random() < p_repeat:
            prev_id, prev_party, prev_ent, prev_closed = earlier[-1 - rng.randrange(min(len(earlier), 5))]
            if prev_closed < received:
                repeat_of, party_id, ent = prev_id, prev_party, prev_ent
        if ent is None:
            ent = (
                self._entity(code, district) if kind != TicketKind.SUGGESTION or rng.random() < 0.5 else None
            )
        anonymous = kind == TicketKind.REPORT and rng.random() < 0.3
        if party_id is None and not anonymous:
            party_id = self._party(received, district)

        platform_id: int | None = None
        if ent is not None:
            if ent.kind == EntityKind.PLATFORM.value:
                platform_id = ent.id
            elif ent.platform_id is not None:
                platform_id = ent.platform_id
        brand = self.world.brands.get(platform_id or 0, "")
        shop = ent.name if ent is not None else "某商户"
        unresolved = ent is None and code.startswith("prepaid.") and kind != TicketKind.SUGGESTION
        if unresolved:  # a name the registry does not know: left for an officer to confirm
            shop = f"{self.district_names.get(district, '')}{rng.choice('东西南北新老')}记{category.name}店"
        if ent is not None and ent.kind == EntityKind.PLATFORM.value:
            shop = brand or ent.name
        if kind == TicketKind.CONSULTATION:
            template = rng.choice(CONSULTATION_TEXTS)
        elif kind == TicketKind.SUGGESTION:
            template = rng.choice(SUGGESTION_TEXTS)
        else:
            template = rng.choice(CATEGORY_TEXTS[code])
        food = code == "food" or (ent is not None and ent.id in self.world.food_shops)
        items = FOOD_ITEMS if food else ITEMS
        title, body, demand, amount = compose(
            rng, template, shop=shop, platform=brand or "某平台", items=items
        )
        if kind == TicketKind.COMPLAINT:
            self.rows.texts.append((f"{title}\n{body}", code))

        if platform_id is not None:
            channel = _pick(rng, (("platform", 25), ("12315", 30), ("12345", 25), ("web", 15), ("cca", 5)))
        else:
            channel = _pick(rng, (("12345", 45), ("12315", 30), ("web", 15), ("officer", 5), ("cca", 5)))
        urgency = "urgent" if (code == "food" and rng.random() < 0.15) else "normal"

        division = ent.division_code if ent is not None and ent.district_code == district else None
        if ent is not None and ent.kind != EntityKind.PLATFORM.value:
            district, division = ent.district_code, ent.division_code
        if division is None or not division.startswith(district):
            division = rng.choice(self.world.streets.get(district) or [district])
        station = self.world.station_by_street.get(division)
        department = category.department
        member_unit = self.world.member_units.get((district, self._member_unit_name(district, department)))
        bureau = self.world.bureau_by_district.get(district)
        handling = station or bureau

        tid = self.next_id
        self.next_id += 1
        ticket_no = f"TS{local_date(received):%Y%m%d}{tid:08d}"
        confidence = round(min(0.99, max(0.35, rng.gauss(0.84, 0.1))), 3)
        keywords = [k for k in category.keywords if k in title + body][:3] or list(category.keywords[:2])
        row: dict[str, Any] = {
            "id": tid,
            "ticket_no": ticket_no,
            "channel": channel,
            "external_id": self._external_id(channel, received),
            "kind": kind.value,
            "status": TicketStatus.REGISTERED.value,
            "urgency": urgency,
            "received_at": received,
            "registered_at": received + timedelta(minutes=rng.randint(1, 90)),
            "created_by": None,
            "party_id": party_id,
            "anonymous": anonymous,
            "title": title,
            "text": body,
            "demand": demand,
            "business_name": shop if ent is not None or unresolved else None,
            "business_address": None,
            "entity_id": ent.id if ent is not None else None,
            "link_status": (
                LinkStatus.LINKED
                if ent is not None
                else LinkStatus.UNRESOLVED
                if unresolved
                else LinkStatus.NONE
            ).value,
            "link_detail": {"candidates": [[ent.id, ent.name, 0.95]], "why": "名称匹配"}
            if ent is not None
            else {"candidates": [], "why": "登记信息中未找到该名称"}
            if unresolved
            else {},
            "platform_entity_id": platform_id,
            "platform_name": brand or None,
            "order_no": f"{rng.randint(10**15, 10**16 - 1)}" if platform_id is not None else None,
            "amount": Decimal(amount) if kind == TicketKind.COMPLAINT else None,
            "occurred_on": local_date(received) - timedelta(days=rng.randint(1, 40)),
            "category_code": code,
            "category_source": "import" if channel == "12345" and rng.random() < 0.3 else "model",
            "category_confidence": confidence,
            "triage_detail": {
                "category": {
                    "label": code,
                    "confidence": confidence,
                    "reasons": [[k, round(1.0 - 0.2 * i, 2)] for i, k in enumerate(keywords)],
                    "alternatives": [],
                },
                "business": {"entity_id": ent.id if ent else None, "name": ent.name if ent else None},
                "routing": {"reasons": self._routing_reasons(district, division, station, member_unit)},
                "duplicates": {"repeat_of_id": repeat_of} if repeat_of else {},
            },
            "needs_review": False,
            "division_code": division,
            "district_code": district,
            "station_org_id": station,
            "member_unit_org_id": member_unit,
            "handling_org_id": handling,
            "handler_user_id": None,
            "transfer_count": 1 if rng.random() < 0.04 else 0,
            "matter_id": None,
            "split_of_id": None,
            "repeat_of_id": repeat_of,
            "accepted_at": None,
            "rejection_ground": None,
            "outcome": None,
            "outcome_note": None,
            "resolved": None,
            "first_closed_at": None,
            "handling_workdays": None,
            "closed_at": None,
            "archived_at": None,
            "reopen_count": 0,
            "satisfaction": None,
            "evidence_ids": [],
            "updated_at": received,
        }
        self._event(
            tid,
            row["registered_at"],
            "registered",
            None,
            TicketStatus.REGISTERED.value,
            f"经{Channel(channel).label}登记",
        )
        if channel == "12345":
            rule = self.deadlines.hotline_rule(urgency, category.hotline_class)
            self._hotline_clock(tid, received, rule.unit, rule.amount, rule.basis, row, kind)
        self._lifecycle(row, kind, p_first, story)
        if (confidence < 0.6 or unresolved) and row["closed_at"] is None:
            row["needs_review"] = True
        self.rows.tickets.append(row)
        if row["closed_at"] is not None and party_id is not None and ent is not None:
            self.closed_by_pool[f"{district}:{code}"].append((tid, party_id, ent, row["closed_at"]))

    def _member_unit_name(self, district: str, department: str) -> str:
        return f"{self.district_names.get(district, '')}{department}"

    def _routing_reasons(
        self, district: str, division: str, station: int | None, member_unit: int | None
    ) -> list[str]:
        reasons = [f"经营者所在地 → 行政区划 {division}"]
        reasons.append("所在街道 → 市场监管所" if station else f"未找到辖区市场监管所 → 区局 {district}")
        if member_unit:
            reasons.append("类别主管部门 → 区成员单位")
        return reasons

    def _hotline_clock(
        self,
        tid: int,
        received: datetime,
        unit: str,
        amount: int,
        basis: str,
        row: dict[str, Any],
        kind: TicketKind,
    ) -> None:
        if unit == "hours":
            due = received + timedelta(hours=amount)
        elif unit == "days":
            due = end_of_day(local_date(received) + timedelta(days=amount))
        else:
            due = self._wd_due(received, amount)
        row["_hotline"] = (due, basis)

    def _lifecycle(self, row: dict[str, Any], kind: TicketKind, p_first: float, story: bool) -> None:
        rng = self.rng
        tid = row["id"]
        received: datetime = row["received_at"]
        status = TicketStatus.REGISTERED.value
        events_at: datetime = row["registered_at"]
        hotline = row.pop("_hotline", None)

        def move(
            to: TicketStatus,
            at: datetime,
            action: str,
            note: str | None = None,
            data: dict[str, Any] | None = None,
        ) -> None:
            nonlocal status, events_at
            self._event(tid, at, action, status, to.value, note, data)
            status = to.value
            events_at = at

        def finish_hotline(at: datetime | None) -> None:
            if hotline is not None:
                self._clock(tid, "hotline", received, hotline[0], at, hotline[1])

        if kind in (TicketKind.CONSULTATION, TicketKind.SUGGESTION):
            closed = self._after_workdays(received, rng.randint(1, 5))
            if closed > self.now:
                row["status"] = status
                finish_hotline(None)
                return
            move(TicketStatus.CLOSED, closed, "closed", "已答复")
            row.update(
                outcome=Outcome.ANSWERED.value, resolved=True, closed_at=closed, first_closed_at=closed
            )
            finish_hotline(closed)
            row["status"] = status
            row["updated_at"] = closed
            return

        # acceptance (第十四条: 7 working days)
        accept_days = rng.randint(1, 5) if rng.random() > 0.04 else rng.randint(8, 11)
        accepted = self._after_workdays(received, accept_days)
        accept_due = self._wd_due(received, 7)
        if accepted > self.now:
            self._clock(tid, "accept", received, accept_due, None, self.rule_basis.get("accept", ""))
            finish_hotline(None)
            row["status"] = status
            return
        self._clock(tid, "accept", received, accept_due, accepted, self.rule_basis.get("accept", ""))
        if kind == TicketKind.COMPLAINT and rng.random() < 0.04:
            move(TicketStatus.REJECTED, accepted, "rejected", "不予受理")
            row.update(status=status, rejection_ground=rng.choice(_REJECTION_GROUNDS), updated_at=accepted)
            finish_hotline(accepted)
            return
        move(TicketStatus.ACCEPTED, accepted, "accepted")
        row["accepted_at"] = accepted
        if row["station_org_id"] or row["member_unit_org_id"]:
            move(TicketStatus.ASSIGNED, accepted + timedelta(hours=2), "assigned", "分派至承办单位")

        if kind == TicketKind.REPORT:
            done = self._after_workdays(
                accepted, rng.randint(5, 14) if rng.random() > 0.05 else rng.randint(16, 22)
            )
            self._clock(
                tid,
                "lead_check",
                accepted,
                self._wd_due(accepted, 15),
                done if done <= self.now else None,
                self.rule_basis.get("lead_check", ""),
            )
            if done > self.now:
                finish_hotline(None)
                row["status"] = status
                return
            outcome = Outcome.CASE_FILED if rng.random() < 0.25 else Outcome.NOT_FILED
            move(TicketStatus.CLOSED, done, "closed", outcome.label)
            row.update(outcome=outcome.value, resolved=None, closed_at=done, first_closed_at=done)
            finish_hotline(done)
            self._after_close(row, status, done, resolved=None)
            return

        # complaint: ODR for platform tickets, then mediation (第二十一条: 45 working days)
        mediate_due = self._wd_due(accepted, 45)
        odr_accepted_at: datetime | None = None
        if row["platform_entity_id"] is not None and rng.random() < 0.75:
            odr_accepted_at = self._odr(row, accepted, status)
        handling_days = rng.randint(3, 30) if rng.random() > 0.05 else rng.randint(46, 60)
        if story:
            handling_days = max(2, int(handling_days * (0.9 if p_first < 0.7 else 0.7)))
        if odr_accepted_at is not None:
            closed = odr_accepted_at
        else:
            closed = self._after_workdays(accepted, handling_days)
            if closed > self.now:
                if rng.random() < 0.6:
                    move(TicketStatus.MEDIATING, self._after_workdays(accepted, 1), "mediation_started")
                self._clock(tid, "mediate", accepted, mediate_due, None, self.rule_basis.get("mediate", ""))
                finish_hotline(None)
                row["status"] = status
                row["updated_at"] = events_at
                return
            move(TicketStatus.MEDIATING, self._after_workdays(accepted, 1), "mediation_started")
        self._clock(tid, "mediate", accepted, mediate_due, closed, self.rule_basis.get("mediate", ""))
        if odr_accepted_at is not None:
            outcome = Outcome.SETTLED
            resolved = True
            note = "消费者接受平台处理方案，平台先行和解"
            actor = "odr:consumer-link"
        else:
            resolved = rng.random() < p_first
            outcome = (
                Outcome.MEDIATED
                if resolved
                else _pick(rng, ((Outcome.MEDIATION_FAILED, 6), (Outcome.TERMINATED, 3)))
            )
            note = outcome.label
            actor = "demo"
        self._event(
            tid, closed, "closed", status, TicketStatus.CLOSED.value, note, {"outcome": outcome.value}, actor
        )
        status = TicketStatus.CLOSED.value
        row.update(
            outcome=outcome.value,
            resolved=resolved,
            closed_at=closed,
            first_closed_at=closed,
            outcome_note=note,
        )
        finish_hotline(closed)
        # reopen: the complainant is back; handled again
        p_reopen = (0.09 if not resolved else 0.02) if not story else (0.12 if p_first < 0.6 else 0.02)
        if rng.random() < p_reopen:
            reopened = self._after_workdays(closed, rng.randint(2, 10))
            again = self._after_workdays(reopened, rng.randint(3, 15))
            if again <= self.now:
                self._event(
                    tid, reopened, "reopened", status, TicketStatus.ACCEPTED.value, "投诉人对处理结果有异议"
                )
                self._event(
                    tid, again, "closed", TicketStatus.ACCEPTED.value, TicketStatus.CLOSED.value, "再次办结"
                )
                row.update(reopen_count=1, closed_at=again, resolved=rng.random() < 0.6)
                closed = again
        self._after_close(row, status, closed, resolved=row["resolved"])

    def _odr(self, row: dict[str, Any], accepted: datetime, status: str) -> datetime | None:
        """Platform reply: returns when the consumer accepted the remedy (ticket settles), if they did."""
        rng = self.rng
        tid = row["id"]
        notified = accepted + timedelta(hours=3)
        due = self._wd_due(notified, 10)
        self._event(tid, notified, "odr_notified", status, status, "转平台先行处理")
        wait = rng.randint(1, 8) if rng.random() > 0.12 else rng.randint(11, 16)
        replied = self._after_workdays(notified, wait)
        if replied > self.now:
            self._clock(tid, "odr_reply", notified, due, None, self.rule_basis.get("odr_reply", ""))
            return None
        self._clock(tid, "odr_reply", notified, due, replied, self.rule_basis.get("odr_reply", ""))
        remedy = _pick(
            rng,
            (
                ("refund", 45),
                ("replace", 12),
                ("repair", 5),
                ("compensate", 13),
                ("explain", 20),
                ("other", 5),
            ),
        )
        amount = row["amount"] if remedy in ("refund", "compensate") else None
        decided = replied + timedelta(hours=rng.randint(2, 72))
        decision: str | None = None
        if decided <= self.now:
            decision = "accepted" if rng.random() < (0.72 if remedy != "explain" else 0.3) else "rejected"
        self.rows.replies.append(
            {
                "ticket_id": tid,
                "platform_entity_id": row["platform_entity_id"],
                "by_user_id": None,
                "at": replied,
                "remedy": remedy,
                "amount": amount,
                "text": "经核实，平台同意按以下方案处理，请消费者确认。",
                "token_hash": hashlib.sha256(f"demo-odr-{tid}-{rng.random()}".encode()).hexdigest(),
                "decision": decision,
                "decided_at": decided if decision else None,
                "decision_note": None,
            }
        )
        self._event(
            tid,
            replied,
            "odr_reply",
            status,
            status,
            "平台回复",
            {"remedy": remedy, "timely": replied <= due},
        )
        if decision == "accepted":
            self._event(tid, decided, "odr_accepted", status, status, None, actor="odr:consumer-link")
            return decided
        if decision == "rejected":
            self._event(
                tid,
                decided,
                "odr_rejected",
                status,
                status,
                "消费者未接受平台处理方案",
                actor="odr:consumer-link",
            )
        return None

    def _after_close(
        self, row: dict[str, Any], status: str, closed: datetime, *, resolved: bool | None
    ) -> None:
        rng = self.rng
        tid = row["id"]
        row["status"] = status
        row["updated_at"] = closed
        if row["party_id"] is None or rng.random() > 0.85:
            return
        at = self._after_workdays(closed, rng.randint(1, 5))
        if at > self.now:
            return
        reached = rng.random() < 0.92
        satisfaction: str | None = None
        if reached:
            weights = (
                (Satisfaction.SATISFIED, 75),
                (Satisfaction.BASICALLY_SATISFIED, 20),
                (Satisfaction.DISSATISFIED, 5),
            )
            if not resolved:
                weights = (
                    (Satisfaction.SATISFIED, 15),
                    (Satisfaction.BASICALLY_SATISFIED, 35),
                    (Satisfaction.DISSATISFIED, 50),
                )
            satisfaction = _pick(rng, weights).value
        self.rows.callbacks.append(
            {
                "ticket_id": tid,
                "at": at,
                "by_user_id": self.world.callback_user,
                "method": "phone" if rng.random() < 0.8 else "sms",
                "reached": reached,
                "contacted": (rng.random() < 0.96) if reached else None,
                "resolved": (bool(resolved) if rng.random() < 0.9 else not resolved)
                if reached and resolved is not None
                else None,
                "satisfaction": satisfaction,
                "note": None,
            }
        )
        self._event(
            tid,
            at,
            "called_back",
            status,
            TicketStatus.CALLED_BACK.value,
            "回访",
            {"satisfaction": satisfaction},
        )
        row.update(status=TicketStatus.CALLED_BACK.value, satisfaction=satisfaction, updated_at=at)
        archived = at + timedelta(days=rng.randint(20, 60))
        if archived <= self.now and rng.random() < 0.7:
            self._event(
                tid, archived, "archived", TicketStatus.CALLED_BACK.value, TicketStatus.ARCHIVED.value
            )
            row.update(status=TicketStatus.ARCHIVED.value, archived_at=archived, updated_at=archived)
