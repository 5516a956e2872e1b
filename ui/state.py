"""The sidebar controls, their session-state keys (which are also the URL parameter names),
and how values are read from the URL, clamped, kept across pages and written back.

No page reads st.query_params itself: `restore_from_url` runs once per session, before any
widget exists, and `write_url` mirrors the current values after every run, so the address bar
is always a lesson link that reproduces the screen.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import streamlit as st

from gru_core import TUTORIAL_ORDER, TUTORIAL_SIZES, TUTORIAL_TEXT

TEXT_LIMIT = 5000          # characters of sidebar text (the learning pages take longer texts)
MAX_BATCH = 16
MAX_SEQ = 32
MAX_HIDDEN = 32
MAX_SEED = 2**31 - 1

CHOICES = {
    "reset": ("before", "after"),
    "update": ("keep", "take"),
    "order": ("sorted", "first", "custom"),
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
    "order": "custom",
    "custom_order": TUTORIAL_ORDER,
    "layout": "tutorial",
    "weights": "tutorial",
    "numbers": True,
}
INT_KEYS = ("batch_size", "seq_len", "hidden_size", "seed")
# Page-level keys (also in the URL): which batch and time step is shown (1-based).
PAGE_DEFAULTS = {"batch": 1, "step": 1}   # 1-based, as the tutorial counts
# View keys (also in the URL): presentation mode, sidebar controls hidden by the teacher (a comma
# list, like TensorFlow Playground's hide flags), and the cell the inspector shows.
VIEW_DEFAULTS = {"present": False, "hide": "", "cell_q": "z", "cell_b": 0, "cell_j": 0}
VIEW_CHOICES = {"cell_q": ("z", "r", "h_tilde", "h", "probs")}
HIDEABLE = ("text", "batch_size", "seq_len", "hidden_size", "preset", "options", "weights", "seed",
            "reset", "update", "order", "custom_order", "layout", "numbers", "lesson")
NOTES_KEY = "_url_notes"
RESTORED_KEY = "_restored"


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


def slider_bounds(text: str, batch_size: int) -> dict[str, tuple[int, int]]:
    """Ranges that can always form one full batch: B·S + 1 <= len(text)."""
    n = max(len(text), 2)
    max_batch = max(1, min(MAX_BATCH, n - 1))
    max_seq = max(1, min(MAX_SEQ, (n - 1) // max(1, min(batch_size, max_batch))))
    return {"batch_size": (1, max_batch), "seq_len": (1, max_seq), "hidden_size": (1, MAX_HIDDEN),
            "seed": (0, MAX_SEED)}


def parse_int(raw: str) -> int:
    """A URL value as an int; ValueError for text, NaN or infinity."""
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return int(value)


def _note(msg: str) -> None:
    st.session_state.setdefault(NOTES_KEY, []).append(msg)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")   # as page.md_literal


def _shown(raw: str, limit: int = 40) -> str:
    """A URL value quoted for a note (st.info renders Markdown): its characters shown literally."""
    text = repr(raw if len(raw) <= limit else raw[:limit] + "…")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def restore_from_url() -> None:
    """Once per session: URL parameters -> session state, invalid values noted and replaced."""
    if st.session_state.get(RESTORED_KEY):
        return
    st.session_state[RESTORED_KEY] = True
    params = st.query_params
    choices = {**CHOICES, **VIEW_CHOICES}
    for key, default in {**DEFAULTS, **PAGE_DEFAULTS, **VIEW_DEFAULTS}.items():
        if key not in params:
            continue
        raw = params[key]
        if key == "hide":
            st.session_state[key] = clean_hide(raw)
        elif key == "text":
            if len(raw) > TEXT_LIMIT:
                _note(f"The text in the link has {len(raw):,} characters; the limit is "
                      f"{TEXT_LIMIT:,}, so only the first {TEXT_LIMIT:,} are used.")
                raw = raw[:TEXT_LIMIT]
            st.session_state[key] = raw
        elif key == "custom_order":
            st.session_state[key] = raw[:TEXT_LIMIT]
        elif key in choices:
            if raw in choices[key]:
                st.session_state[key] = raw
            else:
                _note(f"`{key}` must be one of {', '.join(choices[key])}; the link gave "
                      f"{_shown(raw)}, so `{default}` is used.")
        elif key in ("numbers", "present"):
            st.session_state[key] = raw not in ("0", "false", "off")
        else:
            try:
                value = parse_int(raw)
                if str(value) != raw.strip():
                    _note(f"`{key}` must be a whole number; the link gave {_shown(raw)}, so "
                          f"{value} is used.")
                st.session_state[key] = value
            except (ValueError, OverflowError):
                _note(f"`{key}` must be a whole number; the link gave {_shown(raw)}, so "
                      f"{default} is used.")


def clean_hide(raw: str) -> str:
    """The `hide` flag as a comma list of known control names (unknown names noted)."""
    names = [n.strip() for n in str(raw).split(",") if n.strip()]
    unknown = [n for n in names if n not in HIDEABLE]
    if unknown:
        _note(f"`hide` names controls; {_shown(', '.join(unknown))} is not one of them "
              f"(known: {', '.join(HIDEABLE)}), so it is ignored.")
    return ",".join(n for n in HIDEABLE if n in names)


def hidden() -> set[str]:
    """Sidebar controls the `hide` flag hides."""
    return set(filter(None, str(st.session_state.get("hide", "")).split(",")))


def clamp_sizes() -> None:
    """Keep the size sliders inside what the current text allows (noting any change)."""
    state = st.session_state
    for key in INT_KEYS:
        bounds = slider_bounds(state.get("text", DEFAULTS["text"]), state.get("batch_size", 1))
        lo, hi = bounds[key]
        value = state.get(key, DEFAULTS[key])
        if not lo <= value <= hi:
            clamped = min(max(value, lo), hi)
            _note(f"`{key}` = {value:,} is outside {lo}..{hi} for this text; using {clamped}.")
            state[key] = clamped


def keep_across_pages() -> None:
    """Streamlit forgets a widget's value when another page draws a widget with the same key;
    re-assigning every control's value makes it session state that survives the switch."""
    for key in list(DEFAULTS) + list(PAGE_DEFAULTS) + list(VIEW_DEFAULTS):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
        else:
            st.session_state[key] = {**DEFAULTS, **PAGE_DEFAULTS, **VIEW_DEFAULTS}[key]


def write_url(extra: dict | None = None) -> None:
    """Mirror every non-default control (and page-level values) into the address bar."""
    wanted = {}
    for key, default in {**DEFAULTS, **PAGE_DEFAULTS, **VIEW_DEFAULTS, **(extra or {})}.items():
        value = st.session_state.get(key, default)
        if value != default:
            wanted[key] = str(int(value)) if isinstance(value, bool) else str(value)
    current = st.query_params.to_dict()
    if current != wanted:
        st.query_params.from_dict(wanted)


def take_notes() -> list[str]:
    """URL notes to show once."""
    return st.session_state.pop(NOTES_KEY, [])
