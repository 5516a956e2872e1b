"""Colour that survives (issue #16, point 4a): every text colour the app sets passes WCAG AA
contrast (4.5:1 for normal text, 3:1 for large) on the light theme and in presentation mode.

- The numbers (and characters) in heatmap cells: each cell's text colour against the colour its
  cell is filled with, over the whole value range of every colour scale, and on every figure
  every page sends. The fill is computed here the way plotly.js draws it (the trace's colour
  scale, reversed when `reversescale`, interpolated linearly in RGB at (z − zmin)/(zmax − zmin)).
- Every other text colour a figure sets (fonts, <span style="color:…"> in labels) against the
  figure's white background.
- The theme (.streamlit/config.toml) and our own CSS: text, links, the white text of the
  button-like links, and the focus ring (3:1, a non-text contrast).

WCAG 2.x relative luminance and contrast ratio are implemented here, not taken from the code
under test.
"""
from __future__ import annotations

import json
import re
import tomllib

import numpy as np
import pytest

from app_helpers import BACKPROP_5_7, ROOT, decode, no_exception, run_page, user_key
from ui import page as ui_page
from ui import plots, registry

NORMAL, LARGE, NON_TEXT = 4.5, 3.0, 3.0
NAMED = {"white": (255, 255, 255), "black": (0, 0, 0)}


# ---------------------------------------------------------------- WCAG 2.x

def rgb(colour: str) -> tuple[float, float, float]:
    """'#rrggbb', '#rgb', 'rgb(r, g, b)', 'rgba(r, g, b, a)' (over white) or white/black."""
    c = colour.strip().lower()
    if c in NAMED:
        return NAMED[c]
    if c.startswith("#"):
        h = c[1:]
        if len(h) == 3:
            h = "".join(ch * 2 for ch in h)
        return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))
    m = re.fullmatch(r"rgba?\(([^)]*)\)", c)
    assert m, f"unknown colour {colour!r}"
    parts = [float(p) for p in m.group(1).split(",")]
    a = parts[3] if len(parts) == 4 else 1.0
    return tuple(a * v + (1 - a) * 255 for v in parts[:3])


def luminance(colour) -> float:
    """WCAG 2.x relative luminance: sRGB channels linearised, weighted 0.2126/0.7152/0.0722."""
    r, g, b = (rgb(colour) if isinstance(colour, str) else colour)
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
           for v in (r / 255, g / 255, b / 255)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a, b) -> float:
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def test_the_contrast_formula_gives_the_known_ratios():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)    # the AA border
    assert contrast("#1d4ed8", "#ffffff") == pytest.approx(6.70, abs=0.01)


# ---------------------------------------------------------------- cells

SPAN = re.compile(r'<span style="color:(#[0-9a-fA-F]{6})">(.*)</span>', re.S)


def fill(trace: dict, value: float) -> tuple[float, float, float]:
    """The colour plotly.js fills a cell of value `value` with."""
    scale = trace["colorscale"]
    assert not isinstance(scale, str), (
        f"{trace.get('name')}: the colour scale is sent by name ({scale!r}); plotly.js resolves "
        "names to its own scales (its RdBu and Greys are not plotly.py's), so what is drawn is "
        "not the scale the app means")
    stops = [(float(p), rgb(c)) for p, c in scale]
    if trace.get("reversescale"):
        stops = [(1 - p, c) for p, c in reversed(stops)]
    lo, hi = float(trace["zmin"]), float(trace["zmax"])
    u = min(max((value - lo) / (hi - lo), 0.0), 1.0)
    for (p0, c0), (p1, c1) in zip(stops, stops[1:]):
        if p0 <= u <= p1:
            w = 0.0 if p1 == p0 else (u - p0) / (p1 - p0)
            return tuple(round(a + w * (b - a)) for a, b in zip(c0, c1))
    raise AssertionError(f"{u} outside the scale's stops")


def cell_failures(trace: dict, where: str) -> list[str]:
    """Cells whose text is below 4.5:1 against their fill (or left uncoloured)."""
    z = np.atleast_2d(decode(trace["z"]).astype(float))
    text = np.asarray(trace["text"], dtype=object).reshape(z.shape)
    out = []
    for (i, j), cell in np.ndenumerate(text):
        if cell in ("", None) or not np.isfinite(z[i, j]):
            continue
        m = SPAN.fullmatch(cell)
        if m is None:
            out.append(f"{where} [{i}, {j}] {cell!r}: no colour of its own (plotly's white or "
                       "#444 falls to 3.1:1 on mid-tone cells)")
            continue
        ratio = contrast(m.group(1), fill(trace, z[i, j]))
        if ratio < NORMAL:
            out.append(f"{where} [{i}, {j}] {m.group(2)!r} {m.group(1)} on "
                       f"rgb{fill(trace, z[i, j])}: {ratio:.2f}:1")
    return out


def test_plotlys_own_choice_of_cell_text_would_fall_short():
    """Why each cell carries its own colour: left alone, plotly.js writes white on a cell that
    contrasts more with white than with #444, else #444; on viridis' mid-tones that is < 4.5:1."""
    trace = dict(plots.SCALES["gate"])
    worst = min(max(contrast("#ffffff", fill(trace, v)), contrast("#444444", fill(trace, v)))
                for v in np.linspace(0, 1, 501))
    assert worst < NORMAL
    ours = min(max(contrast("#ffffff", fill(trace, v)), contrast("#000000", fill(trace, v)))
               for v in np.linspace(0, 1, 501))
    assert ours >= NORMAL


RANGES = {"gate": (0.0, 1.0), "tanh": (-1.0, 1.0), "signed": (-2.7, 2.7), "onehot": (0.0, 1.0)}


@pytest.mark.parametrize("present", (False, True), ids=("screen", "present"))
@pytest.mark.parametrize("kind", RANGES)
def test_numbers_in_cells_contrast_with_their_cell_over_the_whole_range(kind, present):
    lo, hi = RANGES[kind]
    values = np.linspace(lo, hi, 432)          # three 12×12 matrices, every 1/431 of the range
    failures, drawn = [], 0
    for k in range(3):
        z = values[k::3].reshape(12, 12)
        panel = plots.Panel(z, "m", x_labels=[f"c{j}" for j in range(12)], key="m", kind=kind)
        fig = plots.matrix_figure(panel, [f"r{i}" for i in range(12)], numbers=True,
                                  present=present).to_plotly_json()
        trace = next(t for t in fig["data"] if t.get("type") == "heatmap")
        assert trace.get("text") is not None, "numbers are not drawn in a 12×12 matrix"
        drawn += z.size
        failures += cell_failures(trace, f"{kind} matrix {k}")
    assert drawn == 432
    assert not failures, f"{len(failures)} cells below {NORMAL}:1:\n" + "\n".join(failures[:20])


@pytest.mark.parametrize("present", (False, True), ids=("screen", "present"))
def test_characters_of_a_character_grid_contrast_with_their_cell(present):
    text = "the quick brown fox jumps over the lazy dog " * 3
    probs = np.linspace(0.0, 1.0, len(text))
    fig = plots.char_grid(text, probs, per_row=20, value_name="probability", title="t")
    if present:
        fig = plots.projected(fig)
    trace = next(t for t in fig.to_plotly_json()["data"] if t.get("type") == "heatmap")
    failures = cell_failures(trace, "char_grid")
    assert not failures, "\n".join(failures[:20])


# ---------------------------------------------------------------- every page's figures

COLOUR_IN_TEXT = re.compile(r"color:\s*(#[0-9a-fA-F]{3,6}|rgba?\([^)]*\))")


def text_colours(node, path="") -> list[tuple[str, str]]:
    """(where, colour) of every text colour a figure spec sets outside heatmap cells: font
    colours (font, textfont, title font, …) and colours in the markup of any string."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "heatmap":          # cells: checked against their fill
            node = {k: v for k, v in node.items() if k not in ("text", "texttemplate")}
        # Streamlit's theme template (its defaults for every trace type, e.g. icicle's white
        # labels on their own fills) sets no colour of a text this app draws
        node = {k: v for k, v in node.items() if not (path.endswith("layout") and k == "template")}
        for k, v in node.items():
            here = f"{path}.{k}"
            if k == "color" and isinstance(v, str) and re.search(r"font$", path):
                found.append((here, v))
            elif k == "color" and isinstance(v, list) and re.search(r"font$", path):
                found += [(f"{here}[{i}]", c) for i, c in enumerate(v) if isinstance(c, str)]
            else:
                found += text_colours(v, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += text_colours(v, f"{path}[{i}]")
    elif isinstance(node, str):
        found += [(path, c) for c in COLOUR_IN_TEXT.findall(node)]
    return found


def background(spec: dict) -> str:
    layout = spec.get("layout", {})
    paper = layout.get("paper_bgcolor", "white")
    assert luminance(paper) == pytest.approx(1.0), f"paper background {paper} is not white"
    return paper


PAGES = [p.file for p in registry.PAGES]
QUERIES = {"defaults": {}, "present": {"present": "1"}}


@pytest.mark.parametrize("query", QUERIES, ids=str)
@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.split("/")[-1])
def test_every_text_colour_on_every_figure_a_page_sends(path, query):
    at = run_page(path, query=QUERIES[query])
    assert no_exception(at), at.exception
    failures = []
    for el in at.get("plotly_chart"):
        spec, key = json.loads(el.proto.spec), user_key(el)
        bg = background(spec)
        for trace in spec.get("data", []):
            if trace.get("type") == "heatmap" and trace.get("text") is not None:
                failures += cell_failures(trace, f"{key}/{trace.get('name')}")
        for where, colour in text_colours(spec):
            ratio = contrast(colour, bg)
            if ratio < NORMAL:
                failures.append(f"{key}{where}: {colour} on {bg}: {ratio:.2f}:1")
    assert not failures, f"{len(failures)} texts below {NORMAL}:1:\n" + "\n".join(failures[:20])


# ---------------------------------------------------------------- theme and our CSS

THEME = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]


@pytest.mark.parametrize("bg", ("backgroundColor", "secondaryBackgroundColor"))
@pytest.mark.parametrize("fg", ("textColor", "linkColor"))
def test_theme_text_and_links_on_both_backgrounds(fg, bg):
    assert contrast(THEME[fg], THEME[bg]) >= NORMAL, (fg, THEME[fg], bg, THEME[bg])


def test_white_text_of_the_button_like_links():
    """"Start here" and "Next" are white text on a blue fill (and a darker one on hover)."""
    fills = re.findall(r"background:\s*(#[0-9a-fA-F]{6})", ui_page.PATH_CSS)
    assert fills, "no fill found in PATH_CSS"
    assert "color: #ffffff" in ui_page.PATH_CSS
    for colour in fills:
        assert contrast("#ffffff", colour) >= NORMAL, colour


def test_focus_ring_stands_out_from_both_backgrounds():
    rings = set(re.findall(r"outline:\s*3px solid (#[0-9a-fA-F]{6})", ui_page.FOCUS_CSS))
    assert rings, "FOCUS_CSS draws no ring"
    for ring in rings:
        for bg in ("backgroundColor", "secondaryBackgroundColor"):
            assert contrast(ring, THEME[bg]) >= NON_TEXT, (ring, THEME[bg])


# ---------------------------------------------------------------- nothing told by colour alone

def _transparent(colour) -> bool:
    return colour is None or bool(re.fullmatch(r"rgba\([^)]*,\s*0(\.0*)?\)", str(colour)))


def colour_only_marks(spec: dict, key: str) -> list[str]:
    """What a figure tells by colour alone: a tinted shape without an outline of its own (a
    tint is a colour; an outline is a shape), or two line series of one chart that differ
    in nothing but their colour (same dash, marker symbol, width and mode)."""
    out = []
    for k, s in enumerate(spec.get("layout", {}).get("shapes", [])):
        line = s.get("line") or {}
        if not _transparent(s.get("fillcolor")) and s.get("fillcolor") != "white" \
                and float(line.get("width", 2)) < 1.5:
            out.append(f"{key} shape {k}: a {s.get('fillcolor')} tint without an outline")
    looks = {}
    for t in spec.get("data", []):
        if t.get("type") != "scatter" or "lines" not in (t.get("mode") or "lines") \
                or t.get("hoverinfo") == "skip" or not t.get("name"):
            continue
        line, marker = t.get("line") or {}, t.get("marker") or {}
        look = (line.get("dash", "solid"), line.get("width", 2), t.get("mode"),
                marker.get("symbol", "circle"), t.get("opacity", 1))
        looks.setdefault(look, []).append(t["name"])
    out += [f"{key}: {', '.join(names)} differ by colour alone"
            for names in looks.values() if len(names) > 1]
    return out


COLOUR_MARKED = ("whatif", "conventions", "backprop", "inspector", "cell", "data", "gates",
                 "explorer", "training")


@pytest.mark.parametrize("page_key, state", [(k, {}) for k in COLOUR_MARKED]
                         + [("backprop", BACKPROP_5_7)],
                         ids=list(COLOUR_MARKED) + ["backprop-5-7"])
def test_nothing_is_told_by_colour_alone(page_key, state):
    at = run_page(registry.get(page_key).file, state=state)
    assert no_exception(at), at.exception
    failures = []
    for el in at.get("plotly_chart"):
        failures += colour_only_marks(json.loads(el.proto.spec), user_key(el))
    for m in at.metric:                    # a change is said with its sign, not only its colour
        delta = m.proto.delta
        if delta:
            assert re.match(r"[+\-−]\d|[+\-−]?0\.0+$", delta), (m.label, delta)
    assert not failures, "\n".join(failures)
