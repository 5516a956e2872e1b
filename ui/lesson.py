"""Lesson files and presentation mode.

A lesson is a JSON file with every sidebar setting, the page, batch and time step, the view flags
(presentation mode, hidden controls, inspected cell), What if's forced gates and edited weight
(in their URL form, store.WHATIF_DEFAULTS; only when set) and, when the weights are trained or edited,
the weights themselves as lists of floats (JSON numbers round-trip float64 exactly):

    to_lesson(settings_dict, page, batch, step, params)  -> dict   (json.dumps-able)
    from_lesson(dict) -> {"settings_dict", "page", "batch", "step", "params"}  (LessonError if bad)
    to_lesson(**from_lesson(d)) == d  for every d that to_lesson made

Presentation mode ('present=1' in the URL) enlarges the fonts with a constant CSS block of our own
(no user text ever goes through unsafe_allow_html) and shows a short narrative per page; 'hide'
(e.g. 'hide=text,options') removes the named controls from the sidebar.
"""
from __future__ import annotations

import json
import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException

import gru_core as gc

from . import registry, store
from .compute import effective_order

FORMAT = "gru-matrix-lab-lesson"
VERSION = 1
MAX_BYTES = 1_000_000
UPLOAD_KEY = store.LESSON_UPLOAD_KEY
TOP_LEVEL = ("format", "version", "page", "batch", "step", "settings", "weights")


class LessonError(ValueError):
    """The lesson file cannot be used; the message says why, for the user."""


def setting_defaults() -> dict:
    return {**store.DEFAULTS, **store.VIEW_DEFAULTS, **store.WHATIF_DEFAULTS}


def settings_from_state(s) -> dict:
    """The lesson's settings: every sidebar control and view flag, and What if's forced gates
    and edited weight (store.whatif_text), from session store."""
    whatif = store.whatif_text(s)
    return {k: whatif[k] if k in whatif else s.get(k, v) for k, v in setting_defaults().items()}


def _plain(value):
    """NumPy scalars -> Python values (JSON-able)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def to_lesson(settings_dict: dict, page: str, batch: int, step: int,
              params: gc.Params | None = None) -> dict:
    """Everything needed to restore a screen, as a JSON-able dict."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "page": str(page),
        "batch": int(batch),
        "step": int(step),
        # What if's settings only when set: lessons made before they existed read back equal
        "settings": {k: _plain(v) for k, v in settings_dict.items()
                     if k not in store.WHATIF_DEFAULTS or v != store.WHATIF_DEFAULTS[k]},
        "weights": None if params is None else
        {name: np.asarray(a, dtype=np.float64).tolist() for name, a in params.items()},
    }


def lesson_json(lesson: dict) -> str:
    return json.dumps(lesson, ensure_ascii=False, indent=1, allow_nan=False)


# ---------------------------------------------------------------- validation

def _whole(name: str, value, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LessonError(f"'{name}' must be a whole number, not {type(value).__name__} "
                          f"{_short(value)}.")
    if value < lo or (hi is not None and value > hi):
        raise LessonError(f"'{name}' = {value} is outside {lo}..{hi if hi is not None else '∞'}.")
    return value


def _short(value, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def unencodable(text: str) -> str | None:
    """None if `text` is valid Unicode text, else where it is not, e.g. "position 3": a lone
    surrogate, which no browser sends (URLs and text boxes arrive as UTF-8) but a JSON file can
    hold ("\\ud800")."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as err:
        return f"position {err.start + 1}"


def _check_setting(key: str, value):
    default = setting_defaults()[key]
    choices = {**store.CHOICES, **store.VIEW_CHOICES}
    if key in store.WHATIF_DEFAULTS:
        if not isinstance(value, type(default)) or isinstance(value, bool):
            kind = "text" if isinstance(default, str) else "a whole number"
            raise LessonError(f"setting '{key}' must be {kind}; the file has {_short(value)}.")
        try:
            return store.parse_whatif(key, value)
        except ValueError as err:
            raise LessonError(f"setting '{key}': {err}") from None
    if key in choices:
        if value not in choices[key]:
            raise LessonError(f"setting '{key}' must be one of {', '.join(choices[key])}; the file "
                              f"has {_short(value)}.")
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise LessonError(f"setting '{key}' must be true or false; the file has "
                              f"{_short(value)}.")
    elif isinstance(default, int):
        limits = {"seed": store.MAX_SEED, "batch_size": store.MAX_BATCH,
                  "seq_len": store.MAX_SEQ, "hidden_size": store.MAX_HIDDEN}
        _whole(f"settings.{key}", value, 0 if key in ("seed", "cell_b", "cell_j") else 1,
               limits.get(key))
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise LessonError(f"setting '{key}' must be text; the file has {_short(value)}.")
        bad = unencodable(value)
        if bad is not None:
            raise LessonError(f"setting '{key}' has a character that is not valid text (a lone "
                              f"UTF-16 surrogate, {bad}); save the lesson again from the app, or "
                              "remove that character.")
        if len(value) > store.TEXT_LIMIT:
            raise LessonError(f"setting '{key}' has {len(value):,} characters; the limit is "
                              f"{store.TEXT_LIMIT:,}.")
        if key == "hide":
            unknown = [n for n in value.split(",") if n and n not in store.HIDEABLE]
            if unknown:
                raise LessonError(f"'hide' names unknown controls {_short(unknown)}; known: "
                                  f"{', '.join(store.HIDEABLE)}.")
    return value


def _vocab_size(settings: dict) -> int:
    chars = set(settings["text"])
    if settings["order"] == "custom":
        chars |= set(settings["custom_order"])
    return len(chars)


def _check_weights(weights, settings: dict) -> gc.Params:
    if not isinstance(weights, dict):
        raise LessonError("'weights' must be an object mapping parameter names to lists of "
                          "numbers, or null.")
    for name, value in weights.items():
        if not _only_numbers(value):
            raise LessonError(f"The weights cannot be used: '{_short(name)}' must be a list (of "
                              "lists) of numbers; true, false, text and null are not numbers.")
    try:
        params = gc.Params.from_dict({k: np.asarray(v, dtype=np.float64)
                                      for k, v in weights.items()})
    except (ValueError, TypeError) as err:
        raise LessonError(f"The weights cannot be used: {err}.") from None
    H, V = params.hidden_size, params.vocab_size
    if H != settings["hidden_size"]:
        raise LessonError(f"The weights have hidden size {H}, but the lesson's hidden_size is "
                          f"{settings['hidden_size']}.")
    if V != _vocab_size(settings):
        raise LessonError(f"The weights have {V} vocabulary rows, but the lesson's text (and "
                          f"custom order) has {_vocab_size(settings)} different characters.")
    return params


def _check_page(page) -> str:
    if not isinstance(page, str) or not (page == "app.py" or (
            page.startswith("pages/") and page.endswith(".py") and "/" not in page[6:])):
        raise LessonError(f"'page' must be app.py or pages/<file>.py; the file has {_short(page)}.")
    if page not in registry.BY_FILE:
        raise LessonError(f"The lesson's page {_short(page)} does not exist in this app.")
    return page


def from_lesson(lesson) -> dict:
    """A lesson dict (from to_lesson or a JSON file), checked -> the arguments of to_lesson.

    Missing settings take their defaults; anything unusable raises LessonError with a message.
    """
    if not isinstance(lesson, dict):
        raise LessonError("A lesson file is a JSON object (made by the Download lesson button).")
    if lesson.get("format") != FORMAT:
        raise LessonError(f"This is not a GRU Matrix Lab lesson ('format' should be {FORMAT!r}).")
    if type(lesson.get("version")) is not int or lesson.get("version") != VERSION:
        raise LessonError(f"Lesson version {_short(lesson.get('version'))} is not supported; "
                          f"this app reads version {VERSION}.")
    unknown = sorted(set(lesson) - set(TOP_LEVEL))
    if unknown:
        raise LessonError(f"Unknown fields in the lesson: {_short(unknown)}.")
    raw = lesson.get("settings", {})
    if not isinstance(raw, dict):
        raise LessonError("'settings' must be an object of setting names and values.")
    extra = sorted(set(raw) - set(setting_defaults()))
    if extra:
        raise LessonError(f"Unknown settings {_short(extra)}; known: "
                          f"{', '.join(setting_defaults())}.")
    settings = {k: _check_setting(k, raw[k]) if k in raw else v
                for k, v in setting_defaults().items()}
    if len(set(settings["text"])) < 2:
        raise LessonError("The lesson's text needs at least two different characters.")
    weights = lesson.get("weights")
    params = None if weights is None else _check_weights(weights, settings)
    return {"settings_dict": settings, "page": _check_page(lesson.get("page", "app.py")),
            "batch": _whole("batch", lesson.get("batch", 1), 1),
            "step": _whole("step", lesson.get("step", 1), 1), "params": params}


def _only_numbers(value, depth: int = 0) -> bool:
    """A JSON number or a (nested, at most 2 deep) list of them; booleans are not numbers."""
    if isinstance(value, list):
        return depth < 2 and all(_only_numbers(v, depth + 1) for v in value)
    return type(value) in (int, float)


def _reject_constant(name: str):
    raise LessonError(f"The file contains {name}; weights must be finite numbers.")


def parse(data: bytes) -> dict:
    """Bytes of an uploaded file -> from_lesson(...) (LessonError for anything unusable)."""
    if len(data) > MAX_BYTES:
        raise LessonError(f"The file has {len(data):,} bytes; a lesson is at most {MAX_BYTES:,}.")
    try:
        lesson = json.loads(data.decode("utf-8-sig"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise LessonError("The file is not UTF-8 text; choose a .json file made by this "
                          "app.") from None
    except json.JSONDecodeError as err:
        raise LessonError(f"The file is not valid JSON (line {err.lineno}, column {err.colno}: "
                          f"{err.msg}).") from None
    except LessonError:         # from _reject_constant: NaN or Infinity in the file
        raise
    except RecursionError:
        raise LessonError("The file nests lists or objects too deeply to be a lesson; choose a "
                          ".json file made by this app.") from None
    except ValueError:          # e.g. an integer of more digits than Python converts
        raise LessonError("The file holds a number too long to read; choose a .json file made "
                          "by this app.") from None
    return from_lesson(lesson)


# ---------------------------------------------------------------- in the app

def current(page_file: str) -> dict:
    """The lesson of what is on screen now: the store's model is saved when the sidebar shows it."""
    s = st.session_state
    model = store.model()
    params = model.params if model is not None and s.get("weights") == "trained" else None
    return to_lesson(settings_from_state(s), page_file, s.get("batch", 1), s.get("step", 1), params)


def _load() -> None:
    """on_change of the uploader: the file's settings and weights -> session state."""
    s = st.session_state
    upload = s.get(UPLOAD_KEY)
    s.pop(store.LESSON_ERROR_KEY, None)
    if upload is None:
        return
    try:
        lesson = parse(upload.getvalue())
    except LessonError as err:
        s[store.LESSON_ERROR_KEY] = str(err)
        return
    settings = lesson["settings_dict"]
    for key, value in settings.items():
        if key not in store.WHATIF_DEFAULTS:
            s[key] = value
    store.apply_whatif({k: settings[k] for k in store.WHATIF_DEFAULTS})
    s[store.HIDE_PICK_KEY] = hide_list(settings["hide"])
    s["batch"], s["step"] = lesson["batch"], lesson["step"]
    if lesson["params"] is not None:
        config = gc.GRUConfig(settings["reset"], settings["update"])
        store.set_model(store.Model(lesson["params"], lesson_vocabulary(settings), config, "lesson",
                                    f"loaded from the lesson file {upload.name}"))
    s[store.LESSON_LOADED_KEY] = upload.name
    s[store.LESSON_GOTO_KEY] = lesson["page"]


def lesson_vocabulary(settings_dict: dict) -> tuple[str, ...] | None:
    """The vocabulary (row order of the weights) of a lesson's text and order; None if that
    text cannot run (the page then says what is wrong with it)."""
    settings = store.Settings.from_state(settings_dict)
    try:
        return gc.Vocab.from_text(settings.text, effective_order(settings)[0]).chars
    except ValueError:
        return None


def hide_list(hide: str) -> list[str]:
    return [n for n in store.HIDEABLE if n in set(str(hide).split(","))]


def _pick_hide() -> None:
    st.session_state["hide"] = ",".join(st.session_state.get(store.HIDE_PICK_KEY, []))


def sidebar_section(page_file: str) -> None:
    """The "Lesson" expander: presentation mode, hidden controls, download and upload."""
    s = st.session_state
    if store.HIDE_PICK_KEY not in s or ",".join(s[store.HIDE_PICK_KEY]) != s.get("hide", ""):
        s[store.HIDE_PICK_KEY] = hide_list(s.get("hide", ""))
    with st.expander("Lesson"):
        st.toggle("Presentation mode", key="present",
                  help="Large fonts and a short narrative at the top of each page "
                       "(URL: present=1).")
        st.multiselect("Hide controls", store.HIDEABLE, key=store.HIDE_PICK_KEY,
                       on_change=_pick_hide,
                       help="Controls to remove from the sidebar, e.g. for a class "
                            "(URL: hide=...). Hiding 'lesson' hides this box: remove hide= from "
                            "the URL to undo.")
        st.download_button("Download lesson (JSON)", lesson_json(current(page_file)),
                           "gru_lesson.json", "application/json", key="lesson_download",
                           width="stretch", on_click="ignore",
                           help="Every setting, this page, batch and step, and trained or "
                                "edited weights.")
        st.file_uploader("Load a lesson", type=["json"], key=UPLOAD_KEY, on_change=_load,
                         help="A .json file made by Download lesson.")
    if s.get(store.LESSON_ERROR_KEY):
        # the message quotes values from the file: shown literally, never as Markdown
        st.error("Lesson not loaded: " + store.md_literal(s[store.LESSON_ERROR_KEY]))


def follow_goto(page_file: str) -> None:
    """After a lesson was loaded: open its page (if it is another one)."""
    goto = st.session_state.pop(store.LESSON_GOTO_KEY, None)
    if goto and goto != page_file:
        try:
            st.switch_page(goto)
        except StreamlitAPIException:       # e.g. a test harness that runs one page alone
            st.info(f"The lesson was made on the page {goto}; open it from the navigation.")


# ---------------------------------------------------------------- presentation mode

# Our own constant CSS: the only HTML this app sends with unsafe_allow_html. Larger text, and the
# page's controls and notes (page links, widget labels, a slider's value, radio options,
# buttons, the narrative's box) as large as its paragraphs; the end-of-page links keep their
# larger size (PATH_CSS; `:where` gives this rule less weight than that one).
PRESENT_CSS = """<style>
html { font-size: 18px; }
[data-testid="stMain"] .stMarkdown p, [data-testid="stMain"] li { font-size: 1.15rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.05rem; }
[data-testid="stMain"] [data-testid="stTab"] p { font-size: 1.15rem; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 1.7rem; }
[data-testid="stMain"] .katex { font-size: 1.35em; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
:where([data-testid="stMain"]) [data-testid="stPageLink-NavLink"] p,
[data-testid="stMain"] [data-testid="stWidgetLabel"] p,
[data-testid="stMain"] [data-testid="stSliderThumbValue"],
[data-testid="stMain"] [data-testid="stRadio"] label p,
[data-testid="stMain"] [data-testid="stAlert"] p,
[data-testid="stMain"] button p { font-size: 1.15rem; }
</style>"""


def presentation(entry: registry.Page) -> None:
    """In presentation mode: our constant CSS and the page's narrative (st.info, plain text)."""
    if not store.presenting():
        return
    st.markdown(PRESENT_CSS, unsafe_allow_html=True)
    st.info(entry.narrative, icon=":material/co_present:")


def loaded_note() -> None:
    if st.session_state.pop(store.LESSON_LOADED_KEY, None):
        st.success("Lesson loaded: settings, page, batch, step and weights restored.")
