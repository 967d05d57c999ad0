"""Do the singular directions get used? Statistics of the projections w_i . h_t over many steps.

Sturm's blog reads V's singular directions off the weights alone. Whether the network actually
points h_t along w_i when it composes is a question about its hidden states:
:class:`UsageSums` adds up |w_i . h_t| over every step of many tunes, per direction and per category
of the token being predicted, and :class:`DirectionUsage` holds the averages next to two baselines
that make the numbers readable: the |w . h_t| a direction w drawn at random would get (same h_t,
random orientation), and the share of ||h_t||^2 along w_i against the 1/H share a random direction
holds. (:func:`folkrnn.analysis.directions.logit_decomposition` splits one logit exactly into
s_i (w_i . h_t) u_i[token] per direction plus the bias v[token].)

Numpy only: the hidden states come from running the network, in ONNX Runtime
(:func:`folkrnn.analysis.experiments.read_tunes`, as the app does) or in torch (:mod:`folkrnn.network.usage`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..vocab import CATEGORIES, END, token_category
from .directions import projections
from .svd import SoftmaxSVD


def random_direction_mean_abs(hidden_size: int) -> float:
    """E|w . x| for a fixed unit vector x and w uniform on the unit sphere of R^H.

    Exactly Gamma(H/2) / (sqrt(pi) Gamma((H+1)/2)), about sqrt(2 / (pi H)) for large H
    (0.0352 for H = 512): what |w . h_t| / ||h_t|| would be if h_t had no preferred direction.
    """
    if hidden_size < 1:
        raise ValueError(f"hidden_size must be positive, got {hidden_size}")
    return math.exp(math.lgamma(hidden_size / 2) - math.lgamma((hidden_size + 1) / 2)) / math.sqrt(math.pi)


@dataclass(frozen=True)
class DirectionUsage:
    """How strongly h_t points along each w_i, averaged over ``steps`` steps of ``tunes`` tunes.

    A step is one h_t that predicts a known token: every token of a tune and, for a tune that ended,
    its ``</s>``. Arrays over directions have r entries (direction i at index i-1); arrays over
    categories follow :data:`~folkrnn.vocab.CATEGORIES` (the category of the token predicted).

    Two readings of "used": *size* (mean |w_i . h_t| against a random unit direction) and *variation*
    (the standard deviation of w_i . h_t over the steps against that of a random direction). A
    direction whose projection is large but nearly constant acts as a second bias, not as a
    step-by-step choice.
    """

    hidden_size: int
    s: np.ndarray  # (r,) singular values
    tunes: int
    steps: int
    categories: tuple[str, ...]
    steps_by_category: np.ndarray  # (C,)
    mean_abs: np.ndarray  # (r,) mean |w_i . h_t|
    mean_abs_by_category: np.ndarray  # (C, r), NaN for a category with no steps
    mean: np.ndarray  # (r,) mean w_i . h_t (signed)
    std: np.ndarray  # (r,) standard deviation of w_i . h_t over the steps
    mean_share: np.ndarray  # (r,) mean (w_i . h_t)^2 / ||h_t||^2
    mean_norm: float  # mean ||h_t||
    baseline_mean_abs: float  # mean ||h_t|| E|w . h_t/||h_t|| | for w uniform on the sphere
    baseline_std: float  # E over random unit w of the std of w . h_t: sqrt(trace Cov(h_t) / H)

    @property
    def rank(self) -> int:
        return self.s.shape[0]

    @property
    def ratio(self) -> np.ndarray:
        """mean |w_i . h_t| over the random-direction baseline: 1 = no preference for w_i."""
        return self.mean_abs / self.baseline_mean_abs

    @property
    def std_ratio(self) -> np.ndarray:
        """std of w_i . h_t over that of a random direction: above 1, h_t moves along w_i more than at random."""
        return self.std / self.baseline_std if self.baseline_std > 0 else np.full_like(self.std, np.nan)

    @property
    def random_share(self) -> float:
        """The share of ||h_t||^2 one random direction holds on average: 1/H."""
        return 1.0 / self.hidden_size

    @property
    def row_space_share(self) -> float:
        """Mean share of ||h_t||^2 in the span of w_1..w_r (the part V can see); random: r/H."""
        return self.top_share(self.rank)

    def top_share(self, k: int) -> float:
        """Mean share of ||h_t||^2 in the span of w_1..w_k; k random orthonormal directions hold k/H."""
        return float(self.mean_share[:k].sum())

    @property
    def larger_than_random(self) -> int:
        """How many directions get a larger mean |w_i . h_t| than a random direction would."""
        return int((self.ratio > 1).sum())

    @property
    def varying_more_than_random(self) -> int:
        """How many directions h_t moves along more (a larger std of w_i . h_t) than along a random one."""
        return int((self.std_ratio > 1).sum())

    @property
    def category_steps(self) -> dict[str, int]:
        """Steps per category of the token predicted, for the categories that have any."""
        return {c: int(k) for c, k in zip(self.categories, self.steps_by_category) if k}

    @property
    def mean_logit_effect(self) -> np.ndarray:
        """mean s_i |w_i . h_t|: how far direction i moves the logit vector (||u_i|| = 1)."""
        return self.s * self.mean_abs


@dataclass(frozen=True)
class UsageSums:
    """Running sums behind :class:`DirectionUsage`; sums of disjoint sets of tunes add up (``+``)."""

    tunes: int
    steps_by_category: np.ndarray  # (C,) steps per category of the token predicted
    abs_by_category: np.ndarray  # (C, r) sum of |w_i . h_t|
    projection: np.ndarray  # (r,) sum of w_i . h_t
    projection_sq: np.ndarray  # (r,) sum of (w_i . h_t)^2
    share: np.ndarray  # (r,) sum of (w_i . h_t)^2 / ||h_t||^2
    hidden: np.ndarray  # (H,) sum of h_t
    norm: float  # sum of ||h_t||
    norm_sq: float  # sum of ||h_t||^2

    @classmethod
    def zeros(cls, rank: int, hidden_size: int) -> UsageSums:
        c = len(CATEGORIES)
        return cls(0, np.zeros(c, dtype=np.int64), np.zeros((c, rank)), np.zeros(rank), np.zeros(rank),
                   np.zeros(rank), np.zeros(hidden_size), 0.0, 0.0)

    def __add__(self, other: UsageSums) -> UsageSums:
        return UsageSums(
            self.tunes + other.tunes, self.steps_by_category + other.steps_by_category,
            self.abs_by_category + other.abs_by_category, self.projection + other.projection,
            self.projection_sq + other.projection_sq, self.share + other.share, self.hidden + other.hidden,
            self.norm + other.norm, self.norm_sq + other.norm_sq,
        )

    @classmethod
    def of_tune(cls, hidden: np.ndarray, targets: Sequence[str], svd: SoftmaxSVD) -> UsageSums:
        """The sums of one tune: ``hidden[t]`` predicts ``targets[t]`` (extra rows are ignored)."""
        hidden = np.asarray(hidden, dtype=np.float64)[: len(targets)]
        if len(hidden) < len(targets):
            raise ValueError(f"{len(targets)} targets but only {len(hidden)} hidden states")
        proj = projections(hidden, svd)
        norms = np.linalg.norm(hidden, axis=1)
        safe = np.where(norms > 0, norms, 1.0)
        share = ((proj / safe[:, None]) ** 2 * (norms > 0)[:, None]).sum(axis=0)
        cats = np.array([_CATEGORY_INDEX[token_category(t)] for t in targets], dtype=np.int64)
        by_category = np.zeros((len(CATEGORIES), svd.rank))
        steps = np.zeros(len(CATEGORIES), dtype=np.int64)
        np.add.at(by_category, cats, np.abs(proj))
        np.add.at(steps, cats, 1)
        return cls(1, steps, by_category, proj.sum(axis=0), (proj**2).sum(axis=0), share, hidden.sum(axis=0),
                   float(norms.sum()), float((norms**2).sum()))

    def summary(self, svd: SoftmaxSVD) -> DirectionUsage:
        """The averages, with the random-direction baselines for H = len(h_t) units."""
        hidden_size = self.hidden.shape[0]
        steps = int(self.steps_by_category.sum())
        n = max(steps, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            by_category = self.abs_by_category / self.steps_by_category[:, None]
        by_category[self.steps_by_category == 0] = np.nan
        mean_norm = self.norm / n
        mean = self.projection / n
        std = np.sqrt(np.maximum(self.projection_sq / n - mean**2, 0.0))
        spread = max(self.norm_sq / n - float(np.sum((self.hidden / n) ** 2)), 0.0)  # trace of Cov(h_t)
        return DirectionUsage(
            hidden_size, np.array(svd.s), self.tunes, steps, tuple(CATEGORIES), self.steps_by_category.copy(),
            self.abs_by_category.sum(axis=0) / n, by_category, mean, std, self.share / n, mean_norm,
            random_direction_mean_abs(hidden_size) * mean_norm, float(np.sqrt(spread / hidden_size)),
        )


def tune_targets(tune) -> list[str]:
    """The tokens a tune's h_t predict: a composed tune (with ``tokens`` and ``ended``) that did not end
    predicts its tokens only; one that ended, or a plain token list (a transcription), also ``</s>``."""
    tokens = list(getattr(tune, "tokens", tune))
    return [*tokens, END] if getattr(tune, "ended", True) else tokens


def usage_sums(tunes: Sequence, hidden: Sequence[np.ndarray], svd: SoftmaxSVD) -> UsageSums:
    """The :class:`UsageSums` of ``tunes``, whose last layer's h_t are ``hidden`` ((len(tokens) + 1, H) each)."""
    sums = UsageSums.zeros(svd.rank, svd.W.shape[0])
    for tune, h in zip(tunes, hidden):
        sums = sums + UsageSums.of_tune(h, tune_targets(tune), svd)
    return sums


_CATEGORY_INDEX = {name: k for k, name in enumerate(CATEGORIES)}
