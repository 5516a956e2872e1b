"""Page 4: the dense output layer and the softmax with the max trick (tutorial Part 1)."""
import numpy as np
import pandas as pd
import streamlit as st

from ui import compute, draw, equations, page, plots, store

ctx = page.setup("output")
st.markdown(
    "The new state h_t goes through one dense layer, y_linear = h_t W_y + b_y: one score (logit) "
    "per character of the vocabulary. Softmax turns each row of scores into probabilities ŷ "
    "for the next character.")


def grid(rows) -> None:
    """Each item of rows is (column widths, draw callables); None leaves a column empty."""
    for widths, draws in rows:
        for col, draw in zip(st.columns(widths), draws):
            if draw is not None:
                with col:
                    draw()


def body(n: int, t: int):
    tr, p, Y = ctx.trace(n), ctx.run.params, ctx.run.batches.Y[n]
    B, V, H = ctx.B, ctx.V, ctx.H
    rows, hid, voc = ctx.row_labels(n), ctx.hidden_labels, ctx.vocab_labels
    chars = ", ".join(repr(ctx.char_at(n, t, b)) for b in range(B))
    st.caption(f"Batch {n + 1}, time step {t + 1}: the rows read {store.md_literal(chars)}.")
    st.latex(equations.OUTPUT)

    wide = V > 8 or H > 8 or B > 8      # big matrices: one B×V matrix per line, B×1 beside it
    # the picked cell of ŷ_t (click one) and the cells it comes from, outlined
    _, pb, pv = page.picked(ctx, ("probs",))
    ex = compute.explain(ctx.run, n, "probs", t, pb, pv)
    cell = dict(highlight_cells=((pb, pv),))
    first = dict(highlight_cells=((pb, 0),))

    def bv(values, title, key, kind="signed", **marks):
        return plots.Panel(values, title, x_labels=voc, key=key, kind=kind, x_title="character",
                           **marks)

    def b1(values, title, label, key, shared=True):
        return plots.Panel(values[:, None], title, x_labels=[label], key=key, x_title="",
                           shared_scale=shared, **first)

    def lines(*groups):
        """Lines of matrices over the batch rows, one figure; ŷ's cells can be clicked."""
        draw.matrix_grid([plots.Line(list(g), y_labels=rows, y_title="row") for g in groups],
                         pick="probs" if any(p.key == "probs" for g in groups for p in g)
                         else None, on_pick=page.pick("probs"))

    # small h_t and W_y side by side (the grid's columns); large ones each on the page's width,
    # so that neither is squeezed into a sliver
    share = 1.0 if wide else 0.5
    h_t = lambda: draw.matrix(tr.h[t], "h_t", x=hid, y=rows, kind="tanh",  # noqa: E731
                              key="h_t", x_title="unit", width=share, highlight_rows=(pb,))
    W_y = lambda: draw.matrix(p.W_y, "W_y", x=voc, y=hid, key="W_y",  # noqa: E731
                              x_title="character", y_title="unit", width=share,
                              highlight_cols=(pv,))
    b_y = lambda: draw.matrix(p.b_y[None, :], "b_y", x=voc, y=["b"], key="b_y",  # noqa: E731
                              x_title="character", height=190, highlight_cells=((0, pv),))
    logits = bv(tr.logits[t], "y_linear = h_t W_y + b_y", "logits", **cell)
    maxes = b1(tr.logits_max[t], "max per row", "max", "logits_max")
    exp = bv(tr.exp[t], "exp(y_linear − max)", "exp", "gate", highlight_rows=(pb,), **cell)
    sums = b1(tr.exp_sum[t], "row sum", "Σ", "exp_sum", shared=False)   # not a logit
    probs = bv(tr.probs[t], "ŷ_t = exp / row sum", "probs", "gate", **cell)
    target = bv(Y[t], "y_t  target (one-hot)", "target", "onehot")

    st.header("The dense layer: y_linear = h_t W_y + b_y")
    if draw.presenting():               # the equation as one row, on the first screen
        hp = plots.Panel(tr.h[t], "h_t", x_labels=hid, key="h_t", kind="tanh", x_title="unit")
        wp = plots.Panel(p.W_y, "W_y", x_labels=voc, key="W_y", x_title="character",
                         y_labels=hid, y_title="unit")
        bp = plots.Panel(p.b_y[None, :], "b_y", x_labels=voc, key="b_y", x_title="character",
                         y_labels=["b"])
        yl = bv(tr.logits[t], "y_linear", "y_linear")
        draw.matrix_grid(plots.lines_of([hp, wp, bp, yl], rows, "row", ops=("·", "+", "=")))
    else:
        grid([([1], [h_t]), ([1], [W_y]), ([1], [b_y])] if wide else
             [([1, 1.4], [h_t, lambda: (W_y(), b_y())])])
    draw.look_at("Each logit is row b of h_t times column v of W_y (plus b_y): a large positive "
                 "score (red) makes that character likely, a negative one (blue) unlikely.")

    st.header("Softmax with the max trick")
    st.markdown(
        r"$e^a$ overflows for large $a$, so each row's largest logit is subtracted first: every "
        "exponent is then ≤ 0 and the largest term is exactly 1. Subtracting the same number "
        "from a whole row multiplies its exps and their sum by the same factor, so ŷ does not "
        "change. (Part 1 subtracts one number, the largest logit of the whole run, 0.9021 with "
        "the tutorial preset; that gives the same ŷ.)")
    if wide:
        lines((logits, maxes), (exp, sums), (probs,), (target,))
    else:
        lines((logits, maxes, exp), (sums, probs, target))
    draw.cell_equation(ex, "ŷ_t", f"row {pb + 1} of h_t times column {pv + 1} of W_y plus "
                       f"b_y[{pv + 1}] is the logit; its exp is divided by the sum of row "
                       f"{pb + 1} of exp", draw.CellKeys({"probs": "ŷ_t"}, "probs", rows, voc,
                                                         "character"))
    draw.look_at("Every row of exp has a 1 where its logit is largest; every row of ŷ sums to 1. "
                 "Compare ŷ with the target y_t row by row: the target's column should be the "
                 "brightest.")

    st.header("Predicted vs target character")
    pred = tr.probs[t].argmax(axis=1)
    target = ctx.run.batches.y_ids[n, t]
    table = pd.DataFrame({
        "row": rows,
        "reads": [plots.label(ctx.char_at(n, t, b)) for b in range(B)],
        "predicted (argmax ŷ)": [plots.label(ctx.run.vocab.chars[i]) for i in pred],
        "p(predicted)": tr.probs[t][np.arange(B), pred],
        "target": [plots.label(ctx.char_at(n, t, b, target=True)) for b in range(B)],
        "p(target)": tr.probs[t][np.arange(B), target],
        "correct": ["✓" if a == b else "✗" for a, b in zip(pred, target)],
    })
    st.dataframe(table, hide_index=True, key="prediction_table",
                 column_config={"p(predicted)": st.column_config.NumberColumn(format="%.4f"),
                                "p(target)": st.column_config.NumberColumn(format="%.4f")})
    hits = int((pred == target).sum())
    st.caption(f"{hits} of {B} rows predict their next character at this step. The loss (next "
               "page) only looks at p(target): the higher, the smaller the loss.")
    draw.look_at("Untrained weights (the tutorial's or random ones) get most rows wrong: ŷ is "
                 "still close to uniform, so p(target) is near 1/V.")


page.stepped(ctx, body)

page.end(ctx)
