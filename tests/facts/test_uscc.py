"""统一社会信用代码 (GB 32100-2015): parsing, check character, error messages, warnings."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility.errors import CodeError
from eligibility.facts.codes import USCC, check_character, is_valid_uscc, parse_uscc
from eligibility.facts.codes.uscc import ALPHABET, WEIGHTS, org_code_check_character

VALID = ("9144030071526726XG", "91130600738737199K")


def test_alphabet_and_weights_match_the_standard() -> None:
    assert len(ALPHABET) == 31
    assert not set("IOSVZ") & set(ALPHABET)
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", VALID)
def test_published_examples_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    parsed = parse_uscc(code)
    assert parsed.code == code
    assert parsed.warnings == ()
    assert check_character(code[:17]) == code[17]


def test_parts_are_split_by_position() -> None:
    parsed = parse_uscc("9144030071526726XG")
    assert parsed == USCC(
        code="9144030071526726XG",
        authority="9",
        org_type="1",
        region="440300",
        org_code="71526726X",
        check="G",
        warnings=(),
    )
    assert parsed.is_enterprise
    assert not parsed.is_individual_business


def test_individual_business_prefix() -> None:
    first17 = "92150523MA0N12345"
    parsed = parse_uscc(first17 + check_character(first17))
    assert parsed.is_individual_business
    assert not parsed.is_enterprise


def test_whitespace_case_and_full_width_are_normalised() -> None:
    assert parse_uscc("  9144030071526726xg\t").code == "9144030071526726XG"
    assert parse_uscc("９１４４０３００７１５２６７２６ＸＧ").code == "9144030071526726XG"


def test_embedded_org_code_checks() -> None:
    assert org_code_check_character("71526726") == "X"
    assert org_code_check_character("73873719") == "9"


def test_failing_org_code_check_is_a_warning_not_an_error() -> None:
    first17 = "91440300715267260"  # organisation code 71526726-0; its GB 11714 check is X
    code = first17 + check_character(first17)
    assert is_valid_uscc(code)
    (warning,) = parse_uscc(code).warnings
    assert "715267260" in warning
    assert "GB 11714" in warning
    assert "'X'" in warning and "'0'" in warning
    assert "组织机构代码" in warning and "organisation code" in warning


def test_wrong_length_names_the_actual_length() -> None:
    with pytest.raises(CodeError) as err:
        parse_uscc("91440300715267")
    assert err.value.field == "uscc"
    assert "18" in err.value.zh and "14 位" in err.value.zh
    assert "has 14" in err.value.en


def test_bad_character_names_its_position() -> None:
    with pytest.raises(CodeError) as err:
        parse_uscc("91440300O1526726XG", field="registers.uscc")
    assert err.value.field == "registers.uscc"
    assert "第 9 位 'O'" in err.value.zh
    assert "'O' at position 9" in err.value.en
    assert err.value.positions == (9,)


def test_every_bad_character_is_listed() -> None:
    with pytest.raises(CodeError) as err:
        parse_uscc("9I44030071526726XS")
    assert "第 2 位 'I'" in err.value.zh and "第 18 位 'S'" in err.value.zh
    assert err.value.positions == (2, 18)


def test_region_part_must_be_digits() -> None:
    first17 = "9144A30071526726X"
    with pytest.raises(CodeError) as err:
        parse_uscc(first17 + check_character(first17))
    assert "44A300" in err.value.zh and "6 位数字" in err.value.zh
    assert "44A300" in err.value.en and "6 digits" in err.value.en


def test_wrong_check_character_says_expected_and_given() -> None:
    with pytest.raises(CodeError) as err:
        parse_uscc("9144030071526726XH")
    assert "应为 'G'，实为 'H'" in err.value.zh
    assert "should be 'G', got 'H'" in err.value.en
    assert (err.value.expected, err.value.given) == ("G", "H")


def test_non_text_is_an_error_not_a_crash() -> None:
    with pytest.raises(CodeError) as err:
        parse_uscc(float("nan"))  # type: ignore[arg-type]
    assert "float" in err.value.en
    assert not is_valid_uscc(None)  # type: ignore[arg-type]


def test_code_error_survives_pickling() -> None:
    with pytest.raises(CodeError) as err:
        parse_uscc("9144030071526726XH")
    again = pickle.loads(pickle.dumps(err.value))
    assert (again.zh, again.en, again.field) == (err.value.zh, err.value.en, "uscc")


@pytest.mark.parametrize("code", VALID)
def test_every_single_character_change_of_the_examples_fails(code: str) -> None:
    for position in range(18):
        for ch in ALPHABET:
            if ch != code[position]:
                changed = code[:position] + ch + code[position + 1 :]
                assert not is_valid_uscc(changed), changed


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    """Any well-formed USCC: 2 code characters, 6 region digits, 9 code characters, check."""
    code_char = st.sampled_from(ALPHABET)
    head = "".join(draw(st.lists(code_char, min_size=2, max_size=2)))
    region = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=6, max_size=6)))
    org = "".join(draw(st.lists(code_char, min_size=9, max_size=9)))
    first17 = head + region + org
    return first17 + check_character(first17)


@given(valid_usccs())
def test_generated_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)


@given(valid_usccs(), st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_any_single_character_change_fails(code: str, position: int, shift: int) -> None:
    replacement = ALPHABET[(ALPHABET.index(code[position]) + shift) % 31]
    changed = code[:position] + replacement + code[position + 1 :]
    assert changed != code
    assert not is_valid_uscc(changed)
    with pytest.raises(CodeError):
        parse_uscc(changed)
