"""A small thread-safe LRU of things computed from a model, keyed on one of its content hashes.

The SVD of V and the composing engine's ONNX Runtime session are each built once per model
content and shared: both are read-only once built, so every caller (and every app session) may
hold the same object.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from .weights import ModelWeights

T = TypeVar("T")


class WeightsCache(Generic[T]):
    """``cache(weights)`` is ``compute(weights)``, computed once per ``key(weights)``; counts hits and misses."""

    def __init__(self, compute: Callable[[ModelWeights], T], key: Callable[[ModelWeights], str], maxsize: int):
        self.compute, self.key, self.maxsize = compute, key, maxsize
        self.hits = self.misses = 0
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, weights: ModelWeights) -> T:
        key = self.key(weights)
        with self._lock:
            if key in self._items:
                self.hits += 1
                self._items.move_to_end(key)
                return self._items[key]
        value = self.compute(weights)  # outside the lock: two first callers may both compute, one is kept
        with self._lock:
            self.misses += 1
            self._items.setdefault(key, value)
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
            return self._items[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0
