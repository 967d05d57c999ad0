"""The app server's process: its thread pools, sized once when the first session starts, and its heap,
trimmed after every run, for a server that runs many small computations for many sessions at once."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

from folkrnn.cpus import fit_threads


@cache
def fit_process() -> None:
    """One BLAS thread per call: :func:`folkrnn.cpus.fit_threads` says why."""
    fit_threads(1)


@cache
def _libc():
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


def trim_heap() -> None:
    """Hand the memory a run freed back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Streamlit runs each session's script in a thread of its own, and glibc gives threads malloc arenas
    of their own, which keep what their thread freed: after a browser's tour of every page (the tour of
    benchmarks/server.py, before the heavy pages had forms) the server held 487 MB untrimmed and 453 MB
    trimmed after each run. A trim takes well under a millisecond (0.4 ms after a tour).
    """
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
