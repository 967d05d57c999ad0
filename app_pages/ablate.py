"""Ablate and steer: compose the same seeds with and without a change to the network."""

import numpy as np
import streamlit as st

from explorer.charts import populations_chart, token_change_chart
from explorer.compute import composed_pair, token_probabilities
from explorer.controls import composing_controls, intervention_controls, ranged, typed_tune
from explorer.display import chart_with_csv, paired_tune_downloads, summary_metrics, tunes_side_by_side
from explorer.frames import populations_frame, token_change_frame
from explorer.on_demand import stop_until_asked, submit_button
from explorer.session import current_model
from folkrnn.analysis.experiments import summary
from folkrnn.compose.interventions import Intervention

COMPOSE = "Compose with and without"
weights = current_model()
st.title("Ablate and steer")
st.markdown(
    "Change the network while it composes, then compose the same seeds with and without the change: "
    "zero units of any layer (they output nothing and keep no cell state), remove directions $w_i$ "
    "from the last layer's $h_t$, or add $\\alpha w_i$ to it at every step. The changed $h_t$ is what "
    "$V$ reads *and* what the next step reads."
)
with st.form("change", border=False):
    intervention = intervention_controls(weights)
    settings = composing_controls(weights.vocabulary, n_default=4, length_default=300)
    pressed = submit_button(COMPOSE)
if intervention is None:
    st.stop()
stop_until_asked("change", (weights.content_hash, intervention, settings), pressed, COMPOSE,
                 f"compose {settings.n} tunes from the same seeds with and without the change")
if intervention.empty:
    st.info("Nothing is changed yet: both columns below hold the same tunes. Choose units, directions or α above.")

without, under = composed_pair(weights, intervention, settings)
summaries = {"without": summary(without), "with the change": summary(under)}
summary_metrics(summaries["without"], summaries["with the change"],
                ["well_formed_share", "mean_bar_errors", "mean_length", "mean_bars"], "without")
population = populations_frame(summaries)
chart_with_csv("meters_and_modes", population, populations_chart, population)
paired_tune_downloads(weights, settings, intervention.describe(), without, under)

shown = int(ranged(st.slider, "Tunes shown side by side", 1, settings.n, 2, key="shown"))
tunes_side_by_side({"without": without, "with the change": under}, shown)

st.subheader("One tune's probability, token by token")
tokens = typed_tune(weights.vocabulary, height=90)
if tokens:
    curves = {"without": token_probabilities(weights, Intervention(), tokens),
              "with the change": token_probabilities(weights, intervention, tokens)}
    nll = {name: float(-np.log(p).sum() / len(p)) for name, p in curves.items()}
    c = st.columns(2)
    c[0].metric("NLL per token, without", f"{nll['without']:.3f}", help="Nats per token, </s> included")
    c[1].metric("NLL per token, with the change", f"{nll['with the change']:.3f}",
                delta=f"{nll['with the change'] - nll['without']:+.3f}", delta_color="inverse")
    changes = token_change_frame(tokens, curves)
    chart_with_csv("token_probabilities", changes, token_change_chart, changes)
