"""explorer.caching.per_model: per-model results kept for every session within a byte budget, read-only."""

import contextlib
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from cachetools import LRUCache

from explorer.caching import COMPUTING_AT_ONCE, MB, SHARED, nbytes, per_model
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


def _at_once(calls, n: int) -> list:
    """Run ``calls(i)`` in ``n`` threads that start together; their results in order."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        barrier.wait()
        results[i] = calls(i)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a session is still waiting"
    return results


def test_a_class_asking_for_one_result_at_once_computes_it_once():
    """Twenty sessions open one link together: one computes, the others wait and get the same object,
    even when it is too large to keep."""
    calls = []

    @per_model(max_mb=500 / MB)
    def survey(weights, n):
        calls.append(n)
        time.sleep(0.3)
        return np.ones(1000)  # over the budget: handed out, not kept

    results = _at_once(lambda i: survey(A, 20), 20)
    assert calls == [20] and all(result is results[0] for result in results)
    assert survey.cache.currsize == 0


def test_a_session_waiting_on_another_says_so(monkeypatch):
    """A computation without a spinner of its own (a survey's chunk, whose page shows a progress bar)
    computes silently, and a session waiting on another's sees why nothing moves; with a spinner, the
    waiters see it too."""
    import explorer.caching

    shown = []
    monkeypatch.setattr(explorer.caching.st, "spinner", lambda text: shown.append(text) or contextlib.nullcontext())

    @per_model(max_mb=1)
    def chunk(weights):
        time.sleep(0.3)
        return np.zeros(2)

    @per_model(max_mb=1, spinner="Composing…")
    def composing(weights):
        time.sleep(0.3)
        return np.zeros(2)

    _at_once(lambda i: chunk(A), 3)
    assert shown == [SHARED, SHARED]
    shown.clear()
    _at_once(lambda i: composing(A), 3)
    assert shown == ["Composing…"] * 3


def test_at_most_computing_at_once_computations_run_together():
    running, most = [0], [0]
    guard = threading.Lock()

    @per_model(max_mb=1)
    def work(weights, n):
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.1)
        with guard:
            running[0] -= 1
        return np.full(3, n)

    results = _at_once(lambda i: work(A, i), 6)
    assert [int(r[0]) for r in results] == list(range(6))
    assert most[0] == COMPUTING_AT_ONCE


def test_a_waiter_computes_what_a_failed_or_stopped_computation_left():
    """A leader's exception (a stopped session's, say) is its own: the session waiting on it computes."""
    calls = []

    @per_model(max_mb=1)
    def flaky(weights):
        calls.append(threading.current_thread().name)
        time.sleep(0.2)
        if len(calls) == 1:
            raise RuntimeError("stopped")
        return np.zeros(2)

    results = _at_once(lambda i: _outcome(flaky, A), 2)
    assert sorted(map(type, results), key=str) == [RuntimeError, np.ndarray] and len(calls) == 2


def _outcome(function, *args):
    try:
        return function(*args)
    except RuntimeError as error:
        return error


def test_waiting_on_another_sessions_computation_lends_the_turn():
    """Both turns held by computations (Layers and Self-similarity, say) that come to wait on one a
    third session started but has no turn for (the tune's internals): the waiters hand their turns
    back, so nothing waits for ever."""
    holding, go = threading.Semaphore(0), threading.Event()

    @per_model(max_mb=1)
    def inner(weights):
        return np.ones(4)

    @per_model(max_mb=1)
    def outer(weights, n):
        holding.release()
        go.wait(5)
        return inner(weights) * n

    results = {}
    threads = [threading.Thread(target=lambda n=n: results.setdefault(n, outer(A, n)), daemon=True) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert holding.acquire(timeout=5)  # both turns are held
    threads.append(threading.Thread(target=lambda: results.setdefault(0, inner(A)), daemon=True))
    threads[-1].start()
    time.sleep(0.2)  # the third session now leads inner's computation, waiting for a turn
    go.set()
    for thread in threads:
        thread.join(5)
    assert not any(thread.is_alive() for thread in threads), "deadlocked"
    assert {n: float(r.sum()) for n, r in results.items()} == {0: 4.0, 1: 4.0, 2: 8.0}
