"""Unit lists as people type them, e.g. "3, 17, 40-59": the app's unit boxes, the links that set them
and the command line's ``--zero LAYER:UNITS`` read them here, and a tune's provenance writes them back."""

from __future__ import annotations


def parse_units(text: str, H: int) -> tuple[int, ...]:
    """The units (0 … H-1) that ``text`` names, ascending, each once. Every number is checked against H
    before its range is filled in (``0-50000000`` in a link must not build 50 million units first), so
    the work grows with the text and H only."""
    units: set[int] = set()
    for part in "".join(text.split()).split(","):
        if part:
            first, last = _unit_range(part, H)
            units.update(range(first, last + 1))
    return tuple(sorted(units))


def _unit_range(part: str, H: int) -> tuple[int, int]:
    """(first, last) unit of one part of a list: a unit number, or a range like 10-20 (never backwards)."""
    numbers = part.split("-")
    if len(numbers) > 2 or not all(n.isdecimal() for n in numbers):
        raise ValueError(f"{part!r} is not a unit number or a range like 10-20")
    if any(len(n.lstrip("0")) > len(str(H)) or int(n) >= H for n in numbers):
        raise ValueError(f"units run from 0 to {H - 1}")
    first, last = int(numbers[0]), int(numbers[-1])
    if first > last:
        raise ValueError(f"the range {part!r} runs backwards: write {last}-{first}")
    return first, last


def format_units(units) -> str:
    """``units`` as :func:`parse_units` reads them, runs as ranges: (0, 17, 40, 41, …, 59) -> "0,17,40-59"."""
    runs: list[list[int]] = []
    for unit in sorted(set(int(u) for u in units)):
        if runs and unit == runs[-1][1] + 1:
            runs[-1][1] = unit
        else:
            runs.append([unit, unit])
    return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in runs)
