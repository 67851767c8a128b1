"""Fixtures for the UI tests: a real ``airflow api-server``, the fake commercetools API, and a headless
system Chromium driven by Playwright.

The browser is Debian's ``/usr/bin/chromium`` (``scripts/install_browser.sh`` installs it); Playwright
never downloads one. When the browser cannot be launched the tests fail: they never skip.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.testing import FakeCommercetools
from tests.ui.api_server import AirflowApiServer

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Where a failing UI test leaves a screenshot of the page and the api-server's log.
FAILURE_DIR = Path(tempfile.gettempdir()) / "ct-ui-test-failures"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ui: drives the Airflow web UI in a headless browser (select with -m ui)")
    config.addinivalue_line("markers", "cli: runs the airflow command line in a subprocess")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def fake_commercetools() -> Iterator[FakeCommercetools]:
    """The fake commercetools API in this process; the api-server reaches it on 127.0.0.1."""
    server = FakeCommercetools().start()
    try:
        yield server
    finally:
        server.stop()


_early_server: AirflowApiServer | None = None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """When browser tests are selected, launch the api-server now: its DB migration and start
    (10-20 s) overlap with the tests that run before them. Not in a pytest-xdist worker: each one
    collects every test, but only one runs the browser tests (their xdist group)."""
    global _early_server
    if (
        _early_server is None
        and not hasattr(config, "workerinput")
        and any(item.get_closest_marker("ui") for item in items)
    ):
        _early_server = AirflowApiServer().launch()


def pytest_sessionfinish(session: pytest.Session) -> None:
    global _early_server
    if _early_server is not None:  # not used (e.g. the run stopped early)
        _early_server.stop()
        _early_server = None


@pytest.fixture(scope="session")
def airflow_server() -> Iterator[AirflowApiServer]:
    global _early_server
    server, _early_server = _early_server or AirflowApiServer(), None
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium; a failure to launch it fails the test (with the way to fix it)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.fail(f"The UI tests need the playwright package (pip install 'playwright>=1.45'): {error}")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"No browser at {CHROMIUM}: run scripts/install_browser.sh (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            # Playwright gives every launch a fresh temporary user-data dir.
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS, timeout=30_000
            )
        except Exception as error:
            pytest.fail(f"Cannot launch {CHROMIUM} with Playwright: {error}")
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any, airflow_server: AirflowApiServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A new browser tab on the Airflow UI; on failure its screenshot and the server log are kept."""
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, base_url=airflow_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            FAILURE_DIR.mkdir(exist_ok=True)
            shot = FAILURE_DIR / f"{request.node.name}.png"
            try:
                tab.screenshot(path=str(shot), full_page=True)
            except Exception as error:  # the report below matters more
                shot = Path(f"(no screenshot: {error})")
            (FAILURE_DIR / f"{request.node.name}-api-server.log").write_text(airflow_server.log_tail(20_000))
            print(f"\nUI test failed: screenshot {shot}; api-server log in {FAILURE_DIR}")
        context.close()
