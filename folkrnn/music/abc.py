"""ABC notation of folk-rnn v2 token sequences, ready for abcjs.

Notes are glued to their durations and grouped by beat (``G,CC2 G,CEC``: notes written together
share a beam), tuplets and broken rhythms are written glued (``(3BAG``, ``A>B``), chords collapse
(``[CE]2``), bar lines stand between spaces and a line ends every few bars. Tokens that would make
invalid ABC are dropped (``<s>``, a duration after a bar line, an empty chord); a meter or mode token
in the body becomes an inline field (``[M:3/4]``). The writer keeps where each token went, so that a
span of tokens can be found in the ABC (and marked on the sheet: :func:`abc_with_span`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from itertools import accumulate

from ..vocab import END, START, token_category
from .wellformed import DEFAULT_METER, BarReader, duration_factor, meter_eighths, split_header, tuplet_ratio

DEFAULT_MODE = "K:Cmaj"  # for a tune without a mode token
_FIELD = re.compile(r"M:[1-9]\d*/[1-9]\d*|K:[A-G][#b]?[A-Za-z]*")  # fields ABC can read


def to_abc(tokens: Sequence[str], index: int = 1, title: str | None = None, notes: Sequence[str] = ()) -> str:
    """An ABC tune (``X:``, ``T:``, an ``N:`` line per note, ``M:``, ``L:1/8``, ``K:``, body) from a v2
    token sequence; the title and notes are each written on one line."""
    return abc_with_token_chars(tokens, index, title, notes)[0]


def abc_with_span(tokens: Sequence[str], start: int, end: int, index: int = 1, title: str | None = None,
                  notes: Sequence[str] = ()) -> tuple[str, tuple[int, int] | None]:
    """:func:`to_abc`'s ABC and the characters (first, last + 1) of it that ``tokens[start:end]`` were
    written as, e.g. to mark that span on the sheet; None when ABC could not hold any of them."""
    abc, chars = abc_with_token_chars(tokens, index, title, notes)
    ranges = [chars[i] for i in range(start, end) if i in chars]
    return abc, (min(a for a, _ in ranges), max(b for _, b in ranges)) if ranges else None


def abc_with_token_chars(tokens: Sequence[str], index: int = 1, title: str | None = None,
                         notes: Sequence[str] = ()) -> tuple[str, dict[int, tuple[int, int]]]:
    """:func:`to_abc`'s ABC, and the characters of it (first, last + 1) that each body token was written as,
    by the token's index (a dropped token, and the header's meter and mode, have none)."""
    kept = [i for i, t in enumerate(tokens) if t not in (START, END) and _readable(t)]
    meter, mode, body = split_header([tokens[i] for i in kept])
    meter, mode = meter or DEFAULT_METER, mode or DEFAULT_MODE
    lines = [f"X:{index}"]
    if title:
        lines.append(f"T:{' '.join(title.split())}")
    lines += [f"N:{' '.join(note.split())}" for note in notes]
    lines += [f"M:{meter[2:]}", "L:1/8", f"K:{mode[2:]}"]
    writer = _BodyWriter(meter)
    for i, token in zip(kept[len(kept) - len(body):], body):
        writer.write(token, i)
    head = "\n".join(lines) + "\n"
    body_lines = writer.lines()
    return head + "".join(line + "\n" for line in body_lines), writer.token_chars(len(head))


def _readable(token: str) -> bool:
    """False for a meter or mode token ABC could not read (``M:4/0``); the rest is the writer's call."""
    return token_category(token) not in ("meter", "mode") or bool(_FIELD.fullmatch(token))


def _beam(meter: str) -> Fraction:
    """Eighths written together: a dotted quarter in x/8, a half note in 4/4 and x/2, else a quarter."""
    unit = meter.partition("/")[2]
    if unit == "8":
        return Fraction(3)
    return Fraction(4) if unit == "2" or meter == "M:4/4" else Fraction(2)


def _merge_bar_lines(before: str, after: str) -> str | None:
    """One ABC bar line for two bar-line tokens in a row (``:| |2`` -> ``:|2``), else None."""
    if (before, after) == (":|", "|:"):
        return "::"
    if before in ("|", ":|") and after in ("|", "|1", "|2", "|:"):
        return before[:-1] + after
    return None


def _tuplet_mark(token: str, compound: bool) -> str | None:
    """ABC for a tuplet token; q is spelled out where renderers disagree (abcjs takes 2 for 5, 7, 9)."""
    p = int(token[1:])
    if not 2 <= p <= 9:
        return None
    if p in (5, 7, 9):
        return f"{token}:{tuplet_ratio(p, compound) * p}"
    return token


class _BodyWriter:
    """Writes body tokens as ABC words, bar lines and inline fields, following the rhythm to group beats.

    Tuplet marks and chords are held back until their note or closing bracket comes, so a mark or a
    chord left without notes is dropped rather than written. Each token written is placed: the
    characters of its item (a word, bar line or field) it became, kept in ``placed``.
    """

    def __init__(self, meter: str):
        self.reader = BarReader(meter)
        self._set_meter(meter)
        self.items: list[str] = []
        self.breaks: set[int] = set()  # indices of items that end a line
        self.word = ""  # notes being glued together
        self.tuplet: tuple[str, str] | None = None  # (token, ABC) of a tuplet mark awaiting its note
        self.chord: list[str] | None = None  # tokens of the open chord, None when none is open
        self.lengthen = ""  # durations that may follow: "any", "broken" (only > or <) or ""
        self.bars = 0  # bars written that count for line breaking (pickups do not)
        self.token = -1  # the index of the token being written
        self.chord_tokens: list[int] = []  # indices of the open chord's tokens
        self.word_chars: list[tuple[int, int, int]] = []  # (token, first, last + 1) within the open word
        self.placed: list[tuple[int, int, int, int]] = []  # (token, item, first, last + 1) within the item

    def _set_meter(self, meter: str) -> None:
        self.bar_length, self.beam = meter_eighths(meter), _beam(meter)
        self.bars_per_line = 4 if self.bar_length >= 6 else 8

    def write(self, token: str, index: int = -1) -> None:
        """Write ``token``, the tune's token ``index``."""
        self.token = index
        category = token_category(token)
        if self.chord is not None and category not in ("pitch", "duration") and token != "]":
            self._close_chord()
        if category == "pitch" and self.chord is not None:
            self.chord.append(token)
            self.chord_tokens.append(index)
            self.lengthen = "any"
        elif category in ("pitch", "rest"):
            self._start_element()
            self._write_element([token], token, [index])
        elif token == "[":
            self._start_element()
            self.chord, self.chord_tokens, self.lengthen = [], [index], ""
        elif token == "]":
            if self.chord is not None:
                self.chord_tokens.append(index)
                self._close_chord()
        elif category == "duration":
            self._duration(token)
        elif category == "grouping":
            mark = _tuplet_mark(token, self.reader.compound)
            if mark and not self.reader.in_tuplet:
                self.tuplet = token, mark, index
        elif category == "measure":
            self._bar_line(token)
        elif category in ("meter", "mode"):
            self._end_word()
            self._push(f"[{token}]", [(index, 0, len(token) + 2)])
            if category == "meter":
                self.reader.feed(token)
                self._set_meter(token)

    def _start_element(self) -> None:
        """A note, rest or chord starts: begin a new word on a beat, unless it must stay glued."""
        if not self.reader.grouping and self.reader.position % self.beam == 0 and self.word:
            self._push_word(self.word)

    def _write_element(self, tokens: list[str], text: str, indices: list[int]) -> None:
        """Glue a note, rest or chord (``text``, written for the tokens ``indices``) to the word, after the
        tuplet mark it waits for, if any."""
        mark, self.tuplet = self.tuplet or ("", "", -1), None
        for token in [mark[0], *tokens] if mark[0] else tokens:
            self.reader.feed(token)
        start = len(self.word) + len(mark[1])
        if mark[1]:
            self.word_chars.append((mark[2], len(self.word), start))
        self.word += mark[1] + text
        self.word_chars += [(i, start, start + len(text)) for i in indices]
        self.lengthen = "any"

    def _push(self, item: str, chars: list[tuple[int, int, int]]) -> None:
        """Append ``item``, with its tokens' ``chars`` (token, first, last + 1) within it."""
        self.placed += [(t, len(self.items), a, min(b, len(item))) for t, a, b in chars if a < len(item)]
        self.items.append(item)

    def _push_word(self, item: str) -> None:
        self._push(item, self.word_chars)
        self.word, self.word_chars = "", []

    def _close_chord(self) -> None:
        chord, self.chord = self.chord, None
        if any(token_category(t) == "pitch" for t in chord):  # an empty chord is dropped
            self._write_element(["[", *chord, "]"], "[" + "".join(chord) + "]", self.chord_tokens)
        else:
            self.lengthen = ""

    def _duration(self, token: str) -> None:
        """Glue a duration to its note; drop it where ABC could not read it (``A2/4`` reads as 2/4)."""
        if not self.lengthen or (self.lengthen == "broken" and token not in (">", "<")):
            return
        try:
            broken = duration_factor(token)[1]
        except ValueError:
            return
        if self.chord is not None:
            if not broken:
                self.chord.append(token)
                self.chord_tokens.append(self.token)
                self.lengthen = ""
            return
        self.reader.feed(token)
        self.word_chars.append((self.token, len(self.word), len(self.word) + len(token)))
        self.word += token
        self.lengthen = "" if broken else "broken"

    def _end_word(self) -> None:
        """Close the word before a bar line or field: a broken rhythm or tuplet cannot reach past it."""
        if self.word:
            self._push_word(self.word.rstrip("<>"))
        self.word, self.tuplet, self.lengthen = "", None, ""

    def _bar_line(self, token: str) -> None:
        self._end_word()
        counts = self.reader.position > self.bar_length / 2
        self.reader.feed(token)
        merged = _merge_bar_lines(self.items[-1], token) if self.items else None
        if merged is not None:
            self.items[-1] = merged
            self.placed.append((self.token, len(self.items) - 1, 0, len(merged)))
        else:
            self._push(token, [(self.token, 0, len(token))])
        if counts:
            self.bars += 1
            if self.bars % self.bars_per_line == 0:
                self.breaks.add(len(self.items) - 1)

    def lines(self) -> list[str]:
        if self.chord is not None:
            self._close_chord()
        self._end_word()
        lines, line = [], []
        for i, item in enumerate(self.items):
            line.append(item)
            if i in self.breaks:
                lines.append(" ".join(line))
                line = []
        if line:
            lines.append(" ".join(line))
        return lines

    def token_chars(self, offset: int) -> dict[int, tuple[int, int]]:
        """Each placed token's characters (first, last + 1) in the body written by :meth:`lines` (called
        first), shifted by ``offset``: items are one separator apart, a space or a line's end."""
        starts = list(accumulate((len(item) + 1 for item in self.items), initial=offset))
        chars: dict[int, tuple[int, int]] = {}
        for token, item, a, b in self.placed:
            a, b = starts[item] + a, starts[item] + b
            first, last = chars.get(token, (a, b))
            chars[token] = (min(first, a), max(last, b))
        return chars
