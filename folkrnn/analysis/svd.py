"""The SVD of the softmax layer, V = U S W^T, computed once per model content and cached.

With ``svd = softmax_svd(weights)``: ``svd.s`` holds s_1 > s_2 > …; ``svd.u(i)`` is u_i over the
tokens and ``svd.w(i)`` is w_i over the hidden units, numbered from 1 as in Sturm's blog, so that
V w_i = s_i u_i. Sign convention: each u_i (with its w_i) is oriented so that its entry of largest
magnitude is positive (the first such entry on ties). Every array handed out is read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..cache import WeightsCache
from ..vocab import Vocabulary
from ..weights import ModelWeights


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class SoftmaxSVD:
    """Factors of V (vocab x H): ``U`` (vocab x r, columns u_i), ``s`` (r,), ``W`` (H x r, columns w_i)."""

    vocabulary: Vocabulary
    U: np.ndarray
    s: np.ndarray
    W: np.ndarray
    v: np.ndarray  # the softmax bias, carried along because every analysis needs it
    key: str  # hash of V and v

    @property
    def rank(self) -> int:
        return self.s.shape[0]

    def _column(self, i: int) -> int:
        if not 1 <= i <= self.rank:
            raise IndexError(f"direction {i} is out of range 1..{self.rank}")
        return i - 1

    def u(self, i: int) -> np.ndarray:
        """u_i, the i-th left singular vector (one value per token), i from 1."""
        return self.U[:, self._column(i)]

    def w(self, i: int) -> np.ndarray:
        """w_i, the i-th right singular vector (one value per hidden unit), i from 1."""
        return self.W[:, self._column(i)]

    def direction(self, i: int, flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(u_i, w_i), both negated when ``flip`` (for display; s_i u_i w_i^T is unchanged)."""
        sign = -1.0 if flip else 1.0
        return sign * self.u(i), sign * self.w(i)

    @cached_property
    def energy(self) -> np.ndarray:
        """Cumulative share of squared singular values (Frobenius energy) in the top k directions."""
        return _readonly(np.cumsum(self.s**2) / np.sum(self.s**2))


def orient(U: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flip each column pair (u_i, w_i) so the largest-magnitude entry of u_i is positive."""
    peaks = np.argmax(np.abs(U), axis=0)  # first index on ties
    signs = np.sign(U[peaks, np.arange(U.shape[1])])
    signs[signs == 0] = 1.0
    return U * signs, W * signs


def compute_svd(weights: ModelWeights) -> SoftmaxSVD:
    """The oriented SVD of ``weights.V``, in float64, without caching."""
    U, s, Wt = np.linalg.svd(weights.V.astype(np.float64), full_matrices=False)
    U, W = orient(U, Wt.T)
    return SoftmaxSVD(
        weights.vocabulary,
        _readonly(np.ascontiguousarray(U)),
        _readonly(s),
        _readonly(np.ascontiguousarray(W)),
        _readonly(weights.v.astype(np.float64)),
        weights.softmax_hash,
    )


softmax_svd = WeightsCache(compute_svd, key=lambda weights: weights.softmax_hash, maxsize=8)
"""The cached :class:`SoftmaxSVD` of a model's softmax layer (one SVD per V and v)."""
