import numpy as np
import pytest

from folkrnn.analysis.svd import compute_svd, orient, softmax_svd
from tests.factories import random_weights

PLANTED = np.linspace(40.0, 0.5, 16)


@pytest.fixture(scope="module")
def weights():
    return random_weights(hidden=16, singular_values=PLANTED, seed=3)


def test_singular_values_equal_the_planted_ones(weights):
    np.testing.assert_allclose(softmax_svd(weights).s, PLANTED, rtol=1e-5)


def test_V_w_i_equals_s_i_u_i(weights):
    svd = compute_svd(weights)
    for i in range(1, svd.rank + 1):
        np.testing.assert_allclose(weights.V @ svd.w(i), svd.s[i - 1] * svd.u(i), atol=1e-4)


def test_sign_convention_largest_entry_of_u_i_is_positive(weights):
    svd = compute_svd(weights)
    for i in range(1, svd.rank + 1):
        u = svd.u(i)
        assert u[np.argmax(np.abs(u))] > 0


def test_orient_takes_first_entry_on_ties():
    U = np.array([[-0.5, 0.5], [0.5, -0.5]])
    W = np.array([[1.0, 2.0]])
    U2, W2 = orient(U, W)
    np.testing.assert_array_equal(U2, [[0.5, 0.5], [-0.5, -0.5]])
    np.testing.assert_array_equal(W2, [[-1.0, 2.0]])


def test_direction_flip_negates_both_vectors(weights):
    svd = softmax_svd(weights)
    u, w = svd.direction(2, flip=True)
    np.testing.assert_array_equal(u, -svd.u(2))
    np.testing.assert_array_equal(w, -svd.w(2))
    with pytest.raises(IndexError, match="1..16"):
        svd.u(17)


def test_second_call_is_served_from_cache_and_arrays_are_read_only():
    softmax_svd.clear()
    weights = random_weights(hidden=8, seed=11)
    first = softmax_svd(weights)
    assert (softmax_svd.hits, softmax_svd.misses) == (0, 1)
    same_content = random_weights(hidden=8, seed=11)  # another object, same V and v
    assert softmax_svd(same_content) is first
    assert (softmax_svd.hits, softmax_svd.misses) == (1, 1)
    for array in (first.U, first.s, first.W, first.v, first.energy):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


def test_energy_is_cumulative_share_of_squared_singular_values(weights):
    svd = softmax_svd(weights)
    np.testing.assert_allclose(svd.energy, np.cumsum(PLANTED**2) / np.sum(PLANTED**2), rtol=1e-5)
