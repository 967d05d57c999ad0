"""folkrnn.cpus: CPU quotas read from fake cgroup trees (v1 and v2), and the thread budget they give."""

import os

import pytest
from threadpoolctl import ThreadpoolController

from folkrnn import cpus
from folkrnn.compose import onnx_step
from folkrnn.cpus import available_cpus, cpu_quota, fit_threads, thread_budget
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


@pytest.fixture
def blas_pools(monkeypatch):
    """The loaded BLAS pools' sizes, restored after the test; the thread variables unset for it."""
    for name in cpus.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    controller = ThreadpoolController()
    before = {lib.prefix: lib.num_threads for lib in controller.lib_controllers}
    yield controller
    for lib in controller.lib_controllers:
        lib.set_num_threads(before[lib.prefix])


def _blas_threads(controller: ThreadpoolController) -> set[int]:
    return {lib.num_threads for lib in controller.select(user_api="blas").lib_controllers}


@pytest.mark.parametrize("budget, limit, threads", [(3, None, 3), (None, 1, 1), (2, 1, 1), (1, 4, 1), (None, None, None)])
def test_pools_take_the_smaller_of_budget_and_limit(monkeypatch, blas_pools, budget, limit, threads):
    monkeypatch.setattr(cpus, "thread_budget", lambda: budget)
    untouched = _blas_threads(blas_pools)
    assert fit_threads(limit) == threads
    if threads is None:
        assert not any(name in os.environ for name in cpus.THREAD_VARIABLES)
        assert _blas_threads(blas_pools) == untouched
    else:
        assert {os.environ[name] for name in cpus.THREAD_VARIABLES} == {str(threads)}
        assert _blas_threads(ThreadpoolController()) == {threads}  # numpy's OpenBLAS, already loaded


def test_a_users_setting_is_kept(monkeypatch, blas_pools):
    blas_pools.select(user_api="blas").limit(limits=2)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    monkeypatch.setattr(cpus, "thread_budget", lambda: 1)
    assert fit_threads(1) is None
    assert "OMP_NUM_THREADS" not in os.environ
    assert _blas_threads(ThreadpoolController()) == {2}


@pytest.mark.parametrize("budget, threads", [(1, 1), (None, 0)])
def test_onnx_session_takes_the_budget_and_does_not_spin(monkeypatch, budget, threads):
    seen = []
    real = onnx_step.onnxruntime.InferenceSession

    def spy(model, options, **kwargs):
        seen.append((options.intra_op_num_threads, options.get_session_config_entry("session.intra_op.allow_spinning")))
        return real(model, options, **kwargs)

    monkeypatch.setattr(onnx_step, "thread_budget", lambda: budget)
    monkeypatch.setattr(onnx_step.onnxruntime, "InferenceSession", spy)
    onnx_step.LSTMSession(random_weights(hidden=8, seed=1))
    assert seen == [(threads, "0")]  # idle workers sleep
