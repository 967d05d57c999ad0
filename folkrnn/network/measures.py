"""Every figure the model card gives of a trained model, measured on the transcriptions it was trained
on: NLL per token on its training and validation split (dropout off, ``</s>`` a target) and folk-rnn's
own loss with dropout on, the part-5 tune's NLL, the well-formed share of the tunes it composes
against that of the transcriptions, the singular values of V, and how close the nearest training
tune comes to each validation tune."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..analysis.copying import Reference
from ..analysis.svd import softmax_svd
from ..compose.sampling import SamplingSettings, Tune, sample_tunes
from ..music.transcriptions import encode_tunes, validation_split
from ..music.wellformed import well_formed_share
from ..weights import ModelWeights
from .evaluation import NLL, nll
from .model import FolkRNN

DROPOUT_SEEDS = range(3)  # folk-rnn's loss with dropout on is averaged over these draws
PHRASE = 6  # tokens in a phrase, for how close a validation tune comes to the training split


@dataclass(frozen=True)
class ModelMeasures:
    valid: NLL  # the validation split, dropout off
    train: NLL  # the training split, dropout off
    part5: NLL  # the part-5 tune
    valid_dropout: tuple[float, ...]  # folk-rnn's loss on the validation split with dropout on, per seed
    overlap: np.ndarray  # per validation tune, the share of its phrases its closest training tune holds
    sampled: list[Tune]  # composed at temperature 1, seed 0, no prefix
    data_share: float  # well-formed share of all the transcriptions
    n_data: int  # transcriptions
    s: np.ndarray  # singular values of V
    energy: np.ndarray  # cumulative share of Σ s_i²
    seconds: float  # time the measuring took

    @property
    def sampled_share(self) -> float:
        """The well-formed share of the composed tunes."""
        return sum(t.verdict.ok for t in self.sampled) / len(self.sampled)


def split_sequences(weights: ModelWeights, tunes: Sequence[Sequence[str]]) -> tuple[list, np.ndarray, np.ndarray]:
    """The tunes encoded for ``weights``, and its training and validation indices (the split its
    training recorded)."""
    sequences = encode_tunes(tunes, weights.vocabulary)
    split = weights.metadata["training"]["config"]
    return (sequences, *validation_split(len(sequences), split["valid_fraction"], split["seed"]))


def validation_nll(weights: ModelWeights, tunes: Sequence[Sequence[str]]) -> NLL:
    """NLL on the validation split of ``tunes`` that the model's training recorded (dropout off)."""
    sequences, _, valid_idx = split_sequences(weights, tunes)
    return nll(FolkRNN.from_weights(weights), [sequences[i] for i in valid_idx])


def measure_model(weights: ModelWeights, tunes: Sequence[Sequence[str]], part5: Sequence[str],
                  n_samples: int = 200) -> ModelMeasures:
    """Every figure of :class:`ModelMeasures`, for ``weights`` trained on ``tunes``."""
    net = FolkRNN.from_weights(weights)
    sequences, train_idx, valid_idx = split_sequences(weights, tunes)
    started = time.perf_counter()
    valid_sequences = [sequences[i] for i in valid_idx]
    valid = nll(net, valid_sequences)
    overlap = Reference([tunes[i] for i in train_idx], bar_lines=False).closest_shares(
        [tunes[i] for i in valid_idx], PHRASE)
    valid_dropout = tuple(nll(net, valid_sequences, dropout_seed=seed).folkrnn_loss for seed in DROPOUT_SEEDS)
    train = nll(net, [sequences[i] for i in train_idx])
    part5_nll = nll(net, encode_tunes([part5], weights.vocabulary))
    sampled = sample_tunes(weights, SamplingSettings(n=n_samples, temperature=1.0, seed=0))
    svd = softmax_svd(weights)
    return ModelMeasures(valid, train, part5_nll, valid_dropout, overlap, sampled, well_formed_share(tunes),
                         len(tunes), svd.s, svd.energy, time.perf_counter() - started)
