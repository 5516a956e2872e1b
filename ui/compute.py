"""Everything a page shows is computed here, by gru_core, once per input.

`get_run(settings)` is cached with a bounded st.cache_data over arrays (not figures): moving a
time-step or batch selector only redraws. Bad input raises `InputError` with a message for the
user; pages show it with `st.error` and stop.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

import gru_core as gc
from gru_core.params import TUTORIAL_ORDER

from .state import TEXT_LIMIT, Settings

CACHE_ENTRIES = 32


class InputError(ValueError):
    """Something the user typed or chose cannot run; the message says what would work."""


@dataclass
class Run:
    settings: Settings
    vocab: gc.Vocab
    ids: np.ndarray
    batches: gc.Batches
    params: gc.Params
    config: gc.GRUConfig
    traces: list                       # one gru_core.Trace per batch, state carried
    ce: list                           # gru_core CrossEntropy per batch
    l2: list                           # gru_core L2Loss per batch
    notes: list[str] = field(default_factory=list)   # what was adjusted, shown to the user
    weights_source: str = "random"

    @property
    def num_batches(self) -> int:
        return self.batches.num_batches


def effective_order(settings: Settings) -> tuple[str | None, list[str]]:
    """The order for Vocab.from_text; a custom order missing characters gets them appended."""
    if settings.order != "custom":
        return settings.order, []
    custom = "".join(dict.fromkeys(settings.custom_order))     # drop repeats
    missing = "".join(c for c in dict.fromkeys(settings.text) if c not in custom)
    notes = []
    if missing:
        notes.append(f"The custom order does not list {len(missing)} character(s) of the text; "
                     "they were added at the end in order of first appearance.")
    return (custom + missing) or None, notes


def validate_text(text: str) -> None:
    if len(text) > TEXT_LIMIT:
        raise InputError(f"The text has {len(text):,} characters; the limit is {TEXT_LIMIT:,}. "
                         "Shorten it (the Training page can learn from longer texts).")
    if not text.strip():
        raise InputError("The text is empty. Type at least two different characters, "
                         "for example `MathMathMathMathMath`.")


def choose_params(settings: Settings, vocab: gc.Vocab, trained) -> tuple[gc.Params, str, list[str]]:
    V, H = vocab.size, settings.hidden_size
    if settings.weights == "trained" and trained is not None:
        if trained.vocab_size == V and trained.hidden_size == H:
            return trained, "trained", []
        return (gc.init_params(V, H, seed=settings.seed), "random",
                ["The trained weights were made for another vocabulary or hidden size; "
                 "showing random weights. Train again on the Training page."])
    if settings.weights == "trained":
        return (gc.init_params(V, H, seed=settings.seed), "random",
                ["No trained weights yet: train on the Training page. Showing random weights."])
    if settings.weights == "tutorial":
        if vocab.chars == tuple(TUTORIAL_ORDER) and H == 2:
            return gc.tutorial_params(), "tutorial", []
        return (gc.init_params(V, H, seed=settings.seed), "random",
                [f"The tutorial's published weights fit its dictionary ('hatM') and hidden size 2; "
                 f"this text has {V} characters in another order and H={H}, so random weights "
                 f"(seed {settings.seed}) are shown."])
    return gc.init_params(V, H, seed=settings.seed), "random", []


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _compute(settings: Settings, trained_arrays: dict | None) -> Run:
    validate_text(settings.text)
    order, notes = effective_order(settings)
    try:
        vocab = gc.Vocab.from_text(settings.text, order)
        ids = vocab.encode(settings.text)
        batches = gc.make_batches(ids, vocab.size, settings.batch_size, settings.seq_len, settings.layout)
        config = gc.GRUConfig(settings.reset, settings.update)
        trained = gc.Params.from_dict(trained_arrays) if trained_arrays else None
        params, source, more = choose_params(settings, vocab, trained)
    except ValueError as err:
        raise InputError(f"This input cannot run: {err}.") from None
    traces = gc.run_batches(params, batches, config)
    ce = [gc.cross_entropy(tr.probs, Y) for tr, Y in zip(traces, batches.Y)]
    l2 = [gc.l2_loss(tr.probs, Y) for tr, Y in zip(traces, batches.Y)]
    return Run(settings, vocab, ids, batches, params, config, traces, ce, l2, notes + more, source)


def get_run(settings: Settings, trained: gc.Params | None = None) -> Run:
    """The whole forward run for these settings (cached). Raises InputError for bad input."""
    return _compute(settings, trained.as_dict() if trained is not None else None)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _grads(settings: Settings, trained_arrays: dict | None, n: int, loss: str):
    run = _compute(settings, trained_arrays)
    return gc.backward(run.params, run.traces[n], run.batches.Y[n], run.config, loss)


def get_grads(run: Run, n: int, loss: str = "ce", trained: gc.Params | None = None) -> gc.Grads:
    """BPTT gradients of batch n's loss (cached)."""
    return _grads(run.settings, trained.as_dict() if trained is not None else None, n, loss)
