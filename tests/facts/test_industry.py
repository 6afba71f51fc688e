"""Industry codes (GB/T 4754-2017): sections, divisions, normalisation, hierarchy."""

from __future__ import annotations

import pytest

from eligibility.errors import CodeError
from eligibility.facts.codes import (
    DIVISIONS,
    SECTIONS,
    division_name,
    industry_division,
    industry_section,
    industry_under,
    normalize_industry_code,
    section_name,
)

# 门类 → its 大类 range, as printed in the standard's section headings ("本门类包括01～05大类").
SECTION_RANGES = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 96),
    "T": (97, 97),
}


def test_twenty_sections() -> None:
    assert list(SECTIONS) == list("ABCDEFGHIJKLMNOPQRST")
    assert SECTIONS["C"][0] == "制造业"
    assert SECTIONS["D"][0] == "电力、热力、燃气及水生产和供应业"
    assert SECTIONS["I"][0] == "信息传输、软件和信息技术服务业"
    assert SECTIONS["S"][0] == "公共管理、社会保障和社会组织"
    assert all(zh and en for zh, en in SECTIONS.values())


def test_ninety_seven_divisions_in_their_sections() -> None:
    assert list(DIVISIONS) == [f"{n:02d}" for n in range(1, 98)]
    expected = {f"{n:02d}": s for s, (lo, hi) in SECTION_RANGES.items() for n in range(lo, hi + 1)}
    assert {code: section for code, (section, _, _) in DIVISIONS.items()} == expected
    assert all(zh and en for _, zh, en in DIVISIONS.values())


# Checked by hand against the text of GB/T 4754-2017.
@pytest.mark.parametrize(
    ("division", "section", "zh"),
    [
        ("01", "A", "农业"),
        ("05", "A", "农、林、牧、渔专业及辅助性活动"),
        ("06", "B", "煤炭开采和洗选业"),
        ("11", "B", "开采专业及辅助性活动"),
        ("13", "C", "农副食品加工业"),
        ("30", "C", "非金属矿物制品业"),
        ("39", "C", "计算机、通信和其他电子设备制造业"),
        ("43", "C", "金属制品、机械和设备修理业"),
        ("44", "D", "电力、热力生产和供应业"),
        ("46", "D", "水的生产和供应业"),
        ("50", "E", "建筑装饰、装修和其他建筑业"),
        ("51", "F", "批发业"),
        ("52", "F", "零售业"),
        ("53", "G", "铁路运输业"),
        ("58", "G", "多式联运和运输代理业"),
        ("59", "G", "装卸搬运和仓储业"),
        ("60", "G", "邮政业"),
        ("62", "H", "餐饮业"),
        ("63", "I", "电信、广播电视和卫星传输服务"),
        ("65", "I", "软件和信息技术服务业"),
        ("66", "J", "货币金融服务"),
        ("70", "K", "房地产业"),
        ("72", "L", "商务服务业"),
        ("75", "M", "科技推广和应用服务业"),
        ("79", "N", "土地管理业"),
        ("81", "O", "机动车、电子产品和日用产品修理业"),
        ("83", "P", "教育"),
        ("85", "Q", "社会工作"),
        ("87", "R", "广播、电视、电影和录音制作业"),
        ("93", "S", "人民政协、民主党派"),
        ("96", "S", "基层群众自治组织及其他组织"),
        ("97", "T", "国际组织"),
    ],
)
def test_division_spot_checks(division: str, section: str, zh: str) -> None:
    assert DIVISIONS[division][:2] == (section, zh)
    assert industry_section(division) == section
    assert division_name(division) == zh


@pytest.mark.parametrize(
    ("code", "canonical"),
    [
        ("C", "C"),
        ("c", "C"),
        (" t ", "T"),
        ("C30", "C30"),
        ("c30", "C30"),
        ("C3011", "C3011"),
        ("30", "C30"),
        ("3011", "C3011"),
        ("301", "C301"),
        ("01", "A01"),
        ("0111", "A0111"),
        ("7010", "K7010"),
        ("K702", "K702"),
        ("Ｃ３０１１", "C3011"),
    ],
)
def test_normalize(code: str, canonical: str) -> None:
    assert normalize_industry_code(code) == canonical


def test_division_in_the_wrong_section() -> None:
    with pytest.raises(CodeError) as err:
        normalize_industry_code("C01", field="industry.code")
    assert err.value.field == "industry.code"
    assert "大类 01" in err.value.zh and "门类 A" in err.value.zh and "不属于门类 C" in err.value.zh
    assert "division 01" in err.value.en and "section A" in err.value.en and "not C" in err.value.en


@pytest.mark.parametrize("code", ["U", "Z30", "Y"])
def test_unknown_section(code: str) -> None:
    with pytest.raises(CodeError) as err:
        normalize_industry_code(code)
    assert f"'{code[0]}'" in err.value.zh and "A–T" in err.value.zh
    assert "unknown section" in err.value.en


@pytest.mark.parametrize("code", ["00", "98", "99", "9801"])
def test_unknown_division(code: str) -> None:
    with pytest.raises(CodeError) as err:
        normalize_industry_code(code)
    assert f"'{code[:2]}'" in err.value.zh and "01–97" in err.value.zh
    assert "unknown division" in err.value.en


@pytest.mark.parametrize("code", ["", "3", "C3", "C30111", "CC30", "C-30", "30C", "制造业"])
def test_malformed(code: str) -> None:
    with pytest.raises(CodeError) as err:
        normalize_industry_code(code)
    assert "格式不对" in err.value.zh
    assert "malformed" in err.value.en
    assert err.value.field == "industry_code"


def test_non_text_is_an_error() -> None:
    with pytest.raises(CodeError) as err:
        normalize_industry_code(3011)  # type: ignore[arg-type]
    assert "int" in err.value.en


def test_section_and_division_of_a_code() -> None:
    assert industry_section("3011") == "C"
    assert industry_division("C3011") == "C30"
    assert industry_division("301") == "C30"
    assert industry_division("C") is None


@pytest.mark.parametrize(
    ("code", "ancestor", "expected"),
    [
        ("C3011", "C30", True),
        ("C3011", "C", True),
        ("3011", "C30", True),
        ("C30", "C30", True),
        ("C", "C", True),
        ("C3011", "C31", False),
        ("C", "B", False),
        ("C30", "B", False),
        ("F5211", "F51", False),
        ("K7010", "K702", False),
        # too coarse to decide
        ("C", "C30", None),
        ("C", "C3011", None),
        ("C30", "C3011", None),
        ("C301", "C3011", None),
        # coarse, but already outside
        ("C31", "C3011", False),
    ],
)
def test_industry_under(code: str, ancestor: str, expected: bool | None) -> None:
    assert industry_under(code, ancestor) is expected


def test_names() -> None:
    assert section_name("C") == "制造业"
    assert section_name("c3011", "en") == "Manufacturing"
    assert section_name("65") == "信息传输、软件和信息技术服务业"
    assert division_name("C3011") == "非金属矿物制品业"
    assert division_name("I65", "en") == "Software and information technology services"
    assert division_name("C") is None
