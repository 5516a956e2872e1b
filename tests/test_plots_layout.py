"""ui.plots decides layout from the sizes: numbers in cells, panels per line, row-label cuts,
shape suffixes; one heatmap builder and one line palette serve every figure."""
from __future__ import annotations

import numpy as np
import pytest

from grid_geometry import panel
from ui import plots


def _terms(H: int, B: int = 4) -> list[plots.Panel]:
    hid = plots.hidden_labels(H)
    return [plots.Panel(np.zeros((B, H)), t, x_labels=hid, key=t)
            for t in ("x_t W_z", "h_(t−1) U_z", "b_z", "sum", "z_t = σ(sum)")]


@pytest.mark.parametrize("H, per, numbers", [(2, 5, True), (4, 5, True), (8, 2, True),
                                             (16, 2, False), (32, 2, False)])
def test_gate_terms_per_line_and_numbers_as_the_gates_page_had_them(H, per, numbers):
    """The Gates page's rule before plots decided it: five a line up to H = 4, else two;
    numbers up to H = 8."""
    terms = _terms(H)
    assert plots.per_line(terms) == per
    assert plots.numbers_fit(terms[:per]) is numbers


def test_one_hot_cells_hold_more_columns_and_a_share_of_the_page_fewer():
    voc = [str(i) for i in range(24)]
    one_hot = [plots.Panel(np.eye(4, 24), f"x_{t}", x_labels=voc, key=f"x_{t}", kind="onehot")
               for t in range(6)]
    assert plots.per_line(one_hot) == 3 and plots.numbers_fit(one_hot[:3])
    signed = [plots.Panel(np.eye(4, 24), f"a_{t}", x_labels=voc, key=f"a_{t}") for t in range(6)]
    assert not plots.numbers_fit(signed[:3])
    assert plots.numbers_fit(_terms(4)[:1]) and not plots.numbers_fit(_terms(4), width=0.5)


def test_numbers_shown_only_where_they_fit_and_the_toggle_allows():
    fit = plots.heatmap_grid(plots.lines_of(_terms(4), plots.row_labels("abcd")))
    heat = lambda fig: [t for t in fig.data if t.type == "heatmap"]  # noqa: E731
    assert len(heat(fit)) == 5 and all(t.texttemplate for t in heat(fit))
    wide = plots.heatmap_grid(plots.lines_of(_terms(16), plots.row_labels("abcd")))
    assert len(heat(wide)) == 5 and not any(t.texttemplate for t in heat(wide))
    off = plots.heatmap_grid(plots.lines_of(_terms(4), plots.row_labels("abcd")), numbers=False)
    assert len(heat(off)) == 5 and not any(t.texttemplate for t in heat(off))


def test_shape_suffix_comes_from_the_array():
    P = plots.Panel
    assert P(np.zeros((2, 3)), "x_t W_z", x_labels="abc", key="k").full_title == "x_t W_z  (2×3)"
    assert P(np.zeros(5), "term3", x_labels=["t"], key="k").full_title == "term3  (5,)"
    assert P(np.zeros(5), "term3", x_labels=["t"], key="k").z.shape == (5, 1)
    three = P(np.zeros((3, 4, 6)), "ŷ", x_labels="abcdef", key="k")
    assert three.full_title == "ŷ  (3·4×6)" and three.z.shape == (12, 6)
    noted = P(np.zeros((4, 2)), "W_z", x_labels="ab", key="k", note=": row 1 is read")
    assert noted.full_title == "W_z  (4×2): row 1 is read"
    assert P(np.zeros((2, 2)), "a − b", x_labels="ab", key="k", shape=False).full_title == "a − b"
    fig = plots.heatmap(np.zeros((2, 2)), title="x_t W_z", x_labels="ab", y_labels="cd")
    assert fig.layout.title.text == "x_t W_z  (2×2)"


def test_panel_takes_keywords_only_after_values_and_title():
    with pytest.raises(TypeError):
        plots.Panel(np.zeros((1, 2)), "a", "xy", "signed", "a")      # the old positional form


def test_own_range_goes_into_the_title_when_the_cells_carry_no_numbers():
    m = np.array([[0.5, -3.0]])
    line = [plots.Line([plots.Panel(m, "δW", x_labels="ab", key="g", shared_scale=False),
                        plots.Panel(m, "δU", x_labels="ab", key="u")], y_labels=["r"])]
    titles = lambda fig: {a.name: a.text for a in fig.layout.annotations if a.name}  # noqa: E731
    assert titles(plots.heatmap_grid(line, numbers=False))["g"] == "δW  (1×2)  ±3"
    assert titles(plots.heatmap_grid(line, numbers=True))["g"] == "δW  (1×2)"


def test_shared_row_labels_are_cut_by_how_many_panels_share_a_line():
    rows = plots.row_labels(["The quick brown fox", "jumps"])
    five = plots.heatmap_grid(plots.lines_of(_terms(2, B=2), rows, "row"))
    assert panel(five, "x_t W_z").y == ["1: The␣q…", "2: jumps"]           # nine characters
    alone = plots.heatmap(np.zeros((2, 2)), title="h", x_labels="ab", y_labels=rows)
    assert list(alone.data[0].y) == rows                                   # one matrix: whole


def test_every_matrix_goes_through_one_builder_without_automargin():
    z = np.linspace(-1, 1, 12).reshape(3, 4)
    figs = [plots.heatmap(z, title="m", x_labels="abcd", y_labels="xyz"),
            plots.matrix_figure(plots.Panel(z, "m", x_labels="abcd", key="m"), list("xyz"),
                                pick=(1, 2)),
            plots.text_heatmap(z, title="t", chars="abcd", positions=range(1, 5),
                               y_labels=["h1", "h2", "h3"]),
            plots.char_grid("abcdefg", np.linspace(0, 1, 7), title="c", per_row=4),
            plots.heatmap_grid(plots.lines_of(_terms(2), plots.row_labels("abcd")))]
    for fig in figs:
        heat = fig.data[0]
        assert heat.type == "heatmap" and heat.xgap == 1 and heat.ygap == 1
        assert heat.colorbar.thickness == 12
        layout = fig.layout.to_plotly_json()
        for name, axis in layout.items():
            if name.startswith(("xaxis", "yaxis")):
                assert axis.get("automargin") is False, name
        # room for the row labels, computed from them: a figure of several panels has it
        # inside its axes (their range reaching left of the panels), the others in the margin
        assert layout["margin"]["l"] > 10 or layout["xaxis"]["range"][0] < -0.05
    picker = figs[1].data[1]
    assert picker.type == "scatter" and len(picker.x) == 12
    assert any(s.line.color == "#ff00ff" for s in figs[1].layout.shapes)
    assert list(figs[2].layout.xaxis.ticktext) == list("abcd")
    assert figs[3].data[0].texttemplate == "%{text}"          # characters in the cells


def test_cells_drawn_apart_only_while_the_matrix_is_small_enough_to_show_the_gaps():
    """1 px gaps between the cells up to 64 rows and 120 columns; beyond (the Loss page's S·B
    rows, a few px each) none: with a gap plotly fills every cell on its own."""
    def gaps(rows, cols):
        z = np.zeros((rows, cols))
        fig = plots.heatmap_grid(plots.lines_of(
            [plots.Panel(z, "m", x_labels=[str(j) for j in range(cols)], key="m")],
            [str(i) for i in range(rows)]))
        heat = next(t for t in fig.data if t.type == "heatmap")
        return heat.xgap, heat.ygap
    assert gaps(16, 32) == gaps(64, 120) == (1, 1)
    assert gaps(512, 28) == gaps(65, 8) == gaps(8, 121) == (0, 0)


def test_an_axis_of_a_texts_characters_skips_plotlys_overflow_check():
    """A text's characters as tick labels (the Gate explorer's charts over the text): the range
    holds every label, so plotly's per-label check against the figure's edge, which measured a
    box for each of 100 labels (190 ms of a 230 ms chart), is turned off."""
    fig = plots.text_heatmap(np.zeros((2, 100)), title="t", chars="ab" * 50,
                             positions=range(1, 101), y_labels=["h1", "h2"])
    axis = fig.layout.xaxis
    assert axis.ticklabeloverflow == "allow" and len(axis.ticktext) == 100
    assert axis.range[0] < min(axis.tickvals) and axis.range[1] > max(axis.tickvals)


def test_line_charts_share_one_palette_and_compute_their_margins():
    series = {"a": [1, 2, 3], "b": [2, 3, 4], "c": [3, 2, 1]}
    figs = [plots.line_chart(series, title="t", x_title="x", y_title="y"),
            plots.xy_lines({k: (range(3), v) for k, v in series.items()}, title="t",
                           x_title="x", y_title="y"),
            plots.text_lines(series, title="t", chars="abc", positions=[1, 2, 3], y_title="y")]
    for fig in figs:
        assert [t.line.color for t in fig.data] == list(plots.PALETTE[:3])
        assert fig.layout.xaxis.automargin is False and fig.layout.yaxis.automargin is False
    pairs = plots.compare_lines(series, series, title="t", x=[1, 2, 3], x_title="x",
                                y_title="y")
    assert [t.line.color for t in pairs.data] == [c for c in plots.PALETTE[:3] for _ in (0, 1)]
