"""The shipped checkpoints: shapes, vocabulary, and each model's figures against its section of the model card."""

import math
import re
from pathlib import Path

import pytest

import folkrnn
from folkrnn import folkrnn_v2_vocabulary, load_model
from folkrnn.examples import PART5_TUNE
from folkrnn.io.loading import DEFAULT_MODEL, EMBEDDED_MODELS, default_model_path, embedded_model_path
from folkrnn.music.transcriptions import encode_tunes
from folkrnn.network.evaluation import nll
from folkrnn.network.model import FolkRNN

MODEL_CARD = Path(__file__).resolve().parents[1] / "MODEL_CARD.md"
SHIPPED = {  # what each shipped file records: experiment id, name, and the epoch whose weights it holds
    "replica": ("folkrnn-explorer-v2-replica", "folk-rnn v2 replica (folkrnn-explorer)", 150),
    "faithful": ("folkrnn-explorer-v2-folkrnn-recipe", "folk-rnn v2, folk-rnn's own recipe (folkrnn-explorer)", 100),
}


def card_section(model: str) -> str:
    """The model's own section of MODEL_CARD.md (scripts/make_model_card.py writes one per model)."""
    section = re.search(rf"<!-- section: {model} -->\n(.*?)<!-- end: {model} -->", MODEL_CARD.read_text(), re.S)
    assert section, f"MODEL_CARD.md has no section for the {model} model"
    return section.group(1)


@pytest.fixture(scope="module", params=list(EMBEDDED_MODELS))
def embedded(request):
    return request.param, load_model(request.param)


def test_each_embedded_model_is_shipped_in_the_package_under_its_name(embedded):
    name, weights = embedded
    path = embedded_model_path(name)
    assert path.parent == Path(folkrnn.__file__).parent / "assets" and path.is_file()
    assert load_model(path).content_hash == weights.content_hash
    assert (weights.metadata["experiment_id"], weights.name, weights.metadata["training"]["best_epoch"]) == SHIPPED[name]
    assert f"| {name}: {weights.name} |" in card_section("comparison")


def test_the_default_model_is_the_shipped_replica():
    assert DEFAULT_MODEL == "replica" and default_model_path() == embedded_model_path("replica")
    assert load_model().content_hash == load_model("replica").content_hash != load_model("faithful").content_hash


def test_shapes_and_vocabulary(embedded):
    _, weights = embedded
    assert weights.vocabulary == folkrnn_v2_vocabulary()
    assert (weights.num_layers, weights.hidden_size) == (3, 512)
    assert weights.V.shape == (137, 512) and weights.v.shape == (137,)
    assert weights.layers[0].W_ih.shape == (2048, 137)
    assert weights.parameter_count == 5_599_881


def test_validation_nll_in_the_checkpoint_is_the_model_cards(embedded):
    name, weights = embedded
    card = re.search(r"\| validation split \| \*\*([0-9.]+)\*\*", card_section(name))
    assert card, f"the {name} section must state the validation NLL"
    assert weights.metadata["training"]["valid_nll_per_token"] == pytest.approx(float(card.group(1)), abs=1e-4)


def test_part5_nll_matches_the_model_card(embedded):
    name, weights = embedded
    result = nll(FolkRNN.from_weights(weights), encode_tunes([list(PART5_TUNE)], weights.vocabulary))
    card = re.search(r"part-5 tune's NLL per token is ([0-9.]+) nats", card_section(name))
    assert card, f"the {name} section must state the part-5 tune's NLL"
    assert result.per_token == pytest.approx(float(card.group(1)), abs=1e-4)
    assert result.per_token < math.log(137)  # better than a uniform guess; the card holds the figure


def test_the_faithful_model_keeps_its_spectrum_history_for_the_spectrum_page():
    training = load_model("faithful").metadata["training"]
    history = training["spectrum_history"]
    assert [e["epoch"] for e in history] == list(range(1, training["epochs_run"] + 1))
    assert all(len(e["s"]) == 3 and {"-u1", "+u1"} <= set(e["pushes"]) for e in history)
