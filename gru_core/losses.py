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
    if not np.all(np.isfinite(probs)) or (probs < 0).any():
        raise ValueError("probabilities must be finite and non-negative")
    return probs


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
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return cross_entropy(probs, Y).loss if loss == "ce" else l2_loss(probs, Y).loss


def dlogits(probs, Y, loss: str = "ce") -> np.ndarray:
    """dL/d(logits) (S, B, V) of the batch loss.

    ce: (ŷ Σy - y) / (S·B)       l2: softmax Jacobian applied to g = (ŷ - y) / (S·B):
                                     ŷ ⊙ (g - Σ_v g ⊙ ŷ)
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    Y = as_targets(Y, probs)
    n = probs.shape[0] * probs.shape[1]
    if loss == "ce":
        return (probs * Y.sum(axis=-1, keepdims=True) - Y) / n
    g = (probs - Y) / n
    return probs * (g - (g * probs).sum(axis=-1, keepdims=True))
