"""Screenshot comparison for tests/e2e/test_visual.py: an element's screenshot against a baseline
PNG kept in tests/e2e/baselines/, with a small tolerance, the way Streamlit's own e2e suite
compares its snapshots (per-pixel threshold, then a maximum share of differing pixels).

A pixel differs when its colour distance exceeds PIXEL_THRESHOLD: the distance is pixelmatch's
perceptual one (the squared difference in the YIQ colour space, weighted 0.5053 / 0.299 /
0.1957, Kotsarenko & Ramos 2010), taken as a share of its largest possible value (35215, between
two saturated colours; black from white is 0.966), so 0.05 means what it does in Streamlit's
suite. An image fails when more than MAX_DIFF_FRACTION of its pixels differ (Streamlit's suite:
0.002), or when its size differs.

Fonts: the baselines are drawn with Liberation Sans (the charts' `Arial`, by fontconfig's metric
alias; Debian's fonts-liberation; Inter, first in ui/plots.py's FONT, is not installed on CI and
would fail the font check where it is) and DejaVu Sans (fontconfig's fallback for the glyphs Liberation
lacks, e.g. ⊙ and ␣; fonts-dejavu-core). `platform_fonts` reads the fonts Chromium actually used
for an element's text, so a machine that draws with other fonts is told so instead of failing
on pixels.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

PIXEL_THRESHOLD = 0.05
MAX_DIFF_FRACTION = 0.002
BASELINE_FONTS = frozenset({"Liberation Sans", "DejaVu Sans"})
UPDATE_ENV = "GML_UPDATE_BASELINES"

# Hidden for a screenshot: Streamlit's header (its running indicator and toolbar; sticky, so it
# can cover the top of a scrolled-to element), the hover toolbar of an element, and the caret.
STABLE_CSS = """
[data-testid='stHeader'], [data-testid='stStatusWidget'], [data-testid='stToolbar'],
[data-testid='stDecoration'], [data-testid='stElementToolbar'] { visibility: hidden !important; }
* { caret-color: transparent !important; }
"""

# YIQ weights of a pixel's (r, g, b) and the distance's weights, as in pixelmatch.
_YIQ = np.array([[0.29889531, 0.58662247, 0.11448223],
                 [0.59597799, -0.27417610, -0.32180189],
                 [0.21147017, -0.52261711, 0.31114694]])
_WEIGHTS = np.array([0.5053, 0.299, 0.1957])
_MAX_DELTA = 35215.0            # the largest squared distance of two colours


def updating() -> bool:
    """GML_UPDATE_BASELINES=1: write the screenshots as the new baselines."""
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def rgb(img: Image.Image) -> np.ndarray:
    """The image as an (h, w, 3) float array, transparency laid on white."""
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    return np.asarray(img.convert("RGB"), dtype=np.float64)


def pixel_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pixel, the perceptual colour distance of a from b as a share of the largest one,
    on the same scale as pixelmatch's threshold (0: equal colours)."""
    d = (a - b) @ _YIQ.T
    return np.sqrt((d * d) @ _WEIGHTS / _MAX_DELTA)


@dataclass
class Comparison:
    """How an actual screenshot compares with its baseline."""
    fraction: float              # share of differing pixels (1.0 when the sizes differ)
    differing: int               # number of differing pixels
    size_actual: tuple[int, int]
    size_expected: tuple[int, int]
    diff: Image.Image | None     # differing pixels red on the faded baseline (None: sizes differ)

    @property
    def same_size(self) -> bool:
        return self.size_actual == self.size_expected

    @property
    def ok(self) -> bool:
        return self.same_size and self.fraction <= MAX_DIFF_FRACTION

    def describe(self) -> str:
        if not self.same_size:
            return f"size {self.size_actual[0]}×{self.size_actual[1]} px, baseline " \
                   f"{self.size_expected[0]}×{self.size_expected[1]} px"
        return (f"{self.differing} pixels differ ({self.fraction:.3%} of the image; allowed "
                f"{MAX_DIFF_FRACTION:.1%} at a per-pixel threshold of {PIXEL_THRESHOLD})")


def compare(actual: Image.Image, expected: Image.Image,
            threshold: float = PIXEL_THRESHOLD) -> Comparison:
    """Compare two images pixel by pixel (see the module docstring)."""
    a, e = rgb(actual), rgb(expected)
    if a.shape != e.shape:
        return Comparison(1.0, max(a.shape[0] * a.shape[1], e.shape[0] * e.shape[1]),
                          actual.size, expected.size, None)
    differs = pixel_distance(a, e) > threshold
    n = int(differs.sum())
    faded = 255 - (255 - e.mean(axis=2, keepdims=True)) * 0.25      # the baseline, light grey
    diff = np.repeat(faded, 3, axis=2)
    diff[differs] = (255, 0, 0)
    return Comparison(n / differs.size, n, actual.size, expected.size,
                      Image.fromarray(diff.astype(np.uint8)))


def save_png(img: Image.Image, path: Path) -> None:
    """Write a lossless PNG, as small as Pillow makes it (RGB, no alpha; optimised)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img.convert("RGB").save(path, format="PNG", optimize=True)


# Fonts Chromium drew an element's SVG text with (DevTools protocol), {family: glyphs}.
def platform_fonts(context, page, selector: str) -> dict[str, int]:
    cdp = context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
        used: dict[str, int] = {}
        for node in nodes:
            for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
                used[f["familyName"]] = used.get(f["familyName"], 0) + f["glyphCount"]
        return used
    finally:
        cdp.detach()
