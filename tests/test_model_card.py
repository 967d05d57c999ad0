"""MODEL_CARD.md and its generator: the card's reproduce block runs as written, on the folders its
training commands write."""

import importlib.util
import re
from pathlib import Path

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
