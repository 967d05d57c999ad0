"""Select and match (LSTMVis's workflow): the units on over a span of a tune, then where else they are on."""

import math

import streamlit as st

from explorer.abcjs import render_abc
from explorer.charts import span_heatmap
from explorer.compute import SEARCH_SECONDS, composed, lstm_internals, matched
from explorer.controls import longest_tune, offered, ranged, reference_corpus, tune_to_read
from explorer.display import brushed_chart, csv_download
from explorer.frames import span_matches_frame, step_matrix_frame, unit_selection_frame
from explorer.on_demand import Progress, stop_until_asked, submit_button
from explorer.session import current_model
from folkrnn.analysis.internals import unit_peaks
from folkrnn.analysis.matching import THRESHOLD, Selection, select_units
from folkrnn.compose.sampling import SamplingSettings
from folkrnn.music.abc import abc_with_span

HEATMAP_UNITS = 64  # the units drawn: those with the largest |h_t| over the tune, and every selected one
CORPORA = ["Tunes composed now", "Reference corpus"]

weights = current_model()
st.title("Select and match")
st.markdown(
    "LSTMVis's question (Strobelt et al., 2017): which units of a layer are **on** ($h_t \\ge$ a threshold) "
    "over a span of a tune, and where else are the same units on? Drag along the heatmap to select a span; "
    "the units on at every step of it are listed; then search other tunes for the runs where they are on, "
    "ranked by the selected units on minus the other units on."
)
tokens = tune_to_read(weights)
inside = lstm_internals(weights, tokens)
n_layers = len(inside.layers)


def _brushed() -> None:
    """The brushed steps [lo, hi] (h_t after reading token t − 1) as the token span, into the span inputs."""
    steps = st.session_state["span_chart"].selection.get("span", {}).get("step")
    if steps:
        first = max(1, math.floor(steps[0]))
        st.session_state["start"] = min(first - 1, max(0, len(tokens) - 2))
        st.session_state["end"] = max(min(math.ceil(steps[1]) - 1, len(tokens)), st.session_state["start"] + 1)


cols = st.columns(4)
with cols[0]:
    layer = int(offered(st.selectbox, "Layer", range(1, n_layers + 1), index=n_layers - 1, key="layer"))
with cols[1]:
    threshold = float(st.slider("Threshold", 0.0, 0.95, THRESHOLD, step=0.05, key="threshold", bind="query-params",
                                help="A unit is on at a step when its h_t is at least this (LSTMVis's default 0.3)."))
with cols[2]:
    start = int(ranged(st.number_input, "Span from token", 0, max(0, len(tokens) - 2), 12, key="start",
                       help="The span's first token, from 0; or drag along the heatmap. (The last token can be "
                            "a span's only one with the span from the one before it.)"))
with cols[3]:
    end = int(ranged(st.number_input, "to token (not included)", start + 1, len(tokens), start + 1, key="end"))
off_around = int(st.slider("Off around the span (tokens)", 0, 4, 0, key="off", bind="query-params",
                           help="Keep only units that are also off over this many tokens on either side."))

states = inside.layers[layer - 1].h[1:]  # row i: h_t after reading token i
units = tuple(int(u) for u in select_units(states, (start, end), threshold, off_around))
selection = Selection(layer, (start, end), threshold, off_around, units)
drawn = sorted(set(int(u) for u in unit_peaks(inside.layers[layer - 1].h)[0][:HEATMAP_UNITS]) | set(units))
heat = step_matrix_frame(tokens, inside.layers[layer - 1].h, drawn, "unit", offset=0)
brushed_chart(span_heatmap, heat, drawn, (start, end), key="span_chart", on_select=_brushed)
st.caption(f"Span: tokens {start}–{end - 1}, `{' '.join(tokens[start:end])}`")

if not units:
    st.info(f"No unit of layer {layer} is on (h_t ≥ {threshold:g}) at every step of this span"
            + (" and off around it" if off_around else "") + ". Try a shorter span or a lower threshold.",
            icon=":material/info:")
    st.stop()
st.subheader(f"{len(units)} units on over the span")
table = unit_selection_frame(states, selection)
st.dataframe(table, hide_index=True, key="units-table", column_config={
    "mean h_t": st.column_config.NumberColumn(format="%.3f"), "least h_t": st.column_config.NumberColumn(format="%.3f")})
if not set(st.session_state.get("keep", units)) & set(units):  # another span's units, or none: all of these
    del st.session_state["keep"]
kept = offered(st.multiselect, "Units to match", list(units), key="keep", default=list(units),
               help="Untick units to widen the search: a span with dozens of units on matches little but itself.")
selection = selection.keeping(kept)

st.subheader("Where else they are on")
with st.form("match"):
    cols = st.columns(4)
    with cols[0]:
        source = st.radio("Search in", CORPORA, key="corpus", bind="query-params",
                          captions=["sampled with the seed below", "the .txt you upload below"])
    with cols[1]:
        n = int(st.number_input("Tunes to compose", 1, 200, 20, key="corpus_n", bind="query-params"))
        seed = int(st.number_input("Seed", 0, 2**31 - 1, key="corpus_seed", bind="query-params"))
    with cols[2]:
        length = longest_tune("corpus_length", 300)
    with cols[3]:
        min_on = int(ranged(st.number_input, "Selected units on, at least", 1, len(selection.units),
                            math.ceil(len(selection.units) / 2), key="min_on",
                            help="Half of them by default: all of a dozen units on at once is rare outside the "
                                 "span itself (on the part-5 tune's bar line at token 12, layer 3: no run in 20 "
                                 "composed tunes with all 16 on, 36 with half, most of them bar lines)."))
    pressed = submit_button("Search")
reference = reference_corpus(weights) if source == CORPORA[1] else None
if source == CORPORA[1] and reference is None:
    st.stop()
settings = SamplingSettings(n, (), 1.0, seed, length)
key = (("reference", st.session_state["reference"].file_id) if reference is not None  # the upload's id
       else ("composed", settings))
stop_until_asked("match", (weights.content_hash, selection, min_on, key), pressed, "Search",
                 "search for the spans where these units are on")
corpus = reference.tunes if reference is not None else [tune.tokens for tune in composed(weights, settings)]
progress = Progress("Searching", len(corpus), "tunes")
found = matched(weights, key, selection, min_on, corpus=corpus, progress=progress.update)
progress.close()
if found.out_of_time:
    st.warning(f"Stopped after {SEARCH_SECONDS:.0f} s: searched {found.tunes_searched:,} of {len(corpus):,} tunes.",
               icon=":material/timer:")
if not found.matches:
    st.info(f"No run of {len(corpus):,} tunes has these units on.", icon=":material/search_off:")
    st.stop()
frame = span_matches_frame(corpus, found.matches)
st.dataframe(frame, hide_index=True, key="matches-table",
             column_config={"span": st.column_config.TextColumn(help="the run of tokens where the units are on")})
csv_download("matched_spans", frame)
for row in frame.head(3).itertuples():
    with st.container(border=True, key=f"match-{row.rank}"):
        st.markdown(f"**{row.rank}.** tune {row.tune}, tokens {row.start}–{row.end - 1}: "
                    f"{row.before} **{row.span}** {row.after}")
        abc, span = abc_with_span(corpus[row.tune], row.start, row.end, index=row.rank)
        render_abc(abc, height=260, key=f"match-abc-{row.rank}", mark=span)
