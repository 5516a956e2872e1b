"""Every matrix a page draws, offered for download: labelled CSV (pandas) and NPZ.

`draw.matrix` registers what it draws; `draw.downloads` packs the registered matrices.
The registry lives in session state and is cleared at the start of every page run.
"""
from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pandas as pd
import streamlit as st

from .store import EXPORTS_KEY as KEY


def clear() -> None:
    st.session_state[KEY] = {}


def register(key: str, title: str, values, x, y) -> None:
    st.session_state.setdefault(KEY, {})[key] = (title, np.atleast_2d(np.asarray(values)), list(x), list(y))


def registered() -> dict:
    return dict(st.session_state.get(KEY, {}))


def reset_to(items: dict) -> None:
    """Start again from `items` (what a fragment's page drew before the fragment): a fragment
    that reruns alone then offers what is on screen, not what its last run drew."""
    st.session_state[KEY] = dict(items)


def frame(values, x, y) -> pd.DataFrame:
    """A matrix as a DataFrame with its axis labels as column and row names."""
    return pd.DataFrame(values, index=pd.Index(y, name="row"), columns=pd.Index(x, name="column"))


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "matrix"


def csv_zip(items: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, (title, values, x, y) in items.items():
            zf.writestr(f"{_safe(key)}.csv", f"# {title}\n" + frame(values, x, y).to_csv())
    return buf.getvalue()


def npz(items: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **{_safe(key): values for key, (_, values, _, _) in items.items()})
    return buf.getvalue()
