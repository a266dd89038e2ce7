"""Working-day calendar: official 2024–2026 schedules, deadlines, schedule files and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tianping.cli.calendar_cmd import app
from tianping.core import calendar as cal
from tianping.core.errors import ValidationFailed
from tianping.core.settings import reset_settings_cache

D = date


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty data directory as TIANPING_HOME, with fresh settings and calendar caches."""
    monkeypatch.setenv("TIANPING_HOME", str(tmp_path))
    reset_settings_cache()
    cal.reload_schedules()
    yield tmp_path
    reset_settings_cache()
    cal.reload_schedules()


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# ---------------------------------------------------------------------------------------------------
# Official schedules (国务院办公厅 notices) as published
# ---------------------------------------------------------------------------------------------------

# (days off of the break, make-up working days)
BREAKS = {
    "2024 春节": (days(D(2024, 2, 10), D(2024, 2, 17)), [D(2024, 2, 4), D(2024, 2, 18)]),
    "2024 国庆节": (days(D(2024, 10, 1), D(2024, 10, 7)), [D(2024, 9, 29), D(2024, 10, 12)]),
    "2025 春节": (days(D(2025, 1, 28), D(2025, 2, 4)), [D(2025, 1, 26), D(2025, 2, 8)]),
    "2025 国庆节中秋节": (days(D(2025, 10, 1), D(2025, 10, 8)), [D(2025, 9, 28), D(2025, 10, 11)]),
    # 国办发明电〔2025〕7号, as in chinesecalendar 1.11.0
    "2026 元旦": (days(D(2026, 1, 1), D(2026, 1, 3)), [D(2026, 1, 4)]),
    "2026 春节": (days(D(2026, 2, 15), D(2026, 2, 23)), [D(2026, 2, 14), D(2026, 2, 28)]),
    "2026 国庆节": (days(D(2026, 10, 1), D(2026, 10, 7)), [D(2026, 9, 20), D(2026, 10, 10)]),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_official_breaks_and_make_up_days(name: str) -> None:
    off, make_up = BREAKS[name]
    for day in off:
        assert not cal.is_workday(day), day
        assert cal.is_holiday(day), day
        assert cal.holiday_name(day) is not None, day
    for day in make_up:
        assert day.weekday() >= 5, "make-up working days are weekend days"
        assert cal.is_workday(day), day
        assert cal.holiday_name(day) is None
    # the working days right before and after the break are ordinary working days
    assert cal.is_workday(off[0] - timedelta(days=1)) or (off[0] - timedelta(days=1)).weekday() >= 5
    assert cal.is_workday(off[-1] + timedelta(days=1)) or off[-1] + timedelta(days=1) in make_up


def test_known_facts_of_2025_national_day() -> None:
    assert D(2025, 9, 28).weekday() == 6 and cal.is_workday(D(2025, 9, 28))
    assert D(2025, 10, 11).weekday() == 5 and cal.is_workday(D(2025, 10, 11))
    assert not any(cal.is_workday(d) for d in days(D(2025, 10, 1), D(2025, 10, 8)))
    assert cal.holiday_name(D(2025, 10, 1)) == "国庆节"
    assert cal.holiday_name(D(2025, 10, 6)) == "中秋节"
    assert cal.holiday_name(D(2025, 9, 27)) is None  # an ordinary Saturday
    assert not cal.is_workday(D(2025, 9, 27))


def test_holiday_names_and_day_info() -> None:
    assert cal.holiday_name(D(2024, 2, 10)) == "春节"
    assert cal.holiday_name(D(2026, 1, 1)) == "元旦"
    assert cal.holiday_name(D(2024, 4, 4)) == "清明节"
    assert cal.holiday_name(D(2025, 5, 1)) == "劳动节"
    assert cal.holiday_name(D(2025, 5, 31)) == "端午节"
    assert cal.holiday_name(D(2025, 10, 8)) == "国庆节"
    assert cal.holiday_name(D(2025, 10, 9)) is None
    info = cal.describe(D(2025, 9, 28))
    assert info.is_workday and info.holiday is None and info.note == "国庆节调休上班"
    assert info.weekday_name == "星期日"
    assert cal.describe(D(2025, 10, 1)).holiday == "国庆节"


def test_agrees_with_chinese_calendar_on_every_covered_day() -> None:
    for day in days(D(2004, 1, 1), D(2026, 12, 31)):
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day


def test_covered_years() -> None:
    years = cal.covered_years()
    assert set(range(2004, 2027)) <= years
    assert 2027 not in years and 2003 not in years


# ---------------------------------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------------------------------

ADD_CASES = [
    # 2025 National Day + Mid-autumn (10-01..10-08 off, 09-28 Sun and 10-11 Sat work)
    (D(2025, 9, 30), 1, D(2025, 10, 9)),
    (D(2025, 9, 26), 1, D(2025, 9, 28)),
    (D(2025, 9, 26), 2, D(2025, 9, 29)),
    (D(2025, 9, 26), 4, D(2025, 10, 9)),
    (D(2025, 9, 26), 6, D(2025, 10, 11)),
    (D(2025, 9, 26), 7, D(2025, 10, 13)),
    (D(2025, 10, 1), 1, D(2025, 10, 9)),  # counting from a day off
    # 2024 National Day (10-01..10-07 off, 09-29 Sun and 10-12 Sat work)
    (D(2024, 9, 27), 1, D(2024, 9, 29)),
    (D(2024, 9, 27), 3, D(2024, 10, 8)),
    (D(2024, 9, 27), 7, D(2024, 10, 12)),
    (D(2024, 9, 27), 8, D(2024, 10, 14)),
    # 2024 Spring Festival (02-10..02-17 off, 02-04 Sun and 02-18 Sun work; 02-09 除夕 is a working day)
    (D(2024, 2, 2), 1, D(2024, 2, 4)),
    (D(2024, 2, 2), 6, D(2024, 2, 9)),
    (D(2024, 2, 2), 7, D(2024, 2, 18)),
    (D(2024, 2, 2), 8, D(2024, 2, 19)),
    # 2025 Spring Festival (01-28..02-04 off, 01-26 Sun and 02-08 Sat work)
    (D(2025, 1, 24), 1, D(2025, 1, 26)),
    (D(2025, 1, 24), 3, D(2025, 2, 5)),
    (D(2025, 1, 24), 6, D(2025, 2, 8)),
    (D(2025, 1, 24), 7, D(2025, 2, 10)),
    # 2026 Spring Festival (02-15..02-23 off, 02-14 Sat and 02-28 Sat work)
    (D(2026, 2, 13), 1, D(2026, 2, 14)),
    (D(2026, 2, 13), 2, D(2026, 2, 24)),
    (D(2026, 2, 13), 6, D(2026, 2, 28)),
    (D(2026, 2, 13), 7, D(2026, 3, 2)),
    # 2026 Mid-autumn (09-25..09-27 off) and National Day (10-01..10-07 off, 09-20 Sun and 10-10 Sat work)
    (D(2026, 9, 18), 1, D(2026, 9, 20)),
    (D(2026, 9, 24), 1, D(2026, 9, 28)),
    (D(2026, 9, 30), 1, D(2026, 10, 8)),
    (D(2026, 9, 30), 3, D(2026, 10, 10)),
    (D(2026, 9, 30), 4, D(2026, 10, 12)),
    # across the 2025/2026 New Year (2026-01-01..03 off, 01-04 Sun works)
    (D(2025, 12, 31), 1, D(2026, 1, 4)),
    # a 15-working-day deadline across the 2025 National Day: 09-23..26 (4), 09-28 Sun (5), 09-29..30 (7),
    # 10-09..10 (9), 10-11 Sat (10), 10-13..17 (15)
    (D(2025, 9, 22), 15, D(2025, 10, 17)),
]


@pytest.mark.parametrize(("start", "n", "expected"), ADD_CASES)
def test_add_workdays(start: date, n: int, expected: date) -> None:
    assert cal.add_workdays(start, n) == expected
    assert cal.workdays_between(start, expected) == n


def test_add_zero_and_negative() -> None:
    assert cal.add_workdays(D(2025, 10, 1), 0) == D(2025, 10, 1)  # unchanged, even on a day off
    assert cal.add_workdays(D(2030, 1, 1), 0) == D(2030, 1, 1)  # no calendar needed for 0
    with pytest.raises(ValueError):
        cal.add_workdays(D(2025, 10, 1), -1)


def test_workdays_between() -> None:
    assert cal.workdays_between(D(2025, 9, 30), D(2025, 10, 9)) == 1
    assert cal.workdays_between(D(2025, 9, 30), D(2025, 10, 8)) == 0
    assert cal.workdays_between(D(2025, 9, 26), D(2025, 10, 13)) == 7
    assert cal.workdays_between(D(2025, 12, 30), D(2026, 1, 5)) == 3  # 12-31, 01-04 (Sun), 01-05
    assert cal.workdays_between(D(2025, 10, 9), D(2025, 10, 9)) == 0
    assert cal.workdays_between(D(2025, 10, 9), D(2025, 9, 1)) == 0
    # whole years, counted independently with chinesecalendar
    for year in (2024, 2025, 2026):
        expected = len(chinese_calendar.get_workdays(D(year, 1, 1), D(year, 12, 31)))
        assert cal.workdays_between(D(year - 1, 12, 31), D(year, 12, 31)) == expected
    # 2025: 261 weekdays - 18 weekday days off + 5 make-up days (01-26, 02-08, 04-27, 09-28, 10-11)
    assert cal.workdays_between(D(2024, 12, 31), D(2025, 12, 31)) == 248


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 9, 1)),
    n=st.integers(min_value=0, max_value=60),
)
def test_property_add_then_count(start: date, n: int) -> None:
    end = cal.add_workdays(start, n)
    assert cal.workdays_between(start, end) == n
    if n > 0:
        assert cal.is_workday(end)
        assert end > start
        assert cal.add_workdays(start, n - 1) < end


# ---------------------------------------------------------------------------------------------------
# Years without a schedule fail loudly
# ---------------------------------------------------------------------------------------------------


def test_uncovered_year_fails_loudly() -> None:
    with pytest.raises(cal.CalendarNotCovered) as excinfo:
        cal.is_workday(D(2027, 1, 4))
    assert "2027 年的法定节假日安排尚未导入" in excinfo.value.message
    assert "tianping calendar import" in excinfo.value.message
    assert excinfo.value.year == 2027
    with pytest.raises(cal.CalendarNotCovered):
        cal.is_workday(D(2003, 6, 2))
    with pytest.raises(cal.CalendarNotCovered):
        cal.holiday_name(D(2027, 10, 1))
    with pytest.raises(cal.CalendarNotCovered):
        cal.add_workdays(D(2026, 12, 28), 10)  # runs into 2027
    with pytest.raises(cal.CalendarNotCovered):
        cal.workdays_between(D(2026, 12, 1), D(2027, 1, 10))


# ---------------------------------------------------------------------------------------------------
# Schedule files
# ---------------------------------------------------------------------------------------------------

# A made-up schedule for a future year (NOT an official notice): only the file format is tested.
SCHEDULE_2027 = {
    "year": 2027,
    "source": "测试数据（非官方）",
    "holidays": {
        "2027-01-01": "元旦",
        "2027-02-06": "春节",
        "2027-02-07": "春节",
        "2027-02-08": "春节",
        "2027-02-09": "春节",
        "2027-02-10": "春节",
        "2027-02-11": "春节",
        "2027-02-12": "春节",
        "2027-02-13": "春节",
        "2027-10-01": "国庆节",
        "2027-10-04": "国庆节",
        "2027-10-05": "国庆节",
    },
    "workdays": {"2027-02-14": "春节调休上班", "2027-09-26": "国庆节调休上班"},
}


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_import_round_trip(tmp_path: Path, home: Path) -> None:
    source = write_json(tmp_path / "notice-2027.json", SCHEDULE_2027)
    schedule = cal.load_schedule(source)
    assert schedule.year == 2027
    assert schedule.holidays[D(2027, 2, 6)] == "春节"
    assert schedule.workdays == {D(2027, 2, 14): "春节调休上班", D(2027, 9, 26): "国庆节调休上班"}

    target = cal.install_schedule(schedule, home)
    assert target == home / "calendar" / "2027.json"
    assert [p.name for p in target.parent.iterdir()] == ["2027.json"]  # no temporary file left
    assert cal.load_schedule(target) == schedule
    assert json.loads(target.read_text(encoding="utf-8")) == SCHEDULE_2027

    assert 2027 in cal.covered_years()
    assert not cal.is_workday(D(2027, 2, 8))  # Monday in the break
    assert cal.is_workday(D(2027, 2, 14))  # make-up Sunday
    assert cal.is_workday(D(2027, 2, 15))
    assert cal.holiday_name(D(2027, 10, 1)) == "国庆节"
    assert cal.add_workdays(D(2027, 2, 5), 1) == D(2027, 2, 14)
    assert cal.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)


def test_installed_file_overrides_the_library_and_reload(home: Path) -> None:
    assert cal.is_workday(D(2025, 10, 9))
    schedule = cal.parse_schedule(
        {
            "year": 2025,
            "source": "测试：修订",
            "holidays": {"2025-10-01": "国庆节", "2025-10-09": "测试假日"},
            "workdays": {},
        }
    )
    cal.install_schedule(schedule, home)
    assert not cal.is_workday(D(2025, 10, 9))
    assert cal.holiday_name(D(2025, 10, 9)) == "测试假日"
    assert cal.is_workday(D(2025, 10, 2))  # the file replaces the whole year
    assert cal.schedule_for(2025).source == "测试：修订"

    (home / "calendar" / "2025.json").unlink()
    assert not cal.is_workday(D(2025, 10, 9))  # still cached
    cal.reload_schedules()
    assert cal.is_workday(D(2025, 10, 9))
    assert not cal.is_workday(D(2025, 10, 2))


def test_package_data_is_consulted_between_home_and_library(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    packaged = cal.parse_schedule(SCHEDULE_2027)

    @cache
    def fake_package_schedules() -> dict[int, cal.YearSchedule]:
        return {2027: packaged}

    monkeypatch.setattr(cal, "_package_schedules", fake_package_schedules)
    assert 2027 in cal.covered_years()
    assert cal.schedule_for(2027) is packaged
    override = cal.parse_schedule({**SCHEDULE_2027, "source": "管理员导入"})
    cal.install_schedule(override, home)
    assert cal.schedule_for(2027).source == "管理员导入"


def test_broken_installed_file_fails_loudly_for_its_year_only(home: Path) -> None:
    (home / "calendar").mkdir()
    (home / "calendar" / "2027.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="已安装的日历文件无效"):
        cal.is_workday(D(2027, 1, 4))
    assert cal.is_workday(D(2025, 10, 9))


def test_file_year_must_match_file_name(home: Path) -> None:
    (home / "calendar").mkdir()
    write_json(home / "calendar" / "2028.json", SCHEDULE_2027)
    with pytest.raises(ValidationFailed, match="与文件名不符"):
        cal.schedule_for(2028)


def _variant(**changes: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(json.dumps(SCHEDULE_2027))
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


BAD_FILES: dict[str, tuple[bytes, str]] = {
    "not json": (b"{year: 2027}", "不是合法的 JSON"),
    "not utf-8": ('{"source": "国务院"}'.encode("gbk"), "UTF-8"),
    "top-level list": (b"[]", "顶层必须是 JSON 对象"),
    "missing year": (json.dumps(_variant(year=None)).encode(), "缺少字段 year"),
    "year as text": (json.dumps(_variant(year="2027")).encode(), "year 必须是"),
    "year as bool": (json.dumps(_variant(year=True)).encode(), "year 必须是"),
    "unknown key": (json.dumps(_variant(holiday={})).encode(), "未知字段 holiday"),
    "empty source": (json.dumps(_variant(source=" ")).encode(), "source 必须是非空字符串"),
    "date of another year": (
        json.dumps(_variant(holidays={"2026-12-31": "元旦"})).encode(),
        "2026-12-31 不属于 2027 年",
    ),
    "impossible date": (json.dumps(_variant(holidays={"2027-02-30": "春节"})).encode(), "'2027-02-30'"),
    "non-ISO date": (json.dumps(_variant(holidays={"20270101": "元旦"})).encode(), "'20270101'"),
    "empty name": (json.dumps(_variant(holidays={"2027-01-01": ""})).encode(), "名称必须是非空字符串"),
    "empty holidays": (json.dumps(_variant(holidays={})).encode(), "holidays 不能为空"),
    "holidays as list": (json.dumps(_variant(holidays=["2027-01-01"])).encode(), "holidays 必须是对象"),
    "both holiday and workday": (
        json.dumps(_variant(workdays={"2027-02-07": "春节调休上班"})).encode(),
        "2027-02-07 同时出现在 holidays 和 workdays 中",
    ),
    "make-up day on a weekday": (
        json.dumps(_variant(workdays={"2027-02-15": "春节调休上班"})).encode(),
        "调休上班日必须是周六或周日",
    ),
    "duplicate key": (
        b'{"year": 2027, "year": 2027, "source": "x", "holidays": {"2027-01-01": "a"}, "workdays": {}}',
        "重复的键 year",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_rejected(case: str, tmp_path: Path, home: Path) -> None:
    content, reason = BAD_FILES[case]
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ValidationFailed) as excinfo:
        cal.load_schedule(path)
    assert reason in excinfo.value.message

    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误：") and reason in lines[0]
    assert "Traceback" not in result.output
    assert not (home / "calendar").exists()  # nothing installed


def test_all_errors_are_listed() -> None:
    data = _variant(year=2027, holidays={"2026-01-01": "", "x": "y"}, workdays={"2027-03-01": "z"}, extra=1)
    with pytest.raises(ValidationFailed) as excinfo:
        cal.parse_schedule(data)
    assert len(excinfo.value.errors) == 5  # unknown key, wrong year, empty name, bad date, weekday
    assert "（共 5 处错误）" in excinfo.value.message
    assert "\n" not in excinfo.value.message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="找不到日历文件"):
        cal.load_schedule(tmp_path / "nope.json")
    with pytest.raises(ValidationFailed, match="是目录"):
        cal.load_schedule(tmp_path)
    result = CliRunner().invoke(app, ["import", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("错误：找不到日历文件")


# ---------------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------------


def test_cli_import_show_check_add(tmp_path: Path, home: Path) -> None:
    runner = CliRunner()
    path = write_json(tmp_path / "2027.json", SCHEDULE_2027)

    checked = runner.invoke(app, ["import", "--check", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "文件有效" in checked.stdout
    assert not (home / "calendar").exists()

    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "已导入 2027 年：12 个放假日，2 个调休上班日" in result.stdout
    assert (home / "calendar" / "2027.json").is_file()

    again = runner.invoke(app, ["import", str(path)])
    assert again.exit_code == 0 and "已替换" in again.stdout

    shown = runner.invoke(app, ["show", "2027"])
    assert shown.exit_code == 0, shown.output
    assert "2027-02-14" in shown.stdout and "调休上班" in shown.stdout and "春节" in shown.stdout

    day = runner.invoke(app, ["check", "2025-10-01"])
    assert day.exit_code == 0 and day.stdout.strip() == "2025-10-01 星期三 休息日（国庆节）"
    makeup = runner.invoke(app, ["check", "2025-09-28"])
    assert makeup.stdout.strip() == "2025-09-28 星期日 工作日（国庆节调休上班）"
    plain = runner.invoke(app, ["check", "2025-10-09"])
    assert plain.stdout.strip() == "2025-10-09 星期四 工作日"

    added = runner.invoke(app, ["add-workdays", "2025-09-30", "1"])
    assert added.exit_code == 0 and added.stdout.strip() == "2025-10-09"

    exported = runner.invoke(app, ["export", "2027"])
    assert exported.exit_code == 0
    assert json.loads(exported.stdout) == SCHEDULE_2027
    out = tmp_path / "exported-2025.json"
    to_file = runner.invoke(app, ["export", "2025", "-o", str(out)])
    assert to_file.exit_code == 0
    assert cal.load_schedule(out) == cal.schedule_for(2025)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["check", "2025-13-01"], "日期 '2025-13-01' 无效"),
        (["check", "yesterday"], "应为 YYYY-MM-DD"),
        (["add-workdays", "2025-09-30", "-1"], "工作日数 '-1' 无效"),
        (["add-workdays", "2025-09-30", "x"], "工作日数 'x' 无效"),
        (["add-workdays", "2026-12-28", "10"], "2027 年的法定节假日安排尚未导入"),
        (["check", "2027-01-04"], "2027 年的法定节假日安排尚未导入"),
        (["show", "2027"], "2027 年的法定节假日安排尚未导入"),
        (["show", "20x7"], "年份 '20x7' 无效"),
        (["export", "1900"], "年份 '1900' 无效"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(args: list[str], reason: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and reason in lines[0], result.stderr
