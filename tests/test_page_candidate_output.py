"""AppTest of pages 3 (candidate and new state) and 4 (output and softmax).

The plotted matrices are compared with gru_core run directly here (not through ui.compute),
with the same settings the page uses.
"""
from __future__ import annotations

import numpy as np
import pytest

import gru_core as gc
from app_helpers import charts, heatmap_z, run_page
from ui import registry

CANDIDATE = registry.get("candidate").file
CHAIN = {"candidate_view": "Through time: the chain"}      # the Candidate page's second tab
OUTPUT = registry.get("output").file
PAGES = (CANDIDATE, OUTPUT)

PUBLISHED_H = np.array([[.7565, -.3472], [-.1355, -.2040]])
PUBLISHED_H_TILDE = np.array([[.9215, -.8557], [-.3979, -.4705]])
PUBLISHED_LOGITS = np.array([[.5295, -.4269, -.3876, -.1264], [-.1709, -.1072, .2379, -.2115]])
PUBLISHED_Y_HAT = np.array([[.4342, .1669, .1735, .2254], [.2207, .2352, .3322, .2119]])
LONG_TEXT = ("Gated recurrent units keep a state; the update gate decides how much of it to "
             "keep. ") * 7                      # 553 characters: room for B=16, S=32


def reference(text=gc.TUTORIAL_TEXT, batch_size=2, seq_len=3, hidden_size=2, reset="before",
              update="keep", layout="tutorial", seed=0):
    """gru_core directly: the default order "auto" (the tutorial's dictionary "hatM" for a text
    of exactly its characters, the sorted characters for any other text), the tutorial's weights
    when they fit, else random weights from the seed (what the 'tutorial' weights choice shows)."""
    order = "hatM" if set(text) == set("hatM") else "".join(sorted(set(text)))
    vocab = gc.Vocab.from_text(text, order)
    batches = gc.make_batches(vocab.encode(text), vocab.size, batch_size, seq_len, layout)
    fits = vocab.chars == tuple("hatM") and hidden_size == 2
    params = gc.tutorial_params() if fits else gc.init_params(vocab.size, hidden_size, seed=seed)
    return vocab, batches, gc.run_batches(params, batches, gc.GRUConfig(reset, update))


def ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# ---------------------------------------------------------------- no exception

EXTREMES = [
    {},
    {"batch_size": 16},                                       # 20 characters: S drops to 1
    {"seq_len": 9},                                           # the largest S for B = 2
    {"hidden_size": 32},
    {"text": "ab"},                                           # B = S = 1, one batch
    {"text": LONG_TEXT, "batch_size": 16, "seq_len": 32, "hidden_size": 32},
    {"reset": "after"},
    {"update": "take"},
    {"reset": "after", "update": "take", "layout": "streams"},
    {"layout": "streams", "text": LONG_TEXT, "batch_size": 4, "seq_len": 5},
]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("state", EXTREMES, ids=lambda s: ",".join(f"{k}={str(v)[:8]}" for k, v in s.items()) or "defaults")
def test_no_exception(page, state):
    at = run_page(page, state)
    ok(at)
    assert len(charts(at)) >= 9


def test_extremes_from_the_url():
    """The same extremes arriving as a lesson link (URL parameters are strings)."""
    query = {"batch_size": "16", "seq_len": "32", "hidden_size": "32", "text": LONG_TEXT}
    for page in PAGES:
        at = run_page(page, query=query)
        ok(at)
        spec = charts(at)["h_t"]
        assert heatmap_z(spec).shape == (16, 32)


# ---------------------------------------------------------------- published numbers

def test_candidate_page_shows_the_published_step():
    at = run_page(CANDIDATE)
    ok(at)
    c = charts(at)
    np.testing.assert_allclose(heatmap_z(c["h_t"]), PUBLISHED_H, atol=2e-4)
    np.testing.assert_allclose(heatmap_z(c["h_tilde"]), PUBLISHED_H_TILDE, atol=2e-4)
    # h_0 = 0: the reset product is zero, so the pre-activation is x_t W_h alone
    np.testing.assert_array_equal(heatmap_z(c["h_rec"]), 0.0)
    np.testing.assert_allclose(heatmap_z(c["h_pre"]), heatmap_z(c["h_in"]))


def test_output_page_shows_the_published_step():
    at = run_page(OUTPUT)
    ok(at)
    c = charts(at)
    np.testing.assert_allclose(heatmap_z(c["h_t"]), PUBLISHED_H, atol=2e-4)
    np.testing.assert_allclose(heatmap_z(c["logits"]), PUBLISHED_LOGITS, atol=2e-4)
    np.testing.assert_allclose(heatmap_z(c["probs"]), PUBLISHED_Y_HAT, atol=2e-4)
    table = at.dataframe[0].value
    # published ŷ: row 0 ("Mat") favours 'h', row 1 ("hMa") favours 't'; targets 'a' and 'M'
    assert list(table["predicted (argmax ŷ)"]) == ["h", "t"]
    assert list(table["target"]) == ["a", "M"]
    assert list(table["correct"]) == ["✗", "✗"]
    np.testing.assert_allclose(table["p(target)"], [PUBLISHED_Y_HAT[0, 1], PUBLISHED_Y_HAT[1, 3]],
                               atol=2e-4)


# ---------------------------------------------------------------- against gru_core

CASES = [  # (sidebar state, 1-based batch, 1-based step)
    ({}, 1, 1),
    ({}, 3, 2),
    ({"reset": "after", "update": "take"}, 2, 3),
    ({"hidden_size": 4, "layout": "streams"}, 2, 2),          # random weights, seed 0
    ({"text": LONG_TEXT, "batch_size": 5, "seq_len": 7, "hidden_size": 6, "reset": "after"}, 9, 7),
]


def _settings(state):
    keys = ("text", "batch_size", "seq_len", "hidden_size", "reset", "update", "layout")
    return {k: state[k] for k in keys if k in state}


@pytest.mark.parametrize("state,batch,step", CASES)
def test_candidate_page_equals_gru_core(state, batch, step):
    at = run_page(CANDIDATE, {**state, "batch": batch, "step": step})
    ok(at)
    _, batches, traces = reference(**_settings(state))
    tr, t = traces[batch - 1], step - 1
    c = charts(at)
    for key, want in {"h_tilde": tr.h_tilde[t], "h_t": tr.h[t], "h_prev": tr.h_prev[t],
                      "r_t": tr.r[t], "z_t": tr.z[t], "one_minus_z": tr.one_minus_z[t],
                      "h_rec": tr.h_rec[t], "h_in": tr.h_in[t], "h_pre": tr.h_pre[t],
                      "h_from_prev": tr.h_from_prev[t], "h_from_tilde": tr.h_from_tilde[t]}.items():
        np.testing.assert_allclose(heatmap_z(c[key]), want, rtol=1e-12, atol=1e-12, err_msg=key)
    if tr.config.reset == "after":
        np.testing.assert_allclose(heatmap_z(c["h_prev_U_h"]), tr.h_prev_U_h[t], atol=1e-12)
        assert "r_h_prev" not in c
    else:
        np.testing.assert_allclose(heatmap_z(c["r_h_prev"]), tr.r_h_prev[t], atol=1e-12)
        assert "h_prev_U_h" not in c and "b_hn" not in c
    # the two parts add up to the plotted h_t
    np.testing.assert_allclose(heatmap_z(c["h_from_prev"]) + heatmap_z(c["h_from_tilde"]),
                               heatmap_z(c["h_t"]), atol=1e-12)
    # the chain of row 0 (the page's second tab): h_0 of this batch, then h_1 .. h_S
    assert "chain_h" not in c                      # only the open tab is drawn
    chain = heatmap_z(charts(run_page(CANDIDATE, {**state, "batch": batch, "step": step,
                                                  **CHAIN}))["chain_h"])
    np.testing.assert_allclose(chain, np.column_stack([tr.h0[0], tr.h[:, 0, :].T]), atol=1e-12)
    if batch > 1:                                  # carried from the previous batch's last step
        np.testing.assert_allclose(chain[:, 0], traces[batch - 2].h[-1, 0], atol=1e-12)


@pytest.mark.parametrize("state,batch,step", CASES)
def test_output_page_equals_gru_core(state, batch, step):
    at = run_page(OUTPUT, {**state, "batch": batch, "step": step})
    ok(at)
    vocab, batches, traces = reference(**_settings(state))
    tr, t, n = traces[batch - 1], step - 1, batch - 1
    c = charts(at)
    for key, want in {"h_t": tr.h[t], "logits": tr.logits[t], "exp": tr.exp[t],
                      "probs": tr.probs[t], "target": batches.Y[n, t],
                      "logits_max": tr.logits_max[t][:, None],
                      "exp_sum": tr.exp_sum[t][:, None]}.items():
        np.testing.assert_allclose(heatmap_z(c[key]), want, rtol=1e-12, atol=1e-12, err_msg=key)
    table = at.dataframe[0].value
    targets = [vocab.chars[i] for i in batches.y_ids[n, t]]
    predicted = [vocab.chars[i] for i in tr.probs[t].argmax(axis=1)]
    assert list(table["target"]) == [gc_label(ch) for ch in targets]
    assert list(table["predicted (argmax ŷ)"]) == [gc_label(ch) for ch in predicted]
    assert list(table["correct"]) == ["✓" if a == b else "✗" for a, b in zip(predicted, targets)]


def gc_label(ch: str) -> str:
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(ch, ch)


# ---------------------------------------------------------------- interactions

def test_reset_convention_changes_h_tilde():
    """At t = 1 h_0 = 0 and both conventions agree; from t = 2 on they differ."""
    before = charts(run_page(CANDIDATE, {"step": 2}))
    after = charts(run_page(CANDIDATE, {"step": 2, "reset": "after"}))
    assert not np.allclose(heatmap_z(before["h_tilde"]), heatmap_z(after["h_tilde"]), atol=1e-6)
    assert "b_hn" in after and "b_hn" not in before
    # the plotted recurrent term follows the convention's own formula
    _, _, tb = reference(reset="before")
    _, _, ta = reference(reset="after")
    np.testing.assert_allclose(heatmap_z(before["h_tilde"]), tb[0].h_tilde[1], atol=1e-12)
    np.testing.assert_allclose(heatmap_z(after["h_tilde"]), ta[0].h_tilde[1], atol=1e-12)


def test_update_convention_swaps_the_parts():
    keep = charts(run_page(CANDIDATE, {"step": 2}))
    take = charts(run_page(CANDIDATE, {"step": 2, "update": "take"}))
    assert keep["h_from_prev"]["layout"]["title"]["text"].startswith("z_t ⊙ h_(t−1)")
    assert take["h_from_prev"]["layout"]["title"]["text"].startswith("(1 − z_t) ⊙ h_(t−1)")
    take_chain = charts(run_page(CANDIDATE, {"step": 2, "update": "take", **CHAIN}))
    assert take_chain["chain_kept"]["layout"]["title"]["text"].startswith(
        "share of h_(t−1) kept = 1 − z")
    assert not np.allclose(heatmap_z(keep["h_t"]), heatmap_z(take["h_t"]))


@pytest.mark.parametrize("page", PAGES)
def test_prev_next_buttons_move_the_step(page):
    at = run_page(page)
    ok(at)
    first = heatmap_z(charts(at)["h_t"])
    at.button(key="next_step").click().run()
    ok(at)
    assert (at.session_state["batch"], at.session_state["step"]) == (1, 2)
    second = heatmap_z(charts(at)["h_t"])
    assert not np.allclose(first, second)
    _, _, traces = reference()
    np.testing.assert_allclose(second, traces[0].h[1], atol=1e-12)
    at.button(key="next_step").click().run()
    at.button(key="next_step").click().run()          # past the last step: into batch 2
    assert (at.session_state["batch"], at.session_state["step"]) == (2, 1)
    np.testing.assert_allclose(heatmap_z(charts(at)["h_t"]), traces[1].h[0], atol=1e-12)
    at.button(key="prev_step").click().run()
    assert (at.session_state["batch"], at.session_state["step"]) == (1, 3)
    at.session_state["batch"], at.session_state["step"] = 1, 1
    at.run()
    at.button(key="prev_step").click().run()          # before the first step: wraps to the end
    ok(at)
    assert (at.session_state["batch"], at.session_state["step"]) == (3, 3)
    np.testing.assert_allclose(heatmap_z(charts(at)["h_t"]), traces[2].h[2], atol=1e-12)


# ---------------------------------------------------------------- the chain

def test_chain_follows_the_chosen_row_and_marks_the_step():
    at = run_page(CANDIDATE, {"batch": 2, "step": 3, "chain_row": 1, **CHAIN})
    ok(at)
    _, _, traces = reference()
    spec = charts(at)["chain_h"]
    np.testing.assert_allclose(heatmap_z(spec),
                               np.column_stack([traces[0].h[-1, 1], traces[1].h[:, 1, :].T]))
    # columns: the carried h_0, then each step labelled with the character row 1 reads ("ath")
    assert spec["data"][0]["x"] == ["h0 ← batch 1", "t1 a", "t2 t", "t3 h"]
    kept = charts(at)["chain_kept"]
    np.testing.assert_allclose(heatmap_z(kept)[:, 1:], traces[1].z[:, 1, :].T)
    assert np.isnan(heatmap_z(kept)[:, 0]).all()
    # the outlined column is step 3 (column index 3)
    (shape,) = spec["layout"]["shapes"]
    assert (shape["x0"], shape["x1"]) == (2.5, 3.5)


def test_chain_across_batches_spans_the_run():
    at = run_page(CANDIDATE, {"batch": 2, "step": 1, "chain_span": True, **CHAIN})
    ok(at)
    _, _, traces = reference()
    spec = charts(at)["chain_h"]
    want = np.column_stack([np.zeros(2)] + [tr.h[:, 0, :].T for tr in traces])
    np.testing.assert_allclose(heatmap_z(spec), want, atol=1e-12)
    labels = spec["data"][0]["x"]
    assert labels[0] == "h0 = 0" and labels[1] == "1·t1 M" and labels[4] == "2·t1 t"
    assert len(set(labels)) == len(labels) == 10
    (shape,) = spec["layout"]["shapes"]
    assert (shape["x0"], shape["x1"]) == (3.5, 4.5)       # batch 2, step 1


def test_user_text_in_the_chain_is_escaped_and_visible():
    text = "<b>x</b> *y* " * 3
    at = run_page(CANDIDATE, {"text": text, "batch_size": 1, "seq_len": 4, **CHAIN})
    ok(at)
    labels = charts(at)["chain_h"]["data"][0]["x"]
    assert labels[1:5] == ["t1 &lt;", "t2 b", "t3 &gt;", "t4 x"]
    assert all("<" not in s for s in labels)


@pytest.mark.parametrize("state, matrices", [({}, 16), (CHAIN, 2)])
def test_downloads_offer_the_matrices_on_screen(state, matrices):
    at = run_page(CANDIDATE, state)
    ok(at)
    drawn = [k for k in charts(at) if not k.startswith("row_")]
    assert len(drawn) == matrices
    (label,) = [e.label for e in at.expander if e.label.startswith("Download")]
    assert label == f"Download the {matrices} matrices on this page"
