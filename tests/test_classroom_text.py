"""What a class reads: no internal file numbers of the tutorials ("(003)", "004's cost") on any
page, the candidate's terms drawn in the order its equation is written, and no red arrow for a
change that is zero."""
from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from app_helpers import ROOT, TIMEOUT
from ui import registry

FILE_NUMBER = re.compile(r"(?<![\d,.])00[0-4](?![\d,.])")   # "003", not "5,000"


def shown_text(at: AppTest) -> str:
    """Every text of the page's elements and widgets (labels, options, help), as JSON."""
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "subheader", "header",
                 "title", "metric", "radio", "selectbox", "toggle", "button", "slider",
                 "number_input", "select_slider", "multiselect", "text_input", "text_area"):
        for el in at.get(kind):
            parts += [line for line in str(el.proto).splitlines()     # not the hashed ids
                      if not re.match(r"\s*\w*id: ", line)]
    return "\n".join(parts)


@pytest.mark.parametrize("key", [p.key for p in registry.PAGES])
def test_no_page_shows_the_tutorials_file_numbers(key):
    at = AppTest.from_file(str(ROOT / registry.get(key).file), default_timeout=TIMEOUT)
    at.session_state["update"] = "take"             # the labels of the other convention too
    at.run()
    assert not at.exception, at.exception
    text = shown_text(at)
    found = FILE_NUMBER.search(text)
    assert found is None, text[max(0, found.start() - 80):found.end() + 40]


@pytest.mark.parametrize("reset, order", [
    ("before", ["h_in", "h_rec", "h_bias", "h_pre", "h_tilde"]),    # x W_h + (r ⊙ h) U_h + b_h
    ("after", ["h_in", "h_bias", "h_rec", "h_pre", "h_tilde"]),     # x W_h + b_h + r ⊙ (h U_h + b_hn)
])
def test_the_candidates_terms_follow_its_equation(reset, order):
    at = AppTest.from_file(str(ROOT / registry.get("candidate").file), default_timeout=TIMEOUT)
    at.session_state["reset"] = reset
    at.run()
    names = []
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        names += [t.get("name") for t in spec["data"] if t.get("name") in order]
    assert names == order, names


def test_what_if_shows_no_change_as_no_change():
    at = AppTest.from_file(str(ROOT / registry.get("whatif").file), default_timeout=TIMEOUT).run()
    loss = [m for m in at.metric if m.label == "Loss (what-if)"]
    assert loss and loss[0].proto.delta == "", loss[0].proto
    at.radio(key="wi_z").set_value("1").run()                # now something changes
    loss = [m for m in at.metric if m.label == "Loss (what-if)"]
    assert loss[0].proto.delta not in ("", "+0.0000", "-0.0000"), loss[0].proto


def test_cell_numbers_line_up_in_four_decimals_and_whole_numbers_stay_whole():
    from app_helpers import cell_texts, charts, run_page
    at = run_page(registry.get("gates").file)
    cells = charts(at)
    # the tutorial's z_1 (published [[.1791, .5943], [.6596, .5663]]; its weights are printed rounded)
    assert cell_texts(cells["z_t"]["data"][0]["text"]) == [["0.1790", "0.5943"], ["0.6596", "0.5663"]]
    assert cell_texts(cells["x_t"]["data"][0]["text"]) == [["0", "0", "0", "1"], ["1", "0", "0", "0"]]
    assert any("rounded to 4 decimals" in c.value for c in at.caption)
