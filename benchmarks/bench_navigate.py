"""First visit and page switch, as a student feels them, in headless Chromium (issue goals on
a warm server: page switch <= 1 s, first visit to any page <= 2 s, at the largest values too).

Starts `streamlit run app.py` on a free loopback port, warms it (every page opened once at the
settings measured, so the shared caches hold the runs), then for every page of the registry:
  first visit  a new session opens the page's URL, in a new browser (a new browser context:
               nothing cached, so Streamlit's scripts are fetched and compiled, among them the
               4.7 MB Plotly chunk) and in a new tab of a browser that has opened the app
               before (its HTTP cache warm); the time is from the navigation's start to the
               last change of the page's content (a MutationObserver on the document: elements
               in the app's root added, removed or retexted, charts included) once the script
               run is over, no element is waiting for its script (Streamlit's skeleton) and
               nothing has changed for 600 ms
  page switch  in a session on the previous page of the registry (a tab of the warm browser,
               opened at that page), a click on the page's link in the sidebar's navigation,
               --read-ms after that page settled (a reader looks at a page before moving on;
               the browser's early loads run meanwhile, ui/page.py preload); the time is from
               the click to the same end
Prints the median (and max) of --repeats of each, per page, at the defaults and at the largest
values (B 16, S 32, H 32 and a 720-character text), and the bytes a new browser fetched.
--nginx: the same through two replicas behind nginx (deploy/nginx/gml.conf, which compresses
the scripts).

    python benchmarks/bench_navigate.py                     # defaults and largest, 3 repeats
    python benchmarks/bench_navigate.py --sizes defaults --repeats 5
    python benchmarks/bench_navigate.py --sizes defaults --pages Gates_z_and_r --nginx
    python benchmarks/bench_navigate.py --sizes defaults --read-ms 0     # click at once
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from e2e.helpers import CHROMIUM_ARGS, StreamlitServer, chromium_path, goto_app  # noqa: E402
from bench_lab import setup  # noqa: E402  (one server, or replicas behind nginx)
from ui import registry  # noqa: E402

PANGRAM = "the quick brown fox jumps over the lazy dog. "
SIZES = {"defaults": {},
         "largest": {"text": (PANGRAM * 16)[:720], "batch_size": 16, "seq_len": 32,
                     "hidden_size": 32}}
QUIET_MS = 600
NAV_LINK = "[data-testid='stSidebar'] a[data-testid='stPageLink-NavLink']"

# Installed before the page's own scripts: remembers the time of the last change of the page's
# content: in the app's root element (not Plotly's style and measuring elements in the head and
# the body, which it adds when its script runs: on Home that runs once Home is drawn, ui/page.py).
WATCH_JS = """(() => {
  performance.setResourceTimingBufferSize(5000);     // Streamlit loads a few hundred chunks
  window.__nav = {last: 0};
  const shown = r => {
    const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    return !!(el && el.closest("[data-testid='stApp']"));
  };
  new MutationObserver(records => {
    if (records.some(shown)) window.__nav.last = performance.now();
  }).observe(document, {childList: true, subtree: true, characterData: true});
})();"""

ARM_JS = "() => { window.__nav.last = 0; window.__nav.t0 = performance.now(); }"

DONE_JS = f"""() => {{
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  // an element whose script is still loading (a chart before Plotly's has run) is a skeleton
  if (document.querySelector("[data-testid='stSkeleton']")) return false;
  return window.__nav.last > 0 && performance.now() - window.__nav.last > {QUIET_MS};
}}"""


def settled(page) -> float:
    """ms from window.__nav.t0 (0 = the navigation's start) to the last DOM change."""
    page.wait_for_function(DONE_JS, timeout=60_000, polling=50)
    return page.evaluate("() => window.__nav.last - (window.__nav.t0 || 0)")


def nav_link(page, path: str):
    """The sidebar navigation's link to the page at URL path `path`, or None (Home's own)."""
    paths = [h.strip("/") for h in page.locator(NAV_LINK).evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)")]
    return page.locator(NAV_LINK).nth(paths.index(path)) if path in paths else None


FETCHED_JS = """() => performance.getEntriesByType('navigation').concat(
  performance.getEntriesByType('resource')).reduce((n, e) => n + (e.transferSize || 0), 0)"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", choices=tuple(SIZES), default=list(SIZES))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pages", nargs="+", help="URL paths (default: every page; '' is Home)")
    ap.add_argument("--nginx", action="store_true", help="two replicas behind nginx")
    ap.add_argument("--switch-only", action="store_true", help="page switches, no first visits")
    ap.add_argument("--read-ms", type=int, default=3000,
                    help="page switch: ms between the previous page settling and the click")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        print("chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 2
    print(f"{os.cpu_count()} CPUs, load average {open('/proc/loadavg').read().split()[:3]}; "
          f"median of {args.repeats}; page switch {args.read_ms} ms after the previous page "
          f"settled", flush=True)
    rows, fetched = [], []
    with setup(2 if args.nginx else 1) as (base, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)

        def context():
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            ctx.add_init_script(WATCH_JS)
            return ctx, ctx.new_page()

        for size in args.sizes:
            query = urlencode(SIZES[size])
            url = {p.key: f"{base}/{p.url_path}" + (f"?{query}" if query else "")
                   for p in registry.PAGES}
            shared, page = context()       # warm: every page once (server and browser)
            for p in registry.PAGES:
                goto_app(page, url[p.key], timeout=120_000)
            page.close()
            for i, p in enumerate(registry.PAGES):
                if args.pages is not None and p.url_path not in args.pages:
                    continue
                cold, tab, switch = [], [], []
                for _ in range(0 if args.switch_only else args.repeats):
                    ctx, page = context()
                    page.goto(url[p.key], wait_until="commit")
                    cold.append(settled(page))
                    fetched.append(page.evaluate(FETCHED_JS))
                    ctx.close()
                    page = shared.new_page()
                    page.goto(url[p.key], wait_until="commit")
                    tab.append(settled(page))
                    page.close()
                before = registry.PAGES[i - 1]
                for _ in range(args.repeats):        # in a tab of the warm browser
                    page = shared.new_page()
                    goto_app(page, url[before.key], timeout=60_000)
                    settled(page)
                    page.wait_for_timeout(args.read_ms)
                    link = nav_link(page, p.url_path)
                    if link is None:                      # Home has no link of its own
                        page.close()
                        break
                    page.evaluate(ARM_JS)
                    link.click()
                    switch.append(settled(page))
                    page.close()
                rows.append((size, p.url_path or "(Home)", cold, tab, switch))
                print(f"{size:8s} {p.url_path or '(Home)':24s} first visit: new browser "
                      f"{[round(x) for x in cold]} ms, new tab {[round(x) for x in tab]} ms; "
                      f"switch from {before.url_path or 'Home'} "
                      f"{[round(x) for x in switch] or '(no link)'} ms", flush=True)
            shared.close()
        browser.close()

    def cell(xs):
        return f"{statistics.median(xs):.0f} ms ({max(xs):.0f})" if xs else "–"

    print("\n| settings | page | first visit, new browser | first visit, new tab | page switch |"
          "\n|---|---|---:|---:|---:|")
    for size, path, cold, tab, switch in rows:
        print(f"| {size} | {path} | {cell(cold)} | {cell(tab)} | {cell(switch)} |")
    served = "nginx, 2 replicas" if args.nginx else "one server"
    fetch = (f"; a new browser fetched {statistics.median(fetched) / 1e6:.1f} MB, median"
             if fetched else "")
    print(f"(median of each, the slowest in brackets; {served}{fetch})")
    for name, col, goal in (("first visit, new browser", 2, 2000),
                            ("first visit, new tab", 3, 2000), ("page switch", 4, 1000)):
        medians = [(statistics.median(r[col]), r[0], r[1]) for r in rows if r[col]]
        if not medians:
            continue
        worst = max(medians)
        print(f"slowest median, {name}: {worst[0]:.0f} ms ({worst[1]}, {worst[2]}; goal {goal} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
