"""Every chart builder of explorer.charts through ``chart.to_dict()``, from frames of a small random model:
its title, its marks and the field each channel draws, the rows each mark is given, and a tooltip on
every mark naming fields its data has. (The "Inside the LSTM" builders are in tests/test_inside_charts.py
and the spectrum history in tests/test_spectrum.py.)"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from explorer import charts, frames
from folkrnn.analysis.comparison import compare_softmax, principal_angles
from folkrnn.analysis.copying import population
from folkrnn.analysis.directions import logit_decomposition, projections
from folkrnn.analysis.internals import internals
from folkrnn.analysis.periodic import bar_period, periodogram, power_at_period
from folkrnn.analysis.svd import softmax_svd
from folkrnn.analysis.truncation import Truncation, keep_mask, nll_curve, removal_curve, targets_of, token_nll
from folkrnn.analysis.usage import UsageSums
from folkrnn.compose.sampling import Tune
from folkrnn.examples import PART5_TUNE
from folkrnn.vocab import END
from tests.factories import random_weights
from tests.test_inside_charts import charts_under_test
from tests.vega import title, views

WEIGHTS = random_weights(hidden=8, layers=2, seed=5)
SVD = softmax_svd(WEIGHTS)
VOCAB = WEIGHTS.vocabulary
TUNE = list(PART5_TUNE[:30])
H = internals(WEIGHTS, TUNE).layers[-1].h  # (31, 8): h_t of the last layer
TARGETS = targets_of(VOCAB, TUNE)
USAGE = UsageSums.of_tune(H, [*TUNE, END], SVD).summary(SVD)
JIG = "M:6/8 K:Cdor G | c 2 G E 2 G | F D B, C 3 |".split()
TESTED_ELSEWHERE = {"spectrum_history_chart", "runs_spectrum_chart", *charts_under_test()}


@dataclass
class Drawn:
    """What a chart should draw: its title, each view's mark and fields (channel -> field), and the rows
    of the views named by their position."""

    title: str | None
    views: list[tuple[str, dict[str, str]]]
    rows: dict[int, pd.DataFrame | list[dict]] = field(default_factory=dict)


def _spectrum():
    frame = frames.spectrum_frame(SVD)
    xy = {"x": "direction", "y": "singular_value"}
    return charts.spectrum_chart(frame), Drawn("Singular values of V", [("line", xy), ("circle", xy)], {0: frame})


def _energy():
    frame = frames.spectrum_frame(SVD)
    return charts.energy_chart(frame), Drawn("Cumulative energy  Σ_{i≤k} s_i² / Σ s_i²",
                                             [("line", {"x": "direction", "y": "cumulative_energy"})], {0: frame})


def _right_vectors():
    frame = frames.right_vectors_frame(SVD, [1, 2])
    return charts.right_vectors_chart(frame), Drawn(
        "Right singular vectors", [("line", {"x": "unit", "y": "value", "color": "direction"})], {0: frame})


def _cumulative_histogram():
    frame = frames.right_vectors_frame(SVD, [1, 3])
    return charts.cumulative_histogram_chart(frame), Drawn(
        "Cumulative histogram (LSTM outputs lie in [-1, 1])",
        [("line", {"x": "value", "y": "share", "color": "direction"}), ("rule", {"x": "bound"})],
        {0: frame, 1: [{"bound": -1.0}, {"bound": 1.0}]})


def _token_values():
    frame = frames.token_frame(VOCAB, {"v": WEIGHTS.v})
    return charts.token_values_chart(frame, "v", "bias v"), Drawn(
        None, [("bar", {"x": "token", "y": "v", "color": "category"})], {0: frame})


def _distributions():
    frame = frames.distributions_frame(VOCAB, {"softmax(v)": np.full(len(VOCAB), 1 / len(VOCAB)),
                                               "pushed": np.eye(len(VOCAB))[3]})
    return charts.distributions_chart(frame, top=5), Drawn(
        None, [("bar", {"x": "token", "xOffset": "distribution", "y": "probability", "color": "distribution"})],
        {0: frame})


def _bias_and_columns():
    columns, bias = frames.columns_frame(WEIGHTS), frames.token_frame(VOCAB, {"v": WEIGHTS.v})
    return charts.bias_and_columns_chart(columns, bias), Drawn(
        "Bias v (red) over every column of V (blue)",
        [("circle", {"x": "index", "y": "value"}), ("line", {"x": "index", "y": "v"})], {0: columns, 1: bias})


def _correlation():
    frame = frames.column_bias_correlation(WEIGHTS)
    return charts.correlation_chart(frame), Drawn(
        "Correlation of each column of V with the bias v", [("bar", {"x": "place", "y": "correlation"})], {0: frame})


def _populations():
    frame = frames.populations_frame({"without": population([TUNE, JIG]), "with the change": population([JIG])})
    return charts.populations_chart(frame), Drawn(None, [("bar", {
        "x": "token", "xOffset": "group", "y": "tunes", "color": "group", "column": "kind"})], {0: frame})


def _token_change():
    p = np.linspace(0.1, 0.9, len(TUNE) + 1)
    frame = frames.token_change_frame(TUNE, {"without": p, "with the change": p[::-1]})
    return charts.token_change_chart(frame), Drawn(
        "Each token's probability, with and without",
        [("line", {"x": "step", "y": "probability", "color": "curve"})], {0: frame})


def _unit_power():
    power = power_at_period(H, bar_period(TUNE))
    strongest = np.argsort(-power)[:3]
    rows = [{"rank": r, "unit": int(u), "power": power[u]} for r, u in enumerate(strongest, start=1)]
    return charts.unit_power_chart(frames.unit_power_frame(power), 3), Drawn(
        "Power of each unit's h_t at the bar period", [("bar", {"x": "unit", "y": "power"})], {0: rows})


def _periodogram():
    period = bar_period(TUNE)
    freqs, power = periodogram(H)
    frame = frames.periodogram_frame(freqs, power, [2, 5])
    return charts.periodogram_chart(frame, period), Drawn(
        "Periodograms of the most periodic units",
        [("line", {"x": "frequency", "y": "power", "color": "unit"}), ("rule", {"x": "frequency"})],
        {0: frame, 1: [{"frequency": 1 / period, "period": period}]})


def _state_change():
    before = [layer.h for layer in internals(WEIGHTS, TUNE).layers]
    frame = frames.state_change_frame(TUNE, before, [h + 0.1 * np.sign(h) for h in before])
    return charts.state_change_chart(frame), Drawn(
        "How far the hidden states move", [("line", {"x": "step", "y": "change", "color": "layer"})], {0: frame})


def _missed_mass():
    frame = frames.missed_mass_frame(TUNE[:10], np.linspace(0, 0.5, 11))
    return charts.missed_mass_chart(frame), Drawn(
        "Probability the search misses, per step", [("bar", {"x": "step", "y": "missed"})], {0: frame})


def _projection():
    frame = frames.projections_frame(TUNE, projections(H, SVD), [1, 2, 3])
    chosen = frame[(frame["step"] == 4) & (frame["direction"] == 1)]  # the first of step 4's three rows
    return charts.projection_heatmap(frame, step=4), Drawn(
        "Projections of h_t on the right singular vectors",
        [("rect", {"x": "label", "y": "direction", "color": "value"}), ("rect", {"x": "label"})],
        {0: frame, 1: chosen})


def _decomposition():
    token = VOCAB.index[TUNE[5]]
    frame = frames.decomposition_frame(logit_decomposition(H[5], SVD, token), SVD, 3)
    assert frame["end"].iloc[-1] == pytest.approx(WEIGHTS.V[token] @ H[5] + WEIGHTS.v[token])  # the logit itself
    return charts.decomposition_chart(frame), Drawn(
        "Logit = Σ_i s_i (w_i · h_t) u_i[token] + v[token]",
        [("rule", {"y": "y"}), ("bar", {"x": "term", "y": "start", "y2": "end", "color": "kind"})],
        {0: [{"y": 0.0}], 1: frame})


def _per_direction(build, chart_title, mark, field_, baseline):
    frame = frames.usage_frame(USAGE)
    return build(frame), Drawn(chart_title, [(mark, {"x": "direction", "y": field_}), ("rule", {"y": baseline})],
                               {0: frame, 1: frame.head(1)})


def _usage():
    return _per_direction(charts.usage_chart, "Mean |w_i · h_t| per direction (dashed: a random unit direction)",
                          "bar", "mean_abs_projection", "random_direction_baseline")


def _variation():
    return _per_direction(charts.variation_chart,
                          "How much w_i · h_t varies from step to step (dashed: a random unit direction)",
                          "bar", "std_projection", "random_direction_std")


def _share():
    return _per_direction(charts.share_chart, "Share of ||h_t||² along each w_i (dashed: 1/H)", "circle",
                          "mean_share_of_norm2", "random_share")


def _usage_category():
    frame = frames.usage_category_frame(USAGE, [1, 2, 3])
    return charts.usage_category_heatmap(frame), Drawn(
        "Which directions each kind of next token uses",
        [("rect", {"x": "direction", "y": "category", "color": "ratio_to_random"})], {0: frame})


def _nll():
    curve = nll_curve(H, SVD, TARGETS)
    frame = frames.nll_frame(np.arange(1, SVD.rank + 1), curve)
    return charts.nll_chart(frame, float(curve[-1]), k=2), Drawn(
        "NLL of the tune under V_k (log scale)",
        [("line", {"x": "k", "y": "nll_per_token"}), ("rule", {"y": "nll"}), ("circle", {"x": "k", "y": "nll_per_token"})],
        {0: frame, 1: [{"nll": curve[-1], "what": "full model"}], 2: [{"k": 2, "nll_per_token": curve[1]}]})


def _removal():
    full = float(nll_curve(H, SVD, TARGETS)[-1])
    frame = pd.DataFrame({"direction": [1, 2, 3], "nll_per_token": removal_curve(H, SVD, TARGETS, [1, 2, 3])})
    frame["increase"] = frame["nll_per_token"] - full
    return charts.removal_chart(frame, full), Drawn(
        "Removing one direction (dashed: full model)",
        [("bar", {"x": "direction", "y": "nll_per_token"}), ("rule", {"y": "nll"})], {0: frame, 1: [{"nll": full}]})


def _token_nll():
    frame = frames.token_nll_frame(TUNE, {"full model": token_nll(H, SVD, TARGETS),
                                          "top 2": token_nll(H, SVD, TARGETS, keep_mask(SVD.rank, 2))})
    return charts.token_nll_chart(frame), Drawn(
        "Surprise at each token", [("line", {"x": "step", "y": "nll", "color": "model"})], {0: frame})


def _wellformed():
    ended, unended = Tune(list(PART5_TUNE), True), Tune(JIG, False)  # well-formed; cut off, so not
    results = {Truncation(1): [ended], Truncation(2): [ended, unended], Truncation(remove=[1]): [unended]}
    rows = [{"k": 1, "softmax": "top 1 of 8 directions", "tunes": 1, "ended": 1, "well_formed": 1, "well_formed_share": 1.0},
            {"k": 2, "softmax": "top 2 of 8 directions", "tunes": 2, "ended": 1, "well_formed": 1, "well_formed_share": 0.5}]
    return charts.wellformed_chart(frames.wellformed_frame(results, SVD.rank, along_k=True)), Drawn(
        "Well-formed share of composed tunes", [("line", {"x": "k", "y": "well_formed_share"})], {0: rows})


def _spectra():
    frame = frames.spectra_frame({"A": SVD, "B": softmax_svd(random_weights(hidden=6, layers=1, seed=6))})
    return charts.spectra_chart(frame), Drawn("Singular values of V", [("line", {
        "x": "direction", "y": "singular_value", "color": "model", "strokeDash": "model"})], {0: frame})


def _comparison():
    return compare_softmax(SVD, softmax_svd(random_weights(hidden=6, layers=1, seed=6)), 4)


def _angles():
    same = principal_angles(SVD.U[:, :4], SVD.U[:, :4])
    frame = frames.angles_frame({"A vs B": _comparison().angles, "A vs A": same})
    return charts.angles_chart(frame), Drawn(
        "Principal angles between the top-k left singular subspaces",
        [("line", {"x": "index", "y": "angle_degrees", "color": "pair"})], {0: frame})


def _cosines():
    frame = frames.cosines_frame(_comparison().cosines)
    return charts.cosine_heatmap(frame), Drawn(
        "|cosine| between left singular vectors (shared tokens)",
        [("rect", {"x": "j", "y": "i", "color": "abs_cosine"})], {0: frame})


CASES = {
    "spectrum_chart": _spectrum, "energy_chart": _energy, "right_vectors_chart": _right_vectors,
    "cumulative_histogram_chart": _cumulative_histogram, "token_values_chart": _token_values,
    "distributions_chart": _distributions, "bias_and_columns_chart": _bias_and_columns,
    "correlation_chart": _correlation, "populations_chart": _populations, "token_change_chart": _token_change,
    "unit_power_chart": _unit_power, "periodogram_chart": _periodogram, "state_change_chart": _state_change,
    "missed_mass_chart": _missed_mass, "projection_heatmap": _projection, "decomposition_chart": _decomposition,
    "usage_chart": _usage, "variation_chart": _variation, "share_chart": _share,
    "usage_category_heatmap": _usage_category, "nll_chart": _nll, "removal_chart": _removal,
    "token_nll_chart": _token_nll, "wellformed_chart": _wellformed, "spectra_chart": _spectra,
    "angles_chart": _angles, "cosine_heatmap": _cosines,
}


def test_every_chart_builder_has_a_test():
    public = {name for name, f in inspect.getmembers(charts, inspect.isfunction)
              if f.__module__ == charts.__name__ and not name.startswith("_")}
    builders = {name for name in public if "Chart" in str(inspect.signature(getattr(charts, name)).return_annotation)}
    assert public - builders == {"category_color"}  # the one public function that builds no chart
    assert builders == set(CASES) | TESTED_ELSEWHERE


@pytest.mark.parametrize("name", sorted(CASES))
def test_chart_draws_its_frame_with_tooltips_on_every_mark(name):
    chart, expected = CASES[name]()
    spec = chart.to_dict()
    drawn = views(spec)
    assert title(spec) == expected.title
    assert [(v.mark, v.fields()) for v in drawn] == expected.views
    for n, rows in expected.rows.items():
        got = pd.DataFrame(spec["datasets"][drawn[n].data])
        pd.testing.assert_frame_equal(got, pd.DataFrame(rows).reset_index(drop=True), check_dtype=False)
    for view in drawn:
        assert view.tooltip_fields(), (name, view.mark)
        columns = set(spec["datasets"][view.data][0]) | view.computed()
        assert {*view.fields().values(), *view.tooltip_fields()} <= columns, (name, view.mark)


def test_options_change_the_scales_and_the_order():
    spectrum = frames.spectrum_frame(SVD)
    for build in (charts.spectrum_chart, charts.spectra_chart):
        frame = spectrum if build is charts.spectrum_chart else frames.spectra_frame({"A": SVD})
        assert views(build(frame, log_scale=True).to_dict())[0].encoding["y"]["scale"] == {"type": "log"}
        assert views(build(frame).to_dict())[0].encoding["y"]["scale"] == {"zero": True}
    assert charts.spectrum_chart(spectrum, title="Singular values of W").to_dict()["title"] == "Singular values of W"
    right = frames.right_vectors_frame(SVD, [1])
    assert views(charts.right_vectors_chart(right, sort_values=True).to_dict())[0].fields()["x"] == "rank"
    tokens = frames.token_frame(VOCAB, {"value": SVD.u(1)})
    by_value = views(charts.token_values_chart(tokens, "value", "u_1", sort_by_value=True).to_dict())[0]
    assert by_value.encoding["x"]["sort"] == {"field": "value", "order": "descending"}
    shares = frames.populations_frame({"composed": population([TUNE, JIG])}, shares=True)
    (bars,) = views(charts.populations_chart(shares, "share").to_dict())
    assert bars.fields()["y"] == "share" and bars.encoding["y"]["axis"]["format"] == "%"
    (top,) = views(_distributions()[0].to_dict())
    assert top.transform[-1] == {"filter": "(datum.place <= 5)"}
    assert views(charts.projection_heatmap(frames.projections_frame(TUNE, projections(H, SVD), [1])).to_dict())[0].mark \
        == "rect"  # no step: no marker layer
    assert len(views(charts.nll_chart(frames.nll_frame([1, 2], [2.0, 1.0]), 1.0).to_dict())) == 2  # no k: no marker


def test_paired_colours_follow_the_frames_order():
    (line,) = views(_token_change()[0].to_dict())
    assert line.encoding["color"]["scale"] == {"domain": ["without", "with the change"], "range": charts.PAIR}
    (angles,) = views(_angles()[0].to_dict())
    assert angles.encoding["color"]["scale"] == {"domain": ["A vs B", "A vs A"], "range": ["#4e79a7", "#bab0ac"]}
