"""Compose: sample tunes from the current model, engrave and play them, check them, study them."""

import streamlit as st

from explorer.abcjs import engraved, render_abc
from explorer.compute import composed
from explorer.controls import composing_controls, new_seed_button
from explorer.display import tune_downloads
from explorer.frames import tunes_frame
from explorer.navigation import DIRECTIONS_IN_USE
from explorer.session import current_model
from folkrnn.compose.provenance import provenances
from folkrnn.compose.sampling import CHUNK

weights = current_model()
vocabulary = weights.vocabulary
st.title("Compose")
st.markdown("Sample tunes from the model: it starts from `<s>` and, optionally, the meter, mode and opening you give, "
            "then draws one token at a time from $\\operatorname{softmax}((V h_t + v)/T)$ until it writes `</s>`.")

settings = composing_controls(vocabulary, "Tunes", 20, 3, 600, "Sampling stops here if the model has not ended.",
                              with_opening=True)
new_seed_button()
if settings is None:  # the opening names its unknown tokens above
    st.stop()

tunes = composed(weights, settings)
origins = provenances(weights, settings, chunk=CHUNK)  # what every file of a tune says of how it was drawn
summary = tunes_frame(tunes)
ok = int(summary["well_formed"].sum())
prefix = settings.prefix
st.markdown(f"**{ok} of {settings.n}** tunes are well-formed "
            f"({'opening ' + ' '.join(prefix) if prefix else 'no opening'}, T = {settings.temperature:g}, "
            f"seed {settings.seed}).")
st.dataframe(summary, hide_index=True, key="tunes-table",
             column_config={"well_formed": st.column_config.CheckboxColumn("well-formed")})
tune_downloads([tune.tokens for tune in tunes], origins, "download", "All tunes", f"folkrnn_seed{settings.seed}_tunes",
               st.columns([1, 1, 2])[:2])

for i, (tune, origin) in enumerate(zip(tunes, origins), start=1):
    verdict = tune.verdict
    abc = origin.abc(tune.tokens)
    with st.container(border=True, key=f"tune-{i}"):
        st.subheader(f"Tune {i}", anchor=f"tune-{i}")
        head = " ".join(tune.tokens[:2])
        if verdict.ok:
            st.success(f"Well-formed · {head} · {len(tune.tokens)} tokens", icon=":material/check_circle:")
        else:
            st.warning(f"Not well-formed: {verdict.reason} · {head} · {len(tune.tokens)} tokens",
                       icon=":material/warning:")
        render_abc(engraved(abc), height="content", key=f"abc-{i}")
        cols = st.columns([1, 1, 1, 2])
        tune_downloads([tune.tokens], [origin], f"download-{i}", columns=cols[:2])
        with cols[2]:
            st.page_link(DIRECTIONS_IN_USE.page(), label="Directions in use", icon=":material/insights:",
                         query_params={"source": "Type", "tokens": " ".join(tune.tokens)},
                         help="Open this tune on the Directions in use page.")
        with st.expander("ABC and v2 tokens"):
            st.code(abc, language=None)
            st.code(" ".join(tune.tokens), language=None, wrap_lines=True)
