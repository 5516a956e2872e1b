"""The sidebar every page draws: the navigation (from ui/registry.py), the text, the size
sliders, the model and data options, and the Lesson section."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError
from streamlit.runtime.scriptrunner import get_script_run_ctx

from . import lesson, registry, store


def navigation() -> None:
    """Links to every page, grouped by section, drawn at the top of the sidebar.

    Streamlit's own page list (hidden in .streamlit/config.toml) names the home page after its
    file ("app") and cannot group pages. Under `streamlit run app.py` every page resolves; a
    page script run as the entry point (AppTest.from_file("pages/...")) cannot link to app.py:
    no navigation there."""
    try:
        st.page_link(registry.HOME_FILE, label="Home", icon=":material/home:")
    except StreamlitPageNotFoundError:
        return
    for section, pages in registry.sections().items():
        st.caption(section)
        for p in pages:
            st.page_link(p.file, label=p.label)



def apply_tutorial_preset() -> None:
    """Callback: every control back to the tutorial's values (Part 1's text, sizes, weights)."""
    for key, value in store.DEFAULTS.items():
        st.session_state[key] = value
    st.session_state.update(store.PAGE_DEFAULTS)


def size_slider(label: str, key: str, bounds: dict, help: str) -> None:
    """A size slider; when the text leaves a single possible value it stays in place, disabled,
    with the reason beneath (a control that vanished would leave the class looking for it)."""
    lo, hi = bounds[key]
    if lo < hi:
        st.slider(label, lo, hi, key=key, help=help)
    else:
        reason = only_value_reason(key, st.session_state["text"], st.session_state["batch_size"])
        st.select_slider(label, options=[lo], key=key, disabled=True, help=f"{help} {reason}")
        st.caption(reason)


def only_value_reason(key: str, text: str, batch_size: int) -> str:
    """Why a size slider has a single possible value (one batch needs B·S + 1 characters)."""
    n = len(text)
    if key == "batch_size":
        return (f"B = 1 only: one batch needs B·S + 1 characters and the text has {n:,}. Type a "
                "longer text to choose B.")
    if batch_size <= 1:
        return (f"S = 1 only: one batch needs B·S + 1 characters and the text has {n:,}. Type a "
                "longer text to choose S.")
    return (f"S = 1 only: with B = {batch_size}, one batch needs B·S + 1 characters and the text "
            f"has {n:,}. Lower B or type a longer text to choose S.")


SIZE_SLIDERS = (
    ("Batch size B", "batch_size", "Sequences processed side by side (rows of every matrix)."),
    ("Sequence length S", "seq_len",
     "Time steps per sequence. B·S + 1 characters are needed for one batch."),
    ("Hidden size H", "hidden_size", "Units in the hidden state h (columns of z, r, h̃ and h)."),
)


@contextlib.contextmanager
def same_on_every_page() -> Iterator[None]:
    """Elements drawn inside are the same elements on every page: drawn as the entry point's
    (app.py's) own, as Streamlit draws what an entry point shares between the pages of
    `st.navigation`. The identity Streamlit gives an element includes the script that draws it;
    drawn as the page's, every control of the sidebar would be a new element after a page
    switch, mounted anew by the browser. With a `pages/` folder Streamlit runs each page script
    on its own, so this sets the script explicitly (ScriptRunContext.run_with_active_hash); under
    a Streamlit without that method the elements are the page's: the same controls and values,
    mounted anew on a switch."""
    ctx = get_script_run_ctx()
    shared = getattr(ctx, "run_with_active_hash", None)
    main = getattr(getattr(ctx, "pages_manager", None), "main_script_hash", None)
    with shared(main) if shared is not None and isinstance(main, str) else contextlib.nullcontext():
        yield


def sidebar(entry: registry.Page) -> None:
    """Navigation, then the controls the teacher's `hide` flags leave in; the same elements on
    every page (`same_on_every_page`), so a page switch leaves them in place."""
    s = st.session_state
    bounds = store.slider_bounds(s["text"], s["batch_size"])
    hide = store.hidden()
    with same_on_every_page(), st.sidebar:
        navigation()
        st.divider()
        if "text" not in hide:
            st.text_area("Text", key="text", max_chars=store.TEXT_LIMIT, height=80,
                         help=f"Any characters (emoji, accents and right-to-left scripts work), "
                              f"up to {store.TEXT_LIMIT:,}. The GRU learns to predict each next "
                              "character.")
        for label, key, help in SIZE_SLIDERS:
            if key not in hide:
                size_slider(label, key, bounds, help)
        if "preset" not in hide:
            st.button("Tutorial preset", on_click=apply_tutorial_preset, width="stretch",
                      key="preset",
                      help="Part 1's string, sizes, dictionary 'hatM' and published weights.")
        options = ("weights", "seed", "reset", "update", "order", "custom_order", "layout")
        if "options" not in hide and not set(options) <= hide:
            with st.expander("Model and data options"):
                _options(s, hide)
        if "numbers" not in hide:
            st.toggle("Numbers in cells", key="numbers",
                      help="Print each value in small matrices (hover always shows the exact "
                           "value).")
        if "lesson" not in hide:
            lesson.sidebar_section(entry.file)


def _options(s, hide: set) -> None:
    """The "Model and data options" controls not hidden by the `hide` flags."""
    if "weights" not in hide:
        st.radio("Weights", store.CHOICES["weights"], key="weights", horizontal=True,
                 format_func={"tutorial": "tutorial", "random": "random (seed)",
                              "trained": "trained"}.get,
                 help="The tutorial's published weights need its dictionary and H = 2; they are "
                      "rounded to 4 decimals as printed there, so a result's 4th decimal may "
                      "differ by one from the tutorial's tables.")
    if "seed" not in hide:
        st.number_input("Seed", 0, store.MAX_SEED, key="seed", step=1)
    if "reset" not in hide:
        st.radio("Reset gate applied", store.CHOICES["reset"], key="reset", horizontal=True,
                 format_func={"before": "before U_h (tutorial)", "after": "after U_h (PyTorch)"}.get)
    if "update" not in hide:
        st.radio("Update rule", store.CHOICES["update"], key="update", horizontal=True,
                 format_func={"keep": "z keeps h (tutorial)", "take": "z takes h̃ (NumPy chapter)"}.get)
    if "order" not in hide:
        st.radio("Vocabulary order", store.CHOICES["order"], key="order", horizontal=True,
                 format_func={"auto": "auto", "sorted": "sorted", "first": "first appearance",
                              "custom": "custom"}.get,
                 help="auto: the tutorial's dictionary 'hatM' when the text uses exactly the "
                      "characters h, a, t and M, otherwise the text's characters sorted. The "
                      "Data page says which order is in use.")
    if s["order"] == "custom" and "custom_order" not in hide:
        st.text_input("Custom order", key="custom_order",
                      help="The tutorial's dictionary is 'hatM' (h=0, a=1, t=2, M=3).")
    if "layout" not in hide:
        st.radio("Batch layout", store.CHOICES["layout"], key="layout", horizontal=True,
                 help="tutorial: Part 1's batches; streams: row b of the next batch continues "
                      "row b of this one.")
