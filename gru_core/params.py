"""The GRU's weights, in the row-vector convention of the tutorial's code.

    W_z, W_r, W_h : (V, H)   input -> gate         (row i belongs to character i)
    U_z, U_r, U_h : (H, H)   previous state -> gate
    b_z, b_r, b_h : (H,)
    b_hn          : (H,)     recurrent bias of the candidate, used only with reset "after"
    W_y : (H, V), b_y : (V,)  dense output layer
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PARAM_NAMES = ("W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h", "W_y", "b_y", "b_hn")
GATE_PARAMS = {"z": ("W_z", "U_z", "b_z"), "r": ("W_r", "U_r", "b_r"), "h": ("W_h", "U_h", "b_h")}


class NonFiniteError(ValueError):
    """A weight is NaN or infinite (e.g. training diverged)."""


def param_shapes(V: int, H: int) -> dict[str, tuple[int, ...]]:
    """Expected shape of every parameter for vocabulary size V and hidden size H."""
    shapes = {}
    for W, U, b in GATE_PARAMS.values():
        shapes[W], shapes[U], shapes[b] = (V, H), (H, H), (H,)
    shapes.update(W_y=(H, V), b_y=(V,), b_hn=(H,))
    return {name: shapes[name] for name in PARAM_NAMES}


@dataclass(frozen=True, eq=False)
class Params:
    W_z: np.ndarray
    U_z: np.ndarray
    b_z: np.ndarray
    W_r: np.ndarray
    U_r: np.ndarray
    b_r: np.ndarray
    W_h: np.ndarray
    U_h: np.ndarray
    b_h: np.ndarray
    W_y: np.ndarray
    b_y: np.ndarray
    b_hn: np.ndarray | None = None

    def __post_init__(self):
        W_z = np.asarray(self.W_z)
        if W_z.ndim != 2 or W_z.shape[0] < 1 or W_z.shape[1] < 1:
            raise ValueError(f"W_z must be a (V, H) matrix, got shape {W_z.shape}")
        V, H = W_z.shape
        dtype = np.result_type(W_z.dtype, np.float32)
        if self.b_hn is None:
            object.__setattr__(self, "b_hn", np.zeros(H, dtype=dtype))
        for name, shape in param_shapes(V, H).items():
            value = np.asarray(getattr(self, name), dtype=dtype)
            if value.shape != shape:
                raise ValueError(f"{name} must have shape {shape} for V={V}, H={H}; got {value.shape}")
            if not np.all(np.isfinite(value)):
                raise NonFiniteError(f"{name} contains NaN or infinite values; every weight must be a finite number")
            object.__setattr__(self, name, value)

    @property
    def vocab_size(self) -> int:
        return self.W_z.shape[0]

    @property
    def hidden_size(self) -> int:
        return self.W_z.shape[1]

    @property
    def dtype(self):
        return self.W_z.dtype

    def items(self):
        """(name, array) pairs in PARAM_NAMES order."""
        return [(name, getattr(self, name)) for name in PARAM_NAMES]

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(self.items())

    @classmethod
    def from_dict(cls, arrays) -> "Params":
        unknown = set(arrays) - set(PARAM_NAMES)
        if unknown:
            raise ValueError(f"unknown parameter names: {sorted(unknown)}; expected {PARAM_NAMES}")
        missing = [n for n in PARAM_NAMES[:-1] if n not in arrays]
        if missing:
            raise ValueError(f"missing parameters: {missing}")
        return cls(**{k: np.array(v) for k, v in arrays.items()})

    def copy(self) -> "Params":
        return Params(**{k: v.copy() for k, v in self.items()})

    def replace(self, **arrays) -> "Params":
        return Params(**{**self.as_dict(), **arrays})

    def astype(self, dtype) -> "Params":
        return Params(**{k: v.astype(dtype) for k, v in self.items()})

    def equals(self, other: "Params") -> bool:
        return all(np.array_equal(a, getattr(other, n)) for n, a in self.items())


def init_params(vocab_size: int, hidden_size: int, *, seed: int = 0, scale: float | None = None,
                dtype=np.float64) -> Params:
    """Weights uniform in [-scale, scale] (default scale 1/sqrt(H), as torch.nn.GRU), biases zero.

    The same seed gives the same numbers on every machine (NumPy's PCG64 generator).
    """
    if int(hidden_size) != hidden_size or hidden_size < 1:
        raise ValueError(f"hidden_size must be a whole number of at least 1, got {hidden_size!r}")
    if int(vocab_size) != vocab_size or vocab_size < 2:
        raise ValueError(f"vocab_size must be at least 2 (two different characters), got {vocab_size!r}")
    scale = 1.0 / np.sqrt(hidden_size) if scale is None else float(scale)
    rng = np.random.default_rng(seed)
    arrays = {}
    for name, shape in param_shapes(int(vocab_size), int(hidden_size)).items():
        if name.startswith("b"):
            arrays[name] = np.zeros(shape, dtype=dtype)
        else:
            arrays[name] = rng.uniform(-scale, scale, size=shape).astype(dtype)
    return Params(**arrays)


# The tutorial (Part 1): text, dictionary order and published weights (4 decimals, biases zero).
TUTORIAL_TEXT = "MathMathMathMathMath"
TUTORIAL_ORDER = "hatM"
TUTORIAL_SIZES = dict(batch_size=2, seq_len=3, hidden_size=2)
_TUTORIAL_WEIGHTS = dict(
    W_z=[[.6614, .2669], [.0617, .6213], [-.4519, -.1661], [-1.5228, .3817]],
    W_r=[[-1.0276, -.5631], [-.8923, -.0583], [-.1955, -.9656], [.4224, .2673]],
    W_h=[[-.4212, -.5107], [-1.5727, -.1232], [3.5870, -1.8313], [1.5987, -1.2770]],
    U_z=[[.3255, -.4791], [1.3790, 2.5286]],
    U_r=[[.4107, -.9880], [-.9081, .5423]],
    U_h=[[.1103, -2.2590], [.6067, -.1383]],
    W_y=[[.8310, -.2477, -.8029, .2366], [.2857, .6898, -.6331, .8795]],
)


def tutorial_params() -> Params:
    """The published weights of Part 1 (rows of W_* in the order "hatM"); all biases zero."""
    w = {k: np.array(v, dtype=np.float64) for k, v in _TUTORIAL_WEIGHTS.items()}
    zeros = {b: np.zeros(2) for b in ("b_z", "b_r", "b_h", "b_hn")}
    return Params(**w, **zeros, b_y=np.zeros(4))


# torch.nn.GRU stacks its gates in the order r, z, n, each as (H, V) / (H, H) column-vector blocks.
def to_torch_state_dict(params: Params) -> dict[str, np.ndarray]:
    """NumPy arrays in torch.nn.GRU's layout (single layer); load with torch.from_numpy.

    torch computes r = σ(W_ir x + b_ir + W_hr h + b_hr), so our b_r goes into bias_ih and the
    hidden-side r and z biases are zero; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) matches
    reset "after" with update "keep". The output layer is torch.nn.Linear(H, V) with
    weight = W_y.T and bias = b_y.
    """
    p = params
    zeros = np.zeros_like(p.b_z)
    return {
        "weight_ih_l0": np.concatenate([p.W_r.T, p.W_z.T, p.W_h.T]),  # (3H, V)
        "weight_hh_l0": np.concatenate([p.U_r.T, p.U_z.T, p.U_h.T]),  # (3H, H)
        "bias_ih_l0": np.concatenate([p.b_r, p.b_z, p.b_h]),           # (3H,)
        "bias_hh_l0": np.concatenate([zeros, zeros, p.b_hn]),          # (3H,)
    }


def from_torch_state_dict(state, W_y, b_y) -> Params:
    """Inverse of `to_torch_state_dict` (accepts torch tensors or NumPy arrays)."""
    arr = {k: np.asarray(getattr(v, "detach", lambda: v)()) for k, v in state.items()}
    W_ir, W_iz, W_in = np.split(arr["weight_ih_l0"], 3)
    U_hr, U_hz, U_hn = np.split(arr["weight_hh_l0"], 3)
    b_ir, b_iz, b_in = np.split(arr["bias_ih_l0"], 3)
    b_hr, b_hz, b_hn = np.split(arr["bias_hh_l0"], 3)
    return Params(W_z=W_iz.T, U_z=U_hz.T, b_z=b_iz + b_hz, W_r=W_ir.T, U_r=U_hr.T, b_r=b_ir + b_hr,
                  W_h=W_in.T, U_h=U_hn.T, b_h=b_in, W_y=np.asarray(W_y), b_y=np.asarray(b_y), b_hn=b_hn)
