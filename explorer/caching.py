"""The one way the app caches per-model work: shared by every session and bounded in bytes, not in entries.

``st.cache_resource`` and ``st.cache_data`` bound a cache by its number of entries, but what one entry
costs depends on the tune: the internals of a 1,000-token tune take 200 times those of a 5-token one,
so 32 entries could hold 2 GB. :func:`shared` keeps results until their arrays and frames together
pass a budget (cachetools' LRU, sized by :func:`nbytes`), least recently used out first, and hands
every session the same read-only object. A model is keyed by its content hash, so a page passes the
weights themselves and no wrapper passes the hash beside them.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
import streamlit as st
from cachetools import LRUCache

from folkrnn import ModelWeights

T = TypeVar("T")
MB = 2**20


def _parts(value) -> list:
    """The values inside ``value``: a dataclass's fields (and cached properties), a list's, tuple's or dict's items."""
    if hasattr(value, "__dataclass_fields__"):
        return list(vars(value).values())
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, dict):
        return list(value.values())
    return []


def nbytes(value) -> int:
    """The bytes of the numpy arrays, pandas frames, strings and containers in ``value``, however nested
    (numbers count 0): a list of tunes counts its token lists and tokens, so tunes cannot fill a cache unseen."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(deep=True, index=True).sum())
    if isinstance(value, str | bytes | list | tuple | dict):
        return sys.getsizeof(value) + sum(nbytes(part) for part in _parts(value))
    return sum(nbytes(part) for part in _parts(value))


def read_only(value: T) -> T:
    """``value`` with every numpy array inside it made read-only, so no session can change what another sees."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    for part in _parts(value):
        read_only(part)
    return value


def _hashable(arg):
    """A list (a tune's tokens, say) or a numpy array (directions chosen) as a tuple, so that it keys a cache."""
    if isinstance(arg, np.ndarray):
        return tuple(arg.tolist())
    return tuple(arg) if isinstance(arg, list) else arg


def per_model(max_mb: float, spinner: str | None = None) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Cache ``compute(weights, *args, **unkeyed)`` on the model's content hash and ``args`` (hashable
    values; lists and arrays are taken as tuples) for every session (``unkeyed`` arguments, a progress callback say,
    reach ``compute`` but not the key), while the results together hold at most ``max_mb`` MB; a result larger than that
    is handed out and not kept. ``spinner`` is shown while computing. Each cache is
    ``function.cache``, a cachetools LRUCache (``.currsize`` in bytes, ``.clear()``)."""

    def decorate(compute: Callable[..., T]) -> Callable[..., T]:
        cache: LRUCache = LRUCache(maxsize=int(max_mb * MB), getsizeof=nbytes)
        lock = threading.Lock()

        @functools.wraps(compute)
        def cached(weights: ModelWeights, *args, **unkeyed) -> T:
            args = tuple(_hashable(a) for a in args)
            key = (weights.content_hash, *args)
            with lock:
                if key in cache:
                    return cache[key]
            with st.spinner(spinner) if spinner else contextlib.nullcontext():
                value = read_only(compute(weights, *args, **unkeyed))
            with lock, contextlib.suppress(ValueError):  # cachetools' "value too large": handed out, not kept
                cache[key] = value
            return value

        cached.cache = cache
        return cached

    return decorate

