"""Where a number comes from, in Chromium (#14, point 4): clicking a cell of z_t on the Gates
page picks it: the URL names it, the page explains it with the value gru_core computes (here),
and its sources are outlined."""
from __future__ import annotations

import gru_core as gc

from .helpers import assert_no_exception, collect_page_errors, goto_app
from .test_beyond_e2e import click_cell, query, tutorial_trace

LOAD = 60_000


def explained(page) -> str:
    return page.get_by_text("comes from").first.inner_text()


def test_clicking_a_gate_cell_explains_where_it_comes_from(app_server, page):
    errors = collect_page_errors(page)
    goto_app(page, f"{app_server}/Gates_z_and_r", timeout=LOAD)
    assert_no_exception(page)
    z = tutorial_trace().z[0]
    assert f"z_t[1, 1] = {z[0, 0]:.4f}" in explained(page)
    # the z figure: W_z, U_z, b_z, then x_t W_z, h U_z, b_z, sum, z_t: z_t is the 8th panel
    click_cell(page, "row_W_z", 1, 1, 2, 2, panel="z_t")
    assert query(page).get("cell_b") == "1" and query(page).get("cell_j") == "1"
    assert f"z_t[2, 2] = {z[1, 1]:.4f}" in explained(page)
    # the r figure's r_t: the picked quantity follows
    r = tutorial_trace().r[0]
    click_cell(page, "row_W_r", 0, 1, 2, 2, panel="r_t")
    assert query(page).get("cell_q") == "r"
    assert f"r_t[1, 2] = {r[0, 1]:.4f}" in explained(page)
    assert not errors


def test_clicking_a_probability_explains_it(app_server, page):
    goto_app(page, f"{app_server}/Output_and_softmax", timeout=LOAD)
    probs = tutorial_trace(gc.TUTORIAL_CONFIG).probs[0]
    # logits, max, exp on the first line; row sum, ŷ, target on the second: ŷ is the 5th panel
    click_cell(page, "row_logits", 1, 3, 2, 4, panel="probs")
    assert query(page).get("cell_q") == "probs" and query(page).get("cell_j") == "3"
    assert f"ŷ_t[2, 4] = {probs[1, 3]:.4f}" in explained(page)
