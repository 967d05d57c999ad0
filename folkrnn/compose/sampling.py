"""Composing tunes: sampling token by token from the network, many tunes at once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence

import numpy as np

from ..cache import WeightsCache
from ..music.abc import to_abc
from ..music.wellformed import WellFormedness, check_tune
from ..vocab import END, START
from ..weights import ModelWeights


def _float32_session(weights: ModelWeights):
    from .onnx_step import step_session  # ONNX Runtime loads on the first composition, not with Tune

    return step_session(weights)


def _bfloat16_stepper(weights: ModelWeights):
    import torch

    from .torch_step import Stepper

    return Stepper(weights, torch.bfloat16)


ENGINES = {
    "float32": _float32_session,  # ONNX Runtime, the exact network: fastest for one tune
    "bfloat16": WeightsCache(_bfloat16_stepper, key=lambda weights: weights.content_hash, maxsize=2),
}
"""The engine that steps the network, per precision, one built per model content and kept."""


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


def sample_tunes(
    weights: ModelWeights,
    n: int = 1,
    prefix: Sequence[str] = (),
    temperature: float = 1.0,
    seed: int | None = None,
    max_length: int = 1000,
    precision: str = "float32",
) -> list[Tune]:
    """Sample ``n`` tunes in one batch, each starting ``<s>`` + ``prefix``, at temperature T.

    The same ``seed`` (with the same n, prefix and T) gives the same tunes. A tune stops at ``</s>``
    or after ``max_length`` tokens in all. ``precision="float32"`` runs the exact network in ONNX
    Runtime (:mod:`folkrnn.compose.onnx_step`); ``"bfloat16"`` steps it in PyTorch with bf16-rounded matrices
    (:class:`folkrnn.compose.torch_step.Stepper`), about 1.4 times as fast for a batch of 64 on CPUs with native
    bf16. Either engine is built on the first call for a model and then reused.
    """
    if precision not in ENGINES:
        raise ValueError(f"precision must be one of {sorted(ENGINES)}, got {precision!r}")
    return compose(ENGINES[precision](weights), weights, n, prefix, temperature, seed, max_length)


def compose(
    step, weights: ModelWeights, n: int = 1, prefix: Sequence[str] = (), temperature: float = 1.0,
    seed: int | None = None, max_length: int = 1000,
) -> list[Tune]:
    """:func:`sample_tunes` through the engine ``step`` (``step.start(n)`` gives the initial state,
    ``step(tokens, state)`` the logits and the next state): the same seed draws the same way through
    any engine, so an engine that changes the network (:mod:`folkrnn.compose.interventions`) can be set
    against the network itself, tune by tune."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    vocabulary = weights.vocabulary
    rng = np.random.default_rng(seed)
    state = step.start(n)
    for token in vocabulary.encode([START, *prefix]):
        logits, state = step(np.full(n, token), state)
    end = vocabulary.index.get(END, -1)
    steps = max(0, max_length - len(prefix))
    sampled = np.full((n, steps), end)
    finished = np.zeros(n, dtype=bool)
    for t in range(steps):
        nxt = np.where(finished, end, draw(logits, temperature, rng))
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


def draw(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """One token per row of ``logits`` (batch, vocab), drawn from softmax(logits / T).

    The Gumbel-max trick: argmax(logits / T + G), with G drawn from the standard Gumbel
    distribution, is exactly such a draw, without computing the softmax.
    """
    return np.argmax(logits / temperature + rng.gumbel(size=logits.shape), axis=1)


def chunk_seed(seed: int, chunk: int) -> int:
    """The sampling seed of chunk ``chunk`` of a batch sampled with ``seed`` (distinct per pair)."""
    return int(np.random.SeedSequence([int(seed), int(chunk)]).generate_state(1)[0])


CHUNK = 10  # tunes sampled together, each chunk with its own seed


def chunks(n: int, size: int = CHUNK) -> list[tuple[int, int]]:
    """(chunk index, tunes in it) for n tunes sampled ``size`` at a time."""
    return [(c, min(size, n - start)) for c, start in enumerate(range(0, n, size))]


def sample_in_chunks(
    weights: ModelWeights, n: int, prefix: Sequence[str] = (), temperature: float = 1.0,
    seed: int = 0, max_length: int = 1000, chunk: int = CHUNK, progress: Callable[[int, int], None] | None = None,
) -> list[Tune]:
    """``n`` tunes sampled ``chunk`` at a time (reporting progress); reproducible from ``seed``."""
    tunes: list[Tune] = []
    for c, size in chunks(n, chunk):
        tunes += sample_tunes(weights, size, prefix, temperature, chunk_seed(seed, c), max_length)
        if progress:
            progress(len(tunes), n)
    return tunes
