"""Speed of the learning pages (issue 4): medians of several runs, printed as a table.

    train epoch       gru_core.train, one epoch over 10,000 characters, H=64, S=25, B=16, Adam
                      (goal <= 2 s)
    explorer build    the Gate explorer's work for 5,000 characters without Streamlit: the forward
                      pass over the text (B=1, H=32, ui.compute.explore_text, never a cache hit)
                      plus building and serialising its five figures for a 100-character window
                      (goal <= 1 s)
    explorer page     pages/8_Gate_explorer.py run in AppTest on 5,000 characters (the sidebar
                      text, H=32): "cold" = a new seed each run (cache miss: forward + figures),
                      "warm" = the window moved (cached forward, figures only) (goal <= 1 s)

Usage: python benchmarks/bench_learning.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))          # as `streamlit run app.py` does, so pages can import ui

import numpy as np  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import gru_core as gc  # noqa: E402
from ui import plots  # noqa: E402
from ui.compute import explore_text  # noqa: E402

SONNETS = (ROOT / "data" / "sonnets.txt").read_text(encoding="utf-8")


# NumPy's BLAS thread count (read / set), shared with the other benchmarks.
from bench_engine import numpy_threads as blas_threads  # noqa: E402  (benchmarks/ is the script's folder)


def cycled(n: int) -> str:
    return (SONNETS * (n // len(SONNETS) + 1))[:n]


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_train_epoch(repeats: int) -> tuple[float, str]:
    text = cycled(10_000)
    vocab = gc.Vocab.from_text(text)
    batches = gc.make_batches(vocab.encode(text), vocab.size, 16, 25, "streams")
    params = gc.init_params(vocab.size, 64, seed=0)
    t = median_time(lambda: gc.train(params, batches, optimizer="adam", lr=0.01, epochs=1), repeats)
    return t, f"{batches.num_batches} steps, V={vocab.size}"


def explorer_figures(text: str, seed: int, window: int = 100):
    """What the explorer page computes and draws: the cached forward over the text (a new seed
    each call, so never a cache hit) and its five figures, serialised as st.plotly_chart does."""
    vocab = gc.Vocab.from_text(text)
    params = gc.init_params(vocab.size, 32, seed=seed)
    ex = explore_text(text, vocab, params, gc.GRUConfig())
    chars, pos, hid = text[:window], np.arange(1, window + 1), plots.hidden_labels(32)
    figs = [plots.text_heatmap(getattr(ex, n)[:window].T, title=n, chars=chars, positions=pos,
                               y_labels=hid, kind="tanh" if n == "h" else "gate") for n in "zrh"]
    figs.append(plots.text_lines({"z": ex.z[:window, 0], "r": ex.r[:window, 0], "h": ex.h[:window, 0]},
                                 title="unit", chars=chars, positions=pos, y_title="value"))
    figs.append(plots.heatmap(np.stack([ex.by_char[q][:, 0] for q in "zrh"]), title="by character",
                              x_labels=plots.char_labels(vocab.chars), y_labels=list("zrh"), kind="tanh"))
    return [f.to_json() for f in figs]


def bench_explorer_build(repeats: int) -> tuple[float, str]:
    text = cycled(5_000)
    seeds = iter(range(1000))
    return median_time(lambda: explorer_figures(text, next(seeds)), repeats), "forward + 5 figures"


def bench_explorer_page(repeats: int) -> tuple[float, float]:
    text = cycled(5_000)
    at = AppTest.from_file(str(ROOT / "pages" / "8_Gate_explorer.py"), default_timeout=120)
    for k, v in {"text": text, "order": "sorted", "hidden_size": 32, "weights": "random",
                 "learn_source": "sidebar", "batch_size": 16, "seq_len": 25}.items():
        at.session_state[k] = v
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    cold, warm = [], []
    for i in range(repeats):
        at.session_state["seed"] = 100 + i                 # new weights: the forward pass is not cached
        start = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - start)
        at.session_state["explore_start"] = 1 + 100 * (i + 1)   # same weights, another window
        start = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - start)
    if at.exception or len(at.get("plotly_chart")) < 5:
        raise RuntimeError("the explorer page did not draw its charts")
    return statistics.median(cold), statistics.median(warm)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    default_threads = blas_threads()
    t, note = bench_train_epoch(args.repeats)
    rows.append(("train: 1 epoch, 10,000 chars, H=64 S=25 B=16", t, 2.0,
                 f"{note}, {default_threads or '?'} BLAS threads"))
    if default_threads and default_threads > 1:
        blas_threads(1)
        t, note = bench_train_epoch(args.repeats)
        rows.append(("train: the same with 1 BLAS thread", t, 2.0, f"{note}, OPENBLAS_NUM_THREADS=1"))
        blas_threads(default_threads)
    t, note = bench_explorer_build(args.repeats)
    rows.append(("explorer: compute + figures, 5,000 chars", t, 1.0, note))
    cold, warm = bench_explorer_page(args.repeats)
    rows.append(("explorer page script, 5,000 chars (cold)", cold, 1.0, "new seed: forward not cached"))
    rows.append(("explorer page script, 5,000 chars (warm)", warm, 1.0, "window moved: cached"))
    print(f"{'benchmark':48s} {'median (s)':>10s} {'goal (s)':>9s}  {'ok':3s} note")
    for name, t, goal, note in rows:
        print(f"{name:48s} {t:10.3f} {goal:9.1f}  {'yes' if t <= goal else 'NO':3s} {note}")
    print(f"(medians of {args.repeats} runs)")
    return 0 if all(t <= goal for _, t, goal, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
