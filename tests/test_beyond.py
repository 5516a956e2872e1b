"""Beyond the tutorial: cell inspector, what-if, conventions, snippets, lesson files, presentation.

Unit tests call gru_core directly; AppTests compare what the pages plot or print with gru_core
computed here, independently of ui.compute.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import json
import math
import re

import numpy as np
import pytest

import gru_core as gc
from gru_core.snippets import numpy_snippet, torch_snippet

from app_helpers import charts, heatmap_z, run_page
from ui import registry

INSPECTOR = registry.get("inspector").file
WHATIF = registry.get("whatif").file
CONVENTIONS = registry.get("conventions").file
GATES = registry.get("gates").file
CONFIGS = [gc.GRUConfig(r, u) for r, u in itertools.product(gc.RESETS, gc.UPDATES)]
HAS_TORCH = importlib.util.find_spec("torch") is not None


def tutorial_run(config=gc.TUTORIAL_CONFIG):
    vocab = gc.Vocab.from_text(gc.TUTORIAL_TEXT, gc.TUTORIAL_ORDER)
    batches = gc.make_batches(vocab.encode(gc.TUTORIAL_TEXT), vocab.size, 2, 3)
    params = gc.tutorial_params()
    return vocab, batches, params, gc.run_batches(params, batches, config)


def random_case(seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    V, H, S, B = (int(rng.integers(lo, hi)) for lo, hi in ((2, 6), (1, 6), (1, 4), (1, 4)))
    p = gc.init_params(V, H, seed=seed, scale=2.0, dtype=dtype)
    p = p.replace(**{k: rng.normal(size=getattr(p, k).shape).astype(dtype)
                     for k in ("b_z", "b_r", "b_h", "b_hn", "b_y")})
    return p, rng.integers(0, V, (S, B)), rng.uniform(-1, 1, (B, H)), rng


# ---------------------------------------------------------------- explain_cell

@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("seed", range(6))
def test_every_cell_evaluates_exactly_to_the_trace(config, seed):
    p, X, h0, rng = random_case(seed, np.float32 if seed == 5 else np.float64)
    H = p.hidden_size
    clamp = np.full(H, np.nan)
    if seed % 2:
        clamp[0] = float(rng.integers(0, 2))
    tr = gc.forward(p, X, h0, config, clamp_z=clamp, clamp_r=clamp[::-1].copy())
    S, B, V, _ = tr.shape
    for q in gc.QUANTITIES:
        for t, b, j in itertools.product(range(S), range(B), range(V if q == "probs" else H)):
            ex = gc.explain_cell(p, tr, q, t, b, j)
            value = float(getattr(tr, q)[t, b, j])
            assert ex.result == value and ex.evaluate() == value, (q, t, b, j)


def test_published_example_of_the_issue():
    _, _, p, traces = tutorial_run()
    ex = gc.explain_cell(p, traces[0], "z", 0, 0, 1)
    assert r"\sigma\big(0.3817 + 0 + 0\big)" in ex.latex
    assert ex.latex.rstrip().endswith(r"\end{aligned}") and "0.5943" in ex.latex
    assert ex.terms[0][1] == pytest.approx(0.3817) and ex.char_index == 3
    assert ex.weights["W_z"] == ((3,), ()) and ex.weights["U_z"] == ((), (1,))
    assert ex.w_row == 3 and ex.u_col == 1


def test_forced_gate_says_so():
    _, batches, p, _ = tutorial_run()
    tr = gc.forward(p, batches.X[0], None, gc.TUTORIAL_CONFIG, clamp_z=np.array([1.0, np.nan]))
    ex = gc.explain_cell(p, tr, "z", 1, 0, 0)
    assert ex.rule == "forced" and ex.evaluate() == 1.0 and "forced" in ex.latex
    assert gc.explain_cell(p, tr, "z", 1, 0, 1).rule == "sigmoid"


@pytest.mark.parametrize("args", [("q", 0, 0, 0), ("z", 3, 0, 0), ("z", 0, 2, 0), ("z", 0, 0, 2),
                                  ("probs", 0, 0, 4), ("h", -1, 0, 0), ("h", 0.5, 0, 0)])
def test_bad_cells_are_refused(args):
    _, _, p, traces = tutorial_run()
    with pytest.raises(ValueError):
        gc.explain_cell(p, traces[0], *args)


# ---------------------------------------------------------------- snippets

def run_snippet(src: str) -> dict:
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(src, "<snippet>", "exec"), namespace)      # noqa: S102 - our own generated code
    return namespace


TEXTS = [(gc.TUTORIAL_TEXT, "hatM", 2, 3, 2, "tutorial"),
         ('héllo "wörld" 🙂\n\\ it\'s """ x' * 2, None, 3, 4, 5, "streams")]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("text, order, B, S, H, layout", TEXTS)
def test_numpy_snippet_reproduces_h(config, text, order, B, S, H, layout):
    vocab = gc.Vocab.from_text(text, order)
    p = gc.tutorial_params() if order == "hatM" else gc.init_params(vocab.size, H, seed=3)
    p = p.replace(b_hn=np.full(H, 0.3), b_z=np.linspace(-1, 1, H))
    batches = gc.make_batches(vocab.encode(text), vocab.size, B, S, layout)
    expected = gc.run_batches(p, batches, config)[0]
    ns = run_snippet(numpy_snippet(p, text, vocab.chars, B, S, config, layout))
    assert "gru_core" not in numpy_snippet(p, text, vocab.chars, B, S, config, layout)
    np.testing.assert_allclose(ns["h"], expected.h, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ns["y_hat"], expected.probs, rtol=0, atol=1e-12)


@pytest.mark.skipif(not HAS_TORCH, reason="torch is optional")
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_torch_snippet_reproduces_h(config):
    text, order, B, S, H, layout = TEXTS[1]
    vocab = gc.Vocab.from_text(text, order)
    p = gc.init_params(vocab.size, H, seed=4).replace(b_hn=np.full(H, -0.2), b_r=np.full(H, 0.5))
    batches = gc.make_batches(vocab.encode(text), vocab.size, B, S, layout)
    expected = gc.run_batches(p, batches, config)[0]
    src = torch_snippet(p, text, vocab.chars, B, S, config, layout)
    assert ("torch.nn.GRU(" in src) == (config == gc.TORCH_CONFIG)
    ns = run_snippet(src)
    np.testing.assert_allclose(ns["h"].numpy(), expected.h, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ns["y_hat"].numpy(), expected.probs, rtol=0, atol=1e-12)


def test_weights_survive_the_snippet_exactly():
    p = gc.init_params(4, 3, seed=11)
    ns = run_snippet(numpy_snippet(p, "abcdabcdabcd", "abcd", 2, 3, gc.TUTORIAL_CONFIG, "tutorial"))
    for name, value in p.items():
        assert np.array_equal(ns[name], value), name


# ---------------------------------------------------------------- what-if engine

def test_forcing_z_from_a_later_step_freezes_the_state():
    _, batches, p, traces = tutorial_run()
    forced = gc.run_batches_from(p, batches, gc.TUTORIAL_CONFIG, start_batch=0, start_step=1,
                                 clamp_z=np.ones(2))
    np.testing.assert_array_equal(forced[0].h[0], traces[0].h[0])           # before: unchanged
    for tr in forced:
        for t in range(tr.h.shape[0]):
            if tr is forced[0] and t == 0:
                continue
            np.testing.assert_array_equal(tr.h[t], traces[0].h[0])          # copied ever after
    free = gc.run_batches_from(p, batches, gc.TUTORIAL_CONFIG, start_batch=1, start_step=2)
    for a, b in zip(free, traces):
        np.testing.assert_array_equal(a.h, b.h)


# ---------------------------------------------------------------- lesson files

def test_lesson_round_trips_exactly():
    from ui import lesson, store
    text = "abcd\n<b>é🙂" * 2
    params = gc.init_params(len(set(text)), 3, seed=2).replace(b_hn=np.array([0.1, 1 / 3, -2e-17]))
    settings = {**store.DEFAULTS, **store.VIEW_DEFAULTS, "text": text,
                "hidden_size": 3, "order": "sorted", "weights": "trained", "present": True,
                "hide": "text,options", "cell_q": "h_tilde", "cell_b": 1, "cell_j": 2}
    first = lesson.to_lesson(settings, "pages/9_Cell_inspector.py", 2, 3, params)
    text = lesson.lesson_json(first)
    back = lesson.from_lesson(json.loads(text))
    again = lesson.to_lesson(**back)
    assert again == first
    assert back["params"].equals(params)
    assert json.loads(lesson.lesson_json(again)) == json.loads(text)


@pytest.mark.parametrize("mutate, words", [
    (lambda d: d.update(format="other"), "not a GRU Matrix Lab lesson"),
    (lambda d: d.update(version=99), "version"),
    (lambda d: d["settings"].update(reset="sideways"), "reset"),
    (lambda d: d["settings"].update(batch_size="two"), "whole number"),
    (lambda d: d["settings"].update(batch_size=True), "whole number"),
    (lambda d: d["settings"].update(colour="red"), "Unknown settings"),
    (lambda d: d["settings"].update(hide="text,bogus"), "unknown controls"),
    (lambda d: d.update(page="../../etc/passwd"), "page"),
    (lambda d: d.update(page="pages/99_Nope.py"), "does not exist"),
    (lambda d: d.update(step=0), "step"),
    (lambda d: d.update(weights={"W_z": [[1.0]]}), "weights cannot be used"),
    (lambda d: d["weights"].update(W_z=[[0.0] * 2] * 3), "weights cannot be used"),
    (lambda d: d["settings"].update(hidden_size=3), "hidden size"),
    (lambda d: d.update(extra=1), "Unknown fields"),
])
def test_bad_lessons_are_refused_with_a_message(mutate, words):
    from ui import lesson, store
    good = lesson.to_lesson({**store.DEFAULTS, **store.VIEW_DEFAULTS}, "app.py", 1, 1,
                            gc.tutorial_params())
    bad = json.loads(json.dumps(good))
    mutate(bad)
    with pytest.raises(lesson.LessonError, match=re.escape(words) if words[0].isupper() else words):
        lesson.from_lesson(bad)


@pytest.mark.parametrize("data, words", [(b"\xff\xfe", "UTF-8"), (b"{", "not valid JSON"),
                                         (b"[1, 2]", "JSON object"),
                                         (b'{"format": NaN}', "finite")])
def test_unreadable_files_are_refused(data, words):
    from ui import lesson
    with pytest.raises(lesson.LessonError, match=words):
        lesson.parse(data)


def test_loading_a_lesson_restores_the_settings():
    from ui import lesson, store
    params = gc.init_params(5, 3, seed=9)
    settings = {**store.DEFAULTS, **store.VIEW_DEFAULTS, "text": "abcdeabcdeabcde",
                "batch_size": 2, "seq_len": 4, "hidden_size": 3, "order": "sorted",
                "weights": "trained", "reset": "after", "update": "take", "cell_q": "h"}
    data = lesson.lesson_json(lesson.to_lesson(settings, GATES, 1, 3, params)).encode()
    at = run_page(GATES)
    assert not at.exception
    at.file_uploader(key=lesson.UPLOAD_KEY).upload("lesson.json", data, "application/json").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    for key in ("text", "batch_size", "seq_len", "hidden_size", "reset", "update", "cell_q"):
        assert at.session_state[key] == settings[key], key
    assert at.session_state["step"] == 3
    assert at.session_state["model"].params.equals(params)
    vocab = gc.Vocab.from_text(settings["text"])
    batches = gc.make_batches(vocab.encode(settings["text"]), vocab.size, 2, 4)
    expected = gc.run_batches(params, batches, gc.GRUConfig("after", "take"))[0]
    np.testing.assert_allclose(heatmap_z(charts(at)["z_t"]), expected.z[2], rtol=0, atol=1e-12)


def test_a_bad_lesson_file_gives_a_message_and_changes_nothing():
    from ui import lesson
    at = run_page(GATES)
    at.file_uploader(key=lesson.UPLOAD_KEY).upload("lesson.json", b'{"format": 1}',
                                                   "application/json").run()
    assert not at.exception
    assert any("Lesson not loaded" in e.value for e in at.error)
    assert at.session_state["text"] == gc.TUTORIAL_TEXT
    bad = b'{"format": "gru-matrix-lab-lesson", "version": 1, "settings": {"reset": "**x** $y$"}}'
    at.file_uploader(key=lesson.UPLOAD_KEY).upload("l2.json", bad, "application/json").run()
    [message] = [e.value for e in at.error]
    assert r"\*\*x\*\* \$y\$" in message          # the file's text shown literally
    assert at.session_state["reset"] == "before"


# ---------------------------------------------------------------- the pages (AppTest)

def number(text: str) -> float:
    m = re.fullmatch(r"\(?\{?(-?\d+(?:\.\d+)?)(?:\\times 10\^\{(-?\d+)\})?\}?\)?", text.strip())
    assert m, text
    return float(m.group(1)) * (10.0 ** int(m.group(2)) if m.group(2) else 1.0)


def sum_inside(latex: str, func: str) -> float:
    """The last \\func\\big( a + b + c \\big) of the LaTeX whose arguments are plain numbers."""
    for inner in reversed(re.findall(func + r"\\big\((.*?)\\big\)", latex)):
        parts = inner.split(" + ")
        try:
            return sum(number(p) for p in parts)
        except AssertionError:
            continue
    raise AssertionError(f"no numeric {func}(...) in {latex}")


def recompute_from_latex(q: str, latex: str) -> float:
    if q in ("z", "r"):
        return 1 / (1 + math.exp(-sum_inside(latex, r"\\sigma")))
    if q == "h_tilde":
        return math.tanh(sum_inside(latex, r"\\tanh"))
    if q == "h":
        line = latex.split(r"\\")[2]                    # "&= a + (b) = value"
        return sum(number(p) for p in line.split("=")[1].split(" + "))
    num, den = re.findall(r"\\frac\{\{?([-\d.]+)\}?\}\{\{?([-\d.]+)\}?\}", latex)[-1]
    return number(num) / number(den)


def recompute_from_table(q: str, table) -> float:
    terms = table[table["part"] == "term"]["value"].tolist()
    if q in ("z", "r"):
        return float(gc.sigmoid(np.array([sum(terms)]))[0])
    if q == "h_tilde":
        return math.tanh(sum(terms))
    if q == "h":
        return sum(terms)
    return terms[0] / terms[1]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("q, step, b, j", [("z", 1, 0, 1), ("r", 2, 1, 0), ("h_tilde", 3, 0, 1),
                                           ("h", 2, 1, 1), ("probs", 3, 1, 2)])
def test_inspector_equation_evaluates_to_the_cell(config, q, step, b, j):
    at = run_page(INSPECTOR, state={"cell_q": q, "cell_b": b, "cell_j": j, "step": step,
                                    "reset": config.reset, "update": config.update})
    assert not at.exception, at.exception
    expected = float(getattr(tutorial_run(config)[3][0], q)[step - 1, b, j])
    plotted = heatmap_z(charts(at)["pick"])[b, j]
    assert plotted == expected
    latex = at.latex[0].value
    assert abs(recompute_from_latex(q, latex) - expected) < 2e-4, latex
    table = at.dataframe[0].value
    assert recompute_from_table(q, table) == pytest.approx(expected, abs=1e-12)
    assert "Mat" not in latex and "hMa" not in latex            # no user text in LaTeX


def test_inspector_highlights_the_row_of_W_and_column_of_U():
    at = run_page(INSPECTOR, state={"cell_q": "z", "cell_b": 1, "cell_j": 1, "step": 1})
    c = charts(at)
    shapes_W = c["W"]["layout"]["shapes"]
    shapes_U = c["U"]["layout"]["shapes"]
    # batch 1 row 1 reads "h" at t = 1: vocabulary index 0 in the tutorial's dictionary "hatM"
    assert [(s["y0"], s["y1"]) for s in shapes_W] == [(-0.5, 0.5)]
    assert [(s["x0"], s["x1"]) for s in shapes_U] == [(0.5, 1.5)]
    assert any(s["line"]["color"] == "#ff00ff" for s in c["pick"]["layout"]["shapes"])


def test_inspector_heatmap_is_clickable():
    """Plotly cannot select heatmap cells: the figure carries one invisible marker per cell, and
    a click's selection event (point index = row * columns + column) names the cell."""
    from ui.draw import picked_cell
    at = run_page(INSPECTOR, state={"cell_q": "probs"})
    spec = charts(at)["pick"]
    assert spec["data"][1]["type"] == "scatter" and len(spec["data"][1]["x"]) == 2 * 4
    event = {"selection": {"points": [{"curve_number": 1, "point_index": 6, "x": "t", "y": "1"}],
                           "point_indices": [6], "box": [], "lasso": []}}
    assert picked_cell(event, 4) == (1, 2)
    assert picked_cell({"selection": {"points": []}}, 4) is None and picked_cell(None, 4) is None


@pytest.mark.parametrize("update, copy", [("keep", "1"), ("take", "0")])
def test_forcing_z_copies_the_old_state(update, copy):
    at = run_page(WHATIF, state={"wi_z": copy, "step": 3, "update": update})
    assert not at.exception, at.exception
    c = charts(at)
    h_prev, h = heatmap_z(c["new_h_prev"]), heatmap_z(c["new_h_again"])
    assert np.abs(h_prev).max() > 0.1                      # a real state, not h0 = 0
    np.testing.assert_array_equal(h, h_prev)
    np.testing.assert_array_equal(heatmap_z(c["new_step_change"]), 0)
    original = tutorial_run(gc.GRUConfig("before", update))[3][0]
    np.testing.assert_array_equal(heatmap_z(c["orig_h"]), original.h[2])
    np.testing.assert_allclose(heatmap_z(c["diff_h"]), h - original.h[2], atol=1e-15)
    assert any("copied unchanged" in i.value for i in at.info)


def test_forcing_r_to_zero_makes_the_candidate_ignore_the_past():
    at = run_page(WHATIF, state={"wi_r": "0", "step": 3})
    assert not at.exception
    _, batches, p, _ = tutorial_run()
    x_ids = batches.x_ids[0, 2]
    np.testing.assert_allclose(heatmap_z(charts(at)["new_h_tilde"]),
                               np.tanh(p.W_h[x_ids] + p.b_h), atol=1e-15)


def test_editing_a_weight_updates_the_loss():
    at = run_page(WHATIF, state={"wi_edit": True, "wi_param": "W_y", "wi_row": 1, "wi_col": 3})
    at.number_input(key="wi_value_W_y_1_3").set_value(3.0).run()
    assert not at.exception
    vocab, batches, p, _ = tutorial_run()
    W_y = p.W_y.copy()
    W_y[1, 3] = 3.0
    traces = gc.run_batches(p.replace(W_y=W_y), batches)
    loss = gc.cross_entropy(traces[0].probs, batches.Y[0]).loss
    assert [m.value for m in at.metric][:2] == ["1.2602", f"{loss:.4f}"]
    np.testing.assert_allclose(heatmap_z(charts(at)["new_probs"]), traces[0].probs[0], atol=1e-15)


@pytest.mark.parametrize("reset, update", [("before", "keep"), ("after", "take")])
def test_numpy_snippet_on_the_conventions_page_reproduces_the_displayed_h(reset, update):
    at = run_page(CONVENTIONS, state={"reset": reset, "update": update, "step": 2,
                                      "snippets_open": True})
    assert not at.exception
    assert len(at.code) == 1                             # the NumPy tab, the one open
    ns = run_snippet(at.code[0].value)
    shown = heatmap_z(charts(at)[f"h_{reset}_{update}"])
    np.testing.assert_allclose(ns["h"][1], shown, rtol=0, atol=1e-12)
    expected = tutorial_run(gc.GRUConfig(reset, update))[3][0]
    np.testing.assert_allclose(ns["h"], expected.h, rtol=0, atol=1e-12)
    for conv in itertools.product(gc.RESETS, gc.UPDATES):
        other = tutorial_run(gc.GRUConfig(*conv))[3][0]
        np.testing.assert_allclose(heatmap_z(charts(at)[f"probs_{conv[0]}_{conv[1]}"]),
                                   other.probs[1], atol=1e-15)


def test_presentation_and_hide_flags():
    at = run_page(GATES, query={"present": "1", "hide": "text,batch_size,options,bogus"})
    assert not at.exception
    keys = {w.key for w in at.sidebar.get("text_area")} | \
        {w.key for w in at.sidebar.get("slider")} | {w.key for w in at.sidebar.get("radio")}
    assert "text" not in keys and "batch_size" not in keys and "reset" not in keys
    assert "seq_len" in keys and "hidden_size" in keys
    assert at.session_state["text"] == gc.TUTORIAL_TEXT          # hidden, still in force
    assert any("<style>" in m.value for m in at.markdown)
    assert any("Two gates" in i.value for i in at.info)         # the page's narrative
    assert any("bogus" in i.value for i in at.info)              # unknown hide name noted
    projected = charts(at)["z_t"]                   # the issue's sizes for a projector
    assert projected["layout"]["font"]["size"] >= 18                  # labels
    numbered = [t for t in projected["data"] if t.get("texttemplate")]
    assert numbered and all(t["textfont"]["size"] >= 20 for t in numbered)   # cell numbers
    plain = run_page(GATES)
    assert not any("<style>" in m.value for m in plain.markdown)
    assert {"text", "batch_size"} <= {w.key for w in plain.sidebar.get("text_area")} | \
        {w.key for w in plain.sidebar.get("slider")}


def test_hiding_the_lesson_box():
    at = run_page(GATES, query={"hide": "lesson,preset,numbers"})
    assert not at.exception
    assert not at.sidebar.get("file_uploader") and not at.sidebar.get("toggle")
    assert not [b for b in at.sidebar.get("button") if b.key == "preset"]


EXTREMES = [
    {},
    {"text": "ab" * 400, "batch_size": 16, "seq_len": 24, "hidden_size": 32, "weights": "random",
     "order": "sorted"},
    {"text": "ab", "batch_size": 1, "seq_len": 1, "hidden_size": 1, "weights": "random"},
    {"text": "שלום עולם 🙂 <b>**x**</b> $x$ \\frac", "order": "first", "reset": "after",
     "update": "take", "layout": "streams", "hidden_size": 3, "weights": "random"},
    {"weights": "trained"},
    {"text": ""},
]


@pytest.mark.parametrize("path", [INSPECTOR, WHATIF, CONVENTIONS])
@pytest.mark.parametrize("state", EXTREMES)
def test_each_page_runs_at_defaults_and_extremes(path, state):
    for q in ("z", "probs") if path == INSPECTOR else (None,):
        extra = {"cell_q": q, "cell_b": 99, "cell_j": 99} if q else {}
        if path == WHATIF:
            extra = {"wi_z": "1", "wi_r": "0", "wi_edit": True, "wi_param": "b_y", "wi_from": 999}
        at = run_page(path, state={**state, **extra})
        assert not at.exception, at.exception


def test_every_page_runs_in_presentation_mode():
    from pathlib import Path
    from app_helpers import ROOT
    for path in ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py")):
        at = run_page(path, query={"present": "1", "hide": "options"})
        assert not at.exception, (path, at.exception)
        assert Path(ROOT / path).is_file()


def test_every_page_has_a_narrative_in_the_tutorials_order():
    from app_helpers import ROOT
    entries = []
    for path in sorted((ROOT / "pages").glob("*.py"), key=lambda p: int(p.name.split("_")[0])):
        m = re.search(r'page\.setup\("([^"]+)"', path.read_text(encoding="utf-8"))
        assert m, path
        entries.append(registry.get(m.group(1)))
    assert all(e.narrative for e in entries)
    steps = [int(re.match(r"Step (\d+)", e.narrative).group(1)) for e in entries]
    assert steps == sorted(steps)


def test_conventions_sends_a_snippet_only_while_it_is_read():
    at = run_page(CONVENTIONS, state={"hidden_size": 4, "weights": "random"})
    assert not at.exception
    assert not at.code                                   # folded: no snippet sent
    at.session_state["snippets_open"] = True
    at.run()
    assert not at.exception
    assert [c.language for c in at.code] == ["python"]   # the NumPy tab only
    assert "import numpy as np" in at.code[0].value and "import torch" not in at.code[0].value
    at.session_state["snippet_tab"] = "PyTorch"
    at.run()
    assert not at.exception
    assert len(at.code) == 1 and "import torch" in at.code[0].value
