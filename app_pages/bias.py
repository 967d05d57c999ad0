"""Bias v and columns of V (part 2 of Sturm's series), and the logit-change calculator."""

import numpy as np
import streamlit as st

from explorer.charts import bias_and_columns_chart, correlation_chart, token_values_chart
from explorer.compute import columns
from explorer.controls import offered, ranged
from explorer.display import chart_with_csv
from explorer.frames import column_bias_correlation, token_frame
from explorer.session import current_model
from folkrnn import softmax_svd
from folkrnn.analysis.perturbation import bias_distribution, logit_change_for_factor, probability_factor

weights = current_model()
st.title("The bias v and the columns of V")
st.markdown("$V h_t + v = \\sum_j h_{t,j} V_{:,j} + v$: each hidden unit $j$ adds its column of $V$, "
            "scaled by $h_{t,j} \\in [-1, 1]$, to the bias. With $h_t = 0$ the output is "
            "$\\operatorname{softmax}(v)$.")
p_bias = bias_distribution(softmax_svd(weights))
bias = token_frame(weights.vocabulary, {"v": weights.v, "softmax(v)": p_bias})
chart_with_csv("bias", bias, token_values_chart, bias, "v", "bias v")
V_entries = columns(weights)
chart_with_csv("columns_of_V", V_entries, bias_and_columns_chart, V_entries, bias,
               key=(weights.content_hash, "columns"))  # 70k rows: hashing them on every rerun cost more than drawing
correlation = column_bias_correlation(weights)
chart_with_csv("column_bias_correlation", correlation, correlation_chart, correlation)
st.caption(f"Mean correlation {correlation['correlation'].mean():+.3f}; "
           f"{int((correlation['correlation'].abs() > 0.5).sum())} of {len(correlation)} columns have |r| > 0.5.")


@st.fragment
def logit_change_calculator(vocabulary, p_bias) -> None:
    """δ ↔ α for one token under softmax(v). A fragment: its widgets rerun only this section, not
    the charts above (one of them draws all of V's entries)."""
    st.subheader("How a logit change moves a probability")
    st.markdown("Raising one logit by $\\delta$ (the others fixed) multiplies its token's probability $p$ by")
    st.latex(r"\alpha = \frac{e^{\delta}}{1 - p + p\,e^{\delta}}, \qquad \delta = \ln \frac{\alpha (1 - p)}{1 - \alpha p}")
    cols = st.columns(3)
    with cols[0]:
        token = offered(st.selectbox, "Token", vocabulary.tokens, index=int(np.argmax(p_bias)), key="token")
    p = float(p_bias[vocabulary.index[token]])
    with cols[1]:
        delta = st.number_input("Logit change δ", -20.0, 20.0, 1.0, step=0.5, key="delta", bind="query-params")
    alpha = float(probability_factor(p, delta))
    cols[2].metric(f"p({token}) under softmax(v)", f"{p:.4f}", delta=f"× {alpha:.3f} → {alpha * p:.4f}",
                   delta_color="off")
    max_alpha = 1 / p
    target = ranged(st.number_input, f"Or: the δ that multiplies p by α (0 < α < {max_alpha:.1f})", 0.01,
                    float(max_alpha) * 0.999, min(2.0, max_alpha * 0.5), key="alpha")
    st.markdown(f"δ = **{float(logit_change_for_factor(p, target)):.3f}** multiplies p({token}) by {target:.3f}.")


logit_change_calculator(weights.vocabulary, p_bias)
