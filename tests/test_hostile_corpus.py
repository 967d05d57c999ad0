"""Self-check of the hostile model-file corpus (the loader's own tests feed it to load_original)."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.hostile_files import MALFORMED, NONFINITE, PROTOCOLS, REFUSED, SHAPE, hostile_model_files

# The globals a folk-rnn metadata file holds: everything else in a pickle is hostile.
FOLKRNN_GLOBALS = {"numpy.core.multiarray _reconstruct", "numpy ndarray", "numpy dtype",
                   "numpy.core.multiarray scalar"}
# Payloads proven real: plain pickle.loads creates the marker (in a subprocess).
PROVEN = ["os_system_p0_classic", "os_system_p2", "getattr_chain_p5", "subprocess_call_p2",
          "builtins_eval_p3", "copyreg_reconstructor_p4", "numpy_lib_read_array_p2",
          "nested_param_values_p0"]


@pytest.fixture
def corpus(tmp_path):
    marker = tmp_path / "run" / "pwned"
    marker.parent.mkdir()
    files = hostile_model_files(tmp_path, marker)
    assert not marker.exists()  # making the corpus runs nothing
    return marker, {name: (data, expected) for name, data, expected in files}, files


class _Stand:
    """An inert stand-in for a global or the result of calling one; records every call."""

    def __init__(self, name: str, calls: list):
        self.name, self.calls = name, calls

    def __call__(self, *args):
        self.calls.append((self.name, args))
        return _Stand(f"{self.name}()", self.calls)

    def __setstate__(self, state):
        pass


class _Recorder(pickle.Unpickler):
    """Reads a pickle without running anything: records its globals, calls and persistent ids."""

    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data), encoding="latin1")
        self.globals: set[str] = set()
        self.calls: list[tuple[str, tuple]] = []
        self.persistent_ids = 0

    def find_class(self, module, name):
        self.globals.add(f"{module} {name}")
        return _Stand(f"{module} {name}", self.calls)

    def persistent_load(self, pid):
        self.persistent_ids += 1
        return None


def _record(data: bytes) -> tuple[_Recorder, Exception | None]:
    recorder = _Recorder(data)
    try:
        recorder.load()
    except Exception as error:  # truncated files, unregistered EXT codes
        return recorder, error
    return recorder, None


def _hostile_reasons(data: bytes) -> list[str]:
    """Why a folk-rnn loader must refuse ``data``; empty if nothing in it is foreign."""
    recorder, error = _record(data)
    reasons = sorted(recorder.globals - FOLKRNN_GLOBALS)
    reasons += ["persistent id"] * bool(recorder.persistent_ids)
    reasons += ["extension code"] * bool(error and "extension code" in str(error))
    for name, args in recorder.calls:
        if name in ("numpy dtype", "numpy ndarray") and args and args[0] not in ("f4", "f8"):
            reasons.append(f"{name}{args}")  # object dtype, or ndarray called directly
    return reasons


def test_corpus_is_large_named_and_typed(corpus):
    _, by_name, files = corpus
    assert len(files) >= 24 and len(by_name) == len(files)
    assert all(isinstance(data, bytes) for _, data, _ in files)
    assert {expected for _, _, expected in files} == {REFUSED, MALFORMED, SHAPE, NONFINITE}
    for where in ("param_values", "token2idx", "dict_value"):
        assert {f"nested_{where}_p{p}" for p in PROTOCOLS} <= set(by_name)


def test_protocols_and_opcodes_are_what_the_names_say(corpus):
    _, by_name, _ = corpus
    for p in PROTOCOLS:
        data = by_name[f"os_system_p{p}"][0]
        assert (data[:2] == bytes([0x80, p])) if p >= 2 else data[:1] == b"c"
        assert (b"\x93" in data) == (p >= 4)  # STACK_GLOBAL
    assert by_name["inst_p0"][0].endswith(b"ios\nsystem\n.")
    assert by_name["obj_p1"][0].endswith(b"o.")
    assert [by_name[f"ext{n}_p{p}"][0][2] for n, p in ((1, 2), (2, 3), (4, 4))] == [0x82, 0x83, 0x84]
    assert by_name["persid_p0"][0][:1] == b"P" and by_name["binpersid_p2"][0][-2:] == b"Q."


def test_every_refused_file_holds_something_foreign(corpus):
    _, _, files = corpus
    for name, data, expected in files:
        if expected == REFUSED:
            assert _hostile_reasons(data), name


def test_other_files_hold_only_what_folkrnn_files_hold(corpus):
    _, _, files = corpus
    for name, data, expected in files:
        if expected != REFUSED:
            assert not _hostile_reasons(data), name


def test_malformed_files_are_broken_as_their_names_say(corpus):
    _, by_name, _ = corpus
    for name in ("truncated_half", "truncated_before_stop", "empty", "random_bytes", "text"):
        with pytest.raises((pickle.UnpicklingError, EOFError, ValueError)):
            pickle.loads(by_name[name][0], encoding="latin1")  # only numpy globals, nothing runs
    load = {name: pickle.loads(data, encoding="latin1") for name, (data, expected)
            in by_name.items() if expected in (MALFORMED, SHAPE, NONFINITE)
            and name not in ("truncated_half", "truncated_before_stop", "empty", "random_bytes",
                             "text")}
    assert load["pickle_of_list_p2"] == [1, 2, 3] and load["pickle_of_int_p2"] == 7
    assert "param_values" not in load["missing_param_values"]
    assert "token2idx" not in load["missing_token2idx"]
    assert len(load["wrong_param_count"]["param_values"]) == 1 + 3 * 14 + 1
    for name in ("token2idx_non_contiguous", "token2idx_duplicate_index"):
        assert sorted(load[name]["token2idx"].values()) != list(range(137))
    assert load["w_hid_wrong_shape"]["param_values"][16].shape == (16, 15)
    assert load["dense_w_wrong_vocab"]["param_values"][-2].shape == (16, 136)
    assert np.isnan(load["nan_weights"]["param_values"][30]).sum() == 1
    assert np.isposinf(load["inf_weights"]["param_values"][-1]).sum() == 1
    assert np.isneginf(load["neg_inf_initial_state"]["param_values"][14]).sum() == 1


RUN_PLAIN_LOADS = (
    "import pickle, sys\n"
    "try:\n"
    "    pickle.loads(open(sys.argv[1], 'rb').read(), encoding='latin1')\n"
    "except Exception as error:\n"
    "    print('after running:', repr(error))\n"
)


@pytest.mark.parametrize("name", PROVEN)
def test_payload_is_real_under_plain_pickle_loads(corpus, tmp_path, name):
    marker, by_name, _ = corpus
    path = tmp_path / f"{name}.pkl"
    path.write_bytes(by_name[name][0])
    subprocess.run([sys.executable, "-c", RUN_PLAIN_LOADS, str(path)], cwd=marker.parent,
                   timeout=60, capture_output=True)
    deadline = time.monotonic() + 10  # Popen returns before its child has run
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), name
