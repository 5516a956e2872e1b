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

import dataclasses
from dataclasses import dataclass

import numpy as np

from .memory import empty_arrays
from .params import Params
from .vocab import one_hot

RESETS = ("before", "after")
UPDATES = ("keep", "take")
RECORDS = ("all", "train")      # what forward keeps: every Trace field, or what backward needs
FACTORS_PER_STEP_BYTES = 2**20  # (S, B, H) arrays larger than this: backward's factors made per step


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


def sigmoid(a, out=None):
    """σ(a) = 1 / (1 + e^-a).

    Where e^-a overflows (a < -709 in float64) it is inf and σ(a) is exactly 0, as it should
    be; the overflow warning is silenced. With `out`, written in place there in four steps.
    """
    with np.errstate(over="ignore"):
        if out is None:
            return 1.0 / (1.0 + np.exp(-np.asarray(a)))
        np.negative(a, out=out)
        np.exp(out, out=out)
        out += 1.0
        return np.divide(1.0, out, out=out)


def softmax_parts(logits, out=None):
    """Softmax per row with the max trick; returns (max, exp(logits - max), row sums, probs).

    out: optional arrays (max, exp, sums, probs) to write the four results into.
    """
    if out is None:
        out = (None,) * 4
    m = logits.max(axis=-1, out=out[0])                          # (S, B)
    e = np.subtract(logits, m[..., None], out=out[1])           # (S, B, V)
    np.exp(e, out=e)
    s = e.sum(axis=-1, out=out[2])                               # (S, B)
    return m, e, s, np.divide(e, s[..., None], out=out[3])


def softmax(logits):
    return softmax_parts(logits)[3]


def bptt_factors(config: GRUConfig, h_prev, z, one_minus_z, r, q, h_tilde, out,
                 z_forced=None, r_forced=None):
    """The factors of backpropagation through a step that do not depend on dL/dh_t.

    out = (f_h, f_z, f_r, f_q), each shaped like z, so that with dh = dL/dh_t:
        da_h = dh ⊙ f_h,  f_h = (1 - h~²) ⊙ ∂h/∂h~          (∂h/∂h~ = 1 - z (keep) or z (take))
        da_z = dh ⊙ f_z,  f_z = ±(h_{t-1} - h~) ⊙ z(1 - z)  (+ for keep, - for take)
        after:  dq = dh ⊙ f_q,  f_q = f_h ⊙ r;  da_r = dh ⊙ f_r,  f_r = f_q ⊙ (1 - r) ⊙ q
                (q = h_{t-1} U_h + b_hn; f_r = f_h ⊙ r(1 - r) ⊙ q)
        before: da_r = d(r ⊙ h_{t-1}) ⊙ f_r,  f_r = r(1 - r) ⊙ h_{t-1}  (f_q is not used)
    A forced gate passes no gradient: its units' f_z (or f_r) are 0.
    Works on one step (B, H) or on all steps at once (S, B, H).
    """
    keep, after = config.update == "keep", config.reset == "after"
    f_h, f_z, f_r, f_q = out
    np.multiply(h_tilde, h_tilde, out=f_h)
    np.subtract(1.0, f_h, out=f_h)                                   # 1 - h~²  (tanh')
    f_h *= one_minus_z if keep else z
    np.subtract(h_prev, h_tilde, out=f_z) if keep else np.subtract(h_tilde, h_prev, out=f_z)
    f_z *= z
    f_z *= one_minus_z                                               # z(1 - z)  (σ')
    np.subtract(1.0, r, out=f_r)
    if after:
        np.multiply(f_h, r, out=f_q)
        f_r *= f_q                                                   # f_h ⊙ r(1 - r)  (σ')
        f_r *= q
    else:
        f_r *= r                                                     # r(1 - r)  (σ')
        f_r *= h_prev
    if z_forced is not None:
        f_z[..., z_forced] = 0.0
    if r_forced is not None:
        f_r[..., r_forced] = 0.0
    return out


class _Steps:
    """What every forward run has: h (S, B, H) and probs (S, B, V)."""

    @property
    def h_last(self) -> np.ndarray:
        return self.h[-1]

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """(S, B, V, H)"""
        S, B, H = self.h.shape
        return S, B, self.probs.shape[-1], H


@dataclass(eq=False)
class Trace(_Steps):
    """Every quantity of a forward run over S steps (`forward(..., record="all")`), for display;
    arrays are stacked over time (S, B, ...). `backward` reads it as often as needed."""

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

    def window(self, start: int, stop: int) -> "Trace":
        """Time steps start..stop-1 as a Trace of their own (views, no copies); its h0 is the
        state entering step `start`. A run over S·N steps cut into windows of S equals the
        tutorial's N batches with the state carried."""
        fields = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            per_step = isinstance(value, np.ndarray) and f.name not in ("h0", "z_forced", "r_forced")
            fields[f.name] = value[start:stop] if per_step else value
        fields["h0"] = self.h_prev[start]
        return Trace(**fields)


@dataclass(eq=False)
class TrainTrace(_Steps):
    """What `backward` reads of a forward run: the training path (`forward(..., record="train")`,
    `forward_train`). Its arrays equal the display Trace's fields of the same names, bit for bit.

    `factors` are backward's chain-rule factors of every step (`bptt_factors`); backward turns
    them into the gradients in place and sets `factors` to None, so a TrainTrace goes through
    backward once.
    """

    config: GRUConfig
    x: np.ndarray | None      # (S, B, V); None when the input was integer ids
    x_ids: np.ndarray | None  # (S, B) when x is one-hot
    h0: np.ndarray            # (B, H)
    h_prev: np.ndarray        # (S, B, H)  h_{t-1} as used at step t
    h: np.ndarray             # (S, B, H)
    probs: np.ndarray         # (S, B, V)  ŷ
    factors: np.ndarray | None  # (4, S, B, H)  [f_h, f_z, f_r, f_q]; None after backward
    z: np.ndarray | None = None            # (S, B, H)  update "keep": ∂h_t/∂h_{t-1} = z
    one_minus_z: np.ndarray | None = None  # (S, B, H)  update "take": ∂h_t/∂h_{t-1} = 1 - z
    r: np.ndarray | None = None            # (S, B, H)  reset "before" only
    r_h_prev: np.ndarray | None = None     # (S, B, H)  r ⊙ h_{t-1}, reset "before" only
    z_forced: np.ndarray | None = None     # (H,) bool, units whose z was forced
    r_forced: np.ndarray | None = None


def one_hot_ids(A) -> np.ndarray | None:
    """The position of the 1 in every row of A (..., V) if every row is one-hot, else None.

    One-hot <=> every row's largest entry is 1 and A has one non-zero entry per row.
    """
    ids = A.argmax(axis=-1)                                          # (...)
    n, V = ids.size, A.shape[-1]
    # (counting a bool array is vectorised; counting non-zero floats is not, but has no temporary)
    nonzero = np.count_nonzero(A != 0) if A.size > 4096 else np.count_nonzero(A)
    if nonzero != n:
        return None
    at_ids = A.reshape(-1)[ids.reshape(-1) + np.arange(0, n * V, V)]   # A[..., ids]
    return ids if np.count_nonzero(at_ids == 1) == n else None


def as_inputs(X, V: int, dense: bool = True):
    """X as (ids or None, one-hot/float x). One-hot rows let x_t W be a row gather.

    dense=False: integer ids X give x = None (the training path reads only the ids).
    """
    X = np.asarray(X)
    if X.ndim == 2 and X.dtype.kind in "iu":
        if X.size and (X.min() < 0 or X.max() >= V):
            raise ValueError(f"input ids must lie in 0..{V - 1}")
        return X, (one_hot(X, V) if dense else None)
    if X.ndim != 3 or X.shape[-1] != V:
        raise ValueError(f"X must have shape (S, B, V={V}) (or integer ids (S, B)); got {X.shape}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X needs at least one time step and one row; got shape {X.shape}")
    return one_hot_ids(X), X


def _forced(clamp, H):
    """clamp (H,) with NaN = free -> (mask, values) or (None, None)."""
    if clamp is None:
        return None, None
    clamp = np.broadcast_to(np.asarray(clamp, dtype=np.float64), (H,))
    mask = ~np.isnan(clamp)
    return (mask, np.nan_to_num(clamp)) if mask.any() else (None, None)


def forward(params: Params, X, h0=None, config: GRUConfig = TUTORIAL_CONFIG, *,
            clamp_z=None, clamp_r=None, record: str = "all") -> Trace | TrainTrace:
    """Run the GRU over X (S, B, V) (or integer ids (S, B)), starting from h0 (B, H) (zeros by
    default).

    clamp_z / clamp_r: (H,) arrays, NaN for a free unit, a value to force that unit's gate to
    (what-if: z ≡ 1 copies the old state, r ≡ 0 ignores it in the candidate).
    record: "all" (default) returns a Trace with every intermediate; "train" returns a
    TrainTrace with only what `backward` reads (see `forward_train`), the same values.
    """
    if record not in RECORDS:
        raise ValueError(f"record must be one of {RECORDS}, got {record!r}")
    p, cfg = params, config
    V, H = p.vocab_size, p.hidden_size
    ids, x = as_inputs(X, V, dense=record == "all")
    if x is not None:
        x = x.astype(p.dtype, copy=False)
    S, B = ids.shape if x is None else x.shape[:2]
    h0 = np.zeros((B, H), dtype=p.dtype) if h0 is None else np.asarray(h0, dtype=p.dtype)
    if h0.shape != (B, H):
        raise ValueError(f"h0 must have shape (B={B}, H={H}); got {h0.shape}")
    z_mask, z_val = _forced(clamp_z, H)
    r_mask, r_val = _forced(clamp_r, H)
    if record == "train":
        return _forward_train(p, cfg, x, ids, h0, z_mask, z_val, r_mask, r_val)
    return _forward_display(p, cfg, x, ids, h0, z_mask, z_val, r_mask, r_val)


def _forward_display(p: Params, cfg: GRUConfig, x, ids, h0, z_mask, z_val, r_mask, r_val) -> Trace:
    """The equations of the module docstring, one line each, every intermediate kept.

    Bit for bit the training path's values (tests/test_core_train_path.py), hence two choices:
    x_t W of the three gates is one product, x @ [W_z W_r W_h] (a row gather for one-hot x),
    and a pre-activation is summed as (x_t W + b) + recurrent term.
    """
    after, keep = cfg.reset == "after", cfg.update == "keep"
    S, B, _ = x.shape
    H, dt = p.hidden_size, p.dtype
    U_z, U_r, U_h, b_hn = p.U_z, p.U_r, p.U_h, p.b_hn
    W_zrh = np.concatenate([p.W_z, p.W_r, p.W_h], axis=1)             # (V, 3H)
    xW = W_zrh[ids] if ids is not None else x @ W_zrh                  # (S, B, 3H)  x_t W, every t
    z_in, r_in, h_in = xW[..., :H], xW[..., H:2 * H], xW[..., 2 * H:]  # (S, B, H)  x_t W_z, ...
    z_bias, r_bias, h_bias = (np.broadcast_to(b, (S, B, H)) for b in (p.b_z, p.b_r, p.b_h))
    # (S, B, H) each, filled step by step below (one pooled block: see gru_core.memory)
    (h_prev, z_rec, z_pre, z, r_rec, r_pre, r, r_h_prev, h_prev_U_h, h_rec, h_pre, h_tilde,
     one_minus_z, h_from_prev, h_from_tilde, h), = empty_arrays(dt, (16, S, B, H))

    for t in range(S):
        h_prev[t] = h[t - 1] if t > 0 else h0                          # (B, H)  h_{t-1}
        z_rec[t] = h_prev[t] @ U_z                                     # (B, H)  h_{t-1} U_z
        z_pre[t] = (z_in[t] + z_bias[t]) + z_rec[t]                    # (B, H)  x_t W_z + b_z + h_{t-1} U_z
        z[t] = sigmoid(z_pre[t])                                       # (B, H)  z_t
        r_rec[t] = h_prev[t] @ U_r                                     # (B, H)  h_{t-1} U_r
        r_pre[t] = (r_in[t] + r_bias[t]) + r_rec[t]                    # (B, H)  x_t W_r + b_r + h_{t-1} U_r
        r[t] = sigmoid(r_pre[t])                                       # (B, H)  r_t
        if z_mask is not None:
            z[t][:, z_mask] = z_val[z_mask]                            # forced units (what-if)
        if r_mask is not None:
            r[t][:, r_mask] = r_val[r_mask]
        r_h_prev[t] = r[t] * h_prev[t]                                 # (B, H)  r_t ⊙ h_{t-1}
        h_prev_U_h[t] = h_prev[t] @ U_h + b_hn                         # (B, H)  h_{t-1} U_h + b_hn
        if after:
            h_rec[t] = r[t] * h_prev_U_h[t]                            # (B, H)  r_t ⊙ (h_{t-1} U_h + b_hn)
        else:
            h_rec[t] = r_h_prev[t] @ U_h                               # (B, H)  (r_t ⊙ h_{t-1}) U_h
        h_pre[t] = (h_in[t] + h_bias[t]) + h_rec[t]                    # (B, H)  x_t W_h + b_h + h_rec
        h_tilde[t] = np.tanh(h_pre[t])                                 # (B, H)  h~_t
        one_minus_z[t] = 1.0 - z[t]                                    # (B, H)
        if keep:
            h_from_prev[t] = z[t] * h_prev[t]                          # (B, H)  z_t ⊙ h_{t-1}
            h_from_tilde[t] = one_minus_z[t] * h_tilde[t]              # (B, H)  (1 - z_t) ⊙ h~_t
        else:
            h_from_prev[t] = one_minus_z[t] * h_prev[t]                # (B, H)  (1 - z_t) ⊙ h_{t-1}
            h_from_tilde[t] = z[t] * h_tilde[t]                        # (B, H)  z_t ⊙ h~_t
        h[t] = h_from_prev[t] + h_from_tilde[t]                        # (B, H)  h_t

    logits = h @ p.W_y + p.b_y                                         # (S, B, V)
    logits_max, exp, exp_sum, probs = softmax_parts(logits)            # (S, B), (S, B, V), ...
    return Trace(
        config=cfg, x=x, x_ids=ids, h0=h0, h_prev=h_prev,
        z_in=z_in, z_rec=z_rec, z_bias=z_bias, z_pre=z_pre, z=z,
        r_in=r_in, r_rec=r_rec, r_bias=r_bias, r_pre=r_pre, r=r,
        r_h_prev=r_h_prev, h_prev_U_h=h_prev_U_h,
        h_in=h_in, h_rec=h_rec, h_bias=h_bias, h_pre=h_pre, h_tilde=h_tilde,
        one_minus_z=one_minus_z, h_from_prev=h_from_prev, h_from_tilde=h_from_tilde, h=h,
        logits=logits, logits_max=logits_max, exp=exp, exp_sum=exp_sum, probs=probs,
        z_forced=z_mask, r_forced=r_mask)


def forward_train(params: Params, X, h0=None, config: GRUConfig = TUTORIAL_CONFIG,
                  **clamps) -> TrainTrace:
    """forward(..., record="train"): the training path (only what backward reads, for one
    backward; see TrainTrace)."""
    return forward(params, X, h0, config, record="train", **clamps)


def _forward_train(p: Params, cfg: GRUConfig, x, ids, h0, z_mask, z_val, r_mask, r_val) -> TrainTrace:
    """The same steps as `_forward_display`, bit for bit, keeping only what backward reads
    (TrainTrace), written for speed (benchmarks/README.md, "What made the engine faster").

    Layout: each step's z, r and q = h_{t-1} U_h + b_hn (reset "after"; r ⊙ h_{t-1} for
    "before") are one contiguous (3, B, H) block, so the recurrent products are one stacked
    call, h_{t-1} @ [U_z, U_r, U_h] (3, H, H), every block a step reads or writes is contiguous,
    and z and r take their sigmoid together.
    Exact rewrites (the same bits as the display path):
    - σ(a) = 1 / (1 + e^-a) with the negation done once, on the weights (-U_z, -U_r and the
      rows of -(W_z + b_z), -(W_r + b_r)): e^-a is exp of -(x W + b) + h (-U);
    - the output layer's softmax is computed in place in probs.
    Backward's factors (bptt_factors) are made here too, for backward to turn into the
    gradients in place.
    """
    after, keep = cfg.reset == "after", cfg.update == "keep"
    S, B = ids.shape if x is None else x.shape[:2]
    V, H, dt = p.vocab_size, p.hidden_size, p.dtype
    n_rec = 3 if after else 2                                        # products through U per step
    # backward's factors (bptt_factors): made step by step when an (S, B, H) array exceeds
    # FACTORS_PER_STEP_BYTES (a step's arrays are still in cache, and z, r, q, 1 - z, h~ need
    # only one step's memory), else all steps at once after the loop (fewer calls); the
    # threshold is measured in benchmarks/README.md.
    factors_per_step = S * B * H * np.dtype(dt).itemsize > FACTORS_PER_STEP_BYTES
    n_kept = 1 if factors_per_step else S                            # steps of z, r, q, 1 - z, h~
    n_saved = (1 if after else 3) if factors_per_step else 0         # per step: ∂h/∂h_{t-1} (, r, q)
    # Stored for backward: h0..h_S (h_prev = hs[:-1], h = hs[1:]), probs, the factors and
    # `saved`; then this run's weight tables and one step's scratch.
    hs, zrq, (one_minus_z, h_tilde), probs, sums, factors, saved, U, b, W_b, scratch = empty_arrays(
        dt, (S + 1, B, H), (n_kept, 3, B, H), (2, n_kept, B, H), (S, B, V), (2, S, B),
        (4, S, B, H), (n_saved, S, B, H), (3, H, H), (3, 1, H), (3, V, H), (6, B, H))
    z, r, q = zrq[:, 0], zrq[:, 1], zrq[:, 2]                        # (n_kept, B, H) each
    np.concatenate([p.U_z, p.U_r, p.U_h], out=U.reshape(3 * H, H))   # (3, H, H)
    np.negative(U[:2], out=U[:2])                                    # [-U_z, -U_r, U_h]
    U = U[:n_rec]
    # Input terms x_t W + b of a step, [z, r] negated, then h~'s (3, B, H): one-hot x gathers
    # rows e_v W + b from a table (3, V, H); dense x takes the full trace's product, all steps.
    np.concatenate([p.b_z, p.b_r, p.b_h], out=b.reshape(3 * H))     # (3, 1, H)
    if ids is not None:
        np.concatenate([p.W_z, p.W_r, p.W_h], out=W_b.reshape(3 * V, H))
        W_b += b
        np.negative(W_b[:2], out=W_b[:2])
    else:
        xW = np.matmul(x, np.concatenate([p.W_z, p.W_r, p.W_h], axis=1))  # (S, B, 3H)
    xw_t, a_h, tmp, b_hn = scratch[:3], scratch[3], scratch[4], scratch[5]
    b_hn[...] = p.b_hn                                               # (B, H): no broadcast in the loop
    h_prev, h = hs[:-1], hs[1:]
    hs[0] = h0
    with np.errstate(over="ignore"):                                 # e^-a = inf gives σ = 0
        for t in range(S):
            k = 0 if factors_per_step else t                         # where step t's z, r... go
            h_prev_t, z_t, r_t, q_t = h_prev[t], z[k], r[k], q[k]
            h_tilde_t, one_minus_z_t, zr_t = h_tilde[k], one_minus_z[k], zrq[k, :2]
            if ids is not None:
                np.take(W_b, ids[t], axis=1, out=xw_t, mode="clip")  # (3, B, H)  x_t W + b
            else:
                np.add(xW[t].reshape(B, 3, H).transpose(1, 0, 2), b, out=xw_t)
                np.negative(xw_t[:2], out=xw_t[:2])
            np.matmul(h_prev_t, U, out=zrq[k, :n_rec])               # h_{t-1} [-U_z, -U_r (, U_h)]
            zr_t += xw_t[:2]                                         # [-a_z, -a_r]  (2, B, H)
            np.exp(zr_t, out=zr_t)                                   # [z, r] = 1 / (1 + e^-a)
            zr_t += 1.0
            np.divide(1.0, zr_t, out=zr_t)
            if z_mask is not None:
                z_t[:, z_mask] = z_val[z_mask]
            if r_mask is not None:
                r_t[:, r_mask] = r_val[r_mask]
            if after:
                q_t += b_hn                                          # q = h_{t-1} U_h + b_hn
                np.multiply(r_t, q_t, out=a_h)                       # r ⊙ q
            else:
                np.multiply(r_t, h_prev_t, out=q_t)                  # r ⊙ h_{t-1}
                np.matmul(q_t, p.U_h, out=a_h)                       # (r ⊙ h_{t-1}) U_h
            a_h += xw_t[2]                                           # h_pre
            np.tanh(a_h, out=h_tilde_t)
            np.subtract(1.0, z_t, out=one_minus_z_t)
            if keep:                                                 # h = z ⊙ h_{t-1} + (1 - z) ⊙ h~
                np.multiply(z_t, h_prev_t, out=tmp)
                np.multiply(one_minus_z_t, h_tilde_t, out=a_h)
            else:                                                    # h = (1 - z) ⊙ h_{t-1} + z ⊙ h~
                np.multiply(one_minus_z_t, h_prev_t, out=tmp)
                np.multiply(z_t, h_tilde_t, out=a_h)
            np.add(tmp, a_h, out=h[t])
            if factors_per_step:
                bptt_factors(cfg, h_prev_t, z_t, one_minus_z_t, r_t, q_t, h_tilde_t, factors[:, t],
                             z_mask, r_mask)
                np.copyto(saved[0, t], z_t if keep else one_minus_z_t)
                if not after:
                    np.copyto(saved[1, t], r_t)
                    np.copyto(saved[2, t], q_t)
    if factors_per_step:
        direct, r, q = saved[0], *((None, None) if after else saved[1:])
    else:
        bptt_factors(cfg, h_prev, z, one_minus_z, r, q, h_tilde, factors, z_mask, r_mask)
        direct = z if keep else one_minus_z

    np.matmul(h, p.W_y, out=probs)                                   # logits (S, B, V)
    probs += p.b_y
    softmax_parts(probs, out=(sums[0], probs, sums[1], probs))       # in place: probs
    return TrainTrace(
        config=cfg, x=x, x_ids=ids, h0=h0, h_prev=h_prev, h=h, probs=probs, factors=factors,
        z=direct if keep else None, one_minus_z=None if keep else direct,
        r=None if after else r, r_h_prev=None if after else q, z_forced=z_mask, r_forced=r_mask)


def run_batches(params: Params, batches, config: GRUConfig = TUTORIAL_CONFIG, h0=None,
                **clamps) -> list[Trace]:
    """Forward over every batch as the tutorial does: h starts at zeros once, then each batch
    starts from the previous batch's last state. That is one run over all N·S steps, cut into
    batches (`Trace.window`)."""
    return split_batches(forward_all(params, batches, config, h0, **clamps), batches.seq_len)


def forward_all(params: Params, batches, config: GRUConfig = TUTORIAL_CONFIG, h0=None,
                **clamps) -> Trace:
    """One Trace over the N·S steps of every batch, the state carried (X: (N·S, B, V))."""
    N, S, B, V = batches.X.shape
    return forward(params, batches.X.reshape(N * S, B, V), h0, config, **clamps)


def split_batches(trace: Trace, seq_len: int) -> list[Trace]:
    """A run over N·S steps -> the N batch Traces (views)."""
    return [trace.window(a, a + seq_len) for a in range(0, trace.shape[0], seq_len)]
