"""Every matrix can be read as a table (issue #16, point 2): under each chart a folded "Show as
table" (keyed "table_<chart key>") shows its matrices as st.dataframe with the chart's row and
column labels, four decimals as in the cells. Closed by default, and closed its tables are
neither built nor sent. The expected numbers come from the naive reference GRU
(tests/reference_gru.py) or from gru_core run here, never from the code under test; the
expected labels are written out by hand for the tutorial's batch 1 ("Mat", "hMa")."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import gru_core as gc
import reference_gru as ref
from app_helpers import BACKPROP_5_7, TIMEOUT, no_exception, run_page, user_key
from ui import registry

ROWS = ["1: Mat", "2: hMa"]             # batch 1 of the tutorial: B = 2 rows, S = 3 steps
VOCAB = ["h", "a", "t", "M"]            # the tutorial's order "hatM"
HIDDEN = ["h1", "h2"]
FORWARD = ["cell", "data", "gates", "candidate", "output", "loss"]


def reference_batch1() -> dict:
    """The naive reference forward over batch 1 with the published weights: row 1 reads
    "Mat", row 2 "hMa" (ids in "hatM")."""
    ids = np.array([[3, 0], [1, 3], [2, 1]])             # (S, B): M h / a M / t a
    return ref.forward(ref.tutorial_weights(), ref.onehot(ids, 4))


def table_keys(at: AppTest) -> set[str]:
    return {k for k in at.session_state._state._state.filtered_state
            if str(k).startswith("table_")}


def opened(page: str, query: dict | None = None, state: dict | None = None) -> AppTest:
    """The page run once, then again with every "Show as table" on it open."""
    first = run_page(page, state=state, query=query)
    assert no_exception(first), first.exception
    return run_page(page, state={**(state or {}), **{k: True for k in table_keys(first)}},
                    query=query)


def tables(at: AppTest) -> dict[str, object]:
    """The tables shown by "Show as table" (their st.dataframe's alt is their title)."""
    return {df.proto.alt: df for df in at.dataframe if df.proto.alt}


def table(at: AppTest, title: str):
    found = [df for alt, df in tables(at).items() if alt.startswith(title)]
    assert len(found) == 1, (title, list(tables(at)))
    return found[0]


def formats(df) -> dict[str, str]:
    config = json.loads(df.proto.columns or "{}")
    return {c: v["type_config"]["format"] for c, v in config.items()}


def check(df, values, rows, columns, fmt="%.4f"):
    """The table holds `values` to four decimals, as the cells show them (a screen reader
    reads the values themselves), under these labels, shown as `fmt`."""
    frame = df.value
    assert list(frame.index) == rows
    assert list(frame.columns) == columns
    shown = frame.to_numpy(dtype=float)
    np.testing.assert_array_equal(shown, np.round(shown, 4))
    np.testing.assert_allclose(shown, values, rtol=0, atol=5e-5 + 1e-12)
    assert set(formats(df).values()) == {fmt}
    assert set(formats(df)) == set(columns)


# ---------------------------------------------------------------- off, unbuilt, on every chart

TABLE_PAGES = FORWARD + ["backprop", "whatif", "conventions", "inspector", "explorer"]


@pytest.mark.parametrize("key, state", [(k, {}) for k in TABLE_PAGES] + [("backprop", BACKPROP_5_7)],
                         ids=TABLE_PAGES + ["backprop-5-7"])
def test_every_chart_has_a_closed_table_control_that_builds_nothing(key, state):
    at = run_page(registry.get(key).file, state=state)
    assert no_exception(at), at.exception
    drawn = {user_key(el) for el in at.get("plotly_chart")}
    assert drawn
    assert table_keys(at) == {f"table_{k}" for k in drawn}
    assert all(not at.session_state[k] for k in table_keys(at))
    assert not tables(at), "a closed table was sent"
    labels = [e.label for e in at.expander if e.label == "Show as table"]
    assert len(labels) == len(drawn)


def test_a_closed_table_is_not_built_and_an_open_one_once():
    def script():
        import streamlit as st

        from ui import draw
        calls = st.session_state.setdefault("calls", [])

        def make():
            calls.append(1)
            return [draw.matrix_table("m", [[0.5, 1.0]], ["a", "b"], ["r"])]
        draw.tables("m", make)

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    assert no_exception(at), at.exception
    assert at.session_state["calls"] == [] and not at.dataframe
    at.session_state["table_m"] = True
    at.run()
    assert at.session_state["calls"] == [1]
    assert list(at.dataframe[0].value.columns) == ["a", "b"]


# ---------------------------------------------------------------- the values, on each page

def test_gates_tables_hold_the_equation_row_and_the_weights():
    r, P = reference_batch1(), ref.tutorial_weights()
    at = opened(registry.get("gates").file)
    assert no_exception(at), at.exception
    for g in ("z", "r"):
        check(table(at, f"{g}_t = σ(sum)"), r[g][0], ROWS, HIDDEN)
        check(table(at, f"x_t W_{g}"), r[f"{g}_in"][0], ROWS, HIDDEN)
        check(table(at, f"W_{g}  (4×2)"), P[f"W_{g}"], VOCAB, HIDDEN)
        check(table(at, f"U_{g}"), P[f"U_{g}"], HIDDEN, HIDDEN)
    check(table(at, "x_t  one-hot input"), r["x"][0], ROWS, VOCAB, fmt="%d")
    frame = table(at, "z_t = σ(sum)").value
    assert (frame.index.name, frame.columns.name) == ("row", "unit")


def test_gates_table_follows_the_time_step():
    r = reference_batch1()
    at = opened(registry.get("gates").file, query={"step": "3"})
    check(table(at, "z_t = σ(sum)"), r["z"][2], ROWS, HIDDEN)
    check(table(at, "h_(t−1) U_r"), r["r_rec"][2], ROWS, HIDDEN)


def test_candidate_and_output_tables():
    r, P = reference_batch1(), ref.tutorial_weights()
    at = opened(registry.get("candidate").file, query={"step": "2"})
    assert no_exception(at), at.exception
    check(table(at, "h̃_t"), r["h_tilde"][1], ROWS, HIDDEN)
    check(table(at, "h_t"), r["h"][1], ROWS, HIDDEN)
    check(table(at, "W_h"), P["W_h"], VOCAB, HIDDEN)
    at = opened(registry.get("output").file)
    assert no_exception(at), at.exception
    check(table(at, "ŷ_t = exp / row sum"), r["probs"][0], ROWS, VOCAB)
    check(table(at, "y_linear = h_t W_y + b_y"), r["logits"][0], ROWS, VOCAB)
    check(table(at, "W_y"), P["W_y"], HIDDEN, VOCAB)


def test_the_cell_page_tables_the_chosen_node():
    r = reference_batch1()
    at = opened(registry.get("cell").file)
    assert no_exception(at), at.exception
    check(table(at, "z_t at step 1"), r["z"][0], ROWS, HIDDEN)
    assert len(tables(at)) == 1                        # the chosen node's matrix only
    at = opened(registry.get("cell").file, state={"node": "y"}, query={"step": "2"})
    check(table(at, "ŷ_t at step 2"), r["probs"][1], ROWS, VOCAB)


def test_data_tables_hold_the_one_hot_steps_and_the_characters():
    at = opened(registry.get("data").file)
    assert no_exception(at), at.exception
    text = gc.TUTORIAL_TEXT
    vocab = gc.Vocab.from_text(text, gc.TUTORIAL_ORDER)
    batches = gc.make_batches(vocab.encode(text), vocab.size, 2, 3)
    for t in range(3):
        check(table(at, f"x_{t + 1}  (2×4)"), batches.X[0, t], ROWS, VOCAB, fmt="%d")


def test_data_table_of_characters_in_the_long_view():
    """Beyond 12 steps the page shows one step and the batch as characters (the step's grids
    folded in an expander: once it is open, their tables open too)."""
    text = "the cat sat on the mat. " * 4
    query = {"text": text, "seq_len": "16", "step": "2"}
    at = opened(registry.get("data").file, query=query, state={"every_step_open": True})
    assert no_exception(at), at.exception
    order = "".join(sorted(set(text)))
    vocab = gc.Vocab.from_text(text, order)
    batches = gc.make_batches(vocab.encode(text), vocab.size, 2, 16)
    seen = [[order[i].replace(" ", "␣") for i in batches.x_ids[0, :, b]] for b in range(2)]
    chars = table(at, "X[1] as characters").value
    assert chars.values.tolist() == seen
    assert list(chars.columns) == [f"t{k}" for k in range(1, 17)]
    assert list(chars.index) == ["1", "2"]
    assert (chars.index.name, chars.columns.name) == ("row", "step")
    rows = [f"{b + 1}: " + "".join(seen[b]) for b in range(2)]
    columns = [c.replace(" ", "␣") for c in order]
    check(table(at, "x_2  inputs"), batches.X[0, 1], rows, columns, fmt="%d")
    check(table(at, "x_16  (2×"), batches.X[0, 15], rows, columns, fmt="%d")


def test_loss_tables_hold_every_position():
    r = reference_batch1()
    at = opened(registry.get("loss").file)
    assert no_exception(at), at.exception
    rows = [f"t{t} · {row}" for t in (1, 2, 3) for row in ROWS]
    check(table(at, "ŷ  (3·2×4)"), r["probs"].reshape(6, 4), rows, VOCAB)
    Y = ref.onehot(np.array([[1, 3], [2, 1], [0, 2]]), 4)   # the next characters: a M / t a / h t
    term3, _ = ref.cross_entropy_terms(r["probs"], Y)
    check(table(at, "term3"), term3[:, None], ["t1", "t2", "t3"], ["term3"])
    series = table(at, "Loss per batch").value
    assert list(series.columns) == ["cross-entropy", "L2"]


def test_a_line_charts_series_keep_six_significant_digits():
    """A vanishing gradient's norm stays readable (1e-9 is not rounded to 0), series over the
    same x share a table, others get their own."""
    import plotly.graph_objects as go

    from ui import draw
    fig = go.Figure([go.Scatter(x=[1, 2], y=[1.234567891, 1e-9], name="‖δh‖"),
                     go.Scatter(x=[1, 2], y=[0.5, 0.25], name="other"),
                     go.Scatter(x=[1, 5], y=[2.0, 2.0], name="c = 2")],
                    layout=dict(title="Norms <b>back</b>", xaxis_title="step"))
    (title, shared), (_, own) = draw.series_tables(fig)
    assert title == "Norms back: ‖δh‖, other"
    assert list(shared.columns) == ["‖δh‖", "other"] and shared.index.name == "step"
    assert shared["‖δh‖"].tolist() == [1.23457, 1e-9]
    assert own["c = 2"].tolist() == [2.0, 2.0] and list(own.index) == [1, 5]
