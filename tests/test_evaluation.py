"""folkrnn.network.evaluation: batched, padded NLL against each tune run alone, and folk-rnn's own loss."""

import numpy as np
import pytest
import torch

from folkrnn.network.evaluation import nll
from folkrnn.network.model import FolkRNN, FolkRNNConfig
from folkrnn.vocab import END, START
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=12, seed=11)
VOCAB = WEIGHTS.vocabulary


@pytest.fixture(scope="module")
def sequences():
    rng = np.random.default_rng(3)
    body = [i for i, t in enumerate(VOCAB.tokens) if t not in (START, END)]
    return [np.array([VOCAB.index[START], *rng.choice(body, n), VOCAB.index[END]])
            for n in (1, 9, 4, 30, 4, 17, 2)]


def _alone(model, seq) -> float:
    """Summed NLL of one tune, run unbatched and unpadded, log-softmax in float64."""
    with torch.no_grad():
        logits = model(torch.from_numpy(seq[None, :-1])).logits[0].double().numpy()
    log_p = logits - logits.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    return -log_p[np.arange(len(seq) - 1), seq[1:]].sum()


def test_batched_nll_matches_each_tune_alone(sequences):
    model = FolkRNN.from_weights(WEIGHTS)
    totals = np.array([_alone(model, s) for s in sequences])
    targets = np.array([len(s) - 1 for s in sequences])
    result = nll(model, sequences, batch_size=3)
    assert (result.tunes, result.tokens) == (7, targets.sum())
    np.testing.assert_allclose(result.tune_totals, totals, rtol=1e-5)  # each tune's own, in the order given
    np.testing.assert_array_equal(result.tune_targets, targets)
    assert result.per_token == pytest.approx(totals.sum() / targets.sum(), rel=1e-5)
    # folk-rnn divides each tune's sum by its length counting <s> and </s>, then averages tunes
    assert result.folkrnn_loss == pytest.approx(np.mean(totals / (targets + 1)), rel=1e-5)
    assert result.folkrnn_loss != pytest.approx(result.per_token, rel=1e-3)


def test_dropout_is_seeded_and_leaves_caller_state_alone(sequences):
    model = FolkRNN.from_weights(WEIGHTS)
    off = nll(model, sequences).per_token
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    a = nll(model, sequences, dropout_seed=1).per_token
    assert torch.equal(torch.rand(3), expected_next)
    assert not model.training
    assert a == nll(model, sequences, dropout_seed=1).per_token
    assert a != pytest.approx(nll(model, sequences, dropout_seed=2).per_token, rel=1e-6)
    assert a != pytest.approx(off, rel=1e-3)
    model.train()
    assert nll(model, sequences).per_token == pytest.approx(off, rel=1e-6) and model.training


def test_dropout_evaluation_leaves_weight_drop_off(sequences):
    """folk-rnn never had weight drop, so evaluating with dropout must not switch it on."""
    source = FolkRNN.from_weights(WEIGHTS)
    model = FolkRNN(FolkRNNConfig(len(VOCAB), 12, 3, dropout=0.0, weight_drop=0.9))
    model.load_state_dict(source.state_dict())
    assert nll(model, sequences, dropout_seed=4).per_token == pytest.approx(nll(model, sequences).per_token, rel=1e-6)
