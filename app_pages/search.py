"""Search vs sampling (Sturm, parts 11 and 12): a tune found by beam search next to sampled and greedy ones."""

import numpy as np
import streamlit as st

from explorer.abcjs import engraved, render_abc
from explorer.charts import missed_mass_chart
from explorer.compute import SEARCH_SECONDS, composed, searched, token_probabilities
from explorer.controls import sampling_controls, seed_tokens
from explorer.display import chart_with_csv, tune_downloads
from explorer.frames import missed_mass_frame
from explorer.on_demand import stop_until_asked, submit_button
from explorer.session import current_model
from folkrnn.compose.interventions import Intervention
from folkrnn.compose.provenance import Provenance, SearchProvenance
from folkrnn.compose.sampling import CHUNK, SamplingSettings

SEARCH = "Search"
weights = current_model()
st.title("Search vs sampling")
st.markdown(
    "Instead of drawing one token at a time, search for a likely tune: grow it a block of tokens at a "
    "time, exploring at each depth only the likeliest tokens (a fraction of the vocabulary) and dropping "
    "continuations whose joint probability falls below a floor. The search never looks at the rest of the "
    "distribution: part 12's figure is how much probability that is, step by step."
)
with st.form("search", border=False):
    prefix = seed_tokens(weights.vocabulary, columns=st.columns(2))
    cols = st.columns(5)
    with cols[0]:
        block = int(st.number_input("Block (tokens)", 1, 4, 2, key="block", bind="query-params"))
    with cols[1]:
        keep = float(st.select_slider("Vocabulary kept per depth", [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0], 0.05,
                                      key="keep", bind="query-params",
                                      help="The likeliest tokens making up this share"))
    with cols[2]:
        floor = float(st.select_slider("Joint-probability floor", [0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2], 1e-4,
                                       key="floor", bind="query-params"))
    with cols[3]:
        max_length = int(st.number_input("Longest tune", 20, 400, 200, step=10, key="length", bind="query-params"))
    with cols[4]:
        max_candidates = int(st.number_input(
            "Candidates per depth", 16, 1024, 256, key="candidates", bind="query-params",
            help="The likeliest continuations kept at each depth: bounds time and memory"))
    T, seed = sampling_controls(columns=st.columns(2))
    pressed = submit_button(SEARCH)

settings = (weights.content_hash, tuple(prefix), block, keep, floor, max_length, max_candidates, T, seed)
stop_until_asked("search", settings, pressed, SEARCH,
                 f"search for a tune of at most {max_length} tokens (at most {SEARCH_SECONDS:.0f} s), "
                 "next to a greedy and a sampled one")
found = searched(weights, prefix, block, keep, floor, max_length, max_candidates)
greedy = searched(weights, prefix, 1, 1.0, 0.0, max_length, max_candidates)
drawn = SamplingSettings(1, prefix, T, seed, max_length)
sampled = composed(weights, drawn)[0]
tunes = {  # each with what its files say of how it was made
    "sampled": (sampled.tokens, Provenance.of(weights, drawn, 1, CHUNK)),
    "greedy": ([*prefix, *greedy.tokens], SearchProvenance.of(
        weights, prefix, 1, 1.0, 0.0, max_length, max_candidates, SEARCH_SECONDS if greedy.out_of_time else None)),
    "beam search": ([*prefix, *found.tokens], SearchProvenance.of(
        weights, prefix, block, keep, floor, max_length, max_candidates, SEARCH_SECONDS if found.out_of_time else None)),
}
columns = st.columns(3)
for column, (name, (tokens, origin)) in zip(columns, tunes.items()):
    p = token_probabilities(weights, Intervention(), tokens)
    with column:
        st.metric(f"{name}: NLL per token", f"{-np.log(p).mean():.3f}", help="Nats per token, </s> included")
        render_abc(engraved(origin.abc(tokens)), height=360, key=f"abc-{name.split()[0]}")
        tune_downloads([tokens], [origin], f"download-{name.split()[0]}", columns=st.columns(2))
if found.out_of_time:
    st.warning(f"The search stopped after {SEARCH_SECONDS:.0f} s, at {len(found.tokens)} tokens: keep fewer "
               "candidates or a smaller share of the vocabulary, or raise the floor.", icon=":material/timer:")
st.caption(f"The search scored {found.candidates:,} continuations" + ("" if found.ended or found.out_of_time else
           f" and stopped at {max_length} tokens without </s>") + ".")
missed = missed_mass_frame(found.tokens, found.missed_mass)
chart_with_csv("missed_mass", missed, missed_mass_chart, missed)
