"""The logit lens: decode every layer's h_t through the softmax layer, softmax(V h_t^(l) + v).

Layers 1 and 2 were never trained to be read by V, so what they decode to shows how much of the
next-token distribution is already there below the last layer; the last layer's decoding is the
network's real output. Per step: each decoding's entropy and its KL divergence from the real output,
KL(p_out || p_l), in nats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..weights import ModelWeights
from .internals import Internals
from .perturbation import entropy, softmax


@dataclass(frozen=True)
class LogitLens:
    tokens: list[str]
    vocabulary_tokens: tuple[str, ...]
    probabilities: np.ndarray  # (layers, steps, vocab): softmax(V h_t^(l) + v)
    entropy: np.ndarray  # (layers, steps)
    kl_to_output: np.ndarray  # (layers, steps): KL(p_out || p_l); 0 for the last layer

    def top(self, layer: int, step: int, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` likeliest tokens decoded from layer ``layer`` (from 1) at ``step``."""
        p = self.probabilities[layer - 1, step]
        order = np.argsort(-p, kind="stable")[:k]
        return [(self.vocabulary_tokens[j], float(p[j])) for j in order]


def logit_lens(weights: ModelWeights, inside: Internals) -> LogitLens:
    """Decode each layer of ``inside`` (computed for ``weights``) through V and v."""
    V, v = weights.V.astype(np.float64), weights.v.astype(np.float64)
    p = np.stack([softmax(layer.h @ V.T + v) for layer in inside.layers])
    out = p[-1]
    log_ratio = np.log(np.where(out > 0, out, 1.0)) - np.log(np.maximum(p, np.finfo(float).tiny))
    kl = (out * log_ratio).sum(axis=-1)
    kl[-1] = 0.0  # the output against itself, without rounding noise
    return LogitLens(inside.tokens, weights.vocabulary.tokens, p, entropy(p), kl)
