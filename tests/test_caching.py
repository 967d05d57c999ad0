"""explorer.caching.shared: per-model results kept for every session within a byte budget, read-only."""

import numpy as np
import pandas as pd
import pytest
from cachetools import LRUCache

from explorer.caching import MB, nbytes, shared
from folkrnn.analysis.internals import internals
from tests.factories import random_weights

A, B = random_weights(hidden=8, seed=1), random_weights(hidden=8, seed=2)


def test_nbytes_counts_arrays_and_frames_however_nested():
    frame = pd.DataFrame({"x": np.arange(100.0)})
    inside = internals(A, ["M:4/4", "K:Cmaj", "c"])
    assert nbytes({"a": [np.zeros(10), (np.zeros(5, dtype=np.float32), "text")], "f": frame}) == (
        80 + 20 + frame.memory_usage(deep=True, index=True).sum())
    assert nbytes(inside) == inside.inputs.nbytes + inside.logits.nbytes + sum(
        getattr(layer, name).nbytes for layer in inside.layers for name in "ifogch")


def test_least_recently_used_results_go_once_the_budget_is_passed():
    calls = []

    @shared(max_mb=3 / MB * 1000)  # 3,000 bytes: three results of 1,000
    def ones(weights, n):
        calls.append((weights.content_hash, n))
        return np.ones(125)  # 1,000 bytes

    for n in (1, 2, 3):
        ones(A, n)
    ones(A, 1)  # a hit: 1 is now the most recent
    ones(A, 4)  # evicts 2, the least recently used
    assert ones.cache.currsize == 3000
    ones(A, 1), ones(A, 3), ones(A, 4)
    assert len(calls) == 4
    ones(A, 2)
    assert len(calls) == 5
    ones(B, 1)  # another model: another entry
    assert len(calls) == 6


def test_a_result_larger_than_the_budget_is_handed_out_not_kept():
    @shared(max_mb=500 / MB)
    def big(weights):
        return np.ones(1000)

    assert big(A).shape == (1000,) and big.cache.currsize == 0


def test_results_are_shared_read_only_and_lists_key_as_tuples():
    @shared(max_mb=1)
    def tune(weights, tokens):
        return {"h": np.zeros((len(tokens), 3))}

    first = tune(A, ["a", "b"])
    assert tune(A, ("a", "b")) is first
    with pytest.raises(ValueError, match="read-only"):
        first["h"][0, 0] = 1.0


def test_the_app_caches_together_stay_within_the_servers_budget():
    """Every byte-bounded cache of explorer/, found by module: their budgets add up to at most 200 MB, what a
    server on Streamlit Community Cloud's smallest tier (690 MB) can spare beside its ~450 MB after a tour."""
    import importlib
    import pkgutil

    import explorer

    caches = {}
    for module in pkgutil.iter_modules(explorer.__path__):
        for name, value in vars(importlib.import_module(f"explorer.{module.name}")).items():
            if isinstance(getattr(value, "cache", None), LRUCache):
                caches[name] = value.cache.maxsize / MB
    assert {"lstm_internals", "lens", "layer_tables", "step_gramian_table", "activations", "_hidden", "_search"} <= set(caches)
    assert sum(caches.values()) <= 200, caches
