"""The project's own checkpoint format: safetensors arrays plus JSON metadata, no pickle anywhere.

One ``.safetensors`` file holds the arrays (``lstm{i}.W_ih``, ``lstm{i}.W_hh``, ``lstm{i}.b``,
``lstm{i}.h0``, ``lstm{i}.c0``, ``V``, ``v``) and, in its header's metadata under ``folkrnn``, a JSON
document with the vocabulary in index order, provenance and training figures.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as dump_safetensors

from ..errors import ModelFileError, ShapeError, one_line
from ..vocab import model_vocabulary
from ..weights import MAX_LAYERS, MAX_METADATA_BYTES, LSTMLayerWeights, ModelWeights

FORMAT = "folkrnn-checkpoint"
VERSION = 1
MAX_HEADER_BYTES = 2 * MAX_METADATA_BYTES  # the metadata, escaped as a JSON string, and the tensor entries
_LAYER_KEY = re.compile(r"^lstm(\d{1,4})\.(W_ih|W_hh|b|h0|c0)$")
_RANKS = {"V": 2, "v": 1, "W_ih": 2, "W_hh": 2, "b": 1, "h0": 1, "c0": 1}
_DTYPES = {"F16": 2, "F32": 4, "F64": 8}  # bytes per value


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


def _json(text: bytes | str, what: str):
    """``text`` parsed as JSON; bad JSON and nesting too deep for the parser become ModelFileError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ModelFileError(f"the checkpoint's {what} nests too deep") from None
    except ValueError as exc:
        raise ModelFileError(f"the checkpoint's {what} is not valid JSON ({one_line(exc)})") from None


def _header(data: bytes) -> dict:
    """The safetensors header: its length within the file and MAX_HEADER_BYTES, a JSON object."""
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER_BYTES:
        raise ModelFileError(f"the checkpoint header is {n:,} bytes; the limit is {MAX_HEADER_BYTES:,}")
    if 8 + n > len(data):
        raise ModelFileError(f"the checkpoint header ({n:,} bytes) runs past the end of the file")
    header = _json(data[8 : 8 + n], "header")
    if not isinstance(header, dict):
        raise ModelFileError("the checkpoint header is not a JSON object")
    return header


def _check_tensors(header: dict, body: int) -> None:
    """Every tensor entry names a folkrnn array with a float dtype, a shape of the right rank and data
    that lies within the file's ``body`` bytes, exactly as long as the shape needs, overlapping no other."""
    spans = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        match = _LAYER_KEY.match(name)
        rank = _RANKS.get(match.group(2) if match else name)
        if rank is None or (match and int(match.group(1)) >= MAX_LAYERS):
            raise ShapeError(f"the checkpoint holds an unexpected tensor {one_line(name, 60)!r}")
        if not isinstance(entry, dict):
            raise ModelFileError(f"tensor {name}: its header entry is not a JSON object")
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if dtype not in _DTYPES:
            raise ModelFileError(f"tensor {name} has dtype {one_line(repr(dtype), 20)}; checkpoints hold "
                                 f"{', '.join(_DTYPES)}")
        if not (isinstance(shape, list) and len(shape) == rank and all(type(d) is int and d >= 0 for d in shape)):
            raise ShapeError(f"tensor {name}: shape {one_line(repr(shape), 60)} is not {rank} sizes >= 0")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
                and 0 <= offsets[0] <= offsets[1] <= body):
            raise ModelFileError(f"tensor {name}: data offsets {one_line(repr(offsets), 60)} lie outside the file")
        if offsets[1] - offsets[0] != math.prod(shape) * _DTYPES[dtype]:
            raise ShapeError(f"tensor {name}: shape {shape} of {dtype} needs {math.prod(shape) * _DTYPES[dtype]:,} "
                             f"bytes; its data has {offsets[1] - offsets[0]:,}")
        spans.append(offsets)
    spans.sort()
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
        raise ModelFileError("the checkpoint's tensors overlap")


def _header_metadata(header: dict) -> dict:
    """The ``folkrnn`` JSON document from a safetensors header."""
    metadata = header.get("__metadata__")
    folkrnn = metadata.get("folkrnn") if isinstance(metadata, dict) else None
    if not isinstance(folkrnn, str):
        raise ModelFileError("not a folkrnn checkpoint: no valid 'folkrnn' metadata")
    meta = _json(folkrnn, "metadata")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("not a folkrnn checkpoint: metadata names another format")
    if not isinstance(meta.get("tokens"), list):
        raise ModelFileError("checkpoint metadata has no vocabulary ('tokens' list of strings)")
    return meta


def from_bytes(data: bytes) -> ModelWeights:
    """Read a checkpoint, checking its header (size, dtypes, shapes, offsets) and vocabulary before
    any array is read, then every array against the vocabulary and the layer sizes."""
    header = _header(data)
    meta = _header_metadata(header)
    vocabulary = model_vocabulary(meta.pop("tokens"))
    _check_tensors(header, len(data) - 8 - int.from_bytes(data[:8], "little"))
    try:
        arrays = load_safetensors(data)
    except (SafetensorError, ValueError) as exc:
        raise ModelFileError(f"corrupt safetensors data: {one_line(exc)}") from None
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
