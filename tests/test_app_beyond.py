"""AppTest coverage of the "beyond the blog" pages on a small random model (hidden 16), so that the pages
run in seconds; query parameters keep every sampling workload tiny."""

from __future__ import annotations

from urllib.parse import parse_qs

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

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
from tests.apptest_pages import chart_data, checked, metrics, open_page
from tests.factories import random_weights

H = 16
WEIGHTS = random_weights(hidden=H, seed=21)
FAITHFUL = random_weights(hidden=H, seed=23)  # the faithful replica's stand-in, as Compare's model B
SURVEY = {"n": 5, "survey_length": 30}  # the Directions page's survey of sampled tunes, kept small
pytestmark = pytest.mark.app_model(WEIGHTS)


KEY_COLUMNS = {  # each table the tests read, by a column only it has on its page
    "decomposition-table": "contribution", "tunes-table": "meter", "wellformed-table": "softmax",
    "truncated-tunes": "reason", "matches": "best j",
}


def _table(at: AppTest, key: str):
    """The dataframe shown as ``key`` (AppTest does not expose dataframe keys), or None."""
    frames = [df.value for df in at.dataframe if KEY_COLUMNS[key] in df.value.columns]
    return frames[0] if frames else None


# ---------------------------------------------------------------------------------------------
# Directions in use


def test_decomposition_shown_sums_to_the_network_logit():
    tokens = list(PART5_TUNE[:20])
    at = open_page("in-use", press=True, **SURVEY, source="Type", tokens=" ".join(tokens), step=7, terms=5)
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
    assert float(metrics(at)[f"Logit of {tokens[7]}"]) == pytest.approx(logit, abs=1e-3)
    assert float(metrics(at)[f"p({tokens[7]})"]) == pytest.approx(acts.probabilities[7, token], abs=1e-4)
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
    at = open_page("in-use", press=True, **SURVEY, source="Type", tokens=" ".join(tokens), top=3)
    data = chart_data(at, "Projections of h_t")
    from folkrnn.analysis.svd import softmax_svd

    svd = softmax_svd(WEIGHTS)
    hidden = run(FolkRNN.from_weights(WEIGHTS), WEIGHTS.vocabulary, tokens).hidden
    assert len(data) == 6 * 3 and sorted(set(data["direction"])) == [1, 2, 3]
    for row in data.itertuples():
        assert row.value == pytest.approx(float(hidden[row.step] @ svd.w(row.direction)), abs=1e-6)
        assert row.predicts == [*tokens, END][row.step] and row.read == ["<s>", *tokens][row.step]


def test_decomposition_of_another_token_and_of_the_end():
    tokens = ["M:6/8", "K:Cdor", "c", "d", "e"]
    at = open_page("in-use", press=True, **SURVEY, source="Type", tokens=" ".join(tokens), step=5, token="G")
    acts = run(FolkRNN.from_weights(WEIGHTS), WEIGHTS.vocabulary, tokens)
    table = _table(at, "decomposition-table")
    assert table["contribution"].iloc[-1] == pytest.approx(acts.logits[5, WEIGHTS.vocabulary.index["G"]], abs=1e-4)
    at.selectbox(key="token").set_value("next token in the tune").run()
    table = _table(at, "decomposition-table")
    assert table["contribution"].iloc[-1] == pytest.approx(acts.logits[5, WEIGHTS.vocabulary.index[END]], abs=1e-4)
    assert float(metrics(at)[f"Logit of {END}"]) == pytest.approx(acts.logits[5, WEIGHTS.vocabulary.index[END]], abs=1e-3)


def test_unknown_tokens_are_named_and_the_page_stays_usable():
    at = open_page("in-use", press=True, **SURVEY, source="Type", tokens="M:4/4 K:Cmaj c Q d zz")
    assert len(at.error) == 1
    message = at.error[0].value
    assert "`` Q ``" in message and "`` zz ``" in message and "2 token(s)" in message
    assert _table(at, "decomposition-table") is None
    assert metrics(at)["Sample"] == "5 tunes"  # the survey below still works
    checked(at.text_area(key="tokens").set_value("M:4/4 K:Cmaj c d").run())
    assert not at.error
    assert _table(at, "decomposition-table") is not None


def test_a_shorter_tune_clamps_nothing_it_cannot():
    at = open_page("in-use", press=True, **SURVEY, source="Type", tokens="M:4/4 K:Cmaj c d", step=4)
    assert at.slider(key="step").max == 4


def test_start_and_end_marks_in_a_pasted_tune_are_dropped():
    at = open_page("in-use", press=True, **SURVEY, source="Type", tokens="<s> M:4/4 K:Cmaj c </s>", step=3)
    assert not at.error and at.slider(key="step").max == 3
    assert [m.label for m in at.metric if m.label.startswith("Logit of")] == ["Logit of </s>"]


def test_survey_reports_its_sample_and_matches_the_package():
    from folkrnn.analysis.svd import softmax_svd
    from folkrnn.compose.sampling import SamplingSettings, sample_in_chunks
    from folkrnn.network.usage import usage_sums

    at = open_page("in-use", press=True, n=5, survey_length=30, survey_seed=3)
    net = FolkRNN.from_weights(WEIGHTS)
    tunes = sample_in_chunks(WEIGHTS, SamplingSettings(5, (), 1.0, seed=3, max_length=30))
    svd = softmax_svd(WEIGHTS)
    usage = usage_sums(net, WEIGHTS.vocabulary, svd, tunes).summary(svd)
    assert metrics(at)["Sample"] == "5 tunes"
    delta = [m.delta for m in at.metric if m.label == "Sample"][0]
    assert delta == f"{usage.steps:,} steps"
    assert metrics(at)["|w_1·h_t| vs random"] == f"{usage.ratio[0]:.1f}×"
    assert metrics(at)["Mean ‖h_t‖"] == f"{usage.mean_norm:.2f}"
    text = " ".join(m.value for m in at.markdown)
    assert f"{usage.tunes} tunes ({usage.steps:,} steps)" in text
    assert f"w_1 \\cdot h_t = {usage.mean[0]:+.2f} \\pm {usage.std[0]:.2f}" in text
    assert f"along {int((usage.std_ratio > 1).sum())} of them" in text
    data = chart_data(at, "How much w_i · h_t varies")
    np.testing.assert_allclose(data["std_projection"], usage.std, atol=1e-6)


def test_composed_tune_is_seeded_with_the_meter():
    at = open_page("in-use", press=True, **SURVEY, source="Compose", meter="M:3/4", mode="K:Cdor", length=25, step=1)
    assert not at.error
    table = _table(at, "decomposition-table")
    assert table["contribution"].iloc[:-1].sum() == pytest.approx(table["contribution"].iloc[-1], abs=1e-9)
    # step 1 predicts the second token: the chosen mode
    assert [m.label for m in at.metric if m.label.startswith("Logit of")] == ["Logit of K:Cdor"]


# ---------------------------------------------------------------------------------------------
# Compose


def test_compose_shows_n_tunes_with_the_seeded_meter_and_links_them():
    at = open_page("compose", meter="M:6/8", n=3, length=30, seed=5)
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
    assert len([b for b in at.get("download_button") if b.proto.label == "ABC"]) == 3
    links = at.page_link
    assert len(links) == 3
    for link, tune in zip(links, tunes):
        query = parse_qs(link.proto.query_string)
        assert query["source"] == ["Type"] and query["tokens"] == [" ".join(tune.tokens)]
        assert (link.proto.page, link.proto.label) == (DIRECTIONS_IN_USE.url_path, DIRECTIONS_IN_USE.title)
    # following the link: the Directions page preselects that tune
    query = {key: values[0] for key, values in parse_qs(links[1].proto.query_string).items()}
    at = open_page("in-use", press=True, **SURVEY, **query)
    assert at.radio(key="source").value == "Type"
    assert at.text_area(key="tokens").value == " ".join(tunes[1].tokens)


def test_compose_with_the_models_choice_has_no_prefix():
    at = open_page("compose", n=2, length=20)
    assert at.selectbox(key="mode").disabled
    assert "no opening" in " ".join(m.value for m in at.markdown)
    assert len(_table(at, "tunes-table")) == 2


def test_compose_continues_the_opening_and_names_an_unknown_token():
    opening = ["|:", "G", "2", "c", "e"]
    at = open_page("compose", meter="M:6/8", mode="K:Cmaj", opening=" ".join(opening), n=2, length=30, seed=3)
    from folkrnn.compose.sampling import SamplingSettings, sample_in_chunks

    tunes = sample_in_chunks(WEIGHTS, SamplingSettings(2, ["M:6/8", "K:Cmaj", *opening], 1.0, 3, 30))
    assert all(t.tokens[:7] == ["M:6/8", "K:Cmaj", *opening] for t in tunes)
    # each tune's ABC, as its download holds it, headed by its provenance
    assert all(c.value.startswith(f"X:{i}\nT:folkrnn tune, seed 3 #{i}\nN:") for i, c in enumerate(at.code[::2], 1))
    abc = at.code[0].value
    assert f"N:model {WEIGHTS.name}, content sha256 {WEIGHTS.content_hash}" in abc
    assert "N:opening M:6/8 K:Cmaj |: G 2 c e, temperature 1, seed 3" in abc
    assert [c.value for c in at.code][1::2] == [" ".join(t.tokens) for t in tunes]
    at.text_input(key="opening").input("|: G H c").run()
    checked(at)
    assert "1 token(s) are not in this model's vocabulary: `` H ``" in at.error[0].value
    assert not at.get("download_button")  # nothing composed from an opening the model cannot read


def test_new_seed_draws_a_seed_into_the_url_that_composes_again():
    at = open_page("compose", n=1, length=20, seed=5)
    at.button(key="new_seed").click().run()
    checked(at)
    seed = int(at.query_params["seed"][0] if isinstance(at.query_params["seed"], list) else at.query_params["seed"])
    assert seed != 5 and at.number_input(key="seed").value == seed
    again = open_page("compose", n=1, length=20, seed=seed)
    assert [c.value for c in again.code] == [c.value for c in at.code]


# ---------------------------------------------------------------------------------------------
# Fewer directions


def _nll(weights) -> float:
    return nll(FolkRNN.from_weights(weights), encode_tunes([PART5_TUNE], weights.vocabulary)).per_token


def test_fewer_directions_nll_matches_a_truncated_network():
    at = open_page("fewer", press=True, k=2, ks=["1", "16"], n=2, length=20)
    assert float(metrics(at)["NLL per token, full model"]) == pytest.approx(_nll(WEIGHTS), abs=1e-3)
    assert float(metrics(at)[f"NLL per token, top 2 of {H} directions"]) == pytest.approx(_nll(truncated_weights(WEIGHTS, 2)), abs=1e-3)
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
    labels = [b.proto.label for b in at.get("download_button") if not b.proto.label.endswith(".csv")]
    assert labels == ["These tunes (ABC)", "These tunes (MIDI)"]


def test_removing_a_direction():
    at = open_page("fewer", press=True, how="Remove", remove=["1", "3"], ks=["16"], n=1, length=20)
    label = "all 16 directions without 1, 3"
    assert float(metrics(at)[f"NLL per token, {label}"]) == pytest.approx(
        _nll(truncated_weights(WEIGHTS, remove=[1, 3])), abs=1e-3)
    assert list(_table(at, "wellformed-table")["softmax"]) == ["all 16 directions", label]


def test_fewer_directions_with_a_typed_unknown_token():
    at = open_page("fewer", press=True, tune="Type", tokens="M:4/4 K:Cmaj c X", ks=["4"], n=1, length=20)
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
    at = open_page("compare", k=5)
    assert any("same softmax layer" in i.value for i in at.info)
    assert float(metrics(at)["Smallest angle"].rstrip("°")) == pytest.approx(0, abs=0.01)
    assert metrics(at)["Angles under 10°"] == "5 of 5"
    matches = _table(at, "matches")
    assert list(matches["best j"]) == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(matches["abs_cosine"], 1, atol=1e-6)


def test_compare_with_an_uploaded_model():
    other = random_weights(hidden=12, seed=22)
    at = open_page("compare", other="Upload", k=4)
    assert any("Choose a file" in i.value for i in at.info)
    at.file_uploader(key="other_file").set_value(("other.safetensors", to_bytes(other), "application/octet-stream"))
    checked(at.run())
    assert not at.error
    direct = _angles(WEIGHTS.V, other.V, 4)
    assert float(metrics(at)["Smallest angle"].rstrip("°")) == pytest.approx(direct.min(), abs=0.01)
    assert float(metrics(at)["Median angle"].rstrip("°")) == pytest.approx(np.median(direct), abs=0.01)
    matches = _table(at, "matches")
    Ua = np.linalg.svd(WEIGHTS.V.astype(np.float64), full_matrices=False)[0][:, :4]
    Ub = np.linalg.svd(other.V.astype(np.float64), full_matrices=False)[0][:, :4]
    c = np.abs(Ua.T @ Ub)
    assert list(matches["best j"]) == list(c.argmax(axis=1) + 1)
    np.testing.assert_allclose(matches["abs_cosine"], c.max(axis=1), atol=1e-6)


@pytest.mark.app_model(WEIGHTS, faithful=FAITHFUL)
def test_compare_with_the_faithful_replica_as_model_b():
    at = open_page("compare", other="Faithful", k=3)
    assert not at.error
    direct = _angles(WEIGHTS.V, FAITHFUL.V, 3)
    assert float(metrics(at)["Smallest angle"].rstrip("°")) == pytest.approx(direct.min(), abs=0.01)


def test_compare_refuses_a_bad_upload_and_stays_usable():
    at = open_page("compare", other="Upload")
    at.file_uploader(key="other_file").set_value(("bad.pkl", b"not a model at all", "application/octet-stream"))
    checked(at.run())
    assert len(at.error) == 1 and "Could not load bad.pkl" in at.error[0].value
    checked(at.radio(key="other").set_value("Replica").run())
    assert not at.error and metrics(at)["Angles under 10°"].endswith("of 16")


def test_compare_with_an_unreachable_original_says_so(monkeypatch):
    from folkrnn.io.download import DownloadError

    def offline():
        raise DownloadError("cannot reach the folk-rnn repository")

    monkeypatch.setattr(explorer.session, "original_model", offline)
    at = open_page("compare", other="Original")
    assert len(at.error) == 1 and "cannot reach" in at.error[0].value
    assert not at.metric  # nothing compared, and no exception


# ---------------------------------------------------------------------------------------------
# Caching


def test_cached_tunes_carry_their_verdicts():
    """st.cache_data hands out a fresh copy on every rerun: the well-formedness check must be in it."""
    from explorer.compute import composed, composed_truncated
    from folkrnn.analysis.truncation import Truncation
    from folkrnn.compose.sampling import SamplingSettings

    for _ in range(2):  # the second call is served from the cache
        settings = SamplingSettings(2, (), 1.0, 0, 20)
        tunes = composed_truncated(WEIGHTS, Truncation(3), settings) + composed(WEIGHTS, settings)
        assert len(tunes) == 4 and all("verdict" in vars(tune) for tune in tunes)
