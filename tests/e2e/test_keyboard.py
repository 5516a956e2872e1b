"""A lesson by keyboard alone (issue #16, point 3): Tab, Shift+Tab, Enter, Space and the arrow
keys, never the mouse and never element.click().

The walk: on the Gates page, Tab to the stepper and step through time with Next / Prev and the
time-step slider, and pick a cell of z_t from the selectboxes under its equation; change the
sidebar's hidden size with the arrow keys; open the Cell inspector from the sidebar's
navigation and pick a quantity, a row and a unit there; open Training and
sampling from the navigation, pick the sonnets, start training and stop it.

At every stop the focused element must show a visible focus ring: the element's box (or, for a
visually hidden <input>, the nearest ancestor that is seen: a slider's thumb, a toggle, a radio
option) is photographed focused and again blurred, and enough of its pixels must change with a
contrast of at least 3:1 between the two states (WCAG 2.2's focus appearance measure). The
contrast is computed here from the WCAG relative luminance, not taken from the app.
"""
from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from PIL import Image

from .helpers import assert_no_exception, goto_app, wait_for_app

LOAD_TIMEOUT = 60_000
MAX_TABS = 90            # Tab presses allowed to reach one control

# The box of what the focused element looks like: itself, or (a visually hidden input, 1 px)
# the first ancestor at least 8 px wide and high; grown by 8 px for a ring drawn around it.
FOCUS_BOX_JS = """() => {
  let e = document.activeElement;
  if (!e || e === document.body) return null;
  let r = e.getBoundingClientRect();
  while ((r.width < 8 || r.height < 8) && e.parentElement) {
    e = e.parentElement; r = e.getBoundingClientRect();
  }
  const x = Math.max(r.left - 8, 0), y = Math.max(r.top - 8, 0);
  return {x, y, width: Math.min(r.right + 8, innerWidth) - x,
          height: Math.min(r.bottom + 8, innerHeight) - y, w: r.width, h: r.height};
}"""

# What the focused element is: its tag, accessible text, the key of its Streamlit widget.
FOCUSED_JS = """() => {
  const e = document.activeElement;
  if (!e) return {};
  const key = (e.closest('[class*="st-key-"]')?.className.match(/st-key-(\\S+)/) || [])[1] || '';
  return {tag: e.tagName, type: e.type || '', role: e.getAttribute('role') || '',
          text: (e.getAttribute('aria-label') || e.innerText || '').trim().slice(0, 80),
          key, visible: e.matches(':focus-visible')};
}"""


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2.x relative luminance of sRGB colours (0-255 channels, last axis)."""
    c = np.asarray(rgb, dtype=float)[..., :3] / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def contrast(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    la, lb = luminance(a), luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def _shot(page, clip) -> np.ndarray:
    png = page.screenshot(clip=clip, animations="disabled")
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def assert_focus_ring(page, what: str) -> dict:
    """The focused element shows a ring: at least half its box's perimeter worth of pixels
    change by 3:1 or more between focused and blurred (a 3 px ring all round changes about
    six times that). Focus is given back afterwards (the element must still be focus-visible)."""
    focused = page.evaluate(FOCUSED_JS)
    assert focused.get("visible"), f"{what}: the focused element {focused} is not :focus-visible"
    box = page.evaluate(FOCUS_BOX_JS)
    assert box is not None, f"{what}: nothing has the focus"
    clip = {k: box[k] for k in ("x", "y", "width", "height")}
    on = _shot(page, clip)
    handle = page.evaluate_handle("document.activeElement")
    page.evaluate("e => e.blur()", handle)
    page.wait_for_timeout(120)
    off = _shot(page, clip)
    page.evaluate("e => e.focus()", handle)
    page.wait_for_timeout(80)
    again = page.evaluate(FOCUSED_JS)
    assert again.get("visible"), f"{what}: focus did not come back to {focused}"
    changed = int((contrast(on, off) >= 3).sum()) if on.shape == off.shape else 0
    need = (box["w"] + box["h"])
    assert changed >= need, (
        f"{what}: no visible focus ring on {focused}: {changed} pixels change by 3:1 or more "
        f"when it gets the focus, at least {need:.0f} expected")
    return focused


def tab_to(page, matches, what: str, *, back: bool = False) -> dict:
    """Press Tab (Shift+Tab when back) until the focused element satisfies matches(info)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        info = page.evaluate(FOCUSED_JS)
        if matches(info):
            return info
    pytest.fail(f"{what} cannot be reached with {'Shift+' if back else ''}Tab "
                f"({MAX_TABS} presses); focus ended on {info}")


def params(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


# The URL leaves out a value at its default (ui/store.py DEFAULTS / PAGE_DEFAULTS).
DEFAULTS = {"step": "1", "hidden_size": "2", "cell_q": "z", "cell_b": "0", "cell_j": "0"}


def param(page, key: str) -> str:
    return params(page).get(key, DEFAULTS[key])


def wait_param(page, key: str, value: str, what: str) -> None:
    """Wait until the URL says key=value (a default value by leaving it out), then for the run."""
    try:
        page.wait_for_function(
            "([k, v, d]) => (new URLSearchParams(location.search).get(k) ?? d) === v",
            arg=[key, value, DEFAULTS[key]], timeout=LOAD_TIMEOUT)
    except Exception:
        pytest.fail(f"{what}: the URL has {key}={param(page, key)!r}, {value!r} expected")
    wait_for_app(page, timeout=LOAD_TIMEOUT)


def choose(page, key: str, what: str, to: str = "1", move: str = "ArrowDown") -> None:
    """Tab to the selectbox keyed `key`, open it (ArrowDown), take the next option (`move`:
    ArrowDown, or ArrowUp for the previous one) and choose it (Enter); its value must become
    `to` in the URL."""
    tab_to(page, key_is(key, "INPUT"), what)
    assert_focus_ring(page, what)
    page.keyboard.press("ArrowDown")              # opens the list at the chosen option
    page.wait_for_selector("[role='listbox'] [role='option']", timeout=10_000)
    page.keyboard.press(move)
    page.keyboard.press("Enter")
    url_key = {"pick_j": "cell_j", "pick_b": "cell_b"}.get(key, key)
    wait_param(page, url_key, to, f"ArrowDown, ArrowDown, Enter on {what}")


def key_is(key: str, tag: str | None = None):
    return lambda i: i.get("key") == key and (tag is None or i.get("tag") == tag)


def test_lesson_by_keyboard_alone(app_server, page):
    goto_app(page, f"{app_server}/Gates_z_and_r", timeout=LOAD_TIMEOUT)
    assert_no_exception(page)
    assert param(page, "step") == "1"

    # -- the stepper: Next with Enter and with Space, Prev with Enter
    tab_to(page, key_is("next_step", "BUTTON"), "the stepper's Next button")
    assert_focus_ring(page, "Next ▶")
    page.keyboard.press("Enter")
    wait_param(page, "step", "2", "Enter on Next ▶")
    page.wait_for_function("() => document.activeElement?.closest('.st-key-next_step')")
    page.keyboard.press("Space")
    wait_param(page, "step", "3", "Space on Next ▶")
    tab_to(page, key_is("prev_step", "BUTTON"), "the stepper's Prev button", back=True)
    assert_focus_ring(page, "◀ Prev")
    page.keyboard.press("Enter")
    wait_param(page, "step", "2", "Enter on ◀ Prev")

    # -- the time-step slider with the arrow keys; the shown step follows
    tab_to(page, key_is("step", "INPUT"), "the time-step slider", back=True)
    assert_focus_ring(page, "the time-step slider's thumb")
    page.keyboard.press("ArrowLeft")
    wait_param(page, "step", "1", "ArrowLeft on the time-step slider")
    thumb = page.locator(".st-key-step [data-testid='stSliderThumbValue']")
    assert thumb.inner_text().strip() == "1"

    # -- pick a cell of z_t without the chart: the selectboxes under its equation
    choose(page, "pick_j", "the Gates page's Unit (pick a cell by keyboard)")
    assert param(page, "cell_j") == "1"
    assert "z_t[1, 2]" in page.locator("[data-testid='stMarkdownContainer']").filter(
        has_text="comes from").first.inner_text()

    # -- a sidebar slider with the arrow keys (Tab order runs on from the main area to the
    # sidebar's navigation, text and sliders)
    hidden_before = int(param(page, "hidden_size"))
    info = tab_to(page, key_is("hidden_size", "INPUT"), "the sidebar's hidden size slider")
    assert info["type"] == "range"
    assert_focus_ring(page, "the hidden size slider's thumb")
    page.keyboard.press("ArrowRight")
    wait_param(page, "hidden_size", str(hidden_before + 1), "ArrowRight on hidden size")
    thumb = page.locator(".st-key-hidden_size [data-testid='stSliderThumbValue']")
    assert thumb.inner_text().strip() == str(hidden_before + 1)
    page.keyboard.press("ArrowLeft")           # back to the tutorial's size
    wait_param(page, "hidden_size", str(hidden_before), "ArrowLeft on hidden size")

    # -- open a page from the navigation: the sidebar's link to the Cell inspector
    tab_to(page, lambda i: i.get("tag") == "A" and i.get("text", "").endswith("Cell inspector")
           and not i.get("key"), "the navigation's link to the Cell inspector", back=True)
    assert_focus_ring(page, "the navigation link")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/Cell_inspector"), timeout=LOAD_TIMEOUT)
    wait_for_app(page, timeout=LOAD_TIMEOUT)
    page.wait_for_selector(".st-key-cell_b [role='combobox']", timeout=LOAD_TIMEOUT)
    assert_no_exception(page)

    # -- pick a cell: the quantity with the arrow keys, row and unit from their selectboxes
    tab_to(page, lambda i: i.get("key") == "cell_q" and i.get("type") == "radio",
           "the Cell inspector's Quantity")
    assert_focus_ring(page, "the Quantity option")
    page.keyboard.press("ArrowRight")
    wait_param(page, "cell_q", "r", "ArrowRight on Quantity")
    choose(page, "cell_b", "the Cell inspector's Batch row b")
    wait_param(page, "cell_j", "1", "the Unit picked on the Gates page")      # kept
    choose(page, "cell_j", "the Cell inspector's Unit j", to="0", move="ArrowUp")
    metric = page.locator("[data-testid='stMetricLabel']").first.inner_text()
    assert "r_t[2, 1]" in metric, f"the inspected cell is {metric!r}, r_t[2, 1] expected"

    # -- open Training from the navigation, pick the sonnets, train and stop
    tab_to(page, lambda i: i.get("tag") == "A" and i.get("text", "").endswith("Training and sampling")
           and not i.get("key"), "the navigation's link to Training and sampling")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/Training_and_sampling"), timeout=LOAD_TIMEOUT)
    wait_for_app(page, timeout=LOAD_TIMEOUT)
    page.wait_for_selector(".st-key-train_go button", timeout=LOAD_TIMEOUT)
    tab_to(page, lambda i: i.get("type") == "radio" and "sidebar text" in
           page.evaluate("() => document.activeElement.closest('[role=radiogroup]')"
                         "?.innerText || ''"), "the text to learn from")
    assert_focus_ring(page, "the text choice")
    page.keyboard.press("ArrowRight")            # the bundled sonnets: long enough to stop
    page.wait_for_function("() => /sonnets/i.test(document.activeElement.closest("
                           "'[role=radiogroup]')?.querySelector('[data-selected=true]')"
                           "?.innerText || '')", timeout=10_000)
    wait_for_app(page, timeout=LOAD_TIMEOUT)
    tab_to(page, key_is("train_go", "BUTTON"), "the Train button")
    assert_focus_ring(page, "Train")
    page.keyboard.press("Enter")
    page.wait_for_selector(".st-key-train_stop_button button:not([disabled])", timeout=LOAD_TIMEOUT)
    page.wait_for_selector("[data-testid='stProgress']", timeout=LOAD_TIMEOUT)
    tab_to(page, key_is("train_stop_button", "BUTTON"), "the Stop button")
    assert_focus_ring(page, "Stop")
    page.keyboard.press("Enter")
    page.wait_for_selector(".st-key-train_go button:not([disabled])", timeout=LOAD_TIMEOUT)
    wait_for_app(page, timeout=LOAD_TIMEOUT)
    assert page.locator(".st-key-train_stop_button button").last.is_disabled()
    steps = page.locator("[data-testid='stMetric']").filter(has_text="Steps")
    steps.wait_for(timeout=LOAD_TIMEOUT)
    assert_no_exception(page)
