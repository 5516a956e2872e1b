"""Numerical safety: nothing the app can show becomes NaN or infinite.

- gru_core.train with learning rates up to 10, SGD and Adam, clipping by value and by norm:
  parameters, loss history, gradient norms, every Trace field, both losses and every gradient
  of the trained model stay finite.
- softmax, cross-entropy and L2 stay finite (and probabilities sum to 1) for logits of ±1e4,
  made the way a diverging model would make them: a huge W_y and b_y.
- The Training page (AppTest), trained at its largest learning rate, shows no NaN or inf in
  any chart, metric or text, including the live progress line drawn before the first step.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
import threading

import numpy as np
import pytest

import gru_core as gc
from app_helpers import ROOT, decode, run_page

TEXT = "the quick brown fox jumps over the lazy dog. " * 6
TRAINING_PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*_Training*.py"))


def setup_data(text=TEXT, B=4, S=8, layout="streams"):
    vocab = gc.Vocab.from_text(text)
    return vocab, gc.make_batches(vocab.encode(text), vocab.size, B, S, layout)


def nonfinite(name: str, value) -> list[str]:
    """Names of the arrays / numbers in `value` that contain NaN or inf."""
    if value is None or isinstance(value, (str, bool, gc.GRUConfig)):
        return []
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in nonfinite(f"{name}.{k}", v)]
    if isinstance(value, (list, tuple)):
        return [n for i, v in enumerate(value) for n in nonfinite(f"{name}[{i}]", v)]
    arr = np.asarray(value)
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        return [name]
    return []


def trace_nonfinite(trace: gc.Trace) -> list[str]:
    return [n for f in dataclasses.fields(trace)
            for n in nonfinite(f"trace.{f.name}", getattr(trace, f.name))]


def grads_nonfinite(grads: gc.Grads) -> list[str]:
    bad = [n for name, g in grads.items() for n in nonfinite(f"grad.{name}", g)]
    for name in ("dh", "dx", "dlogits", "dh0", "da_z", "da_r", "da_h", "dh_prev_parts"):
        bad += nonfinite(f"grad.{name}", getattr(grads, name))
    for name in gc.PARAM_NAMES:
        bad += nonfinite(f"grad.per_step({name})", grads.per_step(name))
    return bad


def everything_nonfinite(params: gc.Params, batches: gc.Batches, config: gc.GRUConfig) -> list[str]:
    """Run the model over every batch the way the pages do and collect anything non-finite."""
    bad = nonfinite("params", params.as_dict())
    for n, trace in enumerate(gc.run_batches(params, batches, config)):
        bad += [f"batch {n}: {b}" for b in trace_nonfinite(trace)]
        ce = gc.cross_entropy(trace.probs, batches.Y[n])
        l2 = gc.l2_loss(trace.probs, batches.Y[n])
        bad += nonfinite(f"batch {n} ce", [ce.term1, ce.term2, ce.term3, ce.loss])
        bad += nonfinite(f"batch {n} l2", [l2.per_position, l2.per_step, l2.loss])
        for loss in gc.LOSSES:
            bad += [f"batch {n} {loss}: {b}"
                    for b in grads_nonfinite(gc.backward(params, trace, batches.Y[n], config, loss))]
        np.testing.assert_allclose(trace.probs.sum(axis=-1), 1.0, atol=1e-9)
    return bad


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("clip_kind, clip", [("value", 5.0), ("norm", 1.0), ("value", 100.0)])
@pytest.mark.parametrize("lr", [0.5, 3.0, 10.0])
def test_training_with_large_learning_rates_stays_finite(optimizer, clip_kind, clip, lr):
    vocab, batches = setup_data()
    config = gc.GRUConfig("after", "take") if optimizer == "adam" else gc.TUTORIAL_CONFIG
    params = gc.init_params(vocab.size, 8, seed=1)
    seen = []
    result = gc.train(params, batches, config, optimizer=optimizer, lr=lr, epochs=6,
                      clip=clip, clip_kind=clip_kind, loss="ce",
                      callback=lambda p: seen.append((p.loss, p.grad_norm)))
    assert result.steps > 0
    assert not nonfinite("history", result.history), result.history
    assert not nonfinite("epoch_losses", result.epoch_losses)
    assert not nonfinite("grad_norms", result.grad_norms)
    assert not nonfinite("callback", seen)
    bad = everything_nonfinite(result.params, batches, config)
    assert not bad, f"lr={lr} {optimizer} clip {clip_kind}={clip}: non-finite {bad[:10]}"


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_l2_training_at_lr_10_stays_finite(optimizer):
    vocab, batches = setup_data(B=2, S=5)
    params = gc.init_params(vocab.size, 4, seed=2)
    result = gc.train(params, batches, gc.TUTORIAL_CONFIG, optimizer=optimizer, lr=10.0, epochs=5,
                      clip=5.0, clip_kind="norm", loss="l2")
    assert not nonfinite("history", result.history)
    assert not everything_nonfinite(result.params, batches, gc.TUTORIAL_CONFIG)


def test_training_without_clipping_never_keeps_non_finite_weights():
    """Not required to converge: but if it blows up, train() stops with the last finite weights."""
    vocab, batches = setup_data()
    params = gc.init_params(vocab.size, 8, seed=3, scale=3.0)
    result = gc.train(params, batches, gc.TUTORIAL_CONFIG, optimizer="sgd", lr=10.0, epochs=10,
                      clip=None, clip_kind=None)
    assert not nonfinite("history", result.history)
    assert not nonfinite("params", result.params.as_dict())
    assert not everything_nonfinite(result.params, batches, gc.TUTORIAL_CONFIG)


@pytest.mark.parametrize("scale", [1e4, -1e4, 1e6])
@pytest.mark.parametrize("config", [gc.TUTORIAL_CONFIG, gc.GRUConfig("after", "take")])
def test_huge_output_weights_keep_softmax_and_losses_finite(scale, config):
    """W_y and b_y of ±scale: logits of about ±scale, one probability ~1, the rest exactly 0."""
    vocab, batches = setup_data(B=3, S=4)
    V, H = vocab.size, 5
    base = gc.init_params(V, H, seed=4)
    rng = np.random.default_rng(0)
    W_y = scale * np.sign(rng.standard_normal((H, V)))
    b_y = scale * np.sign(rng.standard_normal(V))
    params = base.replace(W_y=W_y, b_y=b_y)
    trace = gc.forward(params, batches.X[0], None, config)
    assert np.abs(trace.logits).max() >= abs(scale) * 0.5
    assert not trace_nonfinite(trace)
    np.testing.assert_allclose(trace.probs.sum(axis=-1), 1.0, atol=1e-12)
    ce = gc.cross_entropy(trace.probs, batches.Y[0])
    l2 = gc.l2_loss(trace.probs, batches.Y[0])
    assert math.isfinite(ce.loss) and math.isfinite(l2.loss)
    assert not nonfinite("ce", [ce.term1, ce.term2, ce.term3])
    assert ce.loss > 1.0                       # confidently wrong somewhere: large, not inf
    for loss in gc.LOSSES:
        assert not grads_nonfinite(gc.backward(params, trace, batches.Y[0], config, loss))


@pytest.mark.parametrize("logits", [
    [1e4, -1e4, 0.0],
    [-1e4, -1e4, -1e4],
    [1e4, 1e4, -1e4],
    [1e300, -1e300, 0.0],
])
def test_softmax_of_extreme_logits(logits):
    z = np.array([[logits]], dtype=float)            # (S=1, B=1, V=3)
    p = gc.softmax(z)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    for target in range(3):
        Y = np.array([[target]])
        assert math.isfinite(gc.cross_entropy(p, Y).loss)
        assert math.isfinite(gc.l2_loss(p, Y).loss)


def test_extreme_logits_and_every_target_cross_entropy_is_bounded():
    """log 0 is clipped: the loss of a certainly-wrong prediction is large but finite."""
    p = gc.softmax(np.array([[[1e4, -1e4]]]))
    loss = gc.cross_entropy(p, np.array([[1]])).loss
    assert math.isfinite(loss) and 100 < loss < 1000


# ------------------------------------------------------------------ the Training page

NAN_WORD = re.compile(r"(?<![A-Za-z])(nan|inf|-inf|infinity)(?![A-Za-z])", re.IGNORECASE)


def shown_texts(at) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "header",
                 "subheader", "text", "code", "latex"):
        out += [str(el.value) for el in at.get(kind)]
    for m in at.get("metric"):
        out += [str(m.proto.label), str(m.proto.body), str(m.proto.delta)]
    for p in at.get("progress"):
        out.append(str(p.proto.text))
    for df in at.get("dataframe"):
        out.append(df.value.to_string())
    return out


def chart_numbers(at) -> dict[str, np.ndarray]:
    out = {}
    for i, el in enumerate(at.get("plotly_chart")):
        spec = json.loads(el.proto.spec)
        for j, tr in enumerate(spec.get("data", [])):
            for axis in ("x", "y", "z"):
                if axis in tr:
                    try:
                        arr = np.asarray(decode(tr[axis]), dtype=float)
                    except (TypeError, ValueError):
                        continue                       # category labels
                    out[f"chart {i} ({el.proto.id[-30:]}) trace {j} {axis}"] = arr
    return out


def assert_no_nan_shown(at, when: str):
    assert not at.exception, f"{when}: {at.exception[0].message}"
    words = [t for t in shown_texts(at) if NAN_WORD.search(t)]
    assert not words, f"{when}: text shows NaN/inf: {words[:5]}"
    bad = [k for k, v in chart_numbers(at).items() if not np.all(np.isfinite(v))]
    assert not bad, f"{when}: charts plot NaN/inf: {bad[:5]}"


@pytest.fixture
def held_training(monkeypatch):
    """gru_core.train that waits for `release` before the first step: the page's first run after
    Train is then reliably drawn with zero steps done."""
    release = threading.Event()
    real = gc.train

    def held(*args, **kwargs):
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(gc, "train", held)
    yield release
    release.set()


def train_on_page(optimizer: str, clip_kind: str):
    """The Training page with a small model, its largest learning rate chosen."""
    at = run_page(TRAINING_PAGES[0], state={
        "text": TEXT, "batch_size": 4, "seq_len": 8, "hidden_size": 8, "weights": "random",
        "train_optimizer": optimizer, "train_clip_kind": clip_kind, "train_epochs": 3})
    assert_no_nan_shown(at, "before training")
    lr = at.select_slider(key="train_lr")
    lr.set_value(max(float(o) for o in lr.options)).run()
    assert not at.exception
    return at


def finish_training(at):
    job = at.session_state["train_job"] if "train_job" in at.session_state else None
    if job is not None:
        assert job.wait(60), "training did not finish within 60 s"
    at.run()


@pytest.mark.skipif(not TRAINING_PAGES, reason="no Training page yet")
@pytest.mark.parametrize("optimizer, clip_kind", [("sgd", "value"), ("adam", "norm"), ("sgd", "none")])
def test_training_page_at_its_largest_learning_rate_shows_no_nan(optimizer, clip_kind):
    at = train_on_page(optimizer, clip_kind)
    at.button(key="train_go").click().run()
    assert not at.exception
    finish_training(at)
    assert_no_nan_shown(at, "after training")
    trained = at.session_state["model"].params
    assert not nonfinite("trained params", trained.as_dict())
    assert at.session_state["model"].training.steps > 0


@pytest.mark.skipif(not TRAINING_PAGES, reason="no Training page yet")
def test_live_progress_before_the_first_step_shows_no_nan(held_training):
    at = train_on_page("sgd", "value")
    at.button(key="train_go").click().run()
    try:
        assert_no_nan_shown(at, "while training, before the first step")
    finally:
        held_training.set()
        finish_training(at)
