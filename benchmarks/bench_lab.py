"""A lab on one machine: a class of students on one server process, and on N processes behind
nginx (deploy/nginx/gml.conf), each student changing a sidebar slider every 2–4 s.

Starts its own servers on loopback (tests/e2e/helpers.py, tests/e2e/proxy.py) and drives them
with browser-less WebSocket clients (tests/e2e/wsclient.py, tests/e2e/loadgen.lab). For each
setup it prints a lone student's rerun latency (measured first, on the same servers), then the
class's p50 / p95 / max, first-run p95, errors and throughput, and the ratio of the class's p95
to the lone student's median (the issue's measure: 36x on one process before), and the setup's
capacity: the reruns per second that 10 clients changing a slider as fast as they can get. One
student changes a slider every 3 s on average (1/3 rerun per second), so a setup holds about
capacity x 3 x 0.6 students while staying below 60 % busy: the sizing rule printed at the end.
Needs nginx for N > 1 (apt-get install -y nginx).

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
            flat_out = lab(url, args.page, sessions=10, seconds=20, think=(0.0, 0.01))
        row = {"processes": n, "alone_p50_ms": alone.p(50) * 1000, "alone_p95_ms": alone.p(95) * 1000,
               "p50_ms": cls.p(50) * 1000, "p95_ms": cls.p(95) * 1000,
               "max_ms": max(cls.rerun_s, default=0) * 1000,
               "first_p95_ms": cls.p(95, True) * 1000, "errors": len(cls.errors),
               "reruns_per_s": len(cls.rerun_s) / cls.wall_s, "rss_mb": rss,
               "capacity_per_s": len(flat_out.rerun_s) / flat_out.wall_s,
               "capacity_errors": len(flat_out.errors)}
        row["students"] = row["capacity_per_s"] * 3 * 0.6
        rows.append(row)
        print(f"\n{n} process{'es behind nginx' if n > 1 else ''}: lone student p50 "
              f"{row['alone_p50_ms']:.0f} ms, p95 {row['alone_p95_ms']:.0f} ms\n  {cls.summary()}"
              f"\n  class p95 / lone p50 = {row['p95_ms'] / row['alone_p50_ms']:.1f}, / lone p95 = "
              f"{row['p95_ms'] / row['alone_p95_ms']:.1f}; capacity {row['capacity_per_s']:.1f} "
              f"reruns/s ({row['capacity_errors']} errors); RSS "
              + ", ".join(f"{r:.0f}" for r in rss) + " MB", flush=True)
        for e in cls.errors[:5]:
            print("  error:", e)
    print(f"\n| processes | lone p50 | class p50 | class p95 | class p95 / lone p50 | first run p95 "
          f"| reruns/s | errors | capacity, reruns/s | students at 60 % |"
          f"\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['processes']} | {r['alone_p50_ms']:.0f} ms | {r['p50_ms']:.0f} ms | "
              f"{r['p95_ms']:.0f} ms | {r['p95_ms'] / r['alone_p50_ms']:.1f}× | "
              f"{r['first_p95_ms']:.0f} ms | {r['reruns_per_s']:.1f} | {r['errors']} | "
              f"{r['capacity_per_s']:.1f} | {r['students']:.0f} |")
    print(f"({args.students} students, one change every 2–4 s each, {args.seconds:.0f} s, page "
          f"{args.page}; capacity: 10 clients without pause for 20 s; students at 60 % = "
          f"capacity × 3 s × 0.6)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
