"""Training jobs with a lifecycle (ui/training.py): a server-wide limit on concurrent jobs, a
job that stops when its session ends, and a live loss curve whose size does not grow with the
run. Expected values come from gru_core and NumPy directly."""
from __future__ import annotations

import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import gru_core as gc
from app_helpers import ROOT, TIMEOUT, no_exception
from ui import registry, training

TRAIN = registry.get("training").file


def long_job() -> training.TrainJob:
    """A job that would run for minutes: the sonnets' first 20,000 characters, 500 epochs."""
    text = (ROOT / "data" / "sonnets.txt").read_text(encoding="utf-8")[:20_000]
    vocab = gc.Vocab.from_text(text)
    batches = gc.make_batches(vocab.encode(text), vocab.size, 16, 25, "streams")
    return training.TrainJob(gc.init_params(vocab.size, 16, seed=0), batches, vocab,
                             gc.TUTORIAL_CONFIG, training.Options(epochs=500), text_name="sonnets",
                             text_chars=len(text), start="random weights")


def test_the_server_runs_at_most_max_jobs_and_says_it_is_busy(monkeypatch):
    monkeypatch.setattr(training, "MAX_JOBS", 1)
    first = long_job().start()
    try:
        assert training.running_jobs() == 1
        with pytest.raises(training.Busy, match=r"busy: 1 training run.*at most 1"):
            long_job().start()
        # the Training page says so instead of starting a second job
        at = AppTest.from_file(str(ROOT / TRAIN), default_timeout=TIMEOUT).run()
        at.button(key="train_go").click().run()
        assert no_exception(at), at.exception
        assert any("The server is busy" in w.value for w in at.warning), [w.value for w in at.warning]
        assert "train_job" not in at.session_state and training.running_jobs() == 1
    finally:
        first.request_stop()
        assert first.wait(5)
    assert training.running_jobs() == 0
    second = long_job().start()                        # a place is free again
    second.request_stop()
    assert second.wait(5) and second.result.steps >= 1


class _Runtime:
    """Streamlit's runtime as a job sees it: which sessions are still active."""

    def __init__(self, active: set[str]):
        self.active = active

    def is_active_session(self, session_id: str) -> bool:
        return session_id in self.active


def test_a_job_stops_within_two_seconds_of_its_session_ending(monkeypatch):
    runtime = _Runtime({"alive"})
    monkeypatch.setattr(training.Runtime, "exists", staticmethod(lambda: True))
    monkeypatch.setattr(training.Runtime, "instance", staticmethod(lambda: runtime))
    job = long_job().start(session_id="alive")
    time.sleep(1.5)
    assert not job.done and not job.session_ended            # its session is still there
    runtime.active.clear()                                   # the tab is closed
    ended = time.perf_counter()
    assert job.wait(5)
    assert time.perf_counter() - ended < 2.0 and job.session_ended
    assert job.result.stopped and 0 < job.result.steps < job.total
    assert training.running_jobs() == 0


def test_the_live_curve_is_bounded_and_keeps_the_mean_of_each_stretch():
    job = long_job()
    losses = np.random.default_rng(0).random(10_001)
    for k, loss in enumerate(losses):
        job.progress(gc.Progress(0, k, k + 1, 10_001, float(loss), 0.0, 0.0))
    steps, curve = job.live_curve(points=400)
    assert steps.size == curve.size == 400 and steps[-1] == 10_001
    edges = np.linspace(0, 10_001, 401).astype(int)
    expected = [losses[a:b].mean() for a, b in zip(edges[:-1], edges[1:])]
    np.testing.assert_allclose(curve, expected, rtol=1e-12)
    short = long_job()
    for k in range(5):
        short.progress(gc.Progress(0, k, k + 1, 5, float(k), 0.0, 0.0))
    steps, curve = short.live_curve(points=400)
    assert list(steps) == [1, 2, 3, 4, 5] and list(curve) == [0, 1, 2, 3, 4]
