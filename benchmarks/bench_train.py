"""Time one epoch of gru_core.train (issue: learning speed; goal <= 2 s per epoch).

    text       10,000 characters: data/sonnets.txt repeated to length if it exists, otherwise
               deterministic pseudo-text (fixed seed, words from a small alphabet)
    model      H=64, S=25, B=16 (tutorial batch layout: 24 batches), Adam lr 0.01,
               clipping by value at 5, cross-entropy, config reset/update as chosen (default the
               tutorial's: reset "before", update "keep")
    reported   median wall-clock seconds of --repeats epochs (each from the same initial weights),
               plus steps per second and the epoch's mean loss (a sanity check that it learns)

Usage: python benchmarks/bench_train.py [--repeats 5] [--chars 10000] [--reset before|after]
           [--update keep|take] [--layout tutorial|streams] [--dtype float64|float32] [--pseudo]
           [--threads N]
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

import gru_core  # noqa: E402
from bench_engine import numpy_threads  # noqa: E402  (benchmarks/ is on sys.path as the script's folder)

GOAL_SECONDS = 2.0
SONNETS = ROOT / "data" / "sonnets.txt"


def pseudo_text(n: int, seed: int = 0) -> str:
    """Deterministic English-like text: words of 1-8 letters from 26 letters, spaces, punctuation."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlucmfwypvbgkjqxz"))
    weights = 1.0 / np.arange(1, len(letters) + 1)              # Zipf-like letter frequencies
    weights /= weights.sum()
    words = []
    while sum(len(w) + 1 for w in words) < n:
        word = "".join(rng.choice(letters, size=rng.integers(1, 9), p=weights))
        words.append(word + (rng.choice([",", ".", ""], p=[0.08, 0.06, 0.86])))
    return " ".join(words)[:n]


def training_text(n: int, pseudo: bool = False) -> tuple[str, str]:
    if SONNETS.exists() and not pseudo:
        text = SONNETS.read_text(encoding="utf-8")
        return (text * (n // len(text) + 1))[:n], f"{SONNETS.relative_to(ROOT)} repeated to {n} chars"
    return pseudo_text(n), f"pseudo-text, {n} chars (seed 0)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--chars", type=int, default=10_000)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--seq-len", type=int, default=25)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--reset", choices=gru_core.RESETS, default="before")
    ap.add_argument("--update", choices=gru_core.UPDATES, default="keep")
    ap.add_argument("--layout", choices=gru_core.LAYOUTS, default="tutorial")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--pseudo", action="store_true", help="use the pseudo-text even if data/sonnets.txt exists")
    ap.add_argument("--threads", type=int, default=None, help="NumPy BLAS threads (default: unchanged)")
    args = ap.parse_args(argv)
    blas_threads = numpy_threads(args.threads)

    text, source = training_text(args.chars, args.pseudo)
    vocab = gru_core.Vocab.from_text(text)
    batches = gru_core.make_batches(vocab.encode(text), vocab.size, args.batch_size, args.seq_len,
                                    layout=args.layout)
    config = gru_core.GRUConfig(args.reset, args.update)
    params = gru_core.init_params(vocab.size, args.hidden, seed=0, dtype=np.dtype(args.dtype))

    def epoch():
        return gru_core.train(params, batches, config, optimizer="adam", lr=0.01, epochs=1,
                              clip=5.0, clip_kind="value", loss="ce")

    epoch()                                                      # warm-up
    times, result = [], None
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = epoch()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)

    print(f"numpy {np.__version__} (BLAS threads {blas_threads}); text: {source}; V={vocab.size}, H={args.hidden}, "
          f"S={args.seq_len}, B={args.batch_size}, {batches.num_batches} batches ({args.layout} layout)")
    print(f"config {config}; Adam lr 0.01; clip by value 5; cross-entropy; {args.dtype}")
    print(f"epoch seconds: median {median:.3f} (min {min(times):.3f}, max {max(times):.3f}, "
          f"{args.repeats} runs) -> {result.steps / median:.0f} steps/s; "
          f"goal <= {GOAL_SECONDS:g} s: {'met' if median <= GOAL_SECONDS else 'MISSED'}")
    print(f"epoch mean loss {result.epoch_losses[0]:.4f} (first step {result.history[0]:.4f}, "
          f"last {result.history[-1]:.4f})")
    return 0 if median <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
