"""Division codes: Beijing's districts and streets, national province/city/county codes."""

from __future__ import annotations

import pytest

from tianping.core import divisions
from tianping.core.divisions import Division


def test_beijing_has_16_districts_in_code_order() -> None:
    result = divisions.districts()
    assert len(result) == 16
    assert [d.code for d in result] == sorted(d.code for d in result)
    by_code = {d.code: d.name for d in result}
    assert by_code["110108"] == "海淀区"
    assert by_code["110106"] == "丰台区"
    assert by_code["110101"] == "东城区"
    assert by_code["110119"] == "延庆区"
    assert all(d.level == "district" and d.parent_code == "110100" for d in result)


def test_district_lookup() -> None:
    assert divisions.district("110108") == Division("110108", "海淀区", "district", "110100")
    assert divisions.district("440305") is not None  # county level anywhere in China
    assert divisions.district("110000") is None  # a province is not a district
    assert divisions.district("110101001") is None


def test_streets_of_a_district() -> None:
    dongcheng = divisions.streets("110101")
    assert dongcheng[0] == Division("110101001", "东华门街道", "street", "110101")
    assert [s.code for s in dongcheng] == sorted(s.code for s in dongcheng)
    assert all(s.parent_code == "110101" and s.level == "street" for s in dongcheng)
    assert divisions.streets("999999") == []
    assert divisions.streets("440305") == []  # streets are shipped for Beijing only
    total = sum(len(divisions.streets(d.code)) for d in divisions.districts())
    assert total == 349


def test_lookup_all_levels() -> None:
    assert divisions.lookup("110000") == Division("110000", "北京市", "province", None)
    assert divisions.lookup("110100") == Division("110100", "市辖区", "city", "110000")
    assert divisions.lookup("440300") == Division("440300", "深圳市", "city", "440000")
    street = divisions.lookup("110101001")
    assert street is not None and street.name == "东华门街道"
    assert divisions.lookup(" 110108 ") == divisions.lookup("110108")


def test_names_and_parents() -> None:
    assert divisions.name_of("110108") == "海淀区"
    assert divisions.name_of("110101001") == "东华门街道"
    assert divisions.name_of("110199") is None
    parent = divisions.parent_district("110101001")
    assert parent is not None and parent.name == "东城区"
    assert divisions.parent_district("110108") is None
    assert divisions.full_name("110101001") == "北京市东城区东华门街道"
    assert divisions.full_name("440305") == "广东省深圳市南山区"
    assert divisions.full_name("110100") == "北京市市辖区"
    assert divisions.full_name("000000") is None


@pytest.mark.parametrize(
    "code",
    [
        "",
        "11",
        "1101",
        "11010",
        "1101080",
        "110199",
        "999999",
        "110101999",
        "1101010010",
        "11010a",
        "１１０１０８",
    ],
)
def test_invalid_codes_are_rejected(code: str) -> None:
    assert not divisions.is_valid_division_code(code)
    assert divisions.lookup(code) is None


def test_every_street_belongs_to_a_beijing_district() -> None:
    codes = {d.code for d in divisions.districts()}
    for district_code in codes:
        for street in divisions.streets(district_code):
            assert street.code.startswith(district_code)
            assert divisions.is_valid_division_code(street.code)
            assert divisions.parent_district(street.code) == divisions.district(district_code)
