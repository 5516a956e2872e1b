"""Page 5: the batch loss, built in the tutorial's three terms (Part 2), and 004's L2 cost."""
import math

import pandas as pd
import streamlit as st

from ui import draw, equations, page, plots

CE_MEAN = r"L = \frac{1}{S}\sum_t \text{term}_3 = -\frac{1}{S B}\sum_{t,b,v} y \odot \log \hat y"
NARROW_B = 4               # up to this batch size the row texts fit under the columns

ctx = page.setup("loss")
st.markdown(
    "How wrong was ŷ? At every position (time step t, row b) the target y is one-hot, so "
    "y ⊙ log ŷ keeps only the log-probability the model gave to the **right** next character. "
    "Summing over the vocabulary, averaging over the rows and then over the time steps gives "
    "one number per batch: the cross-entropy loss.")
st.latex(equations.CE_TERMS)


def body(n: int, t: int):
    run = ctx.run
    S, B, V = ctx.S, ctx.B, ctx.V
    ce, l2, tr = run.ce[n], run.l2[n], ctx.trace(n)
    Y = run.batches.Y[n]
    rows = ctx.row_labels(n)
    steps = [f"t{s + 1}" for s in range(S)]
    positions = [f"t{s + 1} · {r}" for s in range(S) for r in rows]
    voc = ctx.vocab_labels

    st.header("term1 = y ⊙ log ŷ, every position")
    about = (f"S·B = {S * B} positions, one per line: time step, then row (labelled with the "
             "text the row reads). ŷ is what the model predicted, y the target; their product "
             "term1 is zero except in the target's column, where it is log ŷ of the target.")
    if not draw.presenting():          # presentation: the row first, on the first screen
        st.caption(about)
    # (S, B, V) arrays: drawn as S·B rows, titled "(S·B×V)"
    draw.matrix_row([
        plots.Panel(tr.probs, "ŷ", x_labels=voc, key="y_hat", kind="gate", x_title="character"),
        plots.Panel(Y, "y  targets", x_labels=voc, key="y", kind="onehot", x_title="character"),
        plots.Panel(ce.term1, "term1 = y ⊙ log ŷ", x_labels=voc, key="term1",
                    x_title="character")], y=positions, y_title="position")
    if draw.presenting():
        st.caption(about)
    st.caption("Reading term1: the one non-zero cell of each position")
    y_ids = run.batches.y_ids[n]
    st.dataframe(pd.DataFrame({
        "position": positions,
        "target": [plots.label(run.vocab.chars[y_ids[s, b]]) for s in range(S) for b in range(B)],
        "ŷ of target": [tr.probs[s, b, y_ids[s, b]] for s in range(S) for b in range(B)],
        "term2 = log ŷ(target)": ce.term2.reshape(-1),
    }), hide_index=True, key="term1_reading", height=min(460, 38 + 35 * S * B),
        column_config={"ŷ of target": st.column_config.NumberColumn(format="%.4f"),
                       "term2 = log ŷ(target)": st.column_config.NumberColumn(format="%.4f")})

    st.header("From positions to one number: cross-entropy and L2 side by side")
    m1, m2 = st.columns(2, gap="large")
    m1.metric(f"Cross-entropy L of batch {n + 1} = mean of term3", f"{ce.loss:.4f}", border=True,
              help="= −(1/(S·B)) Σ y ⊙ log ŷ over the whole batch.")
    m2.metric(f"L2 cost of batch {n + 1} = mean over positions", f"{l2.loss:.4f}", border=True,
              help="Mean over the S·B positions of ½‖ŷ − y‖² (the Only-NumPy derivation's cost).")
    # one equation a line: side by side in half the page, two on a line would be cut off
    ce_latex = (r"\begin{gathered}\text{term}_2 = \sum_v y \odot \log \hat y \\ "
                r"\text{term}_3 = -\tfrac{1}{B}\sum_b \text{term}_2\end{gathered}")
    l2_latex = (r"\begin{gathered}\tfrac12 \lVert \hat y_{t,b} - y_{t,b} \rVert^2 \\ "
                r"= \tfrac12 \sum_v (\hat y_{t,b,v} - y_{t,b,v})^2\end{gathered}")

    def term2(cols, x_title):
        return plots.Panel(ce.term2, "term2", x_labels=cols, key="term2", x_title=x_title)

    # vectors of S: drawn as a column, titled "(S,)"
    term3 = plots.Panel(ce.term3, "term3", x_labels=["term3"], key="term3", x_title="")

    def l2_position(cols, x_title):
        return plots.Panel(l2.per_position, "½‖ŷ − y‖²", x_labels=cols, key="l2_position",
                           x_title=x_title)

    l2_step = plots.Panel(l2.per_step, "L2 per step", x_labels=["mean"], key="l2_step",
                          x_title="")

    def by_step(*panels, width=1.0):
        draw.matrix_row(list(panels), y=steps, y_title="time step", width=width)

    if B <= NARROW_B:                  # small batches: each loss in its own half of the page
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown("**Cross-entropy** (tutorial Part 2)")
            st.latex(ce_latex)
            st.latex(CE_MEAN)
            by_step(term2(rows, "row"), term3, width=0.5)
        with right:
            st.markdown("**L2 cost** (the Only-NumPy derivation: ½ ‖ŷ − y‖² per position)")
            st.latex(l2_latex)
            st.latex(equations.L2)
            by_step(l2_position(rows, "row"), l2_step, width=0.5)
    else:                              # many rows: the S×B matrices need the full width
        numbered = [str(b + 1) for b in range(B)]
        x_title = "row (1 … B; their texts are in the table above)"
        st.markdown("**Cross-entropy** (tutorial Part 2)")
        st.latex(ce_latex)
        st.latex(CE_MEAN)
        by_step(term2(numbered, x_title))
        st.markdown("**L2 cost** (the Only-NumPy derivation: ½ ‖ŷ − y‖² per position)")
        st.latex(l2_latex)
        st.latex(equations.L2)
        by_step(l2_position(numbered, x_title))
        st.markdown("**One number per time step**, side by side")
        a, b, _ = st.columns([1, 1, 2])
        with a:
            by_step(term3, width=0.25)
        with b:
            by_step(l2_step, width=0.25)

    st.header("The loss of every batch")
    c1, c2, _ = st.columns([1, 1, 2])
    c1.metric(f"Mean cross-entropy, {run.num_batches} batches",
              f"{sum(c.loss for c in run.ce) / run.num_batches:.4f}")
    c2.metric(f"Mean L2, {run.num_batches} batches",
              f"{sum(c.loss for c in run.l2) / run.num_batches:.4f}")
    if run.num_batches == 1:
        st.info("The text makes a single batch, so there is no curve to draw: make B·S smaller "
                "or the text longer to see the loss of several batches.")
    else:
        fig = plots.line_chart_marked(
            {"cross-entropy": [c.loss for c in run.ce], "L2": [c.loss for c in run.l2]},
            x=list(range(1, run.num_batches + 1)), marker_x=n + 1, marker_label=f"batch {n + 1}",
            title="Loss per batch (same weights)", x_title="batch", y_title="loss", height=300)
        draw.chart(fig, key="loss_by_batch")
    draw.look_at(
        "term2 is the log-probability of the right character, so it is never positive: −term2 "
        "is small when the model was confident and right, large when it gave the target little "
        f"probability (a uniform guess over the {V} characters gives −log(1/{V}) ≈ {math.log(V):.3f}). "
        "Cross-entropy "
        "punishes a confident miss far more than L2, which can never exceed 1 per position. "
        "The batches differ because their text differs and because each starts from the state "
        "the previous one left behind.")


page.stepped(ctx, body, steps=False)

page.end(ctx)
