"""Unit lists as typed in the app's boxes, set by links and given to ``--zero``: bounded before any
range is filled in, and a range that runs backwards refused by name."""

import tracemalloc

import pytest

from folkrnn.units import parse_units


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
