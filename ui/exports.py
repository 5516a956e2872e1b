"""Every matrix a page draws, offered for download: labelled CSV (pandas) and NPZ.

Each page run collects what it draws in its own `Exports` object (`begin()` at the start of
the run; `draw.matrix` and friends register into `current()`); a fragment rerun (the time
stepper) starts from a copy of what the page drew outside it. Nothing of it is kept in the
session: the download buttons hold the object until their files are made.
"""
from __future__ import annotations

import io
import re
import threading
import zipfile

import numpy as np
import pandas as pd


class Exports:
    """The matrices drawn in one page run, by key: (title, values, column labels, row labels)."""

    def __init__(self, items: dict | None = None):
        self.items = dict(items or {})

    def register(self, key: str, title: str, values, x, y) -> None:
        self.items[key] = (title, np.atleast_2d(np.asarray(values)), list(x), list(y))

    def copy(self) -> "Exports":
        return Exports(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def csv_zip(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for key, (title, values, x, y) in self.items.items():
                zf.writestr(f"{_safe(key)}.csv", f"# {title}\n" + frame(values, x, y).to_csv())
        return buf.getvalue()

    def npz(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, **{_safe(key): values for key, (_, values, _, _) in self.items.items()})
        return buf.getvalue()


_run = threading.local()          # each script run (and fragment rerun) has its own thread


def begin(start: Exports | None = None) -> Exports:
    """A new collection for this script run (a copy of `start`: what a fragment's page drew)."""
    _run.exports = start.copy() if start is not None else Exports()
    return _run.exports


def current() -> Exports:
    """This run's collection (a new one if the run has not begun one)."""
    if getattr(_run, "exports", None) is None:
        begin()
    return _run.exports


def frame(values, x, y, *, row: str = "row", column: str = "column") -> pd.DataFrame:
    """A matrix as a DataFrame with its axis labels as column and row names (the axes named
    `row` and `column`)."""
    return pd.DataFrame(values, index=pd.Index(y, name=row), columns=pd.Index(x, name=column))


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "matrix"
