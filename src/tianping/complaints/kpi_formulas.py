"""The KPI formulas as versioned data (``complaints/data/kpi.yaml``).

北京市接诉即办工作条例 第三十二条 names 响应率、解决率、满意率 as the core of the 考评 without giving
formulas; the denominator, the 基本满意 factor, the composite weights, which 申诉 / 核减 reasons
remove a ticket from the assessed figures and the definition of 原始解决率 are therefore data, each
version with an id and the date it takes effect. Officers override the shipped file with
``<home>/complaints/kpi.yaml``; a bad file is refused with errors that name the field's path.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tianping.core.errors import FieldError, NotFound, ValidationFailed
from tianping.core.settings import get_settings

from .models import TicketKind

__all__ = [
    "ExclusionReason",
    "FirstResolutionRule",
    "KpiFormula",
    "KpiFormulas",
    "kpi_file_path",
    "load_kpi_formulas",
    "parse_kpi_formulas",
]

SCHEMA = "tianping-kpi/1"
Denominator = Literal["valid_callbacks", "dispatched"]
DENOMINATOR_LABELS: dict[str, str] = {"valid_callbacks": "有效回访", "dispatched": "派单（未不予受理）"}


@dataclass(frozen=True)
class ExclusionReason:
    code: str
    label: str


@dataclass(frozen=True)
class FirstResolutionRule:
    definition: str  # zh-CN, shown beside the figure
    repeat_window_days: int


@dataclass(frozen=True)
class KpiFormula:
    id: str
    effective_from: date
    title: str
    kinds: tuple[str, ...]
    denominator: Denominator
    basic_satisfied_factor: Fraction
    weight_response: Fraction
    weight_resolution: Fraction
    weight_satisfaction: Fraction
    excluded_reasons: tuple[str, ...]
    first_resolution: FirstResolutionRule

    @property
    def label(self) -> str:
        return f"口径 {self.id}（{self.title}，自 {self.effective_from.isoformat()} 起）"

    def describe(self) -> str:
        """One zh-CN sentence naming every parameter (printed with the figures)."""
        return (
            f"{self.label}：分母={DENOMINATOR_LABELS[self.denominator]}；"
            f"满意率=(满意+{float(self.basic_satisfied_factor):g}×基本满意)/分母；"
            f"三率综合={float(self.weight_response):g}×响应率+{float(self.weight_resolution):g}×解决率"
            f"+{float(self.weight_satisfaction):g}×满意率"
        )


@dataclass(frozen=True)
class KpiFormulas:
    versions: tuple[KpiFormula, ...]  # by effective_from, ascending
    reasons: tuple[ExclusionReason, ...]
    narrative_delay_days: int
    source: str  # "package" or the override file's path

    def current(self, on: date) -> KpiFormula:
        """The version in force on ``on`` (the latest whose ``effective_from`` is not after it)."""
        starts = [v.effective_from for v in self.versions]
        i = bisect.bisect_right(starts, on)
        if i == 0:
            raise NotFound(f"{on.isoformat()} 之前没有生效的考核口径（最早自 {starts[0].isoformat()} 起）")
        return self.versions[i - 1]

    def get(self, version_id: str) -> KpiFormula:
        for v in self.versions:
            if v.id == version_id:
                return v
        raise NotFound(f"没有编号为 {version_id} 的考核口径")

    def reason_label(self, code: str) -> str:
        for r in self.reasons:
            if r.code == code:
                return r.label
        return code

    @property
    def reason_codes(self) -> frozenset[str]:
        return frozenset(r.code for r in self.reasons)


# --- the file format (pydantic, so every error carries its path) -----------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class _ReasonIn(_Strict):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=100)


class _WeightsIn(_Strict):
    response: float = Field(ge=0, le=1)
    resolution: float = Field(ge=0, le=1)
    satisfaction: float = Field(ge=0, le=1)


class _FirstResolutionIn(_Strict):
    definition: str = Field(min_length=1, max_length=1000)
    repeat_window_days: int = Field(ge=0, le=365)


class _VersionIn(_Strict):
    id: str = Field(min_length=1, max_length=32)
    effective_from: date
    title: str = Field(min_length=1, max_length=100)
    kinds: list[TicketKind] = Field(min_length=1)
    denominator: Denominator
    basic_satisfied_factor: float = Field(ge=0, le=1)
    weights: _WeightsIn
    excluded_reasons: list[str] = Field(default_factory=list)
    first_resolution: _FirstResolutionIn

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) else value


class _OpenDataIn(_Strict):
    narrative_delay_days: int = Field(ge=0, le=3650)


class _FileIn(_Strict):
    schema_: Literal["tianping-kpi/1"] = Field(alias="schema")
    exclusion_reasons: list[_ReasonIn] = Field(min_length=1)
    versions: list[_VersionIn] = Field(min_length=1)
    open_data: _OpenDataIn


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(文件)"


def _exact(value: float) -> Fraction:
    return Fraction(str(value))  # 0.9 means nine tenths, not the nearest binary float


def parse_kpi_formulas(data: object, *, source: str = "package") -> KpiFormulas:
    """Validate a loaded YAML document; :class:`ValidationFailed` names every bad field's path."""
    try:
        doc = _FileIn.model_validate(data)
    except ValidationError as exc:
        errors = [
            FieldError(_path(tuple(e["loc"])), e["msg"].removeprefix("Value error, ")) for e in exc.errors()
        ]
        raise ValidationFailed(f"考核口径文件无效：{source}", errors=errors) from None
    problems: list[FieldError] = []
    codes = [r.code for r in doc.exclusion_reasons]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            problems.append(FieldError(f"exclusion_reasons[{i}].code", f"原因代码 {code} 重复"))
    seen_ids: set[str] = set()
    previous: date | None = None
    versions: list[KpiFormula] = []
    for i, v in enumerate(doc.versions):
        where = f"versions[{i}]"
        if v.id in seen_ids:
            problems.append(FieldError(f"{where}.id", f"口径编号 {v.id} 重复"))
        seen_ids.add(v.id)
        if previous is not None and v.effective_from <= previous:
            problems.append(FieldError(f"{where}.effective_from", "生效日期必须晚于上一版本"))
        previous = v.effective_from
        w = v.weights
        if _exact(w.response) + _exact(w.resolution) + _exact(w.satisfaction) != 1:
            problems.append(FieldError(f"{where}.weights", "三项权重之和必须等于 1"))
        for j, code in enumerate(v.excluded_reasons):
            if code not in codes:
                problems.append(FieldError(f"{where}.excluded_reasons[{j}]", f"未定义的原因代码 {code}"))
        versions.append(
            KpiFormula(
                id=v.id,
                effective_from=v.effective_from,
                title=v.title,
                kinds=tuple(dict.fromkeys(k.value for k in v.kinds)),
                denominator=v.denominator,
                basic_satisfied_factor=_exact(v.basic_satisfied_factor),
                weight_response=_exact(w.response),
                weight_resolution=_exact(w.resolution),
                weight_satisfaction=_exact(w.satisfaction),
                excluded_reasons=tuple(v.excluded_reasons),
                first_resolution=FirstResolutionRule(
                    definition=" ".join(v.first_resolution.definition.split()),
                    repeat_window_days=v.first_resolution.repeat_window_days,
                ),
            )
        )
    if problems:
        raise ValidationFailed(f"考核口径文件无效：{source}", errors=problems)
    return KpiFormulas(
        versions=tuple(versions),
        reasons=tuple(ExclusionReason(r.code, r.label) for r in doc.exclusion_reasons),
        narrative_delay_days=doc.open_data.narrative_delay_days,
        source=source,
    )


def kpi_file_path() -> Path:
    """Where officers keep their edited copy (it wins over the shipped file when present)."""
    return get_settings().home / "complaints" / "kpi.yaml"


def _read(text: str, source: str) -> KpiFormulas:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"考核口径文件不是有效的 YAML：{source}（{exc}）") from None
    return parse_kpi_formulas(data, source=source)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> KpiFormulas:
    return _read(Path(path).read_text(encoding="utf-8"), path)


@lru_cache(maxsize=1)
def _package() -> KpiFormulas:
    text = resources.files("tianping.complaints").joinpath("data", "kpi.yaml").read_text(encoding="utf-8")
    return _read(text, "package")


def load_kpi_formulas() -> KpiFormulas:
    """The officers' file under ``<home>/complaints/`` if there is one, else the shipped one."""
    override = kpi_file_path()
    if override.is_file():
        return _load_cached(str(override), override.stat().st_mtime_ns)
    return _package()
