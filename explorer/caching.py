"""The one way the app caches per-model work: shared by every session and bounded in bytes, not in entries.

``st.cache_resource`` and ``st.cache_data`` bound a cache by its number of entries, but what one entry
costs depends on the tune: the internals of a 1,000-token tune take 200 times those of a 5-token one,
so 32 entries could hold 2 GB. :func:`shared` keeps results until their arrays and frames together
pass a budget (cachetools' LRU, sized by :func:`nbytes`), least recently used out first, and hands
every session the same read-only object. A model is keyed by its content hash, so a page passes the
weights themselves and no wrapper passes the hash beside them.

A class opens the same link at once, and a server may be one shared core: a result is computed once
however many sessions ask for it together (the others wait for it, as Streamlit's own caches do),
and at most :data:`COMPUTING_AT_ONCE` computations run at a time, so that twenty sessions hold the
working memory of two computations, not twenty.
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


COMPUTING_AT_ONCE = 2  # on a fraction of one core more turns add no speed, only working memory
WAITING = "Waiting for the server: other sessions' computations come first…"
SHARED = "Another session is computing this same result: waiting for it…"
_turns = threading.BoundedSemaphore(COMPUTING_AT_ONCE)
_turn_held = threading.local()


def _holds_turn() -> bool:
    return getattr(_turn_held, "value", False)


@contextlib.contextmanager
def _turn():
    """One of the server's :data:`COMPUTING_AT_ONCE` turns to compute, waited for with a spinner; a
    computation inside another (``lens`` reading ``lstm_internals``, say) runs in its caller's turn."""
    if _holds_turn():
        yield
        return
    acquired = _turns.acquire(blocking=False)
    try:
        if not acquired:
            with st.spinner(WAITING):  # its exit may raise (the session stopped): the turn is still handed back
                acquired = _turns.acquire()
        _turn_held.value = True
        yield
    finally:
        _turn_held.value = False
        if acquired:
            _turns.release()


@contextlib.contextmanager
def _turn_lent():
    """This thread's turn, if it holds one, handed back while it waits for another session's
    computation, so that the computation it waits for can take a turn (two turns held by waiters would
    otherwise wait for ever on a computation that waits for a turn)."""
    held = _holds_turn()
    if held:
        _turn_held.value = False
        _turns.release()
    try:
        yield
    finally:
        if held:
            _turns.acquire()
            _turn_held.value = True


_PENDING = object()


class _Flight:
    """A result being computed, which every other session that asks for it waits for."""

    def __init__(self):
        self.done = threading.Event()
        self.value = _PENDING


def per_model(max_mb: float, spinner: str | None = None) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Cache ``compute(weights, *args, **unkeyed)`` on the model's content hash and ``args`` (hashable
    values; lists and arrays are taken as tuples) for every session (``unkeyed`` arguments, a progress callback say,
    reach ``compute`` but not the key), while the results together hold at most ``max_mb`` MB; a result larger than that
    is handed out and not kept. Sessions asking for a result being computed wait for it; if its computation
    fails or its session stops it, the next of them computes it. ``spinner`` is shown while computing or waiting (a
    waiter without one says it waits for another session's: its own progress bar, if any, stands still). Each
    cache is ``function.cache``, a cachetools LRUCache (``.currsize`` in bytes, ``.clear()``)."""

    def decorate(compute: Callable[..., T]) -> Callable[..., T]:
        cache: LRUCache = LRUCache(maxsize=int(max_mb * MB), getsizeof=nbytes)
        flights: dict[tuple, _Flight] = {}
        lock = threading.Lock()
        shown = (lambda: st.spinner(spinner)) if spinner else contextlib.nullcontext

        def _wait(flight: _Flight):
            with st.spinner(spinner or SHARED), _turn_lent():
                flight.done.wait()
            return flight.value

        @functools.wraps(compute)
        def cached(weights: ModelWeights, *args, **unkeyed) -> T:
            args = tuple(_hashable(a) for a in args)
            key = (weights.content_hash, *args)
            while True:
                with lock:
                    if key in cache:
                        return cache[key]
                    flight = flights.get(key)
                    if flight is None:
                        flight = flights[key] = _Flight()
                        break
                value = _wait(flight)
                if value is not _PENDING:
                    return value
            try:
                with _turn(), shown():
                    flight.value = read_only(compute(weights, *args, **unkeyed))
            finally:
                with lock:
                    del flights[key]
                    if flight.value is not _PENDING:
                        with contextlib.suppress(ValueError):  # cachetools' "value too large": handed out, not kept
                            cache[key] = flight.value
                flight.done.set()
            return flight.value

        cached.cache = cache
        return cached

    return decorate
