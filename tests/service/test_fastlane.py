"""The fast lane answers exactly what the routes answer: for each request below, an application with the
fast lane and one without it give the same status, headers and body bytes — answers and errors alike —
and the fast lane, not the route, answered the well-formed ones."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from eligibility.service import ServiceSettings, create_app
from eligibility.service import app as app_module
from eligibility.service import fastlane

from api_helpers import PROFILES, dumps

EXAMPLES = sorted(p.stem for p in PROFILES.glob("*.yaml") if p.stem != "expected")
ONE = yaml.safe_load((PROFILES / "puer-manufacturer.yaml").read_text(encoding="utf-8"))
DAY = "2024-06-30"
TOKEN = "fast-lane-token"


def _settings(data_dir: Path, fast: bool, **extra: Any) -> ServiceSettings:
    return ServiceSettings(data_dir=data_dir, fast_lane=fast, max_profiles=200, max_body_bytes=400_000, **extra)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, TestClient]]:
    """(with the fast lane, without it), on the bundled packs."""
    with TestClient(create_app(_settings(tmp_path_factory.mktemp("fast"), True)), raise_server_exceptions=False) as f, \
            TestClient(create_app(_settings(tmp_path_factory.mktemp("slow"), False)),
                       raise_server_exceptions=False) as s:
        yield f, s


@pytest.fixture()
def route_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The routes' own work, counted (the fast lane's is not)."""
    calls: list[str] = []
    match, decide = app_module.match_results, app_module.decide_chunks

    def counted_match(*args: Any, **kwargs: Any) -> Any:
        calls.append("match")
        return match(*args, **kwargs)

    def counted_decide(*args: Any, **kwargs: Any) -> Any:
        calls.append("decide")
        return decide(*args, **kwargs)

    monkeypatch.setattr(app_module, "match_results", counted_match)
    monkeypatch.setattr(app_module, "decide_chunks", counted_decide)
    return calls


def _same(fast: TestClient, slow: TestClient, url: str, body: bytes | str, **headers: str) -> Any:
    """Posts to both; asserts the same status, content type, length and bytes; returns the fast response."""
    headers = {"content-type": "application/json", **headers}
    a, b = fast.post(url, content=body, headers=headers), slow.post(url, content=body, headers=headers)
    assert a.status_code == b.status_code, (a.text[:300], b.text[:300])
    assert a.content == b.content
    for name in ("content-type", "content-length", "www-authenticate"):
        assert a.headers.get(name) == b.headers.get(name), name
    return a


def _example(name: str) -> dict[str, Any]:
    return yaml.safe_load((PROFILES / f"{name}.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize(("lang", "explain"), [("zh", True), ("en", False)])
def test_match_answers_are_the_routes_bytes(pair: tuple[TestClient, TestClient], route_calls: list[str],
                                             name: str, lang: str, explain: bool) -> None:
    got = _same(*pair, "/v1/match", dumps({"profile": _example(name), "as_of": DAY, "lang": lang, "explain": explain}))
    assert got.status_code == 200 and got.json()["results"][0]["results"]
    assert route_calls == ["match"]  # the slow application's route only: the fast lane answered its own


def test_several_firms_and_decide_are_the_routes_bytes(pair: tuple[TestClient, TestClient],
                                                        route_calls: list[str]) -> None:
    firms = [_example(n) for n in EXAMPLES]
    assert _same(*pair, "/v1/match", dumps({"profiles": firms, "as_of": DAY, "lang": "en"})).status_code == 200
    assert _same(*pair, "/v1/decide", dumps({"profiles": firms, "as_of": DAY})).status_code == 200
    many = _same(*pair, "/v1/decide", dumps({"profiles": (firms * 13)[:150], "as_of": DAY}))  # on a worker thread
    assert len(firms) <= fastlane.INLINE_DECIDE < 150
    assert len(many.json()["results"]) == 150
    assert route_calls == ["match", "decide", "decide"]


def test_unusual_text_serialises_as_the_routes_do(pair: tuple[TestClient, TestClient]) -> None:
    odd = {**ONE, "name": "甲\u0001乙\t\"引号\" \\ 😀 \u2028 /斜杠"}
    got = _same(*pair, "/v1/match", dumps({"profile": odd, "as_of": DAY}))
    assert got.json()["results"][0]["name"] == odd["name"]


REFUSED = [
    ("/v1/match", b"{not json", 422, "request_invalid"),
    ("/v1/match", b"", 422, "request_invalid"),
    ("/v1/match", b"[1, 2]", 422, "request_invalid"),
    ("/v1/match", dumps({"as_of": DAY}), 422, "request_invalid"),
    ("/v1/match", dumps({"profile": ONE, "profiles": [ONE]}), 422, "request_invalid"),
    ("/v1/match", dumps({"profile": {**ONE, "employees": "many"}, "as_of": DAY}), 422, "profile_invalid"),
    ("/v1/match", dumps({"profile": {**ONE, "no_such_field": 1}}), 422, "profile_invalid"),
    ("/v1/match", dumps({"profile": ONE, "as_of": "2024-13-45"}), 422, "request_invalid"),
    ("/v1/match", dumps({"profile": ONE, "lang": "fr"}), 422, "request_invalid"),
    ("/v1/match", dumps({"profile": ONE, "surprise": True}), 422, "request_invalid"),
    ("/v1/match", dumps({"profile": ONE, "rule_set": "0" * 64}), 404, "not_found"),
    ("/v1/match", dumps({"profile": ONE, "rule_set": "short"}), 422, "request_invalid"),
    ("/v1/match", '{"profile": {"revenue": 1e400}}', 422, "profile_invalid"),
    ("/v1/decide", dumps({"profiles": [ONE] * 201}), 413, "too_large"),
    ("/v1/decide", dumps({"profiles": [{**ONE, "uscc": "not-a-uscc"}]}), 422, "profile_invalid"),
    ("/v1/decide", dumps({"profiles": [ONE], "note": "x" * 500_000}), 413, "too_large"),
]


@pytest.mark.parametrize(("url", "body", "status", "code"), REFUSED)
def test_refusals_are_the_routes_own(pair: tuple[TestClient, TestClient], url: str, body: bytes | str,
                                     status: int, code: str) -> None:
    got = _same(*pair, url, body)
    assert got.status_code == status and got.json()["error"]["code"] == code, got.text[:500]


def test_other_content_types_and_ndjson_go_to_the_routes(pair: tuple[TestClient, TestClient],
                                                         route_calls: list[str]) -> None:
    body = dumps({"profiles": [ONE], "as_of": DAY})
    assert _same(*pair, "/v1/decide", body, **{"content-type": "text/plain"}).status_code == 422  # not read as JSON
    assert _same(*pair, "/v1/decide", body, **{"content-type": "application/problem+json"}).status_code == 200
    streamed = _same(*pair, "/v1/decide", body, accept="application/x-ndjson")
    assert streamed.headers["content-type"].startswith("application/x-ndjson")
    assert route_calls == ["decide"] * 4  # both applications' routes answered the +json and the NDJSON one


@pytest.mark.parametrize("media", ["application/json; charset=utf-8", "Application/JSON", "application/json ;x=1"])
def test_json_with_parameters_takes_the_fast_lane(pair: tuple[TestClient, TestClient], route_calls: list[str],
                                                  media: str) -> None:
    got = _same(*pair, "/v1/match", dumps({"profile": ONE, "as_of": DAY}), **{"content-type": media})
    assert got.status_code == 200
    assert route_calls == ["match"]  # the slow application's route only


def test_a_time_limit_met_while_working_is_the_routes_408(tmp_path: Path) -> None:
    body = dumps({"profile": ONE, "as_of": DAY})
    answers = []
    for fast in (True, False):
        with TestClient(create_app(_settings(tmp_path / str(fast), fast, request_timeout=1e-9))) as c:
            answers.append(c.post("/v1/match", content=body, headers={"content-type": "application/json"}))
    assert answers[0].status_code == answers[1].status_code == 408
    assert answers[0].content == answers[1].content and answers[0].json()["error"]["code"] == "timeout"


def test_tokens_are_checked_as_the_routes_check_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELIGIBILITY_TOKENS", TOKEN)
    fast = TestClient(create_app(_settings(tmp_path / "f", True, auth=True)))
    slow = TestClient(create_app(_settings(tmp_path / "s", False, auth=True)))
    body = dumps({"profile": ONE, "as_of": DAY})
    assert _same(fast, slow, "/v1/match", body, authorization=f"Bearer {TOKEN}").status_code == 200
    assert _same(fast, slow, "/v1/match", body, authorization=f"bearer {TOKEN}").status_code == 200
    for given in ("Bearer wrong", f"Basic {TOKEN}", "Bearer", ""):
        assert _same(fast, slow, "/v1/match", body, authorization=given).status_code == 401
    assert _same(fast, slow, "/v1/match", body).status_code == 401


def test_the_access_log_names_the_route_answered(pair: tuple[TestClient, TestClient],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    logging.getLogger("eligibility").propagate = True
    fast, _ = pair
    with caplog.at_level(logging.INFO, logger="eligibility.access"):
        response = fast.post("/v1/match", content=dumps({"profile": ONE, "as_of": DAY}),
                             headers={"content-type": "application/json", "x-request-id": "fast-1"})
    (line,) = {id(r): r for r in caplog.records if getattr(r, "request_id", None) == "fast-1"}.values()  # one line
    assert (line.route, line.status, line.bytes_out) == ("/v1/match", 200, len(response.content))  # type: ignore[attr-defined]
    assert line.bytes_in == len(dumps({"profile": ONE, "as_of": DAY}).encode())  # type: ignore[attr-defined]
    assert ONE["name"] not in caplog.text


def test_the_fast_lane_leaves_other_routes_alone(pair: tuple[TestClient, TestClient]) -> None:
    assert fastlane.FAST_PATHS == {"/v1/match", "/v1/decide"}
    fast, slow = pair
    assert fast.get("/v1/rules").content == slow.get("/v1/rules").content
    assert fast.get("/openapi.json").json() == slow.get("/openapi.json").json()
