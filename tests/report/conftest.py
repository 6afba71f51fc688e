"""Browser rig for HTML reports: open a file in headless Chromium and report what a reader would see.

Chromium is the OS package (/usr/bin/chromium), driven by Playwright without its own browser
download. Outside CI the browser tests skip, with the reason, when Chromium or Playwright is absent;
in CI (``CI=true``) they fail instead, so a missing browser can never pass as green.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE, DESKTOP = 375, 1280


@dataclass
class Rendered:
    """What the browser made of a page: whether it rendered, the errors it logged, a screenshot."""

    ok: bool
    errors: list[str]
    screenshot: Path
    page: Any  # playwright.sync_api.Page, open until the test ends
    scroll_width: int
    inner_width: int
    blocked: list[str] = field(default_factory=list)  # requests that tried to leave the file


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI 中浏览器测试不能跳过 / browser tests must run in CI: {reason}", pytrace=False)
    pytest.skip(f"跳过浏览器测试 / browser test skipped: {reason}")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session (skips outside CI, fails in CI, when it cannot start)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("Python 包 playwright 未安装 / the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} 不存在 / {CHROMIUM} is absent (apt-get install chromium)")
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Error as exc:
            _unavailable(f"Chromium 无法启动 / Chromium did not start: {exc.message.splitlines()[0]}")
        yield browser
        browser.close()


@pytest.fixture
def render_html(chromium: Any, tmp_path: Path) -> Iterator[Callable[..., Rendered]]:
    """``render_html(path, width=1280, full_page=False)``: open an HTML file at that viewport width and
    return a :class:`Rendered` (console errors, page errors and any request beyond the file count as
    errors; the screenshot is of the viewport, or of the whole page with ``full_page``)."""
    contexts: list[Any] = []

    def render(path: Path, width: int = DESKTOP, height: int = 900, full_page: bool = False) -> Rendered:
        context = chromium.new_context(viewport={"width": width, "height": height}, java_script_enabled=True)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        blocked: list[str] = []
        page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

        def guard(route: Any) -> None:
            url = route.request.url
            if url.startswith("file://") or url.startswith("data:"):
                route.continue_()
            else:
                blocked.append(url)
                route.abort()

        page.route("**/*", guard)
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        state = page.evaluate("""() => ({ready: document.readyState, text: document.body ? document.body.innerText.length : 0,
                                      scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})""")
        shot = tmp_path / f"{Path(path).stem}-{width}.png"
        page.screenshot(path=str(shot), full_page=full_page)
        errors += [f"request beyond the file: {url}" for url in blocked]
        return Rendered(ok=state["ready"] == "complete" and state["text"] > 0, errors=errors, screenshot=shot,
                        page=page, scroll_width=state["scroll"], inner_width=state["inner"], blocked=blocked)

    yield render
    for context in contexts:
        context.close()
