"""The pages in the tutorial's order: the sidebar's navigation and the home page's index.

Streamlit's own page list (hidden in .streamlit/config.toml) names the home page after its
file ("app") and cannot group pages; this one says "Home" and follows the tutorial's sections.
"""
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

HOME = "app.py"
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


def sidebar_nav() -> None:
    """Links to every page, grouped; drawn at the top of the sidebar by every page.

    Under `streamlit run app.py` every page resolves. A page script run as the entry point
    (Streamlit's AppTest.from_file("pages/...")) cannot link to app.py: no nav there."""
    try:
        st.page_link(HOME, label="Home", icon=":material/home:")
    except StreamlitPageNotFoundError:
        return
    for section, links in SECTIONS.items():
        st.caption(section)
        for path, label, _ in links:
            st.page_link(path, label=label)
