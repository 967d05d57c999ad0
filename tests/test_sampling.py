"""Sampling: the fast per-step path equals the full forward pass; tunes are reproducible and capped."""

import pytest
import torch

from folkrnn.model import FolkRNN
from folkrnn.sampling import draw, sample_tunes
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=2)
NET = FolkRNN.from_weights(WEIGHTS)


def test_step_equals_forward():
    tokens = torch.tensor([[80, 57, 86, 39, 71, 48], [80, 63, 77, 35, 65, 2]])
    step = NET.stepper()
    with torch.no_grad():
        full = NET(tokens)
        out = NET(tokens[:, :1])
        state = [(h[0], c[0]) for h, c in out.state]
        for t in range(1, tokens.shape[1]):
            logits, state = step(tokens[:, t], state)
            torch.testing.assert_close(logits, full.logits[:, t], atol=1e-5, rtol=1e-5)


def test_bf16_step_stays_close_to_float32():
    tokens = torch.tensor([80, 57, 86, 39])
    state = [(torch.zeros(4, 16), torch.zeros(4, 16)) for _ in range(3)]
    exact, _ = NET.stepper()(tokens, state)
    rounded, new_state = NET.stepper(torch.bfloat16)(tokens, state)
    assert rounded.dtype == new_state[0][0].dtype == torch.float32
    assert 0 < (rounded - exact).abs().max() < 0.05


def test_bf16_sampling_is_reproducible_and_unknown_precision_is_refused():
    vocab = WEIGHTS.vocabulary
    a = sample_tunes(NET, vocab, n=3, seed=3, max_length=30, precision="bfloat16")
    assert [t.tokens for t in a] == [t.tokens for t in sample_tunes(NET, vocab, n=3, seed=3, max_length=30,
                                                                     precision="bfloat16")]
    with pytest.raises(ValueError, match="precision"):
        sample_tunes(NET, vocab, precision="float16")


def test_sampling_is_reproducible_and_respects_prefix_and_cap():
    vocab = WEIGHTS.vocabulary
    a = sample_tunes(NET, vocab, n=4, prefix=["M:6/8", "K:Cmaj"], seed=3, max_length=30)
    b = sample_tunes(NET, vocab, n=4, prefix=["M:6/8", "K:Cmaj"], seed=3, max_length=30)
    assert [t.tokens for t in a] == [t.tokens for t in b]
    for tune in a:
        assert tune.tokens[:2] == ["M:6/8", "K:Cmaj"]
        assert len(tune.tokens) <= 30
        assert "</s>" not in tune.tokens  # the end mark is the `ended` flag, not a token
    c = sample_tunes(NET, vocab, n=4, prefix=["M:6/8", "K:Cmaj"], seed=4, max_length=30)
    assert [t.tokens for t in a] != [t.tokens for t in c]


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_draw_follows_softmax_at_temperature(temperature):
    logits = torch.tensor([2.0, 0.5, -1.0, 0.0, 3.0, -4.0])
    rows = 40_000
    tokens = draw(logits.expand(rows, -1), temperature, torch.Generator().manual_seed(0))
    observed = torch.bincount(tokens, minlength=6).double() / rows
    p = torch.softmax(logits.double() / temperature, dim=0)
    assert ((observed - p).abs() <= 4 * (p * (1 - p) / rows).sqrt() + 1e-9).all(), (observed, p)
