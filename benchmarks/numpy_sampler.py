"""The reference for the sampling benchmark: folk-rnn's own way, one step at a time in numpy.

folk-rnn's sampler (folk_rnn.py) runs the LSTM equations per step with numpy dot products and draws
the next token from the softmax; this does the same for ModelWeights, for one tune or a batch.
"""

from __future__ import annotations

import numpy as np

from folkrnn.vocab import END, START
from folkrnn.weights import ModelWeights


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sample(weights: ModelWeights, n: int, length: int, seed: int = 0) -> np.ndarray:
    """``length`` tokens for each of ``n`` tunes (no early stop, so the work is fixed): (n, length)."""
    rng = np.random.default_rng(seed)
    H = weights.hidden_size
    h = [np.tile(layer.h0, (n, 1)) for layer in weights.layers]
    c = [np.tile(layer.c0, (n, 1)) for layer in weights.layers]
    token = np.full(n, weights.vocabulary.index[START])
    end = weights.vocabulary.index[END]
    out = np.zeros((n, length), dtype=np.int64)
    for t in range(length):
        x = weights.layers[0].W_ih[:, token].T  # one-hot input: a column of W_ih per tune
        for l, layer in enumerate(weights.layers):
            z = (x if l == 0 else x @ layer.W_ih.T) + h[l] @ layer.W_hh.T + layer.b
            i, f, g, o = _sigmoid(z[:, :H]), _sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), _sigmoid(z[:, 3 * H:])
            c[l] = f * c[l] + i * g
            h[l] = o * np.tanh(c[l])
            x = h[l]
        logits = x @ weights.V.T + weights.v
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        token = np.array([rng.choice(len(row), p=row) for row in p])
        token[token == end] = end
        out[:, t] = token
    return out
