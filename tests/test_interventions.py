"""Interventions while composing, each against an independent computation: nothing changed gives the
network's own tunes; all directions removed leave softmax(v); zeroed units equal a model without
them; an added direction shifts the first logits by alpha s_i u_i; a fully forced input is that token."""

import json
import subprocess
import sys

import numpy as np
import pytest

from folkrnn import ModelWeights
from folkrnn.analysis.internals import internals
from folkrnn.analysis.periodic import bar_period, periodic_units, periodogram, power_at_period
from folkrnn.analysis.svd import softmax_svd
from folkrnn.compose.interventions import Intervention, InterventionStep, compose_under
from folkrnn.compose.sampling import SamplingSettings, sample_tunes
from folkrnn.music.wellformed import bar_errors
from folkrnn.weights import LSTMLayerWeights
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=8, layers=3, seed=41, scale=0.6)
TOKENS = "M:4/4 K:Cmaj |: c 2 G E C D E F | G A B c d 2 c 2 :|".split()


def engine_logits(intervention: Intervention, tokens=TOKENS, weights=WEIGHTS) -> np.ndarray:
    """The engine's logits reading <s> + tokens, one sequence."""
    step = InterventionStep(weights, intervention)
    state, out = step.start(1), []
    for index in weights.vocabulary.encode(["<s>", *tokens]):
        logits, state = step(np.array([index]), state)
        out.append(logits[0])
    return np.array(out)


def test_nothing_changed_composes_the_networks_own_tunes():
    settings = SamplingSettings(6, ["M:6/8"], seed=3, max_length=40)
    plain = sample_tunes(WEIGHTS, settings)
    same = compose_under(WEIGHTS, Intervention(zero_units={2: ()}, add={1: 0.0}), settings)
    assert [t.tokens for t in same] == [t.tokens for t in plain] and Intervention(zero_units={2: ()}).empty
    np.testing.assert_allclose(engine_logits(Intervention()), internals(WEIGHTS, TOKENS).logits, atol=1e-4)


def test_the_intervened_graph_with_nothing_changed_is_the_plain_graph_bit_for_bit():
    from folkrnn.compose.onnx_step import StepSession

    plain, intervened = StepSession(WEIGHTS), InterventionStep(WEIGHTS, Intervention())
    a, b = plain.start(4), intervened.start(4)
    for tokens in ([80, 1, 2, 3], [5, 6, 7, 8], [9, 9, 9, 9]):
        (la, a), (lb, b) = plain(np.array(tokens), a), intervened(np.array(tokens), b)
        np.testing.assert_array_equal(la, lb)
        for (ha, ca), (hb, cb) in zip(a, b):
            np.testing.assert_array_equal(ha, hb)
            np.testing.assert_array_equal(ca, cb)


def test_removing_every_direction_leaves_the_bias():
    every = tuple(range(1, softmax_svd(WEIGHTS).rank + 1))
    logits = engine_logits(Intervention(remove=every))
    np.testing.assert_allclose(logits, np.tile(WEIGHTS.v, (len(logits), 1)), atol=1e-5)


def test_zeroed_units_equal_a_model_without_them():
    units = {1: (0, 5), 3: (2,)}
    H = WEIGHTS.hidden_size
    layers = []
    for n, layer in enumerate(WEIGHTS.layers, start=1):
        W_ih, W_hh = layer.W_ih.copy(), layer.W_hh.copy()
        W_hh[:, list(units.get(n, ()))] = 0  # the unit's output feeds nothing back
        if n - 1 in units:
            W_ih[:, list(units[n - 1])] = 0  # nor the next layer
        h0 = layer.h0.copy()
        h0[list(units.get(n, ()))] = 0
        layers.append(LSTMLayerWeights.checked(f"lstm{n - 1}", W_ih.shape[1], H, W_ih=W_ih, W_hh=W_hh, b=layer.b,
                                               h0=h0, c0=layer.c0))
    V = WEIGHTS.V.copy()
    V[:, list(units[3])] = 0  # nor the softmax layer
    without = ModelWeights.checked(WEIGHTS.vocabulary, layers, V, WEIGHTS.v)
    got = engine_logits(Intervention(zero_units=units))
    np.testing.assert_allclose(got, internals(without, TOKENS).logits, atol=1e-4)


def test_an_added_direction_shifts_the_first_logits():
    svd = softmax_svd(WEIGHTS)
    shifted = engine_logits(Intervention(add={2: 1.5}))[0]
    removed = engine_logits(Intervention(remove=(1,)))[0]
    h = internals(WEIGHTS, TOKENS).layers[-1].h[0]
    plain = internals(WEIGHTS, TOKENS).logits[0]
    np.testing.assert_allclose(shifted, plain + 1.5 * svd.s[1] * svd.u(2), atol=1e-4)
    np.testing.assert_allclose(removed, plain - (svd.w(1) @ h) * svd.s[0] * svd.u(1), atol=1e-4)


def test_a_fully_forced_input_is_the_forced_token():
    forced = engine_logits(Intervention(force=1.0, force_tokens=("G",), force_after=3))
    expected = internals(WEIGHTS, [*TOKENS[:2], *["G"] * (len(TOKENS) - 2)]).logits
    np.testing.assert_allclose(forced, expected, atol=1e-4)
    half = engine_logits(Intervention(force=0.0, force_tokens=("G",)))
    np.testing.assert_allclose(half, internals(WEIGHTS, TOKENS).logits, atol=1e-4)


def test_bad_interventions_are_refused():
    for bad, message in [(Intervention(zero_units={4: (0,)}), "out of range"), (Intervention(remove=(99,)), "out of range"),
                         (Intervention(force=0.5), "tokens to draw"), (Intervention(force=1.5, force_tokens=("G",)), "force")]:
        with pytest.raises(ValueError, match=message):
            InterventionStep(WEIGHTS, bad)


def test_periodic_units_of_a_planted_signal():
    t = np.arange(120)
    signal = np.random.default_rng(0).normal(0, 0.1, (120, 6))
    signal[:, 4] += np.sin(2 * np.pi * t / 8)
    signal[:, 1] += np.sin(2 * np.pi * t / 5)
    assert periodic_units(signal, 8.0, 1)[0] == 4
    assert periodic_units(signal, 5.0, 1)[0] == 1
    freqs, power = periodogram(signal)
    assert freqs[np.argmax(power[:, 4])] == pytest.approx(1 / 8)
    assert power_at_period(signal, 8.0)[4] == pytest.approx(power[15, 4], rel=1e-6)  # bin 120/8 = 15
    assert bar_period(TOKENS) == 9.0  # |: at 2, | at 11, :| at 20
    with pytest.raises(ValueError, match="two bar lines"):
        bar_period(["M:4/4", "K:Cmaj", "c"])


def test_bar_errors_count_the_bars_that_do_not_fit():
    assert bar_errors(TOKENS) == 0
    assert bar_errors("M:4/4 K:Cmaj | c 2 G E C D E F | G A B | c d 2 c 2 e d e | c 8 |".split()) == 1  # G A B


def test_cli_ablate():
    run = lambda *a: subprocess.run([sys.executable, "-m", "folkrnn", "ablate", "--n", "3", "--seed", "2",  # noqa: E731
                                     "--max-length", "30", "--json", *a], capture_output=True, text=True, timeout=180)
    result = run()
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [t["tokens"] for t in payload["with"]["tunes"]] == [t["tokens"] for t in payload["without"]["tunes"]]
    result = run("--remove", "1,2", "--zero", "3:0,1-2", "--add", "3=2.5")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["intervention"] == {"zero_units": {"3": [0, 1, 2]}, "remove": [1, 2], "add": {"3": 2.5},
                                       "force": 0.0}
    assert set(payload["with"]) >= {"tunes", "well_formed_share", "mean_bar_errors", "mean_length", "meters"}
    change = "units 0-2 of layer 3 zeroed; w_1, w_2 removed from h_t; 2.5 w_3 added to h_t"
    assert [t["provenance"]["change"] for t in payload["with"]["tunes"]] == [change] * 3
    assert all(f"N:changed while composing: {change}" in t["abc"] for t in payload["with"]["tunes"])
    assert [t["provenance"]["change"] for t in payload["without"]["tunes"]] == [""] * 3
    bad = run("--zero", "9:1")
    assert bad.returncode == 2 and "out of range" in bad.stderr and "Traceback" not in bad.stderr
    backwards = run("--zero", "3:20-10")
    assert backwards.returncode == 2 and "the range '20-10' runs backwards" in backwards.stderr
