"""Running the network over a tune: h_t and the next-token distribution at every step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..analysis.perturbation import softmax
from ..vocab import START, Vocabulary
from .model import FolkRNN


@dataclass(frozen=True)
class Activations:
    """The network read ``<s>`` + ``tokens``; row t is the state after reading t+1 inputs.

    Step 0 follows ``<s>``; step t (t >= 1) follows ``tokens[t-1]``; ``probabilities[t]`` is the
    distribution over the token at position t. There are len(tokens) + 1 steps.
    """

    tokens: list[str]
    hidden: np.ndarray  # (steps, H): h_t of the last LSTM layer
    logits: np.ndarray  # (steps, vocab): V h_t + v
    layers: list[np.ndarray] | None = None  # every layer's output, when asked for

    @property
    def probabilities(self) -> np.ndarray:
        return softmax(self.logits)

    def token_nll(self, vocabulary: Vocabulary) -> np.ndarray:
        """-log p(token at position t) for t = 0 .. len(tokens)-1 (the model's surprise at each token)."""
        targets = vocabulary.encode(self.tokens)
        logp = np.log(self.probabilities[np.arange(len(targets)), targets])
        return -logp


@torch.no_grad()
def run(model: FolkRNN, vocabulary: Vocabulary, tokens: Sequence[str], all_layers: bool = False) -> Activations:
    """Feed ``<s>`` then ``tokens`` (unknown tokens raise, listed) and record every step."""
    indices = vocabulary.encode([START, *tokens])
    model.eval()
    out = model(torch.tensor([indices]))
    return Activations(
        list(tokens),
        out.hidden[-1][0].double().numpy(),
        out.logits[0].double().numpy(),
        [h[0].double().numpy() for h in out.hidden] if all_layers else None,
    )
