"""The dictionary follows the text (issue #14, point 3): the tutorial's order 'hatM' belongs to a
text of exactly its characters; any other text gets its own characters, sorted, with no phantom
characters and no note; a teacher's explicit custom order still works, note included. And a size
slider whose range collapses stays in place, disabled, with the reason (point 8)."""
from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import gru_core as gc
from app_helpers import ROOT, TIMEOUT, charts, heatmap_z, run_page
from ui import lesson, registry

DATA = registry.get("data").file
GATES = registry.get("gates").file
# Published batch-1, step-1 update gate (tutorial-reference.md), typed here, not computed.
Z_PUBLISHED = [[.1791, .5943], [.6596, .5663]]


def dictionary(at: AppTest):
    """The Data page's dictionary table: (characters, counts in the text)."""
    for df in at.dataframe:
        if "count in text" in df.value.columns:
            return list(df.value["character"]), list(df.value["count in text"])
    raise AssertionError("no dictionary table")


def notes(at: AppTest) -> list[str]:
    return [m.value for m in list(at.info) + list(at.warning) + list(at.error)]


def dictionary_caption(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "characters in the dictionary" in m.value)


@pytest.mark.parametrize("text, chars, counts", [
    ("abcabcabcabc", ["a", "b", "c"], [4, 4, 4]),
    ("hello world", ["␣", "d", "e", "h", "l", "o", "r", "w"], [1, 1, 1, 1, 3, 2, 1, 1]),
    ("that hat", ["␣", "a", "h", "t"], [1, 2, 2, 3]),          # h, a, t but no M: sorted
])
def test_a_typed_text_gets_its_own_characters_sorted(text, chars, counts):
    at = run_page(DATA, query={"text": text})
    assert not at.exception
    assert dictionary(at) == (chars, counts)                  # no phantom h, a, t, M
    assert 0 not in dictionary(at)[1]
    caption = dictionary_caption(at)
    assert caption.startswith(f"{len(chars)} characters in the dictionary")
    assert "sorted order" in caption and "*auto*" in caption
    assert not any("custom order" in n for n in notes(at)), notes(at)
    assert "order" not in at.query_params and "custom_order" not in at.query_params


def test_a_typed_text_has_no_dead_one_hot_columns_and_no_custom_order_note_anywhere():
    at = run_page(GATES, query={"text": "abcabcabcabc"})
    assert not at.exception
    c = charts(at)
    x = heatmap_z(c["x_t"])
    assert x.shape == (2, 3)
    assert c["x_t"]["data"][0]["x"] == ["a", "b", "c"]
    assert x.sum(axis=0).tolist() == [2, 0, 0]                # both rows read "abc": a at t = 1
    assert not any("custom order" in n for n in notes(at)), notes(at)


@pytest.mark.parametrize("text", [gc.TUTORIAL_TEXT, "MathMathMath", "hhaattMM"])
def test_the_tutorials_characters_get_the_tutorials_dictionary(text):
    at = run_page(DATA, query={"text": text})
    assert not at.exception
    assert dictionary(at)[0] == ["h", "a", "t", "M"]
    assert "the tutorial's order `hatM`" in dictionary_caption(at)
    assert not any("order" in n for n in notes(at)), notes(at)


def test_defaults_give_hatM_and_the_published_weights():
    at = run_page(GATES)
    assert not at.exception
    assert at.session_state["order"] == "auto"
    np.testing.assert_allclose(heatmap_z(charts(at)["z_t"]), Z_PUBLISHED, atol=2e-4)
    assert not notes(at), notes(at)


def test_tutorial_preset_after_a_typed_text_gives_hatM_and_the_published_weights():
    at = AppTest.from_file(str(ROOT / GATES), default_timeout=TIMEOUT).run()
    at.text_area(key="text").set_value("hello world").run()
    assert heatmap_z(charts(at)["x_t"]).shape[1] == 8
    at.button(key="preset").click().run()
    assert not at.exception
    assert charts(at)["x_t"]["data"][0]["x"] == ["h", "a", "t", "M"]
    np.testing.assert_allclose(heatmap_z(charts(at)["z_t"]), Z_PUBLISHED, atol=2e-4)


def test_an_explicit_custom_order_keeps_its_meaning_and_its_note():
    at = run_page(DATA, query={"order": "custom", "custom_order": "hatM", "text": "abcabcabcabc"})
    assert not at.exception
    assert dictionary(at) == (["h", "a", "t", "M", "b", "c"], [0, 4, 0, 0, 4, 4])
    assert "the custom order" in dictionary_caption(at)
    assert any("custom order does not list 2 character(s)" in n for n in notes(at)), notes(at)
    assert at.query_params["order"] == "custom"


def test_an_old_lesson_link_with_only_custom_order_still_means_that_order():
    at = run_page(DATA, query={"custom_order": "Mtah"})
    assert not at.exception
    assert dictionary(at)[0] == ["M", "t", "a", "h"]
    assert at.session_state["order"] == "custom"


def test_a_custom_order_typed_then_left_for_auto_reloads_as_auto():
    at = run_page(DATA, query={"order": "custom", "custom_order": "Mtah"})
    at.radio(key="order").set_value("auto").run()
    assert not at.exception
    assert at.query_params["order"] == "auto" and at.query_params["custom_order"] == "Mtah"
    again = run_page(DATA, query=dict(at.query_params))         # the address bar, reloaded
    assert again.session_state["order"] == "auto"
    assert dictionary(again)[0] == ["h", "a", "t", "M"]


def test_the_tutorial_text_with_an_explicit_hatM_order_gives_the_published_weights():
    at = run_page(GATES, query={"order": "custom", "custom_order": "hatM"})
    assert not at.exception
    np.testing.assert_allclose(heatmap_z(charts(at)["z_t"]), Z_PUBLISHED, atol=2e-4)
    assert not notes(at), notes(at)


@pytest.mark.parametrize("order", ["auto", "sorted", "first", "custom"])
def test_lesson_files_accept_every_order(order):
    settings = {"text": "hello world", "order": order, "custom_order": "hatM"}
    got = lesson.from_lesson({"format": lesson.FORMAT, "version": lesson.VERSION, "page": DATA,
                              "batch": 1, "step": 1, "settings": settings, "weights": None})
    assert got["settings_dict"]["order"] == order
    chars = lesson.lesson_vocabulary(got["settings_dict"])
    assert chars == {"auto": tuple(" dehlorw"), "sorted": tuple(" dehlorw"),
                     "first": tuple("helo wrd"), "custom": tuple("hatMelo wrd")}[order]


# ---------------------------------------------------------------- point 8: controls never vanish

def test_a_collapsed_slider_stays_disabled_with_its_reason_and_comes_back():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.slider(key="batch_size").set_value(16).run()           # 20 characters: S can only be 1
    assert not at.exception
    s = at.select_slider(key="seq_len")
    assert s.disabled and s.value == 1 and s.label == "Sequence length S"
    reason = [c.value for c in at.sidebar.caption if c.value.startswith("S = 1 only")]
    assert reason == ["S = 1 only: with B = 16, one batch needs B·S + 1 characters and the text "
                      "has 20. Lower B or type a longer text to choose S."]
    at.slider(key="batch_size").set_value(2).run()
    assert not at.exception and not at.select_slider
    assert at.slider(key="seq_len").value == 3 and not at.slider(key="seq_len").disabled


def test_a_two_character_text_disables_both_batch_and_sequence_sliders():
    at = run_page("app.py", query={"text": "ab"})
    assert not at.exception
    assert {w.key: (w.disabled, w.value) for w in at.select_slider} == {
        "batch_size": (True, 1), "seq_len": (True, 1)}
    assert at.slider(key="hidden_size").value == 2
    reasons = [c.value for c in at.sidebar.caption if " only: " in c.value]
    assert reasons == [
        "B = 1 only: one batch needs B·S + 1 characters and the text has 2. Type a longer text "
        "to choose B.",
        "S = 1 only: one batch needs B·S + 1 characters and the text has 2. Type a longer text "
        "to choose S."]                                        # B is 1 already: not "lower B"
