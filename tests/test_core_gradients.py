"""Analytic BPTT gradients of gru_core vs finite differences of the *reference*
loss (tests/reference_gru.py), and gru_core.forward vs the reference forward.

Every expected number comes from the naive reference implementation; gru_core
is only ever the code under test.
"""

import itertools
import zlib

import numpy as np
import pytest

import gru_core
from gru_core import GRUConfig, Params

import reference_gru as ref

RESETS = ("before", "after")
UPDATES = ("keep", "take")
LOSSES = ("ce", "l2")
CONFIGS = list(itertools.product(RESETS, UPDATES, LOSSES))
# (S, B, V, H): includes B=1, S=1 and H=1
SHAPES = [(3, 2, 4, 3), (1, 1, 3, 1), (4, 1, 2, 2), (2, 3, 5, 1)]
TOL = 1e-6


def seed_of(*parts):
    return zlib.crc32(repr(parts).encode())


def make_case(S, B, V, H, seed):
    rng = np.random.default_rng(seed)
    P = ref.random_params(V, H, rng)
    X, _ = ref.random_onehot(S, B, V, rng)
    Y, _ = ref.random_onehot(S, B, V, rng)
    h0 = rng.uniform(-0.9, 0.9, (B, H))
    return P, X, Y, h0


def engine_grads(P, X, Y, h0, reset, update, loss):
    cfg = GRUConfig(reset=reset, update=update)
    tr = gru_core.forward(Params(**P), X, h0, cfg)
    return gru_core.backward(Params(**P), tr, Y, cfg, loss=loss)


def ref_loss_fn(P, X, Y, h0, reset, update, loss, offsets=None):
    return lambda: ref.loss_of(P, X, Y, h0, reset=reset, update=update, loss=loss,
                               offsets=offsets)


# ------------------------------------------------------------ parameter gradients

@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "S%dB%dV%dH%d" % s)
@pytest.mark.parametrize("reset,update,loss", CONFIGS)
def test_param_gradients_match_finite_differences(shape, reset, update, loss):
    S, B, V, H = shape
    P, X, Y, h0 = make_case(S, B, V, H, seed=seed_of(shape, reset, update, loss))
    g = engine_grads(P, X, Y, h0, reset, update, loss)
    f = ref_loss_fn(P, X, Y, h0, reset, update, loss)
    for name in ref.PARAM_NAMES:
        analytic = np.asarray(getattr(g, name))
        assert analytic.shape == P[name].shape, name
        numeric = ref.numerical_gradient(f, P[name])
        err = ref.rel_error(analytic, numeric)
        assert err < TOL, "%s: rel error %.3g\nanalytic=%s\nnumeric=%s" % (
            name, err, analytic, numeric)


def test_b_hn_gradient_is_zero_for_reset_before():
    P, X, Y, h0 = make_case(3, 2, 4, 3, seed=11)
    g = engine_grads(P, X, Y, h0, "before", "keep", "ce")
    np.testing.assert_array_equal(g.b_hn, np.zeros(3))


def test_grads_items_and_as_params():
    P, X, Y, h0 = make_case(2, 2, 3, 2, seed=5)
    g = engine_grads(P, X, Y, h0, "after", "keep", "ce")
    items = list(g.items())
    assert [n for n, _ in items] == list(ref.PARAM_NAMES)
    gp = g.as_params()
    for name, arr in items:
        np.testing.assert_array_equal(getattr(gp, name), arr)


# ------------------------------------------------------------ per-step contributions

@pytest.mark.parametrize("reset,update,loss",
                         [("before", "keep", "ce"), ("after", "take", "l2"),
                          ("after", "keep", "ce")])
def test_per_step_sums_to_total_and_matches_untied_fd(reset, update, loss):
    S, B, V, H = 3, 2, 3, 2
    P, X, Y, h0 = make_case(S, B, V, H, seed=21)
    g = engine_grads(P, X, Y, h0, reset, update, loss)
    # per_step(name)[t] is the gradient w.r.t. the copy of the parameter used at
    # step t when every step gets its own copy ("untied" weights).
    Pu = ref.untie(P, S)
    f = ref_loss_fn(Pu, X, Y, h0, reset, update, loss)
    for name in ref.PARAM_NAMES:
        ps = np.asarray(g.per_step(name))
        assert ps.shape == (S,) + P[name].shape, name
        np.testing.assert_allclose(ps.sum(axis=0), getattr(g, name), rtol=1e-10,
                                   atol=1e-13, err_msg=name)
        for t in range(S):
            numeric = ref.numerical_gradient(f, Pu[t][name])
            err = ref.rel_error(ps[t], numeric)
            assert err < TOL, "%s step %d: rel error %.3g" % (name, t, err)


# ------------------------------------------------------------ gradients w.r.t. h0, X, internals

STATE_CONFIGS = [("before", "keep", "ce"), ("after", "keep", "ce"),
                 ("before", "take", "l2"), ("after", "take", "ce")]


@pytest.mark.parametrize("reset,update,loss", STATE_CONFIGS)
def test_dh0_and_dx_match_finite_differences(reset, update, loss):
    S, B, V, H = 3, 2, 4, 3
    P, X, Y, h0 = make_case(S, B, V, H, seed=31)
    g = engine_grads(P, X, Y, h0, reset, update, loss)
    h0_var = h0.copy()
    num_h0 = ref.numerical_gradient(ref_loss_fn(P, X, Y, h0_var, reset, update, loss), h0_var)
    assert np.asarray(g.dh0).shape == (B, H)
    assert ref.rel_error(g.dh0, num_h0) < TOL
    X_var = X.copy()
    num_x = ref.numerical_gradient(ref_loss_fn(P, X_var, Y, h0, reset, update, loss), X_var)
    assert np.asarray(g.dx).shape == (S, B, V)
    assert ref.rel_error(g.dx, num_x) < TOL


@pytest.mark.parametrize("reset,update,loss", STATE_CONFIGS)
def test_internal_gradients_match_finite_differences(reset, update, loss):
    S, B, V, H = 3, 2, 4, 2
    P, X, Y, h0 = make_case(S, B, V, H, seed=41)
    g = engine_grads(P, X, Y, h0, reset, update, loss)
    for key, attr, width in (("h", "dh", H), ("logits", "dlogits", V),
                             ("z_pre", "da_z", H), ("r_pre", "da_r", H),
                             ("h_pre", "da_h", H)):
        off = np.zeros((S, B, width))
        numeric = ref.numerical_gradient(
            ref_loss_fn(P, X, Y, h0, reset, update, loss, offsets={key: off}), off)
        analytic = np.asarray(getattr(g, attr))
        assert analytic.shape == (S, B, width), attr
        err = ref.rel_error(analytic, numeric)
        assert err < TOL, "%s: rel error %.3g" % (attr, err)


@pytest.mark.parametrize("reset,update,loss", STATE_CONFIGS)
def test_dh_prev_parts_sum_to_gradient_into_h_prev(reset, update, loss):
    S, B, V, H = 3, 2, 4, 2
    P, X, Y, h0 = make_case(S, B, V, H, seed=51)
    g = engine_grads(P, X, Y, h0, reset, update, loss)
    parts = g.dh_prev_parts
    assert set(parts) == {"direct", "via_z", "via_r", "via_h"}
    total = sum(np.asarray(parts[k]) for k in parts)
    assert total.shape == (S, B, H)
    off = np.zeros((S, B, H))
    numeric = ref.numerical_gradient(
        ref_loss_fn(P, X, Y, h0, reset, update, loss, offsets={"carry": off}), off)
    assert ref.rel_error(total, numeric) < TOL
    # step 0's h_prev is h0
    np.testing.assert_allclose(total[0], g.dh0, rtol=1e-10, atol=1e-13)
    # for t >= 1: dL/dh_{t-1} = (output layer at t-1) + (what flows back from step t)
    W_y = P["W_y"]
    for t in range(1, S):
        np.testing.assert_allclose(np.asarray(g.dlogits)[t - 1] @ W_y.T + total[t],
                                   np.asarray(g.dh)[t - 1], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("reset,update", list(itertools.product(RESETS, UPDATES)))
def test_each_dh_prev_part_is_its_own_path(reset, update):
    # Reading of the spec: "direct" is the path through the interpolation
    # (z*h_prev or (1-z)*h_prev), "via_z"/"via_r" through h_prev U_z / h_prev U_r,
    # "via_h" through the candidate's use of h_prev.
    S, B, V, H = 2, 2, 3, 2
    P, X, Y, h0 = make_case(S, B, V, H, seed=61)
    g = engine_grads(P, X, Y, h0, reset, update, "ce")
    for part, key in (("direct", "carry_direct"), ("via_z", "carry_z"),
                      ("via_r", "carry_r"), ("via_h", "carry_h")):
        off = np.zeros((S, B, H))
        numeric = ref.numerical_gradient(
            ref_loss_fn(P, X, Y, h0, reset, update, "ce", offsets={key: off}), off)
        err = ref.rel_error(g.dh_prev_parts[part], numeric)
        assert err < TOL, "%s: rel error %.3g" % (part, err)


# ------------------------------------------------------------ gru_core.gradient_check

@pytest.mark.parametrize("reset,update,loss", [("before", "keep", "ce"),
                                               ("after", "take", "l2")])
def test_gradient_check_reports_small_errors(reset, update, loss):
    S, B, V, H = 3, 2, 4, 3
    P, X, Y, h0 = make_case(S, B, V, H, seed=71)
    errs = gru_core.gradient_check(Params(**P), X, Y, h0, GRUConfig(reset, update), loss=loss)
    assert set(errs) == set(ref.PARAM_NAMES)
    for name, e in errs.items():
        assert np.isfinite(e) and e < 1e-6, (name, e)


# ------------------------------------------------------------ forward vs reference

TRACE_FIELDS = ["x", "h_prev", "z_in", "z_rec", "z_bias", "z_pre", "z",
                "r_in", "r_rec", "r_bias", "r_pre", "r",
                "h_in", "h_rec", "h_bias", "h_pre", "h_tilde",
                "r_h_prev", "h_prev_U_h", "one_minus_z", "h_from_prev",
                "h_from_tilde", "h", "logits", "probs"]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "S%dB%dV%dH%d" % s)
@pytest.mark.parametrize("reset,update", list(itertools.product(RESETS, UPDATES)))
def test_forward_matches_reference(shape, reset, update):
    S, B, V, H = shape
    P, X, Y, h0 = make_case(S, B, V, H, seed=seed_of(shape, reset, update, "fw"))
    cfg = GRUConfig(reset=reset, update=update)
    tr = gru_core.forward(Params(**P), X, h0, cfg)
    exp = ref.forward(P, X, h0, reset=reset, update=update)
    for field in TRACE_FIELDS:
        got = np.asarray(getattr(tr, field))
        assert got.shape == exp[field].shape, (field, got.shape, exp[field].shape)
        np.testing.assert_allclose(got, exp[field], rtol=1e-12, atol=1e-14, err_msg=field)
    lg = exp["logits"]
    np.testing.assert_allclose(tr.logits_max, lg.max(axis=-1), rtol=0, atol=1e-14)
    e = np.exp(lg - lg.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(tr.exp, e, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tr.exp_sum, e.sum(axis=-1), rtol=1e-12)
    np.testing.assert_allclose(tr.h0, h0, rtol=0, atol=0)
    np.testing.assert_allclose(tr.h_last, exp["h"][-1], rtol=1e-12, atol=1e-14)
    assert tr.config == cfg
    # the losses agree with the reference losses
    ce = gru_core.cross_entropy(tr.probs, Y)
    assert abs(ce.loss - ref.cross_entropy(exp["probs"], Y)) < 1e-12
    l2 = gru_core.l2_loss(tr.probs, Y)
    assert abs(l2.loss - ref.l2_loss(exp["probs"], Y)) < 1e-12
    assert np.asarray(l2.per_position).shape == (S, B)


def test_l2_loss_parts():
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(4), size=(3, 2))
    Y, ids = ref.random_onehot(3, 2, 4, rng)
    out = gru_core.l2_loss(p, Y)
    per_pos = 0.5 * ((p - Y) ** 2).sum(axis=-1)
    np.testing.assert_allclose(out.per_position, per_pos, rtol=1e-12)
    assert abs(out.loss - per_pos.mean()) < 1e-14
    # per_step read as the mean over the batch (like cross-entropy's term3),
    # so that loss == mean(per_step) == mean over all S*B positions.
    np.testing.assert_allclose(out.per_step, per_pos.mean(axis=1), rtol=1e-12)
    assert abs(out.loss - ref.l2_loss(p, Y)) < 1e-14
    out_ids = gru_core.l2_loss(p, ids)
    assert abs(out_ids.loss - out.loss) < 1e-14


def test_default_h0_is_zero():
    P, X, Y, h0 = make_case(2, 2, 3, 2, seed=81)
    tr = gru_core.forward(Params(**P), X)
    exp = ref.forward(P, X, None, reset="before", update="keep")
    np.testing.assert_allclose(tr.h, exp["h"], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(tr.h0, np.zeros((2, 2)))
    assert tr.config == GRUConfig()


@pytest.mark.parametrize("reset,update", list(itertools.product(RESETS, UPDATES)))
def test_forward_with_clamps_matches_reference(reset, update):
    S, B, V, H = 3, 2, 4, 3
    P, X, Y, h0 = make_case(S, B, V, H, seed=91)
    cz = np.array([np.nan, 0.25, np.nan])
    cr = np.array([0.0, np.nan, 1.0])
    tr = gru_core.forward(Params(**P), X, h0, GRUConfig(reset, update), clamp_z=cz, clamp_r=cr)
    exp = ref.forward(P, X, h0, reset=reset, update=update, clamp_z=cz, clamp_r=cr)
    for field in ("z", "r", "h_tilde", "h", "probs"):
        np.testing.assert_allclose(getattr(tr, field), exp[field], rtol=1e-12, atol=1e-14,
                                   err_msg=field)
    assert np.all(np.asarray(tr.z)[:, :, 1] == 0.25)
    assert np.all(np.asarray(tr.r)[:, :, 0] == 0.0)
