"""Safe loading of folk-rnn's original metadata pickles (Python 2.7 cPickle, protocol 2).

A folk-rnn metadata file is a dict with ``param_values`` (Lasagne order: one-hot embedding; per LSTM
layer W_in, W_hid, b for the input, forget, cell and output gates, then cell_init and hid_init; then
the dense W, hidden x vocab, and b), ``token2idx``, ``experiment_id`` and training records.

The file is first checked opcode by opcode without building anything (:mod:`folkrnn.io.pickle_scan`:
sizes, counts, nesting, memo indices). The unpickler then admits only the globals such a file
contains (numpy array, dtype and scalar reconstruction, and builtin containers, under their Python 2
and Python 3 names) and refuses every other global *before* anything runs. numpy's own dtype and
array reconstruction never sees the file's values: a dtype or an array in the pickle becomes a small
stand-in whose ``__setstate__`` (the pickle's BUILD) accepts only a plain number type (no fields,
subarrays, flags or odd sizes: numpy trusts a pickled dtype's field offsets and would read past an
array's memory) and raw data of exactly the length its shape needs, and then copies that data into
a new array. Every failure is a :class:`ModelFileError` with a one-line message.
"""

from __future__ import annotations

import functools
import io
import math
import pickle
from typing import Any

import numpy as np

from ..errors import ModelFileError, RefusedPickleError, ShapeError, one_line
from ..vocab import model_vocabulary
from ..weights import MAX_HIDDEN, MAX_LAYERS, MAX_METADATA_DEPTH, LSTMLayerWeights, ModelWeights
from . import pickle_scan

_ARRAYS_PER_LAYER = 14  # 4 gates x (W_in, W_hid, b) + cell_init + hid_init
# The number types folk-rnn weights and training records use (bool included: numpy pickles it).
_PLAIN_TYPES = frozenset("f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1".split())
_PLAIN_STATE = (None, None, None, -1, -1, 0)  # no subarray, names or fields; default size, alignment, flags
MAX_ARRAY_DIMENSIONS = 4
MAX_METADATA_VALUES = 500_000  # folk-rnn v2's training records hold about 24,000
MAX_EMBEDDING_FOLD = 2 * 10**9  # multiply-adds; folk-rnn v2's identity embedding needs none (3.8e7 if it were not)


def _text(value: Any, what: str) -> str:
    """A pickled Python 2 ``str`` (bytes, or text read as latin-1) as text."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, str):
        return value
    raise RefusedPickleError(f"refused {what} given as {type(value).__name__}")


def _raw(value: Any, what: str) -> bytes:
    """Raw array or scalar data: bytes, or a Python 2 ``str`` read as latin-1."""
    try:
        return value if isinstance(value, bytes) else _text(value, what).encode("latin-1")
    except UnicodeEncodeError:
        raise ModelFileError(f"{what} is text, not raw bytes") from None


class _Dtype:
    """Stands for ``numpy.dtype(code)``: a plain number type, whose pickled state may only set the
    byte order."""

    def __init__(self, code, align=0, copy=1):
        code = _text(code, "numpy dtype code")
        if code not in _PLAIN_TYPES:
            raise RefusedPickleError(f"refused numpy dtype {code[:20]!r}: folk-rnn weights are plain numbers "
                                     "(float16/32/64, integers or bool)")
        self.dtype = np.dtype(code)

    def __setstate__(self, state):
        if not (isinstance(state, tuple) and len(state) in (8, 9) and state[0] in (3, 4)
                and state[1] in ("<", ">", "=", "|") and state[2:8] == _PLAIN_STATE and state[8:] in ((), (None,))):
            raise RefusedPickleError(f"refused numpy dtype state for {self.dtype}: folk-rnn dtypes have no "
                                     "fields, subarrays, flags or sizes of their own")
        if state[1] in "<>":
            self.dtype = self.dtype.newbyteorder(state[1])


def _plain_dtype(dtype: Any, what: str) -> np.dtype:
    if not isinstance(dtype, _Dtype):
        raise RefusedPickleError(f"refused {what} of dtype {type(dtype).__name__}: expected a numpy dtype")
    return dtype.dtype


class _Array:
    """Stands for an ndarray that numpy's ``_reconstruct`` has made empty; its ``__setstate__`` (the
    pickle's BUILD) checks the state and copies the data into a new array, ``self.array``."""

    __hash__ = None  # as ndarray: never a dict key or set item
    array: np.ndarray | None = None

    def __init__(self, unpickler: _RestrictedUnpickler):
        self.unpickler = unpickler

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 4:
            state = (1, *state)  # numpy's older, unversioned state
        if not (isinstance(state, tuple) and len(state) == 5 and state[0] == 1):
            raise RefusedPickleError("refused numpy array state: expected (1, shape, dtype, fortran, data)")
        _, shape, dtype, fortran, data = state
        dtype = _plain_dtype(dtype, "numpy array")
        if not (isinstance(shape, tuple) and len(shape) <= MAX_ARRAY_DIMENSIONS
                and all(type(n) is int and 0 <= n < 2**63 for n in shape)):
            raise ShapeError(f"numpy array shape {_short(shape)} is not a tuple of at most "
                             f"{MAX_ARRAY_DIMENSIONS} sizes from 0 to 2**63")
        if type(fortran) not in (bool, int) or fortran not in (0, 1):
            raise RefusedPickleError("refused numpy array state: its Fortran-order flag is not a bool")
        data = _raw(data, "numpy array data")
        if len(data) != math.prod(shape) * dtype.itemsize:
            raise ShapeError(f"numpy array of shape {shape} and dtype {dtype} needs "
                             f"{math.prod(shape) * dtype.itemsize:,} bytes of data; the file gives {len(data):,}")
        self.unpickler.charge_array(len(data))
        self.array = np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C").copy()


def _short(value: Any) -> str:
    return repr(value)[:60]


class _NDArrayName:
    """Stands for numpy.ndarray in a pickle: admitted only as the class _reconstruct rebuilds."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        raise RefusedPickleError("refused a direct call of numpy.ndarray: folk-rnn files never make one")

    def __setstate__(self, state):
        raise RefusedPickleError("refused a BUILD of numpy.ndarray itself: folk-rnn files never make one")


_NDARRAY = _NDArrayName()


def _allowed_globals() -> dict[tuple[str, str], Any]:
    """Every global a folk-rnn metadata pickle names, under Python 2 and Python 3 module names.

    A string names the :class:`_RestrictedUnpickler` method that stands for it in one load; the
    others are types that refuse a BUILD or its attributes. So a BUILD in the file cannot change
    anything that outlives the load (a function's defaults, the class of a shared object)."""
    admitted: dict[tuple[str, str], Any] = {}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        admitted[(module, "_reconstruct")] = "reconstruct"
        admitted[(module, "scalar")] = "scalar"
    admitted[("numpy", "ndarray")] = _NDARRAY
    admitted[("numpy", "dtype")] = _Dtype
    for module in ("__builtin__", "builtins"):
        for name in ("set", "frozenset", "dict", "list", "tuple", "bytearray"):
            admitted[(module, name)] = f"make_{name}"
        admitted[(module, "complex")] = complex
    return admitted


class _RestrictedUnpickler(pickle.Unpickler):
    """The unpickler of one file, keeping count of what it hashes and of the array data it copies."""

    _admitted = _allowed_globals()

    def __init__(self, data: bytes, hashed: int):
        super().__init__(io.BytesIO(data), encoding="latin1")
        self.hashed = hashed  # non-string keys and items hashed so far (pickle_scan counted the opcodes')
        self.array_budget = len(data)  # each array's data is in the file; shared data would multiply it

    def find_class(self, module: str, name: str):
        try:
            value = self._admitted[(module, name)]
        except KeyError:
            raise RefusedPickleError(
                f"refused to load global {module}.{name}: folk-rnn metadata files never contain it"
            ) from None
        return getattr(self, value) if isinstance(value, str) else value

    def persistent_load(self, pid):
        raise RefusedPickleError("refused persistent id: folk-rnn metadata files have none")

    def reconstruct(self, cls, shape, dtype_code):
        """numpy's ``_reconstruct(ndarray, (0,), 'b')``, as numpy pickles every array: an empty stand-in."""
        if cls is not _NDARRAY:
            raise RefusedPickleError("refused numpy _reconstruct of a class other than numpy.ndarray")
        if shape != (0,) or dtype_code not in ("b", b"b"):
            raise RefusedPickleError(f"refused numpy _reconstruct{_short((shape, dtype_code))}: numpy pickles "
                                     "arrays as _reconstruct(ndarray, (0,), 'b')")
        return _Array(self)

    def scalar(self, dtype, data):
        """numpy's scalar reconstruction, for plain number types and exactly one value's bytes."""
        dtype = _plain_dtype(dtype, "numpy scalar")
        data = _raw(data, "numpy scalar data")
        if len(data) != dtype.itemsize:
            raise ShapeError(f"numpy scalar of dtype {dtype} needs {dtype.itemsize} bytes; the file gives "
                             f"{len(data):,}")
        return np.frombuffer(data, dtype)[0]

    def make_bytearray(self, data=b"", encoding="latin-1"):
        """bytearray of bytes or of a Python 2 ``str`` (how Python 3 pickles one below protocol 3)."""
        if encoding not in ("latin-1", "latin1"):
            raise RefusedPickleError(f"refused bytearray with encoding {_short(encoding)}: pickles use latin-1")
        return bytearray(_raw(data, "bytearray"))

    def charge_array(self, size: int) -> None:
        """Count ``size`` bytes of array data copied; more in all than the file holds is refused."""
        self.array_budget -= size
        if self.array_budget < 0:
            raise ModelFileError("the pickle's arrays hold more data than the file: they share their raw data")

    def container(self, kind: type, items=()):
        """``kind(items)`` for a list or container ``items`` (never text or bytes, which would become one
        object per character); what a set or dict hashes counts against pickle_scan's limit."""
        if not isinstance(items, (list, tuple, dict, set, frozenset)):
            raise RefusedPickleError(f"refused {kind.__name__}() of a {type(items).__name__}")
        if kind in (set, frozenset, dict):
            self.hashed += sum(1 for item in items if not isinstance(item, (str, bytes)))
            if self.hashed > pickle_scan.MAX_HASHED:
                raise ModelFileError(f"the pickle hashes over {pickle_scan.MAX_HASHED:,} keys or set items "
                                     "that are not strings; folk-rnn files have none")
        return kind(items)

    make_set = functools.partialmethod(container, set)
    make_frozenset = functools.partialmethod(container, frozenset)
    make_dict = functools.partialmethod(container, dict)
    make_list = functools.partialmethod(container, list)
    make_tuple = functools.partialmethod(container, tuple)


def safe_unpickle(data: bytes) -> Any:
    """Unpickle ``data`` admitting only numpy arrays, dtypes, scalars and builtin containers.

    Arrays come back as stand-ins (see :class:`_Array`); :func:`weights_from_metadata` reads them.
    """
    if not data:
        raise ModelFileError("the file is empty")
    hashed = pickle_scan.scan(data)
    try:
        return _RestrictedUnpickler(data, hashed).load()
    except ModelFileError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            LookupError, MemoryError, OverflowError, RecursionError) as exc:
        raise ModelFileError(f"not a readable pickle ({type(exc).__name__}: {one_line(exc)})") from None


def _array(value: Any, what: str) -> np.ndarray:
    """An array of the file (a stand-in's data, or an ndarray given directly)."""
    array = value.array if isinstance(value, _Array) else value
    if not isinstance(array, np.ndarray):
        raise ModelFileError(f"{what} is a {type(value).__name__}, not a numpy array")
    return array


class _Converter:
    """Metadata entries as JSON-able values: scalars and (nested) lists of them; anything else is
    dropped. Refuses nesting deeper than ModelWeights allows and more than MAX_METADATA_VALUES values
    (shared references would otherwise multiply a small file into a huge document)."""

    DROP = object()

    def __init__(self):
        self.left = MAX_METADATA_VALUES

    def __call__(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_METADATA_DEPTH:
            raise ModelFileError(f"the metadata nests deeper than {MAX_METADATA_DEPTH} levels")
        value = value.array if isinstance(value, _Array) else value
        size = value.size if isinstance(value, (np.ndarray, np.generic)) else len(value) if isinstance(
            value, (list, tuple)) else 1
        self.left -= size
        if self.left < 0:
            raise ModelFileError(f"the metadata holds over {MAX_METADATA_VALUES:,} values")
        if isinstance(value, (str, bool, int, float)) or value is None:
            return value
        if isinstance(value, bytes):
            return value.decode("latin-1")
        if isinstance(value, (np.generic, np.ndarray)):
            return value.tolist() if value.dtype.kind in "biuf" and value.size <= 100_000 else self.DROP
        if isinstance(value, (list, tuple)):
            items = [self(v, depth + 1) for v in value]
            return self.DROP if any(item is self.DROP for item in items) else items
        return self.DROP


def _row(array: np.ndarray) -> np.ndarray:
    """Lasagne's (1, H) initial states as (H,); other shapes pass through to the shape check."""
    return array.reshape(-1) if array.ndim == 2 and array.shape[0] == 1 else array


def _fold_embedding(embedding: np.ndarray, W_in: np.ndarray) -> np.ndarray:
    """The first layer's input weights seen from the one-hot tokens: embedding @ W_in (skipped for
    folk-rnn's identity embedding; a product too large to be folk-rnn's is refused)."""
    if np.array_equal(embedding, np.eye(len(embedding), dtype=embedding.dtype)):
        return W_in
    work = embedding.shape[0] * embedding.shape[1] * W_in.shape[1]
    if work > MAX_EMBEDDING_FOLD:
        raise ShapeError(f"param_values[0] (embedding) is not the identity and folding it into the first layer "
                         f"takes {work:,} multiply-adds; the limit is {MAX_EMBEDDING_FOLD:,}")
    with np.errstate(all="ignore"):  # values past float32's range are refused afterwards, without a warning
        return embedding.astype(np.float64) @ W_in


def _vocabulary(token2idx: Any):
    """folk-rnn's ``token2idx`` (token -> index 0..n-1) as the model's vocabulary."""
    if not isinstance(token2idx, dict) or not all(
        isinstance(t, (str, bytes)) and type(i) is int for t, i in token2idx.items()
    ):
        raise ModelFileError("token2idx must map token strings to integer indices")
    if sorted(token2idx.values()) != list(range(len(token2idx))):
        raise ModelFileError("token2idx is not a vocabulary: its indices are not exactly 0..n-1")
    order = sorted(token2idx, key=token2idx.__getitem__)
    return model_vocabulary([t.decode("latin-1") if isinstance(t, bytes) else t for t in order])


def weights_from_metadata(meta: Any) -> ModelWeights:
    """Map a folk-rnn metadata dict (Lasagne ``param_values``) onto :class:`ModelWeights`."""
    if not isinstance(meta, dict):
        raise ModelFileError(f"expected a folk-rnn metadata dict, got {type(meta).__name__}")
    for key in ("param_values", "token2idx"):
        if key not in meta:
            raise ModelFileError(f"not a folk-rnn metadata file: no '{key}' entry")
    vocabulary = _vocabulary(meta["token2idx"])
    params = meta["param_values"]
    if not isinstance(params, (list, tuple)):
        raise ModelFileError("param_values must be a list of numpy arrays")
    params = [_array(p, f"param_values[{i}]") for i, p in enumerate(params)]
    if len({id(p) for p in params}) != len(params):
        raise ModelFileError("param_values lists the same array more than once")
    n_layers, extra = divmod(len(params) - 3, _ARRAYS_PER_LAYER)
    if extra or not 1 <= n_layers <= MAX_LAYERS:
        raise ModelFileError(
            f"param_values holds {len(params)} arrays; folk-rnn's layout has 3 + 14 x layers "
            f"(embedding, 14 per LSTM layer, dense W and b) with 1 to {MAX_LAYERS} layers"
        )
    n_vocab = len(vocabulary)
    embedding, dense_W, dense_b = params[0], params[-2], params[-1]
    if embedding.shape != (n_vocab, n_vocab):
        raise ShapeError(f"param_values[0] (embedding): expected shape {(n_vocab, n_vocab)}, got {embedding.shape}")
    hidden = dense_W.shape[0] if dense_W.ndim == 2 else -1
    if dense_W.shape != (hidden, n_vocab) or not 1 <= hidden <= MAX_HIDDEN:
        raise ShapeError(f"param_values[-2] (dense W): expected shape (hidden, {n_vocab}) with hidden in "
                         f"1..{MAX_HIDDEN}, got {dense_W.shape}")
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
            W_in = _fold_embedding(embedding, W_in)  # one-hot -> embedding -> W_in
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
    convert = _Converter()
    metadata = {k: v for k, v in ((_text(k, "metadata key"), convert(v)) for k, v in meta.items()
                                  if k not in ("param_values", "token2idx")) if v is not convert.DROP}
    metadata.setdefault("experiment_id", None)
    metadata["provenance"] = {"format": "folk-rnn metadata pickle (Lasagne param_values)"}
    return ModelWeights.checked(vocabulary, layers, dense_W.T, dense_b, metadata)


def load_original(data: bytes) -> ModelWeights:
    """Load a folk-rnn metadata pickle's bytes safely into :class:`ModelWeights` (in this process;
    :func:`folkrnn.io.sandbox.load_isolated` runs it in a child with resource limits)."""
    return weights_from_metadata(safe_unpickle(data))
