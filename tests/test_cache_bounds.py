"""The app's caches are bounded, so a server's memory stays flat over many distinct inputs.

- Every st.cache_data / st.cache_resource / functools cache in app.py, pages/ and ui/ has a
  bound (max_entries / maxsize; or a ttl).
- 1,000 distinct texts through ui.compute's cached run and gradients (a fresh process,
  tests/cache_probe.py, the cache's budget set to 8 MB): the cache holds at most its budget,
  and RSS after 1,000 inputs is within the budget (and a few MB) of RSS after 100, far below
  what 1,000 kept entries would take (measured pickled size of one entry x 1,000).
- ui/cache.py's BytesLRU: evicts the least recently used entries by bytes, shares one
  read-only object per key.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from app_helpers import ROOT

SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]


def _decorators(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                yield node.name, dec


def _name(expr) -> str:
    if isinstance(expr, ast.Call):
        expr = expr.func
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
    return ".".join(reversed(parts))


def unbounded_caches() -> list[str]:
    bad = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for func, dec in _decorators(tree):
            name = _name(dec)
            where = f"{path.relative_to(ROOT)}:{dec.lineno} {func}"
            if name.endswith(("cache_data", "cache_resource")):
                kw = {k.arg: k.value for k in dec.keywords} if isinstance(dec, ast.Call) else {}
                if not ({"max_entries", "ttl"} & kw.keys()) or \
                        (isinstance(kw.get("max_entries"), ast.Constant) and kw["max_entries"].value is None):
                    bad.append(f"{where}: @{name} without max_entries / ttl")
            elif name.endswith(("functools.cache", "lru_cache")) or name == "cache":
                kw = {k.arg: k.value for k in dec.keywords} if isinstance(dec, ast.Call) else {}
                size = kw.get("maxsize") or (dec.args[0] if isinstance(dec, ast.Call) and dec.args else None)
                if not isinstance(dec, ast.Call) or (isinstance(size, ast.Constant) and size.value is None):
                    bad.append(f"{where}: @{name} without maxsize")
    return bad


def test_every_cache_has_a_bound():
    assert SOURCES
    bad = unbounded_caches()
    assert not bad, "unbounded caches:\n" + "\n".join(bad)


def probe(*args: str, timeout: float = 240) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "tests" / "cache_probe.py"), *args],
                         capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.load
def test_memory_stays_flat_over_1000_distinct_inputs():
    r = probe("--inputs", "1000", "--length", "120", "--pages", "run", "grads", "--cache-mb", "8")
    assert r["cache_bytes"] <= r["cache_max_bytes"] == 8 * 2**20, r
    points = dict((int(n), mb) for n, mb in r["checkpoints"])
    start, after_100, after_1000 = points[0], points[100], points[1000]
    unbounded_growth_mb = r["entry_bytes"] * 900 / 2**20
    print(f"\ncache probe: RSS {start:.0f} MB at start, {after_100:.0f} MB after 100 inputs, "
          f"{after_1000:.0f} MB after 1,000 (peak {r['peak_mb']:.0f} MB, {r['seconds']:.1f} s); "
          f"one entry pickles to {r['entry_bytes'] / 1024:.0f} KB, so 900 more kept entries "
          f"would add ~{unbounded_growth_mb:.0f} MB")
    assert after_1000 - after_100 < min(30.0, 0.15 * unbounded_growth_mb), r["checkpoints"]


def test_the_cache_is_bounded_in_bytes_and_shares_read_only_values():
    import numpy as np

    from ui.cache import ENTRY_BYTES, BytesLRU, nbytes
    made = []

    def make(n):
        made.append(n)
        return {"a": np.zeros(n)}                    # 8 n bytes

    entry = nbytes({"a": np.zeros(1000)}) + ENTRY_BYTES
    assert entry > 8000
    cache = BytesLRU(max_bytes=3 * entry)
    first = cache.get_or_make("k0", lambda: make(1000))
    assert cache.get_or_make("k0", lambda: make(1000)) is first and made == [1000]
    with pytest.raises(ValueError):
        first["a"][0] = 1.0                          # shared: nobody may change it
    for k in ("k1", "k2"):
        cache.get_or_make(k, lambda: make(1000))
    cache.get_or_make("k0", lambda: make(1000))       # k0 used again: k1 is now the oldest
    cache.get_or_make("k3", lambda: make(1000))
    assert len(cache) == 3 and cache.bytes == 3 * entry == cache.max_bytes
    assert cache.get_or_make("k1", lambda: make(1000)) is not None and made.count(1000) == 5
    too_big = cache.get_or_make("big", lambda: make(10**6))   # larger than the budget: not kept
    assert too_big["a"].size == 10**6 and "big" not in cache._items
    # views of one block count the block once (and their own headers)
    block = np.zeros((4, 100))
    alone = nbytes(block)
    assert alone >= 3200
    assert 0 < nbytes({"x": block, "rows": [block[0], block[1:]]}) - alone < 1000
    # Python objects count too: 10,000 small views of one block are not free
    views = [block[0, :1] for _ in range(10_000)]
    assert nbytes(views) > 10_000 * 100


def test_an_input_too_large_to_compute_gets_a_message_saying_what_fits():
    from ui import compute
    from ui.store import DEFAULTS, Settings
    text = "".join(chr(0x4E00 + i) for i in range(2000)) * 2        # 4,000 characters, V = 2,000
    settings = Settings(**{**{k: DEFAULTS[k] for k in Settings.__dataclass_fields__},
                           "text": text, "order": "sorted", "weights": "random"})
    with pytest.raises(compute.InputError, match=r"4,000 characters and a vocabulary of 2,000 .*"
                                                 r"the limit is 2,000,000. Use at most 500 "):
        compute.get_run(settings)
    fits = settings.__class__(**{**settings.__dict__, "text": text[:1000]})   # 1,000 × 1,000
    assert compute.get_run(fits).vocab.size == 1000


def test_the_cache_is_bounded_by_count_too():
    from ui.cache import BytesLRU
    cache = BytesLRU(max_bytes=2**30, max_entries=3)
    for k in range(5):
        cache.get_or_make(k, lambda: {"k": k})
    assert len(cache) == 3 and sorted(cache._items) == [2, 3, 4]
