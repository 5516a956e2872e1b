"""Where a figure of several matrices (`ui.plots.heatmap_grid`) puts each one, read back from
the figure alone, the way the browser draws it.

Such a figure draws every panel on one pair of axes: a panel's heatmap is placed by x0/dx and
y0/dy (dy < 0: rows from the top) in "area units" (0 to 1 across and up the area the panels
are laid out in; the axes reach further left and up, for the labels), its column and row
labels are points of one text trace named "labels", and each cell's customdata is its
[row label, column label] (for its hover text). A matrix drawn alone (or an older figure)
has its own axes: its box is its axes' domain, its labels its ticks. Both read the same here.

Figures are go.Figure objects or their JSON specs (dicts, arrays possibly base64-encoded).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np


def _spec(fig) -> dict:
    return fig if isinstance(fig, dict) else fig.to_dict()


def _array(value) -> np.ndarray:
    if isinstance(value, dict) and "bdata" in value:            # plotly's typed-array JSON
        a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        return a.reshape([int(s) for s in str(shape).split(",")]) if shape else a
    return np.asarray(value, dtype=object if _has_text(value) else float)


def _has_text(value) -> bool:
    flat = np.asarray(value, dtype=object).ravel()
    return any(isinstance(v, str) for v in flat)


def is_shared(trace: dict) -> bool:
    """Whether a heatmap is placed in its box on a figure's one pair of axes."""
    return trace.get("x") is None and trace.get("x0") is not None


@dataclass
class PanelView:
    """One matrix of a figure: its trace, values, full row and column labels, box (area
    units: left, right, low, top) and cell size in those units."""
    trace: dict
    z: np.ndarray
    x: list
    y: list
    box: tuple
    shared: bool

    @property
    def cell_w(self) -> float:
        return (self.box[1] - self.box[0]) / self.z.shape[1]

    @property
    def cell_h(self) -> float:
        return (self.box[3] - self.box[2]) / self.z.shape[0]

    def cells(self, shape: dict) -> tuple[float, float, float, float]:
        """A shape's rectangle in the panel's cell coordinates (rows and columns from 0, a
        cell's centre at its index): (row0, row1, col0, col1), row0 < row1, col0 < col1."""
        if not self.shared:
            ys, xs = sorted([shape["y0"], shape["y1"]]), sorted([shape["x0"], shape["x1"]])
            return ys[0], ys[1], xs[0], xs[1]
        left, _, _, top = self.box
        rows = sorted(round((top - shape[k]) / self.cell_h - 0.5, 6) for k in ("y0", "y1"))
        cols = sorted(round((shape[k] - left) / self.cell_w - 0.5, 6) for k in ("x0", "x1"))
        return rows[0], rows[1], cols[0], cols[1]


def traces(fig, kind: str = "heatmap") -> list[dict]:
    return [t for t in _spec(fig)["data"] if t.get("type") == kind]


def panel(fig, name: str) -> PanelView:
    """The matrix drawn under the trace name `name`."""
    spec = _spec(fig)
    t = next(t for t in spec["data"] if t.get("type") == "heatmap" and t.get("name") == name)
    z = np.atleast_2d(_array(t["z"]).astype(float))
    rows, cols = z.shape
    if is_shared(t):
        custom = t.get("customdata")       # [row label, column label] per cell, if given
        y = [str(row[0][0]) for row in custom] if custom is not None else []
        x = [str(pair[1]) for pair in custom[0]] if custom is not None else []
        left, top = t["x0"] - t["dx"] / 2, t["y0"] - t["dy"] / 2
        box = (left, left + cols * t["dx"], top + rows * t["dy"], top)
        return PanelView(t, z, x, y, box, True)
    layout = spec["layout"]
    xa = layout.get("xaxis" + (t.get("xaxis") or "x")[1:], {})
    ya = layout.get("yaxis" + (t.get("yaxis") or "y")[1:], {})
    (left, right), (low, top) = xa.get("domain", (0, 1)), ya.get("domain", (0, 1))
    x = list(t["x"]) if t.get("x") is not None else []
    y = list(t["y"]) if t.get("y") is not None else []
    return PanelView(t, z, x, y, (left, right, low, top), False)


def _label_points(fig):
    spec = _spec(fig)
    t = next((t for t in spec["data"] if t.get("name") == "labels"), None)
    if t is None:
        return []
    n = len(t["text"])
    where = t.get("textposition")
    where = [where] * n if isinstance(where, str) else list(where)
    size = t.get("textfont", {}).get("size")
    size = [size] * n if not isinstance(size, (list, tuple, np.ndarray)) else list(size)
    return list(zip(_array(t["x"]).astype(float), _array(t["y"]).astype(float),
                    list(t["text"]), where, size))


def shown_columns(fig, name: str) -> list[tuple[int, str, float]]:
    """The column labels drawn above the panel: (column index, text, font size)."""
    p = panel(fig, name)
    if not p.shared:
        axis = _spec(fig)["layout"].get("xaxis" + (p.trace.get("xaxis") or "x")[1:], {})
        shown = list(axis["tickvals"]) if axis.get("tickvals") is not None else list(p.x)
        size = (axis.get("tickfont") or {}).get("size")
        return [(p.x.index(v) if v in p.x else int(v), str(v), size) for v in shown]
    left, right, _, top = p.box
    return [(round((x - left) / p.cell_w - 0.5), text, size)
            for x, y, text, where, size in _label_points(fig)
            if where == "top center" and left < x < right and top < y < top + 0.2]


def shown_rows(fig, name: str) -> list[tuple[int, str, float]]:
    """The row labels drawn left of the panel: (row index, text, font size)."""
    p = panel(fig, name)
    if not p.shared:
        axis = _spec(fig)["layout"].get("yaxis" + (p.trace.get("yaxis") or "y")[1:], {})
        if axis.get("showticklabels") is False:
            return []
        shown = list(axis["tickvals"]) if axis.get("tickvals") is not None else list(p.y)
        size = (axis.get("tickfont") or {}).get("size")
        return [(p.y.index(v), str(v), size) for v in shown]
    left, _, low, top = p.box
    return [(round((top - y) / p.cell_h - 0.5), text, size)
            for x, y, text, where, size in _label_points(fig)
            if where == "middle left" and left - 0.1 < x < left and low < y < top]


def area(fig) -> tuple[float, float]:
    """How far the axes of a figure of several panels reach left and up beyond the panels'
    area (area units); (0, 0) for a figure whose panels have their own axes."""
    layout = _spec(fig)["layout"]
    xa, ya = layout.get("xaxis", {}), layout.get("yaxis", {})
    if xa.get("visible") is False and xa.get("range") and ya.get("range"):
        return -xa["range"][0], ya["range"][1] - 1
    return 0.0, 0.0


def area_x(fig, paper: float) -> float:
    """A paper x (annotations, frames) in area units."""
    left, _ = area(fig)
    return paper * (1 + left) - left


def area_y(fig, paper: float) -> float:
    _, top = area(fig)
    return paper * (1 + top)


def area_px(fig, figure_px: float) -> float:
    """The width in px of the panels' area (1 area unit across) in a figure figure_px wide."""
    layout = _spec(fig)["layout"]
    left, _ = area(fig)
    return (figure_px - layout["margin"]["l"] - layout["margin"]["r"]) / (1 + left)


def area_height_px(fig) -> float:
    """The height in px of the panels' area (1 area unit up)."""
    layout = _spec(fig)["layout"]
    _, top = area(fig)
    return (layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]) / (1 + top)
