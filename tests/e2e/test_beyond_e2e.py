"""The beyond pages in Chromium: clicking a heatmap cell inspects it, a lesson URL (presentation,
hide flags, inspected cell) restores the screen, a lesson file uploaded in the sidebar restores
settings and opens its page, and forcing z = 1 copies the state.

Expected numbers come from gru_core, computed here.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import numpy as np

import gru_core as gc
from ui import lesson
from ui import store

from .helpers import assert_no_exception, cells_box, collect_page_errors, goto_app, wait_for_app
from .test_pages import chart_data

LOAD = 60_000


def tutorial_trace(config=gc.TUTORIAL_CONFIG, n=0):
    vocab = gc.Vocab.from_text(gc.TUTORIAL_TEXT, gc.TUTORIAL_ORDER)
    batches = gc.make_batches(vocab.encode(gc.TUTORIAL_TEXT), vocab.size, 2, 3)
    return gc.run_batches(gc.tutorial_params(), batches, config)[n]


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def metric_value(page) -> float:
    return float(page.locator("[data-testid='stMetricValue']").first.inner_text())


def click_cell(page, key: str, row: int, col: int, rows: int, cols: int, panel: str = "") -> None:
    """Click cell (row, col) of the chart keyed `key`, or of its matrix drawn under the trace
    name `panel` (e.g. "z_t") in a figure of several matrices."""
    chart = page.locator(f".st-key-{key}")
    chart.scroll_into_view_if_needed()
    if panel:
        b = cells_box(page, panel)
        box = {"x": b["left"], "y": b["top"], "width": b["right"] - b["left"],
               "height": b["bottom"] - b["top"]}
    else:
        box = chart.locator(".nsewdrag").first.bounding_box()
    x = box["x"] + box["width"] * (col + 0.5) / cols
    y = box["y"] + box["height"] * (row + 0.5) / rows
    page.mouse.move(x, y)
    page.wait_for_timeout(200)
    page.mouse.click(x, y)
    wait_for_app(page, timeout=LOAD, initial_wait=600)


def test_clicking_a_heatmap_cell_inspects_it(app_server, page):
    errors = collect_page_errors(page)
    goto_app(page, f"{app_server}/Cell_inspector", timeout=LOAD)
    assert_no_exception(page)
    z = tutorial_trace().z[0]
    assert metric_value(page) == round(z[0, 0], 4)
    click_cell(page, "pick", 1, 1, 2, 2)
    assert query(page).get("cell_b") == "1" and query(page).get("cell_j") == "1"
    assert metric_value(page) == round(z[1, 1], 4)
    click_cell(page, "pick", 0, 1, 2, 2)
    assert query(page).get("cell_b") is None and query(page).get("cell_j") == "1"
    assert metric_value(page) == round(z[0, 1], 4)
    assert not errors


def test_a_lesson_url_restores_presentation_hide_and_cell(app_server, page):
    qs = "present=1&hide=text,options&cell_q=h&cell_b=1&cell_j=1&step=2&reset=after"
    goto_app(page, f"{app_server}/Cell_inspector?{qs}", timeout=LOAD)
    assert_no_exception(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.locator(".st-key-text").count() == 0
    assert sidebar.get_by_text("Model and data options").count() == 0
    assert sidebar.locator(".st-key-hidden_size").count() == 1
    assert "Step 9" in page.locator("[data-testid='stAlert']").first.inner_text()
    root_px = page.evaluate("() => getComputedStyle(document.documentElement).fontSize")
    assert root_px == "18px"
    expected = tutorial_trace(gc.GRUConfig("after", "keep")).h[1, 1, 1]
    assert metric_value(page) == round(expected, 4)
    assert query(page) == dict(p.split("=") for p in qs.split("&"))


def test_uploading_a_lesson_file_restores_it(app_server, page, tmp_path):
    text = "abcab cabbca abc"
    vocab = gc.Vocab.from_text(text)
    params = gc.init_params(vocab.size, 3, seed=5)
    settings = {**store.DEFAULTS, **store.VIEW_DEFAULTS, "text": text, "batch_size": 2,
                "seq_len": 3, "hidden_size": 3, "order": "sorted", "weights": "trained",
                "reset": "after", "update": "take"}
    path = tmp_path / "lesson.json"
    path.write_text(lesson.lesson_json(lesson.to_lesson(settings, "pages/10_What_if.py", 2, 2,
                                                        params)), encoding="utf-8")
    goto_app(page, f"{app_server}/Gates_z_and_r", timeout=LOAD)
    page.get_by_text("Lesson", exact=True).click()
    page.locator("[data-testid='stSidebar'] input[type='file']").set_input_files(str(path))
    wait_for_app(page, timeout=LOAD, initial_wait=1500)
    page.wait_for_url("**/What_if**", timeout=LOAD)
    wait_for_app(page, timeout=LOAD)
    assert_no_exception(page)
    q = query(page)
    assert (q.get("reset"), q.get("update"), q.get("hidden_size"), q.get("batch")) == \
        ("after", "take", "3", "2")
    drawn = chart_data(page)
    batches = gc.make_batches(vocab.encode(text), vocab.size, 2, 3)
    expected = gc.run_batches(params, batches, gc.GRUConfig("after", "take"))[1]
    np.testing.assert_allclose(np.asarray(drawn["orig_h"][0]["z"], dtype=float), expected.h[1],
                               atol=1e-12)


def test_forcing_z_in_the_browser_copies_the_state(app_server, page):
    goto_app(page, f"{app_server}/What_if?step=3", timeout=LOAD)
    page.get_by_text("z ≡ 1", exact=True).click()
    wait_for_app(page, timeout=LOAD, initial_wait=500)
    assert_no_exception(page)
    drawn = chart_data(page)
    h_prev = np.asarray(drawn["new_h_prev"][0]["z"], dtype=float)
    h = np.asarray(drawn["new_h_again"][0]["z"], dtype=float)
    np.testing.assert_array_equal(h, h_prev)
    np.testing.assert_allclose(h_prev, tutorial_trace().h[0], atol=1e-12)   # frozen since t = 1
    np.testing.assert_array_equal(np.asarray(drawn["new_step_change"][0]["z"], dtype=float), 0)
