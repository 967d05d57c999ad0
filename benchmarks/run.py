"""Benchmarks: ``python -m benchmarks`` measures on this machine and writes docs/benchmarks.md, one
section per benchmark (``--only`` rewrites those it names and keeps the others).

Every figure is a median over repeated runs, and every ratio is taken within the same run. Targets
come from the project's issue; where one is missed the table says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from scripts.sections import write_sections

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MINIMAL_APP = """
import numpy as np
import streamlit as st
st.line_chart(np.arange(137.0))
"""


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def median_ms(times: list[float]) -> float:
    return 1000 * statistics.median(times)


# ---------------------------------------------------------------------------- model load + SVD

def load_and_svd(repeat: int) -> dict:
    from folkrnn import load_model, softmax_svd

    def cold():
        softmax_svd.clear()
        softmax_svd(load_model())

    cold_times = timed(cold, repeat)
    weights = load_model()
    softmax_svd(weights)
    cached = timed(lambda: softmax_svd(weights), repeat * 100)
    fresh = timed(lambda: subprocess.run(
        [sys.executable, "-c", "import folkrnn; folkrnn.softmax_svd(folkrnn.load_model())"],
        cwd=ROOT, check=True), max(3, repeat // 2))
    return {"cold_ms": median_ms(cold_times), "cached_ms": median_ms(cached), "fresh_process_ms": median_ms(fresh)}


# ---------------------------------------------------------------------------- AppTest reruns

PAGE_CHANGES = {  # page -> (widget kind, key, two values to alternate)
    "app_pages/home.py": None,
    "app_pages/bias.py": ("number_input", "delta", (1.0, 2.0)),
    "app_pages/spectrum.py": ("toggle", "log", (True, False)),
    "app_pages/right_vectors.py": ("multiselect", "w", ([1, 2], [3, 4])),
    "app_pages/left_vectors.py": ("number_input", "i", (2, 3)),
    "app_pages/perturbation.py": ("slider", "a", (-1.0, 0.5)),
    "app_pages/directions_in_use.py": ("slider", "step", (3, 4)),
    "app_pages/compose.py": ("slider", "T", (1.0, 1.05)),
    "app_pages/fewer_directions.py": ("slider", "k", (30, 29)),
    "app_pages/compare.py": ("toggle", "log", (True, False)),
    "app_pages/layers.py": ("number_input", "unit", (3, 4)),
    "app_pages/self_similarity.py": ("slider", "threshold", (0.5, 0.55)),
    "app_pages/logit_lens.py": ("slider", "step", (3, 4)),
    "app_pages/input_layer.py": ("selectbox", "matrix", ("layer 1 W_x forget", "V")),
}
def apptest_reruns(repeat: int) -> dict:
    from streamlit.testing.v1 import AppTest

    results = {}
    for page, change in PAGE_CHANGES.items():
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
        at.run()
        at.switch_page(page).run()
        at.run()  # warm: everything cached
        times = []
        for r in range(repeat):
            if change:
                kind, key, values = change
                getattr(at, kind)(key=key).set_value(values[r % 2])
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
            assert not at.exception, (page, at.exception)
        results[page] = median_ms(times)
    return results


# ---------------------------------------------------------------------------- browser cold start

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(script: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"streamlit did not start for {script}")


def _first_chart_seconds(browser, script: Path, path: str = "") -> float:
    """From launching ``streamlit run`` to the first chart drawn in the page."""
    started = time.perf_counter()
    proc, url = start_server(script)
    try:
        page = browser.new_page()
        page.goto(f"{url}/{path}")
        page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(state="visible", timeout=120_000)
        elapsed = time.perf_counter() - started
        page.close()
        return elapsed
    finally:
        proc.terminate()
        proc.wait(10)


def browser_cold_start(repeat: int) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        minimal = Path(tmp) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ours, theirs = [], []
        for _ in range(repeat):
            theirs.append(_first_chart_seconds(browser, minimal))
            ours.append(_first_chart_seconds(browser, ROOT / "streamlit_app.py", "spectrum"))
        browser.close()
    return {"app_ms": median_ms(ours), "minimal_ms": median_ms(theirs),
            "ratio": statistics.median(ours) / statistics.median(theirs)}


BROWSER_CHANGES = {  # the fragment sections: (url path, widget label, how to change it, text that must change)
    "bias: logit change δ": ("bias", "Logit change δ", ("fill", "2", "3"), "[data-testid=stMetricDelta]"),
    "directions in use: step t": ("in-use?source=Type", "Step t to decompose", ("slider",),
                                  "[data-testid=stMetricValue]"),
}


def browser_reruns(repeat: int) -> dict:
    """In Chromium, from a widget change to the changed number on screen (median ms per case)."""
    from playwright.sync_api import sync_playwright

    proc, url = start_server(ROOT / "streamlit_app.py")
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            browser.new_page().goto(url)  # the first session after a start is special (see README)
            for name, (path, label, how, watched) in BROWSER_CHANGES.items():
                page = browser.new_page()
                page.goto(f"{url}/{path}")
                page.locator(watched).first.wait_for(state="visible", timeout=120_000)
                times = []
                for r in range(repeat + 2):  # two warm-up changes
                    before = page.locator(watched).first.inner_text()
                    if how[0] == "slider":
                        thumb = page.get_by_role("slider", name=label)
                        thumb.focus()
                        started = time.perf_counter()
                        thumb.press("ArrowRight" if r % 2 == 0 else "ArrowLeft")
                    else:
                        box = page.get_by_label(label, exact=True)
                        box.fill(how[1 + r % 2])
                        started = time.perf_counter()
                        box.press("Enter")
                    page.wait_for_function("([s, b]) => document.querySelector(s).innerText !== b",
                                           arg=[watched, before], polling=5)
                    times.append(time.perf_counter() - started)
                results[name] = median_ms(times[2:])
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return results


# ---------------------------------------------------------------------------- sampling, training

IDLE_POOLS_S = 0.3  # pause before each sampling contestant (see sampling)


def sampling(repeat: int, length: int = 200) -> dict:
    """Tokens/s of ``sample_tunes`` for 1 and 64 tunes, against the numpy reference: folk-rnn's way
    (float64, one tune after another, so 64 tunes take 64 times one) and, for context, float32 numpy
    stepping the whole batch at once.

    Each round times every contestant once, in turn, so that a slow spell of the machine (whose
    speed drifts by ±20% over a minute) falls on all of them alike; the rates are medians over rounds.
    Between two contestants the benchmark waits, so that one's idle thread pool (OpenBLAS's and ONNX
    Runtime's threads spin a while after their last call) does not run into the next one's time.
    """
    import numpy as np

    from benchmarks.numpy_sampler import sample as numpy_sample
    from folkrnn import load_model
    from folkrnn.compose.onnx_step import LSTMSession
    from folkrnn.compose.sampling import SamplingSettings, sample_tunes

    weights = load_model()
    setup_ms = median_ms(timed(lambda: LSTMSession(weights), repeat))  # sample_tunes keeps one per LSTM stack
    for precision in ("float32", "bfloat16"):
        sample_tunes(weights, SamplingSettings(max_length=2), precision)  # builds the engine, outside the timing

    def numpy_run(n: int, dtype, tokens: int):
        def run() -> int:
            numpy_sample(weights, n, tokens, dtype=dtype)
            return n * tokens
        return run

    def ours_run(n: int, precision: str, seeds: range):
        """Tokens stepped (a batch steps until its longest tune ends) over one call per seed; several
        seeds for one tune, so that one short tune does not decide the figure."""
        def run() -> int:
            tokens = 0
            for seed in seeds:
                tunes = sample_tunes(weights, SamplingSettings(n=n, seed=seed, max_length=length), precision)
                tokens += n * max(len(t.tokens) + t.ended for t in tunes)
            return tokens
        return run

    contestants = {("numpy", 1): numpy_run(1, np.float64, length),
                   ("numpy_f32_batched", 1): numpy_run(1, np.float32, length),
                   ("numpy_f32_batched", 64): numpy_run(64, np.float32, 50)}
    for n in (1, 64):
        for precision in ("float32", "bfloat16"):
            contestants[(precision, n)] = ours_run(n, precision, range(1, 6) if n == 1 else range(1, 2))
    rates: dict[tuple, list[float]] = {key: [] for key in contestants}
    for _ in range(repeat):
        for key, run in contestants.items():
            time.sleep(IDLE_POOLS_S)
            started = time.perf_counter()
            tokens = run()
            rates[key].append(tokens / (time.perf_counter() - started))
    median = {key: statistics.median(r) for key, r in rates.items()}
    out = {n: {name: rate for (name, m), rate in median.items() if m == n} for n in (1, 64)}
    out[64]["numpy"] = out[1]["numpy"]  # folk-rnn's way composes 64 tunes one after another
    out["setup_ms"] = setup_ms
    return out


def interventions(repeat: int, n: int = 32, length: int = 200) -> dict:
    """Tokens/s composing ``n`` tunes through the network itself (ONNX Runtime) and under
    interventions (folkrnn.compose.interventions: the same ONNX Runtime graph with the intervention
    written into it): none, w_1 removed, 40 units zeroed. Rates, not times, since an intervention
    changes how long the tunes run."""
    from folkrnn import load_model
    from folkrnn.compose.interventions import Intervention, compose_under
    from folkrnn.compose.sampling import SamplingSettings, sample_tunes

    weights = load_model()
    sample_tunes(weights, SamplingSettings(max_length=2))  # builds the ONNX session outside the timing
    settings = SamplingSettings(n=n, seed=1, max_length=length)
    cases = {"network": None, "nothing changed": Intervention(), "w_1 removed": Intervention(remove=(1,)),
             "40 units zeroed": Intervention(zero_units={weights.num_layers: tuple(range(40))})}
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, intervention in cases.items():
            time.sleep(IDLE_POOLS_S)
            started = time.perf_counter()
            tunes = (sample_tunes(weights, settings) if intervention is None
                     else compose_under(weights, intervention, settings))
            tokens = n * max(len(t.tokens) + t.ended for t in tunes)
            rates[name].append(tokens / (time.perf_counter() - started))
    return {name: statistics.median(r) for name, r in rates.items()}


def training(steps: int = 3) -> dict:
    import torch
    from torch.nn import functional as F

    from folkrnn.network.model import FolkRNN, FolkRNNConfig

    torch.manual_seed(0)
    out = {}
    # fused nn.LSTM in fp32 and bf16; folk-rnn's recipe steps the LSTM in Python to clip each step's gates
    for name, bf16, clip in (("fp32", False, 0.0), ("bf16", True, 0.0), ("bf16_clipped", True, 5.0)):
        model = FolkRNN(FolkRNNConfig(gate_grad_clip=clip))
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], 1e-3)
        x = torch.randint(0, 137, (64, 200))
        y = torch.randint(0, 137, (64, 200))
        times = []
        for step in range(steps + 1):
            started = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(x).logits
            loss = F.cross_entropy(logits.float().reshape(-1, 137), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step:  # the first step warms up
                times.append(time.perf_counter() - started)
        out[name] = 64 * 200 / statistics.median(times)
    return out


# ---------------------------------------------------------------------------- report

def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _load_rows(load: dict, was: dict) -> list[str]:
    return [
        f"| load embedded model + SVD, in process, caches cleared | {load['cold_ms']:.1f} ms | ≤ 100 ms | {verdict(load['cold_ms'] <= 100)} |",
        f"| the same, cached (second call) | {load['cached_ms'] * 1000:.1f} µs | ≈ 0 | {verdict(load['cached_ms'] < 1)} |",
        f"| a fresh `python` process importing folkrnn, loading, SVD | {load['fresh_process_ms']:.0f} ms | (context) | |",
    ]


def _pages_rows(pages: dict, was: dict) -> list[str]:
    return [f"| AppTest warm rerun after a widget change: `{page}` | {ms:.0f} ms"
            f"{f' (before: {was[page]:.0f} ms)' if page in was else ''} | ≤ 50 ms | {verdict(ms <= 50)} |"
            for page, ms in pages.items()]


def _first_rows(first: dict, was: dict) -> list[str]:
    return [f"| first visit of `{page}` on one core (`taskset -c 0`), a fresh app, nothing cached but the "
            f"model | {seconds:.2f} s{f' (before: {was[page]:.2f} s)' if page in was else ''} | ≤ 2 s | "
            f"{verdict(seconds <= 2)} |" for page, seconds in first.items()]


def _cold_rows(cold: dict, was: dict) -> list[str]:
    return [f"| `streamlit run` to first chart in Chromium: this app (spectrum page) vs Streamlit's minimal app | "
            f"{cold['app_ms']:.0f} ms vs {cold['minimal_ms']:.0f} ms = {cold['ratio']:.2f}× | ≤ 2× | {verdict(cold['ratio'] <= 2)} |"]


def _sampling_rows(samp: dict, was: dict) -> list[str]:
    lines = []
    for n, target in ((1, 5), (64, 20)):
        s = samp[n]
        for precision, engine in (("float32", "ONNX Runtime"), ("bfloat16", "PyTorch")):
            ratio = s[precision] / s["numpy"]
            lines.append(f"| sampling, {'single tune' if n == 1 else 'batch of 64'}, {precision} ({engine}): tokens/s, ours vs "
                         f"per-step numpy the way folk-rnn samples (float64, one tune at a time) | "
                         f"{s[precision]:.0f} vs {s['numpy']:.0f} = {ratio:.1f}× | ≥ {target}× | {verdict(ratio >= target)} |")
        lines.append(f"| the same, float32, vs float32 numpy {'stepping all 64 at once' if n > 1 else 'for one tune'} | {s['float32']:.0f} vs "
                     f"{s['numpy_f32_batched']:.0f} = {s['float32'] / s['numpy_f32_batched']:.1f}× | (context) | |")
    lines.append(f"| sampling set-up: the ONNX Runtime session, built once per LSTM stack | {samp['setup_ms']:.0f} ms | (context) | |")
    return lines


def _interventions_rows(interv: dict, was: dict) -> list[str]:
    base = interv["network"]
    return [f"| composing 32 tunes under an intervention ({name}): time per token vs the network itself "
            f"| {rate:.0f} vs {base:.0f} tokens/s = {base / rate:.2f}× the time | ≤ 2× | {verdict(base / rate <= 2)} |"
            for name, rate in interv.items() if name != "network"]


def _training_rows(train: dict, was: dict) -> list[str]:
    return [
        f"| training tokens/s, batch 64 × 200, fp32 vs bf16 autocast | {train['fp32']:.0f} vs {train['bf16']:.0f} "
        f"= {train['bf16'] / train['fp32']:.2f}× | (context) | |",
        f"| training tokens/s in bf16, fused LSTM vs stepped with each step's gates clipped (`--recipe folkrnn`) "
        f"| {train['bf16']:.0f} vs {train['bf16_clipped']:.0f} = {train['bf16'] / train['bf16_clipped']:.2f}× the time "
        f"| (context) | |",
    ]


def _browser_rows(browser: dict, was: dict) -> list[str]:
    return [f"| Chromium: widget change to the new number on screen, {name} (a fragment) | {ms:.0f} ms | (context) | |"
            for name, ms in browser.items()]


def _threads_rows(threads: dict, was: dict) -> list[str]:
    return [f"| load + SVD in a fresh process with the app's threads (one BLAS thread), the other core busy vs idle "
            f"| {threads['busy_ms']:.0f} ms vs {threads['idle_ms']:.0f} ms = {threads['ratio']:.2f}× | ≤ 2× | "
            f"{verdict(threads['ratio'] <= 2)} |"]


def _memory_rows(memory: dict, was: dict) -> list[str]:
    from .server import ONE_LINK, ONE_LINK_SESSIONS

    def then(key: str, unit: str = "MB") -> str:
        return f" (before: {was[key]:.0f} {unit})" if key in was else ""

    return [
        f"| server RSS after one visit to every page with its defaults | {memory['after_tour_mb']:.0f} MB"
        f"{then('after_tour_mb')} | ≤ 450 MB | {verdict(memory['after_tour_mb'] <= 450)} |",
        f"| server peak RSS (with its children) while 8 browser sessions work on the heavy pages at once, each with its own "
        f"settings and its button pressed ({memory['class_exceptions']} exceptions; still serving: "
        f"{'yes' if memory['serving_after_class'] else '**no**'}) | {memory['class_peak_mb']:.0f} MB{then('class_peak_mb')} "
        f"| ≤ 690 MB | {verdict(memory['class_peak_mb'] <= 690 and not memory['class_exceptions'])} |",
        f"| peak RSS added while {ONE_LINK_SESSIONS} sessions open one link (`{ONE_LINK}`) and press "
        f"its button together ({memory['one_link_exceptions']} exceptions), and the seconds until all have their "
        f"result | {memory['one_link_added_mb']:.0f} MB{then('one_link_added_mb')}, {memory['one_link_seconds']:.0f} s"
        f"{then('one_link_seconds', 's')} | | |",
        f"| peak RSS added by uploading a folk-rnn-v2-sized (23 MB) original pickle, parsed in the sandbox "
        f"(loaded: {'yes' if memory['pickle_loaded'] else '**no**'}) | {memory['pickle_added_mb']:.0f} MB"
        f"{then('pickle_added_mb')} | ≤ 200 MB | {verdict(memory['pickle_added_mb'] <= 200)} |",
    ]


SECTIONS = {  # benchmark -> (its section's title, its rows from its results and the earlier tree's)
    "load": ("Loading the embedded model", _load_rows), "pages": ("Warm reruns in AppTest", _pages_rows),
    "first": ("First visits", _first_rows), "cold": ("Cold start in Chromium", _cold_rows),
    "sampling": ("Sampling", _sampling_rows), "interventions": ("Composing under interventions", _interventions_rows),
    "training": ("Training", _training_rows), "browser": ("Reruns in Chromium", _browser_rows),
    "threads": ("Threads under load", _threads_rows), "memory": ("Server memory", _memory_rows),
}
HEAD = """# Benchmarks

Medians over repeated runs; ratios are taken within the same run. Each section names the command,
machine and time that measured it: `python -m benchmarks --only NAME …` measures those sections
again and keeps the others.

"""


def report(r: dict, command: str, before: dict | None = None) -> dict[str, str]:
    """The section of every benchmark in ``r`` (name -> its results): what measured it, where and when, and
    its table; ``before`` (an earlier tree's results) adds the figures marked *before*."""
    before = before or {}
    stamp = f"Command: `{command}` · machine: {machine()} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."
    was = f" Figures marked *before* come from {before.get('tree', 'an earlier tree')}."
    return {name: "\n".join([f"## {title}", "", stamp + (was if name in before else ""), "",
                             "| measure | result | target | |", "| --- | --- | --- | --- |",
                             *rows(r[name], before.get(name, {}))])
            for name, (title, rows) in SECTIONS.items() if r.get(name)}


def write_report(path: Path, r: dict, command: str, before: dict | None = None) -> str:
    """docs/benchmarks.md with the sections of the benchmarks in ``r`` rewritten, the others kept."""
    return write_sections(path, list(SECTIONS), report(r, command, before), HEAD)


def main(argv: list[str] | None = None) -> int:
    from . import server

    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", nargs="*", choices=list(SECTIONS),
                        help="measure these benchmarks and rewrite their sections of --out, keeping the others")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, help="also write the results here, as JSON")
    parser.add_argument("--before", type=Path, help="results (--json) of an earlier tree, shown as 'before'")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    wanted = args.only or ["load", "threads", "pages", "first", "sampling", "interventions", "training", "cold",
                           "browser", "memory"]
    runners = {"load": lambda: load_and_svd(args.repeat), "pages": lambda: apptest_reruns(args.repeat),
               "first": lambda: server.first_visits(max(1, args.repeat // 3)),
               "threads": lambda: server.threads_under_load(args.repeat),
               "interventions": lambda: interventions(max(3, args.repeat // 2)),
               "cold": lambda: browser_cold_start(max(3, args.repeat // 2)), "memory": server.server_memory,
               "sampling": lambda: sampling(args.repeat), "training": training,
               "browser": lambda: browser_reruns(args.repeat)}
    results = {}
    for name in wanted:
        started = time.perf_counter()
        results[name] = runners[name]()
        print(f"{name}: {results[name]} ({time.perf_counter() - started:.0f} s)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    before = json.loads(args.before.read_text()) if args.before else None
    write_report(args.out, results, "python -m benchmarks " + " ".join(argv or sys.argv[1:]), before)
    print(f"wrote {args.out}")
    return 0
