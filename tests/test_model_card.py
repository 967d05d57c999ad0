"""MODEL_CARD.md and its generator: the card's reproduce block runs as written, on the folders its
training commands write; how close validation tunes come to the training split, against a brute-force
count; and the card's bands adding up to its validation figure."""

import importlib.util
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("make_model_card", ROOT / "scripts" / "make_model_card.py")
make_model_card = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_model_card)


def _log(out: str, init: str | None = None, resumed_after: int | None = None) -> dict:
    command = f"python -m folkrnn train --data d.txt --out {out}" + (f" --init {init}" if init else "")
    resumes = [{"after_epoch": resumed_after, "command": f"python -m folkrnn train --data d.txt --out {out} --resume"}]
    return {"command": command, "config": {"out": out}, "epochs": [{}] * 5,
            "resumes": resumes if resumed_after else []}


def test_reproduce_reads_the_folders_the_training_commands_wrote():
    logs = [_log("runs/a", resumed_after=3), _log("runs/b", init="folkrnn/assets/x.safetensors")]
    lines = make_model_card.reproduce(logs, Path("data.txt")).splitlines()
    assert lines == [
        "python -m folkrnn train --data d.txt --out runs/a   # to epoch 3",
        "python -m folkrnn train --data d.txt --out runs/a --resume   # to epoch 5",
        "cp runs/a/best.safetensors folkrnn/assets/folkrnn_v2_replica.safetensors",
        "python -m folkrnn train --data d.txt --out runs/b --init folkrnn/assets/x.safetensors   # to epoch 5",
        "cp runs/b/best.safetensors folkrnn/assets/folkrnn_v2_replica.safetensors",
        "python scripts/make_model_card.py --data data.txt --run runs/a runs/b",
    ]


def test_the_cards_reproduce_block_is_self_consistent():
    card = (ROOT / "MODEL_CARD.md").read_text()
    block = re.search(r"Reproduce .*?```bash\n(.*?)```", card, re.S).group(1)
    outs = re.findall(r"folkrnn train .*?--out (\S+)", block)
    card_line = next(line for line in block.splitlines() if "make_model_card.py" in line)
    assert outs, "the block must hold the training commands"
    assert card_line.split("--run ")[1].split() == list(dict.fromkeys(outs))


def test_phrases_leave_bar_lines_out():
    tune = "M:4/4 K:Cmaj |: c d | e f g :| a b".split()
    assert make_model_card.phrases(tune, n=3) == {("c", "d", "e"), ("d", "e", "f"), ("e", "f", "g"),
                                                   ("f", "g", "a"), ("g", "a", "b")}


def test_closest_overlap_against_a_brute_force_count():
    rng = np.random.default_rng(0)
    notes = list("CDEFGAB")

    def tune(n):
        return ["M:4/4", "K:Cmaj", *rng.choice(notes + ["|"], n).tolist()]

    reference = [tune(n) for n in rng.integers(5, 40, 30)]
    tunes = [tune(n) for n in rng.integers(5, 40, 10)] + [reference[3][:2] + ["C", "|", "D"], max(reference, key=len)]
    expected = []
    for t in tunes:
        own = make_model_card.phrases(t)
        expected.append(max(len(own & make_model_card.phrases(r)) for r in reference) / len(own) if own else 0.0)
    shares = make_model_card.closest_overlap(tunes, reference)
    np.testing.assert_allclose(shares, expected)
    assert shares[-2] == 0.0 and shares[-1] == 1.0  # too short for a phrase; a copy of a reference tune


def test_the_cards_overlap_bands_add_up_to_its_validation_figure():
    card = (ROOT / "MODEL_CARD.md").read_text()
    validation = re.search(r"\| validation split \| \*\*([0-9.]+)\*\* \| ([0-9,]+) \| ([0-9,]+) \|", card)
    bands = re.findall(r"^\| \d+%–\d+% \| ([0-9,]+) \| ([0-9,]+) \| ([0-9.]+) \|$", card, re.M)
    number = lambda text: int(text.replace(",", ""))  # noqa: E731
    assert len(bands) == len(make_model_card.OVERLAP_BINS) - 1
    assert sum(number(tunes) for tunes, _, _ in bands) == number(validation.group(2))
    assert sum(number(tokens) for _, tokens, _ in bands) == number(validation.group(3))
    mean = sum(number(tokens) * float(nll) for _, tokens, nll in bands) / number(validation.group(3))
    assert abs(mean - float(validation.group(1))) < 1e-4
