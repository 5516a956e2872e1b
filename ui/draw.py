"""Drawing a page's matrices and charts: every matrix drawn is keyed, offered for download
(`downloads()`), and drawn for a projector in presentation mode (plots decides the sizes).

    draw.matrix(values, "z_t", x=..., y=..., key="z_t")      # one matrix
    draw.matrix_grid(lines)                                  # lines of matrices, one figure
    draw.chart(fig, key)                                     # any other figure
"""
from __future__ import annotations

import dataclasses

import streamlit as st

from . import exports, plots, store


def _numbers() -> bool:
    """The sidebar's "Numbers in cells" toggle (plots still decides whether they fit)."""
    return bool(st.session_state.get("numbers", True))


def presenting() -> bool:
    """Presentation mode: figures are built with plots' projector sizes (`present=`)."""
    return store.presenting()


def matrix(values, title: str, *, x, y, kind: str = "signed", key: str, x_title: str = "",
           y_title: str = "", height: int | None = None, width: float = 1.0, **kwargs) -> None:
    """Draw one matrix with the project's heatmap; every chart is keyed, and every matrix drawn
    is offered for download by `downloads()` (labelled CSV and NPZ). The title gets the array's
    shape after it (then `note=`, if any; shape=False leaves it out); numbers are printed in
    the cells when the "Numbers in cells" toggle is on and they fit in `width` (the share of
    the page the chart is drawn in). kwargs: Panel's (note, shape, highlight_rows, ...)."""
    panel = plots.Panel(values, title, x_labels=x, key=key, kind=kind, x_title=x_title,
                        y_title=y_title, **kwargs)
    _single(panel, y, width=width, height=height)


def _single(p: plots.Panel, y, *, width: float = 1.0, height: int | None = None) -> None:
    exports.current().register(p.key, p.full_title, p.z, p.x_labels, y)
    _show(plots.matrix_figure(p, y, numbers=_numbers(), width=width, height=height,
                              present=presenting()), p.key)


def matrix_row(panels: list[plots.Panel], *, y=None, y_title: str = "", ops=(),
               width: float = 1.0) -> None:
    """Matrices side by side, sharing the rows `y` or each with its own (Panel.y_labels), as
    many to a line as `plots.per_line` finds fit, all lines in one figure (`matrix_grid`); ops:
    the symbols between the panels. A single matrix is drawn by `matrix`, under its own key."""
    if len(panels) == 1:
        p = panels[0]
        if not p.y_title and y_title:
            p = dataclasses.replace(p, y_title=y_title)
        _single(p, y if p.y_labels is None else p.y_labels, width=width)
        return
    matrix_grid(plots.lines_of(panels, y, y_title, ops=ops, width=width, present=presenting()),
                width=width)


def matrix_grid(lines: list[plots.Line], *, width: float = 1.0, pick: str | None = None,
                on_pick=None) -> None:
    """Lines of matrices in one figure (`plots.heatmap_grid`), keyed "row_<first panel's key>";
    every panel is registered for download under its own key, as `matrix` does. pick: the key
    of the panel whose cells can be clicked; a click calls on_pick(row, col)."""
    panels = [(p, line) for line in lines for p in line.panels if p is not None]
    for p, line in panels:
        exports.current().register(p.key, p.full_title, p.z, p.x_labels,
                         line.y_labels if p.y_labels is None else p.y_labels)
    fig = plots.heatmap_grid(lines, numbers=_numbers(), width=width, present=presenting(),
                             pick=pick)
    key = f"row_{panels[0][0].key}"
    if pick is None:
        _show(fig, key)
        return
    _pickable(fig, key, next(p for p, _ in panels if p.key == pick).z.shape[1], on_pick)


def characters(chars, title: str, *, x, y, key: str, x_title: str, y_title: str,
               mark_col: int | None = None) -> None:
    """A grid of characters (`plots.char_matrix`), e.g. what each batch row reads at each
    step; not offered for download (its cells hold characters, not numbers)."""
    _show(plots.char_matrix(chars, title=title, x_labels=x, y_labels=y, x_title=x_title,
                            y_title=y_title, key=key, mark_col=mark_col, present=presenting()),
          key)


def chart(fig, key: str) -> None:
    """A figure the page built itself (line charts, text heatmaps): in presentation mode with
    plots' projector fonts (`plots.projected`)."""
    _show(plots.projected(fig) if presenting() else fig, key)


def _show(fig, key: str) -> None:
    st.plotly_chart(fig, key=key, width="stretch", config={"displayModeBar": False},
                    alt=plots.accessible_name(fig))


@dataclasses.dataclass(frozen=True)
class CellKeys:
    """The keyboard's way to pick a cell of a page's result matrices (a click on a chart is
    the mouse's only): the page's quantities {"z": "z_t", ...} (the picked one first or not),
    the rows' and the columns' labels, and what a column is ("unit", "character")."""

    quantities: dict[str, str]
    picked: str
    rows: list[str]
    cols: list[str]
    col_title: str = "unit"


def cell_equation(ex, symbol: str, outlined: str, keys: CellKeys | None = None) -> None:
    """Under a result matrix: the picked cell's scalar equation with its real numbers (an
    explanation from gru_core.explain_cell) and what the outlines around it show; with `keys`,
    selectboxes that pick another cell (matrix, row, column) by keyboard."""
    st.markdown(f"**Where {symbol}[{ex.b + 1}, {ex.j + 1}] = {ex.result:.4f} comes from** "
                f"(outlined in magenta; {outlined}). Click another cell of the result"
                + (", or choose it here," if keys else "") + " to follow a different number.")
    if keys is not None:
        _cell_keys(keys, ex.b, ex.j)
    st.latex(ex.latex)


def _cell_keys(keys: CellKeys, b: int, j: int) -> None:
    """Selectboxes for the picked cell (pick_q, pick_b, pick_j), set to the cell picked now (a
    click on the chart included); a choice becomes the picked cell (cell_q, cell_b, cell_j)."""
    s = st.session_state
    s["pick_q"], s["pick_b"], s["pick_j"] = keys.picked, b, j

    def chosen() -> None:
        s["cell_q"], s["cell_b"], s["cell_j"] = s["pick_q"], s["pick_b"], s["pick_j"]

    cols = st.columns([2, 3, 3, 2] if len(keys.quantities) > 1 else [3, 3, 4])
    if len(keys.quantities) > 1:
        cols[0].selectbox("Matrix", list(keys.quantities), key="pick_q",
                          format_func=keys.quantities.get, on_change=chosen)
    cols[-3].selectbox("Row", range(len(keys.rows)), key="pick_b",
                       format_func=lambda r: keys.rows[r], on_change=chosen)
    cols[-2].selectbox(keys.col_title.capitalize(), range(len(keys.cols)), key="pick_j",
                       format_func=lambda c: keys.cols[c], on_change=chosen)


def look_at(text: str) -> None:
    """The short 'what to look at' note of a page or section."""
    st.caption("**What to look at:** " + text)


def downloads() -> None:
    """Download buttons for every matrix drawn so far in this run (CSV zip and NPZ).

    The files are packed only when a button is clicked (callables), and a click does not rerun
    the page (on_click="ignore"): a rerun would replace the file the browser is fetching."""
    items = exports.current().copy()
    if not items:
        return
    with st.expander(f"Download the {len(items)} matrices on this page"):
        c1, c2 = st.columns(2)
        c1.download_button("CSV files (zip)", items.csv_zip, "gru_matrices_csv.zip",
                           "application/zip", key="download_csv", width="stretch",
                           on_click="ignore")
        c2.download_button("NumPy arrays (npz)", items.npz, "gru_matrices.npz",
                           "application/octet-stream", key="download_npz", width="stretch",
                           on_click="ignore")


def matrix_pick(values, title: str, *, x, y, kind: str = "signed", key: str, cell=None,
                on_pick=None, x_title: str = "", y_title: str = "", height: int | None = None,
                width: float = 1.0, **kwargs) -> None:
    """`matrix` whose cells can be clicked: a click selects the cell and calls on_pick(row, col)
    (an on_select callback; plotly heatmaps cannot be selected themselves, so the figure carries
    an invisible marker per cell). `cell` = (row, col) is outlined."""
    panel = plots.Panel(values, title, x_labels=x, key=key, kind=kind, x_title=x_title,
                        y_title=y_title, **kwargs)
    exports.current().register(key, panel.full_title, panel.z, x, y)
    fig = plots.matrix_figure(panel, y, numbers=_numbers(), width=width, height=height,
                              pick=cell if cell is not None else True, present=presenting())
    _pickable(fig, key, panel.z.shape[1], on_pick)


def _pickable(fig, key: str, cols: int, on_pick) -> None:
    """Draw a figure with a `plots._picker` trace (its last one, over a matrix of `cols`
    columns): a click on a cell calls on_pick(row, col)."""
    curve = len(fig.data) - 1

    def picked():
        cell_at = picked_cell(st.session_state.get(key), cols, curve)
        if cell_at is not None and on_pick is not None:
            on_pick(*cell_at)

    st.plotly_chart(fig, key=key, width="stretch", on_select=picked,
                    selection_mode="points", config={"displayModeBar": False},
                    alt=plots.accessible_name(fig))


def picked_cell(event, cols: int, curve: int = 1) -> tuple[int, int] | None:
    """(row, col) of the clicked cell in a pickable heatmap's selection event (a point of the
    marker trace number `curve`), or None."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    index = points[0].get("point_index") if points else None
    if index is None or points[0].get("curve_number", curve) != curve:
        return None
    return int(index) // cols, int(index) % cols


def cell_diagram(fig, *, key: str, on_pick, names: dict[str, str], step: int) -> None:
    """The drawn GRU cell (`plots.cell_figure`): clicking a node's cells calls on_pick(node)
    (an on_select callback reading the clicked marker's customdata [node, ...]); its matrices
    are offered for download like every page's. names: the nodes' names (`plots.cell_names`)
    and step (from 0), for the figure's accessible name."""
    def picked():
        node = picked_node(st.session_state.get(key))
        if node is not None:
            on_pick(node)

    st.plotly_chart(fig, key=key, width="stretch", on_select=picked,
                    selection_mode="points", config={"displayModeBar": False},
                    alt=f"The GRU cell at step {step + 1}: " + plots.accessible_name(fig, names))


def picked_node(event) -> str | None:
    """The node key of a click on the drawn cell (a transparent marker's customdata[0]), or
    None (no point, or not a node's marker)."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    custom = points[0].get("customdata") if points else None
    node = custom[0] if isinstance(custom, (list, tuple)) and custom else None
    return node if node in store.CELL_NODES else None
