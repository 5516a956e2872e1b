"""In Chromium, every chart of the Gates page and of the drawn cell is a named figure: the
chart's container has role="figure" and an aria-label saying what it shows (Plotly's own SVG
has no name, plotly.js #6920)."""
from __future__ import annotations

from .helpers import assert_no_exception, goto_app

LOAD = 60_000


def figures(page) -> list[dict]:
    return page.locator("[data-testid='stPlotlyChart']").evaluate_all(
        "els => els.map(e => ({role: e.getAttribute('role'),"
        " label: e.getAttribute('aria-label'),"
        " key: [...e.closest('[class*=\"st-key-\"]').classList]"
        ".find(c => c.startsWith('st-key-'))}))")


def test_the_gates_charts_are_named_figures(page, app_server):
    goto_app(page, f"{app_server}/Gates_z_and_r", timeout=LOAD)
    assert_no_exception(page)
    found = {f["key"].removeprefix("st-key-"): f for f in figures(page)}
    assert set(found) >= {"x_t", "row_W_z", "row_W_r"}, found
    assert all(f["role"] == "figure" and f["label"] for f in found.values()), found
    assert found["x_t"]["label"] == "x_t one-hot input, 2 rows × 4 columns, values 0 to 1"
    assert "σ z_t = σ(sum), 2 rows × 2 columns, values 0.1790 to 0.6596" \
        in found["row_W_z"]["label"]            # z_t of the tutorial at step 1


def test_the_drawn_cell_is_a_named_figure(page, app_server):
    goto_app(page, f"{app_server}/The_GRU_cell?step=2", timeout=LOAD)
    assert_no_exception(page)
    (cell,) = [f for f in figures(page) if f["key"] == "st-key-cell"]
    assert cell["role"] == "figure"
    assert cell["label"].startswith("The GRU cell at step 2: 11 matrices: x_t, 2 rows × 4 columns")
