"""The sampling benchmark's numpy reference computes the same network as FolkRNN."""

import numpy as np
import torch

from benchmarks.numpy_sampler import initial, sample, step
from folkrnn.network.model import FolkRNN
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=5)


def test_reference_steps_match_forward():
    tokens = np.array([[80, 57, 86, 39, 71, 48], [80, 63, 77, 35, 65, 2]])
    with torch.no_grad():
        hidden = FolkRNN.from_weights(WEIGHTS)(torch.from_numpy(tokens)).hidden[-1].numpy()
    for dtype, tol in ((np.float64, 1e-6), (np.float32, 1e-5)):
        layers, h, c = initial(WEIGHTS, 2, dtype)
        for t in range(tokens.shape[1]):
            np.testing.assert_allclose(step(layers, tokens[:, t], h, c), hidden[:, t], atol=tol)


def test_reference_samples_are_seeded_tokens():
    a = sample(WEIGHTS, 3, 10, seed=1)
    assert a.shape == (3, 10) and a.min() >= 0 and a.max() < len(WEIGHTS.vocabulary)
    np.testing.assert_array_equal(a, sample(WEIGHTS, 3, 10, seed=1))
