"""Small Streamlit building blocks shared by the pages."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st


def chart_with_csv(chart: alt.Chart, frame: pd.DataFrame, name: str) -> None:
    """Show ``chart`` with a download of the data it draws as ``name``.csv next to it.

    The CSV is written only when the button is pressed (a callable), so reruns never pay for it.
    """
    st.altair_chart(chart, width="stretch")
    st.download_button(
        f"Download {name}.csv", lambda: frame.to_csv(index=False).encode(), file_name=f"{name}.csv",
        mime="text/csv", key=f"csv-{name}", icon=":material/download:", on_click="ignore",
    )


def direction_input(label: str, rank: int, key: str, default: int = 1) -> int:
    """A direction number i in 1..rank, kept in the URL under ``key``."""
    return int(st.number_input(label, min_value=1, max_value=rank, value=min(default, rank), step=1,
                               key=key, bind="query-params"))
