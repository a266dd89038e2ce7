"""Deadline computation across statutory holidays and 调休 make-up days, with pauses.

Every expectation below was counted by hand from the State Council holiday notices:

* 2025 春节: off 01-28 … 02-04; make-up working days Sun 01-26 and Sat 02-08.
* 2025 国庆 + 中秋: off 10-01 … 10-08; make-up working days Sun 09-28 and Sat 10-11.
* 2025 端午: off 05-31 … 06-02.
* 2026 春节: off 02-15 … 02-23; make-up working days Sat 02-14 and Sat 02-28.
* 2026 中秋 09-25 (Fri) and 国庆 10-01 … 10-07; make-up working days Sun 09-20 and Sat 10-10.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.conftest import shared_path
from tianping.complaints.deadlines import (
    RULE_KINDS,
    ClockRule,
    compute_due,
    compute_due_provisional,
    due_soon_threshold,
    load_deadlines,
    parse_deadlines,
)
from tianping.core import calendar
from tianping.core.errors import ValidationFailed
from tianping.core.settings import reset_settings_cache

CST = ZoneInfo("Asia/Shanghai")
LAW = (
    "research",
    "data",
    "laws-lawrefbook",
    "部门规章",
    "市场监督管理总局",
    "市场监督管理投诉举报处理暂行办法(2022-03-24).md",
)
REGULATION = (
    "research",
    "data",
    "laws-lawrefbook",
    "DLC",
    "北京地方法规",
    "地方性法规",
    "北京",
    "北京市接诉即办工作条例(2021-09-24).md",
)


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)  # type: ignore[misc]


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=CST)


def rule(kind: str) -> ClockRule:
    return load_deadlines().rule(kind)


# ---------------------------------------------------------------------------------------------------
# Working days across holidays and make-up days
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "start", "due"),
    [
        # Received Tue 09-30, the eve of 国庆/中秋: 10-09, 10-10, 10-11 (make-up Sat), 10-13 … 10-16.
        ("accept", cst(2025, 9, 30, 10), date(2025, 10, 16)),
        # Received Fri 01-24 before 春节: 01-26 (make-up Sun), 01-27, 02-05, 02-06, 02-07, 02-08 (make-up
        # Sat), 02-10.
        ("accept", cst(2025, 1, 24, 10), date(2025, 2, 10)),
        # Received Thu 2026-02-12: 02-13, 02-14 (make-up Sat), 02-24 … 02-27, 02-28 (make-up Sat).
        ("accept", cst(2026, 2, 12, 9), date(2026, 2, 28)),
        # Real-name report decided Thu 2026-09-24: 09-25 is 中秋; 09-28, 09-29, 09-30, 10-08, 10-09.
        ("report_notice", cst(2026, 9, 24, 15), date(2026, 10, 9)),
        # Mediation accepted 2025-09-30: 3 working days in 10-09 … 10-11, then 42 more Mon–Fri → 12-09.
        ("mediate", cst(2025, 9, 30, 16), date(2025, 12, 9)),
        # Termination decided Fri 2025-05-30, before 端午: 06-03 … 06-06, 06-09, 06-10, 06-11.
        ("terminate_notice", cst(2025, 5, 30, 17), date(2025, 6, 11)),
        # Dispute arises Sat 2025-09-27: 09-28 (make-up Sun), 09-29, 09-30, 10-09, 10-10, 10-11, 10-13.
        ("jurisdiction_dispute", cst(2025, 9, 27, 11), date(2025, 10, 13)),
        # Lead found Mon 2025-06-02 (端午 holiday): 06-03 … 06-06 (4), 06-09 … 06-13 (9), … 06-23 (15).
        ("lead_check", cst(2025, 6, 2, 11), date(2025, 6, 23)),
    ],
)
def test_workday_deadlines_across_holidays(kind: str, start: datetime, due: date) -> None:
    assert compute_due(rule(kind), start) == end_of(due)


def test_deadline_ends_at_local_midnight_and_is_utc() -> None:
    due = compute_due(rule("accept"), cst(2025, 9, 30, 10))
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)
    assert due == datetime(2025, 10, 16, 15, 59, 59, tzinfo=UTC)


def test_start_day_is_the_local_day() -> None:
    # 2025-06-05 17:00 UTC is already Fri 06-06 01:00 in Beijing: counting starts after 06-06.
    assert compute_due(rule("accept"), datetime(2025, 6, 5, 17, tzinfo=UTC)) == end_of(date(2025, 6, 17))
    assert compute_due(rule("accept"), datetime(2025, 6, 5, 10, tzinfo=UTC)) == end_of(date(2025, 6, 16))


def test_a_make_up_day_counts_and_a_holiday_weekday_does_not() -> None:
    one = ClockRule(kind="t", label="t", basis="t", unit="workdays", amount=1)
    assert compute_due(one, cst(2025, 1, 25, 12)) == end_of(date(2025, 1, 26))  # Sunday, 春节调休上班
    assert compute_due(one, cst(2025, 1, 27, 12)) == end_of(date(2025, 2, 5))  # 01-28 … 02-04 off


# ---------------------------------------------------------------------------------------------------
# Pauses (第二十条第三款): a day paused for any part does not count
# ---------------------------------------------------------------------------------------------------

MEDIATION_START = cst(2025, 6, 3, 10)  # Tue; unpaused, 45 working days end Tue 2025-08-05


def test_unpaused_mediation_reference() -> None:
    # 06-04 … 06-06 (3), 06-09 … 06-27 (18), 06-30 … 08-01 (43), 08-04, 08-05.
    assert compute_due(rule("mediate"), MEDIATION_START) == end_of(date(2025, 8, 5))


@pytest.mark.parametrize(
    ("pauses", "due"),
    [
        ([(cst(2025, 6, 10, 9), cst(2025, 6, 10, 11))], date(2025, 8, 6)),  # two hours on Tue: +1
        ([(cst(2025, 6, 9, 9), cst(2025, 6, 11, 17))], date(2025, 8, 8)),  # Mon to Wed: +3
        ([(cst(2025, 6, 13, 16), cst(2025, 6, 16, 10))], date(2025, 8, 7)),  # Fri to Mon: +2 (weekend free)
        ([(cst(2025, 6, 3, 12), cst(2025, 6, 3, 15))], date(2025, 8, 5)),  # the start day never counted
        (
            [(cst(2025, 6, 10, 9), cst(2025, 6, 10, 11)), (cst(2025, 6, 10, 10), cst(2025, 6, 10, 16))],
            date(2025, 8, 6),
        ),  # overlapping pauses on one day: still +1
        (
            [(cst(2025, 6, 10, 9), cst(2025, 6, 10, 11)), (cst(2025, 7, 1, 9), cst(2025, 7, 2, 9))],
            date(2025, 8, 8),
        ),  # two separate pauses: +1 and +2
    ],
)
def test_paused_working_days_extend_the_deadline(pauses: list[tuple[datetime, datetime]], due: date) -> None:
    assert compute_due(rule("mediate"), MEDIATION_START, pauses) == end_of(due)


def test_an_open_pause_runs_until_now() -> None:
    pauses: list[tuple[datetime, datetime | None]] = [(cst(2025, 6, 10, 9), None)]
    due = compute_due(rule("mediate"), MEDIATION_START, pauses, now=cst(2025, 6, 12, 12))
    assert due == end_of(date(2025, 8, 8))  # 06-10, 06-11, 06-12 do not count


def test_a_pause_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="cannot end before"):
        compute_due(rule("mediate"), MEDIATION_START, [(cst(2025, 6, 10, 9), cst(2025, 6, 9, 9))])


# ---------------------------------------------------------------------------------------------------
# 12345 limits: configurable, hours and calendar days
# ---------------------------------------------------------------------------------------------------


def test_hotline_table_is_marked_as_example_configuration() -> None:
    table = load_deadlines().hotline
    assert table.note == "数值为示例配置，以市政务服务部门规定为准"
    assert table.basis == "北京市接诉即办工作条例 第十三条第二款"
    urgent = load_deadlines().rule("hotline", urgency="urgent", hotline_class="complex")
    assert (urgent.unit, urgent.amount) == ("hours", 2)
    assert "数值为示例配置" in urgent.basis


def test_hours_rule_with_pauses() -> None:
    urgent = load_deadlines().rule("hotline", urgency="urgent", hotline_class="ordinary")
    start = cst(2025, 6, 3, 10)
    assert compute_due(urgent, start) == cst(2025, 6, 3, 12)
    assert compute_due(urgent, start, [(cst(2025, 6, 3, 10, 30), cst(2025, 6, 3, 11))]) == cst(
        2025, 6, 3, 12, 30
    )
    overlapping = [
        (cst(2025, 6, 3, 10, 30), cst(2025, 6, 3, 11)),
        (cst(2025, 6, 3, 10, 45), cst(2025, 6, 3, 11, 15)),
    ]
    assert compute_due(urgent, start, overlapping) == cst(2025, 6, 3, 12, 45)
    assert compute_due(urgent, start, [(cst(2025, 6, 3, 13), cst(2025, 6, 3, 14))]) == cst(2025, 6, 3, 12)


def test_calendar_days_rule_ignores_holidays() -> None:
    normal = load_deadlines().rule("hotline", urgency="normal", hotline_class="ordinary")
    assert (normal.unit, normal.amount) == ("days", 7)
    assert compute_due(normal, cst(2025, 9, 30, 10)) == end_of(date(2025, 10, 7))


def test_unknown_urgency_or_class_is_a_clear_error() -> None:
    with pytest.raises(ValidationFailed, match="紧急程度 panic"):
        load_deadlines().rule("hotline", urgency="panic", hotline_class="ordinary")
    with pytest.raises(ValidationFailed, match="诉求类别 vip"):
        load_deadlines().rule("hotline", urgency="normal", hotline_class="vip")
    with pytest.raises(ValidationFailed, match="未知的时限类型"):
        load_deadlines().rule("sleep")


@pytest.fixture
def odr_three_days(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TIANPING_COMPLAINTS_ODR_REPLY_WORKDAYS", "3")
    reset_settings_cache()
    yield
    monkeypatch.delenv("TIANPING_COMPLAINTS_ODR_REPLY_WORKDAYS")
    reset_settings_cache()


def test_odr_reply_follows_the_setting(odr_three_days: None) -> None:
    odr = rule("odr_reply")
    assert (odr.unit, odr.amount) == ("workdays", 3)
    assert compute_due(odr, cst(2025, 9, 30, 10)) == end_of(date(2025, 10, 11))  # 10-09, 10-10, 10-11


def test_due_soon_threshold_counts_working_days() -> None:
    assert due_soon_threshold(cst(2025, 9, 30, 10), 2) == end_of(date(2025, 10, 10))
    assert due_soon_threshold(cst(2025, 9, 30, 10), 0) == end_of(date(2025, 9, 30))


# ---------------------------------------------------------------------------------------------------
# A year without a holiday schedule
# ---------------------------------------------------------------------------------------------------


def test_uncovered_year_is_refused_or_flagged_provisional() -> None:
    if 2027 in calendar.covered_years():
        pytest.skip("a 2027 holiday schedule is installed; nothing to test")
    start = cst(2026, 12, 1, 10)
    with pytest.raises(calendar.CalendarNotCovered):
        compute_due(rule("mediate"), start)
    due, provisional = compute_due_provisional(rule("mediate"), start)
    # 22 working days left in December 2026, then 23 Mon–Fri days of 2027: 01-01 … 02-02.
    assert provisional is True
    assert due == end_of(date(2027, 2, 2))
    exact, flagged = compute_due_provisional(rule("accept"), start)
    assert flagged is False and exact == end_of(date(2026, 12, 10))


# ---------------------------------------------------------------------------------------------------
# The data file
# ---------------------------------------------------------------------------------------------------


def _data() -> dict[str, Any]:
    from importlib import resources

    text = (
        resources.files("tianping.complaints").joinpath("data", "deadlines.yaml").read_text(encoding="utf-8")
    )
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["rules"].pop("accept"), "rules.accept"),
        (lambda d: d["rules"]["accept"].update(unit="weeks"), "rules.accept.unit"),
        (lambda d: d["rules"]["accept"].update(amount=0), "rules.accept.amount"),
        (lambda d: d["rules"]["accept"].update(basis=""), "rules.accept.basis"),
        (lambda d: d["rules"]["accept"].update(pausable=True), "rules.accept.pause_basis"),
        (lambda d: d["rules"].update(nap={}), "rules.nap"),
        (
            lambda d: d["rules"]["odr_reply"].update(amount_setting="secret_key"),
            "rules.odr_reply.amount_setting",
        ),
        (
            lambda d: d["hotline"]["limits"]["urgent"].update(ordinary="2 weeks"),
            "hotline.limits.urgent.ordinary",
        ),
        (lambda d: d["hotline"]["limits"]["normal"].pop("safety"), "hotline.limits.normal.safety"),
        (lambda d: d["hotline"]["limits"].update(panic={}), "hotline.limits.panic"),
        (lambda d: d["hotline"].update(note=""), "hotline.note"),
    ],
)
def test_bad_deadline_files_name_the_field(change: Any, field: str) -> None:
    data = copy.deepcopy(_data())
    change(data)
    with pytest.raises(ValidationFailed) as exc:
        parse_deadlines(data)
    assert field in {e.field for e in exc.value.errors}, exc.value.errors
    assert exc.value.message.startswith("时限文件无效：")


def test_shipped_rules_are_complete() -> None:
    deadlines = parse_deadlines(_data())
    assert set(deadlines.rules) == set(RULE_KINDS)
    expected = {"accept": 7, "mediate": 45, "terminate_notice": 7, "lead_check": 15, "report_notice": 5,
                "jurisdiction_dispute": 7}  # fmt: skip
    for kind, amount in expected.items():
        assert (deadlines.rules[kind].unit, deadlines.rules[kind].amount) == ("workdays", amount)
    assert [k for k, r in deadlines.rules.items() if r.pausable] == ["mediate"]


_ARTICLE = re.compile(r"市场监督管理投诉举报处理暂行办法 (第[一二三四五六七八九十]+条)")


@pytest.mark.shared_data
def test_every_statutory_rule_quotes_its_article() -> None:
    law = shared_path(*LAW).read_text(encoding="utf-8")
    articles = {m.group(1): m for m in re.finditer(r"^(第[一二三四五六七八九十]+条) ", law, re.M)}
    for kind, r in load_deadlines().rules.items():
        match = _ARTICLE.match(r.basis)
        if kind == "odr_reply":
            assert match is None and "非法定时限" in r.basis
            continue
        assert match is not None, r.basis
        article = match.group(1)
        assert article in articles, article
        start = articles[article].start()
        following = [m.start() for m in articles.values() if m.start() > start]
        body = law[start : min(following) if following else len(law)]
        for part in r.quote.rstrip("。").split("……"):
            assert part in body.replace("\n", ""), (kind, part)
    mediate = load_deadlines().rules["mediate"]
    assert mediate.pause_basis == "市场监督管理投诉举报处理暂行办法 第二十条第三款"
    assert "检定、检验、检测、鉴定所需时间不计算在调解期限内" in law


@pytest.mark.shared_data
def test_hotline_delegation_is_quoted_from_the_regulation() -> None:
    text = shared_path(*REGULATION).read_text(encoding="utf-8")
    table = load_deadlines().hotline
    assert "第十三条 市民热线服务工作机构实施派单" in text
    assert table.quote in text


def test_cli_lists_the_rules_and_the_hotline_table() -> None:
    from typer.testing import CliRunner

    from tianping.cli.main import app as cli_app

    result = CliRunner().invoke(cli_app, ["complaints", "deadlines"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "第十四条" in result.output and "45 个工作日" in result.output
    assert "数值为示例配置" in result.output and "2 小时" in result.output
