"""Backpropagation through time over one batch (analytic; no autograd, no finite differences).

Going back from t = S-1 to 0, with dh = dL/dh_t (from the output at t plus what step t+1 sends):

    keep: dz = dh ⊙ (h_{t-1} - h~)   dh~ = dh ⊙ (1 - z)   direct = dh ⊙ z
    take: dz = dh ⊙ (h~ - h_{t-1})   dh~ = dh ⊙ z         direct = dh ⊙ (1 - z)
    da_h = dh~ ⊙ (1 - h~²)                                    (tanh')
    before: d(r⊙h) = da_h U_hᵀ;  dr = d(r⊙h) ⊙ h_{t-1};  via_h = d(r⊙h) ⊙ r
    after:  dq = da_h ⊙ r (q = h U_h + b_hn);  dr = da_h ⊙ q;  via_h = dq U_hᵀ
    da_z = dz ⊙ z(1 - z);  da_r = dr ⊙ r(1 - r)               (σ'; zero for forced units)
    dL/dh_{t-1} = direct + da_z U_zᵀ + da_r U_rᵀ + via_h

Weight gradients are sums over time of outer products, e.g. dW_z = Σ_t x_tᵀ da_z,t and
dU_z = Σ_t h_{t-1}ᵀ da_z,t; they are formed after the loop, one product over all steps.
The gradient stops at the batch boundary: h0 is treated as a constant input (dh0 is reported,
but it does not flow into the previous batch), as in truncated BPTT.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

from .gru import Trace, TrainTrace, bptt_factors
from .memory import empty_arrays
from .losses import dlogits as loss_dlogits
from .params import PARAM_NAMES, Params
from .vocab import one_hot


class Grads:
    """Summed gradients named like the parameters, plus the per-step pieces they come from.

    `dh_prev_parts` and `dx` (display only) are computed the first time they are read.
    """

    def __init__(self, trace: Trace | TrainTrace, da_z, da_r, da_h, dq, dlogits, dh, dh0, *,
                 params: Params, sums: dict[str, np.ndarray]):
        self._trace, self._params = trace, params
        self.da_z, self.da_r, self.da_h, self.dq = da_z, da_r, da_h, dq  # (S, B, H)
        self.dlogits = dlogits          # (S, B, V)
        self.dh = dh                    # (S, B, H)  total dL/dh_t
        self.dh0 = dh0                  # (B, H)
        for name in PARAM_NAMES:        # summed over steps and rows, shaped like the parameter
            setattr(self, name, sums[name])

    @cached_property
    def dh_prev_parts(self) -> dict[str, np.ndarray]:
        """dL/dh_{t-1} flowing back from step t, split by path (they sum to it), each (S, B, H)."""
        p, tr = self._params, self._trace
        keep, after = tr.config.update == "keep", tr.config.reset == "after"
        via_h = self.dq @ p.U_h.T if after else (self.da_h @ p.U_h.T) * tr.r
        return {"direct": self.dh * (tr.z if keep else tr.one_minus_z),
                "via_z": self.da_z @ p.U_z.T, "via_r": self.da_r @ p.U_r.T, "via_h": via_h}

    @cached_property
    def dx(self) -> np.ndarray:
        """dL/dx_t (S, B, V) = da_z W_zᵀ + da_r W_rᵀ + da_h W_hᵀ."""
        p = self._params
        W_zrh_T = np.concatenate([p.W_z, p.W_r, p.W_h], axis=1).T        # (3H, V)
        return np.concatenate([self.da_z, self.da_r, self.da_h], axis=-1) @ W_zrh_T

    @cached_property
    def _x(self) -> np.ndarray:
        """x (S, B, V); one-hot from the ids when the trace was run on ids (training path)."""
        tr = self._trace
        return tr.x if tr.x is not None else one_hot(tr.x_ids, tr.shape[2], dtype=self.da_z.dtype)

    def _factors(self, name):
        """(left, right) of `name`'s gradient Σ_t left_tᵀ right_t (a weight), or (None, right)
        for Σ_t Σ_b right_t (a bias); left and right (S, B, ·)."""
        tr, x = self._trace, self._x
        after = tr.config.reset == "after"
        return {
            "W_z": (x, self.da_z), "U_z": (tr.h_prev, self.da_z), "b_z": (None, self.da_z),
            "W_r": (x, self.da_r), "U_r": (tr.h_prev, self.da_r), "b_r": (None, self.da_r),
            "W_h": (x, self.da_h), "b_h": (None, self.da_h),
            "U_h": (tr.h_prev, self.dq) if after else (tr.r_h_prev, self.da_h),
            "b_hn": (None, self.dq), "W_y": (tr.h, self.dlogits), "b_y": (None, self.dlogits),
        }[name]

    def per_step(self, name) -> np.ndarray:
        """Contribution of each time step to the gradient of `name`: (S, *shape); sums to the total."""
        left, right = self._factors(name)
        if left is None:
            return right.sum(axis=1)
        return np.einsum("sbi,sbj->sij", left, right)

    def items(self):
        return [(name, getattr(self, name)) for name in PARAM_NAMES]

    def as_params(self) -> Params:
        return Params(**dict(self.items()))


def sum_rows_by_id(ids, rows, n: int, out=None) -> np.ndarray:
    """out[..., v, :] = Σ of rows[..., i, :] with ids[i] == v: x_oneᵀ @ rows without the zeros.

    rows (m, w) gives out (n, w); stacked rows (k, m, w) give out (k, n, w), one sum per stack.
    Small inputs use np.add.at; large ones find each id's rows by a stable sort and sum them
    in order, the sums np.add.at gives (each id's rows are gathered on their own, so no copy of
    all rows is made). Timings: benchmarks/README.md.
    """
    if out is None:
        out = np.empty((*rows.shape[:-2], n, rows.shape[-1]), rows.dtype)
    out[...] = 0.0
    rows_axis = rows.ndim - 2
    if rows.size <= 4096:
        np.add.at(out, (slice(None),) * rows_axis + (ids,), rows)
        return out
    order = np.argsort(ids, kind="stable")                            # rows grouped by id, in order
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.diff(sorted_ids, prepend=-1))          # first row of each id
    ends = np.append(starts[1:], len(ids))
    # (np.take gathers contiguous rows; rows of a slice are gathered by indexing)
    gather = ((lambda i: np.take(rows, i, axis=rows_axis)) if rows.flags.c_contiguous
              else (lambda i: rows[..., i, :]))
    for v, a, b in zip(sorted_ids[starts].tolist(), starts.tolist(), ends.tolist()):
        np.add.reduce(gather(order[a:b]), axis=rows_axis, out=out[..., v, :])
    return out


def backward(params: Params, trace: Trace | TrainTrace, Y, config=None, loss: str = "ce") -> Grads:
    """Gradients of the batch loss (cross-entropy "ce" or L2 "l2") by BPTT; see module docstring."""
    p, tr = params, trace
    cfg = config or tr.config
    if cfg is not tr.config and cfg != tr.config:
        raise ValueError(f"config {cfg} differs from the one the trace was run with ({tr.config})")
    training = isinstance(tr, TrainTrace)                            # it brings its factors
    if training and tr.factors is None:
        raise ValueError("this training trace has been through backward already (backward turns "
                         "its factors into the gradients): run forward(..., record=\"train\") "
                         "again, or backpropagate a full trace (record=\"all\") as often as needed")
    S, B, V, H = tr.shape
    keep, after = cfg.update == "keep", cfg.reset == "after"
    dlogits = loss_dlogits(tr.probs, Y, loss)                       # (S, B, V)
    dt = p.dtype
    n_back = 3 if after else 2                                       # gradients sent back through U
    # The gradients of the pre-activations, stacked [da_h, da_z, da_r, dq] (4, S, B, H), start as
    # the chain-rule factors that do not depend on dL/dh (gru.bptt_factors, [f_h, f_z, f_r, f_q])
    # and are multiplied by dL/dh_t in place, step by step (a factor's last use). A training
    # trace brings them from its forward loop (and gives them up: see forward_train); otherwise
    # they are made here, all steps at once.
    # (every array of this run, the gradients it returns included, in one pooled block; see
    # gru_core.memory)
    dh, U_back_T, out_W, out_U, out_b, out_W_y, out_b_y, paths, *fresh = empty_arrays(
        dt, (S, B, H), (3 * H, H), (3, V, H), (3, H, H), (4, H), (H, V), (V,), (4, B, H),
        *([] if training else [(4, S, B, H)]))
    if training:
        dgates, tr.factors = tr.factors, None
    else:
        dgates = fresh[0]
        bptt_factors(cfg, tr.h_prev, tr.z, tr.one_minus_z, tr.r,
                     tr.h_prev_U_h if after else tr.r_h_prev, tr.h_tilde, dgates,
                     tr.z_forced, tr.r_forced)
    da_h, da_z, da_r, dq = dgates                                    # (S, B, H) each
    if not after:
        dq[...] = 0.0                                                # (f_q is not used)
    # [U_zᵀ, U_rᵀ, U_hᵀ] (3, H, H), the transposes concatenated (not a transposed
    # concatenation copied). Reset "before" sends only [da_z, da_r] through its first two.
    np.concatenate([p.U_z.T, p.U_r.T, p.U_h.T], out=U_back_T)
    U_back_T3 = U_back_T.reshape(3, H, H)[:n_back]
    U_h_T = U_back_T[2 * H:]
    np.matmul(dlogits, p.W_y.T, out=dh)                              # (S, B, H) from the outputs
    dh_direct = tr.z if keep else tr.one_minus_z                     # ∂h_t/∂h_{t-1} directly
    # dL/dh_{t-1} = da_z U_zᵀ + da_r U_rᵀ + (dq U_hᵀ, after) + dh ⊙ ∂h/∂h_{t-1} + (d(r ⊙ h) ⊙ r,
    # before): the products stacked, (2|3, B, H) @ (2|3, H, H) (three products with H
    # columns, not one with 3H), each path into a block of `paths`, then one sum.
    # For reset "after" every gradient is dh ⊙ factor, one multiply per step for the four;
    # for "before" da_r needs d(r ⊙ h_{t-1}) = da_h U_hᵀ first.
    n_first = 4 if after else 2
    direct = paths[n_back]
    d_rh = np.empty((B, H), dt)
    dh_next = np.zeros((B, H), dt)
    for t in reversed(range(S)):
        dh_t = dh[t]
        dh_t += dh_next                                              # dL/dh_t  (B, H)
        gates_t = dgates[:, t]                                       # (4, B, H)
        np.multiply(dh_t, gates_t[:n_first], out=gates_t[:n_first])  # [da_h, da_z (, da_r, dq)]
        if not after:
            np.matmul(gates_t[0], U_h_T, out=d_rh)                   # d(r ⊙ h_{t-1})
            gates_t[2] *= d_rh                                       # da_r
            np.multiply(d_rh, tr.r[t], out=paths[3])                 # via_h
        np.matmul(gates_t[1:1 + n_back], U_back_T3, out=paths[:n_back])  # via_z, via_r (, via_h)
        np.multiply(dh_t, dh_direct[t], out=direct)                  # direct
        np.add.reduce(paths, axis=0, out=dh_next)

    # Weight gradients: Σ over all steps and rows, one (stacked) product per group of
    # parameters; a bias gradient is a column sum, ones @ rows (a BLAS product).
    n = S * B
    rows = dgates.reshape(4, n, H)                                   # [da_h, da_z, da_r, dq] rows
    ones = np.ones(n, dt)
    if tr.x_ids is not None:                                         # one-hot x: sum rows per id
        sum_rows_by_id(tr.x_ids.ravel(), rows[:3], V, out=out_W)     # [W_h, W_z, W_r]
    else:
        np.matmul(tr.x.reshape(n, V).T, rows[:3], out=out_W)
    np.matmul(ones, rows, out=out_b)                                 # [b_h, b_z, b_r, b_hn]
    np.matmul(tr.h_prev.reshape(n, H).T, rows[1:1 + n_back], out=out_U[:n_back])  # [U_z, U_r (, U_h)]
    if not after:
        np.matmul(tr.r_h_prev.reshape(n, H).T, rows[0], out=out_U[2])
    np.matmul(tr.h.reshape(n, H).T, dlogits.reshape(n, V), out=out_W_y)
    np.matmul(ones, dlogits.reshape(n, V), out=out_b_y)
    sums = {"W_h": out_W[0], "W_z": out_W[1], "W_r": out_W[2],
            "U_z": out_U[0], "U_r": out_U[1], "U_h": out_U[2],
            "b_h": out_b[0], "b_z": out_b[1], "b_r": out_b[2], "b_hn": out_b[3],
            "W_y": out_W_y, "b_y": out_b_y}
    return Grads(tr, da_z, da_r, da_h, dq, dlogits, dh, dh_next, params=p, sums=sums)
