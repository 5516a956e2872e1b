"""The training path (forward with record="train") computes exactly what the full trace does
for every field backward reads, so training on it is training on the displayed model."""
import dataclasses

import numpy as np
import pytest

import gru_core as gc

CONFIGS = [gc.GRUConfig(r, u) for r in gc.RESETS for u in gc.UPDATES]


def random_case(seed, S=5, B=3, V=6, H=4):
    rng = np.random.default_rng(seed)
    params = gc.init_params(V, H, seed=seed, scale=1.0).replace(
        b_z=rng.normal(size=H), b_r=rng.normal(size=H), b_h=rng.normal(size=H),
        b_hn=rng.normal(size=H), b_y=rng.normal(size=V))
    X = gc.one_hot(rng.integers(0, V, (S, B)), V)
    Y = gc.one_hot(rng.integers(0, V, (S, B)), V)
    return params, X, Y, rng.uniform(-1, 1, (B, H))


# The training path makes backward's factors step by step in large runs and after the loop in
# small ones: both ways are tested at these small sizes by moving the threshold.
FACTOR_MODES = {"per-step": 0, "after-loop": 2**62}


@pytest.fixture(params=FACTOR_MODES)
def factor_mode(request, monkeypatch):
    monkeypatch.setattr(gc.gru, "FACTORS_PER_STEP_BYTES", FACTOR_MODES[request.param])
    return request.param


def kept_fields(config) -> set[str]:
    """The arrays a training trace keeps (TrainTrace's docstring), besides its input and factors."""
    kept = {"h0", "h_prev", "h", "probs", "z" if config.update == "keep" else "one_minus_z"}
    return kept | ({"r", "r_h_prev"} if config.reset == "before" else set())


def assert_same_as_full(lean, full, config):
    """Every array the training trace keeps equals the full trace's, and so do its factors."""
    recorded = {f.name for f in dataclasses.fields(lean)
                if isinstance(getattr(lean, f.name), np.ndarray)} - {"x", "x_ids", "factors", "z_forced"}
    assert recorded == kept_fields(config)
    for name in recorded:
        np.testing.assert_array_equal(getattr(lean, name), getattr(full, name), err_msg=name)
    # the factors made in the loop = the same formula on the full trace's arrays
    S, B, _, H = full.shape
    expected = np.empty((4, S, B, H))
    q = full.h_prev_U_h if config.reset == "after" else full.r_h_prev
    gc.gru.bptt_factors(config, full.h_prev, full.z, full.one_minus_z, full.r, q, full.h_tilde,
                        expected, full.z_forced, full.r_forced)
    used = 4 if config.reset == "after" else 3                       # "before" has no f_q
    np.testing.assert_array_equal(lean.factors[:used], expected[:used])


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("clamp", [None, np.array([1.0, np.nan, 0.0, np.nan])])
def test_train_trace_matches_the_full_trace(config, clamp, factor_mode):
    params, X, Y, h0 = random_case(3)
    full = gc.forward(params, X, h0, config, clamp_z=clamp)
    lean = gc.forward(params, X, h0, config, clamp_z=clamp, record="train")
    np.testing.assert_array_equal(lean.x_ids, full.x_ids)
    assert_same_as_full(lean, full, config)
    if clamp is not None:
        assert not lean.factors[1][..., ~np.isnan(clamp)].any()      # forced z passes nothing
    g_full, g_lean = gc.backward(params, full, Y), gc.backward(params, lean, Y)
    for (name, a), (_, b) in zip(g_full.items(), g_lean.items()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_the_training_path_returns_its_own_type_with_only_what_backward_reads():
    """forward(..., record="train") and forward_train give a TrainTrace: the fields backward
    reads, each named as in the display Trace; the display Trace has no factors."""
    assert {f.name for f in dataclasses.fields(gc.TrainTrace)} == {
        "config", "x", "x_ids", "h0", "h_prev", "h", "probs", "factors",
        "z", "one_minus_z", "r", "r_h_prev", "z_forced", "r_forced"}
    display_fields = {f.name for f in dataclasses.fields(gc.Trace)}
    assert {f.name for f in dataclasses.fields(gc.TrainTrace)} - display_fields == {"factors"}
    params, X, Y, h0 = random_case(2)
    for config in CONFIGS:
        for lean in (gc.forward(params, X, h0, config, record="train"),
                     gc.forward_train(params, X, h0, config)):
            assert type(lean) is gc.TrainTrace
            assert lean.shape == (5, 3, 6, 4)
            np.testing.assert_array_equal(lean.h_last, lean.h[-1])
        full = gc.forward(params, X, h0, config)
        assert type(full) is gc.Trace and not hasattr(full, "factors")


def test_training_still_learns_on_the_lean_path():
    text = "MathMathMathMathMath"
    vocab = gc.Vocab.from_text(text, "hatM")
    batches = gc.make_batches(vocab.encode(text), vocab.size, 2, 3)
    result = gc.train(gc.init_params(4, 8, seed=1), batches, epochs=60, lr=0.05)
    assert result.epoch_losses[-1] < 0.5 * result.epoch_losses[0]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_train_trace_matches_the_full_trace_for_dense_inputs(config, factor_mode):
    """Soft (non-one-hot) inputs take the product path, not the row gather: still the same bits.
    (At H = 17 one product per gate rounds differently from the full trace's fused product.)"""
    params, _, Y, h0 = random_case(4, S=4, B=16, V=30, H=17)
    X = np.random.default_rng(9).dirichlet(np.ones(30), size=(4, 16))  # (S, B, V) rows sum to 1
    full = gc.forward(params, X, h0, config)
    lean = gc.forward(params, X, h0, config, record="train")
    assert lean.x_ids is None
    np.testing.assert_array_equal(lean.x, full.x)
    assert_same_as_full(lean, full, config)
    for (name, a), (_, b) in zip(gc.backward(params, full, Y).items(), gc.backward(params, lean, Y).items()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_a_training_trace_goes_through_backward_once_and_a_full_trace_as_often_as_needed():
    """backward turns a training trace's factors into the gradients (in place): a second
    backward on it must say so, not compute from missing factors. Full traces are untouched."""
    params, X, Y, h0 = random_case(6)
    lean = gc.forward(params, X, h0, gc.TORCH_CONFIG, record="train")
    first = gc.backward(params, lean, Y)
    assert lean.factors is None
    with pytest.raises(ValueError, match="through backward already"):
        gc.backward(params, lean, Y)
    full = gc.forward(params, X, h0, gc.TORCH_CONFIG)
    again = [gc.backward(params, full, Y) for _ in range(2)]
    for (name, a), (_, b), (_, c) in zip(first.items(), *(g.items() for g in again)):
        np.testing.assert_array_equal(a, b, err_msg=name)
        np.testing.assert_array_equal(b, c, err_msg=name)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_gradients_of_a_training_trace_on_ids_still_split_by_step(config):
    """A training trace run on ids keeps no one-hot x; each weight's per-step terms are still
    there (from the ids) and still add up to its gradient, as on the full trace."""
    params, X, Y, h0 = random_case(8)
    ids = X.argmax(axis=-1)
    lean = gc.forward(params, ids, h0, config, record="train")
    assert lean.x is None
    g_lean = gc.backward(params, lean, Y.argmax(axis=-1))
    g_full = gc.backward(params, gc.forward(params, X, h0, config), Y)
    for name in ("W_z", "W_r", "W_h", "U_z", "b_h", "W_y"):
        steps = g_lean.per_step(name)
        np.testing.assert_allclose(steps, g_full.per_step(name), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(steps.sum(axis=0), getattr(g_lean, name), rtol=1e-12, atol=1e-15)
