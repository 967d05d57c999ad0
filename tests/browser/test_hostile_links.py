"""The worst links of issue 26, opened one after another in a browser while a second session keeps working:
each settles with no exception, the second session's page answers meanwhile, and the server's memory grows
by at most LINK_BUDGET_MB per link."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import APP_SCRIPT, SERVER_START_TIMEOUT_S, _StreamlitServer, app_exceptions, open_app, wait_for_app
from tests.test_url_bounds import tune_of

LINKS = [
    "ablate?zero1=0-50000000",
    f"similarity?source=Type&tokens={quote(tune_of(902))}",
    f"layers?source=Type&tokens={quote(tune_of(9064))}",
    "search?length=600&candidates=8192&keep=1.0&floor=0.0",
    "in-use?n=200&survey_length=1000",
    "fewer?n=50&length=1000",
]
LINK_BUDGET_MB = 200
SETTLE_MS = 60_000


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


class PeakMemory:
    """The largest RSS of a process, sampled every 50 ms while in use."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, rss_mb(pid), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mb(self.pid))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own, so that its memory is this test's alone."""
    if not Path("/proc/self/status").exists():
        pytest.skip("reads the server's memory from /proc")
    started = _StreamlitServer(APP_SCRIPT, tmp_path_factory.mktemp("hostile-links") / "server.log")
    started.wait_until_healthy(SERVER_START_TIMEOUT_S)
    yield started
    started.stop()


@pytest.mark.browser
def test_the_worst_links_settle_in_bounded_memory_while_another_session_works(browser, server):
    visitor, other = (browser.new_context(viewport={"width": 1280, "height": 900}).new_page() for _ in range(2))
    open_app(other, f"{server.base_url}/perturb")
    open_app(visitor, f"{server.base_url}/ablate")  # the pages' modules and the replica are loaded first
    grown = {}
    for link in LINKS:
        before = rss_mb(server.process.pid)
        with PeakMemory(server.process.pid) as memory:
            visitor.goto(f"{server.base_url}/{link}")
            started = time.monotonic()
            other.get_by_role("button", name="a = −1").click()  # the other session, while the link runs
            wait_for_app(other)
            other_s = time.monotonic() - started
            wait_for_app(visitor, timeout_ms=SETTLE_MS)
        assert not app_exceptions(visitor), (link[:60], app_exceptions(visitor))
        assert not app_exceptions(other)
        expect(other.get_by_text("Entropy perturbed")).to_be_visible()
        grown[link[:40]] = (round(memory.peak - before), round(other_s, 1))
    assert all(mb <= LINK_BUDGET_MB for mb, _ in grown.values()), grown
