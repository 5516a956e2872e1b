"""Slider change to redrawn charts in headless Chromium, per page (issue goal: <= 500 ms at
the default settings).

Starts `streamlit run app.py` on a free loopback port and opens each page at the default
settings in Debian's Chromium (Playwright). For each measurement it focuses a sidebar slider's
thumb and presses ArrowRight (then ArrowLeft next time, staying in range). In the page:
  t0      the keydown event (performance.now(), capture phase)
  script  the app root's data-test-script-state returning to notRunning
  redrawn the last animation frame in which a Plotly chart got new data (gd.data replaced),
          once the run is over and no chart has changed for 300 ms
Reports the median (and min / max) of --repeats changes after one warm-up change.

    python benchmarks/bench_browser.py                    # Gates page and the other forward pages
    python benchmarks/bench_browser.py --pages Gates_z_and_r --slider batch_size --repeats 9
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from e2e.helpers import (  # noqa: E402
    CHROMIUM_ARGS,
    SCRIPT_DONE,
    StreamlitServer,
    chromium_path,
    goto_app,
    slider_input,
    wait_for_app,
)

FORWARD = ("The_GRU_cell", "Data_and_batches", "Gates_z_and_r", "Candidate_and_state",
           "Output_and_softmax", "Loss")
# The slider that changes a page's charts (the hidden size changes nothing on the data page).
SLIDER = {"Data_and_batches": "batch_size"}

ARM_JS = """() => {
  const b = window.__bench = {t0: null, script: null, last: null, changed: 0, running: false};
  document.querySelectorAll('.js-plotly-plot').forEach(gd => { gd.__benchOld = gd.data; });
  document.addEventListener('keydown', () => { if (b.t0 === null) b.t0 = performance.now(); },
                            {capture: true, once: true});
  const seen = new Set();
  // The run state is read at every DOM change and every frame. React may batch a whole short
  // run into one commit, so the attribute never shows "running": a chart that received new
  // data also counts as a run having happened.
  const state = () => {
    const app = document.querySelector("[data-testid='stApp']");
    if (b.t0 !== null && app && app.getAttribute('data-test-script-state') !== 'notRunning') b.running = true;
    if (b.running && b.script === null && app && app.getAttribute('data-test-script-state') === 'notRunning')
      b.script = performance.now();
  };
  b.observer = new MutationObserver(state);
  b.observer.observe(document.body, {attributes: true, subtree: true,
                                     attributeFilter: ['data-test-script-state']});
  const tick = () => {
    document.querySelectorAll('.js-plotly-plot').forEach(gd => {
      if (gd.data !== gd.__benchOld && !seen.has(gd)) { seen.add(gd); b.changed += 1; b.last = performance.now(); b.running = true; }
      else if (seen.has(gd) && gd.data !== gd.__benchNew && gd.__benchNew !== undefined) { b.last = performance.now(); }
      gd.__benchNew = gd.data;
    });
    state();
    if (!b.done) requestAnimationFrame(tick); else b.observer.disconnect();
  };
  requestAnimationFrame(tick);
}"""

DONE_JS = """() => {
  const b = window.__bench;
  if (b.script === null) return false;
  if (b.last === null) return performance.now() - b.script > 1500;   // nothing redrawn
  return performance.now() - Math.max(b.last, b.script) > 300;
}"""


def page_paths() -> list[str]:
    found = []
    for p in (ROOT / "pages").glob("*.py"):
        found.append(re.sub(r"^\d+_", "", p.stem))
    return [p for p in FORWARD if p in found]


def measure(page, key: str, direction: str) -> dict:
    page.evaluate(ARM_JS)
    slider_input(page, key).first.focus()
    page.keyboard.press(direction)
    try:
        page.wait_for_function(DONE_JS, timeout=60_000, polling=50)
    except Exception as exc:
        state = page.evaluate("() => [window.__bench, document.activeElement && document.activeElement.outerHTML.slice(0, 120)]")
        raise RuntimeError(f"no redraw seen after {direction}: {state}") from exc
    b = page.evaluate("() => { window.__bench.done = true; return window.__bench; }")
    wait_for_app(page, timeout=60_000, initial_wait=0, settle=0)
    return {"redrawn_ms": (b["last"] if b["last"] is not None else b["script"]) - b["t0"],
            "script_ms": b["script"] - b["t0"], "charts": b["changed"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", nargs="*", help=f"URL paths (default: those of {FORWARD} that exist)")
    ap.add_argument("--slider", choices=("batch_size", "seq_len", "hidden_size", "step"),
                    help="slider to move (default: hidden_size; batch_size on Data_and_batches; "
                         "step = the time-step slider, a fragment rerun)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--query", default="", help="URL parameters for every page, e.g. numbers=0")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        print("chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 2
    pages = args.pages or page_paths()
    loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"{os.cpu_count()} CPUs, load average {loadavg}; "
          f"median of {args.repeats} changes after a warm-up", flush=True)
    server = StreamlitServer()
    server.start()
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
            for path in pages:
                ctx = browser.new_context(viewport={"width": 1400, "height": 900})
                page = ctx.new_page()
                goto_app(page, f"{server.url}/{path}{'?' + args.query if args.query else ''}",
                         timeout=60_000)
                key = args.slider or SLIDER.get(path, "hidden_size")
                if slider_input(page, key).count() == 0:
                    print(f"/{path}: no {key} slider", flush=True)
                    ctx.close()
                    continue
                measure(page, key, "ArrowRight")                       # warm-up (fills caches)
                runs = [measure(page, key, "ArrowLeft" if i % 2 == 0 else "ArrowRight")
                        for i in range(args.repeats)]
                redrawn = [r["redrawn_ms"] for r in runs]
                script = [r["script_ms"] for r in runs]
                rows.append((path, key, statistics.median(redrawn), min(redrawn), max(redrawn),
                             statistics.median(script), runs[-1]["charts"]))
                print(f"/{path}: redrawn {[round(x) for x in redrawn]} ms", flush=True)
                ctx.close()
            browser.close()
    finally:
        server.stop()

    print(f"\n{'page':22s} {'slider':12s} {'redrawn p50':>12s} {'min':>6s} {'max':>6s} "
          f"{'run done p50':>13s} {'charts':>7s}  goal 500 ms")
    for path, key, med, lo, hi, scr, charts in rows:
        print(f"{path:22s} {key:12s} {med:10.0f}ms {lo:6.0f} {hi:6.0f} {scr:11.0f}ms {charts:7d}  "
              f"{'ok' if med <= 500 else 'SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
