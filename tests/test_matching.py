"""Select and match (LSTMVis): units selected over a span, the spans where they are on, against a planted
corpus, a brute-force search, the bounds, and the bar lines of the part-5 tune."""

import itertools
import time

import numpy as np
import pytest

from folkrnn import load_model
from folkrnn.analysis.experiments import read_tunes
from folkrnn.analysis.matching import (
    Match,
    _batches,
    corpus_states,
    match_spans,
    search_corpus,
    select,
    select_units,
)
from folkrnn.analysis.periodic import bar_period, periodic_units
from folkrnn.compose.onnx_step import step_session
from folkrnn.examples import PART5_TUNE
from folkrnn.vocab import token_category

PATTERN = [3, 7, 19]
ON, H = 0.8, 24


def planted_corpus(seed=0):
    """Tunes of states under 0.3 but for single-step blips of other units; the PATTERN units on for 3
    steps at the planted spans, and two of them only at decoy spans."""
    rng = np.random.default_rng(seed)
    tunes, planted, decoys = [], [], []
    for tune in range(12):
        states = rng.uniform(-1, 0.29, size=(int(rng.integers(40, 70)), H))
        blips = rng.random(states.shape) < 0.05
        blips[:, PATTERN] = False
        states[blips] = ON
        for start, units, where in ((5 + tune, PATTERN, planted), (25 + tune % 3, PATTERN[:2], decoys)):
            if tune % 4 != 3:  # some tunes hold neither
                states[start : start + 3, units] = ON
                states[start : start + 3, [u for u in range(H) if u not in PATTERN]] = 0.0
                where.append((tune, start, start + 3))
        tunes.append(states)
    return tunes, planted, decoys


def test_the_planted_spans_are_the_matches_and_rank_before_the_decoys():
    tunes, planted, decoys = planted_corpus()
    tune, a, b = planted[0]
    units = select_units(tunes[tune], (a, b), 0.3)
    assert units.tolist() == PATTERN
    found = match_spans(tunes, units, 0.3, max_matches=100)
    assert [(m.tune, m.start, m.end) for m in found.matches] == planted  # ties: corpus order
    assert all(m.shared == 3 and m.extra == 0 and m.score == 3 for m in found.matches)
    assert (found.tunes_searched, found.out_of_time) == (len(tunes), False)
    fuzzy = match_spans(tunes, units, 0.3, min_on=2, max_matches=100).matches
    assert [(m.tune, m.start, m.end) for m in fuzzy[: len(planted)]] == planted
    assert sorted((m.tune, m.start, m.end) for m in fuzzy[len(planted) :]) == decoys
    assert all(m.shared == 2 for m in fuzzy[len(planted) :])


def brute_on(states, a, b, threshold, off_around):
    """Units on over [a, b) and off over off_around steps either side, unit by unit and step by step."""
    return {u for u in range(states.shape[1])
            if all(states[t, u] >= threshold for t in range(a, b))
            and all(states[t, u] < threshold for t in range(max(0, a - off_around), min(len(states), b + off_around))
                    if not a <= t < b)}


def brute_matches(tunes, units, threshold, lengths, off_around, min_on):
    """Every [s, e) of every tune: kept when at least min_on units are on at each step and neither
    neighbour could extend it; ranked by score, length, position."""
    found = []
    for tune, states in enumerate(tunes):
        on_enough = [sum(states[t, u] >= threshold for u in units) >= min_on for t in range(len(states))]
        for s, e in itertools.combinations(range(len(states) + 1), 2):
            maximal = (s == 0 or not on_enough[s - 1]) and (e == len(states) or not on_enough[e])
            if all(on_enough[s:e]) and maximal and lengths[0] <= e - s <= lengths[1]:
                on = brute_on(states, s, e, threshold, off_around)
                found.append(Match(tune, s, e, len(on & set(units)), len(on - set(units))))
    return sorted(found, key=lambda m: (-m.score, -m.length, m.tune, m.start))


@pytest.mark.parametrize("off_around, min_on, lengths", [(0, 3, (1, 99)), (1, 2, (1, 99)), (2, 2, (2, 6)), (0, 1, (1, 1))])
def test_matches_agree_with_a_brute_force_search(off_around, min_on, lengths):
    rng = np.random.default_rng(off_around * 10 + min_on)
    tunes = [np.cumsum(rng.normal(0, 0.3, size=(n, 8)), axis=0) + rng.normal(0, 0.5, size=(n, 8))
             for n in rng.integers(5, 40, size=8)]
    units = [0, 2, 5]
    found = match_spans(tunes, units, 0.0, lengths, off_around, min_on, max_matches=10_000).matches
    expected = brute_matches(tunes, units, 0.0, lengths, off_around, min_on)
    assert len(expected) >= 5 and found == expected
    assert match_spans(tunes, units, 0.0, lengths, off_around, min_on, max_matches=4).matches == expected[:4]
    for states in tunes[:3]:
        for a, b in [(0, 1), (2, 5), (len(states) - 2, len(states))]:
            assert set(select_units(states, (a, b), 0.0, off_around).tolist()) == brute_on(states, a, b, 0.0, off_around)


def test_off_around_keeps_units_off_on_either_side_where_the_tune_has_steps():
    states = np.zeros((10, 5))
    states[4:6] = 1.0  # every unit on over the span 4:6
    states[3, 1] = states[6, 2] = 1.0  # unit 1 on just before, unit 2 just after
    states[2, 3] = 1.0  # unit 3 on two steps before
    assert select_units(states, (4, 6), 0.5).tolist() == [0, 1, 2, 3, 4]
    assert select_units(states, (4, 6), 0.5, off_around=1).tolist() == [0, 3, 4]
    assert select_units(states, (4, 6), 0.5, off_around=2).tolist() == [0, 4]
    edge = np.zeros((10, 2))
    edge[0:2] = 1.0
    edge[4, 1] = 1.0
    assert select_units(edge, (0, 2), 0.5, off_around=2).tolist() == [0, 1]  # nothing before step 0 to be off
    assert select_units(edge, (0, 2), 0.5, off_around=3).tolist() == [0]


def test_the_search_is_bounded_in_time_and_matches_and_reads_tune_by_tune():
    tunes, planted, _ = planted_corpus()
    pulled, told = [], []

    def slow():
        for n, states in enumerate(tunes):
            pulled.append(n)
            time.sleep(0.02)
            yield states

    found = match_spans(slow(), PATTERN, 0.3, seconds=0.05, progress=told.append)
    assert found.out_of_time and 1 <= found.tunes_searched < len(tunes)
    assert len(pulled) == found.tunes_searched + 1 and told == list(range(1, found.tunes_searched + 1))
    assert match_spans(tunes, PATTERN, 0.3, seconds=0).tunes_searched == 0
    top = match_spans(tunes, PATTERN, 0.3, max_matches=2).matches
    assert [(m.tune, m.start, m.end) for m in top] == planted[:2]


@pytest.mark.parametrize("span, message", [((5, 5), "holds no tokens"), ((6, 2), "a < b"),
                                           ((-1, 2), "runs outside the tune's 10 tokens"), ((8, 11), "(0:10)")])
def test_a_bad_span_is_refused_by_name(span, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        select_units(np.zeros((10, 4)), span, 0.3)


def test_bad_settings_are_refused():
    states = [np.zeros((10, 4))]
    with pytest.raises(ValueError, match="no units selected"):
        match_spans(states, [], 0.3)
    for settings in [dict(min_on=3), dict(lengths=(0, None)), dict(lengths=(4, 2)), dict(max_matches=0)]:
        with pytest.raises(ValueError, match="need 1 <= min_on"):
            match_spans(states, [0, 1], 0.3, **settings)


def test_batches_keep_corpus_order_within_the_padded_steps():
    tunes = [["a"] * n for n in (3, 9, 1, 30, 2, 2, 7)]
    batches = list(_batches(tunes, 20))
    assert [t for batch in batches for t in batch] == tunes
    assert all(len(b) == 1 or len(b) * (max(map(len, b)) + 1) <= 20 for b in batches)


@pytest.fixture(scope="module")
def replica():
    weights = load_model()
    return weights, step_session(weights)


def test_corpus_states_read_in_batches_are_each_tune_read_alone(replica):
    weights, step = replica
    tunes = [list(PART5_TUNE[:n]) for n in (20, 60, 146, 35)]
    states = list(corpus_states(step, weights, tunes, 2, batch_steps=150))
    for tune, got in zip(tunes, states):
        alone = read_tunes(step, weights, [tune])[0].hidden[1][1:]
        assert got.shape == (len(tune), weights.hidden_size)
        np.testing.assert_allclose(got, alone, atol=1e-5)
    with pytest.raises(ValueError, match=r"layer must be in 1\.\.3"):
        next(corpus_states(step, weights, tunes, 0))


def test_a_periodic_unit_over_a_bar_line_of_the_part5_tune_finds_other_bar_lines(replica):
    weights, step = replica
    tokens = list(PART5_TUNE)
    bar = 12
    assert tokens[bar] == "|"
    selection = select(step, weights, tokens, 2, (bar, bar + 1), threshold=0.3)
    hidden = read_tunes(step, weights, [tokens])[0].hidden[1]
    periodic = periodic_units(hidden, bar_period(tokens), 10)
    narrowed = selection.keeping(periodic.tolist())
    assert narrowed.units and set(narrowed.units) <= set(selection.units) & set(periodic.tolist())
    found = search_corpus(step, weights, [tokens, tokens[:60]], narrowed, max_matches=10)
    starts = [token_category(tokens[m.start]) for m in found.matches]
    assert len(starts) == 10 and starts.count("measure") >= 8
    assert found.tunes_searched == 2 and {m.tune for m in found.matches} == {0, 1}
