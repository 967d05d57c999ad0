"""Benchmarks of the app's server as its users meet it: each page's first visit on one core, the
server's memory after a tour of every page and under a class of concurrent sessions, an original
pickle's load, and BLAS threads when the other core is busy.

Targets come from issue 25: a first visit settles in 2 s on one core; after a tour the server holds
at most 450 MB; eight concurrent heavy sessions peak at 690 MB (Streamlit Community Cloud's smallest
tier); an original v2 pickle adds at most 200 MB; load + SVD with the other core busy stays within 2x.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FIRST_VISIT = """
import sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("streamlit_app.py", default_timeout=600)
at.run()  # the server's model, loaded once, and its thread pools sized by streamlit_app.py
started = time.perf_counter()
at.switch_page(sys.argv[1]).run()
assert not at.exception, at.exception
print(time.perf_counter() - started)
"""


def app_pages() -> list[str]:
    """Every page's file, in the sidebar's order (explorer.navigation)."""
    sys.path.insert(0, str(ROOT))
    from explorer.navigation import SECTIONS

    return [f"app_pages/{spec.file}" for specs in SECTIONS.values() for spec in specs]


def first_visits(repeat: int, cpu: int = 0) -> dict[str, float]:
    """Median seconds from switching to a page to its run's end, in a fresh app process pinned to one
    CPU (``taskset -c``) with nothing cached but the model: what a page's first visitor waits."""
    results = {}
    for page in app_pages():
        times = []
        for _ in range(repeat):
            out = subprocess.run(["taskset", "-c", str(cpu), sys.executable, "-c", FIRST_VISIT, page], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout
            times.append(float(out.strip().splitlines()[-1]))
        results[page] = statistics.median(times)
        print(f"  {page}: {results[page]:.2f} s", flush=True)
    return results


def busy_loop(cpu: int) -> subprocess.Popen:
    """A process that keeps CPU ``cpu`` busy until killed."""
    return subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c", "while True: pass"])


LOAD_AND_SVD = """
import time
from folkrnn.cpus import fit_threads
fit_threads(1)
from folkrnn import load_model, softmax_svd
started = time.perf_counter()
softmax_svd(load_model())
print(time.perf_counter() - started)
"""


def threads_under_load(repeat: int) -> dict[str, float]:
    """Load + SVD in a fresh process with the app's thread setting, on an idle machine and with every
    other CPU kept busy: median milliseconds of each and their ratio."""
    def run() -> float:
        out = subprocess.run([sys.executable, "-c", LOAD_AND_SVD], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
        return float(out.strip().splitlines()[-1])

    idle = [run() for _ in range(repeat)]
    loops = [busy_loop(cpu) for cpu in sorted(os.sched_getaffinity(0))[1:]]
    try:
        time.sleep(0.5)
        busy = [run() for _ in range(repeat)]
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    idle_ms, busy_ms = 1000 * statistics.median(idle), 1000 * statistics.median(busy)
    return {"idle_ms": idle_ms, "busy_ms": busy_ms, "ratio": busy_ms / idle_ms}


# ---------------------------------------------------------------------------- memory

def _rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` and its children (the model sandbox), MB; 0 once gone."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    total += int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024
    return total + sum(_rss_mb(int(child)) for child in children)


class PeakRSS:
    """The largest resident memory of a server and its children, sampled every 20 ms in a thread."""

    def __init__(self, pid: int):
        import threading

        self.pid, self.peak, self._stop = pid, _rss_mb(pid), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb(self.pid))

    def reset(self) -> float:
        """The resident memory now, from which the next peak is counted."""
        self.peak = _rss_mb(self.pid)
        return self.peak

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def _url_paths() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from explorer.navigation import SECTIONS

    return [spec.url_path or "" for specs in SECTIONS.values() for spec in specs]


def _settled(page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(state="attached",
                                                                                        timeout=600_000)
    page.wait_for_timeout(300)


# Eight sessions of a class on the heavy pages, each with its own settings (tune, directions, model),
# each pressing its page's button: what one server must hold at once.
CLASS = [
    "in-use?n=20&survey_seed=1",
    "in-use?model=Faithful&n=20&survey_seed=2&source=Type",
    "fewer?n=10&ks=5&ks=30&seed=3",
    "fewer?model=Faithful&how=Remove&remove=1&n=10&ks=10",
    "search?keep=0.1&candidates=512&length=200",
    "ablate?zero3=0-99&n=8&seed=4",
    "layers?model=Faithful&source=Compose&seed=5&length=1000",
    "similarity?source=Compose&seed=6&length=1000",
]


# Twenty sessions of a class opening one link the teacher shared, each pressing its button: a survey
# nothing has computed yet (its seed differs from the tour's and the class's).
ONE_LINK, ONE_LINK_SESSIONS = "in-use?n=20&survey_seed=11", 20


def _form_buttons(page):
    return page.locator('[data-testid="stFormSubmitButton"] button')


def _press_buttons(page) -> None:
    """Press the page's form button, if it has one."""
    buttons = _form_buttons(page)
    if buttons.count():
        buttons.first.click()
        page.wait_for_timeout(300)


def _exceptions(sessions) -> int:
    """The exceptions the sessions' pages show, in all."""
    return sum(session.locator('[data-testid="stException"]').count() for session in sessions)


def server_memory() -> dict[str, float]:
    """The server's memory as a class meets it, MB: after opening every page once with its defaults; the
    peak while eight sessions work at once on the heavy pages (CLASS); the peak added by uploading a
    folk-rnn-v2-sized original pickle (23 MB) through the sandbox. Sessions that end in an exception
    are counted, and the server must still answer after."""
    import urllib.request

    from playwright.sync_api import sync_playwright

    from .run import CHROMIUM, CHROMIUM_ARGS, start_server

    proc, url = start_server(ROOT / "streamlit_app.py")
    monitor = PeakRSS(proc.pid)
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            for path in _url_paths():
                page.goto(f"{url}/{path}")
                _settled(page)
            page.close()
            after_tour = _rss_mb(proc.pid)
            tour_peak = monitor.peak

            monitor.reset()
            sessions = [browser.new_page() for _ in CLASS]
            for session, path in zip(sessions, CLASS):
                session.goto(f"{url}/{path}")
            for session in sessions:
                _settled(session)
                _press_buttons(session)
            for session in sessions:
                _settled(session)
            exceptions = _exceptions(sessions)
            for session in sessions:
                session.close()
            class_peak = monitor.peak
            serving = urllib.request.urlopen(f"{url}/_stcore/health", timeout=10).read() == b"ok"
            one_link = _one_link(browser, url, monitor)

            pickle = Path(tmp) / "folkrnn_v2_sized.pkl"
            pickle.write_bytes(_v2_sized_pickle())
            page = browser.new_page()
            page.goto(f"{url}/spectrum")
            _settled(page)
            before_upload = monitor.reset()
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_text("Upload", exact=True).click()
            _settled(page)
            sidebar.locator("input[type=file]").set_input_files(str(pickle))
            page.wait_for_timeout(1500)  # the upload, then the rerun that loads it
            _settled(page)
            loaded = not page.locator('[data-testid="stAlertContentError"]').count()
            upload_peak = monitor.peak
            browser.close()
    finally:
        monitor.stop()
        proc.terminate()
        proc.wait(10)
    return {"after_tour_mb": after_tour, "tour_peak_mb": tour_peak, "class_peak_mb": class_peak,
            "class_exceptions": exceptions, "serving_after_class": serving, **one_link,
            "pickle_added_mb": upload_peak - before_upload, "pickle_loaded": loaded}


def _one_link(browser, url: str, monitor: PeakRSS) -> dict[str, float]:
    """ONE_LINK_SESSIONS sessions open ONE_LINK, then all press its button at once: the server's peak RSS
    added, and the seconds from the first press until every session has its result."""
    sessions = [browser.new_page() for _ in range(ONE_LINK_SESSIONS)]
    for session in sessions:
        session.goto(f"{url}/{ONE_LINK}")
    for session in sessions:
        _settled(session)
    before = monitor.reset()
    started = time.perf_counter()
    for session in sessions:
        _form_buttons(session).first.click()
    for session in sessions:
        session.wait_for_timeout(300)  # the press reaches the server, which reruns the script
        _settled(session)
    seconds = time.perf_counter() - started
    exceptions = _exceptions(sessions)
    for session in sessions:
        session.close()
    return {"one_link_added_mb": monitor.peak - before, "one_link_seconds": seconds,
            "one_link_exceptions": exceptions}


def _v2_sized_pickle() -> bytes:
    sys.path.insert(0, str(ROOT))
    import importlib.util

    spec = importlib.util.spec_from_file_location("hostile_load_report", ROOT / "scripts" / "hostile_load_report.py")
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    return report.v2_sized_pickle()
