"""Runnable Python that reproduces the app's run of batch 1, without gru_core.

    numpy_snippet(params, text, vocab_chars, batch_size, seq_len, config, layout) -> str
    torch_snippet(...)                                                             -> str

The weights are embedded as Python lists of floats (repr round-trips every float64 exactly), the
batch-1 rows of the text as string literals (repr escapes any character), and the snippet defines
`h` (S, B, H): the hidden state after every time step of batch 1, from h_0 = 0, plus `y_hat`
(S, B, V). The NumPy snippet needs only NumPy; the PyTorch one needs torch (torch.nn.GRU when
the convention is torch's own, reset "after" with update "keep"; an explicit loop otherwise).
"""
from __future__ import annotations

import numpy as np

from .batches import make_batches
from .gru import GRUConfig
from .params import Params, to_torch_state_dict
from .vocab import Vocab


def _literal(values) -> str:
    """An array as a Python list literal, one matrix row per line, every float exact."""
    a = np.asarray(values, dtype=np.float64)
    if a.ndim == 1:
        return repr([float(v) for v in a])
    rows = ",\n    ".join(repr([float(v) for v in row]) for row in a)
    return f"[\n    {rows},\n]"


def _batch1_rows(text: str, vocab_chars, batch_size: int, seq_len: int, layout: str) -> list[str]:
    vocab = Vocab(tuple(vocab_chars))
    batches = make_batches(vocab.encode(text), vocab.size, batch_size, seq_len, layout)
    return [vocab.decode(batches.row_ids(0, b)) for b in range(batch_size)]


def _header(config: GRUConfig, layout: str, library: str) -> str:
    rule = "h = z*h_prev + (1-z)*h~" if config.update == "keep" else "h = (1-z)*h_prev + z*h~"
    return (
        f'"""GRU Matrix Lab: batch 1 of the current run, recomputed with {library} alone.\n\n'
        f"Convention: reset {config.reset} (U_h), update {config.update!r} "
        f"({rule}).\n"
        f"Rows are the batch-1 sequences of the text ({layout!r} layout); h starts at zeros.\n"
        f'"""\n')


def _data(rows, vocab_chars) -> str:
    return (f"chars = {list(vocab_chars)!r}   # the dictionary: row i of every W_* is chars[i]\n"
            f"rows = {list(rows)!r}   # batch 1, one string per batch row\n")


def _numpy_weights(params: Params) -> str:
    return "\n".join(f"{name} = np.array({_literal(value)})" for name, value in params.items())


def numpy_snippet(params: Params, text: str, vocab_chars, batch_size: int, seq_len: int,
                  config: GRUConfig, layout: str = "tutorial") -> str:
    """NumPy source defining h (S, B, H) and y_hat (S, B, V) for batch 1, and printing h."""
    rows = _batch1_rows(text, vocab_chars, batch_size, seq_len, layout)
    if config.reset == "before":
        cand = "h_tilde = np.tanh(x @ W_h + (r * h_prev) @ U_h + b_h)     # reset before U_h"
    else:
        cand = "h_tilde = np.tanh(x @ W_h + b_h + r * (h_prev @ U_h + b_hn))   # reset after U_h"
    if config.update == "keep":
        upd = "h_t = z * h_prev + (1 - z) * h_tilde                      # z keeps the old state"
    else:
        upd = "h_t = (1 - z) * h_prev + z * h_tilde                      # z takes the candidate"
    return f"""{_header(config, layout, "NumPy")}
import numpy as np

{_data(rows, vocab_chars)}
{_numpy_weights(params)}

index = {{c: i for i, c in enumerate(chars)}}
S, B, V, H = len(rows[0]), len(rows), len(chars), W_z.shape[1]
X = np.zeros((S, B, V))                        # one-hot inputs, (time step, row, vocabulary)
for b, row in enumerate(rows):
    for t, c in enumerate(row):
        X[t, b, index[c]] = 1.0


def sigmoid(a):
    return 0.5 + 0.5 * np.tanh(0.5 * a)        # = 1 / (1 + exp(-a)), without overflow


h_prev = np.zeros((B, H))
h = np.zeros((S, B, H))
y_hat = np.zeros((S, B, V))
for t in range(S):
    x = X[t]                                   # (B, V)
    z = sigmoid(x @ W_z + h_prev @ U_z + b_z)  # update gate
    r = sigmoid(x @ W_r + h_prev @ U_r + b_r)  # reset gate
    {cand}
    {upd}
    logits = h_t @ W_y + b_y
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    y_hat[t] = e / e.sum(axis=1, keepdims=True)
    h[t] = h_prev = h_t

np.set_printoptions(precision=4, suppress=True)
print("h (S, B, H):")
print(h)
"""


def torch_snippet(params: Params, text: str, vocab_chars, batch_size: int, seq_len: int,
                  config: GRUConfig, layout: str = "tutorial") -> str:
    """PyTorch source defining h (S, B, H) and y_hat (S, B, V) as float64 tensors for batch 1."""
    rows = _batch1_rows(text, vocab_chars, batch_size, seq_len, layout)
    state = to_torch_state_dict(params)
    tensors = "\n".join(f"    {name!r}: torch.tensor({_literal(v)}, dtype=torch.float64),"
                        for name, v in state.items())
    head = f"""{_header(config, layout, "PyTorch")}
import torch

{_data(rows, vocab_chars)}
# torch.nn.GRU's layout: gates stacked r, z, n; weights are (3H, V) and (3H, H).
state = {{
{tensors}
}}
W_y = torch.tensor({_literal(params.W_y)}, dtype=torch.float64)   # output layer (H, V)
b_y = torch.tensor({_literal(params.b_y)}, dtype=torch.float64)

index = {{c: i for i, c in enumerate(chars)}}
S, B, V, H = len(rows[0]), len(rows), len(chars), state["weight_hh_l0"].shape[1]
X = torch.zeros(S, B, V, dtype=torch.float64)  # one-hot inputs, (time step, row, vocabulary)
for b, row in enumerate(rows):
    for t, c in enumerate(row):
        X[t, b, index[c]] = 1.0
"""
    if config.reset == "after" and config.update == "keep":
        body = """
# This convention (reset after U_h, z keeps the old state) is exactly torch.nn.GRU.
gru = torch.nn.GRU(input_size=V, hidden_size=H).double()
gru.load_state_dict(state)
with torch.no_grad():
    h, h_last = gru(X, torch.zeros(1, B, H, dtype=torch.float64))   # h: (S, B, H)
"""
    else:
        cand = ("n = torch.tanh(x @ W_in.T + b_in + (r * h_prev) @ W_hn.T)          # reset before"
                if config.reset == "before" else
                "n = torch.tanh(x @ W_in.T + b_in + r * (h_prev @ W_hn.T + b_hn))   # reset after")
        upd = ("h_t = z * h_prev + (1 - z) * n" if config.update == "keep"
               else "h_t = (1 - z) * h_prev + z * n          # z takes the candidate")
        body = f"""
# torch.nn.GRU computes reset "after" with update "keep" only; this convention
# (reset {config.reset}, update {config.update!r}) needs the loop written out with the same weights.
W_ir, W_iz, W_in = state["weight_ih_l0"].chunk(3)
W_hr, W_hz, W_hn = state["weight_hh_l0"].chunk(3)
b_ir, b_iz, b_in = state["bias_ih_l0"].chunk(3)
b_hr, b_hz, b_hn = state["bias_hh_l0"].chunk(3)
h_prev = torch.zeros(B, H, dtype=torch.float64)
steps = []
for t in range(S):
    x = X[t]
    r = torch.sigmoid(x @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)
    {cand}
    {upd}
    steps.append(h_t)
    h_prev = h_t
h = torch.stack(steps)                          # (S, B, H)
"""
    tail = """
y_hat = torch.softmax(h @ W_y + b_y, dim=-1)    # (S, B, V)
torch.set_printoptions(precision=4, sci_mode=False)
print("h (S, B, H):")
print(h)
"""
    return head + body + tail
