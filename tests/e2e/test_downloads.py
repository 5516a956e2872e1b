"""Downloads always deliver: on the Backprop page at the largest values, 50 clicks alternating
between the CSV and the NPZ button each give a complete file (a zip with every matrix, an npz
that loads). A click used to rerun the page, which could replace the deferred file the browser
was about to fetch (MediaFileStorageError: "Deferred file ... not found")."""
from __future__ import annotations

import io
import zipfile
from urllib.parse import urlencode

import numpy as np

from .helpers import REPO_ROOT, assert_no_exception, goto_app

LOAD = 60_000
CLICKS = 50
LARGEST = {"text": (REPO_ROOT / "data" / "sonnets.txt").read_text(encoding="utf-8")[:600],
           "batch_size": 16, "seq_len": 32, "hidden_size": 32, "weights": "random",
           "order": "sorted"}


def test_fifty_alternating_download_clicks_all_deliver(app_server, page, tmp_path):
    goto_app(page, f"{app_server}/Backprop_through_time?{urlencode(LARGEST)}", timeout=LOAD)
    assert_no_exception(page)
    expander = page.get_by_text("Download the", exact=False).first
    expander.click()
    buttons = {"csv": page.locator(".st-key-download_csv button"),
               "npz": page.locator(".st-key-download_npz button")}
    sizes = {}
    for k in range(CLICKS):
        kind = ("csv", "npz")[k % 2]
        with page.expect_download(timeout=30_000) as info:
            buttons[kind].click()
        path = tmp_path / f"{k}.{kind}"
        info.value.save_as(path)
        data = path.read_bytes()
        if kind == "csv":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = zf.namelist()
                assert names and all(n.endswith(".csv") for n in names)
        else:
            names = list(np.load(io.BytesIO(data)).keys())
        sizes.setdefault(kind, set()).add(len(names))
    assert_no_exception(page)
    assert sizes["csv"] == sizes["npz"] and len(sizes["csv"]) == 1, sizes   # the same matrices
