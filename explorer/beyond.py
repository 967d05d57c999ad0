"""Streamlit helpers shared by the "beyond the blog" pages: composing controls, cached runs, tune input.

Everything long is cached with ``st.cache_data`` keyed on the model's ``content_hash`` (the weights go
in as an unhashed ``_weights`` argument) and on the inputs (a
:class:`~folkrnn.compose.sampling.SamplingSettings` and a :class:`~folkrnn.analysis.truncation.Truncation`
are frozen dataclasses, which Streamlit hashes by their fields); composing and reading tunes use
folkrnn's own cached ONNX Runtime session, so no page loads torch. Work is
cached in chunks, and the progress bar lives outside the cached functions, so a cached result is
instant and an uncached one shows its progress.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from folkrnn import ModelWeights, UnknownTokenError, Vocabulary
from folkrnn.analysis.truncation import Truncation
from folkrnn.compose.sampling import SamplingSettings, Tune
from folkrnn.vocab import END, START

from .caching import shared
from .models import svd
from .on_demand import Progress
from .widgets import offered

MODELS_CHOICE = "model's choice"
MAX_TUNE_TOKENS = 1000  # a typed tune, as long as the longest the composing controls allow


def seed_tokens(vocabulary: Vocabulary, key_prefix: str = "", columns=None) -> list[str]:
    """Meter and mode selectboxes (the vocabulary's own tokens, or the model's choice): the prefix.

    The mode can be chosen only with a meter, since every tune starts meter then mode.
    """
    meters = [t for t, c in zip(vocabulary.tokens, vocabulary.categories) if c == "meter"]
    modes = [t for t, c in zip(vocabulary.tokens, vocabulary.categories) if c == "mode"]
    cols = columns or st.columns(2)
    with cols[0]:
        meter = offered(st.selectbox, "Meter", [MODELS_CHOICE, *sorted(meters)], key=f"{key_prefix}meter",
                        help="The first token of the tune.")
    with cols[1]:
        mode = offered(st.selectbox, "Mode", [MODELS_CHOICE, *sorted(modes)], key=f"{key_prefix}mode",
                       disabled=meter == MODELS_CHOICE, help="The second token; choose a meter first.")
    if meter == MODELS_CHOICE:
        return []
    return [meter] if mode == MODELS_CHOICE else [meter, mode]


def sampling_controls(key_prefix: str = "", columns=None, temperature: float = 1.0) -> tuple[float, int]:
    """Temperature and RNG seed inputs, kept in the URL."""
    cols = columns or st.columns(2)
    with cols[0]:
        T = st.slider("Temperature", 0.1, 2.0, temperature, step=0.05, key=f"{key_prefix}T", bind="query-params",
                      help="Sampling from softmax(logits / T): lower is more conservative.")
    with cols[1]:
        seed = st.number_input("Random seed", 0, 2**31 - 1, 0, step=1, key=f"{key_prefix}seed",
                               bind="query-params", help="The same seed and settings give the same tunes.")
    return float(T), int(seed)


def composing_controls(vocabulary: Vocabulary, n_label: str = "Tunes", n_max: int = 64, n_default: int = 8,
                       length_default: int = 400, length_help: str | None = None) -> SamplingSettings:
    """The seed tokens, temperature, seed, number of tunes and longest tune of a composing page, in
    the URL (keys meter, mode, T, seed, n, length)."""
    prefix = seed_tokens(vocabulary, columns=st.columns(2))
    cols = st.columns(4)
    T, seed = sampling_controls(columns=cols[:2])
    with cols[2]:
        n = int(st.number_input(n_label, 1, n_max, n_default, key="n", bind="query-params"))
    with cols[3]:
        max_length = longest_tune("length", length_default, length_help)
    return SamplingSettings(n, prefix, T, seed, max_length)


def longest_tune(key: str, default: int = 400, help: str | None = None) -> int:
    """The longest tune to compose, in tokens, kept in the URL under ``key``: at most
    :data:`MAX_TUNE_TOKENS`, and a link can shrink a page's composing with it."""
    return int(st.number_input("Longest tune (tokens)", 20, MAX_TUNE_TOKENS, default, step=10, key=key,
                               bind="query-params", help=help))


def choose_tune(weights: ModelWeights, default: str = "Compose", key_prefix: str = "") -> list[str] | None:
    """A tune to run the network over, composed now or typed (default: the part-5 tune), in the URL
    under keys starting with ``key_prefix``; None, with a message on the page, when the typed text
    is empty or holds unknown tokens."""
    from folkrnn.examples import PART5_TUNE

    sources = ["Compose", "Type"]
    source = st.radio("Tune", sources, index=sources.index(default), key=f"{key_prefix}source", bind="query-params",
                      horizontal=True, captions=["sample one now", "type or paste v2 tokens"])
    if source == "Type":
        text = st.text_area("Tune in folk-rnn v2 tokens", " ".join(PART5_TUNE), key=f"{key_prefix}tokens",
                            bind="query-params",
                            height=100, help="Space-separated tokens; the default is the tune of part 5 of the blog.")
        return parse_tokens(weights.vocabulary, text)
    prefix = seed_tokens(weights.vocabulary, key_prefix, columns=st.columns(2))
    cols = st.columns(3)
    T, seed = sampling_controls(key_prefix, columns=cols[:2])
    with cols[2]:
        max_length = longest_tune(f"{key_prefix}length")
    tune = composed(weights, SamplingSettings(1, prefix, T, seed, max_length))[0]
    verdict = tune.verdict
    st.caption(f"{len(tune.tokens)} tokens · " + ("well-formed" if verdict.ok else f"not well-formed: {verdict.reason}"))
    return tune.tokens


def _checked(tunes: list[Tune]) -> list[Tune]:
    """The tunes with their well-formedness verdicts computed, so that the copies ``st.cache_data``
    hands out on every rerun carry them (checking 50 tunes took about 20 ms of each rerun)."""
    for tune in tunes:
        _ = tune.verdict  # a cached_property: kept in the tune, and pickled with it
    return tunes


@st.cache_data(max_entries=256, show_spinner=False)
def _sample_chunk(_weights: ModelWeights, content_hash: str, settings: SamplingSettings) -> list[Tune]:
    from folkrnn.compose.sampling import sample_tunes

    return _checked(sample_tunes(_weights, settings))


def composed(weights: ModelWeights, settings: SamplingSettings, label: str = "Composing") -> list[Tune]:
    """The tunes of ``settings`` (cached per chunk of 10, with a progress bar while composing).

    The same tunes as :func:`folkrnn.compose.sampling.sample_in_chunks`, cached chunk by chunk.
    """
    parts = settings.in_chunks()
    progress = Progress(label, settings.n, "tunes") if len(parts) > 1 else None
    tunes: list[Tune] = []
    for part in parts:
        tunes += _sample_chunk(weights, weights.content_hash, part)
        if progress:
            progress.update(len(tunes))
    if progress:
        progress.close()
    return tunes


@st.cache_data(max_entries=256, show_spinner=False)
def _usage_chunk(_weights: ModelWeights, content_hash: str, settings: SamplingSettings):
    from folkrnn.analysis.experiments import read_tunes
    from folkrnn.analysis.usage import usage_sums
    from folkrnn.compose.onnx_step import step_session

    tunes = _sample_chunk(_weights, content_hash, settings)
    readings = read_tunes(step_session(_weights), _weights, [tune.tokens for tune in tunes])
    return usage_sums(tunes, [reading.hidden[-1] for reading in readings], svd(_weights))


def direction_usage_survey(weights: ModelWeights, settings: SamplingSettings):
    """:class:`~folkrnn.analysis.usage.DirectionUsage` over the tunes of ``settings`` (cached per chunk).

    The tunes are those :func:`composed` gives for the same settings.
    """
    from folkrnn.analysis.usage import UsageSums

    decomposition = svd(weights)
    progress = Progress("Composing and measuring", settings.n, "tunes")
    sums = UsageSums.zeros(decomposition.rank, weights.hidden_size)
    for part in settings.in_chunks():
        sums = sums + _usage_chunk(weights, weights.content_hash, part)
        progress.update(sums.tunes)
    progress.close()
    return sums.summary(decomposition)


@shared(max_mb=16, spinner="Running the network over the tune…")
def activations(weights: ModelWeights, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(hidden (steps, H), logits (steps, vocab)) of the network reading ``<s>`` + tokens in ONNX Runtime
    (cached, read-only)."""
    from folkrnn.analysis.experiments import read_tunes
    from folkrnn.compose.onnx_step import step_session

    reading = read_tunes(step_session(weights), weights, [tokens])[0]
    return reading.hidden[-1], reading.logits


@st.cache_data(max_entries=64, show_spinner=False)
def _nll_curves(_weights: ModelWeights, content_hash: str, tokens: tuple[str, ...],
                removed: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    from folkrnn.analysis.truncation import nll_curve, removal_curve, targets_of

    hidden, _ = activations(_weights, tokens)
    decomposition, targets = svd(_weights), targets_of(_weights.vocabulary, tokens)
    return nll_curve(hidden, decomposition, targets), removal_curve(hidden, decomposition, targets, removed)


def nll_curves(weights: ModelWeights, tokens: Sequence[str], removed: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Mean NLL per token of a tune under V_k for k = 1..rank, and with each of ``removed`` taken out
    of V in turn (cached: both depend only on the model and the tune)."""
    return _nll_curves(weights, weights.content_hash, tuple(tokens), tuple(int(i) for i in removed))


def _code(token: str) -> str:
    """A token as inline code, safe for any text (markdown-active characters stay literal)."""
    return f"`` {token} ``" if "`" not in token else repr(token).replace("`", "\\`")


def parse_tokens(vocabulary: Vocabulary, text: str) -> list[str] | None:
    """Tokens of a typed tune; shows an error naming unknown tokens (and returns None), an empty tune, or
    one longer than :data:`MAX_TUNE_TOKENS` (split no further than that: a link can carry any text)."""
    tokens = (text or "").split(maxsplit=MAX_TUNE_TOKENS + 2)  # tokenize, with room for <s> and </s>
    if tokens[:1] == [START]:  # the network reads <s> first anyway; </s> is what the last step predicts
        tokens = tokens[1:]
    if tokens[-1:] == [END]:
        tokens = tokens[:-1]
    if not tokens:
        st.info("Type or paste a tune in folk-rnn v2 tokens, separated by spaces.")
        return None
    if len(tokens) > MAX_TUNE_TOKENS:
        st.error(f"This tune is longer than {MAX_TUNE_TOKENS} tokens, the longest a page reads (and composes).",
                 icon=":material/error:")
        return None
    try:
        vocabulary.encode(tokens)
    except UnknownTokenError as exc:
        shown = ", ".join(_code(t) for t in exc.unknown[:20]) + (" …" if len(exc.unknown) > 20 else "")
        st.error(f"{len(exc.unknown)} token(s) are not in this model's vocabulary: {shown}. "
                 "Tokens are separated by spaces, e.g. `M:4/4 K:Cmaj |: G 2 c 2 ...`.",
                 icon=":material/error:")
        return None
    return tokens


@st.cache_data(max_entries=128, show_spinner=False)
def _truncated_tunes(_weights: ModelWeights, content_hash: str, truncation: Truncation,
                     settings: SamplingSettings) -> list[Tune]:
    from folkrnn.compose.interventions import compose_truncated

    return _checked(compose_truncated(_weights, truncation, settings))


def composed_truncated(weights: ModelWeights, truncation: Truncation, settings: SamplingSettings) -> list[Tune]:
    """The tunes of ``settings`` from the model with V truncated (cached).

    The truncated network is built for the occasion and dropped; only the tunes are cached.
    """
    return _truncated_tunes(weights, weights.content_hash, truncation, settings)


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
