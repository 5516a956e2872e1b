"""Server memory per session: the same lesson link opened by several sessions kept open, then
distinct texts on one page (RSS of the `streamlit run` process, loopback only).

    python benchmarks/bench_sessions.py                    # this checkout
    python benchmarks/bench_sessions.py --app ../old/app.py   # another checkout, same driver

Prints JSON lines: RSS after the first session, after each further one, the mean growth per
extra session; then RSS over --texts distinct 5,000-character texts on the same page.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from e2e.helpers import StreamlitServer  # noqa: E402
from e2e.loadgen import memory_mb, server_pid  # noqa: E402
from e2e.wsclient import Session  # noqa: E402

SONNETS = (ROOT / "data" / "sonnets.txt").read_text(encoding="utf-8")


def long_text(i: int, length: int = 5000) -> str:
    """The i-th distinct text of `length` characters (sonnets, rotated)."""
    body = (SONNETS * 2)[i * 37:]
    return body[:length]


def rss(pid: int) -> float:
    time.sleep(1.0)                       # let the server finish sending and collecting
    return memory_mb(pid)["VmRSS"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--app", default=str(ROOT / "app.py"))
    ap.add_argument("--page", default="Conventions")
    ap.add_argument("--sessions", type=int, default=6)
    ap.add_argument("--texts", type=int, default=12)
    args = ap.parse_args(argv)

    link = {"text": long_text(0), "batch_size": 1, "seq_len": 1, "hidden_size": 32,
            "weights": "random", "order": "sorted"}
    server = StreamlitServer(app=args.app)
    server.start()
    try:
        pid = server_pid(server.url)
        idle = rss(pid)
        open_sessions, after = [], []
        for _ in range(args.sessions):
            s = Session(server.url, args.page, urlencode(link), timeout=300).connect()
            r = s.rerun()
            assert not r.exceptions, r.exceptions
            open_sessions.append(s)
            after.append(rss(pid))
        growth = [b - a for a, b in zip(after, after[1:])]
        print(json.dumps({"what": "same link, sessions kept open", "page": args.page,
                          "idle_mb": round(idle), "rss_mb": [round(m) for m in after],
                          "per_extra_session_mb": round(statistics.mean(growth), 1)}),
              flush=True)
        for s in open_sessions:
            s.close()

        s = Session(server.url, args.page, urlencode(link), timeout=300).connect()
        s.rerun()
        points = []
        t0 = time.perf_counter()
        for i in range(1, args.texts + 1):
            r = s.rerun({"text": long_text(i)})
            assert not r.exceptions, r.exceptions
            points.append(round(memory_mb(pid)["VmRSS"]))
        s.close()
        print(json.dumps({"what": f"{args.texts} distinct 5,000-character texts, one session",
                          "page": args.page, "rss_mb": points,
                          "peak_mb": round(memory_mb(pid)["VmHWM"]),
                          "seconds": round(time.perf_counter() - t0, 1)}), flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
