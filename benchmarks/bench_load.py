"""Load figures for the README: rerun latency under concurrent sessions, server memory, and
memory over many distinct inputs (are the caches bounded?).

Starts its own `streamlit run app.py` on a free loopback port (tests/e2e/helpers.py) and
drives it with browser-less WebSocket clients that speak Streamlit's protocol
(tests/e2e/wsclient.py), so the numbers are the server's, not a browser's.

    python benchmarks/bench_load.py                      # everything (~6 minutes on 2 cores)
    python benchmarks/bench_load.py --skip-cache         # latency only
    python benchmarks/bench_load.py --cache-inputs 100 --cache-length 5000   # worst-case texts

Prints: one session alone (p50 / p95 of 20 slider changes); N concurrent sessions x M changes
(p50 / p95 / max, throughput, RSS idle -> after, peak); distinct texts typed into the sidebar
through the server (RSS at checkpoints); the same in-process through ui.compute
(tests/cache_probe.py) with the size one entry would take if the caches were unbounded.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from e2e.helpers import StreamlitServer  # noqa: E402
from e2e.loadgen import distinct_inputs, drive_sessions, memory_mb, server_pid  # noqa: E402


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def latency(url: str, args, figures: dict) -> None:
    alone = drive_sessions(url, args.page, sessions=1, changes=args.changes)
    figures["one_session"] = {"p50_ms": alone.p50 * 1000, "p95_ms": alone.p95 * 1000,
                              "errors": len(alone.errors)}
    print(f"\n1 session alone, {args.changes} slider changes on /{args.page}: "
          f"p50 {alone.p50 * 1000:.0f} ms, p95 {alone.p95 * 1000:.0f} ms, "
          f"errors {len(alone.errors)}", flush=True)

    load = drive_sessions(url, args.page, sessions=args.sessions, changes=args.changes,
                          budget=600.0)
    figures["concurrent"] = {
        "sessions": args.sessions, "changes": args.changes, "reruns": len(load.rerun_s),
        "errors": len(load.errors), "p50_ms": load.p50 * 1000, "p95_ms": load.p95 * 1000,
        "max_ms": max(load.rerun_s, default=float("nan")) * 1000, "wall_s": load.wall_s,
        "reruns_per_s": len(load.rerun_s) / load.wall_s if load.wall_s else float("nan"),
        "rss_before_mb": load.rss_before_mb, "rss_after_mb": load.rss_after_mb,
        "rss_peak_mb": load.rss_peak_mb}
    print(f"\n{load.summary()}", flush=True)
    print(f"throughput {figures['concurrent']['reruns_per_s']:.1f} reruns/s", flush=True)
    for e in load.errors[:5]:
        print("  error:", e)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--page", default="Gates_z_and_r", help="URL path of the page to load")
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--cache-inputs", type=int, default=1000)
    ap.add_argument("--cache-length", type=int, default=400, help="characters per distinct text")
    ap.add_argument("--cache-page", default="", help="page the distinct texts are typed on "
                    "('' = home page: the cached run without drawing charts)")
    ap.add_argument("--cache-clients", type=int, default=2)
    ap.add_argument("--skip-cache", action="store_true")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--skip-probe", action="store_true", help="skip the in-process cache probe")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra `streamlit run` option, e.g. --server-arg=--server.maxCacheDataSize=256mb")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()

    figures: dict = {"cpus": os.cpu_count(), "load_average_before": load_average()}
    print(f"{os.cpu_count()} CPUs, load average {figures['load_average_before']}", flush=True)
    server = StreamlitServer(extra_args=tuple(args.server_arg))
    server.start()
    try:
        pid = server_pid(server.url)
        idle = memory_mb(pid)["VmRSS"]
        figures["rss_idle_mb"] = idle
        print(f"server pid {pid}, idle RSS {idle:.0f} MB", flush=True)

        if not args.skip_latency:
            latency(server.url, args, figures)

        if not args.skip_cache:
            c = distinct_inputs(server.url, args.cache_page, n=args.cache_inputs,
                                length=args.cache_length, clients=args.cache_clients,
                                budget=1800.0)
            figures["server_distinct_inputs"] = {"inputs": c.inputs, "length": args.cache_length,
                                                 "page": args.cache_page or "home",
                                                 "checkpoints": c.checkpoints,
                                                 "errors": len(c.errors), "wall_s": c.wall_s}
            print(f"\nthrough the server (/{args.cache_page}, {args.cache_length}-character "
                  f"texts): {c.summary()}", flush=True)
        figures["rss_end_mb"] = memory_mb(pid)["VmRSS"]
    finally:
        server.stop()

    if not args.skip_cache and not args.skip_probe:
        out = subprocess.run([sys.executable, str(ROOT / "tests" / "cache_probe.py"),
                              "--inputs", str(args.cache_inputs), "--length", str(args.cache_length),
                              "--pages", "run", "grads"],
                             capture_output=True, text=True, cwd=ROOT, timeout=1800)
        if out.returncode == 0:
            r = json.loads(out.stdout.strip().splitlines()[-1])
            figures["in_process_probe"] = r
            pts = ", ".join(f"{n}: {mb:.0f} MB" for n, mb in r["checkpoints"])
            print(f"\nin-process (ui.compute run + gradients, {args.cache_inputs} distinct "
                  f"{args.cache_length}-character texts, {r['seconds']:.0f} s): RSS {pts}; one "
                  f"entry pickles to {r['entry_bytes'] / 1024:.0f} KB, so unbounded caches would "
                  f"grow by ~{r['entry_bytes'] * args.cache_inputs / 2**20:.0f} MB", flush=True)
        else:
            print("cache probe failed:", out.stderr[-2000:])
    figures["load_average_after"] = load_average()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
