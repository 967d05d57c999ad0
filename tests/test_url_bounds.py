"""Every input a link can set is bounded where it is parsed (issue 26): unit ranges, typed tunes, and the
tables a tune's length multiplies. Each link opens in AppTest on the embedded replica."""

from __future__ import annotations

import pytest

from explorer.controls import MAX_TUNE_TOKENS
from folkrnn.analysis.internals import internals
from folkrnn.examples import PART5_TUNE
from tests.apptest_pages import SMALL_WORKLOADS, chart_data, open_page


def tune_of(n: int) -> str:
    """A well-formed-looking tune of n tokens: the part-5 tune's meter and mode, then its body repeated."""
    body = PART5_TUNE[2:]
    return " ".join([*PART5_TUNE[:2], *(body * (n // len(body) + 1))[: n - 2]])


def test_a_link_zeroing_fifty_million_units_is_refused():
    at = open_page("ablate", **SMALL_WORKLOADS["ablate"], zero1="0-50000000")
    assert any("units run from 0 to 511" in e.value for e in at.error)


@pytest.mark.parametrize("page", ["layers", "lens", "similarity"])
def test_a_typed_tune_longer_than_a_page_reads_is_refused(page):
    at = open_page(page, source="Type", tokens=tune_of(9064))
    assert any(f"longer than {MAX_TUNE_TOKENS} tokens" in e.value for e in at.error)
    assert not at.get("vega_lite_chart")


def test_the_gramian_of_a_long_tune_pairs_its_first_steps_only():
    at = open_page("similarity", source="Type", tokens=tune_of(902))
    assert any("the first 300 tokens of these 902" in w.value for w in at.warning)
    assert len(chart_data(at)) <= 301**2  # the steps: <s> and 300 tokens


def test_the_layer_heatmap_shows_fewer_units_of_a_long_tune(monkeypatch):
    import explorer.compute

    runs = []
    monkeypatch.setattr(explorer.compute, "internals", lambda *a: runs.append(1) or internals(*a))
    at = open_page("layers", source="Type", tokens=tune_of(MAX_TUNE_TOKENS), units=512)
    assert len(runs) == 1  # its 74 MB are more than the cache keeps: the page hands them to its tables
    units = at.slider(key="units")
    assert units.max == 80_000 // (MAX_TUNE_TOKENS + 1) // 8 * 8 and units.value <= units.max  # 512: the default
    assert chart_data(at)["unit"].nunique() == units.value
