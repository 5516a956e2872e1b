"""Page 6: backpropagation through time for one batch, in two tabs: dL/dy_linear, dL/dh_t and
how it splits through z, r and h̃, the pre-activation gradients, every weight's gradient per
step and summed (sections 1-4); vanishing / exploding, clipping and the finite-difference check
(5-7) (003 and 004)."""
import pandas as pd
import streamlit as st

from ui import compute, draw, equations, page, plots, store

LOSSES = {"ce": "cross-entropy", "l2": "L2, ½‖ŷ − y‖²"}
VIEWS = {"step": "step t's contribution", "sum": "summed over all steps"}
CLIPS = {"value": "by value", "norm": "by global norm"}
CLIP_VALUES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 5.0)
U_SCALES = (0.5, 1.0, 2.0, 4.0, 8.0)
# The page's two tabs: time step t's way back (sections 1-4), the whole batch's (5-7).
PARTS = ("1–4 · One time step back", "5–7 · Vanishing, clipping, gradient check")
SCROLL_KEY = "_bptt_scroll"        # the button that ends sections 1-4 asked for section 5
PART_TITLES = {"direct": "direct", "via_z": "via z", "via_r": "via r", "via_h": "via h̃"}
# The grid of parameter gradients: a line per kind (input weights, recurrent weights, biases)
# while a kind's three fit a line, else gate by gate (GRID_WIDE); the output layer's two after.
GRID = ("W_z", "W_r", "W_h", "U_z", "U_r", "U_h", "b_z", "b_r", "b_h", "W_y", "b_y", "b_hn")
GRID_WIDE = ("W_z", "U_z", "W_r", "U_r", "W_h", "U_h", "W_y", "b_y", "b_z", "b_r", "b_h", "b_hn")

ctx = page.setup("backprop")
st.markdown(
    "The loss is pushed back from the outputs through every step of the batch, newest first. "
    "Each step hands dL/dh to the step before it; each weight collects one contribution per step, "
    "and its gradient is their sum. Below, δX means dL/dX, a matrix shaped like X.")
cfg = ctx.run.config
params = [p for p in GRID if p != "b_hn" or cfg.reset == "after"]    # b_hn exists for "after" only
if st.session_state["bptt_param"] not in params:                      # b_hn, then reset -> before
    st.session_state["bptt_param"] = "W_z"

c1, c2, c3 = st.columns([2, 2, 3])
loss = c1.radio("Loss", list(LOSSES), key="bptt_loss", horizontal=True, format_func=LOSSES.get,
                help="Cross-entropy as in the tutorial, or the L2 cost ½‖ŷ − y‖² of the Only-NumPy derivation.")
param = c2.selectbox("Parameter to inspect", params, key="bptt_param",
                     help="Shown in detail (step t's term beside the sum) and in the clipping section.")
view = c3.radio("Grid of all parameter gradients", list(VIEWS), key="bptt_view", horizontal=True,
                format_func=VIEWS.get,
                help="Each weight's gradient is a sum over the time steps: show one step's term or the sum.")
# Matrices that belong together share one figure (the browser's cost is per figure) and one
# colour range (the same colour is the same number: parts and their total, a step's term and
# the sum, a gradient before and after clipping); in the grid of all parameters each keeps its
# own. How many go to a line, and whether numbers fit in the cells, plots decides.


def batch_panel(values, title: str, key: str) -> plots.Panel:
    """A (B×H) matrix: rows are the batch rows, columns the hidden units."""
    return plots.Panel(values, title, x_labels=ctx.hidden_labels, key=key)


def axes(name: str) -> dict:
    """Column labels, row labels and axis titles of a parameter's matrix."""
    hid, voc = ctx.hidden_labels, ctx.vocab_labels
    if name == "W_y":
        return dict(x_labels=voc, y_labels=hid, x_title="character", y_title="unit")
    if name == "b_y":
        return dict(x_labels=voc, y_labels=["b"], x_title="character")
    if name.startswith("W_"):
        return dict(x_labels=hid, y_labels=voc, y_title="character")
    if name.startswith("U_"):
        return dict(x_labels=hid, y_labels=hid, y_title="unit of h_(t−1)")
    return dict(x_labels=hid, y_labels=["b"])


def grad_panel(values, name: str, what: str, key: str, own_scale: bool = False) -> plots.Panel:
    """A parameter's gradient (a bias as a 1-row matrix), with its own rows; with own_scale,
    its own colour range (gradients of different parameters differ by orders of magnitude),
    which plots states in the title when the cells carry no numbers."""
    m = values if values.ndim == 2 else values[None, :]
    return plots.Panel(m, f"δ{name}  {what}", key=key, shared_scale=not own_scale, **axes(name))


def vanishing(n: int) -> None:
    st.header("5 · Vanishing and exploding gradients", anchor="vanishing")
    c1, c2 = st.columns([3, 1])
    scale = c2.select_slider("Scale U_z, U_r, U_h by", U_SCALES, key="bptt_u_scale",
                             help="A what-if for this chart only: the same model with larger (or "
                                  "smaller) recurrent weights.")
    log_y = c2.toggle("Log scale", key="bptt_logy")
    norms = compute.get_norms_back(ctx.run, n, loss, scale)
    S = ctx.S
    back = list(range(S))                                  # 0 = the last step, S-1 = step 1
    fig = plots.line_chart(
        {"loss at every step (this page)": norms["every"][::-1],
         "loss at the last step only": norms["last"][::-1]},
        x=back, x_labels=[str(k) for k in back],
        title=f"‖δh_t‖ (mean over the {ctx.B} rows), from t = {S} back to t = 1",
        x_title="steps back from the last step (S − t)", y_title="‖δh_t‖", log_y=log_y)
    with c1:
        draw.chart(fig, key="norms_back")
    first, last = norms["last"][0], norms["last"][-1]
    c2.metric("‖δh_1‖ / ‖δh_S‖", f"{first / last:.3g}" if last > 0 else "—",
              help="With the last step's loss only. Below 1: the signal from the last step fades "
                   "on its way back; above 1: it grows.")
    draw.look_at(
        f"“Last step only” follows the last step's loss back through {S} steps: every step "
        "multiplies it by that step's Jacobian, so it shrinks (vanishes) or grows (explodes) "
        "geometrically. Set S = 32 in the sidebar, then scale U: ×1 and ×2 vanish, about ×4 "
        "holds steady, ×8 explodes. “Every step” gets a fresh loss term at each step, so it never "
        "falls far: that is why a GRU still learns short patterns when long ones fade.")


def clipping(n: int) -> None:
    st.header("6 · Clipping the gradient")
    c1, c2, c3 = st.columns([2, 3, 3])
    kind = c1.radio("Clip", list(CLIPS), key="bptt_clip_kind", format_func=CLIPS.get)
    c = c1.select_slider("c", CLIP_VALUES, key="bptt_clip_value",
                         help="The NumPy chapter clips every element to [−5, 5]; these gradients are much "
                              "smaller, so try c = 0.01.")
    clip = compute.get_clipped(ctx.run, n, loss, kind, c)
    c2.metric("‖g‖ before (all parameters)", f"{clip.norm_before:.4g}")
    c2.metric("‖g‖ after", f"{clip.norm_after:.4g}")
    c3.metric("Elements changed", f"{clip.changed} of {clip.total}")
    c3.caption("Value clipping flattens only the largest elements (the direction changes); norm "
               "clipping scales every element by the same factor (same picture, smaller numbers).")
    st.latex(equations.bptt_clip(kind))
    size = getattr(clip.before, param).size
    note = (f"δ{param}: {clip.changed_by[param]} of {size} elements changed; its largest |element| "
            f"is {clip.largest[param]:.3g}")
    if kind == "value" and clip.changed_by[param] == 0:
        note += f", below c = {c:g}, so it is not clipped: choose a smaller c or another parameter"
    st.markdown(note + ".")
    draw.matrix_row([grad_panel(getattr(clip.before, param), param, "before clipping", "clip_before"),
                     grad_panel(getattr(clip.after, param), param, f"after clipping, c = {c:g}",
                                "clip_after")])


def gradient_check(n: int) -> None:
    st.header("7 · Finite-difference check")
    # two lines: on one, the formula ran past a 1280 px window's page and was cut off
    st.latex(r"\begin{gathered}\frac{\partial L}{\partial \theta_i} \approx \frac{8\,"
             r"[L(\theta+\varepsilon e_i) - L(\theta-\varepsilon e_i)] - [L(\theta+2\varepsilon e_i)"
             r" - L(\theta-2\varepsilon e_i)]}{12\,\varepsilon},\quad \varepsilon = 10^{-3} \\ "
             r"\text{rel. error} = \frac{|a - d|}{\max(|a| + |d|,\, 10^{-6})}\end{gathered}")
    max_checks, checked, seconds = compute.gradient_check_plan(ctx.run)
    which = "every element" if max_checks is None else f"{max_checks} random elements of each parameter"
    if seconds > 0.3:
        on = st.toggle(f"Run the check on batch {n + 1} ({checked} elements, about {seconds:.0f} s)",
                       key="bptt_check", help="Four extra forward passes per checked element.")
        if not on:
            st.caption(f"The check runs the forward pass 4 more times for each of {checked} "
                       f"elements ({which}); turn it on to compare.")
            return
    with st.spinner("Checking against finite differences…"):
        errors = compute.get_gradient_check(ctx.run, n, loss)
    shapes = {name: getattr(ctx.run.params, name).shape for name in params}
    table = pd.DataFrame({
        "parameter": params,
        "shape": ["×".join(map(str, shapes[p])) for p in params],
        "max relative error": [errors[p] for p in params],
        "pass (< 1e-6)": ["yes" if errors[p] < 1e-6 else "NO" for p in params],
    })
    worst = max(errors[p] for p in params)
    st.caption(f"a = analytic BPTT gradient (this page), d = central difference; {which} "
               f"({checked} in all) on batch {n + 1}. Largest relative error: {worst:.2e}.")
    st.dataframe(table, hide_index=True, width="content", height=35 * (len(params) + 1) + 3,
                 column_config={"max relative error": st.column_config.NumberColumn(format="%.2e")})


def one_step(bp, n: int, t: int):
    """Sections 1-4: what time step t sends back, and its term of every weight's gradient."""
    g = bp.grads
    B, V, H, S = ctx.B, ctx.V, ctx.H, ctx.S
    rows, hid, voc = ctx.row_labels(n), ctx.hidden_labels, ctx.vocab_labels
    st.header("1 · Into the output layer: δy_linear")
    st.latex(equations.bptt_output(loss, B, V, S))
    draw.matrix(g.dlogits[t], f"δy_linear_t  (t = {t + 1})", x=voc, y=rows,
                key="dlogits", x_title="character", y_title="row")

    st.header("2 · Into the hidden state: δh_t, and what goes back to h_(t−1)")
    st.latex(equations.bptt_dh(B, V, H))
    draw.matrix(g.dh[t], f"δh_t  (t = {t + 1})", x=hid, y=rows, key="dh_t",
                x_title="unit", y_title="row")
    st.latex(equations.bptt_update(cfg))
    for line in equations.bptt_candidate(cfg):
        st.latex(line)
    st.latex(equations.BPTT_GATES)
    st.latex(equations.BPTT_PREV)
    where = "h_0: it stops here, at the batch boundary" if t == 0 else f"h_{t}"
    st.markdown(f"**δ{store.md_literal(where)}**, as sent back by step {t + 1}: "
                "four parts that add up, cell by cell, to the total.")
    parts = [batch_panel(g.dh_prev_parts[p][t], label, f"dh_prev_{p}")
             for p, label in PART_TITLES.items()]
    parts.append(batch_panel(bp.dh_prev[t], f"total δh_{t}", "dh_prev_total"))
    draw.matrix_row(parts, y=rows, y_title="row", ops=("+", "+", "+", "="))

    st.header("3 · Through σ and tanh: the pre-activation gradients")
    pre = [batch_panel(g.da_z[t], "δa_z", "da_z"), batch_panel(g.da_r[t], "δa_r", "da_r"),
           batch_panel(g.da_h[t], "δa_h", "da_h")]
    if cfg.reset == "after":
        pre.append(batch_panel(g.dq[t], "δq", "dq"))
    draw.matrix_row(pre, y=rows, y_title="row")
    if t == 0:
        st.caption("At t = 1 the state h_0 of the first batch is zero, so δr_t = (…) ⊙ h_0 and "
                   "everything that flows through the reset gate is zero.")

    st.header("4 · Into the weights: one term per time step, summed")
    for line in equations.bptt_weights(cfg):
        st.latex(line)
    draw.matrix_row([grad_panel(bp.per_step[param][t], param, f"step {t + 1}'s term", "param_step"),
                     grad_panel(getattr(g, param), param, f"sum over {S} steps", "param_sum")])
    st.markdown(f"**All parameters: {VIEWS[view].replace('step t', f'step {t + 1}')}**")
    what = f"step {t + 1}" if view == "step" else "sum"
    panels = {p: grad_panel(bp.per_step[p][t] if view == "step" else getattr(g, p), p, what,
                            f"grad_{p}", own_scale=True) for p in params}
    # the GRU's own parameters in one figure (a line per kind: W, U, b, when a kind's three
    # fit a line; else gate by gate, as many to a line as fit), the output layer in another
    gru = [p for p in params if p not in ("W_y", "b_y")]
    by_kind = [[panels[p] for p in gru if p[0] == kind] for kind in "WUb"]
    if all(plots.per_line(line) == len(line) for line in by_kind):
        lines = [plots.Line(line) for line in by_kind]
    else:
        lines = plots.lines_of([panels[p] for p in GRID_WIDE if p in gru])
    draw.matrix_grid(lines)
    draw.matrix_row([panels["W_y"], panels["b_y"]])
    draw.look_at(
        "δy_linear is ŷ − y divided by S·B for cross-entropy: negative (blue) at the target "
        "character, positive elsewhere. The four parts of δh_(t−1) add up to the total. With a "
        "one-hot x_t, step t's term of δW_z is δa_z placed in the rows of the characters read; "
        "each bias gets the column sums of its δa. Step through t: the terms differ, the sum does not.")
    st.button(f"Next: {PARTS[1]}", key="bptt_next_part", type="primary",
              icon=":material/arrow_downward:", on_click=open_part, args=(PARTS[1],))


def open_part(label: str) -> None:
    """Callback of the button that ends sections 1-4: the second tab, scrolled to section 5."""
    st.session_state["bptt_part"] = label
    st.session_state[SCROLL_KEY] = True


def one_step_open() -> bool:
    """The first tab is open: the page follows the time step (sections 5-7 take the whole
    batch, so the second tab has no time-step control)."""
    return st.session_state.get("bptt_part", PARTS[0]) != PARTS[1]


def body(n: int, t: int):
    bp = compute.get_bptt(ctx.run, n, loss)
    if one_step_open():
        reads = ", ".join(repr(ctx.char_at(n, t, b)) for b in range(ctx.B))
        targets = ", ".join(repr(ctx.char_at(n, t, b, target=True)) for b in range(ctx.B))
        st.caption(f"Batch {n + 1}, time step {t + 1} of {ctx.S}: the rows read "
                   f"{store.md_literal(reads)} and should predict {store.md_literal(targets)}. "
                   f"Batch loss ({LOSSES[loss]}) = {bp.loss:.6g}.")
    else:
        st.caption(f"Batch {n + 1}, all {ctx.S} time steps. "
                   f"Batch loss ({LOSSES[loss]}) = {bp.loss:.6g}.")
    # Only the open tab is computed and drawn (on_change="rerun"): the page is half as tall, and
    # a change redraws one part, not both.
    step_part, batch_part = st.tabs(PARTS, key="bptt_part", on_change="rerun")
    if step_part.open:
        with step_part:
            one_step(bp, n, t)
    if batch_part.open:
        with batch_part:
            if st.session_state.pop(SCROLL_KEY, False):
                page.scroll_to("vanishing")
            vanishing(n)
            clipping(n)
            gradient_check(n)


if page.focus_pending(ctx) == "vanishing":         # a lesson link opens at section 5
    st.session_state["bptt_part"] = PARTS[1]
page.stepped(ctx, body, steps=one_step_open)

page.end(ctx)
