"""The check-up lists every measure in scope (not met too, with the conditions that fail), computes near
misses for dates as for numbers, and warns about facts dated after the evaluation date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import eligibility as el
from eligibility.cli import app
from eligibility.io.yamlload import load_yaml
from eligibility.report import checkup, checkup_dict, render_checkup

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "examples" / "profiles"
runner = CliRunner()

DATED = """\
- id: t.one-year-old
  title: {zh: 成立满一年奖励, en: First-year award}
  source: {clause: 一, quote: 成立满一年的给予1万元奖励}
  kind: grant
  mode: auto
  basis: threshold
  when: ["registered_on <= as_of - 12 months"]
  benefit: {amount: 1万}
- id: t.new-cert
  title: {zh: 新认定奖励, en: New certification award}
  source: {clause: 二, quote: 新认定的给予2万元奖励}
  kind: grant
  mode: auto
  basis: recognition
  when: ["any(certifications, kind == \\"high_tech\\" and within(certified_on, 12 months))"]
  benefit: {amount: 2万}
- id: t.retail
  title: {zh: 零售奖励, en: Retail award}
  source: {clause: 三, quote: 零售企业给予3万元奖励}
  kind: grant
  mode: auto
  basis: threshold
  when: ["industry_code under \\"F\\""]
  benefit: {amount: 3万}
"""


def _profile(registered_on: str, certified_on: str) -> el.Profile:
    return el.Profile.from_data({
        "name": "日期测试企业", "region_code": "530802", "industry_code": "C3011", "registered_on": registered_on,
        "certifications": [{"kind": "high_tech", "level": "national", "certified_on": certified_on,
                            "expires_on": "2030-01-01"}]})


@pytest.fixture
def engine(make_rules: Callable[..., el.RuleSet]) -> el.Engine:
    return el.Engine(make_rules(DATED))


def _example(name: str, as_of: str) -> tuple[el.Evaluation, el.Profile]:
    path = PROFILES / f"{name}.yaml"
    profile = el.Profile.from_data(load_yaml(path.read_text(encoding="utf-8"), str(path)))
    return el.Engine(el.load_rules()).evaluate(profile, as_of=as_of), profile


@pytest.mark.parametrize(("name", "as_of"), [("puer-near-miss", "2026-11-22"), ("puer-manufacturer", "2024-06-30"),
                                             ("tengger-small-scale", "2021-06-30"), ("kailu-bidder", "2024-06-30")])
def test_every_measure_in_scope_is_listed_once(name: str, as_of: str) -> None:
    ev, _ = _example(name, as_of)
    c = checkup(ev, "zh")
    listed = [i.rule_id for items in (c.benefits, c.superseded, c.undetermined, c.near_misses, c.not_met) for i in items]
    assert sorted(listed) == sorted(r.rule_id for r in ev.results)
    assert c.not_eligible == len(c.not_met) and c.counts["ineligible"] == len(c.not_met) + len(c.near_misses)


def test_a_measure_not_met_says_which_conditions_fail(engine: el.Engine) -> None:
    ev = engine.evaluate(_profile("2020-01-01", "2024-01-01"), as_of="2024-06-30")
    c = checkup(ev, "zh")
    assert [i.rule_id for i in c.not_met] == ["t.retail"]
    page = render_checkup(ev, "html", "zh")
    section = page[page.index('<section id="not_met">'):]
    assert "<details><summary>展开 1 项</summary>" in section and "不满足：" in section
    assert "industry_code" in section or "门类" in section or "批发和零售业" in section
    md = render_checkup(ev, "md", "en")
    assert "<details>" in md and "Not met:" in md and "## Measures not met" in md
    assert [i["rule_id"] for i in checkup_dict(checkup(ev, "en"))["not_met"]] == ["t.retail"]


def test_a_date_window_missed_by_a_month_is_a_near_miss_with_its_days() -> None:
    ev, profile = _example("puer-near-miss", "2026-11-22")
    zh, en = checkup(ev, "zh", profile), checkup(ev, "en", profile)
    near = {i.rule_id: i for i in zh.near_misses}
    assert list(near) == ["puer.specialised-municipal"] and zh.counts["near_miss"] == 1
    # certified 2025-10-20; the 12-month window ended 2026-10-20; 33 days before 2026-11-22
    assert near["puer.specialised-municipal"].gaps == ("认定日期 2025-10-20，已超过 12 个月 33 天（须在 12 个月以内）",)
    assert en.near_misses[0].gaps == ("date certified 2025-10-20 is 12 months and 33 days old (it must be within "
                                      "12 months)",)
    page = render_checkup(ev, "html", "zh", profile)
    assert "已超过 12 个月 33 天" in page and "差一点" in page


@pytest.mark.parametrize(("registered_on", "as_of", "days"), [("2023-07-23", "2024-06-30", 23),
                                                               ("2023-07-01", "2024-06-30", 1)])
def test_waiting_for_a_date_is_a_near_miss_counted_in_days(engine: el.Engine, registered_on: str, as_of: str,
                                                           days: int) -> None:
    ev = engine.evaluate(_profile(registered_on, "2024-01-01"), as_of=as_of)
    zh, en = checkup(ev, "zh"), checkup(ev, "en")
    item = next(i for i in zh.near_misses if i.rule_id == "t.one-year-old")
    assert item.gaps == (f"成立日期 {registered_on}，再过 {days} 天满 12 个月",)
    assert item.near == f"成立日期 {registered_on}，再过 {days} 天满 12 个月，届时即可享受成立满一年奖励"
    assert next(i for i in en.near_misses if i.rule_id == "t.one-year-old").gaps == (
        f"date established {registered_on}: 12 months are reached in {days} days",)
    day = date.fromisoformat(as_of)
    before = engine.evaluate(_profile(registered_on, "2024-01-01"), as_of=day + timedelta(days=days - 1))
    due = engine.evaluate(_profile(registered_on, "2024-01-01"), as_of=day + timedelta(days=days))
    assert (before["t.one-year-old"].status.value, due["t.one-year-old"].status.value) == ("ineligible", "eligible")


@pytest.mark.parametrize(("certified_on", "near"), [("2023-06-27", True), ("2023-03-30", True),
                                                     ("2023-03-29", False), ("2020-01-01", False)])
def test_a_window_missed_by_more_than_a_quarter_is_not_near(engine: el.Engine, certified_on: str, near: bool) -> None:
    ev = engine.evaluate(_profile("2020-01-01", certified_on), as_of="2024-06-30")
    c = checkup(ev, "zh")
    assert ("t.new-cert" in [i.rule_id for i in c.near_misses]) is near
    assert ("t.new-cert" in [i.rule_id for i in c.not_met]) is not near
    if certified_on == "2023-06-27":  # window ended 2024-06-27: missed by 3 days
        assert c.near_misses[0].gaps == ("认定日期 2023-06-27，已超过 12 个月 3 天（须在 12 个月以内）",)


def test_facts_dated_after_as_of_are_warned_about(engine: el.Engine) -> None:
    profile = _profile("2024-08-01", "2024-09-01")
    ev = engine.evaluate(profile, as_of="2024-06-30")
    zh = checkup(ev, "zh", profile)
    assert zh.warnings == (
        "成立日期（registered_on）为 2024-08-01，晚于评估日期 2024-06-30：请核对数据，或改用该日之后的评估日期。",
        "认定日期（certifications[0].certified_on）为 2024-09-01，晚于评估日期 2024-06-30：请核对数据，或改用该日之后的评估日期。",
    )  # expires_on 2030 is an end of validity, not warned about
    assert not zh.near_misses  # a future date is not a gap
    assert [w.split(" (")[0] for w in checkup(ev, "en", profile).warnings] == ["date established", "date certified"]
    assert len(checkup(ev, "zh").warnings) == 2  # without the profile: the dates the rules read
    page = render_checkup(ev, "html", "zh", profile)
    assert 'id="warnings"' in page and "数据提醒" in page and "晚于评估日期" in page
    assert "**Check the data**" in render_checkup(ev, "md", "en", profile)
    assert checkup(engine.evaluate(profile, as_of="2024-12-31"), "zh", profile).warnings == ()


def test_match_report_warns_about_a_future_certification(tmp_path: Path) -> None:
    out = tmp_path / "checkup.html"
    result = runner.invoke(app, ["match", str(PROFILES / "puer-near-miss.yaml"), "--as-of", "2025-06-30",
                                 "--report", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "认定日期（certifications[0].certified_on）为 2025-10-20，晚于评估日期 2025-06-30" in page


def test_totals_keep_up_to_amounts_apart_and_say_at_least_when_some_are_unknown() -> None:
    ev, profile = _example("puer-retail-upgrade", "2026-11-22")
    zh, en = checkup(ev, "zh", profile), checkup(ev, "en", profile)
    assert (zh.total_exact, zh.total_up_to, zh.amount_unknown) == (56000, 300000, 1)
    assert zh.total_exact + zh.total_up_to == ev.total()  # the engine's total, now in its two parts
    page = render_checkup(ev, "html", "zh", profile)
    assert "确定金额至少 5.6万元（另有 1 项金额待定），另有上限类最高 30万元。" in page
    assert ('<span class="n"><span class="q">至少</span><span class="f">5.6万元</span></span>'
            '<span class="l">确定金额（下限）</span>') in page
    assert '<span class="q">最高</span><span class="f">30万元</span></span><span class="l">上限类合计</span>' in page
    assert "at least CNY 56,000 of grants" in render_checkup(ev, "md", "en", profile)
    data = checkup_dict(en)
    assert (data["total_exact"], data["total_up_to"], data["amount_unknown"]) == ("56000.00", "300000.00", 1)
