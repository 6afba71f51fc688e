"""Operations: configuration by file and environment, rule-set reload (admin token) with the old rule
set kept in the archive and answering by hash, and register-scoring jobs."""

from __future__ import annotations

import csv
import io
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api_helpers import ROOT, assert_error, post_json, wait_for_job
from eligibility.io.archive import archived_hashes, load_archived
from eligibility.io.rules import bundled_rules_dir, load_rules
from eligibility.service import ServiceSettings, create_app, load_settings

NEW_BUILD = {"uscc": "91530802MA6K4L2X1W", "region_code": "530802", "industry_code": "C3572",
             "registers": {"above_scale_industrial": {"entered_on": "2024-03-01", "first_entry": True, "new_build": True}}}
DAY = "2024-06-30"
RULE = "examples.puer.new-industrial"


def test_settings_from_yaml_toml_environment_and_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    yaml_file = tmp_path / "service.yaml"
    yaml_file.write_text("port: 9001\nworkers: 3\nrules: [examples]\nmax_profiles: 50\n", encoding="utf-8")
    toml_file = tmp_path / "service.toml"
    toml_file.write_text('port = 9002\nrequest_timeout = 2.5\n', encoding="utf-8")
    s = load_settings(yaml_file)
    assert (s.port, s.workers, s.rules, s.max_profiles) == (9001, 3, ["examples"], 50)
    assert (load_settings(toml_file).port, load_settings(toml_file).request_timeout) == (9002, 2.5)
    monkeypatch.setenv("ELIGIBILITY_PORT", "9100")
    monkeypatch.setenv("ELIGIBILITY_RULES", "cn,puer")
    s = load_settings(yaml_file)
    assert s.port == 9100 and s.rules == ["cn", "puer"] and s.workers == 3  # environment over file
    assert load_settings(yaml_file, port=9200, workers=None).port == 9200  # an option over both; None not given
    with pytest.raises(Exception, match="max_profiles"):
        load_settings(yaml_file, max_profiles=0)


def _pack(tmp_path: Path) -> Path:
    shutil.copytree(bundled_rules_dir(), tmp_path / "rules")  # the demo pack cites other packs' source texts
    return tmp_path / "rules" / "examples"


def _amount(client: TestClient, **extra: Any) -> str:
    response = post_json(client, "/v1/decide", {"profile": NEW_BUILD, "as_of": DAY, **extra})
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    return next(d["amount"] for d in result["decisions"] if d["rule_id"] == RULE)  # type: ignore[no-any-return]


def test_reload_swaps_the_rule_set_and_the_old_one_answers_by_hash(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    settings = ServiceSettings(rules=[str(pack)], data_dir=tmp_path / "data", admin_tokens="adm1n")
    with TestClient(create_app(settings)) as c:
        old_hash = c.get("/readyz").json()["ruleset_hash"]
        assert _amount(c) == "500000.00"
        rule_file = pack / "puer-demo.yaml"
        rule_file.write_text(rule_file.read_text(encoding="utf-8").replace("amount: 50万", "amount: 60万", 1),
                             encoding="utf-8")
        assert_error(c.post("/v1/admin/reload"), 401, "unauthorized")
        reloaded = c.post("/v1/admin/reload", headers={"authorization": "Bearer adm1n"}).json()
        assert reloaded["status"] == "reloaded" and reloaded["previous_hash"] == old_hash != reloaded["ruleset_hash"]
        assert c.get("/readyz").json()["ruleset_hash"] == reloaded["ruleset_hash"]
        assert _amount(c) == "600000.00"
        assert _amount(c, rule_set=old_hash) == "500000.00"  # the audit answer: the rules it was decided with
        listed = c.get("/v1/rules", params={"rule_set": old_hash}).json()
        assert listed["ruleset_hash"] == old_hash
        assert set(archived_hashes(tmp_path / "data" / "rulesets")) == {old_hash, reloaded["ruleset_hash"]}
        rule_file.write_text("rules: [", encoding="utf-8")  # a broken file: the reload fails, the rules stay
        err = assert_error(c.post("/v1/admin/reload", headers={"authorization": "Bearer adm1n"}), 422, "rules_invalid")
        assert "puer-demo.yaml" in (err["location"] or "")
        assert _amount(c) == "600000.00"


def test_archived_rule_set_survives_its_files_and_matches_the_hash(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    settings = ServiceSettings(rules=[str(pack)], data_dir=tmp_path / "data")
    with TestClient(create_app(settings)) as c:
        ruleset_hash = c.get("/readyz").json()["ruleset_hash"]
    shutil.rmtree(pack.parent)
    archived = load_archived(ruleset_hash, tmp_path / "data" / "rulesets")
    assert archived.hash == ruleset_hash and RULE in archived
    bundled = load_rules(tests=False)
    from eligibility.io.archive import archive_rules

    archive_rules([], bundled, tmp_path / "data" / "rulesets")
    assert load_archived(bundled.hash, tmp_path / "data" / "rulesets").hash == bundled.hash


def test_score_job_reconciles_every_row_and_is_deleted(tmp_path: Path) -> None:
    register = (ROOT / "examples" / "register.csv").read_text(encoding="utf-8").splitlines()[:41]
    register.append("not-a-uscc,坏行,999999" + "," * (register[0].count(",") - 2))
    body = ("\n".join(register) + "\n").encode("utf-8")
    settings = ServiceSettings(data_dir=tmp_path / "data", max_jobs=1, job_retention=3600)
    with TestClient(create_app(settings)) as c:
        accepted = c.post("/v1/score", files={"file": ("firms.csv", body, "text/csv")}, data={"as_of": DAY})
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["id"]
        assert accepted.headers["location"] == f"/v1/jobs/{job_id}"
        assert_error(c.post("/v1/score", files={"file": ("more.csv", body, "text/csv")}), 429, "too_many_jobs")
        state = wait_for_job(c, job_id)
        assert state["status"] == "done", state
        rec = state["reconciliation"]
        assert rec["rows_read"] == 41 == rec["rows_scored"] + rec["rows_error"] + rec["rows_no_rule"]
        assert rec["rows_error"] >= 1 and state["provenance"]["as_of"] == DAY
        result = c.get(f"/v1/jobs/{job_id}/result")
        assert result.status_code == 200 and 'filename="firms.scored.csv"' in result.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(result.text)))
        assert {int(r["row"]) for r in rows} == set(range(1, 42))  # every input row accounted for
        assert c.delete(f"/v1/jobs/{job_id}").status_code == 204
        assert_error(c.get(f"/v1/jobs/{job_id}"), 404, "not_found")
        assert not any((tmp_path / "data" / "jobs").iterdir())
        assert_error(c.post("/v1/score", files={"file": ("firms.txt", b"x", "text/plain")}), 422, "register_invalid")


def test_an_unreadable_register_fails_its_job_in_the_error_shape(tmp_path: Path) -> None:
    with TestClient(create_app(ServiceSettings(data_dir=tmp_path / "data"))) as c:
        job_id = c.post("/v1/score", files={"file": ("broken.parquet", b"not parquet", "application/octet-stream")}
                        ).json()["id"]
        state = wait_for_job(c, job_id)
        assert state["status"] == "failed" and state["error"]["code"] == "register_invalid"
        assert state["error"]["location"] == "broken.parquet"
        assert_error(c.get(f"/v1/jobs/{job_id}/result"), 409, "conflict")


def test_finished_jobs_expire_after_the_retention_time(tmp_path: Path) -> None:
    register = "\n".join((ROOT / "examples" / "register.csv").read_text(encoding="utf-8").splitlines()[:3]) + "\n"
    settings = ServiceSettings(data_dir=tmp_path / "data", job_retention=1)
    with TestClient(create_app(settings)) as c:
        job_id = c.post("/v1/score", files={"file": ("f.csv", register.encode(), "text/csv")}).json()["id"]
        assert wait_for_job(c, job_id)["status"] == "done"
        deadline = time.monotonic() + 30
        while c.get(f"/v1/jobs/{job_id}").status_code == 200:  # the sweeper runs every retention period
            assert time.monotonic() < deadline, "the finished job was not deleted after its retention time"
            time.sleep(0.3)
        assert_error(c.get(f"/v1/jobs/{job_id}"), 404, "not_found")
        assert not any((tmp_path / "data" / "jobs").iterdir())


def test_an_upload_over_its_limit_is_too_large_and_leaves_no_job(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path / "data", max_upload_bytes=4096)
    with TestClient(create_app(settings)) as c:
        big = ("uscc,name\n" + "91530802MA6K4L2X1W,x\n" * 400).encode()
        assert_error(c.post("/v1/score", files={"file": ("big.csv", big, "text/csv")}), 413, "too_large")
        assert not any((tmp_path / "data" / "jobs").iterdir())


def test_idle_connections_outlive_the_client_pools_own_idle_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from eligibility.service.server import uvicorn_options

    assert uvicorn_options(ServiceSettings())["timeout_keep_alive"] == 75  # httpx and uvicorn default to 5 s
    monkeypatch.setenv("ELIGIBILITY_KEEP_ALIVE", "120")
    assert uvicorn_options(ServiceSettings())["timeout_keep_alive"] == 120
