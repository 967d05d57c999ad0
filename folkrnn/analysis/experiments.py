"""What an experiment reports about tunes: a population's figures, and a tune's token probabilities
under any engine (the network itself, or the network under an intervention)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..music.wellformed import bar_errors
from ..vocab import END, START
from ..weights import ModelWeights
from .copying import population
from .perturbation import softmax


def summary(tunes) -> dict:
    """Well-formed share, mean bar-duration errors, mean length and bar count, meter and mode counts
    of composed tunes (:class:`folkrnn.compose.sampling.Tune`)."""
    stats = population([t.tokens for t in tunes])
    return {"well_formed_share": float(np.mean([t.verdict.ok for t in tunes])),
            "mean_bar_errors": float(np.mean([bar_errors(t.tokens) for t in tunes])),
            "mean_length": float(stats["lengths"].mean()), "mean_bars": float(stats["bars"].mean()),
            "meters": dict(stats["meters"]), "modes": dict(stats["modes"])}


@dataclass(frozen=True)
class Reading:
    """An engine reading ``<s>`` + a tune's tokens: row t follows ``<s>`` (t = 0) or ``tokens[t-1]``, so
    there are len(tokens) + 1 steps, the last one predicting ``</s>``."""

    logits: np.ndarray  # (steps, vocab): V h_t + v
    hidden: list[np.ndarray]  # every layer's h_t, (steps, H) each

    def probabilities(self, weights: ModelWeights, tokens: Sequence[str]) -> np.ndarray:
        """p(token t | <s> and the tokens before it) for each token and then ``</s>``."""
        targets = weights.vocabulary.encode([*tokens, END])
        return softmax(self.logits)[np.arange(len(targets)), targets]


def read_tunes(step, weights: ModelWeights, tunes: Sequence[Sequence[str]]) -> list[Reading]:
    """Feed each tune's ``<s>`` + tokens through the engine ``step`` (as :func:`folkrnn.compose.sampling.compose`
    drives one), all tunes in one padded batch: the network is causal, so the padding read after a
    tune's end never changes its steps. Unknown tokens raise, named."""
    encoded = [weights.vocabulary.encode([START, *tokens]) for tokens in tunes]
    steps = max((len(e) for e in encoded), default=0)
    inputs = np.zeros((len(encoded), steps), dtype=np.int64)
    for row, e in enumerate(encoded):
        inputs[row, : len(e)] = e
    logits = np.empty((len(encoded), steps, len(weights.vocabulary)), dtype=np.float32)
    hidden = [np.empty((len(encoded), steps, weights.hidden_size), dtype=np.float32) for _ in weights.layers]
    state = step.start(len(encoded))
    for t in range(steps):
        logits[:, t], state = step(inputs[:, t], state)
        for layer, (h, _) in zip(hidden, state):
            layer[:, t] = h
    return [Reading(logits[row, : len(e)], [layer[row, : len(e)] for layer in hidden]) for row, e in enumerate(encoded)]


def read_through(step, weights: ModelWeights, tokens: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """:func:`read_tunes` for one tune: p(token t | <s> and the tokens before it) for each token and then
    ``</s>``, and every layer's h_t at every step, (steps, H) per layer."""
    reading = read_tunes(step, weights, [tokens])[0]
    return reading.probabilities(weights, tokens), reading.hidden


def next_token_probabilities(step, weights: ModelWeights, tokens: Sequence[str]) -> np.ndarray:
    """The probabilities of :func:`read_through`."""
    return read_through(step, weights, tokens)[0]
