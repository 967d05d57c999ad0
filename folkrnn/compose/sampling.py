"""Composing tunes: sampling token by token from the network, many tunes at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

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


CHUNK = 10  # tunes sampled together, each chunk with its own seed


@dataclass(frozen=True)
class SamplingSettings:
    """How tunes are drawn: ``n`` tunes, each starting ``<s>`` + ``prefix``, at temperature T, from
    ``seed`` (None: fresh entropy), each stopping at ``</s>`` or after ``max_length`` tokens in all.

    Frozen, with its fields normalised to plain int, float, str and tuple, so that equal settings are
    equal, hash alike and key a cache (``st.cache_data`` hashes a dataclass by its fields and their types).
    """

    n: int = 1
    prefix: tuple[str, ...] = ()
    temperature: float = 1.0
    seed: int | None = None
    max_length: int = 1000

    def __post_init__(self):
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        plain = {"n": int(self.n), "prefix": tuple(map(str, self.prefix)), "temperature": float(self.temperature),
                 "seed": None if self.seed is None else int(self.seed), "max_length": int(self.max_length)}
        for name, value in plain.items():
            object.__setattr__(self, name, value)

    def in_chunks(self, size: int = CHUNK) -> list[SamplingSettings]:
        """The settings of each chunk of ``size`` tunes (the last one shorter), each with its own seed
        (:func:`chunk_seed`), so that any chunk can be composed, and cached, on its own."""
        return [replace(self, n=min(size, self.n - start), seed=None if self.seed is None else chunk_seed(self.seed, c))
                for c, start in enumerate(range(0, self.n, size))]


def sample_tunes(weights: ModelWeights, settings: SamplingSettings = SamplingSettings(),
                 precision: str = "float32") -> list[Tune]:
    """Tunes drawn from the network in one batch, as ``settings`` say; the same settings give the same tunes.

    ``precision="float32"`` runs the exact network in ONNX Runtime (:mod:`folkrnn.compose.onnx_step`);
    ``"bfloat16"`` steps it in PyTorch with bf16-rounded matrices (:class:`folkrnn.compose.torch_step.Stepper`),
    about 1.4 times as fast for a batch of 64 on CPUs with native bf16. Either engine is built on the
    first call for a model and then reused.
    """
    if precision not in ENGINES:
        raise ValueError(f"precision must be one of {sorted(ENGINES)}, got {precision!r}")
    return compose(ENGINES[precision](weights), weights, settings)


def compose(step, weights: ModelWeights, settings: SamplingSettings) -> list[Tune]:
    """:func:`sample_tunes` through the engine ``step`` (``step.start(n)`` gives the initial state,
    ``step(tokens, state)`` the logits and the next state): the same seed draws the same way through
    any engine, so an engine that changes the network (:mod:`folkrnn.compose.interventions`) can be set
    against the network itself, tune by tune."""
    n, prefix = settings.n, settings.prefix
    vocabulary = weights.vocabulary
    rng = np.random.default_rng(settings.seed)
    state = step.start(n)
    for token in vocabulary.encode([START, *prefix]):
        logits, state = step(np.full(n, token), state)
    end = vocabulary.index.get(END, -1)
    steps = max(0, settings.max_length - len(prefix))
    sampled = np.full((n, steps), end)
    finished = np.zeros(n, dtype=bool)
    for t in range(steps):
        nxt = np.where(finished, end, draw(logits, settings.temperature, rng))
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


def sample_in_chunks(weights: ModelWeights, settings: SamplingSettings, chunk: int = CHUNK,
                     progress: Callable[[int, int], None] | None = None,
                     sample: Callable[[ModelWeights, SamplingSettings], list[Tune]] | None = None) -> list[Tune]:
    """The tunes of ``settings`` sampled ``chunk`` at a time (reporting progress), reproducible from its seed.
    ``sample`` composes one chunk (default :func:`sample_tunes`; the app passes its cached one)."""
    tunes: list[Tune] = []
    for part in settings.in_chunks(chunk):
        tunes += (sample or sample_tunes)(weights, part)
        if progress:
            progress(len(tunes), settings.n)
    return tunes
