"""What every page does: set up (sidebar, URL, the cached run) and step through time.

A page script is thin; it is known by its entry in ui/registry.py:

    ctx = page.setup("gates")                  # sidebar + the run, or a message and st.stop()

    def body(n, t):                            # batch n, time step t (0-based)
        draw.matrix(ctx.trace(n).z[t], "z_t", ...)

    page.stepped(ctx, body)                    # batch / step selectors, prev / next / play;
                                               # moving through time reruns only this part
    page.end(ctx)                              # the last call: previous / next page links
"""
from __future__ import annotations

import gc as python_gc
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

import gru_core as gc

from . import draw, exports, lesson, plots, registry, store
from .compute import InputError, Run, get_run
from .sidebar import sidebar
from .store import ADVANCE_KEY, PLAYING_KEY, Settings

PLAY_SECONDS = 1.2


@dataclass
class Context:
    """One run of a page: its registry entry, the settings and the computed run."""

    entry: registry.Page
    settings: Settings
    run: Run

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


# Our own constant CSS (no user text), so that no formula is a scroll box a keyboard cannot
# reach (axe-core's scrollable-region-focusable): a display formula wider than its column wraps
# after a top-level relation or operator (=, +, ⊙, ...) as KaTeX does inline, and keeps 2 px on
# its right for the 2 px strut KaTeX puts after a final sub- or superscript (.vlist-s), which
# otherwise made every formula ending in one scroll sideways by 2 px. A chart's container is
# floored to whole pixels: plotly draws a new chart at the width it reads from the style (to
# 1/1000 px) and Streamlit then sets the measured one (to 1/64 px); a fractional column width
# made them differ, and the chart was drawn again (plots.sent).
READABLE_CSS = """<style>
[data-testid="stMain"] .katex-display { padding-right: 2px; }
[data-testid="stMain"] .katex-display > .katex { white-space: normal; }
[data-testid="stElementContainer"]:has(> div > [data-testid="stPlotlyChart"]) {
    width: round(down, 100%, 1px) !important; }
</style>"""


def setup(key: str, *, needs_run: bool = True) -> Context | None:
    """Page config, URL, sidebar, title, notes, and (needs_run) the cached run of the sidebar's
    settings with the store's model; on bad input a message and st.stop().

    key: the page's entry in ui/registry.py."""
    entry = registry.get(key)
    st.set_page_config(page_title=f"{entry.title} · GRU Matrix Lab", page_icon="🔢",
                       layout="wide")
    exports.begin()
    store.restore_from_url(entry.file)
    if store.presenting():                 # known only now, from the URL or the toggle
        st.set_page_config(initial_sidebar_state="collapsed")
    store.keep_across_pages()
    store.clamp_sizes()
    lesson.follow_goto(entry.file)
    sidebar(entry)
    store.write_url()
    st.html(READABLE_CSS + FOCUS_CSS)      # style only: takes no room on the page
    st.title(entry.title)
    lesson.presentation(entry)
    neighbours(entry)
    # Notes come and go with the settings; in a keyed container they do not move what follows
    # (the frontend keys an unkeyed block by its place, so a note above it would mount the
    # block and every chart in it anew).
    notes = st.container(key="page_notes")
    with notes:
        lesson.loaded_note()
        for note in store.take_notes():
            st.info(note)
    if not needs_run:
        return None
    settings = store.settings()
    try:
        run = get_run(settings, store.model())
    except InputError as err:
        notes.error(str(err))
        st.stop()
    for note in run.notes:
        notes.info(note)
    return Context(entry, settings, run)


# Our own constant CSS (no user text): whatever has the keyboard focus shows a 3 px ring in the
# theme's blue, #1d4ed8 (6.7:1 against white, 5.9:1 against the sidebar's #eef2f7; Streamlit's own
# ring, the same blue at half opacity, reaches about 2.5:1, and its page links only darken their
# background). Sliders, toggles, radio options and selectboxes keep their focusable <input>
# visually hidden or inside a box: the ring goes on what is seen (the thumb, the option, the box).
FOCUS_CSS = """<style>
:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px !important; }
[data-testid="stSlider"] [data-rac]:has(> div > input:focus-visible),
label:has(> span > input:focus-visible),
[data-testid="stSelectbox"] [role="group"]:has(> input:focus-visible) {
    outline: 3px solid #1d4ed8; outline-offset: 2px; }
label:has(> span > input:focus-visible) { border-radius: 0.25rem; }
[data-testid="stSelectbox"] input:focus-visible { outline: none !important; }
</style>"""


def neighbours(entry: registry.Page) -> None:
    """Links to the previous and the next page in the tutorial's order."""
    before, after = registry.neighbours(entry)
    links = [(p.file, label) for p, label in ((before, f"← {before.label}" if before else ""),
                                               (after, f"{after.label} →" if after else "")) if p]
    try:
        for col, (file, label) in zip(st.columns([2, 2, 1]), links):
            col.page_link(file, label=label)
    except StreamlitPageNotFoundError:    # a page script run alone, as AppTest.from_file does
        pass


# ---------------------------------------------------------------- a picked cell

def picked(ctx: Context, quantities: tuple[str, ...]) -> tuple[str, int, int]:
    """The cell picked on a page that draws `quantities` ("z", "r", "h_tilde", "h", "probs"):
    (quantity, row b, unit or vocabulary index j), 0-based, from the URL's cell_q / cell_b /
    cell_j, shared with the Cell inspector; a quantity this page does not draw gives its first
    one; indices beyond this run's sizes are clamped."""
    s = st.session_state
    q = s.get("cell_q") if s.get("cell_q") in quantities else quantities[0]
    width = ctx.V if q == "probs" else ctx.H
    return (q, min(max(int(s.get("cell_b", 0)), 0), ctx.B - 1),
            min(max(int(s.get("cell_j", 0)), 0), width - 1))


def pick(quantity: str) -> Callable[[int, int], None]:
    """The on_pick callback of a result matrix: the clicked cell becomes the picked one."""
    def on_pick(row: int, col: int) -> None:
        st.session_state["cell_q"] = quantity
        st.session_state["cell_b"], st.session_state["cell_j"] = row, col
    return on_pick


# Sections a lesson link can open at (URL `focus=`, store.VIEW_CHOICES): name -> (page key,
# the anchor of the section's heading on that page).
FOCUS = {"vanishing": ("backprop", "vanishing")}

# Our own constant CSS (never user text): "Start here" and the next-page link look like primary
# buttons (the theme's primaryColor, .streamlit/config.toml), the end links are large; a heading
# scrolled to (focus, an anchor link) keeps a margin above it for a control pinned at the top;
# the block of the element scripts' early load (`preload`) is not shown, and gets no gap.
PATH_CSS = """<style>
.st-key-start_here a, .st-key-page_end a {
  border: 1px solid #6b7280; border-radius: 0.6rem; padding: 0.7rem 1.1rem;
}
.st-key-start_here a p, .st-key-page_end a p { font-size: 1.3rem; font-weight: 600; }
.st-key-start_here a, .st-key-page_next a { background: #1d4ed8; border-color: #1d4ed8; }
.st-key-start_here a p, .st-key-page_next a p, .st-key-start_here a span,
.st-key-page_next a span { color: #ffffff; }
[data-testid="stMain"] :is(h1, h2, h3)[id] { scroll-margin-top: 9.5rem; }
.st-key-start_here [data-testid="stIconMaterial"],
.st-key-page_end [data-testid="stIconMaterial"] { font-size: 1.6rem; }
.st-key-start_here a:hover, .st-key-page_next a:hover { background: #1e40af; }
.st-key-page_end hr { margin: 0.5rem 0 0.75rem; }
[data-testid="stLayoutWrapper"]:has(> .st-key-preload) { display: none; }
</style>"""

# Scrolls to the heading with id __ANCHOR__ (one of FOCUS's constant anchors, never user text)
# while the page lays out its charts, until the user scrolls, clicks or types.
_FOCUS_JS = """<script>
(() => {
  let tries = 0, stopped = false;
  const stop = () => { stopped = true; };
  for (const e of ["wheel", "touchstart", "keydown", "mousedown"]) {
    window.addEventListener(e, stop, {once: true, capture: true});
  }
  const go = () => {
    if (stopped) return;
    const el = document.getElementById("__ANCHOR__");
    if (el) el.scrollIntoView({block: "start"});
    if (++tries < 10) setTimeout(go, 300);
  };
  go();
})();
</script>"""


# Streamlit loads the script of an element type the first time a page shows one, and running
# it holds the browser: about a second for the chart component (Plotly, one 4.7 MB script), a
# third of one for the code block's syntax highlighter on a small machine (benchmarks/README.md).
# Once a page is drawn, this loads the scripts of the element types the app's pages show, one
# per idle period of the browser, as Streamlit itself would (the same URLs, so the same modules,
# each run once per tab): the next page opened draws without waiting for them. Our own constant
# script; the file names are the installed Streamlit's (`_element_scripts`).
_PRELOAD_JS = """<script>
(() => {
  const main = document.querySelector('script[type="module"][src*="static/js/index."]');
  if (!main) return;
  const files = __FILES__;
  const idle = window.requestIdleCallback || (f => setTimeout(f, 200));
  const next = () => {
    const file = files.shift();
    if (file) import(new URL(file, main.src).href).catch(() => {}).finally(() => idle(next));
  };
  idle(next, {timeout: 4000});
})();
</script>"""
# The element types beyond Home's whose scripts Streamlit loads on our pages, in the order of
# the pages that first show them: charts and formulas (KaTeX; the cell page), data frames and
# code blocks (Data), select boxes (Gates), tables (Conventions).
PRELOADED = ("PlotlyChart", "rehype-katex", "DataFrame", "StreamlitSyntaxHighlighter",
             "Selectbox", "Table")


def _element_scripts(names: tuple[str, ...]) -> tuple[str, ...]:
    """The file name ("PlotlyChart.<hash>.js") of each element type's script in the installed
    Streamlit's static/js, next to its main script; a name this Streamlit has no single file
    for is left out (then its script loads when a page first shows the element)."""
    js = Path(st.__file__).parent / "static" / "static" / "js"
    found = [sorted(js.glob(f"{name}.*.js")) for name in names]
    return tuple(files[0].name for files in found if len(files) == 1)


PRELOAD_SCRIPTS = _element_scripts(PRELOADED)
PRELOAD_HTML = (None if not PRELOAD_SCRIPTS else
                _PRELOAD_JS.replace("__FILES__", json.dumps(list(PRELOAD_SCRIPTS))))


def preload() -> None:
    """From `end`, on every page: the browser loads the element scripts the other pages need
    while this one is read (`_PRELOAD_JS`). Takes no room on the page."""
    if PRELOAD_HTML is not None:
        with st.container(key="preload"):        # hidden, with no gap (PATH_CSS)
            st.html(PRELOAD_HTML, unsafe_allow_javascript=True)


def focus_pending(ctx: Context) -> str:
    """The section (a FOCUS name) a lesson link asked this page to open at, until `end` has
    scrolled to it; "" if none. A page that hides the section in a tab opens that tab."""
    focus = st.session_state.get("focus", "")
    pending = st.session_state.get(store.FOCUS_PENDING_KEY, False)
    return focus if pending and focus and FOCUS[focus][0] == ctx.entry.key else ""


def scroll_to(anchor: str) -> None:
    """Scroll to the heading with this id (one of FOCUS's constant anchors) once it is drawn."""
    assert anchor in {a for _, a in FOCUS.values()}, anchor      # never user text
    st.html(_FOCUS_JS.replace("__ANCHOR__", anchor), unsafe_allow_javascript=True)


def end(ctx: Context | str) -> None:
    """Every page's last call, after everything it draws: large links to the previous and the
    next page in the tutorial's order (the last page leads back to Home), and, when a lesson
    link asked to open at one of this page's sections (`focus`), the scroll to it; the early
    load of the element scripts other pages need (`preload`).

    ctx: the page's Context, or its registry key (pages whose setup returns no Context)."""
    entry = registry.get(ctx) if isinstance(ctx, str) else ctx.entry
    focus = st.session_state.get("focus", "")
    if focus and FOCUS[focus][0] != entry.key:      # a section of another page: not this one's
        st.session_state["focus"] = ""
        store.write_url()
    elif focus and st.session_state.pop(store.FOCUS_PENDING_KEY, False):
        scroll_to(FOCUS[focus][1])
    st.html(PATH_CSS)
    preload()
    before, after = registry.neighbours(entry)
    try:
        with st.container(key="page_end"):
            st.divider()
            left, right = st.columns(2)
            if before is not None:
                with left.container(key="page_prev"):
                    st.page_link(before.file, label=f"Previous: {before.label}",
                                 icon=":material/arrow_back:", width="stretch")
            with right.container(key="page_next"):
                if after is not None:
                    st.page_link(after.file, label=f"Next: {after.label}",
                                 icon=":material/arrow_forward:", icon_position="right",
                                 width="stretch")
                else:
                    st.page_link(registry.HOME.file, label=f"Start again: {registry.HOME.title}",
                                 icon=":material/home:", width="stretch")
    except StreamlitPageNotFoundError:    # a page script run alone, as AppTest.from_file does
        pass
    _freeze_long_lived()


_frozen = False


def _freeze_long_lived() -> None:
    """Once per server process, after its first complete page run: every object alive then
    (modules, Plotly's validators, Streamlit's machinery) is moved out of the garbage
    collector's way (gc.freeze), so the full collection Streamlit runs after every script run
    (runner.postScriptGC) scans only what later runs create."""
    global _frozen
    if not _frozen:
        _frozen = True
        python_gc.collect()
        python_gc.freeze()


def start_here() -> None:
    """Home's one "Start here": a large link to the first page of the tutorial's order."""
    st.html(PATH_CSS)
    try:
        with st.container(key="start_here"):
            st.page_link(registry.START.file, label=f"Start here: {registry.START.label}",
                         icon=":material/arrow_forward:", icon_position="right")
    except StreamlitPageNotFoundError:
        pass


# ---------------------------------------------------------------- stepping through time

def _clamp_step(ctx: Context) -> None:
    store.clamp("batch", 1, ctx.run.num_batches)
    store.clamp("step", 1, ctx.S)


def _move(num_batches: int, S: int, delta: int) -> None:
    """Callback: one time step forward or back, crossing into the next / previous batch."""
    s = st.session_state
    flat = (s["batch"] - 1) * S + (s["step"] - 1) + delta
    flat %= num_batches * S
    s["batch"], s["step"] = flat // S + 1, flat % S + 1


# Our own constant CSS: the stepper stays at the top of the window while the page scrolls under
# it. Streamlit wraps a keyed container in a wrapper as tall as the container, so the wrapper is
# what sticks (inside the fragment's block, which holds the whole step).
STEPPER_CSS = """<style>
[data-testid="stLayoutWrapper"]:has(> .st-key-stepper) {
    position: sticky; top: 3.75rem; z-index: 99; background: white; }
.st-key-stepper { padding: 0.25rem 0 0.35rem; border-bottom: 1px solid #e6e7eb; }
</style>"""


def stepper(ctx: Context, *, steps: bool = True) -> tuple[int, int]:
    """Batch and time-step selectors with previous / next / play, pinned to the top of the
    window while the page scrolls (STEPPER_CSS). Returns 0-based (n, t)."""
    _clamp_step(ctx)
    st.html(STEPPER_CSS)                # style only: takes no room on the page
    with st.container(key="stepper"):
        return _stepper(ctx, steps)


def _stepper(ctx: Context, steps: bool) -> tuple[int, int]:
    N, S = ctx.run.num_batches, ctx.S
    cols = st.columns([3, 3, 1, 1, 1.3] if steps else [3, 4])
    with cols[0]:
        if N > 1:
            st.slider("Batch", 1, N, key="batch", help="Which batch of the text (1 = first).")
        else:
            st.caption("Batch 1 of 1")
    if steps:
        with cols[1]:
            if S > 1:
                st.slider("Time step t", 1, S, key="step",
                          help="Which character position of the sequences.")
            else:
                st.caption("Time step 1 of 1")
        # plain numbers as callback arguments: a button keeps its args, never the run itself
        cols[2].button("◀ Prev", on_click=_move, args=(N, S, -1), key="prev_step", width="stretch")
        cols[3].button("Next ▶", on_click=_move, args=(N, S, 1), key="next_step", width="stretch")
        cols[4].toggle("Play", key=PLAYING_KEY, help=f"Advance one step every {PLAY_SECONDS} s.")
    store.write_url()      # the stepper's fragment reruns alone (step, batch, a picked cell)
    return st.session_state["batch"] - 1, (st.session_state["step"] - 1 if steps else 0)


def stepped(ctx: Context, body: Callable[[int, int], None], *,
            steps: bool | Callable[[], bool] = True, downloads: bool = True) -> None:
    """Draw the stepper and body(n, t) inside a fragment, so moving through time reruns only
    this part; while "Play" is on the fragment advances itself. The matrices' download buttons
    come after the body (downloads=False: the body places `draw.downloads()` itself).

    steps: whether the body depends on the time step (else no time-step slider, Prev / Next or
    Play, and t = 0); a callable is asked on every run of the fragment (a tab of the body that
    shows the whole batch, say)."""
    shows_steps = steps if callable(steps) else (lambda: steps)
    playing = bool(st.session_state.get(PLAYING_KEY)) and shows_steps()
    drawn_before = exports.current().copy()   # the page's matrices outside the fragment

    @st.fragment(run_every=PLAY_SECONDS if playing else None)
    def fragment():
        exports.begin(drawn_before)           # a rerun of this part alone may draw others
        steps_now = shows_steps()
        if not steps_now and st.session_state.get(PLAYING_KEY):
            st.session_state[PLAYING_KEY] = False   # the body does not follow t: Play stops
        if playing and steps_now and st.session_state.get(ADVANCE_KEY):
            _clamp_step(ctx)
            _move(ctx.run.num_batches, ctx.S, 1)
        st.session_state[ADVANCE_KEY] = playing
        n, t = stepper(ctx, steps=steps_now)
        if bool(st.session_state.get(PLAYING_KEY)) != playing:
            st.rerun()                      # start / stop the timer: needs a full run
        body(n, t)
        if downloads:
            draw.downloads()

    with st.container(key="stepped"):      # keyed: stays mounted when elements above change
        fragment()


def link(key: str, label: str) -> None:
    """A link to the registry's page `key` (nothing when the page script runs alone, as under
    AppTest.from_file, where other pages cannot be resolved)."""
    try:
        st.page_link(registry.get(key).file, label=label)
    except StreamlitPageNotFoundError:
        pass


# Our own constant CSS (no user text): a page drawn to fit one screen gives up most of the
# main area's empty padding above the title and below the last element, and its equations
# most of their margins.
ONE_SCREEN_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 0.25rem; }
[data-testid="stMain"] .katex-display { margin: 0.3em 0; }
</style>"""


# Our own constant CSS (keys are ours, no user text): a multiselect given to wrap_choices
# wraps its chosen items onto as many lines as they need (Streamlit keeps them on one
# scrolling line of 40 px: at H = 32 it showed h1…h5 of 32 forced units and hid the rest).
WRAP_CHOICES_CSS = """
.st-key-__KEY__ [data-testid="stMultiSelectTagsContainer"] { flex-wrap: wrap; overflow: visible; }
.st-key-__KEY__ .react-aria-ComboBox > div { max-height: none; height: auto; }"""


def wrap_choices(*keys: str) -> None:
    """The multiselects with these keys show every chosen item, on as many lines as needed."""
    st.html("<style>" + "".join(WRAP_CHOICES_CSS.replace("__KEY__", k) for k in keys)
            + "</style>")


def one_screen() -> None:
    """Less empty padding around the page, for a page that fits one screen (The GRU cell)."""
    st.markdown(ONE_SCREEN_CSS, unsafe_allow_html=True)
