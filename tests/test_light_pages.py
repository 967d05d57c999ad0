"""No page loads torch (memory on Streamlit Community Cloud is tight, and the network runs in numpy and
ONNX Runtime): every page of the app, opened one after another in one AppTest session on the embedded
replica with its forms' buttons pressed, leaves torch out of the process."""

import subprocess
import sys
from pathlib import Path

from tests.apptest_pages import PAGE_SPECS

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import sys
from tests.apptest_pages import ENTRY_APP, PAGE_SPECS, open_page, press_forms

SMALL = {"n": "5", "length": "30", "survey_length": "30", "candidates": "16", "ks": "5"}
at = open_page(None, app=ENTRY_APP)
for spec in PAGE_SPECS:
    at.query_params.clear()
    at.query_params.update(SMALL)
    at.switch_page(f"app_pages/{spec.file}").run()
    press_forms(at)
    assert not at.exception, (spec.file, [e.value for e in at.exception])
    print(spec.file, "torch" in sys.modules)
"""


def test_no_page_loads_torch():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    pages = dict(line.split() for line in result.stdout.strip().splitlines())
    assert list(pages) == [spec.file for spec in PAGE_SPECS]
    assert [page for page, loaded in pages.items() if loaded == "True"] == []
