"""The softmax layer's story in a few figures: s_1, s_2, s_3, s_1/s_2 and what pushing the bias
along ±u_i makes likely (Sturm's part 3), for a training log, the model card and the pages."""

from __future__ import annotations

import numpy as np

from .perturbation import perturbed_distribution
from .svd import SoftmaxSVD

#: Sturm's figures for the original v2 ("Making sense of the folk-rnn v2 model", part 3): s_1..s_3
#: and what pushing the bias along ±u_i made likely, keyed "-u1" etc. with the blog's signs (a
#: singular pair's sign is arbitrary: this package orients u_i so its largest entry is positive).
ORIGINAL_V2 = {
    "s": (509.0, 65.76, 63.45),
    "pushes": {
        "-u1": "“|:” 27%, “</s>” 17%",
        "-u2": "“K:Cmaj” or “K:Cdor” ≈ 80%",
        "+u3": "“>” 98%",
        "-u3": "“b” ≈ 60%",
    },
}
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def original_pushes(i: int) -> str:
    """What the blog reports for pushes along ±u_i, e.g. "+u₃: “>” 98%; −u₃: “b” ≈ 60%"."""
    return "; ".join(f"{key[0].replace('-', '−')}u{str(i).translate(SUBSCRIPTS)}: {text}"
                     for key, text in ORIGINAL_V2["pushes"].items() if key[2:] == str(i))


def push_text(top) -> str:
    """Pushed tokens as text: [("|:", 0.27), ("</s>", 0.17)] -> "“|:” 27%, “</s>” 17%"."""
    return ", ".join(f"“{t}” {p:.0%}" for t, p in top)


def top_pushed_tokens(svd: SoftmaxSVD, i: int, sign: float, k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` likeliest tokens of softmax(v + sign s_i u_i), with their probabilities."""
    p = perturbed_distribution(svd, {i: sign})
    order = np.argsort(-p, kind="stable")[:k]
    return [(svd.vocabulary.tokens[j], float(p[j])) for j in order]


def spectrum_summary(svd: SoftmaxSVD, directions: int = 3, k: int = 3) -> dict:
    """s_1..s_directions, s_1/s_2 and the top ``k`` tokens of each push softmax(v ± s_i u_i),
    keyed "+u1", "-u1", …, as JSON-able data."""
    pushes = {
        f"{'+' if sign > 0 else '-'}u{i}": [[t, round(p, 4)] for t, p in top_pushed_tokens(svd, i, sign, k)]
        for i in range(1, min(directions, svd.rank) + 1)
        for sign in (1.0, -1.0)
    }
    s = [float(x) for x in svd.s[:directions]]
    return {"s": s, "s1_over_s2": s[0] / s[1] if len(s) > 1 else None, "pushes": pushes}
