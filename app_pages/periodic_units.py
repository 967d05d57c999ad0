"""Periodic units (Sturm, part 6): the last layer's units that beat with the bars, and what the
network still counts without them."""

import streamlit as st

from explorer.charts import periodogram_chart, unit_power_chart
from explorer.compute import composed_pair, lstm_internals
from explorer.controls import longest_tune, ranged, sampling_controls, tune_to_read
from explorer.display import chart_with_csv, summary_metrics
from explorer.frames import periodogram_frame, unit_power_frame
from explorer.on_demand import stop_until_asked, submit_button
from explorer.session import current_model
from folkrnn.analysis.experiments import summary
from folkrnn.analysis.periodic import bar_period, periodic_units, periodogram, power_at_period
from folkrnn.compose.interventions import Intervention
from folkrnn.compose.sampling import SamplingSettings

COMPOSE = "Compose without them"
weights = current_model()
st.title("Periodic units")
st.markdown(
    "Some units of the last layer rise and fall with the bars. Over a tune, each unit's $h_t$ has a "
    "periodogram; its power at the tune's bar period (the median number of tokens between bar lines) "
    "ranks the units. Then zero the most periodic ones and compose again: does the network still count?"
)
tokens = tune_to_read(weights)
try:
    period = bar_period(tokens)
except ValueError as exc:
    st.warning(f"{exc}.")
    st.stop()
h = lstm_internals(weights, tokens).layers[-1].h
power = power_at_period(h, period)
st.metric("Bar period", f"{period:g} tokens", help="Median distance between consecutive bar-line tokens")
ranked = unit_power_frame(power)
chart_with_csv("unit_power", ranked, unit_power_chart, ranked, 30)
freqs, spectrum = periodogram(h)
curves = periodogram_frame(freqs, spectrum, [int(u) for u in ranked["unit"][:4]])
chart_with_csv("periodograms", curves, periodogram_chart, curves, period)

st.subheader("Without the most periodic units")
with st.form("without", border=False):
    cols = st.columns(5)
    with cols[0]:
        k = int(ranged(st.slider, "Units zeroed (the top k)", 1, min(200, weights.hidden_size), 20, key="k"))
    with cols[1]:
        n = int(st.number_input("Tunes", 1, 64, 8, key="n", bind="query-params"))
    T, seed = sampling_controls("compose_", columns=cols[2:4])  # keys of its own: choose_tune may lay out T, seed
    with cols[4]:
        max_length = longest_tune("compose_length")
    pressed = submit_button(COMPOSE)
top = tuple(sorted(int(u) for u in periodic_units(h, period, k)))
intervention, settings = Intervention(zero_units={weights.num_layers: top}), SamplingSettings(n, (), T, seed, max_length)
stop_until_asked("without", (weights.content_hash, intervention, settings), pressed, COMPOSE,
                 f"compose {n} tunes from the same seeds with and without the top {k} units")
without, under = composed_pair(weights, intervention, settings)
summary_metrics(summary(without), summary(under), ["mean_bar_errors", "well_formed_share", "mean_bars"])
st.caption(f"Zeroed units of layer {weights.num_layers}: {', '.join(map(str, top))}. The same {n} seeds, "
           f"composed with no seed tokens, at most {max_length} tokens.")
