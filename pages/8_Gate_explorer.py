"""Page 8: the gates and the state of every hidden unit over a whole text, character by character."""
import numpy as np
import streamlit as st

from ui import draw, equations, page, plots, store, texts, training
from ui.compute import EXPLORE_LIMIT, InputError, explore_text

WINDOWS = (50, 100, 150, 200)

ctx = page.setup("explorer", needs_run=False)
settings = store.settings()
model = store.model()                    # trained, edited on What if or from a lesson file
store.persist({"explore_weights": "trained" if model is not None else "initial"})
st.markdown(
    "The GRU reads a whole text, one character after another, **carrying its state from the first "
    "character to the last**. Each column below is one character of the text; each row is one "
    "hidden unit. Look for units that switch at spaces, at line ends, or inside words.")
with st.expander("How the text is run (and why not in batches)"):
    st.markdown(
        "The text is one long sequence with a single row (B = 1): `gru_core.forward` starts from "
        "h₀ = 0 at the first character and never resets, so the state at position k has read "
        "exactly the characters 1…k, as when the trained GRU writes. Running it in batches with the "
        "*streams* layout would instead split the text into B separate streams, each starting from "
        "a zero state in the middle of the text, so what a unit shows at a position would depend on "
        "B and S, not only on the text.")
    st.latex(r"z_t = \sigma(x_t W_z + h_{t-1} U_z + b_z),\qquad r_t = \sigma(x_t W_r + h_{t-1} U_r + b_r)")

text = texts.choose(settings, label="Text to read")
if text is None:
    st.stop()
st.caption(texts.describe(text, "Reading"))
body = text.text[:EXPLORE_LIMIT]
if len(body) < len(text.text):
    st.info(f"The explorer reads the first {EXPLORE_LIMIT:,} of {len(text.text):,} characters.")

st.radio("Weights", ("initial", "trained"), key="explore_weights", horizontal=True,
         format_func={"initial": "initial (before training)", "trained": "trained"}.get,
         help="Trained weights come from the Training page (7).")
which = st.session_state["explore_weights"]
if model is not None and model.chars is None:
    model = None                         # weights of unknown vocabulary cannot read a text
if which == "trained" and model is None:
    st.warning("No trained weights yet: train on the Training page (7). Showing the initial weights.")
own_vocab = text.vocab()
params, vocab, config, note = training.weights_for_text(body, which, settings, own_vocab)
try:
    ex = explore_text(body, vocab, params, config)
except InputError as err:
    st.error(store.md_literal(str(err)) + " Pick the text they were trained on, or the initial weights.")
    st.stop()
if note == "initial-of-trained":
    st.caption("Initial weights = the weights training started from, with the same vocabulary, so "
               "initial and trained compare directly.")
elif which == "initial" or model is None:
    st.caption(f"Initial weights: {note} for this text's {vocab.size} characters and the sidebar's H.")
else:
    st.caption(f"Weights {store.md_literal(model.description)}"
               + (f" ({model.training.steps:,} steps)." if model.training is not None else "."))
st.latex(equations.update(config))

L, H = len(ex.ids), params.hidden_size
m1, m2, m3, m4 = st.columns(4)
m1.metric("Characters read", f"{L:,}")
m2.metric("Vocabulary V", vocab.size)
m3.metric("Hidden units H", H)
m4.metric("Loss on this text", f"{ex.loss:.3f}",
          help=f"Mean cross-entropy of predicting each next character. Guessing uniformly gives "
               f"ln V = {np.log(vocab.size):.3f}.")

# ---------------------------------------------------------------- the window


def _shift(delta: int, last_start: int) -> None:
    s = st.session_state
    s["explore_start"] = min(max(1, s["explore_start"] + delta), last_start)


w1, w2, w3, w4 = st.columns([2, 5, 1, 1])
W = w1.select_slider("Characters per window", WINDOWS, key="explore_window",
                     help="Long texts are shown a window at a time, one column per character.")
W = min(W, L)
last_start = max(1, L - W + 1)
store.clamp("explore_start", 1, last_start)
if last_start > 1:
    w2.slider("First character shown", 1, last_start, key="explore_start",
              help="Position in the text of the window's first column.")
else:
    w2.caption("The whole text fits in one window.")
w3.button("◀ Prev", key="explore_prev", on_click=_shift, args=(-W, last_start), width="stretch",
          disabled=st.session_state["explore_start"] <= 1)
w4.button("Next ▶", key="explore_next", on_click=_shift, args=(W, last_start), width="stretch",
          disabled=st.session_state["explore_start"] >= last_start)
a = st.session_state["explore_start"] - 1
b = a + W
chars, positions = body[a:b], np.arange(a + 1, b + 1)
hid = plots.hidden_labels(H)
span = f"characters {a + 1:,}–{b:,} of {L:,}"
columns = [f"{k} {plots.label(c)}" for k, c in zip(positions, chars)]     # the tables' columns
st.caption(f"Showing {span}. Hover a cell for its position, character and value.")

for name, kind, title in (("z", "gate", "z  update gate"), ("r", "gate", "r  reset gate"),
                          ("h", "tanh", "h  hidden state")):
    values = getattr(ex, name)[a:b].T
    draw.chart(plots.text_heatmap(values, title=title, chars=chars,
                                  positions=positions, y_labels=hid, kind=kind), key=f"explore_{name}",
               table=lambda v=values, t=title: [draw.matrix_table(
                   f"{t}, {span}", v, columns, hid, x_title="position and character",
                   y_title="unit")])
draw.look_at(
    ("z near 1 (yellow) keeps the old state. " if config.update == "keep" else
     "z near 1 (yellow) takes the new candidate. ") +
    "A unit whose state stays put across a word carries something through it; a column where many "
    "units change at once marks a character the GRU reacts to (often ␣ or ⏎). Compare the initial "
    "and the trained weights on the same window: small random initial weights leave every gate "
    "near 0.5 (σ of numbers near 0); training turns that flat field into stripes.")

# ---------------------------------------------------------------- one unit
st.header("One unit over the text")
if st.session_state["explore_unit"] not in hid:
    st.session_state["explore_unit"] = hid[0]
unit = st.selectbox("Hidden unit", hid, key="explore_unit")
j = hid.index(unit)
unit_lines = {f"z ({unit})": ex.z[a:b, j], f"r ({unit})": ex.r[a:b, j], f"h ({unit})": ex.h[a:b, j]}
draw.chart(plots.text_lines(unit_lines, title=f"Unit {unit} over {span}", chars=chars,
                            positions=positions, y_title="value", y_range=[-1.05, 1.05]),
           key="explore_unit_trace",
           table=lambda: [draw.matrix_table(f"Unit {unit} over {span}", np.stack(
               list(unit_lines.values()), axis=1), list(unit_lines), columns,
               x_title="value", y_title="position and character")])
by_char = np.stack([ex.by_char[q][:, j] for q in ("z", "r", "h")])
by_char_rows = [f"z ({unit})", f"r ({unit})", f"h ({unit})"]
by_char_title = f"Unit {unit}: mean z, r and h at the steps that read each character"
draw.chart(plots.text_heatmap(by_char, title=by_char_title, chars=vocab.chars,
                              positions=np.arange(vocab.size), y_labels=by_char_rows, kind="tanh",
                              y_title="mean", height=240, show_position=False),
           key="explore_unit_by_char",
           table=lambda: [draw.matrix_table(by_char_title, by_char, plots.char_labels(vocab.chars),
                                            by_char_rows, x_title="character", y_title="mean")])
draw.look_at(
    "The line shows the unit character by character; the matrix averages it over the whole text "
    "for each character read (blank: a character this text lacks). A unit with h near +1 only "
    "after ␣ and ⏎ is a word-boundary detector; one whose z stays near "
    + ("1" if config.update == "keep" else "0") + " holds its value across several characters.")

page.end("explorer")
