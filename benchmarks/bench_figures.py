"""Plotly.js alone drawing each page's figures: which figure costs the browser most, and why.

Every page of the registry is run once in AppTest (at the defaults and/or the largest values);
each figure it sends is drawn with `Plotly.newPlot` in a blank page of Debian's Chromium
(plotly.py's own plotly.min.js: the same major version as Streamlit's chart bundle), --repeats
times, from the call to the next animation frame. No Streamlit, React or page around it: this
is the part of a redraw or a page switch that a figure's own content decides (its traces,
annotations, tick labels, cells). Prints the figures slowest first, with their traces,
annotations, shapes and JSON size.

    python benchmarks/bench_figures.py                           # defaults and largest
    python benchmarks/bench_figures.py --sizes largest --top 15
    python benchmarks/bench_figures.py --pages 8_Gate_explorer --sizes largest
"""
from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
from pathlib import Path

import plotly

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from app_helpers import run_page  # noqa: E402
from bench_navigate import SIZES  # noqa: E402  (the same largest values)
from e2e.helpers import CHROMIUM_ARGS, chromium_path  # noqa: E402
from ui import registry  # noqa: E402

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

# Draws one figure in an emptied container; resolves with the time to the next frame (ms).
DRAW_JS = """async (spec) => {
  const root = document.getElementById('root');
  root.querySelectorAll('.js-plotly-plot').forEach(g => Plotly.purge(g));
  root.replaceChildren();
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 20)));
  const gd = document.createElement('div');
  root.appendChild(gd);
  const t0 = performance.now();
  await Plotly.newPlot(gd, spec.data, spec.layout, {displayModeBar: false});
  await new Promise(r => requestAnimationFrame(r));
  return performance.now() - t0;
}"""


def figures(pages: list[str], size: str) -> list[dict]:
    """Every figure the pages send at `size`: page, chart key, spec and its counts."""
    found = []
    for file in pages:
        # AppTest runs a page outside a server, which Streamlit warns about (harmlessly); its
        # logging is set up on the first run, so the warning is silenced before each
        logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
            logging.ERROR)
        at = run_page(file, query={k: str(v) for k, v in SIZES[size].items()})
        for el in at.get("plotly_chart"):
            spec = json.loads(el.proto.spec)
            layout = spec["layout"]
            found.append(dict(page=Path(file).stem, key=el.proto.id.rsplit("-", 1)[-1],
                              spec=spec, traces=len(spec["data"]),
                              annotations=len(layout.get("annotations", [])),
                              shapes=len(layout.get("shapes", [])),
                              kb=len(el.proto.spec) / 1024))
    return found


def draw_times(found: list[dict], repeats: int) -> None:
    """Each figure's median newPlot time, into found[i]["ms"] (figures interleaved)."""
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "blank.html"
        html.write_text("<html><body style='width:1200px'><div id=root style='width:1150px'>"
                        f"</div><script src='{PLOTLY_JS.as_uri()}'></script></body></html>")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                         args=[*CHROMIUM_ARGS, "--allow-file-access-from-files"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(html.as_uri())
            page.wait_for_function("window.Plotly")
            times = [[] for _ in found]
            for _ in range(repeats):
                for i, f in enumerate(found):
                    times[i].append(page.evaluate(DRAW_JS, f["spec"]))
            browser.close()
    for f, t in zip(found, times):
        f["ms"] = statistics.median(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    ap.add_argument("--pages", nargs="+", help="page file stems (default: every page)")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--top", type=int, default=0, help="print only the slowest N per size")
    args = ap.parse_args()
    pages = [p.file for p in registry.PAGES if p.file.startswith("pages/")
             and (not args.pages or Path(p.file).stem in args.pages)]
    print(f"plotly.js of {PLOTLY_JS}, median of {args.repeats} draws per figure")
    for size in args.sizes:
        found = figures(pages, size)
        draw_times(found, args.repeats)
        found.sort(key=lambda f: -f["ms"])
        print(f"\n{size}: {len(found)} figures, {sum(f['ms'] for f in found):,.0f} ms in all")
        print(f"{'ms':>7}  {'page':24} {'chart':22} {'traces':>6} {'notes':>5} {'shapes':>6} "
              f"{'KB':>7}")
        for f in found[:args.top or None]:
            print(f"{f['ms']:7.1f}  {f['page']:24} {f['key'][:22]:22} {f['traces']:6d} "
                  f"{f['annotations']:5d} {f['shapes']:6d} {f['kb']:7.1f}")


if __name__ == "__main__":
    main()
