"""Fewer directions: the softmax layer with only some of its singular directions.

V_k = sum_{i<=k} s_i u_i w_i^T keeps the top k directions; removing direction i subtracts
s_i u_i w_i^T. The bias v is always kept. Truncating V leaves the LSTM untouched, so for a fixed
input the hidden states h_t do not change: the NLL of a given tune under every V_k follows from one
run of the network (:func:`nll_curve`). Composing does change (each sampled token feeds back), so
sampling uses a network built from :func:`truncated_weights`
(:func:`folkrnn.compose.interventions.compose_truncated`).

Sturm reported that v2 reduced to a 30-dimensional softmax subspace still composes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..vocab import END, Vocabulary
from ..weights import ModelWeights
from .directions import logits
from .perturbation import softmax
from .svd import SoftmaxSVD, softmax_svd


def keep_mask(rank: int, k: int | None = None, remove: Iterable[int] = ()) -> np.ndarray:
    """Which of the ``rank`` directions stay: the top ``k`` (all when None) minus ``remove`` (from 1)."""
    k = rank if k is None else int(k)
    if not 0 <= k <= rank:
        raise ValueError(f"k must be in 0..{rank}, got {k}")
    keep = np.arange(1, rank + 1) <= k
    for i in remove:
        if not 1 <= int(i) <= rank:
            raise ValueError(f"direction {i} is out of range 1..{rank}")
        keep[int(i) - 1] = False
    return keep


def truncated_V(svd: SoftmaxSVD, k: int | None = None, remove: Iterable[int] = ()) -> np.ndarray:
    """sum over kept i of s_i u_i w_i^T, a new float64 (vocab x H) array."""
    keep = keep_mask(svd.rank, k, remove)
    return (svd.U[:, keep] * svd.s[keep]) @ svd.W[:, keep].T


def describe(k: int | None, remove: Iterable[int], rank: int) -> str:
    """'top 30 of 137 directions', 'all 137 directions without 1, 2', …"""
    remove = sorted(set(int(i) for i in remove))
    head = f"all {rank} directions" if k is None or k >= rank else f"top {k} of {rank} directions"
    return head + (f" without {', '.join(map(str, remove))}" if remove else "")


@dataclass(frozen=True)
class Truncation:
    """One softmax layer cut down: the top ``k`` directions (all when None) without ``remove`` (from 1).

    Frozen, with ``remove`` sorted and without repeats, so that equal cuts are equal and key a cache.
    """

    k: int | None = None
    remove: tuple[int, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "k", None if self.k is None else int(self.k))
        object.__setattr__(self, "remove", tuple(sorted(set(int(i) for i in self.remove))))

    @property
    def along_k(self) -> bool:
        """Whether this is a point of a sweep over k: the top k directions, none removed."""
        return self.k is not None and not self.remove

    def k_on_axis(self, rank: int) -> int:
        """Its k on a sweep's axis: ``k``, or ``rank`` when it keeps every direction but the removed ones."""
        return rank if self.k is None else self.k

    def keep(self, rank: int) -> np.ndarray:
        """Which of the ``rank`` directions it keeps (:func:`keep_mask`)."""
        return keep_mask(rank, self.k, self.remove)

    def describe(self, rank: int) -> str:
        """'top 30 of 137 directions', 'all 137 directions without 1, 2', … (:func:`describe`)."""
        return describe(self.k, self.remove, rank)


def truncation_sweep(ks: Iterable[int], chosen: Truncation) -> list[Truncation]:
    """The softmax layers a sweep over k composes with: the top k for each of ``ks``, smallest first,
    then ``chosen`` unless it is one of them."""
    sweep = [Truncation(k) for k in sorted(int(k) for k in ks)]
    return sweep if chosen in sweep else [*sweep, chosen]


def truncated_weights(weights: ModelWeights, k: int | None = None, remove: Iterable[int] = ()) -> ModelWeights:
    """``weights`` with V replaced by its truncation (new read-only arrays; the input is untouched).

    ``k=None`` keeps every direction (V rebuilt from its factors, equal to V to float32 precision);
    ``remove`` drops directions numbered from 1. The LSTM layers and the bias v are shared as they are.
    """
    remove = tuple(sorted(set(int(i) for i in remove)))
    svd = softmax_svd(weights)
    V = truncated_V(svd, k, remove)
    metadata = dict(weights.metadata)
    metadata["name"] = f"{weights.name} ({describe(k, remove, svd.rank)})"
    metadata["truncation"] = {"k": k, "removed": list(remove), "of": weights.content_hash}
    return ModelWeights.checked(weights.vocabulary, weights.layers, V, weights.v, metadata)


def targets_of(vocabulary: Vocabulary, tokens: Sequence[str]) -> np.ndarray:
    """Indices of the tokens each step predicts for a full transcription: tokens, then ``</s>``."""
    return np.array(vocabulary.encode([*tokens, END]))


def token_nll(hidden: np.ndarray, svd: SoftmaxSVD, targets: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """-log p(target_t) under V_keep, step by step (hidden[t] predicts targets[t])."""
    targets = np.asarray(targets)
    p = softmax(logits(np.asarray(hidden)[: len(targets)], svd, keep))
    return -np.log(p[np.arange(len(targets)), targets])


def nll_curve(hidden: np.ndarray, svd: SoftmaxSVD, targets: np.ndarray, ks: Sequence[int] | None = None) -> np.ndarray:
    """Mean NLL per token (nats) under V_k for each k in ``ks`` (default 1..rank)."""
    ks = range(1, svd.rank + 1) if ks is None else ks
    return np.array([token_nll(hidden, svd, targets, keep_mask(svd.rank, k)).mean() for k in ks])


def removal_curve(hidden: np.ndarray, svd: SoftmaxSVD, targets: np.ndarray, directions: Sequence[int]) -> np.ndarray:
    """Mean NLL per token (nats) with each one of ``directions`` (from 1) removed from V in turn."""
    return np.array([token_nll(hidden, svd, targets, keep_mask(svd.rank, None, [i])).mean() for i in directions])
