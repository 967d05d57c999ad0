"""The model card's figures of a model (folkrnn.network.measures) on a small random model and corpus,
each against the package function it stands for, on the split the model's training recorded."""

import numpy as np
import pytest

from folkrnn.analysis.copying import ngrams
from folkrnn.music.transcriptions import encode_tunes, validation_split
from folkrnn.music.wellformed import well_formed_share
from folkrnn.network.evaluation import nll
from folkrnn.network.measures import DROPOUT_SEEDS, PHRASE, measure_model, validation_nll
from folkrnn.network.model import FolkRNN
from tests.factories import random_weights

TUNES = [f"M:4/4 K:Cmaj |: {notes} | c 2 G E :|".split() for notes in
         ("C D E F G A B c", "E F G A B c d e", "C D E F G A B c", "G A B c d e f g", "c B A G F E D C")] * 4
WEIGHTS = random_weights(hidden=8, layers=2, seed=3)
WEIGHTS.metadata["training"] = {"config": {"valid_fraction": 0.2, "seed": 7}}


def test_every_figure_on_the_recorded_split():
    m = measure_model(WEIGHTS, TUNES, TUNES[0], n_samples=3)
    train, valid = validation_split(len(TUNES), 0.2, 7)
    sequences, net = encode_tunes(TUNES, WEIGHTS.vocabulary), FolkRNN.from_weights(WEIGHTS)
    assert m.valid.per_token == pytest.approx(nll(net, [sequences[i] for i in valid]).per_token)
    assert m.valid.per_token == pytest.approx(validation_nll(WEIGHTS, TUNES).per_token)
    assert (m.train.tunes, m.valid.tunes, m.part5.tunes, m.n_data) == (len(train), len(valid), 1, len(TUNES))
    assert len(m.valid_dropout) == len(DROPOUT_SEEDS) and m.data_share == well_formed_share(TUNES)
    assert len(m.sampled) == 3 and m.sampled_share == sum(t.verdict.ok for t in m.sampled) / 3
    own = [ngrams(TUNES[j], PHRASE, bar_lines=False) for j in valid]
    held = [ngrams(TUNES[i], PHRASE, bar_lines=False) for i in train]
    np.testing.assert_allclose(m.overlap, [max(len(o & h) for h in held) / len(o) for o in own])
    assert m.s[0] >= m.s[-1] and m.energy[-1] == pytest.approx(1.0)
