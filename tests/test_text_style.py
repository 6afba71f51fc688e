"""The style guide (docs/zh/style-guide.md), checked by the text lint (tests/textlint.py): over every
rendered explanation, headline and batch reason of the example register in Chinese and English, over
the issue's own examples, over translated validation errors; and the lint itself trips on bad text."""

from __future__ import annotations

import csv
from pathlib import Path
from datetime import date
from decimal import Decimal

import pytest

import eligibility as el
from eligibility.batch import read_register, score_chunk
from eligibility.explain import amount_text, headline
from eligibility.facts.frame import row_to_profile
from eligibility.facts.profile import Profile, registry
from registerfile import AS_OF, REGISTER
from textlint import depth, lint

RULES = el.load_rules()
ENGINE = el.Engine(RULES)
IDS = frozenset(RULES)
CODES = frozenset([part for path in registry() for part in path.replace("[]", "").split(".")]
                  + [str(v) for spec in registry().values() for v in (spec.type.values or ())])
"""Words that are codes and may stand in Chinese text: field paths and their parts, enum codes."""
LANGS = ("zh", "en")
STATUSES = ("eligible", "undetermined", "superseded", "ineligible")


def _add(lines: dict[str, dict[str, str]], lang: str, text: str | None, where: str) -> None:
    """Each line of ``text`` once (lines repeat across firms; brackets never span a line)."""
    for line in (text or "").splitlines():
        lines[lang].setdefault(line, where)


@pytest.fixture(scope="module")
def register_lines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Every distinct line a person reads about the example register, per language, with where it
    came from: each firm's headline, rule explanations (as ``match`` and the JSON ``explanation``
    and ``benefit`` give them) and why a rule is out of scope, and the batch ``reason`` column (English | Chinese), scored with some
    cells spoilt so that field errors give reasons too."""
    lines: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
    with open(REGISTER, encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    for row, record in enumerate(records, 1):
        ev = ENGINE.evaluate(row_to_profile(record), AS_OF)
        for lang in LANGS:
            _add(lines, lang, headline(ev, lang, *(len(ev.by_status(s)) for s in STATUSES)), f"row {row} headline")
            for out in ev.out_of_scope:
                _add(lines, lang, out.en if lang == "en" else out.zh, f"row {row}, {out.rule_id} out of scope")
            for res in ev.results:
                where = f"row {row}, {res.rule_id}"
                _add(lines, lang, res.explain(lang), where)
                _add(lines, lang, amount_and_reason(res, lang), where)
    for _, chunk in read_register(_with_bad_cells(records, tmp_path_factory.mktemp("register")), chunk_size=1000):
        for reason in score_chunk(ENGINE, chunk, AS_OF)["reason"].dropna():
            en, _, zh = str(reason).partition(" | ")
            _add(lines, "en", en, "batch reason")
            _add(lines, "zh", zh, "batch reason")
    return lines


BAD_CELLS = {"employees": "abc", "registered_on": "2020-13-01", "vat_taxpayer": "大户", "dishonest_record": "maybe",
             "revenue": "12.345", "power.transformer_kva": "big"}


def _with_bad_cells(records: list[dict[str, str]], folder: Path) -> Path:
    """The register with one spoilt cell in each of its first rows (one column per row, in turn)."""
    spoilt = [dict(r) for r in records]
    for i, (column, value) in enumerate(BAD_CELLS.items()):
        spoilt[i][column] = value
    path = folder / "register.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(spoilt)
    return path


def amount_and_reason(res: el.RuleResult, lang: str) -> str:
    """What the JSON gives beside the explanation: ``benefit`` and ``reason``."""
    reason = None if res.reason is None else res.reason[1 if lang == "en" else 0]
    return "\n".join(t for t in (amount_text(res, lang), reason) if t)


@pytest.mark.parametrize("lang", LANGS)
def test_every_rendered_line_of_the_example_register_keeps_the_style_guide(
        register_lines: dict[str, dict[str, str]], lang: str) -> None:
    lines = register_lines[lang]
    assert len(lines) > 1000  # the register was read and rendered
    problems = {line: (where, found) for line, where in lines.items() if (found := lint(line, lang, IDS, CODES))}
    shown = "\n".join(f"{where}: {found}\n    {line}" for line, (where, found) in list(problems.items())[:20])
    assert not problems, f"{len(problems)} lines break the style guide:\n{shown}"


def test_the_register_has_reasons_in_both_languages(register_lines: dict[str, dict[str, str]]) -> None:
    """The batch reasons linted above were there to lint: one per spoilt cell, in each language."""
    for lang in LANGS:
        reasons = [line for line, where in register_lines[lang].items() if where == "batch reason"]
        assert len(reasons) >= 2, reasons


# -- the lint can fail --------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "lang", "found"), [
    ("并非（个体工商户：否（统一社会信用代码前两位为 91（92 为个体工商户）））", "zh", "brackets nested"),
    ("not (sole proprietor: no (USCC starts with 91 (92 for sole proprietors)))", "en", "brackets nested"),
    ("被 puer.little-giant-national 取代", "zh", "rule id"),
    ("superseded by puer.little-giant-national", "en", "rule id"),
    ("金额 Decimal('500000')", "zh", "Python repr"),
    ("入库日期 None", "en", "Python repr"),
    ("新建投产纳规：True", "zh", "Python repr"),
    ("认定类型 ['high_tech', 'tech_sme']", "en", "Python repr"),
    ("取值无效（Input should be a valid integer）", "zh", "English word"),
    ("从业人员 50人 ≤ 100", "zh", "number without a unit"),
    ("营业收入 2,500 ≥ 2,000万元", "zh", "number without a unit"),
    ("变压器容量 315，不低于 315千伏安", "zh", "number without a unit"),
    ("税率 5", "zh", "number without a unit"),
    ("employees 50, at most 100 persons", "en", "number without a unit"),
    ("revenue 2,500,000, at least CNY 2,000,000", "en", "number without a unit"),
    ("    ✓ 首次纳规：首次纳规：是", "zh", "label said twice"),
    ("    ✗ low capacity utilisation: low capacity utilisation: no, required: yes", "en", "label said twice"),
])
def test_the_lint_trips_on_each_kind_of_bad_text(text: str, lang: str, found: str) -> None:
    assert any(p.startswith(found) for p in lint(text, lang, IDS, CODES)), lint(text, lang, IDS, CODES)


@pytest.mark.parametrize(("text", "lang"), [
    ("从业人员 50人，不超过 100人 ✓", "zh"),
    ("应纳税所得额 260万元：100万元以内部分 100万元，按 5%，计 5万元；合计 13万元", "zh"),
    ("依据：《财税〔2019〕13号》第二条（2019-01-01 至 2020-12-31）", "zh"),
    ("资质认定共2项，没有一项满足条件——第1项：认定级别：国家级，应为 省级", "zh"),
    ("注册地行政区划 530802（思茅区），属于 5308（普洱市）", "zh"),
    ("缺少数据：增值税纳税人类型（vat_taxpayer）", "zh"),
    ("依据：《普洱市措施》二(五)：“对新评定的国家级企业(产品),给予100万元补助”", "zh"),
    ("employees 50 persons, at most 100 persons ✓", "en"),
    ("    ✓ 首次纳规：是", "zh"),
    ("    ✗ 由小到大升规（非新建投产）：新建投产纳规：是，应为 否", "zh"),
    ("source: 财政部 税务总局公告2023年第12号, clause 第一条 (2023-01-01 – 2027-12-31)", "en"),
])
def test_the_lint_passes_text_written_to_the_guide(text: str, lang: str) -> None:
    assert lint(text, lang, IDS, CODES) == []


def test_depth_counts_nesting_not_pairs() -> None:
    assert depth("a（b）c（d）") == 1 and depth("a（b（c））") == 2 and depth("财税〔2019〕13号（第二条）") == 1


# -- the issue's examples, as the guide says them -------------------------------------------------
@pytest.fixture(scope="module")
def puer() -> el.Evaluation:
    import yaml

    from registerfile import ROOT

    profile = yaml.safe_load((ROOT / "examples/profiles/puer-manufacturer.yaml").read_text(encoding="utf-8"))
    return ENGINE.evaluate(profile, date(2024, 6, 30))


def test_the_issue_examples_render_as_the_guide_says(puer: el.Evaluation) -> None:
    text = puer.explain("zh")
    # a negation says the fact, one level of brackets
    assert "✓ 是企业（不是个体工商户）：个体工商户：否，统一社会信用代码前两位为 91（92 为个体工商户）" in text
    # tiered amounts in words with the arithmetic
    assert "应纳税所得额 260万元：100万元以内部分 100万元，按 5%，计 5万元；100万元至300万元部分 160万元，按 5%，计 8万元；合计 13万元" in text
    # a parameter named with its basis
    assert "当期适用（依据 财政部 税务总局公告2023年第12号）" in text
    # missing data said as missing (a record that is absent: no date)
    assert "升限（入库）在评估日所在年度：没有入库日期" in text and "入库日期 无" not in text
    # titles, never ids
    assert "被「新评定国家级专精特新“小巨人”企业一次性补助」取代" in text
    assert "本项优先于「新评定市级专精特新企业一次性补助」" in text
    assert "互斥组" not in text and not any(rid in text for rid in IDS)
    # an up-to amount said once; the headline keeps it apart from exact amounts
    assert "待遇：最高 50万元\n" in text and "（不超过）" not in text
    assert "合计 82万元，另有最高 50万元" in text and "合计 132万元" not in text
    assert "eligible: 4 measures (CNY 820,000 of grants, tax and loan support, plus up to CNY 500,000)" in puer.explain("en")


def test_a_condition_is_said_as_the_policy_says_it(puer: el.Evaluation) -> None:
    text = puer.explain("zh")
    assert "从业人员 180人，不超过 300人" in text and "有应纳税所得额（大于零）：应纳税所得额 260万元，超过 0元" in text
    assert "入库日期 2024-03-01，不早于 2022-01-01" in text  # a date: 早/晚, not 高/低
    assert " ≤ " not in text.split("依据：")[0].replace("≤ 300万元", "")  # the rule's own conditions in words


def test_a_missing_fact_is_said_as_missing(puer: el.Evaluation) -> None:
    text = puer.explain("zh")
    assert "缺少增值税纳税人类型，无法判断是否为 小规模纳税人" in text
    assert "缺少月销售额，无法判断是否不超过 10万元（依据 财政部 税务总局公告2023年第1号、第19号）" in text


def test_the_json_explanation_is_the_rendered_text(puer: el.Evaluation) -> None:
    d = puer.to_dict("zh")
    assert all(r["explanation"] == puer[r["rule_id"]].explain("zh") for r in d["results"])
    by_id = {r["rule_id"]: r for r in d["results"]}
    assert by_id["puer.new-industrial-above-scale"]["benefit"] == "最高 50万元"
    assert by_id["puer.specialised-municipal"]["explanation"] == puer["puer.specialised-municipal"].explain("zh")
    assert by_id["puer.specialised-municipal"]["superseded_by"] == "puer.little-giant-national"  # the id stays data


# -- errors: no English inside Chinese --------------------------------------------------------------
@pytest.mark.parametrize("data", [
    {"employees": "abc"}, {"employees": 1.5}, {"vat_taxpayer": "x"}, {"registered_on": "2020-13-01"},
    {"dishonest_record": "maybe"}, {"certifications": [{"kind": "zz", "level": "national"}]},
    {"region_code": "99999"}, {"power": {"transformer_kva": "big"}}, {"hires": {"pays_social_insurance": "x"}},
])
def test_a_profile_error_in_chinese_has_no_english_from_pydantic(data: dict) -> None:
    with pytest.raises(el.EligibilityError) as caught:
        Profile.from_data(data)
    zh = caught.value.zh
    field = next(iter(data))
    assert field in zh
    problems = [p for p in lint(zh, "zh", IDS, CODES) if p.startswith("English word")]
    assert not problems, (zh, problems)
    assert caught.value.en != zh


def test_a_choice_error_in_chinese_names_the_choices_before_their_codes() -> None:
    with pytest.raises(el.EligibilityError) as caught:
        Profile.from_data({"vat_taxpayer": "big", "certifications": [{"kind": "zz", "level": "national"}]})
    assert "增值税纳税人类型应为以下之一：一般纳税人（general）、小规模纳税人（small_scale）" in caught.value.zh
    assert "专精特新“小巨人”企业（little_giant）" in caught.value.zh
    assert "'general' or 'small_scale'" in caught.value.en


def test_the_zh_side_names_the_field_by_its_label() -> None:
    with pytest.raises(el.EligibilityError) as caught:
        Profile.from_data({"employees": "abc"})
    assert "employees: 从业人员应为整数" in caught.value.zh
    assert "Input should be a valid integer" in caught.value.en


def test_money_stays_exact_in_the_headline(puer: el.Evaluation) -> None:
    exact, up_to = puer.totals()
    assert (exact, up_to) == (Decimal(820_000), Decimal(500_000)) and exact + up_to == puer.total()


def test_an_unknown_date_is_said_as_missing_and_a_known_absent_one_as_none() -> None:
    unknown = ENGINE.evaluate({"region_code": "530802", "industry_code": "C3572",
                               "registers": {"above_scale_industrial": {"new_build": True}}}, date(2024, 6, 30))
    text = unknown["puer.new-industrial-above-scale"].explain("zh")
    assert "？ 纳规（进入规上工业名录）在评估日所在年度：缺少入库日期，无法判断" in text
    assert "date entered missing: cannot tell" in unknown["puer.new-industrial-above-scale"].explain("en")
    absent = ENGINE.evaluate({"region_code": "530802", "industry_code": "C3572", "registers": {}}, date(2024, 6, 30))
    assert "✗ 纳规（进入规上工业名录）在评估日所在年度：没有入库日期" in absent["puer.new-industrial-above-scale"].explain("zh")


@pytest.mark.parametrize(("err", "said"), [
    ({"type": "missing"}, "从业人员是必填项，不能缺少"),
    ({"type": "greater_than_equal", "ctx": {"ge": 0}}, "从业人员应不小于 0"),
    ({"type": "literal_error", "ctx": {"expected": "'general' or 'small_scale'"}}, "从业人员应为以下之一：general、small_scale"),
    ({"type": "string_too_long", "ctx": {}}, "从业人员取值无效"),  # a ctx pydantic did not give
    ({"type": "a_type_not_listed"}, "从业人员取值无效"),
])
def test_each_pydantic_error_type_is_a_chinese_sentence(err: dict, said: str) -> None:
    from eligibility.validation_words import message_zh

    assert message_zh({"msg": "Input should be something", **err}, "从业人员") == said
