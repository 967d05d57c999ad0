"""folkrnn.analysis.usage and folkrnn.network.usage: logit decomposition, projections and direction usage
against direct computation."""

import math

import numpy as np
import pytest

from folkrnn.analysis.directions import logit_decomposition
from folkrnn.analysis.svd import softmax_svd
from folkrnn.analysis.usage import UsageSums, random_direction_mean_abs
from folkrnn.compose.sampling import SamplingSettings, Tune, chunk_seed, sample_in_chunks, sample_tunes
from folkrnn.examples import PART5_TUNE
from folkrnn.network.activations import run
from folkrnn.network.model import FolkRNN
from folkrnn.network.usage import hidden_states, usage_sums
from folkrnn.vocab import CATEGORIES, END, token_category
from tests.factories import random_weights

H = 16


@pytest.fixture(scope="module")
def model():
    weights = random_weights(hidden=H, seed=11)
    return weights, softmax_svd(weights), FolkRNN.from_weights(weights)


def test_random_direction_baseline_matches_closed_forms_and_monte_carlo():
    assert random_direction_mean_abs(1) == pytest.approx(1.0)
    assert random_direction_mean_abs(2) == pytest.approx(2 / math.pi)  # E|cos| of a uniform angle
    assert random_direction_mean_abs(3) == pytest.approx(0.5)  # E|z| on the 2-sphere
    assert random_direction_mean_abs(512) == pytest.approx(math.sqrt(2 / (math.pi * 512)), rel=2e-3)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((200_000, 20))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    assert np.abs(w[:, 0]).mean() == pytest.approx(random_direction_mean_abs(20), rel=1e-2)


def test_logit_decomposition_sums_to_the_network_logit_at_every_step(model):
    weights, svd, net = model
    acts = run(net, weights.vocabulary, list(PART5_TUNE))
    targets = weights.vocabulary.encode([*PART5_TUNE, END])
    for t in (0, 1, 40, len(PART5_TUNE)):
        token = targets[t]
        d = logit_decomposition(acts.hidden[t], svd, token)
        assert d.logit == pytest.approx(float(acts.logits[t, token]), abs=1e-4)
        assert d.contributions.sum() + d.bias == pytest.approx(acts.logits[t, token], abs=1e-4)
        assert d.probability == pytest.approx(acts.probabilities[t, token], abs=1e-6)
        assert d.rank_of_token == 1 + int((acts.logits[t] > acts.logits[t, token] + 1e-9).sum())
        # each term is s_i (w_i . h_t) u_i[token], computed directly
        for i in (1, 2, H):
            direct = svd.s[i - 1] * float(acts.hidden[t] @ svd.w(i)) * svd.u(i)[token]
            assert d.contributions[i - 1] == pytest.approx(direct, abs=1e-12)
            assert d.projections[i - 1] == pytest.approx(float(acts.hidden[t] @ svd.w(i)), abs=1e-12)
        top = d.top(3)
        assert list(top) == sorted(range(1, H + 1), key=lambda i: -abs(d.contributions[i - 1]))[:3]


def test_batched_hidden_states_equal_one_tune_at_a_time(model):
    weights, _, net = model
    tunes = [list(PART5_TUNE[:30]), list(PART5_TUNE), ["M:6/8", "K:Cmaj"]]
    batched = hidden_states(net, weights.vocabulary, tunes, batch_size=8)
    for tokens, h in zip(tunes, batched):
        np.testing.assert_allclose(h, run(net, weights.vocabulary, tokens).hidden, atol=1e-6)


def test_usage_summary_equals_direct_averages(model):
    weights, svd, net = model
    tunes = [Tune(list(PART5_TUNE[:25]), False), Tune(list(PART5_TUNE[:12]), True), list(PART5_TUNE[:7])]
    usage = usage_sums(net, weights.vocabulary, svd, tunes, batch_size=2).summary(svd)
    # independent: run each tune alone, list (h_t, predicted token) pairs, average by hand
    rows, cats = [], []
    for tokens, ended in ((PART5_TUNE[:25], False), (PART5_TUNE[:12], True), (PART5_TUNE[:7], True)):
        h = run(net, weights.vocabulary, list(tokens)).hidden
        targets = [*tokens, END] if ended else list(tokens)
        rows += [h[t] for t in range(len(targets))]
        cats += [token_category(x) for x in targets]
    h = np.array(rows)
    proj = np.array([[hh @ svd.w(i) for i in range(1, svd.rank + 1)] for hh in h])
    assert usage.tunes == 3 and usage.steps == len(rows) == 25 + 13 + 8
    np.testing.assert_allclose(usage.mean_abs, np.abs(proj).mean(axis=0), atol=1e-6)
    norms = np.linalg.norm(h, axis=1)
    np.testing.assert_allclose(usage.mean_share, (proj**2 / norms[:, None] ** 2).mean(axis=0), atol=1e-6)
    assert usage.mean_norm == pytest.approx(norms.mean(), abs=1e-6)
    assert usage.baseline_mean_abs == pytest.approx(norms.mean() * random_direction_mean_abs(H), abs=1e-6)
    # with rank = H the w_i span the whole space: the shares add up to 1
    assert svd.rank == H and usage.row_space_share == pytest.approx(1.0, abs=1e-6)
    for c, name in enumerate(CATEGORIES):
        mask = np.array([x == name for x in cats])
        assert usage.steps_by_category[c] == mask.sum()
        if mask.any():
            np.testing.assert_allclose(usage.mean_abs_by_category[c], np.abs(proj[mask]).mean(axis=0), atol=1e-6)
        else:
            assert np.isnan(usage.mean_abs_by_category[c]).all()
    np.testing.assert_allclose(usage.ratio, usage.mean_abs / usage.baseline_mean_abs)
    np.testing.assert_allclose(usage.mean, proj.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(usage.std, proj.std(axis=0), atol=1e-6)
    # random-direction spread: E_w var_t(w . h_t) = trace(Cov h) / H, with Cov the population covariance
    assert usage.baseline_std == pytest.approx(np.sqrt(np.trace(np.cov(h.T, bias=True)) / H), rel=1e-6)
    np.testing.assert_allclose(usage.mean_logit_effect, svd.s * usage.mean_abs)
    # the page's figures: shares of the top k, directions beating a random one, steps per category
    for k in (1, 3, H):
        assert usage.top_share(k) == pytest.approx(((proj[:, :k] ** 2).sum(axis=1) / norms**2).mean(), abs=1e-6)
    random_abs = norms.mean() * random_direction_mean_abs(H)
    assert usage.larger_than_random == int((np.abs(proj).mean(axis=0) > random_abs).sum())
    random_std = np.sqrt(np.trace(np.cov(h.T, bias=True)) / H)
    assert usage.varying_more_than_random == int((proj.std(axis=0) > random_std).sum())
    assert usage.category_steps == {name: cats.count(name) for name in CATEGORIES if name in cats}


def test_row_space_share_is_r_over_h_for_random_states():
    weights = random_weights(hidden=40, seed=3, vocabulary=None)
    svd = softmax_svd(weights)
    assert svd.rank == 40  # 137 tokens x 40 units
    rng = np.random.default_rng(1)
    usage = UsageSums.of_tune(rng.standard_normal((5000, 40)), ["C"] * 5000, svd).summary(svd)
    assert usage.mean_share == pytest.approx(np.full(40, 1 / 40), abs=5e-3)
    assert usage.ratio == pytest.approx(np.ones(40), abs=0.05)
    assert usage.std_ratio == pytest.approx(np.ones(40), abs=0.05)


def test_sampling_in_chunks_is_reproducible_and_reports_progress(model):
    weights = model[0]
    seen = []
    settings = SamplingSettings(5, ["M:6/8"], 1.0, seed=4, max_length=12)
    a = sample_in_chunks(weights, settings, chunk=2, progress=lambda done, total: seen.append((done, total)))
    b = sample_in_chunks(weights, settings, chunk=2)
    assert [t.tokens for t in a] == [t.tokens for t in b]
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert all(t.tokens[0] == "M:6/8" and len(t.tokens) <= 12 for t in a)
    first = sample_tunes(weights, SamplingSettings(2, ["M:6/8"], 1.0, chunk_seed(4, 0), 12))
    assert [t.tokens for t in first] == [t.tokens for t in a[:2]]
    assert chunk_seed(4, 1) != chunk_seed(5, 0)


def test_sums_of_parts_add_up_to_the_whole(model):
    weights, svd, net = model
    tunes = [list(PART5_TUNE[:20]), list(PART5_TUNE[:9]), list(PART5_TUNE[:33])]
    whole = usage_sums(net, weights.vocabulary, svd, tunes)
    parts = usage_sums(net, weights.vocabulary, svd, tunes[:1]) + usage_sums(net, weights.vocabulary, svd, tunes[1:])
    assert parts.tunes == whole.tunes == 3
    np.testing.assert_allclose(parts.abs_by_category, whole.abs_by_category, atol=1e-5)  # float32 batches
    np.testing.assert_array_equal(parts.steps_by_category, whole.steps_by_category)
    a, b = parts.summary(svd), whole.summary(svd)
    np.testing.assert_allclose(a.mean_abs, b.mean_abs, atol=1e-6)
    assert a.steps == b.steps == 20 + 9 + 33 + 3


def test_a_constant_offset_is_large_but_does_not_vary():
    """h_t = c w_1 + noise: |w_1 . h_t| is far above random, but its spread is that of noise."""
    weights = random_weights(hidden=30, seed=4)
    svd = softmax_svd(weights)
    rng = np.random.default_rng(5)
    h = 3.0 * svd.w(1) + 0.1 * rng.standard_normal((4000, 30))
    usage = UsageSums.of_tune(h, ["C"] * 4000, svd).summary(svd)
    assert usage.ratio[0] > 5 and usage.mean[0] == pytest.approx(3.0, abs=0.01)
    assert usage.std_ratio[0] == pytest.approx(1.0, abs=0.1)
    # Monte Carlo check of the spread baseline: random unit directions
    w = rng.standard_normal((3000, 30))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    assert np.mean((h @ w.T).std(axis=0)) == pytest.approx(usage.baseline_std, rel=0.05)
