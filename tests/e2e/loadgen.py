"""Load generation against a locally started server: concurrent WebSocket sessions moving the
sidebar sliders, distinct inputs for the cache, and the server's memory from /proc.

Used by tests/e2e/test_load.py (bounded, under ~2 minutes) and benchmarks/bench_load.py.
Loopback only (wsclient.Session refuses other hosts); every wait has a timeout.
"""
from __future__ import annotations

import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from .wsclient import ProtocolError, Session

# The default text "MathMathMathMathMath" has 20 characters: B, S <= 4 always leave a batch.
SLIDER_VALUES = {"batch_size": range(1, 5), "seq_len": range(1, 5), "hidden_size": range(1, 9)}


# ------------------------------------------------------------------ server memory

def server_pid(base_url: str) -> int:
    """The pid of the `streamlit run ... --server.port PORT` process serving base_url."""
    port = str(urlparse(base_url).port)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in argv]
        if any("streamlit" in a for a in args) and "--server.port" in args:
            i = args.index("--server.port")
            if i + 1 < len(args) and args[i + 1] == port:
                return int(proc.name)
    raise LookupError(f"no streamlit process on port {port}")


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MB, from /proc/PID/status."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(rest.split()[0]) / 1024
    return out


def percentile(values, q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


# ------------------------------------------------------------------ concurrent sessions

@dataclass
class LoadReport:
    sessions: int
    changes: int
    first_run_s: list[float] = field(default_factory=list)   # connect + first script run
    rerun_s: list[float] = field(default_factory=list)       # slider change -> script finished
    errors: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)   # URL did not follow the slider
    wall_s: float = 0.0
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    rss_peak_mb: float = 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.rerun_s) if self.rerun_s else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.rerun_s, 95) if self.rerun_s else float("nan")

    def summary(self) -> str:
        return (f"{self.sessions} sessions x {self.changes} slider changes: "
                f"{len(self.rerun_s)} reruns in {self.wall_s:.1f} s, errors {len(self.errors)}; "
                f"rerun latency p50 {self.p50 * 1000:.0f} ms, p95 {self.p95 * 1000:.0f} ms, "
                f"max {max(self.rerun_s, default=float('nan')) * 1000:.0f} ms; first run p50 "
                f"{statistics.median(self.first_run_s) * 1000 if self.first_run_s else float('nan'):.0f} ms; "
                f"server RSS {self.rss_before_mb:.0f} -> {self.rss_after_mb:.0f} MB "
                f"(peak {self.rss_peak_mb:.0f} MB)")


def _one_session(url: str, page_name: str, index: int, changes: int, start: threading.Barrier,
                 report: LoadReport, lock: threading.Lock, timeout: float, deadline: float) -> None:
    rng = random.Random(index)
    tag = f"session {index}"
    try:
        start.wait(timeout=timeout)
    except threading.BrokenBarrierError:
        with lock:
            report.errors.append(f"{tag}: start barrier broken")
        return
    try:
        t0 = time.perf_counter()
        with Session(url, page_name, timeout=timeout) as s:
            first = s.rerun()
            first_s = time.perf_counter() - t0
            problems = [f"{tag} first run: {e}" for e in first.exceptions]
            if first.status != "ok":
                problems.append(f"{tag} first run ended {first.status!r}")
            if not first.charts:
                problems.append(f"{tag} first run drew no chart")
            with lock:
                report.first_run_s.append(first_s)
                report.errors.extend(problems)
            keys = list(SLIDER_VALUES)
            for j in range(changes):
                if time.perf_counter() > deadline:
                    with lock:
                        report.errors.append(f"{tag}: overall deadline reached after {j} changes")
                    return
                key = keys[(index + j) % len(keys)]
                current = s.widgets.get(key, (None, None))[1]
                value = rng.choice([v for v in SLIDER_VALUES[key] if v != current])
                r = s.rerun({key: value})
                problems = [f"{tag} change {j} ({key}={value}): {e}" for e in r.exceptions]
                if r.status != "ok":
                    problems.append(f"{tag} change {j}: run ended {r.status!r}")
                if not r.charts:
                    problems.append(f"{tag} change {j}: no chart redrawn")
                shown = s.widgets.get(key, (None, None))[1]
                check = None
                if shown != value:
                    check = f"{tag} change {j}: slider {key} shows {shown}, sent {value}"
                with lock:
                    report.rerun_s.append(r.seconds)
                    report.errors.extend(problems)
                    if check:
                        report.checks_failed.append(check)
    except (ProtocolError, TimeoutError, OSError, Exception) as exc:  # noqa: BLE001 - every failure counts
        with lock:
            report.errors.append(f"{tag}: {type(exc).__name__}: {exc}")


def drive_sessions(url: str, page_name: str = "Gates_z_and_r", sessions: int = 30,
                   changes: int = 20, timeout: float = 60.0, budget: float = 150.0) -> LoadReport:
    """`sessions` WebSocket clients connect at once, each runs the page and then makes `changes`
    slider changes one after another (waiting for each rerun, like a student). Bounded: each
    receive waits at most `timeout` s and the whole thing at most `budget` s."""
    pid = server_pid(url)
    report = LoadReport(sessions, changes, rss_before_mb=memory_mb(pid)["VmRSS"])
    lock = threading.Lock()
    barrier = threading.Barrier(sessions)
    deadline = time.perf_counter() + budget
    threads = [threading.Thread(target=_one_session, daemon=True, name=f"load-{i}",
                                args=(url, page_name, i, changes, barrier, report, lock, timeout,
                                      deadline))
               for i in range(sessions)]
    t0 = time.perf_counter()
    peak = report.rss_before_mb
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive() and time.perf_counter() < deadline + timeout:
            t.join(timeout=0.5)
            peak = max(peak, memory_mb(pid)["VmRSS"])
        if t.is_alive():
            report.errors.append(f"{t.name} still running after the budget")
    report.wall_s = time.perf_counter() - t0
    mem = memory_mb(pid)
    report.rss_after_mb, report.rss_peak_mb = mem["VmRSS"], max(peak, mem["VmRSS"])
    return report


# ------------------------------------------------------------------ cache boundedness

@dataclass
class CacheReport:
    inputs: int
    checkpoints: list[tuple[int, float]] = field(default_factory=list)  # (inputs done, RSS MB)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def summary(self) -> str:
        points = ", ".join(f"{n}: {mb:.0f} MB" for n, mb in self.checkpoints)
        return (f"{self.inputs} distinct texts in {self.wall_s:.1f} s, errors {len(self.errors)}; "
                f"server RSS after n inputs: {points}")


def text_variant(i: int, length: int) -> str:
    """A distinct, valid text number i (two or more distinct characters, `length` long)."""
    base = f"variant {i} of the lesson text; " * (length // 20 + 2)
    return base[:length]


def distinct_inputs(url: str, page_name: str = "Gates_z_and_r", n: int = 1000, length: int = 400,
                    clients: int = 2, timeout: float = 60.0, budget: float = 600.0,
                    extra: dict | None = None, checkpoints: int = 10) -> CacheReport:
    """Type `n` distinct texts (length `length`) into the sidebar, spread over `clients`
    sessions, and record the server's RSS every n / checkpoints inputs."""
    pid = server_pid(url)
    report = CacheReport(n)
    report.checkpoints.append((0, memory_mb(pid)["VmRSS"]))
    lock = threading.Lock()
    done = [0]
    every = max(1, n // checkpoints)
    deadline = time.perf_counter() + budget

    def worker(k: int) -> None:
        try:
            with Session(url, page_name, timeout=timeout) as s:
                s.rerun()
                for i in range(k, n, clients):
                    if time.perf_counter() > deadline:
                        with lock:
                            report.errors.append(f"client {k}: budget reached")
                        return
                    r = s.rerun({"text": text_variant(i, length), **(extra or {})})
                    with lock:
                        if r.exceptions or r.status != "ok":
                            report.errors.append(f"input {i}: {r.status} {r.exceptions}")
                        done[0] += 1
                        if done[0] % every == 0:
                            report.checkpoints.append((done[0], memory_mb(pid)["VmRSS"]))
        except Exception as exc:  # noqa: BLE001
            with lock:
                report.errors.append(f"client {k}: {type(exc).__name__}: {exc}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=budget + timeout)
    report.wall_s = time.perf_counter() - t0
    if report.checkpoints[-1][0] != done[0]:
        report.checkpoints.append((done[0], memory_mb(pid)["VmRSS"]))
    return report


# ------------------------------------------------------------------ a lab: paced students

@dataclass
class LabReport:
    """A class of students, each changing a slider every 2–4 s (think time) for a while."""
    sessions: int
    seconds: float
    first_run_s: list[float] = field(default_factory=list)   # page open -> first run finished
    rerun_s: list[float] = field(default_factory=list)       # slider change -> script finished
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def p(self, q: float, first: bool = False) -> float:
        values = self.first_run_s if first else self.rerun_s
        return percentile(values, q) if values else float("nan")

    def summary(self) -> str:
        return (f"{self.sessions} students x {self.seconds:.0f} s: {len(self.rerun_s)} reruns "
                f"({len(self.rerun_s) / self.wall_s if self.wall_s else 0:.1f}/s), errors "
                f"{len(self.errors)}; rerun p50 {self.p(50) * 1000:.0f} ms, p95 "
                f"{self.p(95) * 1000:.0f} ms, max {max(self.rerun_s, default=0) * 1000:.0f} ms; "
                f"first run p50 {self.p(50, True) * 1000:.0f} ms, p95 "
                f"{self.p(95, True) * 1000:.0f} ms")


def _page_cookie(url: str, page_name: str, timeout: float) -> str:
    """What a browser's first GET of the page sets (a proxy's affinity cookie), as a header."""
    import urllib.request
    from http.cookies import SimpleCookie
    with urllib.request.urlopen(f"{url}/{page_name}", timeout=timeout) as r:
        jar = SimpleCookie()
        for header in r.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


def _student(url: str, page_name: str, index: int, seconds: float, think: tuple[float, float],
             report: LabReport, lock: threading.Lock, timeout: float) -> None:
    rng = random.Random(index)
    tag = f"student {index}"
    try:
        time.sleep(rng.uniform(0, think[1]))              # a class does not click in step
        t0 = time.perf_counter()
        cookie = _page_cookie(url, page_name, timeout)
        with Session(url, page_name, timeout=timeout, cookie=cookie or None) as s:
            first = s.rerun()
            with lock:
                report.first_run_s.append(time.perf_counter() - t0)
                report.errors += [f"{tag} first run: {e}" for e in first.exceptions]
                if first.status != "ok":
                    report.errors.append(f"{tag} first run ended {first.status!r}")
            end = time.perf_counter() + seconds
            keys = list(SLIDER_VALUES)
            j = 0
            while True:
                time.sleep(rng.uniform(*think))
                if time.perf_counter() > end:
                    return
                key = keys[(index + j) % len(keys)]
                current = s.widgets.get(key, (None, None))[1]
                value = rng.choice([v for v in SLIDER_VALUES[key] if v != current])
                r = s.rerun({key: value})
                with lock:
                    report.rerun_s.append(r.seconds)
                    report.errors += [f"{tag} change {j}: {e}" for e in r.exceptions]
                    if r.status != "ok":
                        report.errors.append(f"{tag} change {j}: run ended {r.status!r}")
                j += 1
    except Exception as exc:  # noqa: BLE001 - every failure counts
        with lock:
            report.errors.append(f"{tag}: {type(exc).__name__}: {exc}")


def lab(url: str, page_name: str = "Gates_z_and_r", sessions: int = 30, seconds: float = 60.0,
        think: tuple[float, float] = (2.0, 4.0), timeout: float = 60.0) -> LabReport:
    """`sessions` students open the page (spread over the first think time) and then each
    changes a sidebar slider every `think` seconds (uniform) for `seconds`, waiting for each
    rerun. Works directly against a server or through a proxy (the page's cookie is kept)."""
    report = LabReport(sessions, seconds)
    lock = threading.Lock()
    threads = [threading.Thread(target=_student, daemon=True, name=f"student-{i}",
                                args=(url, page_name, i, seconds, think, report, lock, timeout))
               for i in range(sessions)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + think[1] * 2 + timeout * 2)
        if t.is_alive():
            report.errors.append(f"{t.name} still running after its time")
    report.wall_s = time.perf_counter() - t0
    return report
