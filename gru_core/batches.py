"""Cutting the encoded text into batches: the tutorial's 4-D one-hot tensor.

With text length L, sequence length S and batch size B (Part 1):
    num_samples = (L - 1) // S        sample k = ids[k*S : k*S + S], target = the next S ids
    num_batches = num_samples // B    X, Y: (num_batches, S, B, V)

Layouts:
    "tutorial": batch n holds samples n*B .. n*B + B - 1 (Part 1). Row b of batch n+1 is NOT the
                text that follows row b of batch n, so a hidden state carried across batches joins
                unrelated text.
    "streams":  the used text is cut into B contiguous streams; row b of batch n is sample
                b*N + n, so row b of batch n+1 continues row b of batch n and the carried state
                means something.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .vocab import one_hot

LAYOUTS = ("tutorial", "streams")


def min_text_length(batch_size: int, seq_len: int) -> int:
    """Shortest text giving one full batch: B*S inputs plus one more character as the last target."""
    return batch_size * seq_len + 1


@dataclass(frozen=True)
class Batches:
    X: np.ndarray             # (N, S, B, V) one-hot inputs
    Y: np.ndarray             # (N, S, B, V) one-hot targets (inputs shifted by one character)
    x_ids: np.ndarray         # (N, S, B)
    y_ids: np.ndarray         # (N, S, B)
    sample_starts: np.ndarray  # (N, B) index in the text where each row's input starts
    leftover_ids: np.ndarray  # ids not used as inputs; the first one is used only as a target
    layout: str

    @property
    def num_batches(self) -> int:
        return self.X.shape[0]

    @property
    def seq_len(self) -> int:
        return self.X.shape[1]

    @property
    def batch_size(self) -> int:
        return self.X.shape[2]

    @property
    def vocab_size(self) -> int:
        return self.X.shape[3]

    def row_ids(self, n: int, b: int) -> np.ndarray:
        """Input ids of row b of batch n, shape (S,)."""
        return self.x_ids[n, :, b]

    def target_ids(self, n: int, b: int) -> np.ndarray:
        return self.y_ids[n, :, b]


def check_sizes(text_length: int, batch_size: int, seq_len: int) -> None:
    """Raise ValueError saying what would work when the sizes leave no full batch."""
    for name, value in (("batch_size", batch_size), ("seq_len", seq_len)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    need = min_text_length(batch_size, seq_len)
    if text_length < need:
        max_seq = (text_length - 1) // batch_size
        hint = (f"; with batch_size={batch_size} use seq_len <= {max_seq}" if max_seq >= 1
                else "; type a longer text")
        raise ValueError(f"text has {text_length} characters; seq_len={seq_len} with "
                         f"batch_size={batch_size} needs at least {need}{hint}")


def make_batches(ids, vocab_size: int, batch_size: int, seq_len: int,
                 layout: str = "tutorial") -> Batches:
    """Cut `ids` into (num_batches, S, B, V) one-hot inputs X and targets Y (see module doc)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    ids = np.asarray(ids, dtype=np.int64)
    check_sizes(len(ids), batch_size, seq_len)
    B, S = int(batch_size), int(seq_len)
    num_samples = (len(ids) - 1) // S
    N = num_samples // B
    sample = np.arange(N * B).reshape(N, B)                  # (N, B) sample index of each row
    if layout == "streams":
        sample = np.arange(N * B).reshape(B, N).T            # row b of batch n = sample b*N + n
    starts = sample * S                                      # (N, B)
    offsets = starts[:, None, :] + np.arange(S)[None, :, None]  # (N, S, B)
    x_ids, y_ids = ids[offsets], ids[offsets + 1]
    return Batches(X=one_hot(x_ids, vocab_size), Y=one_hot(y_ids, vocab_size),
                   x_ids=x_ids, y_ids=y_ids, sample_starts=starts,
                   leftover_ids=ids[N * B * S:], layout=layout)
