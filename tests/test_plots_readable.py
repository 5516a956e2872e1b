"""ui.plots keeps every figure readable (issue #14, points 2 and 6): column labels that would
overlap are thinned to every k-th, row labels take a bounded width, a wrapped equation keeps
its operators, and presentation mode is a parameter of the figure (fonts and fit)."""
from __future__ import annotations

import numpy as np
import pytest

from grid_geometry import area_height_px, area_px, area_x, panel, shown_columns, shown_rows, traces
from ui import plots

WINDOW_PX = 820          # a full-page figure in a 1280 px window with the sidebar open
OPS = ("+", "+", "=", "σ")


def _terms(H: int, B: int = 4, rows: int | None = None) -> list[plots.Panel]:
    hid = [f"h{j + 1}" for j in range(H)]
    return [plots.Panel(np.linspace(-1, 1, B * H).reshape(B, H), t, x_labels=hid, key=t)
            for t in ("x_t W_z", "h_(t−1) U_z", "b_z", "sum", "z_t = σ(sum)")]


def _text_px(label: str, size: float) -> float:
    """A plain lower bound of a label's width: 0.55 em a character."""
    return 0.55 * size * len(label)


def _shown_x_ticks(fig, name: str) -> list[str]:
    return [text for _, text, _ in shown_columns(fig, name)]


def _columns_apart(fig, figure_px: float, room: float = 0.0) -> None:
    """Every panel's shown column labels, thinned from the first, each at least `room` px
    wider than the widest shown apart (0.55 em a character) at a figure figure_px wide."""
    width = area_px(fig, figure_px)
    for trace in traces(fig):
        p = panel(fig, trace["name"])
        shown = shown_columns(fig, trace["name"])
        column_px = p.cell_w * width
        step = shown[1][0] - shown[0][0] if len(shown) > 1 else len(p.x)
        widest = max(_text_px(s, size) for _, s, size in shown)
        assert step * column_px >= widest + room, (trace["name"], step, column_px, widest)
        assert shown[0][0] == 0                               # thinned from the first


@pytest.mark.parametrize("H", [8, 16, 32])
@pytest.mark.parametrize("present", [False, True])
def test_shown_column_labels_never_overlap(H, present):
    lines = plots.lines_of(_terms(H), plots.row_labels(["abcd"] * 4), "row", ops=OPS,
                           present=present)
    fig = plots.heatmap_grid(lines, present=present)
    _columns_apart(fig, 1700 if present else WINDOW_PX)


def test_thirty_two_units_show_every_kth_label_not_all():
    fig = plots.heatmap_grid(plots.lines_of(_terms(32), ["a", "b", "c", "d"], "row", ops=OPS))
    shown = _shown_x_ticks(fig, fig.data[0].name)
    assert 1 < len(shown) < 32
    k = int(shown[1][1:]) - int(shown[0][1:])
    assert shown == [f"h{j + 1}" for j in range(0, 32, k)]    # evenly, every k-th


def test_many_rows_show_every_kth_row_label():
    z = np.zeros((120, 3))
    fig = plots.heatmap(z, title="m", x_labels="abc", y_labels=[f"r{i}" for i in range(120)])
    axis = fig.layout.yaxis
    cell_px = (fig.layout.height - fig.layout.margin.t - fig.layout.margin.b) / 120
    assert axis.tickvals is not None
    step = list(fig.data[0].y).index(axis.tickvals[1])
    assert step * cell_px >= axis.tickfont.size * 0.9


def test_row_labels_take_a_bounded_width_so_a_matrix_is_never_a_sliver():
    long = plots.row_labels(["The quick brown fox jumps over the lazy dog"] * 16)
    hid = [f"h{j + 1}" for j in range(32)]
    for width in (0.5, 1.0):
        fig = plots.heatmap(np.zeros((16, 32)), title="h_t", x_labels=hid, y_labels=long,
                            kind="tanh", width=width)
        figure_px = WINDOW_PX * width
        assert max(_text_px(s, 14) for s in fig.data[0].y) <= 0.25 * figure_px
        plot_px = figure_px - fig.layout.margin.l - fig.layout.margin.r
        assert plot_px >= 0.4 * figure_px                     # the matrix keeps most of it
        if width == 1.0:
            assert plot_px / 32 >= 12                         # cells at least 12 px wide
        assert all(s.endswith("…") for s in fig.data[0].y)    # cut, and shown to be cut


@pytest.mark.parametrize("per", [2, 3, 4])
def test_a_wrapped_equation_keeps_every_operator(per):
    lines = plots.lines_of(_terms(2), ["a", "b", "c", "d"], "row", ops=OPS, per=per)
    between = [op for line in lines for op in (line.lead, *line.ops) if op]
    assert between == list(OPS)                                # none lost at a wrap
    fig = plots.heatmap_grid(lines)
    texts = [a.text for a in fig.layout.annotations if a.text in OPS]
    assert sorted(texts) == sorted(OPS)
    for line in lines[1:]:                                     # shown left of the first panel
        lead = [a for a in fig.layout.annotations if a.name == f"lead_{line.panels[0].key}"]
        assert len(lead) == 1 and lead[0].text == line.lead and lead[0].xanchor == "right"


def test_presentation_sizes_are_decided_in_the_figure():
    lines = plots.lines_of(_terms(2), ["a", "b", "c", "d"], "row", ops=OPS, present=True)
    fig = plots.heatmap_grid(lines, present=True)
    numbered = [t for t in fig.data if t.texttemplate]
    assert numbered and all(t.textfont.size >= 20 for t in numbered)
    titles = [a for a in fig.layout.annotations if a.name in {p.key for p in _terms(2)}]
    assert len(titles) == 5 and all(a.font.size >= 22 for a in titles)
    for p in titles:                                   # column and row labels
        labels = shown_columns(fig, p.name) + shown_rows(fig, p.name)
        assert labels and all(size >= 18 for _, _, size in labels), p.name
    alone = plots.matrix_figure(_terms(2)[0], ["a", "b", "c", "d"], present=True)
    assert alone.layout.title.font.size >= 22 and alone.data[0].textfont.size >= 20
    normal = plots.heatmap_grid(plots.lines_of(_terms(2), ["a", "b", "c", "d"], "row", ops=OPS))
    assert all(t.textfont.size == 13 for t in normal.data if t.texttemplate)


def test_bigger_numbers_need_bigger_cells_and_fewer_to_a_line():
    terms = _terms(4)
    assert plots.per_line(terms) == 5 and plots.numbers_fit(terms)
    assert plots.per_line(terms, present=True) < 5
    assert not plots.numbers_fit(terms, present=True)
    rows = ["a", "b", "c", "d"]
    screen = plots.heatmap_grid(plots.lines_of(terms, rows, "row", ops=OPS))
    projector = plots.heatmap_grid(plots.lines_of(terms, rows, "row", ops=OPS, present=True),
                                   present=True)

    def cell_px(fig):
        return panel(fig, fig.data[0].name).cell_h * area_height_px(fig)

    assert cell_px(projector) >= 1.5 * 20          # a 20 px number with room above and below
    assert cell_px(projector) > cell_px(screen) * 0.9
    # lines cut for the screen are cut again for the projector, operators kept
    again = plots.heatmap_grid(plots.lines_of(terms, rows, "row", ops=OPS), present=True)
    assert len(traces(again)) == 5 and \
        sorted(a.text for a in again.layout.annotations if a.text in OPS) == sorted(OPS)
    assert all(t["texttemplate"] for t in traces(again))      # and the numbers fit again


@pytest.mark.parametrize("present", [False, True])
def test_row_labels_between_panels_fit_their_gap(present):
    """A gate's W | U | b (each with its own rows) under terms with long row labels: the labels
    left of U and b fit in the gap before them at the figure's width (they ran into W_z)."""
    hid = [f"h{j + 1}" for j in range(32)]
    voc = [chr(33 + i) for i in range(87)]
    weights = plots.Line([
        plots.Panel(np.zeros((87, 32)), "W_z", x_labels=hid, key="W", y_labels=voc),
        plots.Panel(np.zeros((32, 32)), "U_z", x_labels=hid, key="U", y_labels=hid),
        plots.Panel(np.zeros((1, 32)), "b_z", x_labels=hid, key="b", y_labels=["b"])])
    rows = plots.row_labels(["The quick brown fox jumps over the lazy dog"] * 16)
    terms = plots.lines_of(_terms(32, B=16), rows, "row", ops=OPS, present=present)
    fig = plots.heatmap_grid([weights, *terms], present=present)
    width = area_px(fig, 1700 if present else WINDOW_PX)
    box = {t["name"]: panel(fig, t["name"]).box for t in traces(fig)}
    for left, right, labels in (("W", "U", hid), ("U", "b", ["b"])):
        if box[left][3] != box[right][3]:
            continue                          # cut onto the next line (the projector's)
        gap_px = (box[right][0] - box[left][1]) * width
        size = shown_rows(fig, right)[0][2]
        # the label (0.6 em a character) and 12 px clear of the matrix at its left
        assert gap_px >= max(0.6 * size * len(s) for s in labels) + 12, (right, gap_px)


def test_a_title_wider_than_its_last_panel_ends_at_the_figures_edge():
    """Candidate's last panel at the defaults, "h̃_t = tanh(sum)  (2×2)", was centred over its
    panel and ran off the figure at 1280 px ("h̃_t = tanh(sum) (2×"): it is anchored at the
    figure's right edge instead; titles that fit stay centred."""
    panels = [plots.Panel(np.zeros((2, 2)), t, x_labels=["h1", "h2"], key=k)
              for k, t in (("a", "x_t W_h"), ("b", "(r_t ⊙ h_(t−1)) U_h"), ("c", "b_h"),
                           ("d", "sum"), ("e", "h̃_t = tanh(sum)"))]
    fig = plots.heatmap_grid(plots.lines_of(panels, ["1: Mat", "2: hMa"], "row",
                                            ops=("+", "+", "=", "tanh")))
    notes = {a.name: a for a in fig.layout.annotations if a.name}
    assert notes["e"].xanchor == "right" and area_x(fig, notes["e"].x) == pytest.approx(
        panel(fig, "e").box[1])
    assert notes["c"].xanchor == "center"


# A 1280×800 projector (or window) in presentation mode, the sidebar collapsed: a full-page
# figure is 1,100 px wide there (measured in Chromium), not the 1,700 px of a 1920 px projector.
PRESENT_NARROW_PX = 1100


@pytest.mark.parametrize("H", [8, 16, 32])
def test_projector_column_labels_stay_apart_in_a_1280_px_window(H):
    """Presentation mode at 1280 px drew Gates' h1 … h32 every second label, sized for 1,700 px:
    "h9h11h13" ran together. Labels are thinned for the narrowest window the mode is used in."""
    rows = plots.row_labels(["The quick brown fox jumps over the lazy dog"] * 16)
    hid = [f"h{j + 1}" for j in range(H)]
    weights = plots.Line([
        plots.Panel(np.zeros((87, H)), "W_z", x_labels=hid, key="W",
                    y_labels=[chr(33 + i) for i in range(87)]),
        plots.Panel(np.zeros((H, H)), "U_z", x_labels=hid, key="U", y_labels=hid),
        plots.Panel(np.zeros((1, H)), "b_z", x_labels=hid, key="b", y_labels=["b"])])
    terms = plots.lines_of(_terms(H, B=16), rows, "row", ops=OPS, present=True)
    fig = plots.heatmap_grid([*terms, weights], present=True)
    _columns_apart(fig, PRESENT_NARROW_PX, room=4)


@pytest.mark.parametrize("present", [False, True])
@pytest.mark.parametrize("per", [2, 3, 4])
def test_a_wrapped_operator_sits_just_before_its_operands_title(per, present):
    """A line that continues an equation starts with its operator ("+ b_z", "σ z_t"): the
    operator and the title of the line's first panel start together at the panel's left edge,
    on one line, the operator first and its title a few px after it, not the operator at the
    panel's corner and the title centred far from it (read as a "+" left at the end of the
    line above and a lone "σ")."""
    terms = _terms(32, B=16)
    lines = plots.lines_of(terms, plots.row_labels(["The quick brown fox"] * 16), "row",
                           ops=OPS, per=per, present=present)
    fig = plots.heatmap_grid(lines, present=present)
    notes = {a.name: a for a in fig.layout.annotations if a.name}
    leads = [line for line in lines[1:] if line.lead]
    assert leads
    for line in leads:
        key = line.panels[0].key
        lead, title = notes[f"lead_{key}"], notes[key]
        left = panel(fig, key).box[0]
        assert lead.x == title.x and area_x(fig, lead.x) == pytest.approx(left)  # its left edge
        assert (lead.y, lead.yanchor) == (title.y, title.yanchor)
        assert abs(lead.yshift - title.yshift) <= 4                   # on the title's line
        assert lead.xanchor == "right" and title.xanchor == "left"
        # the operator ends where its width (at least 0.5 em) puts it, the title 2-12 px later
        assert lead.xshift >= 0.5 * lead.font.size
        assert 2 <= title.xshift - lead.xshift <= 12, (key, lead.xshift, title.xshift)


@pytest.mark.parametrize("present", [False, True])
def test_a_symbol_between_panels_is_centred_and_clear_of_the_next_panels_row_labels(present):
    """Output's h_t · W_y + b_y = y_linear, where W_y and b_y have their own rows: each symbol is
    anchored at its centre (plotly's "auto" hung those of a line in the figure's top third from
    their top, below the line's middle, "tanh" higher than "+") and sits left of the next
    panel's row labels ("·" sat on W_y's "h1", "=" on y_linear's "1: Mat")."""
    rows = ["1: Mat", "2: hMa"]
    panels = [plots.Panel(np.ones((2, 2)), "h_t", x_labels=["h1", "h2"], key="h"),
              plots.Panel(np.ones((2, 4)), "W_y", x_labels=list("hatM"), key="W",
                          y_labels=["h1", "h2"]),
              plots.Panel(np.ones((1, 4)), "b_y", x_labels=list("hatM"), key="b", y_labels=["b"]),
              plots.Panel(np.ones((2, 4)), "y_linear", x_labels=list("hatM"), key="y")]
    fig = plots.heatmap_grid([plots.Line(panels, y_labels=rows, y_title="row",
                                         ops=("·", "+", "="))], present=present)
    width = area_px(fig, PRESENT_NARROW_PX if present else WINDOW_PX)
    ops = [a for a in fig.layout.annotations if a.text in ("·", "+", "=")]
    assert len(ops) == 3
    by_x = sorted(ops, key=lambda a: a.x)
    following = {"·": (["h1", "h2"], "W"), "+": (["b"], "b"), "=": (rows, "y")}
    for op in by_x:
        assert (op.xanchor, op.yanchor) == ("center", "middle"), op.text
        labels, key = following[op.text]
        start = panel(fig, key).box[0] * width                 # the panel's left
        shown = shown_rows(fig, key)
        assert [s for _, s, _ in shown] == labels
        labels_px = max(0.55 * size * len(s) for _, s, size in shown) + 4
        op_right = area_x(fig, op.x) * width + 0.5 * 0.6 * op.font.size
        assert op_right + 2 <= start - labels_px, (op.text, op_right, start, labels_px)
