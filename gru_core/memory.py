"""Memory for the arrays of forward and backward runs: one block per run, kept in a small pool.

Why: fresh memory costs a page fault per 4 KB (the kernel zeroes each page), a large share of a
forward or a training step (benchmarks/README.md). So `empty_arrays` hands out the arrays of a
run as views of one block: NumPy asks for huge pages (2 MB) for blocks of 4 MB and more, and
the block is kept in a small pool when the run is dropped (once no view of it is alive), so the
next run of the same size (training: the next batch) reuses warm memory.

A block is reused only when nothing refers to it any more: its reference count is exact only
with the GIL, so a free-threaded Python never pools (every run gets new memory). Blocks under
SMALL_BYTES are not pooled at all: malloc hands back warm memory for those, without a pool
lookup (which would count at the tutorial's sizes, where a whole training step is short).
"""
from __future__ import annotations

import math
import sys
import threading

import numpy as np

POOL_BYTES = 256 * 2**20        # at most this much memory of finished runs is kept for reuse
                                # (a training step at B=64, S=128, H=256 keeps 228 MB: both fit)
SMALL_BYTES = 64 * 2**10        # smaller blocks come straight from np.empty
_pool: list[np.ndarray] = []    # 1-D blocks, most recently used last
_pool_lock = threading.Lock()
_CAN_POOL = getattr(sys, "_is_gil_enabled", lambda: True)()  # refcounts are exact with the GIL


def _block(size: int, dtype) -> np.ndarray:
    """A 1-D array of `size` elements: a pooled block that no array uses any more, or a new one."""
    dtype = np.dtype(dtype)
    if size * dtype.itemsize < SMALL_BYTES:
        return np.empty(size, dtype)
    with _pool_lock:
        for i in range(len(_pool)):
            # refcount 2 = the pool's reference + getrefcount's argument: no view of it is alive
            if _pool[i].size == size and _pool[i].dtype == dtype and sys.getrefcount(_pool[i]) == 2:
                block = _pool.pop(i)
                break
        else:
            block = np.empty(size, dtype)
        if _CAN_POOL and block.nbytes <= POOL_BYTES:
            _pool.append(block)
            while sum(b.nbytes for b in _pool) > POOL_BYTES:
                _pool.pop(0)
        return block


def empty_arrays(dtype, *shapes) -> list[np.ndarray]:
    """New uninitialised arrays of the given shapes, all views of one block of memory (pooled;
    see the module docstring)."""
    sizes = [math.prod(shape) for shape in shapes]
    block = _block(sum(sizes), dtype)
    arrays, start = [], 0
    for shape, size in zip(shapes, sizes):
        arrays.append(block[start:start + size].reshape(shape))
        start += size
    return arrays
