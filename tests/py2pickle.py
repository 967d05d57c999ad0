"""Write pickles byte for byte as Python 2.7's cPickle (protocol 2) wrote folk-rnn's metadata files.

folk-rnn's ``train_rnn.py`` (Python 2.7, numpy 1.x) saves its model with
``cPickle.dump(metadata, f, cPickle.HIGHEST_PROTOCOL)``; :func:`folkrnn_pickle` makes such files
from random weights, with no Python 2 needed.

Python 3 values stand for the Python 2 values folk-rnn pickles: ``str`` and ``bytes`` are Python 2
``str`` (latin-1), :class:`Py2Unicode` is ``unicode``, ``int`` is ``int`` (``long`` past 64 bits),
numpy arrays, dtypes and scalars reduce as numpy 1.x does under Python 2, and :class:`Global` and
:class:`Reduce` write a bare global and a call, for hand-made (hostile) pickles.

cPickle's quirks are kept: memo indices start at 1; 0- and 1-character strings and empty tuples
are never memoized; and an object is memoized only if its reference count is at least 2 while it
is written, which this writer models as: non-empty lists and dicts, arrays, globals and dtypes
always; strings always (folk-rnn's keys are interned and its tokens and ids are held elsewhere);
anything iterated from a list (the iterator holds a reference); other objects (tuples, scalars,
empty containers) only if reached twice in the object graph; temporaries made by ``__reduce__``
(shapes, argument and state tuples, raw data) never. Dicts are written in iteration order (Python
2 used hash order, so a byte comparison must first order the dict like Python 2 did).

Verified (tests/test_py2pickle.py, skipped only where the interpreter or its numpy is missing)
against the real thing: Python 2.7.18 (/root/.pyenv/versions/2.7.18) with numpy 1.16.6 from PyPI
pickled (a) the dict :func:`folkrnn_metadata` returns, rebuilt in Python 2 from the same arrays the
way ``train_rnn.py`` builds it, and (b) probes: lists and dicts of 0, 1, 2, 1000, 1001 and 2000
items, ints at every opcode boundary and longs (LONG1, LONG4), floats, bools, None, str of 0 to
256 characters, unicode, shared and unshared tuples, a memo past 255 entries
(LONG_BINPUT, LONG_BINGET), and float32, float64, big-endian, int, bool, 0-d, Fortran-ordered,
object and repeated arrays and numpy scalars. :func:`dumps_py2` of the same values, dicts put
in Python 2's order, gave the same bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Global:
    """A reference to ``module.name`` (the GLOBAL opcode)."""

    module: str
    name: str


@dataclass(frozen=True, eq=False)
class Reduce:
    """A call ``func(*args)`` (REDUCE), then ``BUILD`` with ``state`` unless it is None."""

    func: Any
    args: tuple
    state: Any = None


class Py2Unicode(str):
    """Text that Python 2 held as ``unicode`` (written as BINUNICODE, not as a ``str``)."""


RECONSTRUCT = Global("numpy.core.multiarray", "_reconstruct")
NDARRAY = Global("numpy", "ndarray")
DTYPE = Global("numpy", "dtype")
SCALAR = Global("numpy.core.multiarray", "scalar")


def numpy_reduce(obj: Any) -> Reduce | None:
    """What numpy 1.x's ``__reduce__`` gives under Python 2 for an array, dtype or scalar; else None."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            fortran, data = False, list(obj.ravel())
        else:
            fortran = obj.flags.f_contiguous and not obj.flags.c_contiguous
            data = obj.tobytes("F" if fortran else "C")
        return Reduce(RECONSTRUCT, (NDARRAY, (0,), b"b"), (1, obj.shape, obj.dtype, fortran, data))
    if isinstance(obj, np.dtype):
        if obj.kind not in "biufcO" or obj.fields is not None or obj.subdtype is not None:
            raise TypeError(f"dtype {obj} is not supported")
        order = {"=": "<", "|": "|", "<": "<", ">": ">"}[obj.byteorder]
        return Reduce(DTYPE, (f"{obj.kind}{obj.itemsize}", 0, 1),
                      (3, order, None, None, None, -1, -1, int(obj.flags)))
    if isinstance(obj, np.generic):
        return Reduce(SCALAR, (obj.dtype, obj.tobytes()))
    return None


def _graph_counts(obj: Any) -> dict[int, int]:
    """How many references each container, scalar or call in ``obj`` gets (list items count twice)."""
    counts: dict[int, int] = {}
    stack = [(obj, 2)]
    while stack:
        item, refs = stack.pop()
        first = id(item) not in counts
        counts[id(item)] = counts.get(id(item), 0) + refs
        if not first:
            continue
        if isinstance(item, list):
            stack += [(x, 2) for x in item]
        elif isinstance(item, tuple):
            stack += [(x, 1) for x in item]
        elif isinstance(item, dict):
            stack += [(x, 1) for kv in item.items() for x in kv]
        elif isinstance(item, Reduce):
            stack += [(item.func, 1), (item.args, 1), (item.state, 1)]
    return counts


class _Py2Pickler:
    """cPickle's protocol-2 ``Pickler.dump``; see the module docstring for the memo model."""

    def __init__(self, obj: Any):
        self.out: list[bytes] = []
        self.memo: dict[Any, int] = {}
        self.alive: list[Any] = []  # keeps temporaries alive, so no id is reused while writing
        self.counts = _graph_counts(obj)

    def dumps(self, obj: Any) -> bytes:
        self.out.append(b"\x80\x02")
        self.save(obj, shared=True)
        self.out.append(b".")
        return b"".join(self.out)

    def _shared(self, obj: Any) -> bool:
        return isinstance(obj, (str, bytes)) or self.counts.get(id(obj), 0) >= 2

    def put(self, key: Any) -> None:
        index = self.memo[key] = len(self.memo) + 1
        self.out.append(b"q" + bytes([index]) if index < 256 else b"r" + struct.pack("<I", index))

    def get(self, key: Any) -> None:
        index = self.memo[key]
        self.out.append(b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index))

    def save(self, obj: Any, shared: bool, temporary: bool = False) -> None:
        """Write ``obj``; ``shared``: its refcount is >= 2; ``temporary``: a tuple made by a reduce."""
        t, w = type(obj), self.out.append
        if obj is None:
            return w(b"N")
        if t is bool:
            return w(b"\x88" if obj else b"\x89")
        if t is int:
            return self.save_int(obj)
        if t is float:
            return w(b"G" + struct.pack(">d", obj))
        if isinstance(obj, (str, bytes)) and len(obj) < 2:
            return self.save_string(obj)
        if t is tuple and not obj:
            return w(b")")
        if isinstance(obj, Global):
            key = obj
        elif isinstance(obj, np.dtype):
            key, shared = ("dtype", obj.str), True
        else:
            key = id(obj)
        if key in self.memo:
            return self.get(key)
        if isinstance(obj, (str, bytes)):
            self.save_string(obj)
        elif t is tuple:
            self.save_tuple(obj, temporary)
        elif t is list:
            w(b"]")
            if obj or shared:
                self.put(key)
            self.batch(obj, b"a", b"e")
            return
        elif t is dict:
            w(b"}")
            if obj or shared:
                self.put(key)
            self.save_items(obj)
            return
        elif isinstance(obj, Global):
            w(f"c{obj.module}\n{obj.name}\n".encode("ascii"))
        elif isinstance(obj, Reduce):
            return self.save_reduce(obj, key, shared)
        elif (reduced := numpy_reduce(obj)) is not None:
            self.alive.append(reduced)
            return self.save_reduce(reduced, key, shared)
        else:
            raise TypeError(f"cannot write {t.__name__} as a Python 2 pickle")
        if shared or isinstance(obj, Global):
            self.put(key)

    def save_int(self, n: int) -> None:
        if 0 <= n < 0x100:
            self.out.append(b"K" + bytes([n]))
        elif 0 <= n < 0x10000:
            self.out.append(b"M" + struct.pack("<H", n))
        elif -(2**31) <= n < 2**31:
            self.out.append(b"J" + struct.pack("<i", n))
        elif -(2**63) <= n < 2**63:  # a Python 2 int that needs more than 32 bits
            self.out.append(b"I%d\n" % n)
        else:  # a Python 2 long
            data = n.to_bytes((n.bit_length() >> 3) + 1, "little", signed=True)
            if n < 0 and len(data) > 1 and data[-1] == 0xFF and data[-2] & 0x80:
                data = data[:-1]
            self.out.append(b"\x8a" + bytes([len(data)]) + data if len(data) < 256
                            else b"\x8b" + struct.pack("<i", len(data)) + data)

    def save_string(self, s: str | bytes) -> None:
        if isinstance(s, Py2Unicode):
            data = s.encode("utf-8", "surrogatepass")
            self.out.append(b"X" + struct.pack("<I", len(data)) + data)
            return
        data = s.encode("latin-1") if isinstance(s, str) else bytes(s)
        self.out.append(b"U" + bytes([len(data)]) + data if len(data) < 256
                        else b"T" + struct.pack("<i", len(data)) + data)

    def save_tuple(self, obj: tuple, temporary: bool) -> None:
        if len(obj) > 3:
            self.out.append(b"(")
        for x in obj:
            self.save(x, not temporary and self._shared(x), temporary)
        self.out.append(b"t" if len(obj) > 3 else bytes([0x84 + len(obj)]))  # TUPLE1..3

    def batch(self, items: list, one: bytes, many: bytes) -> None:
        """cPickle's batch_list: MARK ... APPENDS per 1000 items, a lone last item by APPEND."""
        for start in range(0, len(items), 1000):
            chunk = items[start: start + 1000]
            if len(chunk) > 1:
                self.out.append(b"(")
            for x in chunk:
                self.save(x, True)
            self.out.append(many if len(chunk) > 1 else one)

    def save_items(self, d: dict) -> None:
        """cPickle's batch_dict_exact: SETITEM for a 1-item dict, else MARK ... SETITEMS per 1000."""
        items = list(d.items())
        if not items:
            return
        if len(items) == 1:
            chunks = [items]
        else:  # a batch of exactly 1000 is followed by one more, even if it is empty
            chunks = [items[i: i + 1000] for i in range(0, len(items) + 1, 1000)]
        for chunk in chunks:
            if len(items) > 1:
                self.out.append(b"(")
            for k, v in chunk:
                self.save(k, self._shared(k))
                self.save(v, self._shared(v))
            self.out.append(b"u" if len(items) > 1 else b"s")

    def save_reduce(self, r: Reduce, key: Any, shared: bool) -> None:
        self.save(r.func, True)
        self.save(tuple(r.args), False, temporary=True)
        self.out.append(b"R")
        if shared or (r.state is not None and not isinstance(r.state, dict)):
            self.put(key)
        if r.state is not None:
            self.save(r.state, False, temporary=True)
            self.out.append(b"b")


def dumps_py2(obj: Any) -> bytes:
    """``obj`` pickled as Python 2.7's ``cPickle.dumps(obj, 2)`` wrote it (see the module docstring)."""
    return _Py2Pickler(obj).dumps(obj)


GATES = ("input", "forget", "cell", "output")
# The top-level keys in the order Python 2.7 iterates folk-rnn's metadata dict (checked in the tests).
METADATA_KEYS = ("token2idx", "losses_train", "epoch_since_start", "experiment_id", "losses_eval_valid",
                 "learning_rate", "configuration", "param_values", "iters_since_start")


def folkrnn_metadata(vocab_tokens, hidden: int = 16, layers: int = 3, rng: Any = 0,
                     singular_values=None, embedding: bool = True) -> dict:
    """A dict shaped like the one folk-rnn's ``train_rnn.py`` pickles, with random float32 weights.

    ``param_values`` is Lasagne's order: the one-hot embedding (vocab x vocab identity, left out if
    ``embedding`` is false), per LSTM layer W_in, W_hid, b for the input, forget, cell and output
    gates, then cell_init and hid_init (1 x hidden, random and non-zero), then the dense W (hidden x
    vocab) and b. With ``singular_values`` (min(vocab, hidden) of them) W is Q1 diag(s) Q2^T, so
    W.T has exactly those singular values. ``rng`` is a seed or a ``numpy.random.Generator``.
    """
    rng = np.random.default_rng(rng)
    tokens = list(vocab_tokens)
    vocab = len(tokens)

    def f32(shape, scale=0.3):
        return (scale * rng.standard_normal(shape)).astype(np.float32)

    params = [np.eye(vocab, dtype=np.float32)] if embedding else []
    n_in = vocab
    for _ in range(layers):
        for _gate in GATES:
            params += [f32((n_in, hidden)), f32((hidden, hidden)), f32(hidden)]
        for _state in ("cell_init", "hid_init"):
            params.append(rng.uniform(0.1, 0.5, (1, hidden)).astype(np.float32)
                          * rng.choice([-1, 1], (1, hidden)).astype(np.float32))
        n_in = hidden
    if singular_values is None:
        W = f32((hidden, vocab))
    else:
        s = np.asarray(singular_values, dtype=np.float64)
        if s.shape != (min(vocab, hidden),):
            raise ValueError(f"need {min(vocab, hidden)} singular values, got shape {s.shape}")
        Q1, _ = np.linalg.qr(rng.standard_normal((hidden, len(s))))
        Q2, _ = np.linalg.qr(rng.standard_normal((vocab, len(s))))
        W = (Q1 @ np.diag(s) @ Q2.T).astype(np.float32)
    params += [W, f32(vocab)]
    values = {
        "configuration": "config5",
        "experiment_id": "config5-wrepeats-20160112-222521",
        "epoch_since_start": 99,
        "iters_since_start": 23800,
        # theano returns each training loss as a 0-d float32 array; validation losses are
        # float32 sums divided by a numpy float64, hence float64 scalars
        "losses_train": [np.array(x, dtype=np.float32) for x in (4.37, 1.52, 0.81)],
        "losses_eval_valid": [np.float64(x) for x in (1.21, 0.93)],
        "learning_rate": np.array(0.0013, dtype=np.float32),  # a theano shared scalar's value
        "token2idx": {token: i for i, token in enumerate(tokens)},
        "param_values": params,
    }
    return {key: values[key] for key in METADATA_KEYS}


def folkrnn_pickle(vocab_tokens, **kwargs) -> bytes:
    """:func:`folkrnn_metadata` pickled as folk-rnn (Python 2.7 cPickle, protocol 2) wrote it."""
    return dumps_py2(folkrnn_metadata(vocab_tokens, **kwargs))
