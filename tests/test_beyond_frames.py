"""The builders behind the Fewer directions and Directions in use pages (explorer.compute, explorer.frames),
and SamplingSettings as the key of the cached composing helpers, against direct computation."""

import numpy as np
import pandas as pd
import pytest
import streamlit as st

from explorer import frames
from explorer.compute import composed_sweep
from folkrnn.analysis.directions import logit_decomposition
from folkrnn.analysis.svd import softmax_svd
from folkrnn.analysis.truncation import Truncation
from folkrnn.compose.interventions import compose_truncated
from folkrnn.compose.sampling import SamplingSettings, Tune
from folkrnn.examples import PART5_TUNE
from folkrnn.music.wellformed import check_tune
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=21)


def test_equal_settings_are_one_cache_entry():
    calls = []

    @st.cache_data(show_spinner=False)
    def drawn(settings: SamplingSettings) -> int:
        calls.append(settings)
        return len(calls)

    try:
        assert drawn(SamplingSettings(3, ["M:6/8"], 1, np.int64(0), 40)) == 1
        assert drawn(SamplingSettings(3, ("M:6/8",), 1.0, 0, 40)) == 1  # the same settings: from the cache
        assert drawn(SamplingSettings(3, ("M:6/8",), 1.0, 1, 40)) == 2
    finally:
        drawn.clear()


def test_the_sweep_composes_each_layer_as_the_package_does():
    settings = SamplingSettings(2, ["M:4/4"], 1.0, 3, 20)
    layers = [Truncation(2), Truncation(16), Truncation(remove=[1])]
    tunes = composed_sweep(WEIGHTS, layers, settings)
    assert list(tunes) == layers
    for layer in layers:
        assert [t.tokens for t in tunes[layer]] == [t.tokens for t in compose_truncated(WEIGHTS, layer, settings)]


def test_wellformed_frame_counts_each_layer_and_keeps_the_sweep_along_k():
    whole, cut, unended = Tune(list(PART5_TUNE), True), Tune(list(PART5_TUNE[:9]), True), Tune(list(PART5_TUNE), False)
    results = {Truncation(2): [whole, cut], Truncation(16): [whole], Truncation(remove=[3, 1]): [cut, unended, whole]}
    ok = {layer: sum(check_tune(t.tokens, t.ended).ok for t in tunes) for layer, tunes in results.items()}
    expected = pd.DataFrame({
        "k": [2, 16, 16],
        "softmax": ["top 2 of 16 directions", "all 16 directions", "all 16 directions without 1, 3"],
        "tunes": [2, 1, 3], "ended": [2, 1, 2], "well_formed": list(ok.values()),
        "well_formed_share": [ok[layer] / len(tunes) for layer, tunes in results.items()],
    })
    assert check_tune(whole.tokens, True).ok and not check_tune(unended.tokens, False).ok
    pd.testing.assert_frame_equal(frames.wellformed_frame(results, 16), expected)
    pd.testing.assert_frame_equal(frames.wellformed_frame(results, 16, along_k=True), expected.iloc[:2])


def test_decomposition_table_shows_each_term_and_the_running_sum():
    svd = softmax_svd(WEIGHTS)
    h = np.random.default_rng(0).uniform(-1, 1, WEIGHTS.hidden_size)
    token = WEIGHTS.vocabulary.index["G"]
    d = logit_decomposition(h, svd, token)
    table = frames.decomposition_table(frames.decomposition_frame(d, svd, 3))
    assert list(table.columns) == ["term", "contribution", "w_i·h_t", "s_i", "u_i[token]", "running sum"]
    logit = float((svd.U[token] * svd.s) @ (svd.W.T @ h) + svd.v[token])  # V h + v, row `token`
    terms = table.iloc[:-1]
    assert list(terms["term"])[-2:] == ["other 13 directions", "bias v"]
    np.testing.assert_allclose(terms["running sum"], terms["contribution"].cumsum())
    assert table["contribution"].iloc[-1] == pytest.approx(logit) == terms["running sum"].iloc[-1]
    for row in terms.iloc[:3].itertuples():
        i = int(row.term.split()[-1])
        assert row.contribution == pytest.approx(svd.s[i - 1] * (svd.w(i) @ h) * svd.u(i)[token])
