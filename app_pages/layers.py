"""Layers over a tune (Sturm, parts 7 and 9): every LSTM layer's gates, cell and output, step by step."""

import streamlit as st

from explorer.abcjs import render_abc
from explorer.charts import (
    SIGNAL_TITLES,
    activation_heatmap,
    activation_histogram_chart,
    unit_peaks_chart,
    unit_trace_chart,
)
from explorer.compute import layer_tables, lstm_internals
from explorer.controls import offered, ranged, tune_to_read
from explorer.display import chart_with_csv
from explorer.frames import step_matrix_frame
from explorer.session import current_model
from folkrnn.analysis.internals import SIGNALS, sparsity, unit_peaks
from folkrnn.music.abc import to_abc

HEATMAP_CELLS = 80_000  # units × steps in the heatmap: all 512 units of the part-5 tune's 147 steps

weights = current_model()
st.title("Layers over a tune")
st.markdown(
    "What each LSTM layer does while it reads a tune: the gates $i_t, f_t, o_t$ (in [0, 1]), the cell "
    "input $g_t$, the cell state $c_t = f_t c_{t-1} + i_t g_t$ and the output $h_t = o_t \\tanh c_t$, "
    "for every unit. Dashed lines mark the steps that predict a bar line."
)
tokens = tune_to_read(weights)
inside = lstm_internals(weights, tokens)
n_layers, H = len(inside.layers), weights.hidden_size

cols = st.columns(3)
with cols[0]:
    layer = int(offered(st.selectbox, "Layer", range(1, n_layers + 1), index=n_layers - 1, key="layer"))
with cols[1]:
    signal = st.selectbox("Signal", SIGNALS, index=SIGNALS.index("h"), key="signal", bind="query-params",
                          help=" · ".join(f"{k}: {title}" for k, title in SIGNAL_TITLES.items()))
with cols[2]:
    most = min(H, HEATMAP_CELLS // (len(tokens) + 1) // 8 * 8)  # at least 72: tunes have at most 1000 tokens
    shown = H if H <= 8 else int(ranged(
        st.slider, "Units shown", 8, most, 64, step=8, key="units",
        help="The units whose largest |value| over the tune is highest, in that order."))
values = inside.layers[layer - 1].signal(signal)
order, _ = unit_peaks(values)
units = [int(u) for u in order[:shown]]
heat, histogram, peaks = layer_tables(weights, tokens, layer, signal, units, inside=inside)
tune_key = (weights.content_hash, tuple(tokens))
chart_with_csv(f"layer{layer}_{signal}", heat, activation_heatmap, heat, signal, units,
               key=(*tune_key, layer, signal, tuple(units)))

st.subheader("Sparsity and peaks, layer by layer")
by_layer = [layer_.signal(signal) for layer_ in inside.layers]
m = st.columns(n_layers)
for n, v in enumerate(by_layer):
    m[n].metric(f"Layer {n + 1}: |{signal}| < 0.1", f"{sparsity(v):.1%}",
                help=f"Share of all {v.size:,} values (steps × units) of {SIGNAL_TITLES[signal]} below 0.1 in size")
left, right = st.columns(2)
with left:
    chart_with_csv(f"{signal}_histograms", histogram, activation_histogram_chart, histogram, signal,
                   key=(*tune_key, signal))
with right:
    chart_with_csv(f"{signal}_unit_peaks", peaks, unit_peaks_chart, peaks, signal, key=(*tune_key, signal))

st.subheader("One unit next to the tune")
unit = int(ranged(st.number_input, "Unit", 0, H - 1, units[0], key="unit",
                  help=f"0 … {H - 1}; the default is the unit with the largest |value| in the heatmap."))
trace = step_matrix_frame(tokens, values, [unit], "unit", offset=0)
left, right = st.columns([3, 2])
with left:
    chart_with_csv(f"layer{layer}_{signal}_unit{unit}", trace, unit_trace_chart, trace, signal)
with right:
    render_abc(to_abc(tokens), height=360, key="layers-abc")
