"""Heavy work waits for its button (explorer.on_demand): a page with a form opens without composing or
searching anything, computes once the button is pressed, keeps its result through other reruns, and
waits again when the model changes. Checked on every page of the app that has a form."""

import pytest
from streamlit.testing.v1 import AppTest

import folkrnn.analysis.search
import folkrnn.compose.interventions
import folkrnn.compose.sampling
from tests.apptest_pages import PAGE_SPECS, checked, open_page, press_forms, use_model
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=21)
OTHER = random_weights(hidden=16, seed=22)
SMALL = {"n": "2", "length": "20", "survey_length": "20", "candidates": "16", "tune": "Type", "source": "Type",
         "tokens": "M:4/4 K:Cmaj |: c 2 G E | C D E F :|"}
FORM_PAGES = {"in-use", "fewer", "match", "ablate", "search", "periodic", "forcing"}  # the pages whose heavy work waits for a button
pytestmark = pytest.mark.app_model(WEIGHTS)


@pytest.fixture
def work(monkeypatch):
    """Counts of the heavy calls: compositions (through any engine) and beam searches."""
    calls = {"compose": 0, "beam_search": 0}

    def counting(module, name):
        real = getattr(module, name)

        def counted(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    counting(folkrnn.compose.sampling, "compose")
    counting(folkrnn.compose.interventions, "compose")
    counting(folkrnn.analysis.search, "beam_search")
    return calls


def _form_buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.proto.is_form_submitter]


def test_every_page_with_a_form_is_listed():
    """A page that gains a form is checked below; a listed page that loses it fails here."""
    assert {spec.url_path for spec in PAGE_SPECS if _form_buttons(open_page(spec.url_path, **SMALL))} == FORM_PAGES


@pytest.mark.parametrize("url_path", sorted(FORM_PAGES))
def test_nothing_heavy_runs_until_the_button_is_pressed(work, url_path):
    at = open_page(url_path, **SMALL)
    (button,) = _form_buttons(at)
    assert work == {"compose": 0, "beam_search": 0}
    assert any(f"Press **{button}**" in info.value for info in at.info)
    checked(press_forms(at))
    assert work["compose"] + work["beam_search"] > 0
    assert not any(f"Press **{button}**" in info.value for info in at.info)


def test_a_result_stays_through_other_reruns_and_waits_again_for_another_model(work, monkeypatch):
    at = open_page("in-use", press=True, **SMALL)
    sample = [m.value for m in at.metric if m.label == "Sample"]
    assert len(sample) == 1
    done = work["compose"]
    at.slider(key="top").set_value(2).run()  # a widget outside the form
    assert [m.value for m in at.metric if m.label == "Sample"] == sample
    assert work["compose"] == done  # nothing composed again
    use_model(monkeypatch, OTHER)  # the sidebar's model changes
    at.run()
    assert not [m for m in at.metric if m.label == "Sample"]
    assert any("Press **Compose and measure**" in info.value for info in at.info)
