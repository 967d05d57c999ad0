"""How the hidden state h_t uses the singular directions: projections and logit decomposition.

V h_t + v = sum_i s_i (w_i . h_t) u_i + v, so the logit of token k at step t splits exactly into one
contribution s_i (w_i . h_t) u_i[k] per direction plus the bias v[k].
"""

from __future__ import annotations

import numpy as np

from .svd import SoftmaxSVD


def projections(hidden: np.ndarray, svd: SoftmaxSVD) -> np.ndarray:
    """w_i . h_t for every step and direction: (steps, r) from hidden (steps, H)."""
    return np.asarray(hidden, dtype=np.float64) @ svd.W


def logit_contributions(hidden: np.ndarray, svd: SoftmaxSVD, token: int) -> np.ndarray:
    """s_i (w_i . h_t) u_i[token] for every step and direction: (steps, r); add v[token] for the logit."""
    return projections(hidden, svd) * svd.s * svd.U[token]


def logits(hidden: np.ndarray, svd: SoftmaxSVD) -> np.ndarray:
    """V h_t + v rebuilt from the factors: (steps, vocab)."""
    return (projections(hidden, svd) * svd.s) @ svd.U.T + svd.v
