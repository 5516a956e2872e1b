"""Every chart has an accessible name that says what it shows (issue #16, point 2): the
frontend gives a Plotly chart with `alt` the role "figure" and that text as its aria-label, so
a screen reader meets "z_t = σ(sum), 2 rows × 2 columns, values 0.1790 to 0.6596" instead of
an unnamed graphic. The expected words and numbers here come from gru_core's own trace and
from hand-written figures, not from the function that writes the names."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

import gru_core as gc
from app_helpers import no_exception, run_page, user_key
from ui import plots, registry


def tutorial_trace():
    vocab = gc.Vocab.from_text(gc.TUTORIAL_TEXT, gc.TUTORIAL_ORDER)
    batches = gc.make_batches(vocab.encode(gc.TUTORIAL_TEXT), vocab.size, 2, 3)
    return gc.run_batches(gc.tutorial_params(), batches, gc.TUTORIAL_CONFIG)[0]


def names(at) -> dict[str, str]:
    return {user_key(el): el.proto.alt for el in at.get("plotly_chart")}


@pytest.mark.parametrize("path", [p.file for p in registry.PAGES if p.number is not None],
                         ids=lambda p: p.split("/")[-1])
def test_every_chart_on_every_page_has_a_name(path):
    at = run_page(path)
    assert no_exception(at), at.exception
    found = names(at)
    assert found, "the page draws no chart"
    for key, name in found.items():
        assert name.strip(), f"{key} has no accessible name"
        assert "<" not in name and "&" not in name, f"{key}: markup in {name!r}"


def fmt(v: float) -> str:
    return f"{v:.4f}"


def test_the_gates_rows_say_their_matrices_operators_and_values():
    tr = tutorial_trace()
    z = tr.z[0]                                         # (B, H) at step 1
    found = names(run_page("pages/2_Gates_z_and_r.py"))
    row = found["row_W_z"]
    assert row.startswith("8 matrices: W_z, 4 rows × 2 columns")
    # the equation row in its order, with its operators
    assert "x_t W_z, 2 rows × 2 columns" in row
    assert " + h_(t−1) U_z, 2 rows × 2 columns, value 0 + b_z" in row
    assert row.endswith(f" σ z_t = σ(sum), 2 rows × 2 columns, values {fmt(z.min())} to "
                        f"{fmt(z.max())}")
    assert found["x_t"] == "x_t one-hot input, 2 rows × 4 columns, values 0 to 1"
    assert "r_t = σ(sum), 2 rows × 2 columns, values " \
           f"{fmt(tr.r[0].min())} to {fmt(tr.r[0].max())}" in found["row_W_r"]


def test_the_cell_drawing_names_its_step_and_nodes():
    tr = tutorial_trace()
    name = names(run_page("pages/0_The_GRU_cell.py"))["cell"]
    assert name.startswith("The GRU cell at step 1: 11 matrices: x_t, 2 rows × 4 columns")
    assert f"z_t, 2 rows × 2 columns, values {fmt(tr.z[0].min())} to {fmt(tr.z[0].max())}" \
        in name
    assert f"h_t, 2 rows × 2 columns, values {fmt(tr.h[0].min())} to {fmt(tr.h[0].max())}" \
        in name
    assert "arrows" not in name                      # the drawing's lines are not data


def test_a_line_chart_says_each_line():
    fig = plots.line_chart({"loss": [2.0, 1.5, 1.25], "accuracy": [0.1, 0.5, 0.5]},
                           title="Training <b>loss</b> &amp; accuracy", x_title="epoch",
                           y_title="value")
    assert plots.accessible_name(fig) == (
        "Training loss & accuracy: loss, 3 points, values 1.2500 to 2; "
        "accuracy, 3 points, values 0.1000 to 0.5000")


def test_a_hand_built_grid_in_its_order_with_operators():
    a = plots.Panel(np.array([[1.0, -2.0]]), "A", x_labels=["h1", "h2"], key="a")
    b = plots.Panel(np.array([[0.5, 0.5]]), "B", x_labels=["h1", "h2"], key="b")
    c = plots.Panel(np.array([[1.5, -1.5]]), "A + B", x_labels=["h1", "h2"], key="c")
    fig = plots.heatmap_grid([plots.Line([a, b, c], y_labels=["1"], ops=("+", "="))])
    assert plots.accessible_name(fig) == (
        "3 matrices: A, 1 row × 2 columns, values -2 to 1 + B, 1 row × 2 columns, "
        "value 0.5000 = A + B, 1 row × 2 columns, values -1.5000 to 1.5000")


def test_missing_values_are_left_out_of_the_range():
    fig = go.Figure(go.Heatmap(z=[[np.nan, 0.25], [0.75, np.nan]], name="m"),
                    layout=dict(title=dict(text="M")))
    assert plots.accessible_name(fig) == "M, 2 rows × 2 columns, values 0.2500 to 0.7500"
    empty = go.Figure(go.Heatmap(z=[[np.nan]], name="e"))
    assert plots.accessible_name(empty) == "e, 1 row × 1 column, no values"


def test_cells_of_characters_are_said_as_characters():
    grid = plots.char_matrix([["t", "h"], [" ", "t"]], title="What each row reads",
                             x_labels=["1", "2"], y_labels=["1", "2"], x_title="step",
                             y_title="row", key="chars")
    assert plots.accessible_name(grid) == (
        "What each row reads, 2 rows × 2 columns, cells show t, h, ␣")   # no "value 1"
    probs = go.Figure(go.Heatmap(z=[[0.25, 0.5]], text=[["a", "b"]], name="p"),
                      layout=dict(title=dict(text="P")))
    assert plots.accessible_name(probs) == (
        "P, 1 row × 2 columns, cells show a, b, values 0.2500 to 0.5000")


@pytest.mark.parametrize("markup, words", [
    ("h<sub>t</sub><br>new state", "h_t new state"),      # a line break parts two words
    ("<b>z</b>&nbsp;=&nbsp;σ(…)", "z = σ(…)"),
    ("W_z <BR/> (4×2)", "W_z (4×2)"),
    (None, ""),
])
def test_plain_words_of_a_title(markup, words):
    assert plots.plain(markup) == words
