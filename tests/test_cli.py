"""``python -m folkrnn``: JSON contracts and errors, run as a real subprocess."""

import json
import subprocess
import sys
from dataclasses import asdict

import mido
import numpy as np
import pytest

from folkrnn.analysis.perturbation import softmax
from folkrnn.compose.provenance import Provenance
from folkrnn.compose.sampling import CHUNK, SamplingSettings, sample_in_chunks
from folkrnn.io.loading import load_model
from folkrnn.music.wellformed import check_tune
from folkrnn.vocab import folkrnn_v2_vocabulary, token_category
from tests.hostile_files import call, dumps
from tests.py2pickle import dumps_py2, folkrnn_metadata

TOKENS = folkrnn_v2_vocabulary().tokens
PLANTED = np.linspace(30.0, 1.0, 16)


def cli(*args, check=True):
    result = subprocess.run([sys.executable, "-m", "folkrnn", *args], capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "folkrnn_test.pkl"
    meta = folkrnn_metadata(TOKENS, hidden=16, rng=5, singular_values=PLANTED)
    path.write_bytes(dumps_py2(meta))
    return path, meta


def test_info(model_file):
    path, _ = model_file
    info = json.loads(cli("info", "--model", str(path), "--json").stdout)
    assert info["tokens"] == list(TOKENS)
    assert (info["layers"], info["hidden_size"]) == (3, 16)
    assert info["experiment_id"] == "config5-wrepeats-20160112-222521"
    assert info["parameters"] == 4 * (137 * 16 + 16 * 16 + 16) + 2 * 4 * (16 * 16 + 16 * 16 + 16) + 137 * 16 + 137


def test_svd_rows_are_singular_vectors(model_file):
    path, meta = model_file
    out = json.loads(cli("svd", "--model", str(path), "--json").stdout)
    s = np.array(out["singular_values"])
    U = np.array(out["left_singular_vectors"])
    W = np.array(out["right_singular_vectors"])
    np.testing.assert_allclose(s, PLANTED, rtol=1e-4)
    V = meta["param_values"][-2].T.astype(np.float64)
    for i in range(16):
        np.testing.assert_allclose(V @ W[i], s[i] * U[i], atol=1e-4)
        assert U[i][np.argmax(np.abs(U[i]))] > 0
    np.testing.assert_allclose(out["bias"], meta["param_values"][-1], atol=1e-7)


def test_perturb(model_file):
    path, meta = model_file
    out = json.loads(cli("perturb", "--model", str(path), "--direction", "3", "--scale", "-1",
                         "--temperature", "0.5", "--json").stdout)
    svd = json.loads(cli("svd", "--model", str(path), "--json").stdout)
    v = np.array(svd["bias"])
    expected = softmax((v - svd["singular_values"][2] * np.array(svd["left_singular_vectors"][2])) / 0.5)
    assert out["tokens"] == list(TOKENS)
    np.testing.assert_allclose(out["probabilities"], expected, atol=1e-9)


def test_activations(model_file):
    path, _ = model_file
    tokens = "M:4/4 K:Cmaj |: c 2 G E"
    out = json.loads(cli("activations", "--model", str(path), "--tokens", tokens, "--json").stdout)
    assert out["tokens"] == tokens.split()
    assert np.array(out["hidden"]).shape == (8, 16)  # after <s> and after each of the 7 tokens
    p = np.array(out["probabilities"])
    assert p.shape == (8, 137)
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-6)


def test_sample_is_reproducible_and_each_tune_is_judged():
    # the embedded model at T = 1.6 and 200 tokens at most: well-formed tunes and cut-off ones
    args = ("sample", "--n", "4", "--seed", "7", "--temperature", "1.6", "--prefix", "M:6/8 K:Cdor",
            "--max-length", "200", "--json")
    first, second = json.loads(cli(*args).stdout), json.loads(cli(*args).stdout)
    assert first == second
    settings = SamplingSettings(4, ["M:6/8", "K:Cdor"], 1.6, seed=7, max_length=200)
    direct = sample_in_chunks(load_model(), settings)  # as the Compose page draws them
    assert [(t["tokens"], t["ended"]) for t in first["tunes"]] == [(t.tokens, t.ended) for t in direct]
    verdicts = []
    for index, tune in enumerate(first["tunes"], start=1):
        assert tune["tokens"][:2] == ["M:6/8", "K:Cdor"] and len(tune["tokens"]) <= 200
        origin = Provenance.of(load_model(), settings, index, chunk=CHUNK)
        assert tune["abc"] == origin.abc(tune["tokens"]) and tune["midi"] is None
        assert tune["abc"].startswith(f"X:{index}\nT:folkrnn tune, seed 7 #{index}\nN:sampled by folkrnn-explorer ")
        assert tune["provenance"] == {**asdict(origin), "opening": ["M:6/8", "K:Cdor"]}
        verdicts.append(check_tune(tune["tokens"], tune["ended"]))
        assert (tune["well_formed"], tune["reason"]) == (verdicts[-1].ok, verdicts[-1].reason)
    assert first["well_formed_share"] == sum(v.ok for v in verdicts) / 4


def test_sample_writes_each_tune_as_midi(tmp_path):
    out = json.loads(cli("sample", "--n", "2", "--seed", "5", "--max-length", "120", "--midi", str(tmp_path / "midi"),
                         "--json").stdout)
    for index, tune in enumerate(out["tunes"], start=1):
        assert tune["midi"] == str(tmp_path / "midi" / f"folkrnn_seed5_tune{index}.mid")
        track = mido.MidiFile(tune["midi"], charset="utf-8").tracks[0]
        assert sum(m.type == "note_on" for m in track) == sum(token_category(t) == "pitch" for t in tune["tokens"])
        assert [m.name for m in track if m.type == "track_name"] == [f"folkrnn tune, seed 5 #{index}"]


def test_sample_in_bfloat16_is_seeded_and_other_precisions_are_refused(model_file):
    path, _ = model_file
    args = ("sample", "--model", str(path), "--n", "4", "--seed", "7", "--max-length", "60", "--json")
    rounded = json.loads(cli(*args, "--precision", "bfloat16").stdout)
    assert rounded == json.loads(cli(*args, "--precision", "bfloat16").stdout) and len(rounded["tunes"]) == 4
    assert cli(*args, "--precision", "float16", check=False).returncode != 0


def test_sample_refuses_no_tunes(model_file):
    result = cli("sample", "--model", str(model_file[0]), "--n", "0", check=False)
    assert result.returncode == 2 and "must be at least 1, got 0" in result.stderr


def test_evaluate_matches_activations(model_file, tmp_path):
    path, _ = model_file
    tunes = ["M:4/4\nK:Cmaj\nc 2 G E | C 4 |", "M:6/8\nK:Cmin\nG E C | z 3 |"]
    (tmp_path / "data.txt").write_text("\n\n".join(tunes) + "\n")
    out = json.loads(cli("evaluate", "--model", str(path), "--data", str(tmp_path / "data.txt"), "--json").stdout)
    totals, counts = [], []
    for tune in tunes:
        tokens = tune.split()
        acts = json.loads(cli("activations", "--model", str(path), "--tokens", " ".join(tokens), "--json").stdout)
        p = np.array(acts["probabilities"])
        targets = [TOKENS.index(t) for t in tokens] + [TOKENS.index("</s>")]
        totals.append(-np.log(p[np.arange(len(targets)), targets]).sum())
        counts.append(len(targets))
    assert (out["tunes"], out["tokens"]) == (2, sum(counts))
    assert out["nll_per_token"] == pytest.approx(sum(totals) / sum(counts), rel=1e-5)
    # folk-rnn's loss divides each tune's sum by its length with <s> and </s>, then averages tunes
    assert out["folkrnn_loss"] == pytest.approx(np.mean([t / (n + 1) for t, n in zip(totals, counts)]), rel=1e-5)


def test_match_selects_then_searches_the_corpus(tmp_path):
    from folkrnn.analysis.matching import search_corpus, select
    from folkrnn.compose.onnx_step import step_session
    from folkrnn.examples import PART5_TUNE

    tunes = [list(PART5_TUNE), list(PART5_TUNE[:2] + PART5_TUNE[60:])]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n\n".join(" ".join(t[:2]) + "\n" + " ".join(t[2:]) for t in tunes) + "\n")
    weights = load_model()
    step = step_session(weights)
    selection = select(step, weights, PART5_TUNE, 2, (12, 13))
    selection = selection.keeping(selection.units[:2])
    units = ",".join(map(str, selection.units))
    out = json.loads(cli("match", "--span", "12:13", "--layer", "2", "--units", units, "--corpus", str(corpus), "--json").stdout)
    assert out["units"] == list(selection.units) and out["span"] == [12, 13] and out["threshold"] == 0.3
    assert (out["tunes"], out["tunes_searched"], out["out_of_time"]) == (2, 2, False)
    expected = search_corpus(step, weights, tunes, selection, max_matches=20).matches
    assert expected and [(m["tune"], m["start"], m["end"], m["score"]) for m in out["matches"]] == \
           [(m.tune, m.start, m.end, m.score) for m in expected]
    assert all(m["tokens"] == tunes[m["tune"]][m["start"] : m["end"]] for m in out["matches"])


def test_convert_then_load(model_file, tmp_path):
    path, _ = model_file
    out = tmp_path / "converted.safetensors"
    cli("convert", str(path), str(out))
    a = json.loads(cli("svd", "--model", str(path), "--json").stdout)
    b = json.loads(cli("svd", "--model", str(out), "--json").stdout)
    assert a == b


@pytest.mark.parametrize("args, message", [
    (("activations", "--tokens", "M:4/4 H c Q"), "unknown token(s): 'H' 'Q'"),
    (("sample", "--prefix", "M:4/4 H c Q"), "unknown token(s): 'H' 'Q'"),
    (("ablate", "--prefix", "M:4/4 Q"), "unknown token(s): 'Q'"),
    (("beam", "--prefix", "M:4/4 c </s>"), "an opening cannot hold </s>"),
    (("perturb", "--direction", "99", "--scale", "1"), "--direction must be in 1..16"),
    (("evaluate", "--data", "{blank}"), "blank.txt: no transcriptions"),
    (("match", "--span", "5:3"), "the span 5:3 holds no tokens"),
])
def test_errors_go_to_stderr(model_file, tmp_path, args, message):
    path, _ = model_file
    (tmp_path / "blank.txt").write_text("\n\n\n")
    args = [a.format(blank=tmp_path / "blank.txt") for a in args]
    result = cli(*args, "--model", str(path), check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and "Traceback" not in result.stderr


def test_refused_and_broken_files(tmp_path):
    marker = tmp_path / "PWNED"
    hostile = tmp_path / "hostile.pkl"
    hostile.write_bytes(dumps(call("os", "system", f"touch {marker}"), 2))
    result = cli("info", "--model", str(hostile), check=False)
    assert result.returncode == 2 and "refused to load global" in result.stderr
    assert not marker.exists()
    meta = folkrnn_metadata(TOKENS, hidden=8, rng=1)
    meta["param_values"][5] = np.zeros((8, 7), np.float32)
    (tmp_path / "shape.pkl").write_bytes(dumps_py2(meta))
    result = cli("info", "--model", str(tmp_path / "shape.pkl"), check=False)
    assert result.returncode == 2 and "expected shape (8, 8), got (8, 7)" in result.stderr
    meta["param_values"][5] = np.full((8, 8), np.nan, np.float32)
    (tmp_path / "nan.pkl").write_bytes(dumps_py2(meta))
    result = cli("info", "--model", str(tmp_path / "nan.pkl"), check=False)
    assert result.returncode == 2 and "NaN" in result.stderr
    result = cli("info", "--model", str(tmp_path / "missing.pkl"), check=False)
    assert result.returncode == 2 and "cannot read" in result.stderr


def test_a_hostile_or_malformed_file_of_each_kind_fails_cleanly(tmp_path, monkeypatch, capsys):
    """One file of each error class through the CLI: exit 2 and 'error: FILE: …' (every file of the corpus
    is refused with its class, in one line and running nothing, in tests/test_original.py)."""
    from folkrnn.cli import main
    from tests.hostile_files import hostile_model_files

    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    first_of_each = {}
    for name, data, error_class in hostile_model_files(tmp_path, marker):
        first_of_each.setdefault(error_class, (name, data))
    assert len(first_of_each) == 4
    for name, data in first_of_each.values():
        path = tmp_path / f"{name}.pkl"
        path.write_bytes(data)
        assert main(["info", "--model", str(path), "--json"]) == 2, name
        out, err = capsys.readouterr()
        assert out == "" and err.startswith(f"error: {path.name}: ") and len(err.splitlines()) == 1, (name, err)
        assert not marker.exists(), f"{name} ran its payload"
    oversized = tmp_path / "huge.pkl"
    with oversized.open("wb") as f:
        f.truncate(65 * 2**20)  # sparse: over the 64 MiB limit without writing it
    assert main(["info", "--model", str(oversized)]) == 2
    assert "the limit is" in capsys.readouterr().err


def test_train_help_gives_each_default_without_loading_torch():
    from folkrnn.train.config import TrainConfig

    probe = ("import sys; from folkrnn.cli import main\n"
             "try:\n    main(['train', '--help'])\nexcept SystemExit:\n    pass\n"
             "print('torch loaded' if 'torch' in sys.modules else 'torch not loaded')")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    text = " ".join(result.stdout.split())
    assert text.endswith("torch not loaded")
    for option, field in [("--out", "out"), ("--epochs", "epochs"), ("--batch-size", "batch_size"), ("--lr", "lr"),
                          ("--dropout", "dropout"), ("--patience", "patience"), ("--seed", "seed")]:
        help_text = text.split(f" {option} ")[1]
        assert help_text.split(" -")[0].strip().endswith(f"(default {getattr(TrainConfig, field)})"), option
