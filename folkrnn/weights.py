"""The weights of a folk-rnn model as plain numpy arrays, independent of any file format or of torch.

Every loader (original pickle, project checkpoint) produces a :class:`ModelWeights`; the torch module
is built from it only where the network runs, so views that need only V and v never import torch.
Gate order everywhere is Lasagne's and PyTorch's: input, forget, cell, output.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .errors import ModelFileError, NonFiniteWeightsError, ShapeError
from .vocab import Vocabulary

GATES = ("input", "forget", "cell", "output")
MAX_HIDDEN = 8192  # units per LSTM layer; folk-rnn v2 has 512
MAX_LAYERS = 16  # folk-rnn v2 has 3
MAX_METADATA_DEPTH = 32  # nesting of the metadata document; folk-rnn's is 3 deep
MAX_METADATA_BYTES = 2 * 2**20  # as JSON; folk-rnn v2's training records take about 0.5 MB


def _frozen(name: str, array: Any, shape: tuple[int, ...]) -> np.ndarray:
    """A read-only float32 copy of ``array`` after checking its type, its shape and that every value
    is finite in float32 (float64 values past float32's range become infinite)."""
    array = np.asarray(array)
    if array.dtype.kind not in "fiu" or array.dtype.fields is not None or array.dtype.subdtype is not None:
        raise ShapeError(f"{name}: expected an array of plain numbers, got dtype {array.dtype}")
    if array.shape != shape:
        raise ShapeError(f"{name}: expected shape {shape}, got {array.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        array = np.array(array, dtype=np.float32)
    if not np.isfinite(array).all():
        raise NonFiniteWeightsError(f"{name}: holds NaN or infinite values (in float32)")
    array.setflags(write=False)
    return array


def _check_metadata(metadata: dict) -> None:
    """The metadata must be a JSON document of string-keyed dicts, lists and scalars (numpy numbers
    too, for metadata made in code), nested at most MAX_METADATA_DEPTH deep and at most
    MAX_METADATA_BYTES long (it is shown and saved with the model)."""
    pending = [(metadata, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_METADATA_DEPTH:
            raise ModelFileError(f"the metadata nests deeper than {MAX_METADATA_DEPTH} levels")
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise ModelFileError("the metadata has keys that are not strings")
            pending += [(v, depth + 1) for v in value.values()]
        elif isinstance(value, (list, tuple)):
            pending += [(v, depth + 1) for v in value]
        elif not (isinstance(value, (str, int, float, np.number, np.bool_)) or value is None):
            raise ModelFileError(f"the metadata holds a {type(value).__name__}; only JSON values are allowed")
    size = len(json.dumps(metadata, default=lambda number: number.item()))  # numpy numbers as Python's
    if size > MAX_METADATA_BYTES:
        raise ModelFileError(f"the metadata takes {size:,} bytes as JSON; the limit is {MAX_METADATA_BYTES:,}")


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
    def checked(cls, name: str, n_in: int, hidden: int, **arrays) -> LSTMLayerWeights:
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
    def checked(cls, vocabulary: Vocabulary, layers, V, v, metadata=None) -> ModelWeights:
        """Build a model, checking that every shape agrees with the vocabulary and layer sizes, that
        the sizes are in range and that the metadata is a small JSON document."""
        layers = tuple(layers)
        if not 1 <= len(layers) <= MAX_LAYERS:
            raise ShapeError(f"the model has {len(layers)} LSTM layers; a model may have 1 to {MAX_LAYERS}")
        hidden = layers[0].h0.shape[0]
        if not 1 <= hidden <= MAX_HIDDEN:
            raise ShapeError(f"the LSTM layers have {hidden:,} units; a model may have 1 to {MAX_HIDDEN:,}")
        metadata = dict(metadata or {})
        _check_metadata(metadata)
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
            metadata,
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
