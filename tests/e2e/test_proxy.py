"""Two replicas behind nginx (deploy/nginx/gml.conf, Debian's nginx), on loopback.

- 30 browser-less sessions through the proxy: each keeps its replica for its page, its
  WebSocket and an upload (a replica that does not hold the session refuses the upload with
  400 "Invalid session_id"), with 0 errors; both replicas get sessions.
- In Chromium: a lesson's download and upload reach the replica that holds the session; when
  that replica is killed mid-lesson, the page reconnects to the other one, the screen comes
  back from the URL (the sliders' values) with no traceback, and the affinity cookie now names
  the survivor, so the browser stays there after the old replica comes back.
"""
from __future__ import annotations

import gzip
import json
import re
import secrets
import urllib.request
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie

import pytest

from .helpers import assert_no_exception, goto_app, wait_for_app
from .proxy import Nginx, Replicas, nginx_path
from .test_pages import slider_value
from .wsclient import Session

LOAD = 60_000
SESSIONS = 30


@pytest.fixture(scope="module")
def proxied():
    if nginx_path() is None:
        from .conftest import _missing
        _missing("nginx is not installed (apt-get install -y nginx)")
    with Replicas(2) as replicas, Nginx(replicas.urls) as proxy:
        yield replicas, proxy


def cookies_of(response) -> dict[str, str]:
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {k: m.value for k, m in jar.items()}


def visit(url: str, cookies: dict[str, str] | None = None, method: str = "GET", data=None,
          headers: dict | None = None):
    """One HTTP request with these cookies; (status, the cookies it set)."""
    h = dict(headers or {})
    if cookies:
        h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, cookies_of(r)
    except urllib.error.HTTPError as err:
        return err.code, {}


def multipart(name: str, payload: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(8)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n").encode() + payload + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def one_session(proxy_url: str, i: int) -> dict:
    """A visitor: the page, its health check (the XSRF cookie), the WebSocket with two runs,
    and an upload to its session."""
    status, cookies = visit(f"{proxy_url}/Gates_z_and_r")
    assert status == 200
    status, more = visit(f"{proxy_url}/_stcore/health", cookies)
    cookies.update(more)
    jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
    with Session(proxy_url, "Gates_z_and_r", cookie=jar) as s:
        first = s.rerun()
        second = s.rerun({"hidden_size": 2 + i % 3})
        body, kind = multipart(f"text{i}.txt", f"hello {i}".encode())
        upload, _ = visit(f"{proxy_url}/_stcore/upload_file/{s.session_id}/{uuid.uuid4()}",
                          cookies, "PUT", body,
                          {"Content-Type": kind, "X-Xsrftoken": cookies["_streamlit_xsrf"]})
    return {"replica": cookies["gml_replica"], "runs": [first, second], "upload": upload,
            "session": s.session_id}


def test_thirty_sessions_keep_their_replica(proxied):
    replicas, proxy = proxied
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda i: one_session(proxy.url, i), range(SESSIONS)))
    for r in results:
        assert [run.status for run in r["runs"]] == ["ok", "ok"], r
        assert not any(run.exceptions for run in r["runs"]), r
        assert r["upload"] == 204, r          # the replica holding the session took the file
    lines = proxy.log_lines()
    with_cookie = [l for l in lines if l["cookie"] != "-"]      # nginx logs "" as "-"
    assert len(with_cookie) >= 2 * SESSIONS                 # health, WebSocket, upload each
    assert all(l["answered"] == l["cookie"] for l in with_cookie), with_cookie
    per_replica = defaultdict(int)
    for r in results:
        per_replica[r["replica"]] += 1
    assert set(per_replica) == {"r1", "r2"} and min(per_replica.values()) >= 3, per_replica


def fetch(url: str, encoding: str | None = None) -> tuple[bytes, dict]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read(), {k.lower(): v for k, v in r.headers.items()}


def test_the_proxy_sends_the_apps_scripts_compressed(proxied):
    """Streamlit sends its scripts uncompressed; nginx gzips them for browsers that accept it,
    and they unpack to the replica's own bytes."""
    replicas, proxy = proxied
    html, _ = fetch(f"{proxy.url}/")
    scripts = sorted(set(re.findall(rb'src="\.?/?(static/js/[^"]+\.js)"', html)))
    assert scripts, html[:500]
    for script in scripts:
        path = script.decode()
        plain, plain_headers = fetch(f"{replicas.urls[0]}/{path}", "gzip")
        assert "content-encoding" not in plain_headers      # what the replica itself sends
        packed, headers = fetch(f"{proxy.url}/{path}", "gzip")
        assert headers.get("content-encoding") == "gzip", (path, headers)
        assert "accept-encoding" in headers.get("vary", "").lower()
        assert gzip.decompress(packed) == plain
        assert len(packed) < 0.4 * len(plain), (path, len(packed), len(plain))
        unasked, headers = fetch(f"{proxy.url}/{path}")    # a client that can't unpack
        assert "content-encoding" not in headers and unasked == plain


def lesson_file(tmp_path, hidden_size: int, step: int) -> str:
    from ui import lesson, store
    settings = {**lesson.setting_defaults(), "hidden_size": hidden_size}
    path = tmp_path / f"lesson-h{hidden_size}.json"
    path.write_text(lesson.lesson_json(lesson.to_lesson(
        settings, "pages/2_Gates_z_and_r.py", 1, step)))
    assert store.DEFAULTS["hidden_size"] != hidden_size
    return str(path)


def upload_lesson(page, path: str) -> None:
    page.locator("[data-testid='stSidebar'] [data-testid='stFileUploaderDropzoneInput']").first \
        .set_input_files(path)
    wait_for_app(page, timeout=LOAD, initial_wait=1500)


def test_a_lesson_through_the_proxy_survives_its_replica(proxied, page, tmp_path):
    replicas, proxy = proxied
    answered = []
    page.on("response", lambda r: answered.append((r.url, r.status)))
    goto_app(page, f"{proxy.url}/Gates_z_and_r?hidden_size=3&step=2", timeout=LOAD)
    assert_no_exception(page)
    assert slider_value(page, "hidden_size") == 3

    def cookie():
        return next(c["value"] for c in page.context.cookies() if c["name"] == "gml_replica")

    holder = cookie()
    # a download (served from /media/ by the replica holding the session)
    page.get_by_text("Download the", exact=False).first.click()
    with page.expect_download() as download:
        page.locator(".st-key-download_npz button").click()
    assert download.value.failure() is None
    # an upload: a lesson file with H = 4 at step 2 (to /_stcore/upload_file/<session>/...)
    upload_lesson(page, lesson_file(tmp_path, 4, 2))
    assert slider_value(page, "hidden_size") == 4
    uploads = [s for u, s in answered if "/_stcore/upload_file/" in u]
    media = [s for u, s in answered if "/media/" in u]
    assert uploads and all(s in (200, 204) for s in uploads), answered
    assert media and all(s == 200 for s in media), answered
    mine = [l for l in proxy.log_lines() if l["cookie"] == holder]
    assert mine and all(l["answered"] == holder for l in mine), mine
    # the replica holding the session dies mid-lesson: a reconnect to the other one
    dead = replicas.servers[int(holder[1:]) - 1]
    dead.stop()
    page.wait_for_timeout(1500)
    wait_for_app(page, timeout=LOAD, initial_wait=3000)
    assert_no_exception(page)
    assert slider_value(page, "hidden_size") == 4 and slider_value(page, "step") == 2
    survivor = cookie()
    assert survivor != holder                      # the cookie now names the new replica
    # the old replica comes back: the browser stays with the new one (a reload, its page, its
    # WebSocket and its health checks all reach the survivor; the screen from the URL again)
    dead.restart()
    logged = len(proxy.log_lines())
    goto_app(page, page.url, timeout=LOAD)
    assert_no_exception(page)
    assert slider_value(page, "hidden_size") == 4 and slider_value(page, "step") == 2
    later = [l for l in proxy.log_lines()[logged:] if l["cookie"] != "-"]
    assert later and all(l["cookie"] == l["answered"] == survivor for l in later), later
