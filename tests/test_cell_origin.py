"""Where a number comes from, on the page that teaches it (#14, point 4): on the Gates,
Candidate and Output pages the picked cell of a result matrix (cell_q / cell_b / cell_j, set by
a click) is outlined in magenta with the cells it is computed from, the row of W the one-hot
x_t picks and the column of U outlined in black, and its scalar equation with the real numbers
is shown just below.

Expected values and indices come from gru_core and the tutorial's text, computed here.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import gru_core as gc
from app_helpers import charts, decode, run_page
from grid_geometry import panel
from test_beyond import recompute_from_latex
from ui import registry
from ui.draw import picked_cell

GATES = registry.get("gates").file
CANDIDATE = registry.get("candidate").file
OUTPUT = registry.get("output").file
PICKED = "#ff00ff"
CONFIGS = [gc.GRUConfig(r, u) for r, u in itertools.product(gc.RESETS, gc.UPDATES)]


def tutorial(config=gc.TUTORIAL_CONFIG):
    vocab = gc.Vocab.from_text(gc.TUTORIAL_TEXT, gc.TUTORIAL_ORDER)
    batches = gc.make_batches(vocab.encode(gc.TUTORIAL_TEXT), vocab.size, 2, 3)
    params = gc.tutorial_params()
    return vocab, batches, params, gc.run_batches(params, batches, config)[0]


def outlines(spec: dict, color: str) -> set[tuple]:
    """A panel's outlines of one colour as (row0, row1, col0, col1) cell ranges."""
    return {(round(s["y0"] + 0.5), round(s["y1"] - 0.5), round(s["x0"] + 0.5),
             round(s["x1"] - 0.5))
            for s in spec["layout"]["shapes"] if s["line"]["color"] == color}


def cell(r, c):
    return (r, r, c, c)


def state(q, b, j, step, config=gc.TUTORIAL_CONFIG):
    return {"cell_q": q, "cell_b": b, "cell_j": j, "step": step, "reset": config.reset,
            "update": config.update}


def said(at) -> str:
    return next(m.value for m in at.markdown if "comes from" in m.value)


@pytest.mark.parametrize("q, other, step, b, j", [("z", "r", 1, 0, 0), ("z", "r", 2, 1, 1),
                                                  ("r", "z", 3, 1, 0), ("r", "z", 1, 0, 1)])
def test_gates_outline_the_sources_of_the_picked_cell(q, other, step, b, j):
    vocab, batches, _, trace = tutorial()
    at = run_page(GATES, state=state(q, b, j, step))
    assert not at.exception, at.exception
    c = charts(at)
    t = step - 1
    v = int(batches.x_ids[0, t, b])          # the character row b reads, in 'hatM'
    assert outlines(c[f"W_{q}"], PICKED) == {cell(v, j)}
    assert outlines(c[f"W_{q}"], "black") == {(v, v, 0, 1)}          # the whole row of W
    assert outlines(c[f"U_{q}"], "black") == {(0, 1, j, j)}          # the whole column of U
    assert outlines(c[f"b_{q}"], PICKED) == {cell(0, j)}
    for key in (f"{q}_in", f"{q}_rec", f"{q}_bias", f"{q}_pre", f"{q}_t"):
        assert outlines(c[key], PICKED) == {cell(b, j)}, key
    assert outlines(c["x_t"], "black") == {(b, b, 0, vocab.size - 1)}
    for key in (f"W_{other}", f"U_{other}", f"{other}_t"):       # the other gate: nothing
        assert not c[key]["layout"]["shapes"], key
    expected = float(getattr(trace, q)[t, b, j])
    text = said(at)
    assert f"{q}_t[{b + 1}, {j + 1}] = {expected:.4f}" in text
    latex = next(x.value for x in at.latex if r"\begin{aligned}" in x.value)
    assert abs(recompute_from_latex(q, latex) - expected) < 2e-4


def test_gates_result_cells_can_be_clicked():
    """The z_t panel of the z figure carries the invisible markers (the figure's last trace, on
    z_t's axes, one per cell), and a click's event names the cell."""
    at = run_page(GATES)
    spec = next(s for k, s in charts(at).items() if k == "row_W_z")
    heat = next(tr for tr in spec["data"] if tr.get("name") == "z_t")
    marks = spec["data"][-1]
    assert marks["type"] == "scatter" and len(decode(marks["customdata"])) == 2 * 2
    assert (marks["xaxis"], marks["yaxis"]) == (heat["xaxis"], heat["yaxis"])
    curve = len(spec["data"]) - 1
    event = {"selection": {"points": [{"curve_number": curve, "point_index": 3}]}}
    assert picked_cell(event, 2, curve) == (1, 1)
    wrong = {"selection": {"points": [{"curve_number": curve - 1, "point_index": 3}]}}
    assert picked_cell(wrong, 2, curve) is None


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_candidate_outlines_follow_the_convention(config):
    b, j, step = 1, 0, 2
    vocab, batches, _, trace = tutorial(config)
    at = run_page(CANDIDATE, state=state("h_tilde", b, j, step, config))
    assert not at.exception, at.exception
    c = charts(at)
    t, v = step - 1, int(batches.x_ids[0, step - 1, b])
    assert outlines(c["W_h"], PICKED) == {cell(v, j)}
    assert outlines(c["U_h"], "black") == {(0, 1, j, j)}
    if config.reset == "before":       # the whole row b of r_t ⊙ h_(t−1) meets U_h
        assert outlines(c["r_h_prev"], "black") == {(b, b, 0, 1)}
        assert outlines(c["r_t"], "black") == {(b, b, 0, 1)}
    else:                              # r_t[b, j] scales (h_(t−1) U_h + b_hn)[b, j]
        assert outlines(c["r_t"], PICKED) == {cell(b, j)}
        assert outlines(c["h_prev_U_h"], PICKED) == {cell(b, j)}
        assert outlines(c["b_hn"], PICKED) == {cell(0, j)}
    assert outlines(c["h_tilde"], PICKED) == {cell(b, j)}
    assert not c["h_t"]["layout"]["shapes"]
    expected = float(trace.h_tilde[t, b, j])
    assert f"h̃_t[{b + 1}, {j + 1}] = {expected:.4f}" in said(at)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_candidate_new_state_outlines_its_parts(config):
    b, j, step = 0, 1, 3
    *_, trace = tutorial(config)
    at = run_page(CANDIDATE, state=state("h", b, j, step, config))
    c = charts(at)
    for key in ("z_t", "one_minus_z", "h_from_prev", "h_from_tilde", "h_t"):
        assert outlines(c[key], PICKED) == {cell(b, j)}, key
    assert not c["W_h"]["layout"]["shapes"]
    assert f"h_t[{b + 1}, {j + 1}] = {float(trace.h[step - 1, b, j]):.4f}" in said(at)


def test_output_outlines_the_column_of_W_y_and_the_row_sum():
    b, v, step = 1, 2, 1
    *_, trace = tutorial()
    at = run_page(OUTPUT, state=state("probs", b, v, step))
    assert not at.exception, at.exception
    c = charts(at)
    assert outlines(c["W_y"], "black") == {(0, 1, v, v)}
    assert outlines(c["h_t"], "black") == {(b, b, 0, 1)}
    assert outlines(c["b_y"], PICKED) == {cell(0, v)}
    for key in ("logits", "exp", "probs"):
        assert outlines(c[key], PICKED) == {cell(b, v)}, key
    assert outlines(c["exp_sum"], PICKED) == {cell(b, 0)}
    expected = float(trace.probs[step - 1, b, v])
    assert f"ŷ_t[{b + 1}, {v + 1}] = {expected:.4f}" in said(at)


def test_a_cell_of_another_page_falls_back_to_this_pages_result():
    """cell_q names the Cell inspector's quantity too: on Gates a picked ŷ cell is not drawn, so
    the first result (z) is explained, with the unit clamped to H."""
    *_, trace = tutorial()
    at = run_page(GATES, state=state("probs", 1, 3, 1))
    assert not at.exception, at.exception
    assert f"z_t[2, 2] = {float(trace.z[0, 1, 1]):.4f}" in said(at)


def test_a_clickable_panel_keeps_its_cells_to_its_frame():
    """The click markers (30 px each) would widen the panel's autorange: at H = 32 the z_t
    heatmap was drawn smaller than its frame. Its axes keep exactly its cells' range."""
    from ui import plots
    z = np.random.default_rng(0).random((16, 32))
    panels = [plots.Panel(z, k, x_labels=[f"h{i}" for i in range(1, 33)], key=k, kind="gate")
              for k in ("in", "rec", "bias", "pre", "z_t")]
    fig = plots.heatmap_grid(plots.lines_of(panels, [str(i) for i in range(1, 17)], "row"),
                             pick="z_t")
    heat = next(t for t in fig.data if t.name == "z_t")
    i = heat.xaxis[1:]
    for name in (f"xaxis{i}", f"yaxis{i}"):        # fixed: the markers cannot widen them
        assert fig.layout[name].autorange is False and fig.layout[name].range is not None
    marks = fig.data[-1]
    assert (marks.xaxis, marks.yaxis) == (heat.xaxis, heat.yaxis)
    # one marker on each cell's centre, inside the panel's box (its frame)
    view = panel(fig, "z_t")
    left, right, low, top = view.box
    xs, ys = np.asarray(marks.x), np.asarray(marks.y)
    np.testing.assert_allclose(xs[:32], left + (np.arange(32) + 0.5) * view.cell_w)
    np.testing.assert_allclose(ys[::32], top - (np.arange(16) + 0.5) * view.cell_h)
    assert left < xs.min() and xs.max() < right and low < ys.min() and ys.max() < top


@pytest.mark.parametrize("path, quantity, other, width", [
    (GATES, "z", "r", 2), (CANDIDATE, "h_tilde", "h", 2), (OUTPUT, "probs", None, 4)])
def test_a_cell_can_be_picked_without_clicking_the_chart(path, quantity, other, width):
    """Beside the picked cell's equation, selectboxes pick another cell (matrix, row, column)
    for a keyboard; the choice becomes the picked cell, outlined and explained like a click's."""
    at = run_page(path)
    assert at.selectbox(key="pick_b").value == 0 and at.selectbox(key="pick_j").value == 0
    at.selectbox(key="pick_b").set_value(1).run()
    at.selectbox(key="pick_j").set_value(width - 1).run()
    assert not at.exception, at.exception
    s = at.session_state
    assert (s["cell_q"], s["cell_b"], s["cell_j"]) == (quantity, 1, width - 1)
    assert any(f"[2, {width}] = " in m.value for m in at.markdown if m.value.startswith("**Where"))
    if other is not None:
        at.selectbox(key="pick_q").set_value(other).run()
        assert (s["cell_q"], s["cell_b"], s["cell_j"]) == (other, 1, width - 1)
        assert at.selectbox(key="pick_q").value == other
