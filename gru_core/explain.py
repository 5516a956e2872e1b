"""Why is this number what it is? One cell of z, r, h~, h or ŷ as a scalar equation.

    explain_cell(params, trace, "z", t=0, b=0, j=1)
    z_t[0,1] = σ(x_t W_z[:,1] + h_{t-1} U_z[:,1] + b_z[1])
             = σ(0.3817 + 0 + 0) = σ(0.3817) = 0.5943

The terms are taken from the trace and combined in the order the forward pass adds them, so
`Explanation.evaluate()` reproduces the trace's value exactly (not just to rounding). The
arguments t, b, j are NumPy's indices (0-based); the text shows each index plus `base` (0 by
default, as NumPy counts; the app passes 1, as the tutorial counts "sequence 1, batch 1"), the
character ids of the dictionary excepted, which are values, not positions. No user text appears
in the LaTeX: characters are named by their column and id.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .gru import Trace, sigmoid
from .params import Params

QUANTITIES = ("z", "r", "h_tilde", "h", "probs")
SYMBOLS = {"z": "z_t", "r": "r_t", "h_tilde": r"\tilde h_t", "h": "h_t", "probs": r"\hat y_t"}
MAX_EXPANDED = 8          # dot products over at most this many units are written out term by term


@dataclass(frozen=True)
class Explanation:
    """One cell's scalar equation.

    rule     how `terms` combine: "sigmoid" σ(Σ terms), "tanh" tanh(Σ terms), "sum" Σ terms,
             "ratio" terms[0] / terms[1] (softmax), "forced" (a what-if value; terms show what
             σ would have given)
    terms    [(label, value)]: the summands (or numerator, denominator), in the order the forward
             pass combines them
    details  [(label, value)]: the numbers behind the terms (the one-hot row, products, gates)
    weights  {parameter name: (rows, cols)} of every parameter involved (for highlighting)
    """

    quantity: str
    t: int
    b: int
    j: int
    rule: str
    latex: str
    terms: list
    details: list
    pre: float | None
    result: float
    weights: dict = field(default_factory=dict)
    char_index: int | None = None
    forced_value: float | None = None
    dtype: str = "float64"             # the trace's dtype: evaluate() computes in it
    order: tuple = ()                  # the order in which the forward pass added the terms

    @property
    def w_row(self) -> int | None:
        """The row of W_* read by the one-hot input (the character's index)."""
        return self.char_index

    @property
    def u_col(self) -> int | None:
        """The column of U_* (and of W_*) belonging to unit j."""
        return self.j if self.quantity in ("z", "r", "h_tilde") else None

    def evaluate(self) -> float:
        """Recompute the cell from `terms` alone with the rule (what the table claims)."""
        values = [np.dtype(self.dtype).type(v) for _, v in self.terms]
        if self.rule == "forced":
            return float(self.forced_value)
        if self.rule == "ratio":
            return float(values[0] / values[1])
        order = self.order or tuple(range(len(values)))
        total = values[order[0]]
        for k in order[1:]:
            total = total + values[k]
        if self.rule == "sigmoid":
            return float(sigmoid(np.array([total], dtype=self.dtype))[0])
        if self.rule == "tanh":
            return float(np.tanh(np.array([total], dtype=self.dtype))[0])
        return float(total)


# ---------------------------------------------------------------- number formatting

def num(v: float, digits: int = 4) -> str:
    """A number for LaTeX: 4 decimals, exact zeros as 0, tiny values in scientific notation."""
    v = float(v)
    if v == 0:
        return "0"
    if abs(v) >= 10 ** -digits:
        text = f"{v:.{digits}f}"
    else:
        mant, exp = f"{v:.2e}".split("e")
        text = rf"{mant}\times 10^{{{int(exp)}}}"
    return f"{{{text}}}" if v < 0 else text        # braces: a unary minus, set tight


def _par(v: float) -> str:
    """A number inside a sum: negative ones in parentheses."""
    s = num(v)
    return f"({s})" if float(v) < 0 and s != "0" else s


def _sum(values) -> str:
    return " + ".join(_par(v) if i else num(v) for i, v in enumerate(values))


def _product(*factors) -> str:
    return r" \cdot ".join(_par(f) for f in factors)


def _dot_latex(a: np.ndarray, col: np.ndarray, total: float) -> str | None:
    """a · col written out (for small H), or None."""
    if a.size > MAX_EXPANDED:
        return None
    parts = " + ".join(_product(x, y) for x, y in zip(a, col))
    return f"{parts} = {num(total)}"


# ---------------------------------------------------------------- the cells

def _sum_order(values, pre, dtype) -> tuple:
    """The order of adding three terms that gives exactly `pre` (floating-point addition is
    not associative; the engine's order is found, not assumed)."""
    v = [np.dtype(dtype).type(x) for x in values]
    for order in ((0, 1, 2), (0, 2, 1), (1, 2, 0)):
        if (v[order[0]] + v[order[1]]) + v[order[2]] == np.dtype(dtype).type(pre):
            return order
    return (0, 1, 2)


def _check(trace: Trace, quantity: str, t: int, b: int, j: int) -> None:
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {QUANTITIES}, got {quantity!r}")
    S, B, V, H = trace.shape
    size = V if quantity == "probs" else H
    last = "v" if quantity == "probs" else "j"
    for name, value, n in (("t", t, S), ("b", b, B), (last, j, size)):
        if not (isinstance(value, (int, np.integer)) and 0 <= value < n):
            raise ValueError(f"{name} must be a whole number in 0..{n - 1}, got {value!r}")


def _input_term(trace: Trace, gate: str, t: int, b: int, j: int, base: int):
    """(label, latex, value, char_index, detail rows) of x_t W_g[:, j]."""
    b_, j_ = b + base, j + base                      # the indices as shown
    value = float(getattr(trace, f"{gate}_in")[t, b, j])
    W = f"W_{gate}"
    if trace.x_ids is not None:
        i = int(trace.x_ids[t, b])
        i_ = i + base
        return (f"x_t·{W}[:,{j_}] = {W}[{i_},{j_}]  (x_t is one-hot at column {i_}, id {i})",
                rf"x_t {W}[:,{j_}]", value, i,
                [(f"x_t[{b_},{i_}]  (the one-hot 1: the character with id {i})", 1.0)])
    return f"x_t·{W}[:,{j_}]", rf"x_t {W}[:,{j_}]", value, None, []


def _gate(params: Params, trace: Trace, g: str, t: int, b: int, j: int,
          base: int) -> Explanation:
    label_in, latex_in, v_in, i, details = _input_term(trace, g, t, b, j, base)
    b_, j_ = b + base, j + base                      # the indices as shown
    v_rec = float(getattr(trace, f"{g}_rec")[t, b, j])
    v_bias = float(getattr(trace, f"{g}_bias")[t, b, j])
    pre = float(getattr(trace, f"{g}_pre")[t, b, j])
    value = float(getattr(trace, g)[t, b, j])
    U = getattr(params, f"U_{g}")
    h_prev = trace.h_prev[t, b]
    terms = [(label_in, v_in), (f"h_(t−1)·U_{g}[:,{j_}]", v_rec), (f"b_{g}[{j_}]", v_bias)]
    details = details + [(f"h_(t−1)[{b_},{k + base}] · U_{g}[{k + base},{j_}]",
                          float(h_prev[k] * U[k, j])) for k in range(min(len(h_prev), MAX_EXPANDED))]
    head = (rf"{g}_t[{b_},{j_}] &= \sigma\big({latex_in} + h_{{t-1}} U_{g}[:,{j_}]"
            rf" + b_{g}[{j_}]\big)")
    lines = [head, rf"&= \sigma\big({_sum([v_in, v_rec, v_bias])}\big)",
             rf"&= \sigma({num(pre)}) = {num(value)}"]
    forced = trace_forced(trace, g, j)
    if forced:
        free = num(sigmoid(np.array([pre]))[0])
        lines[-1] = rf"&= \sigma({num(pre)}) = {free}\ \text{{(not used)}}"
        lines.append(rf"&\Rightarrow \text{{forced to }} {num(value)} \text{{ (what-if)}}")
    dot = _dot_latex(h_prev, U[:, j], v_rec)
    where = _onehot_where(g, i, j, v_in, base)
    if dot and np.any(h_prev):
        where.append(rf"h_{{t-1}} U_{g}[:,{j_}] &= {dot}")
    dtype = trace.z.dtype.name
    return Explanation(
        g, t, b, j, "forced" if forced else "sigmoid", _aligned(_with_where(lines, where)), terms,
        details, pre, value, {f"W_{g}": ((i,) if i is not None else (), ()), f"U_{g}": ((), (j,)),
                              f"b_{g}": ((), (j,))},
        i, value if forced else None, dtype, _sum_order([v_in, v_rec, v_bias], pre, dtype))


def trace_forced(trace: Trace, gate: str, j: int) -> bool:
    mask = getattr(trace, f"{gate}_forced", None)
    return mask is not None and bool(mask[j])


def _candidate(params: Params, trace: Trace, t: int, b: int, j: int,
               base: int) -> Explanation:
    label_in, latex_in, v_in, i, details = _input_term(trace, "h", t, b, j, base)
    b_, j_ = b + base, j + base                      # the indices as shown
    v_rec = float(trace.h_rec[t, b, j])
    v_bias = float(trace.h_bias[t, b, j])
    pre = float(trace.h_pre[t, b, j])
    value = float(trace.h_tilde[t, b, j])
    h_prev, r = trace.h_prev[t, b], trace.r[t, b]
    U = params.U_h
    weights = {"W_h": ((i,) if i is not None else (), ()), "U_h": ((), (j,)), "b_h": ((), (j,))}
    if trace.config.reset == "before":
        rec_latex = rf"(r_t \odot h_{{t-1}})\, U_h[:,{j_}]"
        terms = [(label_in, v_in), (f"(r_t ⊙ h_(t−1))·U_h[:,{j_}]", v_rec),
                 (f"b_h[{j_}]", v_bias)]
        rh = trace.r_h_prev[t, b]
        details += [(f"r_t[{b_},{k + base}] · h_(t−1)[{b_},{k + base}] · U_h[{k + base},{j_}]",
                     float(rh[k] * U[k, j])) for k in range(min(len(rh), MAX_EXPANDED))]
        dot = _dot_latex(rh, U[:, j], v_rec)
        where = ([rf"(r_t \odot h_{{t-1}}) U_h[:,{j_}] &= {dot}"] if dot and np.any(rh) else [])
        middle = _sum([v_in, v_rec, v_bias])
    else:
        inner = float(trace.h_prev_U_h[t, b, j])
        rj, bhn = float(r[j]), float(params.b_hn[j])
        rec_latex = (rf"r_t[{b_},{j_}]\,\big(h_{{t-1}} U_h[:,{j_}]"
                     rf" + b_{{hn}}[{j_}]\big)")
        terms = [(label_in, v_in), (f"r_t[{b_},{j_}]·(h_(t−1)·U_h[:,{j_}] + b_hn[{j_}])", v_rec),
                 (f"b_h[{j_}]", v_bias)]
        details += [(f"r_t[{b_},{j_}]", rj), (f"h_(t−1)·U_h[:,{j_}] + b_hn[{j_}]", inner),
                    (f"b_hn[{j_}]", bhn)]
        dot = _dot_latex(h_prev, U[:, j], inner - bhn)
        where = [rf"h_{{t-1}} U_h[:,{j_}] &= {dot}"] if dot and np.any(h_prev) else []
        middle = rf"{num(v_in)} + {_par(rj)} \cdot {_par(inner)} + {_par(v_bias)}"
        weights["b_hn"] = ((), (j,))
    lines = [rf"\tilde h_t[{b_},{j_}] &= \tanh\big({latex_in} + {rec_latex} + b_h[{j_}]\big)",
             rf"&= \tanh\big({middle}\big)"]
    if trace.config.reset == "after":
        lines.append(rf"&= \tanh\big({_sum([v_in, v_rec, v_bias])}\big)")
    lines.append(rf"&= \tanh({num(pre)}) = {num(value)}")
    where = _onehot_where("h", i, j, v_in, base) + where
    return Explanation("h_tilde", t, b, j, "tanh", _aligned(_with_where(lines, where)), terms,
                       details, pre, value, weights, i, dtype=trace.h_tilde.dtype.name,
                       order=_sum_order([v_in, v_rec, v_bias], pre, trace.h_tilde.dtype.name))


def _state(trace: Trace, t: int, b: int, j: int, base: int) -> Explanation:
    b_, j_ = b + base, j + base                      # the indices as shown
    z, hp, ht = float(trace.z[t, b, j]), float(trace.h_prev[t, b, j]), float(trace.h_tilde[t, b, j])
    value = float(trace.h[t, b, j])
    keep = trace.config.update == "keep"
    a, c = (z, 1.0 - z) if keep else (1.0 - z, z)      # factors of h_{t-1} and h~
    terms = [(("z" if keep else "(1 − z)") + f"_t[{b_},{j_}] · h_(t−1)[{b_},{j_}]",
              float(trace.h_from_prev[t, b, j])),
             (("(1 − z)" if keep else "z") + f"_t[{b_},{j_}] · h̃_t[{b_},{j_}]",
              float(trace.h_from_tilde[t, b, j]))]
    details = [(f"z_t[{b_},{j_}]", z), (f"h_(t−1)[{b_},{j_}]", hp), (f"h̃_t[{b_},{j_}]", ht)]
    zs, omz = f"z_t[{b_},{j_}]", f"(1 - z_t[{b_},{j_}])"
    first, second = (zs, omz) if keep else (omz, zs)
    lines = [rf"h_t[{b_},{j_}] &= {first}\, h_{{t-1}}[{b_},{j_}]"
             rf" + {second}\, \tilde h_t[{b_},{j_}]",
             rf"&= {_product(a, hp)} + {_product(c, ht)}",
             rf"&= {_sum([v for _, v in terms])} = {num(value)}"]
    return Explanation("h", t, b, j, "sum", _aligned(lines), terms, details, None, value, {},
                       dtype=trace.h.dtype.name)


def _output(params: Params, trace: Trace, t: int, b: int, v: int,
            base: int) -> Explanation:
    b_, v_ = b + base, v + base                      # the indices as shown
    logit = float(trace.logits[t, b, v])
    m = float(trace.logits_max[t, b])
    e = float(trace.exp[t, b, v])
    s = float(trace.exp_sum[t, b])
    value = float(trace.probs[t, b, v])
    h = trace.h[t, b]
    dot = float(h @ params.W_y[:, v])
    terms = [(f"e^(ℓ[{v_}] − max ℓ)", e), ("Σ_u e^(ℓ[u] − max ℓ)", s)]
    details = [(f"h_t[{b_}]·W_y[:,{v_}]", dot), (f"b_y[{v_}]", float(params.b_y[v])),
               (f"ℓ[{v_}] = h_t·W_y[:,{v_}] + b_y[{v_}]", logit), ("max_u ℓ[u]", m)]
    lines = [rf"\hat y_t[{b_},{v_}] &= \frac{{e^{{\ell[{v_}] - \max_u \ell[u]}}}}"
             rf"{{\sum_u e^{{\ell[u] - \max_u \ell[u]}}}},\quad \ell = h_t[{b_},:]\, W_y + b_y",
             rf"&= \frac{{e^{{{num(logit)} - {_par(m)}}}}}{{{num(s)}}}"
             rf" = \frac{{{num(e)}}}{{{num(s)}}} = {num(value)}",
             rf"\text{{where }} \ell[{v_}] &= h_t[{b_},:]\, W_y[:,{v_}] + b_y[{v_}] = "
             rf"{_sum([dot, float(params.b_y[v])])} = {num(logit)}"]
    return Explanation("probs", t, b, v, "ratio", _aligned(lines), terms, details, None, value,
                       {"W_y": ((), (v,)), "b_y": ((), (v,))}, dtype=trace.probs.dtype.name)


def _onehot_where(g: str, i: int | None, j: int, value: float, base: int) -> list[str]:
    """x_t W[:, j] = W[i, j] when x_t is one-hot at i."""
    if i is None:
        return []
    i_, j_ = i + base, j + base
    return [rf"x_t W_{g}[:,{j_}] &= W_{g}[{i_},{j_}] = {num(value)}\quad"
            rf"\text{{(}}x_t\text{{ is one-hot at column }}{i_}\text{{, the character with id }}"
            rf"{i}\text{{)}}"]


def _aligned(lines) -> str:
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def _with_where(lines, where) -> list[str]:
    return lines + [(r"\text{where } " if k == 0 else "") + w for k, w in enumerate(where)]


def explain_cell(params: Params, trace: Trace, quantity: str, t: int, b: int, j: int,
                 vocab=None, *, base: int = 0) -> Explanation:
    """The scalar equation of trace.<quantity>[t, b, j] with the real numbers substituted.

    quantity: "z", "r", "h_tilde", "h" or "probs" (j is then the vocabulary index v).
    t, b, j are 0-based; the labels and the LaTeX show rows, units and columns plus `base`
    (1 for the tutorial's counting). vocab is accepted for symmetry with the app; characters
    never enter the LaTeX.
    """
    _check(trace, quantity, t, b, j)
    t, b, j = int(t), int(b), int(j)
    if quantity in ("z", "r"):
        return _gate(params, trace, quantity, t, b, j, base)
    if quantity == "h_tilde":
        return _candidate(params, trace, t, b, j, base)
    if quantity == "h":
        return _state(trace, t, b, j, base)
    return _output(params, trace, t, b, j, base)
