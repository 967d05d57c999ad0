"""Singular value spectrum of V: s_1..s_r, linear or log, and the cumulative energy."""

import streamlit as st

from explorer.charts import energy_chart, spectrum_chart, spectrum_history_chart
from explorer.display import chart_with_csv, original_comparison_table, show_chart
from explorer.frames import spectrum_frame, spectrum_history_frame
from explorer.session import current_model
from folkrnn import softmax_svd

weights = current_model()
decomposition = softmax_svd(weights)
s = decomposition.s
st.title("Singular value spectrum")
st.markdown("How far each direction $w_i$ of $h_t$ can move the logits: a unit change along $w_i$ "
            "adds $s_i u_i$ to $V h_t$.")
cols = st.columns(4)
for col, value, name in zip(cols, s[:3], "₁₂₃"):  # a model may have fewer than three directions
    col.metric(f"s{name}", f"{value:.2f}")
if len(s) > 1:
    cols[3].metric("s₁ / s₂", f"{s[0] / s[1]:.2f}",
                   help="The original v2 has s₁ ≈ 509 and s₂ = 65.76: a ratio of about 7.7.")
st.markdown("**Next to the original.** The original v2's figures as Sturm published them, beside this "
            "model's own:")
original_comparison_table(decomposition)
log_scale = st.toggle("Log scale", key="log", bind="query-params")
frame = spectrum_frame(decomposition)
chart_with_csv("singular_values", frame, spectrum_chart, frame, log_scale)
k = int((decomposition.energy < 0.9).sum()) + 1
st.markdown(f"The top **{k}** of {decomposition.rank} directions hold 90% of $\\sum_i s_i^2$ "
            "(the download above holds the cumulative energy too).")
show_chart(energy_chart, frame)

history = weights.metadata.get("training", {}).get("spectrum_history")
st.subheader("While it trained")
if history:
    st.markdown("s₁, s₂ and s₃ at the end of each training epoch, and below, s₁/s₂ against the "
                "original's (dashed); hover for what pushing along ∓u₁ made likeliest then.")
    history_frame = spectrum_history_frame(history)
    chart_with_csv("spectrum_history", history_frame, spectrum_history_chart, history_frame)
else:
    st.caption("This model's file holds no per-epoch spectrum: the embedded replica was trained before "
               "training logged one, and folk-rnn's own pickles never had it. Choose **Faithful** in the "
               "sidebar for a model that has one; models trained with `python -m folkrnn train` record it "
               "in their checkpoint.")
