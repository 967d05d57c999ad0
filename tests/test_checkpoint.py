import json

import numpy as np
import pytest
from safetensors.numpy import save as dump_safetensors

from folkrnn.errors import ModelFileError, NonFiniteWeightsError, ShapeError
from folkrnn.io import checkpoint
from folkrnn.io.loading import load_bytes, load_model
from tests.factories import random_weights


def test_round_trip_keeps_every_array_and_the_metadata(tmp_path):
    weights = random_weights(hidden=12, layers=2, seed=1)
    path = checkpoint.save_checkpoint(weights, tmp_path / "m.safetensors")
    loaded = load_model(path)
    assert loaded.vocabulary == weights.vocabulary
    assert loaded.metadata["experiment_id"] == "random-1"
    np.testing.assert_array_equal(loaded.V, weights.V)
    np.testing.assert_array_equal(loaded.v, weights.v)
    for a, b in zip(loaded.layers, weights.layers):
        for key in ("W_ih", "W_hh", "b", "h0", "c0"):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert loaded.softmax_hash == weights.softmax_hash


def test_checkpoint_contains_no_pickle(tmp_path):
    data = checkpoint.to_bytes(random_weights(hidden=4, layers=1))
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    assert set(header) - {"__metadata__"} == {"V", "v", *(f"lstm0.{k}" for k in ("W_ih", "W_hh", "b", "h0", "c0"))}
    assert b"\x80\x02" not in data[:64]


def _arrays(weights):
    arrays = {"V": weights.V, "v": weights.v}
    for i, layer in enumerate(weights.layers):
        for key in ("W_ih", "W_hh", "b", "h0", "c0"):
            arrays[f"lstm{i}.{key}"] = np.array(getattr(layer, key))
    return arrays


def _file(arrays, tokens, **meta):
    meta = {"format": "folkrnn-checkpoint", "tokens": tokens, **meta}
    return dump_safetensors(arrays, metadata={"folkrnn": json.dumps(meta)})


def test_metadata_that_lies_about_the_vocabulary_is_refused():
    weights = random_weights(hidden=4, layers=1)
    tokens = list(weights.vocabulary.tokens)[:-1]  # one token short of V's rows
    with pytest.raises(ShapeError, match=r"lstm0.W_ih: expected shape \(16, 136\)"):
        load_bytes(_file(_arrays(weights), tokens))


def test_wrong_shapes_name_the_array():
    weights = random_weights(hidden=4, layers=1)
    arrays = _arrays(weights)
    arrays["lstm0.W_hh"] = np.zeros((16, 5), np.float32)
    with pytest.raises(ShapeError, match=r"lstm0.W_hh: expected shape \(16, 4\), got \(16, 5\)"):
        load_bytes(_file(arrays, list(weights.vocabulary.tokens)))


def test_missing_array_is_named():
    weights = random_weights(hidden=4, layers=1)
    arrays = _arrays(weights)
    del arrays["lstm0.c0"]
    with pytest.raises(ShapeError, match="lstm0.c0"):
        load_bytes(_file(arrays, list(weights.vocabulary.tokens)))


def test_non_finite_weights_are_refused():
    weights = random_weights(hidden=4, layers=1)
    arrays = _arrays(weights)
    arrays["V"] = arrays["V"].copy()
    arrays["V"][3, 1] = np.nan
    with pytest.raises(NonFiniteWeightsError, match="V: holds NaN"):
        load_bytes(_file(arrays, list(weights.vocabulary.tokens)))


def test_other_safetensors_files_are_refused():
    data = dump_safetensors({"x": np.zeros(3, np.float32)})
    with pytest.raises(ModelFileError, match="no valid 'folkrnn' metadata"):
        load_bytes(data)


def test_size_limit_and_unreadable_paths(tmp_path):
    with pytest.raises(ModelFileError, match="limit"):
        load_bytes(b"x" * 100, max_bytes=10)
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(tmp_path / "missing.safetensors")
    (tmp_path / "empty.pkl").write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty"):
        load_model(tmp_path / "empty.pkl")
