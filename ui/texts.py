"""The text to learn from, shared by the Training and Gate explorer pages.

Three sources: the sidebar text, Shakespeare's sonnets bundled in data/sonnets.txt (public
domain), or an uploaded .txt file (UTF-8, at most UPLOAD_LIMIT bytes). `choose()` draws the
choice and returns a LearnText, or None after showing what went wrong (st.error), never raising.
The decoded upload is kept in session state, so the other learning page can use it too.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from gru_core import Vocab

from . import store
from .compute import effective_order
from .store import LEARN_SOURCE_KEY as SOURCE_KEY
from .store import LEARN_STORED_KEY as STORED_KEY
from .store import LEARN_UPLOAD_KEY as UPLOAD_KEY
from .store import Settings, md_literal

SONNETS_PATH = Path(__file__).resolve().parent.parent / "data" / "sonnets.txt"
UPLOAD_LIMIT = 200 * 1024                 # bytes: "200 KB"
MAX_VOCAB = 200                           # different characters a learning page accepts
SOURCES = ("sidebar", "sonnets", "upload")
SOURCE_LABELS = {"sidebar": "sidebar text", "sonnets": "Shakespeare's sonnets (bundled)",
                 "upload": "uploaded .txt file"}


@dataclass(frozen=True)
class LearnText:
    text: str
    source: str                           # one of SOURCES
    name: str                             # what to call it on screen (page text, never user markup)
    order: str | None                     # for Vocab.from_text: the sidebar's order, else sorted

    def vocab(self) -> Vocab:
        return Vocab.from_text(self.text, self.order)


def sonnets() -> str:
    return SONNETS_PATH.read_text(encoding="utf-8")


def decode_upload(data: bytes, name: str = "the file") -> tuple[str | None, str | None]:
    """Bytes of an uploaded file -> (text, None) or (None, message saying what would work).

    Accepts UTF-8 (with or without a byte-order mark) and UTF-16 with its byte-order mark (what
    Windows Notepad calls "Unicode"); Windows / old-Mac line ends become "\\n". Rejects files
    over UPLOAD_LIMIT, binary files (NUL bytes), other encodings, empty text and text with fewer
    than two different characters.
    """
    size = len(data)
    if size > UPLOAD_LIMIT:
        return None, (f"{name} has {size / 1024:,.0f} KB; the limit is {UPLOAD_LIMIT // 1024} KB. "
                      "Upload a shorter excerpt.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):               # UTF-16 (its NUL bytes are text)
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeError:
            return None, (f"{name} starts like UTF-16 text but cannot be decoded as UTF-16. "
                          "Save it as UTF-8 and upload it again.")
    if b"\x00" in data:
        return None, (f"{name} looks like a binary file (it contains NUL bytes), not plain text. "
                      "Upload a .txt file saved as UTF-8 text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return None, (f"{name} is not UTF-8 text (byte {err.start:,} cannot be decoded). "
                      "Save it as UTF-8 (e.g. 'Save as… → Encoding: UTF-8') and upload it again.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, f"{name} is empty (or only spaces and line breaks). Upload a file with some text."
    if len(set(text)) < 2:
        return None, f"{name} uses a single character; a GRU needs at least two different ones."
    return text, None


def _upload() -> tuple[str, str] | None:
    """The uploader; returns (file name, text) of the current or last good upload, or None."""
    file = st.file_uploader(f"Upload a .txt file (UTF-8, at most {UPLOAD_LIMIT // 1024} KB)",
                            type=["txt"], key=UPLOAD_KEY,
                            help="Plain text saved as UTF-8. The file stays in this browser session "
                                 "only; both learning pages use it.")
    if file is not None:
        text, error = decode_upload(file.getvalue(), "The file")
        if error:
            st.error(error)
            return None
        st.session_state[STORED_KEY] = (file.name, text)
    return st.session_state.get(STORED_KEY)


def choose(settings: Settings, *, label: str = "Text to learn from") -> LearnText | None:
    """Draw the text choice; return the chosen text, or None with a message already shown."""
    source = st.radio(label, SOURCES, key=SOURCE_KEY, horizontal=True, format_func=SOURCE_LABELS.get,
                      help="The sidebar text (at most 5,000 characters), the bundled sonnets, or "
                           "your own .txt file. Both learning pages use the same choice.")
    if source == "sidebar":
        order, _ = effective_order(settings)
        result = LearnText(settings.text, "sidebar", "the sidebar text", order)
    elif source == "sonnets":
        result = LearnText(sonnets(), "sonnets", "Shakespeare's sonnets", None)
    else:
        stored = _upload()
        if stored is None:
            st.info("Choose a .txt file above, or pick another text.")
            return None
        result = LearnText(stored[1], "upload", "the uploaded file", None)
    text = result.text
    if not text.strip() or len(set(text)) < 2:
        st.error("This text needs at least two different characters. Type more in the sidebar "
                 "or pick the sonnets.")
        return None
    distinct = len(set(text))
    if distinct > MAX_VOCAB:
        st.error(f"This text uses {distinct:,} different characters; the learning pages handle at "
                 f"most {MAX_VOCAB} (one row of W per character). Use a text with fewer symbols.")
        return None
    try:
        result.vocab()
    except ValueError as err:                      # e.g. a custom order the sidebar cannot use
        st.error(f"The vocabulary cannot be built: {err}.")
        return None
    return result


def describe(text: LearnText, verb: str = "Learning from") -> str:
    """A short caption: which text, how long, how many different characters (page text only)."""
    if text.source == "upload":
        name = st.session_state.get(STORED_KEY, ("file", ""))[0]
        what = f"the uploaded file {md_literal(name)}"
    else:
        what = text.name
    return (f"{verb} {what}: {len(text.text):,} characters, "
            f"{len(set(text.text))} different ones.")
