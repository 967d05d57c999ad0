"""How the hidden state h_t uses the singular directions: projections and logit decomposition.

V h_t + v = sum_i s_i (w_i . h_t) u_i + v, so the logit of token k at step t splits exactly into one
contribution s_i (w_i . h_t) u_i[k] per direction plus the bias v[k].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..vocab import END, START
from .perturbation import softmax
from .svd import SoftmaxSVD


def step_tokens(tokens: Sequence[str], step: int) -> tuple[str, str]:
    """(the token h_t has just read, the token it predicts) at step t of a tune: h_t has read ``<s>``
    and the first t tokens, and predicts token t + 1 (``</s>`` after the last)."""
    if not 0 <= step <= len(tokens):
        raise ValueError(f"step must be in 0..{len(tokens)}, got {step}")
    return [START, *tokens][step], [*tokens, END][step]


def projections(hidden: np.ndarray, svd: SoftmaxSVD) -> np.ndarray:
    """w_i . h_t for every step and direction: (steps, r) from hidden (steps, H)."""
    return np.asarray(hidden, dtype=np.float64) @ svd.W


def logit_contributions(hidden: np.ndarray, svd: SoftmaxSVD, token: int) -> np.ndarray:
    """s_i (w_i . h_t) u_i[token] for every step and direction: (steps, r); add v[token] for the logit."""
    return projections(hidden, svd) * svd.s * svd.U[token]


def logits(hidden: np.ndarray, svd: SoftmaxSVD, keep: np.ndarray | None = None) -> np.ndarray:
    """V h_t + v rebuilt from the factors: (steps, vocab); with ``keep`` (a mask over the
    directions) only those directions contribute, i.e. V is truncated."""
    keep = np.ones(svd.rank, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    proj = np.asarray(hidden, dtype=np.float64) @ svd.W[:, keep]
    return (proj * svd.s[keep]) @ svd.U[:, keep].T + svd.v


@dataclass(frozen=True)
class LogitDecomposition:
    """logit[token] = sum_i s_i (w_i . h_t) u_i[token] + v[token], exactly, at one step."""

    token: int
    projections: np.ndarray  # (r,) w_i . h_t
    contributions: np.ndarray  # (r,) s_i (w_i . h_t) u_i[token]
    bias: float  # v[token]
    probability: float  # softmax(V h_t + v)[token]
    rank_of_token: int  # 1 = the most likely token at this step

    @property
    def logit(self) -> float:
        return float(self.contributions.sum() + self.bias)

    def top(self, m: int) -> np.ndarray:
        """The m directions (numbered from 1) with the largest |contribution|, largest first."""
        order = np.argsort(-np.abs(self.contributions), kind="stable")
        return order[: max(0, m)] + 1


def logit_decomposition(h: np.ndarray, svd: SoftmaxSVD, token: int) -> LogitDecomposition:
    """Split the logit of ``token`` for one hidden state ``h`` (H,) over the singular directions."""
    h = np.asarray(h, dtype=np.float64).reshape(1, -1)
    proj = projections(h, svd)[0]
    contributions = logit_contributions(h, svd, token)[0]
    z = logits(h, svd)[0]
    p = softmax(z)
    return LogitDecomposition(
        int(token), proj, contributions, float(svd.v[token]), float(p[token]),
        int((z > z[token]).sum()) + 1,
    )
