"""Small random models for tests, built directly as ModelWeights (no file format involved)."""

from __future__ import annotations

import numpy as np

from folkrnn.vocab import Vocabulary, folkrnn_v2_vocabulary
from folkrnn.weights import LSTMLayerWeights, ModelWeights


def planted_matrix(rows: int, cols: int, singular_values, rng: np.random.Generator) -> np.ndarray:
    """A rows x cols matrix with exactly the given singular values (random orthogonal factors)."""
    k = len(singular_values)
    Q1, _ = np.linalg.qr(rng.standard_normal((rows, k)))
    Q2, _ = np.linalg.qr(rng.standard_normal((cols, k)))
    return Q1 @ np.diag(singular_values) @ Q2.T


def random_weights(
    hidden: int = 16, layers: int = 3, seed: int = 0, vocabulary: Vocabulary | None = None,
    singular_values=None, scale: float = 0.3,
) -> ModelWeights:
    """A model with random weights and non-zero initial states; V has ``singular_values`` if given."""
    rng = np.random.default_rng(seed)
    vocabulary = vocabulary or folkrnn_v2_vocabulary()
    n_vocab, n_in = len(vocabulary), len(vocabulary)
    stack = []
    for i in range(layers):
        stack.append(LSTMLayerWeights.checked(
            f"lstm{i}", n_in, hidden,
            W_ih=scale * rng.standard_normal((4 * hidden, n_in)),
            W_hh=scale * rng.standard_normal((4 * hidden, hidden)),
            b=scale * rng.standard_normal(4 * hidden),
            h0=rng.uniform(-0.5, 0.5, hidden),
            c0=rng.uniform(-0.5, 0.5, hidden),
        ))
        n_in = hidden
    if singular_values is None:
        V = rng.standard_normal((n_vocab, hidden))
    else:
        V = planted_matrix(n_vocab, hidden, singular_values, rng)
    return ModelWeights.checked(vocabulary, stack, V, rng.standard_normal(n_vocab),
                                {"experiment_id": f"random-{seed}"})
