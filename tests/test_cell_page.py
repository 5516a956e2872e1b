"""AppTest of page 0, the GRU cell drawn: every node's heatmap carries the step's values, for
both conventions; the unrolled row marks the step; a chosen node's equation carries its numbers;
Prev / Next move the whole picture; bad input gives a message.

Expected values come from gru_core run here (not through ui.compute) and from plain NumPy on
its gates; the tutorial's published numbers anchor the first step.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import gru_core as gc
from app_helpers import cell_texts, charts, decode, no_exception, run_page
from grid_geometry import panel, traces
from ui import draw, plots, registry, store

CELL = registry.get("cell").file
LONG_TEXT = ("Gated recurrent units keep a state; the update gate decides how much of it to "
             "keep. ") * 7                      # 553 characters: room for B=16, S=32
CONVENTIONS = [("before", "keep"), ("before", "take"), ("after", "keep"), ("after", "take")]


def reference(reset="before", update="keep", hidden_size=2, seed=0):
    """gru_core directly on the tutorial's text, dictionary 'hatM' and sizes B=2, S=3; its
    weights at H = 2, else random weights from the seed (as the app shows them)."""
    text = gc.TUTORIAL_TEXT
    vocab = gc.Vocab.from_text(text, "hatM")
    batches = gc.make_batches(vocab.encode(text), vocab.size, 2, 3)
    params = (gc.tutorial_params() if hidden_size == 2
              else gc.init_params(vocab.size, hidden_size, seed=seed))
    return params, gc.run_batches(params, batches, gc.GRUConfig(reset, update))


def figure(at) -> dict:
    return charts(at)["cell"]


def nodes(spec) -> dict[str, np.ndarray]:
    """The drawn nodes: heatmap trace name -> its matrix."""
    return {t["name"]: np.atleast_2d(decode(t["z"]))
            for t in spec["data"] if t["type"] == "heatmap"}


def node_titles(spec) -> dict[str, str]:
    """"title_<node>" -> the node's title as drawn (a text trace's format string)."""
    trace = next(t for t in spec["data"] if t.get("name") == "node_titles")
    return {f"title_{k}": tpl for k, tpl in zip(trace["customdata"], trace["texttemplate"])}


def latex(at) -> str:
    return "\n".join(el.value for el in at.get("latex"))


@pytest.mark.parametrize("reset, update", CONVENTIONS)
def test_every_node_carries_the_traces_values_at_the_chosen_step(reset, update):
    batch, step = 2, 3                                        # 1-based, as in the URL
    at = run_page(CELL, query={"reset": reset, "update": update, "batch": str(batch),
                               "step": str(step)})
    assert no_exception(at)
    drawn = nodes(figure(at))
    params, traces = reference(reset, update)
    tr, t = traces[batch - 1], step - 1
    h_prev, z, r, h_tilde = tr.h_prev[t], tr.z[t], tr.r[t], tr.h_tilde[t]
    # the step's inputs and gates, as gru_core computes them
    for key, expected in (("x", tr.x[t]), ("h_prev", h_prev), ("z", z), ("r", r),
                          ("h_tilde", h_tilde), ("h", tr.h[t]), ("y", tr.probs[t])):
        np.testing.assert_allclose(drawn[key], expected, rtol=0, atol=1e-12, err_msg=key)
    assert np.any(h_prev != 0)                 # step 3 of batch 2: a real state, not h_0 = 0
    # the products, from the gates with plain NumPy: where the reset acts, which branch gets z
    q = h_prev @ params.U_h + params.b_hn
    reset_product = r * h_prev if reset == "before" else r * q
    from_prev, from_tilde = ((z * h_prev, (1 - z) * h_tilde) if update == "keep"
                             else ((1 - z) * h_prev, z * h_tilde))
    for key, expected in (("reset", reset_product), ("one_minus_z", 1 - z),
                          ("from_prev", from_prev), ("from_tilde", from_tilde),
                          ("h", from_prev + from_tilde)):
        np.testing.assert_allclose(drawn[key], expected, rtol=0, atol=1e-12, err_msg=key)


def test_the_first_step_shows_the_tutorials_published_numbers():
    drawn = nodes(figure(run_page(CELL)))
    published = {"z": [[.1791, .5943], [.6596, .5663]], "r": [[.6041, .5664], [.2635, .3628]],
                 "h_tilde": [[.9215, -.8557], [-.3979, -.4705]],
                 "h": [[.7565, -.3472], [-.1355, -.2040]],
                 "y": [[.4342, .1669, .1735, .2254], [.2207, .2352, .3322, .2119]]}
    for key, values in published.items():
        np.testing.assert_allclose(drawn[key], values, atol=2e-4, err_msg=key)


def test_numbers_are_in_the_cells_at_the_defaults_with_four_decimals():
    spec = figure(run_page(CELL))
    z = next(t for t in spec["data"] if t.get("name") == "z")
    assert cell_texts(z["text"]) == [["0.1790", "0.5943"], ["0.6596", "0.5663"]]
    assert z["texttemplate"] == "%{text}"


@pytest.mark.parametrize("reset, update", CONVENTIONS)
def test_every_arrow_ends_in_a_head_turned_along_its_last_segment(reset, update):
    """Each arrow is a polyline of its trace; its head is the marker on its last point (plotly
    turns it along the segment into that point), the other points carry none; the figure has no
    annotations (an annotation's arrow costs plotly a measured text each)."""
    spec = figure(run_page(CELL, query={"reset": reset, "update": update}))
    assert not spec["layout"].get("annotations")
    arrows = [t for t in spec["data"] if t.get("name", "").startswith("arrows")]
    assert {t["name"] for t in arrows} == {"arrows", "arrows_chosen"}
    count = 0
    for t in arrows:
        assert t["marker"]["symbol"] == "arrow" and t["marker"]["angleref"] == "previous"
        assert t["marker"]["opacity"] == 1
        sizes, xs = t["marker"]["size"], t["x"]
        assert len(sizes) == len(xs)
        ends = [i for i, x in enumerate(xs) if x is None]
        start = 0
        for end in ends:                                # one polyline: xs[start:end]
            assert end - start >= 2
            assert sizes[end - 1] > 0 and not any(sizes[start:end - 1]) and sizes[end] == 0
            start, count = end + 1, count + 1
    assert count == 16                                  # 14 arrows and the two gated branches


@pytest.mark.parametrize("reset, update", CONVENTIONS)
def test_the_drawing_changes_where_the_reset_acts_and_which_branch_z_feeds(reset, update):
    spec = figure(run_page(CELL, query={"reset": reset, "update": update}))
    arrows = {f"arrow_{name.replace('→', '_')}" for t in spec["data"]
              if t.get("name", "").startswith("arrows") for name in t["customdata"] if name}
    titles = node_titles(spec)
    gate_prev, gate_tilde = ("z", "one_minus_z") if update == "keep" else ("one_minus_z", "z")
    assert {f"arrow_{gate_prev}_from_prev", f"arrow_{gate_tilde}_from_tilde"} <= arrows
    assert not {f"arrow_{gate_tilde}_from_prev", f"arrow_{gate_prev}_from_tilde"} & arrows
    texts = " ".join(next(t for t in spec["data"]
                          if t.get("name") == "arrow_labels")["texttemplate"])
    if reset == "before":           # r ⊙ h_(t−1) goes into U_h
        assert "r<sub>t</sub> ⊙ h<sub>t−1</sub>" in titles["title_reset"]
        assert "× U<sub>h</sub>" in texts and "b<sub>hn</sub>" not in texts
    else:                           # U_h (and b_hn) first, then r
        assert "q<sub>t</sub>" in titles["title_reset"]
        assert "× U<sub>h</sub> + b<sub>hn</sub>" in texts
    first = ("z<sub>t</sub> ⊙ h<sub>t−1</sub>" if update == "keep"
             else "(1 − z<sub>t</sub>) ⊙")
    assert first in titles["title_from_prev"]


def _centre(shape) -> float:
    return (shape["x0"] + shape["x1"]) / 2


@pytest.mark.parametrize("step", [1, 2, 3])
def test_the_unrolled_row_highlights_the_chosen_step(step):
    spec = figure(run_page(CELL, query={"step": str(step)}))
    shapes = spec["layout"]["shapes"]
    boxes = {s["name"]: s for s in shapes if s.get("name", "").startswith("unrolled_h")}
    assert len(boxes) == 3 + 1                               # h_0 .. h_S
    current = [s for s in shapes if s.get("name") == "step_current"]
    assert len(current) == 1
    inside = sorted(int(k.removeprefix("unrolled_h")) for k, s in boxes.items()
                    if current[0]["x0"] < _centre(s) < current[0]["x1"])
    assert inside == [step - 1, step]                        # h_(t−1) -> h_t of step t


def test_the_characters_read_at_each_step_are_under_the_unrolled_row():
    spec = figure(run_page(CELL))
    chars = next(t for t in spec["data"] if t.get("name") == "unrolled_text")["customdata"]
    # batch 1 reads "Mat" (row 1) and "hMa" (row 2)
    assert [c for c in chars if any(c)] == [["M", "h"], ["a", "M"], ["t", "a"]]


@pytest.mark.parametrize("node, field, reset", [
    ("z", "z", "before"), ("r", "r", "before"), ("h_tilde", "h_tilde", "after"),
    ("reset", "h_rec", "after"), ("reset", "r_h_prev", "before"), ("h", "h", "before"),
    ("from_prev", "h_from_prev", "before"), ("one_minus_z", "one_minus_z", "after"),
    ("y", "probs", "before"), ("h_prev", "h_prev", "before")])
def test_choosing_a_node_shows_its_equation_with_the_steps_numbers(node, field, reset):
    at = run_page(CELL, query={"step": "2", "reset": reset})
    at.radio(key="node").set_value(node).run()
    assert no_exception(at)
    _, traces = reference(reset)
    values = getattr(traces[0], field)[1]
    tex = latex(at)
    for v in values.ravel():
        text = f"{v:.4f}" if v != 0 else "0"
        assert text.removeprefix("-") in tex, (node, text, tex)
    assert re.search(r"\\begin\{bmatrix\}", tex)
    # the chosen node is outlined in the drawing, and its title is in the highlight colour
    spec = figure(at)
    chosen = [s for s in spec["layout"]["shapes"] if s.get("name") == "chosen"]
    assert len(chosen) == 1
    titles = node_titles(spec)
    assert plots.HIGHLIGHT in titles[f"title_{node}"]
    assert sum(plots.HIGHLIGHT in t for t in titles.values()) == 1


def test_the_gate_equation_reads_term_by_term():
    at = run_page(CELL, query={"step": "2", "node": "z"})
    _, traces = reference()
    tr = traces[0]
    tex = latex(at)
    assert r"\sigma(x_t W_z + h_{t-1} U_z + b_z)" in tex
    # x_t W_z, h_(t−1) U_z, the sum and z, in that order
    where = [tex.index(f"{abs(tr.z_in[1][0, 0]):.4f}"), tex.index(f"{abs(tr.z_rec[1][0, 0]):.4f}"),
             tex.index(f"{abs(tr.z_pre[1][0, 0]):.4f}"), tex.rindex(f"{tr.z[1][0, 0]:.4f}")]
    assert where == sorted(where)


def test_a_node_in_the_url_is_shown_and_a_bad_one_is_noted():
    at = run_page(CELL, query={"node": "h_tilde"})
    assert at.radio(key="node").value == "h_tilde"
    assert r"\tilde h_t" in latex(at)
    at = run_page(CELL, query={"node": "<b>q</b>"})
    assert no_exception(at) and at.radio(key="node").value == store.VIEW_DEFAULTS["node"]
    assert any("`node` must be one of" in el.value for el in at.info)


def test_a_click_on_a_node_picks_it_and_other_clicks_do_not():
    event = {"selection": {"points": [{"curve_number": 5, "point_index": 0,
                                       "customdata": ["h_tilde", "1", "h1", "0.9215"]}]}}
    assert draw.picked_node(event) == "h_tilde"
    for bad in (None, {}, {"selection": {"points": []}},
                {"selection": {"points": [{"customdata": ["<b>x</b>"]}]}},
                {"selection": {"points": [{"curve_number": 0}]}}):
        assert draw.picked_node(bad) is None
    # every node drawn carries its key on its click targets
    spec = figure(run_page(CELL))
    pick = [t for t in spec["data"] if t.get("name") == "pick"]
    assert len(pick) == 1                               # one trace holds every node's targets
    targets = list(zip(pick[0]["x"], pick[0]["y"], pick[0]["customdata"]))
    assert {c[0] for _, _, c in targets} == set(store.CELL_NODES)
    titles = {n.key: n.title for n in plots.cell_nodes("before", "keep")}
    assert all(c[4] == titles[c[0]] for _, _, c in targets)   # hover names the node
    assert "%{customdata[4]}" in pick[0]["hovertemplate"]
    for key in store.CELL_NODES:                        # each target lies on its node's cells
        node = next(t for t in spec["data"] if t.get("type") == "heatmap" and t["name"] == key)
        rows, cols = np.shape(decode(node["z"]))
        x_lo, y_hi = node["x0"] - node["dx"] / 2, node["y0"] - node["dy"] / 2
        x_hi, y_lo = x_lo + cols * node["dx"], y_hi + rows * node["dy"]
        mine = [(x, y) for x, y, c in targets if c[0] == key]
        assert mine and all(x_lo < x < x_hi and y_lo < y < y_hi for x, y in mine), key
    assert tuple(plots.cell_names("before", "keep")) == store.CELL_NODES


def test_next_and_prev_move_the_whole_picture():
    at = run_page(CELL, query={"node": "h"})
    _, traces = reference()
    at.button(key="next_step").click().run()
    assert at.session_state["step"] == 2
    drawn = nodes(figure(at))
    np.testing.assert_allclose(drawn["h"], traces[0].h[1], atol=1e-12)
    np.testing.assert_allclose(drawn["h_prev"], traces[0].h[0], atol=1e-12)
    assert f"{traces[0].h[1][0, 0]:.4f}" in latex(at)
    for _ in range(2):                                  # over the batch's end: batch 2, step 1
        at.button(key="next_step").click().run()
    assert (at.session_state["batch"], at.session_state["step"]) == (2, 1)
    np.testing.assert_allclose(nodes(figure(at))["h_prev"], traces[0].h[2], atol=1e-12)
    at.button(key="prev_step").click().run()
    assert (at.session_state["batch"], at.session_state["step"]) == (1, 3)
    np.testing.assert_allclose(nodes(figure(at))["z"], traces[0].z[2], atol=1e-12)


def test_an_empty_text_gives_a_message_not_a_traceback():
    at = run_page(CELL, query={"text": ""})
    assert no_exception(at)
    assert any("empty" in el.value.lower() for el in at.error)
    assert "cell" not in charts(at)


def test_the_largest_values_draw_colour_only_and_every_kth_label():
    at = run_page(CELL, state={"text": LONG_TEXT, "order": "sorted", "batch_size": 16,
                               "seq_len": 32, "hidden_size": 32, "step": 32},
                  query={"node": "h_tilde"})
    assert no_exception(at)
    spec = figure(at)
    heat = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert len(heat) == len(store.CELL_NODES)
    assert all("texttemplate" not in t for t in heat)             # too many cells for numbers
    assert np.atleast_2d(decode(heat[0]["z"])).shape[0] == 16       # every row of the batch
    unrolled = next(t for t in spec["data"] if t.get("name") == "unrolled_text")["texttemplate"]
    labels = [s for s in unrolled if s.startswith("h<sub>")]
    assert 4 < len(labels) < 33                                    # not all 33 h_k labels
    assert "h<sub>31</sub>" in labels and "h<sub>32</sub>" in labels   # the current step's
    # the equation writes out a corner of the matrices, with the dots
    assert r"\cdots" in latex(at) and r"\vdots" in latex(at)


@pytest.mark.parametrize("B, H, V, S", [(1, 1, 2, 1), (2, 2, 4, 3), (3, 1, 30, 7), (1, 32, 2, 32),
                                        (16, 32, 60, 32), (5, 7, 11, 13), (16, 1, 3, 2),
                                        (4, 3, 65, 25), (3, 5, 4, 3), (7, 9, 13, 31)])
@pytest.mark.parametrize("reset, update", [("before", "keep"), ("after", "take")])
def test_the_figure_builds_at_every_size(B, H, V, S, reset, update):
    """Every axis domain inside [0, 1] whatever the sizes (rounding once gave -6.9e-18), and
    every node's cells inside the drawing."""
    rng = np.random.default_rng(B * 1000 + H * 100 + V + S)
    values = {k: rng.uniform(-1, 1, (B, V if k in ("x", "y") else H)) for k in store.CELL_NODES}
    chars = [chr(97 + v % 26) for v in range(V)]
    fig = plots.cell_figure(values, reset=reset, update=update, chosen="h",
                            hidden=plots.hidden_labels(H), chars=chars,
                            rows=[str(b + 1) for b in range(B)], step=S - 1,
                            steps_in=[["a"] * min(B, 2)] * S)
    for name, axis in fig.to_dict()["layout"].items():
        if name.startswith(("xaxis", "yaxis")):
            lo, hi = axis["domain"]
            assert 0 <= lo <= hi <= 1, (name, lo, hi)
    heatmaps = [t["name"] for t in traces(fig)]
    assert sorted(heatmaps) == sorted(store.CELL_NODES)
    for name in heatmaps:             # every node inside the drawing (its axes' range)
        left, right, low, top = panel(fig, name).box
        assert -1e-9 <= left < right <= 1 + 1e-9 and -1e-9 <= low < top <= 1 + 1e-9, name


@pytest.mark.parametrize("present", ["0", "1"])
def test_every_node_title_lies_inside_the_drawing(present):
    """Plotly leaves out a text placed even 2e-16 beyond its axis range: the right-hand node's
    title once vanished on the projector (x = 1.0000000000000002)."""
    at = run_page(CELL, query={"present": present})
    assert no_exception(at), at.exception
    trace = next(t for t in figure(at)["data"] if t.get("name") == "node_titles")
    xs, ys = decode(trace["x"]), decode(trace["y"])
    assert len(xs) == 11
    assert ((0.0 <= xs) & (xs <= 1.0) & (0.0 <= ys) & (ys <= 1.0)).all(), (xs, ys)
