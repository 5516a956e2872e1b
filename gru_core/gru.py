"""The GRU forward pass, one time step after another, keeping every intermediate matrix.

Row vectors, as in the tutorial's code (x_t: (B, V), h: (B, H)):

    z_t  = σ(x_t W_z + h_{t-1} U_z + b_z)                          update gate
    r_t  = σ(x_t W_r + h_{t-1} U_r + b_r)                          reset gate
    h~_t = tanh(x_t W_h + (r_t ⊙ h_{t-1}) U_h + b_h)              reset "before" (tutorial code, Cho 2014)
    h~_t = tanh(x_t W_h + b_h + r_t ⊙ (h_{t-1} U_h + b_hn))       reset "after" (PyTorch, cuDNN)
    h_t  = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ h~_t                        update "keep" (001/002, PyTorch)
    h_t  = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h~_t                        update "take" (003)
    y_t  = softmax(h_t W_y + b_y)                                  per row
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import Params
from .vocab import one_hot

RESETS = ("before", "after")
UPDATES = ("keep", "take")


@dataclass(frozen=True)
class GRUConfig:
    """Which of the published GRU variants to run (see the module docstring)."""

    reset: str = "before"
    update: str = "keep"

    def __post_init__(self):
        if self.reset not in RESETS:
            raise ValueError(f"reset must be one of {RESETS}, got {self.reset!r}")
        if self.update not in UPDATES:
            raise ValueError(f"update must be one of {UPDATES}, got {self.update!r}")


TUTORIAL_CONFIG = GRUConfig("before", "keep")
TORCH_CONFIG = GRUConfig("after", "keep")


def sigmoid(a):
    """σ(a) = 1 / (1 + e^-a), written with tanh so that no value of a overflows."""
    return 0.5 + 0.5 * np.tanh(0.5 * a)


def softmax_parts(logits):
    """Softmax per row with the max trick; returns (max, exp(logits - max), row sums, probs)."""
    m = logits.max(axis=-1)                        # (S, B)
    e = np.exp(logits - m[..., None])              # (S, B, V)
    s = e.sum(axis=-1)                             # (S, B)
    return m, e, s, e / s[..., None]


def softmax(logits):
    return softmax_parts(logits)[3]


@dataclass(eq=False)
class Trace:
    """Every quantity of a forward run over S steps; arrays are stacked over time (S, B, ...)."""

    config: GRUConfig
    x: np.ndarray            # (S, B, V)
    x_ids: np.ndarray | None  # (S, B) when x is one-hot
    h0: np.ndarray           # (B, H)
    h_prev: np.ndarray       # (S, B, H)  h_{t-1} as used at step t
    z_in: np.ndarray         # (S, B, H)  x_t W_z
    z_rec: np.ndarray        # (S, B, H)  h_{t-1} U_z
    z_bias: np.ndarray       # (S, B, H)  b_z
    z_pre: np.ndarray        # (S, B, H)  sum of the three
    z: np.ndarray            # (S, B, H)  σ(z_pre), or the forced value
    r_in: np.ndarray
    r_rec: np.ndarray
    r_bias: np.ndarray
    r_pre: np.ndarray
    r: np.ndarray
    r_h_prev: np.ndarray     # (S, B, H)  r ⊙ h_{t-1}
    h_prev_U_h: np.ndarray   # (S, B, H)  h_{t-1} U_h + b_hn (the product reset "after" gates)
    h_in: np.ndarray         # (S, B, H)  x_t W_h
    h_rec: np.ndarray        # (S, B, H)  (r ⊙ h_{t-1}) U_h  or  r ⊙ (h_{t-1} U_h + b_hn)
    h_bias: np.ndarray       # (S, B, H)  b_h
    h_pre: np.ndarray        # (S, B, H)
    h_tilde: np.ndarray      # (S, B, H)  tanh(h_pre)
    one_minus_z: np.ndarray  # (S, B, H)
    h_from_prev: np.ndarray  # (S, B, H)  z ⊙ h_{t-1} (keep) or (1 - z) ⊙ h_{t-1} (take)
    h_from_tilde: np.ndarray  # (S, B, H) (1 - z) ⊙ h~ (keep) or z ⊙ h~ (take)
    h: np.ndarray            # (S, B, H)
    logits: np.ndarray       # (S, B, V)  y_linear = h W_y + b_y
    logits_max: np.ndarray   # (S, B)     the max trick's shift
    exp: np.ndarray          # (S, B, V)  exp(logits - max)
    exp_sum: np.ndarray      # (S, B)
    probs: np.ndarray        # (S, B, V)  ŷ
    z_forced: np.ndarray | None = None  # (H,) bool, units whose z was forced (what-if)
    r_forced: np.ndarray | None = None

    @property
    def h_last(self) -> np.ndarray:
        return self.h[-1]

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """(S, B, V, H)"""
        S, B, V = self.x.shape
        return S, B, V, self.h.shape[-1]


def as_inputs(X, V: int):
    """X as (ids or None, one-hot/float x). One-hot rows let x_t W be a row gather."""
    X = np.asarray(X)
    if X.ndim == 2 and np.issubdtype(X.dtype, np.integer):
        if X.size and (X.min() < 0 or X.max() >= V):
            raise ValueError(f"input ids must lie in 0..{V - 1}")
        return X, one_hot(X, V)
    if X.ndim != 3 or X.shape[-1] != V:
        raise ValueError(f"X must have shape (S, B, V={V}) (or integer ids (S, B)); got {X.shape}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X needs at least one time step and one row; got shape {X.shape}")
    ids = X.argmax(axis=-1)
    is_one_hot = np.array_equal(np.take_along_axis(X, ids[..., None], -1), np.ones(ids.shape + (1,))) \
        and X.sum() == ids.size and (X >= 0).all()
    return (ids if is_one_hot else None), X


def _forced(clamp, H):
    """clamp (H,) with NaN = free -> (mask, values) or (None, None)."""
    if clamp is None:
        return None, None
    clamp = np.broadcast_to(np.asarray(clamp, dtype=np.float64), (H,))
    mask = ~np.isnan(clamp)
    return (mask, np.nan_to_num(clamp)) if mask.any() else (None, None)


def forward(params: Params, X, h0=None, config: GRUConfig = TUTORIAL_CONFIG, *,
            clamp_z=None, clamp_r=None) -> Trace:
    """Run the GRU over X (S, B, V), starting from h0 (B, H) (zeros by default).

    clamp_z / clamp_r: (H,) arrays, NaN for a free unit, a value to force that unit's gate to
    (what-if: z ≡ 1 copies the old state, r ≡ 0 ignores it in the candidate).
    """
    p, cfg = params, config
    V, H = p.vocab_size, p.hidden_size
    ids, x = as_inputs(X, V)
    x = x.astype(p.dtype, copy=False)
    S, B = x.shape[:2]
    h0 = np.zeros((B, H), dtype=p.dtype) if h0 is None else np.asarray(h0, dtype=p.dtype)
    if h0.shape != (B, H):
        raise ValueError(f"h0 must have shape (B={B}, H={H}); got {h0.shape}")
    z_mask, z_val = _forced(clamp_z, H)
    r_mask, r_val = _forced(clamp_r, H)

    # Input terms of all three gates for all steps at once: a row gather when x is one-hot.
    W_zrh = np.concatenate([p.W_z, p.W_r, p.W_h], axis=1)           # (V, 3H)
    xW = W_zrh[ids] if ids is not None else x @ W_zrh                 # (S, B, 3H)
    z_in, r_in, h_in = xW[..., :H], xW[..., H:2 * H], xW[..., 2 * H:]
    after = cfg.reset == "after"
    U_fused = np.concatenate([p.U_z, p.U_r] + ([p.U_h] if after else []), axis=1)  # (H, 2H|3H)

    shape = (S, B, H)
    h_prev, rec = np.empty(shape, p.dtype), np.empty((S, B, U_fused.shape[1]), p.dtype)
    z_pre, z, r_pre, r = (np.empty(shape, p.dtype) for _ in range(4))
    h_rec, h_pre, h_tilde, h = (np.empty(shape, p.dtype) for _ in range(4))
    r_h_prev = np.empty(shape, p.dtype)
    h_t = h0
    for t in range(S):
        h_prev[t] = h_t
        np.matmul(h_t, U_fused, out=rec[t])                           # (B, 2H|3H)
        z_pre[t] = z_in[t] + rec[t, :, :H] + p.b_z
        z[t] = sigmoid(z_pre[t])
        if z_mask is not None:
            z[t][:, z_mask] = z_val[z_mask]
        r_pre[t] = r_in[t] + rec[t, :, H:2 * H] + p.b_r
        r[t] = sigmoid(r_pre[t])
        if r_mask is not None:
            r[t][:, r_mask] = r_val[r_mask]
        np.multiply(r[t], h_t, out=r_h_prev[t])
        if after:
            h_rec[t] = r[t] * (rec[t, :, 2 * H:] + p.b_hn)
        else:
            np.matmul(r_h_prev[t], p.U_h, out=h_rec[t])
        h_pre[t] = h_in[t] + h_rec[t] + p.b_h
        np.tanh(h_pre[t], out=h_tilde[t])
        if cfg.update == "keep":
            h[t] = z[t] * h_t + (1.0 - z[t]) * h_tilde[t]
        else:
            h[t] = (1.0 - z[t]) * h_t + z[t] * h_tilde[t]
        h_t = h[t]

    one_minus_z = 1.0 - z
    keep = cfg.update == "keep"
    h_from_prev = (z if keep else one_minus_z) * h_prev
    h_from_tilde = (one_minus_z if keep else z) * h_tilde
    h_prev_U_h = (rec[..., 2 * H:] + p.b_hn) if after else h_prev @ p.U_h + p.b_hn
    logits = h @ p.W_y + p.b_y                                        # (S, B, V)
    logits_max, e, e_sum, probs = softmax_parts(logits)
    return Trace(
        config=cfg, x=x, x_ids=ids, h0=h0, h_prev=h_prev,
        z_in=z_in, z_rec=rec[..., :H], z_bias=np.broadcast_to(p.b_z, shape), z_pre=z_pre, z=z,
        r_in=r_in, r_rec=rec[..., H:2 * H], r_bias=np.broadcast_to(p.b_r, shape), r_pre=r_pre, r=r,
        r_h_prev=r_h_prev, h_prev_U_h=h_prev_U_h,
        h_in=h_in, h_rec=h_rec, h_bias=np.broadcast_to(p.b_h, shape), h_pre=h_pre, h_tilde=h_tilde,
        one_minus_z=one_minus_z, h_from_prev=h_from_prev, h_from_tilde=h_from_tilde, h=h,
        logits=logits, logits_max=logits_max, exp=e, exp_sum=e_sum, probs=probs,
        z_forced=z_mask, r_forced=r_mask)


def run_batches(params: Params, batches, config: GRUConfig = TUTORIAL_CONFIG, h0=None,
                **clamps) -> list[Trace]:
    """Forward over every batch as the tutorial does: h starts at zeros once, then each batch
    starts from the previous batch's last state."""
    traces = []
    h = h0
    for X in batches.X:
        traces.append(forward(params, X, h, config, **clamps))
        h = traces[-1].h_last
    return traces
