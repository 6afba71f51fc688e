"""Readings corrected after an audit of the bundled packs against the seeds and the national law:
what the rule tests in the packs cannot state (notes, the profile schema, sums across rules)."""

from __future__ import annotations

import eligibility as el

BUNDLED = el.load_rules()


def test_startup_guarantee_loan_says_it_encodes_the_zone_text_and_how_the_national_ratio_moved() -> None:
    notes = BUNDLED["tengger.startup-guarantee-loan"].notes
    assert "按原文编码" in notes and "25%" in notes
    assert "财金〔2020〕21号" in notes and "15%" in notes and "8%" in notes
    assert "待确认" in notes  # what the sources did not confirm is said to be unconfirmed


def test_changed_rules_say_what_changed_with_the_document_number() -> None:
    expected = {
        "cn.small-scale-vat-exemption": "公告2022年第15号 第一条",
        "wugong.simplified-deregistration": "工商企注字〔2016〕253号",
        "puer.small-to-above-scale": "2022-01-01",
        "ordos.guarantee-fee-cap": "年化",
    }
    for rule_id, fragment in expected.items():
        notes = BUNDLED[rule_id].notes
        assert "2026-12" in notes and fragment in notes, rule_id
