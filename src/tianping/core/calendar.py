"""The Chinese working-day calendar: statutory holidays (法定节假日) and make-up working days (调休).

Legal deadlines (e.g. "受理后 7 个工作日内") are counted in working days. A day is a working day if
it is a make-up working day (调休上班, always a Saturday or Sunday), or if it is Monday–Friday and
not an official day off.

Where the schedule of a year comes from, first match wins:

1. an administrator's file ``<home>/calendar/<year>.json`` (``home`` = ``TIANPING_HOME``), installed
   with ``tianping calendar import FILE``; it replaces the whole year;
2. a file ``<year>.json`` shipped in the package data folder ``tianping/core/data/calendar/``;
3. the maintained ``chinesecalendar`` package (import name ``chinese_calendar``), which publishes
   every year from 2004 up to the latest State Council notice it knows (1.11.0: 2004–2026).

A year found in none of them is **not guessed** from weekends: every function raises
:class:`CalendarNotCovered`, whose message tells the administrator to import the year.

Schedule file format (UTF-8 JSON; the same format ``tianping calendar export`` writes)::

    {
      "year": 2027,
      "source": "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）",
      "holidays": {"2027-01-01": "元旦", "2027-02-06": "春节", ...},
      "workdays": {"2027-02-14": "春节调休上班", ...}
    }

* ``year``: integer 1949–2100; every date below must lie in that year.
* ``source``: non-empty text naming the official notice (kept for audit).
* ``holidays``: every official day off of the notice, whatever its weekday (a Saturday inside the
  Spring Festival break is listed too); value = holiday name, non-empty. Must not be empty.
* ``workdays``: the make-up working days; each must be a Saturday or Sunday; value = a non-empty note.
  May be ``{}``.
* Dates are ``YYYY-MM-DD``; no date may be both a holiday and a workday; no other keys, no duplicate
  keys. Days not listed follow the week: Monday–Friday work, Saturday/Sunday rest.

A make-up working day that a notice places in the previous year (as the 2007 notice did with
2006-12-30) belongs in the previous year's file: export that year, add the day, import it again.

Files are read once and cached; :func:`install_schedule` clears the caches, and
:func:`reload_schedules` does so explicitly (e.g. after another process installed a file).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import chinese_calendar

from tianping.core.errors import FieldError, TianpingError, ValidationFailed
from tianping.core.settings import get_settings

__all__ = [
    "CalendarNotCovered",
    "DayInfo",
    "YearSchedule",
    "add_workdays",
    "covered_years",
    "describe",
    "dump_schedule",
    "holiday_name",
    "install_schedule",
    "is_holiday",
    "is_workday",
    "load_schedule",
    "parse_schedule",
    "reload_schedules",
    "schedule_for",
    "workdays_between",
]

MIN_YEAR = 1949
MAX_YEAR = 2100
MAX_FILE_BYTES = 1024 * 1024
WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_FILE_NAME = re.compile(r"([0-9]{4})\.json", re.ASCII)
_KEYS = ("year", "source", "holidays", "workdays")
_LIBRARY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


class CalendarNotCovered(TianpingError):
    """No holiday schedule is known for the year: working days cannot be counted."""

    status_code = 503
    code = "calendar_not_covered"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"{year} 年的法定节假日安排尚未导入，无法计算工作日；请管理员执行 tianping calendar import"
        )
        self.year = year


@dataclass(frozen=True)
class YearSchedule:
    """The official schedule of one year: days off and make-up working days."""

    year: int
    source: str
    holidays: Mapping[date, str] = field(hash=False)
    workdays: Mapping[date, str] = field(hash=False)

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` (a date of :attr:`year`) is a working day under this schedule."""
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def to_json(self) -> dict[str, Any]:
        """The schedule in the file format described in the module docstring."""
        return {
            "year": self.year,
            "source": self.source,
            "holidays": {d.isoformat(): name for d, name in sorted(self.holidays.items())},
            "workdays": {d.isoformat(): note for d, note in sorted(self.workdays.items())},
        }


@dataclass(frozen=True)
class DayInfo:
    """What the calendar says about one date."""

    day: date
    is_workday: bool
    holiday: str | None  # name of the official day off, e.g. "国庆节"
    note: str | None  # note of a make-up working day, e.g. "国庆节调休上班"

    @property
    def weekday_name(self) -> str:
        return WEEKDAY_NAMES[self.day.weekday()]


# ---------------------------------------------------------------------------------------------------
# Parsing and validating schedule files
# ---------------------------------------------------------------------------------------------------


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValidationFailed(f"日历文件无效：JSON 中有重复的键 {key}")
        result[key] = value
    return result


def _parse_dates(
    data: Mapping[str, Any], key: str, year: int | None, errors: list[FieldError]
) -> dict[date, str]:
    raw = data.get(key)
    if not isinstance(raw, dict):
        errors.append(FieldError(key, f"{key} 必须是对象，键为 YYYY-MM-DD 日期，值为名称"))
        return {}
    parsed: dict[date, str] = {}
    for text, name in raw.items():
        day: date | None = None
        if isinstance(text, str) and _ISO_DATE.fullmatch(text):
            try:
                day = date.fromisoformat(text)
            except ValueError:
                day = None
        if day is None:
            errors.append(FieldError(key, f"{key} 中的 {text!r} 不是 YYYY-MM-DD 格式的有效日期"))
            continue
        if year is not None and day.year != year:
            errors.append(FieldError(key, f"{key} 中的日期 {text} 不属于 {year} 年"))
        if not isinstance(name, str) or not name.strip():
            errors.append(FieldError(key, f"{key} 中 {text} 的名称必须是非空字符串"))
            continue
        parsed[day] = name.strip()
    return parsed


def parse_schedule(data: object) -> YearSchedule:
    """Validate decoded JSON ``data`` (see the module docstring) and build a :class:`YearSchedule`.

    Raises :class:`ValidationFailed` whose message is one zh-CN line naming the first problems;
    ``errors`` lists all of them.
    """
    if not isinstance(data, dict):
        raise ValidationFailed("日历文件无效：顶层必须是 JSON 对象")
    errors: list[FieldError] = []
    for key in _KEYS:
        if key not in data:
            errors.append(FieldError(key, f"缺少字段 {key}"))
    unknown = sorted(str(k) for k in data if k not in _KEYS)
    if unknown:
        errors.append(FieldError(unknown[0], f"未知字段 {', '.join(unknown)}（只允许 {', '.join(_KEYS)}）"))

    year = data.get("year")
    if "year" in data and (type(year) is not int or not MIN_YEAR <= year <= MAX_YEAR):
        errors.append(FieldError("year", f"year 必须是 {MIN_YEAR}–{MAX_YEAR} 之间的整数"))
    valid_year = year if type(year) is int and MIN_YEAR <= year <= MAX_YEAR else None

    source = data.get("source")
    if "source" in data and (not isinstance(source, str) or not source.strip()):
        errors.append(FieldError("source", "source 必须是非空字符串（填写通知名称和文号）"))

    holidays = _parse_dates(data, "holidays", valid_year, errors) if "holidays" in data else {}
    workdays = _parse_dates(data, "workdays", valid_year, errors) if "workdays" in data else {}
    if "holidays" in data and isinstance(data.get("holidays"), dict) and not data["holidays"]:
        errors.append(FieldError("holidays", "holidays 不能为空：应列出通知中的全部放假日期"))
    for day in sorted(set(holidays) & set(workdays)):
        errors.append(FieldError("workdays", f"{day.isoformat()} 同时出现在 holidays 和 workdays 中"))
    for day in sorted(workdays):
        if day.weekday() < 5:
            errors.append(
                FieldError(
                    "workdays",
                    f"workdays 中的 {day.isoformat()} 是{WEEKDAY_NAMES[day.weekday()]}；"
                    "调休上班日必须是周六或周日",
                )
            )

    if errors:
        shown = "；".join(e.message for e in errors[:3])
        more = f"（共 {len(errors)} 处错误）" if len(errors) > 3 else ""
        raise ValidationFailed(f"日历文件无效：{shown}{more}", errors=errors)
    assert valid_year is not None and isinstance(source, str)
    return YearSchedule(year=valid_year, source=source.strip(), holidays=holidays, workdays=workdays)


def _loads(raw: bytes) -> YearSchedule:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("日历文件无效：不是 UTF-8 编码的文本") from None
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"日历文件无效：不是合法的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"
        ) from None
    return parse_schedule(data)


def load_schedule(path: Path | str) -> YearSchedule:
    """Read and validate a schedule file; raises :class:`ValidationFailed` with a zh-CN reason."""
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise ValidationFailed(f"日历文件无效：文件大于 {MAX_FILE_BYTES // 1024} KB")
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ValidationFailed(f"找不到日历文件 {file}") from None
    except IsADirectoryError:
        raise ValidationFailed(f"{file} 是目录，不是日历文件") from None
    except OSError as exc:
        raise ValidationFailed(f"无法读取日历文件 {file}：{exc.strerror or exc}") from None
    return _loads(raw)


def dump_schedule(schedule: YearSchedule) -> str:
    """The schedule as JSON text in the file format (sorted dates, UTF-8 characters, final newline)."""
    return json.dumps(schedule.to_json(), ensure_ascii=False, indent=2) + "\n"


def install_schedule(schedule: YearSchedule, home: Path) -> Path:
    """Write ``schedule`` to ``home/calendar/<year>.json`` atomically and return that path.

    An existing file for the year is replaced. Caches are cleared, so the new schedule is used at once
    by this process.
    """
    directory = Path(home) / "calendar"
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{schedule.year}.json"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{schedule.year}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(dump_schedule(schedule))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; other service accounts must read it
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    reload_schedules()
    return target


# ---------------------------------------------------------------------------------------------------
# Sources of schedules
# ---------------------------------------------------------------------------------------------------


def _library_name(value: str) -> str:
    if value in _LIBRARY_NAMES:
        return _LIBRARY_NAMES[value]
    try:
        return str(chinese_calendar.Holiday(value).chinese)
    except ValueError:
        return value


@cache
def _library_schedules() -> dict[int, YearSchedule]:
    holidays: dict[int, dict[date, str]] = {}
    workdays: dict[int, dict[date, str]] = {}
    for day, value in chinese_calendar.holidays.items():
        holidays.setdefault(day.year, {})[day] = _library_name(value)
    for day, value in chinese_calendar.workdays.items():
        workdays.setdefault(day.year, {})[day] = f"{_library_name(value)}调休上班"
    first, last = min(holidays), max(holidays)
    version = getattr(chinese_calendar, "__version__", "?")
    return {
        year: YearSchedule(
            year=year,
            source=f"chinesecalendar {version}",
            holidays=holidays.get(year, {}),
            workdays=workdays.get(year, {}),
        )
        for year in range(first, last + 1)
    }


@cache
def _package_schedules() -> dict[int, YearSchedule]:
    folder = resources.files("tianping.core").joinpath("data", "calendar")
    if not folder.is_dir():
        return {}
    result: dict[int, YearSchedule] = {}
    for entry in folder.iterdir():
        match = _FILE_NAME.fullmatch(entry.name)
        if match is None:
            continue
        schedule = _loads(entry.read_bytes())
        if schedule.year != int(match.group(1)):
            raise ValidationFailed(f"日历文件 {entry.name} 的 year 字段是 {schedule.year}，与文件名不符")
        result[schedule.year] = schedule
    return result


def _home_dir() -> Path:
    return Path(get_settings().home) / "calendar"


@cache
def _home_schedule(directory: Path, year: int) -> YearSchedule | None:
    file = directory / f"{year}.json"
    if not file.is_file():
        return None
    try:
        schedule = load_schedule(file)
    except ValidationFailed as exc:
        raise ValidationFailed(f"已安装的{exc.message}（{file}）", errors=exc.errors) from None
    if schedule.year != year:
        raise ValidationFailed(f"日历文件 {file} 的 year 字段是 {schedule.year}，与文件名不符")
    return schedule


@cache
def _home_years(directory: Path) -> frozenset[int]:
    if not directory.is_dir():
        return frozenset()
    years = set()
    for entry in directory.iterdir():
        match = _FILE_NAME.fullmatch(entry.name)
        if match and entry.is_file():
            years.add(int(match.group(1)))
    return frozenset(years)


def reload_schedules() -> None:
    """Forget every cached schedule; the next lookup reads the files again."""
    _home_schedule.cache_clear()
    _home_years.cache_clear()
    _package_schedules.cache_clear()


def schedule_for(year: int) -> YearSchedule:
    """The effective schedule of ``year``; raises :class:`CalendarNotCovered` if none is known."""
    schedule = _home_schedule(_home_dir(), year)
    if schedule is not None:
        return schedule
    packaged = _package_schedules().get(year)
    if packaged is not None:
        return packaged
    library = _library_schedules().get(year)
    if library is not None:
        return library
    raise CalendarNotCovered(year)


def covered_years() -> set[int]:
    """Every year whose schedule is known (installed files, package data and ``chinesecalendar``)."""
    directory = _home_dir()
    years = set(_library_schedules()) | set(_package_schedules())
    years |= {y for y in _home_years(directory) if _home_schedule(directory, y) is not None}
    return years


# ---------------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------------


def _as_date(d: date) -> date:
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    raise TypeError(f"expected a datetime.date, got {type(d).__name__}")


def is_workday(d: date) -> bool:
    """Whether ``d`` is a working day (Mon–Fri that is not a day off, or a make-up working day).

    Raises :class:`CalendarNotCovered` if the year of ``d`` has no known schedule.
    """
    day = _as_date(d)
    return schedule_for(day.year).is_workday(day)


def is_holiday(d: date) -> bool:
    """Whether ``d`` is a rest day (weekend or official day off); the inverse of :func:`is_workday`."""
    return not is_workday(d)


def holiday_name(d: date) -> str | None:
    """The zh-CN name of the official day off on ``d`` (e.g. ``"国庆节"``), else ``None``.

    Ordinary weekends and make-up working days have no name. Raises :class:`CalendarNotCovered`.
    """
    day = _as_date(d)
    return schedule_for(day.year).holidays.get(day)


def describe(d: date) -> DayInfo:
    """Everything the calendar knows about ``d``. Raises :class:`CalendarNotCovered`."""
    day = _as_date(d)
    schedule = schedule_for(day.year)
    return DayInfo(
        day=day,
        is_workday=schedule.is_workday(day),
        holiday=schedule.holidays.get(day),
        note=schedule.workdays.get(day),
    )


def add_workdays(d: date, n: int) -> date:
    """The ``n``-th working day after ``d``; ``d`` itself is never counted.

    ``add_workdays(d, 1)`` is the next working day after ``d`` (whether or not ``d`` is one).
    ``n == 0`` returns ``d`` unchanged without consulting the calendar. ``n < 0`` raises
    ``ValueError``. Raises :class:`CalendarNotCovered` when the count runs into an unknown year.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    day = _as_date(d)
    remaining = n
    while remaining > 0:
        day += timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def workdays_between(a: date, b: date) -> int:
    """The number of working days in the half-open interval ``(a, b]``: after ``a``, up to and
    including ``b``. Returns 0 if ``b <= a``.

    So ``workdays_between(d, add_workdays(d, n)) == n`` for every ``n >= 0``. Raises
    :class:`CalendarNotCovered` if a day of the interval lies in an unknown year.
    """
    start, end = _as_date(a), _as_date(b)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        schedule = schedule_for(day.year)
        year_end = min(end, date(day.year, 12, 31))
        while day <= year_end:
            count += schedule.is_workday(day)
            day += timedelta(days=1)
    return count
