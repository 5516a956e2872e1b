"""GRU Matrix Lab: `streamlit run app.py`. This is the home page; the pages are in pages/.

Streamlit's multipage mode with a `pages/` folder: every page script draws the same sidebar
(ui.page.setup), so a deep link to any page works on a fresh server, controls keep their values
across pages, and the URL is a lesson link.
"""
import streamlit as st

from ui import page

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
st.subheader("The pages, in the tutorial's order")
st.page_link("pages/1_Data_and_batches.py", label="1 · Data & batches: dictionary, one-hot tensor, targets")
st.page_link("pages/2_Gates_z_and_r.py", label="2 · Gates z and r: x W + h U + b, then σ")
st.page_link("pages/3_Candidate_and_state.py", label="3 · Candidate h~ and new state h")
st.page_link("pages/4_Output_and_softmax.py", label="4 · Output layer and softmax")
st.page_link("pages/5_Loss.py", label="5 · Cross-entropy in three terms")
