"""Colour that survives (issue #16, point 4b): the diverging and the sequential scale stay
distinguishable under deuteranopia and protanopia, judged on screenshots of what the browser
draws, not on the palettes' names.

The Gates page at H = 16 draws its rows of matrices with colour bars: a signed one (U_z, the
diverging scale) and a gate one (z_t, the sequential scale). Each colour bar's gradient is
photographed and read from bottom (zmin) to top (zmax); every sample is then seen three ways:
as is, and through Machado, Oliveira & Fernandes (2009)'s simulation of protanopia and of
deuteranopia at severity 1.0 (their matrices, applied to linear RGB). In CIELAB (D65):

- diverging: its two ends and its middle stay apart by ΔE*ab (CIE76) >= MIN_DELTA_E, and the
  lightness rises from each end to the middle (the sign is told by hue, the size by lightness);
- sequential: its ends stay apart by >= 2·MIN_DELTA_E and its lightness rises monotonically
  from zmin to zmax, so a larger number is a lighter cell for every viewer.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from .helpers import assert_no_exception, goto_app, wait_for_charts

LOAD_TIMEOUT = 60_000
MIN_DELTA_E = 20.0      # CIE76; about 9 just-noticeable differences (JND ~ 2.3)
SAMPLES = 41            # points read along a colour bar
LIGHTNESS_SLACK = 0.5   # L* may dip this much between neighbouring samples (anti-aliasing)

# Machado, Oliveira & Fernandes 2009, "A Physiologically-based Model for Simulation of Color
# Vision Deficiency", severity 1.0 (linear RGB).
MACHADO = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
}
VISIONS = ("normal", "protanopia", "deuteranopia")
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
D65 = np.array([0.95047, 1.0, 1.08883])


def linear(srgb: np.ndarray) -> np.ndarray:
    c = np.asarray(srgb, dtype=float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def seen(srgb: np.ndarray, vision: str) -> np.ndarray:
    """Linear RGB of the colours as a viewer with `vision` sees them (clipped to the gamut)."""
    lin = linear(srgb)
    return lin if vision == "normal" else np.clip(lin @ MACHADO[vision].T, 0, 1)


def lab(lin: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of linear-RGB colours."""
    xyz = (lin @ SRGB_TO_XYZ.T) / D65
    d = 6 / 29
    f = np.where(xyz > d ** 3, np.cbrt(xyz), xyz / (3 * d * d) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def delta_e(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


def test_the_simulation_matches_known_values():
    """Pure red as a protanope and a deuteranope see it (Machado's matrices in linear RGB), and
    the Lab of white and of black."""
    red = np.array([255, 0, 0])
    np.testing.assert_allclose(seen(red, "protanopia"), [0.152286, 0.114503, 0], atol=1e-6)
    np.testing.assert_allclose(seen(red, "deuteranopia"), [0.367322, 0.280085, 0], atol=1e-6)
    np.testing.assert_allclose(lab(linear(np.array([255, 255, 255]))), [100, 0, 0], atol=0.05)
    np.testing.assert_allclose(lab(linear(np.array([0, 0, 0]))), [0, 0, 0], atol=1e-9)


# The gradient of colour bar number `i` of the chart keyed `key`, with its trace's zmin and
# zmax, scrolled to the middle of the window (clear of the stepper pinned at the top); null
# when there is no such bar.
BAR_JS = """([key, i]) => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const bar = gd && gd.querySelectorAll('.colorbar')[i];
  if (!bar) return null;
  const trace = gd._fullData.find(t => bar.classList.contains('cb' + t.uid));
  const fill = bar.querySelector('.cbfill');
  fill.scrollIntoView({block: 'center'});
  const r = fill.getBoundingClientRect();
  return {name: trace.name, zmin: trace.zmin, zmax: trace.zmax,
          x: r.left, y: r.top, width: r.width, height: r.height};
}"""


def read_bar(page, bar: dict) -> np.ndarray:
    """SAMPLES sRGB colours along the bar's middle, from its bottom (zmin) to its top (zmax)."""
    clip = {k: bar[k] for k in ("x", "y", "width", "height")}
    img = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB"), float)
    h, w = img.shape[:2]
    middle = img[:, w // 4: 3 * w // 4 + 1].mean(axis=1)            # one colour per pixel row
    rows = np.linspace(h - 3, 2, SAMPLES).round().astype(int)        # 2 px in from the edges
    return middle[rows]


@pytest.fixture(scope="module")
def bars(app_server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        goto_app(page, f"{app_server}/Gates_z_and_r?hidden_size=16", timeout=LOAD_TIMEOUT)
        wait_for_charts(page, timeout=LOAD_TIMEOUT)
        assert_no_exception(page)
        by_kind = {}
        for i in range(4):
            bar = page.evaluate(BAR_JS, ["row_W_z", i])
            if bar is None:
                break
            page.wait_for_timeout(300)
            kind = "diverging" if bar["zmin"] < 0 < bar["zmax"] else "sequential"
            by_kind[kind] = (bar["name"], read_bar(page, bar))
        yield by_kind
    finally:
        context.close()


@pytest.mark.parametrize("vision", VISIONS)
def test_diverging_scale_keeps_its_ends_and_middle_apart(bars, vision):
    assert "diverging" in bars, f"no diverging colour bar on the Gates page: {list(bars)}"
    name, colours = bars["diverging"]
    L = lab(seen(colours, vision))
    low, mid, high = L[0], L[SAMPLES // 2], L[-1]
    gaps = {"low-mid": delta_e(low, mid), "mid-high": delta_e(mid, high),
            "low-high": delta_e(low, high)}
    assert min(gaps.values()) >= MIN_DELTA_E, (
        f"{name} ({vision}): ΔE {', '.join(f'{k} {v:.1f}' for k, v in gaps.items())}")
    lightness = L[:, 0]
    half = SAMPLES // 2
    rising = np.diff(lightness[:half + 1])          # from the low end up to the middle
    falling = np.diff(lightness[half:])             # from the middle down to the high end
    assert rising.min() >= -LIGHTNESS_SLACK and falling.max() <= LIGHTNESS_SLACK, (
        f"{name} ({vision}): L* along the bar {np.round(lightness, 1).tolist()}")


@pytest.mark.parametrize("vision", VISIONS)
def test_sequential_scale_grows_lighter_from_end_to_end(bars, vision):
    assert "sequential" in bars, f"no sequential colour bar on the Gates page: {list(bars)}"
    name, colours = bars["sequential"]
    L = lab(seen(colours, vision))
    assert delta_e(L[0], L[-1]) >= 2 * MIN_DELTA_E, (
        f"{name} ({vision}): ends ΔE {delta_e(L[0], L[-1]):.1f}")
    steps = np.diff(L[:, 0])
    assert steps.min() >= -LIGHTNESS_SLACK, (
        f"{name} ({vision}): L* along the bar {np.round(L[:, 0], 1).tolist()}")
    assert L[-1, 0] - L[0, 0] >= 2 * MIN_DELTA_E
