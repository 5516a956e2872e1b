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


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("clamp", [None, np.array([1.0, np.nan, 0.0, np.nan])])
def test_train_trace_matches_the_full_trace(config, clamp):
    params, X, Y, h0 = random_case(3)
    full = gc.forward(params, X, h0, config, clamp_z=clamp)
    lean = gc.forward(params, X, h0, config, clamp_z=clamp, record="train")
    recorded = [f.name for f in dataclasses.fields(lean)
                if isinstance(getattr(lean, f.name), np.ndarray)]
    assert {"h", "h_prev", "z", "r", "h_tilde", "probs"} <= set(recorded)
    for name in recorded:
        np.testing.assert_array_equal(getattr(lean, name), getattr(full, name), err_msg=name)
    g_full, g_lean = gc.backward(params, full, Y), gc.backward(params, lean, Y)
    for (name, a), (_, b) in zip(g_full.items(), g_lean.items()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_training_still_learns_on_the_lean_path():
    text = "MathMathMathMathMath"
    vocab = gc.Vocab.from_text(text, "hatM")
    batches = gc.make_batches(vocab.encode(text), vocab.size, 2, 3)
    result = gc.train(gc.init_params(4, 8, seed=1), batches, epochs=60, lr=0.05)
    assert result.epoch_losses[-1] < 0.5 * result.epoch_losses[0]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_train_trace_matches_the_full_trace_for_dense_inputs(config):
    """Soft (non-one-hot) inputs take the product path, not the row gather: still the same bits.
    (At H = 17 one product per gate rounds differently from the full trace's fused product.)"""
    params, _, Y, h0 = random_case(4, S=4, B=16, V=30, H=17)
    X = np.random.default_rng(9).dirichlet(np.ones(30), size=(4, 16))  # (S, B, V) rows sum to 1
    full = gc.forward(params, X, h0, config)
    lean = gc.forward(params, X, h0, config, record="train")
    assert lean.x_ids is None
    for name in ("h", "z", "r", "one_minus_z", "h_tilde", "probs"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(full, name), err_msg=name)
    for (name, a), (_, b) in zip(gc.backward(params, full, Y).items(), gc.backward(params, lean, Y).items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
