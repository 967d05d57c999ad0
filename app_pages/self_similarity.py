"""Self-similarity (Sturm, parts 9 and 10): the Gramian of a signal over the steps of a tune."""

import streamlit as st

from explorer.charts import step_gramian_heatmap
from explorer.compute import lstm_internals, step_gramian_table
from explorer.controls import choose_tune, offered
from explorer.display import chart_with_csv
from explorer.frames import bar_line_steps
from explorer.session import current_model
from folkrnn.analysis.internals import SIGNALS
from folkrnn.analysis.similarity import KINDS, cosine_distances, share_of_pairs_above, step_signal

MAX_STEPS = 300  # the Gramian has a row per pair of steps: 90,000 at most (400 steps took 190 MB, 902 took 0.7 GB)

weights = current_model()
st.title("Self-similarity")
st.markdown(
    "Compare every step of a tune with every other: the Gramian $G_{st} = x_s \\cdot x_t$ (or the cosine) "
    "of the one-hot inputs, the output distributions $p_t$, or a layer's $h_t$, $c_t$ or gate. Repeated "
    "bars read the same tokens, so they show as diagonals parallel to the main one; grid lines mark the "
    "steps that read a bar line."
)
layer_signals = [f"layer {n} {s}" for n in range(1, weights.num_layers + 1) for s in SIGNALS]
choices = ["input", "output", *layer_signals]
cols = st.columns(3)
with cols[0]:
    choice = offered(st.selectbox, "Signal", choices, index=choices.index(f"layer {weights.num_layers} h"),
                     key="signal", help="input: the one-hot token read; output: p_t; layer n X: "
                     "that layer's h (output), c (cell) or gate i, f, o, g")
with cols[1]:
    kind = st.segmented_control("Gramian", KINDS, default="cosine", key="kind", bind="query-params",
                                help="cosine: each row scaled to unit length first; dot: raw dot products") or "cosine"
with cols[2]:
    threshold = st.slider("Distance threshold", 0.0, 2.0, 0.5, step=0.05, key="threshold", bind="query-params",
                          help="Part 10's statistic: the share of step pairs whose cosine distance 1 − cos "
                               "exceeds this")
signal, layer = (choice, None) if choice in ("input", "output") else (choice.split()[2], int(choice.split()[1]))
second = st.toggle("Compare with a second tune", key="second", bind="query-params")
columns = st.columns(2) if second else [st.container()]
for n, column in enumerate(columns):
    with column:
        st.subheader("First tune" if n == 0 else "Second tune")
        tokens = choose_tune(weights, default="Type" if n == 0 else "Compose", key_prefix="" if n == 0 else "b_")
        if not tokens:
            continue
        if len(tokens) > MAX_STEPS:
            st.warning(f"The Gramian pairs every two steps: the first {MAX_STEPS} tokens of these {len(tokens)} "
                       "are shown.", icon=":material/content_cut:")
            tokens = tokens[:MAX_STEPS]
        X = step_signal(lstm_internals(weights, tokens), signal, layer)
        share = share_of_pairs_above(cosine_distances(X), threshold)
        st.metric(f"Step pairs farther apart than {threshold:.2f}", f"{share:.1%}",
                  help="Share of the pairs of steps s < t with cosine distance above the threshold")
        frame = step_gramian_table(weights, tokens, signal, layer, kind)
        chart_with_csv(f"gramian_{'ab'[n]}", frame, step_gramian_heatmap, frame, bar_line_steps(tokens), kind,
                       f"{kind} Gramian of {choice}", key=(weights.content_hash, tuple(tokens), choice, kind))
