"""Model files that attack the loader's resources (tests/resource_attacks.py) are refused cleanly: by
the command line with exit status 2 and one line on stderr, in-process by the checks alone (the
sandbox is a second line, tested here with children that crash, spin and allocate), and under
bounded fuzzing (mutated valid files, random opcode streams). Timing targets (2 s, 300 MB) are
measured by scripts/hostile_load_report.py; the bound here only allows for a busy machine."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from folkrnn.errors import ModelFileError
from folkrnn.io import checkpoint, original, sandbox
from folkrnn.io.loading import load_bytes, load_model
from tests.py2pickle import dumps_py2, folkrnn_metadata
from tests.resource_attacks import TOKENS, resource_attack_files

LOOSE_TIME_LIMIT_S = 20  # per file through the command line, with other tests running alongside


@pytest.fixture(scope="module")
def attacks():
    return resource_attack_files()


def _cli_info(path) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "folkrnn", "info", "--model", str(path), "--json"],
                          capture_output=True, text=True, timeout=120)
    return done, time.perf_counter() - start


def test_corpus_covers_every_class_of_the_issue(attacks):
    names = {name.split("/", 1)[1] for name, _ in attacks}
    for name in ("dtype_field_out_of_range", "deep_tuple_dict_key", "memo_index_2_27", "bytearray8_length_2_31",
                 "colliding_int_keys_80k", "dict_3m_keys", "nested_lists_in_metadata", "safetensors_header_nesting",
                 "safetensors_metadata_nesting", "bfloat16_tensor", "zero_sized_V", "unknown_codec_name",
                 "vocab_without_start", "float64_overflows_float32", "hidden_size_0", "metadata_45mb",
                 "vocabulary_1m_tokens", "datetime_array", "structured_array"):
        assert name in names
    assert len(attacks) >= 70 and all(len(data) <= 50 * 2**20 for _, data in attacks)


def test_every_attack_gets_exit_2_and_one_line_from_the_cli(attacks, tmp_path):
    paths = []
    for name, data in attacks:
        path = tmp_path / name.replace("/", ".")
        path.write_bytes(data)
        paths.append(path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_cli_info, paths))
    failures = [f"{path.name}: exit {done.returncode} in {seconds:.1f} s: {done.stderr[-300:]!r}"
                for path, (done, seconds) in zip(paths, results)
                if done.returncode != 2 or done.stdout or len(done.stderr.strip().splitlines()) != 1
                or not done.stderr.startswith(f"error: {path.name}: ") or seconds > LOOSE_TIME_LIMIT_S]
    assert not failures, "\n".join(failures)


PLAIN_LOADS = (  # these files name numpy's globals only: nothing but numpy and CPython runs
    "import pickle, sys\n"
    "meta = pickle.loads(open(sys.argv[1], 'rb').read(), encoding='latin1')\n"
    "meta['param_values'][0].astype('f8')  # as the old loader folded the embedding\n"
)


@pytest.mark.parametrize("name", ["pkl/dtype_field_out_of_range", "pkl/deep_tuple_dict_key"])
def test_the_crashes_are_real_under_plain_pickle_loads(attacks, tmp_path, name):
    path = tmp_path / "crash.pkl"
    path.write_bytes(dict(attacks)[name])
    done = subprocess.run([sys.executable, "-c", PLAIN_LOADS, str(path)], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGSEGV, done.stderr[-300:]


def test_every_attack_is_refused_in_process_without_the_sandbox(attacks):
    for name, data in attacks:
        load = checkpoint.from_bytes if name.startswith("safetensors/") else original.load_original
        with pytest.raises(ModelFileError) as caught:
            load(data)
        message = str(caught.value)
        assert message and "\n" not in message and len(message) < 400, f"{name}: {message!r}"
    assert type(original._NDARRAY) is original._NDArrayName  # no BUILD changed what outlives a load


def test_valid_pickle_loads_through_the_sandbox_as_in_process():
    data = dumps_py2(folkrnn_metadata(TOKENS, hidden=64, rng=6))
    isolated, direct = load_bytes(data), original.load_original(data)
    assert isolated.content_hash == direct.content_hash
    assert isolated.metadata["experiment_id"] == direct.metadata["experiment_id"]
    assert isolated.metadata["losses_eval_valid"] == pytest.approx(direct.metadata["losses_eval_valid"])
    assert load_model().num_layers == 3  # the embedded checkpoint passes the header checks


def _isolated_with_child(monkeypatch, code: str):
    monkeypatch.setattr(sandbox, "_CHILD", code)
    with pytest.raises(ModelFileError) as caught:
        sandbox.load_isolated(b"\x80\x02N.")
    return str(caught.value)


def test_a_crashing_parser_is_reported_not_shared(monkeypatch):
    message = _isolated_with_child(monkeypatch, "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    assert message == "the pickle parser crashed (SIGSEGV); the file is refused"


def test_the_parser_is_limited_in_memory(monkeypatch):
    code = ("import folkrnn.io.original as o\n"
            "o.load_original = lambda data: bytearray(2**31)\n"
            "from folkrnn.io.sandbox import child_main; child_main()")
    assert _isolated_with_child(monkeypatch, code) == \
        f"parsing the pickle needed over {sandbox.MEMORY_LIMIT_BYTES // 2**20} MB; the file is refused"


def test_the_parser_is_limited_in_cpu_and_wall_time(monkeypatch):
    spin = ("import resource\nfrom folkrnn.io.sandbox import _limit_resources\n_limit_resources()\n"
            "resource.setrlimit(resource.RLIMIT_CPU, (1, resource.getrlimit(resource.RLIMIT_CPU)[1]))\n"
            "while True: pass")
    assert _isolated_with_child(monkeypatch, spin) == "the pickle parser ran out of CPU time; the file is refused"
    monkeypatch.setattr(sandbox, "WALL_LIMIT_S", 1)
    start = time.perf_counter()
    assert _isolated_with_child(monkeypatch, "import time; time.sleep(60)") == \
        "parsing the pickle took over 1 s; the file is refused"
    assert time.perf_counter() - start < 30  # the sleeping child was killed, not waited for


def test_one_pickle_is_parsed_at_a_time(monkeypatch):
    monkeypatch.setattr(sandbox, "WALL_LIMIT_S", 0.1)
    with sandbox._ONE_AT_A_TIME:  # another session's upload is being parsed
        with pytest.raises(ModelFileError, match="the server is busy parsing other model files"):
            sandbox.load_isolated(b"\x80\x02N.")


def test_an_unexpected_child_failure_is_one_line(monkeypatch):
    message = _isolated_with_child(monkeypatch, "raise SystemExit('boom\\nsecond line')")
    assert message == "the pickle parser failed (exit status 1: second line)"


SMALL = dumps_py2(folkrnn_metadata(["<s>", "</s>", "M:4/4", "K:Cmaj", "c", "d"], hidden=3, layers=1, rng=2))
SMALL_CHECKPOINT = checkpoint.to_bytes(original.load_original(SMALL))


def _mutated(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for position, value, kind in edits:
        i = position % (len(out) + 1)
        if kind == "replace" and i < len(out):
            out[i] = value
        elif kind == "insert":
            out[i:i] = bytes([value])
        else:
            del out[i : i + value % 16]
    return bytes(out)


EDITS = st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255), st.sampled_from(["replace", "insert", "delete"])),
                 min_size=1, max_size=8)


@settings(max_examples=300, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_fuzzed_pickles_load_or_fail_with_a_model_file_error(edits):
    try:
        weights = original.load_original(_mutated(SMALL, edits))
    except ModelFileError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(np.isfinite(layer.W_ih).all() for layer in weights.layers)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(EDITS)
def test_fuzzed_checkpoints_load_or_fail_with_a_model_file_error(edits):
    try:
        checkpoint.from_bytes(_mutated(SMALL_CHECKPOINT, edits))
    except ModelFileError as exc:
        assert "\n" not in str(exc)


# Pieces of pickles: atoms, the globals the allow-list admits, memo reads and writes, and the opcodes
# that build containers, call, BUILD, pop and duplicate; hypothesis strings them together.
PIECES = [b"K\x00", b"K\x07", b"J\xff\xff\xff\x7f", b"\x8a\x09" + (2**61 - 1).to_bytes(9, "little"),
          b"G\x7f\xf8\x00\x00\x00\x00\x00\x00", b"N", b"\x88", b"\x89", b")", b"]", b"}", b"U\x00",
          b"U\x01b", b"U\x02f8", b"U\x02f4", b"U\x01<", b"U\x08" + bytes(8), b"U\x02V8",
          b"cnumpy.core.multiarray\n_reconstruct\n", b"cnumpy\nndarray\n", b"cnumpy\ndtype\n",
          b"cnumpy.core.multiarray\nscalar\n", b"c__builtin__\nset\n", b"c__builtin__\ndict\n",
          b"c__builtin__\nlist\n", b"c__builtin__\nbytearray\n", b"c__builtin__\ncomplex\n",
          b"h\x00", b"h\x01", b"q\x00", b"q\x01", b"\x94", b"(", b"t", b"\x85", b"\x86", b"\x87", b"R", b"b",
          b"a", b"e", b"s", b"u", b"l", b"d", b"0", b"1", b"2", b"\x8f", b"\x90", b"\x91"]


@settings(max_examples=500, deadline=None, database=None, derandomize=True)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=80))
def test_fuzzed_opcode_streams_fail_only_with_a_model_file_error(pieces):
    with pytest.raises(ModelFileError) as caught:  # none of them is a folk-rnn metadata dict
        original.load_original(b"\x80\x02" + b"".join(pieces) + b".")
    assert "\n" not in str(caught.value)
