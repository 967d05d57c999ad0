"""Measure how long each hostile model file takes to be refused, and the peak memory it costs.

    python scripts/hostile_load_report.py [--only SUBSTRING ...]

Every file of tests/resource_attacks.py, and for comparison a folk-rnn-v2-sized pickle, a 48 MB
float16 pickle and the embedded checkpoint, goes through ``python -m folkrnn info --model FILE --json`` in a fresh process.
Per file: the exit status, the wall time, the peak resident memory of that process and its children
(the pickle parser's sandbox included, as a small launcher's ``RUSAGE_CHILDREN`` reports it: a
child forked from this process would count this process's memory) and that peak less the
command's own on an empty file; the target is under 2 s and under 300 MB extra. Prints a Markdown table and
exits 1 if a hostile file misses the target or is not refused with exit status 2 and one line.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from folkrnn.io.loading import default_model_path  # noqa: E402
from folkrnn.vocab import folkrnn_v2_vocabulary  # noqa: E402
from tests.py2pickle import dumps_py2, folkrnn_metadata  # noqa: E402
from tests.resource_attacks import resource_attack_files  # noqa: E402

TARGET_S = 2.0
TARGET_EXTRA_MB = 300
LAUNCHER = ("import resource, subprocess, sys, time\n"
            "start = time.perf_counter()\n"
            "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
            "print(code, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def v2_sized_pickle() -> bytes:
    """A pickle shaped like folk-rnn v2's (3 x 512 LSTM, 23,800 training losses): 23 MB."""
    rng = np.random.default_rng(1)
    meta = folkrnn_metadata(folkrnn_v2_vocabulary().tokens, hidden=512, rng=rng)
    meta["losses_train"] = [np.array(x, dtype=np.float32) for x in rng.uniform(0.5, 4, 23_800)]
    return dumps_py2(meta)


def float16_pickle_near_the_limit() -> bytes:
    """A folk-rnn pickle of 3 x 1100 float16 LSTM layers: 48 MB, near the 50 MB upload limit."""
    meta = folkrnn_metadata(folkrnn_v2_vocabulary().tokens, hidden=1100, rng=2)
    meta["param_values"] = [meta["param_values"][0]] + [(0.1 * a).astype(np.float16) for a in meta["param_values"][1:]]
    return dumps_py2(meta)


def measure(path: Path) -> tuple[int, float, float, str]:
    """(exit status, seconds, peak RSS in MB of the process tree, stderr) of ``folkrnn info`` on ``path``."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "folkrnn", "info", "--model",
                           str(path), "--json"], cwd=ROOT, capture_output=True, text=True)
    code, seconds, peak_kb = done.stdout.split()
    return int(code), float(seconds), int(peak_kb) / 1024, done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="measure only files whose name has one of these")
    args = parser.parse_args()
    files = [(name, data, True) for name, data in resource_attack_files()]
    files += [("valid/folkrnn_v2_sized.pkl", v2_sized_pickle(), False),
              ("valid/float16_48mb.pkl", float16_pickle_near_the_limit(), False),
              ("valid/embedded.safetensors", default_model_path().read_bytes(), False)]
    files = [f for f in files if not args.only or any(o in f[0] for o in args.only)]
    missed = []
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.pkl"
        empty.write_bytes(b"")
        baseline = measure(empty)[2]
        print(f"Baseline: `folkrnn info` on an empty file peaks at {baseline:.0f} MB.\n")
        print("| file | bytes | exit | seconds | peak MB | extra MB | message |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for name, data, hostile in files:
            path = Path(tmp) / name.replace("/", ".")
            path.write_bytes(data)
            code, seconds, peak, stderr = measure(path)
            lines = stderr.strip().splitlines()
            ok = (code == 2 and len(lines) == 1) if hostile else code == 0
            if not ok or (hostile and (seconds >= TARGET_S or peak - baseline >= TARGET_EXTRA_MB)):
                missed.append(name)
            message = (lines[-1] if lines else "").replace(f"error: {path.name}: ", "").replace("|", "\\|")
            print(f"| {name} | {len(data):,} | {code} | {seconds:.2f} | {peak:.0f} | {peak - baseline:.0f} | "
                  f"{message[:90]} |", flush=True)
    print(f"\n{len(files) - len(missed)} of {len(files)} files met the target; missed: {', '.join(missed) or 'none'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
