"""schemathesis against the service's own OpenAPI document (bounded): no request it generates gets a
5xx, every response fits the documented schema, and every error is in the one documented body."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api_helpers import ERROR_KEYS
from eligibility.error_body import ERROR_CODES
from eligibility.service import ServiceSettings, create_app

APP = create_app(ServiceSettings(data_dir=Path(tempfile.mkdtemp(prefix="eligibility-fuzz-")),
                                 max_jobs=2, request_timeout=10))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))  # about a minute in all
def test_no_server_error_and_every_error_in_the_one_body(case: schemathesis.Case) -> None:
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                              response_schema_conformance])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body
        assert body["error"]["code"] in ERROR_CODES
