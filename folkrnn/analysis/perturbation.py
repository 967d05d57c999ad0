"""Distributions of the softmax layer with its bias pushed along singular directions.

softmax((v + sum_k a_k s_k u_k) / T): with h_t = 0 the network's output is softmax(v); adding
a s_i u_i is what an h_t equal to a w_i would add, since V w_i = s_i u_i. Everything is computed
out of place: the SVD's arrays are never modified.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .svd import SoftmaxSVD


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / T) along the last axis, computed stably."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def entropy(p: np.ndarray) -> float | np.ndarray:
    """Shannon entropy in nats along the last axis (a float for a single distribution)."""
    p = np.asarray(p, dtype=np.float64)
    h = -(p * np.log(np.where(p > 0, p, 1.0))).sum(axis=-1)
    return float(h) if h.ndim == 0 else h


def perturbed_logits(svd: SoftmaxSVD, scales: Mapping[int, float]) -> np.ndarray:
    """v + sum_i a_i s_i u_i for ``scales`` = {i: a_i} (directions numbered from 1)."""
    logits = svd.v.copy()
    for i, a in scales.items():
        logits += a * svd.s[i - 1] * svd.u(i)
    return logits


def perturbed_distribution(svd: SoftmaxSVD, scales: Mapping[int, float], temperature: float = 1.0) -> np.ndarray:
    """softmax((v + sum_i a_i s_i u_i) / T)."""
    return softmax(perturbed_logits(svd, scales), temperature)


def bias_distribution(svd: SoftmaxSVD, temperature: float = 1.0) -> np.ndarray:
    """The unperturbed softmax(v / T): the network's output when h_t = 0."""
    return softmax(svd.v, temperature)


def probability_factor(p: np.ndarray | float, delta: np.ndarray | float) -> np.ndarray:
    """alpha such that raising one logit by delta turns its probability p into alpha p.

    alpha = e^delta / (1 - p + p e^delta): the other logits are unchanged, so only the normaliser moves.
    """
    p, e = np.asarray(p, dtype=np.float64), np.exp(np.asarray(delta, dtype=np.float64))
    return e / (1 - p + p * e)


def logit_change_for_factor(p: np.ndarray | float, alpha: np.ndarray | float) -> np.ndarray:
    """The delta that multiplies probability p by alpha (needs 0 < alpha p < 1): the inverse of the above."""
    p, alpha = np.asarray(p, dtype=np.float64), np.asarray(alpha, dtype=np.float64)
    if np.any(alpha <= 0) or np.any(alpha * p >= 1):
        raise ValueError("alpha must satisfy 0 < alpha * p < 1")
    return np.log(alpha * (1 - p) / (1 - alpha * p))
