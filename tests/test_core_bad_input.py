"""Bad input raises ValueError with a message that helps; unicode text works."""

import numpy as np
import pytest

import gru_core
from gru_core import GRUConfig, Params, Vocab, make_batches

import reference_gru as ref


def good_params(V=4, H=2, seed=0):
    return ref.random_params(V, H, np.random.default_rng(seed))


# ------------------------------------------------------------ vocabulary

@pytest.mark.parametrize("order", [None, "sorted", "first"])
def test_empty_text(order):
    with pytest.raises(ValueError, match="(?i)empty"):
        Vocab.from_text("", order=order)


def test_one_distinct_character():
    with pytest.raises(ValueError, match="(?i)distinct|2|two"):
        Vocab.from_text("aaaa")


def test_custom_order_missing_a_character():
    # the message names the missing 'M' (not just the M of "Missing")
    with pytest.raises(ValueError, match=r"(?<![A-Za-z])M(?![a-z])"):
        Vocab.from_text("MathMath", order="hat")


def test_custom_order_repeating_a_character():
    with pytest.raises(ValueError, match="(?i)repeat|twice|duplicat|more than once|once"):
        Vocab.from_text("MathMath", order="hatMa")


def test_custom_order_may_have_extra_characters():
    v = Vocab.from_text("MathMath", order="hatMx")
    assert v.chars == ("h", "a", "t", "M", "x")


def test_default_and_first_orders():
    assert Vocab.from_text("MathMath").chars == tuple(sorted("Math"))
    assert Vocab.from_text("MathMath", order="sorted").chars == tuple(sorted("Math"))
    assert Vocab.from_text("MathMath", order="first").chars == ("M", "a", "t", "h")


def test_encode_unknown_character():
    v = Vocab.from_text("MathMath")
    with pytest.raises(ValueError, match="§"):
        v.encode("Ma§h")


# ------------------------------------------------------------ batches

def test_text_too_short_for_batches_names_required_length():
    ids = np.array([0, 1, 2, 0, 1])
    with pytest.raises(ValueError, match="7") as exc:
        make_batches(ids, 3, batch_size=2, seq_len=3)
    assert "5" in str(exc.value)


def test_batch_size_too_large():
    ids = np.arange(20) % 4
    with pytest.raises(ValueError, match="41"):
        make_batches(ids, 4, batch_size=10, seq_len=4)


def test_seq_len_too_large():
    ids = np.arange(20) % 4
    with pytest.raises(ValueError, match="26"):
        make_batches(ids, 4, batch_size=1, seq_len=25)


def test_exactly_enough_text_works():
    ids = np.arange(7) % 3  # batch_size*seq_len + 1 = 7
    bt = make_batches(ids, 3, batch_size=2, seq_len=3)
    assert bt.num_batches == 1


@pytest.mark.parametrize("kw,word", [({"batch_size": 0, "seq_len": 3}, "batch"),
                                     ({"batch_size": -1, "seq_len": 3}, "batch"),
                                     ({"batch_size": 2, "seq_len": 0}, "seq")])
def test_nonpositive_batch_or_seq(kw, word):
    ids = np.arange(20) % 4
    with pytest.raises(ValueError, match="(?i)" + word):
        make_batches(ids, 4, **kw)


def test_unknown_layout():
    with pytest.raises(ValueError, match="(?i)layout|diagonal"):
        make_batches(np.arange(20) % 4, 4, batch_size=2, seq_len=3, layout="diagonal")


# ------------------------------------------------------------ params

def test_hidden_size_zero():
    with pytest.raises(ValueError, match="(?i)hidden"):
        gru_core.init_params(4, 0)


def test_vocab_size_one():
    with pytest.raises(ValueError, match="(?i)vocab"):
        gru_core.init_params(1, 3)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name", ["W_z", "U_h", "b_y", "b_hn"])
def test_non_finite_weights(name, bad):
    P = good_params()
    P[name] = P[name].copy()
    P[name].flat[0] = bad
    with pytest.raises(ValueError, match=name):
        Params(**P)


# Shapes chosen so that the faulty array is unambiguous whichever array the
# engine reads V and H from (wrong rank for W_z / W_y).
@pytest.mark.parametrize("name,shape", [("W_z", (4, 2, 1)), ("U_r", (2, 3)), ("b_h", (3,)),
                                        ("W_y", (2, 4, 1)), ("b_y", (3,)), ("b_hn", (2, 1))])
def test_wrong_weight_shapes(name, shape):
    P = good_params()
    P[name] = np.zeros(shape)
    with pytest.raises(ValueError, match=name):
        Params(**P)


def test_replace_validates_too():
    p = Params(**good_params())
    with pytest.raises(ValueError, match="U_z"):
        p.replace(U_z=np.zeros((3, 3)))


def test_b_hn_defaults_to_zeros():
    P = good_params()
    del P["b_hn"]
    p = Params(**P)
    np.testing.assert_array_equal(p.b_hn, np.zeros(2))


# ------------------------------------------------------------ forward / config

def test_mismatched_X_vocab():
    p = Params(**good_params(V=4, H=2))
    with pytest.raises(ValueError):
        gru_core.forward(p, np.zeros((3, 2, 5)))


def test_mismatched_h0_shape():
    p = Params(**good_params(V=4, H=2))
    X, _ = ref.random_onehot(3, 2, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="h0"):
        gru_core.forward(p, X, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="h0"):
        gru_core.forward(p, X, np.zeros((3, 2)))


def test_X_wrong_rank():
    p = Params(**good_params(V=4, H=2))
    with pytest.raises(ValueError):
        gru_core.forward(p, np.zeros((2,)))
    with pytest.raises(ValueError):
        gru_core.forward(p, np.zeros((1, 2, 3, 4)))


def test_X_ids_out_of_range():
    p = Params(**good_params(V=4, H=2))
    with pytest.raises(ValueError):
        gru_core.forward(p, np.array([[0, 7], [1, 2]]))


@pytest.mark.parametrize("kw,word", [({"reset": "middle"}, "reset"),
                                     ({"update": "swap"}, "update"),
                                     ({"reset": ""}, "reset")])
def test_bad_config_strings(kw, word):
    with pytest.raises(ValueError, match=word):
        GRUConfig(**kw)


def test_bad_loss_name():
    p = Params(**good_params())
    X, _ = ref.random_onehot(2, 1, 4, np.random.default_rng(0))
    tr = gru_core.forward(p, X)
    with pytest.raises(ValueError):
        gru_core.backward(p, tr, X, loss="hinge")


# ------------------------------------------------------------ sample

@pytest.fixture
def vocab_and_params():
    v = Vocab.from_text("MathMath")
    return v, gru_core.init_params(v.size, 3, seed=0)


def test_sample_empty_primer(vocab_and_params):
    v, p = vocab_and_params
    with pytest.raises(ValueError, match="(?i)primer"):
        gru_core.sample(p, v, "", 5)


def test_sample_primer_not_in_vocab(vocab_and_params):
    v, p = vocab_and_params
    with pytest.raises(ValueError, match="§"):
        gru_core.sample(p, v, "Ma§", 5)


def test_sample_negative_n(vocab_and_params):
    v, p = vocab_and_params
    with pytest.raises(ValueError):
        gru_core.sample(p, v, "M", -1)


@pytest.mark.parametrize("temperature", [0.0, -1.0])
def test_sample_bad_temperature(vocab_and_params, temperature):
    v, p = vocab_and_params
    with pytest.raises(ValueError, match="(?i)temperature"):
        gru_core.sample(p, v, "M", 5, temperature=temperature)


# ------------------------------------------------------------ unicode end to end

@pytest.mark.parametrize("text", [
    "crème brûlée à la façon de Noël " * 2,
    "I 🧡 GRUs 🚀🚀 and 👩‍🔬 " * 2,
    "循环神经网络很有趣。门控循环单元。" * 2,
    "שלום עולם, זה מבחן של כתיבה מימין לשמאל. " * 2,
])
def test_unicode_end_to_end(text):
    v = Vocab.from_text(text)
    assert v.decode(v.encode(text)) == text
    assert set(v.chars) == set(text)
    assert all(len(c) == 1 for c in v.chars)
    bt = make_batches(v.encode(text), v.size, batch_size=2, seq_len=5)
    p = gru_core.init_params(v.size, 4, seed=0)
    tr = gru_core.forward(p, bt.X[0])
    ce = gru_core.cross_entropy(tr.probs, bt.Y[0])
    assert np.isfinite(ce.loss) and ce.loss > 0
    assert v.decode(bt.x_ids[0, :, 0]) == text[:5]
    res = gru_core.sample(p, v, text[:3], 5, seed=0)
    assert len(res.text) == 5 and set(res.text) <= set(text)
