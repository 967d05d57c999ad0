"""Every page of the app through streamlit.testing.v1.AppTest, checked against the package."""

import json
from dataclasses import replace

import numpy as np
import pytest

from folkrnn import load_model, softmax_svd
from folkrnn.analysis.perturbation import bias_distribution, entropy, perturbed_distribution, probability_factor
from tests.apptest_pages import ENTRY_APP, chart_data, chart_spec, metrics, open_page
from tests.factories import random_weights

HISTORY = [{"epoch": e, "s": [9.0 + e, 4.0, 3.0], "s1_over_s2": (9.0 + e) / 4, "pushes": {}} for e in (1, 2, 3)]
#: A checkpoint that holds its training's spectrum history.
TRAINED = replace(random_weights(hidden=8, layers=1, seed=2), metadata={"training": {"spectrum_history": HISTORY}})


@pytest.fixture(scope="module")
def weights():
    return load_model()


@pytest.fixture(scope="module")
def svd(weights):
    return softmax_svd(weights)


def test_home_shows_the_current_models_facts(weights):
    at = open_page(None, app=ENTRY_APP)  # the real entry script opens on home
    assert "softmax layer" in at.title[0].value
    assert metrics(at)["Parameters"] == f"{weights.parameter_count:,}"
    assert metrics(at)["Vocabulary"] == "137 tokens"
    assert metrics(at)["Validation NLL (nats/token)"] == f"{weights.metadata['training']['valid_nll_per_token']:.3f}"
    assert at.sidebar.radio(key="model").value == "Replica"


def test_spectrum_metrics_and_log_toggle(svd):
    at = open_page("spectrum")
    assert metrics(at)["s₁"] == f"{svd.s[0]:.2f}"
    assert metrics(at)["s₁ / s₂"] == f"{svd.s[0] / svd.s[1]:.2f}"
    assert '"type": "log"' not in json.dumps(chart_spec(at))
    at.toggle(key="log").set_value(True).run()
    assert '"type": "log"' in json.dumps(chart_spec(at))
    assert at.get("download_button")[0].proto.label == "Download singular_values.csv"


def test_spectrum_and_home_set_the_model_beside_the_original(svd):
    for at in (spectrum := open_page("spectrum"), open_page(None)):
        (table,) = at.dataframe
        np.testing.assert_allclose(table.value["s_i"], svd.s[:3])
        assert list(table.value["original s_i"]) == [509.0, 65.76, 63.45]
    assert any("no per-epoch spectrum" in c.value for c in spectrum.caption)


@pytest.mark.app_model(TRAINED)
def test_spectrum_plots_the_training_history_a_checkpoint_holds():
    at = open_page("spectrum")
    drawn = chart_data(at, 2)
    assert sorted(drawn.query("direction == 's_1'")["singular_value"]) == [10.0, 11.0, 12.0]
    assert [b.proto.label for b in at.get("download_button")][-1] == "Download spectrum_history.csv"


def test_right_vectors_overlay_the_chosen_directions(svd):
    at = open_page("right")
    at.multiselect(key="w").set_value([2, 5]).run()
    assert len(at.get("vega_lite_chart")[0].proto.datasets) == 1
    data = chart_data(at)
    assert set(data["direction"]) == {"w_2", "w_5"}
    np.testing.assert_allclose(data[data["direction"] == "w_5"]["value"], svd.w(5))
    at.multiselect(key="w").set_value([]).run()
    assert "Choose at least one direction" in at.info[0].value


def test_left_vector_tables_match_the_package(weights, svd):
    at = open_page("left", i=3)
    u = svd.u(3)
    raised, lowered = at.dataframe[0].value, at.dataframe[1].value
    assert raised["token"][0] == weights.vocabulary.tokens[int(np.argmax(u))]
    assert lowered["token"][0] == weights.vocabulary.tokens[int(np.argmin(u))]
    at.toggle(key="flip").set_value(True).run()
    assert at.dataframe[0].value["token"][0] == weights.vocabulary.tokens[int(np.argmin(u))]


def test_perturbation_top_token_matches_the_package(weights, svd):
    at = open_page("perturb")
    at.number_input(key="i").set_value(3).run()
    at.slider(key="a").set_value(1.0).run()
    p = perturbed_distribution(svd, {3: 1.0})
    assert metrics(at)["Most likely token"] == weights.vocabulary.tokens[int(np.argmax(p))]
    assert metrics(at)["Entropy perturbed"] == f"{entropy(p):.3f} nats"
    at.button[0].click().run()  # a = -1
    assert at.slider(key="a").value == -1.0
    p = perturbed_distribution(svd, {3: -1.0})
    assert metrics(at)["Most likely token"] == weights.vocabulary.tokens[int(np.argmax(p))]
    assert metrics(at)["Entropy of softmax(v)"] == f"{entropy(bias_distribution(svd)):.3f} nats"


def test_perturbation_with_two_directions_and_temperature(weights, svd):
    at = open_page("perturb", i=1, a=-1, T=0.5)
    at.toggle(key="second").set_value(True).run()
    at.number_input(key="j").set_value(2).run()
    at.slider(key="b").set_value(0.5).run()
    p = perturbed_distribution(svd, {1: -1.0, 2: 0.5}, 0.5)
    top = at.dataframe[0].value
    assert list(top["token"][:3]) == [weights.vocabulary.tokens[k] for k in np.argsort(p)[::-1][:3]]
    np.testing.assert_allclose(top["probability"][:3], np.sort(p)[::-1][:3], rtol=1e-9)


def test_bias_page_calculator(weights, svd):
    at = open_page("bias")
    at.selectbox(key="token").set_value("|").run()
    at.number_input(key="delta").set_value(2.0).run()
    p = bias_distribution(svd)[weights.vocabulary.index["|"]]
    label = "p(|) under softmax(v)"
    assert metrics(at)[label] == f"{p:.4f}"
    alpha = float(probability_factor(p, 2.0))
    assert f"× {alpha:.3f}" in next(m.proto.delta for m in at.metric if m.label == label)
    assert len(at.get("vega_lite_chart")) == 3


def test_state_in_the_url_reproduces_a_view(weights, svd):
    at = open_page("left", i=7, by_value="true")
    assert at.number_input(key="i").value == 7
    assert at.toggle(key="by_value").value is True
