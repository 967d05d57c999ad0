"""A training run's settings, in a module of their own so that the command line can show their
defaults without importing torch."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field

RECIPES = ("replica", "folkrnn", "folkrnn-head")

# folk-rnn's train_rnn.py as it stood when v2 was trained (January 2016, commit 50b7c67) with that
# day's configurations/config5.py: batch 50 (64 only from 89564f5, March 2016), 100 epochs, lr 0.003
# held constant (config5's x0.97 after epoch 20 was logged but never reached RMSprop, which got the
# float config.learning_rate), no early stopping. `--lr-decay 0.97` gives the schedule config5 names.
FOLKRNN_RECIPE = dict(recipe="folkrnn", out="runs/folkrnn", batch_size=50, epochs=100, lr=3e-3, lr_decay=1.0,
                      lr_decay_after=20, clip=5.0, dropout=0.5, patience=100)

# v2's updates: data_v2's 23,636 tunes less 1,152 held out (5% rounded to whole batches of 64, as
# train_rnn.py holds out) leave 22,484, i.e. 351 full batches of 64 an epoch, for 100 epochs.
V2_UPDATES = 351 * 100

# train_rnn.py at 89564f5 (2016-03-16; HEAD's only later change, 6dd7adc of 2020, touches no maths)
# with config5 as it stands there: the January recipe but for each tune's summed NLL,
# Glorot/orthogonal gates with forget bias 5 and batch 64. Its run ships the first epoch whose
# logged `updates` reach V2_UPDATES, decided before training: on data_v2_part.txt (7,243 training
# tunes, 114 batches an epoch) epoch 308 (35,112 updates).
FOLKRNN_HEAD_RECIPE = {**FOLKRNN_RECIPE, "recipe": "folkrnn-head", "out": "runs/folkrnn_head", "batch_size": 64,
                       "epochs": 308, "rebuild_batches": 20}
RECIPE_DEFAULTS = {"replica": {}, "folkrnn": FOLKRNN_RECIPE, "folkrnn-head": FOLKRNN_HEAD_RECIPE}


def _setting(help: str, default=MISSING, **option):
    """A field with its command-line help, ``{default}`` in it replaced by the default, and in
    ``option`` what else its option needs (``flag`` when not ``--`` + the name with dashes, ``choices``)."""
    return field(default=default, metadata={"help": help.format(default=default), **option})


@dataclass(frozen=True)
class TrainConfig:
    """A training run's settings; each field's metadata holds its ``train`` option's help, from which
    :mod:`folkrnn.cli` builds the options."""

    data: str = _setting("v2-format transcriptions (tunes separated by blank lines)")
    out: str = _setting("folder for last.pt, best.safetensors and log.json (default {default})", "runs/replica")
    recipe: str = _setting(
        "replica: Adam, cosine schedule, per-token loss, early stopping (the embedded model's); "
        "folkrnn: folk-rnn's own train_rnn.py of January 2016 with config5 (Lasagne initialisation, "
        "RMSprop, per-tune loss, per-step gate clipping), whose defaults are "
        + ", ".join(f"{k} {v}" for k, v in FOLKRNN_RECIPE.items() if k != "recipe")
        + "; folkrnn-head: train_rnn.py at 89564f5 (each tune's summed NLL, Glorot/orthogonal gates, forget bias 5), "
        "its defaults the same but for " + ", ".join(
            f"{k} {v}" for k, v in FOLKRNN_HEAD_RECIPE.items() if FOLKRNN_RECIPE.get(k) != v and k != "recipe")
        + f"; its run ships the first epoch whose logged updates reach v2's {V2_UPDATES:,} (351 an epoch x 100), "
        "epoch 308 on data_v2_part.txt (default {default})",
        "replica", choices=RECIPES)
    epochs: int = _setting("planned epochs; the cosine schedule spans them (default {default})", 24)
    batch_size: int = _setting("tunes of similar length (default {default})", 64)
    lr: float = _setting("Adam's peak learning rate (replica) or RMSprop's (folkrnn recipes) (default {default})", 3e-3)
    min_lr_ratio: float = _setting("replica recipe: the cosine schedule's floor, as a fraction of --lr "
                                   "(default {default})", 0.05)
    warmup_steps: int = _setting("replica recipe: optimiser steps of linear warm-up to --lr (default {default})", 100)
    lr_decay: float = _setting("folkrnn recipes: lr x this after each epoch past --lr-decay-after; config5 names 0.97, "
                               "which folk-rnn's script never applied (default {default})", 1.0)
    lr_decay_after: int = _setting("folkrnn recipes: epochs at the full lr (default {default})", 20)
    clip: float = _setting("replica recipe: the bound on the global gradient norm; folkrnn recipes: on each step's "
                           "gate gradients, elementwise (default {default})", 5.0)
    fused: bool = _setting("folkrnn recipes: run the LSTM in the fused kernel (oneDNN, cuDNN; 2.3x faster on a "
                           "2-core CPU, far faster on a GPU), which cannot clip each step's gate gradients: the same training "
                           "while they stay below --clip, which log.json's gate_grad_peak checks every epoch "
                           "(default: step the LSTM in Python and clip)", False)
    dropout: float = _setting("dropout after each LSTM layer (default {default})", 0.5)
    weight_drop: float = _setting("DropConnect rate on the recurrent weights W_hh in training, a departure from "
                                  "folk-rnn (default {default}: none)", 0.0)
    hidden_size: int = _setting("units per LSTM layer (default {default})", 512)
    num_layers: int = _setting("LSTM layers (default {default})", 3, flag="--layers")
    valid_fraction: float = _setting("share of the tunes held out for validation, a seeded random draw "
                                     "(default {default})", 0.05)
    patience: int = _setting("stop after this many epochs without a better validation NLL (default {default})", 6)
    seed: int = _setting("seeds the validation split, the weights and the batches (default {default})", 42)
    bf16: bool = _setting("train in float32 (default: bf16 autocast where the CPU or GPU supports it)", True,
                          flag="--no-bf16")
    threads: int = _setting("CPU threads for torch (default: torch's own choice)", 0)
    init: str | None = _setting("start from this checkpoint's weights (e.g. the embedded model) with a fresh "
                                "optimiser", None)
    rebuild_batches: int = _setting("folkrnn recipes, continuing a run from weights alone (--resume --init CKPT "
                                    "without last.pt): rebuild RMSprop's running average of squared gradients on "
                                    "this many training batches before the first step, since rho 0.9 forgets its "
                                    "start only after ~20 updates (default {default}: from zero, as a fresh run)", 0)
    average_decay: float = _setting("validate and keep an exponential moving average of the weights with this "
                                    "decay per step, e.g. 0.999 (default {default}: none)", 0.0)

    def __post_init__(self):
        if self.recipe not in RECIPES:
            raise ValueError(f"unknown recipe {self.recipe!r}; choose one of {', '.join(RECIPES)}")

    @property
    def folkrnn_way(self) -> bool:
        """Whether the recipe is one of folk-rnn's own: Lasagne's initialisation and RMSprop, the
        per-tune loss, each step's gate gradients clipped."""
        return self.recipe != "replica"


def recipe_config(recipe: str = "replica", **given) -> TrainConfig:
    """A TrainConfig with ``recipe``'s defaults, overridden by the settings in ``given``."""
    return TrainConfig(**{**RECIPE_DEFAULTS.get(recipe, {}), **given, "recipe": recipe})


RESUMABLE = ("epochs", "dropout", "fused", "rebuild_batches")  # settings that --resume may change
