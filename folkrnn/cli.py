"""``python -m folkrnn SUBCOMMAND``: the package's command line.

Every subcommand takes ``--model MODEL`` (an embedded model, ``replica`` by default or ``faithful``;
otherwise a project checkpoint or an original folk-rnn pickle) and ``--json`` for machine-readable
output on stdout.
Errors go to stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
import sys
from dataclasses import MISSING, asdict, fields
from pathlib import Path

import numpy as np

from .cpus import fit_threads
from .errors import ModelFileError
from .examples import PART5_TUNE
from .io.loading import DEFAULT_MODEL, EMBEDDED_MODELS, load_model
from .train.config import RESUMABLE, TrainConfig, recipe_config
from .units import parse_units
from .vocab import CATEGORIES, UnknownTokenError, parse_opening, tokenize


def _emit(args, payload: dict, text: str) -> None:
    print(json.dumps(payload) if args.json else text)


def _network(weights):
    from .network.model import FolkRNN

    return FolkRNN.from_weights(weights)


def _info(args) -> int:
    w = load_model(args.model)
    payload = {
        "tokens": list(w.vocabulary.tokens), "layers": w.num_layers, "hidden_size": w.hidden_size,
        "experiment_id": w.metadata.get("experiment_id"), "parameters": w.parameter_count,
        "initial_state_parameters": w.initial_state_count, "name": w.name,
    }
    text = (f"{w.name}\n{len(w.vocabulary)} tokens, {w.num_layers} LSTM layers of {w.hidden_size} units\n"
            f"{w.parameter_count:,} weights and biases (+{w.initial_state_count:,} initial-state values)")
    _emit(args, payload, text)
    return 0


def _svd(args) -> int:
    from .analysis.svd import softmax_svd

    w = load_model(args.model)
    svd = softmax_svd(w)
    payload = {
        "tokens": list(w.vocabulary.tokens), "singular_values": svd.s.tolist(),
        "left_singular_vectors": svd.U.T.tolist(), "right_singular_vectors": svd.W.T.tolist(),
        "bias": svd.v.tolist(),
    }
    top = ", ".join(f"s_{i + 1}={s:.2f}" for i, s in enumerate(svd.s[:5]))
    _emit(args, payload, f"{top}, ...\ns_1/s_2 = {svd.s[0] / svd.s[1]:.2f}")
    return 0


def _top(tokens, probabilities, k=10) -> str:
    order = np.argsort(probabilities)[::-1][:k]
    return "\n".join(f"{tokens[j]:>8}  {probabilities[j]:.4f}" for j in order)


def _perturb(args) -> int:
    from .analysis.perturbation import perturbed_distribution
    from .analysis.svd import softmax_svd

    w = load_model(args.model)
    svd = softmax_svd(w)
    if not 1 <= args.direction <= svd.rank:
        raise ValueError(f"--direction must be in 1..{svd.rank}, got {args.direction}")
    p = perturbed_distribution(svd, {args.direction: args.scale}, args.temperature)
    tokens = list(w.vocabulary.tokens)
    _emit(args, {"tokens": tokens, "probabilities": p.tolist()}, _top(tokens, p))
    return 0


def _activations(args) -> int:
    from .network.activations import run

    w = load_model(args.model)
    acts = run(_network(w), w.vocabulary, tokenize(args.tokens))
    payload = {"tokens": acts.tokens, "hidden": acts.hidden.tolist(),
               "probabilities": acts.probabilities.tolist()}
    nll = acts.token_nll(w.vocabulary)
    _emit(args, payload, f"{len(acts.tokens)} tokens, {len(acts.hidden)} steps, "
                         f"NLL {nll.sum():.3f} nats ({nll.mean():.4f} per token, </s> not included)")
    return 0


def _internals(args) -> int:
    from .analysis.internals import SIGNALS, internals

    w = load_model(args.model)
    inside = internals(w, tokenize(args.tokens))
    payload = {"tokens": inside.tokens, "steps": inside.steps,
               "layers": [{"layer": n, **{name: layer.signal(name).tolist() for name in SIGNALS}}
                          for n, layer in enumerate(inside.layers, start=1)]}
    text = "\n".join(f"layer {n}: mean |h| {np.abs(layer.h).mean():.3f}, |h| < 0.1 at {(np.abs(layer.h) < 0.1).mean():.1%}, "
                     f"mean forget gate {layer.f.mean():.3f}" for n, layer in enumerate(inside.layers, start=1))
    _emit(args, payload, f"{inside.steps} steps\n{text}")
    return 0


def _lens(args) -> int:
    from .analysis.internals import internals
    from .analysis.lens import logit_lens

    w = load_model(args.model)
    lens = logit_lens(w, internals(w, tokenize(args.tokens)))
    steps = range(lens.entropy.shape[1])
    payload = {"tokens": lens.tokens, "steps": len(steps),
               "layers": [{"layer": n, "entropy": lens.entropy[n - 1].tolist(),
                           "kl_to_output": lens.kl_to_output[n - 1].tolist(),
                           "top": [lens.top(n, t, args.top) for t in steps]}
                          for n in range(1, len(lens.probabilities) + 1)]}
    text = "\n".join(f"layer {n}: mean entropy {lens.entropy[n - 1].mean():.3f} nats, "
                     f"mean KL to the output {lens.kl_to_output[n - 1].mean():.3f} nats"
                     for n in range(1, len(lens.probabilities) + 1))
    _emit(args, payload, text)
    return 0


def _copycheck(args) -> int:
    from .analysis.copying import read_reference

    w = load_model(args.model)
    tokens = tokenize(args.tokens)
    w.vocabulary.encode(tokens)  # unknown tokens: a clear error naming them
    matches = read_reference(args.reference, w.vocabulary).nearest(tokens, args.n, args.k)
    payload = {"tokens": tokens, "n": args.n,
               "matches": [{"index": m.index, "shared": m.shared, "longest_run": m.longest_run,
                            "edit_distance": m.edit_distance, "tokens": m.tokens} for m in matches]}
    text = "\n".join(f"reference tune {m.index}: {m.shared:.1%} of the {args.n}-grams shared, longest shared run "
                     f"{m.longest_run} tokens, edit distance {m.edit_distance:.3f}" for m in matches)
    _emit(args, payload, text or f"no reference tune shares a {args.n}-gram with this tune")
    return 0


def _match(args) -> int:
    from .analysis.copying import read_reference
    from .analysis.matching import THRESHOLD, search_corpus, select
    from .compose.onnx_step import step_session

    w = load_model(args.model)
    tokens = tokenize(args.tokens) if args.tokens else list(PART5_TUNE)
    step = step_session(w)
    threshold = THRESHOLD if args.threshold is None else args.threshold
    layer = w.num_layers if args.layer is None else args.layer
    selection = select(step, w, tokens, layer, args.span, threshold, args.off_around)
    if args.units:
        selection = selection.keeping(parse_units(args.units, w.hidden_size))
    tunes = read_reference(args.corpus, w.vocabulary).tunes if args.corpus else [tokens]

    def progress(done: int) -> None:
        if not args.json:
            print(f"\r{done}/{len(tunes)} tunes", end="", file=sys.stderr, flush=True)

    found = search_corpus(step, w, tunes, selection, (args.shortest, args.longest), args.min_on, args.max_matches,
                          args.seconds, progress)
    matches = [{"tune": m.tune, "start": m.start, "end": m.end, "shared": m.shared, "extra": m.extra,
                "score": m.score, "tokens": tunes[m.tune][m.start : m.end]} for m in found.matches]
    payload = {"tokens": tokens, "layer": selection.layer, "span": list(selection.span), "threshold": threshold,
               "off_around": args.off_around, "units": list(selection.units),
               "corpus": str(args.corpus) if args.corpus else None, "tunes": len(tunes),
               "tunes_searched": found.tunes_searched, "out_of_time": found.out_of_time, "matches": matches}
    lines = [f"tune {m['tune']}, tokens {m['start']}:{m['end']} {' '.join(m['tokens'])!r}: score {m['score']} "
             f"({m['shared']} selected units on, {m['extra']} others)" for m in matches]
    a, b = selection.span
    _emit(args, payload, f"\nlayer {selection.layer}, units on over {a}:{b} {' '.join(tokens[a:b])!r}: "
                         f"{', '.join(map(str, selection.units))}\n" + "\n".join(lines)
                         + ("\n(stopped at --seconds)" if found.out_of_time else ""))
    return 0


def _beam(args) -> int:
    from .analysis.search import beam_search
    from .compose.provenance import SearchProvenance

    w = load_model(args.model)
    prefix = parse_opening(args.prefix, w.vocabulary)

    def progress(found: int) -> None:
        if not args.json:
            print(f"\r{found} tokens", end="", file=sys.stderr, flush=True)

    r = beam_search(w, prefix, args.block, args.keep, args.floor, args.max_length, args.max_candidates, progress)
    tokens = [*prefix, *r.tokens]
    origin = SearchProvenance.of(w, prefix, args.block, args.keep, args.floor, args.max_length, args.max_candidates)
    abc = origin.abc(tokens)
    payload = {"tokens": tokens, "abc": abc, "ended": r.ended, "log_probability": r.log_probability,
               "missed_mass": r.missed_mass.tolist(), "candidates": r.candidates, "provenance": asdict(origin)}
    _emit(args, payload, f"\n{abc}\nlog p {r.log_probability:.2f} over {len(r.tokens)} tokens"
                         f"{'' if r.ended else ' (cut off at --max-length)'}; mean mass missed per step "
                         f"{r.missed_mass.mean():.4f}; {r.candidates:,} continuations scored")
    return 0


def _layer_units(text: str) -> tuple[int, str]:
    """``LAYER:UNITS`` as (layer, the units' text), read by :func:`~folkrnn.units.parse_units` once the
    model, and so its layers' size, is known."""
    try:
        layer, units = text.split(":")
        return int(layer), units
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LAYER:UNITS (e.g. 3:0,17,40-59), got {text!r}") from None


def _pair(separator: str, first, second, form: str):
    """An argument type reading ``X<separator>Y`` as (first(X), second(Y)); ``form`` shows how to write it."""
    def parse(text: str) -> tuple:
        try:
            x, y = text.split(separator)
            return first(x), second(y)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {form}, got {text!r}") from None
    return parse


_direction_scale = _pair("=", int, float, "I=ALPHA (e.g. 1=2.5)")
_span = _pair(":", int, int, "A:B, tokens a to b - 1 from 0 (e.g. 12:13)")


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text!r}") from None


def _summary(tunes, origins) -> dict:
    """The tunes, each with its ABC headed by its provenance, and their figures (analysis.experiments.summary)."""
    from .analysis.experiments import summary

    return {"tunes": [{"tokens": t.tokens, "abc": o.abc(t.tokens), "ended": t.ended, "well_formed": t.verdict.ok,
                       "provenance": asdict(o)} for t, o in zip(tunes, origins)], **summary(tunes)}


def _ablate(args) -> int:
    from .compose.interventions import Intervention, compose_under
    from .compose.provenance import provenances
    from .compose.sampling import SamplingSettings, sample_tunes

    w = load_model(args.model)
    zero = {layer: parse_units(units, w.hidden_size) for layer, units in args.zero or []}
    if args.periodic:
        from .analysis.internals import internals
        from .analysis.periodic import bar_period, periodic_units

        tune = tokenize(args.tokens) if args.tokens else list(PART5_TUNE)
        h = internals(w, tune).layers[-1].h
        top = periodic_units(h, bar_period(tune), args.periodic)
        zero[w.num_layers] = tuple(sorted({*zero.get(w.num_layers, ()), *map(int, top)}))
    force_tokens = w.vocabulary.tokens_of(args.force_category)
    intervention = Intervention(zero_units=zero, remove=args.remove or (), add=dict(args.add or []),
                                force=args.force, force_tokens=force_tokens if args.force else (), force_seed=args.seed or 0)
    settings = SamplingSettings(args.n, parse_opening(args.prefix, w.vocabulary), args.temperature, args.seed, args.max_length)
    without, under = sample_tunes(w, settings), compose_under(w, intervention, settings)
    payload = {"intervention": {"zero_units": {str(k): list(v) for k, v in zero.items()}, "remove": list(intervention.remove),
                                "add": {str(k): v for k, v in intervention.add.items()}, "force": intervention.force},
               "without": _summary(without, provenances(w, settings)),
               "with": _summary(under, provenances(w, settings, change=intervention.describe()))}
    lines = [f"{name}: well-formed {s['well_formed_share']:.0%}, mean bar errors {s['mean_bar_errors']:.2f}, "
             f"mean length {s['mean_length']:.0f} tokens, meters {s['meters']}"
             for name, s in (("without", payload["without"]), ("with", payload["with"]))]
    _emit(args, payload, "\n".join(lines))
    return 0


def _write_midi(folder: Path, tunes, origins) -> list[str]:
    """Each tune's MIDI file in ``folder`` (made if missing), named as the app names its downloads; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / origin.file_name("mid") for origin in origins]
    for path, tune, origin in zip(paths, tunes, origins):
        path.write_bytes(origin.midi(tune.tokens))
    return [str(path) for path in paths]


def _sample(args) -> int:
    from .compose.provenance import provenances
    from .compose.sampling import CHUNK, SamplingSettings, sample_in_chunks, sample_tunes

    w = load_model(args.model)
    settings = SamplingSettings(args.n, parse_opening(args.prefix, w.vocabulary), args.temperature, args.seed,
                                args.max_length)
    # in chunks, as the app composes: the same seed and settings give the same tunes here and on Compose
    tunes = sample_in_chunks(w, settings, sample=functools.partial(sample_tunes, precision=args.precision))
    origins = provenances(w, settings, chunk=CHUNK, precision=args.precision)
    midi = _write_midi(args.midi, tunes, origins) if args.midi else [None] * len(tunes)
    checks = [t.verdict for t in tunes]
    share = sum(c.ok for c in checks) / len(checks)
    abcs = [p.abc(t.tokens) for t, p in zip(tunes, origins)]
    payload = {"tunes": [{"tokens": t.tokens, "abc": a, "ended": t.ended, "well_formed": c.ok,
                          "reason": c.reason, "provenance": asdict(p), "midi": m}
                         for t, a, p, c, m in zip(tunes, abcs, origins, checks, midi)],
               "well_formed_share": share}
    text = "\n\n".join(abcs) + f"\n\n% well-formed: {share:.1%}"
    _emit(args, payload, text + (f"\n% MIDI files in {args.midi}" if args.midi else ""))
    return 0


def _evaluate(args) -> int:
    from .music.transcriptions import encode_tunes, read_transcriptions
    from .network.evaluation import nll

    w = load_model(args.model)
    result = nll(_network(w), encode_tunes(read_transcriptions(args.data), w.vocabulary))
    payload = {"tunes": result.tunes, "tokens": result.tokens, "nll_per_token": result.per_token,
               "folkrnn_loss": result.folkrnn_loss}
    _emit(args, payload, f"{result.tunes} tunes, {result.tokens} tokens, NLL {result.per_token:.4f} nats/token "
                         f"(folk-rnn's per-tune loss {result.folkrnn_loss:.4f})")
    return 0


def _convert(args) -> int:
    from .io.checkpoint import save_checkpoint

    w = load_model(args.input)
    out = save_checkpoint(w, args.output)
    _emit(args, {"output": str(out), "parameters": w.parameter_count}, f"wrote {out}")
    return 0


def _train(args) -> int:
    from .train.loop import train

    given = {k: v for k, v in vars(args).items() if k in {f.name for f in fields(TrainConfig)} and v is not None}
    train(recipe_config(**given), resume=args.resume, command="python -m folkrnn " + shlex.join(sys.argv[1:]),
          overrides=[k for k in RESUMABLE if k in given], continue_from=given.get("init") if args.resume else None)
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    model = argparse.ArgumentParser(add_help=False, parents=[as_json])
    model.add_argument("--model", metavar="MODEL",
                       help=f"an embedded model ({', '.join(EMBEDDED_MODELS)}) or a model file "
                            f"(default: {DEFAULT_MODEL})")
    parser = argparse.ArgumentParser(prog="python -m folkrnn", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, run, help, parents=(model,)):
        p = sub.add_parser(name, parents=list(parents), help=help)
        p.set_defaults(run=run)
        return p

    command("info", _info, "vocabulary, layers and parameter count")
    command("svd", _svd, "singular values and vectors of the softmax layer")
    p = command("perturb", _perturb, "softmax((v + A s_I u_I) / T)")
    p.add_argument("--direction", type=int, required=True, help="I, from 1")
    p.add_argument("--scale", type=float, required=True, help="A, in units of s_I")
    p.add_argument("--temperature", type=float, default=1.0)
    p = command("activations", _activations, "h_t and next-token distributions over a tune")
    p.add_argument("--tokens", required=True, help='v2 tokens, e.g. "M:4/4 K:Cmaj |: c 2 ..."')
    p = command("internals", _internals, "every layer's gates i, f, o, g, cell c and output h per step")
    p.add_argument("--tokens", required=True, help='v2 tokens, e.g. "M:4/4 K:Cmaj |: c 2 ..."')
    p = command("lens", _lens, "logit lens: each layer's h_t decoded through V and v, entropy and KL per step")
    p.add_argument("--tokens", required=True, help='v2 tokens, e.g. "M:4/4 K:Cmaj |: c 2 ..."')
    p.add_argument("--top", type=_positive_int, default=5, help="top tokens per layer and step (default 5)")
    p = command("copycheck", _copycheck, "the reference tunes nearest a tune, by shared n-grams of tokens")
    p.add_argument("--tokens", required=True, help='v2 tokens, e.g. "M:4/4 K:Cmaj |: c 2 ..."')
    p.add_argument("--reference", type=Path, required=True,
                   help="v2-format transcriptions to compare with, e.g. folk-rnn's data_v2")
    p.add_argument("--n", type=_positive_int, default=6, help="n-gram length in tokens (default 6)")
    p.add_argument("--k", type=_positive_int, default=5, help="nearest tunes to list (default 5)")
    p = command("match", _match, "select and match (LSTMVis): the units on over a span, then the spans where they are on")
    p.add_argument("--tokens", help="the tune to select in (default: the part-5 tune)")
    p.add_argument("--span", type=_span, required=True, metavar="A:B", help="tokens a to b - 1, from 0 (e.g. 12:13)")
    p.add_argument("--threshold", type=float, help="a unit is on where its h_t is at least this (default 0.3, LSTMVis's)")
    p.add_argument("--layer", type=int, help="the layer, from 1 (default: the last)")
    p.add_argument("--off-around", dest="off_around", type=int, default=0, metavar="K",
                   help="keep only units off over the K tokens on either side of the span (default 0)")
    p.add_argument("--units", metavar="UNITS", help="keep only these of the selected units, e.g. 0,17,40-59")
    p.add_argument("--corpus", type=Path, help="v2-format transcriptions to search (default: the tune itself)")
    p.add_argument("--min-on", dest="min_on", type=_positive_int,
                   help="selected units that must be on at each step of a match (default: all)")
    p.add_argument("--shortest", type=_positive_int, default=1, help="shortest match in tokens (default 1)")
    p.add_argument("--longest", type=_positive_int, help="longest match in tokens (default: any)")
    p.add_argument("--max-matches", dest="max_matches", type=_positive_int, default=20, help="matches to list (default 20)")
    p.add_argument("--seconds", type=float, default=60.0, help="stop searching the corpus after this (default 60)")
    p = command("beam", _beam, "compose by beam search over blocks of tokens instead of sampling")
    p.add_argument("--prefix", help='seed tokens, e.g. "M:6/8 K:Cmaj"')
    p.add_argument("--block", type=_positive_int, default=2, help="tokens per search block (default 2)")
    p.add_argument("--keep", type=float, default=0.1,
                   help="fraction of the vocabulary explored at each depth, the likeliest first (default 0.1)")
    p.add_argument("--floor", type=float, default=1e-4,
                   help="drop continuations whose joint probability within the block is below this (default 1e-4)")
    p.add_argument("--max-length", dest="max_length", type=_positive_int, default=400)
    p.add_argument("--max-candidates", dest="max_candidates", type=_positive_int, default=4096,
                   help="continuations kept per depth, the likeliest (default 4096): bounds time and memory")
    p = command("ablate", _ablate, "compose the same seeds with and without an intervention on the network")
    p.add_argument("--zero", type=_layer_units, action="append", metavar="LAYER:UNITS",
                   help="zero these units of a layer (from 1; units from 0), e.g. 3:0,17,40-59; repeatable")
    p.add_argument("--remove", type=_int_list, metavar="I,J", help="remove the directions w_i from the last layer's h_t")
    p.add_argument("--add", type=_direction_scale, action="append", metavar="I=ALPHA",
                   help="add alpha w_i to the last layer's h_t at every step; repeatable")
    p.add_argument("--periodic", type=_positive_int, metavar="K",
                   help="also zero the K last-layer units with the most power at the bar period of --tokens "
                        "(default: the part-5 tune)")
    p.add_argument("--tokens", help="the tune whose bar period ranks the units for --periodic")
    p.add_argument("--force", type=float, default=0.0, metavar="BETA",
                   help="two-hot input: (1 - BETA) the sampled token + BETA a random token of --force-category")
    p.add_argument("--force-category", dest="force_category", default="pitch", choices=CATEGORIES)
    p.add_argument("--n", type=_positive_int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--prefix", help='seed tokens, e.g. "M:6/8 K:Cmaj"')
    p.add_argument("--max-length", dest="max_length", type=int, default=400)
    p = command("sample", _sample, "compose tunes")
    p.add_argument("--n", type=_positive_int, default=1)
    p.add_argument("--seed", type=int)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--prefix", help='seed tokens, e.g. "M:6/8 K:Cmaj"')
    p.add_argument("--max-length", dest="max_length", type=int, default=1000)
    p.add_argument("--precision", choices=["float32", "bfloat16"], default="float32",
                   help="float32: the exact network (ONNX Runtime); bfloat16: bf16-rounded matrices, faster batches")
    p.add_argument("--midi", type=Path, metavar="DIR",
                   help="also write each tune as a Standard MIDI File into DIR (made if missing), "
                        "named folkrnn_seedS_tuneI.mid")
    p = command("evaluate", _evaluate, "NLL per token over a file of v2 transcriptions")
    p.add_argument("--data", required=True)
    p = command("convert", _convert, "original folk-rnn pickle -> project checkpoint", (as_json,))
    p.add_argument("input", type=Path)
    p.add_argument("output", type=Path)
    p = command("train", _train, "train a folk-rnn v2 replica on v2-format transcriptions", ())
    for f in fields(TrainConfig):  # None when not given, so that the recipe's defaults apply
        option = dict(f.metadata)
        flag = option.pop("flag", "--" + f.name.replace("_", "-"))
        if f.type == "bool":
            option["action"] = "store_false" if f.default else "store_true"
        else:  # the annotations are strings (postponed evaluation)
            option["type"] = {"int": int, "float": float}.get(f.type, str)
        p.add_argument(flag, dest=f.name, required=f.default is MISSING, default=None, **option)
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/last.pt with its stored settings (--epochs, --dropout and --fused may change); "
                        "where last.pt is missing (it stays on the machine that trained), --init CHECKPOINT "
                        "continues OUT/log.json's run from that checkpoint's epoch with a fresh optimiser")
    return parser


def main(argv: list[str] | None = None) -> int:
    fit_threads()
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ModelFileError, UnknownTokenError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
