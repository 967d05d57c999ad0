"""The folk-rnn token vocabulary and the token categories that colour every chart.

A model brings its own vocabulary (folk-rnn's ``token2idx``); categories are derived from the
token text alone, so any folk-rnn vocabulary (v2, v3, the Swedish model) gets the same colouring.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources

from .errors import ModelFileError

START = "<s>"
END = "</s>"
MAX_VOCABULARY = 10_000  # folk-rnn's vocabularies have 137 to a few hundred tokens
MAX_TOKEN_LENGTH = 100  # characters; v2's longest token has 6

#: Category names in display order (legend order of every chart).
CATEGORIES = (
    "transcription",
    "meter",
    "mode",
    "measure",
    "grouping",
    "duration",
    "pitch",
    "rest",
    "chord",
    "other",
)

_PITCH = re.compile(r"^[_^=]*[A-Ga-g][,']*$")
_DURATION = re.compile(r"^(\d+|\d*/\d+)?[<>]?$")
_GROUPING = re.compile(r"^\(\d+$")


def token_category(token: str) -> str:
    """The musical category of one token, from its text (see :data:`CATEGORIES`)."""
    if token in (START, END):
        return "transcription"
    if token.startswith("M:"):
        return "meter"
    if token.startswith("K:"):
        return "mode"
    if "|" in token or token == "::":
        return "measure"
    if _GROUPING.match(token):
        return "grouping"
    if token and _DURATION.match(token):
        return "duration"
    if _PITCH.match(token):
        return "pitch"
    if token in ("z", "x"):
        return "rest"
    if token in ("[", "]"):
        return "chord"
    return "other"


class UnknownTokenError(ValueError):
    """Raised when a token sequence holds tokens the vocabulary lacks; ``unknown`` lists them."""

    def __init__(self, unknown: Sequence[str]):
        self.unknown = list(dict.fromkeys(unknown))
        super().__init__(
            f"{len(self.unknown)} unknown token(s): {' '.join(repr(t) for t in self.unknown)}"
        )


@dataclass(frozen=True)
class Vocabulary:
    """Tokens in model index order: ``tokens[i]`` is the token of row i of V."""

    tokens: tuple[str, ...]
    index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        tokens = tuple(self.tokens)
        if len(set(tokens)) != len(tokens):
            raise ValueError("vocabulary has duplicate tokens")
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "index", {t: i for i, t in enumerate(tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    @cached_property
    def categories(self) -> tuple[str, ...]:
        """The category of every token, in index order."""
        return tuple(token_category(t) for t in self.tokens)

    def tokens_of(self, category: str) -> tuple[str, ...]:
        """The tokens of one category (see :data:`CATEGORIES`), in index order."""
        return tuple(t for t, c in zip(self.tokens, self.categories) if c == category)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Indices of ``tokens``; raises :class:`UnknownTokenError` naming every unknown one."""
        tokens = list(tokens)
        unknown = [t for t in tokens if t not in self.index]
        if unknown:
            raise UnknownTokenError(unknown)
        return [self.index[t] for t in tokens]

    def decode(self, indices: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in indices]


def model_vocabulary(tokens: Sequence) -> Vocabulary:
    """A model file's vocabulary, checked before it is built: 2 to MAX_VOCABULARY unique strings of at
    most MAX_TOKEN_LENGTH characters, ``<s>`` and ``</s>`` among them (composing starts and ends there)."""
    if not 2 <= len(tokens) <= MAX_VOCABULARY:
        raise ModelFileError(f"the vocabulary has {len(tokens):,} tokens; a model may have 2 to {MAX_VOCABULARY:,}")
    if not all(isinstance(t, str) and 0 < len(t) <= MAX_TOKEN_LENGTH for t in tokens):
        raise ModelFileError(f"every token must be a string of 1 to {MAX_TOKEN_LENGTH} characters")
    if len(set(tokens)) != len(tokens):
        raise ModelFileError("the vocabulary has duplicate tokens")
    missing = [t for t in (START, END) if t not in tokens]
    if missing:
        raise ModelFileError(f"the vocabulary lacks {' and '.join(missing)}")
    return Vocabulary(tuple(tokens))


def tokenize(text: str) -> list[str]:
    """Split a v2 transcription (space-separated tokens, any line breaks) into tokens."""
    return text.split()


def parse_opening(text: str | None, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The tokens a tune opens with, typed as v2 text (``M:6/8 K:Cmaj |: G``), for sampling or beam
    search to continue; a leading ``<s>`` is dropped (the network reads it first anyway).

    Raises :class:`UnknownTokenError` naming every token the vocabulary lacks, and ValueError for an
    ``<s>`` or ``</s>`` further on: the network would read a tune's start or end in the middle of one.
    """
    tokens = tokenize(text or "")
    if tokens[:1] == [START]:
        tokens = tokens[1:]
    vocabulary.encode(tokens)
    markers = [t for t in tokens if t in (START, END)]
    if markers:
        raise ValueError(f"an opening cannot hold {' or '.join(sorted(set(markers), reverse=True))}: "
                         "the network reads <s> before it and writes </s> to end the tune")
    return tuple(tokens)


def folkrnn_v2_vocabulary() -> Vocabulary:
    """The 137-token folk-rnn v2 vocabulary in the original model's index order."""
    data = (resources.files("folkrnn") / "assets" / "folkrnn_v2_vocab.json").read_text("utf-8")
    return Vocabulary(tuple(json.loads(data)))
