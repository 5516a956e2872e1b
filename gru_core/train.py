"""Learning: gradient clipping, SGD and Adam, and a training loop over epochs and batches.

    clip by value (003):  g <- min(max(g, -c), c)  element-wise
    clip by norm:         g <- g · c / max(c, ‖g‖)  with ‖g‖ over all parameters together
    SGD:   θ <- θ - lr · g
    Adam:  m <- β1 m + (1-β1) g;  v <- β2 v + (1-β2) g²;  θ <- θ - lr · m̂ / (√v̂ + ε)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .backward import backward
from .gru import TUTORIAL_CONFIG, GRUConfig, forward
from .losses import batch_loss
from .params import PARAM_NAMES, NonFiniteError, Params

CLIP_KINDS = ("value", "norm", None)
OPTIMIZERS = ("sgd", "adam")


def _arrays(grads) -> dict[str, np.ndarray]:
    return {name: np.asarray(getattr(grads, name)) for name in PARAM_NAMES}


def global_norm(grads) -> float:
    return float(np.sqrt(sum(np.sum(g * g) for g in _arrays(grads).values())))


def clip_by_value(grads, c: float):
    """Every element clipped to [-c, c] (003's np.clip(d, -5, 5)). Returns (Params, norm before)."""
    norm = global_norm(grads)
    return Params(**{k: np.clip(g, -c, c) for k, g in _arrays(grads).items()}), norm


def clip_by_global_norm(grads, c: float):
    """All gradients scaled together so their joint norm is at most c. Returns (Params, norm before)."""
    norm = global_norm(grads)
    scale = c / norm if norm > c else 1.0
    return Params(**{k: g * scale for k, g in _arrays(grads).items()}), norm


def check_clip(kind, c) -> None:
    if kind not in CLIP_KINDS:
        raise ValueError(f"clip kind must be one of {CLIP_KINDS}, got {kind!r}")
    if kind is not None and not (c is not None and c > 0):
        raise ValueError(f"the clip value must be positive, got {c!r}")


def clip_grads(grads, kind, c):
    """Clip with kind "value", "norm" or None (no clipping). Returns (Params, norm before)."""
    check_clip(kind, c)
    if kind == "value":
        return clip_by_value(grads, c)
    if kind == "norm":
        return clip_by_global_norm(grads, c)
    return Params(**_arrays(grads)), global_norm(grads)


class SGD:
    """θ <- θ - lr · g"""

    def __init__(self, lr: float = 0.01):
        self.lr = _check_lr(lr)

    def step(self, params: Params, grads) -> Params:
        g = _arrays(grads)
        return Params(**{k: v - self.lr * g[k] for k, v in params.items()})


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction; keeps its moments between steps."""

    def __init__(self, lr: float = 0.01, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr, self.beta1, self.beta2, self.eps = _check_lr(lr), beta1, beta2, eps
        self.t, self.m, self.v = 0, {}, {}

    def step(self, params: Params, grads) -> Params:
        g = _arrays(grads)
        self.t += 1
        new = {}
        for k, theta in params.items():
            m = self.m[k] = self.beta1 * self.m.get(k, 0.0) + (1 - self.beta1) * g[k]
            v = self.v[k] = self.beta2 * self.v.get(k, 0.0) + (1 - self.beta2) * g[k] ** 2
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            new[k] = theta - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return Params(**new)


def _check_lr(lr):
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a positive number, got {lr!r}")
    return float(lr)


def make_optimizer(name: str, lr: float):
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
    return SGD(lr) if name == "sgd" else Adam(lr)


@dataclass(frozen=True)
class Progress:
    epoch: int
    batch: int
    step: int
    total_steps: int
    loss: float
    grad_norm: float
    elapsed: float


@dataclass
class TrainResult:
    params: Params
    history: list[float] = field(default_factory=list)       # loss of every step
    epoch_losses: list[float] = field(default_factory=list)  # mean loss of each full epoch
    grad_norms: list[float] = field(default_factory=list)    # gradient norm before clipping
    stopped: bool = False
    diverged: bool = False

    @property
    def steps(self) -> int:
        return len(self.history)


def train(params: Params, batches, config: GRUConfig = TUTORIAL_CONFIG, *, optimizer: str = "adam",
          lr: float = 0.01, epochs: int = 1, clip: float | None = 5.0, clip_kind: str | None = "value",
          loss: str = "ce", callback: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Train on every batch of every epoch (state zero at each epoch start, carried between
    batches, gradients truncated at batch boundaries). Never mutates `params`.

    Stops early when should_stop() is true, or if a step would produce non-finite weights
    (then the last finite weights are kept and `diverged` is set).
    """
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a whole number of at least 1, got {epochs!r}")
    opt = make_optimizer(optimizer, lr)
    check_clip(clip_kind, clip)
    result = TrainResult(params=params)
    total = int(epochs) * batches.num_batches
    start = time.perf_counter()
    for epoch in range(int(epochs)):
        h, epoch_loss = None, []
        for n in range(batches.num_batches):
            if should_stop is not None and should_stop():
                result.stopped = True
                return result
            # the integer ids of the batch (the same as its one-hot X and Y, without the zeros)
            x_ids, y_ids = batches.x_ids[n], batches.y_ids[n]
            trace = forward(result.params, x_ids, h, config, record="train")  # backward's fields only
            step_loss = batch_loss(trace.probs, y_ids, loss)
            try:
                with np.errstate(over="raise", invalid="raise"):
                    grads, norm = clip_grads(backward(result.params, trace, y_ids, config, loss),
                                             clip_kind, clip)
                    new_params = opt.step(result.params, grads)
            except (NonFiniteError, FloatingPointError):
                result.diverged = True
                return result
            result.params, h = new_params, trace.h_last
            result.history.append(step_loss)
            result.grad_norms.append(norm)
            epoch_loss.append(step_loss)
            if callback is not None:
                callback(Progress(epoch, n, len(result.history), total, step_loss, norm,
                                  time.perf_counter() - start))
        result.epoch_losses.append(float(np.mean(epoch_loss)))
    return result

