"""folk-rnn's own training recipe: what ``train_rnn.py`` did when it trained v2 (January 2016).

Read from folk-rnn's history (IraKorshunova/folk-rnn, ``train_rnn.py`` at 50b7c67, in force from
2015-10-16 until 89564f5 on 2016-03-16; v2 is ``config5-wrepeats-20160112``):

- initialisation: Lasagne's ``Gate`` defaults, W_in and W_hid ~ N(0, 0.1) and b = 0 for every gate,
  the forget gate included; ``hid_init`` Lasagne's ``Orthogonal()`` of shape (1, H), i.e. a random
  unit row, and ``cell_init`` 0, both trained (``get_all_params`` hands them to the optimiser); the
  dense W ``Orthogonal()`` (orthonormal columns, so every singular value of V starts at 1), b = 0;
- the loss: each tune's summed NLL divided by its length counting ``<s>`` and ``</s>``, averaged
  over the batch (from 89564f5 on the sum was no longer divided);
- Lasagne's ``rmsprop`` (rho 0.9, epsilon 1e-6 inside the square root), at config5's lr;
- ``grad_clipping=5``: Theano's ``grad_clip`` of each step's gate pre-activations, elementwise, in
  the backward pass (:class:`folkrnn.network.model.FolkRNNConfig` ``gate_grad_clip``). The divided
  loss keeps those gradients far below 5 (:func:`gate_gradient_peak`, logged every epoch), where the
  clipping changes nothing; ``--fused`` then runs the fused LSTM kernel, which cannot clip them.

With the divided loss most gradient entries start below 1e-3, where epsilon, not the running average,
sets RMSprop's step, so training leaves the unigram plateau only after some 300 updates; folk-rnn's
own ``config4`` log shows the same (training loss 2.9 after 300 updates, 2.4 after 900). The share of
the step epsilon leaves is logged every epoch (:func:`epsilon_share`).

``folkrnn-head`` is ``train_rnn.py`` at 89564f5 (2016-03-16; the one later change to it, 6dd7adc of
2020, silences a float64 warning and casts a count to int), which differs in three places: each
tune's NLL summed, not divided by its length (``-T.mean(T.sum(mask * p1, axis=1))``); every
gate's W_in ``GlorotUniform()``, W_hid ``Orthogonal()``, the forget gate's b 5; batch 64 (config5
there). Its gradients are a tune's length (~160 tokens) larger, so RMSprop's steps
are set by the running average, not epsilon.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import torch
from torch import nn

from ..analysis.rmsprop import EPSILON
from ..music.transcriptions import PAD_TARGET
from ..network.model import FolkRNN
from .config import TrainConfig


def lasagne_orthogonal(rows: int, cols: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Lasagne's ``Orthogonal()`` of a (rows, cols) matrix: from the SVD of a Gaussian matrix, U when
    it has that shape (orthonormal columns, rows >= cols), else Vh (orthonormal rows)."""
    factors = torch.linalg.svd(torch.randn(rows, cols, generator=generator, dtype=torch.float64),
                               full_matrices=False)
    return factors.U if rows >= cols else factors.Vh


def _head_gates_(lstm: nn.LSTM, generator: torch.Generator | None) -> None:
    """89564f5's gates, each (i, f, g, o) on its own: W_in ``GlorotUniform()``, U(-a, a) with
    a = sqrt(6 / (fan_in + fan_out)); W_hid ``Orthogonal()``; b 0 but the forget gate's 5.
    PyTorch's blocks are Lasagne's matrices transposed (x W_in there, W_ih x here)."""
    H = lstm.hidden_size
    for W_in, W_hid in zip(lstm.weight_ih_l0.view(4, H, -1), lstm.weight_hh_l0.view(4, H, H)):
        bound = (6.0 / (W_in.shape[1] + H)) ** 0.5
        W_in.uniform_(-bound, bound, generator=generator)
        W_hid.copy_(lasagne_orthogonal(H, H, generator).T)
    lstm.bias_ih_l0.zero_()
    lstm.bias_ih_l0[H : 2 * H].fill_(5.0)


def _january_gates_(lstm: nn.LSTM, generator: torch.Generator | None) -> None:
    """Lasagne's ``Gate()`` defaults (50b7c67): W_in, W_hid ~ N(0, 0.1), b 0 for every gate."""
    lstm.weight_ih_l0.normal_(0.0, 0.1, generator=generator)
    lstm.weight_hh_l0.normal_(0.0, 0.1, generator=generator)
    lstm.bias_ih_l0.zero_()


@torch.no_grad()
def lasagne_init_(model: FolkRNN, generator: torch.Generator | None = None, recipe: str = "folkrnn") -> FolkRNN:
    """Re-initialise ``model`` in place as folk-rnn's Lasagne network started under ``recipe``
    (``folkrnn``: January's gates; ``folkrnn-head``: 89564f5's); both draw ``hid_init`` and the
    dense W ``Orthogonal()`` and start ``cell_init`` and the biases outside the gates at 0."""
    gates_ = _head_gates_ if recipe == "folkrnn-head" else _january_gates_
    for i, lstm in enumerate(model.lstms):
        gates_(lstm, generator)
        lstm.bias_hh_l0.zero_()
        row = torch.randn(model.config.hidden_size, generator=generator, dtype=torch.float64)
        model.h0[i].copy_(row / row.norm())  # Orthogonal() of a (1, H) matrix: a unit row
        model.c0[i].zero_()
    # the dense W is (H x vocab) in Lasagne; V is W^T
    model.softmax.weight.copy_(lasagne_orthogonal(model.config.hidden_size, model.config.vocab_size, generator).T)
    model.softmax.bias.zero_()
    return model


class LasagneRMSprop(torch.optim.Optimizer):
    """Lasagne's rmsprop: a <- rho a + (1 - rho) g^2; p <- p - lr g / sqrt(a + epsilon).

    torch.optim.RMSprop adds epsilon after the square root instead, which changes the step of
    parameters whose gradients are rare (the one-hot embedding's columns of rare tokens)."""

    def __init__(self, params, lr: float = 3e-3, rho: float = 0.9, epsilon: float = EPSILON):
        super().__init__(params, {"lr": lr, "rho": rho, "epsilon": epsilon})

    def _averaged(self):
        """Fold each parameter's gradient into its running average; yields (group, parameter, average)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.zeros_like(p)
                a = state["square_avg"]
                a.mul_(group["rho"]).addcmul_(p.grad, p.grad, value=1 - group["rho"])
                yield group, p, a

    @torch.no_grad()
    def step(self, closure=None):
        for group, p, a in self._averaged():
            p.addcdiv_(p.grad, (a + group["epsilon"]).sqrt_(), value=-group["lr"])

    @torch.no_grad()
    def accumulate(self) -> None:
        """Fold the gradients into the running average without stepping."""
        for _ in self._averaged():
            pass


#: The parameter kinds :func:`epsilon_share` reports, by PyTorch name within :class:`FolkRNN`.
PARAMETER_KINDS = {"W_in": "weight_ih", "W_hid": "weight_hh", "b": "bias_ih", "init": ("h0", "c0"),
                   "V": "softmax.weight", "v": "softmax.bias"}


@torch.no_grad()
def epsilon_share(model: FolkRNN, optimiser: LasagneRMSprop) -> dict[str, float]:
    """How much of RMSprop's normalised step epsilon leaves, per parameter kind: the median over
    entries of sqrt(a / (a + epsilon)), a the running average of squared gradients. 1 where the
    gradients set the step (lr per unit of normalised gradient); near 0 where epsilon does, the step
    then shrinking to lr g / sqrt(epsilon). Why the divided loss trains slowly, measured."""
    shares = {}
    for kind, names in PARAMETER_KINDS.items():
        names = (names,) if isinstance(names, str) else names
        kept = [optimiser.state[p]["square_avg"] for name, p in model.named_parameters()
                if any(n in name for n in names) and p in optimiser.state]
        if kept:
            a = torch.cat([t.flatten() for t in kept]).double()
            epsilon = optimiser.param_groups[0]["epsilon"]
            shares[kind] = round(float((a / (a + epsilon)).sqrt().quantile(0.5)), 4)
    return shares


def per_tune_loss(token_nll: torch.Tensor, targets: torch.Tensor, by_length: bool = True) -> torch.Tensor:
    """folk-rnn's loss from each target's NLL (batch, time; 0 past a tune's end): per tune, the
    summed NLL, divided by the tune's length with ``<s>`` and ``</s>`` (its targets + 1) when
    ``by_length`` (50b7c67) or not (89564f5); the batch mean."""
    summed = token_nll.sum(dim=1)
    return (summed / ((targets != PAD_TARGET).sum(dim=1) + 1) if by_length else summed).mean()


def epoch_lr(cfg: TrainConfig, epoch: int) -> float:
    """The learning rate during 0-based ``epoch``: train_rnn.py multiplies it by ``lr_decay`` after
    every epoch whose index exceeds ``lr_decay_after`` (``if epoch > learning_rate_decay_after``)."""
    return cfg.lr * cfg.lr_decay ** max(0, epoch - cfg.lr_decay_after - 1)


def folkrnn_optimiser(model: nn.Module, cfg: TrainConfig) -> LasagneRMSprop:
    """RMSprop over every parameter folk-rnn trained (all but PyTorch's unused second bias)."""
    return LasagneRMSprop([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)


def gate_gradient_peak(model: FolkRNN, batches: Iterable[tuple[np.ndarray, np.ndarray]],
                       batch_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> float:
    """The largest |gradient| that any step's gate pre-activations receive over ``batches`` (inputs,
    targets) under ``batch_loss``, in training mode (dropout on, seeded): what Lasagne's
    ``grad_clipping`` bounds. While it stays below the bound the clipping changes nothing, so the
    fused kernel trains alike. Touches neither the parameters' gradients nor the training RNG."""
    device = next(model.parameters()).device
    params = [p for p in model.parameters() if p.requires_grad]
    model.gate_gradient_peaks = peaks = []
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(0)
            for inputs, targets in batches:
                loss = batch_loss(torch.from_numpy(inputs).to(device), torch.from_numpy(targets).to(device))
                torch.autograd.grad(loss, params)
    finally:
        model.gate_gradient_peaks = None
    return float(torch.stack(peaks).max())


def rebuild_square_avg(model: FolkRNN, optimiser: LasagneRMSprop, batches: Iterable[tuple[np.ndarray, np.ndarray]],
                       batch_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> int:
    """Rebuild ``optimiser``'s running average of squared gradients from ``batches`` under
    ``batch_loss`` (dropout on), without stepping, for a run continued from its weights alone:
    Lasagne's recursion from a = 0 over the n batches, divided by 1 - rho^n, the weight it gave the
    gradients (a long run's average gives them 1). Without it the first ~20 steps after a resume
    divide by an average far below the gradients' scale, up to sqrt(1 / (1 - rho)) ~ 3x too large.
    Returns n."""
    device = next(model.parameters()).device
    model.train()
    n = 0
    for inputs, targets in batches:
        optimiser.zero_grad(set_to_none=True)
        batch_loss(torch.from_numpy(inputs).to(device), torch.from_numpy(targets).to(device)).backward()
        optimiser.accumulate()
        n += 1
    optimiser.zero_grad(set_to_none=True)
    for group in optimiser.param_groups if n else []:
        for p in group["params"]:
            if p in optimiser.state:
                optimiser.state[p]["square_avg"].div_(1 - group["rho"] ** n)
    return n
