"""The GRU's equations in LaTeX, for the chosen convention and with the live shapes.

Row vectors as in the tutorial's code: x_t is (B × V), h is (B × H), W is (V × H), U is (H × H).
"""
from __future__ import annotations

from gru_core import GRUConfig


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
                "r scales h_{t-1} first, then U_h mixes it.")
    return ("Reset **after** the product, as torch.nn.GRU, cuDNN and the tutorial's figures do: "
            "U_h mixes h_{t-1} first (plus its own bias b_hn), then r scales the result.")


def update_note(config: GRUConfig) -> str:
    if config.update == "keep":
        return "z near 1 **keeps** the old state; z near 0 takes the candidate (tutorial Part 1, PyTorch)."
    return "z near 1 **takes** the candidate; z near 0 keeps the old state (tutorial 003's convention)."


OUTPUT = r"\hat y_t = \operatorname{softmax}(h_t W_y + b_y),\quad \operatorname{softmax}(a)_v = \frac{e^{a_v - \max a}}{\sum_u e^{a_u - \max a}}"
CE_TERMS = (r"\text{term}_1 = y \odot \log \hat y,\quad \text{term}_2 = \sum_v \text{term}_1,"
            r"\quad \text{term}_3 = -\tfrac{1}{B}\sum_b \text{term}_2,\quad L = \tfrac{1}{S}\sum_t \text{term}_3")
L2 = r"L_2 = \frac{1}{S B}\sum_{t,b} \tfrac12 \lVert \hat y_{t,b} - y_{t,b} \rVert^2"
