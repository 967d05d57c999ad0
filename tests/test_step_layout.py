"""folkrnn.compose.step_layout: the step's weight layout, against the weights it is laid out from."""

import numpy as np

from folkrnn.compose.step_layout import step_layout
from tests.factories import random_weights

H = 8
WEIGHTS = random_weights(hidden=H, seed=4)


def test_layout_holds_the_weights_transposed_and_stacked():
    layout = step_layout(WEIGHTS)
    first, second, third = WEIGHTS.layers
    np.testing.assert_allclose(layout.table[57], first.W_ih[:, 57] + first.b, rtol=1e-6)
    np.testing.assert_allclose(layout.W_hh0, first.W_hh.T, rtol=1e-6)
    np.testing.assert_allclose(layout.W[1], np.vstack([third.W_ih.T, third.W_hh.T]), rtol=1e-6)
    np.testing.assert_allclose(layout.b[0], second.b, rtol=1e-6)
    arrays = [layout.table, layout.W_hh0, *layout.W, *layout.b]
    assert all(a.dtype == np.float32 and a.flags.c_contiguous for a in arrays)


def test_g_scale_scales_the_cell_input_gate_only():
    plain, doubled = step_layout(WEIGHTS), step_layout(WEIGHTS, g_scale=2.0)
    g = slice(2 * H, 3 * H)
    for a, b in zip([plain.table, plain.W_hh0, *plain.W, *plain.b], [doubled.table, doubled.W_hh0, *doubled.W, *doubled.b]):
        np.testing.assert_array_equal(b[..., g], 2 * a[..., g])
        np.testing.assert_array_equal(np.delete(b, np.s_[2 * H : 3 * H], axis=-1), np.delete(a, np.s_[2 * H : 3 * H], axis=-1))
