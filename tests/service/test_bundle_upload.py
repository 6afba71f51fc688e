"""`POST /v1/score` takes a register bundle as one .zip (manifest.yaml and its files): the register is
scored with the department lists joined, as `eligibility score` does; a manifest alone is refused."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient

from api_helpers import ROOT, assert_error, wait_for_job
from eligibility.service import ServiceSettings, create_app

BUNDLE = ROOT / "examples" / "bundle"


def test_a_bundle_zip_is_scored_with_its_lists_joined(tmp_path: Path) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as zf:
        for path in sorted(BUNDLE.iterdir()):
            if path.suffix in (".yaml", ".csv", ".xlsx"):
                zf.write(path, path.name)
    with TestClient(create_app(ServiceSettings(data_dir=tmp_path / "data"))) as c:
        accepted = c.post("/v1/score", files={"file": ("思茅区2024.zip", packed.getvalue(), "application/zip")},
                          data={"as_of": "2024-12-31"})
        assert accepted.status_code == 202, accepted.text
        state = wait_for_job(c, accepted.json()["id"])
        assert state["status"] == "done", state
        assert state["reconciliation"]["rows_read"] == 300
        rows = list(csv.DictReader(io.StringIO(c.get(f"/v1/jobs/{state['id']}/result").text)))
        municipal = {r["status"] for r in rows if r["rule_id"] == "puer.specialised-municipal"}
        assert {"eligible", "ineligible"} <= municipal  # the complete 专精特新 list decided, both ways
        manifest = (BUNDLE / "manifest.yaml").read_bytes()
        assert_error(c.post("/v1/score", files={"file": ("manifest.yaml", manifest, "text/yaml")}), 422,
                     "register_invalid")
