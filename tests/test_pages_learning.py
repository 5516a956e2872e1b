"""AppTest of the learning pages: 7 Training and sampling, 8 Gate explorer, and ui/texts.py.

Every number a test checks is recomputed here with gru_core directly (never through ui.compute).
Training runs in a worker thread (ui/training.py), so a click on Train returns at once; the
tests wait for the job and run the page again to collect it, exactly as the page's 0.5 s
fragment does in the browser.
"""
from __future__ import annotations

import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import gru_core as gc
from tests.app_helpers import ROOT, TIMEOUT, charts, decode, heatmap_z, no_exception
from ui import plots
from ui.texts import UPLOAD_LIMIT, decode_upload
from ui import registry

TRAIN = registry.get("training").file
EXPLORE = registry.get("explorer").file
GATES = registry.get("gates").file
SONNETS = (ROOT / "data" / "sonnets.txt").read_text(encoding="utf-8")


def app(path: str, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    for k, v in (state or {}).items():
        at.session_state[k] = v
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def finish_training(at: AppTest, timeout: float = 120) -> AppTest:
    """Wait for the background job, then run the page once more (it collects the result)."""
    if "train_job" in at.session_state:
        assert at.session_state["train_job"].wait(timeout), "training did not finish in time"
    return at.run()


def train(at: AppTest) -> AppTest:
    at.button(key="train_go").click().run()
    assert no_exception(at), at.exception
    return finish_training(at)


# ---------------------------------------------------------------- the text choice (ui/texts.py)

def test_sonnets_are_bundled_and_long_enough():
    assert 5000 <= len(SONNETS) <= 8000
    assert SONNETS.startswith("I\n\nFrom fairest creatures we desire increase,")
    assert "Shall I compare thee to a summer's day?" in SONNETS
    assert "Let me not to the marriage of true minds" in SONNETS


@pytest.mark.parametrize("data, needle", [
    (b"abc\x00def", "binary"),
    (b"caf\xe9 au lait", "not UTF-8"),
    (b"\xff\xfea\x00b", "cannot be decoded as UTF-16"),    # a BOM, then an odd byte count
    (b"a" * (UPLOAD_LIMIT + 1), "limit is 200 KB"),
    (b"   \n\n ", "empty"),
    (b"zzzz", "single character"),
])
def test_decode_upload_rejects_with_a_message(data, needle):
    text, error = decode_upload(data, "The file")
    assert text is None and needle in error


def test_decode_upload_accepts_utf8_with_bom_and_crlf():
    text, error = decode_upload("\ufeffÉté\r\nnaïve\rfin".encode("utf-8"))
    assert error is None and text == "Été\nnaïve\nfin"


@pytest.mark.parametrize("name, data, needle", [
    ("binary.txt", bytes(range(256)) * 4, "binary"),
    ("latin1.txt", "Großvater café".encode("latin-1"), "not UTF-8"),
    ("huge.txt", b"ab" * (UPLOAD_LIMIT // 2 + 10), "limit is 200 KB"),
])
@pytest.mark.parametrize("path", [TRAIN, EXPLORE])
def test_bad_upload_gives_a_message_not_an_exception(path, name, data, needle):
    at = app(path, {"learn_source": "upload"}).run()
    assert no_exception(at)
    at.file_uploader(key="learn_upload").set_value((name, data, "text/plain"))
    at.run()
    assert no_exception(at), at.exception
    assert any(needle in e for e in errors(at)), errors(at)
    assert not at.get("plotly_chart")                    # nothing to draw without a text


def test_good_upload_is_used_and_shared_between_pages():
    body = "the cat sat on the mat. " * 40
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(EXPLORE)
    at.session_state["learn_source"] = "upload"
    at.run()
    at.file_uploader(key="learn_upload").set_value(("cat.txt", body.encode(), "text/plain"))
    at.run()
    assert no_exception(at) and not errors(at)
    assert any("uploaded file cat" in c.value for c in at.caption)    # md_literal: cat\\.txt
    assert len(decode(charts(at)["explore_z"]["data"][0]["x"])) == 100
    at.switch_page(TRAIN).run()                       # no file in this page's uploader: kept text
    assert no_exception(at) and not errors(at)
    assert any(f"{len(body):,} characters" in c.value for c in at.caption)


# ---------------------------------------------------------------- training page

def test_training_page_defaults():
    at = app(TRAIN).run()
    assert no_exception(at) and not errors(at)
    assert "train_go" in [b.key for b in at.button]
    assert at.button(key="train_stop_button").disabled          # nothing to stop yet
    assert "sample_probs" in charts(at)                           # sampling from initial weights


@pytest.mark.parametrize("state", [
    # smallest everything: two characters, B = S = 1, SGD with a huge rate and no clipping
    {"text": "ab", "batch_size": 1, "seq_len": 1, "hidden_size": 1, "train_optimizer": "sgd",
     "train_lr": 1.0, "train_clip_kind": "none", "train_epochs": 1, "train_loss": "l2"},
    # largest batches the sonnets allow, norm clipping with a tiny threshold, tutorial layout
    {"learn_source": "sonnets", "train_batch": 64, "train_seq": 100, "hidden_size": 32,
     "train_clip_kind": "norm", "train_clip": 0.01, "train_lr": 0.0001, "train_epochs": 2,
     "train_layout": "tutorial"},
    # a rate that explodes: SGD, lr 1, no clipping, L2 and the "after"/"take" convention
    {"train_optimizer": "sgd", "train_lr": 1.0, "train_clip_kind": "none", "train_epochs": 30,
     "reset": "after", "update": "take", "hidden_size": 32, "weights": "random"},
    # weights "trained" in the sidebar before any training
    {"weights": "trained", "train_epochs": 1},
])
def test_training_page_extremes(state):
    at = train(app(TRAIN, state).run())
    assert no_exception(at), at.exception
    assert not errors(at), errors(at)
    info = at.session_state["model"].training
    assert info.steps >= 1 and np.isfinite(info.history).all()
    assert {"loss_curve", "delta_W_z", "delta_U_h", "delta_W_y", "sample_probs"} <= set(charts(at))


def test_sizes_too_large_for_the_text_give_a_message():
    at = app(TRAIN, {"learn_source": "upload"}).run()
    at.file_uploader(key="learn_upload").set_value(("short.txt", b"abcabcabc", "text/plain"))
    at.run()
    assert no_exception(at)
    assert any("cannot be cut into batches" in e for e in errors(at)), errors(at)
    assert at.button(key="train_go").disabled


def test_training_lowers_the_loss_and_the_weights_reach_the_gates_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(TRAIN).run()
    assert no_exception(at)
    at = train(at)
    info = at.session_state["model"].training
    assert info.steps == 100 * 3                                   # 100 epochs of 3 batches
    assert info.history[-1] < 0.25 * info.history[0]
    # the same training, independently: Part 1's text, dictionary, weights and sizes; streams
    text = gc.TUTORIAL_TEXT
    vocab = gc.Vocab.from_text(text, gc.TUTORIAL_ORDER)
    batches = gc.make_batches(vocab.encode(text), vocab.size, 2, 3, "streams")
    ref = gc.train(gc.tutorial_params(), batches, gc.GRUConfig("before", "keep"), optimizer="adam",
                   lr=0.01, epochs=100, clip=5.0, clip_kind="value", loss="ce")
    trained = at.session_state["model"].params
    for name, arr in ref.params.items():
        np.testing.assert_allclose(getattr(trained, name), arr, rtol=1e-12, atol=1e-12)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Last loss"] == f"{ref.history[-1]:.4f}"
    spec = charts(at)["delta_W_z"]
    np.testing.assert_allclose(heatmap_z(spec), ref.params.W_z - gc.tutorial_params().W_z, atol=1e-12)

    at.button(key="train_show_everywhere").click().run()
    assert at.session_state["weights"] == "trained"
    at.switch_page(GATES).run()
    assert no_exception(at) and not errors(at)
    plotted = heatmap_z(charts(at)["W_z"])
    np.testing.assert_allclose(plotted, ref.params.W_z, atol=1e-12)
    assert not np.allclose(plotted, gc.tutorial_params().W_z)


def test_stop_keeps_the_weights_trained_so_far():
    state = {"learn_source": "sonnets", "hidden_size": 32, "train_epochs": 500}
    at = app(TRAIN, state).run()
    at.button(key="train_go").click().run()
    job = at.session_state["train_job"]
    assert not job.done and not at.button(key="train_stop_button").disabled
    time.sleep(0.5)
    at.button(key="train_stop_button").click().run()             # on_click sets the stop flag
    assert no_exception(at), at.exception
    assert at.session_state["train_stop"] is True
    assert job.done and "train_job" not in at.session_state
    info = at.session_state["model"].training
    assert info.stopped and 0 < info.steps == info.run_steps < info.run_total == 500 * info.num_batches
    assert any("weights of those" in w.value for w in at.warning)
    # the same number of steps, independently: the kept weights are exactly those of step k
    vocab = gc.Vocab.from_text(SONNETS)
    batches = gc.make_batches(vocab.encode(SONNETS), vocab.size, 16, 25, "streams")
    done = []
    ref = gc.train(gc.init_params(vocab.size, 32, seed=0), batches, gc.GRUConfig("before", "keep"),
                   optimizer="adam", lr=0.01, epochs=500, clip=5.0, clip_kind="value",
                   callback=done.append, should_stop=lambda: len(done) >= info.steps)
    assert ref.steps == info.steps
    for name, arr in ref.params.items():
        np.testing.assert_allclose(getattr(at.session_state["model"].params, name), arr, atol=1e-12)
    np.testing.assert_allclose(info.history, ref.history, atol=1e-12)


def test_sampling_is_reproducible_with_a_seed():
    state = {"train_epochs": 100, "sample_primer": "Ma", "sample_len": 60, "sample_seed": 7,
             "sample_temperature": 1.5}
    at = train(app(TRAIN, state).run())
    sampled = at.code[1].value
    params = at.session_state["model"].params
    vocab = gc.Vocab.from_text(gc.TUTORIAL_TEXT, gc.TUTORIAL_ORDER)
    ref = gc.sample(params, vocab, "Ma", 60, gc.GRUConfig("before", "keep"), temperature=1.5, seed=7)
    assert at.code[0].value == "Ma" and sampled == ref.text
    grid = heatmap_z(charts(at)["sample_probs"]).ravel()
    np.testing.assert_allclose(grid[:60], ref.probs, atol=1e-12)
    assert np.isnan(grid[60:]).all()
    assert at.run().code[1].value == sampled                       # same seed: same text
    at.number_input(key="sample_seed").set_value(8).run()
    assert at.code[1].value == gc.sample(params, vocab, "Ma", 60, gc.GRUConfig("before", "keep"),
                                         temperature=1.5, seed=8).text
    at.toggle(key="sample_greedy").set_value(True).run()
    greedy = at.code[1].value
    assert greedy == gc.sample(params, vocab, "Ma", 60, greedy=True).text
    at.text_input(key="sample_primer").set_value("Mx<b>").run()    # unknown characters
    assert no_exception(at)
    assert any("not in the vocabulary" in e for e in errors(at)), errors(at)


# ---------------------------------------------------------------- gate explorer

def test_explorer_defaults():
    at = app(EXPLORE).run()
    assert no_exception(at) and not errors(at)
    assert {"explore_z", "explore_r", "explore_h", "explore_unit_trace"} <= set(charts(at))


@pytest.mark.parametrize("window, start", [(100, 201), (200, 1), (50, 99999)])
def test_explorer_has_one_column_per_character(window, start):
    state = {"learn_source": "sonnets", "hidden_size": 5, "seed": 3, "explore_window": window,
             "explore_start": start, "explore_unit": "h5"}
    at = app(EXPLORE, state).run()
    assert no_exception(at) and not errors(at)
    a = min(start, len(SONNETS) - window + 1) - 1
    chars = SONNETS[a:a + window]
    vocab = gc.Vocab.from_text(SONNETS)
    tr = gc.forward(gc.init_params(vocab.size, 5, seed=3), vocab.encode(SONNETS)[:, None])
    specs = charts(at)
    for name in ("z", "r", "h"):
        spec = specs[f"explore_{name}"]
        z = heatmap_z(spec)
        assert z.shape == (5, window)                              # one column per character
        np.testing.assert_allclose(z, getattr(tr, name)[a:a + window, 0].T, atol=1e-12)
        assert list(decode(spec["data"][0]["x"])) == list(range(a + 1, a + window + 1))
        assert spec["layout"]["xaxis"]["ticktext"] == plots.char_labels(chars)
        assert "character %{customdata}" in spec["data"][0]["hovertemplate"]
    trace = specs["explore_unit_trace"]["data"]
    np.testing.assert_allclose(decode(trace[2]["y"]), tr.h[a:a + window, 0, 4], atol=1e-12)
    by_char = heatmap_z(specs["explore_unit_by_char"])               # unit h5, per character read
    ids = vocab.encode(SONNETS)
    for q, row in zip("zrh", by_char):
        values = getattr(tr, q)[:, 0, 4]
        expected = [values[ids == v].mean() for v in range(vocab.size)]
        np.testing.assert_allclose(row, expected, atol=1e-12)


def test_explorer_paging_and_tiny_text():
    at = app(EXPLORE, {"learn_source": "sonnets"}).run()
    at.button(key="explore_next").click().run()
    assert at.session_state["explore_start"] == 101
    at.button(key="explore_prev").click().run()
    assert at.session_state["explore_start"] == 1 and at.button(key="explore_prev").disabled
    at = app(EXPLORE, {"text": "ab", "batch_size": 1, "seq_len": 1, "explore_window": 200}).run()
    assert no_exception(at) and not errors(at)
    assert heatmap_z(charts(at)["explore_z"]).shape[1] == 2


def test_explorer_trained_and_initial_weights():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page(EXPLORE).run()
    at.radio(key="explore_weights").set_value("trained").run()
    assert any("No trained weights yet" in w.value for w in at.warning)
    at.switch_page(TRAIN).run()
    at = train(at)
    model = at.session_state["model"]
    at.switch_page(EXPLORE).run()
    assert at.session_state["explore_weights"] == "trained"
    ids = model.vocab.encode(gc.TUTORIAL_TEXT)[:, None]
    for which, params in (("trained", model.params), ("initial", gc.tutorial_params())):
        at.radio(key="explore_weights").set_value(which).run()
        assert no_exception(at) and not errors(at)
        z = heatmap_z(charts(at)["explore_z"])
        np.testing.assert_allclose(z, gc.forward(params, ids).z[:, 0].T, atol=1e-12)
    # the sonnets use characters the MathMath model never saw: a message, not an exception
    at.radio(key="explore_weights").set_value("trained")
    at.radio(key="learn_source").set_value("sonnets").run()
    assert no_exception(at)
    assert any("do not know" in e for e in errors(at)), errors(at)


def test_continue_training_joins_the_runs_and_keeps_the_first_initial_weights():
    at = train(app(TRAIN, {"train_epochs": 10}).run())
    first = at.session_state["model"].training
    at.radio(key="train_from").set_value("continue").run()
    at = train(at)
    info = at.session_state["model"].training
    assert info.runs == 2 and info.steps == 2 * first.steps == 60
    assert np.array_equal(info.history[:30], first.history) and info.epoch_ends[-1] == 60
    model = at.session_state["model"]
    assert model.initial.equals(gc.tutorial_params())               # "before" = before any training
    text = gc.TUTORIAL_TEXT
    vocab = gc.Vocab.from_text(text, gc.TUTORIAL_ORDER)
    batches = gc.make_batches(vocab.encode(text), vocab.size, 2, 3, "streams")
    one = gc.train(gc.tutorial_params(), batches, optimizer="adam", lr=0.01, epochs=10)
    two = gc.train(one.params, batches, optimizer="adam", lr=0.01, epochs=10)
    for name, arr in two.params.items():
        np.testing.assert_allclose(getattr(model.params, name), arr, atol=1e-12)
    np.testing.assert_allclose(heatmap_z(charts(at)["delta_W_h"]),
                               two.params.W_h - gc.tutorial_params().W_h, atol=1e-12)


def test_the_primer_is_chosen_anew_for_another_vocabulary():
    at = train(app(TRAIN, {"train_epochs": 1, "learn_source": "sonnets"}).run())
    at.text_input(key="sample_primer").set_value("Shall").run()
    assert at.code[0].value == "Shall"
    at.radio(key="learn_source").set_value("sidebar").run()
    at = train(at)              # new weights, the vocabulary 'hatM': "Shall" does not fit it
    assert no_exception(at), at.exception
    assert not any("not in the vocabulary" in e for e in errors(at)), errors(at)
    assert at.text_input(key="sample_primer").value == "M"      # the text's first character
    at.text_input(key="sample_primer").set_value("Mat").run()
    assert at.run().text_input(key="sample_primer").value == "Mat"     # kept while it fits
    at.text_input(key="sample_primer").set_value("Mx").run()            # typed: told, not reset
    assert any("not in the vocabulary" in e for e in errors(at)), errors(at)
