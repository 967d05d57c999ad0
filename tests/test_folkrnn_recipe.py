"""folk-rnn's own recipe, each piece against an independent computation: Lasagne's initial
statistics, the per-tune loss by hand, Lasagne's RMSprop update in numpy, train_rnn.py's
learning-rate loop, each step's gate gradients clipped as Theano's grad_clip does and their peak
measured, and the fused kernel training alike while that peak stays below the bound."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from folkrnn.cli import main
from folkrnn.io.loading import load_model
from folkrnn.music.transcriptions import PAD_TARGET
from folkrnn.network.model import FolkRNN, FolkRNNConfig, _clipped_steps
from folkrnn.train.config import TrainConfig, recipe_config
from folkrnn.train.folkrnn_recipe import (
    LasagneRMSprop,
    epoch_lr,
    epsilon_share,
    gate_gradient_peak,
    lasagne_init_,
    per_tune_loss,
)
from folkrnn.train.loop import token_nll, train


def test_lasagne_initialisation_statistics():
    model = lasagne_init_(FolkRNN(FolkRNNConfig()), torch.Generator().manual_seed(0))
    for lstm in model.lstms:
        for W in (lstm.weight_ih_l0, lstm.weight_hh_l0):
            assert abs(W.mean().item()) < 2e-3
            assert W.std().item() == pytest.approx(0.1, rel=0.01)
        assert torch.count_nonzero(lstm.bias_ih_l0) == 0 and torch.count_nonzero(lstm.bias_hh_l0) == 0
    assert torch.count_nonzero(model.c0) == 0
    np.testing.assert_allclose(model.h0.detach().norm(dim=1).numpy(), 1.0, rtol=1e-6)  # unit rows
    assert abs(model.h0[0] @ model.h0[1]).item() < 0.2  # drawn independently
    V = model.softmax.weight.detach().double().numpy()
    np.testing.assert_allclose(np.linalg.svd(V, compute_uv=False), 1.0, atol=1e-6)  # orthonormal rows
    assert torch.count_nonzero(model.softmax.bias) == 0


def test_lasagne_orthogonal_of_a_wide_matrix_has_orthonormal_rows():
    model = lasagne_init_(FolkRNN(FolkRNNConfig(hidden_size=16)), torch.Generator().manual_seed(0))
    W = model.softmax.weight.detach().double().numpy().T  # Lasagne's (H, vocab)
    np.testing.assert_allclose(W @ W.T, np.eye(16), atol=1e-6)


def test_per_tune_loss_by_hand():
    rng = np.random.default_rng(0)
    targets = np.array([[3, 1, 4, PAD_TARGET], [2, 0, 2, 1]])
    logits = rng.normal(size=(2, 4, 5))
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    by_hand = []
    for row, t in zip(log_p, targets):
        n = int((t != PAD_TARGET).sum())
        by_hand.append(-sum(row[j, t[j]] for j in range(n)) / (n + 1))  # the tune's length counts <s>
    nll = -np.take_along_axis(log_p, np.where(targets == PAD_TARGET, 0, targets)[..., None], -1)[..., 0]
    nll[targets == PAD_TARGET] = 0
    loss = per_tune_loss(torch.from_numpy(nll), torch.from_numpy(targets))
    assert loss.item() == pytest.approx(np.mean(by_hand), rel=1e-12)


def test_rmsprop_is_lasagnes():
    rng = np.random.default_rng(1)
    p0, grads = rng.normal(size=6), [rng.normal(size=6) * 10.0**-k for k in (0, 3, 6)]
    param = nn.Parameter(torch.tensor(p0))
    optimiser = LasagneRMSprop([param], lr=0.003)
    p, accu = p0.copy(), np.zeros(6)
    for g in grads:
        param.grad = torch.tensor(g)
        optimiser.step()
        accu = 0.9 * accu + 0.1 * g**2
        p = p - 0.003 * g / np.sqrt(accu + 1e-6)
    np.testing.assert_allclose(param.detach().numpy(), p, rtol=1e-12)


def test_epsilon_share_by_hand():
    """Gradients of known size per parameter kind: the share epsilon leaves of the normalised step
    is sqrt(a / (a + 1e-6)), a = 0.1 g^2 after one step, its median over the kind's entries."""
    model = FolkRNN(FolkRNNConfig(hidden_size=8, num_layers=2))
    optimiser = LasagneRMSprop([p for p in model.parameters() if p.requires_grad])
    scale = {"weight_ih": 1e-2, "weight_hh": 1e-4, "bias_ih": 1e-3, "h0": 1e-5, "c0": 1e-5,
             "softmax.weight": 1e-1, "softmax.bias": 1e-6}
    rng = np.random.default_rng(0)
    by_kind = {}
    for name, p in model.named_parameters():
        if p.requires_grad:
            size = next(v for k, v in scale.items() if k in name)
            g = rng.uniform(0.5, 1.5, size=p.shape) * size
            p.grad = torch.from_numpy(g).to(p.dtype)
            by_kind.setdefault(size, []).append(g.ravel())
    optimiser.step()
    expected = {size: float(np.median(np.sqrt(0.1 * np.concatenate(g) ** 2 / (0.1 * np.concatenate(g) ** 2 + 1e-6))))
                for size, g in by_kind.items()}
    shares = epsilon_share(model, optimiser)
    assert set(shares) == {"W_in", "W_hid", "b", "init", "V", "v"}
    for kind, size in [("W_in", 1e-2), ("W_hid", 1e-4), ("b", 1e-3), ("init", 1e-5), ("V", 1e-1), ("v", 1e-6)]:
        assert shares[kind] == pytest.approx(expected[size], abs=1e-4)
    assert shares["V"] > 0.99 and shares["W_hid"] < 0.05  # gradients set V's step, epsilon W_hid's


def test_learning_rate_follows_train_rnn_loop():
    cfg = TrainConfig(data="", lr=0.003, lr_decay=0.97, lr_decay_after=20)
    expected, lr = [], 0.003
    for epoch in range(100):  # train_rnn.py: after each epoch, `if epoch > decay_after: lr *= decay`
        expected.append(lr)
        if epoch > 20:
            lr *= 0.97
    np.testing.assert_allclose([epoch_lr(cfg, e) for e in range(100)], expected, rtol=1e-12)
    assert epoch_lr(cfg, 21) == 0.003 and epoch_lr(cfg, 22) == pytest.approx(0.003 * 0.97)
    # folk-rnn's script handed RMSprop the float config.learning_rate: the decay never took effect
    as_run = recipe_config("folkrnn", data="")
    assert {epoch_lr(as_run, e) for e in range(100)} == {0.003}


def test_folkrnn_recipe_defaults():
    cfg = recipe_config("folkrnn", data="d", epochs=7)
    assert (cfg.recipe, cfg.batch_size, cfg.lr, cfg.clip, cfg.dropout, cfg.epochs) == ("folkrnn", 50, 3e-3, 5.0, 0.5, 7)
    assert cfg.patience >= 100  # no early stopping
    with pytest.raises(ValueError, match="unknown recipe"):
        TrainConfig(data="d", recipe="adam")


def _reference_steps(x, W_ih, W_hh, b, hook, state=None):
    """The same layer as a textbook LSTM from ``state`` (h, c; zeros when None), ``hook`` registered on
    each step's gate pre-activations (a tensor hook: it may replace their gradient)."""
    h, c = state if state is not None else (torch.zeros(x.shape[0], W_hh.shape[1], dtype=x.dtype),) * 2
    outputs = []
    for t in range(x.shape[1]):
        gates = x[:, t] @ W_ih.T + b + h @ W_hh.T
        gates.register_hook(hook)
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs, dim=1)


@pytest.mark.parametrize("bound", [1e-3, 1e9])
def test_each_steps_gate_gradients_are_clipped(bound):
    torch.manual_seed(0)
    lstm = nn.LSTM(5, 4, batch_first=True).double()
    x = torch.randn(3, 7, 5, dtype=torch.float64)
    zeros = torch.zeros(1, 3, 4, dtype=torch.float64)
    b = lstm.bias_ih_l0 + lstm.bias_hh_l0
    out, _ = _clipped_steps(x, (zeros, zeros), lstm.weight_ih_l0, lstm.weight_hh_l0, b, bound)
    fused, _ = lstm(x, (zeros, zeros))
    torch.testing.assert_close(out, fused)  # the forward pass is nn.LSTM's
    weights = (lstm.weight_ih_l0, lstm.weight_hh_l0)
    ours = torch.autograd.grad((out**2).sum(), weights)
    clamp = lambda g: g.clamp(-bound, bound)  # noqa: E731
    reference = torch.autograd.grad((_reference_steps(x, *weights, b, clamp) ** 2).sum(), weights)
    unclipped = torch.autograd.grad((fused**2).sum(), weights)
    for a, r, u in zip(ours, reference, unclipped):
        torch.testing.assert_close(a, r)
        assert torch.allclose(a, u) == (bound > 1)  # a tight bound changes the gradient


def test_training_the_folkrnn_way_logs_the_spectrum(tmp_path):
    data = tmp_path / "tunes.txt"
    data.write_text("\n\n".join(["M:4/4\nK:Cmaj\n|: c 2 G E C D E F | G A B c d 2 c 2 :|",
                                 "M:6/8\nK:Cdor\nG E C E 2 G | c 3 B A G | A > B c d 2 e |"] * 20) + "\n")
    cfg = recipe_config("folkrnn", data=str(data), out=str(tmp_path / "run"), epochs=3, batch_size=8,
                        hidden_size=8, num_layers=2, bf16=False, threads=1, lr_decay=0.5, lr_decay_after=0)
    log = train(cfg)
    assert [e["lr"] for e in log["epochs"]] == pytest.approx([3e-3, 3e-3, 1.5e-3])
    for entry in log["epochs"]:
        spectrum = entry["spectrum"]
        assert spectrum["s"] == sorted(spectrum["s"], reverse=True) and len(spectrum["s"]) == 3
        assert spectrum["s1_over_s2"] == pytest.approx(spectrum["s"][0] / spectrum["s"][1])
        assert set(spectrum["pushes"]) == {"+u1", "-u1", "+u2", "-u2", "+u3", "-u3"}
        assert set(entry["epsilon_share"]) == {"W_in", "W_hid", "b", "init", "V", "v"}
        assert all(0 <= share <= 1 for share in entry["epsilon_share"].values())
    assert json.loads((tmp_path / "run" / "log.json").read_text())["config"]["recipe"] == "folkrnn"
    training = load_model(tmp_path / "run" / "last.safetensors").metadata["training"]
    assert training["epoch"] == 3 and training["config"]["recipe"] == "folkrnn"
    assert [e["s"] for e in training["spectrum_history"]] == [e["spectrum"]["s"] for e in log["epochs"]]


def _reference_peak(model: FolkRNN, x: torch.Tensor, y: torch.Tensor) -> float:
    """The largest |gate gradient| of any step, by tensor hooks on a textbook LSTM over one-hot inputs
    (no dropout) and the per-tune loss written out."""
    peaks = []
    inputs = nn.functional.one_hot(x, model.config.vocab_size).float()
    for layer, lstm in enumerate(model.lstms):
        state = (model.h0[layer].expand(x.shape[0], -1), model.c0[layer].expand(x.shape[0], -1))
        inputs = _reference_steps(inputs, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0,
                                  lambda g: peaks.append(g.abs().max().item()), state)
    log_p = torch.log_softmax(model.softmax(inputs), dim=-1)
    kept = y != PAD_TARGET
    picked = log_p.gather(-1, y.clamp(min=0)[..., None])[..., 0] * kept
    loss = (-picked.sum(1) / (kept.sum(1) + 1)).mean()
    loss.backward()
    return max(peaks)


def test_gate_gradient_peak_against_hooks():
    torch.manual_seed(0)
    model = lasagne_init_(FolkRNN(FolkRNNConfig(hidden_size=6, num_layers=2, dropout=0.0)))
    with torch.no_grad():
        model.softmax.weight.mul_(40.0)  # large enough gradients that each batch's peak differs
    rng = np.random.default_rng(0)
    batches = []
    for length in (5, 9):
        inputs = rng.integers(0, 137, size=(3, length))
        targets = np.roll(inputs, -1, axis=1)
        targets[0, -2:] = PAD_TARGET  # a shorter tune
        batches.append((inputs, targets))
    state = torch.get_rng_state()
    peak = gate_gradient_peak(model, batches, lambda x, y: per_tune_loss(token_nll(model(x).logits, y), y))
    assert torch.equal(torch.get_rng_state(), state)  # the training RNG is untouched
    assert all(p.grad is None for p in model.parameters())  # and so are the gradients
    assert model.gate_gradient_peaks is None
    expected = max(_reference_peak(model, torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches)
    assert peak == pytest.approx(expected, rel=1e-5)
    assert peak > 1e-3


def _tiny_run(data, out, epochs, **given):
    return recipe_config("folkrnn", data=str(data), out=str(out), epochs=epochs, batch_size=8, hidden_size=8,
                         num_layers=2, dropout=0.0, bf16=False, threads=1, **given)


def test_the_fused_kernel_trains_alike_while_the_peak_stays_below_the_bound(tmp_path):
    """Two epochs stepped and clipped, against one so and one resumed in the fused kernel: the clip
    never bit (the logged peak is far below 5), so the weights and figures agree. Without dropout:
    the two kernels lay out h differently in memory, so the same seed draws other dropout masks."""
    data = tmp_path / "tunes.txt"
    data.write_text("\n\n".join(["M:4/4\nK:Cmaj\n|: c 2 G E C D E F | G A B c d 2 c 2 :|",
                                  "M:6/8\nK:Cdor\nG E C E 2 G | c 3 B A G | A > B c d 2 e |"] * 20) + "\n")
    stepped = train(_tiny_run(data, tmp_path / "stepped", 2))
    train(_tiny_run(data, tmp_path / "switched", 1))
    log = json.loads((tmp_path / "switched" / "log.json").read_text())
    del log["config"]["fused"]  # a log written before the setting existed
    (tmp_path / "switched" / "log.json").write_text(json.dumps(log))
    # as from the command line, which names no recipe on a resume
    assert main(["train", "--resume", "--fused", "--epochs", "2", "--data", str(data),
                 "--out", str(tmp_path / "switched")]) == 0
    switched = json.loads((tmp_path / "switched" / "log.json").read_text())
    assert [{k: v for k, v in r.items() if k != "command"} for r in switched["resumes"]] == [
        {"after_epoch": 1, "epochs": 2, "fused": True}]
    assert switched["config"]["fused"] is True
    for a, b in zip(stepped["epochs"], switched["epochs"]):
        assert a["gate_grad_peak"] < 0.1
        assert b["gate_grad_peak"] == pytest.approx(a["gate_grad_peak"], rel=1e-4)
        assert b["valid_nll"] == pytest.approx(a["valid_nll"], abs=1e-6)
    np.testing.assert_allclose(load_model(tmp_path / "switched" / "last.safetensors").V,
                               load_model(tmp_path / "stepped" / "last.safetensors").V, atol=1e-6)


def test_fused_is_for_the_folkrnn_recipe(tmp_path):
    data = tmp_path / "tunes.txt"
    data.write_text("M:4/4\nK:Cmaj\n|: c 2 G E :|\n")
    with pytest.raises(ValueError, match="applies to the folkrnn recipe"):
        train(TrainConfig(data=str(data), out=str(tmp_path / "run"), fused=True))
    assert not (tmp_path / "run").exists()
