"""Tidy pandas tables of the analyses: what every chart draws and every CSV download holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from folkrnn import CATEGORIES, ModelWeights, SoftmaxSVD, Vocabulary
from folkrnn.analysis.comparison import Match
from folkrnn.analysis.directions import LogitDecomposition
from folkrnn.analysis.input_layer import MatrixSpectrum
from folkrnn.analysis.internals import unit_peaks
from folkrnn.analysis.lens import LogitLens
from folkrnn.analysis.spectrum import ORIGINAL_V2, original_pushes, push_text, top_pushed_tokens
from folkrnn.analysis.truncation import Truncation
from folkrnn.analysis.usage import DirectionUsage
from folkrnn.vocab import END, START, token_category

if TYPE_CHECKING:  # for annotations only: the tables need not load the compose tier
    from folkrnn.compose.sampling import Tune


def singular_values_frame(s: np.ndarray) -> pd.DataFrame:
    """One row per direction i: s_i and the cumulative energy of directions 1..i."""
    s = np.asarray(s, dtype=np.float64)
    return pd.DataFrame({
        "direction": np.arange(1, len(s) + 1),
        "singular_value": s,
        "cumulative_energy": np.cumsum(s**2) / np.sum(s**2),
    })


def spectrum_frame(svd: SoftmaxSVD) -> pd.DataFrame:
    """The spectrum of V: :func:`singular_values_frame` of s_1..s_r."""
    return singular_values_frame(svd.s)


def _pushed(svd: SoftmaxSVD, i: int, sign: float) -> str:
    return push_text(top_pushed_tokens(svd, i, sign, k=2))


def original_comparison_frame(svd: SoftmaxSVD) -> pd.DataFrame:
    """Per direction i = 1..3: this model's s_i and the tokens softmax(v ± s_i u_i) favours, next to
    the original v2's published s_i and pushes (Sturm, part 3)."""
    rows = []
    for i, original_s in enumerate(ORIGINAL_V2["s"][: svd.rank], start=1):
        rows.append({
            "direction": i, "s_i": float(svd.s[i - 1]), "original s_i": original_s,
            "v + s_i u_i": _pushed(svd, i, 1.0), "v − s_i u_i": _pushed(svd, i, -1.0),
            "original (blog)": original_pushes(i),
        })
    return pd.DataFrame(rows)


def spectrum_history_frame(history: Sequence[Mapping]) -> pd.DataFrame:
    """Long table of s_1..s_3 per training epoch (from a checkpoint's ``training.spectrum_history``),
    with s_1/s_2 and the top token of softmax(v ∓ s_1 u_1) on every row."""
    rows = []
    for entry in history:
        pushes = entry.get("pushes", {})
        for i, value in enumerate(entry["s"], start=1):
            rows.append({
                "epoch": entry["epoch"], "direction": f"s_{i}", "singular_value": value,
                "s1_over_s2": entry.get("s1_over_s2"),
                "top_minus_u1": pushes.get("-u1", [[None]])[0][0], "top_plus_u1": pushes.get("+u1", [[None]])[0][0],
            })
    return pd.DataFrame(rows)


def runs_spectrum_frame(logs: Mapping[str, Mapping]) -> pd.DataFrame:
    """Long table of s_1, s_2 and s_1/s_2 against optimiser updates, epoch by epoch, for each training
    run's ``log.json`` in ``logs`` (run name -> log): run, epoch, updates, measure, value."""
    rows = []
    for run, log in logs.items():
        for entry in log["epochs"]:
            s = entry["spectrum"]["s"]
            for measure, value in (("s_1", s[0]), ("s_2", s[1]), ("s_1/s_2", s[0] / s[1])):
                rows.append({"run": run, "epoch": entry["epoch"], "updates": entry["updates"], "measure": measure,
                             "value": value})
    return pd.DataFrame(rows, columns=["run", "epoch", "updates", "measure", "value"])


def right_vectors_frame(svd: SoftmaxSVD, directions: Sequence[int], flips: Sequence[int] = ()) -> pd.DataFrame:
    """Long table of w_i over the hidden units: direction, unit, value, and rank (position when sorted)."""
    parts = []
    for i in directions:
        _, w = svd.direction(i, flip=i in flips)
        parts.append(pd.DataFrame({
            "direction": f"w_{i}", "unit": np.arange(len(w)), "value": w,
            "rank": np.argsort(np.argsort(w, kind="stable"), kind="stable"),
        }))
    return pd.concat(parts, ignore_index=True)


def token_frame(vocabulary: Vocabulary, columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """One row per token (index, token, category) with the given value columns."""
    frame = pd.DataFrame({
        "index": np.arange(len(vocabulary)), "token": vocabulary.tokens, "category": vocabulary.categories,
    })
    for name, values in columns.items():
        frame[name] = np.asarray(values)
    return frame


def distributions_frame(vocabulary: Vocabulary, distributions: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Long table of several distributions over the tokens: token, category, distribution, probability."""
    wide = token_frame(vocabulary, distributions)
    return wide.melt(id_vars=["index", "token", "category"], var_name="distribution", value_name="probability")


def top_tokens(vocabulary: Vocabulary, values: np.ndarray, k: int = 10, largest: bool = True) -> pd.DataFrame:
    """The k tokens with the largest (or smallest) values, in that order."""
    order = np.argsort(values, kind="stable")
    picked = order[::-1][:k] if largest else order[:k]
    return token_frame(vocabulary, {"value": values}).iloc[picked].reset_index(drop=True)


def columns_frame(weights: ModelWeights) -> pd.DataFrame:
    """Every entry of V as a long table: token, category, unit, value (vocab x H rows)."""
    vocab, H = weights.V.shape
    return pd.DataFrame({
        "index": np.repeat(np.arange(vocab), H),
        "token": np.repeat(weights.vocabulary.tokens, H),
        "category": np.repeat(weights.vocabulary.categories, H),
        "unit": np.tile(np.arange(H), vocab),
        "value": weights.V.reshape(-1),
    })


def column_bias_correlation(weights: ModelWeights) -> pd.DataFrame:
    """Pearson correlation of each column of V (one per hidden unit) with the bias v."""
    V = weights.V.astype(np.float64)
    Vc = V - V.mean(axis=0)
    vc = weights.v - weights.v.mean()
    corr = (Vc.T @ vc) / (np.linalg.norm(Vc, axis=0) * np.linalg.norm(vc))
    return pd.DataFrame({"unit": np.arange(V.shape[1]), "correlation": corr})


# --- A tune's steps: the tables over t = 0 … len(tokens) that the sections below share ---

def steps_frame(tokens: Sequence[str]) -> pd.DataFrame:
    """One row per step t = 0..len(tokens): the token just read and the token h_t predicts."""
    tokens = list(tokens)
    read = [START, *tokens]
    predicts = [*tokens, END]
    return pd.DataFrame({
        "step": np.arange(len(read)),
        "read": read,
        "predicts": predicts,
        "category": [token_category(t) for t in predicts],
        "label": [f"{t} {p}" for t, p in enumerate(predicts)],
    })


def step_matrix_frame(tokens: Sequence[str], matrix: np.ndarray, columns: Sequence[int], name: str,
                      offset: int = 1) -> pd.DataFrame:
    """Long table of a (steps, n) matrix over a tune: steps_frame's columns, ``name`` (column number,
    the matrix column plus ``offset``) and value, for the chosen ``columns`` (already offset)."""
    steps = steps_frame(tokens)
    columns = list(columns)
    values = np.asarray(matrix)[: len(steps), [c - offset for c in columns]]
    frame = steps.loc[steps.index.repeat(len(columns))].reset_index(drop=True)
    frame[name] = np.tile(columns, len(steps))
    frame["value"] = values.reshape(-1)
    return frame


# --- Inside the LSTM: layers over a tune, self-similarity, logit lens, the input layer ---

def activation_histogram_frame(values_by_layer: Sequence[np.ndarray], bins: int = 40) -> pd.DataFrame:
    """Per layer, a histogram of one signal's values over all steps and units: layer, bin edges, share."""
    low = min(float(v.min()) for v in values_by_layer)
    high = max(float(v.max()) for v in values_by_layer)
    edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
    rows = []
    for n, values in enumerate(values_by_layer, start=1):
        counts, _ = np.histogram(values, edges)
        rows += [{"layer": f"layer {n}", "start": a, "end": b, "share": c / values.size}
                 for a, b, c in zip(edges[:-1], edges[1:], counts)]
    return pd.DataFrame(rows)


def unit_peaks_frame(values_by_layer: Sequence[np.ndarray]) -> pd.DataFrame:
    """Per layer, each unit's max |activation|, sorted: layer, rank (from 1), unit, peak."""
    frames = []
    for n, values in enumerate(values_by_layer, start=1):
        units, peaks = unit_peaks(values)
        frames.append(pd.DataFrame({"layer": f"layer {n}", "rank": np.arange(1, len(units) + 1),
                                    "unit": units, "peak": peaks}))
    return pd.concat(frames, ignore_index=True)


def step_gramian_frame(tokens: Sequence[str], G: np.ndarray) -> pd.DataFrame:
    """Long table of a Gramian over a tune's steps: both steps, the tokens each read and predicts."""
    steps = steps_frame(tokens)
    n = len(steps)
    a, b = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    return pd.DataFrame({
        "step_a": a, "step_b": b, "read_a": steps["read"].to_numpy()[a], "read_b": steps["read"].to_numpy()[b],
        "predicts_a": steps["predicts"].to_numpy()[a], "predicts_b": steps["predicts"].to_numpy()[b],
        "value": np.asarray(G)[:n, :n].reshape(-1),
    })


def bar_line_steps(tokens: Sequence[str]) -> list[int]:
    """The steps that read a bar line (token category "measure"): the grid lines of a step Gramian."""
    steps = steps_frame(tokens)
    return [int(t) for t, token in zip(steps["step"], steps["read"]) if token_category(token) == "measure"]


def lens_frame(lens: LogitLens) -> pd.DataFrame:
    """Long table of the logit lens: per step and layer, the entropy of softmax(V h_t + v), its KL
    divergence from the network's output, and its likeliest token."""
    steps = steps_frame(lens.tokens)
    layers, n_steps = lens.entropy.shape
    frame = pd.concat([steps.assign(layer=n) for n in range(1, layers + 1)], ignore_index=True)
    frame["entropy"] = lens.entropy.reshape(-1)
    frame["kl_to_output"] = lens.kl_to_output.reshape(-1)
    best = lens.probabilities.argmax(axis=-1).reshape(-1)
    frame["top_token"] = [lens.vocabulary_tokens[j] for j in best]
    frame["top_probability"] = lens.probabilities.max(axis=-1).reshape(-1)
    return frame


def lens_top_frame(lens: LogitLens, step: int, k: int = 5) -> pd.DataFrame:
    """The ``k`` likeliest tokens each layer decodes to at ``step``: layer, rank, token, probability."""
    return pd.DataFrame([
        {"layer": n, "rank": rank, "token": token, "probability": p}
        for n in range(1, lens.probabilities.shape[0] + 1)
        for rank, (token, p) in enumerate(lens.top(n, step, k), start=1)
    ])


def token_gramian_frame(vocabulary: Vocabulary, G: np.ndarray) -> pd.DataFrame:
    """Long table of a (vocab, vocab) Gramian, tokens ordered by category then index (``order``)."""
    tokens, categories = vocabulary.tokens, vocabulary.categories
    order = sorted(range(len(tokens)), key=lambda j: (CATEGORIES.index(categories[j]), j))
    position = np.empty(len(tokens), dtype=int)
    position[order] = np.arange(len(tokens))
    n = len(tokens)
    a, b = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    return pd.DataFrame({
        "token_a": np.array(tokens)[a], "token_b": np.array(tokens)[b],
        "category_a": np.array(categories)[a], "category_b": np.array(categories)[b],
        "order_a": position[a], "order_b": position[b], "value": np.asarray(G).reshape(-1),
    })


def weight_spectra_frame(spectra: Sequence[MatrixSpectrum]) -> pd.DataFrame:
    """One row per weight matrix: name, layer, kind (W_x, W_h, V), gate, shape, s_1 and stable rank."""
    return pd.DataFrame([{"matrix": m.name, "layer": "softmax" if m.matrix.layer is None else str(m.matrix.layer),
                          "kind": m.matrix.kind, "gate": m.matrix.gate or "", "shape": f"{m.shape[0]} × {m.shape[1]}",
                          "s_1": float(m.s[0]), "stable_rank": m.stable_rank} for m in spectra])


def right_vector_tokens_frame(rows: Sequence[Mapping]) -> pd.DataFrame:
    """The rows of :func:`folkrnn.analysis.input_layer.top_tokens_of_right_vectors` as a table: direction, s
    and the tokens at either end of each right singular vector."""
    return pd.DataFrame([{"direction": r["direction"], "s": r["s"],
                          "largest": ", ".join(t for t, _ in r["largest"]),
                          "smallest": ", ".join(t for t, _ in r["smallest"])} for r in rows])


# --- Experiments: ablate and steer, periodic units, forcing the input, is it copying?, search ---

def populations_frame(summaries: Mapping[str, Mapping], shares: bool = False) -> pd.DataFrame:
    """Long table of meter and mode counts per group of tunes (``summaries``: group -> its "meters"
    and "modes" counts, and with ``shares`` its "lengths"): group, kind, token, and tunes or share."""
    rows = []
    for group, s in summaries.items():
        total = len(s["lengths"]) if shares else 1
        for kind in ("meters", "modes"):
            rows += [{"group": group, "kind": kind, "token": token, ("share" if shares else "tunes"): count / total}
                     for token, count in sorted(s[kind].items())]
    return pd.DataFrame(rows, columns=["group", "kind", "token", "share" if shares else "tunes"])


def token_change_frame(tokens: Sequence[str], curves: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Long table of each token's probability under several engines: step, token, curve, probability."""
    targets = [*tokens, END]
    return pd.DataFrame([{"step": t, "token": token, "curve": name, "probability": float(p[t])}
                         for name, p in curves.items() for t, token in enumerate(targets)])


def unit_power_frame(power: np.ndarray) -> pd.DataFrame:
    """Each unit's power at the bar period, strongest first: rank (from 1), unit, power."""
    order = np.argsort(-power, kind="stable")
    return pd.DataFrame({"rank": np.arange(1, len(power) + 1), "unit": order, "power": power[order]})


def periodogram_frame(freqs: np.ndarray, power: np.ndarray, units: Sequence[int]) -> pd.DataFrame:
    """Long table of chosen units' periodograms: unit, frequency (cycles per token), period, power."""
    rows = [{"unit": f"unit {u}", "frequency": float(f), "period": float(1 / f) if f else None,
             "power": float(power[k, u])} for u in units for k, f in enumerate(freqs) if k]
    return pd.DataFrame(rows)


def state_change_frame(tokens: Sequence[str], before: Sequence[np.ndarray], after: Sequence[np.ndarray]) -> pd.DataFrame:
    """Per layer and step, the mean |h_after − h_before| over the units: layer, step, token read, change."""
    read = [START, *tokens]
    return pd.DataFrame([{"layer": f"layer {n}", "step": t, "read": read[t], "change": float(d)}
                         for n, (a, b) in enumerate(zip(before, after), start=1)
                         for t, d in enumerate(np.abs(b - a).mean(axis=1))])


def matches_table(matches) -> pd.DataFrame:
    """The nearest reference tunes (:class:`folkrnn.analysis.copying.Match`) as a table."""
    return pd.DataFrame([{"rank": r, "reference tune": m.index, "shared n-grams": m.shared,
                          "longest shared run": m.longest_run, "edit distance": m.edit_distance,
                          "tokens": " ".join(m.tokens)} for r, m in enumerate(matches, start=1)])


def missed_mass_frame(tokens: Sequence[str], missed: np.ndarray) -> pd.DataFrame:
    """Per step of a searched tune, the probability mass the search did not explore there."""
    targets = [*tokens, END][: len(missed)]
    return pd.DataFrame({"step": np.arange(len(missed)), "token": targets, "missed": missed})


# --- Beyond the blog: directions in use, compose, fewer directions, compare models ---

def projections_frame(tokens: Sequence[str], projections: np.ndarray, directions: Sequence[int]) -> pd.DataFrame:
    """Long table of w_i . h_t: step, read, predicts, label, direction, value (directions from 1)."""
    return step_matrix_frame(tokens, projections, directions, "direction")


def decomposition_frame(d: LogitDecomposition, svd: SoftmaxSVD, top: int) -> pd.DataFrame:
    """The logit of one token as a waterfall: the ``top`` largest direction terms, the rest, the bias.

    Rows ``direction``/``other``/``bias`` sum to the logit; the last row (kind ``logit``) is the total.
    ``start``/``end`` are the running sums a waterfall draws.
    """
    picked = d.top(top)
    rest = np.setdiff1d(np.arange(1, len(d.contributions) + 1), picked)
    rows = [{"term": f"direction {i}", "kind": "direction", "direction": int(i),
             "value": float(d.contributions[i - 1]), "projection": float(d.projections[i - 1]),
             "singular_value": float(svd.s[i - 1]), "u_token": float(svd.U[d.token, i - 1])} for i in picked]
    if len(rest):
        rows.append({"term": f"other {len(rest)} directions", "kind": "other",
                     "value": float(d.contributions[rest - 1].sum())})
    rows.append({"term": "bias v", "kind": "bias", "value": d.bias})
    frame = pd.DataFrame(rows)
    frame["end"] = frame["value"].cumsum()
    frame["start"] = frame["end"] - frame["value"]
    total = pd.DataFrame([{"term": "logit", "kind": "logit", "value": d.logit, "start": 0.0, "end": d.logit}])
    frame = pd.concat([frame, total], ignore_index=True)
    frame.insert(0, "order", np.arange(len(frame)))
    return frame


def decomposition_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The table under the waterfall of :func:`decomposition_frame`: each term's contribution, w_i·h_t,
    s_i, u_i[token] and the running sum."""
    return frame[["term", "value", "projection", "singular_value", "u_token", "end"]].rename(
        columns={"value": "contribution", "projection": "w_i·h_t", "singular_value": "s_i",
                 "u_token": "u_i[token]", "end": "running sum"})


def usage_frame(usage: DirectionUsage) -> pd.DataFrame:
    """One row per direction: s_i, mean |w_i . h_t|, mean and std of w_i . h_t, their random baselines,
    shares of ||h_t||^2."""
    r = usage.rank
    return pd.DataFrame({
        "direction": np.arange(1, r + 1),
        "singular_value": usage.s,
        "mean_abs_projection": usage.mean_abs,
        "random_direction_baseline": usage.baseline_mean_abs,
        "ratio_to_random": usage.ratio,
        "mean_projection": usage.mean,
        "std_projection": usage.std,
        "random_direction_std": usage.baseline_std,
        "std_ratio_to_random": usage.std_ratio,
        "mean_share_of_norm2": usage.mean_share,
        "random_share": usage.random_share,
        "mean_logit_effect": usage.mean_logit_effect,
    })


def usage_category_frame(usage: DirectionUsage, directions: Sequence[int] | None = None) -> pd.DataFrame:
    """Long table over (category of the predicted token, direction): mean |w_i . h_t|, ratio, steps."""
    directions = list(range(1, usage.rank + 1)) if directions is None else list(directions)
    rows = []
    for c, name in enumerate(usage.categories):
        if usage.steps_by_category[c] == 0:
            continue
        for i in directions:
            value = float(usage.mean_abs_by_category[c, i - 1])
            rows.append({"category": name, "direction": i, "steps": int(usage.steps_by_category[c]),
                         "mean_abs_projection": value, "ratio_to_random": value / usage.baseline_mean_abs})
    return pd.DataFrame(rows, columns=["category", "direction", "steps", "mean_abs_projection",
                                       "ratio_to_random"])


def tunes_frame(tunes: Sequence[Tune]) -> pd.DataFrame:
    """One row per tune: number, length, whether it ended, whether it is well-formed and why not."""
    verdicts = [t.verdict for t in tunes]
    return pd.DataFrame({
        "tune": np.arange(1, len(tunes) + 1),
        "tokens": [len(t.tokens) for t in tunes],
        "meter": [t.tokens[0] if t.tokens else "" for t in tunes],
        "mode": [t.tokens[1] if len(t.tokens) > 1 else "" for t in tunes],
        "ended": [t.ended for t in tunes],
        "well_formed": [v.ok for v in verdicts],
        "reason": [v.reason for v in verdicts],
    })


def nll_frame(ks: Sequence[int], nll: np.ndarray) -> pd.DataFrame:
    """Mean NLL per token against the number of directions kept."""
    return pd.DataFrame({"k": np.asarray(ks, dtype=int), "nll_per_token": np.asarray(nll, dtype=float)})


def token_nll_frame(tokens: Sequence[str], curves: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Long table of per-token NLL along a tune (tokens then </s>) for several softmax layers."""
    steps = steps_frame(tokens)
    parts = []
    for name, values in curves.items():
        part = steps.copy()
        part["model"] = name
        part["nll"] = np.asarray(values, dtype=float)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def wellformed_frame(results: Mapping[Truncation, Sequence[Tune]], rank: int, along_k: bool = False) -> pd.DataFrame:
    """One row per softmax layer tried, in order: its k (``rank`` for all directions), label, tunes
    composed, ended, well-formed count and share; with ``along_k``, only the layers of the sweep over k
    (the top k directions, none removed), the points its chart draws."""
    rows = []
    for truncation, tunes in results.items():
        if along_k and not truncation.along_k:
            continue
        ok = int(sum(t.verdict.ok for t in tunes))
        ended = int(sum(t.ended for t in tunes))
        rows.append({"k": truncation.k_on_axis(rank), "softmax": truncation.describe(rank), "tunes": len(tunes),
                     "ended": ended, "well_formed": ok, "well_formed_share": ok / len(tunes) if tunes else 0.0})
    return pd.DataFrame(rows, columns=["k", "softmax", "tunes", "ended", "well_formed", "well_formed_share"])


def spectra_frame(svds: Mapping[str, SoftmaxSVD]) -> pd.DataFrame:
    """Long table of several models' singular values: model, direction, singular_value, energy."""
    parts = [pd.DataFrame({"model": name, "direction": np.arange(1, svd.rank + 1), "singular_value": svd.s,
                           "cumulative_energy": svd.energy}) for name, svd in svds.items()]
    return pd.concat(parts, ignore_index=True)


def angles_frame(curves: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Principal angles (degrees, smallest first) of one or more subspace pairs: pair, index, angle."""
    parts = [pd.DataFrame({"pair": name, "index": np.arange(1, len(a) + 1), "angle_degrees": a})
             for name, a in curves.items()]
    return pd.concat(parts, ignore_index=True)


def cosines_frame(cosines: np.ndarray) -> pd.DataFrame:
    """|cos(u_i of A, u_j of B)| as a long table: i, j, abs_cosine (both from 1)."""
    ka, kb = cosines.shape
    return pd.DataFrame({
        "i": np.repeat(np.arange(1, ka + 1), kb),
        "j": np.tile(np.arange(1, kb + 1), ka),
        "abs_cosine": np.asarray(cosines).reshape(-1),
    })


def matches_frame(matches: Sequence[Match], svd_a: SoftmaxSVD, svd_b: SoftmaxSVD) -> pd.DataFrame:
    """Each u_i of A, its best match u_j in B, their cosine (sign included) and the runner-up."""
    return pd.DataFrame({
        "i": [m.i for m in matches],
        "s_i (A)": [float(svd_a.s[m.i - 1]) for m in matches],
        "best j": [m.j for m in matches],
        "s_j (B)": [float(svd_b.s[m.j - 1]) for m in matches],
        "cosine": [m.cosine for m in matches],
        "abs_cosine": [abs(m.cosine) for m in matches],
        "runner_up_abs_cosine": [m.runner_up for m in matches],
    })


# --- Select and match ---

def unit_selection_frame(states: np.ndarray, selection) -> pd.DataFrame:
    """The units of a :class:`folkrnn.analysis.matching.Selection`: each one's mean and least h_t over the span."""
    a, b = selection.span
    chosen = np.asarray(states)[a:b, list(selection.units)]
    return pd.DataFrame({"unit": list(selection.units), "mean h_t": chosen.mean(axis=0), "least h_t": chosen.min(axis=0)})


def span_matches_frame(tunes: Sequence[Sequence[str]], matches, context: int = 6) -> pd.DataFrame:
    """The spans found (:class:`folkrnn.analysis.matching.Match`, best first), each as its tokens with a few
    on either side: rank, tune, start, end, score, shared, extra, before, span, after."""
    return pd.DataFrame([{
        "rank": r, "tune": m.tune, "start": m.start, "end": m.end, "score": m.score, "shared": m.shared,
        "extra": m.extra, "before": " ".join(tunes[m.tune][max(0, m.start - context):m.start]),
        "span": " ".join(tunes[m.tune][m.start:m.end]), "after": " ".join(tunes[m.tune][m.end:m.end + context]),
    } for r, m in enumerate(matches, start=1)], columns=["rank", "tune", "start", "end", "score", "shared", "extra",
                                                           "before", "span", "after"])
