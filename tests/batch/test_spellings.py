"""Value spellings of REGISTERS.md → canonical values; placeholders unknown; the unreadable refused."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eligibility as el
from eligibility.batch.spellings import UNREAD, normalise_column, normalise_value, parse_date, parse_period


@pytest.mark.parametrize("text", ["2019-05-20", "2019/5/20", "2019.5.20", "2019年5月20日", "20190520", "43605",
                                  43605, 43605.0, "2019-05-20 00:00:00", datetime(2019, 5, 20), "２０１９年５月２０日"])
def test_date_spellings(text: object) -> None:
    assert parse_date(text) == date(2019, 5, 20)


@pytest.mark.parametrize("text", ["2019-13-01", "2019年5月", "5/20/2019", "昨天", "2019-05-20 10:30:00"])
def test_dates_that_are_not_read(text: str) -> None:
    assert parse_date(text) is None


def test_extra_date_formats() -> None:
    assert parse_date("20/05/2019", ("%d/%m/%Y",)) == date(2019, 5, 20)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("2024-03", date(2024, 3, 1), date(2024, 3, 31)),
    ("2024年3月", date(2024, 3, 1), date(2024, 3, 31)),
    ("202402", date(2024, 2, 1), date(2024, 2, 29)),
    ("2024年第一季度", date(2024, 1, 1), date(2024, 3, 31)),
    ("2024Q4", date(2024, 10, 1), date(2024, 12, 31)),
    ("2024年", date(2024, 1, 1), date(2024, 12, 31)),
])
def test_period_spellings(text: str, first: date, last: date) -> None:
    assert parse_period(text) == (first, last)


@pytest.mark.parametrize(("path", "text", "want"), [
    ("vat_taxpayer", "小规模纳税人", "small_scale"), ("vat_taxpayer", "小规模", "small_scale"),
    ("vat_taxpayer", "一般纳税人", "general"),
    ("vat_filing_period", "按月", "month"), ("vat_filing_period", "季报", "quarter"),
    ("tax_credit_rating", "A级", "A"), ("tax_credit_rating", "ｂ", "B"), ("tax_credit_rating", "M", "M"),
    ("ownership", "民营", "private"),
    ("dishonest_record", "是", "true"), ("dishonest_record", "否", "false"), ("dishonest_record", "有", "true"),
    ("dishonest_record", "无", "false"), ("dishonest_record", "Y", "true"), ("dishonest_record", "√", "true"),
    ("dishonest_record", "×", "false"), ("dishonest_record", "0", "false"), ("dishonest_record", "TRUE", "true"),
    ("dishonest_record", 1, "true"),
    ("region_code", "530802.0", "530802"), ("region_code", 530802.0, "530802"),
    ("region_code", "530802001000", "530802"), ("region_code", "５３０８０２", "530802"),
    ("region_code", "思茅区", "530802"), ("region_code", " 普洱市 思茅区", "530802"),
    ("region_code", "云南省普洱市思茅区", "530802"), ("region_code", "开鲁县", "150523"),
    ("uscc", "530802000012345.0", "530802000012345"),
    ("industry_code", "3011", "3011"), ("industry_code", "C3011", "C3011"), ("industry_code", "c30", "C30"),
    ("uscc", " 91530802ma6k0000 14 ", "91530802MA6K000014"), ("uscc", "９１５３０８０２ＭＡ６Ｋ００００１４", "91530802MA6K000014"),
    ("employees", "１８０", "180"), ("employees", "180人", "180"), ("employees", 180.0, "180"),
    ("employees", "1,200", "1200"),
    ("revenue", "1,234,567.89", "1234567.89"), ("revenue", "1234567.89元", "1234567.89"),
    ("revenue", "123.4万", "123.4万"), ("revenue", "１２３", "123"),
    ("registered_on", "2019年5月20日", "2019-05-20"),
    ("name", " 示例（有限）公司 ", "示例（有限）公司"),
])
def test_value_spellings(path: str, text: object, want: str) -> None:
    from eligibility.batch.spellings import kind_of

    assert normalise_value(kind_of(path), path, text) == want


@pytest.mark.parametrize("text", ["", "-", "—", "--", "/", "无", "暂无", "NULL", "null", "N/A", "#N/A", "nan", None,
                                  float("nan")])
def test_placeholders_are_unknown_not_zero(text: object) -> None:
    for path, kind in (("revenue", "money"), ("employees", "number"), ("registered_on", "date"),
                       ("region_code", "region"), ("vat_taxpayer", "enum"), ("name", "str")):
        assert normalise_value(kind, path, text) is None, (path, text)


@pytest.mark.parametrize(("kind", "path", "text"), [
    ("money", "revenue", "1,23,4"), ("number", "employees", "很多"), ("date", "registered_on", "2019-02-30"),
    ("enum", "vat_taxpayer", "个体"), ("bool", "dishonest_record", "也许"), ("region", "region_code", "5308"),
    ("region", "region_code", "火星区"),
    ("industry", "industry_code", "制造业"),
])
def test_unreadable_values_are_refused(kind: str, path: str, text: str) -> None:
    assert normalise_value(kind, path, text) is UNREAD


def test_money_unit_from_the_header_is_applied_exactly() -> None:
    assert normalise_value("money", "revenue", "1234.5678", Decimal(10_000)) == "12345678"
    assert normalise_value("money", "revenue", 0.1, Decimal(1000)) == "100"
    assert normalise_value("money", "revenue", "2,500", Decimal(1000)) == "2500000"
    assert normalise_value("money", "revenue", "2500万", Decimal(1000)) is UNREAD  # two units: not guessed


def test_mapping_vocabulary_is_tried_first() -> None:
    assert normalise_value("enum", "vat_taxpayer", "小微", vocabulary={"小微": "small_scale"}) == "small_scale"
    assert normalise_value("bool", "dishonest_record", "列入", vocabulary={"列入": True}) == "true"


def test_normalised_values_are_what_the_profile_schema_reads() -> None:
    from eligibility.batch.spellings import kind_of

    profile = {"uscc": normalise_value("uscc", "uscc", "９１５３０８０２ＭＡ６Ｋ００００１４")}
    for path, text in [("region_code", "530802001000"), ("industry_code", "3011"), ("registered_on", "20190520"),
                       ("employees", "１８０"), ("revenue", "1,234,567.89元"), ("vat_taxpayer", "小规模纳税人"),
                       ("vat_filing_period", "按季"), ("tax_credit_rating", "A级"), ("dishonest_record", "否")]:
        profile[path] = normalise_value(kind_of(path), path, text)
    p = el.Profile.from_data(profile)
    assert p.industry_code == "C3011" and p.region_code == "530802" and p.employees == 180
    assert p.revenue == Decimal("1234567.89") and p.vat_taxpayer == "small_scale" and p.dishonest_record is False


def test_column_counts_read_unknown_refused_with_examples_arrow_and_object() -> None:
    values = ["2019-05-20", "2019年5月20日", "-", None, "不是日期", "2019-05-20"]
    rows = np.arange(10, 16)
    for series in (pd.Series(values, dtype=object),
                   pd.Series(pd.array(pa.array(values, pa.string()), dtype=pd.ArrowDtype(pa.string())))):
        out, counts = normalise_column(series, "registered_on", rows)
        assert (counts.read, counts.unknown, counts.refused) == (3, 2, 1)
        assert counts.examples == [(14, "不是日期")]
        assert [None if pd.isna(v) else v for v in out.tolist()] == [
            "2019-05-20", "2019-05-20", None, None, "不是日期", "2019-05-20"]


def test_a_clean_arrow_column_comes_back_as_it_was() -> None:
    series = pd.Series(pd.array(pa.array(["530802", None, "530821"], pa.string()), dtype=pd.ArrowDtype(pa.string())))
    out, counts = normalise_column(series, "region_code", np.arange(1, 4))
    assert out is series and (counts.read, counts.unknown, counts.refused) == (2, 1, 0)


def test_a_clean_enumeration_column_hands_its_encoding_to_the_ingest() -> None:
    """An enumeration in canonical spelling comes back as it was, its dictionary encoding left for the
    ingest of the chunk (the ingest reads its codes instead of looking every cell up again); one
    spelt otherwise is normalised and hands on nothing."""
    from eligibility.backends.vectorized import ingest

    ingest.forget_encodings()
    arr = pa.array(["general", None, "small_scale", "general"], pa.string())
    series = pd.Series(pd.array(arr, dtype=pd.ArrowDtype(pa.string())))
    out, counts = normalise_column(series, "vat_taxpayer", np.arange(1, 5))
    assert out is series and (counts.read, counts.unknown, counts.refused) == (3, 1, 0)
    assert ingest._shared_encoding(arr).dictionary.to_pylist() == ["general", "small_scale"]
    spelt = pd.Series(pd.array(pa.array(["一般纳税人", "small_scale"], pa.string()), dtype=pd.ArrowDtype(pa.string())))
    out, counts = normalise_column(spelt, "vat_taxpayer", np.arange(1, 3))
    assert out.tolist() == ["general", "small_scale"] and counts.read == 2
    assert not ingest._MEMO.encodings


def test_typed_columns_are_left_alone() -> None:
    series = pd.Series([1.5, None], dtype="float64")
    out, counts = normalise_column(series, "revenue", np.arange(1, 3))
    assert out is series and (counts.read, counts.unknown) == (1, 1)


def test_a_mapping_adds_value_spellings_and_date_formats(tmp_path: Path) -> None:
    from eligibility.batch import load_column_mapping, read_register

    (tmp_path / "m.yaml").write_text("columns: {}\nvalues:\n  vat_taxpayer: {小微: small_scale}\n"
                                     "  dishonest_record: {列入: true}\ndate_formats: ['%d/%m/%Y']\n", encoding="utf-8")
    (tmp_path / "r.csv").write_text("统一社会信用代码,纳税人资格,是否失信,成立日期\n"
                                    "91530802MA6K000014,小微,列入,20/05/2019\n"
                                    "91530802MA6K000014,一般纳税人,否,2019-05-20\n", encoding="utf-8")
    mapping = load_column_mapping(tmp_path / "m.yaml")
    assert mapping.values["vat_taxpayer"] == {"小微": "small_scale"} and mapping.date_formats == ("%d/%m/%Y",)
    (_, chunk), = list(read_register(tmp_path / "r.csv", mapping=mapping))
    assert chunk["vat_taxpayer"].tolist() == ["small_scale", "general"]
    assert chunk["dishonest_record"].tolist() == ["true", "false"]
    assert chunk["registered_on"].tolist() == ["2019-05-20", "2019-05-20"]


def test_mapping_values_errors_name_the_line(tmp_path: Path) -> None:
    from eligibility.batch import load_column_mapping
    from eligibility.errors import RuleSetError

    (tmp_path / "m.yaml").write_text("columns: {}\nvalues:\n  vat_taxpayr: {小微: small_scale}\n"
                                     "date_formats: [dd-mm]\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as e:
        load_column_mapping(tmp_path / "m.yaml")
    messages = [x.message("en") for x in e.value.errors]
    assert any(":3:" in m and "did you mean 'vat_taxpayer'" in m for m in messages)
    assert any(":4:" in m and "date format 'dd-mm'" in m for m in messages)


_CELLS = {
    "uscc": ["91530802MA6K4XYZ1A", "91530802ma6k4xyz1a", " 91530802MA6K4XYZ1A", "９１５３０８０２MA6K4XYZ1A",
             "91530802MA6K4XYZ1", "915308020000000000", "-", ""],
    "region_code": ["530802", "530802.0", "530802001000", "５３０８０２", "53080", "5308021", " 530802", "NULL", "思茅区",
                    "普洱市思茅区", "火星区"],
    "vat_taxpayer": ["general", "small_scale", "小规模纳税人", "General", " general", "暂无", "其他"],
    "name": ["某某公司", " 某某公司 ", "-", "NULL", "none", "无", "ABC"],
    "industry_code": ["C3011", "3011", "c3011", "C30", "X", "—"],
}


@given(st.sampled_from(sorted(_CELLS)).flatmap(
    lambda path: st.tuples(st.just(path), st.lists(st.one_of(st.none(), st.sampled_from(_CELLS[path]),
                                                              st.text(max_size=20)), max_size=30))))
def test_a_column_is_normalised_as_its_cells_are_one_by_one(case: tuple[str, list[str | None]]) -> None:
    """The column path (Arrow checks of canonical values, then the distinct values) gives for every
    cell what :func:`normalise_value` gives for that cell alone, and counts the same; a text field's
    cell that is not a placeholder is kept as written (not trimmed)."""
    from eligibility.batch.spellings import kind_of

    path, cells = case
    kind = kind_of(path)
    series = pd.Series(pd.array(pa.array(cells, pa.string()), dtype=pd.ArrowDtype(pa.string())))
    out, counts = normalise_column(series, path, np.arange(1, len(cells) + 1))
    want: list[object] = []
    states: list[str] = []
    for cell in cells:
        got = normalise_value(kind, path, cell)
        want.append(cell if got is UNREAD or (kind == "str" and got is not None) else got)
        states.append("unknown" if got is None else "refused" if got is UNREAD else "read")
    assert [None if v is None or v is pd.NA else v for v in out.tolist()] == want
    assert (counts.read, counts.unknown, counts.refused) == (
        states.count("read"), states.count("unknown"), states.count("refused"))


@pytest.mark.parametrize("text", ["530802000012345", "５３０８０２０００ ０１２３４５", "530802000012345.0"])
def test_a_15_digit_registration_number_is_named_as_such_not_taken_for_a_uscc(text: str) -> None:
    from eligibility.facts.profile import Profile

    uscc = normalise_value("uscc", "uscc", text)
    with pytest.raises(ValueError) as info:
        Profile.model_validate({"uscc": uscc})
    assert "15-digit old business registration number (注册号)" in str(info.value)
    assert "15 位的旧工商注册号" in str(info.value)


# -- Excel's numbers in money and number columns, worked at once in numpy ---------------------------
FLOATS = (st.floats(allow_nan=False, allow_infinity=True)
          | st.decimals(min_value=-10**15, max_value=10**15, places=4, allow_nan=False).map(float)
          | st.integers(-10**9, 10**9).map(lambda i: i / 100))
UNITS = st.sampled_from([None, Decimal(1), Decimal(1000), Decimal(10_000), Decimal(10**8)])


@given(st.lists(FLOATS, min_size=1, max_size=20), UNITS)
def test_numbers_at_once_spell_as_one_by_one(values: list[float], unit: Decimal | None) -> None:
    from eligibility.batch.spellings import _numbers_at_once

    for kind, path in (("money", "revenue"), ("number", "employees")):
        got = _numbers_at_once(kind, values, unit if kind == "money" else None)
        for i, text in got.items():
            assert text == normalise_value(kind, path, values[i], unit if kind == "money" else None), values[i]


def test_numbers_at_once_take_the_common_amounts() -> None:
    from eligibility.batch.spellings import _numbers_at_once

    got = _numbers_at_once("money", [1234.5, 0.05, -0.05, -0.0, 1e16, 1e-5, 123.456, "12", 3], Decimal(1000))
    assert got == {0: "1234500", 1: "50", 2: "-50", 6: "123456"}


def test_a_column_of_numbers_reads_as_cell_by_cell() -> None:
    cells = [1234.5, 0.05, None, float("nan"), "-", 1e16, 2.675, "3千", 7, -0.0, 1234.5]
    out, counts = normalise_column(pd.Series(cells, dtype=object), "revenue", np.arange(1, len(cells) + 1),
                                   Decimal(1000))
    want = [normalise_value("money", "revenue", c, Decimal(1000)) for c in cells]
    assert [None if w is None else c if w is UNREAD else w for c, w in zip(cells, want)] == [
        None if isinstance(v, float) and v != v else v for v in out.tolist()]
    assert (counts.read, counts.unknown, counts.refused) == (6, 3, 2)  # 1e16 and 3千 refused


def test_a_column_of_plain_usccs_comes_back_as_it_was_and_any_other_is_normalised() -> None:
    plain = ["91530802MA6K4XYZ1A", "915308020000000000", "91530802MA6K4XYZ1B"]
    series = pd.Series(pd.array(pa.array(plain, pa.string()), dtype=pd.ArrowDtype(pa.string())))
    out, counts = normalise_column(series, "uscc", np.arange(1, 4))
    assert out is series and (counts.read, counts.unknown, counts.refused) == (3, 0, 0)
    for odd in ("91530802ma6k4xyz1a", "91530802MA6K4XYZ1", " 91530802MA6K4XYZ1A", "９１５３０８０２MA6K4XYZ1A", None):
        cells = plain[:2] + [odd]
        series = pd.Series(pd.array(pa.array(cells, pa.string()), dtype=pd.ArrowDtype(pa.string())))
        out, _ = normalise_column(series, "uscc", np.arange(1, 4))
        got = normalise_value("uscc", "uscc", odd)
        assert [None if v is pd.NA else v for v in out.tolist()] == plain[:2] + [odd if got is UNREAD else got], odd


def test_a_name_column_is_kept_as_written_unless_a_cell_is_a_placeholder() -> None:
    names = ["普洱市某某茶业有限公司", " 思茅区某某商贸有限公司 ", "某某科技"]
    series = pd.Series(pd.array(pa.array(names, pa.string()), dtype=pd.ArrowDtype(pa.string())))
    out, counts = normalise_column(series, "name", np.arange(1, 4))
    assert out is series and counts.read == 3
    series = pd.Series(pd.array(pa.array(names + [" 无 ", None], pa.string()), dtype=pd.ArrowDtype(pa.string())))
    out, counts = normalise_column(series, "name", np.arange(1, 6))
    assert [None if v is pd.NA else v for v in out.tolist()] == names + [None, None]
    assert (counts.read, counts.unknown) == (3, 2)
