"""Altair chart builders: pure functions from a tidy frame (see frames.py) to an ``alt.Chart``.

Testable without Streamlit through ``chart.to_dict()``. Every chart carries tooltips; token charts
are coloured by token category with one fixed palette, so a category has the same colour everywhere.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from folkrnn import CATEGORIES

# V has vocab x 512 entries (70k rows for v2): more than Altair's default guard of 5,000 rows.
alt.data_transformers.disable_max_rows()

PALETTE = ["#4c4c4c", "#e15759", "#f28e2b", "#76b7b2", "#b07aa1", "#edc948", "#4e79a7", "#9c755f",
           "#59a14f", "#bab0ac"]
LSTM_RANGE = (-1.0, 1.0)


def category_color(legend: bool = True) -> alt.Color:
    return alt.Color(
        "category:N", scale=alt.Scale(domain=list(CATEGORIES), range=PALETTE),
        legend=alt.Legend(title="token category", orient="bottom", columns=5) if legend else None,
    )


def _token_tooltip(value: str, title: str) -> list:
    return [alt.Tooltip("token:N"), alt.Tooltip("category:N"), alt.Tooltip("index:Q", title="index"),
            alt.Tooltip(f"{value}:Q", title=title, format=".4f")]


def spectrum_chart(frame: pd.DataFrame, log_scale: bool = False) -> alt.Chart:
    """s_i against i, on a linear or log y axis."""
    y = alt.Y("singular_value:Q", title="singular value s_i",
              scale=alt.Scale(type="log") if log_scale else alt.Scale(zero=True))
    base = alt.Chart(frame).encode(
        x=alt.X("direction:Q", title="direction i", scale=alt.Scale(domainMin=1)), y=y,
        tooltip=[alt.Tooltip("direction:Q", title="i"), alt.Tooltip("singular_value:Q", title="s_i", format=".3f")],
    )
    return (base.mark_line(color="#4e79a7") + base.mark_circle(size=30, color="#4e79a7")).properties(
        title="Singular values of V", height=320)


def energy_chart(frame: pd.DataFrame) -> alt.Chart:
    """Cumulative share of sum s_i^2 captured by the top k directions."""
    return alt.Chart(frame).mark_line(point=True, color="#59a14f").encode(
        x=alt.X("direction:Q", title="top k directions"),
        y=alt.Y("cumulative_energy:Q", title="cumulative energy", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("direction:Q", title="k"),
                 alt.Tooltip("cumulative_energy:Q", title="energy", format=".2%")],
    ).properties(title="Cumulative energy  Σ_{i≤k} s_i² / Σ s_i²", height=260)


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
