"""Time one training step of gru_core against torch.nn.GRU on the CPU (issue: engine speed).

One step = GRU forward over S steps + output layer + cross-entropy (mean over the S*B
positions) + backward through time, on one batch of one-hot inputs starting from h0 = 0.
The numpy side = the training path (what gru_core.train runs each step: a TrainTrace that
keeps only what backward needs, not the app's full Trace). Both sides get the batch the way
they take it: gru_core the integer ids of the characters (its one-hot rows are a row gather),
torch.nn.GRU the one-hot X (S, B, V) it needs; both get the targets as ids.

    numpy:  trace = gru_core.forward(params, x_ids, None, TORCH_CONFIG, record="train")  # "after", keep
            loss  = gru_core.batch_loss(trace.probs, y_ids, "ce")
            grads = gru_core.backward(params, trace, y_ids, TORCH_CONFIG, "ce")
    torch:  out, _ = nn.GRU(V, H)(X, h0);  logits = nn.Linear(H, V)(out)
            loss = F.cross_entropy(logits.reshape(S*B, V), y_ids);  loss.backward()

Both sides get the same weights (gru_core.to_torch_state_dict; random non-zero biases so the
bias mapping is exercised), the same dtype and the same number of threads. Before timing,
each size checks once that both sides compute the same loss and the same gradients of every
weight (to 1e-8 in float64), so the table compares the same computation. Runs alternate
numpy/torch (and which goes first) so that machine noise hits both; the table shows medians.

torch is optional: without it only the numpy column is printed. torch is never needed by
the app or the tests.

Usage: python benchmarks/bench_engine.py [--repeats 7] [--dtype float64|float32]
           [--sizes B2S3V4H2,B32S64V65H128,B64S128V65H256] [--threads N] [--no-torch]
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import glob
import os
import pathlib
import platform
import re
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import gru_core  # noqa: E402
from gru_core import TORCH_CONFIG  # noqa: E402

DEFAULT_SIZES = "B2S3V4H2,B32S64V65H128,B64S128V65H256"
GOALS = {(2, 3, 4, 2): 0.2, (32, 64, 65, 128): 0.7}   # ratio numpy/torch goals (float64)
TOLERANCE = {"float64": 1e-8, "float32": 1e-4}


# ------------------------------------------------------------------ BLAS threads of NumPy

def _openblas():
    """NumPy's bundled OpenBLAS as a ctypes library with (get, set) thread functions, or None."""
    libs_dir = pathlib.Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(glob.glob(str(libs_dir / "*openblas*"))):
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and set_ is not None:
                    return get, set_
    return None


def numpy_threads(set_to: int | None = None) -> int | None:
    """Threads NumPy's BLAS uses (optionally setting them first); None if unknown."""
    try:
        import threadpoolctl
        if set_to is not None:
            threadpoolctl.threadpool_limits(set_to, user_api="blas")
        counts = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        return counts[0] if counts else None
    except ImportError:
        pass
    funcs = _openblas()
    if funcs is None:
        return None
    get, set_ = funcs
    if set_to is not None:
        set_(int(set_to))
    return int(get())


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


# ------------------------------------------------------------------ the two implementations

def parse_sizes(text: str) -> list[tuple[int, int, int, int]]:
    sizes = []
    for token in text.split(","):
        m = re.fullmatch(r"\s*B(\d+)\s*S(\d+)\s*V(\d+)\s*H(\d+)\s*", token, flags=re.I)
        if not m:
            raise argparse.ArgumentTypeError(f"size {token!r} is not like B32S64V65H128")
        sizes.append(tuple(int(g) for g in m.groups()))
    return sizes


def make_case(B, S, V, H, dtype, seed=0):
    """Weights (with random biases), one-hot X (S, B, V) for torch, input and target ids (S, B)."""
    rng = np.random.default_rng(seed)
    params = gru_core.init_params(V, H, seed=seed, dtype=dtype)
    params = params.replace(**{b: rng.uniform(-0.5, 0.5, getattr(params, b).shape).astype(dtype)
                               for b in ("b_z", "b_r", "b_h", "b_hn", "b_y")})
    x_ids, y_ids = rng.integers(0, V, (S, B)), rng.integers(0, V, (S, B))
    eye = np.eye(V, dtype=dtype)
    return params, eye[x_ids], x_ids, y_ids


def numpy_step(params, x_ids, y_ids):
    trace = gru_core.forward(params, x_ids, None, TORCH_CONFIG, record="train")  # the training path
    loss = gru_core.batch_loss(trace.probs, y_ids, "ce")
    grads = gru_core.backward(params, trace, y_ids, TORCH_CONFIG, "ce")
    return loss, grads


class TorchStep:
    """The same step with torch.nn.GRU + nn.Linear + F.cross_entropy (mean), loaded from params."""

    def __init__(self, torch, params, X, y_ids):
        self.torch, self.F = torch, torch.nn.functional
        tdtype = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[params.dtype]
        V, H = params.vocab_size, params.hidden_size
        S, B = X.shape[:2]
        self.gru = torch.nn.GRU(V, H, batch_first=False).to(tdtype)
        self.lin = torch.nn.Linear(H, V).to(tdtype)
        state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in
                 gru_core.to_torch_state_dict(params).items()}
        self.gru.load_state_dict(state)
        self.lin.load_state_dict({"weight": torch.from_numpy(np.ascontiguousarray(params.W_y.T)),
                                  "bias": torch.from_numpy(params.b_y.copy())})
        self.X = torch.from_numpy(np.ascontiguousarray(X))              # (S, B, V) one-hot
        self.y = torch.from_numpy(y_ids.reshape(-1).astype(np.int64))  # (S*B,)
        self.h0 = torch.zeros(1, B, H, dtype=tdtype)
        self.V = V

    def __call__(self):
        self.gru.zero_grad(set_to_none=True)
        self.lin.zero_grad(set_to_none=True)
        out, _ = self.gru(self.X, self.h0)                               # (S, B, H)
        logits = self.lin(out)                                           # (S, B, V)
        loss = self.F.cross_entropy(logits.reshape(-1, self.V), self.y)  # mean over S*B
        loss.backward()
        return loss

    def grads(self) -> dict[str, np.ndarray]:
        g = {k: v.grad.numpy() for k, v in self.gru.named_parameters()}
        g["W_y.T"] = self.lin.weight.grad.numpy()
        g["b_y"] = self.lin.bias.grad.numpy()
        return g


def check_same(params, x_ids, y_ids, torch_step, tol) -> float:
    """Assert that loss and every gradient agree; returns the largest absolute difference."""
    loss, grads = numpy_step(params, x_ids, y_ids)
    t_loss = torch_step()
    H = params.hidden_size
    expected = gru_core.to_torch_state_dict(grads.as_params())
    # torch has hidden-side r and z biases; their gradients equal those of b_r and b_z
    expected["bias_hh_l0"] = np.concatenate([grads.b_r, grads.b_z, grads.b_hn])
    expected["W_y.T"], expected["b_y"] = grads.W_y.T, grads.b_y
    got = torch_step.grads()
    diffs = {"loss": abs(loss - float(t_loss.detach()))}
    diffs.update({k: float(np.max(np.abs(expected[k] - got[k]))) for k in expected})
    worst = max(diffs, key=diffs.get)
    assert diffs[worst] <= tol, (f"numpy and torch disagree: {worst} differs by {diffs[worst]:.3g} "
                                 f"(> {tol:g}); all: {diffs}")
    assert got["weight_hh_l0"].shape == (3 * H, H)
    return diffs[worst]


# ------------------------------------------------------------------ timing

def run_time(fn, number: int) -> float:
    """Seconds per call of fn, over `number` calls."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def calibrate(fn, min_time: float) -> int:
    """Calls per timed run so that one run takes about min_time seconds."""
    fn()                                              # warm-up
    per_call = run_time(fn, 1)
    return max(1, int(min_time / max(per_call, 1e-7)))


def bench_size(size, dtype, repeats, min_time, torch):
    B, S, V, H = size
    params, X, x_ids, y_ids = make_case(B, S, V, H, dtype)
    numpy_fn = lambda: numpy_step(params, x_ids, y_ids)  # noqa: E731
    row = {"size": size, "numpy": [], "torch": [], "diff": None}
    torch_fn = None
    if torch is not None:
        torch_fn = TorchStep(torch, params, X, y_ids)
        row["diff"] = check_same(params, x_ids, y_ids, torch_fn, TOLERANCE[np.dtype(dtype).name])
    sides = [("numpy", numpy_fn)] + ([("torch", torch_fn)] if torch_fn is not None else [])
    number = {name: calibrate(fn, min_time) for name, fn in sides}
    row["number"] = number
    for r in range(repeats):
        for name, fn in (sides if r % 2 == 0 else sides[::-1]):   # alternate who goes first
            row[name].append(run_time(fn, number[name]))
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=7, help="timed runs per side and size (median shown)")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES),
                    help=f"comma-separated sizes like B32S64V65H128 (default {DEFAULT_SIZES})")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for NumPy's BLAS and for torch (default: what NumPy uses)")
    ap.add_argument("--min-time", type=float, default=0.2,
                    help="seconds per timed run; short steps are repeated within a run")
    ap.add_argument("--no-torch", action="store_true", help="time only the numpy side")
    args = ap.parse_args(argv)

    np_threads = numpy_threads(args.threads)
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch is not installed: timing the numpy side only.")
    threads = args.threads or np_threads or os.cpu_count()
    if torch is not None:
        torch.set_num_threads(threads)

    print(f"machine: {machine()}")
    print(f"numpy {np.__version__}: BLAS threads {np_threads if np_threads is not None else 'unknown'}")
    if torch is not None:
        print(f"torch {torch.__version__}: torch.get_num_threads() = {torch.get_num_threads()}, "
              f"interop threads {torch.get_num_interop_threads()}")
    print(f"dtype {args.dtype}; config {TORCH_CONFIG} on both sides; median of {args.repeats} "
          f"interleaved runs; times are per step (forward + output + cross-entropy + backward)")
    print("numpy side = the training path (gru_core.train's step: forward(..., record=\"train\"), "
          "batch_loss, backward)\n")

    header = (f"{'size':<18}{'numpy ms':>10}{'torch ms':>10}{'numpy/torch':>13}  {'goal':<12}"
              f"{'max |diff|':>10}  calls/run (numpy/torch)")
    print(header)
    print("-" * len(header))
    all_met = True
    for size in args.sizes:
        row = bench_size(size, np.dtype(args.dtype), args.repeats, args.min_time, torch)
        B, S, V, H = size
        t_np = statistics.median(row["numpy"]) * 1e3
        line = f"B{B} S{S} V{V} H{H}".ljust(18) + f"{t_np:10.3f}"
        if row["torch"]:
            t_t = statistics.median(row["torch"]) * 1e3
            ratio = t_np / t_t
            goal = GOALS.get(size) if args.dtype == "float64" else None
            mark = ""
            if goal is not None:
                met = ratio <= goal
                all_met &= met
                mark = f"<= {goal:g} {'met' if met else 'MISSED'}"
            line += f"{t_t:10.3f}{ratio:13.3f}  {mark:<12}{row['diff']:10.1e}"
        else:
            line += f"{'-':>10}{'-':>13}  {'':<12}{'-':>10}"
        line += "  " + "/".join(str(n) for n in row["number"].values())
        print(line, flush=True)
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
