"""The spectrum summary against numpy's own SVD: s_i, s_1/s_2 and the tokens each push favours."""

import numpy as np
import pytest

from folkrnn.analysis.spectrum import spectrum_summary, top_pushed_tokens
from folkrnn.analysis.svd import softmax_svd
from tests.factories import random_weights


@pytest.fixture(scope="module")
def model():
    weights = random_weights(hidden=16, seed=7)
    return weights, softmax_svd(weights)


@pytest.mark.parametrize("i, sign", [(1, 1.0), (1, -1.0), (2, -1.0), (3, 1.0)])
def test_pushed_tokens_are_the_top_of_the_pushed_softmax(model, i, sign):
    weights, svd = model
    _, s, Wt = np.linalg.svd(weights.V.astype(np.float64))
    w = Wt[i - 1] * np.sign(Wt[i - 1] @ svd.w(i))  # w_i with the package's orientation
    z = weights.v + sign * weights.V @ w  # V w_i = s_i u_i
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    top = np.argsort(-p)[:4]
    got = top_pushed_tokens(svd, i, sign, k=4)
    assert [t for t, _ in got] == [weights.vocabulary.tokens[j] for j in top]
    np.testing.assert_allclose([q for _, q in got], p[top], rtol=1e-5)


def test_summary_holds_the_first_singular_values_and_six_pushes(model):
    weights, svd = model
    s = np.linalg.svd(weights.V.astype(np.float64), compute_uv=False)
    summary = spectrum_summary(svd)
    np.testing.assert_allclose(summary["s"], s[:3], rtol=1e-10)
    assert summary["s1_over_s2"] == pytest.approx(s[0] / s[1])
    assert summary["pushes"]["-u2"][0][0] == top_pushed_tokens(svd, 2, -1.0)[0][0]
    assert [len(v) for v in summary["pushes"].values()] == [3] * 6


def test_comparison_frame_puts_the_model_next_to_the_original(model):
    from explorer.frames import original_comparison_frame

    _, svd = model
    frame = original_comparison_frame(svd)
    assert list(frame["direction"]) == [1, 2, 3]
    np.testing.assert_allclose(frame["s_i"], svd.s[:3])
    assert list(frame["original s_i"]) == [509.0, 65.76, 63.45]
    (t1, p1), (t2, p2) = top_pushed_tokens(svd, 2, -1.0, k=2)
    assert frame.loc[1, "v − s_i u_i"] == f"“{t1}” {p1:.0%}, “{t2}” {p2:.0%}"
    assert "“|:” 27%" in frame.loc[0, "original (blog)"] and "“>” 98%" in frame.loc[2, "original (blog)"]


def test_history_chart_draws_each_singular_value_per_epoch_with_tooltips():
    from explorer.charts import spectrum_history_chart
    from explorer.frames import spectrum_history_frame

    history = [{"epoch": e, "s": [3.0 * e, 2.0 * e, e], "s1_over_s2": 1.5,
                "pushes": {"-u1": [["|:", 0.2]], "+u1": [["c", 0.1]]}} for e in (1, 2)]
    frame = spectrum_history_frame(history)
    assert len(frame) == 6 and set(frame["direction"]) == {"s_1", "s_2", "s_3"}
    assert frame.query("epoch == 2 and direction == 's_1'")["singular_value"].item() == 6.0
    assert set(frame["top_minus_u1"]) == {"|:"}
    spec = spectrum_history_chart(frame).to_dict()
    values, ratio = spec["vconcat"]
    assert values["encoding"]["y"]["scale"]["type"] == "log"
    assert {t["field"] for t in values["encoding"]["tooltip"]} >= {"epoch", "singular_value", "s1_over_s2", "top_minus_u1"}
    line, rule, label = ratio["layer"]
    assert line["encoding"]["y"]["field"] == "s1_over_s2" and line["transform"] == [{"filter": "(datum.direction === 's_1')"}]
    assert [rule["mark"]["type"], label["mark"]["type"]] == ["rule", "text"]
    assert spec["datasets"][rule["data"]["name"]] == [{"ratio": pytest.approx(509.0 / 65.76), "label": "the original v2"}]
    assert all("tooltip" in layer["encoding"] for layer in (line, rule, label))


def test_runs_chart_draws_both_runs_against_updates():
    from explorer.charts import runs_spectrum_chart
    from explorer.frames import runs_spectrum_frame

    def log(updates_per_epoch, s1):
        return {"epochs": [{"epoch": e, "updates": e * updates_per_epoch, "spectrum": {"s": [s1 * e, 2.0, 1.0]}}
                           for e in (1, 2)]}

    frame = runs_spectrum_frame({"head": log(114, 10.0), "january": log(145, 3.0)})
    assert len(frame) == 12
    row = frame.query("run == 'head' and epoch == 2 and measure == 's_1/s_2'")
    assert row[["updates", "value"]].values.tolist() == [[228, 10.0]]
    spec = runs_spectrum_chart(frame).to_dict()
    values, ratio = spec["vconcat"]
    assert values["encoding"]["x"]["field"] == "updates" and values["encoding"]["color"]["field"] == "run"
    assert values["transform"] == [{"filter": "(datum.measure !== 's_1/s_2')"}]
    line, rule = ratio["layer"]
    assert line["transform"] == [{"filter": "(datum.measure === 's_1/s_2')"}]
    assert spec["datasets"][rule["data"]["name"]][0]["ratio"] == pytest.approx(509.0 / 65.76)
    assert all("tooltip" in view["encoding"] for view in (values, line, rule))


def test_the_blogs_pushes_by_direction_and_as_text():
    from folkrnn.analysis.spectrum import original_pushes, push_text

    assert original_pushes(1) == "−u₁: “|:” 27%, “</s>” 17%"
    assert original_pushes(3) == "+u₃: “>” 98%; −u₃: “b” ≈ 60%"
    assert push_text([("|:", 0.274), ["</s>", 0.166]]) == "“|:” 27%, “</s>” 17%"
