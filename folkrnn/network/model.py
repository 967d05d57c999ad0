"""folk-rnn v2 in PyTorch: one-hot input, a stack of LSTM layers without peepholes, dense softmax layer.

Follows folk-rnn's Lasagne network exactly: dropout after every LSTM layer (active only in training),
trained initial hidden and cell states (``hid_init``/``cell_init``) that every sequence starts from,
and a single bias per gate (PyTorch's second bias, ``bias_hh``, is held at zero and never trained).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..vocab import Vocabulary
from ..weights import LSTMLayerWeights, ModelWeights

State = list[tuple[torch.Tensor, torch.Tensor]]  # per layer (h, c), each (1, batch, H)


class _ClipGradient(torch.autograd.Function):
    """The identity, whose backward pass clips the gradient elementwise to [-bound, bound]
    (Theano's ``grad_clip``, which Lasagne's LSTMLayer applies to each step's gates), and appends
    the largest |gradient| it received, before clipping, to ``peaks`` when given a list."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, bound: float, peaks: list | None) -> torch.Tensor:
        ctx.bound, ctx.peaks = bound, peaks
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        if ctx.peaks is not None:
            ctx.peaks.append(grad.detach().abs().amax())
        return grad.clamp(-ctx.bound, ctx.bound), None, None


def _clipped_steps(x, state, W_ih, W_hh, b, bound: float, peaks: list | None = None):
    """An LSTM layer stepped in Python, as nn.LSTM computes it, with each step's gate
    pre-activations W_ih x_t + b + W_hh h_{t-1} passed through :class:`_ClipGradient`."""
    h, c = state[0][0], state[1][0]
    inputs = F.linear(x, W_ih, b)
    outputs = []
    for x_t in inputs.unbind(1):  # unbind, not x[:, t]: each slice's backward would fill a whole tensor
        gates = _ClipGradient.apply(torch.addmm(x_t, h, W_hh.T), bound, peaks)
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs, dim=1), (h.unsqueeze(0), c.unsqueeze(0))


@dataclass(frozen=True)
class FolkRNNConfig:
    vocab_size: int = 137
    hidden_size: int = 512
    num_layers: int = 3
    dropout: float = 0.5
    weight_drop: float = 0.0  # training only: DropConnect on each W_hh (AWD-LSTM); folk-rnn had none
    gate_grad_clip: float = 0.0  # training only: clip each step's gate gradients to +-this (Lasagne's grad_clipping)


class ForwardOutput(NamedTuple):
    logits: torch.Tensor  # (batch, time, vocab): V h_t + v
    state: State  # state after the last step, to continue from
    hidden: list[torch.Tensor]  # per layer (batch, time, H), before dropout; hidden[-1] is h_t


class FolkRNN(nn.Module):
    def __init__(self, config: FolkRNNConfig = FolkRNNConfig()):
        super().__init__()
        self.config = config
        H = config.hidden_size
        sizes = [config.vocab_size] + [H] * (config.num_layers - 1)
        self.lstms = nn.ModuleList(nn.LSTM(n_in, H, batch_first=True) for n_in in sizes)
        for lstm in self.lstms:
            lstm.bias_hh_l0.requires_grad_(False)
            with torch.no_grad():
                lstm.bias_hh_l0.zero_()
                lstm.bias_ih_l0[H : 2 * H].fill_(1.0)  # forget-gate bias 1 for training from scratch
        with torch.no_grad():
            # Each column of the first layer's W_ih is a token's embedding into the gates; PyTorch's
            # default (uniform +-1/sqrt(H)) gives a token almost no effect on the state, and training
            # then sits at the unigram loss for hundreds of steps.
            nn.init.normal_(self.lstms[0].weight_ih_l0, std=0.5)
        self.h0 = nn.Parameter(torch.zeros(config.num_layers, H))
        self.c0 = nn.Parameter(torch.zeros(config.num_layers, H))
        self.dropout = nn.Dropout(config.dropout)
        self.softmax = nn.Linear(H, config.vocab_size)  # weight is V (vocab x H), bias is v
        # a list while training should record each step's largest |gate gradient| (gate_gradient_peak)
        self.gate_gradient_peaks: list | None = None

    def initial_state(self, batch_size: int) -> State:
        """The trained initial states, repeated over the batch."""
        return [
            (h.expand(1, batch_size, -1).contiguous(), c.expand(1, batch_size, -1).contiguous())
            for h, c in zip(self.h0, self.c0)
        ]

    def forward(self, tokens: torch.Tensor, state: State | None = None) -> ForwardOutput:
        """Run over token indices (batch, time), from ``state`` or the trained initial state."""
        if state is None:
            state = self.initial_state(tokens.shape[0])
        x = F.one_hot(tokens, self.config.vocab_size).float()
        hidden, new_state = [], []
        for lstm, layer_state in zip(self.lstms, state):
            out, layer_state = self._run_layer(lstm, x, layer_state)
            hidden.append(out)
            new_state.append(layer_state)
            x = self.dropout(out)
        return ForwardOutput(self.softmax(x), new_state, hidden)

    def _run_layer(self, lstm: nn.LSTM, x: torch.Tensor, state):
        """One LSTM layer over the sequence. In training, ``weight_drop`` draws one dropout mask on
        W_hh for the whole sequence (as in AWD-LSTM), and ``gate_grad_clip`` (or recording the gate
        gradients' peaks) steps the layer here rather than in the fused kernel, which hides them."""
        config = self.config
        stepped = config.gate_grad_clip or self.gate_gradient_peaks is not None
        if not (self.training and (config.weight_drop or stepped)):
            return lstm(x, state)
        W_hh = F.dropout(lstm.weight_hh_l0, config.weight_drop) if config.weight_drop else lstm.weight_hh_l0
        if stepped:
            b = lstm.bias_ih_l0 + lstm.bias_hh_l0
            return _clipped_steps(x, state, lstm.weight_ih_l0, W_hh, b, config.gate_grad_clip or math.inf,
                                  self.gate_gradient_peaks)
        params = dict(lstm.named_parameters(), weight_hh_l0=W_hh)
        return torch.func.functional_call(lstm, params, (x, state))

    @classmethod
    def from_weights(cls, weights: ModelWeights) -> FolkRNN:
        """A module holding exactly ``weights`` (in eval mode)."""
        model = cls(
            FolkRNNConfig(len(weights.vocabulary), weights.hidden_size, weights.num_layers)
        )
        t = lambda a: torch.from_numpy(np.array(a, dtype=np.float32))  # noqa: E731
        with torch.no_grad():
            for lstm, layer in zip(model.lstms, weights.layers):
                lstm.weight_ih_l0.copy_(t(layer.W_ih))
                lstm.weight_hh_l0.copy_(t(layer.W_hh))
                lstm.bias_ih_l0.copy_(t(layer.b))
                lstm.bias_hh_l0.zero_()
            model.h0.copy_(t(np.stack([layer.h0 for layer in weights.layers])))
            model.c0.copy_(t(np.stack([layer.c0 for layer in weights.layers])))
            model.softmax.weight.copy_(t(weights.V))
            model.softmax.bias.copy_(t(weights.v))
        return model.eval()

    def to_weights(self, vocabulary: Vocabulary, metadata: dict | None = None) -> ModelWeights:
        """The module's parameters as checked, read-only numpy arrays."""
        a = lambda p: p.detach().float().cpu().numpy()  # noqa: E731
        n_in, H = self.config.vocab_size, self.config.hidden_size
        layers = []
        for i, lstm in enumerate(self.lstms):
            layers.append(
                LSTMLayerWeights.checked(
                    f"lstm{i}",
                    n_in,
                    H,
                    W_ih=a(lstm.weight_ih_l0),
                    W_hh=a(lstm.weight_hh_l0),
                    b=a(lstm.bias_ih_l0) + a(lstm.bias_hh_l0),
                    h0=a(self.h0[i]),
                    c0=a(self.c0[i]),
                )
            )
            n_in = H
        return ModelWeights.checked(
            vocabulary, layers, a(self.softmax.weight), a(self.softmax.bias), metadata
        )

