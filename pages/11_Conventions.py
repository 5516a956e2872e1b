"""Page 11: the same weights under the four published GRU variants, and who computes which."""
import pandas as pd
import streamlit as st

from gru_core import GRUConfig
from ui import compute, draw, equations, page, plots

ctx = page.setup("conventions")
st.markdown(
    "GRU descriptions disagree on two details: whether the reset gate r multiplies h_(t−1) "
    "**before** the product with U_h or the product **after** it, and whether z **keeps** the old "
    "state (h = z⊙h_(t−1) + (1−z)⊙h̃) or **takes** the candidate (h = (1−z)⊙h_(t−1) + z⊙h̃). "
    "Below, the same weights run all four ways; the differences are measured against the "
    "convention chosen in the sidebar.")

runs = compute.get_conventions(ctx.run)
ref = (ctx.run.config.reset, ctx.run.config.update)
LABEL = {("before", "keep"): "before / keep", ("before", "take"): "before / take",
         ("after", "keep"): "after / keep", ("after", "take"): "after / take"}
WHO = {("before", "keep"): "tutorial code, Cho 2014 (v3), d2l",
       ("before", "take"): "Chung 2014, the NumPy chapter's update",
       ("after", "keep"): "torch.nn.GRU, Keras, cuDNN, tutorial figures",
       ("after", "take"): "(rare)"}

for conv in compute.CONVENTIONS:
    cfg = GRUConfig(*conv)
    c1, c2, c3 = st.columns([1.4, 5, 1.1], vertical_alignment="center")
    c1.markdown(f"**{LABEL[conv]}**" + ("  \n*(sidebar)*" if conv == ref else ""))
    c1.caption(WHO[conv])
    with c2:
        st.latex(r"\begin{gathered}" + equations.candidate(cfg) + r" \\ " + equations.update(cfg)
                 + r"\end{gathered}")
    c3.metric("mean loss", f"{sum(runs[conv][1]) / len(runs[conv][1]):.4f}",
              help="Cross-entropy averaged over all batches, same weights.")


def grid(items, kind: str, x, rows) -> None:
    """Matrices (title, values, key) in one figure; a difference (shape=False) has the shape
    of the matrices above it."""
    draw.matrix_row([plots.Panel(values, title, x_labels=x, key=key, kind=kind, shape=shape)
                     for title, values, key, shape in items], y=rows, y_title="row")


def body(n: int, t: int):
    B, H, V = ctx.B, ctx.H, ctx.V
    rows, hid, voc = ctx.row_labels(n), ctx.hidden_labels, ctx.vocab_labels
    base = runs[ref][0][n]
    for q, name, kind, x in (("h", "h_t", "tanh", hid), ("probs", "ŷ_t", "gate", voc)):
        st.header(f"{name}, batch {n + 1}, step {t + 1}")
        grid([(f"{name}  {LABEL[c]}{'  (sidebar)' if c == ref else ''}",
               getattr(runs[c][0][n], q)[t], f"{q}_{c[0]}_{c[1]}", True)
              for c in compute.CONVENTIONS],
             kind, x, rows)
        diffs = []
        for c in compute.CONVENTIONS:
            if c == ref:
                continue
            diff = getattr(runs[c][0][n], q)[t] - getattr(base, q)[t]
            # the title names the convention only (the reference is said once, above): with
            # both names it was wider than its panel and ran into its neighbour's at V = 87
            diffs.append((f"{LABEL[c]}  max |Δ| {abs(diff).max():.4f}", diff,
                          f"d{q}_{c[0]}_{c[1]}", False))
        st.markdown(f"**{name}: differences from {LABEL[ref]}**, each panel its convention − "
                    f"{LABEL[ref]} (red: larger, blue: smaller; the sidebar's convention is the "
                    "reference, the other three are compared with it)")
        grid(diffs, "signed", x, rows)
    draw.look_at(
        "At the first step of batch 1 the state h₀ is 0, so 'before' and 'after' agree (both "
        "recurrent terms are 0, and b_hn is 0 here); 'keep' and 'take' already differ. From t = 2 "
        "on all four differ, and the differences grow along the text: weights trained one way do "
        "not work the other way.")


page.stepped(ctx, body)


st.header("Who computes which")
# a static table: its long cells wrap (a dataframe's fixed-width columns cut them off)
st.table(pd.DataFrame([
    ("torch.nn.GRU (PyTorch), cuDNN", "after", "keep",
     "n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h = (1 − z) ⊙ n + z ⊙ h"),
    ("Keras / TensorFlow GRU, reset_after=True (default in TF 2)", "after", "keep",
     "h = z ⊙ h_prev + (1 − z) ⊙ h̃; reset_after=False gives 'before' (no cuDNN)."),
    ("Cho et al. 2014 (arXiv v3)", "before", "keep",
     "h = z h_prev + (1 − z) h̃; the first arXiv version had the reset after the product."),
    ("Dive into Deep Learning (d2l.ai)", "before", "keep",
     "H̃ = tanh(X W_xh + (R ⊙ H_prev) W_hh + b_h); H = Z ⊙ H_prev + (1 − Z) ⊙ H̃."),
    ("Chung et al. 2014", "before", "take", "h = (1 − z) h_prev + z h̃."),
    ("Tutorial Part 1 and its code", "before", "keep",
     "(r * h) @ U_h inside tanh; h = z * h_prev + (1 - z) * h~ — this app's default."),
    ("Tutorial Part 1, its written equations and figures", "after", "keep",
     "r ⊙ (U_h h): contradicts its own code."),
    ("The NumPy chapter", "—", "take", "h = u * h~ + (1 - u) * h_prev: z is read the other way round."),
], columns=["source", "reset", "update", "as written there"]), hide_index=True, width="stretch")
st.caption("torch.nn.GRU = this app's 'after / keep' exactly, with the output layer as a separate "
           "Linear(H, V); the PyTorch snippet below checks it. Keras stores the same numbers in "
           "another layout (kernel (V, 3H) with gates z, r, h).")

st.header("Where the tutorials contradict themselves")
st.markdown("""
- Part 1's **code** applies the reset gate before the product with U_h; its **equations and
  figures** apply it after (as PyTorch does). This app follows the code by default.
- Part 1 and *Understanding GRU networks* let z near 1 **keep** the old state; the NumPy chapter lets z near 1 **take** the candidate.
- z is called "the reset gate" in places; the h̃ equation shows b_z where b_h belongs; the output
  layer note says b_z for b_y; U's shape is given as 4×2 (it is H×H).
- The input tensor is called rank 3 (it is rank 4: batch, time step, row, vocabulary); tanh is
  said to squash to (0, 1) (it is (−1, 1)).
- The softmax text says the sum needs the whole batch; it is per row.
- Part 1's sampler never feeds the sampled character back; the NumPy chapter's sampler crashes.
""")

SNIPPET_TABS = ("NumPy", "PyTorch")
st.header("Take this run elsewhere")
np_src, torch_src = compute.get_snippets(ctx.run)
c1, c2, c3 = st.columns(3)
c1.download_button("Weights in torch.nn.GRU layout (.npz)", compute.torch_layout_npz(ctx.run.params),
                   "gru_torch_layout.npz", "application/octet-stream", key="dl_torch_npz",
                   width="stretch", on_click="ignore",
                   help="weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (gates r, z, n) and "
                        "out.weight / out.bias of the output Linear(H, V).")
c2.download_button("NumPy snippet (.py)", np_src, "gru_numpy.py", "text/x-python",
                   key="dl_numpy", width="stretch", on_click="ignore")
c3.download_button("PyTorch snippet (.py)", torch_src, "gru_torch.py", "text/x-python",
                   key="dl_torch", width="stretch", on_click="ignore")
st.caption("Each snippet recomputes h of batch 1 (all steps, from h₀ = 0) with the current "
           "weights and convention, without this app; running it prints the same numbers as the "
           "h_t heatmaps of batch 1.")
# The snippets carry every weight at full precision (thousands of lines at H = 32): folded, and
# sent only while open, one language at a time (on_change="rerun"): the browser highlights
# and lays out only the code shown.
with st.expander("Read the snippets here (every weight at full precision)", key="snippets_open",
                 on_change="rerun") as box:
    if box.open:
        numpy_tab, torch_tab = st.tabs(SNIPPET_TABS, key="snippet_tab", on_change="rerun")
        if numpy_tab.open:
            with numpy_tab:
                st.code(np_src, language="python")
        if torch_tab.open:
            with torch_tab:
                st.code(torch_src, language="python")

page.end(ctx)
