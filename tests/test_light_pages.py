"""The pages that need only V and v never import torch (memory on Streamlit Community Cloud is tight), nor
do the "Inside the LSTM" pages on a typed tune, which recompute the network in numpy, nor the pages
that compose (ONNX Runtime): Compose, Ablate and steer, Search vs sampling."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = f"""
import sys
from streamlit.testing.v1 import AppTest
for page in ["app_pages/home.py", "app_pages/bias.py", "app_pages/spectrum.py", "app_pages/right_vectors.py",
             "app_pages/left_vectors.py", "app_pages/perturbation.py", "app_pages/layers.py",
             "app_pages/self_similarity.py", "app_pages/logit_lens.py", "app_pages/input_layer.py",
             "app_pages/compose.py", "app_pages/ablate.py", "app_pages/search.py"]:
    at = AppTest.from_file({str(ROOT / "streamlit_app.py")!r}, default_timeout=60)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, (page, at.exception)
print("torch" in sys.modules)
"""


def test_pages_that_need_no_torch_run_without_it():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
