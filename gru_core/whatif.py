"""What-if runs: gates forced from a chosen time step on.

Forcing z ≡ 1 (update "keep") from the very first step only ever copies h_0 = 0; forcing it from a
later step freezes a state the GRU has already built, which is the tutorial-002 intuition ("z ≡ 1
copies the old state") made visible. `run_batches_from` runs the batches as `run_batches` does
(state carried from batch to batch) and applies the clamps from (start_batch, start_step) on.
"""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from .gru import TUTORIAL_CONFIG, GRUConfig, Trace, forward
from .params import Params

_PER_RUN = ("config", "h0", "z_forced", "r_forced")


def concat_traces(first: Trace, second: Trace) -> Trace:
    """Two traces of consecutive time spans (second starts from first's last h) as one."""
    values = {}
    for f in fields(Trace):
        a, b = getattr(first, f.name), getattr(second, f.name)
        if f.name in _PER_RUN:
            values[f.name] = a if f.name in ("config", "h0") else b
        elif a is None or b is None:
            values[f.name] = None
        else:
            values[f.name] = np.concatenate([a, b], axis=0)
    return Trace(**values)


def forward_from(params: Params, X, h0=None, config: GRUConfig = TUTORIAL_CONFIG, *, start: int = 0,
                 clamp_z=None, clamp_r=None) -> Trace:
    """forward() with the clamps applied only at time steps t >= start (0-based)."""
    S = np.asarray(X).shape[0]
    if start <= 0:
        return forward(params, X, h0, config, clamp_z=clamp_z, clamp_r=clamp_r)
    if start >= S:
        return forward(params, X, h0, config)
    free = forward(params, X[:start], h0, config)
    rest = forward(params, X[start:], free.h_last, config, clamp_z=clamp_z, clamp_r=clamp_r)
    return concat_traces(free, rest)


def run_batches_from(params: Params, batches, config: GRUConfig = TUTORIAL_CONFIG, *,
                     start_batch: int = 0, start_step: int = 0, clamp_z=None, clamp_r=None,
                     h0=None) -> list[Trace]:
    """run_batches() with the clamps applied from batch start_batch, step start_step (0-based) on."""
    traces, h = [], h0
    for n, X in enumerate(batches.X):
        start = 0 if n > start_batch else start_step if n == start_batch else len(X)
        traces.append(forward_from(params, X, h, config, start=start, clamp_z=clamp_z,
                                   clamp_r=clamp_r))
        h = traces[-1].h_last
    return traces
