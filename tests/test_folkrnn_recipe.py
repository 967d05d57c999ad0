"""folk-rnn's own recipe, each piece against an independent computation: Lasagne's initial
statistics, the per-tune loss by hand, Lasagne's RMSprop update in numpy, train_rnn.py's
learning-rate loop, each step's gate gradients clipped as Theano's grad_clip does and their peak
measured, and the fused kernel training alike while that peak stays below the bound; for the
89564f5 recipe (folkrnn-head) its summed loss, its initialisation, where it agrees with January's,
and RMSprop's running average rebuilt for a run continued from its weights alone."""

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
    rebuild_square_avg,
)
from folkrnn.train.loop import token_nll, train


def _assert_lasagne_states_and_dense(model: FolkRNN):
    """What both recipes' initialisations share: hid_init unit rows, cell_init 0, the dense W orthogonal, b 0."""
    assert torch.count_nonzero(model.c0) == 0
    np.testing.assert_allclose(model.h0.detach().norm(dim=1).numpy(), 1.0, rtol=1e-6)  # unit rows
    assert abs(model.h0[0] @ model.h0[1]).item() < 0.2  # drawn independently
    V = model.softmax.weight.detach().double().numpy()
    np.testing.assert_allclose(np.linalg.svd(V, compute_uv=False), 1.0, atol=1e-6)  # orthonormal rows
    assert torch.count_nonzero(model.softmax.bias) == 0
    assert all(torch.count_nonzero(lstm.bias_hh_l0) == 0 for lstm in model.lstms)


def test_lasagne_initialisation_statistics():
    model = lasagne_init_(FolkRNN(FolkRNNConfig()), torch.Generator().manual_seed(0))
    for lstm in model.lstms:
        for W in (lstm.weight_ih_l0, lstm.weight_hh_l0):
            assert abs(W.mean().item()) < 2e-3
            assert W.std().item() == pytest.approx(0.1, rel=0.01)
        assert torch.count_nonzero(lstm.bias_ih_l0) == 0
    _assert_lasagne_states_and_dense(model)


def test_head_initialisation_statistics():
    """89564f5: each gate's W_in U(-a, a), a = sqrt(6 / (fan_in + H)) (one-hot 137 in, then 512);
    each W_hid orthogonal; the forget gate's bias 5, the others' 0."""
    model = lasagne_init_(FolkRNN(FolkRNNConfig()), torch.Generator().manual_seed(0), recipe="folkrnn-head")
    H = 512
    for lstm, fan_in in zip(model.lstms, (137, H, H)):
        bound = np.sqrt(6 / (fan_in + H))
        for W_in, W_hid in zip(lstm.weight_ih_l0.detach().view(4, H, -1), lstm.weight_hh_l0.detach().view(4, H, H)):
            assert W_in.abs().max().item() <= bound and W_in.abs().max().item() > 0.99 * bound
            assert W_in.std().item() == pytest.approx(bound / np.sqrt(3), rel=0.02)  # uniform's std
            assert abs(W_in.mean().item()) < 0.01 * bound
            np.testing.assert_allclose((W_hid @ W_hid.T).numpy(), np.eye(H), atol=1e-5)
        np.testing.assert_array_equal(lstm.bias_ih_l0.detach().view(4, H).numpy(),
                                      np.repeat([[0.0], [5.0], [0.0], [0.0]], H, axis=1))  # i, f, g, o
    _assert_lasagne_states_and_dense(model)


def test_lasagne_orthogonal_of_a_wide_matrix_has_orthonormal_rows():
    model = lasagne_init_(FolkRNN(FolkRNNConfig(hidden_size=16)), torch.Generator().manual_seed(0))
    W = model.softmax.weight.detach().double().numpy().T  # Lasagne's (H, vocab)
    np.testing.assert_allclose(W @ W.T, np.eye(16), atol=1e-6)


@pytest.mark.parametrize("by_length", [True, False])
def test_per_tune_loss_by_hand(by_length):
    rng = np.random.default_rng(0)
    targets = np.array([[3, 1, 4, PAD_TARGET], [2, 0, 2, 1]])
    logits = rng.normal(size=(2, 4, 5))
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    by_hand = []
    for row, t in zip(log_p, targets):
        n = int((t != PAD_TARGET).sum())
        summed = -sum(row[j, t[j]] for j in range(n))
        by_hand.append(summed / (n + 1) if by_length else summed)  # the tune's length counts <s>
    nll = -np.take_along_axis(log_p, np.where(targets == PAD_TARGET, 0, targets)[..., None], -1)[..., 0]
    nll[targets == PAD_TARGET] = 0
    loss = per_tune_loss(torch.from_numpy(nll), torch.from_numpy(targets), by_length)
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


def test_head_recipe_departs_from_januarys_only_where_89564f5_did():
    january, head = recipe_config("folkrnn", data="d"), recipe_config("folkrnn-head", data="d")
    differ = {k for k, v in vars(head).items() if vars(january)[k] != v}
    assert differ == {"recipe", "out", "batch_size", "epochs", "rebuild_batches"}
    assert (head.batch_size, head.epochs, head.rebuild_batches) == (64, 308, 20)
    assert 307 * 114 < 35_100 <= head.epochs * 114  # the first epoch at v2's updates on data_v2_part (114 batches an epoch)
    targets = torch.tensor([[3, 1, 4, 2], [2, 0, 2, 1]])  # tunes of one length: the sum is (4 + 1) x the mean
    nll = torch.rand(2, 4, dtype=torch.float64)
    assert per_tune_loss(nll, targets, by_length=False).item() == pytest.approx(5 * per_tune_loss(nll, targets).item())


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


def _tunes_file(tmp_path):
    data = tmp_path / "tunes.txt"
    data.write_text("\n\n".join(["M:4/4\nK:Cmaj\n|: c 2 G E C D E F | G A B c d 2 c 2 :|",
                                 "M:6/8\nK:Cdor\nG E C E 2 G | c 3 B A G | A > B c d 2 e |"] * 20) + "\n")
    return data


def test_training_the_folkrnn_way_logs_the_spectrum(tmp_path):
    data = _tunes_file(tmp_path)
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


def _tiny_run(data, out, epochs, recipe="folkrnn", **given):
    return recipe_config(recipe, data=str(data), out=str(out), epochs=epochs, batch_size=8, hidden_size=8,
                         num_layers=2, dropout=0.0, bf16=False, threads=1, **given)


def test_the_fused_kernel_trains_alike_while_the_peak_stays_below_the_bound(tmp_path):
    """Two epochs stepped and clipped, against one so and one resumed in the fused kernel: the clip
    never bit (the logged peak is far below 5), so the weights and figures agree. Without dropout:
    the two kernels lay out h differently in memory, so the same seed draws other dropout masks."""
    data = _tunes_file(tmp_path)
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
    for setting in ({"fused": True}, {"rebuild_batches": 2}):
        with pytest.raises(ValueError, match="apply to the folkrnn recipes"):
            train(TrainConfig(data=str(data), out=str(tmp_path / "run"), **setting))
    assert not (tmp_path / "run").exists()


def test_rebuilt_square_average_is_lasagnes_recursion_weighted_to_one():
    """From a = 0, a <- 0.9 a + 0.1 g_k^2 over n batches, divided by 1 - 0.9^n; no parameter moves."""
    torch.manual_seed(0)
    model = lasagne_init_(FolkRNN(FolkRNNConfig(hidden_size=6, num_layers=2, dropout=0.0)))
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = LasagneRMSprop(params)
    rng = np.random.default_rng(0)
    batches = [(x, np.roll(x, -1, axis=1)) for x in (rng.integers(0, 137, size=(3, n)) for n in (5, 7, 4))]
    loss = lambda x, y: per_tune_loss(token_nll(model(x).logits, y), y, by_length=False)  # noqa: E731
    before = [p.detach().clone() for p in params]
    expected = [torch.zeros_like(p) for p in params]
    for x, y in batches:
        for a, g in zip(expected, torch.autograd.grad(loss(torch.from_numpy(x), torch.from_numpy(y)), params)):
            a.mul_(0.9).add_(0.1 * g**2)
    assert rebuild_square_avg(model, optimiser, batches, loss) == 3
    for p, b, a in zip(params, before, expected):
        assert torch.equal(p, b) and p.grad is None
        torch.testing.assert_close(optimiser.state[p]["square_avg"], a / (1 - 0.9**3))


def test_a_head_run_continued_from_its_weights_alone_steps_closer_with_the_rebuilt_average(tmp_path):
    """Two epochs, then the third three ways: exactly from last.pt; from epoch 2's weights with
    RMSprop's average rebuilt on 4 batches; from them with a zero average, whose first steps are
    ~3 lr per entry. The rebuilt run ends nearer the exact one and says how it continued."""
    data = _tunes_file(tmp_path)
    runs = {}
    for name, rebuild in (("exact", 0), ("rebuilt", 4), ("fresh", 0)):
        out = tmp_path / name
        train(_tiny_run(data, out, 2, "folkrnn-head", rebuild_batches=rebuild))
        cfg = _tiny_run(data, out, 3, "folkrnn-head", rebuild_batches=rebuild)
        if name != "exact":
            (out / "last.pt").unlink()
        runs[name] = train(cfg, resume=True, overrides=["epochs"], continue_from=str(out / "last.safetensors"))
        runs[name]["V"] = load_model(out / "last.safetensors").V
    assert runs["rebuilt"]["resumes"][0]["optimiser"] == "running average rebuilt on 4 batches (no last.pt)"
    assert runs["fresh"]["resumes"][0]["optimiser"] == "fresh (no last.pt)"
    assert [e["updates"] for e in runs["rebuilt"]["epochs"]] == [5, 10, 15]  # 36 training tunes, batches of 8
    distance = {name: np.abs(runs[name]["V"] - runs["exact"]["V"]).max() for name in ("rebuilt", "fresh")}
    assert 0 < distance["rebuilt"] < distance["fresh"]
