"""Is it copying? (Sturm, part 5): a tune against a reference corpus, and composed tunes against it."""

import streamlit as st

from explorer.abcjs import render_abc
from explorer.charts import populations_chart
from explorer.compute import composed
from explorer.controls import longest_tune, reference_corpus, tune_to_read
from explorer.display import chart_with_csv, csv_download
from explorer.frames import matches_table, populations_frame
from explorer.session import current_model
from folkrnn.analysis.copying import population
from folkrnn.compose.sampling import SamplingSettings
from folkrnn.music.abc import to_abc

weights = current_model()
st.title("Is it copying?")
st.markdown(
    "Does the network write tunes it has seen? For a composed or typed tune, the tunes of a reference "
    "corpus sharing most of its runs of $n$ tokens (the meter and mode left out), the longest run each "
    "shares with it, and their edit distance over tokens (0: the same tune, 1: nothing in common)."
)
reference = reference_corpus(weights)
if reference is None:
    st.stop()
tokens = tune_to_read(weights, default="Compose")
cols = st.columns(2)
with cols[0]:
    n = int(st.number_input("n (tokens per n-gram)", 2, 16, 6, key="ngram", bind="query-params"))
with cols[1]:
    k = int(st.number_input("Nearest tunes", 1, 20, 5, key="k", bind="query-params"))
try:
    matches = reference.nearest(tokens, n, k)
except ValueError as exc:
    st.warning(f"{exc}.")
    st.stop()
if not matches:
    st.success(f"No tune of the {len(reference.tunes):,} in the reference shares a run of {n} tokens with this one.")
else:
    table = matches_table(matches)
    best = matches[0]
    m = st.columns(3)
    m[0].metric("Shared n-grams, nearest tune", f"{best.shared:.0%}")
    m[1].metric("Longest shared run", f"{best.longest_run} tokens")
    m[2].metric("Edit distance", f"{best.edit_distance:.2f}", help="Levenshtein over tokens / the longer length")
    st.dataframe(table, hide_index=True, key="matches-table", column_config={
        "shared n-grams": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        "edit distance": st.column_config.NumberColumn(format="%.3f")})
    csv_download("nearest_tunes", table)
    left, right = st.columns(2)
    with left:
        st.caption("The tune")
        render_abc(to_abc(tokens), height=300, key="abc-tune")
    with right:
        st.caption(f"Reference tune {best.index}, the nearest")
        render_abc(to_abc(best.tokens), height=300, key="abc-nearest")

st.subheader("Composed tunes against the reference")
cols = st.columns(2)
with cols[0]:
    count = int(st.number_input("Tunes to compose", 5, 200, 20, step=5, key="population_n", bind="query-params"))
with cols[1]:
    max_length = longest_tune("population_length")
tunes = composed(weights, SamplingSettings(count, (), 1.0, 0, max_length))
stats = {"composed": population([t.tokens for t in tunes]), "reference": population(reference.tunes)}
m = st.columns(2)
for col, (name, s) in zip(m, stats.items()):
    col.metric(f"Mean length, {name}", f"{s['lengths'].mean():.0f} tokens", delta=f"{s['bars'].mean():.1f} bar lines",
               delta_color="off")
frame = populations_frame(stats, shares=True)
chart_with_csv("populations", frame, populations_chart, frame, "share")
