"""Tidy pandas tables of the analyses: what every chart draws and every CSV download holds."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from folkrnn import ModelWeights, SoftmaxSVD, Vocabulary


def spectrum_frame(svd: SoftmaxSVD) -> pd.DataFrame:
    """One row per direction i: s_i and the cumulative energy of directions 1..i."""
    return pd.DataFrame({
        "direction": np.arange(1, svd.rank + 1),
        "singular_value": svd.s,
        "cumulative_energy": svd.energy,
    })


def right_vectors_frame(svd: SoftmaxSVD, directions: Sequence[int], flips: Sequence[int] = ()) -> pd.DataFrame:
    """Long table of w_i over the hidden units: direction, unit, value, and rank (position when sorted)."""
    parts = []
    for i in directions:
        _, w = svd.direction(i, flip=i in flips)
        parts.append(pd.DataFrame({
            "direction": f"w_{i}", "unit": np.arange(len(w)), "value": w,
            "rank": np.argsort(np.argsort(w, kind="stable"), kind="stable"),
        }))
    return pd.concat(parts, ignore_index=True)


def token_frame(vocabulary: Vocabulary, columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """One row per token (index, token, category) with the given value columns."""
    frame = pd.DataFrame({
        "index": np.arange(len(vocabulary)), "token": vocabulary.tokens, "category": vocabulary.categories,
    })
    for name, values in columns.items():
        frame[name] = np.asarray(values)
    return frame


def distributions_frame(vocabulary: Vocabulary, distributions: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Long table of several distributions over the tokens: token, category, distribution, probability."""
    wide = token_frame(vocabulary, distributions)
    return wide.melt(id_vars=["index", "token", "category"], var_name="distribution", value_name="probability")


def top_tokens(vocabulary: Vocabulary, values: np.ndarray, k: int = 10, largest: bool = True) -> pd.DataFrame:
    """The k tokens with the largest (or smallest) values, in that order."""
    order = np.argsort(values, kind="stable")
    picked = order[::-1][:k] if largest else order[:k]
    return token_frame(vocabulary, {"value": values}).iloc[picked].reset_index(drop=True)


def columns_frame(weights: ModelWeights) -> pd.DataFrame:
    """Every entry of V as a long table: token, category, unit, value (vocab x H rows)."""
    vocab, H = weights.V.shape
    return pd.DataFrame({
        "index": np.repeat(np.arange(vocab), H),
        "token": np.repeat(weights.vocabulary.tokens, H),
        "category": np.repeat(weights.vocabulary.categories, H),
        "unit": np.tile(np.arange(H), vocab),
        "value": weights.V.reshape(-1),
    })


def column_bias_correlation(weights: ModelWeights) -> pd.DataFrame:
    """Pearson correlation of each column of V (one per hidden unit) with the bias v."""
    V = weights.V.astype(np.float64)
    Vc = V - V.mean(axis=0)
    vc = weights.v - weights.v.mean()
    corr = (Vc.T @ vc) / (np.linalg.norm(Vc, axis=0) * np.linalg.norm(vc))
    return pd.DataFrame({"unit": np.arange(V.shape[1]), "correlation": corr})
