import json
from pathlib import Path

import pytest

from folkrnn.vocab import CATEGORIES, UnknownTokenError, folkrnn_v2_vocabulary, token_category


def test_v2_vocabulary_is_in_original_index_order():
    v = folkrnn_v2_vocabulary()
    assert len(v) == 137
    assert v.tokens[0] == "d'"
    assert v.index["<s>"] == 80 and v.index["</s>"] == 59
    assert v.tokens[39] == "|:" and v.tokens[43] == ":|"


def test_bundled_vocabulary_matches_shared_copy():
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "folkrnn_v2_vocab.json"
    if not shared.exists():
        pytest.skip("../shared is absent on this machine")
    assert list(folkrnn_v2_vocabulary().tokens) == json.loads(shared.read_text())


@pytest.mark.parametrize("token, category", [
    ("<s>", "transcription"), ("</s>", "transcription"), ("M:6/8", "meter"), ("K:Cdor", "mode"),
    ("|", "measure"), ("|:", "measure"), (":|", "measure"), ("|1", "measure"), ("|2", "measure"),
    ("(3", "grouping"), ("(9", "grouping"), ("2", "duration"), ("/2", "duration"), ("3/2", "duration"),
    (">", "duration"), ("<", "duration"), ("2>", "duration"), ("/2<", "duration"), ("16", "duration"),
    ("C", "pitch"), ("^F,", "pitch"), ("_e'", "pitch"), ("=B,", "pitch"), ("d'", "pitch"),
    ("z", "rest"), ("[", "chord"), ("]", "chord"), ("!trill!", "other"),
])
def test_token_category_from_text(token, category):
    assert token_category(token) == category


def test_every_v2_token_has_a_musical_category():
    v = folkrnn_v2_vocabulary()
    assert "other" not in v.categories
    assert set(v.categories) <= set(CATEGORIES)


def test_encode_lists_every_unknown_token():
    v = folkrnn_v2_vocabulary()
    with pytest.raises(UnknownTokenError) as err:
        v.encode(["M:4/4", "H", "c", "Q", "H"])
    assert err.value.unknown == ["H", "Q"]
    assert "'H'" in str(err.value) and "'Q'" in str(err.value)


def test_tokens_of_a_category_in_index_order():
    v = folkrnn_v2_vocabulary()
    meters = v.tokens_of("meter")
    assert meters == tuple(t for t in v.tokens if t.startswith("M:")) and len(meters) == 7
    assert [v.index[t] for t in meters] == sorted(v.index[t] for t in meters)
    assert sum(len(v.tokens_of(c)) for c in CATEGORIES) == len(v)
    assert v.tokens_of("other") == ()
