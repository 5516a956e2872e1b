"""Page switches of two checkouts of the app, interleaved in one browser: before / after in one
sitting, as this machine's speed drifts by more than most changes between runs.

Starts `streamlit run app.py` of each checkout (a git worktree of the old commit, say) on its
own loopback port, warms both (every page opened once), then for --rounds rounds: for each page,
a switch to it in each checkout (the order alternating by round), made as bench_navigate.py
makes one (a new tab at the previous page of the registry, --read-ms after it settled a click on
the page's sidebar link, timed to the last change of the page). Besides the time, the renderer's
main-thread time of the switch, from Chromium's own counters (CDP Performance.getMetrics:
TaskDuration, ScriptDuration, LayoutDuration, RecalcStyleDuration, read before the click and
once it settled), which a slow phase of the machine stretches less than the wall time.
Prints the medians per page and checkout.

    git worktree add --detach /tmp/old <commit>
    python benchmarks/ab_navigate.py /tmp/old . --pages Data_and_batches Backprop_through_time
"""
from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_navigate import ARM_JS, SIZES, WATCH_JS, nav_link, settled  # noqa: E402
from e2e.helpers import CHROMIUM_ARGS, StreamlitServer, chromium_path, goto_app  # noqa: E402
from ui import registry  # noqa: E402

COUNTERS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def switch(context, base: str, before: str, target: str, read_ms: int) -> dict[str, float]:
    """One switch from `before` to `target`: its wall time and main-thread counters, ms."""
    page = context.new_page()
    try:
        goto_app(page, f"{base}/{before}", timeout=60_000)
        settled(page)
        page.wait_for_timeout(read_ms)
        link = nav_link(page, target)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")

        def counters():
            return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}

        start = counters()
        page.evaluate(ARM_JS)
        link.click()
        wall = settled(page)
        end = counters()
        return {"wall": wall, **{k: (end[k] - start[k]) * 1000 for k in COUNTERS}}
    finally:
        page.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", help="the first checkout (a folder with app.py)")
    ap.add_argument("after", help="the second checkout")
    ap.add_argument("--pages", nargs="+", required=True, help="URL paths of the pages")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--sizes", choices=tuple(SIZES), default="defaults")
    ap.add_argument("--read-ms", type=int, default=3000)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        print("chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 2
    paths = [p.url_path for p in registry.PAGES]
    query = urlencode(SIZES[args.sizes])
    suffix = f"?{query}" if query else ""
    checkouts = {"before": Path(args.before).resolve(), "after": Path(args.after).resolve()}
    servers = {name: StreamlitServer(app=str(root / "app.py"), env={"OPENBLAS_NUM_THREADS": "1"})
               for name, root in checkouts.items()}
    results: dict[tuple[str, str], list[dict]] = defaultdict(list)
    print(f"load average {open('/proc/loadavg').read().split()[:3]}; {args.rounds} rounds; "
          f"{args.sizes}; click {args.read_ms} ms after the previous page settled", flush=True)
    try:
        for server in servers.values():
            server.start()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.add_init_script(WATCH_JS)
            for server in servers.values():             # warm: every page once
                page = context.new_page()
                for p in paths:
                    goto_app(page, f"{server.url}/{p}{suffix}", timeout=120_000)
                page.close()
            for r in range(args.rounds):
                for target in args.pages:
                    before = paths[paths.index(target) - 1]
                    for name in (("before", "after") if r % 2 == 0 else ("after", "before")):
                        results[(name, target)].append(switch(
                            context, servers[name].url, f"{before}{suffix}", target,
                            args.read_ms))
                print(f"round {r + 1}: " + ", ".join(
                    f"{t} {results[('before', t)][-1]['wall']:.0f} / "
                    f"{results[('after', t)][-1]['wall']:.0f} ms" for t in args.pages), flush=True)
            browser.close()
    finally:
        for server in servers.values():
            server.stop()

    def med(name, target, key):
        return statistics.median(x[key] for x in results[(name, target)])

    print("\n| page | switch, before → after | main thread | script | layout | style |"
          "\n|---|---:|---:|---:|---:|---:|")
    for t in args.pages:
        cells = [f"{med('before', t, k):,.0f} → {med('after', t, k):,.0f}"
                 for k in ("wall", *COUNTERS)]
        print(f"| {t} | " + " | ".join(cells) + " |")
    print(f"(ms, median of {args.rounds}; before = {checkouts['before']}, "
          f"after = {checkouts['after']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
