"""KPIs on the hand-computed world of ``kpi_support`` (every figure worked out by hand, exactly)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F

import pytest
from sqlalchemy.orm import Session

from tests.complaints_kpi.kpi_support import FENGTAI, HAIDIAN, NOW, build_world, officer
from tianping.complaints.kpi import KpiFilters, compute, parse_month, shift_months
from tianping.complaints.kpi_formulas import load_kpi_formulas
from tianping.complaints.kpi_sql import weighted_median
from tianping.core.authz import Actor, Role
from tianping.core.errors import ValidationFailed

JUNE = (date(2025, 6, 1), date(2025, 6, 30))


def test_version_2025_dispatched_denominator(db_session: Session) -> None:
    """2025.1 counts over dispatched tickets: T1–T5, T7–T12, T14, T15, T17 = 14 (T6 rejected, T13 not
    dispatched). Valid callbacks among them: T1 T2 T3 T7 T8 T10 T11 T12 T14 T17 (10).
    contacted 9 (all but T11); resolved 7 (T1 T2 T7 T8 T10 T12 T14); 满意 5 (T1 T7 T8 T10 T14),
    基本满意 3 (T2 T12 T17) → 5 + 0.9×3 = 7.7."""
    build_world(db_session)
    table = compute(session=db_session, actor=officer(), start=JUNE[0], end=JUNE[1], now=NOW)
    t = table.total
    assert table.formula.id == "2025.1"
    assert (t.volume, t.accepted, t.closed, t.excluded) == (16, 14, 11, 2)
    assert t.response_raw.value == F(9, 14)
    assert t.resolution_raw.value == F(1, 2)
    assert t.satisfaction_raw.value == F(77, 140)
    # 0.1×9 + 0.5×7 + 0.4×7.7 = 7.48 over 14
    assert t.composite_raw == F(187, 350)
    # assessed: T10 (malicious) and T11 (invalid_callback) approved out; T12 pending and T17 rejected stay.
    assert t.response_assessed.value == F(8, 12)
    assert t.resolution_assessed.value == F(6, 12)
    assert t.satisfaction_assessed.value == F(67, 120)
    assert t.composite_assessed == F(27, 50)
    # 原始解决率: first-closed 11; good: T2 T4 T10 T12 T13 T14 (T1 repeated by T15, T3/T11 unresolved,
    # T7 reopened, T8 repeated by T9; T16 is 45 days after T14: outside the window).
    assert t.first_resolution_raw.value == F(6, 11)
    assert t.first_resolution_assessed.value == F(5, 9)


def test_version_2024_valid_callback_denominator(db_session: Session) -> None:
    """2024.1 over the 11 valid callbacks (T13 counts too): contacted 10, resolved 8, 满意 6, 基本满意 3."""
    build_world(db_session)
    formula = load_kpi_formulas().get("2024.1")
    t = compute(
        session=db_session, actor=officer(), start=JUNE[0], end=JUNE[1], formula=formula, now=NOW
    ).total
    assert (t.response_raw.value, t.resolution_raw.value) == (F(10, 11), F(8, 11))
    assert t.satisfaction_raw.value == F(87, 110)
    assert t.composite_raw == F(212, 275)  # (1 + 4 + 3.48) / 11
    assert (t.response_assessed.value, t.resolution_assessed.value) == (F(1), F(7, 9))
    assert t.satisfaction_assessed.value == F(77, 90)
    assert t.composite_assessed == F(187, 225)  # (0.9 + 3.5 + 3.08) / 9
    assert t.first_resolution_raw.value == F(6, 11)


def test_formula_version_follows_the_period(db_session: Session) -> None:
    formulas = load_kpi_formulas()
    assert formulas.current(date(2024, 12, 31)).id == "2024.1"
    assert formulas.current(date(2025, 1, 1)).id == "2025.1"
    assert "三率综合=0.1×响应率+0.5×解决率+0.4×满意率" in formulas.current(date(2025, 6, 1)).describe()
    build_world(db_session)
    table = compute(
        session=db_session, actor=officer(), start=date(2024, 6, 1), end=date(2024, 6, 30), now=NOW
    )
    assert table.formula.id == "2024.1"
    assert table.total.volume == 5


def test_by_district_with_yoy_mom_overdue_and_handling_time(db_session: Session) -> None:
    build_world(db_session)
    table = compute(
        session=db_session, actor=officer(), start=JUNE[0], end=JUNE[1], dims=["district"], now=NOW
    )
    rows = {r.key: r for r in table.rows}
    ft, hd, total = rows[(FENGTAI,)], rows[(HAIDIAN,)], table.total
    assert [r.label for r in table.rows] == ["丰台区", "海淀区"]
    assert (ft.volume, hd.volume) == (13, 3)
    # May: 丰台 3, 海淀 1 (total 4); June 2024: 丰台 5, 海淀 0 (total 5)
    assert (total.mom, total.yoy) == (F(3), F(11, 5))
    assert (ft.mom, ft.yoy) == (F(10, 3), F(8, 5))
    assert hd.mom == F(2)
    assert hd.yoy is None  # no tickets a year before: "—", never a percentage
    # 海淀 dispatched: T14, T17; T14 C R 满意, T17 C 基本满意
    assert (hd.response_raw.value, hd.resolution_raw.value, hd.satisfaction_raw.value) == (
        1,
        F(1, 2),
        F(19, 20),
    )
    assert hd.first_resolution_raw.value == 1  # T13, T14
    assert (ft.response_raw.value, ft.resolution_raw.value, ft.satisfaction_raw.value) == (
        F(7, 12),
        F(1, 2),
        F(29, 60),
    )
    # clocks due in June: 丰台 T1 breached, T2 met, T5 running past due, T9 paused; 海淀 T14 met
    assert (total.overdue.numerator, total.overdue.denominator) == (2, 5)
    assert ft.overdue.value == F(1, 2)
    assert hd.overdue.value == 0
    # working days receipt → first close: 0 1 2 2 2 3 3 3 3 5 5 (June 2 is the 端午 holiday)
    assert total.median_handling_workdays == 3.0
    assert ft.median_handling_workdays == 3.0
    assert hd.median_handling_workdays == 1.0  # T13 0, T14 2
    assert ft.drill == {"month": "2025-06", "district": FENGTAI}


def test_other_dimensions_and_filters(db_session: Session) -> None:
    build_world(db_session)
    actor = officer()
    by_channel = compute(
        session=db_session, actor=actor, start=JUNE[0], end=JUNE[1], dims=["channel"], now=NOW
    )
    assert {r.label: r.volume for r in by_channel.rows} == {"12345": 14, "网上投诉": 1, "12315": 1}
    by_cat = compute(
        session=db_session, actor=actor, start=JUNE[0], end=JUNE[1], dims=["category", "district"], now=NOW
    )
    assert {r.key: r.volume for r in by_cat.rows} == {
        ("prepaid.beauty", FENGTAI): 13,
        ("online.coupon", HAIDIAN): 3,
    }
    assert by_cat.rows[0].drill == {"month": "2025-06", "category": "prepaid.beauty", "district": FENGTAI}
    by_business = compute(
        session=db_session, actor=actor, start=JUNE[0], end=JUNE[1], dims=["business"], now=NOW
    )
    volumes = {r.key: r.volume for r in by_business.rows}
    assert volumes == {("501",): 3, ("502",): 2, ("503",): 2, ("504",): 1, (None,): 8}
    unlinked = next(r for r in by_business.rows if r.key == (None,))
    assert unlinked.label == "未关联经营者" and "entity_id" not in unlinked.drill
    filtered = compute(
        session=db_session,
        actor=actor,
        start=JUNE[0],
        end=JUNE[1],
        filters=KpiFilters(category="online"),
        now=NOW,
    )
    assert filtered.total.volume == 3
    assert filtered.total.drill == {"category": "online", "month": "2025-06"}


def test_scope_limits_every_figure(db_session: Session) -> None:
    build_world(db_session)
    haidian = officer(7005, prefixes=(HAIDIAN,))
    table = compute(session=db_session, actor=haidian, start=JUNE[0], end=JUNE[1], dims=["district"], now=NOW)
    assert [r.key for r in table.rows] == [(HAIDIAN,)]
    assert table.total.volume == 3
    assert table.total.overdue.denominator == 1
    platform = Actor(user_id=5, username="p", roles=frozenset({Role.PLATFORM_HANDLER}), platform_entity_id=99)
    assert compute(session=db_session, actor=platform, start=JUNE[0], end=JUNE[1], now=NOW).total.volume == 0


def test_empty_period_gives_no_rates(db_session: Session) -> None:
    build_world(db_session)
    t = compute(
        session=db_session, actor=officer(), start=date(2025, 3, 1), end=date(2025, 3, 31), now=NOW
    ).total
    assert t.volume == 0
    for rate in (t.response_raw, t.resolution_assessed, t.first_resolution_raw, t.overdue):
        assert rate.value is None and rate.display() == "—"
    assert t.composite_raw is None and t.mom is None and t.median_handling_workdays is None


def test_bad_arguments_are_rejected(db_session: Session) -> None:
    with pytest.raises(ValidationFailed) as err:
        compute(session=db_session, actor=officer(), start=JUNE[1], end=JUNE[0], dims=["colour"])
    assert {e.field for e in err.value.errors} == {"dims", "end"}
    for bad in ("2025-13", "2025-6", "June", "1999-01"):
        with pytest.raises(ValidationFailed):
            parse_month(bad)
    assert parse_month("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))


def test_small_helpers() -> None:
    assert shift_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert shift_months(date(2025, 1, 15), -12) == date(2024, 1, 15)
    assert weighted_median([(3, 1), (1, 1)]) == 2.0
    assert weighted_median([(5, 3), (0, 1)]) == 5.0
    assert weighted_median([]) is None
