"""Fewer directions: the softmax layer cut down to its top k singular directions, or without some."""

import numpy as np
import pandas as pd
import streamlit as st

from explorer.abcjs import engraved, render_abc
from explorer.charts import nll_chart, removal_chart, token_nll_chart, wellformed_chart
from explorer.compute import activations, composed_sweep, nll_curves
from explorer.controls import composing_controls, offered, parse_tokens, ranged, typed_tune
from explorer.display import chart_with_csv, tune_downloads
from explorer.frames import nll_frame, token_nll_frame, tunes_frame, wellformed_frame
from explorer.on_demand import stop_until_asked, submit_button
from explorer.session import current_model
from folkrnn import softmax_svd
from folkrnn.analysis.truncation import Truncation, targets_of, token_nll, truncation_sweep
from folkrnn.compose.provenance import provenances
from folkrnn.compose.sampling import CHUNK
from folkrnn.examples import PART5_TUNE

COMPOSE = "Compose with each"
weights = current_model()
decomposition = softmax_svd(weights)
rank = decomposition.rank
st.title("Fewer directions")
st.markdown(
    "Keep only the top $k$ directions, $V_k = \\sum_{i \\le k} s_i u_i w_i^\\top$, or remove chosen ones "
    "($V - s_i u_i w_i^\\top$), keeping the bias $v$ and the LSTM as they are. How much worse does the "
    "model predict a tune, and can it still compose? Sturm reported that v2 cut down to a "
    "30-dimensional softmax subspace still composes."
)

cols = st.columns([1, 3])
with cols[0]:
    how = st.radio("Softmax layer", ["Top k", "Remove"], key="how", bind="query-params",
                   captions=["keep directions 1..k", "drop chosen directions"])
with cols[1]:
    if how == "Top k":
        softmax = Truncation(ranged(st.slider, "Directions kept k", 1, rank, 30, key="k"))
    else:
        softmax = Truncation(remove=offered(st.multiselect, "Directions removed", list(range(1, rank + 1)), default=[1],
                                            key="remove"))
keep = softmax.keep(rank)
label = softmax.describe(rank)
energy = float((decomposition.s[keep] ** 2).sum() / (decomposition.s**2).sum())
st.caption(f"Softmax layer: **{label}**, holding {energy:.1%} of Σ s_i² (the Frobenius energy of V).")

# ---------------------------------------------------------------------------------------------
st.header("Predicting a tune", divider="gray")
source = st.radio("Tune", ["Part 5 tune", "Type"], key="tune", bind="query-params", horizontal=True,
                  captions=["the tune of part 5 of the blog", "type or paste v2 tokens"])
if source == "Type":
    tokens = typed_tune(weights.vocabulary)
else:
    tokens = list(PART5_TUNE)
    if not all(t in weights.vocabulary for t in tokens):
        tokens = parse_tokens(weights.vocabulary, " ".join(PART5_TUNE))  # another vocabulary: say what is missing

if tokens:
    hidden, _ = activations(weights, tokens)
    targets = targets_of(weights.vocabulary, tokens)
    ks = np.arange(1, rank + 1)
    shown = np.arange(1, min(rank, 30) + 1)
    curve, removed_nll = nll_curves(weights, tokens, shown)
    full = float(curve[-1])
    chosen = token_nll(hidden, decomposition, targets, keep)
    m = st.columns(3)
    m[0].metric("NLL per token, full model", f"{full:.4f}", help=f"{len(targets)} targets: the tokens and </s>")
    m[1].metric(f"NLL per token, {label}", f"{chosen.mean():.4f}", delta=f"{chosen.mean() - full:+.4f}",
                delta_color="inverse")
    m[2].metric("p(tune): truncated ÷ full", f"× {np.exp(full * len(targets) - chosen.sum()):.3g}",
                help="p(tune | truncated) / p(tune | full model)")
    frame = nll_frame(ks, curve)
    chart_with_csv("nll_by_k", frame, nll_chart, frame, full, softmax.k)
    removal = pd.DataFrame({"direction": shown, "nll_per_token": removed_nll})
    removal["increase"] = removal["nll_per_token"] - full
    chart_with_csv("nll_one_direction_removed", removal, removal_chart, removal, full)
    per_token = token_nll_frame(tokens, {"full model": token_nll(hidden, decomposition, targets), label: chosen})
    chart_with_csv("nll_per_token_along_tune", per_token, token_nll_chart, per_token)
    st.caption("The LSTM is untouched, so h_t is the same for every softmax layer: these curves come from "
               "one run of the network over the tune.")

# ---------------------------------------------------------------------------------------------
st.header("Composing", divider="gray")
st.markdown("Each softmax layer composes its own tunes (every sampled token feeds back into the LSTM). "
            "The same seed gives each layer the same random numbers.")
with st.form("sweep", border=False):
    settings = composing_controls(weights.vocabulary, "Tunes per layer", 50, 10, 300)
    default_ks = sorted({min(x, rank) for x in (5, 10, 30, rank)})
    sweep = offered(st.multiselect, "Values of k to compare", list(range(1, rank + 1)), default=default_ks, key="ks",
                    help="Each adds n composed tunes (cached once composed).")
    pressed = submit_button(COMPOSE)
truncations = truncation_sweep(sweep, softmax)
stop_until_asked("sweep", (weights.content_hash, settings, tuple(truncations)), pressed, COMPOSE,
                 f"compose {settings.n} tunes with each of {len(truncations)} softmax layers "
                 f"({', '.join(t.describe(rank) for t in truncations)})")
results = composed_sweep(weights, truncations, settings)
table = wellformed_frame(results, rank)
along_k = wellformed_frame(results, rank, along_k=True)
if len(along_k):
    chart_with_csv("wellformed_by_k", table, wellformed_chart, along_k)
st.dataframe(table, hide_index=True, key="wellformed-table",
             column_config={"well_formed_share": st.column_config.ProgressColumn(
                 "well-formed share", format="percent", min_value=0.0, max_value=1.0)})

st.subheader(f"Tunes composed with {label}")
tunes = results[softmax]
st.dataframe(tunes_frame(tunes), hide_index=True, key="truncated-tunes",
             column_config={"well_formed": st.column_config.CheckboxColumn("well-formed")})
origins = provenances(weights, settings, CHUNK, change=f"V cut to its {label}")
tune_downloads([tune.tokens for tune in tunes], origins, "download-truncated", "These tunes",
               f"folkrnn_seed{settings.seed}_tunes_truncated", st.columns([1, 1, 2])[:2])
pick = int(ranged(st.number_input, "Show tune", 1, len(tunes), 1, key="show"))
tune = tunes[pick - 1]
render_abc(engraved(origins[pick - 1].abc(tune.tokens)), height="content", key="truncated-abc")
st.code(" ".join(tune.tokens), language=None, wrap_lines=True)
