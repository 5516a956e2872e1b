"""The GRU's equations in LaTeX, for the chosen convention and with the live shapes.

Row vectors as in the tutorial's code: x_t is (B × V), h is (B × H), W is (V × H), U is (H × H).
"""
from __future__ import annotations

import numpy as np

from gru_core import GRUConfig
from gru_core.explain import num


def shape(rows, cols) -> str:
    return rf"\scriptstyle ({rows}\times {cols})"


def gate(name: str, B: int, V: int, H: int) -> str:
    """z or r: σ(x_t W + h_{t-1} U + b)."""
    return (rf"{name}_t = \sigma\big(\underbrace{{x_t W_{name}}}_{{{shape(B, V)}\,{shape(V, H)}}}"
            rf" + \underbrace{{h_{{t-1}} U_{name}}}_{{{shape(B, H)}\,{shape(H, H)}}}"
            rf" + \underbrace{{b_{name}}}_{{{shape(1, H)}}}\big)"
            rf"\quad {shape(B, H)}")


def candidate(config: GRUConfig) -> str:
    if config.reset == "before":
        return r"\tilde h_t = \tanh\big(x_t W_h + (r_t \odot h_{t-1})\, U_h + b_h\big)"
    return r"\tilde h_t = \tanh\big(x_t W_h + b_h + r_t \odot (h_{t-1} U_h + b_{hn})\big)"


def update(config: GRUConfig) -> str:
    if config.update == "keep":
        return r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t"
    return r"h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t"


def candidate_note(config: GRUConfig) -> str:
    if config.reset == "before":
        return ("Reset **before** the product, as the tutorial's code, Cho et al. (2014) and d2l do: "
                "r scales h_(t−1) first, then U_h mixes it.")
    return ("Reset **after** the product, as torch.nn.GRU, cuDNN and the tutorial's figures do: "
            "U_h mixes h_(t−1) first (plus its own bias b_hn), then r scales the result.")


def update_note(config: GRUConfig) -> str:
    if config.update == "keep":
        return "z near 1 **keeps** the old state; z near 0 takes the candidate (tutorial Part 1, PyTorch)."
    return "z near 1 **takes** the candidate; z near 0 keeps the old state (the NumPy chapter's convention)."


OUTPUT = r"\hat y_t = \operatorname{softmax}(h_t W_y + b_y),\quad \operatorname{softmax}(a)_v = \frac{e^{a_v - \max a}}{\sum_u e^{a_u - \max a}}"
CE_TERMS = (r"\text{term}_1 = y \odot \log \hat y,\quad \text{term}_2 = \sum_v \text{term}_1,"
            r"\quad \text{term}_3 = -\tfrac{1}{B}\sum_b \text{term}_2,\quad "
            r"L = \tfrac{1}{S}\sum_t \text{term}_3")
L2 = r"L_2 = \frac{1}{S B}\sum_{t,b} \tfrac12 \lVert \hat y_{t,b} - y_{t,b} \rVert^2"


# ---------------------------------------------------------------- backprop through time
# δX stands for ∂L/∂X, a matrix of the same shape as X (row vectors, as above).

def bptt_output(loss: str, B: int, V: int, S: int) -> str:
    """dL/dy_linear for cross-entropy or L2 (y_linear = h_t W_y + b_y, before the softmax)."""
    if loss == "ce":
        return (rf"\delta y^{{\mathrm{{lin}}}}_t = \frac{{1}}{{S B}}\big(\hat y_t - y_t\big)"
                rf"\quad {shape(B, V)},\qquad S B = {S * B}")
    return (rf"g_t = \frac{{1}}{{S B}}\big(\hat y_t - y_t\big),\qquad "
            rf"\delta y^{{\mathrm{{lin}}}}_t = \hat y_t \odot \Big(g_t - \textstyle\sum_v g_{{t,v}}\,"
            rf"\hat y_{{t,v}}\Big)\quad {shape(B, V)}")


def bptt_dh(B: int, V: int, H: int) -> str:
    """dL/dh_t: what the output at t says plus what step t+1 sends back."""
    return (rf"\delta h_t = \underbrace{{\delta y^{{\mathrm{{lin}}}}_t\, W_y^\top}}_{{\text{{output at }}t"
            rf"\;{shape(B, V)}\,{shape(V, H)}}} + \underbrace{{\delta h_t^{{(t+1)}}}}_{{\text{{sent back by "
            rf"step }}t+1\;(0\text{{ at }}t=S)}}\quad {shape(B, H)}")


def bptt_update(config: GRUConfig) -> str:
    """Through h_t's update rule: to z, to h̃ and straight to h_{t-1}."""
    if config.update == "keep":
        return (r"\delta z_t = \delta h_t \odot (h_{t-1} - \tilde h_t),\quad "
                r"\delta \tilde h_t = \delta h_t \odot (1 - z_t),\quad "
                r"\text{direct} = \delta h_t \odot z_t")
    return (r"\delta z_t = \delta h_t \odot (\tilde h_t - h_{t-1}),\quad "
            r"\delta \tilde h_t = \delta h_t \odot z_t,\quad "
            r"\text{direct} = \delta h_t \odot (1 - z_t)")


def bptt_candidate(config: GRUConfig) -> list[str]:
    """Through tanh and the reset gate (before or after U_h)."""
    lines = [r"\delta a_{h,t} = \delta \tilde h_t \odot (1 - \tilde h_t^{\,2})\qquad (\tanh')"]
    if config.reset == "before":
        lines.append(r"\delta(r_t \odot h_{t-1}) = \delta a_{h,t}\, U_h^\top,\quad "
                     r"\delta r_t = \delta(r_t \odot h_{t-1}) \odot h_{t-1},\quad "
                     r"\text{via }\tilde h = \delta(r_t \odot h_{t-1}) \odot r_t")
    else:
        lines.append(r"q_t = h_{t-1} U_h + b_{hn},\quad \delta q_t = \delta a_{h,t} \odot r_t,\quad "
                     r"\delta r_t = \delta a_{h,t} \odot q_t,\quad "
                     r"\text{via }\tilde h = \delta q_t\, U_h^\top")
    return lines


BPTT_GATES = (r"\delta a_{z,t} = \delta z_t \odot z_t (1 - z_t),\qquad "
              r"\delta a_{r,t} = \delta r_t \odot r_t (1 - r_t)\qquad (\sigma')")
BPTT_PREV = (r"\delta h_{t-1} = \underbrace{\text{direct}}_{\text{update rule}} + "
             r"\underbrace{\delta a_{z,t}\, U_z^\top}_{\text{via } z} + "
             r"\underbrace{\delta a_{r,t}\, U_r^\top}_{\text{via } r} + \text{via }\tilde h")


def bptt_weights(config: GRUConfig) -> list[str]:
    """Each weight's gradient: a sum over time of (input)ᵀ (pre-activation gradient)."""
    u_h = (r"\delta U_h = \sum_t (r_t \odot h_{t-1})^\top \delta a_{h,t}" if config.reset == "before"
           else r"\delta U_h = \sum_t h_{t-1}^\top \delta q_t,\quad \delta b_{hn} = \sum_t \sum_b \delta q_t")
    return [
        r"\delta W_g = \sum_{t=1}^{S} x_t^\top \delta a_{g,t},\quad "
        r"\delta U_g = \sum_{t=1}^{S} h_{t-1}^\top \delta a_{g,t},\quad "
        r"\delta b_g = \sum_{t=1}^{S} \sum_b \delta a_{g,t}\qquad g \in \{z, r\}",
        r"\delta W_h = \sum_t x_t^\top \delta a_{h,t},\quad " + u_h +
        r",\quad \delta b_h = \sum_t \sum_b \delta a_{h,t}",
        r"\delta W_y = \sum_t h_t^\top \delta y^{\mathrm{lin}}_t,\quad "
        r"\delta b_y = \sum_t \sum_b \delta y^{\mathrm{lin}}_t",
    ]


def bptt_clip(kind: str) -> str:
    if kind == "value":
        return r"g \leftarrow \min\big(\max(g, -c),\, c\big)\quad\text{element by element}"
    return (r"g \leftarrow g \cdot \frac{c}{\max(c, \lVert g \rVert)},\quad "
            r"\lVert g \rVert = \sqrt{\textstyle\sum_{\text{all parameters}} \sum g^2}")


# ---------------------------------------------------------------- the drawn cell's nodes
# One node's equation in vector form with the step's values in place (The GRU cell page):
# every matrix is the trace's, at most CELL_ROWS × CELL_COLS of it written out. No user text:
# a character is named by its vocabulary index.

CELL_ROWS, CELL_COLS = 4, 4     # written out whole up to this size; else all but the last row
                                # (column) of it, then ⋮ (⋯)


def cut(shape) -> bool:
    """Whether a matrix of this shape is written out in part."""
    rows, cols = np.atleast_2d(np.zeros(shape)).shape
    return rows > CELL_ROWS or cols > CELL_COLS


def _matrix(a) -> str:
    """A (B, H) array as a LaTeX bmatrix of 4-decimal numbers, cut with ⋯ / ⋮ when large."""
    a = np.atleast_2d(np.asarray(a, dtype=float))
    rows, cols = a.shape
    r = rows if rows <= CELL_ROWS else CELL_ROWS - 1
    c = cols if cols <= CELL_COLS else CELL_COLS - 1
    lines = []
    for i in range(r):
        cells = [num(v) for v in a[i, :c]] + ([r"\cdots"] if cols > c else [])
        lines.append(" & ".join(cells))
    if rows > r:
        lines.append(" & ".join([r"\vdots"] * c + ([r"\ddots"] if cols > c else [])))
    return r"\begin{bmatrix}" + r" \\ ".join(lines) + r"\end{bmatrix}"


def _lines(symbols: str, *numbers: str) -> str:
    """The symbols on the first line, each "= the numbers" on its own line, aligned at "="."""
    left, _, right = symbols.partition(" = ")
    first = rf"{left} &= {right}" if right else rf"{left} &"
    rest = "".join(rf" \\ &= {n}" for n in numbers)
    return rf"\begin{{aligned}}{first}{rest}\end{{aligned}}"


def cell_node(node: str, config: GRUConfig, trace, t: int) -> str:
    """The node's equation, symbols on the first line, then the numbers of time step t
    (0-based) of `trace` (a gru_core.Trace) in place: e.g. z_t = σ(x_t W_z + h_{t-1} U_z + b_z)
    / = σ([..] + [..] + [..]) = σ([..]) = [..]."""
    m = lambda name: _matrix(getattr(trace, name)[t])      # noqa: E731
    keep, before = config.update == "keep", config.reset == "before"
    big = cut(trace.h.shape[1:])

    def terms_then(terms: str, last: str) -> tuple[str, ...]:
        """The terms, then what they give: on one line, or two when the matrices are cut."""
        return (terms, last) if big else (f"{terms} = {last}",)

    if node in ("z", "r"):
        g = node
        return _lines(rf"{g}_t = \sigma(x_t W_{g} + h_{{t-1}} U_{g} + b_{g})",
                      *terms_then(rf"\sigma\big({m(g + '_in')} + {m(g + '_rec')} + "
                                  rf"{m(g + '_bias')}\big)",
                                  rf"\sigma\big({m(g + '_pre')}\big) = {m(g)}"))
    if node == "reset":
        if before:
            return _lines(r"r_t \odot h_{t-1}", rf"{m('r')} \odot {m('h_prev')} = {m('r_h_prev')}")
        return _lines(r"r_t \odot q_t = r_t \odot (h_{t-1} U_h + b_{hn})",
                      rf"{m('r')} \odot {m('h_prev_U_h')} = {m('h_rec')}")
    if node == "h_tilde":
        if before:
            head = r"\tilde h_t = \tanh\big(x_t W_h + (r_t \odot h_{t-1}) U_h + b_h\big)"
            terms = rf"{m('h_in')} + {m('h_rec')} + {m('h_bias')}"
        else:
            head = r"\tilde h_t = \tanh\big(x_t W_h + b_h + r_t \odot (h_{t-1} U_h + b_{hn})\big)"
            terms = rf"{m('h_in')} + {m('h_bias')} + {m('h_rec')}"
        return _lines(head, *terms_then(rf"\tanh\big({terms}\big)",
                                        rf"\tanh\big({m('h_pre')}\big) = {m('h_tilde')}"))
    if node == "one_minus_z":
        return _lines("1 - z_t", rf"1 - {m('z')} = {m('one_minus_z')}")
    if node == "from_prev":
        gate, name = (("z_t", "z") if keep else ("(1 - z_t)", "one_minus_z"))
        return _lines(rf"{gate} \odot h_{{t-1}}",
                      rf"{m(name)} \odot {m('h_prev')} = {m('h_from_prev')}")
    if node == "from_tilde":
        gate, name = (("(1 - z_t)", "one_minus_z") if keep else ("z_t", "z"))
        return _lines(rf"{gate} \odot \tilde h_t",
                      rf"{m(name)} \odot {m('h_tilde')} = {m('h_from_tilde')}")
    if node == "h":
        return _lines(update(config), rf"{m('h_from_prev')} + {m('h_from_tilde')} = {m('h')}")
    if node == "y":
        return _lines(r"\hat y_t = \operatorname{softmax}(h_t W_y + b_y)",
                      rf"\operatorname{{softmax}}\big({m('logits')}\big) = {m('probs')}")
    if node == "x":
        ids = ", ".join(str(int(i)) for i in trace.x_ids[t]) if trace.x_ids is not None else ""
        where = rf"\text{{one-hot at vocabulary index }} {ids}" if ids else r"\text{the input}"
        return _lines(rf"x_t \quad ({where}\text{{, row by row}})", m("x"))
    if node == "h_prev":
        return _lines(r"h_{t-1}", m("h_prev"))
    raise ValueError(f"no node {node!r}")
