"""Forcing the input (Sturm, part 7): mix a random token into what the network reads."""

import streamlit as st

from explorer.charts import state_change_chart
from explorer.compute import composed_pair, hidden_states
from explorer.controls import composing_controls, offered, ranged, typed_tune
from explorer.display import chart_with_csv, paired_tune_downloads, summary_metrics, tunes_side_by_side
from explorer.frames import state_change_frame
from explorer.on_demand import stop_until_asked, submit_button
from explorer.session import current_model
from folkrnn import CATEGORIES
from folkrnn.analysis.experiments import summary
from folkrnn.compose.interventions import Intervention

FORCE = "Compose and read, forced"
weights = current_model()
vocabulary = weights.vocabulary
st.title("Forcing the input")
st.markdown(
    "The network reads one-hot tokens. Feed it a two-hot input instead, $(1-\\beta)\\,x_{\\text{sampled}} + "
    "\\beta\\,x_{\\text{random}}$, with the random token drawn from one category at every step after the "
    "seed tokens, and see how the composition and the hidden states change."
)
present = [c for c in CATEGORIES if c in set(vocabulary.categories)]
with st.form("forcing", border=False):
    cols = st.columns(2)
    with cols[0]:
        beta = float(st.slider("β, the random token's share", 0.0, 1.0, 0.3, step=0.05, key="beta",
                               bind="query-params"))
    with cols[1]:
        category = offered(st.selectbox, "Random token from", present,
                           index=present.index("pitch") if "pitch" in present else 0, key="category")
    settings = composing_controls(vocabulary)
    pressed = submit_button(FORCE)
force_tokens = vocabulary.tokens_of(category)
forcing = Intervention(force=beta, force_tokens=force_tokens, force_seed=settings.seed)
stop_until_asked("forcing", (weights.content_hash, forcing, settings), pressed, FORCE,
                 f"compose {settings.n} tunes from the same seeds with and without the forced input, and read a tune forced")
without, under = composed_pair(weights, forcing, settings)
summary_metrics(summary(without), summary(under), ["well_formed_share", "mean_bar_errors", "mean_length"])
paired_tune_downloads(weights, settings, forcing.describe(), without, under)
shown = int(ranged(st.slider, "Tunes shown side by side", 1, settings.n, 1, key="shown"))
tunes_side_by_side({"as it is": without, "forced": under}, shown)

st.subheader("The hidden states while reading a tune, forced")
tokens = typed_tune(vocabulary, help="Read with forcing after its meter and mode tokens; the default is the part-5 tune.",
                    height=90)
if tokens:
    reading = Intervention(force=beta, force_tokens=force_tokens, force_after=3, force_seed=settings.seed)
    change = state_change_frame(tokens, hidden_states(weights, Intervention(), tokens),
                                hidden_states(weights, reading, tokens))
    chart_with_csv("state_change", change, state_change_chart, change)
