"""The API answers as the library does: /v1/match is Engine.evaluate (plus the determination id),
/v1/decide is Engine.decide, for the example profiles and a hypothesis sample; reference endpoints."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eligibility as el
from eligibility.facts.profile import Profile
from eligibility.provenance import determination_id
from eligibility.service import ServiceSettings, create_app
from eligibility.testing.strategies import profiles

from api_helpers import PROFILES, post_json

EXPECTED = yaml.safe_load((PROFILES / "expected.yaml").read_text(encoding="utf-8"))
ENGINE = el.Engine(el.load_rules())


def _example(name: str) -> dict[str, Any]:
    return yaml.safe_load((PROFILES / f"{name}.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _expected_match(data: dict[str, Any], day: date, lang: str) -> dict[str, Any]:
    profile = Profile.from_data(json.loads(json.dumps(data, default=str)))
    body = ENGINE.evaluate(profile, day).to_dict(lang)
    body["provenance"]["determination_id"] = determination_id(profile, ENGINE.rules.hash, day)
    return body


def _expected_decisions(data: dict[str, Any], day: date) -> list[dict[str, Any]]:
    return [{"rule_id": d.rule_id, "status": d.status.value, "amount": None if d.amount is None else f"{d.amount:.2f}",
             "superseded_by": d.superseded_by} for d in ENGINE.decide(json.loads(json.dumps(data, default=str)), day)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_match_is_engine_evaluate_for_each_example(client: TestClient, name: str) -> None:
    data, day = _example(name), EXPECTED[name]["as_of"]
    response = post_json(client, "/v1/match", {"profile": data, "as_of": day, "lang": "en"})
    assert response.status_code == 200, response.text
    (got,) = response.json()["results"]
    assert got == json.loads(json.dumps(_expected_match(data, day, "en")))
    assert sorted(r["rule_id"] for r in got["results"] if r["status"] == "eligible") == sorted(EXPECTED[name]["eligible"])


def test_match_without_explanation_drops_conditions_and_text_only(client: TestClient) -> None:
    data, day = _example("puer-manufacturer"), EXPECTED["puer-manufacturer"]["as_of"]
    full = post_json(client, "/v1/match", {"profile": data, "as_of": day}).json()["results"][0]
    short = post_json(client, "/v1/match", {"profile": data, "as_of": day, "explain": False}).json()["results"][0]
    assert all("conditions" not in r and "explanation" not in r for r in short["results"])
    stripped = [{k: v for k, v in r.items() if k not in ("conditions", "explanation")} for r in full["results"]]
    assert short["results"] == stripped and short["provenance"] == full["provenance"]


def test_decide_is_engine_decide_for_all_examples_in_one_request(client: TestClient) -> None:
    day = date(2024, 6, 30)
    names = sorted(EXPECTED)
    response = post_json(client, "/v1/decide", {"profiles": [_example(n) for n in names], "as_of": day})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(names)))
    for name, got in zip(names, results, strict=True):
        assert got["decisions"] == _expected_decisions(_example(name), day), name
        assert got["provenance"]["ruleset_hash"] == ENGINE.rules.hash and got["provenance"]["as_of"] == "2024-06-30"


def test_decide_streams_the_same_results_as_ndjson(client: TestClient) -> None:
    body = {"profiles": [_example(n) for n in sorted(EXPECTED)], "as_of": "2025-06-30"}
    plain = post_json(client, "/v1/decide", body).json()["results"]
    streamed = post_json(client, "/v1/decide", body, accept="application/x-ndjson")
    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in streamed.text.splitlines()] == plain


def test_the_same_case_gets_the_same_determination_id_and_another_date_another(client: TestClient) -> None:
    data = _example("national-small-low-profit")
    ids = [post_json(client, "/v1/decide", {"profile": data, "as_of": day}).json()["results"][0]["provenance"]
           ["determination_id"] for day in ("2024-06-30", "2024-06-30", "2024-07-01")]
    assert ids[0] == ids[1] != ids[2]
    matched = post_json(client, "/v1/match", {"profile": data, "as_of": "2024-06-30"}).json()["results"][0]
    assert matched["provenance"]["determination_id"] == ids[0]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=profiles(as_of=date(2024, 6, 30)), lang=st.sampled_from(["zh", "en"]))
def test_match_and_decide_equal_the_engine_on_generated_profiles(client: TestClient, data: dict[str, Any],
                                                                 lang: str) -> None:
    day = date(2024, 6, 30)
    matched = post_json(client, "/v1/match", {"profile": data, "as_of": day, "lang": lang})
    assert matched.status_code == 200, matched.text
    assert matched.json()["results"][0] == json.loads(json.dumps(_expected_match(data, day, lang)))
    decided = post_json(client, "/v1/decide", {"profile": data, "as_of": day})
    assert decided.json()["results"][0]["decisions"] == _expected_decisions(data, day)


def test_rules_list_and_one_rule_with_its_citation(client: TestClient) -> None:
    listed = client.get("/v1/rules", params={"lang": "en"}).json()
    assert listed["ruleset_hash"] == ENGINE.rules.hash
    assert [r["id"] for r in listed["rules"]] == [r.id for r in ENGINE.rules.rules]
    in_force = client.get("/v1/rules", params={"as_of": "2019-06-30"}).json()["rules"]
    assert {r["id"] for r in in_force} == {r.id for r in ENGINE.rules.rules if r.effective.contains(date(2019, 6, 30))}
    rule = ENGINE.rules["puer.new-industrial-above-scale"]
    one = client.get(f"/v1/rules/{rule.id}").json()
    assert one["citation"]["quote"] == rule.source.quote and one["citation"]["clause"] == rule.source.clause
    assert one["notes"] == rule.notes and rule.id in one["text"]


def test_facts_and_schemas(client: TestClient) -> None:
    from eligibility.facts.derived import DERIVED
    from eligibility.io.schema import rule_file_json_schema

    assert [f["name"] for f in client.get("/v1/facts").json()["facts"]] == list(DERIVED)
    schema = client.get("/v1/schema/profile").json()
    assert schema["properties"].keys() == Profile.model_json_schema()["properties"].keys()
    assert client.get("/v1/schema/rules").json() == json.loads(json.dumps(rule_file_json_schema()))


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["ruleset_hash"] == ENGINE.rules.hash and ready["rules"] == len(ENGINE.rules)


def test_docs_are_served_without_any_outside_address(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text
    assert "http://" not in page.text and "https://" not in page.text and "cdn" not in page.text.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static-offline-docs/{asset}" in page.text
        assert client.get(f"/static-offline-docs/{asset}").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/v1/match", "/v1/decide", "/v1/rules", "/v1/rules/{rule_id}", "/v1/facts", "/v1/schema/profile",
            "/v1/schema/rules", "/v1/score", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/result", "/healthz",
            "/readyz", "/v1/admin/reload"} <= set(spec["paths"])
    assert "HTTPValidationError" not in json.dumps(spec)  # every 422 documented in the one error body


def test_every_response_carries_a_request_id_and_echoes_a_well_formed_one(client: TestClient) -> None:
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    assert client.get("/healthz", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert client.get("/healthz", headers={"x-request-id": "bad id\n"}).headers["x-request-id"] != "bad id\n"


def test_new_request_ids_are_hex_and_never_repeat(client: TestClient, tmp_path: Path) -> None:
    ids = [client.get("/healthz").headers["x-request-id"] for _ in range(50)]
    assert len(set(ids)) == 50 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    with TestClient(create_app(ServiceSettings(data_dir=tmp_path))) as other:  # another worker: another random half
        assert other.get("/healthz").headers["x-request-id"][:16] != ids[0][:16]


def test_a_national_result_cites_its_period_by_number_and_the_zone_restatement_as_declared(client: TestClient) -> None:
    """A national period is cited without a quote (its text is not shipped) and the 腾格里 restatement
    beside it for a firm there in 2021: the body validates against the declared response schema."""
    from eligibility.service.models import MatchResponse

    profile = {"region_code": "152921", "development_zone": "腾格里经济技术开发区", "employees": 10,
               "total_assets": "100万", "taxable_income": "200万"}
    body = post_json(client, "/v1/match", {"profile": profile, "as_of": "2021-06-30"}).json()
    MatchResponse.model_validate(body)
    (firm,) = body["results"]
    cite = next(r for r in firm["results"] if r["rule_id"] == "cn.small-low-profit-income-tax")["citation"]
    assert (cite["document"], cite["clause"], cite["quote"]) == ("财政部 税务总局公告2021年第12号", "第一条", None)
    assert [r["clause"] for r in cite["restatements"]] == ["二(九)"] and cite["restatements"][0]["quote"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Citation"]["properties"]
    assert "restatements" in schema and {"type": "null"} in schema["quote"]["anyOf"]
