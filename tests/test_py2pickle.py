"""The Python 2 pickle writer: protocol-2 opcodes, Python 3 round trip, byte equality with cPickle."""

from __future__ import annotations

import json
import pickle
import pickletools
import subprocess
from pathlib import Path

import numpy as np
import pytest

from folkrnn.vocab import folkrnn_v2_vocabulary
from tests.py2pickle import (
    METADATA_KEYS,
    Py2Unicode,
    dumps_py2,
    folkrnn_metadata,
    folkrnn_pickle,
)

TOKENS = folkrnn_v2_vocabulary().tokens
PY2 = Path("/root/.pyenv/versions/2.7.18/bin/python")


def _py2_numpy() -> bool:
    if not PY2.exists():
        return False
    return subprocess.run([str(PY2), "-c", "import numpy"], capture_output=True).returncode == 0


needs_py2_numpy = pytest.mark.skipif(not _py2_numpy(), reason=f"needs {PY2} with numpy installed")

# What folk-rnn's protocol-2 metadata files are made of, and nothing else.
FOLKRNN_OPCODES = {
    "PROTO", "EMPTY_DICT", "EMPTY_LIST", "EMPTY_TUPLE", "MARK", "SETITEMS", "APPENDS", "BINPUT",
    "BINGET", "SHORT_BINSTRING", "BINSTRING", "BININT1", "BININT2", "BININT", "GLOBAL", "REDUCE",
    "BUILD", "TUPLE1", "TUPLE2", "TUPLE3", "TUPLE", "NONE", "NEWFALSE", "STOP",
}
NUMPY_GLOBALS = {"numpy.core.multiarray _reconstruct", "numpy ndarray", "numpy dtype",
                 "numpy.core.multiarray scalar"}


def _ops(data: bytes) -> list[tuple[str, object]]:
    return [(op.name, arg) for op, arg, _ in pickletools.genops(data)]


def test_folkrnn_pickle_uses_only_protocol_2_opcodes_folkrnn_files_contain():
    ops = _ops(folkrnn_pickle(TOKENS))
    assert ops[0] == ("PROTO", 2) and ops[1][0] == "EMPTY_DICT" and ops[-1][0] == "STOP"
    assert {name for name, _ in ops} <= FOLKRNN_OPCODES
    globals_ = [arg for name, arg in ops if name == "GLOBAL"]
    assert sorted(globals_) == sorted(NUMPY_GLOBALS)  # each written once, then fetched by BINGET
    keys = {arg for name, arg in ops if name == "SHORT_BINSTRING"}
    assert set(METADATA_KEYS) <= keys and set(TOKENS) <= keys
    assert all(op.proto <= 2 for op, _, _ in pickletools.genops(folkrnn_pickle(TOKENS)))


def test_folkrnn_pickle_loads_back_exactly_in_python_3():
    meta = folkrnn_metadata(TOKENS, hidden=16, rng=3)
    loaded = pickle.loads(dumps_py2(meta), encoding="latin1")
    assert list(loaded) == list(METADATA_KEYS)
    assert loaded["token2idx"] == {t: i for i, t in enumerate(TOKENS)}
    assert len(loaded["param_values"]) == 1 + 3 * 14 + 2
    for ours, theirs in zip(meta["param_values"], loaded["param_values"]):
        assert theirs.dtype == np.float32 and theirs.shape == ours.shape
        assert np.array_equal(theirs, ours)
    assert [type(x) for x in loaded["losses_train"]] == [np.ndarray] * 3
    assert [type(x) for x in loaded["losses_eval_valid"]] == [np.float64] * 2
    assert loaded["learning_rate"].shape == () and loaded["learning_rate"].dtype == np.float32
    for key in ("configuration", "experiment_id", "epoch_since_start", "iters_since_start"):
        assert loaded[key] == meta[key]


def test_folkrnn_metadata_follows_lasagne_order_and_shapes():
    vocab, hidden = len(TOKENS), 16
    params = folkrnn_metadata(TOKENS, hidden=hidden)["param_values"]
    assert np.array_equal(params[0], np.eye(vocab))
    n_in = vocab
    for layer in range(3):
        block = params[1 + 14 * layer: 1 + 14 * (layer + 1)]
        assert [p.shape for p in block[:12]] == [(n_in, hidden), (hidden, hidden), (hidden,)] * 4
        assert [p.shape for p in block[12:]] == [(1, hidden), (1, hidden)]
        assert all((p != 0).all() for p in block[12:])  # cell_init, hid_init
        n_in = hidden
    assert params[-2].shape == (hidden, vocab) and params[-1].shape == (vocab,)
    without = folkrnn_metadata(TOKENS, hidden=hidden, embedding=False)["param_values"]
    assert len(without) == len(params) - 1 and without[0].shape == (vocab, hidden)


def test_planted_singular_values():
    s = np.linspace(3.0, 0.5, 16)
    W = folkrnn_metadata(TOKENS, hidden=16, singular_values=s)["param_values"][-2]
    assert np.allclose(np.linalg.svd(W.T.astype(np.float64), compute_uv=False), s, atol=1e-5)
    with pytest.raises(ValueError):
        folkrnn_metadata(TOKENS, hidden=16, singular_values=s[:5])


def test_generic_values_round_trip():
    big = np.arange(300, dtype=np.float64).reshape(20, 15)
    value = {
        "ints": [0, 255, 256, 65535, 65536, -1, 2**31, -(2**31) - 1, 2**64, -(2**70), 2**2100],
        "floats": [1.5, -0.0, float("inf")], "flags": (True, False, None),
        "text": ["", "a", "ab", "z" * 300, b"raw\xff", Py2Unicode("\xe9t\u20ac")],
        "arrays": [big, np.asfortranarray(big), np.array(["ab", 1], dtype=object),
                   np.array(2, dtype=np.int32), np.zeros(3, dtype=bool), np.float64(2.5)],
        "many": [f"s{i}" for i in range(1001)], "nested": ((1, 2), [{}], {"k": ()}),
    }
    data = dumps_py2(value)
    names = {name for name, _ in _ops(data)}
    assert {"LONG_BINPUT", "LONG1", "LONG4", "INT", "BINUNICODE", "BINFLOAT", "NEWTRUE",
            "APPEND", "SETITEM"} <= names
    loaded = pickle.loads(data, encoding="latin1")
    assert loaded["ints"] == value["ints"] and loaded["many"] == value["many"]
    assert loaded["floats"] == value["floats"] and loaded["flags"] == value["flags"]
    assert loaded["text"] == ["", "a", "ab", "z" * 300, "raw\xff", "\xe9t\u20ac"]
    assert loaded["nested"] == value["nested"]
    for ours, theirs in zip(value["arrays"], loaded["arrays"]):
        assert type(theirs) is type(ours) and theirs.dtype == ours.dtype
        assert np.array_equal(theirs, ours)
    assert loaded["arrays"][1].flags.f_contiguous


# --- byte equality with Python 2.7's cPickle ---------------------------------------------------

PY2_SCRIPT = r'''
import cPickle, json, sys
from itertools import izip
import numpy as np

mode, d = sys.argv[1], sys.argv[2]
if mode == "folkrnn":  # built the way folk-rnn's train_rnn.py builds it
    spec = json.load(open(d + "/spec.json"))
    config_name = str(spec["configuration"])
    experiment_id = str(spec["experiment_id"])
    idx2token = [t.encode("latin-1") for t in spec["tokens"]]
    token2idx = dict(izip(idx2token, xrange(len(idx2token))))
    param_values = [np.load("%s/p%d.npy" % (d, i)) for i in range(spec["n_params"])]
    losses_train = [np.array(x, dtype="float32") for x in spec["losses_train"]]
    losses_eval_valid = [np.float64(x) for x in spec["losses_eval_valid"]]
    learning_rate = np.array(spec["learning_rate"], dtype="float32")
    epoch, niter = spec["epoch_since_start"], spec["iters_since_start"]
    with open(d + "/folkrnn.pkl", "wb") as f:
        cPickle.dump({
            'configuration': config_name,
            'experiment_id': experiment_id,
            'epoch_since_start': epoch,
            'iters_since_start': niter,
            'losses_train': losses_train,
            'losses_eval_valid': losses_eval_valid,
            'learning_rate': learning_rate,
            'token2idx': token2idx,
            'param_values': param_values,
        }, f, cPickle.HIGHEST_PROTOCOL)
else:
    keys = ["k%d" % i for i in range(2000)]
    t = (5, 6)
    a = np.ones(2)
    s = "xy"
    memo = ["s%d" % i for i in range(300)]
    memo += [memo[0], memo[299]]
    probes = {
        "lists": [[], [1], [1, 2], range(1000), range(1001), range(2000)],
        "dicts": [{}, {"ab": 1}] + [dict(zip(keys[:n], range(n))) for n in (2, 1000, 1001, 2000)],
        "ints": [0, 255, 256, 65535, 65536, -1, -256, 2**31 - 1, 2**31, -2**31, -2**31 - 1,
                 2**62, int(2**63 - 1), int(-2**63), 2**63, 2**64, -2**64, -2**63 - 1, 2**2100],
        "scalars": [True, False, None, 1.5, -0.0, 1e300, float("inf")],
        "strings": [s, s, "a", "a", "", u"uni", u"\xe9t\u20ac", u"", u"x", "z" * 255, "z" * 256,
                    (1, 2), (), (1,), (1, 2, 3, 4)],
        "tuples": {"shared1": t, "shared2": t, "fresh": tuple(range(3)),
                   "nested": (tuple(range(2)), "xy")},
        "memo": memo,
        "arrays": [np.arange(6, dtype="float32").reshape(2, 3), np.array(1.5, dtype="float32"),
                   np.float64(2.5), np.float64(3.5), np.array([1, 2], dtype="int64"),
                   np.array(["ab", 1], dtype=object), np.asfortranarray(np.arange(6.).reshape(2, 3)),
                   np.zeros(3, dtype=bool), np.arange(100, dtype="float32"), a, a,
                   np.array(1.5, dtype=">f8"), np.array(7, dtype="int32"), np.float32(2.5)],
    }
    for name, value in probes.items():
        with open("%s/%s.pkl" % (d, name), "wb") as f:
            cPickle.dump(value, f, cPickle.HIGHEST_PROTOCOL)
'''


def _probes() -> dict:
    """The probes of PY2_SCRIPT as Python 3 values."""
    keys = [f"k{i}" for i in range(2000)]
    t, a, s = (5, 6), np.ones(2), "xy"
    memo = [f"s{i}" for i in range(300)]
    memo += [memo[0], memo[299]]
    return {
        "lists": [[], [1], [1, 2], list(range(1000)), list(range(1001)), list(range(2000))],
        "dicts": [{}, {"ab": 1}] + [dict(zip(keys[:n], range(n))) for n in (2, 1000, 1001, 2000)],
        "ints": [0, 255, 256, 65535, 65536, -1, -256, 2**31 - 1, 2**31, -2**31, -2**31 - 1,
                 2**62, 2**63 - 1, -2**63, 2**63, 2**64, -2**64, -2**63 - 1, 2**2100],
        "scalars": [True, False, None, 1.5, -0.0, 1e300, float("inf")],
        "strings": [s, s, "a", "a", "", Py2Unicode("uni"), Py2Unicode("\xe9t\u20ac"),
                    Py2Unicode(""), Py2Unicode("x"), "z" * 255, "z" * 256,
                    (1, 2), (), (1,), (1, 2, 3, 4)],
        "tuples": {"shared1": t, "shared2": t, "fresh": tuple(range(3)),
                   "nested": (tuple(range(2)), "xy")},
        "memo": memo,
        "arrays": [np.arange(6, dtype="float32").reshape(2, 3), np.array(1.5, dtype="float32"),
                   np.float64(2.5), np.float64(3.5), np.array([1, 2], dtype="int64"),
                   np.array(["ab", 1], dtype=object),
                   np.asfortranarray(np.arange(6.0).reshape(2, 3)),
                   np.zeros(3, dtype=bool), np.arange(100, dtype="float32"), a, a,
                   np.array(1.5, dtype=">f8"), np.array(7, dtype="int32"), np.float32(2.5)],
    }


def _order_like(obj, ref):
    """``obj`` with every dict (inside dicts and lists) in ``ref``'s key order, leaves kept."""
    if isinstance(obj, dict):
        return {k: _order_like(obj[k], ref[k]) for k in ref}
    if isinstance(obj, list):
        return [_order_like(x, r) for x, r in zip(obj, ref)]
    return obj


def _run_py2(mode: str, directory: Path) -> None:
    subprocess.run([str(PY2), "-c", PY2_SCRIPT, mode, str(directory)], check=True, timeout=300)


@needs_py2_numpy
def test_folkrnn_pickle_equals_python2_cpickle_byte_for_byte(tmp_path):
    meta = folkrnn_metadata(TOKENS, hidden=16, rng=7)
    spec = {k: meta[k] for k in ("configuration", "experiment_id", "epoch_since_start",
                                 "iters_since_start")}
    spec.update(tokens=list(TOKENS), n_params=len(meta["param_values"]),
                losses_train=[float(x) for x in meta["losses_train"]],
                losses_eval_valid=[float(x) for x in meta["losses_eval_valid"]],
                learning_rate=float(meta["learning_rate"]))
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    for i, p in enumerate(meta["param_values"]):
        np.save(tmp_path / f"p{i}.npy", p)
    _run_py2("folkrnn", tmp_path)
    reference = (tmp_path / "folkrnn.pkl").read_bytes()
    python2_order = pickle.loads(reference, encoding="latin1")
    assert list(python2_order) == list(METADATA_KEYS)
    assert dumps_py2(_order_like(meta, python2_order)) == reference


@needs_py2_numpy
def test_probes_equal_python2_cpickle_byte_for_byte(tmp_path):
    _run_py2("probes", tmp_path)
    for name, value in _probes().items():
        reference = (tmp_path / f"{name}.pkl").read_bytes()
        ordered = _order_like(value, pickle.loads(reference, encoding="latin1"))
        assert dumps_py2(ordered) == reference, name
