"""Tests for folkrnn.vocab.parse_opening: the opening a tune is composed from, as the user types it."""

import pytest

from folkrnn.vocab import UnknownTokenError, folkrnn_v2_vocabulary, parse_opening

VOCABULARY = folkrnn_v2_vocabulary()


@pytest.mark.parametrize("text, tokens", [
    ("M:6/8 K:Cmaj", ("M:6/8", "K:Cmaj")),
    ("  M:4/4\n K:Cdor |: G ", ("M:4/4", "K:Cdor", "|:", "G")),
    ("<s> M:6/8", ("M:6/8",)),  # the network reads <s> first anyway
    ("", ()),
    (None, ()),
])
def test_tokens_of_an_opening(text, tokens):
    assert parse_opening(text, VOCABULARY) == tokens


def test_every_unknown_token_is_named():
    with pytest.raises(UnknownTokenError, match=r"2 unknown token\(s\): 'H' 'K:Gmaj'") as caught:
        parse_opening("M:4/4 H K:Gmaj c H", VOCABULARY)
    assert caught.value.unknown == ["H", "K:Gmaj"]


@pytest.mark.parametrize("text, marker", [("M:4/4 c </s>", "</s>"), ("M:4/4 <s> c", "<s>")])
def test_start_or_end_inside_an_opening_is_refused(text, marker):
    with pytest.raises(ValueError, match=f"an opening cannot hold {marker}"):
        parse_opening(text, VOCABULARY)
