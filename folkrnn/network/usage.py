"""Direction usage over real runs of the network: h_t of many tunes, in batches, summed into
:class:`folkrnn.analysis.usage.UsageSums`. The network is never modified.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..analysis.svd import SoftmaxSVD
from ..analysis.usage import UsageSums
from ..analysis.usage import usage_sums as sums_of
from ..compose.sampling import Tune
from ..vocab import START, Vocabulary
from .model import FolkRNN


@torch.no_grad()
def hidden_states(
    model: FolkRNN, vocabulary: Vocabulary, tunes: Sequence[Sequence[str]], batch_size: int = 32,
) -> list[np.ndarray]:
    """h_t of the last layer for each tune read as ``<s>`` + tokens: (len(tokens) + 1, H) each.

    Tunes are run in padded batches; the LSTM is causal, so padding after a tune never changes its
    states. Unknown tokens raise :class:`~folkrnn.vocab.UnknownTokenError` naming them.
    """
    model.eval()
    encoded = [vocabulary.encode([START, *tokens]) for tokens in tunes]
    out: list[np.ndarray] = []
    for start in range(0, len(encoded), batch_size):
        chunk = encoded[start : start + batch_size]
        width = max(len(e) for e in chunk)
        batch = torch.zeros(len(chunk), width, dtype=torch.long)
        for row, e in enumerate(chunk):
            batch[row, : len(e)] = torch.tensor(e)
        hidden = model(batch).hidden[-1].double().numpy()
        out += [hidden[row, : len(e)].copy() for row, e in enumerate(chunk)]
    return out


def usage_sums(
    model: FolkRNN, vocabulary: Vocabulary, svd: SoftmaxSVD, tunes: Sequence[Tune | Sequence[str]],
    batch_size: int = 32,
) -> UsageSums:
    """:func:`folkrnn.analysis.usage.usage_sums` of ``tunes`` over h_t from the torch network.

    A :class:`~folkrnn.compose.sampling.Tune` that did not end contributes its tokens only; a plain token
    list counts as a full transcription, so its last step predicts ``</s>``.
    """
    tokens = [list(getattr(tune, "tokens", tune)) for tune in tunes]
    return sums_of(tunes, hidden_states(model, vocabulary, tokens, batch_size), svd)
