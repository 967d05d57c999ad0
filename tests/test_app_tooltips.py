"""Every page of the app's navigation (explorer.navigation.SECTIONS) opened through AppTest on a small random
model: it runs clean, draws every chart its source draws, and every mark of every chart has a tooltip."""

from __future__ import annotations

import json
import re

import pytest

from explorer.navigation import COPYING, PAGES_DIR
from folkrnn.analysis.spectrum import spectrum_summary
from folkrnn.analysis.svd import softmax_svd
from folkrnn.weights import ModelWeights
from tests.apptest_pages import PAGE_SPECS, PAGES, REFERENCE_CORPUS, SMALL_WORKLOADS, checked, open_page
from tests.factories import random_weights
from tests.vega import title, views

_SMALL = random_weights(hidden=8, seed=31)
# With a per-epoch spectrum, as a trained checkpoint has, so that the spectrum page draws its history too.
WEIGHTS = ModelWeights.checked(_SMALL.vocabulary, _SMALL.layers, _SMALL.V, _SMALL.v, {
    **_SMALL.metadata,
    "training": {"spectrum_history": [{"epoch": e, **spectrum_summary(softmax_svd(_SMALL))} for e in (1, 2)]}})
DRAWING = re.compile(r"\b(?:chart_with_csv|show_chart|brushed_chart|st\.altair_chart|st\.vega_lite_chart)\(")
pytestmark = pytest.mark.app_model(WEIGHTS)


def test_the_small_workloads_name_pages_of_the_navigation():
    assert set(SMALL_WORKLOADS) <= {spec.url_path for spec in PAGE_SPECS}


@pytest.mark.parametrize("spec", PAGES)
def test_every_chart_of_the_page_has_a_tooltip_on_every_mark(spec):
    at = open_page(spec.url_path, press=True, **SMALL_WORKLOADS.get(spec.url_path, {}))
    if spec == COPYING:  # it draws once a reference corpus is given
        checked(at.file_uploader(key="reference").upload("reference.txt", REFERENCE_CORPUS.encode()).run())
    assert not at.error, [e.value for e in at.error]
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    assert len(specs) == len(DRAWING.findall((PAGES_DIR / spec.file).read_text())), "a chart was not drawn"
    for chart in specs:
        for view in views(chart):
            assert view.tooltip_fields(), (spec.file, title(chart), view.mark)
