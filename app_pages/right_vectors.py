"""Right singular vectors w_i over the hidden units, and their cumulative histograms."""

import streamlit as st

from explorer.charts import cumulative_histogram_chart, right_vectors_chart
from explorer.controls import offered
from explorer.display import chart_with_csv, show_chart
from explorer.frames import right_vectors_frame
from explorer.session import current_model
from folkrnn import softmax_svd

decomposition = softmax_svd(current_model())
st.title("Right singular vectors $w_i$")
st.markdown("Each $w_i$ is a unit vector in the space of $h_t$; $h_t = w_i$ would add $s_i u_i$ to the "
            "logits. LSTM outputs lie in $[-1, 1]$, so how $w_i$'s mass is spread says how easily "
            "the network can point $h_t$ along it.")
options = list(range(1, decomposition.rank + 1))
directions = offered(st.multiselect, "Directions i", options, default=[1, 2, 3], key="w", max_selections=8)
sort_values = st.toggle("Sort each vector's entries", key="sorted", bind="query-params")
if not directions:
    st.info("Choose at least one direction.")
    st.stop()
frame = right_vectors_frame(decomposition, directions)
chart_with_csv("right_singular_vectors", frame, right_vectors_chart, frame, sort_values)
show_chart(cumulative_histogram_chart, frame)
