"""Generating text: feed a primer, then sample one character at a time and feed it back.

    p = softmax(logits / T)      T = temperature (T -> 0 is greedy, T > 1 flatter)
    c_{k+1} ~ p,  then x = one_hot(c_{k+1}) is the next input (the tutorials' samplers forget this)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gru import TUTORIAL_CONFIG, GRUConfig, forward, softmax
from .params import Params
from .vocab import Vocab


@dataclass(frozen=True)
class SampleResult:
    text: str          # the n generated characters (primer not included)
    ids: np.ndarray    # (n,)
    probs: np.ndarray  # (n,)   probability each chosen character had
    dists: np.ndarray  # (n, V) the distribution each character was drawn from


def sample(params: Params, vocab: Vocab, primer: str, n: int, config: GRUConfig = TUTORIAL_CONFIG,
           *, temperature: float = 1.0, greedy: bool = False, seed: int = 0) -> SampleResult:
    """Run the primer through the GRU, then draw n characters, each fed back as the next input."""
    if not primer:
        raise ValueError("the primer is empty; give at least one character to start from")
    if int(n) != n or n < 0:
        raise ValueError(f"the number of characters must be a whole number >= 0, got {n!r}")
    if not greedy and not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    if vocab.size != params.vocab_size:
        raise ValueError(f"the vocabulary has {vocab.size} characters but the weights expect "
                         f"{params.vocab_size}")
    primer_ids = vocab.encode(primer)
    rng = np.random.default_rng(seed)
    trace = forward(params, primer_ids[:, None], None, config)      # primer as (S, 1)
    h, logits = trace.h_last, trace.logits[-1, 0]
    ids, dists = np.empty(int(n), np.int64), np.empty((int(n), vocab.size))
    for k in range(int(n)):
        dist = softmax(logits if greedy else logits / temperature)
        ids[k] = int(np.argmax(dist)) if greedy else int(rng.choice(vocab.size, p=dist))
        dists[k] = dist
        step = forward(params, ids[k:k + 1, None], h, config)       # feed the sample back
        h, logits = step.h_last, step.logits[-1, 0]
    probs = dists[np.arange(int(n)), ids]
    return SampleResult(vocab.decode(ids), ids, probs, dists)
