"""The engine's shortcuts compute exactly what the plain formulas compute.

- one-hot targets: the losses read ŷ at the target ids instead of multiplying by Y;
- one-hot inputs are recognised (and anything else is not);
- one-hot inputs: weight gradients sum rows per id instead of x_oneᵀ @ rows;
- memory: small runs get fresh arrays, large runs reuse a pooled block.
"""
import numpy as np
import pytest

import gru_core as gc
from gru_core.backward import sum_rows_by_id
from gru_core.gru import one_hot_ids
from gru_core.losses import safe_log
from gru_core import memory


def probs_and_targets(S=4, B=3, V=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(S, B, V)) * 3
    probs = gc.softmax(logits).astype(dtype)
    probs[0, 0] = 0.0                      # an exact zero probability (log clipped)
    probs[0, 0, 1] = 1.0
    ids = rng.integers(0, V, (S, B))
    ids[0, 0] = 2                          # the target has probability 0
    return probs, ids


def plain_ce(probs, Y):
    """The tutorial's three terms with Y as a dense array."""
    term2 = (Y * safe_log(probs)).sum(axis=-1)
    return float((-term2.mean(axis=-1)).mean())


def plain_dlogits(probs, Y):
    return (probs * Y.sum(axis=-1, keepdims=True) - Y) / (probs.shape[0] * probs.shape[1])


TARGET_KINDS = ["float one-hot", "float32 one-hot", "bool one-hot", "int one-hot", "ids"]


def targets(ids, V, kind):
    Y = gc.one_hot(ids, V)
    return {"float one-hot": Y, "float32 one-hot": Y.astype(np.float32), "bool one-hot": Y.astype(bool),
            "int one-hot": Y.astype(np.int64), "ids": ids}[kind]


def probs_targets_dense(kind, dtype):
    """Probabilities, targets of the given kind, and the same targets as a dense one-hot."""
    probs, ids = probs_and_targets(dtype=dtype)
    Y = targets(ids, probs.shape[-1], kind)
    return probs, Y, gc.one_hot(ids, probs.shape[-1], dtype=probs.dtype) if kind == "ids" else Y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_loss_from_target_ids_equals_the_three_terms(kind, dtype):
    probs, Y, dense = probs_targets_dense(kind, dtype)
    expected = plain_ce(probs, dense)
    assert gc.batch_loss(probs, Y, "ce") == expected               # bit for bit
    assert gc.cross_entropy(probs, Y).loss == expected


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_dlogits_from_target_ids_equals_the_formula(kind, dtype):
    probs, Y, dense = probs_targets_dense(kind, dtype)
    got = gc.losses.dlogits(probs, Y, "ce")
    expected = plain_dlogits(probs, dense)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_soft_targets_still_use_the_formulas():
    probs, ids = probs_and_targets()
    rng = np.random.default_rng(1)
    Y = rng.dirichlet(np.ones(probs.shape[-1]), probs.shape[:2])
    assert gc.batch_loss(probs, Y, "ce") == plain_ce(probs, Y)
    np.testing.assert_array_equal(gc.losses.dlogits(probs, Y, "ce"), plain_dlogits(probs, Y))


def test_out_of_range_ids_are_not_taken_as_targets():
    probs, ids = probs_and_targets()
    assert gc.losses.target_ids(ids, probs) is not None
    assert gc.losses.target_ids(ids + probs.shape[-1], probs) is None   # left to one_hot, as before


@pytest.mark.parametrize("bad", ["nan", "inf", "negative"])
def test_bad_probabilities_still_raise(bad):
    probs, ids = probs_and_targets()
    probs[1, 2, 3] = {"nan": np.nan, "inf": np.inf, "negative": -0.1}[bad]
    with pytest.raises(ValueError, match="finite and non-negative"):
        gc.batch_loss(probs, ids)


def test_one_hot_ids_recognises_exactly_one_hot_rows():
    ids = np.array([[0, 3], [2, 1]])
    X = gc.one_hot(ids, 4)
    np.testing.assert_array_equal(one_hot_ids(X), ids)
    np.testing.assert_array_equal(one_hot_ids(-0.0 * (1 - X) + X), ids)   # -0.0 is a zero
    not_one_hot = []
    for change in [(0, 0, 1, 1.0),      # two ones in a row
                   (0, 0, 0, 0.5),      # largest entry not 1
                   (0, 0, 2, -1.0),     # an extra non-zero entry
                   (0, 0, 0, np.nan),
                   (0, 0, 0, 0.0)]:     # a row of zeros
        Z = X.copy()
        Z[change[:3]] = change[3]
        not_one_hot.append(Z)
    Z = X.copy()
    Z[0, 0, 0], Z[0, 1, 0] = 0.0, 1.0   # one row empty, another with two ones: counts match
    not_one_hot.append(Z)
    for Z in not_one_hot:
        assert one_hot_ids(Z) is None, Z


def test_forward_treats_one_hot_and_dense_inputs_alike():
    p = gc.init_params(5, 3, seed=2, scale=1.0)
    ids = np.random.default_rng(3).integers(0, 5, (4, 2))
    X = gc.one_hot(ids, 5)
    for tr in (gc.forward(p, X, record="train"), gc.forward(p, ids, record="train")):
        np.testing.assert_array_equal(tr.x_ids, ids)
    X_dense = X * 0.999
    tr = gc.forward(p, X_dense, record="train")
    assert tr.x_ids is None
    np.testing.assert_allclose(tr.h, gc.forward(p, X_dense).h, rtol=0, atol=0)


@pytest.mark.parametrize("n_rows", [5, 3000])      # np.add.at, and sorted groups
@pytest.mark.parametrize("stacked", [False, True])  # rows (m, w), or (k, m, w) as in backward
def test_sum_rows_by_id_equals_add_at(n_rows, stacked):
    rng = np.random.default_rng(n_rows)
    ids = rng.integers(0, 7, n_rows)
    ids[ids == 5] = 4                               # an id that never occurs
    rows = rng.normal(size=(3, n_rows, 6))[:, :, :5]  # column slices
    expected = np.zeros((3, 7, 5))
    for k in range(3):
        np.add.at(expected[k], ids, rows[k])
    if not stacked:
        rows, expected = rows[1], expected[1]
    np.testing.assert_array_equal(sum_rows_by_id(ids, rows, 7), expected)


def test_small_runs_get_fresh_memory_and_large_runs_reuse_the_pool(monkeypatch):
    monkeypatch.setattr(memory, "_pool", [])
    small_shape = (4, memory.SMALL_BYTES // 64)     # a quarter of SMALL_BYTES in float64
    a, = memory.empty_arrays(np.float64, small_shape)
    assert not any(block is a.base for block in memory._pool)
    big_shape = (2, memory.SMALL_BYTES // 8)        # 2 * SMALL_BYTES
    b, = memory.empty_arrays(np.float64, big_shape)
    if not memory._CAN_POOL:
        pytest.skip("no pooling on a free-threaded Python")
    assert [block is b.base for block in memory._pool] == [True]
    block_id = id(b.base)                           # (a reference to it would keep it in use)
    del b
    c, = memory.empty_arrays(np.float64, big_shape)
    assert id(c.base) == block_id                   # the same block, reused once unused
    d, = memory.empty_arrays(np.float64, big_shape)
    assert id(d.base) != block_id                   # in use: not handed out twice


@pytest.mark.parametrize("config", [gc.GRUConfig(r, u) for r in gc.RESETS for u in gc.UPDATES], ids=str)
def test_training_path_at_a_pooled_size_matches_the_full_trace(config):
    """B16 S20 V30 H24: pooled memory (run twice, so the second run reuses it), per-id row sums
    by sorted groups, and backward on both traces (the training path's and the display's)."""
    S, B, V, H = 20, 16, 30, 24
    rng = np.random.default_rng(5)
    params = gc.init_params(V, H, seed=4, scale=1.0).replace(
        b_z=rng.normal(size=H), b_r=rng.normal(size=H), b_h=rng.normal(size=H),
        b_hn=rng.normal(size=H), b_y=rng.normal(size=V))
    X = gc.one_hot(rng.integers(0, V, (S, B)), V)
    Y = gc.one_hot(rng.integers(0, V, (S, B)), V)
    full = gc.forward(params, X, None, config)
    g_full = gc.backward(params, full, Y)
    for _ in range(2):
        lean = gc.forward(params, X, None, config, record="train")
        g_lean = gc.backward(params, lean, Y)
        for name in ("h", "z" if config.update == "keep" else "one_minus_z", "probs"):
            np.testing.assert_array_equal(getattr(lean, name), getattr(full, name), err_msg=name)
        for (name, a), (_, b) in zip(g_full.items(), g_lean.items()):
            np.testing.assert_array_equal(a, b, err_msg=name)
        for name in ("da_z", "da_r", "da_h", "dq", "dh", "dh0", "dlogits"):
            np.testing.assert_array_equal(getattr(g_lean, name), getattr(g_full, name), err_msg=name)
        assert gc.batch_loss(lean.probs, Y) == gc.cross_entropy(full.probs, Y).loss
