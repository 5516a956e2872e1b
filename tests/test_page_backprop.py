"""AppTest of pages/6_Backprop_through_time.py: the plotted gradients against gru_core called
directly (not through ui.compute), the finite-difference table, clipping, and extremes."""
from __future__ import annotations

import numpy as np
import pytest

import gru_core as gc
from tests.app_helpers import BACKPROP_5_7, charts, decode, heatmap_z, no_exception, run_page
from ui import registry

PAGE = registry.get("backprop").file
LONG = ("The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs! "
        "How vexingly quick daft zebras jump; 0123456789 ") * 6          # 798 characters
BIG = {"text": LONG, "batch_size": 16, "seq_len": 32, "hidden_size": 32, "weights": "random",
       "order": "sorted"}
# The page's two tabs (on_change="rerun": only the open one is drawn): sections 1-4, then 5-7.
STEP_PART, BATCH_PART = "1–4 · One time step back", BACKPROP_5_7["bptt_part"]
SECTIONS_5_7 = BACKPROP_5_7
MEDIUM = {"text": LONG, "batch_size": 3, "seq_len": 5, "hidden_size": 4, "weights": "random",
          "order": "sorted", "seed": 7}


def reference(settings: dict, n: int = 0, loss: str = "ce"):
    """(params, batches, trace of batch n, Grads) computed with gru_core alone."""
    text = settings.get("text", gc.TUTORIAL_TEXT)
    config = gc.GRUConfig(settings.get("reset", "before"), settings.get("update", "keep"))
    if settings.get("weights", "tutorial") == "tutorial":
        vocab = gc.Vocab.from_text(text, gc.TUTORIAL_ORDER)
        params = gc.tutorial_params()
    else:
        vocab = gc.Vocab.from_text(text, settings["order"])
        params = gc.init_params(vocab.size, settings["hidden_size"], seed=settings.get("seed", 0))
    sizes = gc.TUTORIAL_SIZES
    batches = gc.make_batches(vocab.encode(text), vocab.size,
                              settings.get("batch_size", sizes["batch_size"]),
                              settings.get("seq_len", sizes["seq_len"]), "tutorial")
    trace = gc.run_batches(params, batches, config)[n]
    return params, batches, trace, gc.backward(params, trace, batches.Y[n], config, loss)


def z_of(at, key: str) -> np.ndarray:
    return np.atleast_2d(heatmap_z(charts(at)[key]))


def open_batch_part(at):
    """The same session, its second tab opened (sections 5-7)."""
    at.session_state["bptt_part"] = BATCH_PART
    at.run()
    assert no_exception(at), at.exception
    return at


def gradcheck_errors(at) -> list[float]:
    frames = [df.value for df in at.dataframe if "max relative error" in df.value.columns]
    assert frames, "the finite-difference table is not shown"
    return [float(v) for v in frames[0]["max relative error"]]


# ---------------------------------------------------------------- defaults (the tutorial)

def test_defaults_summed_gradients_match_gru_core():
    at = run_page(PAGE)
    assert no_exception(at), at.exception
    _, _, _, g = reference({})
    for name in ("W_z", "U_h", "b_z", "W_y", "b_r"):
        np.testing.assert_allclose(z_of(at, f"grad_{name}"), np.atleast_2d(getattr(g, name)),
                                   rtol=1e-12, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(z_of(at, "param_sum"), g.W_z, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(z_of(at, "param_step"), g.per_step("W_z")[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(z_of(at, "dlogits"), g.dlogits[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(z_of(at, "dh_t"), g.dh[0], rtol=1e-12, atol=1e-15)
    assert "grad_b_hn" not in charts(at)            # reset "before" has no b_hn


def test_dh_prev_parts_sum_to_the_plotted_total():
    for step in (1, 2, 3):
        at = run_page(PAGE, state={"step": step})
        parts = sum(z_of(at, f"dh_prev_{p}") for p in ("direct", "via_z", "via_r", "via_h"))
        total = z_of(at, "dh_prev_total")
        np.testing.assert_allclose(parts, total, rtol=1e-10, atol=1e-14)
        assert np.abs(total).max() > 1e-4                     # not trivially zero
        _, _, _, g = reference({})
        # What step t sends back is dL/dh_{t-1} minus the output's part at t-1 (and dh0 at t=1).
        expected = g.dh0 if step == 1 else g.dh[step - 2] - g.dlogits[step - 2] @ gc.tutorial_params().W_y.T
        np.testing.assert_allclose(total, expected, rtol=1e-9, atol=1e-14)


def test_switching_the_loss_changes_dlogits():
    at = run_page(PAGE)
    ce = z_of(at, "dlogits")
    at.session_state["bptt_loss"] = "l2"
    at.run()
    assert no_exception(at), at.exception
    l2 = z_of(at, "dlogits")
    assert not np.allclose(ce, l2)
    np.testing.assert_allclose(l2, reference({}, loss="l2")[3].dlogits[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(z_of(at, "grad_W_z"), reference({}, loss="l2")[3].W_z,
                               rtol=1e-12, atol=1e-15)


def test_defaults_gradient_check_table_below_1e6():
    at = run_page(PAGE, state=SECTIONS_5_7)
    errors = gradcheck_errors(at)
    assert len(errors) == 11                                     # 11 parameters without b_hn
    assert max(errors) < 1e-6
    assert any(e > 0 for e in errors)                           # it really compared something
    assert any("Largest relative error" in c.value for c in at.caption)


# ---------------------------------------------------------------- both conventions, both losses

@pytest.mark.parametrize("reset", ["before", "after"])
@pytest.mark.parametrize("update", ["keep", "take"])
@pytest.mark.parametrize("loss", ["ce", "l2"])
def test_conventions_and_losses_match_gru_core(reset, update, loss):
    settings = {**MEDIUM, "reset": reset, "update": update}
    at = run_page(PAGE, state={**settings, "bptt_loss": loss, "batch": 2, "step": 3})
    assert no_exception(at), at.exception
    _, _, _, g = reference(settings, n=1, loss=loss)
    for name in ("W_z", "U_r", "U_h", "b_h") + (("b_hn",) if reset == "after" else ()):
        np.testing.assert_allclose(z_of(at, f"grad_{name}"), np.atleast_2d(getattr(g, name)),
                                   rtol=1e-10, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(z_of(at, "da_r"), g.da_r[2], rtol=1e-10, atol=1e-15)
    parts = sum(z_of(at, f"dh_prev_{p}") for p in ("direct", "via_z", "via_r", "via_h"))
    np.testing.assert_allclose(parts, z_of(at, "dh_prev_total"), rtol=1e-10, atol=1e-15)
    assert ("dq" in charts(at)) == (reset == "after")
    # the gradient check runs on this small model and passes
    assert max(gradcheck_errors(open_batch_part(at))) < 1e-6


def test_step_view_shows_each_steps_contribution():
    at = run_page(PAGE, state={**MEDIUM, "bptt_view": "step", "step": 4, "bptt_param": "U_z"})
    assert no_exception(at), at.exception
    _, _, _, g = reference(MEDIUM)
    for name in ("W_z", "U_h", "b_r", "W_y"):
        np.testing.assert_allclose(z_of(at, f"grad_{name}"), np.atleast_2d(g.per_step(name)[3]),
                                   rtol=1e-10, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(z_of(at, "param_step"), g.per_step("U_z")[3], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(z_of(at, "param_sum"), g.U_z, rtol=1e-10, atol=1e-15)


# ---------------------------------------------------------------- vanishing / exploding

def test_norm_chart_every_step_series_and_vanishing_then_exploding():
    at = run_page(PAGE, state={**BIG, **SECTIONS_5_7})
    assert no_exception(at), at.exception
    params, _, _, g = reference(BIG)
    spec = charts(at)["norms_back"]
    every, last = (np.asarray(decode(spec["data"][i]["y"]), dtype=float) for i in (0, 1))
    assert len(every) == len(last) == 32
    np.testing.assert_allclose(every, np.linalg.norm(g.dh, axis=-1).mean(axis=-1)[::-1], rtol=1e-10)
    # at the last step only the output term is there
    np.testing.assert_allclose(last[0], np.linalg.norm(g.dlogits[-1] @ params.W_y.T, axis=-1).mean(),
                               rtol=1e-10)
    assert last[-1] < 1e-3 * last[0]                            # vanishes over 31 steps
    at.session_state["bptt_u_scale"] = 8.0
    at.run()
    spec = charts(at)["norms_back"]
    last8 = np.asarray(decode(spec["data"][1]["y"]), dtype=float)
    assert last8[-1] > 10 * last8[0]                            # explodes with U × 8


# ---------------------------------------------------------------- clipping

def test_clip_by_value_and_by_norm():
    at = run_page(PAGE, state={"bptt_clip_kind": "value", "bptt_clip_value": 0.01, **SECTIONS_5_7})
    _, _, _, g = reference({})
    np.testing.assert_allclose(z_of(at, "clip_before"), g.W_z, rtol=1e-12)
    np.testing.assert_allclose(z_of(at, "clip_after"), np.clip(g.W_z, -0.01, 0.01), rtol=1e-12)
    at.session_state["bptt_clip_kind"] = "norm"
    at.session_state["bptt_clip_value"] = 0.1
    at.run()
    assert no_exception(at), at.exception
    norm = gc.global_norm(g)
    assert norm > 0.1
    np.testing.assert_allclose(z_of(at, "clip_after"), g.W_z * 0.1 / norm, rtol=1e-10)
    shown = {m.label: m.value for m in at.metric}
    assert float(shown["‖g‖ after"]) == pytest.approx(0.1, rel=1e-3)


# ---------------------------------------------------------------- extremes

@pytest.mark.parametrize("state", [
    {**BIG, "bptt_loss": "ce"},
    {**BIG, "bptt_loss": "l2", "reset": "after", "update": "take", "bptt_view": "step", "step": 32},
    {"text": "ab", "hidden_size": 32, "weights": "random", "order": "sorted"},
    {"text": "ab", "bptt_loss": "l2", "reset": "after", "update": "take"},
    {**MEDIUM, "hidden_size": 32, "batch": 99, "step": 99},
])
def test_extremes_run_without_exception(state):
    at = run_page(PAGE, state=state)
    assert no_exception(at), at.exception
    assert "dlogits" in charts(at)
    assert "norms_back" in charts(open_batch_part(at))


def test_big_gradient_check_is_behind_a_toggle_and_passes():
    at = run_page(PAGE, state={**BIG, **SECTIONS_5_7})
    assert not [df for df in at.dataframe if "max relative error" in df.value.columns]
    at.toggle(key="bptt_check").set_value(True)
    at.run()
    assert no_exception(at), at.exception
    errors = gradcheck_errors(at)
    assert len(errors) == 11 and max(errors) < 1e-6


def test_b_hn_selected_then_reset_before_does_not_break():
    at = run_page(PAGE, state={**MEDIUM, "reset": "after", "bptt_param": "b_hn"})
    assert no_exception(at), at.exception
    assert "grad_b_hn" in charts(at)
    at.session_state["reset"] = "before"
    at.run()
    assert no_exception(at), at.exception
    assert at.session_state["bptt_param"] == "W_z"


# ---------------------------------------------------------------- the two tabs

def test_each_tab_draws_only_its_sections_and_next_opens_the_second():
    at = run_page(PAGE)
    assert no_exception(at), at.exception
    assert [t.label for t in at.tabs] == [STEP_PART, BATCH_PART]
    headers = [h.value for h in at.header]
    assert [h[0] for h in headers if h[0].isdigit()] == ["1", "2", "3", "4"]
    assert "dlogits" in charts(at) and "norms_back" not in charts(at)
    assert not [df for df in at.dataframe if "max relative error" in df.value.columns]
    assert not [h for h in at.get("html") if "scrollIntoView" in h.proto.body]
    at.button(key="bptt_next_part").click().run()            # the button that ends section 4
    assert no_exception(at), at.exception
    assert at.session_state["bptt_part"] == BATCH_PART
    assert [h.value[0] for h in at.header if h.value[0].isdigit()] == ["5", "6", "7"]
    assert "norms_back" in charts(at) and "dlogits" not in charts(at)
    scrolls = [h.proto.body for h in at.get("html") if "scrollIntoView" in h.proto.body]
    assert len(scrolls) == 1 and '"vanishing"' in scrolls[0]       # to section 5, once
    # sections 5-7 take the whole batch: the stepper has the batch only, no time step
    assert [s.key for s in at.slider if s.key in ("batch", "step")] == ["batch"]
    assert not [b for b in at.button if b.key in ("prev_step", "next_step")]
    assert "all 3 time steps" in at.caption[0].value, at.caption[0].value
    at.slider(key="batch").set_value(2).run()                     # the stepper: no new scroll
    assert no_exception(at), at.exception
    assert not [h for h in at.get("html") if "scrollIntoView" in h.proto.body]
    assert at.session_state["bptt_part"] == BATCH_PART
    at.session_state["bptt_part"] = STEP_PART                     # back: the time step again
    at.run()
    assert [s.key for s in at.slider if s.key in ("batch", "step")] == ["batch", "step"]
    assert at.button(key="next_step") is not None


def test_play_stops_when_the_second_tab_opens():
    """Play advances the time step; sections 5-7 do not follow it, so opening their tab stops
    the timer (the page's fragment is no longer rerun every PLAY_SECONDS)."""
    at = run_page(PAGE)
    at.toggle(key="playing").set_value(True).run()
    assert no_exception(at), at.exception
    assert at.session_state["playing"] is True
    at.button(key="bptt_next_part").click().run()
    assert no_exception(at), at.exception
    assert at.session_state["playing"] is False
    assert not [t for t in at.toggle if t.key == "playing"]


def test_lesson_link_to_vanishing_opens_the_second_tab():
    at = run_page(PAGE, query={"focus": "vanishing"})
    assert no_exception(at), at.exception
    assert at.session_state["bptt_part"] == BATCH_PART
    assert "norms_back" in charts(at)
    assert [h for h in at.get("html") if '"vanishing"' in h.proto.body]
