"""Every input a page offers, each kept in the URL and returning a package value: tokens, a
:class:`~folkrnn.compose.sampling.SamplingSettings`, an :class:`~folkrnn.compose.interventions.Intervention`,
a direction, a reference corpus.

Bounds and options that follow the tune or the model go through :func:`ranged` and :func:`offered`, so
a value kept from another model or given by a link never stops a page. Bad text (unknown tokens, an
unreadable unit list) is named on the page and the control returns None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from folkrnn import ModelWeights, UnknownTokenError, Vocabulary
from folkrnn.compose.sampling import SamplingSettings
from folkrnn.examples import PART5_TUNE
from folkrnn.music.wellformed import MAX_TUNE_TOKENS  # a typed tune, as long as the longest composed
from folkrnn.vocab import END, START

if TYPE_CHECKING:  # the composing engines load ONNX Runtime, which a page opening needs not
    from folkrnn.compose.interventions import Intervention

MODELS_CHOICE = "model's choice"


def ranged(widget: Callable, label: str, low, high, value, *, key: str, **kwargs):
    """``widget`` (st.slider or st.number_input) in the URL under ``key``, for bounds that follow the tune
    or the model (a step of the tune, a unit, a direction): the value it kept from the last run, or that
    the URL gave, is clamped into [low, high] before it is laid out, and so is ``value``, the default.

    A slider whose bounds change is a new widget that takes its key's kept value: step 146 of a long
    tune, kept while a shorter one takes its place, stopped the page (StreamlitValueAboveMaxError).
    A range of one value (a model of one unit) offers no choice: that value, with no widget (a slider
    refuses equal bounds).
    """
    if low == high:
        return low
    kept = st.session_state.get(key)
    if kept is not None and not low <= kept <= high:
        st.session_state[key] = min(max(kept, low), high)  # the state says the value: no default beside it
        return widget(label, low, high, key=key, bind="query-params", **kwargs)
    return widget(label, low, high, min(max(value, low), high), key=key, bind="query-params", **kwargs)


def offered(widget: Callable, label: str, options: Sequence, *, key: str, **kwargs):
    """``widget`` (st.selectbox, st.radio, st.segmented_control or st.multiselect) in the URL under
    ``key``, for options that follow the model (its layers, tokens, directions): a kept choice the
    options no longer hold is dropped before it is laid out, so the widget shows its default (or, for
    a multiselect, the kept choices still offered) instead of a layer or token the model lacks; a
    multiselect's ``default`` keeps only what is offered."""
    kept = st.session_state.get(key)
    if isinstance(kept, list) and not set(kept) <= set(options):
        st.session_state[key] = [v for v in kept if v in options]
        kwargs.pop("default", None)  # the state now says what is chosen (Streamlit warns of both)
    elif kept is not None and not isinstance(kept, list) and kept not in options:
        del st.session_state[key]
    if isinstance(kwargs.get("default"), list):
        kwargs["default"] = [v for v in kwargs["default"] if v in options]
    return widget(label, options, key=key, bind="query-params", **kwargs)


def direction_input(label: str, rank: int, key: str, default: int = 1) -> int:
    """A direction number i in 1..rank, kept in the URL under ``key``."""
    return int(ranged(st.number_input, label, 1, rank, default, key=key, step=1))


# Tunes ------------------------------------------------------------------------------------------

def _code(token: str) -> str:
    """A token as inline code, safe for any text (markdown-active characters stay literal)."""
    return f"`` {token} ``" if "`" not in token else repr(token).replace("`", "\\`")


def _unknown(exc: UnknownTokenError) -> str:
    """An error naming the unknown tokens (the first 20) and how tokens are written."""
    shown = ", ".join(_code(t) for t in exc.unknown[:20]) + (" …" if len(exc.unknown) > 20 else "")
    return (f"{len(exc.unknown)} token(s) are not in this model's vocabulary: {shown}. "
            "Tokens are separated by spaces, e.g. `M:4/4 K:Cmaj |: G 2 c 2 ...`.")


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
        st.error(_unknown(exc), icon=":material/error:")
        return None
    return tokens


def typed_tune(vocabulary: Vocabulary, key: str = "tokens", help: str = "The default is the tune of part 5 of the blog.",
               height: int = 100) -> list[str] | None:
    """A tune typed or pasted in v2 tokens (the part-5 tune at first), kept in the URL under ``key``; None,
    with the reason on the page, when it is empty, too long or holds unknown tokens (:func:`parse_tokens`)."""
    text = st.text_area("Tune in folk-rnn v2 tokens", " ".join(PART5_TUNE), key=key, bind="query-params",
                        height=height, help=f"Space-separated tokens. {help}")
    return parse_tokens(vocabulary, text)


def seed_tokens(vocabulary: Vocabulary, key_prefix: str = "", columns=None) -> list[str]:
    """Meter and mode selectboxes (the vocabulary's own tokens, or the model's choice): the prefix.

    The mode can be chosen only with a meter, since every tune starts meter then mode.
    """
    meters, modes = vocabulary.tokens_of("meter"), vocabulary.tokens_of("mode")
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


def opening(vocabulary: Vocabulary, prefix: Sequence[str], key: str = "opening") -> tuple[str, ...] | None:
    """The tokens a tune opens with after its meter and mode (``prefix``), typed in v2 tokens and kept in
    the URL under ``key``: ``prefix`` and them (:func:`folkrnn.vocab.parse_opening`, as the command line's
    ``--prefix``); None, with the unknown tokens named, when the text cannot open a tune."""
    from folkrnn.vocab import parse_opening

    ready = len(prefix) == 2
    text = st.text_input("Opening", "", key=key, bind="query-params", disabled=not ready,
                         placeholder="e.g. |: G 2 c 2" if ready else "choose a meter and a mode first",
                         help="v2 tokens the tune starts with after its meter and mode; the model continues it.")
    try:
        return (*prefix, *parse_opening(text if ready else "", vocabulary))
    except UnknownTokenError as exc:
        st.error(_unknown(exc), icon=":material/error:")
    except ValueError as exc:
        st.error(f"{str(exc)[0].upper()}{str(exc)[1:]}.", icon=":material/error:")
    return None


def _draw_seed(key: str) -> None:
    st.session_state[key] = int(np.random.default_rng().integers(2**31))


def new_seed_button(key: str = "seed") -> None:
    """A button that draws a fresh random seed into the seed input ``key`` (and so into the URL, so that
    a link still gives the same tunes). Not for a form: a form holds only its submit button."""
    st.button("New seed", key=f"new_{key}", on_click=_draw_seed, args=(key,), icon=":material/casino:",
              help="Draw a random seed: new tunes, and a URL that composes them again.")


def sampling_controls(key_prefix: str = "", columns=None, temperature: float = 1.0) -> tuple[float, int]:
    """Temperature and RNG seed inputs, kept in the URL."""
    cols = columns or st.columns(2)
    with cols[0]:
        T = st.slider("Temperature", 0.1, 2.0, temperature, step=0.05, key=f"{key_prefix}T", bind="query-params",
                      help="Sampling from softmax(logits / T): lower is more conservative.")
    with cols[1]:
        seed = st.number_input("Random seed", 0, 2**31 - 1, step=1, key=f"{key_prefix}seed",  # 0 at first
                               bind="query-params", help="The same seed and settings give the same tunes.")
    return float(T), int(seed)


def longest_tune(key: str, default: int = 400, help: str | None = None) -> int:
    """The longest tune to compose, in tokens, kept in the URL under ``key``: at most
    :data:`MAX_TUNE_TOKENS`, and a link can shrink a page's composing with it."""
    return int(st.number_input("Longest tune (tokens)", 20, MAX_TUNE_TOKENS, default, step=10, key=key,
                               bind="query-params", help=help))


def composing_controls(vocabulary: Vocabulary, n_label: str = "Tunes", n_max: int = 64, n_default: int = 8,
                       length_default: int = 400, length_help: str | None = None,
                       with_opening: bool = False) -> SamplingSettings | None:
    """The seed tokens, temperature, seed, number of tunes and longest tune of a composing page, in
    the URL (keys meter, mode, T, seed, n, length); ``with_opening``, also the :func:`opening` after
    meter and mode (key opening), and None while it cannot open a tune."""
    prefix = seed_tokens(vocabulary, columns=st.columns(2))
    if with_opening:
        prefix = opening(vocabulary, prefix)
    cols = st.columns(4)
    T, seed = sampling_controls(columns=cols[:2])
    with cols[2]:
        n = int(st.number_input(n_label, 1, n_max, n_default, key="n", bind="query-params"))
    with cols[3]:
        max_length = longest_tune("length", length_default, length_help)
    return None if prefix is None else SamplingSettings(n, prefix, T, seed, max_length)


def choose_tune(weights: ModelWeights, default: str = "Compose", key_prefix: str = "") -> list[str] | None:
    """A tune to run the network over, composed now or typed (default: the part-5 tune), in the URL
    under keys starting with ``key_prefix``; None, with a message on the page, when the typed text
    is empty or holds unknown tokens."""
    from .compute import composed

    sources = ["Compose", "Type"]
    source = st.radio("Tune", sources, index=sources.index(default), key=f"{key_prefix}source", bind="query-params",
                      horizontal=True, captions=["sample one now", "type or paste v2 tokens"])
    if source == "Type":
        return typed_tune(weights.vocabulary, f"{key_prefix}tokens")
    prefix = seed_tokens(weights.vocabulary, key_prefix, columns=st.columns(2))
    cols = st.columns(3)
    T, seed = sampling_controls(key_prefix, columns=cols[:2])
    with cols[2]:
        max_length = longest_tune(f"{key_prefix}length")
    tune = composed(weights, SamplingSettings(1, prefix, T, seed, max_length))[0]
    verdict = tune.verdict
    st.caption(f"{len(tune.tokens)} tokens · " + ("well-formed" if verdict.ok else f"not well-formed: {verdict.reason}"))
    return tune.tokens


def tune_to_read(weights: ModelWeights, default: str = "Type") -> list[str]:
    """:func:`choose_tune`'s tune (typed, the part-5 tune at first, by default); without one the page stops
    here, the reason shown."""
    tokens = choose_tune(weights, default)
    if not tokens:
        st.stop()
    return tokens


# Interventions ----------------------------------------------------------------------------------

def intervention_controls(weights: ModelWeights) -> Intervention | None:
    """Widgets for units to zero (per layer), directions to remove and one direction to add; their
    intervention, or None (with the error shown) when a unit list cannot be read."""
    from folkrnn.compose.interventions import Intervention
    from folkrnn.units import parse_units

    H = weights.hidden_size
    rank = min(len(weights.vocabulary), H)
    cols = st.columns(3)
    zero = {}
    with cols[0]:
        for layer in range(1, weights.num_layers + 1):
            text = st.text_input(f"Units to zero in layer {layer}", "", key=f"zero{layer}", bind="query-params",
                                 help=f"Unit numbers 0 … {H - 1}, with ranges: e.g. 3, 17, 40-59")
            try:
                units = parse_units(text, H)
            except ValueError as exc:
                st.error(f"Layer {layer}: {exc}.")
                return None
            if units:
                zero[layer] = units
    with cols[1]:
        remove = offered(st.multiselect, "Directions w_i to remove from h_t", list(range(1, rank + 1)), key="remove",
                         help="h_t ← h_t − Σ (w_i · h_t) w_i in the last layer, every step")
    with cols[2]:
        i = int(ranged(st.number_input, "Direction to add", 1, rank, 1, key="add_i"))
        alpha = float(st.slider("α (h_t ← h_t + α w_i)", -5.0, 5.0, 0.0, step=0.25, key="alpha", bind="query-params"))
    return Intervention(zero_units=zero, remove=tuple(remove), add={i: alpha})


# A reference corpus -----------------------------------------------------------------------------

@st.cache_resource(max_entries=4, show_spinner="Reading the reference corpus…")
def _reference(_data: bytes, file_id: str, vocabulary_tokens: tuple[str, ...]):
    from folkrnn.analysis.copying import read_reference

    return read_reference(_data, Vocabulary(vocabulary_tokens))


def reference_corpus(weights: ModelWeights):
    """The reference corpus the user uploads (v2 transcriptions, e.g. folk-rnn's data_v2), read and
    indexed once per file; None, with a message, before a file is chosen or when it is refused."""
    from folkrnn.analysis.copying import CorpusError

    file = st.file_uploader("Reference corpus: folk-rnn v2 transcriptions (.txt), e.g. data_v2", type=["txt"],
                            key="reference", help="Tunes of M:, K: and body tokens separated by blank lines. "
                            "The project ships no corpus: data_v2 is in the public folk-rnn repository.")
    if file is None:
        st.info("Choose a reference corpus to compare with: folk-rnn's data_v2 (in the public folk-rnn "
                "repository, data/data_v2) or any file of v2 transcriptions.")
        return None
    try:
        return _reference(file.getvalue(), file.file_id, weights.vocabulary.tokens)
    except CorpusError as exc:
        st.error(f"Could not use {file.name}: {exc}.")
        return None
