"""An independent numpy implementation of folk-rnn's Lasagne network, step by step.

Reads ``param_values`` in Lasagne's own layout (no code shared with folkrnn), so tests can compare
the package's PyTorch model against the equations folk-rnn ran:
  i = sigmoid(x W_xi + h W_hi + b_i), f = sigmoid(x W_xf + h W_hf + b_f),
  g = tanh(x W_xc + h W_hc + b_c), o = sigmoid(x W_xo + h W_ho + b_o),
  c' = f c + i g, h' = o tanh(c'), starting from the stored cell_init and hid_init,
and p = softmax(h W + b) at the top.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def next_token_probabilities(param_values, token_indices) -> np.ndarray:
    """p(next token) after each input token, (steps, vocab), in float64."""
    p = [np.asarray(a, dtype=np.float64) for a in param_values]
    embedding, dense_W, dense_b = p[0], p[-2], p[-1]
    n_layers = (len(p) - 3) // 14
    layers = [p[1 + 14 * l : 1 + 14 * (l + 1)] for l in range(n_layers)]
    h = [layer[13][0].copy() for layer in layers]  # hid_init
    c = [layer[12][0].copy() for layer in layers]  # cell_init
    out = []
    for token in token_indices:
        x = embedding[token]
        for l, layer in enumerate(layers):
            (Wxi, Whi, bi, Wxf, Whf, bf, Wxc, Whc, bc, Wxo, Who, bo) = layer[:12]
            i = _sigmoid(x @ Wxi + h[l] @ Whi + bi)
            f = _sigmoid(x @ Wxf + h[l] @ Whf + bf)
            g = np.tanh(x @ Wxc + h[l] @ Whc + bc)
            o = _sigmoid(x @ Wxo + h[l] @ Who + bo)
            c[l] = f * c[l] + i * g
            h[l] = o * np.tanh(c[l])
            x = h[l]
        z = x @ dense_W + dense_b
        e = np.exp(z - z.max())
        out.append(e / e.sum())
    return np.array(out)
