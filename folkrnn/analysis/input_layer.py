"""The input layer and the weights themselves (Sturm, part 4; "what do these 5,599,881 parameters mean").

With one-hot inputs, column j of the first layer's input matrix of gate k (W_x{i,f,c,o}, H x vocab)
is exactly token j's push on that gate's pre-activation: the token embeddings the network learnt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..weights import GATES, ModelWeights
from .similarity import gramian
from .svd import orient


def gate_input_matrix(weights: ModelWeights, gate: str) -> np.ndarray:
    """The first layer's W_x for ``gate`` (one of GATES): (H, vocab); column j is token j's push."""
    if gate not in GATES:
        raise KeyError(f"unknown gate {gate!r}; choose one of {', '.join(GATES)}")
    H, k = weights.hidden_size, GATES.index(gate)
    return weights.layers[0].W_ih[k * H : (k + 1) * H].astype(np.float64)


def token_embeddings(weights: ModelWeights, gate: str | None = None) -> np.ndarray:
    """(vocab, H) rows: each token's push on one gate, or on all four gates concatenated (vocab, 4H)."""
    W = weights.layers[0].W_ih.astype(np.float64) if gate is None else gate_input_matrix(weights, gate)
    return W.T


def embedding_gramian(weights: ModelWeights, gate: str | None = None) -> np.ndarray:
    """(vocab, vocab) cosines between the tokens' embeddings."""
    return gramian(token_embeddings(weights, gate), "cosine")


@dataclass(frozen=True)
class MatrixId:
    """Which weight matrix: a layer's input (W_x) or recurrent (W_h) matrix of one gate, or the softmax
    layer's V (no layer, no gate)."""

    kind: str  # "W_x", "W_h" or "V"
    layer: int | None = None  # from 1
    gate: str | None = None  # one of GATES

    @property
    def name(self) -> str:
        """How the pages name it: "layer 1 W_x input", …, "V"."""
        return self.kind if self.layer is None else f"layer {self.layer} {self.kind} {self.gate}"


@dataclass(frozen=True)
class MatrixSpectrum:
    matrix: MatrixId
    shape: tuple[int, int]
    s: np.ndarray  # singular values, descending

    @property
    def name(self) -> str:
        return self.matrix.name

    @property
    def stable_rank(self) -> float:
        """||W||_F^2 / ||W||_2^2 = Σ s_i^2 / s_1^2: how many directions carry the matrix's energy."""
        return float((self.s**2).sum() / self.s[0] ** 2) if self.s[0] > 0 else 0.0


def weight_matrices(weights: ModelWeights) -> dict[MatrixId, np.ndarray]:
    """Every weight matrix: per layer and gate W_x (input) and W_h (recurrent), then V."""
    H, out = weights.hidden_size, {}
    for n, layer in enumerate(weights.layers, start=1):
        for k, gate in enumerate(GATES):
            rows = slice(k * H, (k + 1) * H)
            out[MatrixId("W_x", n, gate)] = layer.W_ih[rows]
            out[MatrixId("W_h", n, gate)] = layer.W_hh[rows]
    out[MatrixId("V")] = weights.V
    return out


def weight_spectra(weights: ModelWeights) -> list[MatrixSpectrum]:
    """The singular values of every weight matrix, in :func:`weight_matrices` order."""
    return [MatrixSpectrum(matrix, W.shape, np.linalg.svd(W.astype(np.float64), compute_uv=False))
            for matrix, W in weight_matrices(weights).items()]


def top_tokens_of_right_vectors(weights: ModelWeights, gate: str, directions: int = 5, k: int = 5) -> list[dict]:
    """The SVD of the first layer's W_x for ``gate``: per direction its singular value and the
    tokens with the largest and smallest entries of its right singular vector (in token space).
    Each vector is oriented so that its largest-magnitude entry is positive."""
    U, s, Vt = np.linalg.svd(gate_input_matrix(weights, gate), full_matrices=False)
    R, _ = orient(Vt.T, U)  # columns: right singular vectors over the tokens
    tokens = weights.vocabulary.tokens
    rows = []
    for i in range(min(directions, len(s))):
        r = R[:, i]
        order = np.argsort(-r, kind="stable")
        rows.append({"direction": i + 1, "s": float(s[i]),
                     "largest": [(tokens[j], float(r[j])) for j in order[:k]],
                     "smallest": [(tokens[j], float(r[j])) for j in order[::-1][:k]]})
    return rows
