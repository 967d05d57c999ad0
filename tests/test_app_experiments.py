"""AppTest coverage of the "Experiments" pages on a small random model, each page's numbers checked against
the package."""

from __future__ import annotations

import numpy as np
import pytest

from folkrnn.analysis.experiments import summary
from folkrnn.analysis.internals import internals
from folkrnn.analysis.periodic import bar_period, periodic_units
from folkrnn.analysis.search import beam_search
from folkrnn.compose.interventions import Intervention, compose_under
from folkrnn.compose.sampling import SamplingSettings, sample_tunes
from folkrnn.examples import PART5_TUNE
from tests.apptest_pages import chart_data, checked, metrics, open_page
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=23)
pytestmark = pytest.mark.app_model(WEIGHTS)


def tune_files(at) -> list[str]:
    """The labels of the page's downloads of tunes (its CSV downloads left out)."""
    return [b.proto.label for b in at.get("download_button") if not b.proto.label.endswith(".csv")]


def test_ablate_with_nothing_changed_and_with_directions_removed():
    at = open_page("ablate", press=True, n=4, length=40)
    assert "Nothing is changed yet" in at.info[0].value
    plain = summary(sample_tunes(WEIGHTS, SamplingSettings(4, (), 1.0, 0, 40)))
    assert metrics(at)["Mean length (tokens)"] == f"{plain['mean_length']:.0f}"
    assert [m.delta for m in at.metric[:4]] == ["+0%", "+0.00", "+0", "+0.0"]  # nothing changed
    at = open_page("ablate", press=True, n=4, length=40, remove=1, zero2="0-3")
    under = summary(compose_under(WEIGHTS, Intervention(zero_units={2: (0, 1, 2, 3)}, remove=(1,)),
                                   SamplingSettings(4, (), 1.0, 0, 40)))
    assert metrics(at)["Mean length (tokens)"] == f"{under['mean_length']:.0f}"
    assert metrics(at)["Bar-duration errors per tune"] == f"{under['mean_bar_errors']:.2f}"
    drawn = chart_data(at, 1)
    assert set(drawn["curve"]) == {"without", "with the change"} and len(drawn) == 2 * (len(PART5_TUNE) + 1)
    assert tune_files(at) == [
        "Without (ABC)", "Without (MIDI)", "With the change (ABC)", "With the change (MIDI)"]


def test_ablate_names_a_bad_unit_list():
    at = open_page("ablate", press=True, zero1="3, x")
    assert "Layer 1" in at.error[0].value and "'x'" in at.error[0].value


def test_periodic_units_rank_and_ablation():
    at = open_page("periodic", press=True, n=3, k=4)
    period = bar_period(PART5_TUNE)
    assert metrics(at)["Bar period"] == f"{period:g} tokens"
    h = internals(WEIGHTS, PART5_TUNE).layers[-1].h
    ranked = chart_data(at)
    assert int(ranked.sort_values("rank")["unit"].iloc[0]) == int(periodic_units(h, period, 1)[0])
    top = tuple(sorted(int(u) for u in periodic_units(h, period, 4)))
    under = summary(compose_under(WEIGHTS, Intervention(zero_units={3: top}), SamplingSettings(3, (), 1.0, 0, 400)))
    assert metrics(at)["Bar-duration errors per tune"] == f"{under['mean_bar_errors']:.2f}"
    assert any(", ".join(map(str, top)) in c.value for c in at.main.caption)


def test_forcing_nothing_moves_no_state():
    at = open_page("forcing", press=True, beta=0.0, n=2)
    change = chart_data(at)
    assert (change["change"] == 0).all() and set(change["layer"]) == {"layer 1", "layer 2", "layer 3"}
    at = open_page("forcing", press=True, beta=0.5, n=2, category="duration")
    change = chart_data(at)
    assert (change.query("step < 3")["change"] == 0).all()  # <s>, meter and mode are read as they are
    assert change.query("step >= 3")["change"].max() > 0


def test_copying_against_an_uploaded_reference():
    from folkrnn.analysis.copying import Reference

    at = open_page("copying", press=True, source="Type", population_n=5, ngram=3)
    assert "Choose a reference corpus" in at.info[0].value
    tune = "M:4/4 K:Cmaj " + " ".join(PART5_TUNE[2:40])
    corpus = f"M:6/8\nK:Cdor\nG E C E 2 G | c 3 B A G |\n\n{tune.replace(' K:Cmaj ', chr(10) + 'K:Cmaj' + chr(10), 1)}\n"
    checked(at.file_uploader(key="reference").upload("ref.txt", corpus.encode()).run())
    expected = Reference([["M:6/8", "K:Cdor", *"G E C E 2 G | c 3 B A G |".split()], tune.split()]).nearest(
        PART5_TUNE, 3, 5)
    table = at.dataframe[0].value
    assert list(table["reference tune"]) == [m.index for m in expected]
    assert table["longest shared run"].iloc[0] == expected[0].longest_run
    at.file_uploader(key="reference").upload("bad.txt", b"c d e f\n").run()
    assert "does not open with a meter and a mode" in at.error[0].value


def test_search_shows_the_missed_mass_of_the_search():
    at = open_page("search", press=True, length=20, block=2, keep=0.1, floor=0.0001)
    result = beam_search(WEIGHTS, [], 2, 0.1, 1e-4, 20, 1024)
    drawn = chart_data(at)
    np.testing.assert_allclose(drawn["missed"], result.missed_mass)
    greedy = beam_search(WEIGHTS, [], 1, 1.0, 0.0, 20, 1024)
    from folkrnn.analysis.experiments import next_token_probabilities
    from folkrnn.compose.onnx_step import StepSession

    p = next_token_probabilities(StepSession(WEIGHTS), WEIGHTS, greedy.tokens)
    assert metrics(at)["greedy: NLL per token"] == f"{-np.log(p).mean():.3f}"
    assert tune_files(at) == ["ABC", "MIDI"] * 3  # sampled, greedy, beam
