"""read_tunes (folkrnn.analysis.experiments): tunes of different lengths read in one padded batch through
the ONNX Runtime engine give, tune by tune, what the torch network computes over each alone."""

import numpy as np

from folkrnn.analysis.experiments import read_through, read_tunes
from folkrnn.analysis.perturbation import softmax
from folkrnn.compose.onnx_step import StepSession
from folkrnn.network.activations import run
from folkrnn.network.model import FolkRNN
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=41)
TUNES = [["M:4/4", "K:Cmaj", "|:", "c", "2", "G", "E", "|", "C", "D"], ["M:6/8", "K:Cdor", "G"], ["M:3/4"]]


def test_a_padded_batch_reads_each_tune_as_the_network_does_alone():
    net = FolkRNN.from_weights(WEIGHTS)
    readings = read_tunes(StepSession(WEIGHTS), WEIGHTS, TUNES)
    for tokens, reading in zip(TUNES, readings):
        expected = run(net, WEIGHTS.vocabulary, tokens, all_layers=True)
        assert reading.logits.shape == (len(tokens) + 1, len(WEIGHTS.vocabulary))
        np.testing.assert_allclose(reading.logits, expected.logits, atol=1e-5)
        for h, h_expected in zip(reading.hidden, expected.layers, strict=True):
            np.testing.assert_allclose(h, h_expected, atol=1e-5)


def test_probabilities_are_the_next_tokens_then_the_end():
    tokens = TUNES[0]
    probabilities, hidden = read_through(StepSession(WEIGHTS), WEIGHTS, tokens)
    logits = run(FolkRNN.from_weights(WEIGHTS), WEIGHTS.vocabulary, tokens).logits
    targets = WEIGHTS.vocabulary.encode([*tokens, "</s>"])
    np.testing.assert_allclose(probabilities, softmax(logits)[np.arange(len(targets)), targets], rtol=1e-4)
    assert len(hidden) == WEIGHTS.num_layers and hidden[-1].shape == (len(tokens) + 1, WEIGHTS.hidden_size)
