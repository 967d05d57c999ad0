"""Perturbed distributions: softmax((v + a s_i u_i [+ b s_j u_j]) / T) next to softmax(v / T)."""

import streamlit as st

from explorer.charts import distributions_chart
from explorer.controls import direction_input
from explorer.display import chart_with_csv
from explorer.frames import distributions_frame, top_tokens
from explorer.session import current_model
from folkrnn import softmax_svd
from folkrnn.analysis.perturbation import bias_distribution, entropy, perturbed_distribution

weights = current_model()
decomposition = softmax_svd(weights)
st.title("Perturbed distributions")
st.markdown("With $h_t = a\\,w_i$ the network would output $\\operatorname{softmax}(v + a\\,s_i u_i)$: "
            "push the bias along a direction and see which tokens it makes likely.")


def set_scale(value: float) -> None:
    st.session_state["a"] = value


cols = st.columns([1, 2, 1])
with cols[0]:
    i = direction_input("Direction i", decomposition.rank, key="i")
with cols[1]:
    a = st.slider("Scale a (in units of s_i)", -3.0, 3.0, 1.0, step=0.05, key="a", bind="query-params")
    quick = st.columns(3)
    quick[0].button("a = −1", on_click=set_scale, args=(-1.0,), width="stretch")
    quick[1].button("a = 0", on_click=set_scale, args=(0.0,), width="stretch")
    quick[2].button("a = +1", on_click=set_scale, args=(1.0,), width="stretch")
with cols[2]:
    T = st.slider("Temperature T", 0.1, 3.0, 1.0, step=0.05, key="T", bind="query-params")
scales = {i: a}
if st.toggle("Add a second direction", key="second", bind="query-params"):
    cols = st.columns([1, 2, 1])
    with cols[0]:
        j = direction_input("Direction j", decomposition.rank, key="j", default=2)
    with cols[1]:
        b = st.slider("Scale b (in units of s_j)", -3.0, 3.0, 0.0, step=0.05, key="b", bind="query-params")
    scales[j] = scales.get(j, 0.0) + b

p0 = bias_distribution(decomposition, T)
p1 = perturbed_distribution(decomposition, scales, T)
label = " ".join(f"{'+' if s >= 0 else '−'} {abs(s):g}·s{k}·u{k}" for k, s in scales.items())
names = {"softmax(v)": p0, f"softmax(v {label})": p1}
m = st.columns(3)
m[0].metric("Entropy of softmax(v)", f"{entropy(p0):.3f} nats")
m[1].metric("Entropy perturbed", f"{entropy(p1):.3f} nats", delta=f"{entropy(p1) - entropy(p0):+.3f}",
            delta_color="off")
top = top_tokens(weights.vocabulary, p1, 10)
m[2].metric("Most likely token", top.loc[0, "token"], delta=f"p = {top.loc[0, 'value']:.3f}", delta_color="off")
frame = distributions_frame(weights.vocabulary, names)
chart_with_csv("perturbed_distribution", frame, distributions_chart, frame, top=30)
st.caption("The 30 tokens most likely under either distribution; the CSV holds all tokens.")
st.markdown("**Top tokens after the perturbation**")
st.dataframe(top.rename(columns={"value": "probability"})[["token", "category", "probability"]],
             hide_index=True, column_config={"probability": st.column_config.ProgressColumn(
                 "probability", format="%.3f", min_value=0.0, max_value=1.0)})
