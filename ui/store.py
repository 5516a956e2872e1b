"""The session store: every value a session keeps, under keys defined here and nowhere else.

A leaf module (it imports nothing else from ui/), so every other module can use it:

- **Settings**: the sidebar controls. Their session-state keys are also the URL parameter names
  (a public interface: teachers paste lesson links into slides), with the page-level values
  (batch, step) and the view flags (present, hide, cell_q, cell_b, cell_j, node).
- **The model**: one record of the weights the session uses instead of the initial ones —
  trained, edited on What if or loaded from a lesson — with where they came from. Every reader
  (the sidebar's "trained" weights, Training, Gate explorer, lesson files) and every writer goes
  through `model()` / `set_model()`.
- **Page values that persist** across page switches (`persist`), and **clamping** a value into
  its range with a note for the user (`clamp`).

URL sync: `restore_from_url` reads the URL once per session, before any widget exists, noting
and replacing nonsense values (and again when a lesson link inside the app opens another page
with parameters: then the link's URL sets every URL value); `write_url` mirrors the non-default values after the page's
controls are drawn, so the address bar always reproduces the screen. Streamlit's own
`bind="query-params"` is not used: it drops invalid values silently (the user gets no note),
resets a slider whose bounds depend on the text, and in multipage mode a bound widget exists
only on the page that draws it, while these values must survive every page.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import streamlit as st

import gru_core as gc
from gru_core import TUTORIAL_ORDER, TUTORIAL_SIZES, TUTORIAL_TEXT

TEXT_LIMIT = 5000          # characters of sidebar text (the learning pages take longer texts)
MAX_BATCH = 16
MAX_SEQ = 32
MAX_HIDDEN = 32
MAX_SEED = 2**31 - 1

CHOICES = {
    "reset": ("before", "after"),
    "update": ("keep", "take"),
    "order": ("auto", "sorted", "first", "custom"),
    "layout": ("tutorial", "streams"),
    "weights": ("tutorial", "random", "trained"),
}
DEFAULTS = {
    "text": TUTORIAL_TEXT,
    "batch_size": TUTORIAL_SIZES["batch_size"],
    "seq_len": TUTORIAL_SIZES["seq_len"],
    "hidden_size": TUTORIAL_SIZES["hidden_size"],
    "seed": 0,
    "reset": "before",
    "update": "keep",
    "order": "auto",                  # the tutorial's 'hatM' for its characters, else sorted
    "custom_order": TUTORIAL_ORDER,   # used when order is "custom"
    "layout": "tutorial",
    "weights": "tutorial",
    "numbers": True,
}
INT_KEYS = ("batch_size", "seq_len", "hidden_size", "seed")
# Page-level keys (also in the URL): which batch and time step is shown (1-based).
PAGE_DEFAULTS = {"batch": 1, "step": 1}   # 1-based, as the tutorial counts
# View keys (also in the URL): presentation mode, sidebar controls hidden by the teacher (a comma
# list, like TensorFlow Playground's hide flags), the cell the inspector shows (cell_b, cell_j:
# NumPy's 0-based row and column; the page shows them counting from 1) and the node of the drawn
# cell.
# The node of the drawn cell whose equation is shown (The GRU cell page; ui/plots.CELL_NODES
# draws each): inputs, gates, the reset product, the candidate, 1 − z, the two parts of h_t,
# h_t, the output.
CELL_NODES = ("x", "h_prev", "z", "r", "reset", "h_tilde", "one_minus_z", "from_prev",
              "from_tilde", "h", "y")
VIEW_DEFAULTS = {"present": False, "hide": "", "cell_q": "z", "cell_b": 0, "cell_j": 0,
                 "focus": "", "node": "z"}
# focus: the section of a page a lesson link opens at (ui/page.py FOCUS: its page and anchor).
VIEW_CHOICES = {"cell_q": ("z", "r", "h_tilde", "h", "probs"), "focus": ("", "vanishing"),
                "node": CELL_NODES}
# What if's forced gates and edited weight (also in the URL and in lesson files), as text; the
# page's own controls (wi_*) hold them, `whatif_text` / `apply_whatif` translate. Units, rows and
# columns count from 1, as the unit labels h1, h2, ... do:
#   force_z, force_r   "0" or "1": the gate forced to that value ("": computed, as usual)
#   force_z_units, force_r_units   the forced units, e.g. "1,3"; "all" every unit; "" none
#   force_from         the time step the forcing starts at, counted across batches (1 = the first)
#   edit               one weight changed: "W_z:2:1:0.5" (parameter:row:column:new value), a
#                      bias "b_z:3:0.5" (parameter:unit:new value); "" none
WHATIF_DEFAULTS = {"force_z": "", "force_z_units": "all", "force_r": "", "force_r_units": "all",
                   "force_from": 2, "edit": ""}
EDIT_LIMIT = 100.0         # an edited weight stays within ±EDIT_LIMIT (What if's number box)
URL_DEFAULTS = {**DEFAULTS, **PAGE_DEFAULTS, **VIEW_DEFAULTS, **WHATIF_DEFAULTS}   # the URL's
HIDEABLE = ("text", "batch_size", "seq_len", "hidden_size", "preset", "options", "weights", "seed",
            "reset", "update", "order", "custom_order", "layout", "numbers", "lesson")

# Keys of values that are not URL parameters, each used by the module named beside it.
NOTES_KEY = "_url_notes"           # notes about clamped or ignored values, shown once (page)
SIZES_WANTED_KEY = "_sizes_wanted"  # the sizes the user chose, before the text clamped them
SIZES_SET_KEY = "_sizes_set"       # the sizes clamp_sizes last left in force
RESTORED_KEY = "_restored"         # the URL was read (restore_from_url)
URL_WRITTEN_KEY = "_url_written"   # the URL parameters write_url last wrote
PAGE_SHOWN_KEY = "_page_shown"     # the page the last full run drew (restore_from_url)
FOCUS_PENDING_KEY = "_focus_pending"  # a lesson link asked to open at `focus` (page)
MODEL_KEY = "model"                # the Model record (model / set_model)
PLAYING_KEY = "playing"            # the stepper's Play toggle (page)
ADVANCE_KEY = "_advance"           # the playing stepper advances on its next tick (page)
LESSON_UPLOAD_KEY = "lesson_file"  # lesson file uploader (lesson)
LESSON_ERROR_KEY = "_lesson_error"
LESSON_LOADED_KEY = "_lesson_loaded"
LESSON_GOTO_KEY = "_lesson_goto"   # the page a loaded lesson opens (lesson, page)
HIDE_PICK_KEY = "_hide_pick"       # the "Hide controls" multiselect (lesson)
JOB_KEY = "train_job"              # the running training job (training)
STOP_KEY = "train_stop"            # set by the Stop button (training)
REQUEST_KEY = "_train_requested"   # set by the Train button (training)
OUTCOME_KEY = "_train_outcome"     # what the last training run did (training)
PRIMER_VOCAB_KEY = "_primer_vocab"  # the vocabulary the sampling primer was chosen for (page 7)
LEARN_SOURCE_KEY = "learn_source"  # which text the learning pages use (texts)
LEARN_UPLOAD_KEY = "learn_upload"  # the .txt uploader (texts)
LEARN_STORED_KEY = "_learn_upload"  # (file name, text) of the last good upload (texts)

# The pages' own controls, kept across page switches like the sidebar's (keep_across_pages):
# their defaults, and (PAGE_KEPT_IF_SET) those whose default the page works out itself.
PAGE_VALUES = {
    # Backprop through time
    "bptt_loss": "ce", "bptt_param": "W_z", "bptt_view": "sum", "bptt_u_scale": 1.0,
    "bptt_logy": True, "bptt_clip_kind": "value", "bptt_clip_value": 0.01, "bptt_check": False,
    # Training and sampling (and the text both learning pages read)
    LEARN_SOURCE_KEY: "sidebar",
    "train_optimizer": "adam", "train_lr": 0.01, "train_epochs": 100, "train_loss": "ce",
    "train_clip_kind": "value", "train_clip": 5.0, "train_layout": "streams", "train_batch": 16,
    "train_seq": 25, "train_from": "fresh", "sample_len": 200, "sample_temperature": 1.0,
    "sample_greedy": False, "sample_seed": 0, "sample_weights": "trained",
    # Gate explorer
    "explore_window": 100, "explore_start": 1, "explore_unit": "h1",
    # What if
    "wi_z": "free", "wi_r": "free", "wi_edit": False,
}
PAGE_KEPT_IF_SET = ("sample_primer", "explore_weights", "train_detail", "wi_z_units",
                    "wi_r_units", "wi_from", "wi_param", "wi_row", "wi_col", "chain_row",
                    "chain_span", "who")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_literal(text: str) -> str:
    """User text for st.markdown, shown literally: no Markdown, no HTML, no LaTeX."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


# ---------------------------------------------------------------- settings

@dataclass(frozen=True)
class Settings:
    """Everything that determines the run; hashable, so it can key caches."""

    text: str
    batch_size: int
    seq_len: int
    hidden_size: int
    seed: int
    reset: str
    update: str
    order: str
    custom_order: str
    layout: str
    weights: str

    @classmethod
    def from_state(cls, state) -> "Settings":
        return cls(**{k: state.get(k, DEFAULTS[k]) for k in cls.__dataclass_fields__})

    @property
    def config(self) -> gc.GRUConfig:
        return gc.GRUConfig(self.reset, self.update)


def settings() -> Settings:
    return Settings.from_state(st.session_state)


def slider_bounds(text: str, batch_size: int) -> dict[str, tuple[int, int]]:
    """Ranges that can always form one full batch: B·S + 1 <= len(text)."""
    n = max(len(text), 2)
    max_batch = max(1, min(MAX_BATCH, n - 1))
    max_seq = max(1, min(MAX_SEQ, (n - 1) // max(1, min(batch_size, max_batch))))
    return {"batch_size": (1, max_batch), "seq_len": (1, max_seq), "hidden_size": (1, MAX_HIDDEN),
            "seed": (0, MAX_SEED)}


def presenting() -> bool:
    return bool(st.session_state.get("present"))


def hidden() -> set[str]:
    """Sidebar controls the `hide` flag hides."""
    return set(filter(None, str(st.session_state.get("hide", "")).split(",")))


# ---------------------------------------------------------------- the model

@dataclass(frozen=True)
class Model:
    """Weights the session uses instead of the initial ones, and where they came from.

    `chars` is the vocabulary in row order (row v of every W_* belongs to chars[v]); None when
    unknown, then only the sizes are checked. `initial` is what the weights started from
    (before training or editing; None for a loaded lesson). `training` is the Training page's
    record of the runs that made them (history, options), None for other sources."""

    params: gc.Params
    chars: tuple[str, ...] | None
    config: gc.GRUConfig
    source: str                           # "trained", "edited" or "lesson"
    description: str                      # on screen: e.g. "trained on Shakespeare's sonnets"
    initial: gc.Params | None = None
    text_start: str = ""                  # a primer that always works (training text's start)
    training: object | None = field(default=None, compare=False)

    @property
    def vocab(self) -> gc.Vocab | None:
        return gc.Vocab(self.chars) if self.chars is not None else None

    @property
    def hidden_size(self) -> int:
        return self.params.hidden_size

    def fits(self, chars, hidden_size: int) -> bool:
        """Whether these weights belong to this vocabulary (in this row order) and H."""
        return (self.params.hidden_size == hidden_size
                and (tuple(chars) == self.chars if self.chars is not None
                     else self.params.vocab_size == len(chars)))


def model() -> Model | None:
    return st.session_state.get(MODEL_KEY)


def set_model(record: Model) -> None:
    st.session_state[MODEL_KEY] = record


# ---------------------------------------------------------------- values kept across pages

def persist(defaults: dict) -> None:
    """Keep these widget values when the user visits another page and comes back.

    Streamlit forgets a widget's value once a run does not draw it (in multipage mode, every
    page switch); re-assigning a value makes it plain session state, which survives."""
    s = st.session_state
    for key, value in defaults.items():
        s[key] = s[key] if key in s else value


def clamp(key: str, lo, hi, *, default=None, note: str | None = None):
    """Keep st.session_state[key] (`default`, else lo, when unset) inside lo..hi, before the widget
    is drawn; with `note`, tell the user when a value was changed (the note may use {value},
    {lo}, {hi}, {clamped}). Returns the value."""
    s = st.session_state
    value = s.get(key, lo if default is None else default)
    clamped = min(max(value, lo), hi)
    s[key] = clamped
    if clamped != value and note:
        add_note(note.format(value=value, lo=lo, hi=hi, clamped=clamped))
    return clamped


def add_note(msg: str) -> None:
    st.session_state.setdefault(NOTES_KEY, []).append(msg)


def take_notes() -> list[str]:
    """Notes to show once."""
    return st.session_state.pop(NOTES_KEY, [])


def keep_across_pages() -> None:
    """Every URL value and every page's own control as plain session state (see `persist`), on
    every page: a value survives a visit to a page that does not draw its widget."""
    persist({k: v for k, v in URL_DEFAULTS.items() if k not in WHATIF_DEFAULTS})
    persist(PAGE_VALUES)
    persist({k: st.session_state[k] for k in PAGE_KEPT_IF_SET if k in st.session_state})
    edited = _edit_value_key(st.session_state)       # What if's edited weight
    if edited in st.session_state:
        persist({edited: st.session_state[edited]})


def clamp_sizes() -> None:
    """Keep the size sliders inside what the current text allows, noting a change. The sizes
    the user chose are remembered: a text too short for them (or a cleared text box) lowers
    them only while it lasts, and a longer text brings them back."""
    s = st.session_state
    wanted, in_force = s.setdefault(SIZES_WANTED_KEY, {}), s.setdefault(SIZES_SET_KEY, {})
    for key in INT_KEYS:
        value = s.get(key, DEFAULTS[key])
        if in_force.get(key) != value:               # chosen since (slider, URL, lesson, preset)
            wanted[key] = value
        s[key] = wanted[key]
        lo, hi = slider_bounds(s.get("text", DEFAULTS["text"]), s.get("batch_size", 1))[key]
        if value == wanted[key]:                     # a note only where the user sees a change
            clamp(key, lo, hi, note=f"`{key}` = {{value:,}} is outside {{lo}}..{{hi}} for this "
                                    "text; using {clamped}.")
        else:
            clamp(key, lo, hi)
        in_force[key] = s[key]


# ---------------------------------------------------------------- the URL

def parse_int(raw: str) -> int:
    """A URL value as an int; ValueError for text, NaN or infinity."""
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return int(value)


def _shown(raw: str, limit: int = 40) -> str:
    """A URL value quoted for a note (st.info renders Markdown): its characters shown literally."""
    return md_literal(repr(raw if len(raw) <= limit else raw[:limit] + "…"))


def restore_from_url(page: str = "") -> None:
    """URL parameters -> session state, invalid values noted and replaced: once per session, and
    again when a link inside the app (a ready-made lesson) opens another page with parameters
    other than the ones write_url last wrote; that link sets every URL value, as a new tab would.
    (A link between pages carries no parameters: the session keeps its values.)

    page: the page being drawn (its file)."""
    s = st.session_state
    params = st.query_params
    relink = bool(s.get(RESTORED_KEY))
    arrived, s[PAGE_SHOWN_KEY] = s.get(PAGE_SHOWN_KEY) != page, page
    if relink:
        incoming = params.to_dict()
        if not arrived or not incoming or incoming == s.get(URL_WRITTEN_KEY):
            return
        for key, default in URL_DEFAULTS.items():
            if key not in WHATIF_DEFAULTS:
                s[key] = default
        for key in (SIZES_WANTED_KEY, SIZES_SET_KEY, FOCUS_PENDING_KEY):
            s.pop(key, None)
    s[RESTORED_KEY] = True
    _restore(params)
    if relink or any(key in params for key in WHATIF_DEFAULTS):
        whatif = {}                       # else What if's controls keep what the session set
        for key in WHATIF_DEFAULTS:
            if key in params:
                try:
                    whatif[key] = parse_whatif(key, params[key])
                except ValueError as err:
                    add_note(f"{err} The link gave {_shown(params[key])}, so it is ignored.")
        apply_whatif(whatif)


def _restore(params) -> None:
    """The URL values other than What if's -> session state (see restore_from_url)."""
    choices = {**CHOICES, **VIEW_CHOICES}
    if "custom_order" in params and "order" not in params:
        # `custom_order` without `order` asks for that order (the meaning of links that were
        # made while "custom" was the default)
        st.session_state["order"] = "custom"
    for key, default in URL_DEFAULTS.items():
        if key not in params or key in WHATIF_DEFAULTS:
            continue
        raw = params[key]
        if key == "focus":
            if raw in choices[key]:
                st.session_state[key] = raw
                st.session_state[FOCUS_PENDING_KEY] = bool(raw)
            else:
                add_note(f"`focus` names a section a link can open at ("
                         f"{', '.join(c for c in choices[key] if c)}); the link gave "
                         f"{_shown(raw)}, so the page opens at the top.")
        elif key == "hide":
            st.session_state[key] = clean_hide(raw)
        elif key == "text":
            if len(raw) > TEXT_LIMIT:
                add_note(f"The text in the link has {len(raw):,} characters; the limit is "
                         f"{TEXT_LIMIT:,}, so only the first {TEXT_LIMIT:,} are used.")
                raw = raw[:TEXT_LIMIT]
            st.session_state[key] = raw
        elif key == "custom_order":
            st.session_state[key] = raw[:TEXT_LIMIT]
        elif key in choices:
            if raw in choices[key]:
                st.session_state[key] = raw
            else:
                add_note(f"`{key}` must be one of {', '.join(choices[key])}; the link gave "
                         f"{_shown(raw)}, so `{default}` is used.")
        elif key in ("numbers", "present"):
            st.session_state[key] = raw not in ("0", "false", "off")
        else:
            try:
                value = parse_int(raw)
                if str(value) != raw.strip():
                    add_note(f"`{key}` must be a whole number; the link gave {_shown(raw)}, so "
                             f"{value} is used.")
                st.session_state[key] = value
            except (ValueError, OverflowError):
                add_note(f"`{key}` must be a whole number; the link gave {_shown(raw)}, so "
                         f"{default} is used.")


def clean_hide(raw: str) -> str:
    """The `hide` flag as a comma list of known control names (unknown names noted)."""
    names = [n.strip() for n in str(raw).split(",") if n.strip()]
    unknown = [n for n in names if n not in HIDEABLE]
    if unknown:
        add_note(f"`hide` names controls; {_shown(', '.join(unknown))} is not one of them "
                 f"(known: {', '.join(HIDEABLE)}), so it is ignored.")
    return ",".join(n for n in HIDEABLE if n in names)


def write_url() -> None:
    """Mirror every non-default URL value into the address bar."""
    wanted = {}
    whatif = whatif_text(st.session_state)
    for key, default in URL_DEFAULTS.items():
        value = whatif[key] if key in whatif else st.session_state.get(key, default)
        if value != default:
            wanted[key] = str(int(value)) if isinstance(value, bool) else str(value)
    if "custom_order" in wanted and "order" not in wanted:
        wanted["order"] = DEFAULTS["order"]    # `custom_order` alone would mean "custom"
    st.session_state[URL_WRITTEN_KEY] = wanted
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


# ---------------------------------------------------------------- What if's settings as text

GATE_VALUES = ("free", "0", "1")     # What if's choices for a gate (wi_z, wi_r)


def whatif_value_key(name: str, index: tuple[int, ...]) -> str:
    """The session key of What if's "new value" box for one weight (0-based index)."""
    return f"wi_value_{name}_{'_'.join(map(str, index))}"


def _is_vector(name: str) -> bool:
    return name.startswith("b_")          # the biases; every other parameter is a matrix


def _whole_from_1(what: str, raw: str, hi: int | None = None) -> int:
    """A count from 1 (a unit, row or column, a time step) from text; ValueError if not."""
    try:
        value = parse_int(raw)
    except (ValueError, OverflowError):
        value = None
    if value is None or str(value) != str(raw).strip() or value < 1 or (hi and value > hi):
        raise ValueError(f"{what} must be a whole number from 1{f' to {hi}' if hi else ''}.")
    return value


def parse_whatif(key: str, raw) -> str | int:
    """One of What if's settings (WHATIF_DEFAULTS) from its text, in its canonical form;
    ValueError with a message for the user if it makes no sense."""
    if key == "force_from":
        return _whole_from_1("`force_from` (the step the forcing starts at)", str(raw))
    raw = str(raw).strip()
    if key in ("force_z", "force_r"):
        if raw not in ("", "free", "0", "1"):
            raise ValueError(f"`{key}` forces the gate to 0 or 1 (or leave it out: computed).")
        return "" if raw == "free" else raw
    if key in ("force_z_units", "force_r_units"):
        if raw == "all":
            return raw
        units = {_whole_from_1(f"Each unit in `{key}` (h1 = 1)", u, MAX_HIDDEN)
                 for u in raw.split(",") if u.strip()}
        return ",".join(map(str, sorted(units)))
    if key == "edit":
        if not raw:
            return ""
        parts = raw.split(":")
        name = parts[0]
        if name not in gc.PARAM_NAMES:
            raise ValueError(f"`edit` starts with a parameter name ({', '.join(gc.PARAM_NAMES)}).")
        if len(parts) != (3 if _is_vector(name) else 4):
            raise ValueError("`edit` is parameter:row:column:value for a matrix (e.g. "
                             "W_z:2:1:0.5) and parameter:unit:value for a bias (e.g. b_z:3:0.5).")
        index = [_whole_from_1(f"The position in `edit` ({name})", p) for p in parts[1:-1]]
        try:
            value = float(parts[-1])
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and abs(value) <= EDIT_LIMIT):
            raise ValueError(f"The new value in `edit` must be a number from −{EDIT_LIMIT:g} "
                             f"to {EDIT_LIMIT:g}.")
        return ":".join([name, *map(str, index), repr(value)])
    raise KeyError(key)


def _units_text(units, hidden_size: int) -> str:
    if units is None or sorted(set(units)) == list(range(hidden_size)):
        return "all"
    return ",".join(str(u + 1) for u in sorted(set(units)))


def _edited(state) -> tuple[str, tuple[int, ...]]:
    """The weight What if's controls point at: (parameter, 0-based index)."""
    name = state.get("wi_param", "W_z")
    col = int(state.get("wi_col", 0))
    return name, ((col,) if _is_vector(name) else (int(state.get("wi_row", 0)), col))


def _edit_value_key(state) -> str:
    return whatif_value_key(*_edited(state))


def whatif_text(state) -> dict:
    """What if's controls (wi_*) in `state` -> their text form (WHATIF_DEFAULTS's keys)."""
    H = state.get("hidden_size", DEFAULTS["hidden_size"])
    out = {}
    for g in ("z", "r"):
        value = state.get(f"wi_{g}", "free")
        out[f"force_{g}"] = "" if value == "free" else str(value)
        out[f"force_{g}_units"] = _units_text(state.get(f"wi_{g}_units"), H)
    out["force_from"] = int(state.get("wi_from", WHATIF_DEFAULTS["force_from"]))
    out["edit"] = ""
    name, index = _edited(state)
    value = state.get(whatif_value_key(name, index))
    if state.get("wi_edit") and value is not None:
        out["edit"] = ":".join([name, *(str(i + 1) for i in index), repr(float(value))])
    return out


def apply_whatif(values: dict) -> None:
    """What if's settings in text form (parse_whatif's; missing ones: their defaults) -> What
    if's controls, before the page draws them."""
    s = st.session_state
    v = {**WHATIF_DEFAULTS, **values}
    for g in ("z", "r"):
        s[f"wi_{g}"] = v[f"force_{g}"] or "free"
        units = v[f"force_{g}_units"]
        if units == "all":
            s.pop(f"wi_{g}_units", None)             # the page forces every unit by default
        else:
            s[f"wi_{g}_units"] = [int(u) - 1 for u in units.split(",") if u]
    s["wi_from"] = int(v["force_from"])
    s["wi_edit"] = bool(v["edit"])
    if v["edit"]:
        name, *index, value = v["edit"].split(":")
        index = tuple(int(i) - 1 for i in index)
        s["wi_param"] = name
        if len(index) == 2:
            s["wi_row"] = index[0]
        s["wi_col"] = index[-1]
        s[whatif_value_key(name, index)] = float(value)
