"""The "Inside the LSTM" chart builders through ``chart.to_dict()``: the fields they draw and tooltips on
every layer, from frames made by the package."""

import numpy as np
import pytest

from explorer import charts, frames
from folkrnn.analysis.input_layer import weight_spectra
from folkrnn.analysis.internals import internals
from folkrnn.analysis.lens import logit_lens
from folkrnn.analysis.similarity import gramian, step_signal
from tests.factories import random_weights
from tests.vega import views

TUNE = "M:4/4 K:Cmaj |: c 2 G E | C D E F :|".split()
WEIGHTS = random_weights(hidden=8, layers=2, seed=9)
INSIDE = internals(WEIGHTS, TUNE)


def charts_under_test():
    h = INSIDE.layers[1].h
    heat = frames.step_matrix_frame(TUNE, h, [3, 1], "unit", offset=0)
    by_layer = [layer.f for layer in INSIDE.layers]
    lens = frames.lens_frame(logit_lens(WEIGHTS, INSIDE))
    G = frames.step_gramian_frame(TUNE, gramian(step_signal(INSIDE, "input"), "cosine"))
    tokens = frames.token_gramian_frame(WEIGHTS.vocabulary, np.eye(len(WEIGHTS.vocabulary)))
    ranks = frames.weight_spectra_frame(weight_spectra(WEIGHTS))
    return {
        "activation_heatmap": (charts.activation_heatmap(heat, "h", [3, 1]), {"value", "unit"}),
        "unit_trace_chart": (charts.unit_trace_chart(heat[heat["unit"] == 3], "h"), {"value"}),
        "activation_histogram_chart": (charts.activation_histogram_chart(
            frames.activation_histogram_frame(by_layer), "f"), {"share", "start"}),
        "unit_peaks_chart": (charts.unit_peaks_chart(frames.unit_peaks_frame(by_layer), "f"), {"peak", "rank"}),
        "lens_heatmap": (charts.lens_heatmap(lens, "entropy"), {"entropy", "layer"}),
        "step_gramian_heatmap": (charts.step_gramian_heatmap(G, frames.bar_line_steps(TUNE), "cosine", "t"),
                                 {"value", "step_a", "step_b"}),
        "token_gramian_heatmap": (charts.token_gramian_heatmap(tokens, "t"), {"value", "token_a"}),
        "stable_rank_chart": (charts.stable_rank_chart(ranks), {"stable_rank", "matrix"}),
    }


@pytest.mark.parametrize("name", list(charts_under_test()))
def test_chart_draws_its_fields_with_tooltips(name):
    chart, fields = charts_under_test()[name]
    spec = chart.to_dict()
    drawn = set()
    for view in views(spec):
        assert view.tooltip_fields(), (name, view.mark)
        drawn |= set(view.fields().values())
    assert fields <= drawn, (name, drawn)


def test_frames_hold_the_package_numbers():
    heat = frames.step_matrix_frame(TUNE, INSIDE.layers[0].g, [5], "unit", offset=0)
    np.testing.assert_array_equal(heat["value"], INSIDE.layers[0].g[:, 5])
    assert list(heat["predicts"]) == [*TUNE, "</s>"]
    hist = frames.activation_histogram_frame([layer.h for layer in INSIDE.layers])
    assert hist.groupby("layer")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    peaks = frames.unit_peaks_frame([INSIDE.layers[1].o])
    assert peaks["peak"].iloc[0] == pytest.approx(np.abs(INSIDE.layers[1].o).max())
    assert frames.bar_line_steps(TUNE) == [3, 8, 13]  # steps that read "|:", "|", ":|"
    tokens = frames.token_gramian_frame(WEIGHTS.vocabulary, np.zeros((137, 137)))
    firsts = tokens.sort_values("order_a").drop_duplicates("token_a")["category_a"]
    assert list(dict.fromkeys(firsts)) == [c for c in charts.CATEGORIES if c in set(firsts)]  # grouped by category


def test_step_signal_choices():
    np.testing.assert_array_equal(step_signal(INSIDE, "input").argmax(axis=1), INSIDE.inputs)
    np.testing.assert_allclose(step_signal(INSIDE, "output").sum(axis=1), 1.0)
    assert step_signal(INSIDE, "c", 2) is INSIDE.layers[1].c
    with pytest.raises(ValueError, match="choose input, output"):
        step_signal(INSIDE, "h", 3)
