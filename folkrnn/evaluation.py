"""Negative log-likelihood of transcriptions under a model (dropout off, ``</s>`` a target)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from .data import PAD_TARGET, length_batches
from .model import FolkRNN


@dataclass(frozen=True)
class NLL:
    tunes: int
    tokens: int  # predicted targets: every token of every tune plus its </s>
    total: float  # summed NLL in nats

    @property
    def per_token(self) -> float:
        return self.total / self.tokens


@torch.no_grad()
def nll(model: FolkRNN, sequences: Sequence[np.ndarray], batch_size: int = 64) -> NLL:
    """Summed NLL of encoded sequences (``<s>`` … ``</s>``) in float32, in eval mode, on the model's device."""
    was_training = model.training
    model.eval()
    device = model.softmax.weight.device
    total, count = 0.0, 0
    for inputs, targets in length_batches(sequences, batch_size):
        logits = model(torch.from_numpy(inputs).to(device)).logits.float()
        target = torch.from_numpy(targets).to(device)
        total += F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
            ignore_index=PAD_TARGET, reduction="sum",
        ).item()
        count += int((target != PAD_TARGET).sum())
    model.train(was_training)
    return NLL(len(sequences), count, total)
