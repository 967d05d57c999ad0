"""Where a composed tune came from, written into every file of it that the app or the command line saves.

A tune is drawn again from the same weights (the model's content hash says which), opening,
temperature, seed, batch, length cap, engine and any change made to the network while it composed
(ablation, steering, forcing, a truncated V). :class:`Provenance` holds them; :class:`SearchProvenance`
holds the settings of a tune found by beam search instead. Both write them as an ABC tune's ``X:``,
title and ``N:`` lines, as a MIDI file's track name and text events, and as the ``provenance`` of
each tune in the command line's ``--json``.
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
from .sampling import SamplingSettings

SOFTWARE = f"folkrnn-explorer {__version__}"


class Origin:
    """A provenance as written into a tune's files: its ``index``, ``title`` and ``notes()`` head the
    tune's ABC and MIDI (:class:`Provenance`, :class:`SearchProvenance`)."""

    def abc(self, tokens: Sequence[str]) -> str:
        """The tune as ABC headed by its provenance (``X:`` its index, ``T:`` its title, ``N:`` its notes)."""
        return to_abc(tokens, self.index, self.title, self.notes())

    def midi(self, tokens: Sequence[str]) -> bytes:
        """The tune as a Standard MIDI File (:func:`folkrnn.music.midi.tune_midi`) carrying its provenance."""
        return tune_midi(tokens, self.title, self.notes())


@dataclass(frozen=True)
class Provenance(Origin):
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
    change: str = ""  # what was changed in the network while it composed (Intervention.describe); "": nothing
    software: str = SOFTWARE

    @classmethod
    def of(cls, weights: ModelWeights, settings: SamplingSettings, index: int, chunk: int | None = None,
           precision: str = "float32", change: str = "") -> Provenance:
        """The provenance of tune ``index`` (from 1) of those ``settings`` drew from ``weights``."""
        return cls(weights.name, weights.content_hash, settings.prefix, settings.temperature, settings.seed,
                   index, settings.n, settings.max_length, chunk, precision, change)

    @property
    def title(self) -> str:
        """``folkrnn tune, seed 1234 #3``, ``… #3, changed``."""
        seed = "no seed" if self.seed is None else f"seed {self.seed}"
        return f"folkrnn tune, {seed} #{self.index}" + (", changed" if self.change else "")

    def notes(self) -> list[str]:
        """The provenance as lines of text (ABC's ``N:`` lines, MIDI's text events)."""
        drawn = ("in one batch (folkrnn.compose.sampling.sample_tunes)" if self.chunk is None
                 else f"in chunks of {self.chunk} (folkrnn.compose.sampling.sample_in_chunks)")
        return [f"sampled by {self.software}",
                f"model {self.model}, content sha256 {self.model_sha256}",
                f"opening {' '.join(self.opening) or '(none)'}, temperature {self.temperature:g}, seed {self.seed}",
                f"tune {self.index} of {self.tunes} drawn {drawn}, {self.precision}, at most {self.max_length} tokens",
                *([f"changed while composing: {self.change}"] if self.change else [])]

    def file_name(self, extension: str) -> str:
        """``folkrnn_seed1234_tune3.mid`` (``…_tune3_changed.mid``): the same name for a download, a zip
        member and a CLI file."""
        seed = "noseed" if self.seed is None else f"seed{self.seed}"
        return f"folkrnn_{seed}_tune{self.index}{'_changed' if self.change else ''}.{extension}"


def provenances(weights: ModelWeights, settings: SamplingSettings, chunk: int | None = None,
                precision: str = "float32", change: str = "") -> list[Provenance]:
    """The provenance of every tune ``settings`` draw, in order (composed with ``change`` made, if any)."""
    return [Provenance.of(weights, settings, i, chunk, precision, change) for i in range(1, settings.n + 1)]


@dataclass(frozen=True)
class SearchProvenance(Origin):
    """How a tune was found by :func:`folkrnn.analysis.search.beam_search` (no seed: the search is
    deterministic, unless it stopped at its time limit, which the notes then say)."""

    model: str
    model_sha256: str
    opening: tuple[str, ...]
    block: int
    keep: float
    floor: float
    max_length: int
    max_candidates: int
    stopped_after_s: float | None = None  # the time limit the search stopped at; None: it did not stop early
    software: str = SOFTWARE
    index = 1  # one tune per file: ABC's X:

    @classmethod
    def of(cls, weights: ModelWeights, prefix: Sequence[str], block: int, keep: float, floor: float,
           max_length: int, max_candidates: int, stopped_after_s: float | None = None) -> SearchProvenance:
        """The provenance of the tune ``beam_search(weights, prefix, block, keep, floor, …)`` found."""
        return cls(weights.name, weights.content_hash, tuple(prefix), int(block), float(keep), float(floor),
                   int(max_length), int(max_candidates), stopped_after_s)

    @property
    def method(self) -> str:
        """``greedy`` (one token a block, all of the vocabulary, no floor: the likeliest token each step)
        or ``beam search``."""
        return "greedy" if self.block == 1 and self.keep == 1.0 and self.floor == 0.0 else "beam search"

    @property
    def title(self) -> str:
        """``folkrnn tune, beam search`` or ``folkrnn tune, greedy``."""
        return f"folkrnn tune, {self.method}"

    def notes(self) -> list[str]:
        """The provenance as lines of text (ABC's ``N:`` lines, MIDI's text events)."""
        return [f"found by {self.software}, {self.method} (folkrnn.analysis.search.beam_search)",
                f"model {self.model}, content sha256 {self.model_sha256}",
                f"opening {' '.join(self.opening) or '(none)'}, block {self.block} tokens, the likeliest "
                f"{self.keep:g} of the vocabulary per depth, joint-probability floor {self.floor:g}",
                f"at most {self.max_candidates} candidates per depth and {self.max_length} tokens",
                *([f"stopped at its time limit of {self.stopped_after_s:g} s: a faster machine finds more"]
                  if self.stopped_after_s is not None else [])]

    def file_name(self, extension: str) -> str:
        """``folkrnn_greedy.abc``, ``folkrnn_beam_block2_keep0.05_floor0.0001.mid``."""
        search = "greedy" if self.method == "greedy" else f"beam_block{self.block}_keep{self.keep:g}_floor{self.floor:g}"
        return f"folkrnn_{search}.{extension}"


def abc_file(tunes: Sequence[Sequence[str]], origins: Sequence[Origin]) -> str:
    """Every tune (its tokens) as ABC headed by its provenance, in one ABC file."""
    return "\n".join(origin.abc(tokens) for tokens, origin in zip(tunes, origins))


def midi_zip(tunes: Sequence[Sequence[str]], origins: Sequence[Origin]) -> bytes:
    """Every tune's (its tokens') MIDI file, named as its own download, in one zip archive: the same bytes
    for the same tunes (members dated 1980-01-01), so a download can be cached."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for tokens, origin in zip(tunes, origins):
            archive.writestr(zipfile.ZipInfo(origin.file_name("mid")), origin.midi(tokens), zipfile.ZIP_DEFLATED)
    return out.getvalue()
