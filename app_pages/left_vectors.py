"""Left singular vectors u_i over the tokens, coloured by token category."""

import streamlit as st

from explorer.charts import token_values_chart
from explorer.controls import direction_input
from explorer.display import chart_with_csv
from explorer.frames import token_frame, top_tokens
from explorer.session import current_model
from folkrnn import softmax_svd

weights = current_model()
decomposition = softmax_svd(weights)
st.title("Left singular vectors $u_i$")
st.markdown("$u_i$ says how direction $i$ moves each token's logit: pushing $h_t$ along $w_i$ raises "
            "the tokens where $u_i > 0$ and lowers those where $u_i < 0$.")
cols = st.columns(3)
with cols[0]:
    i = direction_input("Direction i", decomposition.rank, key="i")
with cols[1]:
    by_value = st.toggle("Order by value", key="by_value", bind="query-params")
with cols[2]:
    flip = st.toggle("Flip sign", key="flip", bind="query-params",
                     help="Show -u_i (and -w_i): the decomposition is unchanged, only the display.")
u, _ = decomposition.direction(i, flip=flip)
st.caption(f"s_{i} = {decomposition.s[i - 1]:.3f}")
frame = token_frame(weights.vocabulary, {"value": u})
chart_with_csv(f"u_{i}", frame, token_values_chart, frame, "value", f"u_{i}", by_value)
raised, lowered = st.columns(2)
raised.markdown(f"**Raised most by +u_{i}**")
raised.dataframe(top_tokens(weights.vocabulary, u, 10)[["token", "category", "value"]], hide_index=True)
lowered.markdown(f"**Lowered most by +u_{i}**")
lowered.dataframe(top_tokens(weights.vocabulary, u, 10, largest=False)[["token", "category", "value"]],
                  hide_index=True)
