"""Training: a tiny run resumed after an epoch ends exactly where an uninterrupted run ends."""

import json

import numpy as np
import pytest

from folkrnn.io.loading import load_model
from folkrnn.train.loop import TrainConfig, train

TUNES = [
    "M:4/4\nK:Cmaj\n|: c 2 G E C D E F | G A B c d 2 c 2 :|",
    "M:6/8\nK:Cdor\nG E C E 2 G | c 3 B A G | A > B c d 2 e |",
    "M:3/4\nK:Cmin\nc 2 B c d e | f 2 e d c 2 | B 2 G 4 |",
    "M:2/4\nK:Cmix\nc e g e | f d B G | c 2 z 2 |",
] * 10


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "tunes.txt"
    path.write_text("\n\n".join(TUNES) + "\n")
    return path


def config(data, out, epochs, average_decay=0.0):
    return TrainConfig(data=str(data), out=str(out), epochs=epochs, batch_size=8, hidden_size=8, num_layers=2,
                       warmup_steps=2, bf16=False, threads=1, patience=10, average_decay=average_decay)


@pytest.mark.parametrize("average_decay", [0.0, 0.9])
def test_resume_continues_exactly(data, tmp_path, monkeypatch, average_decay):
    import folkrnn.train.loop as training

    straight = train(config(data, tmp_path / "straight", 3, average_decay))
    validations = []
    real_nll = training.nll

    def interrupted(*args, **kwargs):  # the run is killed while validating epoch 3
        validations.append(1)
        if len(validations) == 3:
            raise KeyboardInterrupt
        return real_nll(*args, **kwargs)

    monkeypatch.setattr(training, "nll", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(config(data, tmp_path / "split", 3, average_decay))
    monkeypatch.setattr(training, "nll", real_nll)
    resumed = train(config(data, tmp_path / "split", 3, average_decay), resume=True, command="resume", overrides=["epochs"])
    assert [e["epoch"] for e in resumed["epochs"]] == [1, 2, 3]
    assert resumed["resumes"] == [{"after_epoch": 2, "command": "resume"}]
    for a, b in zip(straight["epochs"], resumed["epochs"]):
        assert a["train_nll"] == pytest.approx(b["train_nll"], abs=1e-6)
        assert a["valid_nll"] == pytest.approx(b["valid_nll"], abs=1e-6)
    w1 = load_model(tmp_path / "straight" / "best.safetensors")
    w2 = load_model(tmp_path / "split" / "best.safetensors")
    np.testing.assert_allclose(w1.V, w2.V, atol=1e-6)


def test_weight_average_is_what_gets_validated_and_saved(data, tmp_path):
    import torch

    out = tmp_path / "run"
    log = train(config(data, out, 2, average_decay=0.9))
    state = torch.load(out / "last.pt", weights_only=True, map_location="cpu")  # saved on the GPU, if any
    saved = load_model(out / "best.safetensors")
    key = "softmax.weight"
    averaged_V = state["averaged"][f"module.{key}"].numpy()
    assert log["best_epoch"] == 2  # so best.safetensors holds the state of the last epoch
    np.testing.assert_allclose(saved.V, averaged_V, atol=1e-6)
    assert np.abs(saved.V - state["model"][key].numpy()).max() > 1e-4  # the average, not the live weights


def test_log_checkpoint_and_resumed_dropout(data, tmp_path):
    out = tmp_path / "run"
    log = train(config(data, out, 1))
    assert (out / "last.pt").exists() and (out / "best.safetensors").exists()
    assert json.loads((out / "log.json").read_text())["epochs"] == log["epochs"]
    entry = log["epochs"][0]
    assert entry["valid_nll"] < np.log(137) and entry["tokens_per_s"] > 0
    weights = load_model(out / "best.safetensors")
    assert weights.metadata["training"]["best_epoch"] == 1
    assert weights.metadata["provenance"]["valid_tunes"] == 2  # 5% of 40, seeded
    cfg = config(data, out, 2)
    resumed = train(TrainConfig(**{**cfg.__dict__, "dropout": 0.3, "lr": 0.5}), resume=True,
                    overrides=["epochs", "dropout"])
    assert resumed["config"]["dropout"] == 0.3
    assert resumed["config"]["lr"] == 3e-3  # lr is not resumable: the stored one stays
    assert resumed["resumes"][0]["dropout"] == 0.3


def test_a_run_without_its_last_pt_continues_from_a_checkpoint_of_one_of_its_epochs(data, tmp_path, monkeypatch):
    import folkrnn.train.loop as training

    out = tmp_path / "run"
    straight = train(config(data, out, 3, 0.0))
    real_nll, validations = training.nll, []

    def stop_at_epoch_3(*args, **kwargs):
        validations.append(1)
        if len(validations) == 3:
            raise KeyboardInterrupt
        return real_nll(*args, **kwargs)

    monkeypatch.setattr(training, "nll", stop_at_epoch_3)  # the same seeded run, stopped after epoch 2
    with pytest.raises(KeyboardInterrupt):
        train(config(data, tmp_path / "two", 3, 0.0))
    monkeypatch.setattr(training, "nll", real_nll)
    (out / "epoch2.safetensors").write_bytes((tmp_path / "two" / "last.safetensors").read_bytes())
    (out / "last.pt").unlink()  # another machine: the log and the checkpoints came, last.pt did not
    with pytest.raises(ValueError, match="last.pt is missing.*--init CHECKPOINT"):
        train(config(data, out, 3, 0.0), resume=True, command="resume")
    assert len(json.loads((out / "log.json").read_text())["epochs"]) == 3  # the log is left as it was

    log = train(config(data, out, 3, 0.0), resume=True, command="continue",
                continue_from=str(out / "epoch2.safetensors"))
    assert [e["epoch"] for e in log["epochs"]] == [1, 2, 3]
    assert log["epochs"][:2] == straight["epochs"][:2]  # kept as logged; epoch 3 is trained again
    assert log["resumes"] == [{"after_epoch": 2, "command": "continue", "weights": str(out / "epoch2.safetensors"),
                               "optimiser": "fresh (no last.pt)"}]
    assert log["epochs"][2]["lr"] == pytest.approx(straight["epochs"][2]["lr"])  # the schedule moved on to epoch 3
    assert load_model(out / "last.safetensors").metadata["training"]["epoch"] == 3


def test_a_checkpoint_of_no_epoch_of_the_run_is_refused(data, tmp_path):
    out = tmp_path / "run"
    train(config(data, out, 1, 0.0))
    (out / "last.pt").unlink()
    with pytest.raises(ValueError, match="names no epoch of the run"):
        train(config(data, out, 2, 0.0), resume=True, continue_from="replica")  # the embedded model: no such epoch


def test_init_starts_from_a_checkpoint(data, tmp_path):
    first = tmp_path / "first"
    train(config(data, first, 1))
    start = load_model(first / "best.safetensors")
    cfg = config(data, tmp_path / "second", 1)
    log = train(TrainConfig(**{**cfg.__dict__, "init": str(first / "best.safetensors"), "lr": 1e-9,
                               "warmup_steps": 1}))
    after = load_model(tmp_path / "second" / "best.safetensors")
    np.testing.assert_allclose(after.V, start.V, atol=1e-5)  # a vanishing lr: the weights stay put
    assert log["epochs"][0]["valid_nll"] == pytest.approx(
        json.loads((first / "log.json").read_text())["epochs"][0]["valid_nll"], abs=1e-4)


def test_the_train_command_line_sets_every_field(monkeypatch):
    from dataclasses import fields

    import folkrnn.train.loop as training
    from folkrnn.cli import build_parser
    from folkrnn.train.config import recipe_config

    calls = []
    monkeypatch.setattr(training, "train", lambda cfg, **kwargs: calls.append((cfg, kwargs)))

    def run(*argv):
        args = build_parser().parse_args(["train", *argv])
        assert args.run(args) == 0
        return calls.pop()

    expected = TrainConfig(data="tunes.txt", out="runs/x", recipe="folkrnn", epochs=3, batch_size=5, lr=0.01,
                           min_lr_ratio=0.1, warmup_steps=7, lr_decay=0.9, lr_decay_after=2, clip=1.5, fused=True,
                           dropout=0.25, weight_drop=0.1, hidden_size=16, num_layers=2, valid_fraction=0.2, patience=4, seed=9,
                           bf16=False, threads=1, init="start.safetensors", rebuild_batches=3, average_decay=0.99)
    assert all(getattr(expected, f.name) != f.default for f in fields(TrainConfig))  # each option is seen
    cfg, kwargs = run("--data", "tunes.txt", "--out", "runs/x", "--recipe", "folkrnn", "--epochs", "3",
                      "--batch-size", "5", "--lr", "0.01", "--min-lr-ratio", "0.1", "--warmup-steps", "7",
                      "--lr-decay", "0.9", "--lr-decay-after", "2", "--clip", "1.5", "--fused", "--dropout", "0.25",
                      "--weight-drop", "0.1", "--hidden-size", "16", "--layers", "2", "--valid-fraction", "0.2",
                      "--patience", "4", "--seed", "9", "--no-bf16", "--threads", "1", "--init", "start.safetensors",
                      "--rebuild-batches", "3", "--average-decay", "0.99", "--resume")
    assert cfg == expected
    assert kwargs["resume"] and kwargs["overrides"] == ["epochs", "dropout", "fused", "rebuild_batches"]
    cfg, kwargs = run("--data", "tunes.txt", "--recipe", "folkrnn")  # options not given: the recipe's defaults
    assert cfg == recipe_config("folkrnn", data="tunes.txt")
    assert not kwargs["resume"] and kwargs["overrides"] == []
    assert run("--data", "tunes.txt")[0] == TrainConfig(data="tunes.txt")
