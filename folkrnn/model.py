"""folk-rnn v2 in PyTorch: one-hot input, a stack of LSTM layers without peepholes, dense softmax layer.

Follows folk-rnn's Lasagne network exactly: dropout after every LSTM layer (active only in training),
trained initial hidden and cell states (``hid_init``/``cell_init``) that every sequence starts from,
and a single bias per gate (PyTorch's second bias, ``bias_hh``, is held at zero and never trained).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .vocab import Vocabulary
from .weights import LSTMLayerWeights, ModelWeights

State = list[tuple[torch.Tensor, torch.Tensor]]  # per layer (h, c), each (1, batch, H)


@dataclass(frozen=True)
class FolkRNNConfig:
    vocab_size: int = 137
    hidden_size: int = 512
    num_layers: int = 3
    dropout: float = 0.5
    weight_drop: float = 0.0  # training only: DropConnect on each W_hh (AWD-LSTM); folk-rnn had none


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
        """One LSTM layer over the sequence; in training with ``weight_drop``, a fresh dropout mask on
        W_hh for the whole sequence (the same recurrent weights at every step, as in AWD-LSTM)."""
        if not (self.training and self.config.weight_drop):
            return lstm(x, state)
        params = dict(lstm.named_parameters())
        params["weight_hh_l0"] = F.dropout(params["weight_hh_l0"], self.config.weight_drop)
        return torch.func.functional_call(lstm, params, (x, state))

    @classmethod
    def from_weights(cls, weights: ModelWeights) -> "FolkRNN":
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


class Stepper:
    """One step of the network for a batch of tokens in PyTorch, with bfloat16 matrices: the engine of
    ``sample_tunes(precision="bfloat16")``. :meth:`FolkRNN.forward`'s equations with the weights laid
    out once for speed; the same interface as :class:`folkrnn.onnx_step.StepSession` (numpy tokens
    in, numpy logits out), which composes in float32.

    The first layer's one-hot input selects a row of a (vocab x 4H) table of W_ih columns plus b;
    each later layer does one matrix product of [x_t, h_{t-1}] with its stacked [W_ih | W_hh]^T,
    instead of calling nn.LSTM per token or doing two products. The cell-input gate's rows are
    doubled so that one sigmoid serves all four gates, with tanh(z) = 2 sigmoid(2z) - 1: PyTorch's
    CPU tanh is about six times slower than its sigmoid (profiles in docs/performance.md).
    A snapshot: later changes to the model's parameters do not reach it.

    The matrices are bf16 (states, gates and biases stay float32): on CPUs with native bf16 a batch
    of 64 steps about 1.4 times as fast as the float32 session, and the logits move by about 1e-2.
    ``dtype=torch.float32`` gives the exact network, to check these equations against the forward pass.
    """

    @torch.no_grad()
    def __init__(self, model: FolkRNN, dtype: torch.dtype = torch.bfloat16):
        H = model.config.hidden_size
        doubled_g = torch.ones(4 * H)
        doubled_g[2 * H : 3 * H] = 2.0  # gate order i, f, g, o
        first, *rest = model.lstms
        table = (first.weight_ih_l0.t() + first.bias_ih_l0 + first.bias_hh_l0) * doubled_g
        self.table = table.contiguous()  # (vocab, 4H): the first layer's W_ih columns plus b
        self.W = [(first.weight_hh_l0.t() * doubled_g).contiguous().to(dtype)]  # (H, 4H), then (2H, 4H)
        self.b = [None]  # the first layer's bias is in the table
        for lstm in rest:
            W = torch.cat([lstm.weight_ih_l0, lstm.weight_hh_l0], dim=1).t() * doubled_g
            self.W.append(W.contiguous().to(dtype))
            self.b.append((lstm.bias_ih_l0 + lstm.bias_hh_l0) * doubled_g)
        self.V_t = model.softmax.weight.t().contiguous().to(dtype)
        self.v = model.softmax.bias.clone()
        self.initial = [(h.clone(), c.clone()) for h, c in zip(model.h0, model.c0)]

    def start(self, batch: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The trained initial (h, c) of every layer, for ``batch`` sequences."""
        return [(h.expand(batch, -1), c.expand(batch, -1)) for h, c in self.initial]

    @torch.no_grad()
    def __call__(self, tokens: np.ndarray, state: list[tuple[torch.Tensor, torch.Tensor]]):
        """Logits (batch, vocab) as numpy after reading ``tokens`` (batch,) from ``state`` (per layer
        (h, c), each (batch, H)), and the new state."""
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
