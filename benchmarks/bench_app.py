"""Script time of a rerun after a slider change, per page, at the default settings and at the
largest slider values (issue: <= 100 ms at defaults, <= 300 ms at the largest values).

Runs each page in Streamlit's AppTest (the script run, no browser), changes a slider, and times
the rerun; reports the median of --repeats reruns. Usage: python benchmarks/bench_app.py
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

from streamlit.testing.v1 import AppTest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))          # as `streamlit run app.py` does, so pages can import ui
LONG_TEXT = (ROOT / "data" / "sonnets.txt").read_text(encoding="utf-8")[:5000] \
    if (ROOT / "data" / "sonnets.txt").exists() else ("the quick brown fox jumps over the lazy dog. " * 120)[:5000]
SETTINGS = {
    "defaults": {},
    "largest": {"text": LONG_TEXT, "batch_size": 16, "seq_len": 32, "hidden_size": 32,
                "weights": "random", "order": "sorted"},
}
# The slider moved between timed reruns, and the two values it alternates between.
MOVES = {"defaults": ("hidden_size", 2, 3), "largest": ("hidden_size", 32, 31)}


def pages() -> list[str]:
    return ["app.py"] + sorted((str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py")),
                               key=lambda p: int(pathlib.Path(p).name.split("_")[0]))


def time_page(path: str, settings: dict, move, repeats: int) -> float:
    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    for k, v in settings.items():
        at.session_state[k] = v
    at.run()
    if at.exception:
        raise RuntimeError(f"{path}: {at.exception[0].message}")
    key, a, b = move
    times = []
    for i in range(repeats + 1):
        value = b if i % 2 == 0 else a
        start = time.perf_counter()
        at.session_state[key] = value
        at.run()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])          # the first rerun fills the cache for value b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pages", nargs="*", help="page paths (default: all)")
    args = parser.parse_args()
    print(f"{'page':42s} {'defaults (ms)':>14s} {'largest (ms)':>13s}")
    for path in args.pages or pages():
        row = [time_page(path, SETTINGS[name], MOVES[name], args.repeats) * 1000 for name in SETTINGS]
        print(f"{path:42s} {row[0]:14.0f} {row[1]:13.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
