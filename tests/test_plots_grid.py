"""ui.plots.heatmap_grid: several matrices in one figure, each drawn as heatmap() draws one."""
from __future__ import annotations

import numpy as np
import pytest

from grid_geometry import panel, traces
from ui import plots


def _grid(rng, n_lines: int, own_rows: bool):
    lines, values = [], {}
    for i in range(n_lines):
        rows, panels = int(rng.integers(1, 40)), []
        for k in range(int(rng.integers(1, 6))):
            z = rng.standard_normal((int(rng.integers(1, rows + 1)) if own_rows else rows,
                                     int(rng.integers(1, 12))))
            key = f"m{i}_{k}"
            values[key] = z
            panels.append(plots.Panel(z, key, x_labels=[f"c{j}" for j in range(z.shape[1])],
                                      kind=str(rng.choice(["signed", "gate", "tanh"])), key=key,
                                      y_labels=[f"r{j}" for j in range(z.shape[0])] if own_rows
                                      else None))
        lines.append(plots.Line(panels,
                                y_labels=None if own_rows else [f"r{j}" for j in range(rows)]))
    return lines, values


@pytest.mark.parametrize("seed", range(12))
def test_every_panel_keeps_its_values_and_one_cell_height(seed):
    rng = np.random.default_rng(seed)
    lines, values = _grid(rng, int(rng.integers(1, 5)), own_rows=bool(seed % 2))
    fig = plots.heatmap_grid(lines, numbers=bool(seed % 3))        # plotly validates the domains
    layout = fig.layout.to_plotly_json()
    heights = []
    assert {t["name"] for t in traces(fig)} == set(values)
    for trace in traces(fig):
        np.testing.assert_array_equal(panel(fig, trace["name"]).z, values[trace["name"]])
        _, _, low, high = panel(fig, trace["name"]).box
        assert -1e-9 <= low < high <= 1 + 1e-9
        heights.append((high - low) / values[trace["name"]].shape[0])
    np.testing.assert_allclose(heights, heights[0], rtol=1e-9)     # one cell height everywhere
    titles = {a["name"]: a["text"] for a in layout["annotations"] if "name" in a}
    assert set(titles) == set(values)


def test_signed_panels_share_one_range_unless_told_not_to():
    a, b, c = np.array([[1.0, -2.0]]), np.array([[0.5, 4.0]]), np.array([[30.0, 10.0]])
    fig = plots.heatmap_grid([plots.Line([plots.Panel(a, "a", x_labels="xy", key="a"),
                                          plots.Panel(b, "b", x_labels="xy", key="b"),
                                          plots.Panel(c, "c", x_labels="xy", key="c",
                                                      shared_scale=False)], y_labels=["r"])])
    by = {t.name: (t.zmin, t.zmax) for t in fig.data if t.type == "heatmap"}
    assert by["a"] == by["b"] == (-4.0, 4.0)
    assert by["c"] == (-30.0, 30.0)
