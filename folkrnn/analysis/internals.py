"""Inside the LSTM over one tune: every layer's gates, cell and hidden state at every step, in numpy.

The network is recomputed from :class:`ModelWeights` with the equations folk-rnn's Lasagne layers
and PyTorch's nn.LSTM share (no peepholes; gate rows input, forget, cell, output):

    i, f, o = sigmoid(W_ih x_t + W_hh h_{t-1} + b)[i, f, o rows],  g = tanh(...[cell rows])
    c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)

Numpy, not torch, so that the pages built on it load no torch; one tune of a few hundred tokens
takes tens of milliseconds. Step t follows the same convention as :mod:`folkrnn.network.activations`: step 0
follows ``<s>``, step t follows ``tokens[t-1]``; there are len(tokens) + 1 steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..vocab import START, Vocabulary
from ..weights import ModelWeights

#: The per-layer signals, in the order pages list them: gates (input, forget, output, cell input g),
#: then the cell state c_t and the layer's output h_t.
SIGNALS = ("i", "f", "o", "g", "c", "h")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free


@dataclass(frozen=True)
class LayerInternals:
    """One LSTM layer over a tune: each signal as (steps, H)."""

    i: np.ndarray
    f: np.ndarray
    o: np.ndarray
    g: np.ndarray
    c: np.ndarray
    h: np.ndarray

    def signal(self, name: str) -> np.ndarray:
        if name not in SIGNALS:
            raise KeyError(f"unknown signal {name!r}; choose one of {', '.join(SIGNALS)}")
        return getattr(self, name)


@dataclass(frozen=True)
class Internals:
    """Every layer over ``<s>`` + ``tokens``, and the network's logits V h_t + v of the last layer."""

    tokens: list[str]
    inputs: np.ndarray  # (steps,) vocabulary index of the token read at each step
    layers: list[LayerInternals]
    logits: np.ndarray  # (steps, vocab)

    @property
    def steps(self) -> int:
        return len(self.inputs)


def lstm_update(z: np.ndarray, c: np.ndarray) -> dict[str, np.ndarray]:
    """One LSTM update from the pre-activations z (..., 4H) and the previous cell c (..., H)."""
    H = c.shape[-1]
    i, f = _sigmoid(z[..., :H]), _sigmoid(z[..., H : 2 * H])
    g, o = np.tanh(z[..., 2 * H : 3 * H]), _sigmoid(z[..., 3 * H :])
    c = f * c + i * g
    return {"i": i, "f": f, "o": o, "g": g, "c": c, "h": o * np.tanh(c)}


def _layer(x_proj: np.ndarray, W_hh: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> LayerInternals:
    """Step one layer from its input projections W_ih x_t + b (steps, 4H)."""
    steps, H = x_proj.shape[0], W_hh.shape[1]
    out = {name: np.empty((steps, H)) for name in SIGNALS}
    h, c, W_hh_T = h0, c0, W_hh.T
    for t in range(steps):
        values = lstm_update(x_proj[t] + h @ W_hh_T, c)
        h, c = values["h"], values["c"]
        for name in SIGNALS:
            out[name][t] = values[name]
    return LayerInternals(**out)


#: The state of a batch of sequences: per layer (h, c), each (batch, H).
State = list[tuple[np.ndarray, np.ndarray]]


def initial_state(weights: ModelWeights, batch: int) -> State:
    """Every layer's trained initial state, repeated over ``batch`` sequences."""
    return [(np.tile(layer.h0.astype(np.float64), (batch, 1)), np.tile(layer.c0.astype(np.float64), (batch, 1)))
            for layer in weights.layers]


def step(weights: ModelWeights, state: State, inputs: np.ndarray) -> tuple[np.ndarray, State]:
    """One step of a batch: read token indices ``inputs`` (batch,) from ``state``; return the
    logits V h_t + v (batch, vocab) and the new state. The same equations as :func:`internals`."""
    new_state, x = [], None
    for n, (layer, (h, c)) in enumerate(zip(weights.layers, state)):
        b = layer.b.astype(np.float64)
        x_proj = layer.W_ih.T[inputs].astype(np.float64) + b if n == 0 else x @ layer.W_ih.T + b
        values = lstm_update(x_proj + h @ layer.W_hh.T, c)
        x = values["h"]
        new_state.append((x, values["c"]))
    return x @ weights.V.T + weights.v, new_state


def encode_tune(vocabulary: Vocabulary, tokens: Sequence[str]) -> np.ndarray:
    """``<s>`` + tokens as indices; an empty tune or an unknown token is an error naming it."""
    if not tokens:
        raise ValueError("the tune is empty: give at least one token, e.g. M:4/4 K:Cmaj")
    return np.array(vocabulary.encode([START, *tokens]))


def internals(weights: ModelWeights, tokens: Sequence[str]) -> Internals:
    """Run the network over ``<s>`` + ``tokens`` in float64, keeping every gate of every layer."""
    inputs = encode_tune(weights.vocabulary, tokens)
    layers = []
    x = None
    for n, layer in enumerate(weights.layers):
        W_ih, b = layer.W_ih.astype(np.float64), layer.b.astype(np.float64)
        x_proj = W_ih.T[inputs] + b if n == 0 else x @ W_ih.T + b  # one-hot input: a column of W_ih
        result = _layer(x_proj, layer.W_hh.astype(np.float64), layer.h0.astype(np.float64),
                        layer.c0.astype(np.float64))
        layers.append(result)
        x = result.h
    logits = x @ weights.V.T.astype(np.float64) + weights.v
    return Internals(list(tokens), inputs, layers, logits)


def sparsity(values: np.ndarray, threshold: float = 0.1) -> float:
    """The share of entries with |x| < ``threshold`` (Sturm's measure of how few units are active)."""
    return float((np.abs(values) < threshold).mean())


def unit_peaks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(units, peaks): each unit's max |activation| over the steps, units sorted by it, largest first."""
    peaks = np.abs(values).max(axis=0)
    order = np.argsort(-peaks, kind="stable")
    return order, peaks[order]
