"""The input layer and the weights (Sturm, part 4): token embeddings, their SVD, every matrix's spectrum."""

import streamlit as st

from explorer.charts import spectrum_chart, stable_rank_chart, token_gramian_heatmap
from explorer.compute import input_layer_tables, spectra
from explorer.controls import offered
from explorer.display import chart_with_csv
from explorer.frames import singular_values_frame, weight_spectra_frame
from explorer.session import current_model
from folkrnn.weights import GATES

weights = current_model()
st.title("The input layer")
st.markdown(
    f"What do these {weights.parameter_count:,} parameters mean? The input is one-hot, so column $j$ of "
    "each first-layer input matrix $W_{x\\{i,f,c,o\\}}$ is exactly token $j$'s push on that gate: the "
    "token embeddings the network learnt. Tokens that push alike are treated alike."
)
choice = st.segmented_control("Gate", ["all four", *GATES], default="all four", key="gate", bind="query-params",
                              help="all four: the four gates' columns stacked (4 × H values per token)") or "all four"
gate = None if choice == "all four" else choice
frame, table = input_layer_tables(weights, gate)
chart_with_csv(f"token_cosines_{choice.replace(' ', '_')}", frame, token_gramian_heatmap, frame,
               f"Cosines between token embeddings ({choice}), tokens grouped by category",
               key=(weights.content_hash, choice))

shown_gate = gate or "input"
st.subheader(f"The SVD of the first layer's W_x ({shown_gate} gate)")
st.caption("Its right singular vectors live in token space: the tokens at either end of each are those it "
           "tells apart most." + ("" if gate else " Choose a gate above; with all four, the input gate is shown."))
st.dataframe(table, hide_index=True, key="right-vectors", column_config={
    "s": st.column_config.NumberColumn("s_i", format="%.2f"),
    "largest": st.column_config.TextColumn(help="tokens with the largest entries of the right singular vector"),
    "smallest": st.column_config.TextColumn(help="tokens with the smallest (most negative) entries")})

st.subheader("Every weight matrix")
all_spectra = spectra(weights)
summary = weight_spectra_frame(all_spectra)
chart_with_csv("stable_ranks", summary, stable_rank_chart, summary)
chosen = offered(st.selectbox, "Spectrum of", list(summary["matrix"]), index=0, key="matrix")
s = next(m.s for m in all_spectra if m.name == chosen)
curve = singular_values_frame(s)
chart_with_csv("matrix_spectrum", curve, spectrum_chart, curve, True, f"Singular values of {chosen}")
