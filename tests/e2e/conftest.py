"""Fixtures for the end-to-end tests (real `streamlit run` + Debian's Chromium).

Fixtures:
    app_server     session-wide server for $GML_APP (default app.py); yields its base URL
    fresh_server   factory: fresh_server(app=None, extra_args=()) starts a NEW server and
                   returns its base URL; every server it started is stopped after the test
    browser        session-wide Playwright Chromium (Debian's `chromium` binary)
    page           a new 1400x900 page per test; a screenshot is saved if the test fails
    screenshot_dir tests/e2e/screenshots/ (git-ignored)

Without chromium or playwright the e2e tests are skipped locally and fail when CI=true.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .helpers import (
    CHROMIUM_ARGS,
    SCREENSHOT_DIR,
    StreamlitServer,
    app_path,
    chromium_path,
)

E2E_DIR = Path(__file__).resolve().parent


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _missing(reason: str):
    if _in_ci():
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _start(app=None, extra_args=()) -> StreamlitServer:
    server = StreamlitServer(app=app, extra_args=tuple(extra_args))
    if not server.app.is_file():
        pytest.fail(
            f"app entry point {server.app} does not exist "
            "(set GML_APP to test another script)",
            pytrace=False,
        )
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    return server


@pytest.fixture(scope="session")
def app_server():
    server = _start(app_path())
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def fresh_server():
    servers: list[StreamlitServer] = []

    def start(app=None, extra_args=()) -> str:
        server = _start(app, extra_args)
        servers.append(server)
        return server.url

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements-dev.txt)")
    executable = chromium_path()
    if executable is None:
        _missing("chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture
def page(browser, request, screenshot_dir):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            try:
                page.screenshot(path=str(screenshot_dir / f"FAILED-{name}.png"), full_page=True)
            except Exception:  # a crashed page must not hide the real failure
                pass
        context.close()
