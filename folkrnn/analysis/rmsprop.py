"""What epsilon leaves of Lasagne's RMSprop step, from the share a training run logs
(:func:`folkrnn.train.folkrnn_recipe.epsilon_share`, the median of sqrt(a / (a + ε)) per parameter kind,
a the running mean of squared gradients), and what the same run would have left had its gradients
been a tune's length larger (the summed loss of folk-rnn's 89564f5) or had ε been added after the
square root (torch.optim.RMSprop). Arithmetic on logged figures; each map is monotone, so it takes
a median to the median.
"""

from __future__ import annotations

import math

EPSILON = 1e-6  # Lasagne's rmsprop default, the one folk-rnn trained with


def summed_loss_share(share: float, length: float) -> float:
    """The share ε would leave had every gradient been ``length`` times larger, as the summed
    per-tune loss makes it: a grows by length²."""
    if share >= 1:  # logged rounded to 4 decimals: ε already negligible
        return 1.0
    ratio = share**2 / (1 - share**2)  # a / ε
    return math.sqrt(length**2 * ratio / (length**2 * ratio + 1))


def epsilon_outside_share(share: float, epsilon: float = EPSILON) -> float:
    """The share of the step the same running average would keep with ε added after the square root:
    sqrt(a) / (sqrt(a) + ε)."""
    if share >= 1:
        return 1.0
    root = math.sqrt(epsilon * share**2 / (1 - share**2))  # sqrt(a)
    return root / (root + epsilon)
