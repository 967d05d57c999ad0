"""Interventions on the network while it composes (Sturm, parts 6 and 7): ablate units, remove or
add directions of the softmax layer, force the input.

:class:`InterventionStep` steps the network in ONNX Runtime, through the composing engine's graph
with the interventions written into it (:func:`folkrnn.compose.onnx_step.step_graph`), and changes it so:

- ``zero_units``: the chosen units of a layer output 0 and keep no cell state (h and c set to 0 from
  the initial state on), so neither the next layer nor the next step sees them;
- ``remove``: h_t of the last layer loses its components along the chosen w_i,
  h_t <- h_t - sum_i (w_i . h_t) w_i, before V reads it and before the next step does;
- ``add``: h_t of the last layer gains sum_i alpha_i w_i at every step;
- ``force``: after the first ``force_after`` inputs, the input becomes two-hot, (1 - beta) x_read +
  beta x_random, with the random token drawn from ``force_tokens`` at every step; one-hot inputs
  make that (1 - beta) of the read token's column of W_ih plus beta of the random one's (b is kept
  whole). The engine counts the inputs it reads: use a new one for every composition.

It has the sampler's engine interface (``start``, ``__call__``), so :func:`folkrnn.compose.sampling.compose`
composes through it with the same seeds as through any engine. :func:`compose_truncated` composes with
V cut to fewer directions (:mod:`folkrnn.analysis.truncation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..analysis.svd import softmax_svd
from ..analysis.truncation import Truncation, truncated_weights
from ..units import format_units
from ..weights import ModelWeights
from .onnx_step import State, StepSession, intervened_session
from .sampling import SamplingSettings, Tune, compose, sample_in_chunks


@dataclass(frozen=True)
class Intervention:
    """What to change while the network runs (see the module's docstring for each field).

    Frozen and normalised like :class:`~folkrnn.compose.sampling.SamplingSettings`: plain ints, floats
    and tuples, units and directions sorted without repeats, layers without units and directions
    added with alpha 0 dropped. So equal interventions are equal and hash alike, and key a cache as they are.
    """

    zero_units: dict[int, tuple[int, ...]] = field(default_factory=dict)  # layer (from 1) -> units (from 0)
    remove: tuple[int, ...] = ()  # directions i (from 1) taken out of the last layer's h_t
    add: dict[int, float] = field(default_factory=dict)  # direction i -> alpha, added to the last layer's h_t
    force: float = 0.0  # beta: the share of a random token in the two-hot input
    force_tokens: tuple[str, ...] = ()  # the random token's choices (e.g. one token category)
    force_after: int = 0  # inputs read as they are before forcing starts (<s> and the prefix, say)
    force_seed: int = 0

    def __post_init__(self):
        plain = {
            "zero_units": {int(layer): tuple(sorted({int(u) for u in units}))
                           for layer, units in sorted(self.zero_units.items()) if len(units)},
            "remove": tuple(sorted({int(i) for i in self.remove})),
            "add": {int(i): float(alpha) for i, alpha in sorted(self.add.items()) if alpha},
            "force": float(self.force), "force_tokens": tuple(map(str, self.force_tokens)),
            "force_after": int(self.force_after), "force_seed": int(self.force_seed),
        }
        for name, value in plain.items():
            object.__setattr__(self, name, value)

    def __hash__(self) -> int:
        return hash((tuple(self.zero_units.items()), self.remove, tuple(self.add.items()), self.force,
                     self.force_tokens, self.force_after, self.force_seed))

    @property
    def empty(self) -> bool:
        return not (any(self.zero_units.values()) or self.remove or any(self.add.values()) or self.force)

    def describe(self) -> str:
        """What it changes, in one line that names every setting (a changed tune's provenance says it):
        'units 0,17,40-59 of layer 3 zeroed; w_1, w_2 removed from h_t; 2 w_3 added to h_t; …'."""
        parts = [f"units {format_units(units)} of layer {layer} zeroed" for layer, units in self.zero_units.items()]
        if self.remove:
            parts.append(f"{', '.join(f'w_{i}' for i in self.remove)} removed from h_t")
        if self.add:
            parts.append(" + ".join(f"{alpha:g} w_{i}" for i, alpha in self.add.items()) + " added to h_t")
        if self.force:
            after = f"after {self.force_after} inputs" if self.force_after else "after <s> and the opening"
            parts.append(f"input forced {after}: beta {self.force:g} of a random token (seed {self.force_seed}) "
                         f"of {' '.join(self.force_tokens)}")
        return "; ".join(parts) or "nothing changed"


class InterventionStep(StepSession):
    """One step of ``weights`` under ``intervention``, for a batch: the intervened ONNX Runtime graph
    (:func:`folkrnn.compose.onnx_step.step_graph`), so an intervention costs little more than the network.
    Unlike a :class:`StepSession` it counts the inputs it reads (for ``force_after``): one per composition."""

    def __init__(self, weights: ModelWeights, intervention: Intervention = Intervention()):
        n_layers, H = weights.num_layers, weights.hidden_size
        masks = [np.ones(H, dtype=np.float32) for _ in range(n_layers)]
        for layer, units in intervention.zero_units.items():
            if not 1 <= layer <= n_layers or any(not 0 <= u < H for u in units):
                raise ValueError(f"zero_units: layer {layer} or units {list(units)} out of range "
                                 f"(layers 1..{n_layers}, units 0..{H - 1})")
            masks[layer - 1][list(units)] = 0.0
        svd = softmax_svd(weights) if intervention.remove or intervention.add else None
        for i in (*intervention.remove, *intervention.add):
            if not 1 <= i <= svd.rank:
                raise ValueError(f"direction {i} is out of range 1..{svd.rank}")
        P = np.eye(H)
        if intervention.remove:
            R = svd.W[:, [i - 1 for i in intervention.remove]]
            P = P - R @ R.T  # h P = h - sum_i (w_i . h) w_i
        offset = sum((a * svd.w(i) for i, a in intervention.add.items()), np.zeros(H))
        if not 0 <= intervention.force <= 1:
            raise ValueError(f"force must be in [0, 1], got {intervention.force}")
        self._force_rows = weights.vocabulary.encode(intervention.force_tokens) if intervention.force else []
        if intervention.force and not self._force_rows:
            raise ValueError("forcing the input needs tokens to draw the random one from")
        super().__init__(weights, intervened_session(weights))
        self._constants.update(P=P.astype(np.float32), offset=offset.astype(np.float32),
                               **{f"mask{l}": m for l, m in enumerate(masks)})
        self._masks = masks
        self._beta, self._force_after, self._read = intervention.force, intervention.force_after, 0
        self._rng = np.random.default_rng(intervention.force_seed)

    def start(self, batch: int) -> State:
        """Every layer's trained initial (h, c), for ``batch`` sequences (zeroed units at 0)."""
        return [(h * m, c * m) for (h, c), m in zip(super().start(batch), self._masks)]

    def _feeds(self, tokens: np.ndarray) -> dict[str, np.ndarray]:
        """The plain graph's inputs, and the two-hot input's: after ``force_after`` inputs read,
        ``beta`` of a random forced token's row."""
        feeds = super()._feeds(tokens)
        self._read += 1
        beta = self._beta if self._read > self._force_after else 0.0
        forced = self._rng.choice(self._force_rows, size=len(tokens)).astype(np.int64) if beta else feeds["tokens"]
        feeds.update(forced=forced, keep=np.array([1.0 - beta], np.float32), beta=np.array([beta], np.float32))
        return feeds


def compose_under(weights: ModelWeights, intervention: Intervention, settings: SamplingSettings) -> list[Tune]:
    """The tunes of ``settings`` composed under ``intervention``, drawn exactly as
    :func:`folkrnn.compose.sampling.sample_tunes` draws them from the network itself."""
    if intervention.force and not intervention.force_after:  # <s> and the prefix are read as they are
        intervention = replace(intervention, force_after=1 + len(settings.prefix))
    return compose(InterventionStep(weights, intervention), weights, settings)


def compose_truncated(weights: ModelWeights, truncation: Truncation, settings: SamplingSettings) -> list[Tune]:
    """The tunes of ``settings`` composed by the network with V truncated
    (:func:`folkrnn.analysis.truncation.truncated_weights`), in chunks like
    :func:`folkrnn.compose.sampling.sample_in_chunks`."""
    return sample_in_chunks(truncated_weights(weights, truncation.k, truncation.remove), settings)
