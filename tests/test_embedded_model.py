"""The shipped checkpoint: shapes, vocabulary, and the part-5 tune's NLL against the model card."""

import math
import re
from pathlib import Path

import pytest

from folkrnn import folkrnn_v2_vocabulary, load_model
from folkrnn.data import encode_tunes
from folkrnn.evaluation import nll
from folkrnn.model import FolkRNN

# The tune of part 5 of Sturm's "Making sense of the folk-rnn v2 model" (../shared/data/part5_tune.txt).
PART5 = """M:4/4 K:Cmaj B, | G, C C 2 G, C E C | G, C E G F D B, D | G, C C 2 G, C E G | F E D E C E A, B, |
G, C C 2 G, C E C | G, C E F G 3 A | B c d B c B G F | D E F D C 3 :| |: D | E C C 2 D B, G, A, |
B, C D E F 2 D F | E C C 2 D E F D | G ^F G A B 2 A B | G c c B c 2 B c | d e d c B d c B |
G E F D G F D F | E C B, D C 3 :|""".split()
MODEL_CARD = Path(__file__).resolve().parents[1] / "MODEL_CARD.md"


@pytest.fixture(scope="module")
def weights():
    return load_model()


def test_shapes_and_vocabulary(weights):
    assert weights.vocabulary == folkrnn_v2_vocabulary()
    assert (weights.num_layers, weights.hidden_size) == (3, 512)
    assert weights.V.shape == (137, 512) and weights.v.shape == (137,)
    assert weights.layers[0].W_ih.shape == (2048, 137)
    assert weights.parameter_count == 5_599_881
    assert weights.metadata["experiment_id"] == "folkrnn-explorer-v2-replica"


def test_validation_nll_in_the_checkpoint_is_the_model_cards(weights):
    card = re.search(r"\| validation split \| \*\*([0-9.]+)\*\*", MODEL_CARD.read_text())
    assert card, "MODEL_CARD.md must state the validation NLL"
    assert weights.metadata["training"]["valid_nll_per_token"] == pytest.approx(float(card.group(1)), abs=1e-4)


def test_part5_nll_matches_the_model_card(weights):
    assert len(PART5) == 146
    result = nll(FolkRNN.from_weights(weights), encode_tunes([PART5], weights.vocabulary))
    card = re.search(r"part-5 tune's NLL per token is ([0-9.]+) nats", MODEL_CARD.read_text())
    assert card, "MODEL_CARD.md must state the part-5 tune's NLL"
    assert result.per_token == pytest.approx(float(card.group(1)), abs=1e-4)
    assert result.per_token < math.log(137) / 3
