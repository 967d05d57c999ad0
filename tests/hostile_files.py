"""A corpus of hostile and malformed folk-rnn model files, for the tests of the safe loader.

:func:`hostile_model_files` returns ``(name, file bytes, expected error class name)`` triples.
The code-running payloads are real: plain ``pickle.loads`` of one creates ``marker`` (by a shell
``touch``, by Python code, or through a second-stage file in ``tmp_dir``);
tests/test_hostile_corpus.py proves it in a subprocess for a representative few. The refused
entries that run nothing under plain ``pickle.loads`` here need what a loader never provides (EXT
codes: a copyreg extension registry entry; PERSID: a persistent_load; nt.system: Windows) or ask
for what folk-rnn files never hold (object dtypes, numpy called on a foreign class, ndarray
called directly).

Nested payloads sit inside otherwise valid folk-rnn metadata. Protocol 2 files are written as
Python 2.7 cPickle wrote folk-rnn's (:mod:`tests.py2pickle`), other protocols by Python's own
pickler with numpy values reduced the Python 2 way (``numpy.core.multiarray._reconstruct``) and,
below protocol 3, raw array data as Python 2 ``str``. Models are small (the 137-token v2
vocabulary, 16 hidden units).
"""

from __future__ import annotations

import codecs
import io
import pickle
import shlex
import struct
from pathlib import Path

import numpy as np

from folkrnn.vocab import folkrnn_v2_vocabulary
from tests.py2pickle import SCALAR, Global, Reduce, dumps_py2, folkrnn_metadata, numpy_reduce

REFUSED = "RefusedPickleError"
MALFORMED = "ModelFileError"
SHAPE = "ShapeError"
NONFINITE = "NonFiniteWeightsError"
HIDDEN = 16
PROTOCOLS = range(6)


class _AnyProtocolPickler(pickle._Pickler):
    """Python's pickler, also writing :class:`Global`, :class:`Reduce`, numpy values as Python 2
    numpy did, and ``bytes`` as a Python 2 ``str`` below protocol 3."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.reduced: dict[int, tuple] = {}  # numpy object id -> (object, its Reduce)

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, (np.ndarray, np.generic, np.dtype)):
            obj = self.reduced.setdefault(id(obj), (obj, numpy_reduce(obj)))[1]
        elif type(obj) is bytes and self.proto < 3:
            return self.save_py2_str(obj)
        super().save(obj, save_persistent_id)

    def save_py2_str(self, data: bytes) -> None:
        if self.proto == 0:
            self.write(b"S'" + codecs.escape_encode(data)[0] + b"'\n")
        elif len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)

    def save_global_ref(self, g: Global) -> None:
        if self.proto >= 4:
            self.save(g.module)
            self.save(g.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{g.module}\n{g.name}\n".encode("ascii"))
        self.memoize(g)

    def save_call(self, r: Reduce) -> None:
        self.save(r.func)
        self.save(tuple(r.args))
        self.write(pickle.REDUCE)
        self.memoize(r)
        if r.state is not None:
            self.save(r.state)
            self.write(pickle.BUILD)

    dispatch[Global] = save_global_ref
    dispatch[Reduce] = save_call


def dumps(obj, protocol: int) -> bytes:
    """``obj`` pickled with ``protocol``: protocol 2 exactly as Python 2.7's cPickle wrote it."""
    if protocol == 2:
        return dumps_py2(obj)
    out = io.BytesIO()
    _AnyProtocolPickler(out, protocol).dump(obj)
    return out.getvalue()


def call(module: str, name: str, *args) -> Reduce:
    """A pickled call ``module.name(*args)``."""
    return Reduce(Global(module, name), args)


def _metadata(**kwargs) -> dict:
    return folkrnn_metadata(folkrnn_v2_vocabulary().tokens, hidden=HIDDEN, rng=11, **kwargs)


def _py2_string(data: bytes) -> bytes:
    """SHORT_BINSTRING, as in a hand-written binary pickle."""
    return b"U" + bytes([len(data)]) + data


def hostile_model_files(tmp_dir: Path, marker: Path) -> list[tuple[str, bytes, str]]:
    """The corpus: (name, file bytes, the ``folkrnn.errors`` class name the loader must raise).

    Payloads would create ``marker``; second-stage files are written into ``tmp_dir``. Nothing is
    run here.
    """
    tmp_dir = Path(tmp_dir)
    cmd = f"touch {shlex.quote(str(marker))}"
    code = f"open({str(marker)!r}, 'w').close()"
    argv = ["touch", str(marker)]
    system = call("os", "system", cmd)
    files: list[tuple[str, bytes, str]] = []

    def add(name: str, data: bytes, expected: str = REFUSED) -> None:
        files.append((name, data, expected))

    # Code-running globals, called at the top level.
    for p in PROTOCOLS:  # GLOBAL in protocols 0-3, STACK_GLOBAL in 4 and 5
        add(f"os_system_p{p}", dumps(system, p))
    add("os_system_p0_classic", b"cos\nsystem\n(S'" + codecs.escape_encode(cmd.encode())[0]
        + b"'\ntR.")
    add("posix_system_p2", dumps(call("posix", "system", cmd), 2))
    add("nt_system_p2", dumps(call("nt", "system", cmd), 2))  # runs on Windows
    add("subprocess_call_p2", dumps(call("subprocess", "call", argv), 2))
    add("subprocess_popen_p3", dumps(call("subprocess", "Popen", argv), 3))
    add("subprocess_check_output_p4", dumps(call("subprocess", "check_output", argv), 4))
    add("builtins_eval_p3", dumps(call("builtins", "eval", code), 3))
    add("builtin_eval_p2", dumps(call("__builtin__", "eval", code), 2))
    add("builtins_exec_p4", dumps(call("builtins", "exec", code), 4))
    add("builtin_exec_p0", dumps(call("__builtin__", "exec", code), 0))
    getattr_ = Global("builtins", "getattr")
    add("importlib_import_module_p2", dumps(
        Reduce(Reduce(getattr_, (call("importlib", "import_module", "os"), "system")), (cmd,)), 2))
    add("dunder_import_p4", dumps(
        Reduce(Reduce(getattr_, (call("builtins", "__import__", "os"), "system")), (cmd,)), 4))
    subprocess_os = Reduce(getattr_, (call("builtins", "__import__", "subprocess"), "os"))
    add("getattr_chain_p5", dumps(Reduce(Reduce(getattr_, (subprocess_os, "system")), (cmd,)), 5))
    popen = Global("subprocess", "Popen")  # copyreg._reconstructor runs Popen.__init__(obj, argv)
    add("copy_reg_reconstructor_p2", dumps(call("copy_reg", "_reconstructor", popen, popen, argv), 2))
    add("copyreg_reconstructor_p4", dumps(call("copyreg", "_reconstructor", popen, popen, argv), 4))

    # Opcodes folk-rnn files never use: INST and OBJ call their class; EXT and PERSID hand
    # the choice of object to copyreg's extension registry or to persistent_load.
    quoted = b"S'" + codecs.escape_encode(cmd.encode())[0] + b"'\n"
    add("inst_p0", b"(" + quoted + b"ios\nsystem\n.")
    add("obj_p1", b"(cos\nsystem\n" + _py2_string(cmd.encode()) + b"o.")
    args = _py2_string(cmd.encode()) + b"\x85"  # (cmd,)
    add("ext1_p2", b"\x80\x02\x82\xf0" + args + b"R.")
    add("ext2_p3", b"\x80\x03\x83" + struct.pack("<H", 0x1234) + args + b"R.")
    add("ext4_p4", b"\x80\x04\x84" + struct.pack("<i", 0x123456) + args + b"R.")
    add("persid_p0", b"P" + cmd.encode() + b"\n.")
    add("binpersid_p2", b"\x80\x02" + _py2_string(cmd.encode()) + b"Q.")

    # numpy's own functions: np.load and numpy.lib.format.read_array unpickle a second file,
    # numpy.testing's runstring execs, frompyfunc makes a ufunc out of eval.
    stage2 = tmp_dir / "stage2.pkl"
    stage2.write_bytes(dumps(system, 2))
    add("numpy_load_p2", dumps(call("numpy", "load", str(stage2), None, True), 2))
    stage2_npy = tmp_dir / "stage2.npy"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    stage2_npy.write_bytes(header.getvalue() + dumps(system, 2))
    opened = call("numpy.lib._datasource", "open", str(stage2_npy), "rb")
    add("numpy_lib_read_array_p2", dumps(call("numpy.lib.format", "read_array", opened, True), 2))
    add("numpy_testing_runstring_p3",
        dumps(call("numpy.testing._private.utils", "runstring", code, {}), 3))
    add("numpy_frompyfunc_eval_p2", dumps(
        Reduce(call("numpy", "frompyfunc", Global("builtins", "eval"), 1, 1), (code,)), 2))
    add("numpy_reconstruct_hostile_class_p2", dumps(
        call("numpy.core.multiarray", "_reconstruct", popen, (0,), b"b"), 2))
    add("numpy_ndarray_called_p2", dumps(Reduce(Global("numpy", "ndarray"), ((4,),)), 2))

    # Payloads deep inside otherwise valid folk-rnn metadata, in every protocol.
    for p in PROTOCOLS:
        meta = _metadata()
        meta["param_values"][5] = system
        add(f"nested_param_values_p{p}", dumps(meta, p))
        meta = _metadata()
        meta["token2idx"]["|:"] = system
        add(f"nested_token2idx_p{p}", dumps(meta, p))
        meta = _metadata()
        meta["experiment_id"] = system
        add(f"nested_dict_value_p{p}", dumps(meta, p))
    meta = _metadata()
    meta["token2idx"][system] = meta["token2idx"].pop("|:")
    add("nested_dict_key_p2", dumps(meta, 2))
    meta = _metadata()
    meta["losses_train"].append([{"deeper": (system,)}])
    add("nested_in_losses_p1", dumps(meta, 1))

    # Object-dtype arrays (unpickling one unpickles arbitrary objects) and scalars.
    meta = _metadata()
    meta["param_values"][-1] = np.array(["x"] * len(meta["token2idx"]), dtype=object)
    add("object_array_strings_p2", dumps(meta, 2))
    holder = np.empty(2, dtype=object)
    holder[:] = [1.0, system]
    meta = _metadata()
    meta["param_values"][3] = holder
    add("object_array_payload_p2", dumps(meta, 2))
    add("object_array_payload_p4", dumps(meta, 4))
    meta = _metadata()
    meta["losses_eval_valid"][0] = Reduce(SCALAR, (np.dtype(object), "not a float"))
    add("object_scalar_p2", dumps(meta, 2))

    # Not a folk-rnn metadata file at all.
    valid = dumps(_metadata(), 2)
    add("truncated_half", valid[: len(valid) // 2], MALFORMED)
    add("truncated_before_stop", valid[:-1], MALFORMED)
    add("empty", b"", MALFORMED)
    add("random_bytes", b"\xff" + np.random.default_rng(0).bytes(4095), MALFORMED)
    add("text", b"this is not a pickle\n", MALFORMED)
    add("pickle_of_list_p2", dumps([1, 2, 3], 2), MALFORMED)
    add("pickle_of_int_p2", dumps(7, 2), MALFORMED)
    for key in ("param_values", "token2idx"):
        meta = _metadata()
        del meta[key]
        add(f"missing_{key}", dumps(meta, 2), MALFORMED)
    meta = _metadata()
    meta["param_values"].pop()
    add("wrong_param_count", dumps(meta, 2), MALFORMED)
    meta = _metadata()
    meta["token2idx"][next(iter(meta["token2idx"]))] = 200
    add("token2idx_non_contiguous", dumps(meta, 2), MALFORMED)
    meta = _metadata()
    meta["token2idx"]["|:"] = meta["token2idx"][":|"]
    add("token2idx_duplicate_index", dumps(meta, 2), MALFORMED)

    # Well-formed files with impossible shapes or values.
    meta = _metadata()
    meta["param_values"][1 + 14 + 1] = np.ones((HIDDEN, HIDDEN - 1), dtype=np.float32)
    add("w_hid_wrong_shape", dumps(meta, 2), SHAPE)  # layer 2's input-gate W_hid, 16 x 15
    meta = _metadata()
    vocab = len(meta["token2idx"])
    meta["param_values"][-2:] = [np.ones((HIDDEN, vocab - 1), np.float32),
                                 np.ones(vocab - 1, np.float32)]
    add("dense_w_wrong_vocab", dumps(meta, 2), SHAPE)
    meta = _metadata()
    meta["param_values"][1 + 28 + 1][2, 3] = np.nan  # layer 3's input-gate W_hid
    add("nan_weights", dumps(meta, 2), NONFINITE)
    meta = _metadata()
    meta["param_values"][-1][5] = np.inf  # dense b
    add("inf_weights", dumps(meta, 2), NONFINITE)
    meta = _metadata()
    meta["param_values"][14][0, 1] = -np.inf  # layer 1's hid_init
    add("neg_inf_initial_state", dumps(meta, 4), NONFINITE)
    return files
