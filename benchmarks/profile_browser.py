"""Where a slider change's time goes in the browser: one page in headless Chromium.

For --changes slider changes (after a warm-up) it records, from the key press:
  sent      the page's WebSocket sending the new widget value
  arrived   the last message of the rerun arriving
  finished  the app's script state returning to notRunning
  redrawn   the last chart getting new data (as bench_browser.py measures it)
and, with Chromium's sampling profiler, the main thread's time per change by what it was
running: a script of the app's bundle (PlotlyChart, react-dom, StreamlitMarkdown, ...; a
sample counts for the outermost Plotly frame on its stack if there is one, else its own
script) or the browser itself ("(program)": style, layout, paint; "(garbage collector)").
It also says whether the page's charts are the same DOM elements after a rerun (updated in
place) or new ones (mounted again, so drawn by Plotly.newPlot from scratch).

    python benchmarks/profile_browser.py                              # Gates, hidden size
    python benchmarks/profile_browser.py --page Loss --changes 6
"""
from __future__ import annotations

import argparse
import collections
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_browser import measure  # noqa: E402
from e2e.helpers import CHROMIUM_ARGS, StreamlitServer, chromium_path, goto_app  # noqa: E402

# Installed before the app's scripts: time every WebSocket message the page sends and gets.
WS_JS = """(() => {
  window.__ws = [];
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener('message', () => window.__ws.push(['in', performance.now()]));
    const send = ws.send.bind(ws);
    ws.send = data => { window.__ws.push(['out', performance.now()]); return send(data); };
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, Native);
})();"""

MARK_JS = "() => document.querySelectorAll('.js-plotly-plot').forEach(gd => { gd.__mark = 1; })"
KEPT_JS = "() => [...document.querySelectorAll('.js-plotly-plot')].filter(gd => gd.__mark).length"


def buckets(profile: dict) -> collections.Counter:
    """ms of samples by script (outermost PlotlyChart frame first) or by browser activity."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", ())}
    out: collections.Counter = collections.Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"]):
        names, node = [], sample
        while node in nodes:
            frame = nodes[node]["callFrame"]
            script = frame["url"].rsplit("/", 1)[-1].split(".")[0]
            names.append(script or frame["functionName"])
            node = parent.get(node)
        name = ("PlotlyChart" if "PlotlyChart" in names else
                next((n for n in names if n and not n.startswith("(") and n != "(root)"),
                     names[0] if names else "?"))
        out[name] += delta / 1000
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--page", default="Gates_z_and_r")
    ap.add_argument("--slider", default="hidden_size")
    ap.add_argument("--changes", type=int, default=4)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    server = StreamlitServer(env={"OPENBLAS_NUM_THREADS": "1"})
    server.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS,
                                         headless=True)
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            ctx.add_init_script(WS_JS)
            page = ctx.new_page()
            goto_app(page, f"{server.url}/{args.page}", timeout=60_000)
            measure(page, args.slider, "ArrowRight")                  # warm-up
            cdp = ctx.new_cdp_session(page)
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
            total: collections.Counter = collections.Counter()
            rows = []
            for i in range(args.changes):
                page.evaluate(MARK_JS)
                page.evaluate("() => { window.__ws = []; }")
                cdp.send("Profiler.start")
                r = measure(page, args.slider, "ArrowLeft" if i % 2 == 0 else "ArrowRight")
                total.update(buckets(cdp.send("Profiler.stop")["profile"]))
                t0 = page.evaluate("() => window.__bench.t0")
                ws = page.evaluate("() => window.__ws")
                sent = min((t for d, t in ws if d == "out"), default=float("nan")) - t0
                arrived = max((t for d, t in ws if d == "in"), default=float("nan")) - t0
                rows.append((sent, arrived, r["script_ms"], r["redrawn_ms"],
                             page.evaluate(KEPT_JS), r["charts"]))
            browser.close()
    finally:
        server.stop()
    print(f"/{args.page}, {args.slider}: {args.changes} changes (the profiler slows them down)")
    print(f"{'sent':>6s} {'arrived':>8s} {'finished':>9s} {'redrawn':>8s}  charts kept / changed")
    for sent, arrived, finished, redrawn, kept, charts in rows:
        print(f"{sent:6.0f} {arrived:8.0f} {finished:9.0f} {redrawn:8.0f}  {kept} / {charts}")
    print(f"median redrawn {statistics.median(r[3] for r in rows):.0f} ms; main thread per change:")
    for name, ms in total.most_common(14):
        print(f"  {ms / args.changes:7.1f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
