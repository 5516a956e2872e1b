"""Page 10: what if a gate were forced open or shut, or one weight were different?"""
import streamlit as st

import gru_core as gc
from ui import compute, draw, page, plots, store

ctx = page.setup("whatif")
keep = ctx.run.config.update == "keep"
copy_z = 1 if keep else 0
st.markdown(
    "Force the update gate z or the reset gate r to 0 or 1, for some units or all, or change one "
    "weight. The whole text is run again from h₀ = 0 with the change, and every heatmap below "
    "shows the original, the what-if run and their difference (what-if − original), "
    "at the batch and time step chosen further down.")

H, V = ctx.H, ctx.V
hid = ctx.hidden_labels
c1, c2, c3 = st.columns([1, 1, 1.4])
page.wrap_choices("wi_z_units", "wi_r_units")        # all H units visible when chosen
forced = {}
for col, g, name in ((c1, "z", "update gate z"), (c2, "r", "reset gate r")):
    with col:
        st.radio(f"Force the {name}", store.GATE_VALUES, key=f"wi_{g}", horizontal=True,
                 format_func={"free": "computed", "0": f"{g} ≡ 0", "1": f"{g} ≡ 1"}.get)
        units_key = f"wi_{g}_units"
        chosen = st.session_state.get(units_key, list(range(H)))
        kept = [u for u in chosen if u < H]
        if len(kept) < len(chosen):
            st.info(f"Hidden size H = {H}: unit(s) "
                    f"{', '.join(f'h{u + 1}' for u in chosen if u >= H)} do not exist, so they "
                    "are not forced.")
        st.session_state[units_key] = kept
        st.multiselect("for the units", list(range(H)), key=units_key,
                       format_func=lambda j: hid[j], disabled=st.session_state[f"wi_{g}"] == "free",
                       help="Empty = no unit is forced.")
        value = st.session_state[f"wi_{g}"]
        if value != "free" and kept:
            forced[g] = tuple(float(value) if u in kept else None for u in range(H))
N, S = ctx.run.num_batches, ctx.S
total = N * S
if total > 1:
    if st.session_state.get("wi_from", 2) > total:
        st.info(f"This text has {total} time steps: the gates are forced from the last one.")
    store.clamp("wi_from", 1, total, default=2)
    st.select_slider("Force the gates from time step", list(range(1, total + 1)), key="wi_from",
                     format_func=lambda k: f"batch {(k - 1) // S + 1}, t = {(k - 1) % S + 1}",
                     help="Steps before this one run normally, so the state has something in it "
                          "when a gate is forced (forcing z from the very first step would only "
                          "copy h₀ = 0).")
start_flat = int(st.session_state.get("wi_from", 1)) - 1 if total > 1 else 0
start = (start_flat // S, start_flat % S)
with c3:
    edit_on = st.toggle("Edit one weight", key="wi_edit")
    edit = None
    if edit_on:
        names = [n for n in gc.PARAM_NAMES if n != "b_hn" or ctx.run.config.reset == "after"]
        if st.session_state.get("wi_param") not in names:
            if "wi_param" in st.session_state:
                st.info(f"{st.session_state['wi_param']} exists only with the reset gate "
                        "applied after the product (sidebar → reset); W_z is edited instead.")
            st.session_state["wi_param"] = "W_z"
        name = st.selectbox("Parameter", names, key="wi_param")
        shape = getattr(ctx.run.params, name).shape
        cc = st.columns(2)
        if len(shape) == 2:
            if st.session_state.get("wi_row", 0) > shape[0] - 1:
                st.info(f"{name} has only {shape[0]} rows: the last one is edited.")
            store.clamp("wi_row", 0, shape[0] - 1)
            row = cc[0].selectbox(f"row (1..{shape[0]})", range(shape[0]), key="wi_row",
                                  format_func=lambda i: str(i + 1))
        else:
            row = None
        if st.session_state.get("wi_col", 0) > shape[-1] - 1:
            st.info(f"{name} has only {shape[-1]} columns: the last one is edited.")
        store.clamp("wi_col", 0, shape[-1] - 1)
        col_i = cc[1].selectbox(f"column (1..{shape[-1]})", range(shape[-1]), key="wi_col",
                                format_func=lambda i: str(i + 1))
        index = (row, col_i) if row is not None else (col_i,)
        old = float(getattr(ctx.run.params, name)[index])
        value_key = store.whatif_value_key(name, index)
        # a value a link or a lesson file set is in the session already: no default beside it
        new = st.number_input(f"new value (now {old:.4f})", -store.EDIT_LIMIT, store.EDIT_LIMIT,
                              value="min" if value_key in st.session_state else old, step=0.1,
                              key=value_key, format="%.4f")
        edit = (name, index, new)

try:
    wi = compute.get_whatif(ctx.run, forced.get("z"), forced.get("r"), edit, start)
except compute.InputError as err:
    st.error(str(err))
    st.stop()

# The tutorial-002 intuitions, for what is set now.
notes = []
if "z" in forced:
    zval = st.session_state["wi_z"]
    if int(zval) == copy_z:
        notes.append(f"z ≡ {zval} with update '{ctx.run.config.update}': h_t = h_(t−1) for the "
                     "forced units — the old state is copied unchanged (h_t − h_(t−1) at the "
                     "bottom is exactly 0 there, and the what-if lines go flat). This is how a "
                     "GRU remembers across many steps.")
    else:
        notes.append(f"z ≡ {zval} with update '{ctx.run.config.update}': h_t = h̃_t for the forced "
                     "units — the old state is thrown away and replaced by the candidate.")
if "r" in forced:
    if st.session_state["wi_r"] == "0":
        notes.append("r ≡ 0: the candidate ignores the past, h̃_t = tanh(x_t W_h + b_h) for the "
                     "forced units — it sees only the current character (a fresh start).")
    else:
        notes.append("r ≡ 1: the candidate uses the whole previous state, like a plain RNN cell.")
if edit is not None and edit[2] != old:
    notes.append(f"{edit[0]}{list(edit[1])} changed from {old:.4f} to {edit[2]:.4f}.")
for note in notes:
    st.info(note)
if not notes:
    st.caption("Nothing is forced or edited yet: the what-if run equals the original, so every "
               "difference is 0. Choose z ≡ " + str(copy_z) + " to see the state being copied.")

if edit is not None and edit[2] != old:
    edited = store.Model(wi.params, ctx.run.vocab.chars, ctx.run.config, "edited",
                         f"edited on What if: {edit[0]}{list(edit[1])} = {edit[2]:.4f}",
                         initial=ctx.run.params)

    def use_everywhere():
        store.set_model(edited)
        st.session_state["weights"] = "trained"
        st.session_state["wi_edit"] = False

    st.button("Use the edited weights on every page", on_click=use_everywhere, key="wi_use",
              help="They become the 'trained' weights (and go into a downloaded lesson).")


before, after = compute.h_over_time(ctx.run.trace_all, 0), compute.h_over_time(wi.trace_all, 0)
units = range(min(H, 4))
draw.chart(plots.compare_lines(
    {hid[j]: before[:, j] for j in units}, {hid[j]: after[:, j] for j in units},
    title="h of batch row 1 over the whole text: original (dashed) and what-if (solid)",
    x=list(range(1, total + 1)), x_title="time step, counted across batches", y_title="h",
    mark_x=start_flat + 1 if forced else None, mark_label="forcing starts" if forced else ""),
    key="h_lines")


def body(n: int, t: int):
    tr, w = ctx.trace(n), wi.traces[n]
    B = ctx.B
    voc = ctx.vocab_labels
    rows = ctx.row_labels(n)
    m1, m2, m3 = st.columns(3)
    m1.metric(f"Loss, batch {n + 1} (original)", f"{ctx.run.ce[n].loss:.4f}")
    change = f"{wi.ce[n].loss - ctx.run.ce[n].loss:+.4f}"
    unchanged = change in ("+0.0000", "-0.0000")      # no arrow, no colour for "no change"
    m2.metric("Loss (what-if)", f"{wi.ce[n].loss:.4f}", delta=None if unchanged else change,
              delta_color="inverse")
    m3.metric("Largest change of h_t (this step)", f"{abs(w.h[t] - tr.h[t]).max():.4f}")
    quantities = (("z", "z_t", "gate", hid), ("r", "r_t", "gate", hid),
                  ("h_tilde", "h̃_t", "tanh", hid), ("h", "h_t", "tanh", hid),
                  ("probs", "ŷ_t", "gate", voc))
    # one figure per quantity: original, what-if and their difference side by side (the
    # difference has the shape of its neighbours: no shape in its title)
    for q, name, kind, x in quantities:
        draw.matrix_row([
            plots.Panel(getattr(tr, q)[t], f"{name} original", x_labels=x, key=f"orig_{q}",
                        kind=kind),
            plots.Panel(getattr(w, q)[t], f"{name} what-if", x_labels=x, key=f"new_{q}",
                        kind=kind),
            plots.Panel(getattr(w, q)[t] - getattr(tr, q)[t], f"{name} what-if − original",
                        x_labels=x, key=f"diff_{q}", shape=False)],
            y=rows, y_title="row")
    st.header("Did the state get copied?")
    if forced and (n, t) < start:
        st.caption(f"This step runs normally: the gates are forced from batch {start[0] + 1}, "
                   f"t = {start[1] + 1} on. Step forward to see the effect.")
    draw.matrix_row([
        plots.Panel(w.h_prev[t], "h_(t−1) what-if", x_labels=hid, key="new_h_prev", kind="tanh"),
        plots.Panel(w.h[t], "h_t what-if", x_labels=hid, key="new_h_again", kind="tanh"),
        plots.Panel(w.h[t] - w.h_prev[t], "h_t − h_(t−1) (what-if)", x_labels=hid,
                    key="new_step_change", shape=False)], y=rows, y_title="row")
    draw.look_at(
        f"Force z ≡ {copy_z} and the right-hand matrix is exactly 0 in the forced columns at every "
        "step: the state is carried unchanged through time. Force r ≡ 0 and h̃ stops depending on "
        "h_(t−1). Changing one weight of W changes only the rows that read that character at first, "
        "then spreads through h to later steps.")


page.stepped(ctx, body)

page.end(ctx)
