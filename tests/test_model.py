"""FolkRNN's training-only weight drop: a fresh W_hh mask per pass in training, none in eval."""

import torch

from folkrnn.network.model import FolkRNN, FolkRNNConfig


def test_weight_drop_acts_in_training_only():
    torch.manual_seed(0)
    dropped = FolkRNN(FolkRNNConfig(137, 16, 3, dropout=0.0, weight_drop=0.5))
    plain = FolkRNN(FolkRNNConfig(137, 16, 3, dropout=0.0))
    plain.load_state_dict(dropped.state_dict())
    tokens = torch.randint(0, 137, (2, 7))
    dropped.train()
    first, second = dropped(tokens).logits, dropped(tokens).logits
    assert (first - second).abs().max() > 1e-3  # a new mask each pass
    first.sum().backward()
    assert all(lstm.weight_hh_l0.grad.abs().sum() > 0 for lstm in dropped.lstms)  # gradients reach W_hh
    dropped.eval(), plain.eval()
    torch.testing.assert_close(dropped(tokens).logits, plain(tokens).logits, rtol=0, atol=0)
