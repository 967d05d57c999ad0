"""The notebook API cannot rot: examples/part3_softmax_layer.ipynb runs top to bottom in a Jupyter kernel
and prints what an independent computation gives, and the README's notebook section runs as written.

The kernel is this interpreter, named by absolute path in a kernelspec written for the test. Asking
nbclient for "python3" looks that name up on Jupyter's search path, where a kernelspec under
$JUPYTER_PATH, or a user's (~/.local/share/jupyter) with JUPYTER_PREFER_ENV_PATH=0 or outside a venv,
comes before the venv's and starts whatever Python it names (checked: a python3 spec under
JUPYTER_PATH pointing at another venv runs that one). The kernel starts in examples/, as Jupyter starts
it, with no PYTHONPATH: the notebook's first cell finds the clone's package itself, as it must for a user.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import nbclient
import nbformat
import numpy as np
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "part3_softmax_layer.ipynb"
README = (ROOT / "README.md").read_text()
CELL_TIMEOUT = 60  # seconds a cell may take; the whole notebook takes about 10
# Appended to the executed copy only: which interpreter ran it, whose folkrnn, and whether torch loaded.
PROBE = 'import sys, folkrnn; print(sys.executable); print(folkrnn.__file__); print("torch" in sys.modules)'


def _text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.output_type == "stream")


def _printed(cells, pattern: str) -> re.Match:
    """The first match of ``pattern`` in the printed output of the cells."""
    for cell in cells:
        if match := re.search(pattern, _text(cell)):
            return match
    raise AssertionError(f"no cell printed {pattern!r}")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after running it in a kernel of this interpreter, with :data:`PROBE` appended."""
    tmp = tmp_path_factory.mktemp("jupyter")
    spec = tmp / "kernels" / "folkrnn-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "folkrnn tests", "language": "python"}))
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_RUNTIME_DIR", str(tmp / "runtime"))  # connection files
    patch.setenv("IPYTHONDIR", str(tmp / "ipython"))  # no user profile or startup files in the kernel
    patch.delenv("PYTHONPATH", raising=False)
    try:
        manager = KernelManager(kernel_name="folkrnn-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))
        nb = nbformat.read(NOTEBOOK, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(PROBE))
        client = nbclient.NotebookClient(nb, km=manager, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(NOTEBOOK.parent)}})
        client.execute(cleanup_kc=True)  # and shut the kernel down: nbclient leaves a manager it was given running
    finally:
        patch.undo()
    return nb


def test_the_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


def test_the_notebook_runs_in_this_python_on_this_clones_package_without_torch(executed):
    executable, package, torch = _text(executed.cells[-1]).split()
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert Path(package).resolve() == ROOT / "folkrnn" / "__init__.py"
    assert torch == "False"


def test_the_notebook_prints_the_svd_that_numpy_computes(executed):
    from folkrnn import load_model

    weights = load_model()
    V, v = weights.V.astype(np.float64), weights.v.astype(np.float64)
    U, s, _ = np.linalg.svd(V, full_matrices=False)
    printed = _printed(executed.cells, r"s_1 = (\S+)\s+s_2 = (\S+)\s+s_3 = (\S+)")
    np.testing.assert_allclose([float(x) for x in printed.groups()], s[:3], rtol=1e-6)
    assert "V w_1 = s_1 u_1: True" in "".join(map(_text, executed.cells))
    # the likeliest token of softmax(v ± s_1 u_1), u_1 turned so that its largest entry is positive
    u1 = U[:, 0] * np.sign(U[np.argmax(np.abs(U[:, 0])), 0])
    tokens = weights.vocabulary.tokens
    for sign, name in ((1, "+u_1"), (-1, "-u_1")):
        likeliest = tokens[int(np.argmax(v + sign * s[0] * u1))]
        assert _printed(executed.cells, rf"(?m)^{re.escape(name)}: “(.+?)” ").group(1) == likeliest


def test_the_notebook_draws_its_charts_and_the_intervention_changes_the_tunes(executed):
    charts = [out for cell in executed.cells for out in cell.get("outputs", []) if out.output_type == "execute_result"
              and (any("vegalite" in kind for kind in out.data) or out.data.get("text/plain", "").startswith("alt."))]
    assert len(charts) == 5  # the spectrum, w_1..w_3, u_1, the pushes, the tunes with and without w_1
    figures = {name: tuple(map(float, numbers)) for name, *numbers in re.findall(
        r"(?m)^(.+): well-formed share (\S+), (\S+) bar lines in (\S+) tokens on average$", "".join(map(_text, executed.cells)))}
    assert set(figures) == {"as trained", "w_1 removed"}
    (share, bars, length), (removed_share, removed_bars, removed_length) = figures["as trained"], figures["w_1 removed"]
    assert removed_share < share and removed_bars < bars and removed_length > length  # what the notebook's text says
    assert _printed(executed.cells, r"(?m)^X:1$")  # the ABC of a tune composed without w_1


def _readme_section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start: end if end != -1 else None]


def test_the_readmes_notebook_snippets_run():
    blocks = re.findall(r"```python\n(.*?)```", _readme_section("The package from a notebook"), re.DOTALL)
    assert blocks
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    assert printed.getvalue().startswith("X:")
