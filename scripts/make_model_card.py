"""Measure the embedded models and write MODEL_CARD.md, one section per model.

    python scripts/make_model_card.py --data ../shared/data/data_v2_part.txt --run runs/replica runs/replica2
    python scripts/make_model_card.py --model faithful --data ../shared/data/data_v2_part.txt \
        --run docs/training/folkrnn_recipe

``--model`` names the embedded model whose section is rewritten (the other model's section is kept
as it is); ``--run`` names the training runs that led to its weights, in order (each later one
started from the earlier one's best weights with ``--init``); ``--discarded`` names runs that were
tried and not used, so the card can say so. Every run regenerates the card's first section, both
embedded models next to the original, from the two shipped files.

Every figure in the card comes from this script's run: NLL on the training and validation split
(dropout off, </s> a target), NLL of the part-5 tune, the well-formed share of 200 tunes sampled at
temperature 1 against the share among the training transcriptions, five sampled tunes, the
singular values of V and what pushing the bias along ±u_i makes likely next to the original v2's
published figures, and the validation loss measured folk-rnn's way next to folk-rnn's own training log.
The package measures them (:func:`folkrnn.network.measures.measure_model`); this script reads the
training logs and writes the text.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explorer.charts import runs_spectrum_chart, spectrum_history_chart  # noqa: E402
from explorer.frames import runs_spectrum_frame, spectrum_history_frame  # noqa: E402
from folkrnn import ModelWeights, load_model, softmax_svd  # noqa: E402
from folkrnn.analysis.rmsprop import epsilon_outside_share, summed_loss_share  # noqa: E402
from folkrnn.analysis.spectrum import ORIGINAL_V2, push_text, spectrum_summary  # noqa: E402
from folkrnn.io.loading import DEFAULT_MODEL, EMBEDDED_MODELS, default_model_path, embedded_model_path  # noqa: E402
from folkrnn.music.transcriptions import read_transcriptions  # noqa: E402
from folkrnn.music.wellformed import MAX_TUNE_TOKENS  # noqa: E402
from folkrnn.network.measures import DROPOUT_SEEDS, PHRASE, ModelMeasures, measure_model, validation_nll  # noqa: E402
from folkrnn.train.config import V2_UPDATES, TrainConfig  # noqa: E402
from folkrnn.vocab import tokenize  # noqa: E402
from scripts.sections import write_sections  # noqa: E402

# (epoch, validation loss) from folk-rnn's logs/config4-wrepeats-20151001-000032.log: the v2
# architecture on 23,637 transcriptions; the loss is folk-rnn's per-tune one, with dropout on.
CONFIG4_VALID = ((20.06, 1.4514), (44.57, 1.3221), (66.85, 1.2695), (89.14, 1.2350), (111.42, 1.2273),
                 (129.25, 1.2131), (131.48, 1.2231))
OVERLAP_BINS = (0.0, 0.1, 0.3, 0.6, 1.0)


@dataclass(frozen=True)
class Section:
    """What one embedded model's section tells: its shipped weights, what was measured of them, and the
    training runs behind them (in order, with their logs) and those tried and not used."""

    weights: ModelWeights
    measures: ModelMeasures
    runs: list[Path]
    logs: list[dict]
    discarded: list[tuple[Path, dict]]

    @property
    def training(self) -> dict:
        """What the shipped file records of its training."""
        return self.weights.metadata["training"]


def measure(model: str, tunes: list[list[str]], runs: list[Path], discarded: list[Path], part5: Path,
            n_samples: int) -> Section:
    """One embedded model's section: its figures measured, its runs' logs read."""
    weights = load_model(model)
    measures = measure_model(weights, tunes, tokenize(part5.read_text()), n_samples)
    return Section(weights, measures, runs, [_read_log(run) for run in runs],
                   [(run, _read_log(run)) for run in discarded])


def _history(log: dict) -> str:
    """The commands that produced the run, with the epoch each was stopped after."""
    stops = [r["after_epoch"] for r in log.get("resumes", [])] + [len(log["epochs"])]
    commands = [log["command"]] + [r["command"] for r in log.get("resumes", [])]
    return "\n".join(f"{c}   # to epoch {e}" for c, e in zip(commands, stops))


def reproduce(logs: list[dict], data: Path, model: str = DEFAULT_MODEL, runs: list[Path] | None = None) -> str:
    """The commands that rebuild a model's shipped weights and its section: each stage's training,
    the copy of its best weights into the package (and of its log to the folder the card reads, where
    that is another one), then this script on those folders (their logs are what it reads; runs tried
    and not used are not needed to reproduce the card's figures)."""
    folders = [Path(r) for r in runs] if runs else [Path(log["config"]["out"]) for log in logs]
    lines = []
    for log, folder in zip(logs, folders):
        out = log["config"]["out"]
        lines += [_history(log), f"cp {out}/best.safetensors folkrnn/assets/{embedded_model_path(model).name}"]
        if folder != Path(out):
            lines.append(f"mkdir -p {folder} && cp {out}/log.json {folder}/log.json")
    flag = "" if model == DEFAULT_MODEL else f" --model {model}"
    lines.append(f"python scripts/make_model_card.py{flag} --data {data} --run {' '.join(map(str, folders))}")
    return "\n".join(lines)


def _dropout_history(log: dict) -> str:
    """'0.5, then 0.3 from epoch 6': the rate of the first command and of every resume that set one."""
    first = re.search(r"--dropout (\S+)", log["command"])
    parts = [first.group(1) if first else str(TrainConfig.dropout)]
    parts += [f"{r['dropout']} from epoch {r['after_epoch'] + 1}" for r in log.get("resumes", []) if "dropout" in r]
    return ", then ".join(parts)


def _read_log(run: Path) -> dict:
    return json.loads((run / "log.json").read_text())


def _hours(log: dict) -> float:
    """Training time of one run."""
    return sum(e["seconds"] for e in log["epochs"]) / 3600


def _best_valid_nll(log: dict) -> float:
    return min(e["valid_nll"] for e in log["epochs"])


def _resume_note(logs: list[dict]) -> str:
    """How stages and resumed runs chain, where there are any."""
    notes = []
    if any(log.get("resumes") for log in logs):
        notes.append(" Runs were stopped at epoch boundaries and resumed (`--resume` continues exactly:"
                     " tests/test_train.py).")
    if len(logs) > 1:
        notes.append(" Each stage's best weights became the embedded model, where the next stage started.")
    return "".join(notes)


def _data_note(logs: list[dict], data: Path) -> str:
    """Where the runs read a copy of the data at another path than ``data``, say so."""
    paths = sorted({log["config"]["data"] for log in logs} - {str(data)})
    if not paths:
        return ""
    return (f" The runs read a copy of the data at {', '.join(f'`{p}`' for p in paths)}; with the data"
            f" beside the repository, pass `--data {data}`.")


def _stage(n: int, run: Path, log: dict) -> str:
    """One training run: where it started, its settings, and its epochs."""
    cfg = log["config"]
    start = f"the weights of `{cfg['init']}`, fresh optimiser" if cfg.get("init") else "random weights"
    extras = [f"dropout {_dropout_history(log)}"]
    if cfg.get("weight_drop"):
        extras.append(f"weight drop {cfg['weight_drop']} on W_hh")
    if cfg.get("average_decay"):
        extras.append(f"validated and saved: an EMA of the weights, decay {cfg['average_decay']} per step")
    epochs = "\n".join(
        f"| {e['epoch']} | {e['train_nll']:.4f} | {e['valid_nll']:.4f} | {e['lr']:.2e} | {e['seconds']:.0f} |"
        for e in log["epochs"])
    return f"""### Stage {n}: `{run}`
From {start}; Adam, lr {cfg['lr']} with {cfg['warmup_steps']} warm-up steps and cosine decay to
{cfg['min_lr_ratio']} × lr over {cfg['epochs']} planned epochs; {'; '.join(extras)}. Best epoch
{log['best_epoch']} of {len(log['epochs'])} (early stopping patience {cfg['patience']}).

| epoch | train NLL (dropout on) | validation NLL | lr | seconds |
| --- | --- | --- | --- | --- |
{epochs}
"""


def _against_config4(m: ModelMeasures) -> str:
    """The validation loss measured as folk-rnn measured it, next to folk-rnn's own training log."""
    epochs = " | ".join(f"{e:.0f}" for e, _ in CONFIG4_VALID)
    losses = " | ".join(f"{loss:.4f}" for _, loss in CONFIG4_VALID)
    best_epoch, best = min(CONFIG4_VALID, key=lambda el: el[1])
    dropout_on = float(np.mean(m.valid_dropout))
    ratio = m.valid.per_token / dropout_on
    return f"""## Against folk-rnn's own training log
folk-rnn's repository keeps the log of `config4` (`logs/config4-wrepeats-20151001-000032.log`):
the v2 architecture trained with RMSprop (lr 0.003 throughout: config4's × 0.97 per epoch after
epoch 20 was logged but, as config5's, never reached Lasagne's rmsprop; batch 50) on 23,637
transcriptions of the same corpus, 1,200 of them held out. The figure it logs is folk-rnn's
own loss, not NLL per token: each tune's summed NLL divided by its length counting `<s>` and
`</s>`, averaged over tunes, and with dropout on (the `train_rnn.py` committed with that log
validates through Lasagne's `get_output` without `deterministic=True`; a later version turned
dropout off). Its validation loss at seven of the 59 validations it logs (one every 1,000
batches, until the log stops in epoch 133):

| epoch | {epochs} |
| --- |{' --- |' * len(CONFIG4_VALID)}
| config4, full corpus | {losses} |

Measured the same way on this model's validation split (`folkrnn.network.evaluation.nll` with
`dropout_seed`, `folkrnn_loss`; seeds {DROPOUT_SEEDS.start}–{DROPOUT_SEEDS.stop - 1}):
**{dropout_on:.4f}** (range {min(m.valid_dropout):.4f}–{max(m.valid_dropout):.4f}); with dropout off,
{m.valid.folkrnn_loss:.4f}, and {m.valid.per_token:.4f} per token. So this replica, trained on a
third of the corpus, is {dropout_on - best:.4f} above the best figure of folk-rnn's run on all of it
({best:.4f}, epoch {best_epoch:.0f}), where that run's loss had levelled off.

An estimate, not a measurement: scaling that best figure by this model's ratio of NLL per token
(dropout off) to folk-rnn's loss (dropout on), {ratio:.3f}, puts the original recipe on the full
corpus near {best * ratio:.2f} nats per token, so it too would stay above the ≤ 1.0 target."""


def _by_overlap(m: ModelMeasures) -> str:
    """Validation NLL per token by how close the nearest training tune comes to each tune."""
    valid, overlap = m.valid, m.overlap
    band = np.digitize(overlap, OVERLAP_BINS[1:-1])  # 0 for [0, 10%), ..., the last up to 100% inclusive
    rows = []
    for k, (lo, hi) in enumerate(zip(OVERLAP_BINS, OVERLAP_BINS[1:])):
        inside = band == k
        if inside.any():
            tokens = valid.tune_targets[inside].sum()
            rows.append(f"| {lo:.0%}–{hi:.0%} | {inside.sum():,} | {tokens:,} "
                        f"| {valid.tune_totals[inside].sum() / tokens:.4f} |")
    table = "\n".join(rows)
    return f"""## Near and far from the training data
data_v2 often holds several settings of one tune, one after another, so many validation tunes have
a close relative in the training split. For each validation tune, the share of its {PHRASE}-token
phrases (bar lines left out) that its closest training tune also holds, and the NLL per token of
the tunes in each band (`Reference.closest_shares` in folkrnn/analysis/copying.py):

| phrases shared with the closest training tune | tunes | tokens | NLL per token |
| --- | --- | --- | --- |
{table}

The validation figure above averages these bands; the first band is the nearest measure of how
the model does on transcriptions unlike any it was trained on."""


def render_replica(sec: Section, data: Path) -> str:
    """The replica's section (its runs are Adam stages, possibly several)."""
    w, t, m = sec.weights, sec.training, sec.measures
    cfg, s = t["config"], m.s
    k90 = int((m.energy < 0.9).sum()) + 1
    failures = {}
    for c in (tune.verdict for tune in m.sampled):
        if not c.ok:
            key = "a bar of the wrong length" if " lasts " in c.reason else re.sub(r" \(bar \d+\)", "", c.reason)
            failures[key] = failures.get(key, 0) + 1
    stages = "\n".join(_stage(n, run, log) for n, (run, log) in enumerate(zip(sec.runs, sec.logs), start=1))
    runs = " ".join(str(r) for r in sec.runs)
    if sec.discarded:
        runs += " --discarded " + " ".join(str(r) for r, _ in sec.discarded)
    epochs_run = sum(len(log["epochs"]) for log in sec.logs)
    shipped_nll = _best_valid_nll(sec.logs[-1])
    tried = "\n".join(
        f"- `{run}` ({log['command']}): best validation NLL {_best_valid_nll(log):.4f} over "
        f"{len(log['epochs'])} epochs ({_hours(log):.2f} h), against {shipped_nll:.4f} for the shipped weights; "
        "not used."
        for run, log in sec.discarded) or "- none"
    tunes = "\n\n".join(f"```abc\n{tune.abc(i + 1)}\n```" for i, tune in enumerate(m.sampled[:5]))
    hours = sum(_hours(log) for log in sec.logs)
    return f"""# Model card: folk-rnn v2 replica (folkrnn-explorer)

The app's and the CLI's default model, `folkrnn/assets/{default_model_path().name}`: a network of
exactly folk-rnn v2's architecture, trained by this project because the original weights cannot be
downloaded where the project is built. It is not the original model; its singular values differ
(below). Load the original with the app's "Original folk-rnn v2" choice or `--model folkrnn_v2.pkl`.

## Data
{m.n_data:,} transcriptions of folk-rnn's **data_v2** corpus (tunes from thesession.org, transposed
to C and tokenised by Sturm et al.; the full corpus has 23,636), gathered from public partial copies;
the file is not part of this repository (folk-rnn's repository has the full `data/data_v2`).
Split: {w.metadata['provenance']['split']}: {w.metadata['provenance']['train_tunes']:,} training and
{w.metadata['provenance']['valid_tunes']:,} validation tunes.

## Architecture
One-hot input over the 137-token v2 vocabulary (original index order; the 15 tokens that never occur
in this data stay in the vocabulary), three LSTM layers of 512 units without peepholes, dropout
after each in training (rate below), dense softmax layer (V: 137 × 512, v: 137). Trained initial hidden and cell
states per layer, as folk-rnn's `hid_init`/`cell_init`. {w.parameter_count:,} weights and biases
(folk-rnn v2: 5,599,881) plus {w.initial_state_count:,} initial-state values.

## Training
| setting | this model | folk-rnn v2 (config5) |
| --- | --- | --- |
| optimiser | Adam with warm-up and cosine decay, per stage (below) | RMSprop, lr 0.003 throughout (config5's × 0.97 per epoch after epoch 20 never reached Lasagne's rmsprop) |
| batch | {cfg['batch_size']} tunes of similar length | 50 (64 only from 89564f5, after v2) |
| epochs | {epochs_run} in {len(sec.runs)} stage(s), early stopping on validation NLL | 100 |
| gradient clipping | total norm {cfg['clip']} | 5 (Lasagne) |
| dropout | per stage (below) | 0.5 |
| loss | mean NLL per token | mean NLL per tune, averaged over the batch |
| precision | bf16 autocast: {t['bf16_autocast']} | float32 |
| first-layer input weights | N(0, 0.5²) init (a token's embedding into the gates) | N(0, 0.1²) |

Time: {hours:.2f} h on {t['machine']}; each run tried and not used (below) gives its own time.

Reproduce (from the repository root, with the data beside it); each line ran until the epoch
noted.{_resume_note(sec.logs)}{_data_note(sec.logs, data)}

```bash
{reproduce(sec.logs, data)}
```

{stages}
Tried and not used:
{tried}

## Results
Measured by `python scripts/make_model_card.py --data {data} --run {runs}` (dropout off,
`</s>` included as a target, nats per token):

| | NLL per token | tunes | tokens |
| --- | --- | --- | --- |
| validation split | **{m.valid.per_token:.4f}** | {m.valid.tunes:,} | {m.valid.tokens:,} |
| training split | {m.train.per_token:.4f} | {m.train.tunes:,} | {m.train.tokens:,} |
| part-5 tune (`../shared/data/part5_tune.txt`) | {m.part5.per_token:.4f} | 1 | {m.part5.tokens} |
| uniform guess, ln 137 | {np.log(137):.4f} | | |

The part-5 tune's NLL per token is {m.part5.per_token:.4f} nats per token (tests/test_embedded_model.py checks this figure).
The project's target, validation NLL ≤ 1.0, is {'met' if m.valid.per_token <= 1.0 else '**not met**'}.

**Well-formed tunes** (`folkrnn.music.wellformed.check_tune`: one meter and one mode token first, `</s>`
within {MAX_TUNE_TOKENS:,} tokens, every interior bar as long as the meter asks): {m.sampled_share:.1%} of
{len(m.sampled)} tunes sampled at temperature 1 (seed 0, no prefix), against {m.data_share:.1%}
of the {m.n_data:,} training transcriptions; ratio {m.sampled_share / m.data_share:.3f} (target ≥ 0.95).
Failures among the samples: {', '.join(f'{k} ({v})' for k, v in sorted(failures.items(), key=lambda kv: -kv[1])) or 'none'}.

{_against_config4(m)}

{_by_overlap(m)}

## Softmax spectrum
| | s_1 | s_2 | s_3 | s_1/s_2 |
| --- | --- | --- | --- | --- |
| this model | {s[0]:.2f} | {s[1]:.2f} | {s[2]:.2f} | {s[0] / s[1]:.2f} |
| original folk-rnn v2 (Sturm, part 3) | ≈ 509 | 65.76 | 63.45 | ≈ 7.7 |

The top {k90} of 137 directions hold 90% of Σ s_i². The original's s_1 dwarfs the rest; see the app's
spectrum page for the whole curve of this model.

## Five sampled tunes
The first five of the 200 tunes above (temperature 1, seed 0):

{tunes}

## Limits
Trained on a third of data_v2 for {epochs_run} epochs, not the original's 100 epochs on the full
corpus: treat its figures as those of a replica. The tokens absent from this data get
little probability from it.
"""


def _trend(epochs: list[dict], key, last: int = 5) -> float:
    """Mean change per epoch of ``key(epoch entry)`` over the last ``last`` epochs."""
    tail = epochs[-(last + 1):]
    return (key(tail[-1]) - key(tail[0])) / max(len(tail) - 1, 1)


def spectrum_plot(log: dict, path: Path) -> Path:
    """The Spectrum page's growth chart of a run, as an SVG beside its log (for the card)."""
    import vl_convert

    history = [{"epoch": e["epoch"], **e["spectrum"]} for e in log["epochs"]]
    chart = spectrum_history_chart(spectrum_history_frame(history)).configure_view(continuousWidth=640)
    path.write_text(vl_convert.vegalite_to_svg(chart.to_json()))
    return path


def _epsilon_note(epochs: list[dict], length: float) -> str:
    """What epsilon left of RMSprop's steps at the last epoch that logged it, and what it would
    leave under the summed loss."""
    logged = [e for e in epochs if "epsilon_share" in e]
    if not logged:
        return ""
    last = logged[-1]
    w_hid = last["epsilon_share"]["W_hid"]
    shares = ", ".join(f"{kind} {share:.3f}" for kind, share in last["epsilon_share"].items())
    summed = ", ".join(f"{kind} {summed_loss_share(share, length):.3f}"
                       for kind, share in last["epsilon_share"].items())
    outside = ", ".join(f"{kind} {epsilon_outside_share(share):.3f}"
                        for kind, share in last["epsilon_share"].items())
    return f"""
Why it is slow: RMSprop divides each gradient by sqrt(a + ε), a the running mean of its squares.
Where a is small against ε = 1e-6, ε sets the step, and it is smaller than the lr-sized step
RMSprop is meant to take. The median share sqrt(a / (a + ε)) that ε leaves of that step, per kind
of parameter, at epoch {last['epoch']} (logged from epoch {logged[0]['epoch']} on, the column ε's share above): {shares}.
With the loss summed per tune (89564f5, after v2) every gradient is about a tune's length
({length:.0f} tokens on average) larger, and the same gradients would leave {summed}; with ε
added after the square root (torch.optim.RMSprop) the same running averages would leave {outside}.
From the same gradients, either change makes the recurrent weights' steps about
{summed_loss_share(w_hid, length) / w_hid:.0f} times larger (W_hid's median share against {w_hid:.3f})."""


PEAK = "gate_grad_peak"  # the log's largest |gate gradient| of the probe batches, per epoch


def _clipping(log: dict) -> str:
    """How the run clipped each step's gate gradients: stepped in Python and clipped, and from the
    resume that set ``fused`` on, the fused kernel, with the logged peaks that show the clip idle."""
    clip = log["config"]["clip"]
    stepped = (f"each step's gate pre-activation gradients clipped elementwise to ±{clip} in the backward pass "
               "(an autograd function inside an LSTM stepped in Python, as close to Theano's `grad_clip` as "
               "PyTorch allows)")
    switch = next((r["after_epoch"] for r in log.get("resumes", []) if r.get("fused")), None)
    if switch is None and not log["config"].get("fused"):
        return stepped
    logged = [e for e in log["epochs"] if PEAK in e]
    fused = ("PyTorch's fused LSTM kernel (oneDNN, cuDNN), which cannot clip inside the steps; the same "
             f"training while no gate gradient reaches ±{clip}")
    if logged:
        peak = max(e[PEAK] for e in logged)
        fused += (f": the largest logged (4 training batches measured stepped every epoch from epoch "
                  f"{logged[0]['epoch']}) is {peak:.1e}, {clip / peak:,.0f} times below it")
    if switch is None:
        return fused[0].upper() + fused[1:]
    return f"epochs 1–{switch}: {stepped}; from epoch {switch + 1} (`--fused`): {fused}"


def render_faithful(sec: Section, data: Path) -> str:
    """The faithful replica's section: folk-rnn's recipe, its epochs and how far it got."""
    w, t, m, log = sec.weights, sec.training, sec.measures, sec.logs[-1]
    cfg, epochs = log["config"], log["epochs"]
    s, valid = m.s, m.valid.per_token
    run = sec.runs[-1]
    plot = spectrum_plot(log, Path(run) / "spectrum.svg")
    rows = "\n".join(
        f"| {e['epoch']} | {e['train_nll']:.4f} | {e['valid_nll']:.4f} | {e['valid_folkrnn_loss']:.4f} "
        f"| {' | '.join(f'{x:.2f}' for x in e['spectrum']['s'])} | {e['spectrum']['s1_over_s2']:.2f} "
        f"| {push_text(e['spectrum']['pushes']['-u1'][:2])} | {push_text(e['spectrum']['pushes']['+u1'][:2])} "
        f"| {e['epsilon_share']['W_hid'] if 'epsilon_share' in e else '–'} "
        f"| {f'{e[PEAK]:.1e}' if PEAK in e else '–'} | {e['seconds']:.0f} |"
        for e in epochs)
    ratio_trend = _trend(epochs, lambda e: e["spectrum"]["s1_over_s2"])
    s1_trend = _trend(epochs, lambda e: e["spectrum"]["s"][0])
    nll_trend = _trend(epochs, lambda e: e["valid_nll"])
    met = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    shipped = t["epoch"]
    return f"""# Model card: folk-rnn v2, folk-rnn's own recipe (folkrnn-explorer)

`folkrnn/assets/{embedded_model_path('faithful').name}`, chosen with `--model faithful` in the CLI and
**Faithful** in the app's sidebar: the same architecture, data and split as the replica above,
trained the way folk-rnn's own `train_rnn.py` trained v2, so that its softmax layer can be read next
to the blog's. Shipped: the weights of epoch {shipped}, the best validation NLL of the
{len(epochs)} epochs run of {cfg['epochs']} planned.

## Recipe
`python -m folkrnn train --recipe folkrnn` (`folkrnn/train/folkrnn_recipe.py`). Read from folk-rnn's
history (IraKorshunova/folk-rnn): v2 is `config5-wrepeats-20160112`, trained by `train_rnn.py` as
commit 50b7c67 left it (2015-10-16; the next change, 89564f5, is of 2016-03-16) with that day's
`configurations/config5.py`.

| setting | this model | folk-rnn when it trained v2 |
| --- | --- | --- |
| initialisation | every LSTM W_in and W_hid ~ N(0, 0.1²), every gate bias 0 (the forget gate's too); `hid_init` a random unit row, `cell_init` 0, both trained; dense W orthogonal, b 0 | Lasagne's `Gate()` defaults; `hid_init` and the dense W `Orthogonal()` |
| loss | each tune's summed NLL divided by its length counting `<s>` and `</s>`, averaged over the batch | the same at 50b7c67; 89564f5 dropped the division, after v2 |
| optimiser | Lasagne's rmsprop: lr {cfg['lr']}, rho 0.9, ε 1e-6 inside the square root, no weight decay | the same |
| learning rate | constant (`--lr-decay {cfg['lr_decay']}`) | config5 names × 0.97 per epoch after epoch 20, but rmsprop was built on the float `config.learning_rate`, so the decayed shared variable never reached the updates |
| batch | {cfg['batch_size']} tunes of similar length | config5's `batch_size = 50` (64 only from 89564f5) |
| gradient clipping | {_clipping(log)} | `grad_clipping=5`: Theano's `grad_clip` on every step's gates |
| dropout | {cfg['dropout']} after each LSTM layer | 0.5 |
| epochs | {cfg['epochs']} planned, {len(epochs)} run | `max_epoch = 100` |
| precision | {'bf16 autocast (matrix products in bfloat16; weights, gradients and RMSprop state in float32), the CPU it trained on having native bf16' if t['bf16_autocast'] else 'float32'} | float32 |
| data | {m.n_data:,} transcriptions, {w.metadata['provenance']['split']} | all of data_v2 (23,636), 5% held out |

Time: {sum(e['seconds'] for e in epochs) / 3600:.2f} h on {t['machine']}.

Reproduce (from the repository root, with the data beside it):{_data_note(sec.logs, data)}

```bash
{reproduce(sec.logs, data, 'faithful', sec.runs)}
```

## How the spectrum grew
![s_1, s_2, s_3 and s_1/s_2 per epoch]({plot.resolve().relative_to(ROOT).as_posix()})

Over the last epochs s_1/s_2 changed by {ratio_trend:+.3f} per epoch, s_1 by {s1_trend:+.2f} and the
validation NLL by {nll_trend:+.4f}. The Spectrum page draws the same chart for this model.
{_epsilon_note(epochs, m.train.tokens / m.train.tunes + 1)}

| epoch | train NLL (dropout on) | validation NLL | folk-rnn's loss | s_1 | s_2 | s_3 | s_1/s_2 | top of softmax(v − s_1 u_1) | top of softmax(v + s_1 u_1) | ε's share, W_hid | peak gate gradient | seconds |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

## Results
Measured by `python scripts/make_model_card.py --model faithful --data {data} --run {run}`
(dropout off, `</s>` a target, nats per token):

| | NLL per token | tunes | tokens |
| --- | --- | --- | --- |
| validation split | **{valid:.4f}** | {m.valid.tunes:,} | {m.valid.tokens:,} |
| training split | {m.train.per_token:.4f} | {m.train.tunes:,} | {m.train.tokens:,} |
| part-5 tune | {m.part5.per_token:.4f} | 1 | {m.part5.tokens} |

The part-5 tune's NLL per token is {m.part5.per_token:.4f} nats per token under this model.
Well-formed: {m.sampled_share:.1%} of {len(m.sampled)} tunes sampled at temperature 1 (seed 0),
against {m.data_share:.1%} of the training transcriptions.

Targets: s_1/s_2 ≥ 6, {met(s[0] / s[1] >= 6)} ({s[0] / s[1]:.2f}); validation NLL ≤ 1.25,
{met(valid <= 1.25)} ({valid:.4f}).

## Limits
{'' if len(epochs) >= cfg['epochs'] else f"Trained for {len(epochs)} of the {cfg['epochs']} epochs folk-rnn ran, on one CPU: the weights are those of an unfinished run, and the table above shows where it was heading. "}A third of data_v2 with batches of 50 makes {math.ceil(w.metadata['provenance']['train_tunes'] / cfg['batch_size'])} updates
an epoch where folk-rnn made about 450, so an epoch here is a third of one of folk-rnn's.

To continue the run where `last.pt` is not at hand (another machine), from the shipped epoch with a
fresh optimiser: `mkdir -p {cfg['out']} && cp {Path(run).as_posix()}/log.json {cfg['out']}/ && python -m folkrnn train
--resume --data {cfg['data']} --out {cfg['out']} --init faithful`.
"""


def _pushes(summary: dict, key: str) -> str:
    return push_text(summary["pushes"][key])


@dataclass(frozen=True)
class Shipped:
    """One embedded model's row of the comparison: its name, validation NLL per token and
    :func:`~folkrnn.analysis.spectrum.spectrum_summary`."""

    name: str
    valid: float
    summary: dict


def embedded_figures(tunes: list[list[str]], measured: dict[str, float]) -> dict[str, Shipped]:
    """Each embedded model's validation NLL per token (from ``measured`` where the section's measure
    has it) and spectrum summary, from its shipped file."""
    figures = {}
    for name in EMBEDDED_MODELS:
        weights = load_model(name)
        valid = measured[name] if name in measured else validation_nll(weights, tunes).per_token
        figures[name] = Shipped(weights.name, valid, spectrum_summary(softmax_svd(weights), directions=3, k=3))
    return figures


def render_comparison(figures: dict[str, Shipped], n_tunes: int, command: str) -> str:
    """The card's first section: both embedded models next to the original's published figures."""
    def spectrum_row(label: str, valid: str, s, approx_s1: bool = False) -> str:
        s1 = f"≈ {s[0]:.0f}" if approx_s1 else f"{s[0]:.2f}"
        return f"| {label} | {valid} | {s1} | {s[1]:.2f} | {s[2]:.2f} | {'≈ ' if approx_s1 else ''}{s[0] / s[1]:.2f} |"

    rows = [spectrum_row(f"{name}: {f.name}", f"{f.valid:.4f}", f.summary["s"]) for name, f in figures.items()]
    rows.append(spectrum_row("original folk-rnn v2 (Sturm, part 3)", "not measured: trained on all of data_v2",
                             ORIGINAL_V2["s"], approx_s1=True))
    best = min(figures, key=lambda name: figures[name].valid)
    original_ratio = ORIGINAL_V2["s"][0] / ORIGINAL_V2["s"][1]
    closest = min(figures, key=lambda name: abs(figures[name].summary["s1_over_s2"] - original_ratio))
    pushes = "\n".join(
        f"| {sign.replace('-', '−')}u_{i} | {ORIGINAL_V2['pushes'].get(f'{sign}u{i}', '—')} | "
        + " | ".join(_pushes(f.summary, f"{sign}u{i}") for f in figures.values()) + " |"
        for i in (1, 2, 3) for sign in ("+", "-"))
    names = " | ".join(figures)
    return f"""# folkrnn-explorer's embedded models

Two models of exactly folk-rnn v2's architecture ship with the package, both trained by this project
on the same {n_tunes:,} transcriptions and split, because the original weights cannot be downloaded where
the project is built (load them with the app's **Original** choice or `--model folkrnn_v2.pkl`):

- **replica** (`--model replica`, the default; **Replica** in the sidebar): Adam, a cosine schedule and
  per-token loss. Its card is the first below.
- **faithful** (`--model faithful`; **Faithful** in the sidebar): folk-rnn's own recipe of January
  2016, so that its softmax layer tells the blog's story as far as the recipe does. Its card is the
  second below.

## Both next to the original
Measured from the shipped files by `{command}` (any `--model` rewrites this section):

| model | validation NLL per token | s_1 | s_2 | s_3 | s_1/s_2 |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Of the two, {f"**{best}** has both the lower validation NLL and the s_1/s_2 closer to the original's"
             if best == closest else
             f"**{best}** has the lower validation NLL and **{closest}** the s_1/s_2 closer to the original's"}.

The three likeliest tokens of softmax(v ± s_i u_i), next to what the blog reports for the original.
A singular pair's sign is arbitrary (u_i, w_i and −u_i, −w_i are both singular pairs); the blog names
its own signs, and this package makes each u_i's largest entry positive, so read a blog row against
both rows of its direction.

| push | original (blog) | {names} |
| --- | --- |{' --- |' * len(figures)}
{pushes}
"""


HEAD_RUN, JANUARY_RUN = ROOT / "docs/training/folkrnn_head", ROOT / "docs/training/folkrnn_recipe"
JANUARY_UPDATES_PER_EPOCH = 145  # its log predates `updates`: 7,243 training tunes in batches of 50


def _with_updates(log: dict, per_epoch: int) -> dict:
    """A run's log with every epoch's ``updates``, counted at ``per_epoch`` where the log has none."""
    return {**log, "epochs": [{"updates": e["epoch"] * per_epoch, **e} for e in log["epochs"]]}


def runs_plot(logs: dict[str, dict], path: Path) -> Path:
    """The runs' s_1, s_2 and s_1/s_2 against updates on one chart, as an SVG (for the card)."""
    import vl_convert

    chart = runs_spectrum_chart(runs_spectrum_frame(logs)).configure_view(continuousWidth=640)
    path.write_text(vl_convert.vegalite_to_svg(chart.to_json()))
    return path


def _at_updates(epochs: list[dict], updates: int) -> dict:
    """The epoch entry of a run whose logged updates are nearest ``updates``."""
    return min(epochs, key=lambda e: abs(e["updates"] - updates))


def render_head_progress(head: dict, january: dict, plot: Path) -> str:
    """The second attempt's section: its ship rule, where it stands, its curve next to the January run's."""
    epochs, planned = head["epochs"], head["config"]["epochs"]
    times = sorted(e["seconds"] for e in epochs)
    last, fastest, seconds, slowest = epochs[-1], times[0], times[len(times) // 2], times[-1]
    ship = next(n for n in range(1, planned + 1) if n * last["updates"] / last["epoch"] >= V2_UPDATES)
    same = _at_updates(january["epochs"], last["updates"])
    rows = "\n".join(
        f"| {e['epoch']} | {e['updates']:,} | {e['train_nll']:.4f} | {e['valid_nll']:.4f} | "
        + " | ".join(f"{v:.2f}" for v in e["spectrum"]["s"][:3])
        + f" | {e['spectrum']['s1_over_s2']:.2f} | {e.get('gate_grad_peak', float('nan')):.1e} | {e['seconds'] / 60:.0f} |"
        for e in epochs)
    resumed = ", ".join(f"after epoch {r['after_epoch']}: `{r['command']}`" for r in head.get("resumes", []))
    return f"""# The faithful replica's second attempt: folk-rnn's HEAD recipe (training)

The January recipe above grows V by ε-sized steps (its section's `epsilon_share`), so its s_1/s_2
stayed near 1.4. `--recipe folkrnn-head` is `train_rnn.py` as folk-rnn's repository holds it (89564f5):
each tune's NLL summed, not divided by its length, Glorot/orthogonal gates with forget bias 5, batch 64,
Lasagne's rmsprop at lr 0.003 held. Its gradients are a tune's length larger, so RMSprop's running
average, not ε, sets the steps (README, "Training").

**Ship rule, decided before training:** the first epoch whose logged updates reach v2's {V2_UPDATES:,}
(351 batches of 64 an epoch × 100 epochs): epoch {ship} of {last['updates'] // last['epoch']} updates here,
whatever its spectrum. It replaces today's faithful model if its s_1/s_2 is closer to the original's 7.7;
the January run then stays on this card as a measured negative result.

**Where it stands:** epoch {last['epoch']} of {planned} ({last['updates']:,} of {V2_UPDATES:,} updates),
s_1/s_2 {last['spectrum']['s1_over_s2']:.2f} where the January run had {same['spectrum']['s1_over_s2']:.2f} at
{same['updates']:,} updates, validation NLL {last['valid_nll']:.4f} (the unigram plateau is about 3.09).
Its epochs took {fastest / 60:.0f}–{slowest / 60:.0f} minutes of wall time on one CPU thread (median {seconds / 60:.0f}; the log's
times include pauses for benchmarks and other work on the machine), so the rest is about
{(planned - last['epoch']) * seconds / 3600:.0f} hours at the median: a GPU takes it in minutes. Resumed {resumed or "never"}.

![s_1, s_2 and s_1/s_2 against updates, both runs]({plot.relative_to(ROOT).as_posix()})

| epoch | updates | train NLL | valid NLL | s_1 | s_2 | s_3 | s_1/s_2 | gate gradient peak | minutes |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

Regenerate this section from the run's log (no measuring): `python scripts/make_model_card.py --progress`.
"""


SECTIONS = ("comparison", "replica", "faithful", "faithful-head")  # the card's sections, in order


def write_card(path: Path, sections: dict[str, str]) -> str:
    """The card with ``sections`` (name -> text) written between their markers, the others kept."""
    return write_sections(path, SECTIONS, sections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=list(EMBEDDED_MODELS), default=DEFAULT_MODEL,
                        help="the embedded model whose section is rewritten (default %(default)s)")
    parser.add_argument("--progress", action="store_true",
                        help=f"only rewrite the section of the run in {HEAD_RUN.relative_to(ROOT)} from its log.json")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--run", type=Path, nargs="+",
                        help="the training runs behind the shipped weights, in order (default: runs/replica, "
                             "or docs/training/folkrnn_recipe for the faithful model)")
    parser.add_argument("--discarded", type=Path, nargs="*", default=[], help="runs tried and not used")
    parser.add_argument("--part5", type=Path, default=None)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "MODEL_CARD.md")
    args = parser.parse_args()
    if args.progress:
        logs = {"folkrnn-head (summed loss)": json.loads((HEAD_RUN / "log.json").read_text()),
                "folkrnn, January (divided loss)": _with_updates(json.loads((JANUARY_RUN / "log.json").read_text()),
                                                                 JANUARY_UPDATES_PER_EPOCH)}
        plot = runs_plot(logs, HEAD_RUN / "runs_spectrum.svg")
        write_card(args.out, {"faithful-head": render_head_progress(*logs.values(), plot)})
        print(f"wrote the faithful-head section of {args.out} and {plot}")
        return
    if args.data is None:
        parser.error("--data is needed to measure a model")
    runs = args.run or [ROOT / ("runs/replica" if args.model == DEFAULT_MODEL else "docs/training/folkrnn_recipe")]
    torch.manual_seed(0)
    part5 = args.part5 or args.data.with_name("part5_tune.txt")
    tunes = read_transcriptions(args.data)
    sec = measure(args.model, tunes, runs, args.discarded, part5, args.samples)
    m = sec.measures
    render = render_replica if args.model == DEFAULT_MODEL else render_faithful
    command = "python scripts/make_model_card.py " + " ".join(sys.argv[1:])
    figures = embedded_figures(tunes, {args.model: m.valid.per_token})
    write_card(args.out, {"comparison": render_comparison(figures, len(tunes), command),
                          args.model: render(sec, args.data)})
    print(f"wrote {args.out} ({m.seconds:.0f} s; {args.model}: valid {m.valid.per_token:.4f}, "
          f"sampled well-formed {m.sampled_share:.1%} vs data {m.data_share:.1%}; {platform.machine()})")


if __name__ == "__main__":
    main()
