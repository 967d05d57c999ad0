"""One step of folk-rnn in PyTorch with bfloat16 matrices: the engine of
``sample_tunes(precision="bfloat16")``.

The same interface as :class:`folkrnn.compose.onnx_step.StepSession` (numpy tokens in, numpy logits out),
which composes in float32; on CPUs with native bf16 a batch of 64 steps about 1.4 times as fast
here, and the logits move by about 1e-2. tests/test_torch_step.py holds the equations to
:class:`folkrnn.network.model.FolkRNN` with ``dtype=torch.float32``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..weights import ModelWeights
from .step_layout import step_layout

State = list[tuple[torch.Tensor, torch.Tensor]]  # per layer (h, c), each (batch, H) float32


class Stepper:
    """A model's step from :func:`folkrnn.compose.step_layout.step_layout`, with the cell-input gate's
    columns doubled so that one sigmoid serves all four gates, tanh(z) = 2 sigmoid(2z) - 1: PyTorch's
    CPU tanh is about six times slower than its sigmoid (profiles in docs/performance.md).

    The matrices are in ``dtype`` (states, gates and biases stay float32).
    """

    @torch.no_grad()
    def __init__(self, weights: ModelWeights, dtype: torch.dtype = torch.bfloat16):
        layout = step_layout(weights, g_scale=2.0)
        self.table = torch.from_numpy(layout.table)
        self.W = [torch.from_numpy(W).to(dtype) for W in (layout.W_hh0, *layout.W)]  # (H, 4H), then (2H, 4H)
        self.b = [None, *(torch.from_numpy(b) for b in layout.b)]  # the first layer's bias is in the table
        self.V_t = torch.from_numpy(np.ascontiguousarray(weights.V.T, dtype=np.float32)).to(dtype)
        self.v = torch.tensor(weights.v, dtype=torch.float32)
        self.initial = [(torch.tensor(layer.h0, dtype=torch.float32), torch.tensor(layer.c0, dtype=torch.float32))
                        for layer in weights.layers]

    def start(self, batch: int) -> State:
        """The trained initial (h, c) of every layer, for ``batch`` sequences."""
        return [(h.expand(batch, -1), c.expand(batch, -1)) for h, c in self.initial]

    @torch.no_grad()
    def __call__(self, tokens: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        """Logits (batch, vocab) as numpy after reading ``tokens`` (batch,) from ``state``, and the new state."""
        tokens = torch.as_tensor(tokens)
        new_state, x = [], None
        for layer, (h, c) in enumerate(state):
            inputs = h if layer == 0 else torch.cat([x, h], dim=1)
            bias = self.table.index_select(0, tokens) if layer == 0 else self.b[layer]
            i, f, g, o = _affine(bias, inputs, self.W[layer]).sigmoid_().chunk(4, dim=1)  # g: sigmoid(2 z_g)
            c = torch.mul(f, c).addcmul_(i, _tanh_from_sigmoid_(g))
            h = _tanh_from_sigmoid_(torch.mul(c, 2).sigmoid_()).mul_(o)
            new_state.append((h, c))
            x = h
        return _affine(self.v, x, self.V_t).numpy(), new_state


def _tanh_from_sigmoid_(s: torch.Tensor) -> torch.Tensor:
    """tanh(z) from s = sigmoid(2 z), in place (the step's temporaries are its own)."""
    return s.mul_(2).sub_(1)


def _affine(bias: torch.Tensor, x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """bias + x W in float32, the product taken in W's precision."""
    if W.dtype == x.dtype:
        return torch.addmm(bias, x, W)
    return torch.mm(x.to(W.dtype), W).float() + bias
