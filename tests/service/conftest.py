"""Service test fixtures: an application on the bundled packs with its data in a temporary folder."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eligibility.service import ServiceSettings, create_app


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service-data")


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    """A test client of the service on all bundled packs, auth off (loopback)."""
    logging.getLogger("eligibility").propagate = True  # so that caplog sees the access log
    app = create_app(ServiceSettings(data_dir=data_dir))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
