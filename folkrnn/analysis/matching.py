"""Select and match (LSTMVis, Strobelt et al. 2017): the units of a layer that are on over a span of a
tune, then the spans of a corpus where the same units are on.

A unit is *on* at a step when its h_t is at least the threshold. Selecting a span [a, b) of a tune's
tokens keeps the units on at every step of it and, with ``off_around`` = k > 0, off over the k steps
on either side of it (those inside the tune). Matching finds, in each tune, the maximal runs of steps
where (at least ``min_on`` of) the selected units are on, and scores each run as LSTMVis's paper
does: the units on over the run by the same rule (with the same ``off_around``) are compared with the
selection, ``shared`` of them selected and ``extra`` not, and the score is shared - extra (longer runs
first among equals). LSTMVis's code ranks by shared, then fewest extra: the same order wherever shared
is the same, as it always is with all selected units required on and no ``off_around``. Runs in one
tune never overlap. States are rows per token: row i is the layer's h_t after reading token i.

Numpy only: the corpus is read through any step engine (:func:`folkrnn.analysis.experiments.read_tunes`),
in batches of bounded size, and searched tune by tune, keeping only the best matches.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..weights import ModelWeights
from .experiments import read_tunes

#: LSTMVis's default activation threshold (its states are tanh-squashed, as h_t = o tanh(c_t) is).
THRESHOLD = 0.3
#: Padded steps read per batch: a batch holds every layer's h_t and the logits, 6.7 kB a step.
BATCH_STEPS = 8192


@dataclass(frozen=True)
class Match:
    """A run of steps of one tune where the selected units are on."""

    tune: int  # position of the tune in the corpus
    start: int  # first token of the run
    end: int  # one past its last token
    shared: int  # selected units on over the run (and off around it, as the selection asked)
    extra: int  # other units on over it by the same rule

    @property
    def score(self) -> int:
        return self.shared - self.extra

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Matches:
    matches: list[Match]  # best first: highest score, then longest, then corpus order
    tunes_searched: int
    out_of_time: bool  # stopped at the time limit with tunes left unsearched


@dataclass(frozen=True)
class Selection:
    """The units of one layer on over a span of a tune."""

    layer: int  # from 1
    span: tuple[int, int]  # tokens [a, b)
    threshold: float
    off_around: int
    units: tuple[int, ...]

    def keeping(self, units: Iterable[int]) -> Selection:
        """The selection narrowed to those of its units in ``units`` (LSTMVis: unticking units)."""
        keep = set(units)
        return replace(self, units=tuple(u for u in self.units if u in keep))


def _check_span(span: tuple[int, int], steps: int) -> None:
    a, b = span
    if a >= b:
        raise ValueError(f"the span {a}:{b} holds no tokens: a span a:b runs from token a to b - 1, so a < b")
    if a < 0 or b > steps:
        raise ValueError(f"the span {a}:{b} runs outside the tune's {steps} tokens (0:{steps})")


def on_over(states: np.ndarray, span: tuple[int, int], threshold: float, off_around: int = 0) -> np.ndarray:
    """(H,) whether each unit is at least ``threshold`` at every step of ``span`` and, for
    ``off_around`` > 0, below it over that many steps on either side (those inside the tune)."""
    a, b = span
    on = (states[a:b] >= threshold).all(axis=0)
    if off_around:
        around = np.concatenate([states[max(0, a - off_around) : a], states[b : b + off_around]])
        on &= (around < threshold).all(axis=0)
    return on


def select_units(states: np.ndarray, span: tuple[int, int], threshold: float = THRESHOLD,
                 off_around: int = 0) -> np.ndarray:
    """The units (ascending) on over ``span`` of ``states`` (steps, H), by :func:`on_over`'s rule."""
    _check_span(span, len(states))
    if off_around < 0:
        raise ValueError(f"off_around must be at least 0, got {off_around}")
    return np.flatnonzero(on_over(states, span, threshold, off_around))


def runs(mask: np.ndarray) -> np.ndarray:
    """(runs, 2): the [start, end) of each maximal run of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)], axis=1)


def _rank(match: Match) -> tuple:
    return -match.score, -match.length, match.tune, match.start


def tune_matches(tune: int, states: np.ndarray, units: np.ndarray, threshold: float, min_on: int,
                 lengths: tuple[int, int], off_around: int) -> list[Match]:
    """The runs of one tune's ``states`` where at least ``min_on`` of ``units`` are on at every step,
    of a length within ``lengths`` (inclusive), scored."""
    count = (states[:, units] >= threshold).sum(axis=1)
    found = []
    for start, end in runs(count >= min_on).tolist():
        if lengths[0] <= end - start <= lengths[1]:
            on = on_over(states, (start, end), threshold, off_around)
            shared = int(on[units].sum())
            found.append(Match(tune, start, end, shared, int(on.sum()) - shared))
    return found


def match_spans(
    states_of_each_tune: Iterable[np.ndarray], units: Sequence[int], threshold: float = THRESHOLD,
    lengths: tuple[int, int | None] = (1, None), off_around: int = 0, min_on: int | None = None,
    max_matches: int = 50, seconds: float = math.inf, progress: Callable[[int], None] | None = None,
) -> Matches:
    """The best ``max_matches`` runs where ``units`` are on, over tunes given one at a time (an iterator
    keeps memory to one tune's states, or one batch's), ranked by score, then length, then position.
    ``min_on`` (default: all) of the units must be on at each step of a run. ``progress`` is told the
    tunes searched so far after each; once ``seconds`` have passed, the search stops before the next."""
    units = np.asarray(units, dtype=int)
    if not len(units):
        raise ValueError("no units selected: lower the threshold or off_around, or select another span")
    min_on = len(units) if min_on is None else min_on
    lo, hi = lengths[0], math.inf if lengths[1] is None else lengths[1]
    if not (1 <= min_on <= len(units) and 1 <= lo <= hi and max_matches >= 1 and off_around >= 0):
        raise ValueError(f"need 1 <= min_on <= {len(units)} units, 1 <= shortest <= longest length, "
                         "max_matches >= 1 and off_around >= 0")
    deadline = time.perf_counter() + seconds
    best: list[Match] = []
    searched = 0
    for tune, states in enumerate(states_of_each_tune):
        if time.perf_counter() > deadline:
            return Matches(best, searched, out_of_time=True)
        found = tune_matches(tune, states, units, threshold, min_on, (lo, hi), off_around)
        best = heapq.nsmallest(max_matches, [*best, *found], key=_rank)
        searched += 1
        if progress:
            progress(searched)
    return Matches(best, searched, out_of_time=False)


def _batches(tunes: Sequence[Sequence[str]], steps: int) -> Iterator[Sequence[Sequence[str]]]:
    """Consecutive tunes in batches of at most ``steps`` padded steps (a longer tune alone)."""
    start = 0
    while start < len(tunes):
        end, longest = start + 1, len(tunes[start]) + 1
        while end < len(tunes) and (end + 1 - start) * max(longest, len(tunes[end]) + 1) <= steps:
            longest = max(longest, len(tunes[end]) + 1)
            end += 1
        yield tunes[start:end]
        start = end


def _check_layer(weights: ModelWeights, layer: int) -> None:
    if not 1 <= layer <= weights.num_layers:
        raise ValueError(f"the layer must be in 1..{weights.num_layers}, got {layer}")


def corpus_states(step, weights: ModelWeights, tunes: Sequence[Sequence[str]], layer: int,
                  batch_steps: int = BATCH_STEPS) -> Iterator[np.ndarray]:
    """Each tune's h_t of ``layer`` (from 1), (tokens, H) with row i after token i, in corpus order,
    read lazily through the engine ``step`` in batches of at most ``batch_steps`` padded steps."""
    _check_layer(weights, layer)
    for batch in _batches(tunes, batch_steps):
        for reading in read_tunes(step, weights, batch):
            yield reading.hidden[layer - 1][1:]


def select(step, weights: ModelWeights, tokens: Sequence[str], layer: int, span: tuple[int, int],
           threshold: float = THRESHOLD, off_around: int = 0) -> Selection:
    """The units of ``layer`` (from 1) on over the tokens ``span`` [a, b) of a tune read through ``step``."""
    states = next(corpus_states(step, weights, [tokens], layer))
    units = select_units(states, span, threshold, off_around)
    return Selection(layer, (span[0], span[1]), threshold, off_around, tuple(units.tolist()))


def search_corpus(step, weights: ModelWeights, tunes: Sequence[Sequence[str]], selection: Selection,
                  lengths: tuple[int, int | None] = (1, None), min_on: int | None = None, max_matches: int = 50,
                  seconds: float = math.inf, progress: Callable[[int], None] | None = None) -> Matches:
    """:func:`match_spans` of ``selection`` over ``tunes`` read through ``step`` (:func:`corpus_states`)."""
    return match_spans(corpus_states(step, weights, tunes, selection.layer), selection.units, selection.threshold,
                       lengths, selection.off_around, min_on, max_matches, seconds, progress)
