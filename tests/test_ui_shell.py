"""The UI shell: one page registry, one session store, no import cycles, and the model store
that every page reads (weights edited on What if or loaded from a lesson are the ones pages 2,
7 and 8 use and sample from).

Expected values are computed here with gru_core directly, never through ui.compute."""
from __future__ import annotations

import ast
import gc as python_gc
import json
import re
from pathlib import Path

import numpy as np
import pytest
import streamlit
from streamlit.source_util import page_icon_and_name
from streamlit.testing.v1 import AppTest

import gru_core as gc
from app_helpers import ROOT, TIMEOUT, charts, heatmap_z, no_exception
from ui import page, registry

UI = ROOT / "ui"
PY_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted(UI.glob("*.py"))]


# ---------------------------------------------------------------- imports

def ui_imports(path: Path) -> set[str]:
    """The ui modules a ui module imports (from . import x, from .x import y, from ui import x)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module is None or node.module == "ui":
                found |= {a.name for a in node.names}
            elif node.level == 1:
                found.add(node.module.split(".")[0])
            elif node.module and node.module.startswith("ui."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("ui.")}
    return found - {"__init__"}


def test_the_import_graph_within_ui_is_acyclic():
    graph = {p.stem: ui_imports(p) for p in UI.glob("*.py") if p.stem != "__init__"}
    assert graph and all(deps <= set(graph) for deps in graph.values()), graph
    done, stack = set(), []

    def visit(name):
        assert name not in stack, " -> ".join(stack[stack.index(name):] + [name])
        if name in done:
            return
        stack.append(name)
        for dep in graph[name]:
            visit(dep)
        stack.pop()
        done.add(name)

    for name in graph:
        visit(name)
    # the leaves every other module builds on
    assert graph["store"] == set() and graph["registry"] == set() and graph["cache"] == set()


def test_no_frame_inspection_and_no_import_inside_a_function():
    for path in PY_FILES:
        source = path.read_text(encoding="utf-8")
        assert "_getframe" not in source, path
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"{path.name}: import inside {node.name}()"


def test_every_session_key_constant_is_defined_once_in_the_store():
    from ui import store
    for path in UI.glob("*.py"):
        if path.stem == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and \
                    isinstance(node.value.value, str):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                assert not any(n.endswith("_KEY") for n in names), f"{path.name}: {names}"
    keys = {k: v for k, v in vars(store).items() if k.endswith("_KEY")}
    assert len(set(keys.values())) == len(keys), keys
    assert not set(keys.values()) & set(store.URL_DEFAULTS)


# ---------------------------------------------------------------- the registry

def test_every_page_file_has_exactly_one_registry_entry_that_it_names():
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert files == {p.file for p in registry.PAGES if p.file != registry.HOME_FILE}
    for p in registry.PAGES:
        source = (ROOT / p.file).read_text(encoding="utf-8")
        assert re.findall(r'page\.setup\("([^"]+)"', source) == [p.key], p.file
        # the address Streamlit gives the page is the registry's
        if p.file != registry.HOME_FILE:
            assert page_icon_and_name(ROOT / p.file) == ("", p.url_path)


def test_the_registry_orders_the_pages_and_links_them():
    numbered = [p for p in registry.PAGES if p.number is not None]
    assert [p.number for p in numbered] == list(range(0, len(numbered)))
    assert registry.neighbours(registry.HOME) == (None, numbered[0])
    assert registry.neighbours(numbered[-1])[1] is None
    for a, b in zip(registry.PAGES, registry.PAGES[1:]):
        assert registry.neighbours(a)[1] is b and registry.neighbours(b)[0] is a
    assert registry.get("gates").link(present=1, text="a b") == "Gates_z_and_r?present=1&text=a+b"
    with pytest.raises(KeyError, match="no page 'nope'"):
        registry.get("nope")


def test_home_and_the_sidebar_list_every_page_from_the_registry():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert no_exception(at)
    links = [el for el in at.get("page_link")]
    labels = [el.proto.label for el in links]
    for p in registry.PAGES:
        if p.number is not None:
            assert labels.count(p.label) >= 2, p.label     # the sidebar and Home's index
    assert f"{registry.PAGES[1].label} →" in labels        # the next page from Home


def test_every_page_preloads_the_element_scripts_streamlit_itself_imports():
    """The early load names the files Streamlit's own bundles import for a chart, a code block,
    a data frame, a table, a select box and a formula (a Streamlit upgrade that renames one
    fails here, not silently in the browser); every page asks for them once."""
    assert len(page.PRELOAD_SCRIPTS) == len(page.PRELOADED)
    js = Path(streamlit.__file__).parent / "static" / "static" / "js"
    bundles = [p.read_text(encoding="utf-8") for p in js.glob("*.js")]
    for name, file in zip(page.PRELOADED, page.PRELOAD_SCRIPTS):
        assert file.startswith(name + ".")
        assert any(f"import(`./{file}`)" in b for b in bundles), file
    for entry in (registry.HOME, registry.get("gates"), registry.get("data")):
        at = AppTest.from_file(str(ROOT / entry.file), default_timeout=TIMEOUT).run()
        assert no_exception(at)
        loads = [el.proto.body for el in at.get("html") if "import(" in el.proto.body]
        assert len(loads) == 1, entry.key
        assert json.dumps(list(page.PRELOAD_SCRIPTS)) in loads[0]


# ---------------------------------------------------------------- the model store

GATES, TRAIN, EXPLORE, WHATIF = (registry.get(k).file for k in ("gates", "training", "explorer",
                                                               "whatif"))


def tutorial_ids():
    vocab = gc.Vocab.from_text(gc.TUTORIAL_TEXT, gc.TUTORIAL_ORDER)
    return vocab, vocab.encode(gc.TUTORIAL_TEXT)


def assert_pages_use(at: AppTest, params: gc.Params) -> None:
    """Pages 2, 7 and 8 show, sample from and explore with exactly `params`."""
    vocab, ids = tutorial_ids()
    at.switch_page(GATES).run()
    assert no_exception(at) and not at.error, [e.value for e in at.error]
    np.testing.assert_allclose(heatmap_z(charts(at)["W_z"]), params.W_z, atol=0)
    np.testing.assert_allclose(heatmap_z(charts(at)["U_r"]), params.U_r, atol=0)
    at.switch_page(TRAIN).run()
    assert no_exception(at), at.exception
    at.text_input(key="sample_primer").set_value("Ma").run()
    at.slider(key="sample_len").set_value(40).run()
    expected = gc.sample(params, vocab, "Ma", 40, gc.TUTORIAL_CONFIG, temperature=1.0, seed=0)
    assert at.code[1].value == expected.text
    at.switch_page(EXPLORE).run()
    at.radio(key="explore_weights").set_value("trained").run()
    assert no_exception(at) and not at.error, [e.value for e in at.error]
    z = heatmap_z(charts(at)["explore_z"])
    np.testing.assert_allclose(z, gc.forward(params, ids[:100, None]).z[:, 0].T, atol=1e-12)


def test_weights_edited_on_what_if_are_used_by_every_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(WHATIF).run()
    at.toggle(key="wi_edit").set_value(True).run()
    at.selectbox(key="wi_param").set_value("U_r").run()
    at.selectbox(key="wi_row").set_value(1).run()        # row 2, shown counting from 1
    at.selectbox(key="wi_col").set_value(0).run()
    at.number_input(key="wi_value_U_r_1_0").set_value(2.5).run()
    at.button(key="wi_use").click().run()
    assert no_exception(at), at.exception
    assert at.session_state["weights"] == "trained"
    U_r = gc.tutorial_params().U_r.copy()
    U_r[1, 0] = 2.5
    edited = gc.tutorial_params().replace(U_r=U_r)
    assert at.session_state["model"].source == "edited"
    assert_pages_use(at, edited)


def test_weights_loaded_from_a_lesson_are_used_by_every_page():
    from ui import lesson, store
    params = gc.init_params(4, 2, seed=42)
    settings = {**store.DEFAULTS, **store.VIEW_DEFAULTS, "weights": "trained"}
    data = lesson.lesson_json(lesson.to_lesson(settings, GATES, 1, 1, params)).encode()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.file_uploader(key=lesson.UPLOAD_KEY).upload("lesson.json", data, "application/json").run()
    assert no_exception(at), at.exception
    assert at.session_state["model"].source == "lesson"
    assert_pages_use(at, params)


def test_pages_remember_their_own_controls_across_page_switches():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(TRAIN).run()
    at.radio(key="learn_source").set_value("sonnets").run()
    at.number_input(key="train_epochs").set_value(7).run()
    at.slider(key="train_batch").set_value(8).run()
    at.switch_page(registry.get("backprop").file).run()
    at.radio(key="bptt_loss").set_value("l2").run()
    at.switch_page(GATES).run()
    at.switch_page(TRAIN).run()
    assert no_exception(at), at.exception
    assert at.radio(key="learn_source").value == "sonnets"
    assert at.number_input(key="train_epochs").value == 7
    assert at.slider(key="train_batch").value == 8
    at.switch_page(registry.get("backprop").file).run()
    assert at.radio(key="bptt_loss").value == "l2"


def test_the_sidebar_is_the_same_elements_on_every_page():
    """The sidebar's controls keep their element ids from page to page (sidebar.same_on_every_page,
    drawn as app.py's own): the browser keeps them mounted on a page switch instead of mounting
    every control anew. A page's own controls stay the page's: the stepper's slider differs."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()

    def shared():
        return {"text": at.text_area(key="text").id, "hidden_size": at.slider(key="hidden_size").id,
                "numbers": at.toggle(key="numbers").id, "present": at.toggle(key="present").id}

    home = shared()
    steps = {}
    for key in ("gates", "backprop", "conventions"):
        at.switch_page(registry.get(key).file).run()
        assert no_exception(at), at.exception
        assert shared() == home, key
        steps[key] = at.slider(key="step").id
    assert len(set(steps.values())) == 3, steps


# ---------------------------------------------------------------- downloads

@pytest.mark.parametrize("key", ["gates", "backprop", "conventions"])
def test_download_buttons_do_not_rerun_the_page(key):
    """A click that reruns the page replaces the deferred file the browser is about to fetch
    (MediaFileStorageError: "Deferred file ... not found"): every download button ignores it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(registry.get(key).file).run()
    buttons = at.get("download_button")
    assert len(buttons) >= 2 and all(b.proto.ignore_rerun for b in buttons), \
        [(b.proto.label, b.proto.ignore_rerun) for b in buttons]


def test_a_page_run_collects_its_exports_in_its_own_object():
    import io
    import zipfile

    from ui import exports
    page_run = exports.begin()
    page_run.register("x_t", "x_t  (2×4)", np.eye(2, 4), list("hatM"), ["row 1", "row 2"])
    fragment = exports.begin(page_run)                  # a fragment rerun starts from a copy
    fragment.register("z_t", "z_t  (2×2)", np.full((2, 2), 0.25), ["h1", "h2"], ["a", "b"])
    assert exports.current() is fragment and len(page_run) == 1 and len(fragment) == 2
    with zipfile.ZipFile(io.BytesIO(fragment.csv_zip())) as zf:
        assert sorted(zf.namelist()) == ["x_t.csv", "z_t.csv"]
        assert zf.read("z_t.csv").decode().splitlines() == [
            "# z_t  (2×2)", "row,h1,h2", "a,0.25,0.25", "b,0.25,0.25"]
    arrays = np.load(io.BytesIO(fragment.npz()))
    np.testing.assert_array_equal(arrays["x_t"], np.eye(2, 4))


def test_sizes_lowered_by_a_short_text_come_back_with_a_longer_one():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.slider(key="batch_size").set_value(3).run()
    at.slider(key="seq_len").set_value(5).run()
    at.text_area(key="text").set_value("").run()                 # cleared: one batch of 1×1
    assert no_exception(at)
    assert (at.session_state["batch_size"], at.session_state["seq_len"]) == (1, 1)
    at.text_area(key="text").set_value("ab").run()               # still too short for 3×5
    assert (at.session_state["batch_size"], at.session_state["seq_len"]) == (1, 1)
    at.text_area(key="text").set_value(gc.TUTORIAL_TEXT).run()   # long enough again
    assert (at.slider(key="batch_size").value, at.slider(key="seq_len").value) == (3, 5)
    at.slider(key="batch_size").set_value(2).run()               # a new choice is remembered
    at.text_area(key="text").set_value("").run()
    at.text_area(key="text").set_value(gc.TUTORIAL_TEXT).run()
    assert (at.slider(key="batch_size").value, at.slider(key="seq_len").value) == (2, 5)


def test_a_first_page_run_freezes_the_long_lived_objects():
    """Streamlit collects garbage in full after every script run (runner.postScriptGC); once
    the first page has run, the objects alive then are frozen (gc.freeze), so each of those
    collections scans only what later runs create instead of all of Python, Streamlit and
    Plotly (benchmarks/README.md: the collection was ~40% of a rerun's server CPU)."""
    at = AppTest.from_file(str(ROOT / GATES), default_timeout=TIMEOUT).run()
    assert no_exception(at), at.exception
    assert python_gc.get_freeze_count() > 50_000
