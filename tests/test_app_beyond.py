"""AppTest coverage of the "beyond the blog" pages through tests/beyond_app.py.

The embedded model is replaced by a small random one (hidden 16) so the pages run in seconds; query
parameters set before a run keep every sampling workload tiny.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import explorer.models
import explorer.session
from explorer.navigation import DIRECTIONS_IN_USE
from folkrnn.analysis.truncation import truncated_weights
from folkrnn.examples import PART5_TUNE
from folkrnn.io.checkpoint import to_bytes
from folkrnn.music.transcriptions import encode_tunes
from folkrnn.network.activations import run
from folkrnn.network.evaluation import nll
from folkrnn.network.model import FolkRNN
from folkrnn.vocab import END
from tests.apptest_pages import press_forms
from tests.factories import random_weights

APP = str(Path(__file__).with_name("beyond_app.py"))
H = 16
WEIGHTS = random_weights(hidden=H, seed=21)
SMALL = {"n": "5", "survey_length": "30", "length": "30"}


@pytest.fixture(autouse=True)
def small_embedded_model(monkeypatch):
    monkeypatch.setattr(explorer.models, "embedded_model", lambda *_: WEIGHTS)
    monkeypatch.setattr(explorer.session, "embedded_model", lambda *_: WEIGHTS)


def _app(params: dict | None = None, page: str = "in-use", press: bool = True) -> AppTest:
    """A fresh app opened on ``page`` (url path) with these query parameters, run once, then with its
    forms' buttons pressed (unless not ``press``)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["start_page"] = page
    at.query_params.update({**SMALL, **(params or {})})
    at.run()
    return press_forms(at) if press else at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


KEY_COLUMNS = {  # each table the tests read, by a column only it has on its page
    "decomposition-table": "contribution", "tunes-table": "meter", "wellformed-table": "softmax",
    "truncated-tunes": "reason", "matches": "best j",
}


def _table(at: AppTest, key: str):
    """The dataframe shown as ``key`` (AppTest does not expose dataframe keys), or None."""
    frames = [df.value for df in at.dataframe if KEY_COLUMNS[key] in df.value.columns]
    return frames[0] if frames else None


def _chart_data(at: AppTest, mark: str):
    """The data of the first Vega-Lite chart whose spec holds ``mark`` (e.g. a title), as a DataFrame."""
    import json

    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    for element in at.main:
        if element.type == "vega_lite_chart" and mark in json.dumps(json.loads(element.proto.spec), ensure_ascii=False):
            return convert_arrow_bytes_to_pandas_df(element.proto.datasets[0].data.data)
    raise AssertionError(f"no chart with {mark!r}")


def _metric(at: AppTest, prefix: str) -> str:
    values = [m.value for m in at.metric if m.label.startswith(prefix)]
    assert values, f"no metric {prefix!r} among {[m.label for m in at.metric]}"
    return values[0]


# ---------------------------------------------------------------------------------------------
# Directions in use


def test_decomposition_shown_sums_to_the_network_logit():
    tokens = list(PART5_TUNE[:20])
    at = _app({"source": "Type", "tokens": " ".join(tokens), "step": "7", "terms": "5"})
    _ok(at)
    assert not at.error
    table = _table(at, "decomposition-table")
    acts = run(FolkRNN.from_weights(WEIGHTS), WEIGHTS.vocabulary, tokens)
    token = WEIGHTS.vocabulary.index[tokens[7]]  # step 7 predicts the 8th token
    logit = float(acts.logits[7, token])
    assert list(table["term"])[-2:] == ["bias v", "logit"]
    assert len(table) == 5 + 3  # 5 directions, the other 11, the bias, the total
    assert table["contribution"].iloc[:-1].sum() == pytest.approx(logit, abs=1e-4)
    assert table["contribution"].iloc[-1] == pytest.approx(logit, abs=1e-4)
    assert table["running sum"].iloc[-2] == pytest.approx(logit, abs=1e-4)
    assert float(_metric(at, "Logit of")) == pytest.approx(logit, abs=1e-3)
    assert float(_metric(at, "p(")) == pytest.approx(acts.probabilities[7, token], abs=1e-4)
    # the largest terms come first, and each is s_i (w_i . h_t) u_i[token]
    shown = table.iloc[:5]
    assert list(shown["contribution"].abs()) == sorted(shown["contribution"].abs(), reverse=True)
    from folkrnn.analysis.svd import softmax_svd

    svd = softmax_svd(WEIGHTS)
    for _, row in shown.iterrows():
        i = int(row["term"].split()[-1])
        direct = svd.s[i - 1] * float(acts.hidden[7] @ svd.w(i)) * svd.u(i)[token]
        assert row["contribution"] == pytest.approx(direct, abs=1e-6)


def test_heatmap_shows_the_projections_of_the_network_states():
    tokens = ["M:4/4", "K:Cmaj", "c", "d", "|"]
    at = _app({"source": "Type", "tokens": " ".join(tokens), "top": "3"})
    _ok(at)
    data = _chart_data(at, "Projections of h_t")
    from folkrnn.analysis.svd import softmax_svd

    svd = softmax_svd(WEIGHTS)
    hidden = run(FolkRNN.from_weights(WEIGHTS), WEIGHTS.vocabulary, tokens).hidden
    assert len(data) == 6 * 3 and sorted(set(data["direction"])) == [1, 2, 3]
    for row in data.itertuples():
        assert row.value == pytest.approx(float(hidden[row.step] @ svd.w(row.direction)), abs=1e-6)
        assert row.predicts == [*tokens, END][row.step] and row.read == ["<s>", *tokens][row.step]


def test_decomposition_of_another_token_and_of_the_end():
    tokens = ["M:6/8", "K:Cdor", "c", "d", "e"]
    at = _app({"source": "Type", "tokens": " ".join(tokens), "step": "5", "token": "G"})
    _ok(at)
    acts = run(FolkRNN.from_weights(WEIGHTS), WEIGHTS.vocabulary, tokens)
    table = _table(at, "decomposition-table")
    assert table["contribution"].iloc[-1] == pytest.approx(acts.logits[5, WEIGHTS.vocabulary.index["G"]], abs=1e-4)
    at.selectbox(key="token").set_value("next token in the tune").run()
    table = _table(at, "decomposition-table")
    assert table["contribution"].iloc[-1] == pytest.approx(acts.logits[5, WEIGHTS.vocabulary.index[END]], abs=1e-4)
    assert float(_metric(at, "Logit of")) == pytest.approx(acts.logits[5, WEIGHTS.vocabulary.index[END]], abs=1e-3)


def test_unknown_tokens_are_named_and_the_page_stays_usable():
    at = _app({"source": "Type", "tokens": "M:4/4 K:Cmaj c Q d zz"})
    _ok(at)
    assert len(at.error) == 1
    message = at.error[0].value
    assert "`` Q ``" in message and "`` zz ``" in message and "2 token(s)" in message
    assert _table(at, "decomposition-table") is None
    assert _metric(at, "Sample") == "5 tunes"  # the survey below still works
    at.text_area(key="tokens").set_value("M:4/4 K:Cmaj c d").run()
    _ok(at)
    assert not at.error
    assert _table(at, "decomposition-table") is not None


def test_a_shorter_tune_clamps_nothing_it_cannot():
    at = _app({"source": "Type", "tokens": "M:4/4 K:Cmaj c d", "step": "4"})
    _ok(at)
    assert at.slider(key="step").max == 4


def test_start_and_end_marks_in_a_pasted_tune_are_dropped():
    at = _app({"source": "Type", "tokens": "<s> M:4/4 K:Cmaj c </s>", "step": "3"})
    _ok(at)
    assert not at.error and at.slider(key="step").max == 3
    assert [m.label for m in at.metric if m.label.startswith("Logit of")] == ["Logit of </s>"]


def test_survey_reports_its_sample_and_matches_the_package():
    from folkrnn.analysis.svd import softmax_svd
    from folkrnn.compose.sampling import SamplingSettings, sample_in_chunks
    from folkrnn.network.usage import usage_sums

    at = _app({"n": "5", "survey_length": "30", "survey_seed": "3"})
    _ok(at)
    net = FolkRNN.from_weights(WEIGHTS)
    tunes = sample_in_chunks(WEIGHTS, SamplingSettings(5, (), 1.0, seed=3, max_length=30))
    svd = softmax_svd(WEIGHTS)
    usage = usage_sums(net, WEIGHTS.vocabulary, svd, tunes).summary(svd)
    assert _metric(at, "Sample") == "5 tunes"
    delta = [m.delta for m in at.metric if m.label == "Sample"][0]
    assert delta == f"{usage.steps:,} steps"
    assert _metric(at, "|w_1·h_t| vs random") == f"{usage.ratio[0]:.1f}×"
    assert _metric(at, "Mean ‖h_t‖") == f"{usage.mean_norm:.2f}"
    text = " ".join(m.value for m in at.markdown)
    assert f"{usage.tunes} tunes ({usage.steps:,} steps)" in text
    assert f"w_1 \\cdot h_t = {usage.mean[0]:+.2f} \\pm {usage.std[0]:.2f}" in text
    assert f"along {int((usage.std_ratio > 1).sum())} of them" in text
    data = _chart_data(at, "How much w_i · h_t varies")
    np.testing.assert_allclose(data["std_projection"], usage.std, atol=1e-6)


def test_composed_tune_is_seeded_with_the_meter():
    at = _app({"source": "Compose", "meter": "M:3/4", "mode": "K:Cdor", "length": "25", "step": "1"})
    _ok(at)
    assert not at.error
    table = _table(at, "decomposition-table")
    assert table["contribution"].iloc[:-1].sum() == pytest.approx(table["contribution"].iloc[-1], abs=1e-9)
    # step 1 predicts the second token: the chosen mode
    assert [m.label for m in at.metric if m.label.startswith("Logit of")] == ["Logit of K:Cdor"]


# ---------------------------------------------------------------------------------------------
# Compose


def test_compose_shows_n_tunes_with_the_seeded_meter_and_links_them():
    at = _app(page="compose", params={"meter": "M:6/8", "n": "3", "length": "30", "seed": "5"})
    _ok(at)
    table = _table(at, "tunes-table")
    assert len(table) == 3 and (table["meter"] == "M:6/8").all()
    assert len(at.subheader) >= 3 and [s.value for s in at.subheader][:3] == ["Tune 1", "Tune 2", "Tune 3"]
    from folkrnn.compose.sampling import SamplingSettings, sample_in_chunks
    from folkrnn.music.wellformed import check_tune

    tunes = sample_in_chunks(WEIGHTS, SamplingSettings(3, ["M:6/8"], 1.0, 5, 30))
    assert list(table["tokens"]) == [len(t.tokens) for t in tunes]
    assert list(table["well_formed"]) == [check_tune(t.tokens, t.ended).ok for t in tunes]
    # one well-formedness verdict per tune
    verdicts = [e.value for e in at.success] + [e.value for e in at.warning]
    assert len(verdicts) == 3
    # one download and one link per tune; each link carries the tune's tokens to the Directions page
    assert len([b for b in at.get("download_button") if b.proto.label == "Download ABC"]) == 3
    links = at.page_link
    assert len(links) == 3
    for link, tune in zip(links, tunes):
        query = parse_qs(link.proto.query_string)
        assert query["source"] == ["Type"] and query["tokens"] == [" ".join(tune.tokens)]
        assert (link.proto.page, link.proto.label) == (DIRECTIONS_IN_USE.url_path, DIRECTIONS_IN_USE.title)
    # following the link: the Directions page preselects that tune
    query = {key: values[0] for key, values in parse_qs(links[1].proto.query_string).items()}
    at = _app(query, page="in-use")
    _ok(at)
    assert at.radio(key="source").value == "Type"
    assert at.text_area(key="tokens").value == " ".join(tunes[1].tokens)


def test_compose_with_the_models_choice_has_no_prefix():
    at = _app(page="compose", params={"n": "2", "length": "20"})
    _ok(at)
    assert at.selectbox(key="mode").disabled
    assert "no seed tokens" in " ".join(m.value for m in at.markdown)
    assert len(_table(at, "tunes-table")) == 2


# ---------------------------------------------------------------------------------------------
# Fewer directions


def _nll(weights) -> float:
    return nll(FolkRNN.from_weights(weights), encode_tunes([PART5_TUNE], weights.vocabulary)).per_token


def test_fewer_directions_nll_matches_a_truncated_network():
    at = _app(page="fewer", params={"k": "2", "ks": ["1", "16"], "n": "2", "length": "20"})
    _ok(at)
    assert float(_metric(at, "NLL per token, full model")) == pytest.approx(_nll(WEIGHTS), abs=1e-3)
    assert float(_metric(at, "NLL per token, top 2")) == pytest.approx(_nll(truncated_weights(WEIGHTS, 2)), abs=1e-3)
    table = _table(at, "wellformed-table")
    assert list(table["k"]) == [1, 16, 2] and (table["tunes"] == 2).all()
    assert list(table["softmax"]) == ["top 1 of 16 directions", "all 16 directions", "top 2 of 16 directions"]
    tunes = _table(at, "truncated-tunes")
    assert len(tunes) == 2
    from folkrnn.analysis.truncation import Truncation
    from folkrnn.compose.interventions import compose_truncated
    from folkrnn.compose.sampling import SamplingSettings
    from folkrnn.music.wellformed import check_tune

    direct = compose_truncated(WEIGHTS, Truncation(2), SamplingSettings(n=2, seed=0, max_length=20))
    assert list(tunes["tokens"]) == [len(t.tokens) for t in direct]
    assert table["well_formed"].iloc[-1] == sum(check_tune(t.tokens, t.ended).ok for t in direct)


def test_removing_a_direction():
    at = _app(page="fewer", params={"how": "Remove", "remove": ["1", "3"], "ks": ["16"], "n": "1",
                                           "length": "20"})
    _ok(at)
    label = "all 16 directions without 1, 3"
    assert float(_metric(at, f"NLL per token, {label}")) == pytest.approx(
        _nll(truncated_weights(WEIGHTS, remove=[1, 3])), abs=1e-3)
    assert list(_table(at, "wellformed-table")["softmax"]) == ["all 16 directions", label]


def test_fewer_directions_with_a_typed_unknown_token():
    at = _app(page="fewer", params={"tune": "Type", "tokens": "M:4/4 K:Cmaj c X", "ks": ["4"], "n": "1",
                                           "length": "20"})
    _ok(at)
    assert len(at.error) == 1 and "`` X ``" in at.error[0].value
    assert len(_table(at, "wellformed-table")) == 2  # composing still works


# ---------------------------------------------------------------------------------------------
# Compare models


def _angles(Va: np.ndarray, Vb: np.ndarray, k: int) -> np.ndarray:
    """Principal angles straight from numpy: SVD of each V, then of Q_A^T Q_B."""
    Ua = np.linalg.svd(Va.astype(np.float64), full_matrices=False)[0][:, :k]
    Ub = np.linalg.svd(Vb.astype(np.float64), full_matrices=False)[0][:, :k]
    cos = np.clip(np.linalg.svd(Ua.T @ Ub, compute_uv=False), -1, 1)
    return np.degrees(np.arccos(cos))


def test_compare_with_itself_gives_zero_angles():
    at = _app(page="compare", params={"k": "5"})
    _ok(at)
    assert any("same softmax layer" in i.value for i in at.info)
    assert float(_metric(at, "Smallest angle").rstrip("°")) == pytest.approx(0, abs=0.01)
    assert _metric(at, "Angles under 10°") == "5 of 5"
    matches = _table(at, "matches")
    assert list(matches["best j"]) == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(matches["abs_cosine"], 1, atol=1e-6)


def test_compare_with_an_uploaded_model():
    other = random_weights(hidden=12, seed=22)
    at = _app(page="compare", params={"other": "Upload", "k": "4"})
    _ok(at)
    assert any("Choose a file" in i.value for i in at.info)
    at.file_uploader(key="other_file").set_value(("other.safetensors", to_bytes(other), "application/octet-stream"))
    at.run()
    _ok(at)
    assert not at.error
    direct = _angles(WEIGHTS.V, other.V, 4)
    assert float(_metric(at, "Smallest angle").rstrip("°")) == pytest.approx(direct.min(), abs=0.01)
    assert float(_metric(at, "Median angle").rstrip("°")) == pytest.approx(np.median(direct), abs=0.01)
    matches = _table(at, "matches")
    Ua = np.linalg.svd(WEIGHTS.V.astype(np.float64), full_matrices=False)[0][:, :4]
    Ub = np.linalg.svd(other.V.astype(np.float64), full_matrices=False)[0][:, :4]
    c = np.abs(Ua.T @ Ub)
    assert list(matches["best j"]) == list(c.argmax(axis=1) + 1)
    np.testing.assert_allclose(matches["abs_cosine"], c.max(axis=1), atol=1e-6)


def test_compare_with_the_faithful_replica_as_model_b(monkeypatch):
    faithful = random_weights(hidden=H, seed=23)
    monkeypatch.setattr(explorer.session, "embedded_model", lambda name="replica": faithful if name == "faithful" else WEIGHTS)
    at = _app(page="compare", params={"other": "Faithful", "k": "3"})
    _ok(at)
    assert not at.error
    direct = _angles(WEIGHTS.V, faithful.V, 3)
    assert float(_metric(at, "Smallest angle").rstrip("°")) == pytest.approx(direct.min(), abs=0.01)


def test_compare_refuses_a_bad_upload_and_stays_usable():
    at = _app(page="compare", params={"other": "Upload"})
    at.file_uploader(key="other_file").set_value(("bad.pkl", b"not a model at all", "application/octet-stream"))
    at.run()
    _ok(at)
    assert len(at.error) == 1 and "Could not load bad.pkl" in at.error[0].value
    at.radio(key="other").set_value("Replica").run()
    _ok(at)
    assert not at.error and _metric(at, "Angles under 10°").endswith("of 16")


def test_compare_with_an_unreachable_original_says_so(monkeypatch):
    from folkrnn.io.download import DownloadError

    def offline():
        raise DownloadError("cannot reach the folk-rnn repository")

    monkeypatch.setattr(explorer.session, "original_model", offline)
    at = _app(page="compare", params={"other": "Original"})
    _ok(at)
    assert len(at.error) == 1 and "cannot reach" in at.error[0].value
    assert not at.metric  # nothing compared, and no exception


# ---------------------------------------------------------------------------------------------
# Caching


def test_cached_tunes_carry_their_verdicts():
    """st.cache_data hands out a fresh copy on every rerun: the well-formedness check must be in it."""
    from explorer.beyond import composed, composed_truncated
    from folkrnn.analysis.truncation import Truncation
    from folkrnn.compose.sampling import SamplingSettings

    for _ in range(2):  # the second call is served from the cache
        settings = SamplingSettings(2, (), 1.0, 0, 20)
        tunes = composed_truncated(WEIGHTS, Truncation(3), settings) + composed(WEIGHTS, settings)
        assert len(tunes) == 4 and all("verdict" in vars(tune) for tune in tunes)
