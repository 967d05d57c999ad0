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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import torch
from torch import nn

from ..music.transcriptions import PAD_TARGET
from ..network.model import FolkRNN
from .config import TrainConfig


@torch.no_grad()
def lasagne_init_(model: FolkRNN, generator: torch.Generator | None = None) -> FolkRNN:
    """Re-initialise ``model`` in place as folk-rnn's Lasagne network started."""
    for i, lstm in enumerate(model.lstms):
        lstm.weight_ih_l0.normal_(0.0, 0.1, generator=generator)
        lstm.weight_hh_l0.normal_(0.0, 0.1, generator=generator)
        lstm.bias_ih_l0.zero_()
        lstm.bias_hh_l0.zero_()
        row = torch.randn(model.config.hidden_size, generator=generator, dtype=torch.float64)
        model.h0[i].copy_(row / row.norm())  # Orthogonal() of a (1, H) matrix: a unit row
        model.c0[i].zero_()
    # Lasagne's Orthogonal() of the dense W (H x vocab): from the SVD of a Gaussian matrix, U when it
    # has W's shape (orthonormal columns, H >= vocab), else Vh (orthonormal rows). V is W^T.
    H, n_vocab = model.config.hidden_size, model.config.vocab_size
    factors = torch.linalg.svd(torch.randn(H, n_vocab, generator=generator, dtype=torch.float64),
                               full_matrices=False)
    model.softmax.weight.copy_((factors.U if H >= n_vocab else factors.Vh).T)
    model.softmax.bias.zero_()
    return model


class LasagneRMSprop(torch.optim.Optimizer):
    """Lasagne's rmsprop: a <- rho a + (1 - rho) g^2; p <- p - lr g / sqrt(a + epsilon).

    torch.optim.RMSprop adds epsilon after the square root instead, which changes the step of
    parameters whose gradients are rare (the one-hot embedding's columns of rare tokens)."""

    def __init__(self, params, lr: float = 3e-3, rho: float = 0.9, epsilon: float = 1e-6):
        super().__init__(params, {"lr": lr, "rho": rho, "epsilon": epsilon})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.zeros_like(p)
                a = state["square_avg"]
                a.mul_(group["rho"]).addcmul_(p.grad, p.grad, value=1 - group["rho"])
                p.addcdiv_(p.grad, (a + group["epsilon"]).sqrt_(), value=-group["lr"])


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


def per_tune_loss(token_nll: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """folk-rnn's loss from each target's NLL (batch, time; 0 past a tune's end): per tune, the
    summed NLL over the tune's length with ``<s>`` and ``</s>`` (its targets + 1); the batch mean."""
    lengths = (targets != PAD_TARGET).sum(dim=1) + 1
    return (token_nll.sum(dim=1) / lengths).mean()


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
