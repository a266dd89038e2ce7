"""Administrative division codes (GB/T 2260) and Beijing's streets/towns (NBS codes).

Data: 国家统计局《统计用区划和城乡划分代码》2023 edition, shipped as package data in
``tianping/core/data/`` (see its README for provenance and licence). All codes are handled as strings:

* province, city and county level: the 6-digit GB/T 2260 code (``110000`` 北京市, ``110100`` its
  市辖区 city level, ``110108`` 海淀区). County-level units (区, 县, 县级市, 旗) have level ``"district"``.
* street level (街道, 镇, 乡): the 9-digit NBS code (``110101001`` 东华门街道). Only Beijing's streets
  are shipped; a 9-digit code of another province is therefore unknown (``lookup`` returns ``None``).

The tables are read lazily on first use with :mod:`importlib.resources` and cached for the process.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

__all__ = [
    "BEIJING_CODE",
    "Division",
    "DivisionLevel",
    "district",
    "districts",
    "full_name",
    "is_valid_division_code",
    "lookup",
    "name_of",
    "parent_district",
    "streets",
]

DivisionLevel = Literal["province", "city", "district", "street"]

BEIJING_CODE = "110000"
"""6-digit code of 北京市 (province level)."""


@dataclass(frozen=True)
class Division:
    """One administrative division.

    ``parent_code`` is the code of the enclosing division (6-digit), or ``None`` for a province.
    """

    code: str
    name: str
    level: DivisionLevel
    parent_code: str | None


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("tianping.core").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@dataclass(frozen=True)
class _Tables:
    by_code: dict[str, Division]
    beijing_districts: tuple[Division, ...]
    streets_by_district: dict[str, tuple[Division, ...]]


@cache
def _tables() -> _Tables:
    by_code: dict[str, Division] = {}
    for row in _read_csv("provinces.csv"):
        code = row["code"] + "0000"
        by_code[code] = Division(code, row["name"], "province", None)
    for row in _read_csv("cities.csv"):
        code = row["code"] + "00"
        by_code[code] = Division(code, row["name"], "city", row["provinceCode"] + "0000")
    for row in _read_csv("areas.csv"):
        code = row["code"]
        by_code[code] = Division(code, row["name"], "district", row["cityCode"] + "00")

    beijing: list[Division] = []
    for row in _read_csv("beijing_districts.csv"):
        division = Division(row["code"], row["name"], "district", row["cityCode"] + "00")
        if by_code.get(division.code) != division:  # the two files come from the same NBS edition
            raise RuntimeError(f"inconsistent division data for {division.code}")
        beijing.append(division)
    beijing.sort(key=lambda d: d.code)

    streets: dict[str, list[Division]] = {}
    for row in _read_csv("beijing_streets.csv"):
        division = Division(row["code"], row["name"], "street", row["areaCode"])
        by_code[division.code] = division
        streets.setdefault(division.parent_code or "", []).append(division)
    return _Tables(
        by_code=by_code,
        beijing_districts=tuple(beijing),
        streets_by_district={k: tuple(sorted(v, key=lambda d: d.code)) for k, v in streets.items()},
    )


def _clean(code: object) -> str | None:
    if not isinstance(code, str):
        return None
    code = code.strip()
    if len(code) not in (6, 9) or not code.isascii() or not code.isdigit():
        return None
    return code


def lookup(code: str) -> Division | None:
    """Return the division with this 6-digit (province/city/county) or 9-digit (street) code."""
    cleaned = _clean(code)
    if cleaned is None:
        return None
    return _tables().by_code.get(cleaned)


def is_valid_division_code(code: str) -> bool:
    """True if ``code`` is a known 6-digit division code or a known 9-digit Beijing street code."""
    return lookup(code) is not None


def name_of(code: str) -> str | None:
    """The name of the division (e.g. ``"海淀区"``), or ``None`` if the code is unknown."""
    division = lookup(code)
    return division.name if division else None


def full_name(code: str) -> str | None:
    """The name with all enclosing divisions, e.g. ``"北京市海淀区中关村街道"``.

    The placeholder city level ``市辖区`` / ``县`` / ``省直辖县级行政区划`` of municipalities and
    provinces is left out. ``None`` if the code is unknown.
    """
    division = lookup(code)
    if division is None:
        return None
    parts: list[str] = []
    current: Division | None = division
    while current is not None:
        placeholder = current.level == "city" and current.name in ("市辖区", "县", "省直辖县级行政区划")
        if not placeholder or current is division:
            parts.append(current.name)
        current = _tables().by_code.get(current.parent_code) if current.parent_code else None
    return "".join(reversed(parts))


def district(code: str) -> Division | None:
    """The county-level division (区/县/县级市/旗) with this 6-digit code, anywhere in China."""
    division = lookup(code)
    return division if division is not None and division.level == "district" else None


def districts() -> list[Division]:
    """Beijing's 16 districts, in code order."""
    return list(_tables().beijing_districts)


def streets(district_code: str) -> list[Division]:
    """The 街道/镇/乡 of a Beijing district, in code order (empty for unknown or non-Beijing codes)."""
    cleaned = _clean(district_code)
    if cleaned is None:
        return []
    return list(_tables().streets_by_district.get(cleaned, ()))


def parent_district(code: str) -> Division | None:
    """For a 9-digit street code, the district it belongs to; ``None`` for any other code."""
    division = lookup(code)
    if division is None or division.level != "street" or division.parent_code is None:
        return None
    return district(division.parent_code)
