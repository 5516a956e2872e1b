"""GRU Matrix Lab: `streamlit run app.py`. This is the home page; the pages are in pages/.

Streamlit's multipage mode with a `pages/` folder: every page script draws the same sidebar
(ui.page.setup), so a deep link to any page works on a fresh server, controls keep their values
across pages, and the URL is a lesson link. The pages are listed once, in ui/registry.py.
"""
import os

# One BLAS thread per computation: the matrices here are small, and on a shared server two
# threads per product mostly wait for each other (measured: benchmarks/README.md). Takes
# effect when this page is the server's first run, before NumPy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import streamlit as st  # noqa: E402

from ui import page, registry  # noqa: E402

# Ready-made lessons: (title, page, URL parameters). Each opens its page in this tab with every
# setting it needs in the URL; `focus` opens the page at the section the title names.
LESSONS = [
    ("The tutorial, one step at a time", registry.get("gates"), {"present": 1}),
    ("Where PyTorch puts the reset gate", registry.get("candidate"),
     {"reset": "after", "weights": "random", "hidden_size": 3}),
    ("Copying the past: force z ≡ 1", registry.get("whatif"), {"force_z": 1, "step": 3}),
    ("Vanishing gradients over 32 steps", registry.get("backprop"), {
        "text": "the quick brown fox jumps over the lazy dog and runs far away", "batch_size": 1,
        "seq_len": 32, "hidden_size": 8, "weights": "random", "order": "sorted",
        "focus": "vanishing"}),
]

ctx = page.setup("home")
st.markdown(
    "See every matrix a **gated recurrent unit** computes, one time step at a time, on a string "
    "you type. The sidebar sets the text, the batch size B, the sequence length S and the hidden "
    "size H; every page follows them, and the address bar is always a link to what you see.")
page.start_here()
run = ctx.run
c1, c2, c3, c4 = st.columns(4)
c1.metric("Characters", len(run.ids))
c2.metric("Vocabulary V", run.vocab.size)
c3.metric("Batches", run.num_batches)
c4.metric("Batch-1 loss", f"{run.ce[0].loss:.4f}")

sections = registry.sections()
for column, (section, pages) in zip(st.columns(len(sections)), sections.items()):
    with column:
        st.header(section)
        for p in pages:
            st.page_link(p.file, label=p.label)
            st.caption(p.blurb)

st.header("For teachers")
st.markdown(
    "- **The URL is the lesson.** Every control, the batch and time step, the selected cell, "
    "the convention and What if's forced gates and edited weight are in the address bar: copy "
    "it into your slides.\n"
    "- **Presentation mode** (sidebar → Lesson) enlarges the text and adds a short narrative to "
    "each page; **hide** removes the controls you don't want students to touch.\n"
    "- **Lesson files** (sidebar → Lesson) save everything, trained or edited weights included, "
    "and load back exactly.\n"
    "- **Tutorial preset** (sidebar) returns to Part 1's string, sizes and published weights.")
st.header("Ready-made lessons")
for i, (title, target, params) in enumerate(LESSONS):
    with st.container(key=f"lesson_{i}"):
        st.page_link(target.file, label=title, icon=":material/school:", query_params=params)

page.end(ctx)
