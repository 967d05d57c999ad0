"""Select and match (app_pages/select_match.py) through the AppTest harness on the embedded model: the units
listed and the spans found, checked against numpy on the network's own states."""

import numpy as np
import pytest

from folkrnn import load_model
from folkrnn.analysis.internals import internals
from folkrnn.compose.sampling import SamplingSettings, sample_in_chunks
from folkrnn.examples import PART5_TUNE
from folkrnn.vocab import token_category
from tests.apptest_pages import open_page, press_forms

BAR_LINE = 12  # token 12 of the part-5 tune is "|"


@pytest.fixture(scope="module")
def weights():
    return load_model()


def _on(weights, tokens, layer: int = 3, threshold: float = 0.3) -> np.ndarray:
    """(tokens, H): whether each unit's h_t is at least ``threshold`` after each token, from numpy internals."""
    return internals(weights, tokens).layers[layer - 1].h[1:] >= threshold


def test_the_units_on_over_a_bar_line_are_listed(weights):
    at = open_page("match", start=BAR_LINE, end=BAR_LINE + 1)
    assert PART5_TUNE[BAR_LINE] == "|" and "`|`" in at.caption[0].value
    expected = np.flatnonzero(_on(weights, PART5_TUNE)[BAR_LINE])
    assert at.dataframe[0].value["unit"].tolist() == expected.tolist()
    assert at.subheader[0].value == f"{len(expected)} units on over the span"
    assert "Press **Search**" in at.info[0].value  # nothing searched before the button


def test_the_spans_found_in_composed_tunes_have_the_units_on_and_are_mostly_bar_lines(weights):
    at = press_forms(open_page("match", start=BAR_LINE, end=BAR_LINE + 1, corpus_n=20, corpus_length=300))
    found = at.dataframe[1].value
    units = np.flatnonzero(_on(weights, PART5_TUNE)[BAR_LINE])
    need = int(np.ceil(len(units) / 2))  # the page's default: half of the selected units on
    corpus = [tune.tokens for tune in sample_in_chunks(weights, SamplingSettings(20, (), 1.0, 0, 300))]
    for row in found.head(10).itertuples():
        on = _on(weights, corpus[row.tune])[row.start:row.end][:, units]
        assert (on.sum(axis=1) >= need).all()
        assert row.span == " ".join(corpus[row.tune][row.start:row.end])
    bar_lines = [token_category(span.split()[0]) == "measure" for span in found["span"].head(10)]
    assert sum(bar_lines) >= 6, found.head(10)


def test_a_span_with_no_unit_on_says_so_and_searches_nothing():
    at = open_page("match", start=0, end=40, threshold=0.9)
    assert "No unit of layer 3 is on" in at.info[0].value
    assert not [b for b in at.button if b.proto.is_form_submitter]


def test_an_uploaded_corpus_finds_the_tune_it_holds(weights):
    at = open_page("match", start=BAR_LINE, end=BAR_LINE + 1, corpus="Reference corpus")
    corpus = f"{' '.join(PART5_TUNE[:2])}\n{' '.join(PART5_TUNE[2:])}\n"
    at.file_uploader(key="reference").upload("part5.txt", corpus.encode()).run()
    found = press_forms(at).dataframe[1].value
    assert ((found["tune"] == 0) & (found["start"] <= BAR_LINE) & (found["end"] > BAR_LINE)).any()
