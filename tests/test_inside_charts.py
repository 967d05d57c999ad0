"""The "Inside the LSTM" chart builders through ``chart.to_dict()``: the fields they draw and tooltips on
every layer, and the data rows they draw against the same figures computed here from the model's
arrays with numpy."""

import numpy as np
import pandas as pd
import pytest

from explorer import charts, frames
from folkrnn.analysis.input_layer import MatrixId, embedding_gramian, weight_spectra
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
        "span_heatmap": (charts.span_heatmap(heat, [3, 1], (2, 5)), {"value", "unit", "step"}),
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


READ, PREDICTS = ["<s>", *TUNE], [*TUNE, "</s>"]


def drawn(chart, view: int = 0) -> pd.DataFrame:
    """The data rows that view ``view`` of ``chart`` draws, as its spec holds them."""
    spec = chart.to_dict()
    return pd.DataFrame(spec["datasets"][views(spec)[view].data])


def test_activation_heatmap_and_trace_draw_each_units_values():
    h = INSIDE.layers[1].h
    heat = frames.step_matrix_frame(TUNE, h, [3, 1], "unit", offset=0)
    rows = drawn(charts.activation_heatmap(heat, "h", [3, 1]))
    assert len(rows) == len(READ) * 2
    for row in rows.itertuples():
        assert (row.read, row.predicts) == (READ[row.step], PREDICTS[row.step])
        assert row.value == pytest.approx(h[row.step, row.unit])
    bar_lines = drawn(charts.activation_heatmap(heat, "h", [3, 1]), 1)
    assert list(bar_lines["step"]) == [t for t, token in enumerate(PREDICTS) if token in ("|:", "|", ":|")]
    trace = drawn(charts.unit_trace_chart(heat[heat["unit"] == 3], "h"))
    np.testing.assert_allclose(trace["value"], h[:, 3])


def test_histogram_and_peaks_draw_each_layers_values():
    forget = [layer.f for layer in INSIDE.layers]
    rows = drawn(charts.activation_histogram_chart(frames.activation_histogram_frame(forget), "f"))
    edges = np.linspace(min(f.min() for f in forget), max(f.max() for f in forget), 41)
    for n, f in enumerate(forget, start=1):
        layer = rows[rows["layer"] == f"layer {n}"]
        np.testing.assert_allclose(layer["start"], edges[:-1])
        np.testing.assert_allclose(layer["share"], np.histogram(f, edges)[0] / f.size)
    peaks = drawn(charts.unit_peaks_chart(frames.unit_peaks_frame(forget), "f"))
    for n, f in enumerate(forget, start=1):
        layer = peaks[peaks["layer"] == f"layer {n}"].sort_values("rank")
        np.testing.assert_allclose(layer["peak"], np.sort(np.abs(f).max(axis=0))[::-1])
        np.testing.assert_allclose(np.abs(f).max(axis=0)[layer["unit"]], layer["peak"])


def test_lens_heatmap_draws_each_layers_entropy_and_kl():
    rows = drawn(charts.lens_heatmap(frames.lens_frame(logit_lens(WEIGHTS, INSIDE)), "entropy"))
    logits = [layer.h @ WEIGHTS.V.T.astype(np.float64) + WEIGHTS.v for layer in INSIDE.layers]
    p = [np.exp(z - z.max(axis=1, keepdims=True)) / np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)
         for z in logits]
    for row in rows.itertuples():
        q, out = p[row.layer - 1][row.step], p[-1][row.step]
        assert row.entropy == pytest.approx(-(q * np.log(q)).sum(), rel=1e-6)
        assert row.kl_to_output == pytest.approx((out * np.log(out / q)).sum(), abs=1e-9)
        assert row.top_token == WEIGHTS.vocabulary.tokens[q.argmax()] and row.predicts == PREDICTS[row.step]
    assert len(rows) == len(INSIDE.layers) * len(READ)


def test_gramian_heatmaps_draw_cosines():
    steps = drawn(charts.step_gramian_heatmap(frames.step_gramian_frame(TUNE, gramian(step_signal(INSIDE, "input"),
                                                                                       "cosine")), [3], "cosine", "t"))
    assert len(steps) == len(READ) ** 2
    np.testing.assert_array_equal(steps["value"], [float(READ[a] == READ[b]) for a, b in zip(steps["step_a"], steps["step_b"])])
    tokens = drawn(charts.token_gramian_heatmap(frames.token_gramian_frame(WEIGHTS.vocabulary,
                                                                            embedding_gramian(WEIGHTS, "forget")), "t"))
    H, index = WEIGHTS.hidden_size, WEIGHTS.vocabulary.index
    E = WEIGHTS.layers[0].W_ih[H : 2 * H].T.astype(np.float64)  # the forget gate's rows, a column per token
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    np.testing.assert_allclose(tokens["value"], [E[index[a]] @ E[index[b]] for a, b in zip(tokens["token_a"],
                                                                                          tokens["token_b"])], atol=1e-9)


def test_stable_rank_chart_draws_every_matrix():
    rows = drawn(charts.stable_rank_chart(frames.weight_spectra_frame(weight_spectra(WEIGHTS))))
    H, layers = WEIGHTS.hidden_size, WEIGHTS.layers
    expected = {"V": WEIGHTS.V} | {f"layer {n} {kind} {gate}": W[k * H : (k + 1) * H]
                                   for n, layer in enumerate(layers, start=1)
                                   for k, gate in enumerate(("input", "forget", "cell", "output"))
                                   for kind, W in (("W_x", layer.W_ih), ("W_h", layer.W_hh))}
    assert sorted(rows["matrix"]) == sorted(expected)
    for row in rows.itertuples():
        W = expected[row.matrix].astype(np.float64)
        assert row.stable_rank == pytest.approx(np.linalg.norm(W, "fro") ** 2 / np.linalg.norm(W, 2) ** 2)
        assert row.s_1 == pytest.approx(np.linalg.norm(W, 2)) and row.shape == f"{W.shape[0]} × {W.shape[1]}"
        assert (row.layer, row.kind, row.gate) == (("softmax", "V", "") if row.matrix == "V"
                                                   else tuple(row.matrix.split()[1:]))


def test_weight_spectra_name_each_matrix_by_fields():
    spectra = weight_spectra(WEIGHTS)
    assert spectra[0].matrix == MatrixId("W_x", 1, "input") and spectra[0].name == "layer 1 W_x input"
    assert spectra[-1].matrix == MatrixId("V") and spectra[-1].name == "V"


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


def test_span_heatmap_draws_h_brushable_along_the_steps_and_frames_the_span():
    h = INSIDE.layers[1].h
    chart = charts.span_heatmap(frames.step_matrix_frame(TUNE, h, [3, 1], "unit", offset=0), [3, 1], (2, 5))
    rows = drawn(chart)
    assert len(rows) == len(READ) * 2
    for row in rows.itertuples():
        assert row.value == pytest.approx(h[row.step, row.unit]) and row.read == READ[row.step]
    spec = chart.to_dict()
    (brush,) = spec["params"]  # Altair lifts a layer's parameter to the top, bound to that layer's view
    assert brush["name"] == "span" and brush["select"] == {"type": "interval", "encodings": ["x"]}
    assert spec["layer"][0]["name"] in brush["views"] and spec["layer"][0]["encoding"]["x"]["type"] == "quantitative"
    assert list(drawn(chart, 1)["step"]) == [t for t, token in enumerate(PREDICTS) if token in ("|:", "|", ":|")]
    assert drawn(chart, 2)[["first", "after"]].values.tolist() == [[3, 6]]  # tokens 2..4 are steps 3..5


def test_selection_and_match_frames_hold_the_package_numbers():
    from folkrnn.analysis.matching import Match, Selection

    states = INSIDE.layers[1].h[1:]
    table = frames.unit_selection_frame(states, Selection(2, (2, 5), 0.0, 0, (1, 3)))
    np.testing.assert_allclose(table["mean h_t"], states[2:5, [1, 3]].mean(axis=0))
    np.testing.assert_allclose(table["least h_t"], states[2:5, [1, 3]].min(axis=0))
    found = frames.span_matches_frame([TUNE], [Match(0, 3, 5, 2, 1)], context=2)
    assert found.iloc[0].to_dict() == {"rank": 1, "tune": 0, "start": 3, "end": 5, "score": 1, "shared": 2, "extra": 1,
                                       "before": "K:Cmaj |:", "span": "c 2", "after": "G E"}
