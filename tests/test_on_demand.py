"""Heavy work waits for its button (explorer.on_demand): a page with a form opens without composing or
searching anything, computes once the button is pressed, keeps its result through other reruns, and
waits again when the model changes. Checked on every page of the app that has a form."""

import pytest
from streamlit.testing.v1 import AppTest

import explorer.models
import explorer.session
import folkrnn.analysis.search
import folkrnn.compose.interventions
import folkrnn.compose.sampling
from explorer.navigation import SECTIONS
from tests.apptest_pages import SECTION_APP, press_forms
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=21)
OTHER = random_weights(hidden=16, seed=22)
SMALL = {"n": "2", "length": "20", "survey_length": "20", "candidates": "16", "tune": "Type", "source": "Type",
         "tokens": "M:4/4 K:Cmaj |: c 2 G E | C D E F :|"}
FORM_PAGES = {"in-use", "fewer", "ablate", "search", "periodic", "forcing"}  # the pages whose heavy work waits for a button


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
    monkeypatch.setattr(explorer.models, "embedded_model", lambda *_: WEIGHTS)
    monkeypatch.setattr(explorer.session, "embedded_model", lambda *_: WEIGHTS)
    return calls


def _open(url_path: str) -> AppTest:
    section = next(name for name, specs in SECTIONS.items() if any(spec.url_path == url_path for spec in specs))
    at = AppTest.from_file(SECTION_APP, default_timeout=120)
    at.session_state["section"] = section
    at.session_state["start_page"] = url_path
    at.query_params.update(SMALL)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _form_buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.proto.is_form_submitter]


def test_every_page_with_a_form_is_listed():
    """A page that gains a form is checked below; a listed page that loses it fails here."""
    with_forms = set()
    for specs in SECTIONS.values():
        for spec in specs:
            if spec.url_path and _form_buttons(_open(spec.url_path)):
                with_forms.add(spec.url_path)
    assert with_forms == FORM_PAGES


@pytest.mark.parametrize("url_path", sorted(FORM_PAGES))
def test_nothing_heavy_runs_until_the_button_is_pressed(work, url_path):
    at = _open(url_path)
    (button,) = _form_buttons(at)
    assert work == {"compose": 0, "beam_search": 0}
    assert any(f"Press **{button}**" in info.value for info in at.info)
    press_forms(at)
    assert not at.exception, [e.value for e in at.exception]
    assert work["compose"] + work["beam_search"] > 0
    assert not any(f"Press **{button}**" in info.value for info in at.info)


def test_a_result_stays_through_other_reruns_and_waits_again_for_another_model(work, monkeypatch):
    at = press_forms(_open("in-use"))
    sample = [m.value for m in at.metric if m.label == "Sample"]
    assert len(sample) == 1
    done = work["compose"]
    at.slider(key="top").set_value(2).run()  # a widget outside the form
    assert [m.value for m in at.metric if m.label == "Sample"] == sample
    assert work["compose"] == done  # nothing composed again
    monkeypatch.setattr(explorer.session, "embedded_model", lambda *_: OTHER)  # the sidebar's model changes
    at.run()
    assert not [m for m in at.metric if m.label == "Sample"]
    assert any("Press **Compose and measure**" in info.value for info in at.info)
