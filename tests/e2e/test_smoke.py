"""Smoke test: the root page loads in a real browser without an exception.

The app under test is $GML_APP (default app.py); the expected title is $GML_TITLE
(default "GRU Matrix Lab").
"""

from __future__ import annotations

import os

from .helpers import assert_no_exception, collect_page_errors, goto_app

EXPECTED_TITLE = os.environ.get("GML_TITLE", "GRU Matrix Lab")


def test_root_page_loads(app_server, page, screenshot_dir):
    js_errors = collect_page_errors(page)

    goto_app(page, app_server + "/")

    assert_no_exception(page)
    page.locator("h1").first.wait_for(state="visible", timeout=10_000)
    headings = page.locator("h1").all_inner_texts()
    assert any(EXPECTED_TITLE in h for h in headings), (
        f"no <h1> contains {EXPECTED_TITLE!r}; headings on the page: {headings}"
    )
    assert not js_errors, f"uncaught JavaScript errors: {js_errors}"
    page.screenshot(path=str(screenshot_dir / "smoke-root.png"), full_page=True)
