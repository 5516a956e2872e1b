"""Page 3: the candidate h~ (with the reset gate) and the new state h (with the update gate),
then the chain of states through the sequence and across batches (tutorial Part 1, 002)."""
import numpy as np
import streamlit as st

from ui import compute, draw, equations, page, plots, store

ctx = page.setup("candidate")
PICKABLE = {"h_tilde": "h̃_t", "h": "h_t"}       # the result matrices whose cells can be picked
st.markdown(
    r"The reset gate $r_t$ decides how much of the previous state $h_{t-1}$ enters the candidate "
    r"$\tilde h_t$; the update gate $z_t$ then mixes $h_{t-1}$ and $\tilde h_t$ into the new state "
    r"$h_t$, unit by unit.")

CHAIN_COLUMNS = 128          # at most this many time steps in the chain heatmap


def chain(n: int, t: int) -> None:
    """h for every time step of one batch row (columns), the carried h_0 first."""
    st.header(r"The chain: $h_{t-1} \to h_t \to h_{t+1}$")
    B, S, N = ctx.B, ctx.S, ctx.run.num_batches
    c1, c2 = st.columns([2, 3])
    with c1:
        b = st.selectbox("Batch row b", range(B), key="chain_row",
                         format_func=lambda i: ctx.row_labels(n)[i],
                         help="Which sequence of the batch to follow through time.") if B > 1 else 0
    with c2:
        span = st.toggle("Follow the row across batches", key="chain_span", disabled=N == 1,
                         help="Show the neighbouring batches too: row b's last state is carried "
                              "into row b of the next batch.")
    per = max(1, CHAIN_COLUMNS // S)
    if span and N > 1:
        first = min(max(0, n - per // 2), max(0, N - per))
        batches = range(first, min(N, first + per))
    else:
        batches = range(n, n + 1)
    cols, h_cols, kept_cols, current = [], [], [], 0
    first_batch = batches[0]
    h0 = ctx.trace(first_batch).h0[b]
    cols.append("h0 = 0" if first_batch == 0 else f"h0 ← batch {first_batch}")
    h_cols.append(h0)
    kept_cols.append(None)
    keep = ctx.run.config.update == "keep"
    for m in batches:
        tr = ctx.trace(m)
        kept = tr.z if keep else tr.one_minus_z
        for s in range(S):
            char = plots.label(ctx.char_at(m, s, b))
            cols.append(f"{m + 1}·t{s + 1} {char}" if len(batches) > 1 else f"t{s + 1} {char}")
            h_cols.append(tr.h[s, b])
            kept_cols.append(kept[s, b])
            if (m, s) == (n, t):
                current = len(cols) - 1
    H_mat = np.stack(h_cols, axis=1)
    K_mat = np.stack([np.full(ctx.H, np.nan) if k is None else k for k in kept_cols], axis=1)
    where = f"row {b + 1} of batch {n + 1}" if len(batches) == 1 else \
        f"row {b + 1}, batches {batches[0] + 1}–{batches[-1] + 1}"
    share = "z" if keep else "1 − z"
    step = "time step (character read)"
    draw.matrix_grid([
        plots.Line([plots.Panel(H_mat, f"h over time, {where}", x_labels=cols, key="chain_h",
                                kind="tanh", x_title=step, highlight_cols=(current,))],
                   y_labels=ctx.hidden_labels, y_title="unit"),
        plots.Line([plots.Panel(K_mat, f"share of h_(t−1) kept = {share}", x_labels=cols,
                                key="chain_kept", kind="gate", x_title=step,
                                highlight_cols=(current,))],
                   y_labels=ctx.hidden_labels, y_title="unit")])
    draw.look_at(
        f"Read each unit (a line of cells) from left to right. Where the share kept ({share}) is "
        "near 1 (yellow), h_t is almost a copy of the column before it: the unit keeps the past "
        "(Understanding GRU networks: “z close to 1 … keep a majority of the previous "
        "information”). Where it is near 0 (purple), h_t jumps to the candidate h̃. The outlined column is the step shown above. "
        "Untrained weights rarely copy; with the tutorial preset, switch the update rule to "
        "“z takes h̃” and the same small z values keep up to 94% of the past (batch 2).")
    last = f"h_{S}" if S > 1 else "h_1"
    if n + 1 >= N:
        st.caption(f"Across batches: batch {n + 1} is the last one, so its {last} is not carried "
                   "further (a new pass over the text starts again from h_0 = 0).")
        return
    nxt = store.md_literal(repr(ctx.row_texts(n + 1)[b]))
    carried = (f"Across batches: {last} of row {b + 1} (the last column of batch {n + 1}) "
               f"becomes h_0 of row {b + 1} in batch {n + 2}, which reads {nxt}")
    if ctx.run.batches.layout == "tutorial":
        st.caption(f"{carried}. In the tutorial's layout that is not the text that follows this "
                   "row, so the carried state joins unrelated text; the “streams” layout (sidebar) "
                   "makes each row continue its own text.")
    else:
        st.caption(f"{carried}: the continuation of this row's text (streams layout).")


def this_step(n: int, t: int) -> None:
    """h̃_t with the reset gate, then h_t with the update gate, at batch n, step t."""
    tr, p, cfg = ctx.trace(n), ctx.run.params, ctx.run.config
    B, V, H = ctx.B, ctx.V, ctx.H
    rows, hid, voc = ctx.row_labels(n), ctx.hidden_labels, ctx.vocab_labels

    # the picked cell of h̃_t or h_t (click one) and the cells it comes from, outlined
    q, pb, pj = page.picked(ctx, tuple(PICKABLE))
    ex = compute.explain(ctx.run, n, q, t, pb, pj)
    v = ex.char_index
    cell, row, col = {(pb, pj)}, {pb}, {pj}
    # panel key -> (cells, rows, columns) outlined for each picked quantity
    sources = {
        "h_tilde": {"W_h": ({(v, pj)}, {v}, ()), "U_h": ((), (), col),
                    "b_h": ({(0, pj)}, (), ()), "b_hn": ({(0, pj)}, (), ()),
                    **({"h_prev": ((), row, ()), "r_t": ((), row, ()), "r_h_prev": ((), row, ())}
                       if cfg.reset == "before" else
                       {"h_prev": ((), row, ()), "h_prev_U_h": (cell, (), ()),
                        "r_t": (cell, (), ())}),
                    **{k: (cell, (), ()) for k in ("h_in", "h_bias", "h_rec", "h_pre",
                                                   "h_tilde")}},
        "h": {k: (cell, (), ()) for k in ("h_prev", "h_tilde", "z_t", "one_minus_z",
                                          "h_from_prev", "h_from_tilde", "h_t")},
    }[q]

    def marks(key):
        cells, rows_, cols_ = sources.get(key, ((), (), ()))
        return dict(highlight_cells=tuple(sorted(cells)), highlight_rows=tuple(rows_),
                    highlight_cols=tuple(cols_))

    def m(values, title, key, kind="signed"):
        return plots.Panel(values, title, x_labels=hid, key=key, kind=kind, **marks(key))

    # ---------------------------------------------------------------- candidate
    st.header(r"$\tilde h_t$: the candidate state")
    st.latex(equations.candidate(cfg))
    st.markdown(equations.candidate_note(cfg))
    # the weight matrices feeding the H units, each with its own rows
    weights = [plots.Panel(p.W_h, "W_h", x_labels=hid, key="W_h", y_labels=voc,
                           y_title="character", **marks("W_h")),
               plots.Panel(p.U_h, "U_h", x_labels=hid, key="U_h", y_labels=hid,
                           y_title="unit of h_(t−1)", **marks("U_h")),
               plots.Panel(p.b_h[None, :], "b_h", x_labels=hid, key="b_h", y_labels=["b"],
                           **marks("b_h"))]
    if cfg.reset == "after":
        weights.append(plots.Panel(p.b_hn[None, :], "b_hn", x_labels=hid, key="b_hn",
                                   y_labels=["b"], **marks("b_hn")))
    if cfg.reset == "before":
        rec = "(r_t ⊙ h_(t−1)) U_h"
        reset, reset_ops = [m(tr.h_prev[t], "h_(t−1)", "h_prev", "tanh"),
                            m(tr.r[t], "r_t", "r_t", "gate"),
                            m(tr.r_h_prev[t], "r_t ⊙ h_(t−1)", "r_h_prev", "tanh")], ("⊙", "=")
    else:
        rec = "r_t ⊙ (h_(t−1) U_h + b_hn)"
        reset, reset_ops = [m(tr.h_prev[t], "h_(t−1)", "h_prev", "tanh"),
                            m(tr.h_prev_U_h[t], "h_(t−1) U_h + b_hn", "h_prev_U_h"),
                            m(tr.r[t], "r_t", "r_t", "gate")], ("", "")
    # the three terms in the equation's order (above), their sum and tanh of it
    x_term, b_term, r_term = (m(tr.h_in[t], "x_t W_h", "h_in"), m(tr.h_bias[t], "b_h", "h_bias"),
                              m(tr.h_rec[t], rec, "h_rec"))
    three = [x_term, r_term, b_term] if cfg.reset == "before" else [x_term, b_term, r_term]
    terms = [*three, m(tr.h_pre[t], "sum", "h_pre"),
             m(tr.h_tilde[t], "h̃_t = tanh(sum)", "h_tilde", "tanh")]
    shown = ", ".join(p.title for p in three)
    weight_lines = plots.lines_of(weights)
    reset_lines = plots.lines_of(reset, rows, "row", ops=reset_ops)
    term_lines = plots.lines_of(terms, rows, "row", ops=("+", "+", "=", "tanh"))
    if draw.presenting():             # the equation row first, on the projector's first screen
        st.markdown(f"From the top: **the three terms** ({shown}), **their sum, and h̃_t = "
                    f"tanh(sum)**; then the reset product {rec}; then the weights.")
        lines = [*term_lines, *reset_lines, *weight_lines]
    else:
        st.markdown(f"From the top: the weights; **1. the reset product** {rec}, the recurrent "
                    f"term; **2. the three terms** ({shown}, in the equation's order), **their "
                    "sum, and h̃_t = tanh(sum)**.")
        lines = [*weight_lines, *reset_lines, *term_lines]
    draw.matrix_grid(lines, pick="h_tilde", on_pick=page.pick("h_tilde"))
    if q == "h_tilde":
        reset_says = (f"row {pb + 1} of r_t ⊙ h_(t−1) meets column {pj + 1} of U_h"
                      if cfg.reset == "before" else
                      f"r_t[{pb + 1}, {pj + 1}] scales (h_(t−1) U_h + b_hn)[{pb + 1}, {pj + 1}]")
        draw.cell_equation(ex, "h̃_t", f"row {v + 1} of W_h, the character "
                           f"{store.md_literal(repr(ctx.char_at(n, t, pb)))}, is the one the "
                           f"one-hot x_t picks, {reset_says}, and b_h[{pj + 1}] is added",
                           draw.CellKeys(PICKABLE, q, rows, hid))
    draw.look_at(
        "x_t W_h is just the row of W_h for each row's character. Where r is near 0 (purple) the "
        "previous state hardly reaches the candidate. tanh keeps h̃ in (−1, 1): blue negative, "
        "red positive. At t = 1 of batch 1, h_(t−1) = 0, so the reset product is 0 too.")

    # ---------------------------------------------------------------- update
    st.header("$h_t$: the new state")
    st.latex(equations.update(cfg))
    st.markdown(equations.update_note(cfg))
    keep = cfg.update == "keep"
    z = m(tr.z[t], "z_t", "z_t", "gate")
    one_minus_z = m(tr.one_minus_z[t], "1 − z_t", "one_minus_z", "gate")
    g_prev, g_tilde = (z, one_minus_z) if keep else (one_minus_z, z)
    part_prev = m(tr.h_from_prev[t], "z_t ⊙ h_(t−1)" if keep else "(1 − z_t) ⊙ h_(t−1)",
                  "h_from_prev", "tanh")
    part_tilde = m(tr.h_from_tilde[t], "(1 − z_t) ⊙ h̃_t" if keep else "z_t ⊙ h̃_t",
                   "h_from_tilde", "tanh")
    h_t = m(tr.h[t], "h_t = sum of both parts", "h_t", "tanh")
    # The gate's two weights, then the equation itself: part + part = h_t. The operands
    # h_(t−1) and h̃_t are drawn above (the reset product and the candidate).
    st.markdown(f"The weights {'z_t and 1 − z_t' if keep else '1 − z_t and z_t'}, then each "
                "weight times its state (h_(t−1) and h̃_t are drawn above), added into **h_t**:")
    # the equation on one line when its three fit one (plots decides), the weights above it
    if plots.per_line([part_prev, part_tilde, h_t]) == 3:
        lines = [plots.Line([g_prev, g_tilde, None], y_labels=rows, y_title="row"),
                 plots.Line([part_prev, part_tilde, h_t], y_labels=rows, y_title="row",
                            ops=("+", "="))]
    else:
        lines = [plots.Line([g_prev, g_tilde], y_labels=rows, y_title="row"),
                 plots.Line([part_prev, part_tilde], y_labels=rows, y_title="row", ops=("+",)),
                 plots.Line([h_t, None], y_labels=rows, y_title="row")]
    draw.matrix_grid(lines, pick="h_t", on_pick=page.pick("h"))
    if q == "h":
        draw.cell_equation(ex, "h_t", "the same cell of the gate, of h_(t−1) and of h̃_t above, "
                           "and of the two parts", draw.CellKeys(PICKABLE, q, rows, hid))
    kept = "z" if keep else "1 − z"
    draw.look_at(
        f"Each unit of h_t is a weighted average of h_(t−1) (weight {kept}) and h̃_t (weight "
        f"{'1 − z' if keep else 'z'}): it always lies between the two. At t = 1 of batch 1, "
        "h_(t−1) = 0, so h_t is just the candidate part.")


VIEWS = ("This step: h̃_t and h_t", "Through time: the chain")


def body(n: int, t: int):
    chars = ", ".join(repr(ctx.char_at(n, t, b)) for b in range(ctx.B))
    st.caption(f"Batch {n + 1}, time step {t + 1}: the rows read {store.md_literal(chars)}.")
    # Only the open tab is computed and drawn (on_change="rerun"): a slider change redraws
    # one of the two views, not both.
    step_tab, chain_tab = st.tabs(VIEWS, key="candidate_view", on_change="rerun")
    if step_tab.open:
        with step_tab:
            this_step(n, t)
    if chain_tab.open:
        with chain_tab:
            chain(n, t)


page.stepped(ctx, body)

page.end(ctx)
