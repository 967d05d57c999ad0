"""Directions in use: how h_t projects on the w_i over a real tune, and over many composed tunes."""

import streamlit as st

from explorer.abcjs import render_abc
from explorer.charts import (
    decomposition_chart,
    projection_heatmap,
    share_chart,
    usage_category_heatmap,
    usage_chart,
    variation_chart,
)
from explorer.compute import activations, direction_usage_survey
from explorer.controls import choose_tune, longest_tune, offered, ranged
from explorer.display import chart_with_csv, show_chart
from explorer.frames import (
    decomposition_frame,
    decomposition_table,
    projections_frame,
    usage_category_frame,
    usage_frame,
)
from explorer.on_demand import stop_until_asked, submit_button
from explorer.session import current_model
from folkrnn import softmax_svd
from folkrnn.analysis.directions import logit_decomposition, projections, step_tokens
from folkrnn.compose.sampling import SamplingSettings
from folkrnn.music.abc import to_abc

SURVEY = "Compose and measure"
weights = current_model()
decomposition = softmax_svd(weights)
vocabulary = weights.vocabulary
st.title("Directions in use")
st.markdown(
    "The blog reads the directions off the weights. Do they matter when the network composes? "
    "Since $V h_t + v = \\sum_i s_i\\,(w_i \\cdot h_t)\\,u_i + v$, the projection $w_i \\cdot h_t$ says how "
    "much of direction $i$ the network uses at step $t$, and $s_i (w_i \\cdot h_t)\\,u_i[x]$ is exactly "
    "what direction $i$ adds to the logit of token $x$."
)

# ---------------------------------------------------------------------------------------------
st.header("One tune", divider="gray")
tokens = choose_tune(weights, default="Type")  # the part-5 tune: nothing to compose on opening


@st.fragment
def tune_directions(tokens: list[str], hidden, logits, proj) -> None:
    """Projections along the tune and one step's logit decomposition. A fragment: moving the step
    or the token reruns only this section, not the tune above or the survey below."""
    st.subheader("Projections $w_i \\cdot h_t$ along the tune")
    cols = st.columns([2, 2, 1])
    with cols[0]:
        top = ranged(st.slider, "Directions shown (top k)", 1, decomposition.rank, 16, key="top")
    with cols[1]:
        step = ranged(st.slider, "Step t to decompose", 0, len(tokens), 10, key="step",
                      help="h_t at step t has read <s> and the first t tokens; it predicts token t+1 "
                           "(</s> after the last).")
    with cols[2]:
        terms = ranged(st.number_input, "Terms shown", 1, decomposition.rank, 10, key="terms")
    frame = projections_frame(tokens, proj, range(1, top + 1))
    chart_with_csv("projections", frame, projection_heatmap, frame, step)
    st.caption("Red: h_t points along +w_i (raising the tokens where u_i > 0); blue: along −w_i. "
               "The black box marks the chosen step.")

    st.subheader("Why that token? The logit, direction by direction")
    read, actual = step_tokens(tokens, step)
    options = ["next token in the tune", *vocabulary.tokens]
    choice = offered(st.selectbox, "Token whose logit to decompose", options, key="token")
    token = actual if choice == options[0] else choice
    d = logit_decomposition(hidden[step], decomposition, vocabulary.index[token])
    m = st.columns(4)
    m[0].metric("Step", step, help=f"h_{step} has just read {read!r}")
    m[1].metric(f"Logit of {token}", f"{d.logit:.3f}")
    m[2].metric(f"p({token})", f"{d.probability:.4f}")
    m[3].metric("Rank among tokens", f"{d.rank_of_token} of {len(vocabulary)}")
    table = decomposition_frame(d, decomposition, int(terms))
    chart_with_csv("logit_decomposition", table, decomposition_chart, table)
    st.dataframe(decomposition_table(table), hide_index=True, key="decomposition-table")
    network_logit = float(logits[step, d.token])
    st.caption(f"The terms add up to the network's own logit {network_logit:.4f} "
               f"(difference {abs(d.logit - network_logit):.1e}, float32 rounding).")


if tokens:
    hidden, logits = activations(weights, tokens)
    proj = projections(hidden, decomposition)
    with st.expander("The tune as sheet music and tokens"):
        render_abc(to_abc(tokens), height=300, key="tune-abc")
        st.code(" ".join(tokens), language=None, wrap_lines=True)

    tune_directions(tokens, hidden, logits, proj)

# ---------------------------------------------------------------------------------------------
st.header("Over many composed tunes", divider="gray")
st.markdown(
    "Averaging $|w_i \\cdot h_t|$ over every step of many tunes answers *does the model use these "
    "directions?* To read the numbers: a unit direction $w$ with no relation to the network would get "
    "$E|w \\cdot h_t| = \\lVert h_t \\rVert\\,\\Gamma(H/2)/(\\sqrt{\\pi}\\,\\Gamma((H+1)/2)) \\approx "
    "\\lVert h_t \\rVert \\sqrt{2/(\\pi H)}$ and hold $1/H$ of $\\lVert h_t \\rVert^2$."
)
with st.form("survey", border=False):
    cols = st.columns(4)
    with cols[0]:
        n = int(st.number_input("Tunes", 5, 200, 10, step=5, key="n", bind="query-params",
                                help="Composed with no seed tokens (the model chooses meter and mode)."))
    with cols[1]:
        survey_length = longest_tune("survey_length")
    with cols[2]:
        survey_T = float(st.slider("Temperature ", 0.1, 2.0, 1.0, step=0.05, key="survey_T", bind="query-params"))
    with cols[3]:
        survey_seed = int(st.number_input("Seed", 0, 2**31 - 1, 0, key="survey_seed", bind="query-params"))
    pressed = submit_button(SURVEY)

settings = SamplingSettings(n, (), survey_T, survey_seed, survey_length)
stop_until_asked("survey", (weights.content_hash, settings), pressed, SURVEY,
                 f"compose {n} tunes and measure $w_i \\cdot h_t$ at every step")
usage = direction_usage_survey(weights, settings)
if usage.steps == 0:
    st.warning("The composed tunes hold no steps to measure.")
    st.stop()
table = usage_frame(usage)

m = st.columns(4)
m[0].metric("Sample", f"{usage.tunes} tunes", delta=f"{usage.steps:,} steps", delta_color="off")
m[1].metric("Mean ‖h_t‖", f"{usage.mean_norm:.2f}", help=f"H = {weights.hidden_size} units in [-1, 1]")
m[2].metric("|w_1·h_t| vs random", f"{usage.ratio[0]:.1f}×",
            help="mean |w_1 · h_t| over what a random unit direction would get")
m[3].metric("‖h_t‖² that V sees", f"{usage.row_space_share:.1%}",
            delta=f"random: {usage.rank * usage.random_share:.1%}", delta_color="off",
            help=f"Mean share of ‖h_t‖² in span(w_1..w_{decomposition.rank}), V's row space; the rest "
                 "of h_t is in V's null space and changes no logit.")
k10 = min(10, decomposition.rank)
st.markdown(
    f"Over **{usage.tunes} tunes ({usage.steps:,} steps)**, the top {k10} directions hold "
    f"**{usage.top_share(k10):.1%}** of $\\lVert h_t\\rVert^2$ on average, against "
    f"{k10 * usage.random_share:.1%} for {k10} random directions; "
    f"{usage.larger_than_random} of {decomposition.rank} directions get a larger $|w_i \\cdot h_t|$ than a "
    f"random direction would, and along {usage.varying_more_than_random} of them $h_t$ also *varies* more "
    "than along a random direction."
)
st.markdown(
    f"Size is not everything: $w_1 \\cdot h_t = {usage.mean[0]:+.2f} \\pm {usage.std[0]:.2f}$ over the steps. "
    "A projection that hardly changes adds the same multiple of $s_1 u_1$ at every step, acting like a second "
    "bias; the directions whose projection *varies* (second chart) are the ones the network steers with."
)
chart_with_csv("direction_usage", table, usage_chart, table)
show_chart(variation_chart, table)
show_chart(share_chart, table)
shown = ranged(st.slider, "Directions in the category view", 1, decomposition.rank, 30, key="category_top")
by_category = usage_category_frame(usage, range(1, shown + 1))
chart_with_csv("direction_usage_by_category", by_category, usage_category_heatmap, by_category)
steps = ", ".join(f"{c} {k:,}" for c, k in usage.category_steps.items())
st.caption(f"Steps per category of the token predicted: {steps}. Colour: mean |w_i·h_t| over the random "
           f"baseline {usage.baseline_mean_abs:.4f} (mean ‖h_t‖ × E|w·x|).")
