"""The project's own checkpoint format: safetensors arrays plus JSON metadata, no pickle anywhere.

One ``.safetensors`` file holds the arrays (``lstm{i}.W_ih``, ``lstm{i}.W_hh``, ``lstm{i}.b``,
``lstm{i}.h0``, ``lstm{i}.c0``, ``V``, ``v``) and, in its header's metadata under ``folkrnn``, a JSON
document with the vocabulary in index order, provenance and training figures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as dump_safetensors

from .errors import ModelFileError, ShapeError
from .vocab import Vocabulary
from .weights import LSTMLayerWeights, ModelWeights

FORMAT = "folkrnn-checkpoint"
VERSION = 1
_LAYER_KEY = re.compile(r"^lstm(\d+)\.(W_ih|W_hh|b|h0|c0)$")


def is_checkpoint(data: bytes) -> bool:
    """Whether ``data`` looks like a safetensors file (8-byte header length, then JSON)."""
    return len(data) > 9 and data[8:9] == b"{"


def to_bytes(weights: ModelWeights) -> bytes:
    """Serialise ``weights`` in the checkpoint format."""
    arrays = {"V": weights.V, "v": weights.v}
    for i, layer in enumerate(weights.layers):
        for key in ("W_ih", "W_hh", "b", "h0", "c0"):
            arrays[f"lstm{i}.{key}"] = getattr(layer, key)
    meta = dict(weights.metadata, format=FORMAT, version=VERSION, tokens=list(weights.vocabulary.tokens))
    arrays = {k: np.ascontiguousarray(a) for k, a in arrays.items()}
    return dump_safetensors(arrays, metadata={"folkrnn": json.dumps(meta)})


def save_checkpoint(weights: ModelWeights, path: str | Path) -> Path:
    """Write ``weights`` to ``path`` atomically (a partial file never replaces a good one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(to_bytes(weights))
    tmp.replace(path)
    return path


def _header_metadata(data: bytes) -> dict:
    """The ``folkrnn`` JSON document from a safetensors header."""
    try:
        n = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + n])
        meta = json.loads(header["__metadata__"]["folkrnn"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"not a folkrnn checkpoint: no valid 'folkrnn' metadata ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("not a folkrnn checkpoint: metadata names another format")
    tokens = meta.get("tokens")
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
        raise ModelFileError("checkpoint metadata has no vocabulary ('tokens' list of strings)")
    return meta


def from_bytes(data: bytes) -> ModelWeights:
    """Read a checkpoint, checking every array against the vocabulary and the layer sizes."""
    meta = _header_metadata(data)
    try:
        arrays = load_safetensors(data)
    except (SafetensorError, ValueError) as exc:
        raise ModelFileError(f"corrupt safetensors data: {exc}") from None
    vocabulary = Vocabulary(tuple(meta.pop("tokens")))
    layer_ids = sorted({int(m.group(1)) for k in arrays if (m := _LAYER_KEY.match(k))})
    if layer_ids != list(range(len(layer_ids))) or "V" not in arrays or "v" not in arrays:
        raise ShapeError(f"checkpoint arrays are incomplete: {sorted(arrays)}")
    hidden = arrays["V"].shape[-1]
    layers, n_in = [], len(vocabulary)
    for i in layer_ids:
        try:
            parts = {k: arrays[f"lstm{i}.{k}"] for k in ("W_ih", "W_hh", "b", "h0", "c0")}
        except KeyError as exc:
            raise ShapeError(f"checkpoint lacks array {exc.args[0]}") from None
        layers.append(LSTMLayerWeights.checked(f"lstm{i}", n_in, hidden, **parts))
        n_in = hidden
    return ModelWeights.checked(vocabulary, layers, arrays["V"], arrays["v"], meta)
