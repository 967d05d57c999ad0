"""Compare models: two softmax layers side by side, their spectra and their singular subspaces."""

import streamlit as st

from explorer.charts import angles_chart, cosine_heatmap, spectra_chart
from explorer.controls import ranged
from explorer.display import chart_with_csv
from explorer.frames import angles_frame, cosines_frame, matches_frame, spectra_frame
from explorer.session import current_model, pick_model
from folkrnn import softmax_svd
from folkrnn.analysis.comparison import compare_softmax, shared_token_rows

weights_a = current_model()
st.title("Compare models")
st.markdown(
    "Model **A** is the one chosen in the sidebar; choose model **B** here. Left singular vectors live "
    "over the tokens, so they are compared over the tokens both vocabularies hold, matched by text. "
    "Principal angles say how far apart the spans of $u_1..u_k$ are (0° = the same direction); "
    "a singular vector's sign is arbitrary, so single vectors are compared by $|\\cos|$."
)

weights_b = pick_model("Model B", "other", "Compare needs a model B.", horizontal=True)
if weights_b is None:
    st.stop()
svd_a, svd_b = softmax_svd(weights_a), softmax_svd(weights_b)
name_a, name_b = f"A: {weights_a.name}", f"B: {weights_b.name}"
cols = st.columns(2)
cols[0].markdown(f"**A** · {weights_a.name}  \n{len(weights_a.vocabulary)} tokens · {weights_a.num_layers} × "
                 f"{weights_a.hidden_size} LSTM · s₁ = {svd_a.s[0]:.2f}")
cols[1].markdown(f"**B** · {weights_b.name}  \n{len(weights_b.vocabulary)} tokens · {weights_b.num_layers} × "
                 f"{weights_b.hidden_size} LSTM · s₁ = {svd_b.s[0]:.2f}")
if weights_a.softmax_hash == weights_b.softmax_hash:
    st.info("A and B have the same softmax layer: every angle is 0°.", icon=":material/info:")

st.subheader("Spectra")
log_scale = st.toggle("Log scale", key="log", bind="query-params")
spectra = spectra_frame({name_a: svd_a, name_b: svd_b})
chart_with_csv("spectra", spectra, spectra_chart, spectra, log_scale)

st.subheader("Left singular subspaces")
shared = len(shared_token_rows(weights_a.vocabulary, weights_b.vocabulary)[0])
if not shared:
    st.error("The two models share no token: their left singular vectors cannot be compared.")
    st.stop()
only_a = len(weights_a.vocabulary) - shared
only_b = len(weights_b.vocabulary) - shared
st.caption(f"{shared} shared tokens; {only_a} only in A, {only_b} only in B.")
limit = min(svd_a.rank, svd_b.rank, shared)
k = int(ranged(st.slider, "Top k directions of each model", 1, limit, 20, key="k"))
result = compare_softmax(svd_a, svd_b, k)
angles = angles_frame({"A vs B": result.angles, "A vs a random subspace": result.random_angles})
m = st.columns(3)
m[0].metric("Smallest angle", f"{result.angles[0]:.2f}°")
m[1].metric("Median angle", f"{result.median_angle:.2f}°",
            delta=f"random: {result.random_median_angle:.1f}°", delta_color="off")
m[2].metric("Angles under 10°", f"{result.angles_under(10)} of {k}")
chart_with_csv("principal_angles", angles, angles_chart, angles)
cos = cosines_frame(result.cosines)
chart_with_csv("abs_cosines", cos, cosine_heatmap, cos)
st.markdown("**Best match in B for each u_i of A**")
st.dataframe(matches_frame(result.matches, svd_a, svd_b), hide_index=True, key="matches",
             column_config={"abs_cosine": st.column_config.ProgressColumn(
                 "|cos|", format="%.3f", min_value=0.0, max_value=1.0),
                 "cosine": st.column_config.NumberColumn(format="%+.3f"),
                 "runner_up_abs_cosine": st.column_config.NumberColumn("runner-up |cos|", format="%.3f")})
