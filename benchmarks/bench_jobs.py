"""A fresh visitor's first load while a class trains, and after the trainers closed their tabs.

Starts `streamlit run app.py` on a loopback port and drives it with browser-less sessions
(tests/e2e/wsclient.py):

    idle        a fresh session's first run of the Gates page (median of --samples)
    training    the same while --trainers sessions have pressed Train on the sonnets (500
                epochs; the server runs GRU_LAB_MAX_JOBS of them, the others are told "busy")
    closed      the same after --closers sessions pressed Train and closed their tabs at once
                (the jobs must end with their sessions); server CPU over the 3 s before

    python benchmarks/bench_jobs.py [--trainers 10] [--closers 30] [--samples 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from e2e.helpers import StreamlitServer  # noqa: E402
from e2e.loadgen import server_pid  # noqa: E402
from e2e.wsclient import Session  # noqa: E402


def first_load(url: str) -> float:
    s = Session(url, "Gates_z_and_r", timeout=120).connect()
    try:
        t0 = time.perf_counter()
        r = s.rerun()
        assert not r.exceptions, r.exceptions
        return time.perf_counter() - t0
    finally:
        s.close()


def median_first_load(url: str, samples: int) -> float:
    return statistics.median(first_load(url) for _ in range(samples)) * 1000


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100        # utime + stime, clock ticks


def start_training(url: str) -> Session:
    s = Session(url, "Training_and_sampling", timeout=120).connect()
    s.rerun()
    s.rerun({"learn_source": "Shakespeare's sonnets (bundled)"})
    s.rerun({"train_epochs": 500})
    s.rerun({"train_go": True})
    return s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trainers", type=int, default=10)
    ap.add_argument("--closers", type=int, default=30)
    ap.add_argument("--samples", type=int, default=5)
    args = ap.parse_args(argv)
    server = StreamlitServer()
    server.start()
    try:
        url, pid = server.url, server_pid(server.url)
        first_load(url)                                          # warm the caches
        out = {"idle_ms": median_first_load(url, args.samples)}

        trainers = [start_training(url) for _ in range(args.trainers)]
        time.sleep(2)
        c0, t0 = cpu_seconds(pid), time.perf_counter()
        time.sleep(3)
        out["training_server_cpu_share"] = (cpu_seconds(pid) - c0) / (time.perf_counter() - t0)
        out["training_ms"] = median_first_load(url, args.samples)
        for s in trainers:
            s.close()
        time.sleep(3)

        closers = [start_training(url) for _ in range(args.closers)]
        for s in closers:
            s.close()
        time.sleep(2)                                            # the jobs' 0.5 s checks
        c0, t0 = cpu_seconds(pid), time.perf_counter()
        time.sleep(3)
        out["closed_server_cpu_share"] = (cpu_seconds(pid) - c0) / (time.perf_counter() - t0)
        out["closed_ms"] = median_first_load(url, args.samples)
        out = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in out.items()}
        out["training_over_idle"] = round(out["training_ms"] / out["idle_ms"], 2)
        out["closed_over_idle"] = round(out["closed_ms"] / out["idle_ms"], 2)
        print(json.dumps(out), flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
