"""Where a composed tune came from, written into every file of it that the app or the command line saves.

A tune is drawn again from the same weights (the model's content hash says which), opening,
temperature, seed, batch, length cap and engine. :class:`Provenance` holds them and writes them as an
ABC tune's ``X:``, title and ``N:`` lines, as a MIDI file's track name and text events, and as the
``provenance`` of each tune in ``python -m folkrnn sample --json``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from .. import __version__
from ..music.abc import to_abc
from ..music.midi import tune_midi
from ..weights import ModelWeights
from .sampling import SamplingSettings, Tune

SOFTWARE = f"folkrnn-explorer {__version__}"


@dataclass(frozen=True)
class Provenance:
    """How one composed tune was drawn: enough to draw it again, and to tell which program did."""

    model: str  # the model's name
    model_sha256: str  # its content hash (ModelWeights.content_hash): which weights, exactly
    opening: tuple[str, ...]
    temperature: float
    seed: int | None  # None: fresh entropy, not to be drawn again
    index: int  # the tune's number among those drawn together, from 1 (ABC's X:)
    tunes: int  # how many were drawn together
    max_length: int  # tokens at most, the opening's included
    chunk: int | None = None  # tunes per seed derived from ``seed`` (sample_in_chunks); None: one batch (sample_tunes)
    precision: str = "float32"  # the engine (sample_tunes' precision)
    software: str = SOFTWARE

    @classmethod
    def of(cls, weights: ModelWeights, settings: SamplingSettings, index: int, chunk: int | None = None,
           precision: str = "float32") -> Provenance:
        """The provenance of tune ``index`` (from 1) of those ``settings`` drew from ``weights``."""
        return cls(weights.name, weights.content_hash, settings.prefix, settings.temperature, settings.seed,
                   index, settings.n, settings.max_length, chunk, precision)

    @property
    def title(self) -> str:
        """``folkrnn tune, seed 1234 #3``."""
        return f"folkrnn tune, {'no seed' if self.seed is None else f'seed {self.seed}'} #{self.index}"

    def notes(self) -> list[str]:
        """The provenance as lines of text (ABC's ``N:`` lines, MIDI's text events)."""
        drawn = ("in one batch (folkrnn.compose.sampling.sample_tunes)" if self.chunk is None
                 else f"in chunks of {self.chunk} (folkrnn.compose.sampling.sample_in_chunks)")
        return [f"sampled by {self.software}",
                f"model {self.model}, content sha256 {self.model_sha256}",
                f"opening {' '.join(self.opening) or '(none)'}, temperature {self.temperature:g}, seed {self.seed}",
                f"tune {self.index} of {self.tunes} drawn {drawn}, {self.precision}, at most {self.max_length} tokens"]

    def file_name(self, extension: str) -> str:
        """``folkrnn_seed1234_tune3.mid``: the same name for a download, a zip member and a CLI file."""
        return f"folkrnn_{'noseed' if self.seed is None else f'seed{self.seed}'}_tune{self.index}.{extension}"

    def abc(self, tokens: Sequence[str]) -> str:
        """The tune as ABC headed by its provenance (``X:`` its index, ``T:`` its title, ``N:`` its notes)."""
        return to_abc(tokens, self.index, self.title, self.notes())

    def midi(self, tokens: Sequence[str]) -> bytes:
        """The tune as a Standard MIDI File (:func:`folkrnn.music.midi.tune_midi`) carrying its provenance."""
        return tune_midi(tokens, self.title, self.notes())


def provenances(weights: ModelWeights, settings: SamplingSettings, chunk: int | None = None,
                precision: str = "float32") -> list[Provenance]:
    """The provenance of every tune ``settings`` draw, in order."""
    return [Provenance.of(weights, settings, i, chunk, precision) for i in range(1, settings.n + 1)]


def midi_zip(tunes: Sequence[Tune], origins: Sequence[Provenance]) -> bytes:
    """Every tune's MIDI file, named as its own download, in one zip archive: the same bytes for the
    same tunes (members dated 1980-01-01), so a download can be cached."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for tune, origin in zip(tunes, origins):
            archive.writestr(zipfile.ZipInfo(origin.file_name("mid")), origin.midi(tune.tokens), zipfile.ZIP_DEFLATED)
    return out.getvalue()
