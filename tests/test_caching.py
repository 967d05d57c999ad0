"""explorer.caching.per_model: per-model results kept for every session within a byte budget, read-only."""

import sys

import numpy as np
import pandas as pd
import pytest
from cachetools import LRUCache

from explorer.caching import MB, nbytes, per_model
from folkrnn.analysis.internals import internals
from folkrnn.compose.sampling import Tune
from tests.factories import random_weights

A, B = random_weights(hidden=8, seed=1), random_weights(hidden=8, seed=2)


def test_nbytes_counts_arrays_and_frames_however_nested():
    frame = pd.DataFrame({"x": np.arange(100.0)})
    inside = internals(A, ["M:4/4", "K:Cmaj", "c"])
    value = {"a": [np.zeros(10), (np.zeros(5, dtype=np.float32), "text")], "f": frame}
    containers = sum(map(sys.getsizeof, (value, value["a"], value["a"][1], "text")))
    assert nbytes(value) == 80 + 20 + containers + frame.memory_usage(deep=True, index=True).sum()
    listed = nbytes(inside.tokens) + sys.getsizeof(inside.layers)
    assert nbytes(inside) == listed + inside.inputs.nbytes + inside.logits.nbytes + sum(
        getattr(layer, name).nbytes for layer in inside.layers for name in "ifogch")


def test_nbytes_counts_tunes_token_by_token():
    """Composed tunes hold no arrays, yet a cache of them must fill: they count their lists and tokens."""
    tune = Tune(["M:4/4", "K:Cmaj", "c"], ended=True)
    assert nbytes([tune]) == sys.getsizeof([tune]) + sys.getsizeof(tune.tokens) + sum(map(sys.getsizeof, tune.tokens))


def test_least_recently_used_results_go_once_the_budget_is_passed():
    calls = []

    @per_model(max_mb=3 / MB * 1000)  # 3,000 bytes: three results of 1,000
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
    @per_model(max_mb=500 / MB)
    def big(weights):
        return np.ones(1000)

    assert big(A).shape == (1000,) and big.cache.currsize == 0


def test_results_are_shared_read_only_and_lists_key_as_tuples():
    @per_model(max_mb=1)
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
    assert {"lstm_internals", "lens", "layer_tables", "step_gramian_table", "activations", "hidden_states", "_search",
            "_sampled", "composed_truncated", "token_probabilities", "columns", "spectra"} <= set(caches)
    assert sum(caches.values()) <= 200, caches


def test_per_model_work_is_cached_one_way():
    """No page helper takes the weights unhashed beside their hash (``_weights, content_hash``): per_model
    keys on the weights themselves, and Streamlit's entry-counted caches hold no per-model work."""
    from pathlib import Path

    sources = {path.name: path.read_text() for path in (Path(__file__).parents[1] / "explorer").glob("*.py")}
    assert not [name for name, text in sources.items() if "_weights: ModelWeights" in text or "content_hash: str" in text]
    assert "st.cache_data" not in sources["compute.py"] and "per_model(" in sources["compute.py"]
