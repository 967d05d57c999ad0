"""Self-similarity over the steps of a tune (Sturm, parts 9 and 10): the Gramian of any signal.

Rows of X are steps (one-hot inputs, softmax outputs p_t, h_t or a gate of a layer); the Gramian
G[s, t] = x_s · x_t, or the cosine of the two. Repeated bars read the same tokens and so show as
diagonals off the main one.
"""

from __future__ import annotations

import numpy as np

from .internals import SIGNALS, Internals
from .perturbation import softmax

KINDS = ("cosine", "dot")
STEP_SIGNALS = ("input", "output", *SIGNALS)  # one-hot x_t, p_t = softmax(V h_t + v), a layer's signal


def one_hot(indices: np.ndarray, size: int) -> np.ndarray:
    """(steps, size) with a 1 at each step's index."""
    out = np.zeros((len(indices), size))
    out[np.arange(len(indices)), indices] = 1.0
    return out


def gramian(X: np.ndarray, kind: str = "cosine") -> np.ndarray:
    """(steps, steps) dot products, or cosines (a zero row has cosine 0 with everything)."""
    if kind not in KINDS:
        raise ValueError(f"unknown Gramian kind {kind!r}; choose one of {', '.join(KINDS)}")
    X = np.asarray(X, dtype=np.float64)
    if kind == "cosine":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        X = X / np.where(norms > 0, norms, 1.0)
    return X @ X.T


def share_of_pairs_above(distances: np.ndarray, threshold: float) -> float:
    """Part 10's statistic: the share of step pairs s < t whose distance exceeds ``threshold``."""
    upper = distances[np.triu_indices(distances.shape[0], k=1)]
    return float((upper > threshold).mean()) if upper.size else 0.0


def cosine_distances(X: np.ndarray) -> np.ndarray:
    """1 − cosine similarity between every two steps."""
    return 1.0 - gramian(X, "cosine")


def step_signal(inside: Internals, signal: str, layer: int | None = None) -> np.ndarray:
    """(steps, n) rows to compare: the one-hot input read at each step ("input"), the output
    distribution p_t ("output"), or a signal of ``layer`` (from 1; one of SIGNALS)."""
    if signal == "input":
        return one_hot(inside.inputs, inside.logits.shape[1])
    if signal == "output":
        return softmax(inside.logits)
    if signal not in SIGNALS or layer is None or not 1 <= layer <= len(inside.layers):
        raise ValueError(f"signal {signal!r} of layer {layer!r}: choose input, output, or one of "
                         f"{', '.join(SIGNALS)} with a layer in 1..{len(inside.layers)}")
    return inside.layers[layer - 1].signal(signal)
