"""How fast can any NumPy training step be at the tiny size? (issue: engine speed, B2 S3 V4 H2)

`bare_step` is the step gru_core.train runs (reset "after", update "keep", one-hot inputs as
ids, cross-entropy), written as the bare sequence of NumPy calls: no argument checks, no
Trace or Grads objects, no pool, one function. It computes the same loss and gradients as the
engine (checked below to 1e-12), so its time is a floor for a NumPy implementation of that step
on this machine: at the tiny size nearly all of it is NumPy's cost per call (~0.3-0.8 µs, ~100
calls), not arithmetic. Compare the floor with 0.2 × torch's time for the same step
(bench_engine.py) to see whether a goal is reachable in NumPy at all.

Usage: python benchmarks/bench_floor.py [--sizes B2S3V4H2,B8S16V30H16] [--repeats 9]
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_engine import make_case, numpy_step, numpy_threads, parse_sizes  # noqa: E402


def bare_step(p, x_ids, y_ids):
    """Loss and gradients of one batch, h0 = 0, in the fewest NumPy calls we found."""
    (S, B), V, H = x_ids.shape, p.vocab_size, p.hidden_size
    n = S * B
    U = np.concatenate([-p.U_z, -p.U_r, p.U_h]).reshape(3, H, H)     # [-U_z, -U_r, U_h]
    W_b = np.concatenate([p.W_z, p.W_r, p.W_h]).reshape(3, V, H)
    W_b += np.concatenate([p.b_z, p.b_r, p.b_h]).reshape(3, 1, H)
    W_b[:2] *= -1                                                     # rows -(x W + b) for z, r
    hs = np.zeros((S + 1, B, H))
    zrq, one_minus_z, h_tilde = np.empty((S, 3, B, H)), np.empty((S, B, H)), np.empty((S, B, H))
    xw, a_h, tmp = np.empty((3, B, H)), np.empty((B, H)), np.empty((B, H))
    with np.errstate(over="ignore"):
        for t in range(S):
            np.take(W_b, x_ids[t], axis=1, out=xw, mode="clip")
            zr = zrq[t, :2]
            np.matmul(hs[t], U, out=zrq[t])
            zr += xw[:2]
            np.exp(zr, out=zr)
            zr += 1.0
            np.divide(1.0, zr, out=zr)                                # [z, r]
            zrq[t, 2] += p.b_hn                                       # q
            np.multiply(zrq[t, 1], zrq[t, 2], out=a_h)
            a_h += xw[2]
            np.tanh(a_h, out=h_tilde[t])
            np.subtract(1.0, zrq[t, 0], out=one_minus_z[t])
            np.multiply(zrq[t, 0], hs[t], out=tmp)
            np.multiply(one_minus_z[t], h_tilde[t], out=a_h)
            np.add(tmp, a_h, out=hs[t + 1])
    z, r, q = zrq[:, 0], zrq[:, 1], zrq[:, 2]
    G = np.empty((4, S, B, H))                                        # factors, then gradients
    f_h, f_z, f_r, f_q = G
    np.multiply(h_tilde, h_tilde, out=f_h)
    np.subtract(1.0, f_h, out=f_h)
    f_h *= one_minus_z
    np.subtract(hs[:-1], h_tilde, out=f_z)
    f_z *= z
    f_z *= one_minus_z
    np.subtract(1.0, r, out=f_r)
    np.multiply(f_h, r, out=f_q)
    f_r *= f_q
    f_r *= q
    probs = hs[1:] @ p.W_y
    probs += p.b_y
    probs -= probs.max(axis=-1, keepdims=True)
    np.exp(probs, out=probs)
    probs /= probs.sum(axis=-1, keepdims=True)
    at = y_ids.ravel() + np.arange(0, n * V, V)
    p_target = probs.reshape(-1)[at]
    loss = -np.log(p_target).sum() / n
    dlogits = probs / n
    dlogits.reshape(-1)[at] = (p_target - 1) / n
    dh = dlogits @ p.W_y.T
    U_T = np.concatenate([p.U_z.T, p.U_r.T, p.U_h.T]).reshape(3, H, H)
    paths, dh_next = np.empty((4, B, H)), np.zeros((B, H))
    for t in reversed(range(S)):
        dh_t = dh[t]
        dh_t += dh_next
        g = G[:, t]
        np.multiply(dh_t, g, out=g)                                   # [da_h, da_z, da_r, dq]
        np.matmul(g[1:], U_T, out=paths[:3])
        np.multiply(dh_t, z[t], out=paths[3])
        np.add.reduce(paths, axis=0, out=dh_next)
    rows, ones = G.reshape(4, n, H), np.ones(n)
    dW = np.zeros((3, V, H))
    np.add.at(dW, (slice(None), x_ids.ravel()), rows[:3])
    db = ones @ rows
    dU = hs[:-1].reshape(n, H).T @ rows[1:]
    grads = {"W_h": dW[0], "W_z": dW[1], "W_r": dW[2], "U_z": dU[0], "U_r": dU[1], "U_h": dU[2],
             "b_h": db[0], "b_z": db[1], "b_r": db[2], "b_hn": db[3],
             "W_y": hs[1:].reshape(n, H).T @ dlogits.reshape(n, V), "b_y": ones @ dlogits.reshape(n, V)}
    return loss, grads


def check_same(params, x_ids, y_ids) -> float:
    """The bare step computes the engine's loss and gradients; returns the largest difference."""
    loss, grads = bare_step(params, x_ids, y_ids)
    e_loss, e_grads = numpy_step(params, x_ids, y_ids)
    diff = max([abs(loss - e_loss)] + [float(np.max(np.abs(grads[k] - g))) for k, g in e_grads.items()])
    assert diff < 1e-12, f"the bare step differs from gru_core by {diff:.3g}"
    return diff


def per_call(fn, seconds: float = 0.2) -> float:
    fn()
    n = max(1, int(seconds / max(1e-7, (lambda s: (fn(), time.perf_counter() - s)[1])(time.perf_counter()))))
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=parse_sizes, default=parse_sizes("B2S3V4H2,B8S16V30H16"))
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--threads", type=int, default=1, help="NumPy's BLAS threads (default 1)")
    args = ap.parse_args(argv)
    numpy_threads(args.threads)
    print(f"numpy {np.__version__}, BLAS threads {args.threads}; per-step medians of {args.repeats} "
          "interleaved runs\n")
    print(f"{'size':<18}{'gru_core µs':>12}{'bare µs':>10}{'bare / gru_core':>17}{'max |diff|':>12}")
    for B, S, V, H in args.sizes:
        params, _, x_ids, y_ids = make_case(B, S, V, H, np.float64)
        diff = check_same(params, x_ids, y_ids)
        times = {"engine": [], "bare": []}
        fns = {"engine": lambda: numpy_step(params, x_ids, y_ids), "bare": lambda: bare_step(params, x_ids, y_ids)}
        for r in range(args.repeats):
            for name in (("engine", "bare") if r % 2 == 0 else ("bare", "engine")):
                times[name].append(per_call(fns[name]))
        t_e, t_b = (statistics.median(times[k]) * 1e6 for k in ("engine", "bare"))
        print(f"{f'B{B} S{S} V{V} H{H}':<18}{t_e:12.1f}{t_b:10.1f}{t_b / t_e:17.2f}{diff:12.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
