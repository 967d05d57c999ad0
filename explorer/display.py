"""What a page shows besides its controls: charts (with their data as CSV), tables, metrics and tunes' files.

Chart specs are built by the pure builders of :mod:`explorer.charts` and cached per input here, so a
rerun draws a chart without building it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from folkrnn import SoftmaxSVD
from folkrnn.compose.provenance import Origin, abc_file, midi_zip, provenances

from .abcjs import render_abc
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


def brushed_chart(build: ChartBuilder, *args, key: str, on_select: Callable[[], None], **kwargs) -> None:
    """Draw ``build(*args, **kwargs)``, a chart with an interval selection, across the page; when the user
    drags over it, ``on_select`` runs before the rerun and reads ``st.session_state[key].selection``."""
    builder = f"{build.__module__}.{build.__qualname__}"
    st.vega_lite_chart(vega_lite_spec(build, builder, *args, **kwargs), width="stretch", key=key,
                       on_select=on_select, selection_mode="span")


def chart_with_csv(name: str, frame: pd.DataFrame, build: ChartBuilder, *args, key: tuple | None = None,
                   **kwargs) -> None:
    """Draw ``build(*args, **kwargs)`` with a download of ``frame``, the data it draws, as ``name``.csv."""
    show_chart(build, *args, key=key, **kwargs)
    csv_download(name, frame)


def csv_download(name: str, frame: pd.DataFrame) -> None:
    """A download of ``frame`` as ``name``.csv, written only when the button is pressed (a callable),
    so reruns never pay for it."""
    st.download_button(
        f"Download {name}.csv", lambda: frame.to_csv(index=False).encode(), file_name=f"{name}.csv",
        mime="text/csv", key=f"csv-{name}", icon=":material/download:", on_click="ignore",
    )


def tune_downloads(tunes: Sequence[Sequence[str]], origins: Sequence[Origin], key: str, label: str | None = None,
                   stem: str | None = None, columns: Sequence | None = None) -> None:
    """Two downloads of ``tunes`` (token lists), each tune headed by its provenance in ``origins``: ABC, all
    in one file, and MIDI, one file or a zip of one per tune. Labelled "ABC" and "MIDI", or "``label`` (ABC)"
    and "``label`` (MIDI)"; files named by the tune's provenance, or ``stem``.abc and ``stem``_midi.zip.
    Written only when pressed, so reruns never pay for them; drawn in two ``columns``, or in two of their own."""
    one = len(tunes) == 1
    abc_column, midi_column = columns or st.columns(2)
    abc_column.download_button(
        "ABC" if label is None else f"{label} (ABC)", lambda: abc_file(tunes, origins).encode(),
        file_name=origins[0].file_name("abc") if stem is None else f"{stem}.abc", mime="text/vnd.abc",
        key=f"{key}-abc", icon=":material/download:", on_click="ignore",
        help="With how it was made: the model, its content hash and every setting that made it.")
    midi_column.download_button(
        "MIDI" if label is None else f"{label} (MIDI)",
        (lambda: origins[0].midi(tunes[0])) if one else (lambda: midi_zip(tunes, origins)),
        file_name=origins[0].file_name("mid") if stem is None else f"{stem}{'.mid' if one else '_midi.zip'}",
        mime="audio/midi" if one else "application/zip", key=f"{key}-midi", icon=":material/download:",
        on_click="ignore", help="Standard MIDI: L:1/8 at 120 quarter notes a minute, repeats not expanded"
                                + ("." if one else "; a zip of one file per tune."))


def paired_tune_downloads(weights, settings, change: str, without: Sequence, under: Sequence) -> None:
    """Downloads of the tunes :func:`explorer.compute.composed_pair` drew with and without ``change`` (its
    ``describe()``), side by side, so that each file says whether and how the network was changed."""
    stem = f"folkrnn_seed{settings.seed}_tunes"
    columns = st.columns(4)
    tune_downloads([tune.tokens for tune in without], provenances(weights, settings), "download-without", "Without", stem,
                   columns[:2])
    tune_downloads([tune.tokens for tune in under], provenances(weights, settings, change=change), "download-with",
                   "With the change", f"{stem}_changed", columns[2:])


def tunes_side_by_side(sets: dict[str, Sequence], shown: int, height: int = 300) -> None:
    """Tunes 1..``shown`` of each set of composed tunes (by its name), the sets side by side: a caption
    (length, well-formed or why not) over each tune's sheet music."""
    for i in range(shown):
        for column, (name, tunes) in zip(st.columns(len(sets)), sets.items()):
            with column:
                verdict = tunes[i].verdict
                st.caption(f"Tune {i + 1} {name} · {len(tunes[i].tokens)} tokens · "
                           + ("well-formed" if verdict.ok else f"not well-formed: {verdict.reason}"))
                render_abc(tunes[i].abc(i + 1), height=height, key=f"abc-{name.split()[0]}-{i}")


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


SUMMARY_METRICS = {  # summary key -> (label, value format, signed delta format, delta colour)
    "well_formed_share": ("Well-formed", "{:.0%}", "{:+.0%}", "normal"),
    "mean_bar_errors": ("Bar-duration errors per tune", "{:.2f}", "{:+.2f}", "inverse"),
    "mean_length": ("Mean length (tokens)", "{:.0f}", "{:+.0f}", "off"),
    "mean_bars": ("Mean bar lines", "{:.1f}", "{:+.1f}", "off"),
}


def summary_metrics(before: dict, after: dict, keys: Sequence[str], baseline: str = "the network itself") -> None:
    """One metric per :func:`folkrnn.analysis.experiments.summary` figure in ``keys``: the changed tunes' value,
    its change from ``before`` as the delta, and ``before`` in the tooltip."""
    for column, key in zip(st.columns(len(keys)), keys):
        label, value, change, colour = SUMMARY_METRICS[key]
        column.metric(label, value.format(after[key]), delta=change.format(after[key] - before[key]),
                      delta_color=colour, help=f"With the change; {baseline}: {value.format(before[key])}")
