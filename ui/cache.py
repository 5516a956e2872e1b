"""One cache of computed arrays for the whole server, bounded in bytes and shared read-only.

Streamlit's st.cache_data gives every caller its own unpickled copy, which a session keeps
reachable (callbacks, fragments) and which max_entries bounds only by count. Here one object
per key is shared by every session: its arrays are made read-only (`freeze`), so no caller can
change what another sees, and the least recently used entries are dropped once the entries'
arrays add up to more than `max_bytes`.

    value = CACHE.get_or_make(key, lambda: compute(...))

A leaf module: no Streamlit, nothing else from ui/.
"""
from __future__ import annotations

import dataclasses
import hashlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np


def _walk(obj, seen: set[int]):
    """Every object reachable from obj through dataclass fields, dicts, lists and tuples (and
    the attributes of gru_core's and ui's own objects), each once."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield obj
    if isinstance(obj, (np.ndarray, str, bytes)):
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        children = (getattr(obj, f.name) for f in dataclasses.fields(obj))
    elif isinstance(obj, dict):
        children = obj.values()
    elif isinstance(obj, (list, tuple)):
        children = obj
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith(("gru_core", "ui")):
        children = vars(obj).values()
    else:
        return
    for child in children:
        yield from _walk(child, seen)


def _owner(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


ENTRY_BYTES = 1024     # counted for every entry besides what it holds


def nbytes(obj) -> int:
    """Bytes that obj holds: the memory blocks of its arrays, each counted once (views of one
    block, such as a Trace's per-batch windows, count as the block), plus every object's own
    size (sys.getsizeof: array headers, strings, lists, dataclass instances)."""
    owners, total = {}, 0
    for o in _walk(obj, set()):
        if isinstance(o, np.ndarray):
            owner = _owner(o)
            owners[id(owner)] = owner.nbytes
            total += sys.getsizeof(o) - (o.nbytes if o.base is None else 0)
        else:
            total += sys.getsizeof(o)
    return total + sum(owners.values())


def freeze(obj):
    """Make every array reachable from obj read-only; returns obj."""
    for a in _walk(obj, set()):
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return obj


def digest(arrays: dict[str, np.ndarray]) -> str:
    """A short fingerprint of named arrays (names, dtypes, shapes and bytes)."""
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


class BytesLRU:
    """A thread-safe least-recently-used cache bounded by the bytes its values hold (`nbytes`)
    and by its number of entries."""

    def __init__(self, max_bytes: int, max_entries: int = 1024):
        self.max_bytes = int(max_bytes)
        self.max_entries = int(max_entries)
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], object]):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        value = freeze(make())        # outside the lock: other sessions keep being served
        size = nbytes(value) + ENTRY_BYTES
        with self._lock:
            if key in self._items:    # made meanwhile by another session: share that one
                self._items.move_to_end(key)
                return self._items[key][0]
            if size <= self.max_bytes:
                self._items[key] = (value, size)
                self._bytes += size
                while self._bytes > self.max_bytes or len(self._items) > self.max_entries:
                    _, (_, dropped) = self._items.popitem(last=False)
                    self._bytes -= dropped
        return value

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
