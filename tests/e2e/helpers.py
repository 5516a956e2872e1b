"""Helpers for the end-to-end tests: running a Streamlit server and waiting on the page.

The server side mirrors Streamlit's own e2e harness: ``streamlit run APP`` headless on a
free loopback port, polled on ``/_stcore/health`` until it answers ``ok``. The browser
side waits on the attributes Streamlit's frontend puts on the app root (checked on
Streamlit 1.67): ``data-test-connection-state`` (``CONNECTED`` once the websocket is up)
and ``data-test-script-state`` (``initial`` before the first run, then ``running``,
``rerunRequested``, ``stopRequested``, ``notRunning`` or ``compilationError``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "tests" / "e2e" / "screenshots"

HEALTH_TIMEOUT_S = 60.0

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

APP_CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
# A run has finished, successfully or not (a syntax error ends in compilationError).
SCRIPT_DONE = (
    "[data-testid='stApp']:is([data-test-script-state='notRunning'],"
    "[data-test-script-state='compilationError'])"
)
EXCEPTION = "[data-testid='stException']"
# A slider's focusable thumb is an <input type="range"> (react-aria) in Streamlit 1.67;
# there is no [role='slider'] attribute. Use e.g. slider_input(page, "steps").



def app_path() -> Path:
    """The app entry point: $GML_APP (absolute, or relative to the repo root), default app.py."""
    p = Path(os.environ.get("GML_APP", "app.py"))
    return p if p.is_absolute() else REPO_ROOT / p


def chromium_path() -> str | None:
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """One ``streamlit run`` process on 127.0.0.1; its output goes to a log file."""

    def __init__(self, app: Path | str | None = None, extra_args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None):
        self.app = Path(app) if app is not None else app_path()
        self.extra_args = tuple(extra_args)
        self.env = dict(env or {})          # added to the environment it starts in
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self._log_file = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def start(self, timeout: float = HEALTH_TIMEOUT_S, attempts: int = 3) -> str:
        """Start the server and wait for /_stcore/health; returns the base URL."""
        if not self.app.is_file():
            raise FileNotFoundError(f"Streamlit app not found: {self.app}")
        last_error = ""
        for _ in range(attempts):
            try:
                self._spawn()
                self._wait_healthy(timeout)
                return self.url
            except _PortLost as exc:  # someone took the port between bind and listen
                last_error = str(exc)
                self.stop()
        raise RuntimeError(f"Streamlit server did not start: {last_error}")

    def restart(self, timeout: float = HEALTH_TIMEOUT_S) -> None:
        """Stop and start again on the same port (a replica coming back)."""
        self.stop()
        self._spawn(self.port)
        self._wait_healthy(timeout)

    def _spawn(self, port: int | None = None) -> None:
        self.port = port or free_port()
        fd, log = tempfile.mkstemp(prefix=f"gml-streamlit-{self.port}-", suffix=".log")
        os.close(fd)
        self.log_path = Path(log)
        self._log_file = open(self.log_path, "wb")
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(self.app),
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            *self.extra_args,
        ]
        env = dict(os.environ, PYTHONUNBUFFERED="1", **self.env)
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def _wait_healthy(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        health = f"{self.url}/_stcore/health"
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                log = self.log_text()
                if "already in use" in log:
                    raise _PortLost(f"port {self.port} in use")
                raise RuntimeError(
                    f"streamlit exited with code {code} before becoming healthy.\n"
                    f"--- server log ---\n{log[-4000:]}"
                )
            try:
                with urllib.request.urlopen(health, timeout=2) as resp:
                    if resp.status == 200 and resp.read().decode().strip() == "ok":
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        log = self.log_text()
        self.stop()
        raise RuntimeError(
            f"{health} did not answer 'ok' within {timeout:.0f} s.\n"
            f"--- server log ---\n{log[-4000:]}"
        )

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def stop_process(proc: subprocess.Popen | None) -> None:
    """Terminate a started server (SIGTERM, then SIGKILL after 10 s) and reap it."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class _PortLost(RuntimeError):
    pass


# --- browser side ------------------------------------------------------------------


def wait_for_app(page, timeout: float = 30_000, initial_wait: float = 200, settle: float = 150) -> None:
    """Wait until the app is connected and its script run has finished.

    Call after page.goto(...) and after every interaction that triggers a rerun.
    ``initial_wait`` (ms) lets debounced widgets send their value and the rerun start
    before we look for the idle state; ``settle`` (ms) lets the last deltas paint.
    """
    if initial_wait:
        page.wait_for_timeout(initial_wait)
    page.wait_for_selector(APP_CONNECTED, timeout=timeout, state="attached")
    page.wait_for_selector(SCRIPT_DONE, timeout=timeout, state="attached")
    # Widgets whose frontend code is loaded lazily show a placeholder (stSkeleton) for a
    # moment after the run has finished. Best effort: the test's own checks still decide.
    try:
        page.wait_for_function(
            "() => !document.querySelector(\"[data-testid='stSkeleton']\")",
            timeout=min(timeout, 10_000),
        )
    except Exception:
        pass
    if settle:
        page.wait_for_timeout(settle)


def goto_app(page, url: str, timeout: float = 30_000) -> None:
    """Open ``url`` and wait for the first script run to finish."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    wait_for_app(page, timeout=timeout, initial_wait=0)


def exception_texts(page) -> list[str]:
    """Text of every Streamlit exception box on the page (empty when there is none)."""
    return [t.strip() for t in page.locator(EXCEPTION).all_inner_texts()]


def assert_no_exception(page) -> None:
    errors = exception_texts(page)
    assert not errors, "the app shows an exception:\n" + "\n---\n".join(errors)


def slider_input(page, key: str):
    """The keyboard-focusable thumb(s) of the slider created with ``key=key``."""
    return page.locator(f".st-key-{key} input[type='range']")


def collect_page_errors(page) -> list[str]:
    """Start collecting uncaught JavaScript errors of ``page``; returns the live list."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


# --- what a projector and a narrow window show -------------------------------------------

# Text cut off: an element that hides its overflow (or ends it with an ellipsis) while its text
# is wider than its box, or a KaTeX formula wider than its container. Plotly's SVG, KaTeX's
# hidden MathML copy and code blocks (runnable snippets: they scroll sideways, with a copy
# button, by design) are skipped; 3 px of slack (a display formula's box is 2 px wider than its
# container on every page, with nothing hidden).
CLIPPED_JS = """() => {
  const out = [];
  const main = document.querySelector("[data-testid='stMain']") || document.body;
  const text = el => (el.innerText || el.textContent || '').trim().replace(/\\s+/g, ' ');
  const who = el => el.getAttribute('data-testid') || String(el.className || el.tagName).slice(0, 40);
  for (const el of main.querySelectorAll('*')) {
    if (el.closest(".js-plotly-plot, svg, .katex-mathml, [data-testid='stCode']")) continue;
    if (!el.getBoundingClientRect().width || !text(el)) continue;
    const cs = getComputedStyle(el);
    const hides = ['hidden', 'clip', 'auto', 'scroll'].includes(cs.overflowX);
    if ((hides || cs.textOverflow === 'ellipsis') && el.scrollWidth > el.clientWidth + 3)
      out.push(`${who(el)} "${text(el).slice(0, 60)}": ${el.scrollWidth} px in ${el.clientWidth}`);
  }
  for (const k of main.querySelectorAll('.katex')) {
    const box = k.closest("[data-testid='stMarkdownContainer'], [data-testid='stElementContainer']");
    if (!box) continue;
    const a = k.getBoundingClientRect(), b = box.getBoundingClientRect();
    if (a.right > b.right + 3 || a.left < b.left - 3)
      out.push(`formula "${text(k).slice(0, 60)}" runs ${Math.round(a.right - b.right)} px past its box`);
  }
  return out;
}"""


def clipped_text(page) -> list[str]:
    """Every text element of the main area whose text is cut off (see CLIPPED_JS)."""
    return page.evaluate(CLIPPED_JS)


# The SVG texts of a chart's column and row labels: its axes' tick labels, and the points of
# the text trace named "labels" (a figure of several matrices draws its labels so; plotly's d3
# binds each trace's group to its calcdata, whose trace says the name).
LABEL_TEXTS_JS = """const labelTexts = root => [
  ...root.querySelectorAll('.xtick text, .ytick text'),
  ...[...root.querySelectorAll('.scatterlayer .trace')]
     .filter(g => g.__data__ && g.__data__[0] && g.__data__[0].trace.name === 'labels')
     .flatMap(g => [...g.querySelectorAll('g.textpoint text')])];"""

# Computed font sizes (px) of the charts' SVG text: numbers in cells, panel and figure titles
# (annotations, operators between panels left out), column and row labels.
SVG_FONTS_JS = """(ops) => {
  """ + LABEL_TEXTS_JS + """
  const q = s => [...document.querySelectorAll(s)];
  const px = el => parseFloat(getComputedStyle(el).fontSize);
  const labels = new Set(labelTexts(document));
  // a row title drawn as an annotation (named ytitle_<panel>) is an axis title, not a title
  const axisTitles = q('.js-plotly-plot').flatMap(gd => [...gd.querySelectorAll('g.annotation')]
    .filter(g => ((gd._fullLayout.annotations[+g.getAttribute('data-index')] || {}).name || '')
                 .startsWith('ytitle_'))
    .map(g => g.querySelector('.annotation-text')));
  return {
    cells: q('.js-plotly-plot .heatmaplayer text, .js-plotly-plot g.textpoint text')
      .filter(t => !labels.has(t)).map(px),
    titles: [...q('.js-plotly-plot .annotation-text')
               .filter(e => !ops.includes(e.textContent.trim()) && !axisTitles.includes(e)),
             ...q('.js-plotly-plot .gtitle')].map(px),
    ticks: [...labels, ...axisTitles].map(px),
  };
}"""
OPERATORS = ["+", "−", "=", "σ", "tanh", "⊙", "·", "×"]


def svg_font_sizes(page) -> dict[str, list[float]]:
    return page.evaluate(SVG_FONTS_JS, OPERATORS)


# The box (viewport px) of the cells of the matrix drawn under the trace name `name`: its
# axes' area, or (a matrix placed by x0/dx, y0/dy on a figure's one pair of axes) its cells'.
CELLS_BOX_JS = """(name) => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const t = (gd._fullData || []).find(t => t.name === name && t.type === 'heatmap');
    if (!t) continue;
    const fl = gd._fullLayout, r = gd.getBoundingClientRect();
    const ya = fl['yaxis' + (t.yaxis || 'y').slice(1)], xa = fl['xaxis' + (t.xaxis || 'x').slice(1)];
    const src = (gd.data || []).find(d => d.name === name);
    if (src && src.x === undefined && src.x0 !== undefined) {
      const rows = t._z ? t._z.length : t.z.length, cols = t._z ? t._z[0].length : t.z[0].length;
      const x0 = t.x0 - t.dx / 2, x1 = x0 + cols * t.dx, y0 = t.y0 - t.dy / 2, y1 = y0 + rows * t.dy;
      const px = v => r.left + xa._offset + xa.l2p(v), py = v => r.top + ya._offset + ya.l2p(v);
      return {top: Math.min(py(y0), py(y1)), bottom: Math.max(py(y0), py(y1)),
              left: px(x0), right: px(x1)};
    }
    return {top: r.top + ya._offset, bottom: r.top + ya._offset + ya._length,
            left: r.left + xa._offset, right: r.left + xa._offset + xa._length};
  }
  return null;
}"""


def cells_box(page, name: str) -> dict | None:
    return page.evaluate(CELLS_BOX_JS, name)


def wait_for_charts(page, timeout: float = 30_000) -> None:
    """Wait until every Plotly chart on the page has drawn its SVG."""
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
                 .every(e => e.querySelector('.main-svg'))""", timeout=timeout)


def scroll_to_bottom(page) -> None:
    """Scroll the element that scrolls the page (Streamlit's main area) to its end."""
    page.evaluate("""() => {
      const all = [document.scrollingElement, ...document.querySelectorAll('*')];
      for (const el of all) {
        if (el && el.scrollHeight > el.clientHeight + 10
            && ['auto', 'scroll'].includes(getComputedStyle(el).overflowY) || el === document.scrollingElement)
          el.scrollTop = el.scrollHeight;
      }
    }""")
    page.wait_for_timeout(300)


# Texts of one chart that run into each other: two SVG texts (tick labels, titles, symbols,
# numbers in cells, axis titles, legend) whose boxes overlap by more than 3 px vertically and
# come closer than 2 px horizontally (numbers in neighbouring cells that touch count).
COLLIDING_TEXT_JS = """() => {
  const out = [];
  document.querySelectorAll('.js-plotly-plot').forEach((gd, gi) => {
    const key = (gd.closest('[class*=st-key-]')?.className.match(/st-key-\\S+/) || [''])[0];
    const boxes = [];
    for (const t of gd.querySelectorAll('svg text')) {
      if (t.closest('.hoverlayer')) continue;
      const s = (t.textContent || '').trim();
      const cs = getComputedStyle(t), r = t.getBoundingClientRect();
      if (!s || cs.display === 'none' || cs.visibility === 'hidden' || +cs.opacity === 0
          || !r.width || !r.height) continue;
      boxes.push([s, r]);
    }
    boxes.sort((a, b) => a[1].left - b[1].left);
    for (let i = 0; i < boxes.length; i++) {
      const [s0, a] = boxes[i];
      for (let j = i + 1; j < boxes.length && boxes[j][1].left < a.right + 2; j++) {
        const [s1, b] = boxes[j];
        const vert = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (vert > 3)
          out.push(`${key} "${s0}" | "${s1}": ${(b.left - a.right).toFixed(1)} px apart`);
      }
    }
  });
  return out;
}"""


def colliding_text(page) -> list[str]:
    """Every pair of texts of a chart that overlap or touch (see COLLIDING_TEXT_JS)."""
    return page.evaluate(COLLIDING_TEXT_JS)


# The symbols between panels ("+", "=", "·", "σ", "tanh", ...): each one's centre on its line's
# middle (its anchor) within 4 px, and 4 px clear of the row labels beside it (those within
# 60 px above or below); a line's leading symbol (named lead_<key>) within 24 px left of its
# panel's title and on the title's line.
OPERATORS_JS = """(ops) => {
  """ + LABEL_TEXTS_JS + """
  const out = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const fl = gd._fullLayout;
    if (!fl || !fl.annotations) continue;
    const g0 = gd.getBoundingClientRect();
    const plotH = fl.height - fl.margin.t - fl.margin.b;
    const labels = labelTexts(gd)                  // the row labels (right-aligned ones)
      .filter(t => t.closest('.ytick') || t.getAttribute('text-anchor') === 'end')
      .map(t => [t.textContent, t.getBoundingClientRect()]);
    const byIndex = {};
    gd.querySelectorAll('g.annotation').forEach(g => { byIndex[+g.getAttribute('data-index')] = g; });
    fl.annotations.forEach((a, i) => {
      const g = byIndex[i], t = g && g.querySelector('text');
      if (!t) return;
      const s = t.textContent.trim(), r = t.getBoundingClientRect();
      if (!ops.includes(s)) return;
      if ((a.name || '').startsWith('lead_')) {
        const k = fl.annotations.findIndex(b => b.name === a.name.slice(5));
        const tt = byIndex[k] && byIndex[k].querySelector('text');
        if (!tt) { out.push(`${s}: no title ${a.name}`); return; }
        const q = tt.getBoundingClientRect();
        const gap = q.left - r.right, dy = (q.top + q.bottom) / 2 - (r.top + r.bottom) / 2;
        if (gap < 0 || gap > 24 || Math.abs(dy) > 8)
          out.push(`${s} before "${tt.textContent}": ${gap.toFixed(0)} px left, ${dy.toFixed(0)} px off its line`);
        return;
      }
      const y = g0.top + fl.margin.t + (1 - a.y) * plotH, mid = (r.top + r.bottom) / 2;
      if (Math.abs(mid - y) > 4) out.push(`${s}: ${(mid - y).toFixed(0)} px off its line's middle`);
      for (const [l, b] of labels) {
        if (Math.abs((b.top + b.bottom) / 2 - mid) > 60) continue;
        if (b.left < r.right + 4 && r.left < b.right + 4)
          out.push(`${s} runs into the row label "${l}"`);
      }
    });
  }
  return out;
}"""


def misplaced_operators(page) -> list[str]:
    return page.evaluate(OPERATORS_JS, OPERATORS)
