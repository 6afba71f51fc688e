"""The documentation site builds with ``mkdocs build --strict``: every page in the navigation, no
broken link or anchor, the API reference generated from the docstrings, nothing fetched from the web."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _nav_pages(nav: list) -> list[str]:
    pages: list[str] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        pages.extend(_nav_pages(value) if isinstance(value, list) else [value])
    return pages


def test_site_builds_strict_offline_with_the_api_reference(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(site)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-4000:]
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("eligibility.Engine", "eligibility.load_rules", "eligibility.Profile", "eligibility.testing.boundary_cases"):
        assert f'id="{name}"' in api, name
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis" not in index and "fonts.gstatic" not in index
    assert (site / "zh" / "semantics" / "index.html").exists() and (site / "semantics" / "index.html").exists()


def test_navigation_has_every_page_in_zh_and_en() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = yaml.safe_load("nav:\n" + config.split("\nnav:\n", 1)[1])["nav"]  # the rest holds a python tag
    sections = [next(iter(item)) for item in nav]
    assert "中文" in sections and "English" in sections
    pages = set(_nav_pages(nav))
    on_disk = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert pages == on_disk
    assert "theme:\n  name: material" in config and "  font: false" in config
