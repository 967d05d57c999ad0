"""Compose: sample tunes from the current model, engrave and play them, check them, study them."""

import streamlit as st

from explorer.abcjs import render_abc
from explorer.beyond import composed, composing_controls
from explorer.frames import tunes_frame
from explorer.navigation import DIRECTIONS_IN_USE
from explorer.session import current_model

weights = current_model()
vocabulary = weights.vocabulary
st.title("Compose")
st.markdown("Sample tunes from the model: it starts from `<s>` and, optionally, the meter and mode you give, "
            "then draws one token at a time from $\\operatorname{softmax}((V h_t + v)/T)$ until it writes `</s>`.")

settings = composing_controls(vocabulary, "Tunes", 20, 3, 600, "Sampling stops here if the model has not ended.")

tunes = composed(weights, settings)
summary = tunes_frame(tunes)
ok = int(summary["well_formed"].sum())
prefix = settings.prefix
st.markdown(f"**{ok} of {settings.n}** tunes are well-formed "
            f"({'seeded with ' + ' '.join(prefix) if prefix else 'no seed tokens'}, T = {settings.temperature:g}, "
            f"seed {settings.seed}).")
st.dataframe(summary, hide_index=True, key="tunes-table",
             column_config={"well_formed": st.column_config.CheckboxColumn("well-formed")})

for i, tune in enumerate(tunes, start=1):
    verdict = tune.verdict
    abc = tune.abc(index=i)
    with st.container(border=True, key=f"tune-{i}"):
        st.subheader(f"Tune {i}", anchor=f"tune-{i}")
        head = " ".join(tune.tokens[:2])
        if verdict.ok:
            st.success(f"Well-formed · {head} · {len(tune.tokens)} tokens", icon=":material/check_circle:")
        else:
            st.warning(f"Not well-formed: {verdict.reason} · {head} · {len(tune.tokens)} tokens",
                       icon=":material/warning:")
        render_abc(abc, height="content", key=f"abc-{i}")
        cols = st.columns([1, 1, 2])
        cols[0].download_button("Download ABC", abc.encode(), file_name=f"folkrnn_seed{settings.seed}_tune{i}.abc",
                                mime="text/vnd.abc", key=f"download-{i}", icon=":material/download:",
                                on_click="ignore")
        with cols[1]:
            st.page_link(DIRECTIONS_IN_USE.page(), label="Directions in use", icon=":material/insights:",
                         query_params={"source": "Type", "tokens": " ".join(tune.tokens)},
                         help="Open this tune on the Directions in use page.")
        with st.expander("ABC and v2 tokens"):
            st.code(abc, language=None)
            st.code(" ".join(tune.tokens), language=None, wrap_lines=True)
