"""Where a rerun's server time goes: py-spy samples a real `streamlit run app.py` while a
browser-less client (tests/e2e/wsclient.py) changes a sidebar slider on one page over and over,
and every sample is put in one bucket by the innermost frame that names one:

    gc after the run   Streamlit's gc.collect(2) after every run (runner.postScriptGC; cheap
                       since ui.page freezes the long-lived objects after the first run)
    our script         ui/, pages/, gru_core/, app.py (NumPy called from them included)
    plotly figure      plotly's graph objects and validators (go.Figure, go.Heatmap, ...)
    JSON               plotly.io.to_json / json encoding of the figure
    protobuf           message serialisation (google.protobuf)
    session state      streamlit.runtime.state (widget values, session_state copies)
    streamlit other    the rest of Streamlit's script runner and delta generation
    send               forward-message queue, app session, WebSocket, the server's event loop
    other

    pip install py-spy        # a benchmark tool, not a dependency of the app or its tests
    python benchmarks/profile_rerun.py --page Gates_z_and_r --seconds 20
    python benchmarks/profile_rerun.py --page Backprop_through_time --query "batch_size=16&seq_len=32&hidden_size=32&weights=random"

Prints the server CPU per rerun (from /proc, over the whole run), reruns done, and the buckets'
shares of the samples.
"""
from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from e2e.helpers import StreamlitServer  # noqa: E402
from e2e.loadgen import server_pid  # noqa: E402
from e2e.wsclient import Session  # noqa: E402

BUCKETS = [  # (name, substrings of a frame; the innermost frame that matches decides)
    ("(idle poller)", ("polling_path_watcher",)),       # config-file poll: asleep, left out
    ("gc after the run", ("_on_script_finished",)),     # runner.postScriptGC: gc.collect(2)
    ("JSON", ("plotly/io/_json", "json/encoder", "_plotly_utils/utils.py")),
    ("plotly figure", ("plotly/basedatatypes", "plotly/validators", "_plotly_utils/basevalidators",
                       "plotly/graph_objs")),
    ("protobuf", ("google/protobuf",)),
    ("session state", ("streamlit/runtime/state",)),
    ("send", ("forward_msg_queue", "app_session", "websocket", "uvicorn", "starlette", "asyncio",
              "tornado")),
    ("our script", ("/ui/", "/pages/", "/gru_core/", "app.py")),
    ("streamlit other", ("streamlit/",)),
]


def bucket(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):          # innermost first
        for name, marks in BUCKETS:
            if any(m in frame for m in marks):
                return name
    return "other"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--page", default="Gates_z_and_r")
    ap.add_argument("--query", default="", help="URL query of the page, e.g. hidden_size=32")
    ap.add_argument("--slider", default="hidden_size", help="the slider the client moves")
    ap.add_argument("--values", default="", help="comma-separated values to alternate "
                    "(default: the slider's current value and one less)")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="a `streamlit run` option, e.g. --server-arg=--runner.postScriptGC=false")
    args = ap.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    server = StreamlitServer(extra_args=tuple(args.server_arg), env={"OPENBLAS_NUM_THREADS": "1"})
    server.start()
    out = Path(f"/tmp/profile-{args.page}.txt")
    try:
        pid = server_pid(server.url)
        with Session(server.url, args.page, query_string=args.query) as s:
            s.rerun()
            s.rerun()                                    # warm: caches filled
            current = s.widgets[args.slider][1]
            values = ([float(v) for v in args.values.split(",")] if args.values
                      else [current, current - 1 if current > 1 else current + 1])
            rec = subprocess.Popen([spy, "record", "-p", str(pid), "-r", str(args.rate), "-d",
                                    str(int(args.seconds)), "--format", "raw", "-o", str(out),
                                    "--nonblocking"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
            time.sleep(1.0)
            cpu0, t0, runs, script = cpu_seconds(pid), time.perf_counter(), 0, []
            while time.perf_counter() - t0 < args.seconds - 2:
                r = s.rerun({args.slider: values[runs % len(values)]})
                script.append(r.seconds)
                runs += 1
            cpu = cpu_seconds(pid) - cpu0
            rec.wait(timeout=args.seconds + 30)
    finally:
        server.stop()
    counts: collections.Counter = collections.Counter()
    for line in out.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if stack:
            counts[bucket(stack)] += int(n)
    counts.pop("(idle poller)", None)
    total = sum(counts.values()) or 1
    print(f"/{args.page}?{args.query}: {runs} reruns, server CPU {cpu / runs * 1000:.0f} ms per "
          f"rerun, client-seen p50 {sorted(script)[len(script) // 2] * 1000:.0f} ms")
    for name, n in counts.most_common():
        print(f"  {name:16s} {100 * n / total:5.1f} %   ~{cpu / runs * 1000 * n / total:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
