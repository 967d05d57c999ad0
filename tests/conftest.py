"""Fixtures shared by the whole test suite. Keep this minimal.

Browser fixtures (Streamlit server, chromium, page) live in tests/browser/conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Data shared between work trees (the folk-rnn corpus, original model files); it sits
#: next to the repository and is absent on a fresh machine or in CI.
SHARED_DIR = (REPO_ROOT / ".." / "shared").resolve()


def pytest_configure(config):
    config.addinivalue_line("markers", "app_model(weights, **by_name): the app's pages run on this model in place of the "
                            "embedded ones (tests/apptest_pages.use_model)")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # One BLAS/OpenMP thread a worker (and a server or command it starts), as there is one worker a core:
        # two threads in each of two workers on two cores ran a quarter slower (114 s against 85 s for a
        # sample of the suite), fighting over the cores. A user's own OMP_NUM_THREADS and the like are kept.
        from folkrnn.cpus import fit_threads

        fit_threads(1)


@pytest.fixture(autouse=True)
def app_model(request):
    """Applies the ``app_model`` mark of a test, or else of its module."""
    mark = request.node.get_closest_marker("app_model")
    if mark is not None:
        from tests.apptest_pages import use_model

        use_model(request.getfixturevalue("monkeypatch"), *mark.args, **mark.kwargs)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` next to the repository, resolved; skips the test when it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} not present (optional local data; absent in CI)")
    return SHARED_DIR
