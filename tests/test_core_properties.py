"""Property-based tests of gru_core (hypothesis, modest example counts)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gru_core
from gru_core import GRUConfig, Params

import reference_gru as ref

FAST = settings(max_examples=30, deadline=None)

shapes = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(2, 5), st.integers(1, 3))
seeds = st.integers(0, 2**32 - 1)
resets = st.sampled_from(["before", "after"])
updates = st.sampled_from(["keep", "take"])


def make_case(shape, seed, scale=1.5):
    S, B, V, H = shape
    rng = np.random.default_rng(seed)
    P = ref.random_params(V, H, rng, scale=scale, bias_scale=scale)
    X, _ = ref.random_onehot(S, B, V, rng)
    Y, _ = ref.random_onehot(S, B, V, rng)
    h0 = rng.uniform(-0.99, 0.99, (B, H))
    return P, X, Y, h0


def run(P, X, h0, reset="before", update="keep", **kw):
    return gru_core.forward(Params(**P), X, h0, GRUConfig(reset=reset, update=update), **kw)


# ------------------------------------------------------------ ranges and shapes

@FAST
@given(shapes, seeds, resets, updates)
def test_ranges_and_shapes(shape, seed, reset, update):
    S, B, V, H = shape
    P, X, Y, h0 = make_case(shape, seed)
    tr = run(P, X, h0, reset, update)
    for name in ("z", "r", "h_tilde", "h", "h_prev", "z_pre", "r_pre", "h_pre"):
        assert np.asarray(getattr(tr, name)).shape == (S, B, H), name
    for name in ("x", "logits", "probs", "exp"):
        assert np.asarray(getattr(tr, name)).shape == (S, B, V), name
    assert np.asarray(tr.logits_max).shape == (S, B)
    assert np.asarray(tr.exp_sum).shape == (S, B)
    np.testing.assert_allclose(tr.probs.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert np.all(tr.probs >= 0)
    for gate in (tr.z, tr.r):
        assert np.all((gate > 0) & (gate < 1))
    assert np.all(np.abs(tr.h_tilde) < 1)
    assert np.all(np.abs(tr.h) < 1)  # h0 is in (-1, 1)


# ------------------------------------------------------------ equivalences between conventions

@FAST
@given(shapes, seeds, updates)
def test_reset_after_equals_before_with_diagonal_U_h_and_zero_b_hn(shape, seed, update):
    P, X, Y, h0 = make_case(shape, seed)
    P["U_h"] = np.diag(np.diag(P["U_h"]))
    P["b_hn"] = np.zeros_like(P["b_hn"])
    a = run(P, X, h0, "after", update)
    b = run(P, X, h0, "before", update)
    np.testing.assert_allclose(a.h, b.h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(a.probs, b.probs, rtol=1e-12, atol=1e-14)


@FAST
@given(shapes, seeds)
def test_reset_after_differs_from_before_in_general(shape, seed):
    # guards against an engine that ignores the reset setting
    S, B, V, H = shape
    P, X, Y, h0 = make_case(shape, seed)
    P["b_hn"] = P["b_hn"] + 0.5  # b_hn only enters "after"
    a = run(P, X, h0, "after")
    b = run(P, X, h0, "before")
    assert np.abs(a.h_tilde - b.h_tilde).max() > 1e-9


@FAST
@given(shapes, seeds, resets)
def test_take_equals_keep_with_negated_z_weights(shape, seed, reset):
    P, X, Y, h0 = make_case(shape, seed)
    keep = run(P, X, h0, reset, "keep")
    Q = ref.copy_params(P)
    for name in ("W_z", "U_z", "b_z"):
        Q[name] = -Q[name]
    take = run(Q, X, h0, reset, "take")
    np.testing.assert_allclose(take.h, keep.h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(take.z, 1.0 - keep.z, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------ clamps

@FAST
@given(shapes, seeds, resets)
def test_clamp_z_one_keeps_state_for_update_keep(shape, seed, reset):
    S, B, V, H = shape
    P, X, Y, h0 = make_case(shape, seed)
    tr = run(P, X, h0, reset, "keep", clamp_z=np.ones(H))
    np.testing.assert_array_equal(tr.z, np.ones((S, B, H)))
    for t in range(S):
        np.testing.assert_allclose(tr.h[t], tr.h_prev[t], rtol=0, atol=1e-15)
        np.testing.assert_allclose(tr.h[t], h0, rtol=0, atol=1e-15)


@FAST
@given(shapes, seeds, resets)
def test_clamp_z_zero_keeps_state_for_update_take(shape, seed, reset):
    S, B, V, H = shape
    P, X, Y, h0 = make_case(shape, seed)
    tr = run(P, X, h0, reset, "take", clamp_z=np.zeros(H))
    for t in range(S):
        np.testing.assert_allclose(tr.h[t], h0, rtol=0, atol=1e-15)


@FAST
@given(shapes, seeds, updates)
def test_clamp_r_zero_with_reset_before_cuts_h_prev_from_candidate(shape, seed, update):
    S, B, V, H = shape
    P, X, Y, h0 = make_case(shape, seed)
    cr = np.zeros(H)
    a = run(P, X, h0, "before", update, clamp_r=cr)
    b = run(P, X, -h0 * 0.5 + 0.3, "before", update, clamp_r=cr)
    np.testing.assert_allclose(a.h_tilde, b.h_tilde, rtol=0, atol=1e-14)
    expected = np.tanh(X @ P["W_h"] + P["b_h"])  # candidate sees only the input
    np.testing.assert_allclose(a.h_tilde, expected, rtol=1e-12, atol=1e-14)


@FAST
@given(shapes, seeds, resets, updates)
def test_nan_clamp_changes_nothing(shape, seed, reset, update):
    S, B, V, H = shape
    P, X, Y, h0 = make_case(shape, seed)
    a = run(P, X, h0, reset, update)
    b = run(P, X, h0, reset, update, clamp_z=np.full(H, np.nan), clamp_r=np.full(H, np.nan))
    np.testing.assert_array_equal(a.h, b.h)


# ------------------------------------------------------------ numerically extreme inputs

def test_losses_finite_with_exact_zero_probs():
    probs = np.array([[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])  # (S=1, B=2, V=3)
    Y = np.array([[[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])        # first target has p = 0
    ce = gru_core.cross_entropy(probs, Y)
    assert np.isfinite(ce.loss) and ce.loss > 10
    assert np.all(np.isfinite(ce.term1)) and np.all(np.isfinite(ce.term3))
    l2 = gru_core.l2_loss(probs, Y)
    assert np.isfinite(l2.loss)
    np.testing.assert_allclose(l2.loss, (0.5 * 2.0 + 0.0) / 2, rtol=1e-12)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_huge_logits_through_forward_stay_finite(sign):
    S, B, V, H = 2, 2, 3, 2
    rng = np.random.default_rng(0)
    P = ref.random_params(V, H, rng)
    P["W_y"] = np.zeros((H, V))
    P["b_y"] = sign * np.array([1e4, -1e4, 0.0])
    X, _ = ref.random_onehot(S, B, V, rng)
    tr = run(P, X, None)
    assert np.all(np.isfinite(tr.probs)) and np.all(np.isfinite(tr.exp))
    np.testing.assert_allclose(tr.probs.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.abs(tr.logits), np.broadcast_to([1e4, 1e4, 0], (S, B, V)))
    for k in range(V):  # every target, including ones with probability exactly 0
        Y = np.zeros((S, B, V))
        Y[..., k] = 1.0
        ce = gru_core.cross_entropy(tr.probs, Y)
        assert np.isfinite(ce.loss)
        assert np.isfinite(gru_core.l2_loss(tr.probs, Y).loss)


# ------------------------------------------------------------ PyTorch state dict (no torch)

@FAST
@given(st.integers(2, 5), st.integers(1, 4), seeds)
def test_torch_state_dict_layout_and_round_trip(V, H, seed):
    rng = np.random.default_rng(seed)
    P = ref.random_params(V, H, rng)
    sd = gru_core.to_torch_state_dict(Params(**P))
    assert set(sd) >= {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
    np.testing.assert_array_equal(sd["weight_ih_l0"],
                                  np.concatenate([P["W_r"].T, P["W_z"].T, P["W_h"].T]))
    np.testing.assert_array_equal(sd["weight_hh_l0"],
                                  np.concatenate([P["U_r"].T, P["U_z"].T, P["U_h"].T]))
    np.testing.assert_array_equal(sd["bias_ih_l0"],
                                  np.concatenate([P["b_r"], P["b_z"], P["b_h"]]))
    np.testing.assert_array_equal(sd["bias_hh_l0"],
                                  np.concatenate([np.zeros(2 * H), P["b_hn"]]))
    assert sd["weight_ih_l0"].shape == (3 * H, V)
    assert sd["weight_hh_l0"].shape == (3 * H, H)
    back = gru_core.from_torch_state_dict(sd, P["W_y"], P["b_y"])
    for name in ref.PARAM_NAMES:
        np.testing.assert_array_equal(getattr(back, name), P[name], err_msg=name)


def test_from_torch_state_dict_sums_r_and_z_biases():
    V, H = 3, 2
    rng = np.random.default_rng(4)
    w_ih = rng.normal(size=(3 * H, V))
    w_hh = rng.normal(size=(3 * H, H))
    b_ih = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    b_hh = np.array([0.5, 0.25, -1.0, -2.0, 7.0, 8.0])
    sd = {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}
    W_y = rng.normal(size=(H, V))
    b_y = rng.normal(size=V)
    p = gru_core.from_torch_state_dict(sd, W_y, b_y)
    np.testing.assert_array_equal(p.W_r, w_ih[0:2].T)
    np.testing.assert_array_equal(p.W_z, w_ih[2:4].T)
    np.testing.assert_array_equal(p.W_h, w_ih[4:6].T)
    np.testing.assert_array_equal(p.U_r, w_hh[0:2].T)
    np.testing.assert_array_equal(p.U_z, w_hh[2:4].T)
    np.testing.assert_array_equal(p.U_h, w_hh[4:6].T)
    np.testing.assert_allclose(p.b_r, [1.5, 2.25])
    np.testing.assert_allclose(p.b_z, [2.0, 2.0])
    np.testing.assert_allclose(p.b_h, [5.0, 6.0])
    np.testing.assert_allclose(p.b_hn, [7.0, 8.0])
    np.testing.assert_array_equal(p.W_y, W_y)
    np.testing.assert_array_equal(p.b_y, b_y)


def test_torch_gru_matches_reset_after_update_keep():
    torch = pytest.importorskip("torch")
    S, B, V, H = 4, 3, 5, 3
    P, X, Y, h0 = make_case((S, B, V, H), seed=7)
    sd = gru_core.to_torch_state_dict(Params(**P))
    gru = torch.nn.GRU(V, H, batch_first=False).double()
    gru.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64))
                         for k, v in sd.items()})
    with torch.no_grad():
        out, h_n = gru(torch.from_numpy(X), torch.from_numpy(h0)[None])
    tr = run(P, X, h0, "after", "keep")
    np.testing.assert_allclose(tr.h, out.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(tr.h_last, h_n.numpy()[0], rtol=0, atol=1e-10)


# ------------------------------------------------------------ init_params and Params helpers

@FAST
@given(st.integers(2, 6), st.integers(1, 5), seeds)
def test_init_params_deterministic_and_in_range(V, H, seed):
    a = gru_core.init_params(V, H, seed=seed)
    b = gru_core.init_params(V, H, seed=seed)
    scale = 1 / np.sqrt(H)
    shapes = {"W_z": (V, H), "U_z": (H, H), "b_z": (H,), "W_r": (V, H), "U_r": (H, H),
              "b_r": (H,), "W_h": (V, H), "U_h": (H, H), "b_h": (H,), "W_y": (H, V),
              "b_y": (V,), "b_hn": (H,)}
    assert [n for n, _ in a.items()] == list(ref.PARAM_NAMES)
    for name, arr in a.items():
        assert arr.shape == shapes[name] and arr.dtype == np.float64, name
        np.testing.assert_array_equal(arr, getattr(b, name))
        if name.startswith("b_"):
            np.testing.assert_array_equal(arr, 0.0)
        else:
            assert np.all(np.abs(arr) <= scale), name
    assert (a.vocab_size, a.hidden_size) == (V, H)


def test_params_helpers_copy_and_replace():
    P = ref.random_params(3, 2, np.random.default_rng(0))
    p = Params(**P)
    d = p.as_dict()
    assert set(d) == set(ref.PARAM_NAMES)
    q = Params.from_dict(d)
    for name in ref.PARAM_NAMES:
        np.testing.assert_array_equal(getattr(q, name), P[name])
    c = p.copy()
    c.W_z[0, 0] += 1.0  # a deep copy: the original is untouched
    assert p.W_z[0, 0] == P["W_z"][0, 0]
    r = p.replace(b_y=np.ones(3))
    np.testing.assert_array_equal(r.b_y, np.ones(3))
    np.testing.assert_array_equal(p.b_y, P["b_y"])
    f32 = p.astype(np.float32)
    assert f32.dtype == np.float32 and f32.W_h.dtype == np.float32
