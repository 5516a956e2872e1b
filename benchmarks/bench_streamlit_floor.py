"""The floor under the app's browser goals: what a bare Streamlit app with Plotly heatmaps costs
in the same Chromium, measured the way bench_navigate.py and bench_browser.py measure the app.

Writes a four-page app into a temporary folder (nothing of GRU Matrix Lab in it): each page is
a sidebar slider, three lines of text and none, one, two or three `st.plotly_chart` heatmaps of
--rows rows and n columns (n = the slider, 8 at first) with a number in every cell, and a
sidebar link to every page. Starts it with `streamlit run` and times, in Debian's Chromium:

  first visit   a new browser context (nothing cached) opening a page, from the navigation's
                start to the page's last DOM change (bench_navigate.py's watcher and end)
  page switch   a click on the sidebar link from the one-chart page (Plotly's script already
                loaded in that tab) to the three-chart page, to the same end
  redraw        a keyboard change of the slider to the last frame in which a chart received
                new data (bench_browser.py's measure): each changed chart is a new element in
                Streamlit 1.67 (its element id includes the figure), so a full Plotly.newPlot

Prints the median (min, max) of --repeats of each: the app's own figures are the part of a
first visit, a page switch or a redraw above these.

    python benchmarks/bench_streamlit_floor.py
    python benchmarks/bench_streamlit_floor.py --repeats 7 --rows 16
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_browser import measure  # noqa: E402
from bench_navigate import ARM_JS, WATCH_JS, nav_link, settled  # noqa: E402
from e2e.helpers import CHROMIUM_ARGS, StreamlitServer, chromium_path, goto_app  # noqa: E402

APP = '''
import numpy as np
import plotly.graph_objects as go
import streamlit as st

ROWS = {rows}


def page(charts: int):
    def draw():
        n = st.sidebar.slider("columns", 2, 32, 8, key="hidden_size")
        st.header(f"{{charts}} chart(s)")
        st.markdown("A bare page: a slider, three lines of text and heatmaps with numbers.")
        st.markdown("Nothing else is on it; the same Streamlit and Chromium as the app.")
        rng = np.random.default_rng(n)
        for k in range(charts):
            z = rng.standard_normal((ROWS, n)).round(4)
            fig = go.Figure(go.Heatmap(z=z, text=z, texttemplate="%{{text}}",
                                       colorscale="RdBu", zmid=0))
            fig.update_layout(height=320, margin=dict(l=40, r=10, t=30, b=30),
                              title=f"matrix {{k + 1}} ({{ROWS}}x{{n}})")
            st.plotly_chart(fig, width="stretch")
    return draw


pages = [st.Page(page(0), title="No chart", url_path="none", default=True),
         st.Page(page(1), title="One chart", url_path="one"),
         st.Page(page(2), title="Two charts", url_path="two"),
         st.Page(page(3), title="Three charts", url_path="three")]
current = st.navigation(pages, position="hidden")
for p in pages:
    st.sidebar.page_link(p)
current.run()
'''


def stats(xs: list[float]) -> str:
    return f"{statistics.median(xs):,.0f} ({min(xs):,.0f}-{max(xs):,.0f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rows", type=int, default=8, help="rows of each heatmap")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        print("chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 2
    print(f"load average {open('/proc/loadavg').read().split()[:3]}; median (min-max) of "
          f"{args.repeats}; heatmaps of {args.rows} rows", flush=True)
    rows: list[tuple[str, list[float]]] = []
    with tempfile.TemporaryDirectory(prefix="gml-floor-") as folder:
        app = Path(folder) / "floor_app.py"
        app.write_text(APP.format(rows=args.rows))
        server = StreamlitServer(app=app, env={"OPENBLAS_NUM_THREADS": "1"})
        server.start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS,
                                             headless=True)

                def context():
                    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
                    ctx.add_init_script(WATCH_JS)
                    return ctx, ctx.new_page()

                ctx, page = context()                      # warm the server
                for path in ("none", "one", "two", "three"):
                    goto_app(page, f"{server.url}/{path}", timeout=60_000)
                ctx.close()
                for path, name in (("none", "first visit, no chart"),
                                   ("one", "first visit, one chart")):
                    times = []
                    for _ in range(args.repeats):
                        ctx, page = context()
                        page.goto(f"{server.url}/{path}", wait_until="commit")
                        times.append(settled(page))
                        ctx.close()
                    rows.append((name, times))
                    print(f"{name}: {[round(t) for t in times]} ms", flush=True)
                ctx, _ = context()
                times = []
                for _ in range(args.repeats):
                    page = ctx.new_page()
                    goto_app(page, f"{server.url}/one", timeout=60_000)
                    settled(page)
                    page.wait_for_timeout(1000)
                    link = nav_link(page, "three")
                    page.evaluate(ARM_JS)
                    link.click()
                    times.append(settled(page))
                    page.close()
                rows.append(("page switch, one chart -> three", times))
                print(f"switch: {[round(t) for t in times]} ms", flush=True)
                for path, name in (("one", "redraw, one chart"), ("two", "redraw, two charts"),
                                   ("three", "redraw, three charts")):
                    page = ctx.new_page()
                    goto_app(page, f"{server.url}/{path}", timeout=60_000)
                    measure(page, "hidden_size", "ArrowRight")              # warm-up
                    times = [measure(page, "hidden_size",
                                     "ArrowLeft" if i % 2 == 0 else "ArrowRight")["redrawn_ms"]
                             for i in range(args.repeats)]
                    page.close()
                    rows.append((name, times))
                    print(f"{name}: {[round(t) for t in times]} ms", flush=True)
                ctx.close()
                browser.close()
        finally:
            server.stop()
    print("\n| bare Streamlit app | ms |\n|---|---:|")
    for name, times in rows:
        print(f"| {name} | {stats(times)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
