"""Altair chart builders: pure functions from a tidy frame (see frames.py) to an ``alt.Chart``.

Testable without Streamlit through ``chart.to_dict()``. Every chart carries tooltips; token charts
are coloured by token category with one fixed palette, so a category has the same colour everywhere.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from folkrnn import CATEGORIES
from folkrnn.analysis.spectrum import ORIGINAL_V2

# V has vocab x 512 entries (70k rows for v2): more than Altair's default guard of 5,000 rows.
alt.data_transformers.disable_max_rows()

PALETTE = ["#4c4c4c", "#e15759", "#f28e2b", "#76b7b2", "#b07aa1", "#edc948", "#4e79a7", "#9c755f",
           "#59a14f", "#bab0ac"]
LSTM_RANGE = (-1.0, 1.0)
ORIGINAL_S1_OVER_S2 = ORIGINAL_V2["s"][0] / ORIGINAL_V2["s"][1]  # Sturm, part 3: 509 / 65.76


def category_color(legend: bool = True) -> alt.Color:
    return alt.Color(
        "category:N", scale=alt.Scale(domain=list(CATEGORIES), range=PALETTE),
        legend=alt.Legend(title="token category", orient="bottom", columns=5) if legend else None,
    )


def _token_tooltip(value: str, title: str) -> list:
    return [alt.Tooltip("token:N"), alt.Tooltip("category:N"), alt.Tooltip("index:Q", title="index"),
            alt.Tooltip(f"{value}:Q", title=title, format=".4f")]


def spectrum_chart(frame: pd.DataFrame, log_scale: bool = False, title: str = "Singular values of V") -> alt.Chart:
    """s_i against i, on a linear or log y axis."""
    y = alt.Y("singular_value:Q", title="singular value s_i",
              scale=alt.Scale(type="log") if log_scale else alt.Scale(zero=True))
    base = alt.Chart(frame).encode(
        x=alt.X("direction:Q", title="direction i", scale=alt.Scale(domainMin=1)), y=y,
        tooltip=[alt.Tooltip("direction:Q", title="i"), alt.Tooltip("singular_value:Q", title="s_i", format=".3f")],
    )
    return (base.mark_line(color="#4e79a7") + base.mark_circle(size=30, color="#4e79a7")).properties(
        title=title, height=320)


def energy_chart(frame: pd.DataFrame) -> alt.Chart:
    """Cumulative share of sum s_i^2 captured by the top k directions."""
    return alt.Chart(frame).mark_line(point=True, color="#59a14f").encode(
        x=alt.X("direction:Q", title="top k directions"),
        y=alt.Y("cumulative_energy:Q", title="cumulative energy", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("direction:Q", title="k"),
                 alt.Tooltip("cumulative_energy:Q", title="energy", format=".2%")],
    ).properties(title="Cumulative energy  Σ_{i≤k} s_i² / Σ s_i²", height=260)


def spectrum_history_chart(frame: pd.DataFrame) -> alt.VConcatChart:
    """s_1, s_2, s_3 over the training epochs (log y), one line each; below, s_1/s_2 against the
    original v2's (dashed)."""
    tooltip = [alt.Tooltip("epoch:Q"), alt.Tooltip("direction:N", title="singular value"),
               alt.Tooltip("singular_value:Q", title="value", format=".2f"),
               alt.Tooltip("s1_over_s2:Q", title="s_1/s_2", format=".2f"),
               alt.Tooltip("top_minus_u1:N", title="top of softmax(v − s_1 u_1)"),
               alt.Tooltip("top_plus_u1:N", title="top of softmax(v + s_1 u_1)")]
    x = alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1))
    values = alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=16)).encode(
        x=x, y=alt.Y("singular_value:Q", title="singular value", scale=alt.Scale(type="log")),
        color=alt.Color("direction:N", title=None, legend=alt.Legend(orient="bottom")), tooltip=tooltip,
    ).properties(title="The spectrum while the model trained", height=260)
    ratio = alt.Chart(frame).transform_filter(alt.datum.direction == "s_1").mark_line(
        point=alt.OverlayMarkDef(size=16), color="#4c4c4c").encode(
        x=x, y=alt.Y("s1_over_s2:Q", title="s_1 / s_2", scale=alt.Scale(zero=False)), tooltip=tooltip)
    reference = alt.Chart(pd.DataFrame({"ratio": [ORIGINAL_S1_OVER_S2], "label": ["the original v2"]})).encode(
        y="ratio:Q", tooltip=[alt.Tooltip("label:N", title="s_1/s_2 of"), alt.Tooltip("ratio:Q", format=".2f")])
    rule = reference.mark_rule(strokeDash=[4, 4], color="gray")
    label = reference.mark_text(align="left", baseline="bottom", dx=4, dy=-2, color="gray").encode(
        x=alt.value(0), text="label:N")
    return alt.vconcat(values, alt.layer(ratio, rule, label).properties(height=140))


def runs_spectrum_chart(frame: pd.DataFrame) -> alt.VConcatChart:
    """s_1 and s_2 (log y) and, below, s_1/s_2 against optimiser updates, one colour per training run,
    the original v2's s_1/s_2 dashed: runs of different batches and epochs, on one axis."""
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("epoch:Q"), alt.Tooltip("updates:Q", format=","),
               alt.Tooltip("measure:N"), alt.Tooltip("value:Q", format=".2f")]
    x = alt.X("updates:Q", title="optimiser updates")
    run = alt.Color("run:N", title=None, legend=alt.Legend(orient="bottom"))
    values = alt.Chart(frame).transform_filter(alt.datum.measure != "s_1/s_2").mark_line(point=True).encode(
        x=x, y=alt.Y("value:Q", title="singular value", scale=alt.Scale(type="log")), color=run,
        strokeDash=alt.StrokeDash("measure:N", title=None, legend=alt.Legend(orient="bottom")), tooltip=tooltip,
    ).properties(title="s_1 and s_2 while each run trained", height=240)
    ratio = alt.Chart(frame).transform_filter(alt.datum.measure == "s_1/s_2").mark_line(point=True).encode(
        x=x, y=alt.Y("value:Q", title="s_1 / s_2"), color=run, tooltip=tooltip)
    reference = alt.Chart(pd.DataFrame({"ratio": [ORIGINAL_S1_OVER_S2], "label": ["the original v2"]})).encode(
        y="ratio:Q", tooltip=[alt.Tooltip("label:N", title="s_1/s_2 of"), alt.Tooltip("ratio:Q", format=".2f")])
    return alt.vconcat(values, alt.layer(ratio, reference.mark_rule(strokeDash=[4, 4], color="gray"))
                       .properties(height=160))


def right_vectors_chart(frame: pd.DataFrame, sort_values: bool = False) -> alt.Chart:
    """w_i over the hidden units, unsorted (by unit) or sorted (by rank); several overlaid."""
    x = "rank" if sort_values else "unit"
    return alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=12), strokeWidth=1).encode(
        x=alt.X(f"{x}:Q", title="units sorted by value" if sort_values else "hidden unit"),
        y=alt.Y("value:Q", title="entry of w_i"),
        color=alt.Color("direction:N", title="vector"),
        tooltip=[alt.Tooltip("direction:N"), alt.Tooltip("unit:Q"), alt.Tooltip("value:Q", format=".4f")],
    ).properties(title="Right singular vectors", height=320)


def cumulative_histogram_chart(frame: pd.DataFrame) -> alt.Chart:
    """The cumulative histogram (empirical CDF) of each w_i's entries, with [-1, 1] marked."""
    cdf = alt.Chart(frame).transform_window(
        cumulative_count="count()", sort=[{"field": "value"}], groupby=["direction"],
    ).transform_joinaggregate(total="count()", groupby=["direction"]).transform_calculate(
        share="datum.cumulative_count / datum.total",
    ).mark_line(interpolate="step-after").encode(
        x=alt.X("value:Q", title="entry of w_i"),
        y=alt.Y("share:Q", title="share of units ≤ value", axis=alt.Axis(format="%")),
        color=alt.Color("direction:N", title="vector"),
        tooltip=[alt.Tooltip("direction:N"), alt.Tooltip("value:Q", format=".4f"),
                 alt.Tooltip("share:Q", format=".1%", title="share ≤ value")],
    )
    bounds = alt.Chart(pd.DataFrame({"bound": LSTM_RANGE})).mark_rule(strokeDash=[4, 4], color="gray").encode(
        x="bound:Q", tooltip=[alt.Tooltip("bound:Q", title="LSTM output bound")])
    return (cdf + bounds).properties(title="Cumulative histogram (LSTM outputs lie in [-1, 1])", height=300)


def token_values_chart(frame: pd.DataFrame, value: str, title: str, sort_by_value: bool = False) -> alt.Chart:
    """One bar per token, labelled with its text and coloured by category."""
    order = alt.EncodingSortField(field=value, order="descending") if sort_by_value else alt.EncodingSortField(
        field="index", order="ascending")
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("token:N", sort=order, title=None, axis=alt.Axis(labelAngle=-90, labelFontSize=9)),
        y=alt.Y(f"{value}:Q", title=title),
        color=category_color(),
        tooltip=_token_tooltip(value, title),
    ).properties(height=320)


def distributions_chart(frame: pd.DataFrame, top: int | None = None) -> alt.Chart:
    """Several distributions over the tokens side by side (grouped bars), optionally only the top tokens."""
    chart = alt.Chart(frame)
    if top:
        chart = chart.transform_joinaggregate(peak="max(probability)", groupby=["token"]).transform_window(
            place="dense_rank()", sort=[{"field": "peak", "order": "descending"}],
        ).transform_filter(alt.datum.place <= top)
    return chart.mark_bar().encode(
        x=alt.X("token:N", sort=alt.EncodingSortField(field="probability", op="max", order="descending"),
                title=None, axis=alt.Axis(labelAngle=-90)),
        xOffset="distribution:N",
        y=alt.Y("probability:Q", title="probability"),
        color=alt.Color("distribution:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("token:N"), alt.Tooltip("category:N"), alt.Tooltip("distribution:N"),
                 alt.Tooltip("probability:Q", format=".4f")],
    ).properties(height=320)


def bias_and_columns_chart(columns: pd.DataFrame, bias: pd.DataFrame) -> alt.Chart:
    """Every column of V as faint points per token, with the bias v drawn over them."""
    points = alt.Chart(columns).mark_circle(size=6, opacity=0.15, color="#4e79a7").encode(
        x=alt.X("index:O", title="token", axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("value:Q", title="value"),
        tooltip=[alt.Tooltip("token:N"), alt.Tooltip("unit:Q", title="column (unit)"),
                 alt.Tooltip("value:Q", format=".4f")],
    )
    v = alt.Chart(bias).mark_line(color="#e15759", point=alt.OverlayMarkDef(color="#e15759", size=20)).encode(
        x="index:O", y="v:Q", tooltip=_token_tooltip("v", "bias v"),
    )
    return (points + v).properties(title="Bias v (red) over every column of V (blue)", height=360)


def correlation_chart(frame: pd.DataFrame) -> alt.Chart:
    """Correlation of each column of V with v, sorted."""
    return alt.Chart(frame).transform_window(
        place="rank()", sort=[{"field": "correlation"}],
    ).mark_bar().encode(
        x=alt.X("place:Q", title="columns of V, sorted"),
        y=alt.Y("correlation:Q", title="correlation with v", scale=alt.Scale(domain=[-1, 1])),
        tooltip=[alt.Tooltip("unit:Q", title="column (unit)"), alt.Tooltip("correlation:Q", format=".3f")],
    ).properties(title="Correlation of each column of V with the bias v", height=260)


# --- Shared by the sections below: colour scales, a tune's steps as an axis ---

DIVERGING = alt.Scale(scheme="redblue", domainMid=0, reverse=True)  # red positive, blue negative
PAIR = ["#4e79a7", "#e15759"]  # two models, or full vs truncated: blue then red


SIGNAL_TITLES = {"h": "output h_t", "c": "cell c_t", "i": "input gate i_t", "f": "forget gate f_t",
                 "o": "output gate o_t", "g": "cell input g_t"}


def _step_axis(title: str = "step t: token h_t predicts") -> alt.X:
    return alt.X("label:N", sort=alt.EncodingSortField(field="step", order="ascending"), title=title,
                 axis=alt.Axis(labelAngle=-90, labelFontSize=8, labelLimit=60))


def _bar_lines(frame: pd.DataFrame) -> alt.Chart:
    """Dashed rules at the steps that predict a bar line (token category "measure")."""
    bars = frame[frame["category"] == "measure"].drop_duplicates("step")
    return alt.Chart(bars).mark_rule(color="black", strokeDash=[3, 3], opacity=0.5).encode(
        x=_step_axis(), tooltip=[alt.Tooltip("step:Q", title="bar line at step"), alt.Tooltip("predicts:N")])


def _pair_color(frame: pd.DataFrame, field: str, range_=PAIR) -> alt.Color:
    """Fixed colours for a field with two (or few) values, in the order they appear in ``frame``."""
    domain = list(dict.fromkeys(frame[field]))
    return alt.Color(f"{field}:N", title=None, scale=alt.Scale(domain=domain, range=list(range_)[: len(domain)]),
                     legend=alt.Legend(orient="top", labelLimit=400))


# --- Inside the LSTM: layers over a tune, self-similarity, logit lens, the input layer ---

LENS_MEASURES = {"KL": "kl_to_output", "entropy": "entropy"}  # the page's choices: the frame's columns
_LENS_TITLES = {"kl_to_output": "KL(p_out ‖ p_layer), nats", "entropy": "entropy, nats"}


def lens_heatmap(frame: pd.DataFrame, measure: str = "kl_to_output") -> alt.Chart:
    """The logit lens over a tune: steps (x, the token each predicts) by layers (y), coloured by
    ``measure`` (a column of :func:`explorer.frames.lens_frame`: kl_to_output or entropy)."""
    return alt.Chart(frame).mark_rect().encode(
        x=_step_axis(), y=alt.Y("layer:O", title="layer", sort="descending"),
        color=alt.Color(f"{measure}:Q", title=_LENS_TITLES[measure], scale=alt.Scale(scheme="viridis")),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("read:N", title="just read"),
                 alt.Tooltip("predicts:N", title="next in the tune"), alt.Tooltip("layer:O"),
                 alt.Tooltip("kl_to_output:Q", title="KL to the output", format=".3f"),
                 alt.Tooltip("entropy:Q", format=".3f"), alt.Tooltip("top_token:N", title="likeliest decoded"),
                 alt.Tooltip("top_probability:Q", title="its probability", format=".3f")],
    ).properties(title="Each layer decoded through V and v", height=280)


def activation_heatmap(frame: pd.DataFrame, signal: str, units: list[int]) -> alt.Chart:
    """One signal of one layer over a tune (x: steps, y: ``units`` in that order), bar lines dashed.
    Gates in [0, 1] get a sequential scale; h, c and g a diverging one centred on 0."""
    scale = (alt.Scale(scheme="viridis", domain=[0, 1]) if signal in "ifo"
             else DIVERGING)
    heat = alt.Chart(frame).mark_rect().encode(
        x=_step_axis(), y=alt.Y("unit:O", sort=units, title="unit", axis=alt.Axis(labelFontSize=7)),
        color=alt.Color("value:Q", scale=scale, title=SIGNAL_TITLES[signal]),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("read:N", title="token read"),
                 alt.Tooltip("predicts:N", title="token predicted"), alt.Tooltip("unit:O"),
                 alt.Tooltip("value:Q", title=SIGNAL_TITLES[signal], format=".4f")],
    )
    return (heat + _bar_lines(frame)).properties(title=f"{SIGNAL_TITLES[signal]} over the tune",
                                                 height=160 + max(120, 6 * len(units)))


def unit_trace_chart(frame: pd.DataFrame, signal: str) -> alt.Chart:
    """One unit's signal over the tune, bar lines dashed."""
    line = alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=14)).encode(
        x=_step_axis(), y=alt.Y("value:Q", title=SIGNAL_TITLES[signal]),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("read:N", title="token read"),
                 alt.Tooltip("predicts:N", title="token predicted"), alt.Tooltip("value:Q", format=".4f")],
    )
    return (line + _bar_lines(frame)).properties(title="The chosen unit", height=320)


def activation_histogram_chart(frame: pd.DataFrame, signal: str) -> alt.Chart:
    """Per layer, the distribution of a signal's values over every step and unit."""
    return alt.Chart(frame).mark_bar(opacity=0.6, binSpacing=0).encode(
        x=alt.X("start:Q", title=SIGNAL_TITLES[signal], bin="binned"), x2="end:Q",
        y=alt.Y("share:Q", title="share of values", stack=None, axis=alt.Axis(format="%")),
        color=alt.Color("layer:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("start:Q", title="from", format=".3f"),
                 alt.Tooltip("end:Q", title="to", format=".3f"), alt.Tooltip("share:Q", format=".2%")],
    ).properties(title="Distribution per layer", height=320)


def unit_peaks_chart(frame: pd.DataFrame, signal: str) -> alt.Chart:
    """Each unit's max |activation| over the tune, sorted, one line per layer."""
    return alt.Chart(frame).mark_line().encode(
        x=alt.X("rank:Q", title="units, sorted"), y=alt.Y("peak:Q", title=f"max |{signal}| over the tune"),
        color=alt.Color("layer:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("rank:Q"), alt.Tooltip("unit:Q"),
                 alt.Tooltip("peak:Q", title="max |value|", format=".4f")],
    ).properties(title="Each unit's largest activation", height=320)


def step_gramian_heatmap(frame: pd.DataFrame, bar_steps: list[int], kind: str, title: str) -> alt.Chart:
    """A Gramian over a tune's steps (both axes: step), grid lines at the steps that read a bar line."""
    heat = alt.Chart(frame).mark_rect().encode(
        x=alt.X("step_a:O", title="step", axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("step_b:O", title="step", axis=alt.Axis(labels=False, ticks=False)),
        color=alt.Color("value:Q", title=kind, scale=DIVERGING if kind == "cosine" else alt.Scale(scheme="viridis")),
        tooltip=[alt.Tooltip("step_a:O", title="step s"), alt.Tooltip("read_a:N", title="s read"),
                 alt.Tooltip("predicts_a:N", title="s predicts"), alt.Tooltip("step_b:O", title="step t"),
                 alt.Tooltip("read_b:N", title="t read"), alt.Tooltip("predicts_b:N", title="t predicts"),
                 alt.Tooltip("value:Q", title=kind, format=".3f")],
    )
    grid = pd.DataFrame({"step": bar_steps})
    lines = alt.Chart(grid).mark_rule(color="black", opacity=0.25)
    tip = [alt.Tooltip("step:O", title="bar line read at step")]
    return (heat + lines.encode(x="step:O", tooltip=tip) + lines.encode(y="step:O", tooltip=tip)).properties(
        title=title, width=420, height=440)


def token_gramian_heatmap(frame: pd.DataFrame, title: str) -> alt.Chart:
    """Cosines between the tokens' embeddings, tokens grouped by category on both axes."""
    def axis(which: str):
        return dict(field=f"token_{which}", type="nominal", title=None,
                    sort=alt.EncodingSortField(field=f"order_{which}", order="ascending"),
                    axis=alt.Axis(labelFontSize=6, labelOverlap=False))
    return alt.Chart(frame).mark_rect().encode(
        x=alt.X(**axis("a")), y=alt.Y(**axis("b")),
        color=alt.Color("value:Q", title="cosine", scale=alt.Scale(scheme="redblue", reverse=True, domain=[-1, 1])),
        tooltip=[alt.Tooltip("token_a:N", title="token"), alt.Tooltip("category_a:N", title="its category"),
                 alt.Tooltip("token_b:N", title="other token"), alt.Tooltip("category_b:N", title="its category"),
                 alt.Tooltip("value:Q", title="cosine", format=".3f")],
    ).properties(title=title, width=640, height=680)


def stable_rank_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stable rank ||W||_F² / ||W||_2² of every weight matrix, grouped by layer and kind."""
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("matrix:N", sort=None, title=None, axis=alt.Axis(labelAngle=-60, labelFontSize=8)),
        y=alt.Y("stable_rank:Q", title="stable rank"),
        color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("matrix:N"), alt.Tooltip("shape:N"), alt.Tooltip("s_1:Q", format=".2f"),
                 alt.Tooltip("stable_rank:Q", title="stable rank", format=".2f")],
    ).properties(title="Stable rank of every weight matrix", height=380)


# --- Experiments: ablate and steer, periodic units, forcing the input, is it copying?, search ---

def populations_chart(frame: pd.DataFrame, value: str = "tunes") -> alt.Chart:
    """Meter and mode counts (``value`` "tunes") or shares ("share") of two groups of tunes, side by side."""
    share = value == "share"
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("token:N", title=None, axis=alt.Axis(labelAngle=-45)), xOffset="group:N",
        y=alt.Y(f"{value}:Q", title="share of tunes" if share else "tunes", axis=alt.Axis(format="%" if share else "d")),
        color=_pair_color(frame, "group"), column=alt.Column("kind:N", title=None),
        tooltip=[alt.Tooltip("group:N"), alt.Tooltip("token:N"),
                 alt.Tooltip(f"{value}:Q", format=".1%" if share else "d")],
    ).properties(height=220).resolve_scale(x="independent")


def token_change_chart(frame: pd.DataFrame) -> alt.Chart:
    """Each token's probability along a tune, one line per engine (log scale)."""
    return alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("step:Q", title="token position"), y=alt.Y("probability:Q", scale=alt.Scale(type="log"),
                                                        title="p(token)"),
        color=_pair_color(frame, "curve"),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("token:N"), alt.Tooltip("curve:N"),
                 alt.Tooltip("probability:Q", format=".4f")],
    ).properties(title="Each token's probability, with and without", height=320)


def unit_power_chart(frame: pd.DataFrame, top: int) -> alt.Chart:
    """The ``top`` units with most power at the bar period, as bars in rank order."""
    shown = frame[frame["rank"] <= top]
    return alt.Chart(shown).mark_bar(color="#4e79a7").encode(
        x=alt.X("unit:N", sort=None, title="unit (by power at the bar period)"), y=alt.Y("power:Q", title="power"),
        tooltip=[alt.Tooltip("rank:Q"), alt.Tooltip("unit:N"), alt.Tooltip("power:Q", format=".3f")],
    ).properties(title="Power of each unit's h_t at the bar period", height=300)


def periodogram_chart(frame: pd.DataFrame, period: float) -> alt.Chart:
    """Periodograms of a few units, the bar period's frequency marked."""
    lines = alt.Chart(frame).mark_line().encode(
        x=alt.X("frequency:Q", title="frequency (cycles per token)"), y=alt.Y("power:Q", title="power"),
        color=alt.Color("unit:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("unit:N"), alt.Tooltip("frequency:Q", format=".4f"),
                 alt.Tooltip("period:Q", title="period (tokens)", format=".1f"), alt.Tooltip("power:Q", format=".3f")],
    )
    rule = alt.Chart(pd.DataFrame({"frequency": [1 / period], "period": [period]})).mark_rule(
        color="black", strokeDash=[4, 3]).encode(
        x="frequency:Q", tooltip=[alt.Tooltip("period:Q", title="bar period (tokens)", format=".1f")])
    return (lines + rule).properties(title="Periodograms of the most periodic units", height=300)


def state_change_chart(frame: pd.DataFrame) -> alt.Chart:
    """How far each layer's h_t moves under a change, step by step."""
    return alt.Chart(frame).mark_line().encode(
        x=alt.X("step:Q"), y=alt.Y("change:Q", title="mean |Δh_t| over the units"),
        color=alt.Color("layer:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("step:Q"), alt.Tooltip("read:N", title="token read"),
                 alt.Tooltip("change:Q", format=".4f")],
    ).properties(title="How far the hidden states move", height=280)


def missed_mass_chart(frame: pd.DataFrame) -> alt.Chart:
    """Part 12's figure: the probability mass the search never looks at, step by step."""
    return alt.Chart(frame).mark_bar(color="#e15759").encode(
        x=alt.X("step:Q", title="step of the tune found"), y=alt.Y("missed:Q", title="mass not explored",
                                                                 axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("token:N", title="token found"),
                 alt.Tooltip("missed:Q", title="mass not explored", format=".2%")],
    ).properties(title="Probability the search misses, per step", height=260)


# --- Beyond the blog: directions in use, compose, fewer directions, compare models ---

KIND_COLORS = alt.Scale(domain=["direction", "other", "bias", "logit"],
                        range=["#4e79a7", "#bab0ac", "#f28e2b", "#1e2a33"])


def projection_heatmap(frame: pd.DataFrame, step: int | None = None) -> alt.Chart:
    """w_i . h_t over the steps of a tune (x: token predicted, in order) and directions (y)."""
    x = _step_axis()
    heat = alt.Chart(frame).mark_rect().encode(
        x=x,
        y=alt.Y("direction:O", title="direction i"),
        color=alt.Color("value:Q", scale=DIVERGING, title="w_i · h_t"),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("read:N", title="token read"),
                 alt.Tooltip("predicts:N", title="token predicted"), alt.Tooltip("direction:O"),
                 alt.Tooltip("value:Q", title="w_i · h_t", format=".4f")],
    )
    chart = heat
    if step is not None:
        marked = frame[frame["step"] == step].drop_duplicates("step")
        chart = heat + alt.Chart(marked).mark_rect(fill=None, stroke="black", strokeWidth=2).encode(
            x=x, tooltip=[alt.Tooltip("step:Q", title="chosen step"), alt.Tooltip("predicts:N")])
    return chart.properties(title="Projections of h_t on the right singular vectors", height=320)


def decomposition_chart(frame: pd.DataFrame) -> alt.Chart:
    """A waterfall: each term moves the running sum; the last bar is the logit itself."""
    x = alt.X("term:N", sort=alt.EncodingSortField(field="order", order="ascending"), title=None,
              axis=alt.Axis(labelAngle=-45, labelOverlap=False))
    bars = alt.Chart(frame).mark_bar().encode(
        x=x, y=alt.Y("start:Q", title="logit"), y2="end:Q",
        color=alt.Color("kind:N", scale=KIND_COLORS, title="term", legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("term:N"), alt.Tooltip("value:Q", title="contribution", format="+.4f"),
                 alt.Tooltip("end:Q", title="running sum", format=".4f"),
                 alt.Tooltip("projection:Q", title="w_i · h_t", format=".4f"),
                 alt.Tooltip("singular_value:Q", title="s_i", format=".3f"),
                 alt.Tooltip("u_token:Q", title="u_i[token]", format=".4f")],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="gray").encode(
        y="y:Q", tooltip=[alt.Tooltip("y:Q", title="logit 0")])
    return (zero + bars).properties(title="Logit = Σ_i s_i (w_i · h_t) u_i[token] + v[token]", height=320)


def _per_direction_bars(frame: pd.DataFrame, field: str, title: str, color: str, baseline: str,
                        tooltip: list) -> alt.LayerChart:
    """One bar per direction for ``field``, with the random-direction ``baseline`` as a dashed rule."""
    bars = alt.Chart(frame).mark_bar(color=color).encode(
        x=alt.X("direction:Q", title="direction i", scale=alt.Scale(domainMin=0.5)),
        y=alt.Y(f"{field}:Q", title=title),
        tooltip=[alt.Tooltip("direction:Q", title="i"), *tooltip],
    )
    rule = alt.Chart(frame.head(1)).mark_rule(color="#e15759", strokeDash=[6, 4]).encode(
        y=f"{baseline}:Q", tooltip=[alt.Tooltip(f"{baseline}:Q", title="random direction", format=".4f")])
    return bars + rule


def usage_chart(frame: pd.DataFrame) -> alt.Chart:
    """Mean |w_i . h_t| per direction, against what a random direction would get (dashed)."""
    return _per_direction_bars(frame, "mean_abs_projection", "mean |w_i · h_t|", "#4e79a7",
                               "random_direction_baseline", [
        alt.Tooltip("singular_value:Q", title="s_i", format=".3f"),
        alt.Tooltip("mean_abs_projection:Q", title="mean |w_i · h_t|", format=".4f"),
        alt.Tooltip("ratio_to_random:Q", title="× random direction", format=".2f"),
        alt.Tooltip("mean_projection:Q", title="mean w_i · h_t (signed)", format="+.4f"),
        alt.Tooltip("mean_logit_effect:Q", title="mean s_i |w_i · h_t|", format=".3f"),
    ]).properties(title="Mean |w_i · h_t| per direction (dashed: a random unit direction)", height=300)


def variation_chart(frame: pd.DataFrame) -> alt.Chart:
    """Standard deviation of w_i . h_t over the steps, against that of a random direction (dashed)."""
    return _per_direction_bars(frame, "std_projection", "std of w_i · h_t over the steps", "#b07aa1",
                               "random_direction_std", [
        alt.Tooltip("mean_projection:Q", title="mean w_i · h_t", format="+.4f"),
        alt.Tooltip("std_projection:Q", title="std w_i · h_t", format=".4f"),
        alt.Tooltip("std_ratio_to_random:Q", title="× random direction", format=".2f"),
    ]).properties(title="How much w_i · h_t varies from step to step (dashed: a random unit direction)",
                  height=260)


def share_chart(frame: pd.DataFrame) -> alt.Chart:
    """Mean share of ||h_t||² along each w_i, on a log axis, against the 1/H of a random direction."""
    points = alt.Chart(frame).mark_circle(size=30, color="#59a14f").encode(
        x=alt.X("direction:Q", title="direction i"),
        y=alt.Y("mean_share_of_norm2:Q", title="mean (w_i · h_t)² / ||h_t||²", scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("direction:Q", title="i"),
                 alt.Tooltip("mean_share_of_norm2:Q", title="share of ||h_t||²", format=".3%"),
                 alt.Tooltip("random_share:Q", title="random direction (1/H)", format=".3%")],
    )
    baseline = alt.Chart(frame.head(1)).mark_rule(color="#e15759", strokeDash=[6, 4]).encode(
        y="random_share:Q", tooltip=[alt.Tooltip("random_share:Q", title="1/H", format=".3%")])
    return (points + baseline).properties(title="Share of ||h_t||² along each w_i (dashed: 1/H)", height=260)


def usage_category_heatmap(frame: pd.DataFrame) -> alt.Chart:
    """Mean |w_i . h_t| / random baseline by category of the token predicted and direction."""
    return alt.Chart(frame).mark_rect().encode(
        x=alt.X("direction:O", title="direction i"),
        y=alt.Y("category:N", title="category of the token predicted", sort=list(CATEGORIES),
                axis=alt.Axis(labelOverlap=False)),
        color=alt.Color("ratio_to_random:Q", title="× random", scale=alt.Scale(scheme="viridis")),
        tooltip=[alt.Tooltip("category:N"), alt.Tooltip("direction:O"), alt.Tooltip("steps:Q"),
                 alt.Tooltip("mean_abs_projection:Q", title="mean |w_i · h_t|", format=".4f"),
                 alt.Tooltip("ratio_to_random:Q", title="× random direction", format=".2f")],
    ).properties(title="Which directions each kind of next token uses",
                 height=alt.Step(24))


def nll_chart(frame: pd.DataFrame, full: float, k: int | None = None) -> alt.Chart:
    """NLL per token against k, with the full model's NLL (dashed) and the chosen k marked."""
    line = alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=15), color="#4e79a7").encode(
        x=alt.X("k:Q", title="directions kept (top k)"),
        y=alt.Y("nll_per_token:Q", title="NLL per token (nats)", scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("k:Q"), alt.Tooltip("nll_per_token:Q", title="NLL/token", format=".4f")],
    )
    full_rule = alt.Chart(pd.DataFrame({"nll": [full], "what": ["full model"]})).mark_rule(
        color="#e15759", strokeDash=[6, 4]).encode(
        y="nll:Q", tooltip=[alt.Tooltip("what:N"), alt.Tooltip("nll:Q", title="NLL/token", format=".4f")])
    chart = line + full_rule
    if k is not None:
        chart += alt.Chart(frame[frame["k"] == k]).mark_circle(size=120, color="#e15759").encode(
            x="k:Q", y="nll_per_token:Q",
            tooltip=[alt.Tooltip("k:Q", title="chosen k"), alt.Tooltip("nll_per_token:Q", format=".4f")])
    return chart.properties(title="NLL of the tune under V_k (log scale)", height=300)


def removal_chart(frame: pd.DataFrame, full: float) -> alt.Chart:
    """NLL per token with one direction i removed, for each i shown."""
    bars = alt.Chart(frame).mark_bar(color="#76b7b2").encode(
        x=alt.X("direction:O", title="direction removed"),
        y=alt.Y("nll_per_token:Q", title="NLL per token (nats)"),
        tooltip=[alt.Tooltip("direction:O", title="removed"),
                 alt.Tooltip("nll_per_token:Q", title="NLL/token", format=".4f"),
                 alt.Tooltip("increase:Q", title="increase over full", format="+.4f")],
    )
    rule = alt.Chart(pd.DataFrame({"nll": [full]})).mark_rule(color="#e15759", strokeDash=[6, 4]).encode(
        y="nll:Q", tooltip=[alt.Tooltip("nll:Q", title="full model", format=".4f")])
    return (bars + rule).properties(title="Removing one direction (dashed: full model)", height=260)


def token_nll_chart(frame: pd.DataFrame) -> alt.Chart:
    """Per-token NLL along the tune for several softmax layers."""
    return alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("step:Q", title="step t"),
        y=alt.Y("nll:Q", title="-log p(token)"),
        color=_pair_color(frame, "model"),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("predicts:N", title="token"), alt.Tooltip("model:N"),
                 alt.Tooltip("nll:Q", title="-log p", format=".3f")],
    ).properties(title="Surprise at each token", height=260)


def wellformed_chart(frame: pd.DataFrame) -> alt.Chart:
    """Share of well-formed composed tunes for each number of directions kept."""
    return alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=60), color="#59a14f").encode(
        x=alt.X("k:Q", title="directions kept (top k)"),
        y=alt.Y("well_formed_share:Q", title="well-formed share", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("softmax:N"), alt.Tooltip("tunes:Q"), alt.Tooltip("ended:Q"),
                 alt.Tooltip("well_formed:Q"), alt.Tooltip("well_formed_share:Q", format=".0%")],
    ).properties(title="Well-formed share of composed tunes", height=280)


def spectra_chart(frame: pd.DataFrame, log_scale: bool = False) -> alt.Chart:
    """Several models' singular values overlaid."""
    y = alt.Y("singular_value:Q", title="singular value s_i",
              scale=alt.Scale(type="log") if log_scale else alt.Scale(zero=True))
    return alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=15)).encode(
        x=alt.X("direction:Q", title="direction i"), y=y,
        color=_pair_color(frame, "model"),
        strokeDash=alt.StrokeDash("model:N", legend=None),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("direction:Q", title="i"),
                 alt.Tooltip("singular_value:Q", title="s_i", format=".3f"),
                 alt.Tooltip("cumulative_energy:Q", title="energy ≤ i", format=".1%")],
    ).properties(title="Singular values of V", height=300)


def angles_chart(frame: pd.DataFrame) -> alt.Chart:
    """Principal angles (degrees) between two subspaces, smallest first; several pairs overlaid."""
    return alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=30)).encode(
        x=alt.X("index:Q", title="principal angle number", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("angle_degrees:Q", title="angle (degrees)", scale=alt.Scale(domain=[0, 90])),
        color=_pair_color(frame, "pair", ["#4e79a7", "#bab0ac"]),
        tooltip=[alt.Tooltip("pair:N"), alt.Tooltip("index:Q", title="#"),
                 alt.Tooltip("angle_degrees:Q", title="angle (°)", format=".2f")],
    ).properties(title="Principal angles between the top-k left singular subspaces", height=280)


def cosine_heatmap(frame: pd.DataFrame) -> alt.Chart:
    """|cos(u_i of A, u_j of B)| for the top directions of each model."""
    return alt.Chart(frame).mark_rect().encode(
        x=alt.X("j:O", title="u_j of model B"),
        y=alt.Y("i:O", title="u_i of model A"),
        color=alt.Color("abs_cosine:Q", title="|cos|", scale=alt.Scale(domain=[0, 1], scheme="greys")),
        tooltip=[alt.Tooltip("i:O"), alt.Tooltip("j:O"), alt.Tooltip("abs_cosine:Q", title="|cos|", format=".3f")],
    ).properties(title="|cosine| between left singular vectors (shared tokens)", height=360)


# --- Select and match ---

def span_heatmap(frame: pd.DataFrame, units: list[int], span: tuple[int, int]) -> alt.Chart:
    """h_t of one layer's ``units`` over the tune on a continuous step axis, so that a brush along it (the
    interval parameter ``span``) selects steps; the tokens ``span`` [a, b) now selected (steps a+1 .. b)
    are framed, and the steps that predict a bar line dashed."""
    brush = alt.selection_interval(name="span", encodings=["x"])
    step = alt.X("step:Q", title="step t (h_t after reading token t − 1)",
                 scale=alt.Scale(domain=[0, int(frame["step"].max()) + 1], nice=False))
    heat = alt.Chart(frame).transform_calculate(next="datum.step + 1").mark_rect().encode(
        x=step, x2="next:Q", y=alt.Y("unit:O", sort=units, title="unit", axis=alt.Axis(labelFontSize=7)),
        color=alt.Color("value:Q", scale=DIVERGING, title="h_t"),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("read:N", title="token read"), alt.Tooltip("unit:O"),
                 alt.Tooltip("value:Q", title="h_t", format=".4f")],
    ).add_params(brush)
    bars = frame[frame["category"] == "measure"].drop_duplicates("step")
    rules = alt.Chart(bars).transform_calculate(middle="datum.step + 0.5").mark_rule(
        color="black", strokeDash=[3, 3], opacity=0.5).encode(
        x="middle:Q", tooltip=[alt.Tooltip("step:Q", title="bar line at step"), alt.Tooltip("predicts:N")])
    chosen = alt.Chart(pd.DataFrame({"first": [span[0] + 1], "after": [span[1] + 1], "tokens": [f"{span[0]}–{span[1] - 1}"]})
                       ).mark_rect(fill=None, stroke="black", strokeWidth=2).encode(
        x="first:Q", x2="after:Q", tooltip=[alt.Tooltip("tokens:N", title="span selected, tokens")])
    return (heat + rules + chosen).properties(title="h_t over the tune: drag along it to select a span",
                                              height=160 + max(120, 6 * len(units)))
