"""Every page in a real browser (Debian's Chromium via Playwright against `streamlit run`).

Pages come from ui/registry.py (which tests/test_ui_shell.py holds equal to pages/), so a page
added later is covered without editing this file. In Streamlit's legacy multipage mode
pages/N_Name.py is served at /Name.

    test_page_loads                 every page: no stException, no JS error, sidebar present,
                                    full-page screenshot written to tests/e2e/screenshots/
    test_keyboard_slider_changes_the_charts
                                    each sidebar slider, focused and moved with ArrowRight,
                                    changes the Gates page's charts and the URL
    test_deep_link_on_a_fresh_server (a) first request to a FRESH server is a deep link with
                                    parameters: that page, controls at those values
    test_page_switches_keep_the_values (b) sidebar-nav clicks through every page keep a
                                    keyboard-set value, and the URL carries it again; the
                                    sidebar stays the same elements (not mounted anew)
    test_url_reproduces_the_screen  (c) the address bar after keyboard changes, opened in a new
                                    browser context, shows the same controls and chart data
    test_play_advances_the_time_step_and_stops
                                    Play moves t until switched off; Backprop's second tab
                                    (no time step) stops it
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from ui import registry

from .helpers import (
    REPO_ROOT,
    assert_no_exception,
    collect_page_errors,
    goto_app,
    slider_input,
    wait_for_app,
)

LOAD_TIMEOUT = 60_000          # ms; the heaviest pages (BPTT, training) on 2 cores
SIDEBAR_SLIDERS = ("batch_size", "seq_len", "hidden_size")


SCRIPTS = [REPO_ROOT / p.file for p in registry.PAGES]
PATHS = [p.url_path for p in registry.PAGES]
IDS = [p.key for p in registry.PAGES]
GATES = registry.get("gates").url_path


# ------------------------------------------------------------------ page inspection

CHARTS_JS = """() => {
  const plain = (v) => {
    if (v === null || v === undefined) return null;
    if (ArrayBuffer.isView(v)) return Array.from(v);
    if (Array.isArray(v)) return v.map(plain);
    if (typeof v === 'object' && '_inputArray' in v) return plain(v._inputArray);
    return v;
  };
  const out = {};
  document.querySelectorAll("[data-testid='stPlotlyChart']").forEach((el, i) => {
    const holder = el.closest("[class*='st-key-']");
    const key = holder
      ? [...holder.classList].find(c => c.startsWith('st-key-')).slice(7) : 'unkeyed-' + i;
    const gd = el.querySelector('.js-plotly-plot');
    const traces = gd && gd.data
      ? gd.data.map(t => ({type: t.type || '', name: t.name || '', z: plain(t.z), x: plain(t.x),
                           y: plain(t.y), text: plain(t.text)}))
      : null;
    out[key] = traces;
    // a figure of matrices side by side (keyed row_...): each matrix also under its own key
    if (key.startsWith('row_') && traces) traces.forEach(t => { out[t.name] = [t]; });
  });
  return out;
}"""


def chart_data(page) -> dict:
    """Every Plotly chart on the page by its Streamlit key: the traces' x, y, z and text as
    plotly.js holds them (i.e. what is drawn). The matrices of a row figure (`row_...`) are
    also listed under their own keys (their trace names)."""
    return page.evaluate(CHARTS_JS)


def same_charts(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        if json.dumps(_no_numbers(a[key])) != json.dumps(_no_numbers(b[key])):
            return False
        za, zb = _numbers(a[key]), _numbers(b[key])
        if len(za) != len(zb) or any(x.shape != y.shape or not np.allclose(x, y, rtol=1e-12,
                                                                           atol=1e-12,
                                                                           equal_nan=True)
                                     for x, y in zip(za, zb)):
            return False
    return True


def _numbers(traces) -> list[np.ndarray]:
    out = []
    for t in traces or []:
        if t.get("z") is not None:
            out.append(np.asarray(t["z"], dtype=float))
        for axis in ("x", "y"):
            v = t.get(axis)
            if isinstance(v, list) and v and all(isinstance(e, (int, float)) or e is None for e in v):
                out.append(np.asarray(v, dtype=float))
    return out


def _no_numbers(traces):
    """The traces without numeric arrays (labels, text, types), compared exactly."""
    out = []
    for t in traces or []:
        d = {k: v for k, v in t.items() if k != "z"}
        for axis in ("x", "y"):
            v = d.get(axis)
            if isinstance(v, list) and v and all(isinstance(e, (int, float)) or e is None for e in v):
                d[axis] = "numeric"
        out.append(d)
    return out


def slider_value(page, key: str) -> int | None:
    loc = slider_input(page, key)
    if loc.count() == 0:
        return None
    return int(float(loc.first.get_attribute("value")))


def controls(page) -> dict:
    """Every keyed slider's value and the sidebar text, as the page shows them."""
    values = {}
    for holder in page.locator("[class*='st-key-']:has(input[type='range'])").all():
        key = next(c[7:] for c in holder.get_attribute("class").split() if c.startswith("st-key-"))
        values[key] = int(float(holder.locator("input[type='range']").first.get_attribute("value")))
    text = page.locator(".st-key-text textarea")
    if text.count():
        values["text"] = text.first.input_value()
    return values


def query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def press_right(page, key: str, times: int = 1) -> int:
    """Focus slider `key`'s thumb, press ArrowRight `times` times (one rerun each), wait for the
    URL to carry the new value and the run to finish. Returns the new value."""
    before = slider_value(page, key)
    assert before is not None, f"no slider {key!r} on {page.url}"
    for _ in range(times):
        current = slider_value(page, key)
        thumb = slider_input(page, key).first
        thumb.focus()
        page.keyboard.press("ArrowRight")
        wanted = current + 1
        page.wait_for_function(
            "([k, v]) => new URLSearchParams(location.search).get(k) === String(v)",
            arg=[key, wanted], timeout=LOAD_TIMEOUT)
        wait_for_app(page, timeout=LOAD_TIMEOUT)
    after = slider_value(page, key)
    assert after == before + times, f"{key}: {before} + {times} ArrowRight -> {after}"
    return after


def full_screenshot(page, path: Path, cap: int = 12_000) -> None:
    """The whole page: Streamlit scrolls inside stMain (and the sidebar), so full_page=True only
    sees the viewport; grow the viewport to the content's height for the shot."""
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stSidebarContent'].map(id => "
        "(document.querySelector(`[data-testid='${id}']`) || {scrollHeight: 0}).scrollHeight))")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), cap)})
    try:
        page.wait_for_timeout(400)                  # let Plotly re-layout at the new size
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)


def open_page(page, base: str, path: str, qs: str = "") -> None:
    goto_app(page, f"{base}/{path}{'?' + qs if qs else ''}", timeout=LOAD_TIMEOUT)


NAV_LINKS = "[data-testid='stSidebar'] a[data-testid='stPageLink-NavLink']"


def active_nav(page) -> str:
    """URL path of the sidebar-nav link shown as the current page (ui/nav.py draws the nav with
    st.page_link, which marks the current page by its highlighted background only)."""
    hrefs = page.locator(NAV_LINKS).evaluate_all(
        "links => links.filter(a => getComputedStyle(a).backgroundColor !== 'rgba(0, 0, 0, 0)')"
        ".map(a => a.getAttribute('href'))")
    assert len(hrefs) == 1, f"expected one highlighted nav link, got {hrefs}"
    return urlparse(hrefs[0]).path.strip("/")


# ------------------------------------------------------------------ tests

def test_pages_are_discovered():
    assert len(SCRIPTS) >= 3 and GATES in PATHS, PATHS


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_page_loads(app_server, page, screenshot_dir, path):
    js_errors = collect_page_errors(page)
    open_page(page, app_server, path)
    assert_no_exception(page)
    page.locator("h1").first.wait_for(state="visible", timeout=10_000)
    for key in ("hidden_size",):
        assert slider_value(page, key) is not None, "the sidebar has no hidden-size slider"
    assert urlparse(page.url).path.strip("/") == path
    assert not js_errors, f"uncaught JavaScript errors: {js_errors}"
    name = SCRIPTS[PATHS.index(path)].stem
    full_screenshot(page, screenshot_dir / f"page-{name}.png")


@pytest.mark.parametrize("key", SIDEBAR_SLIDERS)
def test_keyboard_slider_changes_the_charts(app_server, page, key):
    open_page(page, app_server, GATES)
    before_charts, before_value = chart_data(page), slider_value(page, key)
    assert "z_t" in before_charts and before_charts["z_t"], "no z_t chart on the Gates page"
    after_value = press_right(page, key)
    assert_no_exception(page)
    assert query(page).get(key) == str(after_value)
    after_charts = chart_data(page)
    assert after_charts.keys() == before_charts.keys()
    assert not same_charts(before_charts, after_charts), \
        f"moving {key} {before_value} -> {after_value} left every chart unchanged"
    z_before = np.asarray(before_charts["z_t"][0]["z"], dtype=float)
    z_after = np.asarray(after_charts["z_t"][0]["z"], dtype=float)
    if key == "batch_size":
        assert z_after.shape[0] == z_before.shape[0] + 1
    if key == "hidden_size":
        assert z_after.shape[1] == z_before.shape[1] + 1


DEEP = {"hidden_size": "5", "batch_size": "3", "text": "hello world"}


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_deep_link_on_a_fresh_server(fresh_server, page, path):
    """(a) The very first request a new server gets is a deep link with parameters."""
    base = fresh_server()
    open_page(page, base, path, "hidden_size=5&batch_size=3&text=hello%20world")
    assert_no_exception(page)
    assert urlparse(page.url).path.strip("/") == path
    if path:
        assert active_nav(page) == path, "the sidebar nav does not mark the linked page"
    assert slider_value(page, "hidden_size") == 5
    assert slider_value(page, "batch_size") == 3
    assert page.locator(".st-key-text textarea").first.input_value() == "hello world"
    q = query(page)
    assert {k: q.get(k) for k in DEEP} == DEEP, f"the URL lost parameters: {page.url}"


# Marks every element of the sidebar; returns [elements, how many were marked before].
MARK_SIDEBAR = """() => {
  const els = [...document.querySelectorAll('[data-testid=stSidebarUserContent] [data-testid]')];
  const kept = els.filter(e => e.__mark === true).length;
  els.forEach(e => { e.__mark = true; });
  return [els.length, kept];
}"""


def test_page_switches_keep_the_values(app_server, page):
    """(b) A value set with the keyboard survives clicks through every page in the sidebar nav,
    and the sidebar is the same elements on every page (ui/sidebar.py, same_on_every_page): a
    switch does not mount its controls anew."""
    open_page(page, app_server, GATES, "hidden_size=4")
    hidden = press_right(page, "hidden_size")                       # 5
    batch = press_right(page, "batch_size")                         # 3
    order = [p for p in PATHS if p != GATES] + [GATES]
    marked, _ = page.evaluate(MARK_SIDEBAR)
    assert marked > 100, marked             # the navigation, the controls, the Lesson section
    for path in order:
        page.locator(f"{NAV_LINKS}[href='{path}']").first.click()
        page.wait_for_function("p => location.pathname.replace(/^\\/+|\\/+$/g, '') === p",
                               arg=path, timeout=LOAD_TIMEOUT)
        wait_for_app(page, timeout=LOAD_TIMEOUT)
        assert_no_exception(page)
        assert page.evaluate(MARK_SIDEBAR) == [marked, marked], f"sidebar mounted anew on /{path}"
        assert slider_value(page, "hidden_size") == hidden, f"hidden_size lost on /{path}"
        assert slider_value(page, "batch_size") == batch, f"batch_size lost on /{path}"
        page.wait_for_function(
            "v => new URLSearchParams(location.search).get('hidden_size') === v",
            arg=str(hidden), timeout=10_000)
        assert query(page).get("batch_size") == str(batch), f"URL on /{path}: {page.url}"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_url_reproduces_the_screen(app_server, browser, page, path):
    """(c) After keyboard changes, the page's own URL opened elsewhere shows the same thing."""
    open_page(page, app_server, path, "weights=random&seed=3&batch_size=3&step=2")
    press_right(page, "hidden_size")
    assert_no_exception(page)
    shown, charts, url = controls(page), chart_data(page), page.url
    other = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        again = other.new_page()
        again.set_default_timeout(LOAD_TIMEOUT)
        goto_app(again, url, timeout=LOAD_TIMEOUT)
        assert_no_exception(again)
        assert controls(again) == shown, f"controls differ when {url} is opened again"
        assert same_charts(chart_data(again), charts), f"charts differ when {url} is opened again"
        assert again.url == url
    finally:
        other.close()


def test_bad_url_values_are_shown_literally(app_server, page):
    """A link with Markdown / LaTeX / HTML in choice and number parameters: the notes about them
    must show the characters, not bold text, maths or markup."""
    open_page(page, app_server, GATES,
              "order=**bold**%20%24x%5E2%24&step=%3Cb%3E2%3C%2Fb%3E&reset=%3Cimg%20src%3Dx%3E")
    assert_no_exception(page)
    alerts = page.locator("[data-testid='stAlert']")
    assert alerts.count() >= 3, "expected a note for each bad parameter"
    for tag in ("strong", "em", "b", "img", ".katex"):
        assert page.locator(f"[data-testid='stAlert'] {tag}").count() == 0, \
            f"a URL value was rendered as markup ({tag}) in a note"
    notes = " ".join(alerts.all_inner_texts())
    assert "**bold**" in notes and "$x^2$" in notes and "<b>2</b>" in notes


def test_candidate_chain_tab_draws_the_chain(app_server, page, screenshot_dir):
    """The Candidate page draws only its open tab; opening "Through time" draws the chain."""
    open_page(page, app_server, "Candidate_and_state")
    before = chart_data(page)
    assert "h_t" in before and "chain_h" not in before
    page.get_by_role("tab", name="Through time: the chain").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[class*='st-key-']\")]"
        ".some(el => [...el.classList].includes('st-key-row_chain_h'))", timeout=LOAD_TIMEOUT)
    wait_for_app(page, timeout=LOAD_TIMEOUT)
    assert_no_exception(page)
    after = chart_data(page)
    assert "chain_h" in after and "chain_kept" in after
    h = np.asarray(after["chain_h"][0]["z"], dtype=float)
    assert h.shape == (2, 4) and np.all(h[:, 0] == 0)     # H = 2 units; h_0 = 0, then 3 steps
    # the tab switch reran only the page's fragment: the downloads offer what is on screen
    downloads = page.locator("[data-testid='stExpander'] summary").filter(has_text="Download")
    assert "Download the 2 matrices" in downloads.first.inner_text()
    full_screenshot(page, screenshot_dir / "page-3_Candidate_chain_tab.png")


def test_play_advances_the_time_step_and_stops(app_server, page):
    """The stepper's Play moves t every PLAY_SECONDS until it is switched off; on Backprop,
    opening the tab of sections 5-7 (the whole batch, no time step) stops it."""
    def url_step() -> str | None:
        return query(page).get("step")

    def toggle_play() -> None:
        page.locator(".st-key-playing label").first.click()

    open_page(page, app_server, GATES)
    toggle_play()
    page.wait_for_function("() => new URLSearchParams(location.search).get('step') === '3'",
                           timeout=20_000)
    toggle_play()
    wait_for_app(page, timeout=LOAD_TIMEOUT)
    stopped = (query(page).get("batch"), url_step(), slider_value(page, "step"))
    page.wait_for_timeout(3_000)
    assert (query(page).get("batch"), url_step(), slider_value(page, "step")) == stopped
    assert_no_exception(page)

    open_page(page, app_server, registry.get("backprop").url_path)
    toggle_play()
    page.wait_for_function("() => new URLSearchParams(location.search).get('step') === '2'",
                           timeout=20_000)
    page.locator("[data-testid='stTab']").nth(1).click()
    page.locator("#vanishing").wait_for(timeout=LOAD_TIMEOUT)
    wait_for_app(page, timeout=LOAD_TIMEOUT)
    assert page.locator(".st-key-playing").count() == 0
    assert slider_value(page, "step") is None                 # the stepper: the batch only
    stopped = (query(page).get("batch"), url_step())
    page.wait_for_timeout(3_000)
    assert (query(page).get("batch"), url_step()) == stopped
    assert_no_exception(page)
