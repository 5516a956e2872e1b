"""Once a page is drawn, the browser loads the element scripts the other pages need (Plotly's
4.7 MB chart component, the code block's syntax highlighter, ...), so the next page opened
does not wait for them (ui/page.py, preload). Home shows no chart: its first click ("Start
here") opens the cell page; the cell page shows no code block: its next page, Data, does."""

from __future__ import annotations

from ui import page as ui_page

from .helpers import assert_no_exception, collect_page_errors, goto_app, wait_for_charts

LOADS = """file => performance.getEntriesByType('resource')
  .filter(r => r.name.endsWith('/static/js/' + file)).length"""
CHART, CODE = (next(f for f in ui_page.PRELOAD_SCRIPTS if f.startswith(name + "."))
               for name in ("PlotlyChart", "StreamlitSyntaxHighlighter"))


def loaded(page, file: str) -> int:
    return page.evaluate(LOADS, file)


def test_home_loads_the_chart_script_and_the_first_chart_page_uses_it(app_server, page):
    errors = collect_page_errors(page)
    goto_app(page, app_server + "/")
    assert_no_exception(page)
    assert page.locator("[data-testid='stPlotlyChart']").count() == 0      # Home has no chart
    # loaded when the browser is idle after Home is drawn, and run: Plotly's global style is in
    page.wait_for_function(f"() => ({LOADS})({CHART!r}) === 1", timeout=20_000)
    page.wait_for_function("() => !!document.getElementById('plotly.js-style-global')",
                           timeout=20_000)
    # the script's block is not shown: no room, and no gap before it
    shown = page.locator(".st-key-preload").evaluate_all(
        "els => els.map(e => [getComputedStyle(e.parentElement).display, e.getClientRects().length,"
        " !!e.querySelector('script')])")
    assert shown == [["none", 0, True]], shown

    page.locator(".st-key-start_here a").click()                  # "Start here": the cell page
    page.wait_for_url("**/The_GRU_cell**")
    page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for(timeout=30_000)
    wait_for_charts(page)
    assert_no_exception(page)
    assert loaded(page, CHART) == 1                        # the same module: fetched once
    assert not errors, errors


def test_a_chart_page_loads_the_code_block_script_before_the_data_page_needs_it(app_server, page):
    errors = collect_page_errors(page)
    goto_app(page, app_server + "/The_GRU_cell")
    wait_for_charts(page)
    assert page.locator("[data-testid='stCode']").count() == 0          # no code block here
    for file in ui_page.PRELOAD_SCRIPTS:                                # each fetched once
        page.wait_for_function(f"() => ({LOADS})({file!r}) === 1", timeout=30_000)
    page.locator(".st-key-page_next a").click()                         # Next: Data
    page.wait_for_url("**/Data_and_batches**")
    page.locator("[data-testid='stCode']").first.wait_for(timeout=30_000)
    wait_for_charts(page)
    assert_no_exception(page)
    assert all(loaded(page, file) == 1 for file in ui_page.PRELOAD_SCRIPTS)
    assert not errors, errors
