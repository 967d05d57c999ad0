"""A training run's settings, in a module of their own so that the command line can show their
defaults without importing torch."""

from __future__ import annotations

from dataclasses import dataclass

RECIPES = ("replica", "folkrnn")


@dataclass(frozen=True)
class TrainConfig:
    data: str
    out: str = "runs/replica"
    recipe: str = "replica"  # "folkrnn": folk-rnn's own recipe (folkrnn.train.folkrnn_recipe), see FOLKRNN_RECIPE
    epochs: int = 24
    batch_size: int = 64
    lr: float = 3e-3
    min_lr_ratio: float = 0.05  # replica recipe: the cosine schedule's floor
    warmup_steps: int = 100  # replica recipe
    lr_decay: float = 1.0  # folkrnn recipe: lr x lr_decay at the end of every epoch past lr_decay_after
    lr_decay_after: int = 20
    clip: float = 5.0  # replica: global gradient norm; folkrnn: each step's gate gradients, elementwise
    dropout: float = 0.5
    weight_drop: float = 0.0  # DropConnect on W_hh while training (a departure from folk-rnn)
    hidden_size: int = 512
    num_layers: int = 3
    valid_fraction: float = 0.05
    patience: int = 6
    seed: int = 42
    bf16: bool = True
    threads: int = 0  # 0: torch's default
    init: str | None = None  # start from this checkpoint's weights (fresh optimiser) instead of random
    average_decay: float = 0.0  # >0: validate and save an EMA of the weights with this decay per step

    def __post_init__(self):
        if self.recipe not in RECIPES:
            raise ValueError(f"unknown recipe {self.recipe!r}; choose one of {', '.join(RECIPES)}")


# folk-rnn's train_rnn.py as it stood when v2 was trained (January 2016, commit 50b7c67) with that
# day's configurations/config5.py: batch 50 (64 only from 89564f5, March 2016), 100 epochs, lr 0.003
# held constant (config5's x0.97 after epoch 20 was logged but never reached RMSprop, which got the
# float config.learning_rate), no early stopping. `--lr-decay 0.97` gives the schedule config5 names.
FOLKRNN_RECIPE = dict(recipe="folkrnn", out="runs/folkrnn", batch_size=50, epochs=100, lr=3e-3, lr_decay=1.0,
                      lr_decay_after=20, clip=5.0, dropout=0.5, patience=100)


def recipe_config(recipe: str = "replica", **given) -> TrainConfig:
    """A TrainConfig with ``recipe``'s defaults, overridden by the settings in ``given``."""
    defaults = FOLKRNN_RECIPE if recipe == "folkrnn" else {}
    return TrainConfig(**{**defaults, **given, "recipe": recipe})


RESUMABLE = ("epochs", "dropout")  # settings that --resume may change
