"""The GRU cell page in Chromium: at 1920×1080 with the sidebar collapsed the page fits the
screen at the defaults; clicking a node, or choosing it with the keyboard, shows its equation
with its numbers; Next moves the whole drawing. Expected numbers come from gru_core, here."""
from __future__ import annotations

import numpy as np

from ui import registry

from .helpers import assert_no_exception, cells_box, collect_page_errors, goto_app, wait_for_app
from .test_beyond_e2e import query, tutorial_trace
from .test_pages import chart_data

LOAD = 60_000
PATH = registry.get("cell").url_path


def equation(page) -> str:
    """The text of the page's typeset equations (KaTeX's MathML annotation holds the source)."""
    return " ".join(page.locator("[data-testid='stMarkdownContainer'] .katex annotation")
                    .evaluate_all("els => els.map(e => e.textContent)"))


def collapse_sidebar(page) -> None:
    page.locator("[data-testid='stSidebar']").hover()
    page.locator("[data-testid='stSidebarCollapseButton'] button").first.click()
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='stSidebar']\")"
        ".getAttribute('data-collapsed') === 'true'", timeout=10_000)
    page.wait_for_timeout(800)                     # the main area widens, the chart redraws


def test_the_cell_fits_one_1920x1080_screen_with_the_sidebar_collapsed(app_server, browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        errors = collect_page_errors(page)
        goto_app(page, f"{app_server}/{PATH}", timeout=LOAD)
        assert_no_exception(page)
        collapse_sidebar(page)
        heights = page.evaluate("""() => {
          const main = document.querySelector("[data-testid='stMain']");
          return {doc: document.documentElement.scrollHeight, main: main.scrollHeight,
                  view: main.clientHeight};
        }""")
        assert heights["doc"] <= 1080, heights
        assert heights["main"] <= heights["view"], heights      # the main area does not scroll
        # every node of the drawing is on the screen, with numbers in its cells
        drawn = chart_data(page)["cell"]
        heat = [t for t in drawn if t["type"] == "heatmap"]
        assert len(heat) == 11 and all(t["text"] for t in heat)
        bottom = page.locator(".st-key-cell").bounding_box()
        assert bottom["y"] + bottom["height"] <= 1080
        assert not errors
    finally:
        context.close()


def click_node(page, node: str) -> None:
    """Click a node's heatmap, 30 % into its cells from their top left."""
    page.locator(".st-key-cell").scroll_into_view_if_needed()
    box = cells_box(page, node)
    x = box["left"] + (box["right"] - box["left"]) * 0.3
    y = box["top"] + (box["bottom"] - box["top"]) * 0.3
    page.mouse.move(x, y)
    page.wait_for_timeout(200)
    page.mouse.click(x, y)
    wait_for_app(page, timeout=LOAD, initial_wait=600)


def test_clicking_a_node_shows_its_equation(app_server, page):
    errors = collect_page_errors(page)
    goto_app(page, f"{app_server}/{PATH}?step=2", timeout=LOAD)
    assert_no_exception(page)
    tr = tutorial_trace()
    assert f"{tr.z[1][0, 0]:.4f}" in equation(page)              # z at the start
    page.locator(".st-key-cell").scroll_into_view_if_needed()
    box = cells_box(page, "h_tilde")                             # hovering a cell names it
    page.mouse.move(box["left"] + 3, box["top"] + 3)
    hover = page.locator(".st-key-cell .hoverlayer .hovertext")
    hover.wait_for(timeout=5_000)
    assert hover.text_content() == (f"h̃_t = tanh(…)row 1, h1value {tr.h_tilde[1][0, 0]:.4f}"
                                    "click: its equation")
    click_node(page, "h_tilde")
    assert query(page).get("node") == "h_tilde"
    tex = equation(page)
    assert r"\tilde h_t" in tex
    for v in tr.h_tilde[1].ravel():
        assert f"{abs(v):.4f}" in tex
    click_node(page, "y")
    assert query(page).get("node") == "y"
    assert f"{tr.probs[1][1, 2]:.4f}" in equation(page)
    assert not errors


def test_the_node_chooser_works_from_the_keyboard(app_server, page):
    goto_app(page, f"{app_server}/{PATH}", timeout=LOAD)
    page.locator(".st-key-node input[type='radio']:checked").focus()
    page.keyboard.press("ArrowRight")                             # z_t -> r_t
    wait_for_app(page, timeout=LOAD, initial_wait=600)
    assert query(page).get("node") == "r"
    r = tutorial_trace().r[0]
    assert f"{r[1, 1]:.4f}" in equation(page)


def test_next_moves_the_whole_drawing(app_server, page):
    goto_app(page, f"{app_server}/{PATH}?node=h", timeout=LOAD)
    page.get_by_role("button", name="Next ▶").click()
    wait_for_app(page, timeout=LOAD, initial_wait=600)
    assert query(page).get("step") == "2"
    tr = tutorial_trace()
    drawn = {t["name"]: np.asarray(t["z"], dtype=float)
             for t in chart_data(page)["cell"] if t["type"] == "heatmap"}
    np.testing.assert_allclose(drawn["h_prev"], tr.h[0], atol=1e-12)
    np.testing.assert_allclose(drawn["h"], tr.h[1], atol=1e-12)
    assert f"{tr.h[1][0, 0]:.4f}" in equation(page)
