"""Home shows no chart; once it is drawn the browser loads the chart component's script (Plotly,
4.7 MB), so the first page opened from Home does not wait for it (ui/page.py, load_charts)."""

from __future__ import annotations

from ui import page as ui_page

from .helpers import assert_no_exception, collect_page_errors, goto_app, wait_for_charts

CHART_SCRIPT_LOADS = """() => performance.getEntriesByType('resource')
  .filter(r => r.name.endsWith('/static/js/' + %r)).length""" % ui_page.CHART_SCRIPT


def test_home_loads_the_chart_script_and_the_first_chart_page_uses_it(app_server, page):
    errors = collect_page_errors(page)
    goto_app(page, app_server + "/")
    assert_no_exception(page)
    assert page.locator("[data-testid='stPlotlyChart']").count() == 0      # Home has no chart
    # loaded when the browser is idle after Home is drawn, and run: Plotly's global style is in
    page.wait_for_function(CHART_SCRIPT_LOADS + " === 1", timeout=20_000)
    page.wait_for_function("() => !!document.getElementById('plotly.js-style-global')",
                           timeout=20_000)
    # the script's block is not shown: no room, and no gap before it
    shown = page.locator(".st-key-load_charts").evaluate_all(
        "els => els.map(e => [getComputedStyle(e.parentElement).display, e.getClientRects().length,"
        " !!e.querySelector('script')])")
    assert shown == [["none", 0, True]], shown

    page.locator(".st-key-start_here a").click()                  # "Start here": the cell page
    page.wait_for_url("**/The_GRU_cell**")
    page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for(timeout=30_000)
    wait_for_charts(page)
    assert_no_exception(page)
    assert page.evaluate(CHART_SCRIPT_LOADS) == 1          # the same module: fetched once
    assert not errors, errors
