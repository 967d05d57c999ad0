"""Negative log-likelihood of transcriptions under a model (``</s>`` a target, dropout off by default)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from ..music.transcriptions import PAD_TARGET, length_chunks, pad_batch
from .model import FolkRNN


@dataclass(frozen=True)
class NLL:
    tune_totals: np.ndarray  # summed NLL of each tune, in nats, in the order the tunes were given
    tune_targets: np.ndarray  # each tune's predicted targets: its tokens plus </s>

    @property
    def tunes(self) -> int:
        return len(self.tune_totals)

    @property
    def tokens(self) -> int:
        return int(self.tune_targets.sum())

    @property
    def total(self) -> float:
        return float(self.tune_totals.sum())

    @property
    def per_token(self) -> float:
        return self.total / self.tokens

    @property
    def folkrnn_loss(self) -> float:
        """folk-rnn's own loss when it trained v2: each tune's summed NLL over its length counting
        ``<s>`` and ``</s>``, averaged over tunes (``train_rnn.py`` from 50b7c67, October 2015, until
        89564f5, March 2016, which dropped the division; HEAD sums per tune). The figure its
        training logs of that time print."""
        return float(np.mean(self.tune_totals / (self.tune_targets + 1)))


@torch.no_grad()
def nll(
    model: FolkRNN, sequences: Sequence[np.ndarray], batch_size: int = 64, dropout_seed: int | None = None
) -> NLL:
    """NLL of encoded sequences (``<s>`` … ``</s>``) in float32 on the model's device.

    Dropout is off unless ``dropout_seed`` is given; then the dropout after each LSTM layer is on,
    drawn from that seed, as in folk-rnn's validation when it wrote its config4 log (weight drop,
    which folk-rnn never had, stays off). The caller's random state and the model's mode are kept.
    """
    was_training = model.training
    model.eval()
    if dropout_seed is not None:
        model.dropout.train()
    device = model.softmax.weight.device
    totals = np.zeros(len(sequences))
    targets = np.array([len(s) - 1 for s in sequences])
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        if dropout_seed is not None:
            torch.manual_seed(dropout_seed)
        for chunk in length_chunks(targets, batch_size):
            inputs, target = pad_batch([sequences[i] for i in chunk])
            logits = model(torch.from_numpy(inputs).to(device)).logits.float()
            target = torch.from_numpy(target).to(device)
            losses = F.cross_entropy(
                logits.transpose(1, 2), target, ignore_index=PAD_TARGET, reduction="none"
            )
            totals[chunk] = losses.sum(dim=1).double().cpu().numpy()
    model.train(was_training)
    return NLL(totals, targets)
