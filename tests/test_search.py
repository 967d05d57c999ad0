"""Beam search against independent computations: greedy decoding from the network's own logits, and
brute-force enumeration of every two-token continuation on a small model."""

import json
import subprocess
import sys

import numpy as np
import pytest

from folkrnn import ModelWeights, load_model
from folkrnn.analysis.internals import internals
from folkrnn.analysis.perturbation import softmax
from folkrnn.analysis.search import beam_search
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=6, layers=2, seed=31, scale=0.8)
PREFIX = ["M:4/4", "K:Cmaj"]
_v = WEIGHTS.v.copy()
_v[WEIGHTS.vocabulary.index["</s>"]] = -30.0
NEVER_ENDS = ModelWeights.checked(WEIGHTS.vocabulary, WEIGHTS.layers, WEIGHTS.V, _v)  # </s> all but impossible


def next_distribution(tokens, weights=WEIGHTS):
    """p(next token | <s> + tokens), recomputed over the whole sequence."""
    return softmax(internals(weights, tokens).logits[-1])


def test_full_vocabulary_depth_one_is_greedy_decoding():
    tokens, expected_logp = list(PREFIX), 0.0
    for _ in range(12):
        p = next_distribution(tokens)
        best = WEIGHTS.vocabulary.tokens[int(np.argmax(p))]
        expected_logp += np.log(p.max())
        if best == "</s>":
            break
        tokens.append(best)
    result = beam_search(WEIGHTS, PREFIX, block=1, keep=1.0, floor=0.0, max_length=12)
    assert result.tokens == tokens[2:]
    assert result.log_probability == pytest.approx(expected_logp, rel=1e-9)
    np.testing.assert_allclose(result.missed_mass, 0.0, atol=1e-12)  # everything was explored


def brute_force_pairs(weights=WEIGHTS):
    """Joint probability of every two-token continuation of PREFIX: (137, 137)."""
    p1 = next_distribution(PREFIX, weights)
    p2 = np.stack([next_distribution([*PREFIX, t], weights) for t in weights.vocabulary.tokens])
    return p1, p2, p1[:, None] * p2


@pytest.mark.parametrize("weights", [WEIGHTS, NEVER_ENDS], ids=["ends", "never-ends"])
def test_exhaustive_block_finds_the_likeliest_continuation(weights):
    p1, p2, joint = brute_force_pairs(weights)
    joint[WEIGHTS.vocabulary.index["</s>"], :] = 0  # a tune that ends has no second token
    a, b = np.unravel_index(np.argmax(joint), joint.shape)
    end_first = p1[WEIGHTS.vocabulary.index["</s>"]]
    result = beam_search(weights, PREFIX, block=2, keep=1.0, floor=0.0, max_length=2)
    assert (end_first > joint.max()) == (weights is WEIGHTS)  # both branches below are taken
    if end_first > joint.max():  # ending at once beats every pair: the search ends
        assert result.ended and result.tokens == []
        assert result.log_probability == pytest.approx(np.log(end_first), rel=1e-9)
    else:
        assert result.tokens == [WEIGHTS.vocabulary.tokens[a], WEIGHTS.vocabulary.tokens[b]]
        assert result.log_probability == pytest.approx(np.log(joint.max()), rel=1e-9)


@pytest.mark.parametrize("keep, floor", [(0.05, 0.0), (0.1, 1e-5), (0.3, 1e-4)])
def test_missed_mass_against_brute_force(keep, floor):
    p1, p2, joint = brute_force_pairs()
    V = len(p1)
    k = int(np.ceil(keep * V))
    first = [j for j in np.argsort(-p1, kind="stable")[:k] if p1[j] >= floor]
    explored = {(a, b) for a in first if a != WEIGHTS.vocabulary.index["</s>"]
                for b in np.argsort(-p2[a], kind="stable")[:k] if joint[a, b] >= floor}
    assert len(explored) > 3  # the floor leaves something to search
    result = beam_search(WEIGHTS, PREFIX, block=2, keep=keep, floor=floor, max_length=2)
    a, b = WEIGHTS.vocabulary.encode(result.tokens)
    assert (a, b) in explored and joint[a, b] == pytest.approx(max(joint[x, y] for x, y in explored))
    assert result.missed_mass[0] == pytest.approx(1 - p1[first].sum())
    seconds = [y for x, y in explored if x == a]
    assert result.missed_mass[1] == pytest.approx(1 - p2[a, seconds].sum())


def test_a_floor_above_every_token_falls_back_to_the_likeliest():
    p1 = next_distribution(PREFIX)
    result = beam_search(WEIGHTS, PREFIX, block=2, keep=0.5, floor=0.9, max_length=1)
    assert result.tokens == [WEIGHTS.vocabulary.tokens[int(np.argmax(p1))]]
    assert result.missed_mass[0] == pytest.approx(1 - p1.max())


def test_bounds_progress_and_bad_settings():
    seen = []
    result = beam_search(WEIGHTS, PREFIX, block=3, keep=0.1, floor=1e-6, max_length=7, max_candidates=5,
                         progress=seen.append)
    assert len(result.tokens) <= 7 and len(result.missed_mass) == len(result.tokens) + result.ended
    assert seen == sorted(seen) and seen[-1] == len(result.tokens)
    with pytest.raises(ValueError, match="0 < keep <= 1"):
        beam_search(WEIGHTS, PREFIX, keep=0.0)


def test_cli_beam_json():
    result = subprocess.run([sys.executable, "-m", "folkrnn", "beam", "--prefix", "M:6/8 K:Cdor", "--max-length", "20",
                             "--json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["tokens"][:2] == ["M:6/8", "K:Cdor"] and len(payload["tokens"]) <= 22
    assert len(payload["missed_mass"]) == len(payload["tokens"]) - 2 + payload["ended"]
    from folkrnn.compose.provenance import SearchProvenance

    origin = SearchProvenance(**{**payload["provenance"], "opening": tuple(payload["provenance"]["opening"])})
    assert origin == SearchProvenance.of(load_model(), ["M:6/8", "K:Cdor"], 2, 0.1, 1e-4, 20, 4096)  # the defaults
    assert payload["abc"] == origin.abc(payload["tokens"]) and "N:opening M:6/8 K:Cdor, block 2 tokens" in payload["abc"]


def test_a_floor_that_ends_a_block_early_keeps_its_shorter_continuations():
    p1, _, joint = brute_force_pairs()
    first, second = np.argsort(-p1)[:2]
    floor = float(p1[second])  # two first tokens survive the floor ...
    assert joint.max() < floor  # ... and no pair does: the block ends after one token
    result = beam_search(WEIGHTS, PREFIX, block=2, keep=1.0, floor=floor, max_length=2)
    assert result.tokens[:1] == [WEIGHTS.vocabulary.tokens[first]]
    assert result.missed_mass[0] == pytest.approx(1 - p1[first] - p1[second])  # both were explored


def test_a_search_out_of_time_stops_after_its_block_with_what_it_found():
    whole = beam_search(NEVER_ENDS, PREFIX, block=2, keep=0.2, floor=0.0, max_length=40)
    stopped = beam_search(NEVER_ENDS, PREFIX, block=2, keep=0.2, floor=0.0, max_length=40, seconds=0.0)
    assert not whole.out_of_time and len(whole.tokens) == 40
    assert stopped.out_of_time and not stopped.ended
    assert stopped.tokens == whole.tokens[:2]  # one block, the same as the whole search's first
    assert len(stopped.missed_mass) == 2
