"""``python -m folkrnn SUBCOMMAND``: the package's command line."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import fields


def _train(args) -> int:
    from .train import TrainConfig, train

    names = {f.name for f in fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in vars(args).items() if k in names and v is not None})
    train(cfg, resume=args.resume, command="python -m folkrnn " + shlex.join(sys.argv[1:]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m folkrnn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train a folk-rnn v2 replica on v2-format transcriptions")
    p.add_argument("--data", required=True)
    p.add_argument("--out")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--hidden-size", dest="hidden_size", type=int)
    p.add_argument("--layers", dest="num_layers", type=int)
    p.add_argument("--patience", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--no-bf16", dest="bf16", action="store_false", default=None)
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.set_defaults(run=_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
