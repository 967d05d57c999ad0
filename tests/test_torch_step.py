"""The bfloat16 PyTorch step: the torch network's equations, and bf16 rounding within bounds."""

import numpy as np
import pytest
import torch

from folkrnn.compose.torch_step import Stepper
from folkrnn.network.model import FolkRNN
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=2)


@pytest.mark.parametrize("layers", [3, 1])
def test_equations_equal_the_forward_pass(layers):
    """Doubled g columns and tanh from sigmoid, checked exactly in float32, state included."""
    weights = random_weights(hidden=16, layers=layers, seed=2)
    tokens = torch.tensor([[80, 57, 86, 39, 71, 48], [80, 63, 77, 35, 65, 2]])
    with torch.no_grad():
        full = FolkRNN.from_weights(weights)(tokens)
    step = Stepper(weights, torch.float32)
    state = step.start(2)
    for t in range(tokens.shape[1]):
        logits, state = step(tokens[:, t].numpy(), state)
        np.testing.assert_allclose(logits, full.logits[:, t].numpy(), atol=1e-5, rtol=1e-5)
    for (h, c), (h_torch, c_torch) in zip(state, full.state):
        np.testing.assert_allclose(h.numpy(), h_torch[0].numpy(), atol=1e-6)
        np.testing.assert_allclose(c.numpy(), c_torch[0].numpy(), atol=1e-6)


def test_bf16_step_stays_close_to_float32():
    tokens = np.array([80, 57, 86, 39])
    exact, _ = Stepper(WEIGHTS, torch.float32)(tokens, Stepper(WEIGHTS).start(4))
    rounded, new_state = Stepper(WEIGHTS)(tokens, Stepper(WEIGHTS).start(4))
    assert rounded.dtype == np.float32 and new_state[0][0].dtype == torch.float32
    assert Stepper(WEIGHTS).W[1].dtype == torch.bfloat16
    assert 0 < np.abs(rounded - exact).max() < 0.05
