"""The reference for the sampling benchmark: the network stepped one token at a time in numpy.

folk-rnn's samplers (sample_rnn.py, folk_rnn.py) compose one tune after another in float64
(``theano.config.floatX = 'float64'``) and draw each token with ``rng.choice(p=...)``; they even
re-run the network over the whole prefix at every step, which this reference does not. ``sample``
does folk-rnn's arithmetic per step for ModelWeights: float64 and n=1 is folk-rnn's way; float32
over a batch is a stronger numpy baseline, reported for context.
"""

from __future__ import annotations

import numpy as np

from folkrnn.vocab import START
from folkrnn.weights import ModelWeights


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def initial(weights: ModelWeights, n: int, dtype=np.float64) -> tuple[list[dict], list, list]:
    """The layers' weights cast to ``dtype``, and the trained initial h and c for ``n`` tunes."""
    layers = [{k: np.asarray(getattr(layer, k), dtype) for k in ("W_ih", "W_hh", "b", "h0", "c0")}
              for layer in weights.layers]
    return layers, [np.tile(l["h0"], (n, 1)) for l in layers], [np.tile(l["c0"], (n, 1)) for l in layers]


def step(layers: list[dict], token: np.ndarray, h: list, c: list) -> np.ndarray:
    """Read one token per tune, updating ``h`` and ``c`` in place: the last layer's h_t, (n, H)."""
    H = h[0].shape[1]
    x = layers[0]["W_ih"][:, token].T  # one-hot input: a column of W_ih per tune
    for l, layer in enumerate(layers):
        z = (x if l == 0 else x @ layer["W_ih"].T) + h[l] @ layer["W_hh"].T + layer["b"]
        i, f, g, o = _sigmoid(z[:, :H]), _sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), _sigmoid(z[:, 3 * H:])
        c[l] = f * c[l] + i * g
        h[l] = o * np.tanh(c[l])
        x = h[l]
    return x


def sample(weights: ModelWeights, n: int, length: int, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """``length`` tokens for each of ``n`` tunes (no early stop, so the work is fixed): (n, length)."""
    rng = np.random.default_rng(seed)
    layers, h, c = initial(weights, n, dtype)
    V, v = np.asarray(weights.V, dtype), np.asarray(weights.v, dtype)
    token = np.full(n, weights.vocabulary.index[START])
    out = np.zeros((n, length), dtype=np.int64)
    for t in range(length):
        logits = step(layers, token, h, c) @ V.T + v
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        token = np.array([rng.choice(len(row), p=row) for row in p])
        out[:, t] = token
    return out
