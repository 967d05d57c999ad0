"""What an experiment reports about tunes: a population's figures, and a tune's token probabilities
under any engine (the network itself, or the network under an intervention)."""

from __future__ import annotations

from collections.abc import Sequence

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


def read_through(step, weights: ModelWeights, tokens: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Feed ``<s>`` + ``tokens`` through the engine ``step`` (as :func:`folkrnn.compose.sampling.compose`
    drives one): p(token t | <s> and the tokens before it) for each token and then ``</s>``, and every
    layer's h_t at every step, (steps, H) per layer."""
    indices = weights.vocabulary.encode([START, *tokens, END])
    state, probabilities, hidden = step.start(1), [], []
    for index, target in zip(indices[:-1], indices[1:]):
        logits, state = step(np.array([index]), state)
        probabilities.append(softmax(logits[0])[target])
        hidden.append([h[0] for h, _ in state])
    return np.array(probabilities), [np.array(layer) for layer in zip(*hidden)]


def next_token_probabilities(step, weights: ModelWeights, tokens: Sequence[str]) -> np.ndarray:
    """The probabilities of :func:`read_through`."""
    return read_through(step, weights, tokens)[0]
