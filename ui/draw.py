"""Drawing a page's matrices and charts: every matrix drawn is keyed, offered for download
(`downloads()`), drawn for a projector in presentation mode (plots decides the sizes), and can
be read as a table from a "Show as table" control under its chart (`tables()`).

    draw.matrix(values, "z_t", x=..., y=..., key="z_t")      # one matrix
    draw.matrix_grid(lines)                                  # lines of matrices, one figure
    draw.chart(fig, key)                                     # any other figure
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
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
    tables(p.key, lambda: [panel_table(p, y)])


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
    for line in lines:
        offer([p for p in line.panels if p is not None], line.y_labels)
    fig = plots.heatmap_grid(lines, numbers=_numbers(), width=width, present=presenting(),
                             pick=pick)
    key = f"row_{panels[0][0].key}"
    if pick is None:
        _show(fig, key)
    else:
        _pickable(fig, key, next(p for p, _ in panels if p.key == pick).z.shape[1], on_pick)
    tables(key, lambda: [panel_table(p, line.y_labels, line.y_title) for p, line in panels])


def offer(panels: list[plots.Panel], y) -> None:
    """Panels offered for download (rows `y` unless a panel has its own), drawn or not: how
    `matrix_grid` offers its panels, and a page offers those it leaves undrawn."""
    for p in panels:
        exports.current().register(p.key, p.full_title, p.z, p.x_labels,
                                   y if p.y_labels is None else p.y_labels)


def characters(chars, title: str, *, x, y, key: str, x_title: str, y_title: str,
               mark_col: int | None = None) -> None:
    """A grid of characters (`plots.char_matrix`), e.g. what each batch row reads at each
    step; not offered for download (its cells hold characters, not numbers), but shown as a
    table of the same characters (made visible: ␣ for a space) on request."""
    _show(plots.char_matrix(chars, title=title, x_labels=x, y_labels=y, x_title=x_title,
                            y_title=y_title, key=key, mark_col=mark_col, present=presenting()),
          key)
    tables(key, lambda: [(title, exports.frame(
        [[plots.label(c) for c in row] for row in chars], _distinct(x, y_title or "row"), y,
        row=y_title or "row", column=x_title or "column"))])


def chart(fig, key: str, table: Callable[[], list] | None = None) -> None:
    """A figure the page built itself (line charts, text heatmaps): in presentation mode with
    plots' projector fonts (`plots.projected`). table: what its "Show as table" shows (a
    callable giving [(title, DataFrame)], e.g. `matrix_table`s), called only when open;
    without it a figure of lines offers its series (`series_tables`), other figures no table."""
    _show(plots.projected(fig) if presenting() else fig, key)
    if table is None and fig.data and all(t.type == "scatter" for t in fig.data):
        table = lambda: series_tables(fig)        # noqa: E731  (built only when opened)
    if table is not None:
        tables(key, table)


def _show(fig, key: str) -> None:
    st.plotly_chart(plots.sent(fig), key=key, width="stretch", theme=None,
                    config={"displayModeBar": False}, alt=plots.accessible_name(fig))


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
    tables(key, lambda: [panel_table(panel, y)])


def _pickable(fig, key: str, cols: int, on_pick) -> None:
    """Draw a figure with a `plots._picker` trace (its last one, over a matrix of `cols`
    columns): a click on a cell calls on_pick(row, col)."""
    curve = len(fig.data) - 1

    def picked():
        cell_at = picked_cell(st.session_state.get(key), cols, curve)
        if cell_at is not None and on_pick is not None:
            on_pick(*cell_at)

    st.plotly_chart(plots.sent(fig, pickable=True), key=key, width="stretch", theme=None,
                    on_select=picked, selection_mode="points",
                    config={"displayModeBar": False}, alt=plots.accessible_name(fig))


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

    st.plotly_chart(plots.sent(fig, pickable=True), key=key, width="stretch", theme=None,
                    on_select=picked, selection_mode="points",
                    config={"displayModeBar": False},
                    alt=f"The GRU cell at step {step + 1}: " + plots.accessible_name(fig, names))


def picked_node(event) -> str | None:
    """The node key of a click on the drawn cell (a transparent marker's customdata[0]), or
    None (no point, or not a node's marker)."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    custom = points[0].get("customdata") if points else None
    node = custom[0] if isinstance(custom, (list, tuple)) and custom else None
    return node if node in store.CELL_NODES else None


# ---------------------------------------------------------------- matrices as tables

TABLE_LABEL = "Show as table"


def tables(key: str, make: Callable[[], list[tuple[str, pd.DataFrame]]]) -> None:
    """Under the chart keyed `key`: a folded "Show as table" (keyed "table_<key>") that, open,
    shows `make()`'s [(title, DataFrame)] as st.dataframe, each under its title, side by side
    as far as they fit (a grid's panels in the equation's order); a DataFrame whose
    attrs["format"] is set (`matrix_table`) shows its numbers so ("%.4f", as in the cells;
    whole-number columns as whole numbers). It tracks its state
    (on_change="rerun"), so `make` runs, and its tables are sent, only while it is open; closed,
    it is one small element. Opening it reruns the page, or the stepper's fragment it is in."""
    with st.expander(TABLE_LABEL, key=f"table_{key}", on_change="rerun", type="compact",
                     icon=":material/table_view:") as box:
        if box.open:
            with st.container(horizontal=True, gap="medium"):     # side by side, wrapping
                for title, df in make():
                    with st.container(width="content"):
                        _dataframe(title, df)


def _dataframe(title: str, df: pd.DataFrame) -> None:
    st.caption(store.md_literal(title))
    config = {}
    for column in df.columns if df.attrs.get("format") else ():
        values = df[column]
        if pd.api.types.is_numeric_dtype(values):
            v = values.to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            whole = bool(np.all(v == np.round(v)))
            config[column] = st.column_config.NumberColumn(
                format="%d" if whole else df.attrs["format"])
    st.dataframe(df, column_config=config, width="content", alt=title)


def matrix_table(title: str, values, x, y, *, x_title: str = "",
                 y_title: str = "") -> tuple[str, pd.DataFrame]:
    """(title, DataFrame) of a matrix drawn with columns x and rows y (a vector: one column),
    its axes named by x_title and y_title ("column", "row" when empty); for `tables`. The
    values are the cells' numbers, rounded to four decimals (a screen reader reads the table's
    values, not their display: 0.1790 is read "0.179", never 0.17904957516872247)."""
    z = np.asarray(values, dtype=float)
    z = z.reshape(-1, 1) if z.ndim < 2 else z.reshape(-1, z.shape[-1])
    row, column = y_title or "row", x_title or "column"
    x = list(x) if x is not None and len(x) == z.shape[1] else range(1, z.shape[1] + 1)
    y = list(y) if y is not None and len(y) == z.shape[0] else range(1, z.shape[0] + 1)
    df = exports.frame(np.round(z, 4) + 0.0, _distinct(x, row), y, row=row, column=column)
    df.attrs["format"] = "%.4f"                     # + 0.0: -0.0 is shown as 0
    return title, df


def panel_table(p: plots.Panel, y=None, y_title: str = "") -> tuple[str, pd.DataFrame]:
    """A Panel's matrix as `matrix_table`: its full title, its own rows (y_labels) or the
    shared ones `y` of its line, the labels the chart has."""
    shared = p.y_labels is None
    return matrix_table(p.full_title, p.z, p.x_labels, y if shared else p.y_labels,
                        x_title=p.x_title, y_title=p.y_title or (y_title if shared else ""))


def series_tables(fig) -> list[tuple[str, pd.DataFrame]]:
    """A line chart's series as tables: the series drawn over the same x values in one table
    (a column each, x as its rows), named by the chart's title and axis titles; values to six
    significant digits, as the chart's hover shows them (a vanishing gradient's 1e-9 stays)."""
    groups: dict[tuple, dict[str, np.ndarray]] = {}
    for i, trace in enumerate(fig.data):
        ys = np.asarray(trace.y, dtype=float)
        xs = tuple(trace.x) if trace.x is not None else tuple(range(len(ys)))
        groups.setdefault(xs, {})[trace.name or f"series {i + 1}"] = np.array(
            [float(f"{v:.6g}") for v in ys])
    layout = fig.layout
    title = plots.plain(layout.title.text) or "The chart's series"
    x_name = plots.plain(layout.xaxis.title.text) or "x"
    out = []
    for xs, series in groups.items():
        df = pd.DataFrame(dict(zip(_distinct(series, x_name), series.values())),
                          index=pd.Index(xs, name=x_name))
        out.append((title if len(groups) == 1 else f"{title}: {', '.join(series)}", df))
    return out


def _distinct(labels, taken: str = "") -> list[str]:
    """Column labels as distinct strings, none equal to the row axis' name `taken` (a table's
    columns must differ: "␣" and a space shown as "␣" become "␣" and "␣ (2)")."""
    seen, out = {taken}, []
    for label in map(str, labels):
        name, k = label, 1
        while name in seen:
            k += 1
            name = f"{label} ({k})"
        seen.add(name)
        out.append(name)
    return out
