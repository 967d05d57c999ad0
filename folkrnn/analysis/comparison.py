"""Two models side by side: their softmax layers' spectra and singular subspaces.

Two folk-rnn models need not share a vocabulary or its order, so left singular vectors are
compared over the tokens both have, matched by token text (:func:`shared_token_rows`). Subspaces
are compared by their principal angles (Bjorck and Golub: the singular values of Q_A^T Q_B are the
cosines); single vectors by |cosine|, since a singular vector's sign is arbitrary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..vocab import Vocabulary
from .svd import SoftmaxSVD


def shared_token_rows(a: Vocabulary, b: Vocabulary) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Tokens both vocabularies hold (in ``a``'s order) and their row indices in ``a`` and in ``b``."""
    tokens = tuple(t for t in a.tokens if t in b.index)
    rows_a = np.array([a.index[t] for t in tokens], dtype=np.int64)
    rows_b = np.array([b.index[t] for t in tokens], dtype=np.int64)
    return tokens, rows_a, rows_b


def orthonormal_basis(A: np.ndarray, rtol: float | None = None) -> np.ndarray:
    """An orthonormal basis of the column space of ``A`` (SVD; numerically null directions dropped)."""
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"expected a matrix, got shape {A.shape}")
    if A.size == 0:
        return np.zeros((A.shape[0], 0))
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    rtol = max(A.shape) * np.finfo(np.float64).eps if rtol is None else rtol
    return U[:, s > rtol * s[0]] if s[0] > 0 else U[:, :0]


def principal_angles(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Principal angles in degrees between the column spaces of A and B, smallest first.

    There are min(rank A, rank B) of them. Cosines are the singular values of Q_A^T Q_B; angles
    under 45 degrees are taken from the sines (singular values of the part of one basis outside the
    other subspace), which stay accurate where arccos of a cosine near 1 does not.
    """
    QA, QB = orthonormal_basis(A), orthonormal_basis(B)
    if QA.shape[0] != QB.shape[0]:
        raise ValueError(f"A and B live in spaces of different size: {QA.shape[0]} and {QB.shape[0]}")
    if QA.shape[1] == 0 or QB.shape[1] == 0:
        return np.zeros(0)
    M = QA.T @ QB
    cos = np.clip(np.linalg.svd(M, compute_uv=False), 0.0, 1.0)  # descending: angles ascending
    residual = QB - QA @ M if QA.shape[1] >= QB.shape[1] else QA - QB @ M.T
    sin = np.clip(np.linalg.svd(residual, compute_uv=False), 0.0, 1.0)[::-1]  # ascending
    sin = sin[: len(cos)] if len(sin) >= len(cos) else np.pad(sin, (len(cos) - len(sin), 0))
    theta = np.where(cos**2 >= 0.5, np.arcsin(sin), np.arccos(cos))
    return np.degrees(theta)


def abs_cosines(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """|cos| between every column of A and every column of B: (columns of A, columns of B)."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    na, nb = np.linalg.norm(A, axis=0), np.linalg.norm(B, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (A.T @ B) / np.outer(na, nb)
    return np.abs(np.nan_to_num(c))


@dataclass(frozen=True)
class Match:
    i: int  # direction of model A, from 1
    j: int  # best matching direction of model B, from 1
    cosine: float  # signed cosine of u_i (A) and u_j (B) over the shared tokens
    runner_up: float  # |cosine| of the second-best j (0 with one candidate)


def best_matches(A: np.ndarray, B: np.ndarray) -> list[Match]:
    """For every column i of A, the column j of B with the largest |cosine| (numbered from 1)."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    c = abs_cosines(A, B)
    matches = []
    for i, row in enumerate(c):
        order = np.argsort(-row, kind="stable")
        j = int(order[0])
        signed = float(A[:, i] @ B[:, j] / (np.linalg.norm(A[:, i]) * np.linalg.norm(B[:, j]) or 1.0))
        matches.append(Match(i + 1, j + 1, signed, float(row[order[1]]) if len(order) > 1 else 0.0))
    return matches


@dataclass(frozen=True)
class SoftmaxComparison:
    """Model A against model B over their shared tokens, using the top ``k`` directions of each."""

    tokens: tuple[str, ...]
    k: int
    angles: np.ndarray  # (k,) principal angles (degrees) between span(u_1..u_k) of A and of B
    cosines: np.ndarray  # (k, k) |cos| of u_i (A) and u_j (B) over the shared tokens
    matches: list[Match]
    random_angles: np.ndarray  # (k,) angles between span(u_1..u_k) of A and a random k-dimensional subspace

    @property
    def median_angle(self) -> float:
        return float(np.median(self.angles))

    @property
    def random_median_angle(self) -> float:
        """The median angle to a random subspace: what "far apart" means for these k and tokens."""
        return float(np.median(self.random_angles))

    def angles_under(self, degrees: float) -> int:
        """How many principal angles are below ``degrees``: directions the two models share."""
        return int((self.angles < degrees).sum())


def compare_softmax(a: SoftmaxSVD, b: SoftmaxSVD, k: int, seed: int = 0) -> SoftmaxComparison:
    """Principal angles and best matches between the top-k left singular vectors of two models, and
    as a reference for reading the angles, those between A's subspace and a random one of the shared
    tokens (spanned by ``k`` standard normal vectors drawn from ``seed``)."""
    tokens, rows_a, rows_b = shared_token_rows(a.vocabulary, b.vocabulary)
    if not tokens:
        raise ValueError("the two models share no token")
    k = int(min(k, a.rank, b.rank, len(tokens)))
    if k < 1:
        raise ValueError("k must be at least 1")
    UA, UB = a.U[rows_a, :k], b.U[rows_b, :k]
    random_basis = np.random.default_rng(seed).standard_normal((len(tokens), k))
    return SoftmaxComparison(tokens, k, principal_angles(UA, UB), abs_cosines(UA, UB), best_matches(UA, UB),
                             principal_angles(UA, random_basis))
