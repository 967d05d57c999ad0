"""The weights of a folk-rnn model as plain numpy arrays, independent of any file format or of torch.

Every loader (original pickle, project checkpoint) produces a :class:`ModelWeights`; the torch module
is built from it only where the network runs, so views that need only V and v never import torch.
Gate order everywhere is Lasagne's and PyTorch's: input, forget, cell, output.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .errors import NonFiniteWeightsError, ShapeError
from .vocab import Vocabulary

GATES = ("input", "forget", "cell", "output")


def _frozen(name: str, array: Any, shape: tuple[int, ...]) -> np.ndarray:
    """A read-only float32 copy of ``array`` after checking its shape and values."""
    array = np.asarray(array)
    if array.dtype.kind not in "fiu":
        raise ShapeError(f"{name}: expected a numeric array, got dtype {array.dtype}")
    if array.shape != shape:
        raise ShapeError(f"{name}: expected shape {shape}, got {array.shape}")
    if not np.isfinite(array).all():
        raise NonFiniteWeightsError(f"{name}: holds NaN or infinite values")
    array = np.array(array, dtype=np.float32)
    array.setflags(write=False)
    return array


def _digest(arrays, text: str = "") -> str:
    digest = hashlib.sha256(text.encode())
    for array in arrays:
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).data)  # the buffer itself: no copy
    return digest.hexdigest()


@dataclass(frozen=True)
class LSTMLayerWeights:
    """One LSTM layer without peepholes: gates stacked as rows [input; forget; cell; output]."""

    W_ih: np.ndarray  # (4H, n_in)
    W_hh: np.ndarray  # (4H, H)
    b: np.ndarray  # (4H,)
    h0: np.ndarray  # (H,) trained initial hidden state (folk-rnn's hid_init)
    c0: np.ndarray  # (H,) trained initial cell state (folk-rnn's cell_init)

    @classmethod
    def checked(cls, name: str, n_in: int, hidden: int, **arrays) -> "LSTMLayerWeights":
        """Build a layer, checking every array's shape and values (``name`` prefixes errors)."""
        shapes = {
            "W_ih": (4 * hidden, n_in),
            "W_hh": (4 * hidden, hidden),
            "b": (4 * hidden,),
            "h0": (hidden,),
            "c0": (hidden,),
        }
        return cls(**{k: _frozen(f"{name}.{k}", arrays[k], s) for k, s in shapes.items()})


@dataclass(frozen=True)
class ModelWeights:
    """A whole folk-rnn model: vocabulary, LSTM stack, softmax layer V (vocab x H) and bias v."""

    vocabulary: Vocabulary
    layers: tuple[LSTMLayerWeights, ...]
    V: np.ndarray
    v: np.ndarray
    metadata: dict = field(default_factory=dict, compare=False)

    @classmethod
    def checked(cls, vocabulary: Vocabulary, layers, V, v, metadata=None) -> "ModelWeights":
        """Build a model, checking that every shape agrees with the vocabulary and layer sizes."""
        layers = tuple(layers)
        if not layers:
            raise ShapeError("model has no LSTM layers")
        hidden = layers[0].h0.shape[0]
        n_in = len(vocabulary)
        for i, layer in enumerate(layers):
            if layer.W_ih.shape != (4 * hidden, n_in) or layer.h0.shape != (hidden,):
                raise ShapeError(
                    f"lstm{i}.W_ih: expected shape {(4 * hidden, n_in)}, got {layer.W_ih.shape}"
                )
            n_in = hidden
        return cls(
            vocabulary,
            layers,
            _frozen("V", V, (len(vocabulary), hidden)),
            _frozen("v", v, (len(vocabulary),)),
            dict(metadata or {}),
        )

    @property
    def hidden_size(self) -> int:
        return self.V.shape[1]

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def parameter_count(self) -> int:
        """Weights and biases, as folk-rnn counts them (5,599,881 for v2); initial states excluded."""
        lstm = sum(layer.W_ih.size + layer.W_hh.size + layer.b.size for layer in self.layers)
        return lstm + self.V.size + self.v.size

    @property
    def initial_state_count(self) -> int:
        return sum(layer.h0.size + layer.c0.size for layer in self.layers)

    @cached_property
    def softmax_hash(self) -> str:
        """SHA-256 of V and v: the key under which anything derived from the softmax layer is cached."""
        return _digest((self.V, self.v))

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of every array and the vocabulary: the key for anything that runs the network."""
        return _digest((*self._lstm_arrays, self.V, self.v), "\n".join(self.vocabulary.tokens))

    @cached_property
    def lstm_hash(self) -> str:
        """SHA-256 of the LSTM layers and the vocabulary: the key for what runs the LSTM stack alone,
        shared by models that differ only in their softmax layer (V truncated, say)."""
        return _digest(self._lstm_arrays, "\n".join(self.vocabulary.tokens))

    @property
    def _lstm_arrays(self) -> list[np.ndarray]:
        return [a for layer in self.layers for a in (layer.W_ih, layer.W_hh, layer.b, layer.h0, layer.c0)]

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or self.metadata.get("experiment_id") or "folk-rnn model")
