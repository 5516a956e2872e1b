"""Screenshots that catch visual regressions: key charts at the defaults, at 1280 and 1920 px wide,
against baseline PNGs in tests/e2e/baselines/ (comparison and tolerance: tests/e2e/visual.py).

    test_chart_matches_baseline   the Gates page's z equation row (row_W_z), the drawn cell
                                  (cell), the Loss page's terms (row_y_hat), the Backprop
                                  page's grid of every gradient (row_grad_W_z); each at both
                                  widths, in Liberation Sans / DejaVu Sans. On a mismatch
                                  expected / actual / diff PNGs are written to
                                  tests/e2e/screenshots/visual/ and the message says which.
    test_compare_*                the comparison itself on images built here: equal and faintly
                                  noisy images pass; a recoloured block, a panel moved by 3 px,
                                  a size change fail.

Refresh the baselines on purpose (a deliberate change of the look), then look at them and commit:

    GML_UPDATE_BASELINES=1 python -m pytest -q -p no:cacheprovider tests/e2e/test_visual.py

It rewrites only the baselines that are missing or no longer match. The fonts must be the ones
CI installs (Liberation Sans and DejaVu Sans, Debian's fonts-liberation and fonts-dejavu-core):
the test reads the fonts Chromium used and refuses to compare or write otherwise.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ui import registry

from . import visual
from .helpers import SCREENSHOT_DIR, assert_no_exception, goto_app, wait_for_charts

BASELINES = Path(__file__).resolve().parent / "baselines"
FAILURES = SCREENSHOT_DIR / "visual"
REFRESH = "GML_UPDATE_BASELINES=1 python -m pytest -q -p no:cacheprovider tests/e2e/test_visual.py"

# name: (page key in ui/registry.py, Streamlit key of the chart)
SHOTS = {
    "gates_z_row": ("gates", "row_W_z"),          # W_z, U_z, b_z; x_t W_z + h U_z + b_z = sum, σ
    "cell_diagram": ("cell", "cell"),             # the drawn GRU cell and the unrolled batch
    "loss_terms": ("loss", "row_y_hat"),          # ŷ, y, term1 = y ⊙ log ŷ
    "backprop_grid": ("backprop", "row_grad_W_z"),  # δW, δU, δb of the three gates
}
WIDTHS = (1280, 1920)
HEIGHT = 1000
LOAD_TIMEOUT = 60_000

# Resolved when the browser has laid out the page's web fonts and the chart's size has held for
# two animation frames and 250 ms (Streamlit sizes a stretched chart after its first draw).
SETTLED_JS = """async (sel) => {
  await document.fonts.ready;
  const box = () => JSON.stringify(document.querySelector(sel)?.getBoundingClientRect());
  for (let i = 0; i < 40; i++) {
    const before = box();
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    await new Promise(r => setTimeout(r, 250));
    if (box() === before) return;
  }
}"""


def _screenshot(chart, tries: int = 5) -> Image.Image:
    """The element's screenshot once two in a row are equal (a chart still drawing is not)."""
    shot = lambda: Image.open(io.BytesIO(chart.screenshot(  # noqa: E731
        animations="disabled", caret="hide", style=visual.STABLE_CSS))).convert("RGB")
    last = shot()
    for _ in range(tries):
        chart.page.wait_for_timeout(300)
        now = shot()
        if last.size == now.size and np.array_equal(np.asarray(last), np.asarray(now)):
            return now
        last = now
    pytest.fail(f"the chart's screenshot kept changing over {tries + 1} shots", pytrace=False)


@pytest.mark.parametrize("name", list(SHOTS))
def test_chart_matches_baseline(browser, app_server, name):
    """The page is opened once at the narrower width, then the window widened: the chart is
    redrawn at the new width as on a page opened at that width, at half the page loads."""
    page_key, chart_key = SHOTS[name]
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT},
                                  device_scale_factor=1, reduced_motion="reduce")
    shots = {}
    try:
        page = context.new_page()
        goto_app(page, f"{app_server}/{registry.get(page_key).url_path}", timeout=LOAD_TIMEOUT)
        wait_for_charts(page, timeout=LOAD_TIMEOUT)
        assert_no_exception(page)
        selector = f".st-key-{chart_key} [data-testid='stPlotlyChart']"
        chart = page.locator(selector)
        assert chart.count() == 1, (f"no single chart keyed {chart_key} on the {page_key} page "
                                    "(a chart renamed: update SHOTS, then refresh the baselines)")
        page.mouse.move(0, 0)                   # no hover label or toolbar on the chart
        page.evaluate(SETTLED_JS, selector)

        fonts = visual.platform_fonts(context, page, f"{selector} svg text")
        assert fonts, f"no text found in {chart_key}"
        other = set(fonts) - visual.BASELINE_FONTS
        assert not other, (
            f"the chart's text is drawn with {sorted(other)} here; the baselines are drawn with "
            f"{sorted(visual.BASELINE_FONTS)} (apt-get install fonts-liberation fonts-dejavu-core, "
            "as .ci/run does, and no other font answering to the charts' family)")

        for width in WIDTHS:
            if width != WIDTHS[0]:
                page.set_viewport_size({"width": width, "height": HEIGHT})
                page.evaluate(SETTLED_JS, selector)
            shots[width] = _screenshot(chart)
    finally:
        context.close()

    failures = [msg for width, actual in shots.items()
                if (msg := _check(f"{name}-{width}", actual))]
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


def _check(stem: str, actual: Image.Image) -> str | None:
    """Compare a screenshot with its baseline (or write the baseline when updating); the
    failure's message, or None."""
    baseline = BASELINES / f"{stem}.png"
    for old in FAILURES.glob(f"{stem}-*.png"):
        old.unlink()
    if visual.updating():
        if not baseline.exists() or not visual.compare(actual, Image.open(baseline)).ok:
            visual.save_png(actual, baseline)
            print(f"baseline written: {baseline}")
        return None
    if not baseline.exists():
        visual.save_png(actual, FAILURES / f"{stem}-actual.png")
        return (f"{stem}: no baseline {baseline}; the screenshot is in "
                f"{FAILURES}/{stem}-actual.png; write the baselines with: {REFRESH}")
    expected = Image.open(baseline)
    result = visual.compare(actual, expected)
    print(f"{stem}: {result.describe()}")       # shown with -s
    if result.ok:
        return None
    visual.save_png(expected, FAILURES / f"{stem}-expected.png")
    visual.save_png(actual, FAILURES / f"{stem}-actual.png")
    if result.diff is not None:
        visual.save_png(result.diff, FAILURES / f"{stem}-diff.png")
    return (f"{stem} differs from its baseline: {result.describe()}. Expected, actual and diff "
            f"(differing pixels red) are in {FAILURES}/{stem}-*.png. If the change is meant, "
            f"refresh the baselines with: {REFRESH}")


# --- the comparison itself, on images built here ------------------------------------------------

def _panels(shift: int = 0, colour=(68, 1, 84)) -> Image.Image:
    """A 200×100 white image with two 40×40 blocks (like two heatmap cells), the second one
    `shift` px to the right and of `colour`."""
    a = np.full((100, 200, 3), 255, np.uint8)
    a[30:70, 20:60] = (33, 145, 140)
    a[30:70, 120 + shift:160 + shift] = colour
    return Image.fromarray(a)


def test_compare_black_from_white_is_luma_only():
    # YIQ's luma weights sum to 1 and its chroma weights to 0: black from white is 255 in Y
    # alone, i.e. sqrt(0.5053 · 255² / 35215) of the largest distance
    black, white = np.zeros((1, 1, 3)), np.full((1, 1, 3), 255.0)
    assert visual.pixel_distance(black, white)[0, 0] == pytest.approx(0.96594, abs=1e-4)


def test_compare_passes_equal_and_faintly_noisy_images():
    img = _panels()
    same = visual.compare(img, _panels())
    assert same.ok and same.differing == 0
    noise = np.random.default_rng(0).integers(-3, 4, size=(100, 200, 3))
    noisy = Image.fromarray(np.clip(np.asarray(img, int) + noise, 0, 255).astype(np.uint8))
    faint = visual.compare(noisy, img)
    assert faint.ok and faint.differing == 0


def test_compare_fails_a_recoloured_block():
    # Viridis's darkest colour replaced by Cividis's: the whole 40×40 block differs
    result = visual.compare(_panels(colour=(0, 34, 78)), _panels())
    assert result.differing == 40 * 40
    assert result.fraction == pytest.approx(1600 / 20000)
    assert not result.ok
    assert (np.asarray(result.diff)[30:70, 120:160] == (255, 0, 0)).all()


def test_compare_fails_a_panel_moved_by_3_px():
    # 3 columns uncovered on the left, 3 covered on the right, 40 rows each
    result = visual.compare(_panels(shift=3), _panels())
    assert result.differing == 2 * 3 * 40
    assert not result.ok


def test_compare_fails_a_size_change():
    result = visual.compare(Image.new("RGB", (200, 101), "white"), _panels())
    assert not result.same_size and not result.ok
    assert "200×101" in result.describe() and "200×100" in result.describe()
