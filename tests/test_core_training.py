"""Training loop, optimizers, clipping and sampling of gru_core."""

import math

import numpy as np
import pytest

import gru_core
from gru_core import GRUConfig, Params, Vocab, make_batches

import reference_gru as ref

TEXT = "MathMathMathMathMath"


@pytest.fixture(scope="module")
def vocab():
    return Vocab.from_text(TEXT, order="hatM")


@pytest.fixture(scope="module")
def batches(vocab):
    return make_batches(vocab.encode(TEXT), vocab.size, batch_size=2, seq_len=3)


@pytest.fixture(scope="module")
def trained(vocab, batches):
    p0 = gru_core.init_params(vocab.size, 8, seed=1)
    return gru_core.train(p0, batches, GRUConfig(), optimizer="adam", lr=0.05, epochs=100)


def snapshot(params):
    return {name: np.array(arr, copy=True) for name, arr in params.items()}


def assert_same(params, snap):
    for name, arr in params.items():
        np.testing.assert_array_equal(arr, snap[name], err_msg=name)


def some_grads(seed=0, scale=2.0):
    """Real Grads from gru_core.backward on a small random problem."""
    rng = np.random.default_rng(seed)
    P = ref.random_params(4, 3, rng, scale=scale, bias_scale=scale)
    X, _ = ref.random_onehot(3, 2, 4, rng)
    Y, _ = ref.random_onehot(3, 2, 4, rng)
    params = Params(**P)
    tr = gru_core.forward(params, X)
    return params, gru_core.backward(params, tr, Y, loss="ce")


def global_norm(grads):
    return math.sqrt(sum(float(np.sum(np.asarray(a) ** 2)) for _, a in grads.items()))


# ------------------------------------------------------------ train()

@pytest.mark.parametrize("optimizer,lr", [("adam", 0.02), ("sgd", 0.5)])
def test_train_lowers_the_loss(vocab, batches, optimizer, lr):
    p0 = gru_core.init_params(vocab.size, 6, seed=0)
    res = gru_core.train(p0, batches, GRUConfig(), optimizer=optimizer, lr=lr, epochs=100)
    assert res.steps == 100 * batches.num_batches
    assert len(res.history) == res.steps
    assert len(res.epoch_losses) == 100
    assert res.stopped is False
    assert all(np.isfinite(res.history))
    assert res.epoch_losses[-1] < 0.7 * res.epoch_losses[0]
    # the first epoch's loss is the mean of its batch losses
    assert abs(res.epoch_losses[0] - np.mean(res.history[:3])) < 1e-9


def test_trained_model_has_low_loss(trained):
    # every character of MathMath... is determined by the previous one
    assert trained.epoch_losses[-1] < 0.2


@pytest.mark.parametrize("loss", ["l2"])
def test_train_with_l2_loss_and_norm_clipping(vocab, batches, loss):
    p0 = gru_core.init_params(vocab.size, 6, seed=3)
    res = gru_core.train(p0, batches, GRUConfig(reset="after", update="take"), lr=0.05,
                         epochs=60, loss=loss, clip=1.0, clip_kind="norm")
    assert res.epoch_losses[-1] < res.epoch_losses[0]


def test_train_does_not_mutate_input(vocab, batches):
    p0 = gru_core.init_params(vocab.size, 4, seed=2)
    snap = snapshot(p0)
    res = gru_core.train(p0, batches, lr=0.1, epochs=3)
    assert_same(p0, snap)
    assert any(not np.array_equal(a, snap[n]) for n, a in res.params.items())


def test_should_stop_stops_early(vocab, batches):
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) > 5

    p0 = gru_core.init_params(vocab.size, 4, seed=0)
    res = gru_core.train(p0, batches, epochs=10, should_stop=should_stop)
    assert res.stopped is True
    assert res.steps == 5  # checked before every step: 5 steps ran, the 6th check stopped it
    assert len(res.history) == 5


def test_should_stop_never_true_runs_everything(vocab, batches):
    p0 = gru_core.init_params(vocab.size, 4, seed=0)
    res = gru_core.train(p0, batches, epochs=2, should_stop=lambda: False)
    assert res.stopped is False and res.steps == 2 * batches.num_batches


def test_callback_receives_progress(vocab, batches):
    seen = []
    p0 = gru_core.init_params(vocab.size, 4, seed=0)
    res = gru_core.train(p0, batches, epochs=2, callback=seen.append)
    assert len(seen) == res.steps == 6
    steps = [p.step for p in seen]
    assert steps == list(range(steps[0], steps[0] + 6))
    assert all(p.total_steps == 6 for p in seen)
    assert [p.loss for p in seen] == pytest.approx(res.history)
    assert sorted({p.epoch for p in seen}) == sorted({seen[0].epoch, seen[0].epoch + 1})
    assert [p.batch for p in seen[:3]] == [p.batch for p in seen[3:]]
    assert len({p.batch for p in seen[:3]}) == 3


# ------------------------------------------------------------ clipping

def test_clip_by_value():
    _, g = some_grads()
    c = 0.01
    orig = snapshot(g)
    clipped, norm = gru_core.clip_by_value(g, c)
    assert abs(norm - global_norm(g)) < 1e-12
    assert any(np.abs(a).max() > c for a in orig.values())  # clipping is active
    for name, a in clipped.items():
        a = np.asarray(a)
        assert np.all(np.abs(a) <= c + 1e-15), name
        np.testing.assert_allclose(a, np.clip(orig[name], -c, c), rtol=0, atol=1e-15,
                                   err_msg=name)
    assert_same(g, orig)  # input not mutated


def test_clip_by_global_norm():
    _, g = some_grads()
    orig = snapshot(g)
    n0 = global_norm(g)
    c = n0 / 3
    clipped, norm = gru_core.clip_by_global_norm(g, c)
    assert abs(norm - n0) < 1e-12
    assert global_norm(clipped) <= c * (1 + 1e-12)
    assert abs(global_norm(clipped) - c) < 1e-9
    for name, a in clipped.items():  # same direction: a uniform rescale
        np.testing.assert_allclose(a, orig[name] * (c / n0), rtol=1e-10, atol=1e-15,
                                   err_msg=name)
    assert_same(g, orig)


def test_clip_by_global_norm_leaves_small_gradients_alone():
    _, g = some_grads()
    clipped, norm = gru_core.clip_by_global_norm(g, global_norm(g) * 2)
    for name, a in clipped.items():
        np.testing.assert_allclose(a, getattr(g, name), rtol=1e-12, atol=0)


# ------------------------------------------------------------ optimizers

def test_sgd_step_matches_hand_computation():
    params, g = some_grads(seed=1)
    snap_p, snap_g = snapshot(params), snapshot(g)
    new = gru_core.SGD(0.1).step(params, g)
    for name, p in params.items():
        np.testing.assert_allclose(getattr(new, name), p - 0.1 * getattr(g, name),
                                   rtol=1e-14, atol=1e-15, err_msg=name)
    assert_same(params, snap_p)
    assert_same(g, snap_g)


def test_adam_two_steps_match_hand_computation():
    params, g1 = some_grads(seed=2)
    _, g2 = some_grads(seed=3)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    opt = gru_core.Adam(lr)
    snap_p = snapshot(params)
    p1 = opt.step(params, g1)
    p2 = opt.step(p1, g2)
    assert_same(params, snap_p)
    for name, p in snap_p.items():
        a1, a2 = np.asarray(getattr(g1, name)), np.asarray(getattr(g2, name))
        m = (1 - b1) * a1
        v = (1 - b2) * a1 ** 2
        e1 = p - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
        # first Adam step moves every coordinate with nonzero gradient by ~lr
        moved = np.abs(a1) > 1e-3
        np.testing.assert_allclose(np.abs(e1 - p)[moved], lr, rtol=1e-4)
        np.testing.assert_allclose(getattr(p1, name), e1, rtol=0, atol=1e-9, err_msg=name)
        m = b1 * m + (1 - b1) * a2
        v = b2 * v + (1 - b2) * a2 ** 2
        e2 = e1 - lr * (m / (1 - b1 ** 2)) / (np.sqrt(v / (1 - b2 ** 2)) + eps)
        np.testing.assert_allclose(getattr(p2, name), e2, rtol=0, atol=1e-9, err_msg=name)


# ------------------------------------------------------------ sample()

def ref_next_dist(params, vocab, text, temperature=1.0):
    """Reference distribution after feeding `text` from h = 0."""
    P = {name: np.asarray(a) for name, a in params.items()}
    ids = [vocab.index[c] for c in text]
    X = ref.onehot(np.array(ids)[:, None], vocab.size)  # (L, 1, V)
    tr = ref.forward(P, X, None, reset="before", update="keep")
    logits = tr["logits"][-1, 0] / temperature
    return ref.softmax_row(logits)


def test_sample_reproducible_under_seed(vocab):
    p = gru_core.init_params(vocab.size, 4, seed=5, scale=0.3)
    a = gru_core.sample(p, vocab, "Ma", 30, seed=123)
    b = gru_core.sample(p, vocab, "Ma", 30, seed=123)
    assert a.text == b.text
    np.testing.assert_array_equal(a.ids, b.ids)
    assert len(a.text) == 30 and a.text == vocab.decode(a.ids)
    assert set(a.text) <= set(vocab.chars)


def test_different_seeds_can_differ(vocab):
    p = gru_core.init_params(vocab.size, 4, seed=5, scale=0.3)  # near-uniform predictions
    texts = {gru_core.sample(p, vocab, "M", 20, seed=s).text for s in range(10)}
    assert len(texts) > 1


def test_sample_dists_follow_fed_back_text(vocab):
    p = gru_core.init_params(vocab.size, 3, seed=7, scale=1.0)
    primer = "Mat"
    res = gru_core.sample(p, vocab, primer, 8, seed=4)
    assert np.asarray(res.dists).shape == (8, vocab.size)
    assert np.asarray(res.probs).shape == (8,)
    for k in range(8):
        expected = ref_next_dist(p, vocab, primer + res.text[:k])
        np.testing.assert_allclose(res.dists[k], expected, rtol=1e-10, atol=1e-12)
        assert res.probs[k] == pytest.approx(res.dists[k][res.ids[k]], rel=1e-12)


def test_sample_temperature_rescales_logits(vocab):
    # reading of the spec: temperature T samples from softmax(logits / T)
    p = gru_core.init_params(vocab.size, 3, seed=8, scale=1.0)
    res = gru_core.sample(p, vocab, "h", 5, temperature=0.5, seed=1)
    for k in range(5):
        expected = ref_next_dist(p, vocab, "h" + res.text[:k], temperature=0.5)
        np.testing.assert_allclose(res.dists[k], expected, rtol=1e-10, atol=1e-12)


def test_greedy_is_deterministic_and_picks_argmax(vocab):
    p = gru_core.init_params(vocab.size, 4, seed=9, scale=1.0)
    a = gru_core.sample(p, vocab, "Mat", 12, greedy=True, seed=1)
    b = gru_core.sample(p, vocab, "Mat", 12, greedy=True, seed=999)
    assert a.text == b.text
    for k in range(12):
        assert a.ids[k] == int(np.argmax(a.dists[k]))
        assert a.probs[k] == pytest.approx(np.max(a.dists[k]), rel=1e-12)


def test_greedy_after_training_continues_the_pattern(vocab, trained):
    res = gru_core.sample(trained.params, vocab, "Mat", 9, greedy=True)
    assert res.text == "hMathMath"


def test_sample_zero_characters(vocab):
    p = gru_core.init_params(vocab.size, 3, seed=0)
    res = gru_core.sample(p, vocab, "M", 0)
    assert res.text == "" and len(res.ids) == 0 and len(res.probs) == 0
