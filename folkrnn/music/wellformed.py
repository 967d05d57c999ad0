"""Is a tune well-formed? The check the project applies to sampled folk-rnn v2 transcriptions.

Lengths are exact fractions of the unit note length, an eighth (``L:1/8``). A tune is well-formed when

* it ended with ``</s>`` within :data:`MAX_TUNE_TOKENS` tokens (counted after ``<s>``, ``</s>`` included);
* it starts with one meter token and one mode token and holds no other: folk-rnn v2's data has no
  meter or key changes (none among the 7,624 tunes of ``data_v2_part.txt``), so a later ``M:``/``K:``
  is a defect;
* its body reads as music: every duration follows a note, rest or chord, chords close and hold notes,
  tuplets get all their notes, a broken rhythm has a note on each side within the bar;
* every interior bar lasts what the meter asks for (``M:6/8`` -> 6 eighths, ``M:4/4`` -> 8,
  ``M:3/2`` -> 12). The first and last bar, and bars next to a repeat or ending mark (``|:``, ``:|``,
  ``|1``, ``|2``), may be shorter (pickups, endings) but never longer; so may two bars that split
  one bar at a section boundary written with a plain bar line (``… C 6 | A 2 | …`` in 4/4: an ending
  and a shorter pickup that add up to a full bar).

Durations follow ABC: a duration token multiplies the note, rest or chord before it (``2``, ``/2``,
``3/2``); ``>`` makes the note before 3/2 as long and the next 1/2 (``<`` the reverse; ``2>`` is a
length then a broken rhythm); ``(p`` puts the next p notes in the time of q (ABC's default q); a
chord lasts as long as its first note, times any duration after ``]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import groupby

from ..vocab import END, START, token_category

MAX_TUNE_TOKENS = 1000
DEFAULT_METER = "M:4/4"  # for a tune without a meter token

_DURATION = re.compile(r"^(\d*)(?:/(\d+))?([<>]?)$")
_BROKEN = {"": (Fraction(1), Fraction(1)), ">": (Fraction(3, 2), Fraction(1, 2)),
           "<": (Fraction(1, 2), Fraction(3, 2))}
_TUPLET_Q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}  # 5, 7, 9: 3 in compound meters, else 2


def split_header(tokens: Sequence[str]) -> tuple[str | None, str | None, list[str]]:
    """(meter, mode, body): the meter and mode tokens that open a tune (each at most once, in either
    order; None when missing) and the tokens after them."""
    found: dict[str, str] = {}
    for token in tokens:
        category = token_category(token)
        if category not in ("meter", "mode") or category in found:
            break
        found[category] = token
    return found.get("meter"), found.get("mode"), list(tokens[len(found):])


def meter_eighths(meter: str) -> Fraction:
    """Bar length in eighths that a meter token asks for: ``M:6/8`` -> 6, ``M:3/2`` -> 12."""
    beats, _, unit = meter.removeprefix("M:").partition("/")
    return Fraction(int(beats) * 8, int(unit))


def is_compound(meter: str) -> bool:
    """Compound meters (6/8, 9/8, 12/8) count beats of three eighths."""
    beats = int(meter.removeprefix("M:").partition("/")[0])
    return beats > 3 and beats % 3 == 0


def tuplet_ratio(p: int, compound: bool) -> Fraction:
    """q/p for a tuplet ``(p``: the factor its notes are scaled by."""
    return Fraction(_TUPLET_Q.get(p, 3 if compound else 2), p)


def duration_factor(token: str) -> tuple[Fraction, str]:
    """(length factor, broken-rhythm mark) of a duration token: ``3/2`` -> (3/2, ''), ``2>`` -> (2, '>')."""
    match = _DURATION.match(token)
    if not match or not token:
        raise ValueError(f"not a duration token: {token!r}")
    number, divisor, broken = match.groups()
    if number == "0" or divisor == "0":
        raise ValueError(f"zero in duration token: {token!r}")
    return Fraction(int(number or 1), int(divisor or 1)), broken


@dataclass(frozen=True)
class Bar:
    """One bar: its duration in eighths and the bar-line tokens before and after it (none at the ends)."""

    duration: Fraction
    opening: tuple[str, ...] = ()
    closing: tuple[str, ...] = ()

    @property
    def next_to_mark(self) -> bool:
        """Whether a repeat or ending mark (any bar line but ``|``) touches the bar."""
        return any(line != "|" for line in self.opening + self.closing)


class BarReader:
    """Reads a tune body token by token: the lengths of its notes, its bars, and the first problem met.

    It never raises: a token that makes no sense is skipped and noted in :attr:`problem`, so a
    renderer can follow the rhythm of any token sequence.
    """

    def __init__(self, meter: str = DEFAULT_METER):
        self.problem: str | None = None
        self._events: list[Fraction | str] = []  # note/rest/chord lengths and bar-line tokens
        self._bar = 0  # number of the bar being read
        self.compound = False
        self._set_meter(meter)
        self.position = Fraction(0)  # eighths elapsed in the open bar
        self._attach: str | None = None  # what a duration token lengthens: "note", "chord" or None
        self._next_factor = Fraction(1)  # left by a broken rhythm for the next note
        self._tuplet_left, self._tuplet_ratio = 0, Fraction(1)
        self._pitches: list[tuple[str, ...]] = []  # the pitch tokens of each note, rest (none) and chord
        self._chord: list[str] | None = None  # pitch tokens of the open chord, None when none is open
        self._chord_length = Fraction(1)

    @property
    def grouping(self) -> bool:
        """True while a tuplet or a broken rhythm waits for its next note (ABC writes them glued)."""
        return self._tuplet_left > 0 or self._next_factor != 1

    @property
    def in_tuplet(self) -> bool:
        """True while a tuplet still waits for some of its notes."""
        return self._tuplet_left > 0

    def _set_meter(self, meter: str) -> None:
        try:
            meter_eighths(meter)
            self.compound = is_compound(meter)
        except (ValueError, ZeroDivisionError):
            self._fail(f"meter {meter!r} is not a fraction")

    def _fail(self, message: str) -> None:
        if self.problem is None:
            between_bars = not self._events or isinstance(self._events[-1], str)
            self.problem = f"{message} (bar {self._bar + between_bars})"

    def _add(self, length: Fraction, pitches: tuple[str, ...]) -> None:
        """A note, rest or chord (sounding ``pitches``) starts: scale it by a pending broken rhythm and tuplet."""
        if not self._events or isinstance(self._events[-1], str):
            self._bar += 1
        length *= self._next_factor
        self._next_factor = Fraction(1)
        if self._tuplet_left:
            length *= self._tuplet_ratio
            self._tuplet_left -= 1
        self._events.append(length)
        self._pitches.append(pitches)
        self.position += length
        self._attach = "note"

    def _lengthen(self, factor: Fraction) -> None:
        old = self._events[-1]
        self._events[-1] = old * factor
        self.position += old * factor - old

    def feed(self, token: str) -> None:
        category = token_category(token)
        if self._chord is not None and category not in ("pitch", "duration") and token != "]":
            self._fail(f"chord left open before {token!r}")
            self._close_chord()
        if category == "pitch" and self._chord is not None:
            self._chord.append(token)
            self._attach = "chord"
        elif category in ("pitch", "rest"):
            self._add(Fraction(1), (token,) if category == "pitch" else ())
        elif token == "[":
            self._chord, self._chord_length, self._attach = [], Fraction(1), None
        elif token == "]":
            self._close_chord()
        elif category == "duration":
            self._duration(token)
        elif category == "grouping":
            self._tuplet(token)
        elif category == "measure":
            self._bar_line(token)
        elif category == "meter":
            self._fail(f"meter change to {token!r} mid-tune")
            self._set_meter(token)
        elif category == "mode":
            self._fail(f"mode change to {token!r} mid-tune")
        elif token in (START, END):
            self._fail(f"{token!r} inside the tune")
        else:
            self._fail(f"unknown token {token!r}")

    def _close_chord(self) -> None:
        if self._chord is None:
            self._fail("']' closes no chord")
        elif not self._chord:
            self._fail("empty chord")
        else:
            self._add(self._chord_length, tuple(self._chord))
        self._chord = None

    def _duration(self, token: str) -> None:
        try:
            factor, broken = duration_factor(token)
        except ValueError:
            self._fail(f"unreadable duration {token!r}")
            return
        if self._attach is None:
            self._fail(f"duration {token!r} follows no note")
        elif self._attach == "chord":
            if broken:
                self._fail(f"broken rhythm {token!r} inside a chord")
            elif len(self._chord) == 1:
                self._chord_length *= factor
        else:
            before, after = _BROKEN[broken]
            self._lengthen(factor * before)
            if broken:
                self._next_factor *= after
                self._attach = None

    def _tuplet(self, token: str) -> None:
        p = int(token[1:])
        if self._tuplet_left:
            self._fail(f"tuplet {token!r} inside a tuplet")
        elif p < 2:
            self._fail(f"tuplet {token!r} of fewer than two notes")
        else:
            self._tuplet_left, self._tuplet_ratio = p, tuplet_ratio(p, self.compound)
        self._attach = None

    def _bar_line(self, token: str) -> None:
        if self._next_factor != 1:
            self._fail(f"broken rhythm runs into bar line {token!r}")
            self._next_factor = Fraction(1)
        self._events.append(token)
        self.position = Fraction(0)
        self._attach = None

    def finish(self) -> list[Bar]:
        """Check nothing is left hanging and return the bars read (bars without notes are dropped)."""
        if self._chord is not None:
            self._fail("chord left open at the end")
            self._close_chord()
        if self._tuplet_left:
            self._fail(f"tuplet lacks {self._tuplet_left} note(s) at the end")
        if self._next_factor != 1:
            self._fail("broken rhythm with no note after it at the end")
        return self.bars()

    def bars(self) -> list[Bar]:
        """The bars read so far, each with the bar lines around it."""
        runs = [(is_line, tuple(run)) for is_line, run in
                groupby(self._events, key=lambda e: isinstance(e, str))]
        bars = []
        for i, (is_line, run) in enumerate(runs):
            if not is_line:
                opening = runs[i - 1][1] if i > 0 else ()
                closing = runs[i + 1][1] if i + 1 < len(runs) else ()
                bars.append(Bar(sum(run, Fraction(0)), opening, closing))
        return bars

    def timeline(self) -> list[str | tuple[Fraction, tuple[str, ...]]]:
        """What was read, in order: each bar-line token, and for each note, rest and chord its length
        in eighths with the pitch tokens it sounds (none for a rest), for a player to follow."""
        pitches = iter(self._pitches)
        return [event if isinstance(event, str) else (event, next(pitches)) for event in self._events]


def _split(tokens: Sequence[str]) -> tuple[str, list[str]]:
    """(meter, body) of a tune, ``<s>`` and ``</s>`` left out: its meter (default ``M:4/4``) and what
    follows the header."""
    meter, _, body = split_header([t for t in tokens if t not in (START, END)])
    return meter or DEFAULT_METER, body


def bars(tokens: Sequence[str]) -> list[Bar]:
    """The bars of a tune (header optional; meter ``M:4/4`` when it has none), read best-effort."""
    meter, body = _split(tokens)
    reader = BarReader(meter)
    for token in body:
        reader.feed(token)
    return reader.finish()


@dataclass(frozen=True)
class WellFormedness:
    """The verdict on one tune: ``ok``, and ``reason`` saying what failed first ('' when ok)."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def _eighths(length: Fraction) -> str:
    return f"{length} eighth" + ("" if length == 1 else "s")


def _splits(first: Bar, second: Bar, full: Fraction) -> bool:
    """Whether a plain bar line splits one bar into an ending and a shorter pickup (``C 6 | A 2``)."""
    return first.duration + second.duration == full and second.duration < first.duration


def misfits(tune_bars: Sequence[Bar], full: Fraction) -> list[int]:
    """Indices of the bars whose duration the meter does not allow (a pickup, an ending or a bar
    split by a repeat mark may be short)."""
    last = len(tune_bars) - 1
    wrong = []
    for k, bar in enumerate(tune_bars):
        if bar.duration == full:
            continue
        if bar.duration < full and (
            k in (0, last)
            or bar.next_to_mark
            or (k > 0 and _splits(tune_bars[k - 1], bar, full))
            or (k < last and _splits(bar, tune_bars[k + 1], full))
        ):
            continue
        wrong.append(k)
    return wrong


def bar_errors(tokens: Sequence[str]) -> int:
    """How many bars of a tune last what its meter does not allow (Sturm's count in part 6)."""
    meter, _ = _split(tokens)
    return len(misfits(bars(tokens), meter_eighths(meter)))


def check_tune(tokens: Sequence[str], ended: bool = True, max_tokens: int = MAX_TUNE_TOKENS) -> WellFormedness:
    """Judge one tune (``<s>``/``</s>`` optional).

    ``ended`` says whether sampling stopped at ``</s>``; a trailing ``</s>`` counts as ended anyway.
    Checks run in order: ending, length, header, body, bar durations; the first failure is reported.
    """
    tokens = list(tokens)
    if tokens[:1] == [START]:
        tokens = tokens[1:]
    if tokens[-1:] == [END]:
        tokens, ended = tokens[:-1], True
    if END in tokens:
        return WellFormedness(False, "tokens follow </s>")
    if not ended:
        return WellFormedness(False, f"did not end: no </s> after {len(tokens)} tokens")
    if len(tokens) + 1 > max_tokens:
        return WellFormedness(False, f"ended after {len(tokens) + 1} tokens, more than {max_tokens}")
    meter, mode, body = split_header(tokens)
    if not tokens or tokens[0] != meter:
        first = repr(tokens[0]) if tokens else "nothing"
        return WellFormedness(False, f"starts with {first}, not a meter token")
    if mode is None:
        after = repr(tokens[1]) if len(tokens) > 1 else "nothing"
        return WellFormedness(False, f"{meter} is followed by {after}, not a mode token")
    reader = BarReader(meter)
    for token in body:
        reader.feed(token)
    tune_bars = reader.finish()
    if reader.problem:
        return WellFormedness(False, reader.problem)
    if not tune_bars:
        return WellFormedness(False, "the tune has no notes")
    full = meter_eighths(meter)
    wrong = misfits(tune_bars, full)
    if wrong:
        misfit = wrong[0]
        duration = tune_bars[misfit].duration
        return WellFormedness(
            False, f"bar {misfit + 1} lasts {_eighths(duration)}, not the {full} {meter} asks for"
        )
    return WellFormedness(True)


def well_formed_share(tunes: Iterable[Sequence[str]], ended: bool = True) -> float:
    """Share of ``tunes`` that :func:`check_tune` finds well-formed (0.0 for no tunes)."""
    verdicts = [check_tune(tune, ended).ok for tune in tunes]
    return sum(verdicts) / len(verdicts) if verdicts else 0.0
