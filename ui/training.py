"""Training in the background, stopping it, and keeping what was trained (Training page).

Why a thread: a click in Streamlit reruns the page script and interrupts any loop running in it,
so a training loop inside the script would lose the weights of the interrupted run. Here
`gru_core.train` runs in a worker thread owned by a TrainJob kept in st.session_state:

    Train  -> TrainJob.start(): the thread runs gc.train(..., callback=job.progress,
              should_stop=job.should_stop) once over all epochs (one optimizer: Adam keeps its
              moments from the first step to the last)
    page   -> a fragment redraws st.progress and the growing loss curve every 0.5 s from the
              job's progress record (the thread itself never calls Streamlit)
    Stop   -> on_click `request_stop()` sets the job's stop flag (and st.session_state[STOP_KEY]);
              should_stop() is checked before every step, so gc.train returns the weights of
              every step done so far
    done   -> collect(): the result becomes the session's model (ui/store.py: what the sidebar's
              "trained" weights show on every page, what Gate explorer and sampling run), with
              the TrainingRecord of its runs in the model's `training`.

Lifecycle: a session runs at most one job; the server runs at most MAX_JOBS at once (the
environment variable GRU_LAB_MAX_JOBS, default 2: one per core of the machine the app was sized
on), a further Train says the server is busy; a job stops by itself after MAX_SECONDS, and
within SESSION_CHECK_SECONDS of its session ending (the tab closed: Streamlit's runtime no
longer lists the session as active).
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

import gru_core as gc

from . import store
from .compute import choose_weights
from .store import JOB_KEY, OUTCOME_KEY, REQUEST_KEY, STOP_KEY, Model, Settings

MAX_SECONDS = 300.0                # a run stops itself after this long
MAX_JOBS = max(1, int(os.environ.get("GRU_LAB_MAX_JOBS", "2")))   # jobs the server runs at once
SESSION_CHECK_SECONDS = 0.5        # how often a job asks whether its session still exists
LIVE_POINTS = 400                  # the live loss curve draws at most this many points
_running: set["TrainJob"] = set()  # the server's running jobs
_running_lock = threading.Lock()


def stretch_means(values, points: int) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of a per-step series (step 1 first), at most `points` of them: once there
    are more, the mean of each of `points` equal stretches of steps, at the stretch's last step."""
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if n <= points:
        return np.arange(1, n + 1), values
    edges = np.linspace(0, n, points + 1).astype(int)
    return edges[1:], np.add.reduceat(values, edges[:-1]) / np.diff(edges)


def _joined(before, new) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64) for a in (before, new) if a is not None]
                          or [np.zeros(0)])


class Busy(RuntimeError):
    """The server already runs MAX_JOBS jobs; the message says so, for the user."""


def running_jobs() -> int:
    with _running_lock:
        return len(_running)

SGD_TEX = r"\theta \leftarrow \theta - \eta\, g"
ADAM_TEX = (r"m \leftarrow \beta_1 m + (1-\beta_1)\, g,\quad v \leftarrow \beta_2 v + (1-\beta_2)\, g^2,"
            r"\quad \theta \leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \varepsilon}"
            r"\quad \big(\hat m = \tfrac{m}{1-\beta_1^{k}},\ \hat v = \tfrac{v}{1-\beta_2^{k}}\big)")
CLIP_TEX = {
    "value": r"g \leftarrow \min\big(\max(g, -c),\, c\big)\ \text{element by element}",
    "norm": r"g \leftarrow g \cdot \frac{c}{\max(c,\ \lVert g \rVert)},\quad \lVert g \rVert"
            r" = \sqrt{\textstyle\sum_{\text{all parameters}} g^2}",
    None: r"g\ \text{used as computed (no clipping)}",
}


@dataclass(frozen=True)
class Options:
    """How to train (the Training page's controls)."""

    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 20
    clip_kind: str | None = "value"
    clip: float = 5.0
    loss: str = "ce"

    def train_kwargs(self) -> dict:
        return dict(optimizer=self.optimizer, lr=self.lr, epochs=self.epochs, loss=self.loss,
                    clip_kind=self.clip_kind, clip=self.clip if self.clip_kind else None)


@dataclass(frozen=True)
class TrainingRecord:
    """How a model's weights were trained (the store's Model.training; the weights themselves,
    their vocabulary, convention and initial weights are the Model's).

    With "continue", runs accumulate: the model's `initial` stays the weights before the first
    run and the histories are joined; `run_steps` / `run_total` describe the latest run alone."""

    options: Options                # of the latest run
    text_name: str
    text_chars: int                  # characters trained on
    start: str                       # what the initial weights were
    batch_size: int
    seq_len: int
    layout: str
    num_batches: int
    # loss and ‖g‖ of every step of all runs, as float64 arrays (8 bytes a step, not a list)
    history: np.ndarray = field(default_factory=lambda: np.zeros(0))
    epoch_losses: list = field(default_factory=list)   # mean loss of each full epoch
    epoch_ends: list = field(default_factory=list)     # the step each of those epochs ended at
    grad_norms: np.ndarray = field(default_factory=lambda: np.zeros(0))
    run_steps: int = 0               # steps of the latest run
    run_total: int = 0               # steps the latest run planned
    runs: int = 1
    run_seconds: float = 0.0
    seconds: float = 0.0
    stopped: bool = False
    diverged: bool = False
    error: str = ""

    @property
    def steps(self) -> int:
        return len(self.history)


class TrainJob:
    """One gc.train call in a worker thread; progress and the result are read by the page."""

    def __init__(self, initial: gc.Params, batches: gc.Batches, vocab: gc.Vocab, config: gc.GRUConfig,
                 options: Options, *, text_name: str, text_chars: int, start: str, text_start: str = "",
                 previous: Model | None = None):
        self.initial, self.batches, self.vocab, self.config = initial, batches, vocab, config
        self.options, self.text_name, self.text_chars, self.start_label = options, text_name, text_chars, start
        self.text_start = text_start
        self.previous = previous             # continuing: the model these weights come from
        self.total = options.epochs * batches.num_batches
        self._stop = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._losses: list[float] = []
        self._last: gc.Progress | None = None
        self.result: gc.TrainResult | None = None
        self.error = ""
        self.t0 = 0.0
        self.seconds = 0.0
        self.thread: threading.Thread | None = None
        self.session_id: str | None = None   # the session that started it (None: no server)
        self.session_ended = False
        self._checked = 0.0

    # -- the worker thread (no Streamlit calls here)
    def start(self, session_id: str | None = None) -> "TrainJob":
        """Start the worker thread, or raise Busy when the server runs MAX_JOBS jobs."""
        with _running_lock:
            if len(_running) >= MAX_JOBS:
                raise Busy(f"The server is busy: {len(_running)} training run(s) are going on "
                           f"(at most {MAX_JOBS} at once). Try again in a moment.")
            _running.add(self)
        self.session_id = session_id
        self.t0 = self._checked = time.perf_counter()
        self.thread = threading.Thread(target=self._run, name="gru-train", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            self.result = gc.train(self.initial, self.batches, self.config, **self.options.train_kwargs(),
                                   callback=self.progress, should_stop=self.should_stop)
        except Exception as err:                       # shown on the page, never a traceback
            self.error = f"{type(err).__name__}: {err}"
        finally:
            self.seconds = time.perf_counter() - self.t0
            with _running_lock:
                _running.discard(self)
            self._done.set()

    def progress(self, p: gc.Progress) -> None:
        """gc.train's callback: record the step (the page draws it at most every 0.5 s)."""
        with self._lock:
            self._losses.append(p.loss)
            self._last = p

    def should_stop(self) -> bool:
        """gc.train's should_stop: the Stop button's flag, the time limit, or the session gone."""
        now = time.perf_counter()
        if self.session_id is not None and now - self._checked > SESSION_CHECK_SECONDS:
            self._checked = now
            if Runtime.exists() and not Runtime.instance().is_active_session(self.session_id):
                self.session_ended = True
                self._stop.set()
        return self._stop.is_set() or now - self.t0 > MAX_SECONDS

    # -- the page's side
    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def last_progress(self) -> gc.Progress | None:
        with self._lock:
            return self._last

    def live_curve(self, points: int = LIVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
        """(steps, losses) of the run so far, at most `points` of them (`stretch_means`), so the
        live chart's messages stay the same size however long the run."""
        with self._lock:
            losses = np.asarray(self._losses, dtype=np.float64)
        return stretch_means(losses, points)

    def elapsed(self) -> float:
        return self.seconds if self.done else time.perf_counter() - self.t0

    def model(self) -> Model:
        """The finished job as the store's Model, joined to the previous one when continuing."""
        r, b, prev_model = self.result, self.batches, self.previous
        prev = prev_model.training if prev_model is not None else None
        done = 0 if r is None else r.steps
        before = prev.steps if prev else 0
        new_ends = [before + (i + 1) * b.num_batches for i in range(len(r.epoch_losses) if r else 0)]
        timed_out = r is not None and r.stopped and not self._stop.is_set()
        error = self.error or ("training did not finish" if r is None else "")
        if timed_out:
            error = f"stopped after {MAX_SECONDS:.0f} s"
        record = TrainingRecord(
            options=self.options, text_name=self.text_name, text_chars=self.text_chars,
            start=prev.start if prev else self.start_label,
            batch_size=b.batch_size, seq_len=b.seq_len, layout=b.layout, num_batches=b.num_batches,
            history=_joined(prev.history if prev else None, r.history if r else None),
            epoch_losses=(prev.epoch_losses if prev else []) + (list(r.epoch_losses) if r else []),
            epoch_ends=(prev.epoch_ends if prev else []) + new_ends,
            grad_norms=_joined(prev.grad_norms if prev else None, r.grad_norms if r else None),
            run_steps=done, run_total=self.total, runs=(prev.runs + 1) if prev else 1,
            run_seconds=self.seconds,
            seconds=(prev.seconds if prev else 0.0) + self.seconds,
            stopped=bool(r and r.stopped), diverged=bool(r and r.diverged), error=error)
        return Model(r.params if r is not None else self.initial, self.vocab.chars, self.config,
                     "trained", f"trained on {self.text_name}",
                     initial=prev_model.initial if prev_model else self.initial,
                     text_start=self.text_start, training=record)


# ---------------------------------------------------------------- session state

def current_job() -> TrainJob | None:
    return st.session_state.get(JOB_KEY)


def start(job: TrainJob) -> None:
    """Start `job` for this session (raises Busy when the server is at its limit)."""
    ctx = get_script_run_ctx()
    job.start(ctx.session_id if ctx is not None and Runtime.exists() else None)
    st.session_state[STOP_KEY] = False
    st.session_state[JOB_KEY] = job


def request_training() -> None:
    """The Train button's on_click: the page starts a job in this run, before drawing the buttons
    (so Train already shows as disabled and Stop as enabled)."""
    st.session_state[REQUEST_KEY] = True


def request_stop() -> None:
    """The Stop button's on_click: set the flag that the running job's should_stop() reads."""
    st.session_state[STOP_KEY] = True
    job = current_job()
    if job is not None:
        job.request_stop()


def collect(wait: float = 5.0) -> Model | None:
    """If the job has finished (or was asked to stop: wait for it), make its weights the session's
    model (when it made at least one step); return it, also kept as the outcome of the last
    click of Train."""
    job = current_job()
    if job is None:
        return None
    if not job.done and job.stop_requested:
        job.wait(wait)
    if not job.done:
        return None
    model = job.model()
    del st.session_state[JOB_KEY]
    if model.training.run_steps:
        store.set_model(model)
    st.session_state[OUTCOME_KEY] = model
    return model


def show_everywhere() -> None:
    """on_click of "Show trained weights on every page": the sidebar's weights radio -> trained."""
    st.session_state["weights"] = "trained"


# ---------------------------------------------------------------- which weights

def fresh_params(settings: Settings, vocab: gc.Vocab) -> tuple[gc.Params, str]:
    """The weights training starts from: the sidebar's choice (tutorial if it fits, else random
    with the sidebar's seed) for this vocabulary and the sidebar's H."""
    s = settings if settings.weights != "trained" else replace(settings, weights="random")
    params, source, _ = choose_weights(s, vocab)
    what = "the tutorial's published weights" if source == "tutorial" else \
        f"random weights (seed {settings.seed})"
    return params, what


def compatible(model: Model | None, vocab: gc.Vocab, hidden_size: int,
               config: gc.GRUConfig | None = None) -> bool:
    """Whether these weights fit a vocabulary and H (and, if given, the convention)."""
    return (model is not None and model.fits(vocab.chars, hidden_size)
            and (config is None or model.config == config))


def weights_for_text(text: str, which: str, settings: Settings, own_vocab: gc.Vocab):
    """(params, vocab, config, note) for running the session's model over `text`.

    which = "trained": the model's weights with their vocabulary (the text may use any subset
    of it). which = "initial": if the text fits the model's vocabulary and the model knows its
    initial weights, those (so before and after compare); else fresh weights for the text's own
    vocabulary.
    """
    model = store.model()
    if model is not None and model.chars is None:
        model = None                              # no vocabulary: cannot read a text
    fits = model is not None and set(text) <= set(model.chars)
    if which == "trained" and model is not None:
        note = "" if fits else "not-in-vocab"
        return model.params, model.vocab, model.config, note
    if fits and model.initial is not None:
        return model.initial, model.vocab, model.config, "initial-of-trained"
    params, what = fresh_params(settings, own_vocab)
    return params, own_vocab, settings.config, what
