"""Page 9: why is this number what it is? One cell of z, r, h~, h or ŷ with its numbers plugged in."""
import pandas as pd
import streamlit as st

from ui import compute, draw, equations, page, store

ctx = page.setup("inspector")
st.markdown(
    "Pick a cell (click it in the heatmap, or use the selectors) and read its equation with the "
    "real numbers substituted, term by term. Rows, units and columns count from 1, as everywhere "
    "in this app (row 1, unit h1); only the dictionary's ids start at 0, as in the tutorial.")

NAMES = {"z": "z  update gate", "r": "r  reset gate", "h_tilde": "h̃  candidate",
         "h": "h  new state", "probs": "ŷ  output probabilities"}
SHORT = {"z": "z_t", "r": "r_t", "h_tilde": "h̃_t", "h": "h_t", "probs": "ŷ_t"}
st.radio("Quantity", list(NAMES), key="cell_q", format_func=NAMES.get, horizontal=True)


def pick(row: int, col: int) -> None:
    """on_select of the clickable heatmap: the clicked cell becomes the inspected one."""
    st.session_state["cell_b"], st.session_state["cell_j"] = row, col


def body(n: int, t: int):
    q = st.session_state["cell_q"]
    tr, p = ctx.trace(n), ctx.run.params
    B, V, H = ctx.B, ctx.V, ctx.H
    rows, hid, voc = ctx.row_labels(n), ctx.hidden_labels, ctx.vocab_labels
    width = V if q == "probs" else H
    s = st.session_state
    store.clamp("cell_b", 0, B - 1)
    store.clamp("cell_j", 0, width - 1)
    c1, c2 = st.columns(2)
    c1.selectbox("Batch row b", range(B), key="cell_b", format_func=lambda b: rows[b])
    if q == "probs":
        c2.selectbox("Character (column v of ŷ)", range(V), key="cell_j",
                     format_func=lambda v: f"column {v + 1}: {voc[v]}  (id {v})")
    else:
        c2.selectbox("Unit j", range(H), key="cell_j",
                     format_func=lambda j: f"{j + 1}  (column {hid[j]})")
    b, j = s["cell_b"], s["cell_j"]

    left, right = st.columns([3, 2])
    with left:
        draw.matrix_pick(getattr(tr, q)[t], SHORT[q], note="  — click a cell", width=0.6,
                         x=voc if q == "probs" else hid, y=rows,
                         kind="tanh" if q in ("h", "h_tilde") else "gate", key="pick",
                         cell=(b, j), on_pick=pick)
    ex = compute.explain(ctx.run, n, q, t, b, j)
    with right:
        st.metric(f"{SHORT[q]}[{b + 1}, {j + 1}] at time step {t + 1}", f"{ex.result:.4f}",
                  help=f"Exact value {ex.result!r}")
        if ex.char_index is not None:
            i = ex.char_index
            st.caption(f"Row {b + 1} reads {store.md_literal(repr(ctx.char_at(n, t, b)))} at this "
                       f"step, the character with id {i}: x_t is one-hot in column {i + 1}.")
    st.latex(ex.latex)
    rule = {"sigmoid": "σ(sum of the terms)", "tanh": "tanh(sum of the terms)",
            "sum": "sum of the terms", "ratio": "first term ÷ second term",
            "forced": "forced by the What-if page"}[ex.rule]
    table = pd.DataFrame(
        [("term", label, value) for label, value in ex.terms]
        + [("detail", label, value) for label, value in ex.details],
        columns=["part", "symbol", "value"])
    st.caption(f"The value is the {rule}: computed from the terms below (full precision) it "
               "gives exactly the plotted number.")
    st.dataframe(table, key="terms", hide_index=True, width="stretch",
                 column_config={"value": st.column_config.NumberColumn(format="%.10f")})

    st.header("Where the numbers come from")
    if q in ("z", "r", "h_tilde"):
        g = "h" if q == "h_tilde" else q
        i = ex.char_index
        cols = st.columns([2, 2, 2])
        with cols[0]:
            draw.matrix(getattr(p, f"W_{g}"), f"W_{g}", note=f": row {i + 1} is read", x=hid, y=voc,
                        key="W", width=1 / 3,
                        highlight_rows=[i] if i is not None else [])
        with cols[1]:
            draw.matrix(getattr(p, f"U_{g}"), f"U_{g}", note=f": column {j + 1} is used", x=hid,
                        y=hid, key="U", width=1 / 3, y_title="unit of h_(t−1)", highlight_cols=[j])
        with cols[2]:
            gated = q == "h_tilde" and ctx.run.config.reset == "before"
            vec, name = (tr.r_h_prev[t], "r_t ⊙ h_(t−1)") if gated else (tr.h_prev[t], "h_(t−1)")
            draw.matrix(vec, name, note=f": row {b + 1} is used", x=hid, y=rows, kind="tanh",
                        key="hprev", width=1 / 3, highlight_rows=[b])
        look = (f"The one-hot x_t picks row {i + 1} of W (outlined), h_(t−1) row {b + 1} meets "
                f"column {j + 1} of U (outlined); add the bias b[{j + 1}] and squash.")
        if q == "h_tilde":
            st.latex(equations.candidate(ctx.run.config))
    elif q == "h":
        cols = st.columns(3)
        for col, (name, values, kind, key) in zip(cols, (
                ("z_t", tr.z[t], "gate", "z"), ("h_(t−1)", tr.h_prev[t], "tanh", "hp"),
                ("h̃_t", tr.h_tilde[t], "tanh", "ht"))):
            with col:
                draw.matrix(values, name, x=hid, y=rows, kind=kind, key=key, width=1 / 3,
                            highlight_rows=[b], highlight_cols=[j])
        st.latex(equations.update(ctx.run.config))
        look = (f"The new state mixes the old state and the candidate at the crossing of row "
                f"{b + 1} and unit {j + 1}, in proportions z and 1 − z.")
    else:
        cols = st.columns([2, 3])
        with cols[0]:
            draw.matrix(tr.h[t], "h_t", note=f": row {b + 1} is used", x=hid, y=rows, kind="tanh",
                        key="h_row", width=0.4, highlight_rows=[b])
        with cols[1]:
            draw.matrix(p.W_y, "W_y", note=f": column {j + 1} is used", x=voc, y=hid, key="W_y",
                        width=0.6,
                        highlight_cols=[j])
        draw.matrix(tr.logits[t], "logits ℓ = h_t W_y + b_y", x=voc, y=rows,
                    key="logits", highlight_rows=[b], highlight_cols=[j])
        look = (f"Row {b + 1} of h_t times column {j + 1} of W_y gives the score ℓ[{j + 1}]; "
                "softmax compares "
                "it with the other scores of the same row only.")
    draw.look_at(look + " Click another cell of the top heatmap to follow a different number.")


page.stepped(ctx, body)

page.end(ctx)
