"""Composing tunes: sampling token by token from the network, many tunes at once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import torch

from .abc import to_abc
from .model import FolkRNN
from .vocab import END, START, Vocabulary
from .wellformed import WellFormedness, check_tune


PRECISIONS = {"float32": torch.float32, "bfloat16": torch.bfloat16}


@dataclass(frozen=True)
class Tune:
    tokens: list[str]  # the transcription: prefix and sampled tokens, without <s> and </s>
    ended: bool  # whether the model wrote </s> within the length cap

    @cached_property
    def verdict(self) -> WellFormedness:
        """The well-formedness check, run on first use and kept with the tune (sampling need not pay
        for it: about 0.5 ms a tune, and the direction-usage survey never asks)."""
        return check_tune(self.tokens, self.ended)

    def abc(self, index: int = 1) -> str:
        return to_abc(self.tokens, index=index)


@torch.inference_mode()
def sample_tunes(
    model: FolkRNN,
    vocabulary: Vocabulary,
    n: int = 1,
    prefix: Sequence[str] = (),
    temperature: float = 1.0,
    seed: int | None = None,
    max_length: int = 1000,
    precision: str = "float32",
) -> list[Tune]:
    """Sample ``n`` tunes in one batch, each starting ``<s>`` + ``prefix``, at temperature T.

    The same ``seed`` (with the same n, prefix and T) gives the same tunes. A tune stops at ``</s>``
    or after ``max_length`` tokens in all. ``precision="bfloat16"`` steps with bf16 matrices
    (see :class:`folkrnn.model.Stepper`): faster in batches, from a very slightly rounded network.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
    generator = torch.Generator().manual_seed(seed if seed is not None else torch.seed())
    model.eval()
    step = model.stepper(PRECISIONS[precision])
    state = [(h.expand(n, -1), c.expand(n, -1)) for h, c in zip(model.h0, model.c0)]  # (batch, H) per layer
    for token in vocabulary.encode([START, *prefix]):  # a prefix is short: stepping beats nn.LSTM's set-up
        logits, state = step(torch.full((n,), token), state)
    end = vocabulary.index.get(END, -1)
    steps = max(0, max_length - len(prefix))
    sampled = torch.full((n, steps), end, dtype=torch.long)
    finished = torch.zeros(n, dtype=torch.bool)
    for t in range(steps):
        nxt = torch.where(finished, end, draw(logits, temperature, generator))
        sampled[:, t] = nxt
        finished |= nxt == end
        if finished.all():
            sampled = sampled[:, : t + 1]
            break
        logits, state = step(nxt, state)
    tunes = []
    for row in sampled.tolist():
        body = vocabulary.decode(row)
        ended = END in body
        tunes.append(Tune([*prefix, *body[: body.index(END)]] if ended else [*prefix, *body], ended))
    return tunes


def draw(logits: torch.Tensor, temperature: float, generator: torch.Generator) -> torch.Tensor:
    """One token per row of ``logits`` (batch, vocab), drawn from softmax(logits / T).

    The Gumbel-max trick: argmax(logits / T + G) with G = -log(-log U), U uniform, is exactly such a
    draw, and costs a third of ``torch.multinomial`` on the softmax for a batch of 64.
    """
    u = torch.rand(logits.shape, generator=generator)
    return torch.argmax(logits / temperature - torch.log(-torch.log(u)), dim=1)
