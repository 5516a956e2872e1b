"""A corpus of bad and hostile input over every page (AppTest; no browser).

Every case is run on three pages (rotating, so every page meets many cases); the payloads that
could inject markup, and the empty text, run on every page. Pages are discovered by globbing
pages/*.py. Each run must:
  - raise nothing (at.exception empty);
  - show a message when the case expects one (st.error / st.warning / st.info / caption);
  - render nothing the user typed as HTML, Markdown or LaTeX: no markdown-rendered string of the
    page (markdown, captions, alerts, titles, widget labels / options / help, expander and tab
    labels, metrics) contains a raw payload tag or marker, no markdown element with user text
    has allow_html, no st.latex contains a user marker, and no Plotly string (tick labels,
    titles, cell text, legend names, annotations) contains a raw payload tag.
Uploads (binary, non-UTF-8, ...) are tested through ui/texts.decode_upload and the text
uploader of the pages that have one; lesson files through ui/lesson.parse and the sidebar's
lesson uploader.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from google.protobuf.message import Message

from app_helpers import ROOT, TIMEOUT
from streamlit.testing.v1 import AppTest

from ui import page as ui_page, registry


PAGES = [p.file for p in registry.PAGES]      # every page (tests/test_ui_shell.py: = pages/)
# Pages that draw the sidebar but not its run (setup(needs_run=False)): they take longer texts
# (the learning pages), so the sidebar's length limit is not theirs to report.
OWN_TEXT_PAGES = {p for p in PAGES if "needs_run=False" in (ROOT / p).read_text(encoding="utf-8")}
PAGE_IDS = [p.split("/")[-1].removesuffix(".py") for p in PAGES]

# Markup that would do something if rendered (HTML in Streamlit markdown or Plotly labels).
TAGS = ("<script", "<b>", "<img", "<i>", "<a ", "<br>", "<sub>", "<iframe", "<svg", "<style")
MD_MARK = "**BOLDMARK**"            # Markdown that would turn bold
TEX_MARK = "EVILTEX"                # inside $...$: would be typeset if it reached LaTeX / markdown
LONG = 20_000


def long_text(n: int) -> str:
    base = "Once upon a time, a GRU read a very long text. "
    return (base * (n // len(base) + 1))[:n]


@dataclass(frozen=True)
class Case:
    id: str
    state: dict = field(default_factory=dict)       # session state set before the run
    query: dict = field(default_factory=dict)       # URL parameters
    message: str | tuple | None = None   # fragment(s) one shown message must contain (any case)
    any_message: bool = False      # some error / warning / info must be shown
    every_page: bool = False       # run on every page, not only three
    timeout: float = TIMEOUT
    sidebar_only: bool = False     # the message comes from the sidebar run (setup's checks)
    bug: str | None = None         # a known bug in the app: strict xfail until it is fixed

    @property
    def payload(self) -> str:
        return " ".join(str(v) for v in [*self.state.values(), *self.query.values()])


HTML = "<b>bold</b> <i>it</i> <a href='http://example.com'>link</a> <br> x<sub>2</sub>"
SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(2)> hello"
MARKDOWN = f"{MD_MARK} _it_ # heading [link](http://example.com) `code` > quote - item"
LATEX = f"$\\mathrm{{{TEX_MARK}}}$ $$\\frac{{a}}{{b}}$$ \\(x^2\\) \\[y\\]"
RANDOM = {"weights": "random"}
# The sidebar pages say the text is empty; the learning pages (own text chooser) say it needs
# two different characters. Either is a clear message.
EMPTY = ("empty", "two different characters")

CASES = [
    # ---- text through the sidebar (session state, as typing does)
    Case("empty", {"text": ""}, message=EMPTY, every_page=True),
    Case("whitespace", {"text": "   \n\t  "}, message=EMPTY),
    Case("only-newlines", {"text": "\n\n\n\n"}, message=EMPTY),
    Case("one-character", {"text": "a"}, any_message=True),
    Case("one-distinct-character", {"text": "zzzzzzzzzz"}, message="character"),
    Case("two-characters", {"text": "ab"}, any_message=True),
    Case("20000-chars-state", {"text": long_text(LONG)}, message="limit", sidebar_only=True),
    Case("limit-plus-one", {"text": long_text(5001)}, message="limit", sidebar_only=True),
    Case("exactly-at-limit", {"text": long_text(5000), **RANDOM}, timeout=120),
    Case("emoji", {"text": "😀🙂😀🙃😀🙂😀🙃 🚀🚀 👩‍👩‍👧‍👦 🇩🇪🇫🇷", **RANDOM}),
    Case("rtl-hebrew", {"text": "שלום עולם שלום עולם", **RANDOM}),
    Case("rtl-arabic-mixed", {"text": "مرحبا بالعالم hello مرحبا", **RANDOM}),
    Case("bidi-overrides", {"text": "abc\u202edcba\u202c xyz\u2066q\u2069", **RANDOM}),
    Case("zero-width", {"text": "a\u200bb\u200cc\u200dd\ufeffe\u2060f", **RANDOM}),
    Case("control-chars", {"text": "a\x00b\x01c\x07d\x1be\x7ff\x08g", **RANDOM}),
    Case("crlf-tabs", {"text": "line one\r\nline\ttwo\rthree\x0bfour\x0cfive", **RANDOM}),
    Case("combining-marks", {"text": "e\u0301 a\u0308 n\u0303 Z\u0351\u0352\u0353 e\u0301", **RANDOM}),
    Case("cjk", {"text": "你好世界，你好世界。", **RANDOM}),
    Case("many-distinct", {"text": "".join(chr(0x4E00 + i) for i in range(400)), **RANDOM},
         timeout=120),
    Case("replacement-char", {"text": "\ufffd\ufffdab\ufffd", **RANDOM}),
    Case("html", {"text": HTML, **RANDOM}, every_page=True),
    Case("script", {"text": SCRIPT, **RANDOM}, every_page=True),
    Case("markdown", {"text": MARKDOWN, **RANDOM}, every_page=True),
    Case("latex", {"text": LATEX, **RANDOM}, every_page=True),
    Case("html-entities", {"text": "&lt;b&gt; &amp; &#60;script&#62; &nbsp;", **RANDOM}),
    Case("html-tutorial-weights", {"text": "<b>MathMath</b>", "weights": "tutorial"}),
    Case("custom-order-html", {"text": "hello world", "order": "custom",
                               "custom_order": "<b>dlrow</b>"}),
    Case("largest-hidden-long-text", {"text": long_text(5000), "hidden_size": 32,
                                      "batch_size": 16, "seq_len": 32, **RANDOM}, timeout=120),
    Case("largest-hidden-smallest-batches", {"text": long_text(2000), "hidden_size": 32,
                                             "batch_size": 1, "seq_len": 1, **RANDOM},
         timeout=120),
    # ---- URL parameters (a shared lesson link)
    Case("url-20000-chars", query={"text": long_text(LONG)}, message="limit"),
    Case("url-text-script", query={"text": SCRIPT}, every_page=True),
    Case("url-text-empty", query={"text": ""}, message=EMPTY),
    Case("url-text-spaces", query={"text": "   "}, message=EMPTY),
    Case("url-text-controls", query={"text": "a\x00b\x01c\u200bd"}),
    Case("url-batch-huge", query={"batch_size": "999"}, message="batch_size"),
    Case("url-hidden-negative", query={"hidden_size": "-4"}, message="hidden_size"),
    Case("url-seq-1e99", query={"seq_len": "1e99"}, message="seq_len"),
    Case("url-seq-nan", query={"seq_len": "nan"}, message="seq_len"),
    Case("url-hidden-inf", query={"hidden_size": "inf"}, message="hidden_size"),
    Case("url-hidden-text", query={"hidden_size": "abc"}, message="hidden_size"),
    Case("url-batch-empty", query={"batch_size": ""}, message="batch_size"),
    Case("url-batch-float", query={"batch_size": "2.7"}, message="batch_size"),
    Case("url-hidden-hex", query={"hidden_size": "0x10"}, message="hidden_size"),
    Case("url-hidden-5000-digits", query={"hidden_size": "9" * 5000}, message="hidden_size"),
    Case("url-seed-huge", query={"seed": "9" * 40, **RANDOM}, message="seed"),
    Case("url-seed-negative", query={"seed": "-1", **RANDOM}, message="seed"),
    Case("url-seed-1e308", query={"seed": "1e308", **RANDOM}, message="seed"),
    Case("url-step-batch-out-of-range", query={"step": "1000", "batch": "-3"}),
    Case("url-step-nonnumeric", query={"step": "two", "batch": "x"}, message="step"),
    Case("url-step-html", query={"step": "<b>2</b>"}, message="step"),
    Case("url-choice-script", query={"reset": "<script>alert(1)</script>"}, message="reset",
         every_page=True),
    Case("url-choice-markdown-latex", query={"order": f"{MD_MARK} $\\mathrm{{{TEX_MARK}}}$"},
         message="order"),
    Case("url-choices-bad", query={"layout": "sideways", "weights": "evil", "update": "maybe"},
         message="layout"),
    Case("url-choice-html", query={"order": "<b>x</b>"}, message="order"),
    Case("url-numbers-garbage", query={"numbers": "<b>yes</b>"}),
    Case("url-custom-order-html", query={"order": "custom", "custom_order": "<img src=x>"}),
    Case("url-everything-bad", query={"text": HTML, "batch_size": "-1", "seq_len": "x",
                                      "hidden_size": "1e9", "seed": "nan", "reset": "?",
                                      "step": "-5"}, message="hidden_size"),
    Case("url-view-keys-bad", query={"hide": "text,nonsense", "present": "maybe",
                                     "cell_q": "q", "cell_b": "-1", "cell_j": "1e9"}),
    Case("url-view-keys-html", query={"hide": "<script>x</script>,text", "cell_q": "<b>q</b>"}),
    Case("url-unknown-params", query={"foo": "<script>x</script>", "hidden_size": "3"}),
]
assert len(CASES) >= 40


def pages_for(i: int, case: Case) -> list[str]:
    if case.every_page:
        return PAGES
    n = len(PAGES)
    return sorted({PAGES[i % n], PAGES[(i + n // 3) % n], PAGES[(i + 2 * n // 3) % n]},
                  key=PAGES.index)


PARAMS = [pytest.param(case, page, id=f"{case.id}-{PAGE_IDS[PAGES.index(page)]}",
                       marks=[pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else [])
          for i, case in enumerate(CASES) for page in pages_for(i, case)]


# ------------------------------------------------------------------ what a run shows

# Proto string fields that Streamlit shows as plain text (never as Markdown / HTML).
PLAIN_FIELDS = {"id", "form_id", "query_param_key", "code_text", "spec", "url", "data",
                "placeholder", "value", "default", "raw_value", "theme", "selection_mode",
                "format", "icon", "type", "autocomplete", "language", "mime", "file_name",
                "page_script_hash", "fragment_id", "cache_key", "script_hash"}
# Option lists these widgets show as plain text (radio and pills options are Markdown).
PLAIN_OPTIONS = {"selectbox", "multiselect", "select_slider"}
PLAIN_ELEMENTS = {"text", "code", "json", "text_area", "text_input", "arrow_data_frame",
                  "plotly_chart", "download_button", "empty", "skeleton"}


def nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from nodes(child)


def proto_strings(msg: Message, path: str = ""):
    """(field path, string) of every string in a proto message, recursively."""
    for fd, value in msg.ListFields():
        name = f"{path}.{fd.name}" if path else fd.name
        values = value if fd.is_repeated else [value]
        for v in values:
            if isinstance(v, Message):
                yield from proto_strings(v, name)
            elif isinstance(v, str):
                yield name, v


# The app's own constant script (ui/page.py; no user text in it): every page's early load of
# the element scripts. Every other html element is checked like Markdown.
OWN_HTML = {ui_page.PRELOAD_HTML}


def rendered_strings(at: AppTest) -> list[tuple[str, str]]:
    """Every string the frontend renders as Markdown (markdown bodies, alerts, labels, options,
    help, expander / tab labels, metrics), as (where, text)."""
    out = []
    for node in nodes(at._tree):
        proto = getattr(node, "proto", None)
        if not isinstance(proto, Message):
            continue
        kind = getattr(node, "type", type(node).__name__)
        if kind == "html" and proto.body in OWN_HTML:
            continue
        if kind in PLAIN_ELEMENTS:
            if kind in ("text_area", "text_input", "download_button"):   # labels still render
                out += [(f"{kind}.{f}", s) for f, s in proto_strings(proto) if f in ("label", "help")]
            continue
        for f, s in proto_strings(proto):
            if kind in PLAIN_OPTIONS and f == "options":
                continue
            if f.split(".")[-1] not in PLAIN_FIELDS:
                out.append((f"{kind}.{f}", s))
    return out


def markdown_elements(at: AppTest):
    for node in nodes(at._tree):
        proto = getattr(node, "proto", None)
        if getattr(node, "type", "") in ("markdown", "caption", "divider") and isinstance(proto, Message):
            yield proto


PLOTLY_TEMPLATES = {"hovertemplate", "texttemplate"}   # the pages' own format strings


def plotly_strings(obj, path=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in PLOTLY_TEMPLATES and k != "template":
                yield from plotly_strings(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from plotly_strings(v, f"{path}[{i}]")
    elif isinstance(obj, str):
        yield path, obj


def messages(at: AppTest) -> list[str]:
    return [str(el.value) for kind in ("error", "warning", "info", "caption", "success")
            for el in at.get(kind)]


def check_run(at: AppTest, case: Case, page: str) -> None:
    where = f"{page} [{case.id}]"
    if at.exception:
        pytest.fail(f"{where}: exception {at.exception[0].message}\n"
                    f"{chr(10).join(at.exception[0].stack_trace)[-1500:]}", pytrace=False)
    shown = messages(at)
    if case.message and not (case.sidebar_only and page in OWN_TEXT_PAGES):
        wanted = (case.message,) if isinstance(case.message, str) else case.message
        assert any(w.lower() in m.lower() for m in shown for w in wanted), \
            f"{where}: no message mentions {' or '.join(map(repr, wanted))}; shown: {shown}"
    if case.any_message:
        alerts = [str(el.value) for kind in ("error", "warning", "info") for el in at.get(kind)]
        assert alerts, f"{where}: expected an error / warning / info, got none"
    payload = case.payload.lower()
    tags = [t for t in TAGS if t in payload]
    markers = [m for m in (MD_MARK, "$\\mathrm") if m.lower() in payload]
    rendered = rendered_strings(at)
    for tag in tags:
        raw = re.compile(r"(?<!\\)" + re.escape(tag))     # "\<b>" is Markdown for a literal "<b>"
        bad = [(w, s[:160]) for w, s in rendered if raw.search(s.lower())]
        assert not bad, f"{where}: raw {tag!r} reaches Markdown-rendered text: {bad[:3]}"
    for mark in markers:
        bad = [(w, s[:160]) for w, s in rendered if mark.lower() in s.lower()]
        assert not bad, f"{where}: unescaped {mark!r} reaches Markdown-rendered text: {bad[:3]}"
    for md in markdown_elements(at):
        if md.allow_html:
            assert not any(t in md.body.lower() for t in tags), \
                f"{where}: unsafe_allow_html markdown contains user markup: {md.body[:200]}"
    if TEX_MARK.lower() in payload:
        bad = [el.value for el in at.get("latex") if TEX_MARK in el.value]
        assert not bad, f"{where}: user text reached st.latex: {bad[:2]}"
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        for tag in tags:
            bad = [(p, s[:120]) for p, s in plotly_strings(spec) if tag in s.lower()]
            assert not bad, f"{where}: raw {tag!r} in a Plotly string {el.proto.id[-20:]}: {bad[:3]}"


def run_case(case: Case, page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=case.timeout)
    for k, v in case.query.items():
        at.query_params[k] = v
    for k, v in case.state.items():
        at.session_state[k] = v
    return at.run()


@pytest.mark.parametrize("case, page", PARAMS)
def test_bad_input(case: Case, page: str):
    at = run_case(case, page)
    check_run(at, case, page)
    if case.query.get("text") and len(case.query["text"]) > 5000:
        assert len(at.session_state["text"]) <= 5000, "URL text was not truncated"


def test_every_page_meets_many_cases():
    per_page = {p: sum(1 for param in PARAMS if param.values[1] == p) for p in PAGES}
    assert min(per_page.values()) >= 10, per_page


def test_typing_after_a_bad_link_recovers():
    """A bad lesson link, then the user fixes the text in the sidebar: the page works again."""
    at = run_case(Case("x", query={"text": "", "hidden_size": "nan"}), PAGES[min(2, len(PAGES) - 1)])
    assert not at.exception
    at.text_area(key="text").set_value("MathMathMathMathMath").run()
    assert not at.exception and not at.error


# ------------------------------------------------------------------ uploads

texts = pytest.importorskip("ui.texts") if (ROOT / "ui" / "texts.py").exists() else None


def upload_cases():
    limit = texts.UPLOAD_LIMIT if texts else 200 * 1024
    return [
        ("binary-png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        ("nul-bytes", b"hello\x00world", "binary"),
        ("latin-1", "café naïve façade".encode("latin-1"), "UTF-8"),
        ("cp1252-quotes", b"\x93quoted\x94 text \x96 dash", "UTF-8"),
        ("truncated-utf8", "naïve".encode("utf-8")[:-1] + b"\xc3", "UTF-8"),
        ("lone-continuation", b"abc\x80def", "UTF-8"),
        ("empty", b"", "empty"),
        ("whitespace", b"  \r\n\t \n", "empty"),
        ("one-char", b"aaaaaaa", "character"),
        ("over-limit", b"ab" * (limit // 2 + 1), "limit"),
    ]


GOOD_UPLOADS = [
    ("utf8-bom-crlf", b"\xef\xbb\xbfline one\r\nline two\rthree", "line one\nline two\nthree"),
    ("html-text", b"<script>alert(1)</script> **md** $x$", "<script>alert(1)</script> **md** $x$"),
    ("emoji", "😀 hello שלום".encode("utf-8"), "😀 hello שלום"),
    ("utf-16-le-bom", "hello world\r\nÉté".encode("utf-16"), "hello world\nÉté"),
    ("utf-16-be-bom", b"\xfe\xff" + "ab ba".encode("utf-16-be"), "ab ba"),
]


@pytest.mark.skipif(texts is None, reason="ui/texts.py (uploads) not present")
@pytest.mark.parametrize("name, data, fragment", upload_cases(), ids=[c[0] for c in upload_cases()])
def test_decode_upload_refuses_bad_files_with_a_message(name, data, fragment):
    text, error = texts.decode_upload(data, "The file")
    assert text is None and error, f"{name}: accepted {text!r:.80}"
    if fragment:
        assert fragment.lower() in error.lower(), error


@pytest.mark.skipif(texts is None, reason="ui/texts.py (uploads) not present")
@pytest.mark.parametrize("name, data, expected", GOOD_UPLOADS, ids=[c[0] for c in GOOD_UPLOADS])
def test_decode_upload_accepts_utf8(name, data, expected):
    text, error = texts.decode_upload(data, "The file")
    assert error is None and text == expected


def upload_pages() -> list[str]:
    return [p for p in PAGES if "texts.choose" in (ROOT / p).read_text(encoding="utf-8")]


UPLOADS_THROUGH_PAGES = [
    ("binary.txt", b"\x00\x01\x02\xff\xfe" * 50, "binary", True),
    ("latin1.txt", "café".encode("latin-1") * 20, "UTF-8", True),
    ("<b>evil</b>.txt", b"<script>alert(1)</script> <b>bold</b> " * 20, None, False),
]


@pytest.mark.skipif(texts is None, reason="ui/texts.py (uploads) not present")
@pytest.mark.parametrize("page", upload_pages() or ["none"])
@pytest.mark.parametrize("name, data, fragment, refused", UPLOADS_THROUGH_PAGES,
                         ids=["binary", "latin1", "html-name-and-text"])
def test_uploads_through_the_page(page, name, data, fragment, refused):
    if page == "none":
        pytest.skip("no page draws the text chooser")
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    at.session_state[texts.SOURCE_KEY] = "upload"
    at.run()
    assert not at.exception
    uploader = [u for u in at.get("file_uploader") if u.proto.id.endswith("-" + texts.UPLOAD_KEY)]
    assert uploader, "no text uploader on the page"
    uploader[0].upload(name, data, "text/plain").run()
    case = Case(f"upload-{name}", state={"name": name, "data": data.decode("utf-8", "replace")},
                message=fragment)
    check_run(at, case, page)
    if refused:
        assert at.error, "a refused upload shows no error"
    else:
        assert texts.STORED_KEY in at.session_state, "a good upload was not kept"


# ------------------------------------------------------------------ lesson files (ui/lesson.py)

lesson = pytest.importorskip("ui.lesson") if (ROOT / "ui" / "lesson.py").exists() else None
LESSON_HEAD = b'{"format": "gru-matrix-lab-lesson", "version": 1, '


def lesson_files():
    cases = [
        ("binary", bytes(range(256)) * 4, None),
        ("latin-1", '{"format": "café"}'.encode("latin-1"), None),
        ("utf-16", '{"format": "gru-matrix-lab-lesson"}'.encode("utf-16"), None),
        ("not-json", b"hello <b>world</b>", None),
        ("nan-weights", LESSON_HEAD + b'"weights": {"W_z": NaN}}', None),
        ("infinity", LESSON_HEAD + b'"settings": {"seed": Infinity}}', None),
        ("overflow-float", LESSON_HEAD + b'"weights": {"W_z": [[1e400]]}}', None),
        ("float-batch", LESSON_HEAD + b'"batch": 1.5}', None),
        ("page-traversal", LESSON_HEAD + b'"page": "pages/../../etc/passwd.py"}', None),
        ("page-absolute", LESSON_HEAD + b'"page": "/etc/passwd"}', None),
        ("wrong-format", b'{"format": "<script>alert(1)</script>"}', None),
        ("bad-choice-html", LESSON_HEAD + b'"settings": {"reset": "<b>x</b> **md** $x$"}}', None),
        ("text-too-long", LESSON_HEAD + b'"settings": {"text": "' + b"ab" * 3000 + b'"}}', None),
        ("over-limit", b" " * (1_000_001), None),
        ("deeply-nested", b"[" * 100_000 + b"]" * 100_000, None),
        ("huge-integer", LESSON_HEAD + b'"step": ' + b"9" * 5000 + b"}", None),
    ]
    return [pytest.param(data, id=name,
                         marks=[pytest.mark.xfail(strict=True, reason=bug)] if bug else [])
            for name, data, bug in cases]


@pytest.mark.skipif(lesson is None, reason="ui/lesson.py not present")
@pytest.mark.parametrize("data", lesson_files())
def test_lesson_parse_refuses_bad_files_with_a_message(data):
    try:
        lesson.parse(data)
    except lesson.LessonError as err:
        assert str(err)
    else:
        pytest.fail("a bad lesson file was accepted")


@pytest.mark.skipif(lesson is None, reason="ui/lesson.py not present")
@pytest.mark.parametrize("data", [
    pytest.param(b"<script>alert(1)</script> not json", id="html-not-json"),
    pytest.param(LESSON_HEAD + b'"settings": {"order": "<b>x</b> **BOLDMARK**"}}', id="html-value"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deeply-nested"),
])
def test_lesson_upload_through_a_page_shows_a_message(data):
    page = PAGES[min(2, len(PAGES) - 1)]
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT).run()
    uploader = [u for u in at.get("file_uploader") if u.proto.id.endswith("-" + lesson.UPLOAD_KEY)]
    if not uploader:
        pytest.skip("no lesson uploader in the sidebar")
    uploader[0].upload("lesson.json", data, "application/json").run()
    case = Case("lesson-upload", state={"data": data[:200].decode("utf-8", "replace")},
                message="lesson not loaded")
    check_run(at, case, page)


# ------------------------------------------------------------------ text that is not valid Unicode

SURROGATE = "ab\ud800cd"             # valid JSON ("ab\ud800cd"), not valid text


def lesson_with(**settings) -> bytes:
    body = {"format": "gru-matrix-lab-lesson", "version": 1, "settings": settings}
    return json.dumps(body).encode("utf-8")          # json escapes the surrogate as \ud800


@pytest.mark.parametrize("key", ["text", "custom_order"])
def test_a_lesson_with_a_lone_surrogate_is_refused_with_a_message(key):
    with pytest.raises(lesson.LessonError, match=rf"'{key}' has a character that is not valid text"):
        lesson.parse(lesson_with(**{key: SURROGATE + "abcabc"}))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.file_uploader(key=lesson.UPLOAD_KEY).upload("l.json", lesson_with(**{key: SURROGATE}),
                                                   "application/json").run()
    assert not at.exception, at.exception
    assert any("not valid text" in e.value for e in at.error), [e.value for e in at.error]
    assert at.text_area(key="text").value == gc_text()          # the sidebar is still usable


def gc_text() -> str:
    from gru_core import TUTORIAL_TEXT
    return TUTORIAL_TEXT


@pytest.mark.parametrize("body, words", [
    (b'{"format": "gru-matrix-lab-lesson", "version": true}', "version"),
    (b'{"format": "gru-matrix-lab-lesson", "version": 1, "settings": {"hidden_size": 1,'
     b' "text": "abab"}, "weights": {"W_z": [[true], [false]]}}', "true, false, text and null"),
    (b'{"format": "gru-matrix-lab-lesson", "version": 1, "settings": {"hidden_size": 1,'
     b' "text": "abab"}, "weights": {"W_z": [["1"], [0]]}}', "are not numbers"),
])
def test_lesson_fields_are_type_checked_strictly(body, words):
    with pytest.raises(lesson.LessonError, match=words):
        lesson.parse(body)


def test_a_lesson_saved_with_a_utf8_byte_order_mark_loads():
    data = lesson.lesson_json(lesson.to_lesson(lesson.setting_defaults(), "app.py", 1, 2))
    parsed = lesson.parse(b"\xef\xbb\xbf" + data.encode("utf-8"))
    assert parsed["step"] == 2 and parsed["settings_dict"] == lesson.setting_defaults()
