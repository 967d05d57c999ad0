"""Every per-model computation a page asks for, cached once for every session (:func:`explorer.caching.per_model`).

A page passes the model's weights and plain inputs (tokens, a
:class:`~folkrnn.compose.sampling.SamplingSettings`, a :class:`~folkrnn.analysis.truncation.Truncation`, an
:class:`~folkrnn.compose.interventions.Intervention`: frozen and normalised, so they key a cache as they
are) and gets read-only results. Nothing here lays out an input; long work draws a progress bar around
its cached chunks, so a cached result is instant and an uncached one shows how far it is. The network
runs in ONNX Runtime and numpy, so no page loads torch. The budgets add up to 191 MB
(tests/test_caching.py holds them under 200).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from folkrnn import ModelWeights, softmax_svd
from folkrnn.analysis.input_layer import (
    MatrixSpectrum,
    embedding_gramian,
    top_tokens_of_right_vectors,
    weight_spectra,
)
from folkrnn.analysis.internals import Internals, internals
from folkrnn.analysis.lens import LogitLens, logit_lens
from folkrnn.analysis.similarity import gramian, step_signal
from folkrnn.analysis.truncation import Truncation
from folkrnn.compose.sampling import SamplingSettings, Tune

from .caching import per_model
from .frames import (
    activation_histogram_frame,
    columns_frame,
    right_vector_tokens_frame,
    step_gramian_frame,
    step_matrix_frame,
    token_gramian_frame,
    unit_peaks_frame,
)
from .on_demand import Progress

if TYPE_CHECKING:  # the composing engines load ONNX Runtime, which a page opening needs not
    from folkrnn.compose.interventions import Intervention

SEARCH_SECONDS = 30.0  # a search still running then stops after its block (folkrnn.analysis.search)


# The softmax layer ------------------------------------------------------------------------------

@per_model(max_mb=4)
def columns(weights: ModelWeights) -> pd.DataFrame:
    """Every entry of V as a long table (vocab x H rows)."""
    return columns_frame(weights)


# Composing --------------------------------------------------------------------------------------

def _checked(tunes: list[Tune]) -> list[Tune]:
    """The tunes with their well-formedness verdicts computed, so that the cached tunes carry them
    (checking 50 tunes took about 20 ms of each rerun)."""
    for tune in tunes:
        _ = tune.verdict  # a cached_property: kept in the tune
    return tunes


@per_model(max_mb=8, spinner="Composing…")
def _sampled(weights: ModelWeights, settings: SamplingSettings) -> list[Tune]:
    """The tunes of ``settings`` drawn in one batch: a chunk of :func:`composed`, or the plain side of
    :func:`composed_pair`."""
    from folkrnn.compose.sampling import sample_tunes

    return _checked(sample_tunes(weights, settings))


def composed(weights: ModelWeights, settings: SamplingSettings, label: str = "Composing") -> list[Tune]:
    """The tunes of ``settings``: :func:`folkrnn.compose.sampling.sample_in_chunks`'s, cached chunk by chunk,
    with a progress bar while composing more than one chunk."""
    from folkrnn.compose.sampling import CHUNK, sample_in_chunks

    progress = Progress(label, settings.n, "tunes") if settings.n > CHUNK else None
    tunes = sample_in_chunks(weights, settings, progress=progress and (lambda done, _: progress.update(done)),
                             sample=_sampled)
    if progress:
        progress.close()
    return tunes


@per_model(max_mb=2)
def _usage_chunk(weights: ModelWeights, settings: SamplingSettings):
    from folkrnn.analysis.experiments import read_tunes
    from folkrnn.analysis.usage import usage_sums
    from folkrnn.compose.onnx_step import step_session

    tunes = _sampled(weights, settings)
    readings = read_tunes(step_session(weights), weights, [tune.tokens for tune in tunes])
    return usage_sums(tunes, [reading.hidden[-1] for reading in readings], softmax_svd(weights))


def direction_usage_survey(weights: ModelWeights, settings: SamplingSettings):
    """:class:`~folkrnn.analysis.usage.DirectionUsage` over the tunes of ``settings`` (cached per chunk).

    The tunes are those :func:`composed` gives for the same settings.
    """
    from folkrnn.analysis.usage import UsageSums

    decomposition = softmax_svd(weights)
    progress = Progress("Composing and measuring", settings.n, "tunes")
    sums = UsageSums.zeros(decomposition.rank, weights.hidden_size)
    for part in settings.in_chunks():
        sums = sums + _usage_chunk(weights, part)
        progress.update(sums.tunes)
    progress.close()
    return sums.summary(decomposition)


@per_model(max_mb=4, spinner="Composing with fewer directions…")
def composed_truncated(weights: ModelWeights, truncation: Truncation, settings: SamplingSettings) -> list[Tune]:
    """The tunes of ``settings`` from the model with V truncated.

    The truncated network is built for the occasion and dropped; only the tunes are kept.
    """
    from folkrnn.compose.interventions import compose_truncated

    return _checked(compose_truncated(weights, truncation, settings))


def composed_sweep(weights: ModelWeights, truncations: Sequence[Truncation],
                   settings: SamplingSettings) -> dict[Truncation, list[Tune]]:
    """The tunes of ``settings`` from each softmax layer in turn (cached per layer), with a progress bar."""
    progress = Progress("Composing", len(truncations), "softmax layers")
    tunes = {}
    for truncation in truncations:
        tunes[truncation] = composed_truncated(weights, truncation, settings)
        progress.update(len(tunes))
    progress.close()
    return tunes


@per_model(max_mb=4, spinner="Composing under the intervention…")
def _under(weights: ModelWeights, intervention: Intervention, settings: SamplingSettings) -> list[Tune]:
    from folkrnn.compose.interventions import compose_under

    return _checked(compose_under(weights, intervention, settings))


def composed_pair(weights: ModelWeights, intervention: Intervention,
                  settings: SamplingSettings) -> tuple[list[Tune], list[Tune]]:
    """(the network's own tunes, the tunes under ``intervention``), both drawn as ``settings`` say."""
    return _sampled(weights, settings), _under(weights, intervention, settings)


@per_model(max_mb=4)
def _search(weights: ModelWeights, prefix: Sequence[str], block: int, keep: float, floor: float, max_length: int,
            max_candidates: int, progress=None):
    from folkrnn.analysis.search import beam_search

    return beam_search(weights, prefix, block, keep, floor, max_length, max_candidates, progress, SEARCH_SECONDS)


def searched(weights: ModelWeights, prefix: Sequence[str], block: int, keep: float, floor: float, max_length: int,
             max_candidates: int):
    """:func:`folkrnn.analysis.search.beam_search`, at most :data:`SEARCH_SECONDS` long, with a progress bar
    while it runs."""
    progress = Progress("Searching", max_length, "tokens at most")
    result = _search(weights, prefix, block, keep, floor, max_length, max_candidates, progress=progress.update)
    progress.close()
    return result


# Reading a tune ---------------------------------------------------------------------------------

@per_model(max_mb=16, spinner="Running the network over the tune…")
def activations(weights: ModelWeights, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(hidden (steps, H), logits (steps, vocab)) of the network reading ``<s>`` + tokens in ONNX Runtime."""
    from folkrnn.analysis.experiments import read_tunes
    from folkrnn.compose.onnx_step import step_session

    reading = read_tunes(step_session(weights), weights, [tokens])[0]
    return reading.hidden[-1], reading.logits


@per_model(max_mb=2)
def nll_curves(weights: ModelWeights, tokens: Sequence[str], removed: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Mean NLL per token of a tune under V_k for k = 1..rank, and with each of ``removed`` taken out
    of V in turn."""
    from folkrnn.analysis.truncation import nll_curve, removal_curve, targets_of

    hidden, _ = activations(weights, tokens)
    decomposition, targets = softmax_svd(weights), targets_of(weights.vocabulary, tokens)
    return nll_curve(hidden, decomposition, targets), removal_curve(hidden, decomposition, targets, removed)


@per_model(max_mb=2)
def token_probabilities(weights: ModelWeights, intervention: Intervention, tokens: Sequence[str]) -> np.ndarray:
    """p of each token of a tune (and of ``</s>``) under ``intervention``."""
    from folkrnn.analysis.experiments import next_token_probabilities
    from folkrnn.compose.interventions import InterventionStep

    return next_token_probabilities(InterventionStep(weights, intervention), weights, tokens)


@per_model(max_mb=16)
def hidden_states(weights: ModelWeights, intervention: Intervention, tokens: Sequence[str]) -> list[np.ndarray]:
    """Every layer's h_t, (steps, H), while the network reads a tune under ``intervention``."""
    from folkrnn.analysis.experiments import read_through
    from folkrnn.compose.interventions import InterventionStep

    return read_through(InterventionStep(weights, intervention), weights, tokens)[1]


@per_model(max_mb=2)
def matched(weights: ModelWeights, corpus_key: tuple, selection, min_on: int | None, *, corpus=(),
            progress=None):
    """:func:`folkrnn.analysis.matching.search_corpus` of ``selection`` over ``corpus`` (its tunes' tokens),
    at most :data:`SEARCH_SECONDS` long and the best 50 matches; ``corpus_key`` names the corpus in the
    cache's key (the corpus itself, and ``progress``, which hears the tunes searched, are not part of it)."""
    from folkrnn.analysis.matching import search_corpus
    from folkrnn.compose.onnx_step import step_session

    return search_corpus(step_session(weights), weights, corpus, selection, min_on=min_on, max_matches=50,
                         seconds=SEARCH_SECONDS, progress=progress)


# Inside the LSTM --------------------------------------------------------------------------------

@per_model(max_mb=48, spinner="Running the LSTM over the tune…")
def lstm_internals(weights: ModelWeights, tokens: Sequence[str]) -> Internals:
    """Every layer's gates, cell and output over ``<s>`` + tokens (float64, so a 400-token tune's take 29 MB)."""
    return internals(weights, tokens)


@per_model(max_mb=24)
def lens(weights: ModelWeights, tokens: Sequence[str]) -> LogitLens:
    """The logit lens over ``<s>`` + tokens."""
    return logit_lens(weights, lstm_internals(weights, tokens))


@per_model(max_mb=24)
def layer_tables(weights: ModelWeights, tokens: Sequence[str], layer: int, signal: str,
                 units: Sequence[int], inside: Internals | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(heatmap of ``signal`` of ``layer`` for ``units``, per-layer histograms, per-layer unit peaks), from
    ``inside``, the page's :func:`lstm_internals` of the tune (not part of the key) when it has them: those
    of a long tune are more than their cache keeps (a 1,000-token tune's take 74 MB), and computing them
    twice held both at once."""
    by_layer = [layer_.signal(signal) for layer_ in (inside or lstm_internals(weights, tokens)).layers]
    return (step_matrix_frame(tokens, by_layer[layer - 1], units, "unit", offset=0),
            activation_histogram_frame(by_layer), unit_peaks_frame(by_layer))


@per_model(max_mb=24)
def step_gramian_table(weights: ModelWeights, tokens: Sequence[str], signal: str, layer: int | None,
                       kind: str) -> pd.DataFrame:
    """The Gramian of a signal over the tune's steps, as a long table."""
    return step_gramian_frame(tokens, gramian(step_signal(lstm_internals(weights, tokens), signal, layer), kind))


@per_model(max_mb=6)
def input_layer_tables(weights: ModelWeights, gate: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(token-embedding cosines for ``gate`` or all four, top tokens of its W_x's right singular vectors)."""
    cosines = token_gramian_frame(weights.vocabulary, embedding_gramian(weights, gate))
    right = right_vector_tokens_frame(top_tokens_of_right_vectors(weights, gate or "input", directions=5, k=5))
    return cosines, right


@per_model(max_mb=1, spinner="Taking the SVD of every weight matrix…")
def spectra(weights: ModelWeights) -> list[MatrixSpectrum]:
    """The singular values of every weight matrix (about a second for v2)."""
    return weight_spectra(weights)
