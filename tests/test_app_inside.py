"""AppTest coverage of the "Inside the LSTM" pages on the embedded model, each page's numbers checked against
the package."""

from __future__ import annotations

import numpy as np
import pytest

from folkrnn import load_model
from folkrnn.analysis.internals import internals
from folkrnn.analysis.lens import logit_lens
from folkrnn.examples import PART5_TUNE
from tests.apptest_pages import chart_data, chart_spec, open_page
from tests.factories import random_weights

#: A two-layer, 8-unit model (as from an uploaded file).
SMALL = random_weights(hidden=8, layers=2, seed=12)


@pytest.fixture(scope="module")
def weights():
    return load_model()


@pytest.fixture(scope="module")
def part5(weights):
    return internals(weights, PART5_TUNE)


def test_lens_shows_the_part5_tune_layer_by_layer(weights, part5):
    lens = logit_lens(weights, part5)
    at = open_page("lens", step=12)
    assert [m.value for m in at.metric] == [f"{kl:.3f}" for kl in lens.kl_to_output.mean(axis=1)]
    drawn = chart_data(at)
    assert len(drawn) == 3 * (len(PART5_TUNE) + 1)
    row = drawn.query("layer == 2 and step == 12")
    assert row["kl_to_output"].item() == pytest.approx(lens.kl_to_output[1, 12])
    assert row["top_token"].item() == lens.top(2, 12, 1)[0][0]
    table = at.dataframe[0].value
    assert list(table["layer 1"]) == [t for t, _ in lens.top(1, 12, 5)]
    assert list(table["layer 3"]) == [t for t, _ in lens.top(3, 12, 5)]
    assert chart_spec(at)["encoding"]["color"]["field"] == "kl_to_output"
    at = open_page("lens", step=12, measure="entropy")
    assert chart_spec(at)["encoding"]["color"]["field"] == "entropy"


def test_lens_names_an_unknown_token_and_waits_on_an_empty_tune():
    at = open_page("lens", tokens="M:4/4 K:Cmaj H c")
    assert "not in this model's vocabulary" in at.error[0].value and "H" in at.error[0].value
    assert not at.get("vega_lite_chart")
    at = open_page("lens", tokens=" ")
    assert "Type or paste a tune" in at.info[0].value


def test_layers_heatmap_sparsity_and_unit_trace(weights, part5):
    from folkrnn.analysis.internals import sparsity, unit_peaks

    at = open_page("layers", layer=2, signal="f", units=16)
    forget = part5.layers[1].f
    units, _ = unit_peaks(forget)
    heat = chart_data(at)
    assert sorted(set(heat["unit"])) == sorted(units[:16].tolist()) and len(heat) == 16 * (len(PART5_TUNE) + 1)
    cell = heat.query(f"unit == {units[3]} and step == 7")["value"].item()
    assert cell == pytest.approx(forget[7, units[3]])
    assert [m.value for m in at.metric] == [f"{sparsity(layer.f):.1%}" for layer in part5.layers]
    bar_lines = chart_data(at, 0, dataset=1)
    bars = [i for i, t in enumerate(PART5_TUNE) if t in ("|", "|:", ":|")]  # step i predicts token i
    assert sorted(bar_lines["step"]) == bars
    trace = chart_data(at, 3)  # the line; dataset 1 holds the bar lines
    assert list(trace["value"]) == pytest.approx(list(forget[:, units[0]]))  # the default unit: the top one
    at.number_input(key="unit").set_value(5).run()
    assert list(chart_data(at, 3)["value"]) == pytest.approx(list(forget[:, 5]))


def test_self_similarity_gramian_and_pair_share(weights, part5):
    from folkrnn.analysis.similarity import cosine_distances, gramian, share_of_pairs_above, step_signal

    at = open_page("similarity", signal="layer 2 c", kind="dot", threshold=0.3)
    X = part5.layers[1].c
    (metric,) = at.metric
    assert metric.value == f"{share_of_pairs_above(cosine_distances(X), 0.3):.1%}"
    drawn = chart_data(at)
    n = len(PART5_TUNE) + 1
    assert len(drawn) == n * n
    assert drawn.query("step_a == 5 and step_b == 40")["value"].item() == pytest.approx(gramian(X, "dot")[5, 40])
    assert drawn.query("step_a == 5 and step_b == 40")["read_b"].item() == PART5_TUNE[39]
    grid = chart_data(at, 0, dataset=1)
    assert sorted(grid["step"]) == [i + 1 for i, t in enumerate(PART5_TUNE) if t in ("|", "|:", ":|")]
    inputs = step_signal(part5, "input")
    at = open_page("similarity", signal="input", second="true", b_seed=4)
    assert len(at.metric) == 2 and len(at.get("vega_lite_chart")) == 2
    assert at.metric[0].value == f"{share_of_pairs_above(cosine_distances(inputs), 0.5):.1%}"


def test_input_layer_embeddings_svd_and_stable_ranks(weights):
    from folkrnn.analysis.input_layer import embedding_gramian, top_tokens_of_right_vectors, weight_spectra

    at = open_page("input-layer", gate="forget")
    cosines = chart_data(at)
    G = embedding_gramian(weights, "forget")
    j, k = weights.vocabulary.encode(["c", "G"])
    row = cosines.query("token_a == 'c' and token_b == 'G'")
    assert row["value"].item() == pytest.approx(G[j, k])
    first = top_tokens_of_right_vectors(weights, "forget", 1, 5)[0]
    table = at.dataframe[0].value
    assert table["largest"][0] == ", ".join(t for t, _ in first["largest"])
    ranks = chart_data(at, 1)
    spectra = {m.name: m for m in weight_spectra(weights)}
    assert len(ranks) == 3 * 8 + 1
    assert ranks.query("matrix == 'V'")["stable_rank"].item() == pytest.approx(spectra["V"].stable_rank)
    curve = chart_data(at, 2)
    np.testing.assert_allclose(curve["singular_value"], spectra["layer 1 W_x input"].s)


@pytest.mark.app_model(SMALL)
@pytest.mark.parametrize("page", ["layers", "similarity", "lens", "input-layer"])
def test_every_page_runs_on_another_models_shapes(page):
    """On SMALL, the pages adapt to its layers and units."""
    at = open_page(page)
    assert at.get("vega_lite_chart")
    if page == "layers":
        assert [s.value for s in at.selectbox if s.key == "layer"] == [2]
        assert len(at.metric) == 2
    if page == "lens":
        lens = logit_lens(SMALL, internals(SMALL, PART5_TUNE))
        assert [m.value for m in at.metric] == [f"{kl:.3f}" for kl in lens.kl_to_output.mean(axis=1)]
