"""Losses over one batch, built in the tutorial's three terms (Part 2).

Cross-entropy:
    term1 = y ⊙ log ŷ                  (S, B, V)
    term2 = Σ_v term1                  (S, B)     one number per sequence position
    term3 = -mean_b term2              (S,)       one number per time step
    loss  = mean_t term3               = -(1 / (S·B)) Σ y ⊙ log ŷ
L2 (004's cost):
    loss  = mean over the S·B positions of ½ ‖ŷ - y‖²
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gru import one_hot_ids
from .memory import empty_arrays
from .vocab import one_hot

LOSSES = ("ce", "l2")


def as_targets(Y, probs) -> np.ndarray:
    """Y as one-hot (S, B, V) matching probs (accepts integer ids (S, B))."""
    Y = np.asarray(Y)
    if Y.ndim == probs.ndim - 1 and np.issubdtype(Y.dtype, np.integer):
        Y = one_hot(Y, probs.shape[-1], dtype=probs.dtype)
    if Y.shape != probs.shape:
        raise ValueError(f"targets Y must have shape {probs.shape} (one-hot) or {probs.shape[:-1]} "
                         f"(ids); got {Y.shape}")
    return Y


def _check_probs(probs) -> np.ndarray:
    probs = np.asarray(probs)
    # min and max propagate NaN, so one pass each finds NaN, ±inf and negative values
    if probs.size and not (np.minimum.reduce(probs, axis=None) >= 0
                           and np.maximum.reduce(probs, axis=None) < np.inf):
        raise ValueError("probabilities must be finite and non-negative")
    return probs


def target_ids(Y, probs) -> np.ndarray | None:
    """The target class of every position (S, B) when Y is one-hot (S, B, V) or integer ids
    (S, B) in range; None for any other Y (soft targets), which the losses then use as given.

    With the ids, the losses read ŷ at the targets instead of multiplying all of ŷ by a
    mostly-zero Y: the same numbers (adding zeros changes no sum).
    """
    Y = np.asarray(Y)
    if probs.ndim != 3 or probs.size == 0:
        return None
    if Y.shape == probs.shape[:-1] and Y.dtype.kind in "iu":
        return Y if Y.min() >= 0 and Y.max() < probs.shape[-1] else None
    return one_hot_ids(Y) if Y.shape == probs.shape else None


def _result_dtype(Y, probs, formula):
    """The dtype `formula(probs, Y)` has for a dense Y (integer ids become one-hot in ŷ's dtype)."""
    Y = np.asarray(Y)
    if Y.ndim < probs.ndim or Y.dtype == probs.dtype:
        return probs.dtype
    return formula(probs[:0], Y[:0]).dtype                           # on empty arrays: just the type


def _flat_targets(ids, V: int) -> np.ndarray:
    """Positions of the targets in a flattened (S, B, V) array: (S·B,)."""
    return ids.ravel() + np.arange(0, ids.size * V, V)


@dataclass(frozen=True)
class CrossEntropy:
    term1: np.ndarray  # (S, B, V)
    term2: np.ndarray  # (S, B)
    term3: np.ndarray  # (S,)
    loss: float


@dataclass(frozen=True)
class L2Loss:
    per_position: np.ndarray  # (S, B)  ½‖ŷ - y‖²
    per_step: np.ndarray      # (S,)    mean over the batch
    loss: float


def safe_log(p):
    """log p with p clipped to the smallest positive number, so log 0 never becomes -inf."""
    return np.log(np.maximum(p, np.finfo(np.asarray(p).dtype).tiny))


def cross_entropy(probs, Y) -> CrossEntropy:
    """The tutorial's cross-entropy in three terms (module docstring); never inf or nan."""
    probs = _check_probs(probs)
    Y = as_targets(Y, probs)
    term1 = Y * safe_log(probs)
    term2 = term1.sum(axis=-1)
    term3 = -term2.mean(axis=-1)
    return CrossEntropy(term1, term2, term3, float(term3.mean()))


def l2_loss(probs, Y) -> L2Loss:
    """½‖ŷ - y‖² per position, averaged over the S·B positions."""
    probs = _check_probs(probs)
    Y = as_targets(Y, probs)
    per_position = 0.5 * ((probs - Y) ** 2).sum(axis=-1)
    per_step = per_position.mean(axis=-1)
    return L2Loss(per_position, per_step, float(per_step.mean()))


def batch_loss(probs, Y, loss: str = "ce") -> float:
    """The loss of one batch: cross_entropy(probs, Y).loss or l2_loss(probs, Y).loss."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if loss == "l2":
        return l2_loss(probs, Y).loss
    probs = _check_probs(probs)
    ids = target_ids(Y, probs)
    if ids is None:
        return cross_entropy(probs, Y).loss
    # one-hot Y: term2 = log ŷ at the target, term1's only non-zero entry
    S, B, V = probs.shape
    p_target = probs.ravel()[_flat_targets(ids, V)]                       # (S·B,)
    dtype = _result_dtype(Y, probs, lambda p, y: y * p)
    term2 = safe_log(p_target).astype(dtype, copy=False).reshape(S, B)
    term3 = -(np.add.reduce(term2, axis=-1) / B)                          # = -term2.mean(axis=-1)
    return float(np.add.reduce(term3) / S)                                # = term3.mean()


def _ce_dlogits(probs, Y) -> np.ndarray:
    return (probs * Y.sum(axis=-1, keepdims=True) - Y) / (probs.shape[0] * probs.shape[1])


def dlogits(probs, Y, loss: str = "ce") -> np.ndarray:
    """dL/d(logits) (S, B, V) of the batch loss.

    ce: (ŷ Σy - y) / (S·B)       l2: softmax Jacobian applied to g = (ŷ - y) / (S·B):
                                     ŷ ⊙ (g - Σ_v g ⊙ ŷ)
    For one-hot Y the ce gradient is (ŷ - y) / (S·B): ŷ with 1 taken off at each target.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    probs = np.asarray(probs)
    n = probs.shape[0] * probs.shape[1]
    ids = target_ids(Y, probs) if loss == "ce" else None
    if ids is not None:
        d, = empty_arrays(_result_dtype(Y, probs, _ce_dlogits), probs.shape)  # (S, B, V)
        np.divide(probs, n, out=d, dtype=d.dtype, casting="unsafe")       # ŷ / (S·B) ...
        at = _flat_targets(ids, probs.shape[-1])
        p_target = probs.reshape(-1)[at].astype(d.dtype, copy=False)
        d.reshape(-1)[at] = (p_target - 1) / n                            # ... (ŷ - 1) / (S·B) at targets
        return d
    Y = as_targets(Y, probs)
    if loss == "ce":
        return _ce_dlogits(probs, Y)
    g = (probs - Y) / n
    return probs * (g - (g * probs).sum(axis=-1, keepdims=True))
