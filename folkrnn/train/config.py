"""A training run's settings, in a module of their own so that the command line can show their
defaults without importing torch."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field

RECIPES = ("replica", "folkrnn")

# folk-rnn's train_rnn.py as it stood when v2 was trained (January 2016, commit 50b7c67) with that
# day's configurations/config5.py: batch 50 (64 only from 89564f5, March 2016), 100 epochs, lr 0.003
# held constant (config5's x0.97 after epoch 20 was logged but never reached RMSprop, which got the
# float config.learning_rate), no early stopping. `--lr-decay 0.97` gives the schedule config5 names.
FOLKRNN_RECIPE = dict(recipe="folkrnn", out="runs/folkrnn", batch_size=50, epochs=100, lr=3e-3, lr_decay=1.0,
                      lr_decay_after=20, clip=5.0, dropout=0.5, patience=100)


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
        + ", ".join(f"{k} {v}" for k, v in FOLKRNN_RECIPE.items() if k != "recipe") + " (default {default})",
        "replica", choices=RECIPES)
    epochs: int = _setting("planned epochs; the cosine schedule spans them (default {default})", 24)
    batch_size: int = _setting("tunes of similar length (default {default})", 64)
    lr: float = _setting("Adam's peak learning rate (replica) or RMSprop's (folkrnn) (default {default})", 3e-3)
    min_lr_ratio: float = _setting("replica recipe: the cosine schedule's floor, as a fraction of --lr "
                                   "(default {default})", 0.05)
    warmup_steps: int = _setting("replica recipe: optimiser steps of linear warm-up to --lr (default {default})", 100)
    lr_decay: float = _setting("folkrnn recipe: lr x this after each epoch past --lr-decay-after; config5 names 0.97, "
                               "which folk-rnn's script never applied (default {default})", 1.0)
    lr_decay_after: int = _setting("folkrnn recipe: epochs at the full lr (default {default})", 20)
    clip: float = _setting("replica recipe: the bound on the global gradient norm; folkrnn recipe: on each step's "
                           "gate gradients, elementwise (default {default})", 5.0)
    fused: bool = _setting("folkrnn recipe: run the LSTM in the fused kernel (oneDNN, cuDNN; 2.3x faster on a "
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
    average_decay: float = _setting("validate and keep an exponential moving average of the weights with this "
                                    "decay per step, e.g. 0.999 (default {default}: none)", 0.0)

    def __post_init__(self):
        if self.recipe not in RECIPES:
            raise ValueError(f"unknown recipe {self.recipe!r}; choose one of {', '.join(RECIPES)}")


def recipe_config(recipe: str = "replica", **given) -> TrainConfig:
    """A TrainConfig with ``recipe``'s defaults, overridden by the settings in ``given``."""
    defaults = FOLKRNN_RECIPE if recipe == "folkrnn" else {}
    return TrainConfig(**{**defaults, **given, "recipe": recipe})


RESUMABLE = ("epochs", "dropout", "fused")  # settings that --resume may change
