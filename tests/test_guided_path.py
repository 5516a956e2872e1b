"""A guided path (issue #14, point 5): every page ends with links to the previous and the next
page, Home starts at the first page, ready-made lessons open in the session with every setting
in the URL, and What if's forced gates and edited weight are URL parameters and lesson settings.

Expected what-if values are computed here with gru_core directly (gru_core/whatif.py), never
through ui.compute."""
from __future__ import annotations

import ast
import json
from urllib.parse import parse_qs

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import gru_core as gc
from app_helpers import ROOT, TIMEOUT, charts, heatmap_z, no_exception, run_page
from ui import lesson, page, registry, store

WHATIF = registry.get("whatif").file
NUMBERED = [p for p in registry.PAGES if p.number is not None]


def leaves(block) -> list:
    """The elements of a block in the order they are drawn, containers and columns opened."""
    out = []
    for child in block.children.values():
        if type(child).__name__ in ("Block", "Column", "Tab", "Expander", "Form", "Dialog",
                                    "Status", "Popover"):
            out += leaves(child)
        else:
            out.append(child)
    return out


def url(at: AppTest) -> dict[str, str]:
    """The app's URL parameters after a run."""
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def tutorial_batches():
    vocab = gc.Vocab.from_text(gc.TUTORIAL_TEXT, gc.TUTORIAL_ORDER)
    sizes = gc.TUTORIAL_SIZES
    return gc.make_batches(vocab.encode(gc.TUTORIAL_TEXT), vocab.size, sizes["batch_size"],
                           sizes["seq_len"])


# ---------------------------------------------------------------- the registry's start

def test_start_here_is_the_first_numbered_page_in_the_registry(monkeypatch):
    assert registry.START is NUMBERED[0] and registry.START.number is not None
    assert registry.START is not registry.HOME
    # derived, not a fixed key: a page inserted before the first numbered one becomes the start
    new = registry.Page("new", "A new first page", "pages/0_New.py", registry.FORWARD, "b", "n", 0)
    monkeypatch.setattr(registry, "PAGES", (registry.HOME, new, *registry.PAGES[1:]))
    assert registry.first() is new


def test_home_has_one_start_here_leading_to_the_start():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert no_exception(at), at.exception
    starts = [el for el in at.main.get("page_link") if el.proto.label.startswith("Start here")]
    assert len(starts) == 1
    assert starts[0].proto.page == registry.START.url_path
    assert registry.START.label in starts[0].proto.label
    # near the top: before Home's index of pages
    drawn = leaves(at.main)
    first_index_link = next(i for i, el in enumerate(drawn)
                            if el.type == "page_link" and el.proto.label == NUMBERED[-1].label)
    assert drawn.index(starts[0]) < first_index_link


# ---------------------------------------------------------------- previous / next at the end

def test_every_page_script_ends_with_page_end():
    for p in registry.PAGES:
        tree = ast.parse((ROOT / p.file).read_text(encoding="utf-8"))
        last = tree.body[-1]
        assert isinstance(last, ast.Expr) and ast.unparse(last.value.func) == "page.end", p.file


def test_every_page_ends_with_links_to_its_neighbours():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    for p in registry.PAGES:
        if p is not registry.HOME:
            at.switch_page(p.file).run()
        assert no_exception(at), (p.file, at.exception)
        drawn = leaves(at.main)
        before, after = registry.neighbours(p)
        wanted = [q.url_path for q in (before, after or registry.HOME) if q is not None]
        last = drawn[-len(wanted):]
        assert [el.type for el in last] == ["page_link"] * len(wanted), (p.file, last)
        assert [el.proto.page for el in last] == wanted, p.file
        labels = [el.proto.label for el in last]
        if after is not None:
            assert labels[-1] == f"Next: {after.label}"
        else:                                    # the last page: a way forward, back to Home
            assert labels[-1].startswith("Start again")
        if before is not None:
            assert labels[0] == f"Previous: {before.label}"
        else:                                    # Home: nothing before the next link
            assert drawn[-2].type != "page_link"


# ---------------------------------------------------------------- What if in the URL

WHATIF_URL = {"force_z": "1", "force_z_units": "1", "force_from": "3", "step": "3",
              "edit": "W_z:2:1:0.5"}


def test_a_what_if_url_forces_z_and_edits_the_weight():
    at = run_page(WHATIF, query=WHATIF_URL)
    assert no_exception(at), at.exception
    assert at.radio(key="wi_z").value == "1"
    assert at.multiselect(key="wi_z_units").value == [0]
    assert at.toggle(key="wi_edit").value and at.selectbox(key="wi_param").value == "W_z"
    assert at.number_input(key="wi_value_W_z_1_0").value == 0.5
    p = gc.tutorial_params()
    W_z = p.W_z.copy()
    W_z[1, 0] = 0.5                     # row 2, column 1 counted from 1
    edited = p.replace(W_z=W_z)
    batches = tutorial_batches()
    forced = gc.run_batches_from(edited, batches, gc.TUTORIAL_CONFIG, start_batch=0, start_step=2,
                                 clamp_z=np.array([1.0, np.nan]))
    c = charts(at)
    z = heatmap_z(c["new_z"])
    np.testing.assert_array_equal(z[:, 0], 1.0)              # unit h1 forced open
    np.testing.assert_allclose(z, forced[0].z[2], atol=1e-15)
    np.testing.assert_allclose(heatmap_z(c["new_h"]), forced[0].h[2], atol=1e-15)
    original = gc.run_batches(p, batches)[0]
    np.testing.assert_allclose(heatmap_z(c["orig_z"]), original.z[2], atol=1e-15)
    assert not np.allclose(z[:, 1], original.z[2][:, 1])     # the edit changed h2's gate
    # and written back to the URL, unchanged
    assert {k: url(at)[k] for k in WHATIF_URL} == WHATIF_URL


def test_what_if_controls_write_the_url():
    at = run_page(WHATIF, query={"step": "2"})
    assert "force_r" not in at.query_params
    at.radio(key="wi_r").set_value("0").run()
    at.multiselect(key="wi_r_units").set_value([1]).run()
    at.toggle(key="wi_edit").set_value(True).run()
    at.selectbox(key="wi_param").set_value("b_y").run()
    at.selectbox(key="wi_col").set_value(3).run()         # the 4th column (shown as 4)
    at.number_input(key="wi_value_b_y_3").set_value(-1.25).run()
    assert no_exception(at), at.exception
    q = url(at)
    assert (q["force_r"], q["force_r_units"], q["edit"]) == ("0", "2", "b_y:4:-1.25")
    assert "force_z" not in q and "force_from" not in q          # defaults stay out
    # that URL, opened in a new session, shows the same controls
    again = run_page(WHATIF, query=q)
    assert no_exception(again), again.exception
    assert again.radio(key="wi_r").value == "0"
    assert again.multiselect(key="wi_r_units").value == [1]
    assert again.number_input(key="wi_value_b_y_3").value == -1.25
    assert url(again) == q


@pytest.mark.parametrize("key, raw, words", [
    ("force_z", "2", "0 or 1"),
    ("force_r", "open", "0 or 1"),
    ("force_z_units", "0", "whole number from 1 to"),
    ("force_z_units", "1,x", "whole number from 1 to"),
    ("force_from", "0", "whole number from 1"),
    ("force_from", "1.5", "whole number from 1"),
    ("edit", "Q_z:1:1:0.5", "parameter name"),
    ("edit", "W_z:1:0.5", "parameter:row:column:value"),
    ("edit", "b_z:1:1:0.5", "parameter:unit:value"),
    ("edit", "W_z:0:1:0.5", "whole number from 1"),
    ("edit", "W_z:1:1:nan", "a number from"),
    ("edit", "W_z:1:1:1e9", "a number from"),
    ("edit", "W_z:1:1:<b>x</b>", "a number from"),
])
def test_nonsense_what_if_values_get_a_message(key, raw, words):
    at = run_page(WHATIF, query={key: raw})
    assert no_exception(at), at.exception
    notes = [i.value for i in at.info if f"`{key}`" in i.value or "`edit`" in i.value]
    assert notes and words in notes[0], [i.value for i in at.info]
    assert "<b>" not in " ".join(notes)                       # the link's text shown escaped
    assert at.radio(key="wi_z").value == "free" and at.radio(key="wi_r").value == "free"
    assert not at.toggle(key="wi_edit").value
    assert key not in at.query_params                         # the URL drops what was ignored


def test_positions_outside_the_parameter_are_clamped_with_a_note():
    at = run_page(WHATIF, query={"edit": "W_z:99:1:0.5", "force_z": "1",
                                 "force_z_units": "1,9"})
    assert no_exception(at), at.exception
    infos = " ".join(i.value for i in at.info)
    assert "W_z has only" in infos and "h9" in infos
    assert at.selectbox(key="wi_row").value == gc.Vocab.from_text(
        gc.TUTORIAL_TEXT, gc.TUTORIAL_ORDER).size - 1


# ---------------------------------------------------------------- lesson files

FORCED = {"force_z": "1", "force_z_units": "1", "force_r": "0", "force_r_units": "",
          "force_from": 3, "edit": "U_h:2:1:-0.75"}


def test_lesson_round_trip_with_forced_gates():
    settings = {**store.DEFAULTS, **store.VIEW_DEFAULTS, **FORCED}
    first = lesson.to_lesson(settings, WHATIF, 1, 3)
    assert {k: first["settings"][k] for k in FORCED} == FORCED
    back = lesson.from_lesson(json.loads(lesson.lesson_json(first)))
    assert lesson.to_lesson(**back) == first
    # and an older lesson without What if's settings still round-trips exactly
    plain = lesson.to_lesson({**store.DEFAULTS, **store.VIEW_DEFAULTS}, WHATIF, 1, 1)
    assert not set(store.WHATIF_DEFAULTS) & set(plain["settings"])
    assert lesson.to_lesson(**lesson.from_lesson(plain)) == plain


def test_loading_a_lesson_with_forced_gates_forces_them():
    settings = {**store.DEFAULTS, **store.VIEW_DEFAULTS, **FORCED}
    data = lesson.lesson_json(lesson.to_lesson(settings, WHATIF, 1, 3)).encode()
    at = run_page(WHATIF)
    at.file_uploader(key=lesson.UPLOAD_KEY).upload("l.json", data, "application/json").run()
    assert no_exception(at), at.exception
    assert at.radio(key="wi_z").value == "1" and at.radio(key="wi_r").value == "0"
    assert at.multiselect(key="wi_z_units").value == [0]
    assert at.multiselect(key="wi_r_units").value == []
    assert at.number_input(key="wi_value_U_h_1_0").value == -0.75
    q = url(at)
    assert {k: q[k] for k in FORCED} == {k: str(v) for k, v in FORCED.items()}
    # and what the sidebar would save: the same settings
    state = {k: at.session_state[k] for k in at.session_state if k.startswith("wi_")}
    assert {k: v for k, v in store.whatif_text({**state, "hidden_size": 2}).items()} == FORCED


@pytest.mark.parametrize("key, value", [("force_z", "maybe"), ("force_z_units", "0"),
                                        ("force_from", 0), ("force_from", "2"),
                                        ("edit", "W_z:1:1"), ("edit", 5)])
def test_bad_what_if_settings_in_a_lesson_are_refused(key, value):
    good = lesson.to_lesson({**store.DEFAULTS, **store.VIEW_DEFAULTS}, WHATIF, 1, 1)
    bad = json.loads(json.dumps(good))
    bad["settings"][key] = value
    with pytest.raises(lesson.LessonError, match=key):
        lesson.from_lesson(bad)


# ---------------------------------------------------------------- ready-made lessons

def lesson_links(at: AppTest) -> list:
    return [el for el in at.main.get("page_link") if el.proto.query_string]


def test_home_lessons_are_page_links_with_every_setting_in_the_url():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    links = lesson_links(at)
    assert len(links) >= 4
    assert not any("](" in m.value for m in at.main.get("markdown"))   # no new-tab links
    by_path = {p.url_path: p for p in registry.PAGES}
    for link in links:
        params = {k: v[0] for k, v in parse_qs(link.proto.query_string).items()}
        assert set(params) <= set(store.URL_DEFAULTS), link.proto.label
        target = by_path[link.proto.page]
        opened = run_page(target.file, query=params)
        assert no_exception(opened), (link.proto.label, opened.exception)
        assert not [i.value for i in opened.info if "the link gave" in i.value], link.proto.label
        assert url(opened) == params, link.proto.label
        if "force z" in link.proto.label:          # lands with z forced, at a step after forcing
            assert target.key == "whatif" and opened.radio(key="wi_z").value == "1"
            np.testing.assert_array_equal(heatmap_z(charts(opened)["new_z"]), 1.0)
        if "Vanishing" in link.proto.label:        # opens at the vanishing-gradients section
            assert params.get("focus") == "vanishing" and target.key == "backprop"
            scripts = [h for h in opened.main.get("html") if "scrollIntoView" in h.proto.body]
            assert len(scripts) == 1 and '"vanishing"' in scripts[0].proto.body


def test_a_lesson_link_inside_the_session_applies_its_url():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.slider(key="hidden_size").set_value(5).run()
    at.switch_page(registry.get("gates").file).run()       # a plain link: the session's values
    assert at.session_state["hidden_size"] == 5
    for k in list(at.query_params):
        del at.query_params[k]
    at.query_params.update({"force_z": "1", "step": "3"})
    at.switch_page(WHATIF).run()                            # a lesson link: its URL, whole
    assert no_exception(at), at.exception
    assert at.session_state["hidden_size"] == store.DEFAULTS["hidden_size"]
    assert at.radio(key="wi_z").value == "1" and at.session_state["step"] == 3


# ---------------------------------------------------------------- focus

def test_focus_names_a_section_of_its_page():
    assert set(page.FOCUS) == set(store.VIEW_CHOICES["focus"]) - {""}
    for name, (key, anchor) in page.FOCUS.items():
        source = (ROOT / registry.get(key).file).read_text(encoding="utf-8")
        assert f'anchor="{anchor}"' in source, name
