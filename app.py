"""GRU Matrix Lab: `streamlit run app.py`. This is the home page; the pages are in pages/.

Streamlit's multipage mode with a `pages/` folder: every page script draws the same sidebar
(ui.page.setup), so a deep link to any page works on a fresh server, controls keep their values
across pages, and the URL is a lesson link.
"""
import os

# One BLAS thread per computation: the matrices here are small, and on a shared server two
# threads per product mostly wait for each other (measured: benchmarks/README.md). Takes
# effect when this page is the server's first run, before NumPy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import streamlit as st  # noqa: E402

from ui import page  # noqa: E402

SECTIONS = {
    "Forward pass": [
        ("pages/1_Data_and_batches.py", "1 · Data & batches", "dictionary, ids, the 4-D one-hot tensor, targets"),
        ("pages/2_Gates_z_and_r.py", "2 · Gates z and r", "x_t W + h_(t−1) U + b, then σ"),
        ("pages/3_Candidate_and_state.py", "3 · Candidate and new state", "r resets, h̃, z mixes old and new"),
        ("pages/4_Output_and_softmax.py", "4 · Output and softmax", "h W_y + b_y, the max trick, ŷ"),
        ("pages/5_Loss.py", "5 · Loss", "cross-entropy in three terms, and the L2 cost"),
    ],
    "Learning": [
        ("pages/6_Backprop_through_time.py", "6 · Backprop through time", "every gradient, vanishing, clipping, checked"),
        ("pages/7_Training_and_sampling.py", "7 · Training and sampling", "live loss curve, weight changes, generated text"),
        ("pages/8_Gate_explorer.py", "8 · Gate explorer", "z, r and h over a whole text"),
    ],
    "Ask why": [
        ("pages/9_Cell_inspector.py", "9 · Cell inspector", "one number with its equation filled in"),
        ("pages/10_What_if.py", "10 · What if", "force a gate, edit a weight, see what changes"),
        ("pages/11_Conventions.py", "11 · Conventions", "tutorial vs PyTorch vs Keras, runnable code"),
    ],
}
# Ready-made lessons: our own constant links (relative, so they work on any host).
LESSONS = [
    ("The tutorial, one step at a time", "Gates_z_and_r?present=1"),
    ("Where PyTorch puts the reset gate", "Candidate_and_state?reset=after&weights=random&hidden_size=3"),
    ("Copying the past: force z ≡ 1", "What_if"),
    ("Vanishing gradients over 32 steps", "Backprop_through_time?text=the+quick+brown+fox+jumps+over+the+lazy+dog+and+runs+far+away&batch_size=1&seq_len=32&hidden_size=8&weights=random&order=sorted"),
]

ctx = page.setup("GRU Matrix Lab")
st.markdown(
    "See every matrix a **gated recurrent unit** computes, one time step at a time, on a string "
    "you type. The sidebar sets the text, the batch size B, the sequence length S and the hidden "
    "size H; every page follows them, and the address bar is always a link to what you see.")
run = ctx.run
c1, c2, c3, c4 = st.columns(4)
c1.metric("Characters", len(run.ids))
c2.metric("Vocabulary V", run.vocab.size)
c3.metric("Batches", run.num_batches)
c4.metric("Batch-1 loss", f"{run.ce[0].loss:.4f}")

columns = st.columns(len(SECTIONS))
for column, (section, links) in zip(columns, SECTIONS.items()):
    with column:
        st.subheader(section)
        for path, label, what in links:
            st.page_link(path, label=label)
            st.caption(what)

st.subheader("For teachers")
st.markdown(
    "- **The URL is the lesson.** Every control, the batch and time step, the selected cell and "
    "the convention are in the address bar: copy it into your slides.\n"
    "- **Presentation mode** (sidebar → Lesson) enlarges the text and adds a short narrative to "
    "each page; **hide** removes the controls you don't want students to touch.\n"
    "- **Lesson files** (sidebar → Lesson) save everything, trained or edited weights included, "
    "and load back exactly.\n"
    "- **Tutorial preset** (sidebar) returns to Part 1's string, sizes and published weights.")
st.markdown("Ready-made lessons: " + " · ".join(f"[{title}](./{link})" for title, link in LESSONS))
