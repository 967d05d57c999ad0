"""Search instead of sampling (Sturm, parts 11 and 12): beam search over blocks of tokens.

The tune grows one block of up to ``block`` tokens at a time. Within a block, every partial
continuation is extended at each depth by the tokens that make up the top ``keep`` fraction of the
vocabulary there (at least one), and dropped when its joint probability within the block falls
below ``floor``; the likeliest full continuation is appended, and the search goes on from its
state. The probability the search never looks at is part 12's figure: at each step of the tune
found, the mass of the tokens it did not explore from that step's state.

With ``keep=1``, ``block=1`` and ``floor=0`` this is greedy decoding.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..vocab import END, START
from ..weights import ModelWeights
from .internals import initial_state, step
from .perturbation import softmax


@dataclass(frozen=True)
class SearchResult:
    tokens: list[str]  # the tune found, after the prefix, without </s>
    ended: bool  # whether it ended with </s> (not cut off at max_length)
    log_probability: float  # of the tokens found (and </s> if ended), given the prefix
    missed_mass: np.ndarray  # per step found: the probability of the tokens not explored there
    candidates: int  # partial continuations scored, in all
    out_of_time: bool = False  # stopped at the time limit, before </s> or max_length


def _explored(p: np.ndarray, keep: float) -> np.ndarray:
    """Indices of the likeliest tokens making up the top ``keep`` fraction of the vocabulary."""
    return np.argsort(-p, kind="stable")[: max(1, math.ceil(keep * p.shape[-1]))]


@dataclass
class _Beam:
    """Partial continuations within a block, row-aligned with the logits and state after them."""

    seqs: list[list[int]]
    logps: np.ndarray
    missed: list[list[float]]
    logits: np.ndarray
    state: list

    def row(self, r: int) -> list:
        """The state of row ``r``, as a batch of one."""
        return [(h[r : r + 1], c[r : r + 1]) for h, c in self.state]


def _children(beam: _Beam, keep: float, floor: float) -> list[tuple[list[int], float, list[float], int]]:
    """Every explored one-token extension: (tokens, joint log p in the block, missed mass per depth, parent row)."""
    p = softmax(beam.logits)
    log_floor = math.log(floor) if floor > 0 else -math.inf
    children = []
    for row, (seq, logp, missed) in enumerate(zip(beam.seqs, beam.logps, beam.missed)):
        tokens = _explored(p[row], keep)
        joint = logp + np.log(p[row, tokens])
        tokens, joint = tokens[joint >= log_floor], joint[joint >= log_floor]
        path = [*missed, max(0.0, 1.0 - float(p[row, tokens].sum()))]
        children += [([*seq, token], lp, path, row) for token, lp in zip(tokens.tolist(), joint.tolist())]
    return children


def _advance(weights, beam: _Beam, children: list) -> _Beam:
    """The beam of ``children``, each stepped from its parent's state."""
    rows = np.array([child[3] for child in children])
    logits, state = step(weights, [(h[rows], c[rows]) for h, c in beam.state], np.array([ch[0][-1] for ch in children]))
    return _Beam([ch[0] for ch in children], np.array([ch[1] for ch in children]), [ch[2] for ch in children],
                 logits, state)


def beam_search(
    weights: ModelWeights, prefix: Sequence[str] = (), block: int = 2, keep: float = 0.1, floor: float = 1e-4,
    max_length: int = 400, max_candidates: int = 4096, progress: Callable[[int], None] | None = None,
    seconds: float = math.inf,
) -> SearchResult:
    """Search for a likely tune after ``prefix``; ``progress`` is told the tokens found so far after
    each block. At most ``max_candidates`` continuations are kept per depth (the likeliest). A search
    still running after ``seconds`` stops after its current block, with what it found."""
    deadline = time.perf_counter() + seconds
    if not (block >= 1 and 0 < keep <= 1 and 0 <= floor < 1 and max_length >= 1 and max_candidates >= 1):
        raise ValueError("need block >= 1, 0 < keep <= 1, 0 <= floor < 1, max_length >= 1, max_candidates >= 1")
    vocabulary, end = weights.vocabulary, weights.vocabulary.index[END]
    state = initial_state(weights, 1)
    for index in vocabulary.encode([START, *prefix]):
        logits, state = step(weights, state, np.array([index]))
    found, missed, total, scored = [], [], 0.0, 0
    while len(found) < max_length:
        beam = _Beam([[]], np.zeros(1), [[]], logits, state)
        options = []  # (tokens, log p, missed mass per token, the beam and row of its parent)
        depths = min(block, max_length - len(found))
        shorter = []  # the continuations of the depth before, should nothing survive the next one
        for depth in range(depths):
            children = _children(beam, keep, floor)
            scored += len(children)
            options += [(seq, lp, path, beam, row) for seq, lp, path, row in children if seq[-1] == end]
            growing = sorted((ch for ch in children if ch[0][-1] != end), key=lambda ch: -ch[1])[:max_candidates]
            if depth == depths - 1:
                options += [(seq, lp, path, beam, row) for seq, lp, path, row in growing]
            if not growing:
                options += shorter  # the floor ended the block early: its shorter continuations count
            if not growing or depth == depths - 1:
                break
            shorter = [(seq, lp, path, beam, row) for seq, lp, path, row in growing]
            beam = _advance(weights, beam, growing)
        if not options:  # the floor cut every token: take the likeliest one, as greedy decoding would
            p = softmax(logits[0])
            best = int(np.argmax(p))
            here = _Beam([[]], np.zeros(1), [[]], logits, state)
            options = [([best], float(np.log(p[best])), [max(0.0, 1.0 - float(p[best]))], here, 0)]
        seq, lp, path, parent, row = max(options, key=lambda o: o[1])
        total += lp
        missed += path
        if seq[-1] == end:
            found += seq[:-1]
            return SearchResult(vocabulary.decode(found), True, total, np.array(missed), scored)
        found += seq
        logits, state = step(weights, parent.row(row), np.array([seq[-1]]))
        if progress:
            progress(len(found))
        if time.perf_counter() > deadline and len(found) < max_length:
            return SearchResult(vocabulary.decode(found), False, total, np.array(missed), scored, out_of_time=True)
    return SearchResult(vocabulary.decode(found), False, total, np.array(missed), scored)
