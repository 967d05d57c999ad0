"""Transcriptions in the folk-rnn v2 format and the batches the network trains on.

A file holds tunes separated by blank lines; each tune is ``M:…``, ``K:…`` and a body of
space-separated tokens. Every sequence the network sees is ``<s>`` + tokens + ``</s>``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..vocab import END, START, Vocabulary, tokenize

PAD_TARGET = -100  # ignored by the loss


def parse_transcriptions(text: str) -> list[list[str]]:
    """Tunes of a v2-format text, each as its token list (blank lines separate tunes)."""
    blocks = text.replace("\r\n", "\n").split("\n\n")
    return [tokens for block in blocks if (tokens := tokenize(block))]


def read_transcriptions(path: str | Path) -> list[list[str]]:
    """The tunes of a v2-format file; a file without any is an error, not an empty corpus."""
    tunes = parse_transcriptions(Path(path).read_text(encoding="utf-8"))
    if not tunes:
        raise ValueError(f"{path}: no transcriptions (expected tunes of v2 tokens separated by blank lines)")
    return tunes


def encode_tunes(tunes: Sequence[Sequence[str]], vocabulary: Vocabulary) -> list[np.ndarray]:
    """Each tune as indices of ``<s>`` + tokens + ``</s>`` (unknown tokens raise, listed)."""
    return [np.array(vocabulary.encode([START, *t, END]), dtype=np.int64) for t in tunes]


def validation_split(n: int, fraction: float = 0.05, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """(train, valid) indices: a seeded random ``fraction`` of tunes held out, as folk-rnn did."""
    rng = np.random.RandomState(seed)
    valid = np.sort(rng.choice(n, max(1, int(round(n * fraction))), replace=False))
    train = np.setdiff1d(np.arange(n), valid)
    return train, valid


def pad_batch(sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets) of shape (batch, longest - 1); targets past a sequence's end are ignored."""
    width = max(len(s) for s in sequences) - 1
    inputs = np.zeros((len(sequences), width), dtype=np.int64)
    targets = np.full((len(sequences), width), PAD_TARGET, dtype=np.int64)
    for row, seq in enumerate(sequences):
        inputs[row, : len(seq) - 1] = seq[:-1]
        targets[row, : len(seq) - 1] = seq[1:]
    return inputs, targets


def length_chunks(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator | None = None
) -> list[np.ndarray]:
    """Indices of sequences, in chunks of similar length, in random order when ``rng`` is given.

    Sorting by length (with random tie-breaking) keeps padding small; shuffling the chunk order
    keeps the epoch random.
    """
    lengths = np.asarray(lengths)
    jitter = rng.random(len(lengths)) if rng is not None else np.zeros(len(lengths))
    order = np.lexsort((jitter, lengths))
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(chunks)
    return chunks


def length_batches(
    sequences: Sequence[np.ndarray], batch_size: int, rng: np.random.Generator | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Padded (inputs, targets) batches of similar-length sequences (:func:`length_chunks`)."""
    for chunk in length_chunks([len(s) for s in sequences], batch_size, rng):
        yield pad_batch([sequences[i] for i in chunk])
