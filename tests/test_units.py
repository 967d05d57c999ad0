"""Unit lists as typed in the app's boxes, set by links and given to ``--zero``: bounded before any
range is filled in, and a range that runs backwards refused by name; written back as runs."""

import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from folkrnn.units import format_units, parse_units


def test_unit_lists_and_ranges():
    assert parse_units("3, 17, 40-43, 41", 512) == (3, 17, 40, 41, 42, 43)
    assert parse_units("0,1,2", 512) == (0, 1, 2)
    assert parse_units(" 7 - 7 ,,", 512) == (7,)
    assert parse_units("", 512) == ()


@pytest.mark.parametrize("text", ["3-x", "-5", "5-", "1-2-3", "x", "1.5", "²"])
def test_a_part_that_is_no_number_or_range_is_named(text):
    with pytest.raises(ValueError, match=f"{text!r} is not a unit number"):
        parse_units(text, 512)


def test_a_range_that_runs_backwards_is_refused_by_name():
    with pytest.raises(ValueError, match="the range '20-10' runs backwards: write 10-20"):
        parse_units("3, 20-10", 512)


@pytest.mark.parametrize("text", ["512", "0-512", "0-50000000", "0-999999999", "3, 17, 40-" + "9" * 5000, "9" * 5000])
def test_every_number_is_checked_before_its_range_is_filled_in(text):
    tracemalloc.start()
    with pytest.raises(ValueError, match="units run from 0 to 511"):
        parse_units(text, 512)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2**20


def test_units_are_written_as_runs():
    assert format_units((59, 0, 17, *range(40, 59), 17)) == "0,17,40-59"
    assert format_units([5]) == "5" and format_units([]) == ""


@given(st.lists(st.integers(0, 511), max_size=60))
def test_written_units_read_back_as_the_same_units(units):
    assert parse_units(format_units(units), 512) == tuple(sorted(set(units)))
