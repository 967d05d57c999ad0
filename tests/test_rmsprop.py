"""The RMSprop what-ifs on a logged epsilon share, against the denominators they stand for."""

import numpy as np
import pytest

from folkrnn.analysis.rmsprop import EPSILON, epsilon_outside_share, summed_loss_share


def test_summed_loss_share_scales_the_running_average_by_the_length_squared():
    for a in (1e-12, 1e-9, 1e-7, 1e-4):
        share = np.sqrt(a / (a + EPSILON))
        assert summed_loss_share(share, 1.0) == pytest.approx(share, rel=1e-9)
        assert summed_loss_share(share, 170.0) == pytest.approx(np.sqrt(170.0**2 * a / (170.0**2 * a + EPSILON)),
                                                                rel=1e-9)


def test_epsilon_outside_share_is_torchs_rmsprop_denominator():
    for a in (1e-14, 1e-10, 1e-8, 1e-4):
        share = np.sqrt(a / (a + EPSILON))
        assert epsilon_outside_share(share) == pytest.approx(np.sqrt(a) / (np.sqrt(a) + EPSILON), rel=1e-6)
    assert epsilon_outside_share(1.0) == summed_loss_share(1.0, 170.0) == 1.0
