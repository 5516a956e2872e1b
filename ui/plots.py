"""The one way to draw a matrix (and the few line charts), used by every page.

Colour ranges are fixed by meaning, so the same colour means the same number on every page:
    "gate"   σ outputs and probabilities, 0..1, sequential (viridis, colour-blind safe)
    "tanh"   h, h~ and other values in -1..1, diverging (ColorBrewer RdBu, colour-blind safe)
    "signed" weights, pre-activations, gradients: symmetric about 0 (RdBu, range ±max|value|)
    "onehot" one-hot inputs and targets, 0..1 greys
Layout is decided here too, from the sizes: whether numbers fit in the cells, how many matrices
go to a line, how far row labels are cut, and the "(rows×columns)" after each title (from the
array). Pages say what to draw (Panel, Line); every matrix goes through one builder (`_build`),
so colour, fit, margins and fonts come from one place.
User text only ever reaches a figure as tick labels, and every tick label is HTML-escaped here
(plotly reads <b>, <br>, &amp; ... in labels as markup). Titles are the pages' own text.
"""
from __future__ import annotations

import dataclasses
import html
import math
import re
import unicodedata
from dataclasses import KW_ONLY, dataclass
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go

# The scales as explicit stops, as plotly.py defines them (viridis; ColorBrewer's RdBu, reversed
# below so that negative is blue and positive red; ColorBrewer's Greys, white 0 to black 1).
# Figures are built without plotly.py's validation, so a scale's name would reach plotly.js,
# whose "RdBu" is another scale (positive blue, negative tan, a grey middle) and whose "Greys"
# runs from black to white: the pages' "red positive" and "the 1 is black" would be false.
VIRIDIS = [list(s) for s in pc.get_colorscale("Viridis")]
RDBU = [list(s) for s in pc.get_colorscale("RdBu")]
GREYS = [list(s) for s in pc.get_colorscale("Greys")]
SCALES = {
    "gate": dict(colorscale=VIRIDIS, zmin=0.0, zmax=1.0),
    "tanh": dict(colorscale=RDBU, reversescale=True, zmin=-1.0, zmax=1.0),
    "signed": dict(colorscale=RDBU, reversescale=True),
    "onehot": dict(colorscale=GREYS, zmin=0.0, zmax=1.0),
}
MAX_GAP_COLS, MAX_GAP_ROWS = 120, 64   # cells of matrices up to this size drawn apart
MAX_TEXT_CELLS = 144            # numbers are printed in cells only for matrices this small
FONT = dict(family="Inter, Arial, sans-serif", size=14)
# Figures carry no Plotly template and are drawn without Streamlit's chart theme (see `sent`):
# what those gave is set here. Labels and numbers in dark grey (9.7:1 on white; the theme's
# grey was 3.7:1), titles as the page's headings: its font, bold, in its text colour; 8 px
# between the cells and their labels.
INK = "#444444"
TITLE_FONT = dict(family='"Source Sans", sans-serif', color="#111827", weight="bold")
HOVER = dict(bgcolor="white", bordercolor="#6b7280", font=dict(color="#111827"))
VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥", "\r": "␍"}
# The one palette of the line charts (blue, red, amber, green, violet, teal: distinct for the
# common forms of colour blindness in the first four, which is as many as a chart here draws).
PALETTE = ("#1d4ed8", "#b91c1c", "#d97706", "#047857", "#7c3aed", "#0f766e")
PICKED = "#ff00ff"       # the outline of a picked cell and its operands
# Text on a coloured cell: black or white, whichever contrasts more with the cell's fill (WCAG
# relative luminance); the better of the two is never below 4.58:1. Left to itself plotly
# writes white or #444, which falls to 3.1:1 on mid-tone cells.
CELL_INK = ("#000000", "#ffffff")

# Fit. A line of the page's width holds LINE_CHARS characters of cell text: twenty numbers such
# as "-0.1234" with a space each (five B×4 matrices, the Gates page's equation at H = 4), or
# eighty one-hot "0"/"1". A panel drawn in a share of the page (st.columns) has that share.
LINE_CHARS = 160
TITLE_CHARS = 1.5              # a title's character (bold, 15 px) in characters of cell text
PER_LINE = 5                   # most matrices to a line (an equation: three terms, sum, σ of it)


@dataclass(frozen=True)
class Sizes:
    """Fonts (px) and the page's room, for the screen or for a projector (presentation mode).

    line_px: the width a full-page line of numbers may take, which the fit of numbers assumes
    (LINE_CHARS characters at 13 px on the screen; a 1920 px projector with the sidebar
    collapsed); page_px: the width of a full-page figure the labels are fitted to, the
    narrowest it is drawn at (a 1280 px window with the sidebar open; presentation mode in a
    1280 px window, the sidebar collapsed, as a 1280×800 projector shows it: labels thinned
    for it stay apart on a 1920 px one); cells: a cell's least height for 1-8, 9-24 and more
    rows (bigger numbers need taller cells)."""
    cell: int = 13                 # numbers in the cells
    title: int = 15                # panel titles (bold)
    tick: int = 14                 # column and row labels
    inner_tick: int = 12           # row labels between panels
    fig_title: int = 16            # a figure's own title (one matrix alone)
    op: int = 20                   # "+", "=", "σ" between panels
    op_word: int = 11              # "tanh" between panels
    line_px: int = round(LINE_CHARS * 0.6 * 13)    # 0.6 em a character of cell text
    page_px: int = 820
    band: int = 62                 # px above a line's cells: panel titles and column labels
    shift: int = 30                # px from the top of a line's cells up to its panels' titles
    cells: tuple = (34, 22, 14)
    row_label_px: int = 240        # widest row label (at most a quarter of the figure)


NORMAL = Sizes()
PRESENT = Sizes(cell=20, title=22, tick=18, inner_tick=18, fig_title=24, op=28, op_word=18,
                line_px=1700, page_px=1100, band=84, shift=42, cells=(40, 28, 20),
                row_label_px=300)


def sizes(present: bool = False) -> Sizes:
    return PRESENT if present else NORMAL


def line_chars(present: bool = False) -> float:
    """Characters of cell text a full-page line holds (LINE_CHARS on the screen)."""
    z = sizes(present)
    return z.line_px / (0.6 * z.cell)

# row labels shared by a line of n matrices are cut to ROW_LABEL_CHARS[n] characters (9 for
# five and more), so that long texts leave room for the matrices
ROW_LABEL_CHARS = {2: 16, 3: 12, 4: 10}


def label(text: str) -> str:
    """Characters made visible: whitespace as ␣ ⏎ ⇥, other invisible ones as U+XXXX."""
    return "".join(VISIBLE.get(c) or (c if c.isprintable() else f"U+{ord(c):04X}") for c in text)


def _ticks(labels) -> list[str]:
    return [html.escape(str(s), quote=False) for s in labels]


def hidden_labels(H: int) -> list[str]:
    return [f"h{j + 1}" for j in range(H)]


def _cut(labels, width: int | None) -> list[str]:
    labels = [str(s) for s in labels]
    if width is None:
        return labels
    return [s if len(s) <= width else s[:width - 1] + "…" for s in labels]


def row_labels(texts, width: int | None = None) -> list[str]:
    """Batch rows labelled with their characters, numbered from 1 (as the tutorial counts) so
    equal texts stay distinct; with a width, each label cut to that many characters
    ("3: The q…")."""
    return _cut([f"{i}: {label(t)}" for i, t in enumerate(texts, start=1)], width)


def char_labels(chars) -> list[str]:
    return [label(c) for c in chars]


def _layout(title: str, height: int, *, top: int = 44, title_above_ticks: bool = False,
            present: bool = False, **rest) -> dict:
    """The frame every figure shares: title at the left, narrow margins, the project's font on
    white (larger in presentation mode). title_above_ticks pins the title to the top of the
    figure, for column ticks on top."""
    z = sizes(present)
    title_dict = dict(text=title, font=dict(TITLE_FONT, size=z.fig_title), x=0, xanchor="left")
    if title_above_ticks:
        title_dict.update(y=1, yanchor="top", yref="container", pad=dict(t=6))
    return dict(title=title_dict, height=height, margin=dict(l=10, r=10, t=top, b=10, pad=8),
                font=dict(FONT, size=z.tick, color=INK), plot_bgcolor="white",
                hoverlabel=HOVER, **rest)


def _number(v: float) -> str:
    """Four decimals, so that the numbers of a matrix line up ("0.1790" beside "0.5943"); whole
    numbers (one-hot cells, counts) as such; never "-0" or "-0.0000"."""
    if v != v:
        return ""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    s = f"{v:.4f}"
    return s[1:] if s == "-0.0000" else s


def _cell_text(values: np.ndarray) -> list[list[str]]:
    return [[_number(v) for v in row] for row in values.tolist()]


def _label_px(text: str, size: int = FONT["size"]) -> float:
    """Width in pixels of a tick label, estimated generously (wide East Asian characters and
    emoji count a full em, capitals 0.72 em, everything else 0.6 em)."""
    def em(c):
        if unicodedata.east_asian_width(c) in "WF":
            return 1.0
        return 0.72 if c.isupper() or c in "mw@%" else 0.6
    return size * sum(em(c) for c in html.unescape(text))


def _left_margin(y_ticks, y_title: str, size: int = FONT["size"]) -> int:
    """The room left of the plot for the row labels and the y title. Computed here rather than
    by plotly's automargin, which draws the figure twice (measure, then redraw): with a dozen
    charts on a page that second pass is most of the browser's redraw time."""
    widest = max((_label_px(t, size) for t in y_ticks if t), default=0.0)
    return int(24 + widest + (26 if y_title else 0))


def _fit_px(label: str, px: float, size: int) -> str:
    """The label cut ("3: The q…") to at most px pixels at this font size."""
    if _label_px(html.escape(label, quote=False), size) <= px:
        return label
    while len(label) > 1 and _label_px(html.escape(label, quote=False) + "…", size) > px:
        label = label[:-1]
    return label + "…"


def _every(n: int, room_px: float, widest_px: float) -> int:
    """Show every k-th of n labels spaced room_px apart, so that shown ones never overlap."""
    if n <= 1 or room_px <= 0:
        return 1
    return max(1, math.ceil((widest_px + 6) / room_px))


def _signed_range(*arrays) -> dict:
    """zmin/zmax symmetric about 0 over the given arrays (±1 when they are all zero)."""
    m = max((float(np.nanmax(np.abs(a))) for a in arrays if a.size), default=0.0)
    return dict(zmin=-m, zmax=m) if m > 0 else dict(zmin=-1.0, zmax=1.0)


# ---------------------------------------------------------------- what the pages say

@dataclass(frozen=True, eq=False)
class Panel:
    """One matrix: its values and title, then keywords. The title is shown with the array's
    shape after it ("x_t W_z" + a 2×3 array: "x_t W_z  (2×3)"; a vector of S: "(S,)"; an
    (S, B, V) array is drawn as S·B rows: "(S·B×V)"), then `note` ("W_z  (4×2): row 1 is
    read"); shape=False leaves the shape out (a difference beside its two operands).

    key names its trace and its title (a test finds the matrix inside a figure by it);
    y_labels: its own rows when it does not share its line's (a weight matrix); shared_scale:
    False when a signed matrix keeps its own colour range (it then has no colour bar, so its
    range is added to the title when the cells carry no numbers). positions: columns at these
    x values with x_labels as their ticks (the characters of a text); cell_text: text in the
    cells instead of numbers; hover, customdata: the trace's own, when not the standard ones."""
    values: Any
    title: str
    _: KW_ONLY
    x_labels: Sequence | None
    key: str
    kind: str = "signed"
    x_title: str = "unit"
    y_labels: Sequence | None = None
    y_title: str = ""
    note: str = ""
    shape: bool = True
    highlight_rows: tuple = ()
    highlight_cols: tuple = ()
    highlight_cells: tuple = ()
    shared_scale: bool = True
    positions: Sequence | None = None
    cell_text: Any = None
    hover: str | None = None
    customdata: Any = None

    @cached_property
    def z(self) -> np.ndarray:
        """The values as the 2-D float matrix drawn: a vector as a column, leading axes as rows."""
        v = np.asarray(self.values, dtype=float)
        if v.ndim < 2:
            return v.reshape(-1, 1)
        return v.reshape(-1, v.shape[-1])

    @property
    def shape_text(self) -> str:
        s = np.shape(self.values)
        if len(s) == 1:
            return f"({s[0]},)"
        if len(s) == 0:
            return "(1×1)"
        return "(" + "·".join(map(str, s[:-1])) + f"×{s[-1]})"

    @property
    def full_title(self) -> str:
        return self.title + (f"  {self.shape_text}" if self.shape else "") + self.note


@dataclass(frozen=True, eq=False)
class Line:
    """One line of a figure: panels side by side (None keeps a panel's place empty), the rows
    they share (unless each panel has its own), the symbols between them, and the one before
    them when the line continues an equation."""
    panels: list
    _: KW_ONLY
    y_labels: Sequence | None = None
    y_title: str = ""
    ops: tuple = ()
    lead: str = ""          # the symbol before the first panel (carried over a wrap)


# ---------------------------------------------------------------- fit, from the sizes

def _cell_chars(kind: str) -> int:
    """Characters a cell's number takes, with its space: "0"/"1" in one-hot cells, "-0.1234"."""
    return 2 if kind == "onehot" else 8


def _columns(places) -> list[float]:
    """Each place's share of a line, in columns: an empty place as wide as the average panel, a
    B×1 panel still room for its title (a fifth of the line)."""
    real = [p for p in places if p is not None]
    cols = [p.z.shape[1] if p is not None else sum(q.z.shape[1] for q in real) / len(real)
            for p in places]
    return [max(c, sum(cols) / 5) for c in cols]


def _need(places, titles: bool) -> float:
    """The characters of cell text a line of these panels needs (None: an empty place); with
    titles, each place at least as wide as its title (bold 15 px: TITLE_CHARS a character)."""
    need = 0.0
    for c, p in zip(_columns(places), places):
        cells = c * (_cell_chars(p.kind) if p is not None else 8)
        title = TITLE_CHARS * len(p.full_title) + 2 if titles and p is not None else 0
        need += max(cells, title)
    return need


def numbers_fit(places, width: float = 1.0, present: bool = False) -> bool:
    """Whether a line of these panels (None: an empty place), drawn in `width` of the page,
    has room for a number in every cell (presentation: bigger numbers, fewer to a line)."""
    return _need(places, titles=False) <= line_chars(present) * width


def per_line(panels, width: float = 1.0, present: bool = False) -> int:
    """How many panels go to a line: the most (up to PER_LINE) for which every line has room
    for its titles and the numbers in its cells; at least two, side by side, when even two are
    too wide for numbers."""
    n = len(panels)
    for k in range(min(n, PER_LINE), 2, -1):
        if all(_need(panels[i:i + k], titles=True) <= line_chars(present) * width
               for i in range(0, n, k)):
            return k
    return min(n, 2)


def lines_of(panels: list[Panel], y_labels=None, y_title: str = "", *, ops=(),
             width: float = 1.0, per: int | None = None, present: bool = False) -> list[Line]:
    """Panels cut into lines of `per_line(panels)` (or `per`), the symbols between them kept
    with them: the one between two lines starts the next line (Line.lead), so a wrapped
    equation keeps its "+" and "σ"; the last line keeps the columns of the others (empty places
    after its panels)."""
    k = per or per_line(panels, width, present)
    out = []
    for i in range(0, len(panels), k):
        group = panels[i:i + k]
        group += [None] * (k - len(group)) if i else []
        lead = ops[i - 1] if 0 < i <= len(ops) else ""
        out.append(Line(group, y_labels=y_labels, y_title=y_title, ops=tuple(ops[i:i + k - 1]),
                        lead=lead))
    return out


def _refit(lines: list[Line], width: float, present: bool) -> list[Line]:
    """Lines cut for the screen, cut again where they hold more panels than fit (`per_line`)
    at these sizes: a projector's larger numbers need more room, so an equation wraps sooner."""
    out = []
    for line in lines:
        panels = list(line.panels)
        while panels and panels[-1] is None:
            panels.pop()
        if None in panels or len(panels) <= 2 or per_line(panels, width, present) >= len(panels):
            out.append(line)
            continue
        again = lines_of(panels, line.y_labels, line.y_title, ops=line.ops, width=width,
                         present=present)
        out += [dataclasses.replace(again[0], lead=line.lead), *again[1:]]
    return out


def _row_label_chars(lines: list[Line], width: float = 1.0) -> int | None:
    """How far shared row labels are cut: by the most panels a line with shared rows holds,
    counted in full-page widths (one panel in half the page is cut as two would be)."""
    n = max((len(line.panels) for line in lines if line.y_labels is not None
             and any(p is not None and p.y_labels is None for p in line.panels)), default=1)
    n = math.ceil(n / width - 1e-9)
    return None if n <= 1 else ROW_LABEL_CHARS.get(n, 9)


# ---------------------------------------------------------------- the one heatmap builder

PANEL_GAP = 0.045                  # between panels, as a fraction of the plot width
LINE_BAND = 62                     # px above a line's cells: panel titles and column labels
LINE_SPACE = 16                    # px between a line's cells and the next line's titles
NARROW_PLOT_PX = 700               # the gaps for row labels between panels fit a plot this wide


def _height(rows: int, present: bool = False) -> int:
    """A heatmap's height in px for this many rows (taller cells for a projector's numbers)."""
    few, some, many = sizes(present).cells
    cell = few if rows <= 8 else some if rows <= 24 else many
    return min(1100 if present else 900, 130 + cell * rows)


def _gap(ticks, present: bool = False, plot_px: float | None = None) -> float:
    """The gap left of a panel with its own row labels: room for the widest label in a plot
    area plot_px wide (by default NARROW_PLOT_PX, scaled for a projector)."""
    z = sizes(present)
    plot_px = plot_px or NARROW_PLOT_PX * z.line_px / NORMAL.line_px
    return max(PANEL_GAP, (16 + max((_label_px(t, z.inner_tick) for t in ticks), default=0))
               / plot_px)


def _line_ticks(line: Line, cut: int | None, budget: float, sz: Sizes) -> list:
    """Each place's row labels (None for an empty place): the line's, or the panel's own."""
    real = [p for p in line.panels if p is not None]
    return [None if p is None else
            _row_ticks(line.y_labels, cut, budget, sz.tick) if p.y_labels is None else
            _row_ticks(p.y_labels, None, budget, sz.inner_tick if p is not real[0] else sz.tick)
            for p in line.panels]


def _row_ticks(labels, cut: int | None, budget_px: float, size: int) -> list[str]:
    """Row labels cut to `cut` characters and to budget_px pixels, HTML-escaped."""
    return _ticks(_fit_px(s, budget_px, size) for s in _cut(labels, cut))


def _thin(ticks, room_px: float, widest_px: float) -> dict:
    """Axis settings showing every k-th tick label, when labels room_px apart would overlap."""
    k = _every(len(ticks), room_px, widest_px)
    if k == 1:
        return {}
    shown = list(ticks)[::k]
    return dict(tickmode="array", tickvals=shown, ticktext=shown)


def _trace(p: Panel, z: np.ndarray, y_ticks, *, y_title: str, numbers: bool,
           scale: dict | None, cell_font: int = NORMAL.cell) -> dict:
    """The heatmap trace every matrix is drawn with: colours fixed by `kind` (or `scale`), exact
    value on hover, numbers in the cells when `numbers` (the colour bar is then left out: it
    would repeat them, and each colour bar costs the browser about as much as another small
    chart); or the panel's own cell text."""
    if p.positions is None:
        x = _ticks(p.x_labels)
    else:
        x = [int(v) for v in p.positions]
    hover = p.hover or (f"{y_title or 'row'} %{{y}}<br>{p.x_title or 'column'} %{{x}}"
                        "<br>value %{z:.10g}<extra></extra>")
    # white lines between the cells while the cells are large enough to show them: the Loss
    # page's S·B rows are a few px each, and with any gap plotly fills every cell on its own
    # (without gaps it draws the matrix as one image)
    gap = 1 if z.shape[0] <= MAX_GAP_ROWS and z.shape[1] <= MAX_GAP_COLS else 0
    trace = dict(z=z, x=x, y=y_ticks, xgap=gap, ygap=gap,
                 hovertemplate=hover, colorbar=dict(thickness=12, len=0.9, outlinewidth=0),
                 **{**SCALES[p.kind],
                    **(scale or (_signed_range(z) if p.kind == "signed" else {}))})
    if p.customdata is not None:
        trace["customdata"] = p.customdata
    if p.cell_text is not None:
        trace.update(text=_inked(p.cell_text, z, trace), texttemplate="%{text}",
                     textfont=dict(size=cell_font))
    elif numbers:
        trace.update(text=_inked(_cell_text(z), z, trace), texttemplate="%{text}",
                     textfont=dict(size=cell_font), showscale=False)
    return trace


def _inked(text, z: np.ndarray, trace: dict) -> list[list[str]]:
    """Every cell's text in the colour of CELL_INK that contrasts more with the cell's fill
    (the trace's colour scale at the cell's value), as <span style="color:…">text</span>."""
    fill = _fill_rgb(z, trace)
    lin = np.where(fill <= 0.04045, fill / 12.92, ((fill + 0.055) / 1.055) ** 2.4)
    lum = lin @ np.array([0.2126, 0.7152, 0.0722])
    white = (1.05 / (lum + 0.05)) > ((lum + 0.05) / 0.05)       # white beats black on this fill
    return [[f'<span style="color:{CELL_INK[int(w)]}">{c}</span>' if c != "" else c
             for c, w in zip(row, wrow)]
            for row, wrow in zip(np.asarray(text, dtype=object).tolist(), white.tolist())]


def _fill_rgb(z: np.ndarray, trace: dict) -> np.ndarray:
    """The sRGB colour (0..1, last axis) plotly.js fills each cell with: the colour scale
    (reversed when reversescale) interpolated linearly in RGB at (z − zmin) / (zmax − zmin)."""
    stops = [list(s) for s in trace["colorscale"]]             # explicit stops (SCALES)
    if trace.get("reversescale"):
        stops = [[1 - pos, c] for pos, c in reversed(stops)]
    pos = np.array([float(s[0]) for s in stops])
    rgb = np.array([pc.hex_to_rgb(c) if c.startswith("#") else pc.unlabel_rgb(c)
                    for _, c in stops], dtype=float) / 255
    z = np.asarray(z, dtype=float)
    lo = trace.get("zmin", np.nanmin(z) if np.isfinite(z).any() else 0.0)
    hi = trace.get("zmax", np.nanmax(z) if np.isfinite(z).any() else 1.0)
    u = np.clip(np.nan_to_num((z - lo) / (hi - lo) if hi > lo else z * 0 + 0.5, nan=0.0), 0, 1)
    return np.stack([np.interp(u, pos, rgb[:, k]) for k in range(3)], axis=-1)


def _x_axis(p: Panel) -> dict:
    """A panel's column axis, on top: categories, or a text's positions with its characters
    as ticks, or none (a char_grid's cells carry their characters)."""
    if p.x_labels is None:
        return dict(visible=False)
    if p.positions is None:
        return dict(type="category", side="top", tickangle=0)
    return dict(side="top", **_text_axis(p.positions, p.x_labels))


def _text_axis(positions, labels) -> dict:
    """x axis over character positions, labelled with the characters (repeats stay distinct)."""
    positions, ticks = [int(v) for v in positions], _ticks(labels)
    n = len(ticks)
    size = 14 if n <= 60 else 12 if n <= 110 else 10 if n <= 160 else 8
    return dict(tickmode="array", tickvals=positions, ticktext=ticks, tickangle=0,
                tickfont=dict(size=size), showgrid=False, zeroline=False,
                # the range holds every label: plotly's check of each against the figure's
                # edge (a measured box per label) is left out
                ticklabeloverflow="allow",
                range=[positions[0] - 0.5, positions[-1] + 0.5] if positions else None)


def _build(lines: list[Line], *, numbers: bool, width: float = 1.0, alone: bool = False,
           height: int | None = None, pick=None, present: bool = False) -> go.Figure:
    """Every heatmap figure: lines of panels (one panel alone: its title is the figure's).

    In a line, panels share the line's rows (one row axis at the left) or each has its own
    (Panel.y_labels, labelled in the gap at its left; shorter panels hang from the top). Each
    panel has its title above its column labels; cells have one height in the whole figure.
    Numbers are printed in a line's cells when `numbers` is on and they fit (`numbers_fit`).
    Signed panels share one colour range (the same colour is the same number across the figure)
    unless a panel sets shared_scale=False; gate and tanh panels keep theirs. One figure for
    several matrices: the browser's cost is per figure more than per matrix. The figure is
    built once (layout given to the constructor: no second validation), margins computed here
    (no automargin). pick = (row, col) or True: the single panel's cells can be clicked; a
    panel's key: that panel's.

    present: sizes for a projector (`PRESENT`): larger numbers, titles and labels, and so
    taller cells and fewer numbers to a line. Readable at any size: row labels take at most a
    quarter of the figure's width (`Sizes.row_label_px`); where column or row labels would
    overlap (estimated at the assumed page width) every k-th is shown.

    Several panels share one pair of axes (`_grid_axes`), each heatmap placed in its box by
    x0/dx, y0/dy, their column and row labels the points of one text trace named "labels"
    (`_labels`): the browser lays out and draws each pair of axes as a plot of its own, so a
    pair per panel made a figure of nine matrices nine plots. One panel alone keeps its own
    axes with category ticks."""
    sz = sizes(present)
    shared = not alone
    panels = [p for line in lines for p in line.panels if p is not None]
    zs = {id(p): p.z for p in panels}
    signed = _signed_range(*[zs[id(p)] for p in panels if p.kind == "signed" and p.shared_scale])
    shows = {}                 # numbers shown, per panel
    for line in lines:
        fit = numbers and numbers_fit(line.panels, width, present)
        for p in line.panels:
            if p is not None:
                shows[id(p)] = fit and p.cell_text is None and zs[id(p)].size <= MAX_TEXT_CELLS
    line_rows = [max(zs[id(p)].shape[0] for p in line.panels if p is not None) for line in lines]
    hidden_x = all(p.x_labels is None for p in panels)
    band = 10 if hidden_x else sz.band
    top_margin = (44 if hidden_x else sz.band) + (12 if present and alone else 0)
    if height is not None and len(lines) == 1:
        cell = (height - top_margin - 10) / line_rows[0]
    else:                      # cells as tall as in a heatmap of the tallest line's rows
        cell = (_height(max(line_rows), present) - LINE_BAND - 10) / max(line_rows)
    plot_px = sum(cell * r for r in line_rows) + (band + LINE_SPACE) * (len(lines) - 1)
    # one colour bar per kind, with the tallest panel of that kind whose cells carry no numbers
    # (the last of equals; a bar as long as a 1-row b_z was too short for its own labels; a
    # signed panel with its own range has none: the bar would not hold for the others)
    last_kind, rows_of = {}, {}
    for p in panels:
        if not shows[id(p)] and not (p.kind == "signed" and not p.shared_scale) \
                and zs[id(p)].shape[0] >= rows_of.get(p.kind, 0):
            last_kind[p.kind], rows_of[p.kind] = id(p), zs[id(p)].shape[0]
    cut = _row_label_chars(lines, width)
    page_px = sz.page_px * width
    budget = min(sz.row_label_px, 0.25 * page_px)
    traces, axes, notes, shapes, margins, labels = [], {}, [], [], [], []
    top_px, most_bars = 0, 0
    # the plot area the labels between panels must fit in: the page's width less the widest
    # row labels at the left and a colour bar at the right
    widest_left = max((_left_margin(ticks[0], line.panels[0].y_title or line.y_title, sz.tick)
                       for line in lines for ticks in [_line_ticks(line, cut, budget, sz)]
                       if ticks[0] is not None), default=0)
    inner_px = max(200.0, page_px - widest_left - 85)
    for line, rows_n in zip(lines, line_rows):
        top = 1 - top_px / plot_px
        bottom = max(0.0, 1 - (top_px + cell * rows_n) / plot_px)   # ≥ 0 despite rounding
        top_px += cell * rows_n + band + LINE_SPACE
        real = [p for p in line.panels if p is not None]
        own = any(p.y_labels is not None for p in real)
        ticks = _line_ticks(line, cut, budget, sz)
        cols = _columns(line.panels)
        # a gap holding the next panel's own row labels gets room for the symbol too, left of
        # the labels (at its centre, "·" and "=" sat on W_y's "h1" and y_linear's "1: Mat")
        ops = [line.ops[k] if k < len(line.ops) else "" for k in range(len(ticks) - 1)]
        op_room = [_op_px(op, sz) / inner_px if op else 0.0 for op in ops]
        labelled = [own and t is not None for t in ticks[1:]]
        gaps = [_gap(t, present, inner_px) + room if here else PANEL_GAP
                for t, room, here in zip(ticks[1:], op_room, labelled)]
        span = 1.0 - sum(gaps)
        left, bars_in_line = 0.0, 0
        for k, p in enumerate(line.panels):
            right = min(1.0, left + span * cols[k] / sum(cols))     # ≤ 1 despite rounding
            if p is not None:
                first = p is real[0]
                y_title = p.y_title or line.y_title
                margins.append(_left_margin(ticks[k], y_title, sz.tick) if first else 0)
                low = max(0.0, top - (top - bottom) * zs[id(p)].shape[0] / rows_n)
                _panel(p, zs[id(p)], ticks[k], len(traces) + 1, (left, right), (low, top),
                       y_title=y_title, row_labels=first or own, numbers=shows[id(p)],
                       scale=signed if p.kind == "signed" and p.shared_scale else None,
                       colour_bar=last_kind.get(p.kind) == id(p), bars=bars_in_line,
                       alone=alone, out=(traces, axes, notes, shapes, labels), sizes=sz,
                       cell_px=cell)
                if first and line.lead:
                    notes.append(_lead(line.lead, p.key, left, notes, sz))
                bars_in_line += traces[-1].showscale is not False
                most_bars = max(most_bars, bars_in_line)
            if k < len(ops) and ops[k]:
                # anchored at its centre: plotly's "auto" anchors a paper-placed text by the
                # third of the figure it is in (hanging from the top in the top third, so a
                # line's symbols sat below its cells' middle, "tanh" higher than "+")
                x = right + (op_room[k] / 2 if labelled[k] else gaps[k] / 2)
                notes.append(dict(text=html.escape(ops[k]), x=x, y=(top + bottom) / 2,
                                  xref="paper", yref="paper", xanchor="center",
                                  yanchor="middle", showarrow=False,
                                  font=dict(size=_op_size(ops[k], sz), color="#31333F",
                                            weight="bold")))
            left = right + (gaps[k] if k < len(gaps) else 0.0)
    margin = dict(l=max(margins), r=10 + 75 * most_bars)
    if shared:
        # the row labels left of the first panels and the column labels above the first line
        # are drawn inside the plot area (a text trace's points outside its axes' range are
        # hidden): the axes reach that far beyond the panels' boxes, and what is placed in
        # paper units moves with them
        plot_w = page_px - margin["l"] - margin["r"]
        left_px = margin["l"] - 10
        top_px = 0 if hidden_x else sz.tick + 8
        traces.append(_labels(labels, plot_w, plot_px, notes, sz))
        axes = _grid_axes(left_px / plot_w, top_px / plot_px)
        _to_paper(left_px / plot_w, top_px / plot_px, notes, shapes, traces)
        margin.update(l=10, t=top_margin - top_px)
    if pick is not None:          # True / (row, col): the single panel; a key: that panel
        p = next(q for q in panels if q.key == pick) if isinstance(pick, str) else panels[0]
        heat = next(tr for tr in traces if tr.name == p.key)
        _picker(p, zs[id(p)], heat, traces, shapes, None if isinstance(pick, str) else pick)
        if not shared:   # the markers would widen the axes' autorange: the cells keep theirs
            rows, cols = zs[id(p)].shape
            axes[heat.xaxis.replace("x", "xaxis")].update(range=[-0.5, cols - 0.5])
            axes[heat.yaxis.replace("y", "yaxis")].update(range=[rows - 0.5, -0.5],
                                                          autorange=False)
    title = _title(panels[0], zs[id(panels[0])], shows[id(panels[0])]) if alone else ""
    layout = _layout(title, round(plot_px) + top_margin + 10, top=top_margin,
                     title_above_ticks=not hidden_x, present=present, **axes,
                     annotations=notes, shapes=shapes)
    if not alone:
        layout.pop("title")
    layout["margin"].update(margin)
    plot_px = page_px - margin["l"] - margin["r"]
    for trace in traces:                  # column labels: every k-th where they would overlap
        if shared or trace.type != "heatmap" or not trace.xaxis:
            continue
        axis = axes.get("xaxis" + trace.xaxis[1:])
        if axis and axis.get("type") == "category" and trace.x is not None and len(trace.x):
            low, high = axis["domain"]
            axis.update(_thin(trace.x, (high - low) * plot_px / len(trace.x),
                              max(_label_px(str(t), sz.tick) for t in trace.x)))
            layout["xaxis" + trace.xaxis[1:]] = axis
    return go.Figure(traces, layout=layout, _validate=False)   # tests validate (test_plots_valid)


def _op_size(op: str, sz: Sizes) -> int:
    """The font size of a symbol between panels: "+", "=", "σ" large, a word ("tanh") smaller."""
    return sz.op if len(op) <= 2 else sz.op_word


def _op_px(op: str, sz: Sizes) -> float:
    """The room a symbol between panels takes, with 8 px clear on each side."""
    return _label_px(op, _op_size(op, sz)) + 16


def _lead(op: str, key: str, left: float, notes: list, sz: Sizes) -> dict:
    """The symbol that carries an equation over a wrap ("+", "σ") and the title of the line's
    first panel (the annotation named `key`, already in notes) set together from the panel's
    left edge `left`: the symbol, then 6 px, then the title, on one line ("+ b_z (16×32)"),
    so the operator stays with its operand at any width (a centred title's width, and so its
    start, is known only in the browser)."""
    title = next(a for a in reversed(notes) if a.get("name") == key)
    op_px = round(_label_px(op, sz.op))
    title.update(x=left, xanchor="left", xshift=op_px + 6)
    return dict(text=html.escape(op), x=left, y=title["y"], xref="paper", yref="paper",
                xanchor="right", yanchor="bottom", yshift=title["yshift"] - 2, xshift=op_px,
                showarrow=False, name=f"lead_{key}",
                font=dict(size=sz.op, color="#31333F", weight="bold"))


def _title(p: Panel, z, numbers: bool) -> str:
    """The panel's title as shown: with its shape and note, and its colour range when it keeps
    its own and has neither colour bar nor numbers to say it."""
    own_range = p.kind == "signed" and not p.shared_scale and not numbers and z.size
    return p.full_title + (f"  ±{np.nanmax(np.abs(z)):.2g}" if own_range else "")


def _panel(p: Panel, z, y_ticks, n: int, x_domain, y_domain, *, y_title, row_labels, numbers,
           scale, colour_bar, bars, alone, out, sizes: Sizes = NORMAL,
           cell_px: float = 0) -> None:
    """Add one panel: its trace (alone: on its own pair of axes; else placed in its box on the
    figure's one pair, its labels for `_labels`), its title above its column labels (the
    figure's title when alone), a thin frame between others, its outlined rows and columns;
    its colour bar (if colour_bar and the cells carry no numbers) beside its line, after the
    line's `bars` earlier ones. cell_px: its cells' height, for showing only as many row
    labels as fit."""
    traces, axes, notes, shapes, labels = out
    i = "" if n == 1 else str(n)
    trace = _trace(p, z, y_ticks, y_title=y_title, numbers=numbers, scale=scale,
                   cell_font=sizes.cell)
    if trace.get("showscale", True) and colour_bar:   # at the right of the panel's line
        trace["colorbar"] = dict(trace["colorbar"], x=1.01 + 0.075 * bars, y=sum(y_domain) / 2,
                                 yanchor="middle", len=y_domain[1] - y_domain[0])
    else:
        trace["showscale"] = False
    rows, cols = z.shape
    left, right = x_domain
    low, top = y_domain
    inner = left > 0
    tick = sizes.inner_tick if inner else sizes.tick
    if alone:
        def at_x(v): return v
        def at_y(v): return v
        ref = (f"x{i}", f"y{i}")
        traces.append(go.Heatmap(name=p.key, xaxis=f"x{i}", yaxis=f"y{i}", _validate=False,
                                 **trace))
        axes[f"xaxis{i}"] = dict(dict(tickfont=dict(size=sizes.tick)), **_x_axis(p), ticks="",
                                 automargin=False, domain=list(x_domain), anchor=f"y{i}")
        y_axis = _thin(y_ticks, cell_px, 0.9 * tick) if cell_px and row_labels else {}
        axes[f"yaxis{i}"] = dict(type="category", autorange="reversed", automargin=False,
                                 domain=list(y_domain), anchor=f"x{i}", ticks="",
                                 showticklabels=row_labels,
                                 title=dict(text=y_title if not inner else "",
                                            font=dict(size=sizes.tick)),
                                 tickfont=dict(size=tick), **y_axis)
    else:
        w, h = (right - left) / cols, (top - low) / rows
        def at_x(v): return left + (v + 0.5) * w      # column v's centre (cells from 0)
        def at_y(v): return top - (v + 0.5) * h       # row v's centre, rows from the top
        ref = ("x", "y")
        x_ticks = trace.pop("x")
        y_ticks = trace.pop("y")
        if p.hover is None and p.customdata is None:  # the labels of the cell under the mouse
            row_names = y_ticks if y_ticks is not None else range(1, rows + 1)
            trace["customdata"] = [[[r, c] for c in x_ticks] for r in row_names]
            trace["hovertemplate"] = (f"{y_title or 'row'} %{{customdata[0]}}<br>"
                                      f"{p.x_title or 'column'} %{{customdata[1]}}"
                                      "<br>value %{z:.10g}<extra></extra>")
        traces.append(go.Heatmap(name=p.key, x0=at_x(0), dx=w, y0=at_y(0), dy=-h, xaxis="x",
                                 yaxis="y", _validate=False, **trace))
        labels.append(dict(x=x_domain, y=y_domain, rows=rows, cols=cols, size=tick,
                           columns=None if p.x_labels is None else list(x_ticks),
                           row_labels=list(y_ticks) if row_labels and y_ticks is not None
                           else None, title=y_title if not inner else "", key=p.key))
    if not alone:
        # a title wider than its panel that would run off the figure (its width estimated on
        # a full-page figure of the assumed page width) ends at the figure's edge instead
        title = _title(p, z, numbers)
        half = _label_px(title, sizes.title) / 2 / sizes.page_px
        centre = (left + right) / 2
        x, anchor = ((right, "right") if centre + half > 1.0 else
                     (left, "left") if centre - half < 0.0 else (centre, "center"))
        notes.append(dict(name=p.key, text=html.escape(title),
                          x=x, y=y_domain[1], xref="paper",
                          yref="paper", xanchor=anchor, yanchor="bottom",
                          yshift=sizes.shift, showarrow=False,
                          font=dict(size=sizes.title, color="#31333F", weight="bold")))
        shapes.append(dict(type="rect", xref="paper", yref="paper", x0=left, x1=right,
                           y0=y_domain[0], y1=y_domain[1], line=dict(color="#c7c9d1", width=1),
                           fillcolor="rgba(0,0,0,0)"))
    shapes += [_outline(at_y(r - 0.5), at_y(r + 0.5), at_x(-0.5), at_x(cols - 0.5), *ref,
                        name=p.key) for r in p.highlight_rows]
    shapes += [_outline(at_y(-0.5), at_y(rows - 0.5), at_x(j - 0.5), at_x(j + 0.5), *ref,
                        name=p.key) for j in p.highlight_cols]
    shapes += [_outline(at_y(r - 0.5), at_y(r + 0.5), at_x(j - 0.5), at_x(j + 0.5), *ref,
                        color=PICKED, width=4, name=p.key) for r, j in p.highlight_cells]


def _grid_axes(left: float = 0.0, top: float = 0.0) -> dict:
    """The one pair of axes of a figure of several panels, fixed, without ticks or grid: 0 to 1
    both ways is the area the panels' boxes are computed in, and the axes reach `left` further
    left and `top` further up (room for labels, in those units)."""
    axis = dict(domain=[0, 1], visible=False, fixedrange=True, automargin=False,
                autorange=False)
    return dict(xaxis=dict(axis, range=[-left, 1]), yaxis=dict(axis, range=[0, 1 + top]))


def _to_paper(left: float, top: float, notes: list, shapes: list, traces: list) -> None:
    """Annotations, shapes and colour bars placed in paper units of the panels' area, moved to
    the paper units of a plot area grown by `left` and `top` (`_grid_axes`)."""
    def at_x(v): return (v + left) / (1 + left)
    def at_y(v): return v / (1 + top)
    for a in notes:
        if a.get("xref") == "paper":
            a["x"] = at_x(a["x"])
        if a.get("yref") == "paper":
            a["y"] = at_y(a["y"])
    for s in shapes:
        if s.get("xref") == "paper":
            s.update(x0=at_x(s["x0"]), x1=at_x(s["x1"]))
        if s.get("yref") == "paper":
            s.update(y0=at_y(s["y0"]), y1=at_y(s["y1"]))
    for t in traces:
        bar = t.colorbar if t.type == "heatmap" and t.showscale is not False else None
        if bar is not None and bar.y is not None:
            bar.update(x=at_x(bar.x), y=at_y(bar.y), len=bar.len / (1 + top))


def _labels(jobs: list[dict], plot_w: float, plot_h: float, notes: list, sz: Sizes):
    """The column and row labels of the panels of a figure of several (`_panel`'s jobs), as
    one text trace on its axes: column labels centred 6 px above their columns (clear of the
    first row's label beside them), row labels right aligned 4 px left of their rows, every k-th where they would overlap at a plot area of
    plot_w × plot_h px; a panel's row title (at the figure's left edge) as an annotation
    turned upright, named "ytitle_<key>"."""
    xs, ys, texts, size, where = [], [], [], [], []
    for job in jobs:
        (left, right), (low, top) = job["x"], job["y"]
        w, h = (right - left) / job["cols"], (top - low) / job["rows"]
        if job["columns"]:
            widest = max(_label_px(str(t), sz.tick) for t in job["columns"])
            k = _every(len(job["columns"]), w * plot_w, widest)
            for j in range(0, len(job["columns"]), k):
                xs.append(left + (j + 0.5) * w)
                ys.append(top + 6 / plot_h)
                texts.append(job["columns"][j])
                size.append(sz.tick)
                where.append("top center")
        if job["row_labels"]:
            k = _every(len(job["row_labels"]), h * plot_h, 0.9 * job["size"])
            for i in range(0, len(job["row_labels"]), k):
                xs.append(left - 4 / plot_w)
                ys.append(top - (i + 0.5) * h)
                texts.append(job["row_labels"][i])
                size.append(job["size"])
                where.append("middle left")
            if job["title"]:
                widest = max(_label_px(str(t), job["size"]) for t in job["row_labels"])
                notes.append(dict(name=f"ytitle_{job['key']}", text=html.escape(job["title"]),
                                  x=0, y=(low + top) / 2, xref="paper", yref="paper",
                                  xanchor="right", yanchor="middle", textangle=-90,
                                  xshift=-(widest + 10), showarrow=False,
                                  font=dict(size=sz.tick)))
    return go.Scatter(x=xs, y=ys, text=texts, mode="text", textposition=where,
                      textfont=dict(size=size, color="#444"), hoverinfo="skip",
                      showlegend=False, cliponaxis=False, name="labels", xaxis="x", yaxis="y",
                      _validate=False)


def _outline(y0, y1, x0, x1, xref: str = "x", yref: str = "y", color: str = "black",
             width: int = 3, name: str | None = None) -> dict:
    """A rectangle around cells (`name`: the panel's key, so that a test finds its outlines)."""
    shape = dict(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, xref=xref, yref=yref,
                 line=dict(color=color, width=width), fillcolor="rgba(0,0,0,0)")
    if name is not None:
        shape["name"] = name
    return shape


def _picker(p: Panel, z, heat, traces, shapes, cell) -> None:
    """Clickable cells (Streamlit's on_select, selection_mode="points"): plotly cannot select
    heatmap cells, so an invisible marker sits on every cell of `heat` (p's trace), in the
    figure's LAST trace (point index = row * columns + column), and carries the hover text;
    `cell` = (row, col) is outlined in magenta."""
    rows, cols = z.shape
    invisible = dict(opacity=0.0)
    y_title = p.y_title or "row"
    if heat.x is None:              # a panel placed by x0, dx, y0, dy on a figure's one axes
        xs = [heat.x0 + j * heat.dx for j in range(cols)]
        ys = [heat.y0 + i * heat.dy for i in range(rows)]
        where = [pair for row in heat.customdata for pair in row]        # [row, column]
        custom = [[v, *pair] for v, pair in zip(z.ravel().tolist(), where)]
        hover = (f"{y_title} %{{customdata[1]}}<br>{p.x_title or 'column'} %{{customdata[2]}}"
                 "<br>value %{customdata[0]:.10g}<br>(click to see where it comes from)"
                 "<extra></extra>")
        box = (lambda v: heat.y0 + v * heat.dy, lambda v: heat.x0 + v * heat.dx)
    else:
        xs, ys = list(heat.x), list(heat.y)
        custom = _values(z.ravel())
        hover = (f"{y_title} %{{y}}<br>{p.x_title or 'column'} %{{x}}"
                 "<br>value %{customdata:.10g}<br>(click to see where it comes from)"
                 "<extra></extra>")
        box = (lambda v: v, lambda v: v)
    heat.update(hoverinfo="skip", hovertemplate=None)
    traces.append(go.Scatter(
        x=[xs[j] for i in range(rows) for j in range(cols)],
        y=[ys[i] for i in range(rows) for j in range(cols)],
        xaxis=heat.xaxis, yaxis=heat.yaxis,
        customdata=custom, mode="markers", showlegend=False,
        marker=dict(symbol="square", size=30, opacity=0.0, color="black"),
        selected=dict(marker=invisible), unselected=dict(marker=invisible),
        hovertemplate=hover, _validate=False))
    if cell is not None and cell is not True:
        i, j = cell
        at_y, at_x = box
        shapes.append(_outline(at_y(i - 0.5), at_y(i + 0.5), at_x(j - 0.5), at_x(j + 0.5),
                               heat.xaxis, heat.yaxis, color=PICKED, width=4, name=p.key))


# ---------------------------------------------------------------- the builder's front doors

def heatmap_grid(lines: list[Line], *, numbers: bool = True, width: float = 1.0,
                 present: bool = False, pick: str | None = None) -> go.Figure:
    """Lines of matrices in one figure: e.g. a gate's W | U | b above its terms, read left to
    right as in the equation, x_t W + h_(t−1) U + b = sum, σ → z_t. Each panel's trace is named
    by its key, and so is its title (an annotation). present: sized for a projector, lines
    that hold too many panels for its larger numbers cut again. pick: the key of the panel
    whose cells can be clicked (`_picker`)."""
    if present:
        lines = _refit(lines, width, present)
    return _build(lines, numbers=numbers, width=width, present=present, pick=pick)


def matrix_figure(panel: Panel, y_labels=None, *, numbers: bool = True, width: float = 1.0,
                  height: int | None = None, pick=None, present: bool = False) -> go.Figure:
    """One matrix alone: its title is the figure's title, data[0] its heatmap; with pick,
    its cells can be clicked (`_picker`; pick = the (row, col) outlined, or True)."""
    return _build([Line([panel], y_labels=y_labels)], numbers=numbers, width=width, alone=True,
                  height=height, pick=pick, present=present)


def heatmap(values, *, title: str, x_labels, y_labels, kind: str = "signed", x_title: str = "",
            y_title: str = "", numbers: bool = True, height: int | None = None,
            highlight_rows=(), highlight_cols=(), note: str = "", shape: bool = True,
            width: float = 1.0, key: str = "matrix") -> go.Figure:
    """A labelled heatmap of a 2-D array (the title gets the array's shape after it); numbers
    in the cells when they fit and `numbers` is on; highlight_rows / highlight_cols: indices
    outlined in black (the cell inspector uses them)."""
    panel = Panel(values, title, x_labels=x_labels, key=key, kind=kind, x_title=x_title,
                  y_title=y_title, note=note, shape=shape, highlight_rows=tuple(highlight_rows),
                  highlight_cols=tuple(highlight_cols))
    return matrix_figure(panel, y_labels, numbers=numbers, width=width, height=height)


def text_heatmap(values, *, title: str, chars, positions, y_labels, kind: str = "gate",
                 y_title: str = "unit", height: int | None = None,
                 show_position: bool = True, shape: bool = True) -> go.Figure:
    """Rows (hidden units) over the characters of a text (columns), one column per character.

    x is the character's position in the text (so repeated characters are separate columns); the
    tick label is the character, every one shown; hover shows position, character, row and value.
    show_position=False: columns are not text positions (e.g. one per vocabulary character)."""
    z = np.atleast_2d(np.asarray(values, dtype=float))
    ticks = _ticks(label(c) for c in chars)
    custom = np.broadcast_to(np.asarray(ticks, dtype=str), z.shape)
    hover = (("position %{x}<br>" if show_position else "")
             + f"character %{{customdata}}<br>{y_title} %{{y}}<br>value %{{z:.4f}}<extra></extra>")
    panel = Panel(z, title, x_labels=[label(c) for c in chars], key="text", kind=kind,
                  y_title=y_title, positions=positions, hover=hover, customdata=custom,
                  shape=shape)
    return matrix_figure(panel, y_labels, numbers=False, height=height)


def char_grid(chars, values, *, title: str, per_row: int = 50, start: int = 1,
              kind: str = "gate", value_name: str = "value") -> go.Figure:
    """A text laid out in rows of `per_row` characters, each cell showing its character and
    coloured by its value (e.g. the probability the model gave it); hover: position, character."""
    chars = list(chars)
    n = len(chars)
    rows = max(1, -(-n // per_row))
    z = np.full((rows, per_row), np.nan)
    z.ravel()[:n] = np.asarray(values, dtype=float)
    ticks = _ticks(label(c) for c in chars) + [""] * (rows * per_row - n)
    text = np.asarray(ticks, dtype=object).reshape(rows, per_row)
    pos = (np.arange(rows * per_row) + start).reshape(rows, per_row)
    custom = np.stack([text, pos.astype(object)], axis=-1)
    y = [f"{start + i * per_row}–{start + min(n, (i + 1) * per_row) - 1}" for i in range(rows)]
    panel = Panel(z, title, x_labels=None, key="text", kind=kind, y_title="positions",
                  positions=range(1, per_row + 1), cell_text=text, customdata=custom,
                  shape=False, hover="position %{customdata[1]}<br>character %{customdata[0]}<br>"
                                     + value_name + " %{z:.4f}<extra></extra>")
    return matrix_figure(panel, y, numbers=False, height=64 + 30 * rows)


def char_matrix(chars, *, title: str, x_labels, y_labels, x_title: str, y_title: str,
                key: str, mark_col: int | None = None, present: bool = False) -> go.Figure:
    """Characters in a grid of white cells (rows × columns of `chars`, a 2-D array of
    one-character strings), each cell showing its character (made visible, escaped), the
    column mark_col outlined: e.g. what each batch row reads at each time step, the compact
    picture of a one-hot tensor whose cells are mostly 0. Hover: row, column, character."""
    grid = np.asarray(chars, dtype=object)
    text = np.asarray(_ticks(label(c) for c in grid.ravel()), dtype=object).reshape(grid.shape)
    panel = Panel(np.ones(grid.shape), title, x_labels=x_labels, key=key, kind="onehot",
                  x_title=x_title, y_title=y_title, cell_text=text.tolist(), shape=False,
                  highlight_cols=() if mark_col is None else (mark_col,),
                  hover=f"{y_title} %{{y}}<br>{x_title} %{{x}}<br>character %{{text}}"
                        "<extra></extra>")
    fig = matrix_figure(panel, y_labels, numbers=False, present=present)
    fig.data[0].update(showscale=False)
    return fig


PROJECTED_TICK_GAP = 44         # px between a projected log axis's labels (two lines of 18 px)


def sent(fig: go.Figure, *, pickable: bool = False) -> go.Figure:
    """The figure as a page hands it to st.plotly_chart (with theme=None): without a Plotly
    template (what a figure needs is set in this module) and with a fixed
    layout.datarevision; a pickable one (on_select) with the click, hover and drag modes its
    selection needs.

    Streamlit mounts a new chart for every changed figure and draws it twice: plotly.js's
    `react` on the spec, then again on a copy of it made through JSON (its theming pass, which
    runs with or without a theme). plotly.js compares the two: a template by identity, data
    arrays by identity unless layout.datarevision is given (a 1-D NumPy array, which becomes a
    typed array, as a value: series are lists, `_values`), the width (ui/page.py's CSS gives a
    chart whole pixels) and those modes as Streamlit's pass sets them. Without a template, with
    a revision and with the modes already set, the second `react` finds nothing changed and
    draws nothing: every new figure a page shows is drawn once (tests/e2e/test_redraw.py
    counts the drawings)."""
    # plotly.py adds its default template on creation; it is taken out of the layout's
    # properties (with `layout.template = None` instead, the figures Streamlit sent still carried
    # a template: tests/test_plots_valid.py)
    fig.layout._props.pop("template", None)
    fig.layout.datarevision = 1
    if pickable:
        fig.layout.clickmode = "event+select"
        fig.layout.hovermode = fig.layout.hovermode or "closest"
        fig.layout.dragmode = fig.layout.dragmode or "pan"
    return fig


def projected(fig: go.Figure) -> go.Figure:
    """A figure built without `present` (a line chart, a text heatmap) with the projector's
    fonts: labels, legend and title (cell text keeps its size: those cells are not enlarged),
    and margins grown with them, the figure by as much (the screen's margins held 14 px
    labels: at 18 px the axis title ran into the tick labels, a marker's label into the
    figure's title). The title is pinned to the figure's top, the notes above the plot get
    the band under it; a log axis shows fewer labels (its 2-5-10 labels at 18 px touched)."""
    grow = PRESENT.tick / NORMAL.tick
    m = fig.layout.margin
    above = any(a.yref == "paper" and (a.y or 0) >= 1 for a in fig.layout.annotations)
    top = PRESENT.fig_title + 14 + (PRESENT.tick + 8 if above else 0)
    b, t = round((m.b or 0) * grow) + 8, max(round((m.t or 0) * grow), top)
    height = fig.layout.height and fig.layout.height + (b - (m.b or 0)) + (t - (m.t or 0))
    fig.update_layout(font_size=PRESENT.tick, legend_font_size=PRESENT.tick - 2,
                      title=dict(font_size=PRESENT.fig_title, y=1, yref="container",
                                 yanchor="top", pad=dict(t=6)),
                      margin=dict(l=round((m.l or 0) * grow), r=m.r, b=b, t=t),
                      height=height)         # the plot keeps its height: the margins grew
    fig.update_xaxes(tickfont_size=PRESENT.tick, title_font_size=PRESENT.tick,
                     title_standoff=8)
    fig.update_yaxes(tickfont_size=PRESENT.tick, title_font_size=PRESENT.tick,
                     title_standoff=16)
    plot_px = (fig.layout.height or 450) - fig.layout.margin.t - fig.layout.margin.b
    fig.update_yaxes(selector=dict(type="log"),
                     nticks=max(2, int(plot_px // PROJECTED_TICK_GAP)))
    fig.update_annotations(font_size=PRESENT.tick)
    return fig


# ---------------------------------------------------------------- line charts

def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


# Series are told apart by more than colour: a marker symbol each, and a dash each where a
# series is too long for markers.
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def _values(ys) -> list[float]:
    """A series as a list of floats. A NumPy array is sent as a binary array, which plotly.js
    holds as a typed array and its `react` compares as a value, so as changed: Streamlit's
    second pass over a new chart (`sent`) would draw it again."""
    return np.asarray(ys, dtype=float).tolist()


def _series_look(i: int, markers: bool) -> dict:
    """Series i's line and marker, beyond its colour: its symbol, or (no markers) its dash."""
    return dict(mode="lines+markers" if markers else "lines",
                line=dict(color=_colour(i), dash="solid" if markers else DASHES[i % len(DASHES)]),
                marker=dict(color=_colour(i), symbol=SYMBOLS[i % len(SYMBOLS)]))


LEGEND_ROW_PX = 640            # a legend row below a line chart holds this many px of entries


def _line_layout(title: str, height: int, *, x_title: str, y_title: str, names=(),
                 top: int = 44, xaxis=None, yaxis=None, **rest) -> dict:
    """The frame of a line chart: axes titled, a light grid across, the legend (the series'
    `names`) below the plot. Its margins are computed here (no automargin: it draws the figure
    twice): room for the axes' numbers and titles and for the legend's rows."""
    entries = sum(40 + _label_px(n, 12) for n in names) if len(names) > 1 else 0
    legend_rows = -(-int(entries) // LEGEND_ROW_PX)
    layout = _layout(title, height, top=top,
                     xaxis={**dict(title=x_title, automargin=False, showgrid=False,
                                   zeroline=False), **(xaxis or {})},
                     yaxis=dict(title=y_title, automargin=False, gridcolor="#e5e7eb",
                                zerolinecolor="#9ca3af", **(yaxis or {})),
                     legend=dict(orientation="h", x=0, y=0, yref="container", yanchor="bottom",
                                 font=dict(size=12)),
                     showlegend=len(names) > 1,
                     **rest)
    layout["margin"].update(l=70 + (24 if y_title else 0), r=16,
                            b=34 + (24 if x_title else 0) + 24 * legend_rows)
    return layout


def line_chart(series: dict, *, title: str, x_title: str, y_title: str, x=None,
               log_y: bool = False, height: int = 320, x_labels=None) -> go.Figure:
    """Lines over a shared x axis (loss curves, gradient norms, a unit's trace over a text)."""
    traces = []
    for i, (name, ys) in enumerate(series.items()):
        xs = list(range(len(ys))) if x is None else x
        traces.append(go.Scatter(x=xs, y=_values(ys), name=name, **_series_look(i, len(ys) <= 60),
                                 hovertemplate="%{x}: %{y:.6g}<extra>" + name + "</extra>"))
    xaxis = {}
    if x_labels is not None:
        xaxis = dict(tickmode="array", tickvals=list(range(len(x_labels))),
                     ticktext=_ticks(label(c) for c in x_labels))
    layout = _line_layout(title, height, x_title=x_title, y_title=y_title,
                          names=[t.name for t in traces],
                          xaxis=xaxis, yaxis=dict(type="log" if log_y else "linear"))
    return go.Figure(traces, layout=layout)


def line_chart_marked(series: dict, *, marker_x, marker_label: str = "", **kwargs) -> go.Figure:
    """line_chart over whole-number x with a dotted vertical line at x = marker_x (e.g. the
    selected batch). marker_label is the page's own text (not user text)."""
    fig = line_chart(series, **kwargs)
    xs = kwargs.get("x") or range(max((len(v) for v in series.values()), default=0))
    fig.update_layout(
        xaxis=dict(tickformat="d", dtick=1 if len(list(xs)) <= 20 else None),
        shapes=[dict(type="line", x0=marker_x, x1=marker_x, y0=0, y1=1, xref="x", yref="paper",
                     line=dict(color="black", width=2, dash="dot"))],
        annotations=[dict(x=marker_x, y=1, xref="x", yref="paper", text=marker_label,
                          showarrow=False, xanchor="left", yanchor="bottom", font=dict(size=13))]
        if marker_label else [])
    return fig


def text_lines(series: dict, *, title: str, chars, positions, y_title: str, height: int = 320,
               y_range=None) -> go.Figure:
    """Lines over the characters of a text (a unit's z, r, h): x = position, tick = character."""
    positions = [int(p) for p in positions]
    ticks = _ticks(label(c) for c in chars)        # in the hover
    traces = [go.Scatter(x=positions, y=_values(ys), customdata=ticks, name=name,
                         **_series_look(i, len(positions) <= 120),
                         hovertemplate="position %{x} · %{customdata}: %{y:.4f}<extra>"
                                       + name + "</extra>")
              for i, (name, ys) in enumerate(series.items())]
    layout = _line_layout(title, height, x_title="", y_title=y_title,
                          names=[t.name for t in traces],
                          xaxis=_text_axis(positions, [label(c) for c in chars]),
                          yaxis=dict(range=y_range), hovermode="x unified")
    return go.Figure(traces, layout=layout)


def xy_lines(series: dict, *, title: str, x_title: str, y_title: str, height: int = 320,
             log_y: bool = False, faint=()) -> go.Figure:
    """Lines with their own x values: series = {name: (xs, ys)} (a loss per step and per epoch).
    Series named in `faint` are drawn thin and pale, so a smoother series on top stands out."""
    traces = []
    for i, (name, (xs, ys)) in enumerate(series.items()):
        look = _series_look(i, len(ys) <= 60)
        look["line"]["width"] = 1 if name in faint else 2.5
        look["marker"]["size"] = 5
        traces.append(go.Scatter(x=list(xs), y=_values(ys), name=name, **look,
                                 opacity=0.45 if name in faint else 1.0,
                                 hovertemplate="%{x}: %{y:.6g}<extra>" + name + "</extra>"))
    layout = _line_layout(title, height, x_title=x_title, y_title=y_title,
                          names=[t.name for t in traces],
                          yaxis=dict(type="log" if log_y else "linear"))
    return go.Figure(traces, layout=layout)


def compare_lines(original: dict, changed: dict, *, title: str, x, x_title: str, y_title: str,
                  mark_x=None, mark_label: str = "", height: int = 320) -> go.Figure:
    """Pairs of lines over a shared x: each original series dashed, its changed twin solid in the
    same colour; an optional dotted vertical line at mark_x (mark_label is the page's own text)."""
    traces = []
    for k, name in enumerate(original):
        for series, dash, suffix in ((original, "dash", " original"),
                                     (changed, "solid", " what-if")):
            traces.append(go.Scatter(
                x=list(x), y=_values(series[name]), name=name + suffix,
                mode="lines+markers" if len(x) <= 60 else "lines",
                marker=dict(color=_colour(k), symbol=SYMBOLS[k % len(SYMBOLS)]),
                line=dict(color=_colour(k), dash=dash, width=2 if dash == "solid" else 1.5),
                hovertemplate="%{x}: %{y:.4f}<extra>" + name + suffix + "</extra>"))
    shapes, notes = [], []
    if mark_x is not None:
        shapes.append(dict(type="line", x0=mark_x, x1=mark_x, y0=0, y1=1, xref="x", yref="paper",
                           line=dict(color="black", width=1.5, dash="dot")))
        if mark_label:
            notes.append(dict(x=mark_x, y=1, xref="x", yref="paper", text=mark_label,
                              showarrow=False, xanchor="left", yanchor="bottom"))
    layout = _line_layout(title, height, x_title=x_title, y_title=y_title, top=56,
                          names=[t.name for t in traces],
                          shapes=shapes, annotations=notes)
    return go.Figure(traces, layout=layout)


# ---------------------------------------------------------------- the cell, drawn

@dataclass(frozen=True)
class CellNode:
    """One node of the drawn GRU cell: its key (store.CELL_NODES), its title (two short lines),
    its colour kind, and its place in the drawing's grid (column 0-6, row 0 top .. 2 bottom)."""
    key: str
    title: str
    what: str
    kind: str
    col: int
    row: int


def cell_nodes(reset: str, update: str) -> tuple[CellNode, ...]:
    """The nodes of one GRU step as the tutorials draw it, for a convention (gru_core.gru):

        row 0   h_(t−1) ─────────────────────────────► part from h_(t−1)
        row 1            z_t ──────────► 1 − z_t                    h_t ──► ŷ_t
        row 2   x_t ───► r_t ──► reset ──► h̃_t ─────► part from h̃_t
    reset "before": r_t ⊙ h_(t−1), then U_h; "after": U_h (+ b_hn) first, then r_t ⊙ it.
    update "keep": z_t ⊙ h_(t−1) + (1 − z_t) ⊙ h̃_t;
           "take": (1 − z_t) ⊙ h_(t−1) + z_t ⊙ h̃_t."""
    keep = update == "keep"
    if reset == "before":
        reset_node = CellNode("reset", "r_t ⊙ h_(t−1)", "reset, then × U_h", "tanh", 2, 2)
    else:
        reset_node = CellNode("reset", "r_t ⊙ q_t", "q_t = h_(t−1) U_h + b_hn", "signed", 2, 2)
    return (
        CellNode("x", "x_t", "one-hot input", "onehot", 0, 2),
        CellNode("h_prev", "h_(t−1)", "previous state", "tanh", 0, 0),
        CellNode("z", "z_t = σ(…)", "update gate", "gate", 1, 1),
        CellNode("r", "r_t = σ(…)", "reset gate", "gate", 1, 2),
        reset_node,
        CellNode("h_tilde", "h̃_t = tanh(…)", "candidate", "tanh", 3, 2),
        CellNode("one_minus_z", "1 − z_t", "", "gate", 3, 1),
        CellNode("from_prev", "z_t ⊙ h_(t−1)" if keep else "(1 − z_t) ⊙ h_(t−1)",
                 "kept from h_(t−1)", "tanh", 4, 0),
        CellNode("from_tilde", "(1 − z_t) ⊙ h̃_t" if keep else "z_t ⊙ h̃_t",
                 "taken from h̃_t", "tanh", 4, 2),
        CellNode("h", "h_t = sum", "new state", "tanh", 5, 1),
        CellNode("y", "ŷ_t = softmax(…)", "h_t W_y + b_y", "gate", 6, 1),
    )


def cell_names(reset: str, update: str) -> dict[str, str]:
    """Each node's short name, in the drawing's order (for a chooser): "z_t", "1 − z_t"."""
    return {n.key: n.title.removesuffix(" = σ(…)").removesuffix(" = tanh(…)")
            .removesuffix(" = sum").removesuffix(" = softmax(…)")
            for n in cell_nodes(reset, update)}


CELL_TITLE_PX = 36             # two title lines above a node
CELL_GAP_PX = 28               # between rows of nodes (the bands z's arrows run in)
CELL_TICK_PX = 16              # character ticks under x_t and ŷ_t
CELL_BUS_PX = 26               # the x_t line under the bottom row
CELL_COL_GAP = 0.04            # between columns, for the arrows (fraction of the width)
CELL_REF_PX = 1500             # the drawing's width assumed when deciding what fits
UNROLL_PX = 88                # the unrolled network under the cell
UNROLL_NARROW_PX = 900         # the unrolled row's width on a narrow screen (1280, sidebar open)
CELL_TEXT_SIZE = 12
CELL_MIN_TEXT = 9              # numbers in the nodes never smaller than this
CELL_NARROW_PX = 820           # the drawing's width in a 1280 px window, the sidebar open
CELL_PICK_CELLS = 128          # up to this many cells a node has a click target on every cell
# the chosen node (its title text too: amber-700, 5.0:1 on white; amber-600 #d97706 was 3.2:1),
# its incoming arrows and the current step
HIGHLIGHT = "#b45309"
ARROW = "#8b8f99"
ARROWHEAD_PX = {False: 12, True: 15}   # an arrowhead's size (marker px): other, into the chosen
STEP_FILL = "rgba(217, 119, 6, 0.16)"


def _subscripts(text: str) -> str:
    """Our own node and arrow names with their subscripts set: "h_(t−1)" -> h<sub>t−1</sub>,
    "W_z" -> W<sub>z</sub> (escaped first: no markup comes from the text itself)."""
    text = html.escape(text, quote=False)
    text = re.sub(r"_\(([^)]*)\)", r"<sub>\1</sub>", text)
    return re.sub(r"_(\w+)", r"<sub>\1</sub>", text)


def _number_em(text: str) -> float:
    """A cell number's width in em, generously (digits 0.6 em, "-" 0.35, "." 0.3)."""
    return sum(0.6 if c.isdigit() else 0.35 if c == "-" else 0.3 if c == "." else 0.6
               for c in text)


def _cell_px(B: int) -> float:
    """A node's cell height: numbers fit up to B = 4, a bounded node height beyond."""
    return 26.0 if B <= 2 else 24.0 if B <= 4 else max(5.0, min(20.0, 96.0 / B))


def _node_width(cols: int, H: int) -> int:
    """A node's width in cells, bounded so a wide one-hot x_t or ŷ_t leaves room for the rest."""
    return min(cols, max(H, 8))


def cell_figure(values: dict, *, reset: str, update: str, chosen: str, hidden: Sequence,
                chars: Sequence, rows: Sequence, step: int, steps_in: Sequence,
                numbers: bool = True, present: bool = False) -> go.Figure:
    """The GRU cell at one time step, every node drawn with its values, and the batch unrolled
    over its S steps beneath (one figure).

    values: node key -> (B, H) array (x and y: (B, V)) of the step, from the trace.
    chosen: the node whose equation is shown (outlined, with its incoming arrows).
    hidden, chars, rows: the unit, character and batch-row labels (escaped here).
    step: the time step shown (0-based); steps_in: per step, the characters the first rows
    read (S lists of strings). present: for a projector, every font at plots' `PRESENT`
    sizes (numbers in the cells shown where they fit at that size) and the drawing taller to
    hold them. Each node's heatmap trace is named by its key; a transparent
    marker on its cells (customdata [key, row, column, value]) makes it clickable, as
    `_picker` does for one matrix."""
    nodes = cell_nodes(reset, update)
    sz = sizes(present)
    zoom = sz.title / NORMAL.title if present else 1.0   # the drawing's scale (titles set it)
    text_size = sz.cell if present else CELL_TEXT_SIZE
    title_px, gap_px, tick_px, bus_px = (zoom * v for v in (CELL_TITLE_PX, CELL_GAP_PX,
                                                          CELL_TICK_PX, CELL_BUS_PX))
    ref_px = sz.line_px if present else CELL_REF_PX
    col_gap = CELL_COL_GAP * 0.75 if present else CELL_COL_GAP   # bigger numbers, same width
    B = int(np.asarray(values["h"]).shape[0])
    H = int(np.asarray(values["h"]).shape[1])
    cell = _cell_px(B) * (text_size / CELL_TEXT_SIZE if present else 1.0)
    node_px = cell * B
    row_top = [0.0]
    row_top.append(row_top[0] + title_px + node_px + gap_px)
    row_top.append(row_top[1] + title_px + node_px + gap_px + tick_px)
    cell_px = row_top[2] + title_px + node_px + tick_px + bus_px
    plot_px = cell_px + zoom * UNROLL_PX

    def y_of(px: float) -> float:
        return 1.0 - px / plot_px

    zs = {k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in values.items()}
    # widths in characters of cell text where numbers can be shown (a one-hot cell needs room
    # for "0", others for "-0.1234"), else in cells
    chars_of = _cell_chars if numbers and cell >= 16 else (lambda kind: 1)
    widths = {n.key: _node_width(zs[n.key].shape[1], H) * chars_of(n.kind) for n in nodes}
    col_w = [max([widths[n.key] for n in nodes if n.col == c] + [chars_of("signed") * 2])
             for c in range(7)]
    span = 1.0 - col_gap * 6
    col_x, left = [], 0.0
    for w in col_w:
        right = left + span * w / sum(col_w)
        col_x.append((left, right))
        left = right + col_gap
    box = {}                   # key -> (x0, x1, y0 bottom, y1 top) of the heatmap, overlay units
    for n in nodes:
        c0, c1 = col_x[n.col]
        w = (c1 - c0) * widths[n.key] / col_w[n.col]
        mid = (c0 + c1) / 2
        top = row_top[n.row] + title_px
        box[n.key] = (mid - w / 2, mid + w / 2, y_of(top + node_px), y_of(top))

    # traces as dicts, built without Plotly's validation (test_plots_valid validates
    # what the pages send)
    traces = [dict(type="scatter", x=[], y=[], xaxis="x", yaxis="y", showlegend=False,
                   hoverinfo="skip")]
    axes = dict(xaxis=dict(domain=[0, 1], range=[0, 1], visible=False, fixedrange=True),
                yaxis=dict(domain=[0, 1], range=[0, 1], visible=False, fixedrange=True))
    shapes = []
    # Every text with markup (bold, subscripts, line breaks) is a text trace's texttemplate,
    # the figure's own format strings; user text (characters) only as escaped customdata.
    titles = []                # (x, y, node, text position, template)
    ticks_x, ticks_y, ticks_text = [], [], []     # column labels under x_t and ŷ_t
    pick_x, pick_y, pick_data = [], [], []       # the nodes' click targets
    hidden_t = _ticks(hidden)
    chars_t = _ticks(label(c) for c in chars)
    rows_t = _ticks(rows)
    for n in nodes:
        z = zs[n.key]
        r_n, c_n = z.shape
        x0, x1, y0, y1 = box[n.key]
        px_per_cell = (x1 - x0) * ref_px / c_n
        text_chars = max(len(_number(v)) for v in z.ravel())
        size = text_size
        if not present:       # the numbers' size that keeps them apart in a 1280 px window
            narrow_px = (x1 - x0) * CELL_NARROW_PX / c_n
            widest = max(_number_em(_number(v)) for v in z.ravel())
            size = max(CELL_MIN_TEXT, min(text_size, int((narrow_px - 4) / max(widest, 1e-9))))
        show = (numbers and z.size <= MAX_TEXT_CELLS and cell >= 16
                and px_per_cell >= 0.55 * text_size * text_chars + 6)    # 0.55 em a digit
        panel = Panel(z, n.title, x_labels=list(range(c_n)), key=n.key, kind=n.kind)
        scale = _signed_range(z) if n.kind == "signed" else None
        trace = _trace(panel, z, None, y_title="", numbers=show, scale=scale)
        # placed in its box on the figure's one pair of axes (a pair per node would cost the
        # browser a plot area each to lay out and draw): cell (a, b) centred at at_x(b), at_y(a)
        w_cell, h_cell = (x1 - x0) / c_n, (y1 - y0) / r_n
        def at_x(b): return x0 + (b + 0.5) * w_cell
        def at_y(a): return y1 - (a + 0.5) * h_cell
        del trace["x"], trace["y"]
        trace.update(x0=at_x(0), dx=w_cell, y0=at_y(0), dy=-h_cell, showscale=False,
                     hoverinfo="skip", hovertemplate=None, xgap=1 if c_n <= 60 else 0,
                     ygap=1 if r_n <= 16 else 0)
        if show:
            trace["textfont"] = dict(size=size)
        traces.append(dict(type="heatmap", name=n.key, xaxis="x", yaxis="y", **trace))
        col_labels = chars_t if n.key in ("x", "y") else hidden_t
        if n.key in ("x", "y"):
            every = max(1, math.ceil(c_n * 7 / max(1.0, (x1 - x0) * ref_px)))
            for b in range(0, c_n, every):
                ticks_x.append(at_x(b))
                ticks_y.append(y0 - 2 / plot_px)
                ticks_text.append(col_labels[b])
        shapes.append(dict(type="rect", xref="x", yref="y", x0=x0, x1=x1, y0=y0, y1=y1,
                           line=dict(color="#c7c9d1", width=1), fillcolor="rgba(0,0,0,0)"))
        colour = HIGHLIGHT if n.key == chosen else "#31333F"
        # a title over the first or last column is aligned with its node's outer edge, so that
        # a title wider than the node stays inside the figure
        # (inside [0, 1]: plotly leaves out a text at 1.0000000000000002)
        x_title, align = ((max(0.0, x0), "bottom right") if n.col == 0 else
                          (min(1.0, x1), "bottom left") if n.col == 6 else
                          ((x0 + x1) / 2, "bottom center"))
        titles.append((x_title, y1 + (title_px - 1) / plot_px, n.key, align,
                       f"<span style='color:{colour}'><b>{_subscripts(n.title)}</b></span>"
                       + (f"<br><span style='font-size:{round(11 * zoom)}px;color:#6b7280'>"
                          f"{_subscripts(n.what)}</span>" if n.what else "")))
        if n.key == chosen:
            shapes.append(dict(type="rect", xref="x", yref="y", x0=x0 - 0.006, x1=x1 + 0.006,
                               y0=y0 - 4 / plot_px, y1=y1 + title_px / plot_px,
                               line=dict(color=HIGHLIGHT, width=3), name="chosen",
                               fillcolor="rgba(0,0,0,0)"))
        # the click targets: a transparent marker on every cell (a sample of cells when many)
        ri = np.unique(np.linspace(0, r_n - 1, min(r_n, 8 if z.size > CELL_PICK_CELLS else r_n))
                       .round().astype(int))
        ci = np.unique(np.linspace(0, c_n - 1, min(c_n, 16 if z.size > CELL_PICK_CELLS else c_n))
                       .round().astype(int))
        rr, cc = np.meshgrid(ri, ci, indexing="ij")
        pick_x += [at_x(b) for b in cc.ravel()]
        pick_y += [at_y(a) for a in rr.ravel()]
        pick_data += [[n.key, rows_t[a] if a < len(rows_t) else str(a), col_labels[b]
                       if b < len(col_labels) else str(b), _number(z[a, b]),
                       html.escape(n.title, quote=False)]
                      for a, b in zip(rr.ravel(), cc.ravel())]
    # every node's click targets in one trace (a trace per node cost plotly a layer each):
    # customdata [node, row, column, value, the node's name as the chooser writes it]
    invisible = dict(opacity=0.0)
    traces.append(dict(
        type="scatter", x=pick_x, y=pick_y, xaxis="x", yaxis="y", mode="markers",
        showlegend=False, name="pick", customdata=pick_data,
        hovertemplate="<b>%{customdata[4]}</b><br>row %{customdata[1]}, %{customdata[2]}<br>"
                      "value %{customdata[3]}<br>click: its equation<extra></extra>",
        marker=dict(symbol="square", size=30, opacity=0.0, color="black"),
        selected=dict(marker=invisible), unselected=dict(marker=invisible)))

    # ---- arrows: polylines in overlay units, the arrowhead on the last segment
    def left_at(k, f=0.5):
        x0, x1, y0, y1 = box[k]
        return (x0, y0 + (y1 - y0) * f)

    def right_at(k, f=0.5):
        x0, x1, y0, y1 = box[k]
        return (x1, y0 + (y1 - y0) * f)

    def top_of(k):             # just above the node's title
        x0, x1, y0, y1 = box[k]
        return ((x0 + x1) / 2, y1 + (title_px + 3) / plot_px)

    def bottom_of(k, ticks=False):
        x0, x1, y0, y1 = box[k]
        return ((x0 + x1) / 2, y0 - (tick_px if ticks else 0) / plot_px)

    band_01 = y_of(row_top[1] - gap_px / 2)                    # between rows 0 and 1
    band_12 = y_of(row_top[2] - (gap_px + tick_px) / 2)   # between rows 1 and 2
    bus = y_of(row_top[2] + title_px + node_px + tick_px + bus_px / 2)
    hp_y = left_at("h_prev")[1]
    keep = update == "keep"
    # (from, to, points, label, where the label sits: the segment's index, + a fraction of it)
    arrows = [
        ("h_prev", "from_prev", [right_at("h_prev"), left_at("from_prev")], "", 0),
        ("h_prev", "z", [right_at("h_prev", 0.2), left_at("z", 0.7)], "U_z", 0),
        ("h_prev", "r", [right_at("h_prev", 0.0), left_at("r", 0.85)], "U_r", 0),
        ("x", "z", [right_at("x", 0.9), left_at("z", 0.25)], "W_z", 0),
        ("x", "r", [right_at("x"), left_at("r", 0.35)], "W_r", 0),
        ("h_prev", "reset", [(top_of("reset")[0], hp_y), top_of("reset")],
         "" if reset == "before" else "× U_h + b_hn", 0),
        ("r", "reset", [right_at("r"), left_at("reset")], "⊙", 0),
        ("reset", "h_tilde", [right_at("reset"), left_at("h_tilde")],
         "× U_h" if reset == "before" else "", 0),
        ("x", "h_tilde", [bottom_of("x", True), (bottom_of("x")[0], bus),
                          (bottom_of("h_tilde")[0], bus), bottom_of("h_tilde")], "W_h", 1),
        ("z", "one_minus_z", [right_at("z"), left_at("one_minus_z")], "1 − ·", 0.8),
        ("h_tilde", "from_tilde", [right_at("h_tilde"), left_at("from_tilde")], "⊙", 0),
        ("from_prev", "h", [right_at("from_prev"), left_at("h", 0.75)], "+", 0),
        ("from_tilde", "h", [right_at("from_tilde"), left_at("h", 0.25)], "+", 0),
        ("h", "y", [right_at("h"), left_at("y")], "W_y, b_y", 0),
    ]
    if keep:
        arrows += [("z", "from_prev", [top_of("z"), (top_of("z")[0], band_01),
                                       (bottom_of("from_prev")[0], band_01),
                                       bottom_of("from_prev")], "⊙", 1),
                   ("one_minus_z", "from_tilde", [right_at("one_minus_z"), top_of("from_tilde")],
                    "⊙", 0)]
    else:
        arrows += [("one_minus_z", "from_prev", [right_at("one_minus_z"),
                                                 bottom_of("from_prev")], "⊙", 0),
                   ("z", "from_tilde", [bottom_of("z"), (bottom_of("z")[0], band_12),
                                        (top_of("from_tilde")[0], band_12),
                                        top_of("from_tilde")], "⊙", 1)]
    # one trace for the arrows into the chosen node, one for the others: each arrow a polyline
    # (its customdata "from→to") ending in an arrowhead, a marker turned along the last
    # segment on screen (angleref "previous": exact at any width; plotly measures no text for
    # it as it does for an annotation's arrow); the labels one trace of text
    lines = {False: ([], [], [], []), True: ([], [], [], [])}
    labels_x, labels_y, labels = [], [], []
    for a, b, pts, text, seg in arrows:
        hot = b == chosen
        xs, ys, names, heads = lines[hot]
        xs += [p[0] for p in pts] + [None]
        ys += [p[1] for p in pts] + [None]
        names += [f"{a}→{b}"] * len(pts) + [None]
        heads += [0] * (len(pts) - 1) + [ARROWHEAD_PX[hot], 0]
        if text:
            (sx, sy), (ex, ey) = pts[int(seg)], pts[int(seg) + 1]
            f = seg - int(seg) or 0.5          # where on the segment (a fraction given, or half)
            labels_x.append(sx + (ex - sx) * f)
            labels_y.append(sy + (ey - sy) * f)
            labels.append(_subscripts(text))
    # opaque (plotly's default for markers of several sizes is 0.7), also while a click has
    # selected a node's cells ("event+select" dims the points it did not select)
    solid = dict(opacity=1.0)
    for hot, (xs, ys, names, heads) in lines.items():
        colour = HIGHLIGHT if hot else ARROW
        traces.append(dict(type="scatter", x=xs, y=ys, xaxis="x", yaxis="y",
                           mode="lines+markers", name="arrows_chosen" if hot else "arrows",
                           customdata=names, showlegend=False, hoverinfo="skip",
                           line=dict(color=colour, width=2.5 if hot else 1.5),
                           marker=dict(symbol="arrow", angleref="previous", size=heads,
                                       color=colour, opacity=1.0, line=dict(width=0)),
                           selected=dict(marker=solid), unselected=dict(marker=solid)))
    traces.append(dict(type="scatter", x=labels_x, y=labels_y, texttemplate=labels,
                       mode="text", xaxis="x", yaxis="y", showlegend=False, hoverinfo="skip",
                       name="arrow_labels", textfont=dict(size=round(11 * zoom), color="#4b5563")))
    traces.append(dict(type="scatter", name="labels", mode="text", x=ticks_x, y=ticks_y,
                       text=ticks_text, textposition="bottom center", xaxis="x", yaxis="y",
                       showlegend=False, hoverinfo="skip",
                       textfont=dict(size=sz.tick if present else 11, color="#444")))
    traces.append(dict(type="scatter", name="node_titles", mode="text",
                       x=[t[0] for t in titles], y=[t[1] for t in titles],
                       customdata=[t[2] for t in titles], texttemplate=[t[4] for t in titles],
                       textposition=[t[3] for t in titles], xaxis="x", yaxis="y",
                       showlegend=False, hoverinfo="skip", cliponaxis=False,
                       textfont=dict(size=sz.title if present else 13, color="#31333F")))

    # ---- the batch unrolled over its S steps
    S = len(steps_in)
    top = cell_px + 18 * zoom
    label_y, box_y = y_of(top), y_of(top + 42 * zoom)
    half_h = 13 * zoom / plot_px
    pitch = 1.0 / (S + 1)
    cx = [(k + 0.5) * pitch for k in range(S + 1)]
    half_w = min(0.3 * pitch, 0.03)
    every = max(1, math.ceil((S + 1) * 40 * zoom / UNROLL_NARROW_PX))   # h_k labels 40 px apart
    shapes.append(dict(type="rect", xref="x", yref="y", name="step_current",
                       x0=cx[step] - half_w - 0.004, x1=cx[step + 1] + half_w + 0.004,
                       y0=y_of(plot_px - 2), y1=box_y + half_h + 6 / plot_px,
                       line=dict(color=HIGHLIGHT, width=2), fillcolor=STEP_FILL, layer="below"))
    for k in range(S + 1):
        shapes.append(dict(type="rect", xref="x", yref="y", name=f"unrolled_h{k}",
                           x0=cx[k] - half_w, x1=cx[k] + half_w, y0=box_y - half_h,
                           y1=box_y + half_h, fillcolor="white", layer="below",
                           line=dict(color=HIGHLIGHT if k in (step, step + 1) else "#6b7280",
                                     width=2 if k in (step, step + 1) else 1)))
    texts_x, texts_y, texts, chars_in = [], [], [], []
    inside = every == 1        # room for "h_k" in every box, else every k-th above the boxes
    for k in range(S + 1):
        if k % every == 0 or k in (step, step + 1, S):
            texts_x.append(cx[k])
            texts_y.append(box_y if inside else box_y + half_h + 9 * zoom / plot_px)
            texts.append(f"h<sub>{k}</sub>")
            chars_in.append(["", ""])
    char_y = y_of(plot_px - 30 * zoom)
    for k in range(S):         # one or two characters a step: every one fits
        texts_x.append((cx[k] + cx[k + 1]) / 2)
        texts_y.append(char_y)
        read = (_ticks(label(c) for c in steps_in[k]) + ["", ""])[:2]
        texts.append("%{customdata[0]}<br>%{customdata[1]}" if read[1] else "%{customdata[0]}")
        chars_in.append(read)
    traces.append(dict(type="scatter", name="unrolled_text", x=texts_x, y=texts_y,
                       texttemplate=texts, customdata=chars_in, mode="text", xaxis="x",
                       yaxis="y", showlegend=False, hoverinfo="skip",
                       textfont=dict(size=round((12 if S <= 16 else 10) * zoom), color="#31333F")))
    arrow_x, arrow_y, heads_x = [], [], []
    for k in range(S):
        arrow_x += [cx[k] + half_w, cx[k + 1] - half_w, None]
        arrow_y += [box_y, box_y, None]
        heads_x.append(cx[k + 1] - half_w - 0.002)
    traces.append(dict(type="scatter", x=arrow_x, y=arrow_y, mode="lines", xaxis="x",
                       yaxis="y", showlegend=False, hoverinfo="skip",
                       line=dict(color="#6b7280", width=1.2)))
    traces.append(dict(type="scatter", x=heads_x, y=[box_y] * S, mode="markers", xaxis="x",
                       yaxis="y", showlegend=False, hoverinfo="skip",
                       marker=dict(symbol="triangle-right", size=7, color="#6b7280")))
    caption = (f"The batch unrolled: step t turns h<sub>t−1</sub> into h<sub>t</sub> reading "
               f"x<sub>t</sub>; the cell above is step {step + 1} of {S}"
               + (f" (characters of rows 1–{min(len(steps_in[0]), 2)} shown)"
                  if steps_in and len(steps_in[0]) > 1 else ""))
    traces.append(dict(type="scatter", name="unrolled_caption", x=[0], y=[label_y],
                       texttemplate=[caption], mode="text", textposition="bottom right",
                       xaxis="x", yaxis="y", showlegend=False, hoverinfo="skip",
                       textfont=dict(size=round(12 * zoom), color="#4b5563")))
    layout = dict(height=round(plot_px) + 16, margin=dict(l=8, r=8, t=8, b=8),
                  font=dict(FONT, color=INK), hoverlabel=HOVER,
                  plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="white", showlegend=False,
                  hovermode="closest", dragmode=False, shapes=shapes, **axes)
    return go.Figure(traces, layout=layout, _validate=False)


# ---------------------------------------------------------------- in words, for screen readers

def plain(text) -> str:
    """A figure's title or label as plain words: a line break a space, a subscript "_x", other
    markup removed, entities decoded, spaces collapsed ("h<sub>t</sub><br>new" -> "h_t new")."""
    text = re.sub(r"<br\s*/?>", " ", str(text or ""), flags=re.I)
    text = re.sub(r"<sub>(.*?)</sub>", r"_\1", text)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def _span(values) -> str:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return "no values"
    lo, hi = v.min(), v.max()
    return f"value {_number(lo)}" if lo == hi else f"values {_number(lo)} to {_number(hi)}"


def _is_number(text: str) -> bool:
    try:
        float(text.replace("−", "-"))
        return True
    except ValueError:
        return False


def _words(text) -> str:
    """What the cells say when they carry words or characters rather than their numbers
    ("cells show t, h, e, ␣ …"); "" when there is no cell text or it is the numbers."""
    if text is None:
        return ""
    cells = [c for c in (plain(c) for c in np.asarray(text, dtype=object).ravel()) if c]
    if all(_is_number(c) for c in cells):
        return ""
    seen = list(dict.fromkeys(cells))
    return "cells show " + ", ".join(seen[:8]) + (" …" if len(seen) > 8 else "")


def accessible_name(fig: go.Figure, titles: dict[str, str] | None = None) -> str:
    """What a figure shows, in words (st.plotly_chart's `alt`, read out by screen readers):
    its title, then every matrix as "title, R rows × C columns, values lo to hi", in the order
    the figure places them, with the operators between them ("x_t W_z, … + h_(t−1) U_z, …"),
    and every line as "name, N points, values lo to hi". A matrix is titled by its annotation
    (the panel title named after its trace), the figure's title when it is alone,
    `titles[trace name]`, or its trace name.

    Reads the figure's own property dicts (Plotly's `_data` and `_layout`, the store behind
    its graph objects): walking the graph objects, or `to_dict`, which copies and encodes every
    array, costs milliseconds per figure on every rerun."""
    layout, data = fig._layout, fig._data
    title = plain((layout.get("title") or {}).get("text"))
    heatmaps = {t.get("name"): t for t in data
                if t.get("type") == "heatmap" and t.get("z") is not None}
    lines = [t for t in data if t.get("type") == "scatter" and t.get("y") is not None
             and t.get("name") and "lines" in (t.get("mode") or "")
             and t.get("hoverinfo") != "skip"]                    # not the cell's arrows

    def matrix(t, name: str) -> str:
        z = np.atleast_2d(np.asarray(t["z"], dtype=float))
        name = re.sub(r"\s*\(\d+×\d+\)$", "", plain(name))      # the shape is said next
        words, span = _words(t.get("text")), _span(z)
        # under cells of words, one value for all (a grid of characters) says nothing
        said = [span] if not words else [words, span] if span.startswith("values") else [words]
        return (f"{name}, {z.shape[0]} {'row' if z.shape[0] == 1 else 'rows'} × "
                f"{z.shape[1]} {'column' if z.shape[1] == 1 else 'columns'}, " + ", ".join(said))

    parts, said, joined = [], set(), True      # joined: no "; " before the next matrix

    def say(text: str) -> None:
        nonlocal joined
        parts.append(text if joined else "; " + text)
        joined = False

    for a in layout.get("annotations", ()):    # panel titles and the operators between them
        name, text = a.get("name"), plain(a.get("text"))
        if name in heatmaps and name not in said:
            say(matrix(heatmaps[name], text))
            said.add(name)
        elif not name and text and parts:
            parts.append(f" {text} ")
            joined = True
    alone = len(heatmaps) == 1 and title
    for name, t in heatmaps.items():
        if name not in said:
            say(matrix(t, title if alone else (titles or {}).get(name, name or "matrix")))
    for t in lines:
        say(f"{plain(t['name'])}, {len(t['y'])} points, {_span(t['y'])}")
    text = "".join(parts)
    if alone:
        title = ""                              # said as the matrix's own name
    head = title or (f"{len(heatmaps)} matrices" if len(heatmaps) > 1 else "")
    return (head + ": " + text if head and text else head or text or "chart").strip()
