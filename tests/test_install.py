"""The README's two commands are what users run and what CI runs: the test command in .ci/run is the
README's, the app installs without torch, and torch's pin picks the CPU build on every platform."""

import re
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _requirements(name: str) -> list[Requirement]:
    lines = (line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def test_ci_runs_the_readmes_test_command():
    (command,) = re.findall(r"^TEST_COMMAND='(.*)'$", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)
    assert command in README.splitlines()
    assert command.endswith("-m pytest") and "requirements-dev.txt" in command


def test_the_readmes_app_command_installs_the_app_alone_and_runs_it():
    app = [line for line in README.splitlines() if line.endswith("streamlit run streamlit_app.py")]
    assert app == ["python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && "
                   ".venv/bin/streamlit run streamlit_app.py"]
    assert "torch" not in {r.name for r in _requirements("requirements.txt")}


def test_torch_is_the_cpu_build_wherever_pip_installs_it():
    torch = [r for r in _requirements("requirements-dev.txt") if r.name == "torch"]
    for platform, machine, cpu_tag in (("linux", "x86_64", True), ("linux", "aarch64", True), ("win32", "AMD64", True),
                                       ("darwin", "arm64", False)):
        env = {"sys_platform": platform, "platform_machine": machine}
        (chosen,) = [r for r in torch if r.marker is None or Marker(str(r.marker)).evaluate(env)]
        assert str(chosen.specifier).endswith("+cpu") == cpu_tag, (platform, chosen)
