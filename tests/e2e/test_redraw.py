"""A slider change in Chromium: every new chart is drawn once, an unchanged chart not at all.

Streamlit mounts a new chart for every changed figure and hands it to plotly.js twice (its
`react` on the spec, then on a JSON copy made by its theming pass); `plots.sent` makes the
second pass find nothing changed. plotly.js announces every real drawing with the event
"plotly_beforeplot" (its `_doPlot`; a `react` that finds nothing changed does not draw). The
page is watched from before the change: each chart mounted by the rerun is hooked as soon as
it appears (its first drawing has then just run) and every later drawing is counted.
"""

from __future__ import annotations

import pytest

from ui import registry

from .helpers import assert_no_exception, goto_app, slider_input, wait_for_app, wait_for_charts

# Hooks every chart as it appears: window.__charts maps a chart's key (its st-key- class) to
# {fresh: mounted after the hook was set, draws: drawings after its first}; a chart present
# before the change is tagged, so that a remount shows as a new, untagged element.
HOOK_JS = """() => {
  window.__charts = {};
  const keyOf = gd => (((gd.closest('[class*="st-key-"]') || {}).className || '')
                       .match(/st-key-(\\S+)/) || [])[1];
  const watch = fresh => document.querySelectorAll('.js-plotly-plot').forEach(gd => {
    if (gd.__watched || !gd.on) return;
    gd.__watched = true;
    const entry = {fresh, draws: 0};
    window.__charts[keyOf(gd)] = entry;
    gd.on('plotly_beforeplot', () => { entry.draws += 1; });
  });
  watch(false);
  new MutationObserver(() => watch(true)).observe(document.body,
      {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
}"""

# Columns of the z_t panel as drawn (its heatmap's calculated z), to see the new H arrive.
Z_COLUMNS_JS = """() => {
  const gd = document.querySelector('.st-key-row_W_z .js-plotly-plot');
  const i = gd._fullData.findIndex(t => t.name === 'z_t');
  return gd.calcdata[i][0].z[0].length;
}"""


# From the tutorial's preset (H = 2) a step of H drops the note on its published weights above
# the page's body, which must not remount the body's charts; from H = 3 nothing above moves.
@pytest.mark.parametrize("query, H", [("", 2), ("?hidden_size=3", 3)])
def test_slider_change_draws_each_new_chart_once(app_server, page, query, H):
    goto_app(page, app_server + "/Gates_z_and_r" + query, timeout=60_000)
    wait_for_charts(page, timeout=60_000)
    page.wait_for_timeout(500)           # the mount's second pass is over
    assert page.evaluate(Z_COLUMNS_JS) == H
    charts = _change_hidden_size(page)
    assert page.evaluate(Z_COLUMNS_JS) == H + 1, f"the z figure does not show H = {H + 1}"
    assert charts["row_W_z"]["fresh"] and charts["row_W_r"]["fresh"], (
        f"the gate figures were not mounted anew for H = {H + 1}: {charts}")
    assert not charts["x_t"]["fresh"], (
        "x_t does not depend on H but was mounted again (a block above it moved?)")
    redrawn = {k: c["draws"] for k, c in charts.items() if c["draws"]}
    assert not redrawn, f"charts drawn again after their first drawing: {redrawn}"


def _change_hidden_size(page) -> dict:
    """Hook the charts, move the hidden-size slider one step up, and return window.__charts
    once the rerun's charts are drawn and React's passive effects (the second pass) are over."""
    page.evaluate(HOOK_JS)
    thumb = slider_input(page, "hidden_size")
    thumb.focus()
    thumb.press("ArrowRight")
    wait_for_app(page, initial_wait=500)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].every(gd => gd.__watched)",
        timeout=30_000)
    wait_for_charts(page)
    page.wait_for_timeout(1000)
    assert_no_exception(page)
    return page.evaluate("() => window.__charts")


# Every page with charts: line charts (their series once were binary arrays, which plotly.js
# compares as changed values), charts in columns (a fractional column width once differed
# from the width plotly measured for the first drawing), pickable charts.
@pytest.mark.parametrize("url", [p.url_path for p in registry.PAGES if p.url_path], ids=str)
def test_no_chart_is_drawn_twice_on_any_page(app_server, page, url):
    goto_app(page, f"{app_server}/{url}", timeout=60_000)
    wait_for_charts(page, timeout=60_000)
    page.wait_for_timeout(500)
    charts = _change_hidden_size(page)
    assert charts, "no chart on the page"
    redrawn = {k: c["draws"] for k, c in charts.items() if c["draws"]}
    assert not redrawn, f"charts drawn again after their first drawing: {redrawn}"
