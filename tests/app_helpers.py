"""Helpers for AppTest: run a page, find its charts, decode Plotly 7's typed arrays."""
from __future__ import annotations

import base64
import html
import json
import re

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

import grid_geometry

TIMEOUT = 60
ROOT = Path(__file__).resolve().parent.parent
# Backprop's second tab (sections 5-7: norms, clipping, the gradient check), drawn only while
# open (pages/6_Backprop_through_time.py, PARTS): state that opens it.
BACKPROP_5_7 = {"bptt_part": "5–7 · Vanishing, clipping, gradient check"}


def run_page(path: str, state: dict | None = None, query: dict | None = None) -> AppTest:
    """Run app.py or pages/<path> with session-state and/or URL values set first."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    for k, v in (state or {}).items():
        at.session_state[k] = v
    return at.run()


INKED = re.compile(r'<span style="color:#[0-9a-f]{6}">(.*)</span>', re.S)


def cell_texts(value):
    """A heatmap's cell text as the cells read: each cell's text comes wrapped in the span that
    colours it (ui/plots.CELL_INK, black or white against the cell's fill); this unwraps it.
    Nested lists in, nested lists out."""
    if isinstance(value, (list, tuple)):
        return [cell_texts(v) for v in value]
    m = INKED.fullmatch(value) if isinstance(value, str) else None
    return m.group(1) if m else value


def decode(value):
    """A Plotly 7 array ({"dtype": "f8", "bdata": ..., "shape": "r, c"}) or a plain list -> ndarray."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            arr = arr.reshape([int(s) for s in str(value["shape"]).split(",")])
        return arr
    return np.asarray(value)


def charts(at: AppTest) -> dict[str, dict]:
    """Plotly charts by their user key -> the figure spec (dict). A figure of several matrices
    (`plots.heatmap_grid`, keyed "row_...") also gives each matrix under its panel
    key (the name of its trace and of its title annotation), as a figure spec holding that one
    trace, with the panel's title as shown as the layout's title and only the panel's own
    shapes (its outlined cells)."""
    found = {}
    for el in at.get("plotly_chart"):
        key, spec = user_key(el), json.loads(el.proto.spec)
        found[key] = spec
        if key.startswith("row_"):
            titles = {a["name"]: html.unescape(a["text"])
                      for a in spec["layout"]["annotations"] if "name" in a}
            for trace in spec["data"]:
                if trace.get("name") not in titles or trace.get("type") != "heatmap":
                    continue                             # the labels, a panel's markers
                # as the panel would be drawn alone: its labels as x and y, its own shapes
                # (outlined cells, named by it; not the frames of all panels) in its cells'
                # coordinates (row and column indices)
                view = grid_geometry.panel(spec, trace["name"])
                own = []
                for s in spec["layout"].get("shapes", []):
                    if s.get("name") == trace["name"]:
                        y0, y1, x0, x1 = view.cells(s)
                        own.append(dict(s, x0=x0, x1=x1, y0=y0, y1=y1))
                alone = dict(trace, x=view.x, y=view.y) if view.shared else trace
                layout = dict(spec["layout"], title={"text": titles[trace["name"]]}, shapes=own)
                found[trace["name"]] = {"data": [alone], "layout": layout}
    return found


def user_key(el) -> str:
    """Keyed elements have ids "$$ID-<hash>-<user key>"."""
    return el.proto.id.split("-", 2)[-1]


def heatmap_z(spec: dict) -> np.ndarray:
    """The z matrix of the first heatmap trace of a figure spec."""
    return decode(spec["data"][0]["z"])


def no_exception(at: AppTest) -> bool:
    return len(at.exception) == 0
