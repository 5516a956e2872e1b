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

import numpy as np

from .gru import Trace
from .losses import dlogits as loss_dlogits
from .params import PARAM_NAMES, Params


class Grads:
    """Summed gradients named like the parameters, plus the per-step pieces they come from."""

    def __init__(self, trace: Trace, da_z, da_r, da_h, dq, dlogits, dh, dh0, dh_prev_parts, dx):
        self._trace = trace
        self.da_z, self.da_r, self.da_h, self.dq = da_z, da_r, da_h, dq  # (S, B, H)
        self.dlogits = dlogits          # (S, B, V)
        self.dh = dh                    # (S, B, H)  total dL/dh_t
        self.dh0 = dh0                  # (B, H)
        self.dh_prev_parts = dh_prev_parts  # {"direct", "via_z", "via_r", "via_h"}: (S, B, H)
        self.dx = dx                    # (S, B, V)
        for name in PARAM_NAMES:
            setattr(self, name, self._summed(name))

    # Each parameter's gradient is Σ_t left_tᵀ right_t (a weight) or Σ_t Σ_b right_t (a bias).
    def _factors(self, name):
        tr = self._trace
        after = tr.config.reset == "after"
        return {
            "W_z": (tr.x, self.da_z), "U_z": (tr.h_prev, self.da_z), "b_z": (None, self.da_z),
            "W_r": (tr.x, self.da_r), "U_r": (tr.h_prev, self.da_r), "b_r": (None, self.da_r),
            "W_h": (tr.x, self.da_h), "b_h": (None, self.da_h),
            "U_h": (tr.h_prev, self.dq) if after else (tr.r_h_prev, self.da_h),
            "b_hn": (None, self.dq), "W_y": (tr.h, self.dlogits), "b_y": (None, self.dlogits),
        }[name]

    def _summed(self, name):
        left, right = self._factors(name)
        if left is None:
            return right.sum(axis=(0, 1))
        if left is self._trace.x and self._trace.x_ids is not None:   # one-hot: scatter-add rows
            out = np.zeros((left.shape[-1], right.shape[-1]), right.dtype)
            np.add.at(out, self._trace.x_ids.ravel(), right.reshape(-1, right.shape[-1]))
            return out
        return left.reshape(-1, left.shape[-1]).T @ right.reshape(-1, right.shape[-1])

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


def backward(params: Params, trace: Trace, Y, config=None, loss: str = "ce") -> Grads:
    """Gradients of the batch loss (cross-entropy "ce" or L2 "l2") by BPTT; see module docstring."""
    p, tr = params, trace
    cfg = config or tr.config
    if cfg != tr.config:
        raise ValueError(f"config {cfg} differs from the one the trace was run with ({tr.config})")
    S, B, V, H = tr.shape
    keep, after = cfg.update == "keep", cfg.reset == "after"
    dlogits = loss_dlogits(tr.probs, Y, loss)                       # (S, B, V)
    dh_out = dlogits @ p.W_y.T                                       # (S, B, H) from the outputs

    z_grad = tr.z * (1.0 - tr.z)                                     # σ'(a_z), (S, B, H)
    r_grad = tr.r * (1.0 - tr.r)
    if tr.z_forced is not None:
        z_grad[..., tr.z_forced] = 0.0
    if tr.r_forced is not None:
        r_grad[..., tr.r_forced] = 0.0
    tanh_grad = 1.0 - tr.h_tilde ** 2

    da_z, da_r, da_h, dq, dh = (np.zeros((S, B, H), p.dtype) for _ in range(5))
    parts = {k: np.zeros((S, B, H), p.dtype) for k in ("direct", "via_z", "via_r", "via_h")}
    dh_next = np.zeros((B, H), p.dtype)
    for t in reversed(range(S)):
        dh[t] = dh_out[t] + dh_next
        h_prev, z, h_tilde = tr.h_prev[t], tr.z[t], tr.h_tilde[t]
        if keep:
            dz, dh_tilde, parts["direct"][t] = dh[t] * (h_prev - h_tilde), dh[t] * (1.0 - z), dh[t] * z
        else:
            dz, dh_tilde, parts["direct"][t] = dh[t] * (h_tilde - h_prev), dh[t] * z, dh[t] * (1.0 - z)
        da_h[t] = dh_tilde * tanh_grad[t]
        if after:
            dq[t] = da_h[t] * tr.r[t]
            dr = da_h[t] * tr.h_prev_U_h[t]
            parts["via_h"][t] = dq[t] @ p.U_h.T
        else:
            d_rh = da_h[t] @ p.U_h.T
            dr = d_rh * h_prev
            parts["via_h"][t] = d_rh * tr.r[t]
        da_z[t] = dz * z_grad[t]
        da_r[t] = dr * r_grad[t]
        np.matmul(da_z[t], p.U_z.T, out=parts["via_z"][t])
        np.matmul(da_r[t], p.U_r.T, out=parts["via_r"][t])
        dh_next = parts["direct"][t] + parts["via_z"][t] + parts["via_r"][t] + parts["via_h"][t]

    W_zrh_T = np.concatenate([p.W_z, p.W_r, p.W_h], axis=1).T        # (3H, V)
    dx = np.concatenate([da_z, da_r, da_h], axis=-1) @ W_zrh_T        # (S, B, V)
    return Grads(tr, da_z, da_r, da_h, dq, dlogits, dh, dh_next, parts, dx)
