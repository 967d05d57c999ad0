"""Safe loading of folk-rnn's original metadata pickles (Python 2.7 cPickle, protocol 2).

A folk-rnn metadata file is a dict with ``param_values`` (Lasagne order: one-hot embedding; per LSTM
layer W_in, W_hid, b for the input, forget, cell and output gates, then cell_init and hid_init; then
the dense W, hidden x vocab, and b), ``token2idx``, ``experiment_id`` and training records.

The unpickler admits only the globals such a file contains (numpy array, dtype and scalar
reconstruction, and builtin containers, under their Python 2 and Python 3 names) and refuses every
other global *before* anything runs. Arrays of object dtype are refused too.
"""

from __future__ import annotations

import io
import pickle
import pickletools
from typing import Any

import numpy as np

from .errors import ModelFileError, RefusedPickleError, ShapeError
from .vocab import Vocabulary
from .weights import LSTMLayerWeights, ModelWeights

_ARRAYS_PER_LAYER = 14  # 4 gates x (W_in, W_hid, b) + cell_init + hid_init


def _dtype(*args):
    """numpy.dtype, refusing object dtypes (their arrays would hold arbitrary objects)."""
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise RefusedPickleError("refused numpy array of object dtype: folk-rnn weights are numeric")
    return dtype


_numpy_scalar = np.float32(0).__reduce__()[0]  # numpy's own scalar(), whatever module holds it
_numpy_reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]  # numpy's own _reconstruct


def _scalar(dtype, *args):
    """numpy's scalar reconstruction, for numeric dtypes only."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise RefusedPickleError("refused numpy scalar that is not of a numeric dtype")
    return _numpy_scalar(dtype, *args)


class _NDArrayName:
    """Stands for numpy.ndarray in a pickle: admitted only as the class _reconstruct rebuilds."""

    def __call__(self, *args, **kwargs):
        raise RefusedPickleError("refused a direct call of numpy.ndarray: folk-rnn files never make one")


_NDARRAY = _NDArrayName()


def _reconstruct(cls, shape, dtype_code):
    """numpy's array reconstruction, for plain ndarrays only."""
    if cls is not _NDARRAY:
        raise RefusedPickleError("refused numpy _reconstruct of a class other than numpy.ndarray")
    return _numpy_reconstruct(np.ndarray, shape, dtype_code)


def _allowed_globals() -> dict[tuple[str, str], Any]:
    """Every global a folk-rnn metadata pickle names, under Python 2 and Python 3 module names."""
    admitted = {}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        admitted[(module, "_reconstruct")] = _reconstruct
        admitted[(module, "scalar")] = _scalar
    admitted[("numpy", "ndarray")] = _NDARRAY
    admitted[("numpy", "dtype")] = _dtype
    for module in ("__builtin__", "builtins"):
        for name, value in (("set", set), ("frozenset", frozenset), ("list", list), ("dict", dict),
                            ("tuple", tuple), ("bytearray", bytearray), ("complex", complex)):
            admitted[(module, name)] = value
    return admitted


class _RestrictedUnpickler(pickle.Unpickler):
    _admitted = _allowed_globals()

    def find_class(self, module: str, name: str):
        try:
            return self._admitted[(module, name)]
        except KeyError:
            raise RefusedPickleError(
                f"refused to load global {module}.{name}: folk-rnn metadata files never contain it"
            ) from None

    def persistent_load(self, pid):
        raise RefusedPickleError("refused persistent id: folk-rnn metadata files have none")


_REFUSED_OPCODES = {"EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID"}


def _refuse_foreign_opcodes(data: bytes) -> None:
    """Refuse extension-registry and persistent-id opcodes, which folk-rnn files never use."""
    try:
        for opcode, _, _ in pickletools.genops(data):
            if opcode.name in _REFUSED_OPCODES:
                raise RefusedPickleError(f"refused pickle opcode {opcode.name}: folk-rnn files never use it")
    except RefusedPickleError:
        raise
    except Exception:  # noqa: BLE001 - malformed streams are reported by the unpickler itself
        return


def safe_unpickle(data: bytes) -> Any:
    """Unpickle ``data`` admitting only numpy arrays, dtypes, scalars and builtin containers."""
    if not data:
        raise ModelFileError("the file is empty")
    _refuse_foreign_opcodes(data)
    try:
        return _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except RefusedPickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, MemoryError, OverflowError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"not a readable pickle ({type(exc).__name__}: {exc})") from None


_DROP = object()


def _jsonable(value: Any) -> Any:
    """A metadata entry as JSON-able data (scalars, lists of them), or _DROP if it is not."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, bytes):
        return value.decode("latin1")
    if isinstance(value, (np.generic, np.ndarray)) and value.dtype.kind in "biuf" and value.size <= 100_000:
        return value.tolist()
    if isinstance(value, (list, tuple)):
        items = [_jsonable(v) for v in value]
        return _DROP if any(item is _DROP for item in items) else items
    return _DROP


def _row(array: np.ndarray) -> np.ndarray:
    """Lasagne's (1, H) initial states as (H,); other shapes pass through to the shape check."""
    return array.reshape(-1) if array.ndim == 2 and array.shape[0] == 1 else array


def weights_from_metadata(meta: Any) -> ModelWeights:
    """Map a folk-rnn metadata dict (Lasagne ``param_values``) onto :class:`ModelWeights`."""
    if not isinstance(meta, dict):
        raise ModelFileError(f"expected a folk-rnn metadata dict, got {type(meta).__name__}")
    for key in ("param_values", "token2idx"):
        if key not in meta:
            raise ModelFileError(f"not a folk-rnn metadata file: no '{key}' entry")
    token2idx = meta["token2idx"]
    if not isinstance(token2idx, dict) or not all(
        isinstance(t, (str, bytes)) and isinstance(i, int) for t, i in token2idx.items()
    ):
        raise ModelFileError("token2idx must map token strings to integer indices")
    try:
        vocabulary = Vocabulary.from_token2idx(
            {t.decode("latin1") if isinstance(t, bytes) else t: i for t, i in token2idx.items()}
        )
    except ValueError as exc:
        raise ModelFileError(f"token2idx is not a vocabulary: {exc}") from None
    params = meta["param_values"]
    if not isinstance(params, (list, tuple)) or not all(isinstance(p, np.ndarray) for p in params):
        raise ModelFileError("param_values must be a list of numpy arrays")
    n_layers, extra = divmod(len(params) - 3, _ARRAYS_PER_LAYER)
    if extra or n_layers < 1:
        raise ModelFileError(
            f"param_values holds {len(params)} arrays; folk-rnn's layout has 3 + 14 x layers "
            "(embedding, 14 per LSTM layer, dense W and b)"
        )
    n_vocab = len(vocabulary)
    embedding, dense_W, dense_b = params[0], params[-2], params[-1]
    if embedding.shape != (n_vocab, n_vocab):
        raise ShapeError(f"param_values[0] (embedding): expected shape {(n_vocab, n_vocab)}, got {embedding.shape}")
    hidden = dense_W.shape[0] if dense_W.ndim == 2 else -1
    if dense_W.shape != (hidden, n_vocab) or hidden < 1:
        raise ShapeError(f"param_values[-2] (dense W): expected shape (hidden, {n_vocab}), got {dense_W.shape}")
    layers, n_in = [], n_vocab
    for layer in range(n_layers):
        base = 1 + layer * _ARRAYS_PER_LAYER
        gates = [params[base + 3 * g : base + 3 * g + 3] for g in range(4)]
        name = f"lstm{layer}"
        for g, (W_in, W_hid, b) in enumerate(gates):
            for arr, what, shape in ((W_in, "W_in", (n_in, hidden)), (W_hid, "W_hid", (hidden, hidden)), (b, "b", (hidden,))):
                if arr.shape != shape:
                    raise ShapeError(f"{name} {what} ({['input', 'forget', 'cell', 'output'][g]} gate): "
                                     f"expected shape {shape}, got {arr.shape}")
        W_in = np.concatenate([g[0] for g in gates], axis=1)  # (n_in, 4H)
        if layer == 0:
            W_in = embedding.astype(np.float64) @ W_in  # one-hot -> embedding -> W_in
        cell_init, hid_init = params[base + 12], params[base + 13]
        layers.append(LSTMLayerWeights.checked(
            name, n_in, hidden,
            W_ih=W_in.T,
            W_hh=np.concatenate([g[1] for g in gates], axis=1).T,
            b=np.concatenate([g[2] for g in gates]),
            h0=_row(hid_init),
            c0=_row(cell_init),
        ))
        n_in = hidden
    metadata = {k: v for k, v in ((str(k), _jsonable(v)) for k, v in meta.items()
                                  if k not in ("param_values", "token2idx")) if v is not _DROP}
    metadata.setdefault("experiment_id", None)
    metadata["provenance"] = {"format": "folk-rnn metadata pickle (Lasagne param_values)"}
    return ModelWeights.checked(vocabulary, layers, dense_W.T, dense_b, metadata)


def load_original(data: bytes) -> ModelWeights:
    """Load a folk-rnn metadata pickle's bytes safely into :class:`ModelWeights`."""
    return weights_from_metadata(safe_unpickle(data))
