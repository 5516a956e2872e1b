"""In Chromium, "Show as table" under a chart opens its matrices as grids a screen reader can
read (role="grid" with column headers and cells), holding the numbers to four decimals as the
cells show them; closed (the default) no grid is on the page. The numbers are the tutorial's
published z_t at step 1 (Part 1), not values computed by the app."""
from __future__ import annotations

from .helpers import assert_no_exception, goto_app, wait_for_app

LOAD = 60_000


def grids(page, key: str) -> list[dict]:
    """The accessible grids inside the element keyed `key`: headers and cell texts."""
    return page.locator(f".st-key-{key} table[role='grid']").evaluate_all(
        "ts => ts.map(t => ({heads: [...t.querySelectorAll('[role=columnheader]')]"
        ".map(c => c.textContent.trim()), cells: [...t.querySelectorAll('[role=gridcell]')]"
        ".map(c => c.textContent.trim())}))")


def test_show_as_table_opens_readable_grids_with_the_cells_numbers(page, app_server):
    goto_app(page, f"{app_server}/Gates_z_and_r", timeout=LOAD)
    assert_no_exception(page)
    assert page.locator("table[role='grid']").count() == 0        # closed by default
    control = page.locator(".st-key-table_row_W_z summary")
    control.scroll_into_view_if_needed()
    control.click()
    wait_for_app(page, timeout=LOAD)
    assert_no_exception(page)
    page.locator(".st-key-table_row_W_z table[role='grid']").first.wait_for(state="attached",
                                                                     timeout=LOAD)   # for AT only
    found = grids(page, "table_row_W_z")
    assert len(found) == 8, found                      # W, U, b, three terms, sum, z_t
    z = found[-1]                                      # z_t = σ(sum), last as in the equation
    assert z["heads"] == ["row", "h1", "h2"], z
    # read as numbers: the grid's text is the value (0.1790 is 0.179), its display "%.4f"
    assert z["cells"] == ["1: Mat", "0.179", "0.5943", "2: hMa", "0.6596", "0.5663"], z
    assert page.locator(".st-key-table_row_W_r table[role='grid']").count() == 0
