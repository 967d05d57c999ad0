"""Every setting a user can reach on a page, one at a time, ends without an exception (issue 26).

Each page of the navigation (explorer.navigation.SECTIONS) opens in AppTest with its small workload
(tests/apptest_pages.SMALL_WORKLOADS), on the embedded replica and on a tiny model (2 layers of 8 units)
uploaded through the sidebar's chooser. From the page's defaults, one at a time: every option of every
radio, selectbox, segmented control, select slider and multiselect (at most MAX_OPTIONS of a long list,
spread over it, first and last included), the other value of every toggle and checkbox, the minimum and
maximum of every number input and slider, a click on every button (a widget in a form is followed by a
click on its submit button) and, on the replica, the upload of the tiny model; on the tiny model, whose
runs cost less, the widgets a setting reveals are swept too, in that setting's state. Then every widget
whose range a setting changed (its bounds or options follow the tune or the model) is set to the value
that setting takes away, the setting follows, and then a plain rerun.

A run fails on an exception, or on a widget showing a value outside its own range: a slider whose bounds
change is a new widget that takes its key's kept value, and the next change of the page then stops it
(the logit lens's StreamlitValueAboveMaxError). A failure names the page, the settings in order, the URL
that opens the page with them, and what went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import explorer.session
from explorer.navigation import PageSpec
from folkrnn.io.checkpoint import to_bytes
from folkrnn.io.download import DownloadError
from tests.apptest_pages import PAGES, REFERENCE_CORPUS, SMALL_WORKLOADS, open_page
from tests.factories import random_weights

KINDS = ("radio", "selectbox", "button_group", "select_slider", "multiselect", "toggle", "checkbox",
         "number_input", "slider", "button")
MAX_OPTIONS = 3
MODEL_FILES = {  # models uploaded through the sidebar, by name: the sweep's, and the smallest the loader takes
    "tiny": to_bytes(random_weights(hidden=8, layers=2, seed=26)),
    "1 unit": to_bytes(random_weights(hidden=1, layers=1, seed=27)),
}
FILES = {"copying": {"reference": ("reference.txt", REFERENCE_CORPUS.encode())}}  # upload boxes a page waits on


@dataclass(frozen=True)
class Setting:
    """One thing a user does: set widget ``name`` (its key, or its label without one) of ``kind`` to
    ``value`` (a button's value is its click); kind "step" is a step of its own, named by ``value``."""

    kind: str
    name: str
    value: Any

    def __str__(self) -> str:
        return self.value if self.kind == "step" else f"{self.kind} {self.name!r} = {self.value!r}"


UPLOAD_TINY = Setting("step", "model", "upload the tiny model")
RERUN = Setting("step", "", "a rerun")


def _label(widget) -> Any:
    """A widget's value as set_value takes it back: option labels for the choosing widgets."""
    if widget.type == "multiselect":
        return list(widget.values)
    if widget.type == "button_group":
        return list(widget.formatted_values) if _multiple(widget) else next(iter(widget.formatted_values), None)
    if widget.type in ("radio", "selectbox", "select_slider"):
        return None if widget.value is None else widget.format_func(widget.value)
    return widget.value


def _multiple(widget) -> bool:
    return widget.type == "multiselect" or (widget.type == "button_group" and not widget._is_single_select)


def _spread(options: list[str]) -> list[str]:
    if len(options) <= MAX_OPTIONS:
        return list(options)
    return [options[int(i)] for i in np.unique(np.linspace(0, len(options) - 1, MAX_OPTIONS).round())]


def _number(widget, x: float) -> float | int:
    return int(x) if widget.proto.data_type == 0 else x  # INT, in both the Slider and NumberInput protos


def _choices(widget) -> list:
    """The values to try on a widget, its current one left out."""
    if widget.type in ("toggle", "checkbox"):
        return [not widget.value]
    if widget.type == "button":
        return [True]
    if widget.type in ("number_input", "slider"):
        values = [_number(widget, x) for x in (widget.min, widget.max) if x is not None]
    elif _multiple(widget):
        values = [[], *([option] for option in _spread(widget.options))]
    else:
        values = _spread(widget.options)
    return [v for v in values if v != _label(widget)]


def _range(widget) -> tuple:
    """What a widget offers: its bounds, or its options."""
    if widget.type in ("number_input", "slider"):
        return tuple(None if x is None else _number(widget, x) for x in (widget.min, widget.max))
    return tuple(getattr(widget, "options", ()))


def _within(widget) -> bool:
    """Whether a widget's value lies within its bounds, or among its options."""
    value = _label(widget)
    if widget.type in ("number_input", "slider"):
        low, high = _range(widget)
        return value is None or ((low is None or low <= value) and (high is None or value <= high))
    if widget.type in ("toggle", "checkbox", "button"):
        return True
    return all(v in widget.options for v in (value if _multiple(widget) else [value] if value is not None else []))


def _taken_away(kind: str, before: tuple, after: tuple) -> Any:
    """A value the range ``before`` offered and ``after`` does not (the maximum first), or None."""
    if kind in ("number_input", "slider"):
        (low, high), (new_low, new_high) = before, after
        if None not in (high, new_high) and new_high < high:
            return high
        return low if None not in (low, new_low) and new_low > low else None
    gone = next((option for option in before if option not in after), None)
    return [gone] if gone is not None and kind == "multiselect" else gone


def _widgets(at: AppTest) -> dict[tuple[str, str], Any]:
    """The enabled widgets of the page and the sidebar, by (kind, key or label)."""
    return {(kind, w.key or w.label): w for kind in KINDS for w in at.get(kind) if not getattr(w.proto, "disabled", False)}


class PageSweep:
    """The sweep of one page on one model: it opens the page, applies settings and collects failures."""

    def __init__(self, spec: PageSpec, model: str) -> None:
        self.spec, self.model = spec, model
        self.params = {k: str(v) for k, v in SMALL_WORKLOADS.get(spec.url_path, {}).items()}
        self.failures: list[str] = []

    def url(self, steps: list[Setting]) -> str:
        query = dict(self.params)
        for step in steps:
            if step == UPLOAD_TINY:
                query["model"] = "Upload"
            elif step.kind not in ("button", "step"):
                query[step.name] = str(step.value).lower() if isinstance(step.value, bool) else step.value
        model = "tiny" if UPLOAD_TINY in steps else self.model
        model = "" if model == "replica" else f" with the {model} model uploaded"
        return f"/{self.spec.url_path or ''}?{urlencode(query, doseq=True)}{model}"

    def ran(self, at: AppTest, steps: list[Setting]) -> bool:
        """Whether ``at`` ran clean after ``steps``: no exception, and every widget's value within its
        range (one outside it stops the page at the next rerun); a failure is recorded when not."""
        said = [e.value.splitlines()[0] for e in at.exception] or [
            f"{kind} {name!r} shows {_label(w)!r} outside its range {_range(w)}"
            for (kind, name), w in _widgets(at).items() if not _within(w)]
        if said:
            done = ", then ".join(map(str, steps)) or "the defaults"
            self.failures.append(f"{self.spec.url_path or 'home'} ({self.model}): {done} ({self.url(steps)}): "
                                 + "; ".join(said))
        return not said

    def open(self) -> AppTest:
        at = open_page(self.spec.url_path, **self.params)
        if self.model != "replica":
            self.upload(at, self.model)
            at.run()
        for key, file in FILES.get(self.spec.url_path, {}).items():
            at.file_uploader(key=key).upload(*file).run()
        return at

    def apply(self, at: AppTest, setting: Setting) -> None:
        """Do ``setting`` on the page (the caller runs it); a widget in a form is submitted with it."""
        if setting == UPLOAD_TINY:
            self.upload(at, "tiny")
        if setting.kind == "step":
            return
        widget = _widgets(at)[setting.kind, setting.name]
        widget.set_value(setting.value)
        form = getattr(widget, "form_id", "")
        if form and setting.kind != "button":
            next(b for b in at.button if b.form_id == form and b.proto.is_form_submitter).click()

    @staticmethod
    def upload(at: AppTest, model: str) -> None:
        """Choose Upload in the sidebar and give it the file of ``model`` (the caller runs it)."""
        at.radio(key="model").set_value("Upload").run()
        at.file_uploader(key="model_file").upload(f"{model}.safetensors", MODEL_FILES[model])

    def attempt(self, at: AppTest, steps: list[Setting]) -> tuple[AppTest, bool]:
        """``at`` after the last of ``steps`` (the others are done or pending), run, and whether it ran
        clean; a fresh page in its place when it did not."""
        last = steps[-1]
        if last.kind != "step" and (last.kind, last.name) not in _widgets(at):
            at.run()  # the pending changes bring it back
        self.apply(at, last)
        at.run()
        return (at, True) if self.ran(at, steps) else (self.open(), False)

    def reset(self, at: AppTest, defaults: dict, model: str) -> AppTest:
        """``at`` with its changed widgets set back to their defaults, to run with the next setting; a
        fresh page when they cannot be (a swapped model, a widget showing a value it does not offer)."""
        widgets = _widgets(at)
        if at.session_state["weights"].content_hash != model or not all(map(_within, widgets.values())):
            return self.open()
        for ident, widget in widgets.items():
            if ident in defaults and ident[0] != "button" and _label(widget) != defaults[ident]:
                self.apply(at, Setting(*ident, defaults[ident]))
        return at

    def sweep(self) -> list[str]:
        at = self.open()
        if not self.ran(at, []):
            return self.failures
        widgets = _widgets(at)
        defaults = {ident: _label(w) for ident, w in widgets.items()}
        ranges = {ident: _range(w) for ident, w in widgets.items()}
        model = at.session_state["weights"].content_hash
        settings = [Setting(*ident, v) for ident, w in widgets.items() for v in _choices(w)
                    if self.model == "replica" or ident != ("radio", "model")]  # the replica's sweep swaps models
        ranges_after: list[tuple[Setting, dict]] = []
        swept = set(defaults)
        for setting in settings + ([UPLOAD_TINY] if self.model == "replica" else []):
            at, ok = self.attempt(self.reset(at, defaults, model), [setting])
            if ok:
                ranges_after.append((setting, {ident: _range(w) for ident, w in _widgets(at).items()}))
            if ok and self.model != "replica":  # the tiny model's runs are the cheaper
                at = self.sweep_revealed(at, setting, swept)
        for ident, before in ranges.items():
            for setting, after in ranges_after:
                value = _taken_away(ident[0], before, after[ident]) if ident in after else None
                if value is not None and (setting.kind, setting.name) != ident:
                    self.follow(Setting(*ident, value), setting)
        return self.failures

    def follow(self, extreme: Setting, setting: Setting) -> None:
        """On a fresh page: ``extreme``, then ``setting``, then a rerun, each run checked."""
        at, ok = self.attempt(self.open(), [extreme])
        for steps in ([extreme, setting], [extreme, setting, RERUN]):
            if ok:
                at, ok = self.attempt(at, steps)

    def sweep_revealed(self, at: AppTest, setting: Setting, swept: set) -> AppTest:
        """Every value of the widgets ``setting`` revealed that no setting revealed before, one at a time."""
        revealed = {ident: (_label(w), _choices(w)) for ident, w in _widgets(at).items()
                    if ident not in swept and ident[0] != "button"}
        swept |= set(revealed)
        for ident, (own, choices) in revealed.items():
            for value in choices:
                if ident not in _widgets(at):  # a fresh page, after a failure
                    self.apply(at, setting)
                    at.run()
                at, _ = self.attempt(at, [setting, Setting(*ident, value)])
            if ident in _widgets(at):
                self.apply(at, Setting(*ident, own))  # runs with the next setting
        return at


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """The original weights are never downloaded here: choosing them reports the download's failure."""
    def unreachable():
        raise DownloadError("offline in the tests")

    monkeypatch.setattr(explorer.session, "original_model", unreachable)


@pytest.mark.parametrize("model", ["replica", "tiny"])
@pytest.mark.parametrize("spec", PAGES)
def test_no_setting_of_a_page_ends_in_an_exception(spec, model):
    failures = PageSweep(spec, model).sweep()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("spec", PAGES)
def test_every_page_opens_on_the_smallest_model(spec):
    """One layer of one unit, so one singular direction: a model the loader takes."""
    sweep = PageSweep(spec, "1 unit")
    at = sweep.open()
    assert sweep.ran(at, []), sweep.failures
    assert at.session_state["weights"].hidden_size == 1
