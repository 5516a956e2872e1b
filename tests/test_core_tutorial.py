"""The engine reproduces the published tutorial numbers (Part 1 and Part 2).

Expected values are typed from shared/notes/tutorial-reference.md, never
computed with gru_core.
"""

import numpy as np
import pytest

import gru_core
from gru_core import GRUConfig, Vocab, make_batches

import reference_gru as ref

TOL = 2e-4  # the published weights are rounded to 4 decimals

TEXT = "MathMathMathMathMath"
ORDER = "hatM"

# Published values, batch 1, first time step.
PUB_Z = [[0.1791, 0.5943], [0.6596, 0.5663]]
PUB_R = [[0.6041, 0.5664], [0.2635, 0.3628]]
PUB_HT = [[0.9215, -0.8557], [-0.3979, -0.4705]]
PUB_H = [[0.7565, -0.3472], [-0.1355, -0.2040]]
PUB_LOGITS = [[0.5295, -0.4269, -0.3876, -0.1264], [-0.1709, -0.1072, 0.2379, -0.2115]]
PUB_PROBS = [[0.4342, 0.1669, 0.1735, 0.2254], [0.2207, 0.2352, 0.3322, 0.2119]]
PUB_TERM3 = [1.6710, 1.3337, 0.7760]
PUB_LOSS = 1.2602


@pytest.fixture(scope="module")
def vocab():
    return Vocab.from_text(TEXT, order=ORDER)


@pytest.fixture(scope="module")
def batches(vocab):
    return make_batches(vocab.encode(TEXT), vocab.size, batch_size=2, seq_len=3,
                        layout="tutorial")


@pytest.fixture(scope="module")
def trace1(batches):
    cfg = GRUConfig(reset="before", update="keep")
    return gru_core.forward(gru_core.tutorial_params(), batches.X[0], None, cfg)


def rows_text(vocab, batches, n):
    return [vocab.decode(batches.x_ids[n, :, b]) for b in range(batches.batch_size)]


# ------------------------------------------------------------ constants

def test_tutorial_constants():
    assert gru_core.TUTORIAL_TEXT == TEXT
    assert gru_core.TUTORIAL_ORDER == ORDER


def test_tutorial_params_equal_published_numbers():
    p = gru_core.tutorial_params()
    for name, value in ref.TUTORIAL_WEIGHTS.items():
        np.testing.assert_allclose(getattr(p, name), np.array(value), rtol=0, atol=1e-12,
                                   err_msg=name)
    for name, size in (("b_z", 2), ("b_r", 2), ("b_h", 2), ("b_y", 4), ("b_hn", 2)):
        np.testing.assert_array_equal(getattr(p, name), np.zeros(size), err_msg=name)
    assert p.vocab_size == 4 and p.hidden_size == 2


# ------------------------------------------------------------ vocabulary and batches

def test_vocab_uses_custom_order(vocab):
    assert vocab.chars == ("h", "a", "t", "M")
    assert vocab.index == {"h": 0, "a": 1, "t": 2, "M": 3}
    assert vocab.size == 4
    np.testing.assert_array_equal(vocab.encode("Math"), [3, 1, 2, 0])
    assert vocab.decode([3, 1, 2, 0]) == "Math"


def test_vocab_one_hot(vocab):
    oh = vocab.one_hot(vocab.encode("Mat"))
    np.testing.assert_array_equal(oh, [[0, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0]])


def test_batch_shapes(batches):
    assert batches.X.shape == (3, 3, 2, 4)
    assert batches.Y.shape == (3, 3, 2, 4)
    assert batches.x_ids.shape == (3, 3, 2)
    assert batches.y_ids.shape == (3, 3, 2)
    assert batches.num_batches == 3
    assert (batches.seq_len, batches.batch_size, batches.vocab_size) == (3, 2, 4)
    assert batches.layout == "tutorial"


def test_batch_rows_match_tutorial(vocab, batches):
    assert rows_text(vocab, batches, 0) == ["Mat", "hMa"]
    assert rows_text(vocab, batches, 1) == ["thM", "ath"]
    assert rows_text(vocab, batches, 2) == ["Mat", "hMa"]


def test_targets_are_inputs_shifted_by_one(vocab, batches):
    targets = [[vocab.decode(batches.y_ids[n, :, b]) for b in range(2)] for n in range(3)]
    assert targets == [["ath", "Mat"], ["hMa", "thM"], ["ath", "Mat"]]


def test_one_hot_tensors_match_ids(batches):
    np.testing.assert_array_equal(batches.X, ref.onehot(batches.x_ids, 4))
    np.testing.assert_array_equal(batches.Y, ref.onehot(batches.y_ids, 4))
    # batch 1, time step 1: rows 'M' and 'h'
    np.testing.assert_array_equal(batches.X[0, 0], [[0, 0, 0, 1], [1, 0, 0, 0]])


def test_sample_starts_and_row_ids(batches):
    np.testing.assert_array_equal(batches.sample_starts, [[0, 3], [6, 9], [12, 15]])
    np.testing.assert_array_equal(batches.row_ids(1, 0), [2, 0, 3])  # "thM"


def test_leftovers(vocab, batches):
    # chars 18 ('t') and 19 ('h') are never inputs; 18 is used only as a target.
    np.testing.assert_array_equal(batches.leftover_ids, vocab.encode("th"))
    assert batches.y_ids[-1, -1, -1] == vocab.index["t"]


def test_streams_layout_rows_continue_their_own_text():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 5, size=53)
    S, B = 4, 3
    bt = make_batches(ids, 5, batch_size=B, seq_len=S, layout="streams")
    num_samples = (len(ids) - 1) // S
    N = num_samples // B
    assert bt.num_batches == N and bt.X.shape == (N, S, B, 5)
    for n in range(N):
        for b in range(B):
            k = b * N + n
            np.testing.assert_array_equal(bt.x_ids[n, :, b], ids[k * S:k * S + S])
            np.testing.assert_array_equal(bt.y_ids[n, :, b], ids[k * S + 1:k * S + S + 1])
            assert bt.sample_starts[n, b] == k * S
            np.testing.assert_array_equal(bt.row_ids(n, b), ids[k * S:k * S + S])
            if n + 1 < N:
                # row b of batch n+1 starts right where row b of batch n ended
                assert bt.sample_starts[n + 1, b] == bt.sample_starts[n, b] + S
                assert bt.x_ids[n + 1, 0, b] == ids[bt.sample_starts[n, b] + S]
                assert bt.x_ids[n + 1, 0, b] == bt.y_ids[n, -1, b]


def test_streams_layout_on_tutorial_text(vocab):
    bt = make_batches(vocab.encode(TEXT), 4, batch_size=2, seq_len=3, layout="streams")
    assert [[vocab.decode(bt.x_ids[n, :, b]) for b in range(2)] for n in range(3)] == \
        [["Mat", "ath"], ["hMa", "Mat"], ["thM", "hMa"]]


# ------------------------------------------------------------ forward, batch 1, step 1

@pytest.mark.parametrize("field,published", [
    ("z", PUB_Z), ("r", PUB_R), ("h_tilde", PUB_HT), ("h", PUB_H),
    ("logits", PUB_LOGITS), ("probs", PUB_PROBS)])
def test_first_step_matches_published(trace1, field, published):
    np.testing.assert_allclose(getattr(trace1, field)[0], published, atol=TOL, rtol=0)


def test_int_ids_input_gives_same_forward(batches, trace1):
    cfg = GRUConfig(reset="before", update="keep")
    tr = gru_core.forward(gru_core.tutorial_params(), batches.x_ids[0], None, cfg)
    np.testing.assert_allclose(tr.probs, trace1.probs, rtol=0, atol=1e-14)


def test_max_trick_equals_plain_softmax(trace1):
    lg = trace1.logits
    plain = np.exp(lg) / np.exp(lg).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(trace1.probs, plain, rtol=1e-12, atol=1e-15)


def test_whole_batch_matches_reference(batches, trace1):
    tr = ref.forward(ref.tutorial_weights(), batches.X[0], reset="before", update="keep")
    for field in ("z", "r", "h_tilde", "h", "logits", "probs"):
        np.testing.assert_allclose(getattr(trace1, field), tr[field], rtol=0, atol=1e-12,
                                   err_msg=field)


# ------------------------------------------------------------ cross-entropy (Part 2)

def test_cross_entropy_terms_match_published(batches, trace1):
    ce = gru_core.cross_entropy(trace1.probs, batches.Y[0])
    assert ce.term1.shape == (3, 2, 4)
    assert ce.term2.shape == (3, 2)
    np.testing.assert_allclose(ce.term3, PUB_TERM3, atol=TOL, rtol=0)
    assert abs(ce.loss - PUB_LOSS) < TOL
    # the batch loss equals the mean over all S*B positions
    assert abs(ce.loss - float(np.mean(-ce.term2))) < 1e-12


def test_cross_entropy_accepts_int_targets(batches, trace1):
    a = gru_core.cross_entropy(trace1.probs, batches.Y[0]).loss
    b = gru_core.cross_entropy(trace1.probs, batches.y_ids[0]).loss
    assert abs(a - b) < 1e-14


def test_run_batches_carries_hidden_state(batches):
    cfg = GRUConfig(reset="before", update="keep")
    traces = gru_core.run_batches(gru_core.tutorial_params(), batches, cfg)
    assert len(traces) == 3
    P = ref.tutorial_weights()
    h = np.zeros((2, 2))
    for n, tr in enumerate(traces):
        expected = ref.forward(P, batches.X[n], h, reset="before", update="keep")
        np.testing.assert_allclose(tr.h0, h, rtol=0, atol=1e-12)
        np.testing.assert_allclose(tr.h, expected["h"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(tr.probs, expected["probs"], rtol=0, atol=1e-12)
        h = expected["h"][-1]
    # batch 2 does not start from zeros
    assert np.abs(traces[1].h0).max() > 0.01
