"""Issue #14, points 3, 7 and 8 in Chromium: a typed text draws its own dictionary (no phantom
columns, no custom-order note), rows are labelled from 1, and a size slider whose range
collapses stays on screen, disabled, with its reason, and becomes a slider again."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from .helpers import assert_no_exception, goto_app, slider_input, wait_for_app
from .test_pages import chart_data

LOAD = 60_000


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_a_typed_text_draws_its_own_dictionary(app_server, page):
    goto_app(page, f"{app_server}/Gates_z_and_r?text=hello%20world", timeout=LOAD)
    assert_no_exception(page)
    x_t = chart_data(page)["x_t"][0]
    assert x_t["x"] == ["␣", "d", "e", "h", "l", "o", "r", "w"]       # sorted, nothing else
    assert len(x_t["z"][0]) == 8
    assert x_t["y"][0].startswith("1: ")                               # rows count from 1
    assert "custom order" not in page.locator("[data-testid='stMain']").inner_text()
    assert "order" not in query(page)


def test_a_collapsed_slider_stays_disabled_with_its_reason(app_server, page):
    goto_app(page, f"{app_server}/Gates_z_and_r?batch_size=16", timeout=LOAD)
    assert_no_exception(page)
    holder = page.locator(".st-key-seq_len")
    assert holder.is_visible() and "Sequence length S" in holder.inner_text()
    thumb = slider_input(page, "seq_len").first
    assert thumb.is_disabled() and thumb.get_attribute("aria-valuetext") == "1"
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "S = 1 only: with B = 16, one batch needs B·S + 1 characters" in sidebar
    batch = slider_input(page, "batch_size").first
    batch.focus()
    page.keyboard.press("Home")                                        # B = 1
    page.wait_for_function("() => new URLSearchParams(location.search).get('batch_size') === '1'",
                           timeout=LOAD)
    wait_for_app(page, timeout=LOAD)
    thumb = slider_input(page, "seq_len").first
    assert not thumb.is_disabled() and thumb.get_attribute("value") == "3"   # the earlier S
    assert "S = 1 only" not in page.locator("[data-testid='stSidebar']").inner_text()
