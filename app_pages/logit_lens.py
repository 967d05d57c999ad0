"""Logit lens: each LSTM layer's h_t decoded through the softmax layer, step by step."""

import streamlit as st

from explorer.charts import LENS_MEASURES, lens_heatmap
from explorer.compute import lens
from explorer.controls import ranged, tune_to_read
from explorer.display import chart_with_csv
from explorer.frames import lens_frame, lens_top_frame
from explorer.session import current_model

weights = current_model()
st.title("Logit lens")
st.markdown(
    "Only the last layer's output $h_t^{(3)}$ is ever read by the softmax layer. Decoding the lower "
    "layers through the same $V$ and $v$, $\\operatorname{softmax}(V h_t^{(\\ell)} + v)$, shows how much of "
    "the next-token distribution is already there below the top. Per step: the KL divergence of each "
    "layer's decoding from the network's real output (0 for the last layer, which *is* the output), "
    "and its entropy."
)
tokens = tune_to_read(weights)
result = lens(weights, tokens)
frame = lens_frame(result)
layers = result.entropy.shape[0]
cols = st.columns(layers)
for n in range(layers):
    cols[n].metric(f"Layer {n + 1}: mean KL to the output", f"{result.kl_to_output[n].mean():.3f}",
                   help="Mean over the steps of KL(p_out ‖ p_layer), in nats")
st.caption("Mean entropy of each layer's decoding: " + ", ".join(
    f"layer {n + 1} {result.entropy[n].mean():.2f} nats" for n in range(layers)) + ".")
measure = st.segmented_control("Colour by", list(LENS_MEASURES), default="KL", key="measure", bind="query-params",
                               help="KL: KL(p_out ‖ p_layer) in nats, how far the layer's decoding is from the "
                                    "output; entropy: of the layer's decoding, in nats")
chart_with_csv("logit_lens", frame, lens_heatmap, frame, LENS_MEASURES[measure or "KL"],
               key=(weights.content_hash, tuple(tokens), measure or "KL"))

st.subheader("What each layer decodes to at one step")
step = ranged(st.slider, "Step t", 0, len(tokens), 10, key="step",
              help="h_t has read <s> and the first t tokens; it predicts token t+1 (</s> after the last).")
read = "<s>" if step == 0 else tokens[step - 1]
following = [*tokens, "</s>"][step]
st.markdown(f"Step **{step}** has just read `{read}`; the tune goes on with `{following}`.")
top = lens_top_frame(result, step, k=5)
st.dataframe(top.pivot(index="rank", columns="layer", values="token").rename(columns=lambda n: f"layer {n}")
             .join(top.pivot(index="rank", columns="layer", values="probability")
                   .rename(columns=lambda n: f"p (layer {n})")), key="lens-top")
st.download_button("Download logit_lens_top.csv", lambda: top.to_csv(index=False).encode(),
                   file_name="logit_lens_top.csv", mime="text/csv", key="csv-lens-top",
                   icon=":material/download:", on_click="ignore")
