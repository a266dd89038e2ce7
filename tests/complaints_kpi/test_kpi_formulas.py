"""The KPI formulas file: shipped versions, validation with path-named errors, the officers' override."""

from __future__ import annotations

import copy
from datetime import date
from fractions import Fraction as F
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from tianping.complaints.kpi_formulas import kpi_file_path, load_kpi_formulas, parse_kpi_formulas
from tianping.core.errors import NotFound, ValidationFailed


def _shipped() -> dict[str, Any]:
    text = resources.files("tianping.complaints").joinpath("data", "kpi.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_shipped_versions() -> None:
    formulas = load_kpi_formulas()
    assert [v.id for v in formulas.versions] == ["2024.1", "2025.1"]
    v = formulas.current(date(2025, 6, 1))
    assert v.basic_satisfied_factor == F(9, 10)  # exact, not the binary float 0.9
    assert (v.weight_response, v.weight_resolution, v.weight_satisfaction) == (F(1, 10), F(1, 2), F(2, 5))
    assert v.first_resolution.repeat_window_days == 30
    assert "30 日内" in v.first_resolution.definition
    assert formulas.narrative_delay_days == 60
    with pytest.raises(NotFound):
        formulas.current(date(2023, 12, 31))
    with pytest.raises(NotFound):
        formulas.get("1999.9")


def test_shipped_file_says_the_weights_are_not_statutory() -> None:
    text = resources.files("tianping.complaints").joinpath("data", "kpi.yaml").read_text(encoding="utf-8")
    assert "北京市接诉即办工作条例 第三十二条" in text and "NOT statute" in text


def test_errors_name_the_path() -> None:
    data = _shipped()
    bad = copy.deepcopy(data)
    bad["versions"][1]["weights"]["satisfaction"] = 0.5  # sums to 1.1
    bad["versions"][1]["excluded_reasons"].append("no_such_reason")
    bad["versions"][1]["effective_from"] = date(2023, 1, 1)  # not after the previous version
    with pytest.raises(ValidationFailed) as err:
        parse_kpi_formulas(bad)
    assert {e.field for e in err.value.errors} == {
        "versions[1].weights",
        "versions[1].excluded_reasons[5]",
        "versions[1].effective_from",
    }
    worse = copy.deepcopy(data)
    worse["versions"][0]["denominator"] = "everything"
    worse["versions"][0]["basic_satisfied_factor"] = 1.5
    worse["versions"][0]["kinds"] = ["complaint", "gossip"]
    worse["extra"] = 1
    with pytest.raises(ValidationFailed) as err:
        parse_kpi_formulas(worse)
    fields = {e.field for e in err.value.errors}
    assert {
        "versions[0].denominator",
        "versions[0].basic_satisfied_factor",
        "versions[0].kinds[1]",
        "extra",
    } <= fields
    with pytest.raises(ValidationFailed):
        parse_kpi_formulas(["not", "a", "mapping"])


def test_override_file_in_home(tmp_path: Path) -> None:
    path = kpi_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _shipped()
    data["versions"][1]["basic_satisfied_factor"] = 0.8
    data["versions"][1]["weights"] = {"response": 0.3, "resolution": 0.35, "satisfaction": 0.35}
    try:
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        v = load_kpi_formulas().current(date(2025, 6, 1))
        assert v.basic_satisfied_factor == F(4, 5) and v.weight_response == F(3, 10)
        assert load_kpi_formulas().source == str(path)
        path.write_text("versions: [\n", encoding="utf-8")
        with pytest.raises(ValidationFailed, match="YAML"):
            load_kpi_formulas()
    finally:
        path.unlink()
    assert load_kpi_formulas().source == "package"
