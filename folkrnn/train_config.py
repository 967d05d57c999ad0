"""A training run's settings, in a module of their own so that the command line can show their
defaults without importing torch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    data: str
    out: str = "runs/replica"
    epochs: int = 24
    batch_size: int = 64
    lr: float = 3e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 100
    clip: float = 5.0
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


RESUMABLE = ("epochs", "dropout")  # settings that --resume may change
