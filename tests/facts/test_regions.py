"""Region codes (GB/T 2260): validity, hierarchy prefixes, names."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from eligibility.errors import CodeError
from eligibility.facts.codes import (
    PROVINCES,
    REGION_NAMES,
    is_valid_region,
    region_name,
    region_path,
    region_prefix,
    region_under,
    validate_region,
)
from eligibility.testing.workload import REGIONS

PROVINCE_CODES = {
    *(f"{n}0000" for n in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37)),
    *(f"{n}0000" for n in (41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65)),
    "710000",
    "810000",
    "820000",
}


def test_all_province_level_divisions_are_held() -> None:
    assert set(PROVINCES) == PROVINCE_CODES
    assert len(PROVINCES) == 34
    assert PROVINCES["110000"] == ("北京市", "Beijing Municipality")
    assert PROVINCES["820000"][0] == "澳门特别行政区"
    assert PROVINCES["650000"][0] == "新疆维吾尔自治区"


@pytest.mark.parametrize(
    ("code", "zh"),
    [
        ("150000", "内蒙古自治区"),
        ("150500", "通辽市"),
        ("150523", "开鲁县"),
        ("152900", "阿拉善盟"),
        ("152921", "阿拉善左旗"),
        ("152922", "阿拉善右旗"),
        ("152923", "额济纳旗"),
        ("150600", "鄂尔多斯市"),
        ("150627", "伊金霍洛旗"),
        ("530000", "云南省"),
        ("530800", "普洱市"),
        ("530802", "思茅区"),
        ("530829", "西盟佤族自治县"),
        ("610000", "陕西省"),
        ("610400", "咸阳市"),
        ("610431", "武功县"),
        ("610482", "彬州市"),
        ("110105", "朝阳区"),
        ("150102", "新城区"),
        ("330106", "西湖区"),
        ("440305", "南山区"),
        ("530102", "五华区"),
    ],
)
def test_seed_region_names(code: str, zh: str) -> None:
    assert region_name(code) == zh
    assert region_name(code, "en")


def test_seed_prefectures_have_their_counties() -> None:
    def children(prefecture: str) -> set[str]:
        return {c for c in REGION_NAMES if c.startswith(prefecture) and c != prefecture + "00"}

    assert children("1505") == {
        "150502",
        "150521",
        "150522",
        "150523",
        "150524",
        "150525",
        "150526",
        "150571",
        "150581",
    }
    assert children("1506") == {
        "150602",
        "150603",
        "150621",
        "150622",
        "150623",
        "150624",
        "150625",
        "150626",
        "150627",
    }
    assert children("1529") == {"152921", "152922", "152923", "152971"}
    assert len(children("5308")) == 10
    assert len(children("6104")) == 14
    assert "610427" not in REGION_NAMES  # 彬县, replaced by 彬州市 610482


def test_every_region_of_the_examples_is_named_down_to_the_county() -> None:
    with (Path(__file__).resolve().parents[2] / "examples" / "register.csv").open(encoding="utf-8") as f:
        codes = {row["region_code"] for row in csv.DictReader(f)} | set(REGIONS)
    assert codes - set(REGION_NAMES) == set()
    assert region_path("440305") == ["广东省", "深圳市", "南山区"]
    assert region_path("110105", "en") == ["Beijing Municipality", "Chaoyang District"]


def test_every_named_code_is_a_valid_region() -> None:
    assert all(is_valid_region(code) for code in REGION_NAMES)


@pytest.mark.parametrize("code", ["150523", "152921", "110101", "820000", " 610431 ", "６１０４３１"])
def test_valid_regions(code: str) -> None:
    assert is_valid_region(code)
    assert validate_region(code) == code.strip().replace("６１０４３１", "610431")


def test_unnamed_county_under_known_province_is_valid() -> None:
    assert is_valid_region("150599")
    assert region_name("150599") is None
    assert region_path("150599") == ["内蒙古自治区", "通辽市"]


@pytest.mark.parametrize("code", ["15052", "1505233", "15O523", "", "150 523"])
def test_malformed_region_message(code: str) -> None:
    assert not is_valid_region(code)
    with pytest.raises(CodeError) as err:
        validate_region(code, field="profile.region_code")
    assert err.value.field == "profile.region_code"
    assert "6 位数字" in err.value.zh
    assert "6 digits" in err.value.en


@pytest.mark.parametrize("code", ["990000", "000000", "160523", "720000"])
def test_unknown_province_message(code: str) -> None:
    assert not is_valid_region(code)
    with pytest.raises(CodeError) as err:
        validate_region(code)
    assert f"'{code[:2]}'" in err.value.zh and "省级" in err.value.zh
    assert f"'{code[:2]}'" in err.value.en and "province" in err.value.en
    assert err.value.field == "region_code"


def test_non_text_region_is_an_error() -> None:
    assert not is_valid_region(150523)  # type: ignore[arg-type]
    with pytest.raises(CodeError) as err:
        validate_region(150523)  # type: ignore[arg-type]
    assert "int" in err.value.en


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("150000", "15"),
        ("150500", "1505"),
        ("530800", "5308"),
        ("150523", "150523"),
        ("5308", "5308"),
        ("15", "15"),
        ("1500", "15"),
        ("000000", ""),
        ("", ""),
    ],
)
def test_region_prefix(code: str, prefix: str) -> None:
    assert region_prefix(code) == prefix


@pytest.mark.parametrize("code", ["15052", "1505230", "abc", "15-05"])
def test_region_prefix_rejects_malformed(code: str) -> None:
    with pytest.raises(CodeError) as err:
        region_prefix(code)
    assert "2、4 或 6 位数字" in err.value.zh
    assert "2, 4 or 6 digits" in err.value.en


@pytest.mark.parametrize(
    ("code", "ancestor", "expected"),
    [
        # province level
        ("150523", "150000", True),
        ("152921", "150000", True),
        ("150523", "15", True),
        ("530802", "150000", False),
        # prefecture level
        ("150523", "150500", True),
        ("150523", "1505", True),
        ("150602", "150500", False),
        ("152921", "152900", True),
        ("610431", "610400", True),
        ("610531", "610400", False),
        # county level
        ("150523", "150523", True),
        ("150522", "150523", False),
        ("150500", "150500", True),
        # a coarser code is not under a finer ancestor
        ("150000", "150500", False),
        ("150500", "150523", False),
        # the whole country
        ("150523", "000000", True),
        ("820000", "", True),
    ],
)
def test_region_under(code: str, ancestor: str, expected: bool) -> None:
    assert region_under(code, ancestor) is expected


def test_region_path() -> None:
    assert region_path("150523") == ["内蒙古自治区", "通辽市", "开鲁县"]
    assert region_path("152921", "en") == [
        "Inner Mongolia Autonomous Region",
        "Alxa League",
        "Alxa Left Banner",
    ]
    assert region_path("610431") == ["陕西省", "咸阳市", "武功县"]
    assert region_path("530802") == ["云南省", "普洱市", "思茅区"]
    assert region_path("5308") == ["云南省", "普洱市"]
    assert region_path("530000") == ["云南省"]
    assert region_path("000000") == []


def test_region_name_levels_and_languages() -> None:
    assert region_name("15") == "内蒙古自治区"
    assert region_name("1505", "en") == "Tongliao City"
    assert region_name("110101") is None
    assert region_name("000000") is None
