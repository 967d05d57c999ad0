import numpy as np
import pytest

from folkrnn.analysis.perturbation import (
    bias_distribution,
    entropy,
    logit_change_for_factor,
    perturbed_distribution,
    probability_factor,
    softmax,
)
from folkrnn.analysis.svd import softmax_svd
from tests.factories import random_weights


def direct_softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.fixture(scope="module")
def model():
    weights = random_weights(hidden=16, seed=5)
    return weights, softmax_svd(weights)


@pytest.mark.parametrize("i, a, T", [(1, 1.0, 1.0), (1, -1.0, 1.0), (3, 0.4, 0.7), (16, -2.5, 2.0)])
def test_perturbation_equals_direct_numpy(model, i, a, T):
    weights, svd = model
    # independent route: V w_i = s_i u_i, and w_i from numpy's own SVD of V
    _, _, Wt = np.linalg.svd(weights.V.astype(np.float64))
    w = Wt[i - 1] * np.sign(Wt[i - 1] @ svd.w(i))
    expected = direct_softmax((weights.v + a * (weights.V @ w)) / T)
    np.testing.assert_allclose(perturbed_distribution(svd, {i: a}, T), expected, atol=1e-6)


def test_two_directions_add(model):
    weights, svd = model
    z = weights.v + 0.5 * svd.s[0] * svd.u(1) - 1.5 * svd.s[1] * svd.u(2)
    np.testing.assert_allclose(perturbed_distribution(svd, {1: 0.5, 2: -1.5}), direct_softmax(z), atol=1e-9)


def test_bias_distribution_is_softmax_of_v(model):
    weights, svd = model
    np.testing.assert_allclose(bias_distribution(svd), direct_softmax(weights.v.astype(float)), atol=1e-9)


def test_perturbation_leaves_the_cached_svd_untouched(model):
    _, svd = model
    before = svd.v.copy()
    perturbed_distribution(svd, {1: 3.0})
    np.testing.assert_array_equal(svd.v, before)


def test_entropy_of_uniform_is_log_n():
    assert entropy(np.full(137, 1 / 137)) == pytest.approx(np.log(137))
    assert entropy(np.eye(5)[2]) == 0.0


def test_temperature_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        softmax(np.zeros(3), 0)


def test_probability_factor_matches_recomputed_softmax():
    z = np.array([1.0, 0.2, -0.5, 2.0])
    p = direct_softmax(z)
    for delta in (-2.0, 0.3, 4.0):
        z2 = z.copy()
        z2[2] += delta
        assert direct_softmax(z2)[2] / p[2] == pytest.approx(probability_factor(p[2], delta))
        assert logit_change_for_factor(p[2], probability_factor(p[2], delta)) == pytest.approx(delta)
    with pytest.raises(ValueError):
        logit_change_for_factor(0.5, 2.0)
