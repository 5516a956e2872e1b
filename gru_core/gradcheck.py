"""Central finite differences, to prove the analytic gradients of `backward`.

    dL/dθ_i ≈ [8 (L(θ + ε e_i) - L(θ - ε e_i)) - (L(θ + 2ε e_i) - L(θ - 2ε e_i))] / 12ε

This fourth-order central stencil has truncation error O(ε⁴), so with ε = 1e-3 both truncation
and round-off stay near 1e-12; the plain two-point stencil (error O(ε²)) leaves round-off of
about 1e-11, which is a relative error of 1e-6 on the smallest gradient elements.
    relative error = |analytic - numeric| / max(|analytic| + |numeric|, 1e-6)

The floor 1e-6 means elements whose gradients are both tinier than that are judged on their
absolute difference (a wrong element of size 1e-7 still shows an error near 0.1): the numeric
derivative cannot resolve relative differences on elements of 1e-8.
"""
from __future__ import annotations

import numpy as np

from .backward import backward
from .gru import TUTORIAL_CONFIG, forward
from .losses import batch_loss
from .params import Params


def loss_of(params: Params, X, Y, h0=None, config=TUTORIAL_CONFIG, loss="ce") -> float:
    return batch_loss(forward(params, X, h0, config).probs, Y, loss)


def relative_error(analytic, numeric, floor=1e-6) -> np.ndarray:
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), floor)


def numeric_gradient(params: Params, name: str, index, X, Y, h0=None, config=TUTORIAL_CONFIG,
                     loss="ce", eps=1e-3) -> float:
    """The fourth-order central difference (module docstring) for one element of one parameter."""
    def shifted(k):
        arr = getattr(params, name).copy()
        arr[index] += k * eps
        return loss_of(params.replace(**{name: arr}), X, Y, h0, config, loss)

    return (8 * (shifted(1) - shifted(-1)) - (shifted(2) - shifted(-2))) / (12 * eps)


def gradient_check(params: Params, X, Y, h0=None, config=TUTORIAL_CONFIG, loss="ce", eps=1e-3,
                   max_checks: int | None = None, seed: int = 0) -> dict[str, float]:
    """Max relative error per parameter, over every element (or `max_checks` random ones each)."""
    params = params.astype(np.float64)
    grads = backward(params, forward(params, X, h0, config), Y, config, loss)
    rng = np.random.default_rng(seed)
    errors = {}
    for name, value in params.items():
        indices = list(np.ndindex(value.shape))
        if max_checks is not None and len(indices) > max_checks:
            indices = [indices[i] for i in rng.choice(len(indices), max_checks, replace=False)]
        numeric = np.array([numeric_gradient(params, name, i, X, Y, h0, config, loss, eps) for i in indices])
        analytic = np.array([getattr(grads, name)[i] for i in indices])
        errors[name] = float(relative_error(analytic, numeric).max()) if indices else 0.0
    return errors
