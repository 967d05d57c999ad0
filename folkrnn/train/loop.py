"""Training a folk-rnn v2 replica on v2-format transcriptions, resumable epoch by epoch.

Two recipes share the v2 vocabulary in the original index order, trained initial states, the
seeded 5% validation split, batches of similar-length tunes and dropout 0.5:

- ``replica`` (the embedded model's) departs from folk-rnn where a faster schedule helps: Adam
  with warm-up and cosine decay, loss averaged per token, the gradient norm clipped at 5, early
  stopping on validation NLL, and optionally an exponential moving average of the weights
  (``average_decay``), which is what gets validated and saved when it is on;
- ``folkrnn`` is folk-rnn's own (:mod:`folkrnn.train.folkrnn_recipe`): Lasagne's initialisation,
  Lasagne's RMSprop, the per-tune loss and each step's gate gradients clipped at 5, as in January
  2016; ``folkrnn-head`` the same as of 89564f5 (summed per-tune loss, Glorot/orthogonal gates).

All use bf16 autocast where the hardware has it. Files in ``out``: ``last.pt`` (full training
state after each epoch, for ``--resume``; our own file, read back with ``weights_only=True``),
``best.safetensors`` (the best model so far in the project's checkpoint format),
``last.safetensors`` (the latest epoch's) and ``log.json`` (per epoch: train and validation NLL,
and the softmax layer's s_1..s_3 with what pushing along ±u_i makes likely).
"""

from __future__ import annotations

import itertools
import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from ..analysis.spectrum import spectrum_summary
from ..analysis.svd import compute_svd
from ..io.checkpoint import save_checkpoint
from ..io.loading import load_model
from ..music.transcriptions import PAD_TARGET, encode_tunes, length_batches, read_transcriptions, validation_split
from ..network.evaluation import nll
from ..network.model import FolkRNN, FolkRNNConfig
from ..vocab import Vocabulary, folkrnn_v2_vocabulary
from .config import RESUMABLE, TrainConfig
from .folkrnn_recipe import (
    epoch_lr,
    epsilon_share,
    folkrnn_optimiser,
    gate_gradient_peak,
    lasagne_init_,
    per_tune_loss,
    rebuild_square_avg,
)


def bf16_supported() -> bool:
    """Whether bf16 autocast runs natively on this CPU (AVX-512 BF16 or AMX)."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # private, hence getattr
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


def _lr_factor(step: int, total: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps))
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def _lr_schedule(cfg: TrainConfig, steps_per_epoch: int, total: int):
    """The learning-rate factor at each optimiser step, for the recipe in ``cfg``."""
    if cfg.folkrnn_way:
        return lambda step: epoch_lr(cfg, step // steps_per_epoch) / cfg.lr
    return lambda step: _lr_factor(step, total, cfg)


PROBE_SEED = 20160112  # draws the batches whose gate gradients are measured every epoch (v2's date)


def token_nll(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """NLL of each target (batch, time) in float32; 0 past a tune's end."""
    return F.cross_entropy(logits.float().transpose(1, 2), targets, ignore_index=PAD_TARGET, reduction="none")


def batch_loss(cfg: TrainConfig, losses: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The loss a batch trains on, from its targets' NLL ``losses``: per token (replica), or per tune
    divided by the tune's length (folkrnn) or summed (folkrnn-head)."""
    if not cfg.folkrnn_way:
        return losses.sum() / (targets != PAD_TARGET).sum()
    return per_tune_loss(losses, targets, by_length=cfg.recipe == "folkrnn")


@dataclass(frozen=True)
class _Tunes:
    """A run's encoded tunes, split as its ``valid_fraction`` and ``seed`` say."""

    vocabulary: Vocabulary
    train: list[np.ndarray]
    valid: list[np.ndarray]

    @classmethod
    def read(cls, cfg: TrainConfig) -> _Tunes:
        vocabulary = folkrnn_v2_vocabulary()
        sequences = encode_tunes(read_transcriptions(cfg.data), vocabulary)
        train_idx, valid_idx = validation_split(len(sequences), cfg.valid_fraction, cfg.seed)
        return cls(vocabulary, [sequences[i] for i in train_idx], [sequences[i] for i in valid_idx])

    def batches_per_epoch(self, batch_size: int) -> int:
        return math.ceil(len(self.train) / batch_size)

    def epoch_batches(self, cfg: TrainConfig, epoch: int):
        """The batches of 0-based ``epoch``, from a stream of its own, so that a resume is exact."""
        return length_batches(self.train, cfg.batch_size, np.random.default_rng([cfg.seed, epoch]))

    def probe_batches(self, batch_size: int, n: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
        """The same ``n`` training batches every epoch, for :func:`gate_gradient_peak`."""
        return list(itertools.islice(length_batches(self.train, batch_size, np.random.default_rng(PROBE_SEED)), n))


@dataclass
class _Run:
    """What a run carries from epoch to epoch: what ``last.pt`` saves and a resume restores, the log,
    and the command that started or resumed it."""

    cfg: TrainConfig
    command: str
    device: torch.device
    bf16: bool  # autocast on: asked for and supported
    model: FolkRNN
    averaged: AveragedModel | None
    optimiser: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    log: dict
    next_epoch: int = 0  # from 0
    best: float = math.inf  # the best validation NLL so far
    bad_epochs: int = 0  # since the best

    @property
    def validated(self) -> FolkRNN:
        """The network validated and saved: the weights' moving average when there is one."""
        return self.model if self.averaged is None else self.averaged.module

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training loss of a batch under the training network."""
        return batch_loss(self.cfg, _token_losses(self, x, y), y)

    def record(self, entry: dict) -> None:
        """Log an epoch's ``entry`` and count it towards early stopping."""
        self.log["epochs"].append(entry)
        if entry["valid_nll"] < self.best:
            self.best, self.bad_epochs = entry["valid_nll"], 0
            self.log["best_epoch"] = entry["epoch"]
        else:
            self.bad_epochs += 1


def train(cfg: TrainConfig, resume: bool = False, command: str = "", overrides=RESUMABLE,
          continue_from: str | None = None) -> dict:
    """Train, checkpointing every epoch; returns the training log.

    ``resume`` continues the run in ``cfg.out`` with the configuration stored there, except the
    settings named in ``overrides`` (some of :data:`RESUMABLE`: the epoch budget, the dropout rate,
    the fused kernel),
    which are taken from ``cfg``; each resume is recorded in the log with the settings it changed.
    Where OUT/last.pt is gone (it stays on the machine that trained) but OUT/log.json is there,
    ``continue_from`` names a checkpoint of the run (e.g. the shipped best epoch) to continue from,
    with a fresh optimiser (:func:`_continue`).
    """
    cfg = _settings(cfg, resume, overrides)
    if (cfg.fused or cfg.rebuild_batches) and not cfg.folkrnn_way:  # the run's settings: a resume names no recipe
        raise ValueError("--fused and --rebuild-batches apply to the folkrnn recipes; the replica recipe always runs "
                         "the fused kernel, with Adam")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.set_flush_denormal(True)  # RMSprop's decaying averages of rare gradients go denormal: 5x slower
    Path(cfg.out).mkdir(parents=True, exist_ok=True)
    tunes = _Tunes.read(cfg)
    run = _start(cfg, tunes, command)
    if resume and (Path(cfg.out) / "last.pt").exists():
        _restore(run)
    elif resume and (Path(cfg.out) / "log.json").exists():
        _continue(run, tunes, continue_from)
    for epoch in range(run.next_epoch, cfg.epochs):
        if run.bad_epochs >= cfg.patience:
            break
        entry = _epoch(run, tunes, epoch)
        print(json.dumps(entry), file=sys.stderr)
        run.record(entry)
        _save(run, tunes, entry)
    return run.log


def _settings(cfg: TrainConfig, resume: bool, overrides) -> TrainConfig:
    """The run's settings: when resuming, those stored in OUT/log.json but for ``overrides``."""
    if not (resume and (Path(cfg.out) / "log.json").exists()):
        return cfg
    stored = json.loads((Path(cfg.out) / "log.json").read_text())["config"]
    changes = {k: getattr(cfg, k) for k in overrides if k in RESUMABLE}
    return TrainConfig(**{**stored, **changes, "out": cfg.out})


def _start(cfg: TrainConfig, tunes: _Tunes, command: str) -> _Run:
    """A fresh run: the seeded (or ``cfg.init``'s) network, its optimiser and schedule, an empty log."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(cfg.seed)
    folkrnn_way = cfg.folkrnn_way
    model = FolkRNN(FolkRNNConfig(len(tunes.vocabulary), cfg.hidden_size, cfg.num_layers, cfg.dropout,
                                  cfg.weight_drop, gate_grad_clip=cfg.clip if folkrnn_way and not cfg.fused else 0.0))
    if folkrnn_way:
        lasagne_init_(model, recipe=cfg.recipe)
    if cfg.init:
        start = FolkRNN.from_weights(load_model(cfg.init))
        model.load_state_dict(start.state_dict())
    model.to(device)
    averaged = (
        AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(cfg.average_decay), use_buffers=True)
        if cfg.average_decay else None
    )
    optimiser = (folkrnn_optimiser(model, cfg) if folkrnn_way
                 else torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr))
    steps_per_epoch = tunes.batches_per_epoch(cfg.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, _lr_schedule(cfg, steps_per_epoch, cfg.epochs * steps_per_epoch)
    )
    log = {"config": asdict(cfg), "command": command, "epochs": [], "best_epoch": None}
    return _Run(cfg, command, device, cfg.bf16 and bf16_supported(), model, averaged, optimiser, scheduler, log)


def _restore(run: _Run) -> None:
    """Bring ``run`` to where OUT/last.pt left it (weights, optimiser, schedule, RNG, early stopping)
    with OUT/log.json's log, recording this resume and the settings it changed."""
    cfg, out = run.cfg, Path(run.cfg.out)
    state = torch.load(out / "last.pt", weights_only=True, map_location=run.device)
    run.model.load_state_dict(state["model"])
    if run.averaged is not None:
        run.averaged.load_state_dict(state["averaged"])
    run.optimiser.load_state_dict(state["optimiser"])
    run.scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"].cpu())  # map_location moved it to the device
    if "cuda_rng" in state:
        torch.cuda.set_rng_state(state["cuda_rng"].cpu())
    log = json.loads((out / "log.json").read_text())
    stored = TrainConfig(**log["config"])  # a log older than a setting holds its default
    changed = {k: getattr(cfg, k) for k in RESUMABLE if getattr(stored, k) != getattr(cfg, k)}
    log.setdefault("resumes", []).append({"after_epoch": state["epoch"] + 1, "command": run.command, **changed})
    log["config"] = asdict(cfg)
    run.log = log
    run.next_epoch, run.best, run.bad_epochs = state["epoch"] + 1, state["best"], state["bad_epochs"]
    print(f"resuming after epoch {state['epoch'] + 1} (best valid NLL {run.best:.4f})", file=sys.stderr)


def _continue(run: _Run, tunes: _Tunes, weights: str | None) -> None:
    """Continue OUT/log.json's run without its last.pt: from the checkpoint ``weights`` of one of its
    epochs (its metadata's ``training.epoch``), the log cut back to that epoch, the schedule moved on
    to it, and a fresh optimiser (RMSprop's and Adam's running averages start again from zero), whose
    running average ``rebuild_batches`` rebuilds on that many of the next epoch's first batches."""
    out = Path(run.cfg.out)
    if weights is None:
        raise ValueError(f"{out}/last.pt is missing, so the run cannot resume exactly; to continue from one of "
                         f"its checkpoints with a fresh optimiser, pass --init CHECKPOINT (e.g. {out}/best.safetensors)")
    start = load_model(weights)
    epoch = start.metadata.get("training", {}).get("epoch")
    log = json.loads((out / "log.json").read_text())
    if not isinstance(epoch, int) or not 1 <= epoch <= len(log["epochs"]):
        raise ValueError(f"{weights}: its metadata names no epoch of the run in {out} (epoch {epoch!r}, "
                         f"{len(log['epochs'])} logged)")
    run.model.load_state_dict(FolkRNN.from_weights(start).state_dict())
    if run.averaged is not None:
        run.averaged.module.load_state_dict(run.model.state_dict())
    steps = epoch * tunes.batches_per_epoch(run.cfg.batch_size)
    run.scheduler.last_epoch = steps
    for group, base, factor in zip(run.optimiser.param_groups, run.scheduler.base_lrs, run.scheduler.lr_lambdas):
        group["lr"] = base * factor(steps)
    kept, log["epochs"] = log["epochs"][:epoch], []
    rebuilt = rebuild_square_avg(run.model, run.optimiser,
                                 itertools.islice(tunes.epoch_batches(run.cfg, epoch), run.cfg.rebuild_batches),
                                 run.loss) if run.cfg.rebuild_batches else 0
    optimiser = f"running average rebuilt on {rebuilt} batches (no last.pt)" if rebuilt else "fresh (no last.pt)"
    log.setdefault("resumes", []).append({"after_epoch": epoch, "command": run.command, "weights": str(weights),
                                          "optimiser": optimiser})
    log["config"] = asdict(run.cfg)
    run.log, run.next_epoch = log, epoch
    for entry in kept:  # the best epoch and early stopping's count, as the run kept them
        run.record(entry)
    print(f"continuing after epoch {epoch} from {weights}, optimiser {optimiser} (best valid NLL {run.best:.4f})",
          file=sys.stderr)


def _epoch(run: _Run, tunes: _Tunes, epoch: int) -> dict:
    """Train on the batches of 0-based ``epoch``, then validate; returns the epoch's log entry."""
    cfg, model, device = run.cfg, run.model, run.device
    model.train()
    started, seen, total_loss = time.perf_counter(), 0, 0.0
    lr = run.optimiser.param_groups[0]["lr"]  # at the epoch's first step
    bar = tqdm(
        tunes.epoch_batches(cfg, epoch),
        total=tunes.batches_per_epoch(cfg.batch_size), desc=f"epoch {epoch + 1}/{cfg.epochs}",
        mininterval=1.0 if sys.stderr.isatty() else 30.0,
    )
    for inputs, targets in bar:
        x, y = torch.from_numpy(inputs).to(device), torch.from_numpy(targets).to(device)
        losses = _token_losses(run, x, y)
        n = int((y != PAD_TARGET).sum())
        loss = batch_loss(cfg, losses, y)
        run.optimiser.zero_grad(set_to_none=True)
        loss.backward()
        if not cfg.folkrnn_way:  # folk-rnn's clipping happened inside the LSTM steps
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        run.optimiser.step()
        run.scheduler.step()
        if run.averaged is not None:
            run.averaged.update_parameters(model)
        seen += n
        total_loss += float(losses.detach().sum())
        bar.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{seen / (time.perf_counter() - started):.0f}",
                        refresh=False)
    seconds = time.perf_counter() - started
    valid = nll(run.validated, tunes.valid)
    recipe_figures = {
        "epsilon_share": epsilon_share(model, run.optimiser),
        "gate_grad_peak": gate_gradient_peak(model, tunes.probe_batches(cfg.batch_size), run.loss),
    } if cfg.folkrnn_way else {}
    return {
        "epoch": epoch + 1, "train_nll": total_loss / seen, "valid_nll": valid.per_token,
        "valid_folkrnn_loss": valid.folkrnn_loss, "lr": lr, "updates": run.scheduler.last_epoch,
        "seconds": seconds, "tokens_per_s": sum(len(s) - 1 for s in tunes.train) / seconds,
        "spectrum": spectrum_summary(compute_svd(run.validated.to_weights(tunes.vocabulary))), **recipe_figures,
    }


def _token_losses(run: _Run, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each target's NLL (batch, time) under the training network, in bf16 autocast when the run has it."""
    with torch.autocast(run.device.type, dtype=torch.bfloat16, enabled=run.bf16):
        logits = run.model(x).logits
    return token_nll(logits, y)


def _save(run: _Run, tunes: _Tunes, entry: dict) -> None:
    """Write OUT/last.safetensors (and best.safetensors when ``entry``'s epoch is the best so far),
    the full state in last.pt (replaced whole, so an interruption leaves the previous one) and log.json."""
    out = Path(run.cfg.out)
    metadata = _metadata(run.cfg, run.log, entry, len(tunes.train), len(tunes.valid), run.bf16, run.command)
    save_checkpoint(run.validated.to_weights(tunes.vocabulary, metadata), out / "last.safetensors")
    if run.log["best_epoch"] == entry["epoch"]:
        (out / "best.safetensors").write_bytes((out / "last.safetensors").read_bytes())
    torch.save(
        {"model": run.model.state_dict(), "optimiser": run.optimiser.state_dict(),
         "scheduler": run.scheduler.state_dict(), "torch_rng": torch.get_rng_state(),
         **({"cuda_rng": torch.cuda.get_rng_state()} if run.device.type == "cuda" else {}),
         "epoch": entry["epoch"] - 1, "best": run.best, "bad_epochs": run.bad_epochs,
         **({} if run.averaged is None else {"averaged": run.averaged.state_dict()})},
        out / "last.pt.tmp",
    )
    (out / "last.pt.tmp").replace(out / "last.pt")
    (out / "log.json").write_text(json.dumps(run.log, indent=1))


_NAMES = {"replica": ("folk-rnn v2 replica (folkrnn-explorer)", "folkrnn-explorer-v2-replica"),
          "folkrnn": ("folk-rnn v2, folk-rnn's own recipe (folkrnn-explorer)", "folkrnn-explorer-v2-folkrnn-recipe"),
          "folkrnn-head": ("folk-rnn v2, folk-rnn's recipe as of 89564f5 (folkrnn-explorer)",
                           "folkrnn-explorer-v2-folkrnn-head-recipe")}


def _metadata(cfg: TrainConfig, log: dict, entry: dict, n_train: int, n_valid: int, bf16: bool,
              command: str) -> dict:
    """Provenance and training figures stored in a checkpoint of the epoch logged as ``entry``,
    with the spectrum's history up to it (for the Spectrum page's growth plot)."""
    name, experiment_id = _NAMES[cfg.recipe]
    return {
        "name": name,
        "experiment_id": experiment_id,
        "provenance": {
            "data": Path(cfg.data).name,
            "train_tunes": n_train,
            "valid_tunes": n_valid,
            "split": f"{cfg.valid_fraction:.0%} held out, numpy RandomState({cfg.seed})",
        },
        "training": {
            "config": asdict(cfg),
            "command": command,
            "resumes": log.get("resumes", []),
            "epoch": entry["epoch"],
            "best_epoch": log["best_epoch"],
            "epochs_run": len(log["epochs"]),
            "train_nll_per_token": entry["train_nll"],
            "valid_nll_per_token": entry["valid_nll"],
            "spectrum_history": [{"epoch": e["epoch"], **e["spectrum"]} for e in log["epochs"] if "spectrum" in e],
            "seconds": sum(e["seconds"] for e in log["epochs"]),
            "bf16_autocast": bf16,
            "machine": _machine(),
        },
    }


def _machine() -> str:
    """Where training ran: the CPU's threads, and the GPU when there was one."""
    cpu = f"{platform.machine()} {platform.processor() or ''}".strip()
    gpu = f"{torch.cuda.get_device_name()}, " if torch.cuda.is_available() else ""
    return f"{gpu}{cpu} {torch.get_num_threads()} threads, torch {torch.__version__}"
