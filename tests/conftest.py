"""Fixtures shared by the whole test suite. Keep this minimal.

Browser fixtures (Streamlit server, chromium, page) live in tests/browser/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Data shared between work trees (the folk-rnn corpus, original model files); it sits
#: next to the repository and is absent on a fresh machine or in CI.
SHARED_DIR = (REPO_ROOT / ".." / "shared").resolve()


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
