"""Memory of the app's caches over many distinct inputs, in a fresh process.

    python tests/cache_probe.py --inputs 1000 --length 200 [--pages run conventions ...]

Feeds `--inputs` distinct texts through ui.compute's cached functions (the same server-wide
cache, ui/cache.py, the server uses; `--cache-mb` sets its byte budget) and prints JSON: RSS
(VmRSS, MB) at checkpoints, the peak (VmHWM), seconds, the cache's bytes and entries at the end,
and the pickled size of one entry (what the caches would hold per input if they were
unbounded). Used by tests/test_cache_bounds.py and
benchmarks/bench_load.py.
"""
from __future__ import annotations

import argparse
import json
import logging
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def memory_mb() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(rest.split()[0]) / 1024
    return out


def text_variant(i: int, length: int) -> str:
    base = f"variant {i} of the lesson text; " * (length // 20 + 2)
    return base[:length]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--length", type=int, default=200)
    ap.add_argument("--checkpoints", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--seq-len", type=int, default=3)
    ap.add_argument("--hidden-size", type=int, default=4)
    ap.add_argument("--cache-mb", type=float, default=None,
                    help="the cache's byte budget in MB (default: the app's)")
    ap.add_argument("--pages", nargs="*", default=["run", "grads"],
                    help="cached computations to fill: run grads bptt conventions whatif")
    args = ap.parse_args(argv)

    logging.disable(logging.WARNING)          # "No runtime found, using MemoryCacheStorageManager"
    from dataclasses import replace

    from ui import compute
    from ui.store import DEFAULTS, Settings

    if args.cache_mb is not None:
        compute.CACHE.max_bytes = int(args.cache_mb * 2**20)

    base = Settings(**{k: DEFAULTS[k] for k in Settings.__dataclass_fields__})
    base = replace(base, batch_size=args.batch_size, seq_len=args.seq_len,
                   hidden_size=args.hidden_size, weights="random", order="sorted")
    every = max(1, args.inputs // args.checkpoints)
    points = [(0, memory_mb()["VmRSS"])]
    entry_bytes = 0
    t0 = time.perf_counter()
    for i in range(args.inputs):
        run = compute.get_run(replace(base, text=text_variant(i, args.length)))
        if i == 0:
            entry_bytes = len(pickle.dumps(run, protocol=pickle.HIGHEST_PROTOCOL))
        if "grads" in args.pages:
            compute.get_grads(run, 0)
        if "bptt" in args.pages and hasattr(compute, "get_bptt"):
            compute.get_bptt(run, 0, "ce")
        if "conventions" in args.pages and hasattr(compute, "get_conventions"):
            compute.get_conventions(run)
        if "whatif" in args.pages and hasattr(compute, "get_whatif"):
            compute.get_whatif(run, clamp_z=(0.5,) + (None,) * (run.params.hidden_size - 1))
        if (i + 1) % every == 0:
            points.append((i + 1, memory_mb()["VmRSS"]))
    mem = memory_mb()
    print(json.dumps({"inputs": args.inputs, "length": args.length, "pages": args.pages,
                      "seconds": time.perf_counter() - t0, "checkpoints": points,
                      "peak_mb": mem["VmHWM"], "entry_bytes": entry_bytes,
                      "cache_bytes": compute.CACHE.bytes, "cache_entries": len(compute.CACHE),
                      "cache_max_bytes": compute.CACHE.max_bytes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
