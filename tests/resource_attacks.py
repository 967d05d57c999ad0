"""Model files that attack the loader's resources rather than run code: crashes, memory and CPU
blow-ups, inputs that used to end in a traceback, and files that used to be accepted though wrong.

:func:`resource_attack_files` returns ``(name, file bytes)`` pairs; every one must be refused with a
one-line :class:`folkrnn.errors.ModelFileError`, quickly and in bounded memory. Pickles are written
by hand (raw opcodes) or as :mod:`tests.hostile_files` writes valid metadata, then altered;
checkpoints by :func:`safetensors_file`, which writes any header at all.
"""

from __future__ import annotations

import json
import struct

import numpy as np

from folkrnn.vocab import folkrnn_v2_vocabulary
from tests.hostile_files import HIDDEN, dumps
from tests.py2pickle import DTYPE, NDARRAY, RECONSTRUCT, SCALAR, Reduce, dumps_py2, folkrnn_metadata

TOKENS = folkrnn_v2_vocabulary().tokens
COLLIDING = 2**61 - 1  # hash(k * COLLIDING) == 0 for every int k: all such keys collide


def _metadata(**kwargs) -> dict:
    return folkrnn_metadata(TOKENS, hidden=HIDDEN, rng=3, **kwargs)


def _text(s: str) -> bytes:
    """SHORT_BINUNICODE (or BINUNICODE) of ``s``."""
    data = s.encode()
    return (b"\x8c" + bytes([len(data)]) if len(data) < 256 else b"X" + struct.pack("<I", len(data))) + data


def _long(n: int) -> bytes:
    """LONG1 of ``n``."""
    data = n.to_bytes(n.bit_length() // 8 + 1, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


def with_entry(pickle_bytes: bytes, key: str, value_ops: bytes) -> bytes:
    """A metadata pickle with one more top-level entry, ``key`` -> the object ``value_ops`` builds."""
    assert pickle_bytes.endswith(b".")
    return pickle_bytes[:-1] + _text(key) + value_ops + b"s."


def _valid() -> bytes:
    return dumps_py2(_metadata())


def _dtype(code: str, state: tuple) -> Reduce:
    return Reduce(DTYPE, (code, 0, 1), state)


def _array(dtype, shape: tuple, raw: bytes) -> Reduce:
    return Reduce(RECONSTRUCT, (NDARRAY, (0,), b"b"), (1, shape, dtype, False, raw))


def _with_param(index: int, value) -> bytes:
    meta = _metadata()
    meta["param_values"][index] = value
    return dumps_py2(meta)


def _dict_of(keys_ops: list[bytes]) -> bytes:
    """A dict with the given keys (all values 0), in SETITEMS batches of 1000 as cPickle writes."""
    out = [b"}"]
    for start in range(0, len(keys_ops), 1000):
        out += [b"(", b"".join(k + b"K\x00" for k in keys_ops[start : start + 1000]), b"u"]
    return b"".join(out)


def safetensors_file(tensors: dict, metadata=None, header_extra: dict | None = None) -> bytes:
    """A safetensors file: ``tensors`` maps names to (dtype name, shape, raw bytes)."""
    header, blobs, offset = dict(header_extra or {}), [], 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata is not None:
        header["__metadata__"] = {"folkrnn": metadata if isinstance(metadata, str) else json.dumps(metadata)}
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def checkpoint_tensors(n_vocab: int, hidden: int, layers: int = 1, dtype=np.float32) -> dict:
    """Consistent (dtype name, shape, zeros) entries for a checkpoint of the given sizes."""
    name = {np.float16: "F16", np.float32: "F32", np.float64: "F64"}[dtype]

    def entry(*shape):
        return name, shape, np.zeros(shape, dtype).tobytes()

    tensors, n_in = {"V": entry(n_vocab, hidden), "v": entry(n_vocab)}, n_vocab
    for i in range(layers):
        tensors |= {f"lstm{i}.W_ih": entry(4 * hidden, n_in), f"lstm{i}.W_hh": entry(4 * hidden, hidden),
                    f"lstm{i}.b": entry(4 * hidden), f"lstm{i}.h0": entry(hidden), f"lstm{i}.c0": entry(hidden)}
        n_in = hidden
    return tensors


def _checkpoint_meta(tokens=TOKENS, **extra) -> dict:
    return {"format": "folkrnn-checkpoint", "version": 1, "tokens": list(tokens), **extra}


def _pickle_attacks() -> dict[str, bytes]:
    valid = _valid()
    f8 = np.dtype("<f8")
    plain = (3, "<", None, None, None, -1, -1, 0)
    vocab = len(TOKENS)
    deep = 100_000
    square = b"\0" * 8 * vocab * vocab
    attacks = {
        # Crashes (segmentation faults) in numpy and in CPython's tuple hash.
        "dtype_field_out_of_range": _with_param(0, _array(_field_dtype(f8, 2**20), (vocab, vocab), square)),
        "dtype_field_negative_offset": _with_param(0, _array(_field_dtype(f8, -(2**31)), (vocab, vocab), square)),
        "dtype_field_offset_2_40": _with_param(0, _array(_field_dtype(f8, 2**40), (vocab, vocab), square)),
        "dtype_field_out_of_range_in_b": _with_param(-1, _array(_field_dtype(f8, 2**20), (vocab,), b"\0" * 8 * vocab)),
        "dtype_flags_hasobject": _with_param(0, _array(_dtype("f8", (3, "<", None, None, None, -1, -1, 1)),
                                                       (vocab, vocab), b"A" * 8 * vocab * vocab)),
        "dtype_elsize_lie": _with_param(-1, _array(
            _dtype("f8", (3, "<", None, None, None, 2**40, 1, 0)), (vocab,), b"\0" * 8 * vocab)),
        "deep_tuple_dict_key": b"\x80\x02}K\x00" + b"\x85" * 1_000_000 + b"K\x01s.",
        "deep_tuple_in_metadata": with_entry(valid, "deep", b"K\x00" + b"\x85" * deep),
        # BUILD on an admitted global: it would outlive the load (numpy.ndarray's stand-in turned into
        # another class, a function's default encoding changed).
        "build_sets_ndarray_class": b"\x80\x02cnumpy\nndarray\nN}U\t__class__cnumpy\ndtype\ns\x86b.",
        "build_sets_bytearray_defaults": b"\x80\x02c__builtin__\nbytearray\nN}U\x0c__defaults__U\x00U\x06utf-16"
                                         b"\x86s\x86b.",
        "build_sets_scalar_defaults": b"\x80\x02cnumpy.core.multiarray\nscalar\nN}U\x0c__defaults__K\x01\x85s\x86b.",
        # Memory from a tiny file: huge memo indices, length prefixes and shapes.
        "memo_index_2_27": b"\x80\x02K\x00r" + struct.pack("<I", 2**27) + b".",
        "memo_index_2_31": b"\x80\x02K\x00r" + struct.pack("<I", 2**31 - 1) + b".",
        "memo_get_unset": b"\x80\x02j" + struct.pack("<I", 2**31) + b".",
        "bytearray8_length_2_31": b"\x80\x05\x96" + struct.pack("<Q", 2**31) + b"x" * 4000 + b".",
        "binbytes8_length_2_31": b"\x80\x04\x8e" + struct.pack("<Q", 2**31) + b"x" * 4000 + b".",
        "binunicode8_length_2_31": b"\x80\x04\x8d" + struct.pack("<Q", 2**31) + b"x" * 4000 + b".",
        "binstring_length_2_31": b"\x80\x02T" + struct.pack("<i", 2**31 - 1) + b"x" * 4000 + b".",
        "long4_length_2_31": b"\x80\x02\x8b" + struct.pack("<i", 2**31 - 1) + b"\x01" * 4000 + b".",
        "frame_length_2_40": b"\x80\x04\x95" + struct.pack("<Q", 2**40) + b"K\x00.",
        "bytearray_call_2_27": b"\x80\x02c__builtin__\nbytearray\nJ" + struct.pack("<i", 2**27) + b"\x85R.",
        "reconstruct_shape_2_31": with_entry(valid, "big", b"cnumpy.core.multiarray\n_reconstruct\n"
                                             b"cnumpy\nndarray\nJ\xff\xff\xff\x7f\x85U\x01b\x87R"),
        "array_shape_lies_about_data": _with_param(-1, _array(f8, (2**20, 2**20), b"\0" * 64)),
        "array_shape_huge_int": _with_param(-1, _array(f8, (2**5000,), b"\0" * 8)),
        "array_shape_negative": _with_param(-1, _array(f8, (-1, vocab), b"\0" * 8 * vocab)),
        "shared_raw_data": _shared_raw_data(),
        "shared_param_arrays": _shared_params(),
        "list_of_a_long_string": with_entry(valid, "chars", b"c__builtin__\nlist\n" + _text("x" * 5_000_000) + b"\x85R"),
        "mark_flood": b"\x80\x02" + b"(" * 1_000_000 + b"K\x00.",
        "empty_dict_flood": b"\x80\x02](" + b"}" * 3_000_000 + b"e.",
        "op_flood_ints": b"\x80\x02](" + b"K\x00" * 3_000_000 + b"e.",
        # CPU: hash-colliding dict keys, and many keys.
        "colliding_int_keys_80k": b"\x80\x02" + _dict_of([_long(k * COLLIDING) for k in range(1, 80_001)]) + b".",
        "colliding_keys_in_sets": b"\x80\x02c__builtin__\nset\n]q\x01(" + b"".join(
            _long(k * COLLIDING) for k in range(1, 5001)) + b"e\x85R" + b"0c__builtin__\nset\nh\x01\x85R" * 200 + b".",
        "dict_3m_keys": b"\x80\x02" + _dict_of([b"J" + struct.pack("<i", k) for k in range(3_000_000)]) + b".",
        # Used to end in a traceback.
        "nested_lists_in_metadata": with_entry(valid, "losses_extra", b"]" * deep + b"a" * (deep - 1)),
        "unknown_codec_name": with_entry(valid, "blob", b"c__builtin__\nbytearray\n" + _text("abc")
                                         + _text("no-such-codec") + b"\x86R"),
        "reference_cycle_in_metadata": with_entry(valid, "loop", b"]q\x00h\x00a"),
        "shared_reference_amplification": with_entry(  # 6 lists, each of 1000 references to the one before
            valid, "losses_extra", b"](" + b"G?\xf0\x00\x00\x00\x00\x00\x00" * 1000 + b"eq\x00"
            + b"".join(b"0](" + (b"h" + bytes([i])) * 1000 + b"eq" + bytes([i + 1]) for i in range(5))),
        # Accepted though wrong.
        "vocab_without_start": dumps_py2(_renamed("<s>", "<x>")),
        "vocab_without_end": dumps_py2(_renamed("</s>", "<y>")),
        "vocab_huge_token": dumps_py2(_renamed("|:", "x" * 100_000)),
        "vocab_int_tokens": dumps_py2(folkrnn_metadata(list(range(137)), hidden=HIDDEN, rng=3)),
        "float64_overflows_float32": _with_param(-1, np.full(vocab, 1e300)),
        "float64_overflow_in_lstm": _float64_overflow_lstm(),
        "hidden_size_0": dumps_py2(folkrnn_metadata(TOKENS, hidden=0, rng=3)),
        "datetime_array": _with_param(-1, _array(_dtype("M8", (4, "<", None, None, None, -1, -1, 0, (b"s", 1, 1, 1))),
                                                 (vocab,), b"\0" * 8 * vocab)),
        "datetime_scalar_in_metadata": _with_metadata("epoch_since_start", Reduce(SCALAR, (
            _dtype("M8", (4, "<", None, None, None, -1, -1, 0, (b"s", 1, 1, 1))), b"\0" * 8))),
        "structured_array": _with_param(-1, _array(_field_dtype(f8, 0), (vocab,), b"\0" * 8 * vocab)),
        "subarray_dtype": _with_param(-1, _array(
            _dtype("V16", (3, "|", (f8, (2,)), None, None, 16, 1, 16)), (vocab,), b"\0" * 16 * vocab)),
        "complex_weights": _with_param(-1, np.zeros(vocab, np.complex64)),
        "dtype_unknown_code": _with_param(-1, _array(_dtype("f3", plain), (vocab,), b"\0" * 3 * vocab)),
        "ndarray_state_wrong_version": _with_param(-1, Reduce(RECONSTRUCT, (NDARRAY, (0,), b"b"),
                                                              (7, (vocab,), f8, False, b"\0" * 8 * vocab))),
        "scalar_wrong_length": _with_metadata("learning_rate", Reduce(SCALAR, (f8, b"\0" * 3))),
        "too_many_layers": dumps_py2(folkrnn_metadata(TOKENS, hidden=1, layers=40, rng=3)),
    }
    for p in (0, 1, 3, 4, 5):
        attacks[f"float64_overflows_float32_p{p}"] = dumps(
            dict(_metadata(), param_values=_metadata()["param_values"][:-1] + [np.full(vocab, 1e300)]), p)
    return attacks


def _field_dtype(field: np.dtype, offset: int) -> Reduce:
    """An 8-byte structured dtype, rebuilt through BUILD, with one field at ``offset``."""
    return _dtype("V8", (3, "|", None, ("a",), {"a": (field, offset)}, 8, 1, 16))


def _renamed(old: str, new: str) -> dict:
    meta = _metadata()
    meta["token2idx"][new] = meta["token2idx"].pop(old)
    return meta


def _with_metadata(key: str, value) -> bytes:
    meta = _metadata()
    meta[key] = value
    return dumps_py2(meta)


def _shared_params() -> bytes:
    """Every square LSTM matrix is one and the same array (a small file, many copies once loaded)."""
    meta = folkrnn_metadata(TOKENS, hidden=256, layers=16, rng=3)
    params = meta["param_values"]
    for layer in range(16):
        for gate in range(4):
            params[1 + 14 * layer + 3 * gate + 1] = params[2]  # W_hid
            if layer:
                params[1 + 14 * layer + 3 * gate] = params[2]  # W_in
    return dumps_py2(meta)


def _shared_raw_data(arrays: int = 300, size: int = 2**20) -> bytes:
    """A list of arrays whose states all name the same ``size`` bytes of raw data (memo entry 0)."""
    dtype = b"cnumpy\ndtype\nU\x02f8K\x00K\x01\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tbq\x01"
    out = [b"\x80\x02]("]
    for i in range(arrays):
        out.append(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R(K\x01J"
                   + struct.pack("<i", size // 8) + b"\x85" + (dtype if i == 0 else b"h\x01") + b"\x89"
                   + (b"T" + struct.pack("<i", size) + b"\0" * size + b"q\x00" if i == 0 else b"h\x00") + b"tb")
    return b"".join(out) + b"e."


def _float64_overflow_lstm() -> bytes:
    meta = _metadata()
    meta["param_values"][2] = np.full((HIDDEN, HIDDEN), -3e38 * 10, np.float64)  # W_hid
    return dumps_py2(meta)


def _nested_dict(depth: int) -> dict:
    nested = {}
    for _ in range(depth):
        nested = {"a": nested}
    return nested


def _raw_header(header: bytes) -> bytes:
    return struct.pack("<Q", len(header)) + header


def _overlapping(tensors: dict, meta: dict) -> bytes:
    """A checkpoint whose b0 and c0 share their bytes."""
    data = safetensors_file(tensors, meta)
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    header["lstm0.c0"]["data_offsets"] = header["lstm0.h0"]["data_offsets"]
    return _raw_header(json.dumps(header).encode()) + data[8 + n :]


def _checkpoint_attacks() -> dict[str, bytes]:
    tensors = checkpoint_tensors(len(TOKENS), HIDDEN)
    meta = _checkpoint_meta()
    deep = 100_000
    bf16 = dict(tensors, V=("BF16", (len(TOKENS), HIDDEN), b"\0" * 2 * len(TOKENS) * HIDDEN))
    million = [f"t{i}" for i in range(1_000_000)]
    return {
        "safetensors_header_nesting": _raw_header(b'{"x":' + b"[" * deep + b"]" * deep + b"}"),
        "safetensors_metadata_nesting": safetensors_file(
            tensors, json.dumps(meta)[:-1] + ', "deep": ' + "[" * deep + "]" * deep + "}"),
        "safetensors_metadata_not_strings": safetensors_file(
            tensors, header_extra={"__metadata__": {"folkrnn": json.dumps(meta), "n": _nested_dict(50)}}),
        "bfloat16_tensor": safetensors_file(bf16, meta),
        "int32_tensor": safetensors_file(dict(tensors, v=("I32", (len(TOKENS),), b"\0" * 4 * len(TOKENS))), meta),
        "zero_sized_V": safetensors_file(dict(tensors, V=("F32", (0,), b"")), meta),
        "V_is_a_scalar": safetensors_file(dict(tensors, V=("F32", (), b"\0" * 4)), meta),
        "V_three_dimensional": safetensors_file(dict(tensors, V=("F32", (len(TOKENS), HIDDEN, 1), tensors["V"][2])), meta),
        "hidden_size_0": safetensors_file(checkpoint_tensors(len(TOKENS), 0), meta),
        "metadata_45mb": safetensors_file(tensors, _checkpoint_meta(notes="x" * 45_000_000)),
        "header_claims_2_63_bytes": struct.pack("<Q", 2**63) + b'{"V": {}}',
        "header_length_past_the_file": struct.pack("<Q", 4096) + b'{"V": {}}',
        "offsets_past_the_file": safetensors_file(tensors, meta)[:-4],
        "shape_lies_about_data": safetensors_file(dict(tensors, V=("F32", (2**31, 2**31), tensors["V"][2])), meta),
        "negative_shape": safetensors_file(dict(tensors, V=("F32", (-len(TOKENS), -HIDDEN), tensors["V"][2])), meta),
        "vocabulary_1m_tokens": safetensors_file(checkpoint_tensors(len(million), 1), _checkpoint_meta(million)),
        "vocab_without_start": safetensors_file(tensors, _checkpoint_meta(["<x>" if t == "<s>" else t for t in TOKENS])),
        "vocab_duplicate_tokens": safetensors_file(tensors, _checkpoint_meta([TOKENS[1], *TOKENS[1:]])),
        "vocab_non_string_tokens": safetensors_file(tensors, _checkpoint_meta([*TOKENS[:-1], 5])),
        "float64_overflows_float32": safetensors_file(dict(tensors, v=("F64", (len(TOKENS),),
                                                                       np.full(len(TOKENS), 1e300).tobytes())), meta),
        "too_many_layers": safetensors_file(checkpoint_tensors(len(TOKENS), 1, layers=40), meta),
        "metadata_not_a_string": safetensors_file(tensors, header_extra={"__metadata__": {"folkrnn": [1]}}),
        "metadata_not_a_dict": safetensors_file(tensors, json.dumps([meta])),
        "tensor_entry_not_a_dict": _raw_header(json.dumps({"V": 5, "__metadata__": {"folkrnn": json.dumps(meta)}}).encode()),
        "header_not_json": _raw_header(b'{"V": \xff\xfe}'),
        "unexpected_tensor": safetensors_file(dict(tensors, extra=("F32", (1,), b"\0" * 4)), meta),
        "overlapping_tensors": _overlapping(tensors, meta),
        "vocabulary_20k_tokens": safetensors_file(checkpoint_tensors(20_000, 1), _checkpoint_meta(
            ["<s>", "</s>", *(f"t{i}" for i in range(19_998))])),
    }


def resource_attack_files() -> list[tuple[str, bytes]]:
    """The corpus: (name, file bytes); pickles are named ``pkl/...``, checkpoints ``safetensors/...``."""
    return ([(f"pkl/{k}", v) for k, v in _pickle_attacks().items()]
            + [(f"safetensors/{k}", v) for k, v in _checkpoint_attacks().items()])
