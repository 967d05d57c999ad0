"""Fixtures for real-browser end-to-end tests of the Streamlit app.

A test gets a running Streamlit server and a Playwright page in Debian's chromium:

    import pytest
    from playwright.sync_api import expect

    from tests.browser.conftest import open_app, wait_for_app

    @pytest.mark.browser
    def test_home(page, streamlit_server):
        open_app(page, streamlit_server)            # goto + wait_for_app
        expect(page.get_by_role("heading", name="folk-rnn")).to_be_visible()

Fixtures
--------
``start_streamlit``  (session) factory: ``start_streamlit(script: Path) -> base_url``.
    Starts ``python -m streamlit run SCRIPT`` on 127.0.0.1 and a free port, waits for
    ``GET /_stcore/health`` to answer ``ok`` (at most ``SERVER_START_TIMEOUT_S``), and
    stops the server when the session ends. One server per script, reused by all tests.
``streamlit_server`` (session) base URL of the app, by default ``streamlit_app.py`` at
    the repository root. Another script, per test or module::

        @pytest.mark.parametrize("streamlit_server", [Path(...)], indirect=True)
``browser``          (package: shared by every test under tests/browser/) Playwright
    ``Browser``: Debian chromium at ``/usr/bin/chromium``, headless. Skips the test when
    chromium (or the playwright package) is missing; ``.ci/run`` installs chromium, so CI
    runs these tests. ``playwright install`` is never needed nor allowed.
    Package rather than session scope on purpose: a live ``sync_playwright()`` leaves an
    asyncio loop marked running in the main thread, so any other test that starts its
    own ``sync_playwright()`` (or calls ``asyncio.run``) while it is open fails with
    "using Playwright Sync API inside the asyncio loop". Closing it when the tests in
    this package are done keeps the rest of the suite independent of it. Put browser
    tests here and use ``page`` rather than starting Playwright yourself.
``page``             (function) a fresh ``Page`` in its own browser context; actions
    time out after ``PAGE_TIMEOUT_MS``, ``expect`` assertions after ``EXPECT_TIMEOUT_MS``.
``server_stays_torch_free`` (autouse) after every test that used ``streamlit_server``: no
    torch library is mapped into that server's process (memory on Streamlit Community Cloud
    is tight, and the app runs the network in numpy and ONNX Runtime), so the test that
    first loads torch into the server users run fails, whichever page it opened.

Mark every test here with ``@pytest.mark.browser`` (``pytest -m "not browser"`` runs the
rest quickly). Servers run with the repository root as working directory, so the
project's ``.streamlit/config.toml`` applies, and the root is on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # playwright is imported lazily so a missing package only skips
    from playwright.sync_api import Browser, Page

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_SCRIPT = REPO_ROOT / "streamlit_app.py"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Seconds to wait for a Streamlit server's health endpoint (the CI machine has 2 cores).
SERVER_START_TIMEOUT_S = 60
#: Playwright's default timeout for page actions (``page`` fixture) and for waits.
PAGE_TIMEOUT_MS = 30_000
#: Default timeout of Playwright's ``expect`` assertions (Playwright's own is 5 s).
EXPECT_TIMEOUT_MS = 15_000
#: Streamlit debounces some widgets (~200 ms) before it asks for a rerun.
RERUN_DEBOUNCE_MS = 250


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, chars: int = 6000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "<no server log>"


def torch_mapped(pid: int) -> bool:
    """Whether any torch library is mapped into process ``pid``'s memory."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return "libtorch" in maps or "/torch/" in maps


class _StreamlitServer:
    def __init__(self, script: Path, log_path: Path) -> None:
        self.script = script
        self.log_path = log_path
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
            # No file watcher: nothing edits the app during a test, and it saves CPU.
            "--server.fileWatcherType", "none",
            "--server.runOnSave", "false",
        ]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        self._log = open(log_path, "wb")  # a file, not a pipe: a full pipe would block the server
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_until_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                pytest.fail(
                    f"Streamlit server for {self.script} exited with code "
                    f"{self.process.returncode} before answering /_stcore/health.\n"
                    f"--- server output ---\n{_tail(self.log_path)}",
                    pytrace=False,
                )
            if _healthy(self.base_url):
                return
            time.sleep(0.25)
        self.stop()
        pytest.fail(
            f"Streamlit server for {self.script} did not answer {self.base_url}/_stcore/health "
            f"within {timeout_s:.0f} s.\n--- server output ---\n{_tail(self.log_path)}",
            pytrace=False,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


_SERVERS: dict[Path, _StreamlitServer] = {}  # by script: the servers start_streamlit started this session


@pytest.fixture(scope="session")
def start_streamlit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path], str]]:
    """Factory: ``start_streamlit(script) -> base_url`` (no trailing slash).

    The first call for a script starts its server and waits until it is healthy; later
    calls return the same URL. All servers stop at the end of the session.
    """

    def start(script: Path | str) -> str:
        script = Path(script).resolve()
        if script in _SERVERS:
            server = _SERVERS[script]
            if server.process.poll() is None:
                return server.base_url
            pytest.fail(
                f"Streamlit server for {script} died (code {server.process.returncode}).\n"
                f"--- server output ---\n{_tail(server.log_path)}",
                pytrace=False,
            )
        if not script.is_file():
            pytest.fail(f"Streamlit app script not found: {script}", pytrace=False)
        log_dir = tmp_path_factory.mktemp(f"streamlit-{script.stem}")
        server = _StreamlitServer(script, log_dir / "server.log")
        _SERVERS[script] = server
        server.wait_until_healthy(SERVER_START_TIMEOUT_S)
        return server.base_url

    yield start
    for server in _SERVERS.values():
        server.stop()
    _SERVERS.clear()


@pytest.fixture(scope="session")
def streamlit_server(request: pytest.FixtureRequest, start_streamlit: Callable[[Path], str]) -> str:
    """Base URL of a running app: ``streamlit_app.py``, or the script given by indirect
    parametrisation (``@pytest.mark.parametrize("streamlit_server", [path], indirect=True)``)."""
    script = Path(getattr(request, "param", APP_SCRIPT))
    return start_streamlit(script)


@pytest.fixture(autouse=True)
def server_stays_torch_free(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the test, if it used ``streamlit_server``: no torch is mapped into that server."""
    yield
    if "streamlit_server" in request.fixturenames:
        url = request.getfixturevalue("streamlit_server")
        (pid,) = [server.process.pid for server in _SERVERS.values() if server.base_url == url]
        assert not torch_mapped(pid), f"this test loaded torch into the server at {url}"


# -------------------------------------------------------------------------- browser


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium driven by Playwright (sync API); skips if unavailable.

    Package-scoped: see the module docstring (a running sync Playwright would break
    other tests' own ``sync_playwright()`` / ``asyncio.run``)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium); .ci/run does")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    sync_api.expect.set_options(timeout=EXPECT_TIMEOUT_MS)  # slow 2-core CI machines
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A new page in a fresh browser context (no cookies or storage shared with other tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


# -------------------------------------------------------------------------- helpers


def wait_for_app(page: Page, timeout_ms: int = PAGE_TIMEOUT_MS, debounce_ms: int = RERUN_DEBOUNCE_MS) -> None:
    """Block until Streamlit has finished running the script and rendered its output.

    Call it after ``page.goto`` and after every interaction that triggers a rerun
    (moving a slider, clicking a button, choosing an option, uploading a file), before
    asserting on the result; otherwise an assertion may pass against the old page.

    It waits for ``debounce_ms`` first (widgets debounce before asking for a rerun), then
    for the root element ``[data-testid="stApp"]`` to report
    ``data-test-connection-state="CONNECTED"`` and ``data-test-script-state="notRunning"``
    (the states Streamlit's own end-to-end tests use), for the main block to be present,
    and for the running indicator (``[data-testid="stStatusWidget"]``) and any loading
    skeletons to be gone. Raises Playwright's ``TimeoutError`` after ``timeout_ms``.
    """
    from playwright.sync_api import expect

    if debounce_ms > 0:
        page.wait_for_timeout(debounce_ms)
    page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]').wait_for(
        state="attached", timeout=timeout_ms
    )
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        state="attached", timeout=timeout_ms
    )
    page.locator('[data-testid="stMain"]').wait_for(state="attached", timeout=timeout_ms)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=timeout_ms)
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0, timeout=timeout_ms)


def open_app(page: Page, url: str, timeout_ms: int = PAGE_TIMEOUT_MS, press: bool = True) -> None:
    """``page.goto(url)`` then :func:`wait_for_app`, then (unless not ``press``) :func:`press_forms`. For a
    page of a multipage app, pass ``f"{streamlit_server}/<url_path>"``."""
    page.goto(url, timeout=timeout_ms)
    wait_for_app(page, timeout_ms=timeout_ms)
    if press:
        press_forms(page, timeout_ms)


def press_forms(page: Page, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Press each form's button on the page (heavy work waits for one: explorer.on_demand) and wait for
    the work it starts."""
    buttons = page.locator('[data-testid="stFormSubmitButton"] button')
    for n in range(buttons.count()):
        buttons.nth(n).click()
        wait_for_app(page, timeout_ms=timeout_ms)


def download(page: Page, name: str, n: int = 0) -> bytes:
    """The bytes of the file the ``n``-th button called ``name`` (exactly) downloads."""
    with page.expect_download() as info:
        page.get_by_role("button", name=name, exact=True).nth(n).click()
    return Path(info.value.path()).read_bytes()


def app_exceptions(page: Page) -> list[str]:
    """Texts of the exceptions the app displays (``st.exception`` / uncaught errors)."""
    return page.locator('[data-testid="stException"]').all_inner_texts()


def screenshot(page: Page, name: str) -> None:
    """With FOLKRNN_SCREENSHOTS=DIR set, save the whole page as DIR/``name``.png (the README's screenshots
    are made so: ``FOLKRNN_SCREENSHOTS=docs/screenshots pytest tests/browser``)."""
    folder = os.environ.get("FOLKRNN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
