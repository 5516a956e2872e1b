"""The sidebar, the URL and the run: defaults reproduce the tutorial, URL values are restored
or clamped with a note, values survive a page switch, and bad text gives a message."""
import numpy as np
import pytest

from app_helpers import charts, heatmap_z, run_page
from ui import registry

GATES = registry.get("gates").file
# Published batch-1, step-1 gates (tutorial-reference.md), typed here, not computed.
Z_PUBLISHED = [[.1791, .5943], [.6596, .5663]]
R_PUBLISHED = [[.6041, .5664], [.2635, .3628]]


def messages(at):
    return [m.value for m in list(at.info) + list(at.warning) + list(at.error)]


def test_defaults_are_the_tutorial():
    at = run_page(GATES)
    assert not at.exception
    c = charts(at)
    np.testing.assert_allclose(heatmap_z(c["z_t"]), Z_PUBLISHED, atol=2e-4)
    np.testing.assert_allclose(heatmap_z(c["r_t"]), R_PUBLISHED, atol=2e-4)
    assert at.session_state["text"] == "MathMathMathMathMath"


def test_home_page_shows_the_tutorial_loss():
    at = run_page("app.py")
    assert not at.exception
    assert "1.2602" in [m.value for m in at.metric]


def test_url_parameters_set_the_controls():
    at = run_page(GATES, query={"text": "hello world", "batch_size": "3", "seq_len": "2",
                                "hidden_size": "5", "reset": "after", "order": "sorted",
                                "weights": "random", "step": "2"})
    assert not at.exception
    assert at.slider(key="batch_size").value == 3
    assert at.slider(key="hidden_size").value == 5
    assert at.session_state["reset"] == "after"
    assert heatmap_z(charts(at)["z_t"]).shape == (3, 5)
    assert at.session_state["step"] == 2


@pytest.mark.parametrize("query, key, expected", [
    ({"batch_size": "999"}, "batch_size", 16),
    ({"hidden_size": "-4"}, "hidden_size", 1),
    ({"seq_len": "1e99"}, "seq_len", 9),           # (20 - 1) // 2
    ({"seq_len": "nan"}, "seq_len", 3),
    ({"hidden_size": "abc"}, "hidden_size", 2),
    ({"batch_size": "2.7"}, "batch_size", 2),
])
def test_bad_url_numbers_are_clamped_with_a_note(query, key, expected):
    at = run_page(GATES, query=query)
    assert not at.exception
    assert at.slider(key=key).value == expected
    assert any(key in m for m in messages(at)), messages(at)


def test_bad_url_choice_is_replaced_with_a_note():
    at = run_page(GATES, query={"reset": "<script>alert(1)</script>", "layout": "sideways"})
    assert not at.exception
    assert at.session_state["reset"] == "before" and at.session_state["layout"] == "tutorial"
    assert any("reset" in m for m in messages(at)) and any("layout" in m for m in messages(at))


def test_values_survive_a_page_switch():
    at = run_page("app.py", state={"hidden_size": 5, "weights": "random", "batch_size": 3})
    assert not at.exception
    at.switch_page(GATES).run()
    assert not at.exception
    assert at.slider(key="hidden_size").value == 5
    assert heatmap_z(charts(at)["z_t"]).shape == (3, 5)


@pytest.mark.parametrize("key, value", [("batch_size", 3), ("seq_len", 5), ("hidden_size", 4)])
def test_each_slider_changes_the_plotted_numbers(key, value):
    at = run_page(GATES, state={"weights": "random"})
    before = heatmap_z(charts(at)["z_t"])
    at.slider(key=key).set_value(value).run()
    assert not at.exception
    after = heatmap_z(charts(at)["z_t"])
    assert after.shape != before.shape or not np.allclose(after, before)


def test_changing_the_seed_changes_random_weights():
    at = run_page(GATES, state={"weights": "random"})
    before = heatmap_z(charts(at)["W_z"])
    at.number_input(key="seed").set_value(7).run()
    assert not np.allclose(heatmap_z(charts(at)["W_z"]), before)


def test_tutorial_preset_restores_everything():
    at = run_page(GATES, state={"text": "something else", "hidden_size": 7, "reset": "after"})
    at.button(key="preset").click().run()
    assert not at.exception
    assert at.session_state["text"] == "MathMathMathMathMath"
    np.testing.assert_allclose(heatmap_z(charts(at)["z_t"]), Z_PUBLISHED, atol=2e-4)


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("aaaaaaa", "one distinct character"),
])
def test_bad_text_gives_a_message_not_a_traceback(text, fragment):
    at = run_page(GATES, state={"text": text})
    assert not at.exception
    assert any(fragment in m for m in messages(at)), messages(at)
    assert not at.get("plotly_chart")


def test_text_too_short_for_the_sizes_is_clamped():
    at = run_page(GATES, state={"text": "abcab", "batch_size": 2, "seq_len": 3})
    assert not at.exception
    assert at.slider(key="seq_len").value == 2           # (5 - 1) // 2
    assert any("seq_len" in m for m in messages(at))


@pytest.mark.parametrize("text", ["héllo wörld", "😀🙂😀🙃😀🙂", "你好世界你好世界", "שלום עולם שלום",
                                  "a\u200bb\u200bc\x00d"])
def test_unicode_works(text):
    at = run_page(GATES, state={"text": text, "batch_size": 1, "seq_len": 2, "weights": "random"})
    assert not at.exception
    assert not at.error
    assert "z_t" in charts(at)


def test_html_and_markdown_in_the_text_are_shown_literally():
    text = "<b>bold</b> **md** $x^2$ <script>alert(1)</script>"
    at = run_page(GATES, state={"text": text, "weights": "random"})
    assert not at.exception
    rendered = " ".join(m.value for m in list(at.markdown) + list(at.caption))
    assert "<b>" not in rendered and "<script>" not in rendered
    ticks = charts(at)["x_t"]["data"][0]["x"]
    assert "&lt;" in ticks and "<" not in ticks


def test_trained_weights_of_another_vocabulary_of_the_same_size_are_not_shown():
    """Rows of W belong to characters: weights trained on 'abcd' must not be drawn under the
    characters of 'hatM' just because both vocabularies have 4 characters."""
    import gru_core as gc
    from ui.store import MODEL_KEY, Model
    trained = gc.init_params(4, 2, seed=123)

    def model(chars):
        return Model(trained, tuple(chars), gc.TUTORIAL_CONFIG, "trained", "trained on 'abcd'")
    state = {"weights": "trained", MODEL_KEY: model("abcd")}
    at = run_page(GATES, state=state)
    assert not at.exception
    assert not np.allclose(heatmap_z(charts(at)["W_z"]), trained.W_z)
    assert any("another vocabulary" in m for m in messages(at)), messages(at)
    at = run_page(GATES, state={**state, MODEL_KEY: model("hatM")})
    np.testing.assert_allclose(heatmap_z(charts(at)["W_z"]), trained.W_z)
