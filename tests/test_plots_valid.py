"""Every figure the pages draw is a valid Plotly figure. plots builds its heatmap figures
without Plotly's validation (`_validate=False`: the validation was most of a figure's build
time), so the validation happens here instead, on what each page sends, at the defaults, in
presentation mode and at larger sizes."""
from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from app_helpers import no_exception, run_page, user_key
from ui import registry

PAGES = [p.file for p in registry.PAGES]
QUERIES = {"defaults": {}, "present": {"present": "1"},
           "larger": {"batch_size": "3", "seq_len": "4", "hidden_size": "5",
                      "weights": "random", "text": "the quick brown fox jumps over the lazy dog"}}


@pytest.mark.parametrize("query", QUERIES, ids=str)
@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.split("/")[-1])
def test_every_figure_a_page_sends_validates(path, query):
    at = run_page(path, query=QUERIES[query])
    assert no_exception(at), at.exception
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        try:
            go.Figure(spec)                      # raises on any invalid property or value
        except (ValueError, TypeError) as err:
            pytest.fail(f"{user_key(el)}: {err}"[:2000])


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.split("/")[-1])
def test_every_figure_is_sent_to_be_drawn_once(path):
    """plots.sent on every chart: no template and Streamlit's theme off (a template is compared
    by identity, so Streamlit's second pass over a new chart would draw it again), a
    datarevision (data arrays are compared by identity without one), and on a pickable chart
    the modes that Streamlit's pass would otherwise set (tests/e2e/test_redraw.py counts the
    drawings in Chromium)."""
    at = run_page(path)
    assert no_exception(at), at.exception
    for el in at.get("plotly_chart"):
        layout = json.loads(el.proto.spec)["layout"]
        assert el.proto.theme == "", user_key(el)
        assert "template" not in layout and layout.get("datarevision") is not None, user_key(el)
        if el.proto.selection_mode:
            assert layout.get("clickmode") == "event+select", user_key(el)
            assert layout.get("hovermode") and layout.get("dragmode") not in (None, False,
                                                                              "select", "lasso")
