"""Load: a classroom of 30 sessions on one freshly started server (loopback only).

Thirty WebSocket clients speaking Streamlit's protocol (tests/e2e/wsclient.py: BackMsg
rerun_script with the slider's widget state, ForwardMsg deltas until script_finished) connect
at once to the Gates page and each makes 20 sidebar-slider changes (batch_size, seq_len,
hidden_size in turn), waiting for each rerun like a student would. Zero errors allowed: no
exception element, every run finished, no disconnect or timeout, every slider shows the value
sent and every rerun redraws the charts. Rerun latency (p50 / p95) and the server's RSS
(/proc/PID/status) are printed and written to tests/e2e/screenshots/load-report.txt.

Bounded: each receive waits at most 60 s, the whole drive at most 150 s. Runs in the default
test command (about 2 minutes on 2 cores); `-m "not load"` leaves it out.
"""
from __future__ import annotations

import json
import urllib.request

import pytest

from .loadgen import drive_sessions, memory_mb, server_pid

pytestmark = pytest.mark.load

SESSIONS = 30
CHANGES = 20


def test_thirty_sessions_twenty_slider_changes_each(fresh_server, screenshot_dir):
    url = fresh_server()
    pid = server_pid(url)
    idle_mb = memory_mb(pid)["VmRSS"]
    report = drive_sessions(url, "Gates_z_and_r", sessions=SESSIONS, changes=CHANGES,
                            timeout=60.0, budget=150.0)
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as resp:
        healthy = resp.read().decode().strip() == "ok"
    summary = report.summary() + f"; idle server RSS {idle_mb:.0f} MB"
    print("\n" + summary)
    (screenshot_dir / "load-report.txt").write_text(summary + "\n" + json.dumps({
        "sessions": SESSIONS, "changes": CHANGES, "p50_s": report.p50, "p95_s": report.p95,
        "wall_s": report.wall_s, "rss_idle_mb": idle_mb, "rss_before_mb": report.rss_before_mb,
        "rss_after_mb": report.rss_after_mb, "rss_peak_mb": report.rss_peak_mb,
        "errors": report.errors[:50], "checks_failed": report.checks_failed[:50]}, indent=1))
    assert not report.errors, f"{len(report.errors)} errors, e.g.:\n" + "\n".join(report.errors[:10])
    assert not report.checks_failed, "\n".join(report.checks_failed[:10])
    assert len(report.first_run_s) == SESSIONS
    assert len(report.rerun_s) == SESSIONS * CHANGES
    assert healthy, "the server's health check failed after the load"
