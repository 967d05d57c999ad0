"""Many threads using the cached SVD at once: each gets its own numbers, the cache stays bit-identical.

(AppTest is not thread-safe: it creates and tears down Streamlit's global runtime on every run, so
sessions cannot be simulated with AppTest in threads; the computation every session shares is what
is checked here.)
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from folkrnn import load_model, softmax_svd
from folkrnn.analysis.perturbation import perturbed_distribution, softmax

THREADS = 8


def test_threads_see_their_own_perturbations_and_leave_the_cache_intact():
    weights = load_model()
    svd = softmax_svd(weights)
    before = {name: getattr(svd, name).tobytes() for name in ("U", "s", "W", "v")}

    def work(k):
        results = []
        for step in range(50):
            i, a, T = 1 + (k * 7 + step) % 137, (-1) ** step * (0.5 + k / 4), 0.5 + (step % 5) / 2
            shared = softmax_svd(weights)  # every thread asks the cache
            got = perturbed_distribution(shared, {i: a}, T)
            V = weights.V.astype(np.float64)
            expected = softmax((weights.v + a * V @ shared.w(i)) / T)  # V w_i = s_i u_i
            results.append(np.max(np.abs(got - expected)))
        return max(results)

    with ThreadPoolExecutor(THREADS) as pool:
        errors = list(pool.map(work, range(THREADS)))
    assert max(errors) < 1e-6
    assert softmax_svd(weights) is svd
    for name, data in before.items():
        assert getattr(svd, name).tobytes() == data, name
        assert not getattr(svd, name).flags.writeable


def test_threads_composing_at_once_get_the_tunes_of_their_own_seeds():
    """One shared ONNX Runtime session serves every thread (a class composing at once)."""
    from folkrnn.compose.sampling import SamplingSettings, sample_tunes
    from tests.factories import random_weights

    weights = random_weights(hidden=32, seed=4)
    serial = {seed: sample_tunes(weights, SamplingSettings(n=3, seed=seed, max_length=60)) for seed in range(THREADS)}
    with ThreadPoolExecutor(THREADS) as pool:
        concurrent = dict(zip(range(THREADS), pool.map(
            lambda seed: sample_tunes(weights, SamplingSettings(n=3, seed=seed, max_length=60)), range(THREADS))))
    assert len({tuple(map(tuple, (t.tokens for t in tunes))) for tunes in serial.values()}) == THREADS
    for seed in range(THREADS):
        assert [t.tokens for t in concurrent[seed]] == [t.tokens for t in serial[seed]], seed
