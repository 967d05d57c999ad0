"""The LSTM weights of one network step, laid out for the products that composing repeats.

Both composing engines step the network from this layout: the float32 ONNX graph
(:mod:`folkrnn.compose.onnx_step`) and the bfloat16 PyTorch stepper (:mod:`folkrnn.compose.torch_step`). The first
layer's one-hot input selects a row of a table of W_ih columns plus b; each later layer does one
product of [x_t, h_{t-1}] with its stacked [W_ih | W_hh]^T, instead of two. Gate order i, f, g, o.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..weights import ModelWeights


@dataclass(frozen=True)
class StepLayout:
    table: np.ndarray  # (vocab, 4H): the first layer's W_ih^T + b, one row per input token
    W_hh0: np.ndarray  # (H, 4H): the first layer's W_hh^T
    W: list[np.ndarray]  # per later layer, (2H, 4H): [W_ih | W_hh]^T
    b: list[np.ndarray]  # per later layer, (4H,)


def _transposed_rows(*matrices: np.ndarray) -> np.ndarray:
    """[M_1 | M_2 | ...]^T as one new C-ordered float32 array, written in place: no temporary copies,
    whose freed memory the process would keep."""
    out = np.empty((sum(m.shape[1] for m in matrices), matrices[0].shape[0]), np.float32)
    return np.concatenate([m.T for m in matrices], out=out)


def step_layout(weights: ModelWeights, g_scale: float = 1.0) -> StepLayout:
    """``weights``' LSTM stack as float32 arrays for one step.

    ``g_scale`` multiplies the cell-input gate's columns: with 2, one sigmoid serves all four gates,
    since tanh(z) = 2 sigmoid(2z) - 1.
    """
    H = weights.hidden_size
    g = slice(2 * H, 3 * H)

    def scaled(a: np.ndarray) -> np.ndarray:
        a[..., g] *= g_scale
        return a

    first, *rest = weights.layers
    table = np.ascontiguousarray(first.W_ih.T + first.b, dtype=np.float32)
    return StepLayout(
        table=scaled(table),
        W_hh0=scaled(_transposed_rows(first.W_hh)),
        W=[scaled(_transposed_rows(layer.W_ih, layer.W_hh)) for layer in rest],
        b=[scaled(np.array(layer.b, dtype=np.float32)) for layer in rest],
    )
