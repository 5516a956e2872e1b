"""Character vocabulary: the tutorial's "character dictionary".

    {'h': 0, 'a': 1, 't': 2, 'M': 3}     encode("Math") -> [3, 1, 2, 0]

Characters are Python code points, so accents, CJK, right-to-left scripts and emoji all work
(an emoji built from several code points, such as a flag, counts as several characters).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ORDERS = ("sorted", "first")


def _describe(chars) -> str:
    return ", ".join(repr(c) for c in chars)


@dataclass(frozen=True)
class Vocab:
    """An ordered set of characters; `index[c]` is the row of c in every W_* and one-hot x."""

    chars: tuple[str, ...]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if len(set(self.chars)) != len(self.chars):
            raise ValueError(f"vocabulary repeats characters: {_describe(self.chars)}")
        object.__setattr__(self, "index", {c: i for i, c in enumerate(self.chars)})

    @classmethod
    def from_text(cls, text: str, order: str | None = None) -> "Vocab":
        """Build the dictionary of `text`.

        order: None or "sorted" (default), "first" (order of first appearance), or a string
        giving the order itself, e.g. "hatM" (the tutorial's dictionary).
        """
        if not isinstance(text, str) or len(text) == 0:
            raise ValueError("the text is empty; type at least two different characters, e.g. 'MathMath'")
        distinct = list(dict.fromkeys(text))
        if len(distinct) < 2:
            raise ValueError(
                f"the text uses only one distinct character ({distinct[0]!r}); a GRU needs at least "
                "two different characters to have anything to predict, e.g. 'abab'")
        if order is None or order == "sorted":
            chars = sorted(distinct)
        elif order == "first":
            chars = distinct
        else:
            repeated = sorted({c for c in order if order.count(c) > 1})
            if repeated:
                raise ValueError(f"the custom order repeats {_describe(repeated)}; list each character once")
            missing = [c for c in distinct if c not in order]
            if missing:
                raise ValueError(
                    f"the custom order {order!r} misses {_describe(missing)} from the text; "
                    f"add them, or use 'sorted' / 'first'")
            chars = list(order)
        return cls(tuple(chars))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Characters -> integer ids, e.g. "Math" -> [3, 1, 2, 0] with order "hatM"."""
        unknown = [c for c in dict.fromkeys(text) if c not in self.index]
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {_describe(unknown)}; "
                             f"known characters are {_describe(self.chars)}")
        return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        """Integer ids -> characters."""
        return "".join(self.chars[int(i)] for i in np.asarray(ids).ravel())

    def one_hot(self, ids) -> np.ndarray:
        """ids of any shape (...) -> one-hot float array (..., V)."""
        return one_hot(ids, self.size)


def one_hot(ids, size: int, dtype=np.float64) -> np.ndarray:
    """ids (...) -> (..., size) with a single 1 per row."""
    ids = np.asarray(ids)
    out = np.zeros(ids.shape + (size,), dtype=dtype)
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out
