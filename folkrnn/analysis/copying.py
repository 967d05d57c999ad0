"""Is it copying? (Sturm, part 5): a tune against a reference corpus of transcriptions.

For a composed or typed tune, the reference tunes that share most of its n-grams of tokens (the
meter and mode tokens left out: every tune has them), with the longest run of tokens each shares
with it and their normalised edit distance over tokens; and population statistics (meter, mode,
length, bars) of many tunes, to set composed tunes against a corpus. The reference is the user's
own file (folk-rnn's data_v2 or any v2-format file); the project ships none.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from ..music.transcriptions import parse_transcriptions
from ..music.wellformed import split_header
from ..vocab import UnknownTokenError, Vocabulary, token_category

MAX_REFERENCE_BYTES = 64 * 2**20  # data_v2 is 8.8 MB


class CorpusError(ValueError):
    """A reference corpus that cannot be used: empty, not v2 transcriptions, or unknown tokens."""


def body(tokens: Sequence[str]) -> list[str]:
    """A tune's tokens after its meter and mode tokens."""
    return split_header(tokens)[2]


def ngrams(tokens: Sequence[str], n: int, bar_lines: bool = True) -> set[tuple[str, ...]]:
    """The distinct runs of ``n`` consecutive tokens of a tune's body; without ``bar_lines`` they are left
    out first (the same notes are often barred or repeated differently in two settings of one tune)."""
    b = [t for t in body(tokens) if bar_lines or token_category(t) != "measure"]
    return {tuple(b[i : i + n]) for i in range(len(b) - n + 1)}


def longest_shared_run(a: Sequence[str], b: Sequence[str]) -> int:
    """The length, in tokens, of the longest run of tokens that ``a`` and ``b`` both hold."""
    a, b = list(a), list(b)
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def edit_distance(a: Sequence[str], b: Sequence[str]) -> float:
    """Levenshtein distance over tokens, divided by the longer tune's length (0: the same tune)."""
    return float(Levenshtein.normalized_distance(list(a), list(b)))


@dataclass(frozen=True)
class Match:
    index: int  # position of the reference tune in the corpus
    tokens: list[str]
    shared: float  # share of the tune's n-grams that the reference tune holds too
    longest_run: int  # tokens
    edit_distance: float  # normalised, over the tunes' bodies


class Reference:
    """A corpus of tunes with an index from n-grams to the tunes that hold them (built per n); with
    ``bar_lines`` False its n-grams and those of the tunes set against it leave bar lines out."""

    def __init__(self, tunes: Sequence[Sequence[str]], bar_lines: bool = True):
        if not tunes:
            raise CorpusError("the reference corpus holds no tunes")
        self.tunes = [list(t) for t in tunes]
        self.bar_lines = bar_lines
        self._index: dict[int, dict[tuple[str, ...], list[int]]] = {}

    def _postings(self, n: int) -> dict[tuple[str, ...], list[int]]:
        if n not in self._index:
            index = defaultdict(list)
            for i, tune in enumerate(self.tunes):
                for gram in ngrams(tune, n, self.bar_lines):
                    index[gram].append(i)
            self._index[n] = index
        return self._index[n]

    def _shared(self, tune: Sequence[str], n: int) -> tuple[int, Counter]:
        """How many distinct n-grams ``tune`` has, and per reference tune how many of them it holds."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        grams, postings = ngrams(tune, n, self.bar_lines), self._postings(n)
        return len(grams), Counter(i for gram in grams for i in postings.get(gram, ()))

    def nearest(self, tune: Sequence[str], n: int = 6, k: int = 5) -> list[Match]:
        """The ``k`` reference tunes sharing most of ``tune``'s n-grams (ties: corpus order); a tune
        sharing none is never listed."""
        total, counts = self._shared(tune, n)
        if not total:
            raise ValueError(f"the tune's body is shorter than n = {n} tokens")
        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        mine = body(tune)
        return [Match(i, self.tunes[i], c / total, longest_shared_run(mine, body(self.tunes[i])),
                      edit_distance(mine, body(self.tunes[i]))) for i, c in best]

    def closest_shares(self, tunes: Sequence[Sequence[str]], n: int = 6) -> np.ndarray:
        """For each tune, the largest share of its n-grams that one reference tune also holds (0 for a
        tune with none): how close the nearest reference tune, in data_v2 often another setting of the
        same tune, comes to it."""
        shares = np.zeros(len(tunes))
        for j, tune in enumerate(tunes):
            total, counts = self._shared(tune, n)
            shares[j] = max(counts.values()) / total if counts else 0.0
        return shares


def read_reference(source: str | Path | bytes, vocabulary: Vocabulary) -> Reference:
    """A reference corpus from a v2-format file (a path, or an upload's bytes), checked: not empty,
    every tune opening with its meter and mode tokens, every token in ``vocabulary``."""
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        try:
            if path.stat().st_size > MAX_REFERENCE_BYTES:
                raise CorpusError(f"{path}: over {MAX_REFERENCE_BYTES:,} bytes")
            data = path.read_bytes()
        except OSError as exc:
            raise CorpusError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if len(data) > MAX_REFERENCE_BYTES:
        raise CorpusError(f"the reference file is over {MAX_REFERENCE_BYTES:,} bytes")
    try:
        tunes = parse_transcriptions(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CorpusError("the reference file is not UTF-8 text (expected v2 transcriptions)") from None
    if not tunes:
        raise CorpusError("the reference file holds no transcriptions (tunes of v2 tokens separated by blank lines)")
    for n, tune in enumerate(tunes, start=1):
        if [token_category(t) for t in tune[:2]] != ["meter", "mode"]:
            raise CorpusError(f"tune {n} of the reference does not open with a meter and a mode token "
                              f"(it opens {' '.join(tune[:2])!r}): not v2 transcriptions")
    unknown = sorted({t for tune in tunes for t in tune if t not in vocabulary})
    if unknown:
        raise CorpusError(f"the reference holds tokens not in the model's vocabulary: {str(UnknownTokenError(unknown))}")
    return Reference(tunes)


def population(tunes: Sequence[Sequence[str]]) -> dict:
    """Meter and mode counts, and each tune's length in tokens and number of bar lines."""
    return {
        "meters": Counter(t[0] for t in tunes if t and token_category(t[0]) == "meter"),
        "modes": Counter(t[1] for t in tunes if len(t) > 1 and token_category(t[1]) == "mode"),
        "lengths": np.array([len(t) for t in tunes]),
        "bars": np.array([sum(token_category(x) == "measure" for x in t) for t in tunes]),
    }
