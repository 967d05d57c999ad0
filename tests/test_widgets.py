"""explorer.display.vega_lite_spec: the cached chart specs the pages draw."""

import altair as alt
import pandas as pd
import pyarrow as pa

from explorer.display import keyed_spec, vega_lite_spec

FRAME = pd.DataFrame({"i": [1, 2, 3], "s": [5.0, 3.5, 1.25], "token": ["|:", "</s>", "C"]})


def bars(frame: pd.DataFrame) -> alt.Chart:
    return alt.Chart(frame).mark_bar().encode(x="i:O", y="s:Q")


def points(frame: pd.DataFrame) -> alt.Chart:
    return alt.Chart(frame).mark_point().encode(x="i:O", y="s:Q")


def _datasets(spec: dict) -> list[pd.DataFrame]:
    return [pa.ipc.open_stream(data).read_pandas() for data in spec["datasets"].values()]


def test_the_spec_carries_the_charts_data_as_arrow():
    spec = vega_lite_spec(bars, "bars", FRAME)
    assert spec["mark"]["type"] == "bar" and spec["data"]["name"] in spec["datasets"]
    (data,) = _datasets(spec)
    pd.testing.assert_frame_equal(data, FRAME)


def test_the_cache_tells_builders_apart_by_name():
    assert vega_lite_spec(bars, "bars", FRAME)["mark"]["type"] == "bar"
    assert vega_lite_spec(points, "points", FRAME)["mark"]["type"] == "point"


def test_the_cache_tells_inputs_apart():
    other = FRAME.assign(s=FRAME.s * 2)
    (data,) = _datasets(vega_lite_spec(bars, "bars", other))
    assert data.s.tolist() == [10.0, 7.0, 2.5]


def test_a_keyed_spec_is_cached_on_its_key_alone():
    """The key stands for the arguments: the same key gives the first spec back, a new key a new one."""
    other = FRAME.assign(s=FRAME.s * 2)
    (first,) = _datasets(keyed_spec(bars, "bars", ("model", "tune", 1), (FRAME,), {}))
    (same,) = _datasets(keyed_spec(bars, "bars", ("model", "tune", 1), (other,), {}))
    (new,) = _datasets(keyed_spec(bars, "bars", ("model", "tune", 2), (other,), {}))
    assert first.s.tolist() == same.s.tolist() == [5.0, 3.5, 1.25]
    assert new.s.tolist() == [10.0, 7.0, 2.5]
    assert keyed_spec(bars, "bars", ("k",), (FRAME,), {}) == vega_lite_spec(bars, "bars", FRAME)


def test_every_caller_gets_its_own_copy():
    """Streamlit removes the datasets from the spec it draws; the next rerun must still get them."""
    first = vega_lite_spec(bars, "bars", FRAME)
    first.pop("datasets")
    assert len(_datasets(vega_lite_spec(bars, "bars", FRAME))) == 1


def test_the_spec_is_altairs_own_without_a_theme():
    """The same spec as Altair's to_dict, data aside, and no default theme sizes (as Streamlit draws)."""
    spec = vega_lite_spec(bars, "bars", FRAME)
    expected = bars(FRAME).to_dict()
    assert {k: v for k, v in spec.items() if k != "datasets"} == {k: v for k, v in expected.items() if k != "datasets"}
    assert "config" not in spec
