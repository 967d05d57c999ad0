"""How many CPUs this process can really use, for sizing ONNX Runtime's and PyTorch's thread pools.

Both libraries size their pools from the machine's cores. In a container with a CPU quota (Streamlit
Community Cloud, Kubernetes, ``docker run --cpus``) the quota is invisible to that count, so the
pools oversubscribe it and the kernel throttles them: under a 1-CPU quota on two cores, one thread
steps a batch of 64 about 25% faster than two (docs/performance.md).
"""

from __future__ import annotations

import math
import os
from functools import cache
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def _quota_in(directory: Path) -> float | None:
    """CPUs' worth of time per second that one cgroup directory allows (v2 ``cpu.max``, v1
    ``cpu.cfs_quota_us`` over ``cpu.cfs_period_us``), or None where it sets no limit."""
    try:
        if (directory / "cpu.max").is_file():
            quota, period = (directory / "cpu.max").read_text().split()
        else:
            quota = (directory / "cpu.cfs_quota_us").read_text().strip()
            period = (directory / "cpu.cfs_period_us").read_text().strip()
        return int(quota) / int(period) if quota not in ("max", "-1") else None
    except (OSError, ValueError):
        return None


def _cgroup_dirs(root: Path, proc_cgroup: Path) -> list[Path]:
    """The directories of this process's CPU cgroup (v2 and v1), from its own up to the root: a
    parent's quota binds its children too."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return []
    dirs = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            base = root if (root / "cgroup.controllers").is_file() else root / "unified"
        elif "cpu" in controllers.split(","):
            base = root / "cpu"
        else:
            continue
        leaf = base / path.lstrip("/")
        if not leaf.is_dir():  # a container sees its own cgroup at the root, not at the host's path
            leaf = base
        dirs += [leaf, *(p for p in leaf.parents if p.is_relative_to(base))]
    return dirs


def cpu_quota(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """The tightest CPU quota on this process, in CPUs (1.5 = one and a half), or None without one."""
    quotas = [q for d in _cgroup_dirs(root, proc_cgroup) if (q := _quota_in(d)) is not None]
    return min(quotas, default=None)


def available_cpus(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """CPUs this process may run on (its affinity), capped by its cgroup's CPU quota rounded up."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cpu_quota(root, proc_cgroup)
    return cpus if quota is None else max(1, min(cpus, math.ceil(quota)))


@cache
def thread_budget() -> int | None:
    """The thread count to give ONNX Runtime and PyTorch where fewer CPUs are available than the
    machine has; None where nothing limits the process, so that the libraries keep their defaults."""
    cpus = available_cpus()
    return cpus if cpus < (os.cpu_count() or cpus) else None


#: The variables through which a user sizes the BLAS and OpenMP pools (numpy's OpenBLAS, MKL, torch).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def fit_threads(limit: int | None = None) -> int | None:
    """Size the BLAS and OpenMP pools to :func:`thread_budget`, or to ``limit`` where that is smaller,
    unless the user set one of :data:`THREAD_VARIABLES`; return the size chosen (None: left alone).

    A library not loaded yet (torch) reads the variables when it loads; one already loaded (numpy's
    OpenBLAS, loaded with ``import folkrnn``) is resized through threadpoolctl. For programs that own
    their process: the app (``limit=1``: its products are small, and one thread runs the 137 x 512 SVD
    faster than two even on an idle machine: 9.5 against 22.7 ms here) and the command line. ONNX Runtime
    sessions take the budget where they are built (:mod:`folkrnn.compose.onnx_step`).
    """
    if any(name in os.environ for name in THREAD_VARIABLES):
        return None
    bounds = [x for x in (thread_budget(), limit) if x is not None]
    if not bounds:
        return None
    threads = min(bounds)
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)  # the pools already loaded; a call, not a context: the limit stays
    return threads
