"""Deadline rules as data, and the pure computation of due times on the working-day calendar.

The rules live in ``tianping/complaints/data/deadlines.yaml`` (an officer's
``<home>/complaints/deadlines.yaml`` replaces it, validated on load). Each statutory rule cites its
article of the 市场监督管理投诉举报处理暂行办法; the 12345 limits are configuration the
北京市接诉即办工作条例 第十三条第二款 delegates to the municipal government-service department.

How a due time is computed (:func:`compute_due`), all in local time (``settings.timezone``,
Asia/Shanghai):

* **Start day not counted.** A period counted in days starts on the day after the start (民法典
  第二百零一条第一款: 开始的当日不计入，自下一日开始计算). ``workdays``: the n-th working day after
  the start day (working days per :mod:`tianping.core.calendar`, i.e. with statutory holidays and
  调休 make-up working days); ``days``: the n-th calendar day after it. The deadline is the end of
  that day, 23:59:59 local time. ``hours``: start + n hours, exactly.
* **Pauses** (第二十条第三款: 检定、检验、检测、鉴定所需时间不计算在调解期限内). For day-counted
  rules the unit is the whole day: *a day on which the clock was paused for any part of it does not
  count* — from the local date of the pause through the local date of the resumption, both included.
  A pause of two hours on a Tuesday therefore gives one more working day; a pause from Monday
  to Wednesday gives three. Time spent on testing cannot be used for mediation, and a day partly used
  by it is not a full day of the period, so the parties never lose part of the statutory period.
  A day that would not have counted anyway (a rest day, the start day) adds nothing. For ``hours``
  rules paused time is added exactly (overlapping pauses counted once). An open pause (not yet
  resumed) is treated as ending at ``now``: the result is the deadline if the clock resumed now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tianping.core import calendar
from tianping.core.errors import FieldError, ValidationFailed
from tianping.core.settings import get_settings
from tianping.core.timeutil import local_zone, utcnow

__all__ = [
    "HOTLINE_KIND",
    "RULE_KINDS",
    "UNITS",
    "ClockRule",
    "Deadlines",
    "HotlineTable",
    "compute_due",
    "compute_due_provisional",
    "deadlines_path",
    "due_soon_threshold",
    "end_of_local_day",
    "load_deadlines",
    "parse_deadlines",
    "reload_deadlines",
]

FILE_NAME = "deadlines.yaml"
UNITS = ("workdays", "days", "hours")
RULE_KINDS = (
    "accept",
    "mediate",
    "terminate_notice",
    "lead_check",
    "report_notice",
    "jurisdiction_dispute",
    "odr_reply",
)
HOTLINE_KIND = "hotline"
_RULE_KEYS = (
    "label",
    "basis",
    "quote",
    "unit",
    "amount",
    "amount_setting",
    "pausable",
    "pause_basis",
    "pause_quote",
)
_HOTLINE_KEYS = ("label", "basis", "quote", "note", "urgencies", "classes", "limits")
_AMOUNT_SETTINGS = ("complaints_odr_reply_workdays",)
_LIMIT = re.compile(r"\s*([0-9]+)\s*(workdays|days|hours)\s*", re.ASCII)


@dataclass(frozen=True)
class ClockRule:
    kind: str  # key in the deadlines data, e.g. "accept"
    label: str  # 受理决定
    basis: str  # 市场监督管理投诉举报处理暂行办法 第十四条
    unit: str  # "workdays" | "days" | "hours"
    amount: int
    quote: str = ""
    pausable: bool = False
    pause_basis: str = ""

    @property
    def describe(self) -> str:
        """``7 个工作日`` / ``2 小时`` / ``15 日``."""
        unit = {"workdays": "个工作日", "days": "日", "hours": "小时"}[self.unit]
        return f"{self.amount} {unit}"


@dataclass(frozen=True)
class HotlineTable:
    label: str
    basis: str
    quote: str
    note: str
    urgencies: dict[str, str] = field(hash=False)
    classes: dict[str, str] = field(hash=False)
    limits: dict[str, dict[str, tuple[str, int]]] = field(hash=False)  # urgency → class → (unit, n)


@dataclass(frozen=True)
class Deadlines:
    rules: dict[str, ClockRule] = field(hash=False)
    amount_settings: dict[str, str] = field(hash=False)  # kind → settings attribute
    hotline: HotlineTable
    version: int = 1

    def rule(self, kind: str, *, urgency: str | None = None, hotline_class: str | None = None) -> ClockRule:
        """The rule of clock ``kind``; for ``hotline`` give the ticket's urgency and hotline class."""
        if kind == HOTLINE_KIND:
            return self.hotline_rule(urgency or "normal", hotline_class or "ordinary")
        rule = self.rules.get(kind)
        if rule is None:
            raise ValidationFailed(
                f"未知的时限类型 {kind}", errors=[FieldError("kind", f"未知的时限类型 {kind}")]
            )
        setting = self.amount_settings.get(kind)
        if setting is not None:
            rule = replace(rule, amount=int(getattr(get_settings(), setting)))
        return rule

    def hotline_rule(self, urgency: str, hotline_class: str) -> ClockRule:
        table = self.hotline
        if urgency not in table.limits:
            raise ValidationFailed(
                f"12345 紧急程度 {urgency} 未配置办理时限",
                errors=[FieldError("urgency", f"应为 {', '.join(table.limits)} 之一")],
            )
        row = table.limits[urgency]
        if hotline_class not in row:
            raise ValidationFailed(
                f"12345 诉求类别 {hotline_class} 未配置办理时限",
                errors=[FieldError("hotline_class", f"应为 {', '.join(row)} 之一")],
            )
        unit, amount = row[hotline_class]
        urgency_name = table.urgencies.get(urgency, urgency)
        class_name = table.classes.get(hotline_class, hotline_class)
        label = f"{table.label}（{urgency_name}·{class_name}）"
        return ClockRule(
            kind=HOTLINE_KIND,
            label=label,
            basis=f"{table.basis}（{table.note}）",
            unit=unit,
            amount=amount,
            quote=table.quote,
        )


# ---------------------------------------------------------------------------------------------------
# Computation
# ---------------------------------------------------------------------------------------------------


def _local_date(dt: datetime) -> date:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(local_zone()).date()


def end_of_local_day(day: date) -> datetime:
    """23:59:59 local time of ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=local_zone()).astimezone(UTC)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _closed(
    pauses: Sequence[tuple[datetime, datetime | None]], now: datetime | None
) -> list[tuple[datetime, datetime]]:
    end_now = _aware(now) if now is not None else utcnow()
    result: list[tuple[datetime, datetime]] = []
    for paused_at, resumed_at in pauses:
        start = _aware(paused_at)
        end = _aware(resumed_at) if resumed_at is not None else max(end_now, start)
        if end < start:
            raise ValueError("a pause cannot end before it starts")
        result.append((start, end))
    return result


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for p_start, p_end in sorted(intervals):
        if merged and p_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], p_end))
        else:
            merged.append((p_start, p_end))
    return merged


class _Workdays:
    """Working-day test with the year's schedule looked up once per year (a 45-day count spans
    ~65 days). Without ``provisional``, an uncovered year raises; with it, the year counts Mon–Fri
    and ``provisional`` gets a mark."""

    def __init__(self, provisional: list[bool] | None) -> None:
        self.provisional = provisional
        self.schedules: dict[int, calendar.YearSchedule | None] = {}

    def __call__(self, day: date) -> bool:
        if day.year not in self.schedules:
            try:
                self.schedules[day.year] = calendar.schedule_for(day.year)
            except calendar.CalendarNotCovered:
                if self.provisional is None:
                    raise
                self.schedules[day.year] = None
        schedule = self.schedules[day.year]
        if schedule is None:
            assert self.provisional is not None
            self.provisional.append(True)
            return day.weekday() < 5
        return schedule.is_workday(day)


def _compute(
    rule: ClockRule,
    start: datetime,
    pauses: Sequence[tuple[datetime, datetime | None]],
    now: datetime | None,
    provisional: list[bool] | None,
) -> datetime:
    start = _aware(start)
    intervals = _closed(pauses, now)
    if rule.unit == "hours":
        due = start + timedelta(hours=rule.amount)
        for p_start, p_end in _merge(intervals):
            p_start = max(p_start, start)
            if p_end <= p_start or p_start > due:
                continue
            due += p_end - p_start
        return due
    paused_days: set[date] = set()
    for p_start, p_end in intervals:
        day, last = _local_date(p_start), _local_date(p_end)
        while day <= last:
            paused_days.add(day)
            day += timedelta(days=1)
    day = _local_date(start)
    remaining = rule.amount
    workdays_only = rule.unit == "workdays"
    is_workday = _Workdays(provisional)
    while remaining > 0:
        day += timedelta(days=1)
        if workdays_only and not is_workday(day):
            continue
        if day in paused_days:
            continue
        remaining -= 1
    return end_of_local_day(day)


def compute_due(
    rule: ClockRule,
    start: datetime,
    pauses: Sequence[tuple[datetime, datetime | None]] = (),
    *,
    now: datetime | None = None,
) -> datetime:
    """When a clock of ``rule`` started at ``start`` falls due, given its pauses (see module doc).

    Returns an aware UTC datetime. Raises :class:`tianping.core.calendar.CalendarNotCovered` when a
    working-day count runs into a year without a holiday schedule.
    """
    return _compute(rule, start, pauses, now, None)


def compute_due_provisional(
    rule: ClockRule,
    start: datetime,
    pauses: Sequence[tuple[datetime, datetime | None]] = (),
    *,
    now: datetime | None = None,
) -> tuple[datetime, bool]:
    """Like :func:`compute_due`, but a year without a holiday schedule does not stop the count: its
    days are counted Monday–Friday and the result is flagged *provisional* (``True``).

    Used when a ticket must get a deadline now (a mediation accepted in late November runs into a
    year whose holiday notice is not yet published); the clock says so, and
    :func:`tianping.complaints.clocks.refresh_provisional` recomputes it once the year is imported.
    """
    flags: list[bool] = []
    due = _compute(rule, start, pauses, now, flags)
    return due, bool(flags)


def due_soon_threshold(now: datetime, workdays: int | None = None) -> datetime:
    """Clocks due at or before this instant (and not yet overdue) are *due soon*: the end of the
    ``workdays``-th working day after today (default ``settings.complaints_due_soon_workdays``);
    with 0, the end of today."""
    n = get_settings().complaints_due_soon_workdays if workdays is None else workdays
    day, is_workday = _local_date(now), _Workdays([])
    while n > 0:
        day += timedelta(days=1)
        if is_workday(day):
            n -= 1
    return end_of_local_day(day)


# ---------------------------------------------------------------------------------------------------
# Parsing and loading
# ---------------------------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _parse_rule(kind: str, raw: object, errors: list[FieldError]) -> tuple[ClockRule | None, str | None]:
    where = f"rules.{kind}"
    if not isinstance(raw, dict):
        errors.append(FieldError(where, "必须是对象"))
        return None, None
    unknown = sorted(str(k) for k in raw if k not in _RULE_KEYS)
    if unknown:
        errors.append(FieldError(f"{where}.{unknown[0]}", f"未知字段 {', '.join(unknown)}"))
    label, basis = _text(raw.get("label")), _text(raw.get("basis"))
    if label is None:
        errors.append(FieldError(f"{where}.label", "label 不能为空"))
    if basis is None:
        errors.append(FieldError(f"{where}.basis", "basis 不能为空（写明依据的条文）"))
    unit = raw.get("unit")
    if unit not in UNITS:
        errors.append(FieldError(f"{where}.unit", f"unit 必须是 {', '.join(UNITS)} 之一"))
    setting = raw.get("amount_setting")
    amount = raw.get("amount")
    if setting is not None:
        if setting not in _AMOUNT_SETTINGS:
            errors.append(FieldError(f"{where}.amount_setting", f"只能是 {', '.join(_AMOUNT_SETTINGS)}"))
        amount = 0
    elif type(amount) is not int or amount < 1:
        errors.append(FieldError(f"{where}.amount", "amount 必须是正整数"))
    pausable = raw.get("pausable", False)
    if not isinstance(pausable, bool):
        errors.append(FieldError(f"{where}.pausable", "pausable 必须是 true 或 false"))
    pause_basis = _text(raw.get("pause_basis")) or ""
    if pausable is True and not pause_basis:
        errors.append(FieldError(f"{where}.pause_basis", "可暂停的时限必须写明暂停依据 pause_basis"))
    if label is None or basis is None or unit not in UNITS or type(amount) is not int:
        return None, None
    rule = ClockRule(
        kind=kind,
        label=label,
        basis=basis,
        unit=str(unit),
        amount=amount,
        quote=_text(raw.get("quote")) or "",
        pausable=pausable is True,
        pause_basis=pause_basis,
    )
    return rule, setting if isinstance(setting, str) else None


def _parse_names(raw: object, where: str, errors: list[FieldError]) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        errors.append(FieldError(where, "必须是非空对象（代码: 名称）"))
        return {}
    result: dict[str, str] = {}
    for key, value in raw.items():
        name = _text(value)
        if not isinstance(key, str) or name is None:
            errors.append(FieldError(f"{where}.{key}", "名称不能为空"))
            continue
        result[key] = name
    return result


def _parse_hotline(raw: object, errors: list[FieldError]) -> HotlineTable | None:
    if not isinstance(raw, dict):
        errors.append(FieldError("hotline", "hotline 必须是对象"))
        return None
    unknown = sorted(str(k) for k in raw if k not in _HOTLINE_KEYS)
    if unknown:
        errors.append(FieldError(f"hotline.{unknown[0]}", f"未知字段 {', '.join(unknown)}"))
    texts = {key: _text(raw.get(key)) for key in ("label", "basis", "note")}
    for key, value in texts.items():
        if value is None:
            errors.append(FieldError(f"hotline.{key}", f"{key} 不能为空"))
    urgencies = _parse_names(raw.get("urgencies"), "hotline.urgencies", errors)
    classes = _parse_names(raw.get("classes"), "hotline.classes", errors)
    limits_raw = raw.get("limits")
    limits: dict[str, dict[str, tuple[str, int]]] = {}
    if not isinstance(limits_raw, dict):
        errors.append(FieldError("hotline.limits", "limits 必须是对象（紧急程度 → 类别 → 时限）"))
        limits_raw = {}
    for urgency in urgencies:
        if urgency not in limits_raw:
            errors.append(FieldError(f"hotline.limits.{urgency}", "缺少该紧急程度的时限"))
    for urgency, row in limits_raw.items():
        where = f"hotline.limits.{urgency}"
        if urgency not in urgencies:
            errors.append(FieldError(where, f"紧急程度 {urgency} 未在 urgencies 中定义"))
            continue
        if not isinstance(row, dict):
            errors.append(FieldError(where, "必须是对象（类别 → 时限）"))
            continue
        parsed: dict[str, tuple[str, int]] = {}
        for hotline_class in classes:
            if hotline_class not in row:
                errors.append(FieldError(f"{where}.{hotline_class}", "缺少该类别的时限"))
        for hotline_class, value in row.items():
            cell = f"{where}.{hotline_class}"
            if hotline_class not in classes:
                errors.append(FieldError(cell, f"类别 {hotline_class} 未在 classes 中定义"))
                continue
            match = _LIMIT.fullmatch(value) if isinstance(value, str) else None
            if match is None or int(match.group(1)) < 1:
                errors.append(FieldError(cell, "时限格式应为 “数字 单位”，单位为 workdays、days 或 hours"))
                continue
            parsed[hotline_class] = (match.group(2), int(match.group(1)))
        limits[urgency] = parsed
    if any(v is None for v in texts.values()):
        return None
    return HotlineTable(
        label=texts["label"] or "",
        basis=texts["basis"] or "",
        quote=_text(raw.get("quote")) or "",
        note=texts["note"] or "",
        urgencies=urgencies,
        classes=classes,
        limits=limits,
    )


def parse_deadlines(data: object) -> Deadlines:
    """Validate decoded YAML ``data``; :class:`ValidationFailed` with path-named errors otherwise."""
    if not isinstance(data, dict):
        raise ValidationFailed("时限文件无效：顶层必须是对象（含 version、rules、hotline）")
    errors: list[FieldError] = []
    unknown = sorted(str(k) for k in data if k not in ("version", "rules", "hotline"))
    if unknown:
        errors.append(FieldError(unknown[0], f"未知字段 {', '.join(unknown)}"))
    version = data.get("version", 1)
    if type(version) is not int or version < 1:
        errors.append(FieldError("version", "version 必须是正整数"))
        version = 1
    rules_raw = data.get("rules")
    rules: dict[str, ClockRule] = {}
    settings_map: dict[str, str] = {}
    if not isinstance(rules_raw, dict):
        errors.append(FieldError("rules", "rules 必须是对象"))
        rules_raw = {}
    for kind in RULE_KINDS:
        if kind not in rules_raw:
            errors.append(FieldError(f"rules.{kind}", f"缺少时限 {kind}"))
    for kind, raw in rules_raw.items():
        if kind not in RULE_KINDS:
            errors.append(
                FieldError(f"rules.{kind}", f"未知的时限类型 {kind}（只允许 {', '.join(RULE_KINDS)}）")
            )
            continue
        rule, setting = _parse_rule(kind, raw, errors)
        if rule is not None:
            rules[kind] = rule
        if setting is not None:
            settings_map[kind] = setting
    hotline = _parse_hotline(data.get("hotline"), errors)
    if errors or hotline is None:
        first = f"{errors[0].field}: {errors[0].message}" if errors else "格式不正确"
        more = f"（共 {len(errors)} 处错误）" if len(errors) > 1 else ""
        raise ValidationFailed(f"时限文件无效：{first}{more}", errors=errors)
    return Deadlines(rules=rules, amount_settings=settings_map, hotline=hotline, version=version)


def parse_deadlines_text(raw: bytes | str) -> Deadlines:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("时限文件无效：不是 UTF-8 编码的文本") from None
    try:
        data: Any = yaml.safe_load(raw)
    except yaml.YAMLError:
        raise ValidationFailed("时限文件无效：不是合法的 YAML") from None
    return parse_deadlines(data)


def deadlines_path() -> Path:
    return Path(get_settings().home) / "complaints" / FILE_NAME


@cache
def _packaged() -> Deadlines:
    return parse_deadlines_text(
        resources.files("tianping.complaints").joinpath("data", FILE_NAME).read_bytes()
    )


@cache
def _installed(path: Path, mtime_ns: int, size: int) -> Deadlines:
    try:
        return parse_deadlines_text(path.read_bytes())
    except ValidationFailed as exc:
        raise ValidationFailed(f"已安装的{exc.message}（{path}）", errors=exc.errors) from None


def load_deadlines() -> Deadlines:
    """The effective rules: ``<home>/complaints/deadlines.yaml`` if present, else the shipped file."""
    path = deadlines_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return _packaged()
    return _installed(path, stat.st_mtime_ns, stat.st_size)


def reload_deadlines() -> None:
    _packaged.cache_clear()
    _installed.cache_clear()


def handling_workdays(received_at: datetime, closed_at: datetime) -> int | None:
    """办理用时: working days after the (local) day of receipt up to and including the day of the
    first close, on the working-day calendar; ``None`` when a year of the interval has no schedule."""
    zone = local_zone()
    try:
        return calendar.workdays_between(
            received_at.astimezone(zone).date(), closed_at.astimezone(zone).date()
        )
    except calendar.CalendarNotCovered:
        return None
