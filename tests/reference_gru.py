"""A deliberately naive, independent reference GRU used as a test oracle.

Nothing here imports gru_core.  Every quantity is computed one formula per
line, looping over time steps and batch rows, so the code can be checked by
eye against the equations in shared_spec/engine_api.md:

    z  = sigmoid(x W_z + h_prev U_z + b_z)
    r  = sigmoid(x W_r + h_prev U_r + b_r)
    reset "before": h~ = tanh(x W_h + (r * h_prev) U_h + b_h)
    reset "after":  h~ = tanh(x W_h + b_h + r * (h_prev U_h + b_hn))
    update "keep":  h = z * h_prev + (1 - z) * h~
    update "take":  h = (1 - z) * h_prev + z * h~
    logits = h W_y + b_y ; probs = softmax(logits) per row

Parameters are plain dicts name -> ndarray (row-vector convention: W_* is
(V, H), U_* is (H, H), b_* is (H,), W_y is (H, V), b_y is (V,)).  A dict may
also be replaced by a list of S dicts, one per time step ("untied" weights),
which lets finite differences measure the contribution of each time step.

``offsets`` lets a test add a perturbation to an intermediate quantity so that
finite differences give the gradient with respect to it:
    "z_pre", "r_pre", "h_pre", "h" (S, B, H), "logits" (S, B, V),
    "carry" (S, B, H): added to h_{t-1} where step t reads it (not where
    step t-1's output layer reads it), i.e. dL/d carry[t] is the gradient
    flowing back into h_{t-1} from step t.
    "carry_direct", "carry_z", "carry_r", "carry_h" (S, B, H): added to h_{t-1}
    only in one of the four places step t reads it: the interpolation
    (z * h_prev or (1 - z) * h_prev), the z gate's h_prev U_z, the r gate's
    h_prev U_r, and the candidate (r * h_prev or h_prev U_h).
"""

from __future__ import annotations

import math

import numpy as np

PARAM_NAMES = ("W_z", "U_z", "b_z", "W_r", "U_r", "b_r",
               "W_h", "U_h", "b_h", "W_y", "b_y", "b_hn")

# The published tutorial weights, typed by hand from the reference note.
TUTORIAL_ORDER = "hatM"
TUTORIAL_TEXT = "MathMathMathMathMath"
TUTORIAL_WEIGHTS = {
    "W_z": [[0.6614, 0.2669], [0.0617, 0.6213], [-0.4519, -0.1661], [-1.5228, 0.3817]],
    "W_r": [[-1.0276, -0.5631], [-0.8923, -0.0583], [-0.1955, -0.9656], [0.4224, 0.2673]],
    "W_h": [[-0.4212, -0.5107], [-1.5727, -0.1232], [3.5870, -1.8313], [1.5987, -1.2770]],
    "U_z": [[0.3255, -0.4791], [1.3790, 2.5286]],
    "U_r": [[0.4107, -0.9880], [-0.9081, 0.5423]],
    "U_h": [[0.1103, -2.2590], [0.6067, -0.1383]],
    "W_y": [[0.8310, -0.2477, -0.8029, 0.2366], [0.2857, 0.6898, -0.6331, 0.8795]],
}


def tutorial_weights():
    """The published weights as a params dict (all biases zero, b_hn zero)."""
    P = {k: np.array(v, dtype=np.float64) for k, v in TUTORIAL_WEIGHTS.items()}
    P["b_z"] = np.zeros(2)
    P["b_r"] = np.zeros(2)
    P["b_h"] = np.zeros(2)
    P["b_y"] = np.zeros(4)
    P["b_hn"] = np.zeros(2)
    return P


# ---------------------------------------------------------------- utilities

def sigmoid_scalar(a):
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def sigmoid(v):
    return np.array([sigmoid_scalar(float(a)) for a in np.ravel(v)]).reshape(np.shape(v))


def softmax_row(v):
    m = max(float(a) for a in v)
    e = np.array([math.exp(float(a) - m) for a in v])
    return e / e.sum()


def random_params(V, H, rng, scale=0.8, bias_scale=0.5):
    """Random params dict with nonzero biases (including b_hn)."""
    P = {}
    for g in ("z", "r", "h"):
        P["W_" + g] = rng.uniform(-scale, scale, (V, H))
        P["U_" + g] = rng.uniform(-scale, scale, (H, H))
        P["b_" + g] = rng.uniform(-bias_scale, bias_scale, H)
    P["W_y"] = rng.uniform(-scale, scale, (H, V))
    P["b_y"] = rng.uniform(-bias_scale, bias_scale, V)
    P["b_hn"] = rng.uniform(-bias_scale, bias_scale, H)
    return P


def random_onehot(S, B, V, rng):
    ids = rng.integers(0, V, size=(S, B))
    X = np.zeros((S, B, V))
    for t in range(S):
        for b in range(B):
            X[t, b, ids[t, b]] = 1.0
    return X, ids


def onehot(ids, V):
    ids = np.asarray(ids)
    out = np.zeros(ids.shape + (V,))
    for idx in np.ndindex(ids.shape):
        out[idx + (int(ids[idx]),)] = 1.0
    return out


def copy_params(P):
    if isinstance(P, list):
        return [copy_params(p) for p in P]
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in P.items()}


def untie(P, S):
    """One independent copy of the params per time step."""
    return [copy_params(P) for _ in range(S)]


# ------------------------------------------------------------------ forward

def forward(P, X, h0=None, reset="before", update="keep",
            clamp_z=None, clamp_r=None, offsets=None):
    """Naive forward pass.  Returns a dict of (S, B, ...) arrays."""
    assert reset in ("before", "after")
    assert update in ("keep", "take")
    X = np.asarray(X, dtype=np.float64)
    S, B, V = X.shape
    P0 = P[0] if isinstance(P, list) else P
    H = P0["U_z"].shape[0]
    offsets = offsets or {}
    h = np.zeros((B, H)) if h0 is None else np.array(h0, dtype=np.float64)

    names = ["x", "h_prev", "z_in", "z_rec", "z_bias", "z_pre", "z",
             "r_in", "r_rec", "r_bias", "r_pre", "r",
             "h_in", "h_rec", "h_bias", "h_pre", "h_tilde",
             "r_h_prev", "h_prev_U_h", "one_minus_z", "h_from_prev",
             "h_from_tilde", "h", "logits", "probs"]
    out = {n: [] for n in names}

    for t in range(S):
        Pt = P[t] if isinstance(P, list) else P
        rows = {n: [] for n in names}
        for b in range(B):
            x = X[t, b]
            hp = h[b].copy()
            if "carry" in offsets:
                hp = hp + offsets["carry"][t, b]
            hp_direct = hp + offsets["carry_direct"][t, b] if "carry_direct" in offsets else hp
            hp_z = hp + offsets["carry_z"][t, b] if "carry_z" in offsets else hp
            hp_r = hp + offsets["carry_r"][t, b] if "carry_r" in offsets else hp
            hp_h = hp + offsets["carry_h"][t, b] if "carry_h" in offsets else hp

            z_in = x @ Pt["W_z"]
            z_rec = hp_z @ Pt["U_z"]
            z_bias = Pt["b_z"].copy()
            z_pre = z_in + z_rec + z_bias
            if "z_pre" in offsets:
                z_pre = z_pre + offsets["z_pre"][t, b]
            z = sigmoid(z_pre)

            r_in = x @ Pt["W_r"]
            r_rec = hp_r @ Pt["U_r"]
            r_bias = Pt["b_r"].copy()
            r_pre = r_in + r_rec + r_bias
            if "r_pre" in offsets:
                r_pre = r_pre + offsets["r_pre"][t, b]
            r = sigmoid(r_pre)

            if clamp_z is not None:
                for j in range(H):
                    if not math.isnan(clamp_z[j]):
                        z[j] = clamp_z[j]
            if clamp_r is not None:
                for j in range(H):
                    if not math.isnan(clamp_r[j]):
                        r[j] = clamp_r[j]

            r_h_prev = r * hp_h
            h_prev_U_h = hp_h @ Pt["U_h"] + Pt["b_hn"]
            h_in = x @ Pt["W_h"]
            h_bias = Pt["b_h"].copy()
            if reset == "before":
                h_rec = r_h_prev @ Pt["U_h"]
            else:
                h_rec = r * h_prev_U_h
            h_pre = h_in + h_rec + h_bias
            if "h_pre" in offsets:
                h_pre = h_pre + offsets["h_pre"][t, b]
            h_tilde = np.tanh(h_pre)

            one_minus_z = 1.0 - z
            if update == "keep":
                h_from_prev = z * hp_direct
                h_from_tilde = one_minus_z * h_tilde
            else:
                h_from_prev = one_minus_z * hp_direct
                h_from_tilde = z * h_tilde
            h_new = h_from_prev + h_from_tilde
            if "h" in offsets:
                h_new = h_new + offsets["h"][t, b]

            logits = h_new @ Pt["W_y"] + Pt["b_y"]
            if "logits" in offsets:
                logits = logits + offsets["logits"][t, b]
            probs = softmax_row(logits)

            for n, v in (("x", x), ("h_prev", hp), ("z_in", z_in), ("z_rec", z_rec),
                         ("z_bias", z_bias), ("z_pre", z_pre), ("z", z),
                         ("r_in", r_in), ("r_rec", r_rec), ("r_bias", r_bias),
                         ("r_pre", r_pre), ("r", r), ("h_in", h_in), ("h_rec", h_rec),
                         ("h_bias", h_bias), ("h_pre", h_pre), ("h_tilde", h_tilde),
                         ("r_h_prev", r_h_prev), ("h_prev_U_h", h_prev_U_h),
                         ("one_minus_z", one_minus_z), ("h_from_prev", h_from_prev),
                         ("h_from_tilde", h_from_tilde), ("h", h_new),
                         ("logits", logits), ("probs", probs)):
                rows[n].append(np.array(v, dtype=np.float64))
        for n in names:
            out[n].append(np.stack(rows[n]))
        h = out["h"][-1]

    return {n: np.stack(v) for n, v in out.items()}


# ------------------------------------------------------------------- losses

def cross_entropy(probs, Y):
    """Mean over all S*B positions of -log p[target]; Y one-hot (S, B, V)."""
    S, B, V = probs.shape
    total = 0.0
    for t in range(S):
        for b in range(B):
            k = int(np.argmax(Y[t, b]))
            total += -math.log(probs[t, b, k])
    return total / (S * B)


def cross_entropy_terms(probs, Y):
    """term3 (S,) = -mean over batch of sum_v y log p ; loss = mean(term3)."""
    S, B, V = probs.shape
    term3 = []
    for t in range(S):
        s = 0.0
        for b in range(B):
            for v in range(V):
                if Y[t, b, v] != 0.0:
                    s += Y[t, b, v] * math.log(probs[t, b, v])
        term3.append(-s / B)
    return np.array(term3), float(np.mean(term3))


def l2_loss(probs, Y):
    """Mean over all S*B positions of 0.5 * ||p - y||^2."""
    S, B, V = probs.shape
    total = 0.0
    for t in range(S):
        for b in range(B):
            d = probs[t, b] - Y[t, b]
            total += 0.5 * float(d @ d)
    return total / (S * B)


def loss_of(P, X, Y, h0=None, reset="before", update="keep", loss="ce", offsets=None):
    tr = forward(P, X, h0, reset=reset, update=update, offsets=offsets)
    if loss == "ce":
        return cross_entropy(tr["probs"], Y)
    if loss == "l2":
        return l2_loss(tr["probs"], Y)
    raise ValueError(loss)


# --------------------------------------------------------- finite differences

def numerical_gradient(f, arr, eps=1e-3):
    """Gradient of scalar f() w.r.t. every element of ``arr`` (modified in place
    and restored).  Uses the 4th-order central difference
        f'(a) ~ (-f(a+2e) + 8 f(a+e) - 8 f(a-e) + f(a-2e)) / (12 e)
    whose truncation error is O(e^4); with e = 1e-3 in float64 the result is
    accurate to about 1e-12 (absolute) for the smooth, O(1) losses used here."""
    grad = np.zeros_like(arr, dtype=np.float64)
    for idx in np.ndindex(arr.shape):
        orig = arr[idx]
        vals = []
        for step in (2.0, 1.0, -1.0, -2.0):
            arr[idx] = orig + step * eps
            vals.append(f())
        arr[idx] = orig
        grad[idx] = (-vals[0] + 8.0 * vals[1] - 8.0 * vals[2] + vals[3]) / (12.0 * eps)
    return grad


def rel_error(a, n, floor=1e-5):
    """Max elementwise |a - n| / max(|a| + |n|, floor).  The floor keeps
    (near-)zero gradients from turning the ~1e-12 finite-difference noise into
    a large relative error; above it this is the usual relative error."""
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)))
