"""The guided path in Chromium: Home's ready-made lessons open in the same tab and session and land
on what they promise, and the large "Next" link at the bottom of every page walks through the
tutorial's order (ui/registry.py) and back to Home.

    test_lessons_stay_in_the_tab_and_land_on_their_promise
        each lesson link on Home: no new page or popup, the same document (so the same session),
        the lesson's parameters in the URL; "force z ≡ 1" shows z forced (what-if z is 1 in every
        cell, the original is not); "Vanishing gradients" scrolls to the vanishing-gradients
        chart of Backprop (the chart is inside the viewport)
    test_next_links_walk_forward_through_every_page
        from Home, clicking the bottom "Next" link of each page opens the registry's next page,
        and the last page's link leads back to Home
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import numpy as np

from ui import registry

from .helpers import assert_no_exception, collect_page_errors, goto_app, wait_for_app
from .test_pages import chart_data

LOAD = 120_000                  # ms: the heaviest page (Backprop at S = 32) on a shared machine
IN_VIEW = """(sel) => {
  const el = document.querySelector(sel);
  if (!el) return false;
  const r = el.getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.top < window.innerHeight && r.bottom > 0;
}"""


def path_of(page) -> str:
    return urlparse(page.url).path.strip("/")


def query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_lessons_stay_in_the_tab_and_land_on_their_promise(app_server, page):
    errors = collect_page_errors(page)
    opened = []
    page.context.on("page", lambda p: opened.append(p))
    page.on("popup", lambda p: opened.append(p))
    goto_app(page, f"{app_server}/", timeout=LOAD)
    links = page.locator("[class*='st-key-lesson_'] a[data-testid='stPageLink-NavLink']")
    count = links.count()
    assert count >= 4
    page.evaluate("() => { window.__same_document = true; }")
    seen = set()
    for i in range(count):
        link = page.locator(f".st-key-lesson_{i} a[data-testid='stPageLink-NavLink']").first
        label = link.inner_text()
        href = urlparse(link.get_attribute("href"))
        assert link.get_attribute("target") in (None, "", "_self"), label
        link.click()
        page.wait_for_url(f"**/{href.path.strip('/')}?**", timeout=LOAD)
        wait_for_app(page, timeout=LOAD, initial_wait=800)
        assert_no_exception(page)
        assert not opened, f"{label}: opened a new tab or window"
        assert page.evaluate("() => window.__same_document === true"), f"{label}: page reloaded"
        wanted = {k: v[-1] for k, v in parse_qs(href.query).items()}
        assert query(page) == wanted, label
        if "force z" in label:
            seen.add("force")
            checked = page.locator(".st-key-wi_z input[type='radio']:checked")
            assert checked.count() == 1
            z_new = np.asarray(chart_data(page)["new_z"][0]["z"], dtype=float)
            z_orig = np.asarray(chart_data(page)["orig_z"][0]["z"], dtype=float)
            np.testing.assert_array_equal(z_new, 1.0)
            assert not np.allclose(z_orig, 1.0)
            assert page.evaluate(IN_VIEW, ".st-key-wi_z"), "the forced gate is not on screen"
        if "Vanishing" in label:
            seen.add("vanishing")
            page.wait_for_function(IN_VIEW, arg=".st-key-norms_back", timeout=20_000)
            assert page.evaluate(IN_VIEW, "#vanishing")
        # back to Home through the sidebar: a plain link, the same session
        # (a presentation lesson starts with the sidebar collapsed: open it first)
        expand = page.locator("[data-testid='stExpandSidebarButton']")
        if expand.count() and expand.first.is_visible():
            expand.first.click()
        page.locator("[data-testid='stSidebar'] a[data-testid='stPageLink-NavLink']").first.click()
        page.wait_for_function("() => location.pathname.replace(/\\/+$/, '').split('/').pop() "
                               "=== ''", timeout=LOAD)
        wait_for_app(page, timeout=LOAD, initial_wait=500)
    assert seen == {"force", "vanishing"}
    assert not errors


def test_next_links_walk_forward_through_every_page(app_server, page):
    errors = collect_page_errors(page)
    goto_app(page, f"{app_server}/", timeout=LOAD)
    page.evaluate("() => { window.__same_document = true; }")
    current = registry.HOME
    for _ in range(len(registry.PAGES)):
        _, after = registry.neighbours(current)
        target = after or registry.HOME
        link = page.locator(".st-key-page_next a[data-testid='stPageLink-NavLink']")
        assert link.count() == 1, current.key
        # the last thing on the page: nothing drawn below the end links
        below = page.evaluate("""() => {
          const end = document.querySelector('.st-key-page_end').getBoundingClientRect().bottom;
          const main = "[data-testid='stMain'] [data-testid='stElementContainer']";
          return [...document.querySelectorAll(main)]
            .filter(e => e.getBoundingClientRect().height > 0 &&
                         e.getBoundingClientRect().top >= end - 1).length;
        }""")
        assert below == 0, f"{current.key}: {below} elements below the end links"
        link.click()
        page.wait_for_function("(p) => location.pathname.replace(/\\/+$/, '').split('/').pop() "
                               "=== p", arg=target.url_path, timeout=LOAD)
        wait_for_app(page, timeout=LOAD, initial_wait=500)
        assert_no_exception(page)
        assert path_of(page).split("/")[-1] == target.url_path, (current.key, page.url)
        assert page.locator("h1").first.inner_text().strip() == target.title
        current = target
    assert current is registry.HOME
    assert page.evaluate("() => window.__same_document === true")
    assert not errors
