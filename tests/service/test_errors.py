"""Every error in the one body with its documented code: library errors, request validation,
unknown routes, limits, time limit and bearer-token auth; the access log holds no profile value."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api_helpers import assert_error, dumps, post_json
from eligibility.error_body import ERROR_CODES, error_body, error_code
from eligibility.errors import EligibilityError, EvaluationError, ProfileError, RuleDefinitionError, RuleSetError
from eligibility.service import ERROR_STATUS, ServiceSettings, create_app

PROFILE = {"uscc": "91530802MA6K4L2X1W", "region_code": "530802", "revenue": "2800万"}


def test_every_documented_code_has_a_status_and_library_errors_map_to_codes() -> None:
    assert set(ERROR_CODES) == set(ERROR_STATUS)
    assert error_code(ProfileError("x", field="revenue")) == "profile_invalid"
    assert error_code(RuleSetError([RuleDefinitionError("x", file="a.yaml", line=3)])) == "rules_invalid"
    assert error_code(EvaluationError("x")) == "evaluation_failed"
    assert error_code(EligibilityError("x")) == "request_invalid"
    assert error_code(KeyError("x")) == "internal"
    body = error_body(RuleSetError([RuleDefinitionError("坏", "bad", file="a.yaml", line=3, col=5)]))
    assert body["error"]["location"] == "a.yaml:3:5" and "bad" in body["error"]["message_en"]
    assert error_body(KeyError("secret"))["error"]["message_en"] == ERROR_CODES["internal"][1]  # nothing leaks
    with pytest.raises(ValueError, match="undocumented"):
        error_body(code="no_such_code")


def test_bad_profile_field_is_profile_invalid_with_its_location(client: TestClient) -> None:
    err = assert_error(post_json(client, "/v1/match", {"profile": {"revenue": "lots"}}), 422, "profile_invalid")
    assert err["location"] == "profile.revenue" and "revenue" in err["message_en"]
    err = assert_error(post_json(client, "/v1/decide", {"profiles": [PROFILE, {"uscc": "123"}]}), 422, "profile_invalid")
    assert err["location"] == "profiles.1.uscc"
    assert_error(post_json(client, "/v1/match", {"profile": {"revnue": 1}}), 422, "profile_invalid")


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"profile": {}, "as_of": "2024-13-01"}', b'{"as_of": "2024-01-01"}',
                                  b'{"profile": {}, "profiles": []}', b'{"profile": {}, "lang": "fr"}',
                                  b'{"profile": {}, "rule_set": "abc"}', b'{"profile": {}, "extra": 1}'])
def test_malformed_requests_are_request_invalid(client: TestClient, body: bytes) -> None:
    response = client.post("/v1/match", content=body, headers={"content-type": "application/json"})
    assert_error(response, 422, "request_invalid")


def test_unknown_route_method_rule_and_rule_set_are_not_found(client: TestClient) -> None:
    assert_error(client.get("/v2/match"), 404, "not_found")
    assert_error(client.delete("/healthz"), 405, "method_not_allowed")
    assert assert_error(client.get("/v1/rules/puer.new-industrial-above-scal"), 404, "not_found")["location"] == "rule_id"
    err = assert_error(post_json(client, "/v1/match", {"profile": PROFILE, "rule_set": "0" * 64}), 404, "not_found")
    assert err["location"] == "rule_set"
    assert_error(client.get("/v1/jobs/" + "0" * 32), 404, "not_found")
    assert_error(client.get("/v1/jobs/..%2f..%2fetc"), 404, "not_found")


def test_body_over_the_limit_is_too_large_by_header_and_by_count(data_dir: Path) -> None:
    app = create_app(ServiceSettings(data_dir=data_dir, max_body_bytes=2048, max_profiles=2))
    with TestClient(app) as c:
        big = dumps({"profile": {"name": "x" * 4000}})
        assert_error(c.post("/v1/match", content=big, headers={"content-type": "application/json"}), 413, "too_large")
        chunked = c.post("/v1/match", content=iter([big[:1500].encode(), big[1500:].encode()]),
                         headers={"content-type": "application/json"})
        assert_error(chunked, 413, "too_large")
        err = assert_error(post_json(c, "/v1/decide", {"profiles": [PROFILE] * 3}), 413, "too_large")
        assert err["location"] == "profiles"
        assert post_json(c, "/v1/decide", {"profiles": [PROFILE] * 2}).status_code == 200


def test_a_request_past_the_time_limit_is_timeout(data_dir: Path) -> None:
    app = create_app(ServiceSettings(data_dir=data_dir, request_timeout=0.001))
    with TestClient(app) as c:
        many = {"profiles": [PROFILE] * 2000, "as_of": "2024-06-30"}
        assert_error(post_json(c, "/v1/match", many), 408, "timeout")
        streamed = post_json(c, "/v1/decide", many, accept="application/x-ndjson")
        last = json.loads(streamed.text.splitlines()[-1])  # the stream ends with the error line
        assert set(last) == {"error"} and last["error"]["code"] == "timeout"


def test_bearer_token_required_off_loopback_and_compared(data_dir: Path, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("# service tokens\ns3cret-one\ns3cret-two\n", encoding="utf-8")
    settings = ServiceSettings(data_dir=data_dir, host="0.0.0.0", tokens_file=tokens)
    assert settings.auth_required and not ServiceSettings(data_dir=data_dir).auth_required
    with TestClient(create_app(settings)) as c:
        assert_error(c.get("/v1/rules"), 401, "unauthorized")
        assert_error(c.get("/v1/rules", headers={"authorization": "Bearer wrong"}), 401, "unauthorized")
        assert_error(c.get("/v1/rules", headers={"authorization": "Basic s3cret-one"}), 401, "unauthorized")
        assert c.get("/v1/rules", headers={"authorization": "Bearer s3cret-two"}).status_code == 200
        assert c.get("/healthz").status_code == 200 and c.get("/openapi.json").status_code == 200
        assert c.get("/v1/rules", headers={"authorization": "Bearer s3cret-one"}).headers.get("www-authenticate") is None


def test_auth_on_without_any_token_refuses_to_start(data_dir: Path) -> None:
    with pytest.raises(EligibilityError, match="ELIGIBILITY_TOKENS"):
        create_app(ServiceSettings(data_dir=data_dir, host="0.0.0.0"))


def test_access_log_has_request_ids_and_no_profile_value(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    secret_name = "保密企业名称ZX9"
    with caplog.at_level(logging.INFO, logger="eligibility.access"):
        post_json(client, "/v1/match", {"profile": {**PROFILE, "name": secret_name}}, **{"x-request-id": "req-42"})
        post_json(client, "/v1/match", {"profile": {"name": secret_name, "revenue": "bad"}})
    records = [r for r in caplog.records if r.name == "eligibility.access"]
    assert len(records) == 2 and records[0].request_id == "req-42" and records[0].route == "/v1/match"
    assert records[0].status == 200 and records[1].status == 422
    text = caplog.text + " ".join(str(vars(r)) for r in records)
    assert secret_name not in text and "2800万" not in text and "91530802MA6K4L2X1W" not in text


def test_a_number_beyond_exact_arithmetic_is_profile_invalid_not_a_server_error(client: TestClient) -> None:
    err = assert_error(post_json(client, "/v1/decide", {"profiles": [PROFILE, {"revenue": 1.7976931348623155e308}]}),
                       422, "profile_invalid")
    assert err["location"].startswith("profiles.1")
