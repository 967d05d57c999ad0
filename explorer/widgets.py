"""Small Streamlit building blocks shared by the pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from folkrnn import SoftmaxSVD

from .frames import original_comparison_frame

ChartBuilder = Callable[..., alt.Chart]

# Streamlit draws Altair charts without Altair's default theme (its own applies in the browser), so
# the specs made here go without it too. Set once for the process: switching the theme around each
# to_dict would race between sessions, as the theme is global.
alt.theme.enable("none")


@st.cache_data(max_entries=32, show_spinner=False)
def vega_lite_spec(_build: ChartBuilder, builder: str, *args, **kwargs) -> dict:
    """The Vega-Lite spec of ``_build(*args, **kwargs)`` with its datasets as Arrow bytes, made once per input.

    Building an Altair chart and validating its spec on every rerun was most of a warm rerun (a
    py-spy profile of the Directions in use page: 63% in Altair and jsonschema). Builders are pure
    functions of their arguments, so the spec is cached on them and on the builder's name
    (``builder``; Streamlit cannot hash the function itself), its datasets already in Arrow (a
    70k-row chart otherwise pays for the conversion on every rerun). ``st.cache_data`` hands every
    caller its own copy, which Streamlit changes while drawing it. 32 entries bound the memory.
    """
    return _spec(_build, *args, **kwargs)


@st.cache_data(max_entries=32, show_spinner=False)
def keyed_spec(_build: ChartBuilder, builder: str, key: tuple, _args: tuple, _kwargs: dict) -> dict:
    """:func:`vega_lite_spec` cached on ``key`` instead of on the arguments themselves: for large
    frames (a 20k-row Gramian), whose hashing on every rerun cost more than drawing. ``key`` must
    name everything the arguments are made from (the model's content hash, the tune, the choices)."""
    return _spec(_build, *_args, **_kwargs)


def _spec(build: ChartBuilder, *args, **kwargs) -> dict:
    spec = build(*args, **kwargs).to_dict()
    spec["datasets"] = {name: _arrow_bytes(rows) for name, rows in spec.get("datasets", {}).items()}
    return spec


def _arrow_bytes(rows: list[dict]) -> bytes:
    """A dataset as an Arrow IPC stream, the form Streamlit sends charts' data in (and passes on as is)."""
    table = pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def show_chart(build: ChartBuilder, *args, key: tuple | None = None, **kwargs) -> None:
    """Draw ``build(*args, **kwargs)`` (a pure chart builder from explorer.charts) across the page;
    with ``key``, its spec is cached on the key (:func:`keyed_spec`), not on the arguments."""
    builder = f"{build.__module__}.{build.__qualname__}"
    spec = (vega_lite_spec(build, builder, *args, **kwargs) if key is None
            else keyed_spec(build, builder, key, args, kwargs))
    st.vega_lite_chart(spec, width="stretch")


def chart_with_csv(name: str, frame: pd.DataFrame, build: ChartBuilder, *args, key: tuple | None = None,
                   **kwargs) -> None:
    """Draw ``build(*args, **kwargs)`` with a download of ``frame``, the data it draws, as ``name``.csv.

    The CSV is written only when the button is pressed (a callable), so reruns never pay for it.
    """
    show_chart(build, *args, key=key, **kwargs)
    st.download_button(
        f"Download {name}.csv", lambda: frame.to_csv(index=False).encode(), file_name=f"{name}.csv",
        mime="text/csv", key=f"csv-{name}", icon=":material/download:", on_click="ignore",
    )


def original_comparison_table(svd: SoftmaxSVD) -> None:
    """This model's s_1..s_3 and pushes next to the original v2's published ones."""
    st.dataframe(original_comparison_frame(svd), hide_index=True, column_config={
        "direction": st.column_config.NumberColumn("i", help="direction i, from 1"),
        "s_i": st.column_config.NumberColumn("s_i", format="%.2f", help="this model's i-th singular value of V"),
        "original s_i": st.column_config.NumberColumn("original s_i", format="%.2f",
                                                      help="the original v2's (Sturm, part 3; s₁ ≈ 509)"),
        "v + s_i u_i": st.column_config.TextColumn(help="this model's two likeliest tokens of softmax(v + s_i u_i)"),
        "v − s_i u_i": st.column_config.TextColumn(help="this model's two likeliest tokens of softmax(v − s_i u_i)"),
        "original (blog)": st.column_config.TextColumn(
            help="what pushing along ±u_i made likely in the original, with the blog's signs; a singular "
                 "pair's sign is arbitrary (this app makes each u_i's largest entry positive)"),
    })


def ranged(widget: Callable, label: str, low, high, value, *, key: str, **kwargs):
    """``widget`` (st.slider or st.number_input) in the URL under ``key``, for bounds that follow the tune
    or the model (a step of the tune, a unit, a direction): the value it kept from the last run, or that
    the URL gave, is clamped into [low, high] before it is laid out, and so is ``value``, the default.

    A slider whose bounds change is a new widget that takes its key's kept value: step 146 of a long
    tune, kept while a shorter one takes its place, stopped the page (StreamlitValueAboveMaxError).
    A range of one value (a model of one unit) offers no choice: that value, with no widget (a slider
    refuses equal bounds).
    """
    if low == high:
        return low
    kept = st.session_state.get(key)
    if kept is not None and not low <= kept <= high:
        st.session_state[key] = min(max(kept, low), high)
    return widget(label, low, high, min(max(value, low), high), key=key, bind="query-params", **kwargs)


def offered(widget: Callable, label: str, options: Sequence, *, key: str, **kwargs):
    """``widget`` (st.selectbox, st.radio, st.segmented_control or st.multiselect) in the URL under
    ``key``, for options that follow the model (its layers, tokens, directions): a kept choice the
    options no longer hold is dropped before it is laid out, so the widget shows its default (or, for
    a multiselect, the kept choices still offered) instead of a layer or token the model lacks; a
    multiselect's ``default`` keeps only what is offered."""
    kept = st.session_state.get(key)
    if isinstance(kept, list) and not set(kept) <= set(options):
        st.session_state[key] = [v for v in kept if v in options]
    elif kept is not None and not isinstance(kept, list) and kept not in options:
        del st.session_state[key]
    if isinstance(kwargs.get("default"), list):
        kwargs["default"] = [v for v in kwargs["default"] if v in options]
    return widget(label, options, key=key, bind="query-params", **kwargs)


def direction_input(label: str, rank: int, key: str, default: int = 1) -> int:
    """A direction number i in 1..rank, kept in the URL under ``key``."""
    return int(ranged(st.number_input, label, 1, rank, default, key=key, step=1))
