"""Presentation mode on a 1920×1080 projector, and every page readable in a 1280×800 window
(issue #14, points 2 and 6), measured in Chromium.

    test_projector_font_sizes             Gates, present=1: numbers in cells ≥ 20 px, panel
                                          titles ≥ 22 px, column and row labels ≥ 18 px (the
                                          SVG text's computed font size); the sidebar collapsed
    test_projector_tab_labels             Candidate, Backprop: a tab's label as large as the
                                          page's text (≥ 20 px), not Streamlit's small tab font
    test_projector_controls_readable      Gates, the cell, present=1: the page links, widget
                                          labels, a slider's value, the stepper's buttons, radio
                                          options and the narrative as large as the page's text
                                          (≥ 20 px); the end-of-page links larger still
    test_stepper_stays_on_screen          Prev / Next / the sliders stay in the window after
                                          scrolling to the bottom (presentation and normal)
    test_equation_row_on_the_first_screen each forward page's main equation row (its result
                                          matrix) lies inside the first 1920×1080 screen
    test_nothing_cut_off                  every page of ui/registry.PAGES at 1280×800, at the
                                          defaults and at the largest sizes (B = 16, S = 32,
                                          H = 32, a 720-character text with 87 distinct
                                          characters): no text element cut off (helpers.CLIPPED_JS)
    test_gates_largest_keeps_labels_apart Gates at the largest sizes, 1280 and 1920 px, screen and
                                          projector: no two texts of a chart touch (column labels
                                          "h9h11h13"), each wrapped line's "+" / "σ" just before
                                          its operand's title (helpers.OPERATORS_JS)
    test_projector_charts_keep_text_apart Output, Loss, Backprop, Candidate in presentation mode:
                                          symbols on their line's middle, clear of row labels;
                                          axis titles, tick labels and notes apart
    test_cell_numbers_apart_in_a_window   the drawn cell at 1280×800, sidebar open: the numbers
                                          of neighbouring cells do not touch
    test_largest_pages_have_a_bounded_height  Data and Conventions at the largest sizes
    test_whatif_shows_every_forced_unit   What if at H = 32: all 32 chosen units visible
"""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from ui import registry

from .helpers import (
    assert_no_exception,
    cells_box,
    clipped_text,
    colliding_text,
    goto_app,
    misplaced_operators,
    scroll_to_bottom,
    svg_font_sizes,
    wait_for_charts,
)

LOAD_TIMEOUT = 90_000
PROJECTOR = {"width": 1920, "height": 1080}
WINDOW = {"width": 1280, "height": 800}
PANGRAM = ("The quick brown fox jumps over the lazy dog; PACK MY BOX WITH FIVE DOZEN LIQUOR JUGS! "
           "0123456789 (a+b)*c=d? #tag @you & 50% {x:y} [i] <k> ~ ^ | / \\ ")
LARGEST = {"text": (PANGRAM * 6)[:720], "batch_size": 16, "seq_len": 32, "hidden_size": 32}
# each forward page's main equation row, named by the matrix that is its result
EQUATION_ROWS = {"gates": "z_t", "candidate": "h_tilde", "output": "y_linear", "loss": "term1"}


def _open(browser, base: str, page_entry, viewport, **params):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT)
    query = ("?" + urlencode(params)) if params else ""
    goto_app(page, f"{base}/{page_entry.url_path}{query}", timeout=LOAD_TIMEOUT)
    wait_for_charts(page, timeout=LOAD_TIMEOUT)
    page.wait_for_timeout(300)
    return context, page


def test_projector_font_sizes(browser, app_server):
    context, page = _open(browser, app_server, registry.get("gates"), PROJECTOR, present=1)
    try:
        assert_no_exception(page)
        fonts = svg_font_sizes(page)
        assert fonts["cells"] and min(fonts["cells"]) >= 20, fonts["cells"]
        assert fonts["titles"] and min(fonts["titles"]) >= 22, fonts["titles"]
        assert fonts["ticks"] and min(fonts["ticks"]) >= 18, fonts["ticks"]
        sidebar = page.locator("[data-testid='stSidebar']").bounding_box()
        assert sidebar is None or sidebar["x"] + sidebar["width"] <= 1, sidebar   # collapsed
    finally:
        context.close()


# computed font size (px) of each tab label and of the page's paragraphs
TAB_FONTS_JS = """() => {
  const px = sel => [...document.querySelectorAll(sel)]
    .map(e => parseFloat(getComputedStyle(e).fontSize));
  return {tabs: px("[data-testid='stMain'] [data-testid='stTab'] p"),
          text: px("[data-testid='stMain'] .stMarkdown p")};
}"""


@pytest.mark.parametrize("key", ["candidate", "backprop"])
def test_projector_tab_labels(browser, app_server, key):
    context, page = _open(browser, app_server, registry.get(key), PROJECTOR, present=1)
    try:
        assert_no_exception(page)
        fonts = page.evaluate(TAB_FONTS_JS)
        assert fonts["tabs"] and min(fonts["tabs"]) >= 20, fonts
        assert min(fonts["tabs"]) >= min(fonts["text"]) - 0.5, fonts
    finally:
        context.close()


# computed font size (px) of the controls and notes a class reads off the projector
CONTROL_FONTS_JS = """() => {
  const all = sel => [...document.querySelectorAll("[data-testid='stMain'] " + sel)];
  const px = els => els.map(e => parseFloat(getComputedStyle(e).fontSize));
  const links = all("[data-testid='stPageLink-NavLink'] p");
  const atEnd = e => !!e.closest(".st-key-page_end");
  return {top_links: px(links.filter(e => !atEnd(e))),
          end_links: px(links.filter(atEnd)),
          labels: px(all("[data-testid='stWidgetLabel'] p")),
          slider_values: px(all("[data-testid='stSliderThumbValue']")),
          buttons: px(all(".st-key-stepper button p")),
          options: px(all("[data-testid='stRadio'] label p")),
          narrative: px(all("[data-testid='stAlert'] p"))};
}"""


@pytest.mark.parametrize("key", ["gates", "cell"])
def test_projector_controls_readable(browser, app_server, key):
    context, page = _open(browser, app_server, registry.get(key), PROJECTOR, present=1)
    try:
        assert_no_exception(page)
        fonts = page.evaluate(CONTROL_FONTS_JS)
        for name in ("top_links", "labels", "slider_values", "buttons", "narrative"):
            assert fonts[name] and min(fonts[name]) >= 20, (name, fonts)
        if key == "cell":                          # the node chooser
            assert fonts["options"] and min(fonts["options"]) >= 20, fonts
        assert len(fonts["end_links"]) == 2 and min(fonts["end_links"]) > 22, fonts
    finally:
        context.close()


@pytest.mark.parametrize("present", [1, 0])
def test_stepper_stays_on_screen(browser, app_server, present):
    viewport = PROJECTOR if present else WINDOW
    context, page = _open(browser, app_server, registry.get("gates"), viewport,
                          **({"present": 1} if present else {}))
    try:
        last = page.locator("[data-testid='stExpander']").last      # the downloads, at the end
        scroll_to_bottom(page)
        end = last.bounding_box()
        assert end is not None and end["y"] < viewport["height"], "did not scroll to the end"
        for control in (".st-key-next_step", ".st-key-prev_step", ".st-key-step"):
            box = page.locator(control).bounding_box()
            assert box is not None and 0 <= box["y"] and \
                box["y"] + box["height"] <= viewport["height"], (control, box)
    finally:
        context.close()


@pytest.mark.parametrize("key", list(EQUATION_ROWS))
def test_equation_row_on_the_first_screen(browser, app_server, key):
    context, page = _open(browser, app_server, registry.get(key), PROJECTOR, present=1)
    try:
        assert_no_exception(page)
        box = cells_box(page, EQUATION_ROWS[key])
        assert box is not None, f"no matrix {EQUATION_ROWS[key]} on {key}"
        assert 0 <= box["top"] and box["bottom"] <= PROJECTOR["height"], box
        assert clipped_text(page) == []
    finally:
        context.close()


def _cases():
    for entry in registry.PAGES:
        for sizes in ("defaults", "largest"):
            yield pytest.param(entry, sizes, id=f"{entry.key}-{sizes}")


@pytest.mark.parametrize("entry, sizes", list(_cases()))
def test_nothing_cut_off(browser, app_server, entry, sizes):
    context, page = _open(browser, app_server, entry, WINDOW,
                          **(LARGEST if sizes == "largest" else {}))
    try:
        assert_no_exception(page)
        assert clipped_text(page) == []
    finally:
        context.close()


def assert_text_apart(page) -> None:
    """No traceback, no two texts of a chart touching, every operator beside its operands."""
    assert_no_exception(page)
    collisions, misplaced = colliding_text(page), misplaced_operators(page)
    assert collisions == [] and misplaced == [], "\n".join(collisions + misplaced)


@pytest.mark.parametrize("viewport, present", [(WINDOW, 0), (PROJECTOR, 0), (WINDOW, 1),
                                               (PROJECTOR, 1)],
                         ids=["1280", "1920", "1280-present", "1920-present"])
def test_gates_largest_keeps_labels_apart(browser, app_server, viewport, present):
    context, page = _open(browser, app_server, registry.get("gates"), viewport,
                          **LARGEST, **({"present": 1} if present else {}))
    try:
        assert_text_apart(page)
    finally:
        context.close()


@pytest.mark.parametrize("key", ["output", "loss", "backprop", "candidate"])
def test_projector_charts_keep_text_apart(browser, app_server, key):
    context, page = _open(browser, app_server, registry.get(key), PROJECTOR, present=1)
    try:
        assert_text_apart(page)
    finally:
        context.close()


def test_cell_numbers_apart_in_a_window(browser, app_server):
    context, page = _open(browser, app_server, registry.get("cell"), WINDOW)
    try:
        assert_no_exception(page)
        assert page.locator(".js-plotly-plot g.textpoint text").count() > 0   # numbers shown
        assert colliding_text(page) == []
    finally:
        context.close()


# At the largest sizes the Data page drew 32 heatmaps one under another (11,922 px) and the
# Conventions page printed every weight of its snippets (13,350 px), measured before the fix.
@pytest.mark.parametrize("key", ["data", "conventions"])
def test_largest_pages_have_a_bounded_height(browser, app_server, key):
    context, page = _open(browser, app_server, registry.get(key), WINDOW, **LARGEST)
    try:
        assert_no_exception(page)
        height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
        assert height <= 7000, height
        assert colliding_text(page) == []      # Conventions' ŷ differences' titles ran together
    finally:
        context.close()


def test_whatif_shows_every_forced_unit(browser, app_server):
    context, page = _open(browser, app_server, registry.get("whatif"), WINDOW, **LARGEST,
                          force_z="1")
    try:
        assert_no_exception(page)
        # every chosen unit's label (h1 … h32) drawn inside the widget's box
        inside = page.evaluate("""() => {
          const w = document.querySelector('.st-key-wi_z_units'), box = w.getBoundingClientRect();
          const tags = w.querySelector("[data-testid='stMultiSelectTagsContainer']");
          return [...tags.querySelectorAll('*')]
            .filter(e => !e.children.length && /^h[0-9]+$/.test(e.textContent.trim()))
            .filter(e => { const r = e.getBoundingClientRect();
              return r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1
                && r.top >= box.top - 1 && r.bottom <= box.bottom + 1; })
            .map(e => e.textContent.trim());
        }""")
        assert inside == [f"h{j + 1}" for j in range(32)], inside
        assert clipped_text(page) == []
    finally:
        context.close()
