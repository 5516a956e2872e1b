"""Pages 1 (Data & batches) and 5 (Loss): they run at the defaults and at every extreme, and what
they plot equals gru_core's numbers computed here independently (not through ui.compute)."""
import numpy as np
import pytest

import gru_core as gc
from app_helpers import cell_texts, charts, decode, heatmap_z, run_page, user_key
from ui import registry

DATA = registry.get("data").file
LOSS = registry.get("loss").file
PAGES = (DATA, LOSS)
LONG_TEXT = ("The quick brown fox jumps over the lazy dog; " * 50)[:2000]
HELLO = "hello world, hello moon, hello sun and stars"     # 44 characters, 3 batches of 3×4
LEFTOVER_COLUMNS = ("position", "character", "id", "used as")
MARKUP = "<b>x</b> **y** $z$"
# Published in the tutorial (tutorial-reference.md), typed here, not computed.
TERM3_PUBLISHED = [1.6710, 1.3337, 0.7760]
LOSS_PUBLISHED = "1.2602"


def expected(text=gc.TUTORIAL_TEXT, batch_size=2, seq_len=3, hidden_size=2, order="hatM",
             layout="tutorial", weights="tutorial"):
    """Batches, traces and losses straight from gru_core with the app's default convention."""
    vocab = gc.Vocab.from_text(text, None if order == "sorted" else order)
    batches = gc.make_batches(vocab.encode(text), vocab.size, batch_size, seq_len, layout)
    params = (gc.tutorial_params() if weights == "tutorial"
              else gc.init_params(vocab.size, hidden_size, seed=0))
    traces = gc.run_batches(params, batches, gc.GRUConfig("before", "keep"))
    ce = [gc.cross_entropy(tr.probs, Y) for tr, Y in zip(traces, batches.Y)]
    l2 = [gc.l2_loss(tr.probs, Y) for tr, Y in zip(traces, batches.Y)]
    return vocab, batches, traces, ce, l2


def batches_ids(text):
    """The ids under the default order "auto": 'hatM' for exactly its characters, else sorted."""
    vocab = gc.Vocab.from_text(text, "hatM" if set(text) == set("hatM") else "".join(sorted(set(text))))
    return vocab.encode(text).tolist()


def grid(c: dict, name: str, S: int) -> np.ndarray:
    """The per-time-step heatmaps x_1 .. x_S (or y_...) stacked into (S, B, V)."""
    return np.stack([heatmap_z(c[f"{name}_{t + 1}"]) for t in range(S)])


def frame_with(at, *columns, exact=False):
    """The first st.dataframe whose columns include all `columns` (exact: are exactly them)."""
    for df in at.dataframe:
        cols = list(df.value.columns)
        if (cols == list(columns)) if exact else all(col in cols for col in columns):
            return df.value
    raise AssertionError(f"no table with columns {columns}")


def markdown_texts(at) -> list[str]:
    """Everything rendered as Markdown: markdown, captions, headings, alerts, metric labels."""
    out = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning",
                 "success", "error"):
        out += [str(el.value) for el in at.get(kind)]
    out += [m.label for m in at.metric]
    return out


# ---------------------------------------------------------------- runs everywhere

EXTREMES = {
    "defaults": {},
    "batch_size max": {"batch_size": 16, "seq_len": 1},
    "seq_len max (B=2)": {"seq_len": 9},
    "seq_len max (B=1)": {"batch_size": 1, "seq_len": 19},
    "hidden_size 32": {"hidden_size": 32},
    "text ab": {"text": "ab"},
    "long text": {"text": LONG_TEXT},
    "long text, largest sizes": {"text": LONG_TEXT, "batch_size": 16, "seq_len": 32,
                                 "hidden_size": 32},
    "streams": {"layout": "streams"},
    "streams, long text": {"layout": "streams", "text": LONG_TEXT, "batch_size": 5},
    "reset after, take": {"reset": "after", "update": "take"},
    "markup text": {"text": MARKUP},
    "last batch": {"batch": 3},
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("state", EXTREMES.values(), ids=EXTREMES.keys())
def test_page_runs(page, state):
    at = run_page(page, state)
    assert not at.exception, at.exception
    assert not at.error
    assert charts(at), "no chart drawn"


def test_long_text_draws_only_the_selected_batch():
    at = run_page(DATA, {"text": LONG_TEXT})
    c = charts(at)
    assert at.session_state["batch"] == 1
    assert sorted(k for k in c if k.startswith("x_")) == ["x_1", "x_2", "x_3"]
    matrices = [k for k in c if not k.startswith("row_")]          # not the figures holding them
    assert len(matrices) == 6                        # X and Y of one batch, S = 3 each
    _, batches, *_ = expected(LONG_TEXT, order="sorted", weights="random")
    assert batches.num_batches == 333 and at.slider(key="batch").max == 333
    left = frame_with(at, *LEFTOVER_COLUMNS, exact=True)            # 333 · 2 · 3 = 1998 used
    assert list(left["position"]) == [1999, 2000]            # counted from 1
    assert list(left["character"]) == [LONG_TEXT[1998].replace(" ", "␣"), LONG_TEXT[1999].replace(" ", "␣")]
    ids = frame_with(at, "position", "character", "id", "batch", "row", "used as", exact=True)
    assert list(ids["id"]) == batches_ids(LONG_TEXT)


def test_every_step_is_drawn_only_while_its_expander_is_open_and_always_offered():
    state = {"text": LONG_TEXT, "batch_size": 4, "seq_len": 20}
    for opened in (False, True):
        at = run_page(DATA, {**state, "every_step_open": opened})
        drawn = charts(at)
        assert ("row_x_1" in drawn) is opened                      # folded: not sent at all
        assert {"step_x", "step_y", "batch_chars"} <= set(drawn)    # the current step's
        (label,) = [e.label for e in at.expander if e.label.startswith("Download")]
        assert label == "Download the 42 matrices on this page"     # x_t, y_t, X[1], Y[1]


def test_large_seq_len_draws_one_tensor_at_a_time():
    state = {"text": LONG_TEXT, "batch_size": 4, "seq_len": 20, "every_step_open": True}
    c = charts(run_page(DATA, state))
    assert len([k for k in c if k.startswith("x_")]) == 20 and not any(k.startswith("y_") for k in c)
    c = charts(run_page(DATA, {**state, "tensor_shown": "Y: targets"}))
    assert len([k for k in c if k.startswith("y_")]) == 20 and not any(k.startswith("x_") for k in c)


# ---------------------------------------------------------------- the tutorial's numbers

def test_tutorial_preset_shows_the_published_loss_and_term3():
    at = run_page(LOSS)
    metrics = {m.label: m.value for m in at.metric}
    ce_metric = [v for k, v in metrics.items() if k.startswith("Cross-entropy L of batch 1")]
    assert ce_metric == [LOSS_PUBLISHED]
    spec = charts(at)["term3"]
    np.testing.assert_allclose(heatmap_z(spec)[:, 0], TERM3_PUBLISHED, atol=2e-4)
    shown = [float(s) for s in np.ravel(cell_texts(spec["data"][0]["text"]))]   # numbers in the cells
    np.testing.assert_allclose(shown, TERM3_PUBLISHED, atol=2e-4)


def test_tutorial_batches_and_leftovers():
    at = run_page(DATA)
    samples = frame_with(at, "sample", "input text", "target text")
    assert list(samples["input text"]) == ["Mat", "hMa", "thM", "ath", "Mat", "hMa"]
    assert list(samples["start"]) == [1, 4, 7, 10, 13, 16]      # positions counted from 1
    left = frame_with(at, *LEFTOVER_COLUMNS, exact=True)
    assert list(left["position"]) == [19, 20]
    assert list(left["character"]) == ["t", "h"]
    assert list(left["used as"]) == ["target only", "unused"]
    assert any("never used" in t for t in markdown_texts(at))
    dictionary = frame_with(at, "id", "character", "code point")
    assert list(dictionary["character"]) == ["h", "a", "t", "M"]


def test_single_leftover_is_only_a_target():
    at = run_page(DATA, {"text": "abcdefg", "order": "sorted"})   # 2 samples of 3: 6 used
    left = frame_with(at, *LEFTOVER_COLUMNS, exact=True)
    assert list(left["position"]) == [7] and list(left["used as"]) == ["target only"]
    assert any("no character is left unused" in t for t in markdown_texts(at))


# ---------------------------------------------------------------- plotted = gru_core

@pytest.mark.parametrize("state, kwargs", [
    ({}, {}),
    ({"batch": 2}, {}),
    ({"layout": "streams", "batch": 2}, {"layout": "streams"}),
    ({"text": HELLO, "order": "sorted", "batch_size": 3, "seq_len": 4,
      "batch": 3}, {"text": HELLO, "order": "sorted", "batch_size": 3, "seq_len": 4,
                    "weights": "random"}),
])
def test_one_hot_tensor_equals_make_batches(state, kwargs):
    at = run_page(DATA, state)
    assert not at.exception
    vocab, batches, *_ = expected(**kwargs)
    n, S = state.get("batch", 1) - 1, batches.seq_len
    c = charts(at)
    np.testing.assert_array_equal(grid(c, "x", S), batches.X[n])
    np.testing.assert_array_equal(grid(c, "y", S), batches.Y[n])
    assert c["x_1"]["data"][0]["x"] == [ch.replace(" ", "␣") for ch in vocab.chars]
    rows = [vocab.decode(batches.row_ids(n, b)) for b in range(batches.batch_size)]
    assert c["x_1"]["data"][0]["y"] == [f"{b}: " + r.replace(" ", "␣")
                                        for b, r in enumerate(rows, start=1)]


def test_streams_layout_continues_rows_and_tutorial_layout_jumps():
    tut = run_page(DATA)
    assert any("jumps from position 3 to position 7" in e.value for e in tut.warning)
    carry = frame_with(tut, "row", "continues?")
    assert all(v.startswith("no") for v in carry["continues?"])
    streams = run_page(DATA, {"layout": "streams"})
    assert any("Active layout: **streams**" in s.value for s in streams.info)
    assert any("continues row 1 of batch 1" in s.value for s in streams.success)
    carry = frame_with(streams, "row", "continues?")
    assert list(carry["continues?"]) == ["yes", "yes"]
    codes = [c.value for c in streams.code]
    assert codes[-3:] == ["Mat", "hMa", "hMa"]      # batch 1 row 1, the text after it, batch 2 row 1


LOSS_CASES = [
    ({}, {}),
    ({"batch": 3}, {}),
    ({"seq_len": 2}, {"seq_len": 2}),
    ({"text": HELLO, "order": "sorted", "batch_size": 3, "seq_len": 4,
      "hidden_size": 5, "weights": "random", "batch": 2},
     {"text": HELLO, "order": "sorted", "batch_size": 3, "seq_len": 4,
      "hidden_size": 5, "weights": "random"}),
    ({"text": LONG_TEXT, "order": "sorted", "batch_size": 8, "seq_len": 5, "hidden_size": 4,
      "weights": "random", "batch": 7},
     {"text": LONG_TEXT, "order": "sorted", "batch_size": 8, "seq_len": 5, "hidden_size": 4,
      "weights": "random"}),
]


@pytest.mark.parametrize("state, kwargs", LOSS_CASES)
def test_plotted_terms_equal_cross_entropy(state, kwargs):
    at = run_page(LOSS, state)
    assert not at.exception
    _, batches, traces, ce, l2 = expected(**kwargs)
    n = state.get("batch", 1) - 1
    S, B, V = batches.X.shape[1:]
    c = charts(at)
    np.testing.assert_allclose(heatmap_z(c["term2"]), ce[n].term2, rtol=1e-12)
    np.testing.assert_allclose(heatmap_z(c["term3"])[:, 0], ce[n].term3, rtol=1e-12)
    np.testing.assert_allclose(heatmap_z(c["term1"]), ce[n].term1.reshape(S * B, V), rtol=1e-12)
    np.testing.assert_allclose(heatmap_z(c["y_hat"]), traces[n].probs.reshape(S * B, V), rtol=1e-12)
    np.testing.assert_array_equal(heatmap_z(c["y"]), batches.Y[n].reshape(S * B, V))
    np.testing.assert_allclose(heatmap_z(c["l2_position"]), l2[n].per_position, rtol=1e-12)
    np.testing.assert_allclose(heatmap_z(c["l2_step"])[:, 0], l2[n].per_step, rtol=1e-12)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[f"Cross-entropy L of batch {n + 1} = mean of term3"] == f"{ce[n].loss:.4f}"
    assert metrics[f"L2 cost of batch {n + 1} = mean over positions"] == f"{l2[n].loss:.4f}"
    curve = c["loss_by_batch"]["data"]
    np.testing.assert_allclose(decode(curve[0]["y"]), [x.loss for x in ce], rtol=1e-12)
    np.testing.assert_allclose(decode(curve[1]["y"]), [x.loss for x in l2], rtol=1e-12)


def test_one_batch_has_no_curve_but_a_note():
    at = run_page(LOSS, {"batch_size": 8, "seq_len": 2})
    assert "loss_by_batch" not in charts(at)
    assert any("single batch" in i.value for i in at.info)


# ---------------------------------------------------------------- sliders change the numbers

@pytest.mark.parametrize("key, other", [("seq_len", 2), ("batch_size", 3)])
def test_changing_a_slider_changes_the_data_page(key, other):
    before = charts(run_page(DATA))
    after = charts(run_page(DATA, {key: other}))
    assert not np.array_equal(heatmap_z(before["x_1"]), heatmap_z(after["x_1"]))
    assert sum(k.startswith("x_") for k in after) == (other if key == "seq_len" else 3)


@pytest.mark.parametrize("key, other", [("seq_len", 2), ("batch_size", 3), ("hidden_size", 3)])
def test_changing_a_slider_changes_the_loss_page(key, other):
    before = charts(run_page(LOSS))
    after = charts(run_page(LOSS, {key: other}))
    for name in ("term2", "term3", "y_hat"):
        a, b = heatmap_z(before[name]), heatmap_z(after[name])
        assert a.shape != b.shape or not np.allclose(a, b), name


# ---------------------------------------------------------------- user text stays text

@pytest.mark.parametrize("page", PAGES)
def test_markup_in_the_text_is_shown_literally(page):
    at = run_page(page, {"text": MARKUP, "order": "first"})
    assert not at.exception
    for text in markdown_texts(at):
        for raw in ("<b>", "**y**", "$z$"):
            assert raw not in text, (raw, text)
    for spec in charts(at).values():
        for trace in spec["data"]:
            for axis in ("x", "y"):
                ticks = trace.get(axis)
                if isinstance(ticks, list):
                    assert not any("<b>" in str(t) for t in ticks), ticks
    if page == DATA:
        codes = " ".join(c.value for c in at.code)
        assert "<b>" in codes                               # row 1 reads "<b>", shown as code
        chars = list(frame_with(at, "id", "character", "code point")["character"])
        assert chars[:3] == ["<", "b", ">"] and "*" in chars and "$" in chars
        assert any("&lt;b&gt;" in str(t) for t in charts(at)["x_1"]["data"][0]["y"])
    else:
        positions = list(frame_with(at, "position", "target")["position"])
        assert positions[0] == "t1 · 1: <b>"                # the table shows it as data
        assert "t1 · 1: &lt;b&gt;" in charts(at)["term1"]["data"][0]["y"]


def test_largest_sizes_show_the_current_step_and_fold_every_step():
    """B = 16, S = 32 drew 32 heatmaps of 16 × V one under another (a 12,000 px page): the page
    now shows the current step's x_t and y_t (the stepper moves it), the batch as the
    characters its rows read, and every step's heatmap in a folded expander, sent once it is
    opened."""
    state = {"text": LONG_TEXT, "batch_size": 16, "seq_len": 32, "hidden_size": 32, "step": 5}
    at = run_page(DATA, state)
    assert not at.exception, at.exception
    vocab, batches, *_ = expected(LONG_TEXT, 16, 32, 32, order="sorted", weights="random")
    n, t = 0, 4
    c = charts(at)
    np.testing.assert_array_equal(heatmap_z(c["step_x"]), batches.X[n, t])
    np.testing.assert_array_equal(heatmap_z(c["step_y"]), batches.Y[n, t])
    text = cell_texts(c["batch_chars"]["data"][0]["text"])
    assert len(text) == 16 and all(len(row) == 32 for row in text)
    for b in range(16):
        row = LONG_TEXT[int(batches.sample_starts[n, b]):int(batches.sample_starts[n, b]) + 32]
        assert "".join(text[b]) == row.replace(" ", "␣")
    (folded,) = [e for e in at.expander if e.label.startswith("Every time step")]
    assert not folded.proto.expanded and not folded.get("plotly_chart")    # sent once opened
    assert {user_key(el) for el in at.get("plotly_chart")} == {"step_x", "step_y", "batch_chars"}
    at = run_page(DATA, {**state, "every_step_open": True})
    (opened,) = [e for e in at.expander if e.label.startswith("Every time step")]
    inside = {user_key(el) for el in opened.get("plotly_chart")}
    assert inside == {"row_x_1"}                                # the 32 steps, in one figure
    c = charts(at)
    np.testing.assert_array_equal(grid(c, "x", 32), batches.X[n])   # every number still there
    outside = [el for el in at.get("plotly_chart") if user_key(el) not in inside]
    assert {user_key(el) for el in outside} == {"step_x", "step_y", "batch_chars"}
