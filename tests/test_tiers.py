"""The package's tiers. The numpy tiers (the top-level base modules, folkrnn.io, folkrnn.music,
folkrnn.analysis) load neither torch nor ONNX Runtime nor any module of the tiers above them; each
upper tier (compose, then network, then train) loads none of the tiers after it; the Compose page's
path (folkrnn.compose.sampling, explorer.compute and what the page imports) loads neither torch nor
ONNX Runtime until a tune is composed.

Each check is one fresh interpreter that imports its modules in turn and names the first whose
import brought a forbidden module in: importing a module loads the same modules after others as on
its own, so the whole list is clean exactly when each module alone is, at one interpreter's cost.
"""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import folkrnn

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(folkrnn.__path__[0])
NUMPY_TIERS = ("io", "music", "analysis")
UPPER_TIERS = ("compose", "network", "train")  # each may import those before it
HEAVY = ["torch", "onnxruntime"]
# The command line shows training's defaults without torch: folkrnn.train.config is plain dataclasses.
CLI_READS = {"folkrnn.train", "folkrnn.train.config"}

PROBE = """
import importlib, json, sys
forbidden, allowed = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
for name in json.loads(sys.argv[3]):
    importlib.import_module(name)
    loaded = sorted(m for m in sys.modules if m not in allowed and ("." not in m or m.startswith("folkrnn."))
                    and any(m == f or m.startswith(f + ".") for f in forbidden))
    if loaded:
        print(json.dumps([name, loaded]))
        break
else:
    print(json.dumps(None))
"""


def _modules(package: str) -> list[str]:
    """The modules of ``package`` (a dotted name under folkrnn), found on disk, never imported here."""
    path = PACKAGE.joinpath(*package.split(".")[1:])
    return [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(path)]) if not m.ispkg and m.name != "__main__"]


def _first_offender(modules: list[str], forbidden: list[str], allowed=()) -> list | None:
    """[module, forbidden modules it loaded] for the first of ``modules`` to load any, else None."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(forbidden), json.dumps(sorted(allowed)),
                           json.dumps(modules)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_every_subpackage_is_in_a_tier():
    subpackages = {m.name for m in pkgutil.iter_modules([str(PACKAGE)]) if m.ispkg}
    assert subpackages == set(NUMPY_TIERS + UPPER_TIERS)


def test_the_numpy_tiers_load_no_torch_onnxruntime_or_upper_tier():
    modules = _modules("folkrnn") + [m for tier in NUMPY_TIERS for m in _modules(f"folkrnn.{tier}")]
    assert {"folkrnn.cli", "folkrnn.io.loading", "folkrnn.music.abc", "folkrnn.analysis.usage"} <= set(modules)
    upper = [f"folkrnn.{tier}" for tier in UPPER_TIERS]
    assert _first_offender(modules, HEAVY + upper, CLI_READS) is None


@pytest.mark.parametrize("rank", range(len(UPPER_TIERS) - 1), ids=UPPER_TIERS[:-1])
def test_an_upper_tier_loads_none_after_it(rank):
    later = [f"folkrnn.{tier}" for tier in UPPER_TIERS[rank + 1:]]
    assert _first_offender(_modules(f"folkrnn.{UPPER_TIERS[rank]}"), later) is None


def _module_level_imports(page: Path) -> list[str]:
    tree = ast.parse(page.read_text())
    return [alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names] + \
           [node.module for node in tree.body if isinstance(node, ast.ImportFrom)]


def test_the_compose_page_loads_no_torch_or_onnxruntime_before_composing():
    page = _module_level_imports(ROOT / "app_pages" / "compose.py")
    assert "explorer.compute" in page
    assert _first_offender(["folkrnn.compose.sampling", *page], HEAVY) is None
