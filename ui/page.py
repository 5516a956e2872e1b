"""What every page does: the sidebar, the run, the batch / time-step stepper, drawing matrices.

A page script is thin:

    ctx = page.setup("Gates z and r")          # sidebar + cached run, or a message and stop
    @page.stepped(ctx)                         # batch / step selectors, prev / next / play
    def body(n, t):                            # reruns alone when the step changes
        page.matrix(ctx.trace(n).z[t], "z_t", ...)
"""
from __future__ import annotations

import dataclasses
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import gru_core as gc

from . import draw, exports, lesson, nav, plots, state
from .compute import InputError, Run, effective_order, get_run
from .state import CHOICES, DEFAULTS, Settings, slider_bounds

PLAY_SECONDS = 1.2
TRAINED_KEY = "trained_params"
TRAINED_CHARS_KEY = "trained_chars"   # the vocabulary (row order) the trained weights belong to
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_literal(text: str) -> str:
    """User text for st.markdown, shown literally: no Markdown, no HTML, no LaTeX."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


@dataclass
class Context:
    settings: Settings
    run: Run
    trained: gc.Params | None = None   # the trained weights this run shows, if any

    def trace(self, n: int) -> gc.Trace:
        return self.run.traces[n]

    @property
    def S(self) -> int:
        return self.run.batches.seq_len

    @property
    def B(self) -> int:
        return self.run.batches.batch_size

    @property
    def V(self) -> int:
        return self.run.vocab.size

    @property
    def H(self) -> int:
        return self.run.params.hidden_size

    @property
    def vocab_labels(self) -> list[str]:
        return plots.char_labels(self.run.vocab.chars)

    @property
    def hidden_labels(self) -> list[str]:
        return plots.hidden_labels(self.H)

    def row_labels(self, n: int, width: int | None = None) -> list[str]:
        """Batch n's rows, each labelled with the characters it reads (cut to `width`)."""
        return plots.row_labels(self.row_texts(n), width)

    def row_texts(self, n: int) -> list[str]:
        return [self.run.vocab.decode(self.run.batches.row_ids(n, b)) for b in range(self.B)]

    def char_at(self, n: int, t: int, b: int, target: bool = False) -> str:
        ids = self.run.batches.y_ids if target else self.run.batches.x_ids
        return self.run.vocab.chars[ids[n, t, b]]


# ---------------------------------------------------------------- sidebar

def apply_tutorial_preset() -> None:
    """Callback: every control back to the tutorial's values (Part 1's text, sizes, weights)."""
    for key, value in DEFAULTS.items():
        st.session_state[key] = value
    st.session_state.update(state.PAGE_DEFAULTS)


def size_slider(label: str, key: str, bounds: dict, help: str) -> None:
    """A size slider, or a caption when the text leaves a single possible value."""
    lo, hi = bounds[key]
    if lo < hi:
        st.slider(label, lo, hi, key=key, help=help)
    else:
        st.caption(f"{label} = {lo}: the only value this text allows.")


SIZE_SLIDERS = (
    ("Batch size B", "batch_size", "Sequences processed side by side (rows of every matrix)."),
    ("Sequence length S", "seq_len",
     "Time steps per sequence. B·S + 1 characters are needed for one batch."),
    ("Hidden size H", "hidden_size", "Units in the hidden state h (columns of z, r, h~ and h)."),
)


def sidebar(page_file: str = "app.py") -> None:
    s = st.session_state
    bounds = slider_bounds(s["text"], s["batch_size"])
    hide = state.hidden()                  # the teacher's `hide` flags: controls left out
    with st.sidebar:
        nav.sidebar_nav()
        st.divider()
        if "text" not in hide:
            st.text_area("Text", key="text", max_chars=state.TEXT_LIMIT, height=80,
                         help=f"Any characters (emoji, accents and right-to-left scripts work), "
                              f"up to {state.TEXT_LIMIT:,}. The GRU learns to predict each next "
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
            lesson.sidebar_section(page_file, s.get(TRAINED_KEY))


def _options(s, hide: set) -> None:
    """The "Model and data options" controls not hidden by the `hide` flags."""
    if "weights" not in hide:
        st.radio("Weights", CHOICES["weights"], key="weights", horizontal=True,
                 format_func={"tutorial": "tutorial", "random": "random (seed)",
                              "trained": "trained"}.get,
                 help="The tutorial's published weights need its dictionary and H = 2.")
    if "seed" not in hide:
        st.number_input("Seed", 0, state.MAX_SEED, key="seed", step=1)
    if "reset" not in hide:
        st.radio("Reset gate applied", CHOICES["reset"], key="reset", horizontal=True,
                 format_func={"before": "before U_h (tutorial)", "after": "after U_h (PyTorch)"}.get)
    if "update" not in hide:
        st.radio("Update rule", CHOICES["update"], key="update", horizontal=True,
                 format_func={"keep": "z keeps h (tutorial)", "take": "z takes h~ (003)"}.get)
    if "order" not in hide:
        st.radio("Vocabulary order", CHOICES["order"], key="order", horizontal=True)
    if s["order"] == "custom" and "custom_order" not in hide:
        st.text_input("Custom order", key="custom_order",
                      help="The tutorial's dictionary is 'hatM' (h=0, a=1, t=2, M=3).")
    if "layout" not in hide:
        st.radio("Batch layout", CHOICES["layout"], key="layout", horizontal=True,
                 help="tutorial: Part 1's batches; streams: row b of the next batch continues "
                      "row b of this one.")


def script_of(frame) -> str:
    """The running page script relative to the app folder, e.g. "pages/2_Gates_z_and_r.py"."""
    path = Path(frame.f_globals.get("__file__", "app.py")).resolve()
    root = Path(__file__).resolve().parent.parent
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def setup(title: str, *, needs_run: bool = True) -> Context | None:
    """Page config, sidebar, URL sync, and the cached run; on bad input a message and st.stop()."""
    st.set_page_config(page_title=f"{title} · GRU Matrix Lab", page_icon="🔢", layout="wide")
    exports.clear()
    state.restore_from_url()
    state.keep_across_pages()
    state.clamp_sizes()
    here = script_of(sys._getframe(1))
    lesson.follow_goto(here)
    sidebar(here)
    state.write_url()
    st.title(title)
    lesson.presentation(title)
    lesson.loaded_note()
    for note in state.take_notes():
        st.info(note)
    if not needs_run:
        return None
    settings = Settings.from_state(st.session_state)
    trained, settings, note = usable_trained(settings)
    if note:
        st.info(note)
    try:
        run = get_run(settings, trained)
    except InputError as err:
        st.error(str(err))
        st.stop()
    for note in run.notes:
        st.info(note)
    return Context(settings, run, trained)


def keep_trained(params: gc.Params, chars) -> None:
    """Make `params` the session's trained weights; `chars` is their vocabulary, in row order
    (None: unknown, then only the sizes are checked)."""
    st.session_state[TRAINED_KEY] = params
    st.session_state[TRAINED_CHARS_KEY] = tuple(chars) if chars is not None else None


def usable_trained(settings: Settings) -> tuple[gc.Params | None, Settings, str | None]:
    """The session's trained weights if the sidebar asks for them and they were trained on this
    text's vocabulary; otherwise (None, settings showing random weights, a note saying why).
    Equal sizes are not enough: another vocabulary of the same size would put rows of W under
    the wrong characters."""
    params = st.session_state.get(TRAINED_KEY)
    if settings.weights != "trained" or params is None:
        return None, settings, None
    chars = st.session_state.get(TRAINED_CHARS_KEY)
    try:
        vocab = gc.Vocab.from_text(settings.text, effective_order(settings)[0])
    except ValueError:
        return params, settings, None            # get_run reports what is wrong with the text
    if chars is not None and tuple(chars) != vocab.chars:
        return None, dataclasses.replace(settings, weights="random"), (
            f"The trained weights belong to another vocabulary ({len(chars)} characters, trained "
            f"on another text or order); this text has {vocab.size}. Showing random weights "
            f"(seed {settings.seed}); train on this text on the Training page.")
    return params, settings, None


# ---------------------------------------------------------------- stepping through time

def _clamp_step(ctx: Context) -> None:
    s = st.session_state
    s["batch"] = min(max(int(s.get("batch", 1)), 1), ctx.run.num_batches)
    s["step"] = min(max(int(s.get("step", 1)), 1), ctx.S)


def _move(ctx: Context, delta: int) -> None:
    """Callback: one time step forward or back, crossing into the next / previous batch."""
    s = st.session_state
    flat = (s["batch"] - 1) * ctx.S + (s["step"] - 1) + delta
    flat %= ctx.run.num_batches * ctx.S
    s["batch"], s["step"] = flat // ctx.S + 1, flat % ctx.S + 1


def stepper(ctx: Context, *, steps: bool = True) -> tuple[int, int]:
    """Batch and time-step selectors with previous / next / play. Returns 0-based (n, t)."""
    _clamp_step(ctx)
    N = ctx.run.num_batches
    cols = st.columns([3, 3, 1, 1, 1.3] if steps else [3, 4])
    with cols[0]:
        if N > 1:
            st.slider("Batch", 1, N, key="batch", help="Which batch of the text (1 = first).")
        else:
            st.caption("Batch 1 of 1")
    if steps:
        with cols[1]:
            if ctx.S > 1:
                st.slider("Time step t", 1, ctx.S, key="step",
                          help="Which character position of the sequences.")
            else:
                st.caption("Time step 1 of 1")
        cols[2].button("◀ Prev", on_click=_move, args=(ctx, -1), key="prev_step", width="stretch")
        cols[3].button("Next ▶", on_click=_move, args=(ctx, 1), key="next_step", width="stretch")
        cols[4].toggle("Play", key="playing", help=f"Advance one step every {PLAY_SECONDS} s.")
    state.write_url()
    return st.session_state["batch"] - 1, (st.session_state["step"] - 1 if steps else 0)


def stepped(ctx: Context, *, steps: bool = True):
    """Decorator: run body(n, t) inside a fragment with the stepper, so moving through time
    redraws only this part; while "Play" is on the fragment advances itself."""
    def decorate(body):
        playing = bool(st.session_state.get("playing")) and steps
        drawn_before = exports.registered()     # the page's matrices outside the fragment

        @st.fragment(run_every=PLAY_SECONDS if playing else None)
        def fragment():
            exports.reset_to(drawn_before)      # a rerun of this part alone may draw others
            if playing and st.session_state.get("_advance"):
                _clamp_step(ctx)
                _move(ctx, 1)
            st.session_state["_advance"] = playing
            n, t = stepper(ctx, steps=steps)
            if bool(st.session_state.get("playing")) != playing:
                st.rerun()                      # start / stop the timer: needs a full run
            body(n, t)
            draw.downloads()

        fragment()
        return body
    return decorate
