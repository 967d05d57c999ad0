"""folkrnn.analysis.comparison: principal angles and best matches on planted subspaces."""

import math

import numpy as np
import pytest

from folkrnn.analysis.comparison import (
    abs_cosines,
    best_matches,
    compare_softmax,
    orthonormal_basis,
    principal_angles,
    shared_token_rows,
)
from folkrnn.analysis.svd import softmax_svd
from folkrnn.vocab import Vocabulary, folkrnn_v2_vocabulary
from tests.factories import random_weights


def _orthonormal(n, k, rng):
    return np.linalg.qr(rng.standard_normal((n, k)))[0]


def test_one_dimensional_angle_is_arccos_of_the_normalised_dot_product():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.standard_normal((2, 7))
        direct = math.degrees(math.acos(abs(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))))
        assert principal_angles(a[:, None], b[:, None])[0] == pytest.approx(direct, abs=1e-9)


@pytest.mark.parametrize("m", [0, 1, 3, 5])
def test_subspaces_sharing_m_dimensions_have_m_zero_angles(m):
    rng = np.random.default_rng(m)
    Q = _orthonormal(40, 10, rng)  # columns 0..m-1 shared, the rest orthogonal to everything else
    A = Q[:, :5] @ rng.standard_normal((5, 5))  # any basis of span(Q0..Q4)
    B = np.hstack([Q[:, :m], Q[:, 5 : 10 - m]]) @ rng.standard_normal((5, 5))
    angles = principal_angles(A, B)
    assert angles.shape == (5,)
    np.testing.assert_allclose(angles[:m], 0, atol=1e-6)
    np.testing.assert_allclose(angles[m:], 90, atol=1e-6)


@pytest.mark.parametrize("theta", [1e-4, 0.5, 10.0, 44.0, 46.0, 89.9])
def test_a_rotation_by_a_known_angle(theta):
    rng = np.random.default_rng(1)
    Q = _orthonormal(30, 4, rng)
    e1, e2, f1, f2 = Q.T
    r = math.radians(theta)
    A = np.column_stack([e1, e2])
    B = np.column_stack([e1, math.cos(r) * e2 + math.sin(r) * f1])  # one plane rotated out by theta
    angles = principal_angles(A, B)
    np.testing.assert_allclose(angles, [0.0, theta], atol=1e-9)
    # two rotations at once, with different angles
    C = np.column_stack([math.cos(r) * e1 + math.sin(r) * f1, math.cos(2 * r / 3) * e2 + math.sin(2 * r / 3) * f2])
    np.testing.assert_allclose(principal_angles(A, C), sorted([theta, 2 * theta / 3]), atol=1e-9)


def test_angles_agree_with_independent_identities_on_random_subspaces():
    rng = np.random.default_rng(2)
    A, B = rng.standard_normal((25, 4)), rng.standard_normal((25, 6))
    theta = np.radians(principal_angles(A, B))
    assert theta.shape == (4,) and np.all(np.diff(theta) >= -1e-12)
    # sum of cos^2 = ||P_B Q_A||_F^2 with P_B the projector onto span(B) (least squares, no QR/SVD)
    PA = A @ np.linalg.solve(A.T @ A, A.T)
    PB = B @ np.linalg.solve(B.T @ B, B.T)
    assert np.sum(np.cos(theta) ** 2) == pytest.approx(np.trace(PA @ PB), abs=1e-9)
    # the cos^2 are the non-zero eigenvalues of P_A P_B
    eig = np.sort(np.linalg.eigvals(PA @ PB).real)[::-1][:4]
    np.testing.assert_allclose(np.sort(np.cos(theta) ** 2)[::-1], eig, atol=1e-9)
    # symmetric in A and B
    np.testing.assert_allclose(principal_angles(B, A), principal_angles(A, B), atol=1e-9)


def test_rank_deficient_input_counts_its_rank():
    rng = np.random.default_rng(3)
    a = rng.standard_normal(10)
    assert orthonormal_basis(np.column_stack([a, 2 * a])).shape == (10, 1)
    assert principal_angles(np.column_stack([a, 2 * a]), np.column_stack([a, rng.standard_normal(10)])).shape == (1,)


def test_best_matches_find_a_planted_permutation_with_signs():
    rng = np.random.default_rng(4)
    A = _orthonormal(50, 6, rng)
    perm, signs = [3, 0, 5, 1, 4, 2], [1, -1, 1, 1, -1, 1]
    B = A[:, perm] * signs + 0.01 * rng.standard_normal((50, 6))
    matches = best_matches(A, B)
    for m in matches:
        assert perm[m.j - 1] == m.i - 1
        assert abs(m.cosine) > 0.99 and np.sign(m.cosine) == signs[m.j - 1]
        assert m.runner_up < 0.2
    c = abs_cosines(A, B)
    assert c.shape == (6, 6) and np.all(c <= 1 + 1e-12)


def test_shared_token_rows_align_by_text():
    a = Vocabulary(("x", "y", "z", "w"))
    b = Vocabulary(("w", "q", "x", "z"))
    tokens, ra, rb = shared_token_rows(a, b)
    assert tokens == ("x", "z", "w")
    assert list(ra) == [0, 2, 3] and list(rb) == [2, 3, 0]


def test_a_model_against_itself_in_another_token_order():
    weights = random_weights(hidden=10, seed=8)
    v2 = folkrnn_v2_vocabulary()
    order = np.random.default_rng(0).permutation(len(v2))
    shuffled = random_weights(hidden=10, seed=8, vocabulary=Vocabulary(tuple(v2.tokens[i] for i in order)))
    from folkrnn.weights import ModelWeights

    permuted = ModelWeights.checked(shuffled.vocabulary, shuffled.layers, weights.V[order], weights.v[order])
    result = compare_softmax(softmax_svd(weights), softmax_svd(permuted), 5)
    assert result.k == 5 and len(result.tokens) == len(v2)
    np.testing.assert_allclose(result.angles, 0, atol=1e-5)
    assert [(m.i, m.j) for m in result.matches] == [(i, i) for i in range(1, 6)]
    assert all(m.cosine == pytest.approx(1.0, abs=1e-6) for m in result.matches)  # same orientation rule
    # against an unrelated model the angles are far from zero
    other = compare_softmax(softmax_svd(weights), softmax_svd(random_weights(hidden=10, seed=9)), 5)
    assert other.angles.max() > 30


def test_random_reference_angles_are_those_of_a_seeded_gaussian_subspace():
    a, b = random_weights(hidden=10, seed=8), random_weights(hidden=10, seed=9)
    result = compare_softmax(softmax_svd(a), softmax_svd(b), 4, seed=3)
    # independent: A's u_1..u_4 over the shared tokens and 4 normal vectors from the same seed, through QR and arccos
    rows = [a.vocabulary.index[t] for t in result.tokens]
    UA = np.linalg.svd(a.V.astype(np.float64), full_matrices=False)[0][rows, :4]
    random_basis = np.random.default_rng(3).standard_normal((len(result.tokens), 4))
    cos = np.linalg.svd(np.linalg.qr(UA)[0].T @ np.linalg.qr(random_basis)[0], compute_uv=False)
    np.testing.assert_allclose(result.random_angles, np.degrees(np.arccos(np.clip(cos, -1, 1))), atol=1e-6)
    assert not np.allclose(compare_softmax(softmax_svd(a), softmax_svd(b), 4, seed=4).random_angles,
                           result.random_angles)


def test_summary_figures_of_a_comparison():
    a, b = random_weights(hidden=10, seed=8), random_weights(hidden=10, seed=9)
    result = compare_softmax(softmax_svd(a), softmax_svd(b), 5)
    assert result.median_angle == pytest.approx(sorted(result.angles)[2])  # k = 5: the third smallest
    assert result.random_median_angle == pytest.approx(sorted(result.random_angles)[2])
    for degrees in (0.0, float(result.angles[1]) + 1e-9, 90.5):
        assert result.angles_under(degrees) == sum(1 for angle in result.angles if angle < degrees)
    same = compare_softmax(softmax_svd(a), softmax_svd(a), 5)
    assert same.angles_under(1e-3) == 5 and same.median_angle < 1e-3
