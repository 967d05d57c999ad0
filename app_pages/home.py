"""Home: what folk-rnn v2 is, what this app shows, and the current model's facts."""

import streamlit as st

from explorer.display import original_comparison_table
from explorer.session import current_model
from folkrnn import softmax_svd

weights = current_model()

st.title("Inside folk-rnn v2's softmax layer")
st.markdown(
    "**folk-rnn v2** is the LSTM network that generated tens of thousands of folk-tune transcriptions "
    "(Sturm, Ben-Tal and colleagues). It reads one token at a time from a 137-token ABC-like "
    "vocabulary (pitches, durations, bar lines, meter and mode), passes it through three LSTM layers "
    "of 512 units, and a dense softmax layer turns the last layer's output $h_t$ into a distribution "
    "over the next token:"
)
st.latex(r"p(x_{t+1} \mid x_{\le t}) = \operatorname{softmax}(V h_t + v), \qquad V \in \mathbb{R}^{137\times 512},\ h_t \in [-1, 1]^{512}")
st.markdown(
    "Following Sturm's *Making sense of the folk-rnn v2 model*, this app takes the singular value "
    "decomposition of $V$ and asks what each direction does:"
)
st.latex(r"V = U S W^\top, \qquad V w_i = s_i u_i, \qquad s_1 \ge s_2 \ge \dots \ge s_{137}")
st.markdown(
    "- **Bias and columns of V**: the bias $v$ and how each unit's column pushes the logits.\n"
    "- **Singular value spectrum**: how much each direction can move the logits.\n"
    "- **Right singular vectors** $w_i$: the patterns of $h_t$ each direction responds to.\n"
    "- **Left singular vectors** $u_i$: which tokens each direction raises or lowers.\n"
    "- **Perturbed distributions**: $\\operatorname{softmax}(v + a\\, s_i u_i)$, what $h_t = a\\, w_i$ would do.\n\n"
    "The blog ends on an open question: does the network use these directions when it composes? "
    "**Beyond the blog** answers it by running the network:\n\n"
    "- **Directions in use**: the projections $w_i \\cdot h_t$ while it reads or writes a tune, one "
    "token's logit split direction by direction, and the average over many composed tunes.\n"
    "- **Compose**: tunes it writes, as sheet music you can play.\n"
    "- **Fewer directions**: what it still does with $V$ cut to its top $k$ directions.\n"
    "- **Compare models**: two models' spectra and singular vectors side by side.\n\n"
    "Sturm's series goes on **inside the LSTM**: the gates and states of every layer over a tune, the "
    "self-similarity of a tune's steps, the logit lens (each layer read through $V$), and the input "
    "layer's token embeddings. **Experiments** turn its questions into interventions: ablate units or "
    "steer along directions, silence the units that count bars, force the input, check whether a tune is "
    "copied from the training corpus, and search for likely tunes instead of sampling them.\n\n"
    "Choose the model in the sidebar. Two ship with the app, both trained by this project on a third "
    "of folk-rnn's corpus: **Replica** (the default; Adam, the lower validation loss) and **Faithful** "
    "(trained the way folk-rnn trained v2, to read next to the blog). You can also upload a file (an "
    "original folk-rnn pickle or a project checkpoint) or download the original v2 weights from the "
    "public folk-rnn repository. MODEL_CARD.md gives both embedded models' figures."
)

st.subheader("Current model")
training = weights.metadata.get("training", {})
cols = st.columns(4)
cols[0].metric("Vocabulary", f"{len(weights.vocabulary)} tokens")
cols[1].metric("LSTM", f"{weights.num_layers} × {weights.hidden_size}")
cols[2].metric("Parameters", f"{weights.parameter_count:,}")
if "valid_nll_per_token" in training:
    cols[3].metric("Validation NLL (nats/token)", f"{training['valid_nll_per_token']:.3f}",
                   help="Per token on the held-out split, dropout off, `</s>` a target (MODEL_CARD.md).")
st.caption(f"**{weights.name}** · experiment id: `{weights.metadata.get('experiment_id')}`")
st.markdown("**Its softmax layer next to the original's** (Sturm, part 3): the first three singular "
            "values of V and what pushing the bias along ±u_i makes likely.")
original_comparison_table(softmax_svd(weights))
provenance = {k: v for k, v in weights.metadata.items() if k in ("provenance", "training")}
if provenance:
    with st.expander("Provenance and training figures"):
        st.json(provenance)
