"""A lab on one machine: a class of students on one server process, and on N processes behind
nginx (deploy/nginx/gml.conf), each student changing a sidebar slider every 2–4 s.

Starts its own servers on loopback (tests/e2e/helpers.py, tests/e2e/proxy.py) and drives them
with browser-less WebSocket clients (tests/e2e/wsclient.py, tests/e2e/loadgen.lab). For each
setup it prints a lone student's rerun latency (measured first, on the same servers), then the
class's p50 / p95 / max, first-run p95, errors and throughput, and the ratio of the class's p95
to the lone student's. Needs nginx for N > 1 (apt-get install -y nginx).

    python benchmarks/bench_lab.py                         # 1 process, then 2 behind nginx
    python benchmarks/bench_lab.py --replicas 1 2 3 --students 30 --seconds 60 --json out.json
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from e2e.helpers import StreamlitServer  # noqa: E402
from e2e.loadgen import lab, memory_mb, server_pid  # noqa: E402
from e2e.proxy import Nginx, Replicas  # noqa: E402


@contextlib.contextmanager
def setup(n: int):
    """(url, replica urls): one server direct, or n replicas behind nginx."""
    if n == 1:
        server = StreamlitServer(env={"OPENBLAS_NUM_THREADS": "1"})
        server.start()
        try:
            yield server.url, [server.url]
        finally:
            server.stop()
        return
    with Replicas(n) as replicas, Nginx(replicas.urls) as proxy:
        yield proxy.url, replicas.urls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--page", default="Gates_z_and_r")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    print(f"{os.cpu_count()} CPUs, load average {open('/proc/loadavg').read().split()[:3]}")
    rows = []
    for n in args.replicas:
        with setup(n) as (url, urls):
            lab(url, args.page, sessions=4, seconds=6)                  # warm every replica
            alone = lab(url, args.page, sessions=1, seconds=30, think=(1.0, 1.5))
            cls = lab(url, args.page, sessions=args.students, seconds=args.seconds)
            rss = [memory_mb(server_pid(u))["VmRSS"] for u in urls]
        row = {"processes": n, "alone_p50_ms": alone.p(50) * 1000, "alone_p95_ms": alone.p(95) * 1000,
               "p50_ms": cls.p(50) * 1000, "p95_ms": cls.p(95) * 1000,
               "max_ms": max(cls.rerun_s, default=0) * 1000,
               "first_p95_ms": cls.p(95, True) * 1000, "errors": len(cls.errors),
               "reruns_per_s": len(cls.rerun_s) / cls.wall_s, "rss_mb": rss}
        rows.append(row)
        print(f"\n{n} process{'es behind nginx' if n > 1 else ''}: lone student p50 "
              f"{row['alone_p50_ms']:.0f} ms, p95 {row['alone_p95_ms']:.0f} ms\n  {cls.summary()}"
              f"\n  class p95 / lone p95 = {row['p95_ms'] / row['alone_p95_ms']:.1f}; RSS "
              + ", ".join(f"{r:.0f}" for r in rss) + " MB", flush=True)
        for e in cls.errors[:5]:
            print("  error:", e)
    print("\n| processes | lone p50 | class p50 | class p95 | p95 / lone | first run p95 | "
          "reruns/s | errors |\n|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['processes']} | {r['alone_p50_ms']:.0f} ms | {r['p50_ms']:.0f} ms | "
              f"{r['p95_ms']:.0f} ms | {r['p95_ms'] / r['alone_p95_ms']:.1f}× | "
              f"{r['first_p95_ms']:.0f} ms | {r['reruns_per_s']:.1f} | {r['errors']} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
