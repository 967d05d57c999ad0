"""folkrnn.cpus: CPU quotas read from fake cgroup trees (v1 and v2), and the thread budget they give."""

import os

import pytest

from folkrnn import cpus
from folkrnn.compose import onnx_step
from folkrnn.cpus import available_cpus, cpu_quota, fit_torch_threads, thread_budget
from tests.factories import random_weights


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def v2(tmp_path):
    """A cgroup v2 tree where the pod caps 1.5 CPUs and its container sets no limit of its own."""
    root = tmp_path / "cgroup"
    _write(root / "cgroup.controllers", "cpu memory")
    _write(root / "kubepods/pod1/cpu.max", "150000 100000\n")
    _write(root / "kubepods/pod1/app/cpu.max", "max 100000\n")
    proc = tmp_path / "proc_cgroup"
    proc.write_text("0::/kubepods/pod1/app\n")
    return root, proc


def test_v2_parent_quota_binds_the_child(v2):
    assert cpu_quota(*v2) == 1.5


def test_v1_container_sees_its_cgroup_at_the_root(tmp_path):
    root = tmp_path / "cgroup"
    _write(root / "cpu/cpu.cfs_quota_us", "50000\n")
    _write(root / "cpu/cpu.cfs_period_us", "100000\n")
    (root / "unified").mkdir()
    proc = tmp_path / "proc_cgroup"
    proc.write_text("5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/docker/abc\n")
    assert cpu_quota(root, proc) == 0.5


@pytest.mark.parametrize("files", [
    {"cpu.max": "max 100000"},
    {"cpu.cfs_quota_us": "-1", "cpu.cfs_period_us": "100000"},
    {"cpu.max": "garbage"},
    {},
])
def test_no_quota(tmp_path, files):
    root = tmp_path / "cgroup"
    (root / "cpu").mkdir(parents=True)
    _write(root / "cgroup.controllers", "cpu")
    for name, text in files.items():
        _write(root / name, text)
        _write(root / "cpu" / name, text)
    proc = tmp_path / "proc_cgroup"
    proc.write_text("1:cpu:/\n0::/\n")
    assert cpu_quota(root, proc) is None
    assert cpu_quota(root, tmp_path / "absent") is None


def test_available_cpus_rounds_the_quota_up_within_the_affinity(v2, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    assert available_cpus(*v2) == 2
    root, proc = v2
    _write(root / "kubepods/pod1/cpu.max", "20000 100000")
    assert available_cpus(root, proc) == 1
    proc.write_text("0::/elsewhere\n")  # no cpu.max at the root: no quota
    assert available_cpus(root, proc) == 8


@pytest.mark.parametrize("available, machine, budget", [(2, 16, 2), (16, 16, None)])
def test_thread_budget_only_where_something_limits(monkeypatch, available, machine, budget):
    monkeypatch.setattr(cpus, "available_cpus", lambda: available)
    monkeypatch.setattr(os, "cpu_count", lambda: machine)
    thread_budget.cache_clear()
    try:
        assert thread_budget() == budget
    finally:
        thread_budget.cache_clear()


def test_torch_threads_follow_the_budget_unless_set(monkeypatch):
    monkeypatch.setattr(cpus, "thread_budget", lambda: 3)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    fit_torch_threads()
    assert os.environ["OMP_NUM_THREADS"] == "3"
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    fit_torch_threads()
    assert os.environ["OMP_NUM_THREADS"] == "5"


@pytest.mark.parametrize("budget, threads", [(1, 1), (None, 0)])
def test_onnx_session_takes_the_budget(monkeypatch, budget, threads):
    seen = []
    real = onnx_step.onnxruntime.InferenceSession

    def spy(model, options, **kwargs):
        seen.append(options.intra_op_num_threads)
        return real(model, options, **kwargs)

    monkeypatch.setattr(onnx_step, "thread_budget", lambda: budget)
    monkeypatch.setattr(onnx_step.onnxruntime, "InferenceSession", spy)
    onnx_step.LSTMSession(random_weights(hidden=8, seed=1))
    assert seen == [threads]
