"""Training speed with the live loss chart on screen and off it (headless Chromium, loopback).

A session presses Train on the sonnets (H = 32, 500 epochs) and either stays on the Training page, whose
fragment redraws the progress bar and the live chart every 0.5 s ("on"), or opens the Home page
meanwhile ("off": the job trains on, nothing is drawn); after --seconds it reads the step count
from the progress bar. Prints steps per second of both and their ratio (median of --runs).

    python benchmarks/bench_live.py [--seconds 10] [--runs 2] [--app path/to/app.py]
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from e2e.helpers import CHROMIUM_ARGS, StreamlitServer, goto_app  # noqa: E402


def steps_after(page, url: str, seconds: float, live: bool) -> float:
    goto_app(page, f"{url}/Training_and_sampling?hidden_size=32", timeout=60_000)
    page.get_by_text("Shakespeare's sonnets (bundled)").click()
    page.wait_for_timeout(1500)
    epochs = page.locator(".st-key-train_epochs input")
    epochs.fill("500")
    epochs.press("Enter")
    page.wait_for_timeout(1500)
    page.locator(".st-key-train_go button").click()
    t0 = time.perf_counter()
    if not live:
        page.wait_for_timeout(1500)
        page.locator("[data-testid='stSidebarNav'], [data-testid='stSidebar']").get_by_text(
            "Home").first.click()
    page.wait_for_timeout(seconds * 1000)
    if not live:
        page.locator("[data-testid='stSidebar']").get_by_text("7 · Training and sampling").click()
    text = page.get_by_text(re.compile(r"step [\d,]+ of")).first.inner_text(timeout=30_000)
    elapsed = time.perf_counter() - t0
    done = int(re.search(r"step ([\d,]+) of", text).group(1).replace(",", ""))
    page.locator(".st-key-train_stop_button button").first.click()
    page.wait_for_timeout(2000)
    return done / elapsed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--app", default=None)
    args = ap.parse_args(argv)
    server = StreamlitServer(app=args.app)
    server.start()
    rates = {"on": [], "off": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            for _ in range(args.runs):
                for mode in ("on", "off"):
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    rates[mode].append(steps_after(page, server.url, args.seconds, mode == "on"))
                    page.close()
            browser.close()
    finally:
        server.stop()
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    print(json.dumps({"steps_per_s_live_on": round(on), "steps_per_s_live_off": round(off),
                      "ratio": round(on / off, 2), "runs": rates}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
