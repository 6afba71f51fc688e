"""The JSON of an evaluation (``eligibility.explain``): the text worked out once per result is the text
``explain`` renders on its own, a result's citation is the caller's own copy, and leaving the
explanations out gives the same JSON less those two fields; the rule constants worked out once (kinds,
labels, literals) are kept in caches that stay within their bound and say the same when refilled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import eligibility as el
from eligibility import explain
from eligibility.explain import evaluation_dict

PROFILES = Path(__file__).resolve().parents[1] / "examples" / "profiles"
EXAMPLES = sorted(p.stem for p in PROFILES.glob("*.yaml") if p.stem != "expected")
ENGINE = el.Engine(el.load_rules())


def _evaluation(name: str) -> Any:
    return ENGINE.evaluate(yaml.safe_load((PROFILES / f"{name}.yaml").read_text(encoding="utf-8")), "2024-06-30")


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_json_says_what_explain_says(name: str, lang: str) -> None:
    ev = _evaluation(name)
    data = ev.to_dict(lang)
    assert [r["explanation"] for r in data["results"]] == [r.explain(lang) for r in ev.results]
    sep = "：" if lang == "zh" else ": "
    for r in data["results"]:  # each written condition's text and gaps, as the explanation says them (a
        for c in r["conditions"]:  # label naming the yes/no fact itself is not said twice there)
            if not c["label"]:
                assert c["text"] in r["explanation"]
                continue
            said = (c["text"], c["text"].split(sep, 1)[-1])
            assert any(f"{c['label']}{sep}{text}" in r["explanation"] for text in said)
            assert all(f"→ {d['text']}" in r["explanation"] for d in c["distance"])


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_explanations_is_the_json_less_two_fields(name: str, lang: str) -> None:
    ev = _evaluation(name)
    full = ev.to_dict(lang)
    for r in full["results"]:
        del r["conditions"], r["explanation"]
    assert json.dumps(evaluation_dict(ev, lang, explained=False), ensure_ascii=False) == \
        json.dumps(full, ensure_ascii=False)  # the same keys in the same order


def test_a_citation_changed_by_its_caller_is_not_the_next_callers() -> None:
    ev = _evaluation("tengger-startup")
    first = ev.to_dict("zh")["results"][0]["citation"]
    expected = json.loads(json.dumps(first))
    first["document"] = "changed"
    first["restatements"].append({"document": "added"})
    for c in first["restatements"][:-1]:
        c["quote"] = "changed"
    assert ev.to_dict("zh")["results"][0]["citation"] == expected


def test_the_caches_of_rule_constants_stay_bounded_and_say_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    ev = _evaluation("puer-manufacturer")
    expected = {lang: ev.to_json(lang) for lang in ("zh", "en")}
    caches = (explain._KIND_OF, explain._LABELS, explain._CONSTANTS, explain._IS_FACT, explain._ORDERED)
    for cache in caches:
        cache.clear()
    monkeypatch.setattr(explain, "STATIC_MAX", 3)
    assert {lang: ev.to_json(lang) for lang in ("zh", "en")} == expected  # cleared again and again meanwhile
    assert all(len(cache) <= 3 for cache in caches)
    assert any(cache for cache in caches)
