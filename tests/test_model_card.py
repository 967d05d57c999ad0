"""MODEL_CARD.md and its generator: the card's reproduce block runs as written, on the folders its
training commands write; its sections rewritten one at a time; and the card's bands adding up to its
validation figure."""

import re
from pathlib import Path

from folkrnn.analysis.rmsprop import summed_loss_share
from scripts import make_model_card

ROOT = Path(__file__).resolve().parents[1]


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


def test_reproduce_copies_a_log_to_the_folder_the_card_reads():
    logs = [_log("/tmp/runs/f")]
    lines = make_model_card.reproduce(logs, Path("data.txt"), "faithful", [Path("docs/training/f")]).splitlines()
    assert lines == [
        "python -m folkrnn train --data d.txt --out /tmp/runs/f   # to epoch 5",
        "cp /tmp/runs/f/best.safetensors folkrnn/assets/folkrnn_v2_faithful.safetensors",
        "mkdir -p docs/training/f && cp /tmp/runs/f/log.json docs/training/f/log.json",
        "python scripts/make_model_card.py --model faithful --data data.txt --run docs/training/f",
    ]


def test_each_reproduce_block_of_the_card_is_self_consistent():
    card = (ROOT / "MODEL_CARD.md").read_text()
    blocks = re.findall(r"Reproduce .*?```bash\n(.*?)```", card, re.S)
    assert len(blocks) == 2, "one block per embedded model"
    for block in blocks:
        outs = re.findall(r"folkrnn train .*?--out (\S+)", block)
        copies = dict(re.findall(r"cp (\S+)/log.json (\S+)/log.json", block))
        card_line = next(line for line in block.splitlines() if "make_model_card.py" in line)
        assert outs, "the block must hold the training commands"
        assert card_line.split("--run ")[1].split() == [copies.get(out, out) for out in dict.fromkeys(outs)]


def test_write_card_rewrites_the_given_sections_and_keeps_the_others(tmp_path):
    path = tmp_path / "card.md"
    make_model_card.write_card(path, {"replica": "# R\nold", "faithful": "# F"})
    card = make_model_card.write_card(path, {"comparison": "# C", "replica": "# R\nnew"})
    assert card == ("<!-- section: comparison -->\n# C\n<!-- end: comparison -->\n\n"
                    "<!-- section: replica -->\n# R\nnew\n<!-- end: replica -->\n\n"
                    "<!-- section: faithful -->\n# F\n<!-- end: faithful -->\n")
    assert path.read_text() == card


def test_the_comparison_puts_each_push_next_to_the_blogs():
    summary = lambda s1: {"s": [s1, 10.0, 5.0], "s1_over_s2": s1 / 10,  # noqa: E731
                          "pushes": {f"{sign}u{i}": [[f"{sign}{i}", 0.5]] for i in (1, 2, 3) for sign in "+-"}}
    figures = {"replica": make_model_card.Shipped("R", 1.1, summary(30.0)),
               "faithful": make_model_card.Shipped("F", 1.3, summary(70.0))}
    text = make_model_card.render_comparison(figures, 7624, "python scripts/make_model_card.py --data d")
    assert "| replica: R | 1.1000 | 30.00 | 10.00 | 5.00 | 3.00 |" in text
    assert "| original folk-rnn v2 (Sturm, part 3) | not measured: trained on all of data_v2 | ≈ 509 | 65.76 | 63.45 | ≈ 7.74 |" in text
    assert "| −u_1 | “|:” 27%, “</s>” 17% | “-1” 50% | “-1” 50% |" in text
    assert "| +u_3 | “>” 98% | “+3” 50% | “+3” 50% |" in text
    assert "| +u_1 | — |" in text
    assert "**replica** has the lower validation NLL and **faithful** the s_1/s_2 closer" in text
    figures["faithful"] = make_model_card.Shipped("F", 1.3, summary(20.0))  # now the replica leads on both counts
    text = make_model_card.render_comparison(figures, 7624, "python scripts/make_model_card.py --data d")
    assert "**replica** has both the lower validation NLL and the s_1/s_2 closer to the original's." in text


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


def test_epsilon_note_reads_the_last_logged_epoch():
    shares = {"W_in": 0.02, "W_hid": 0.025, "b": 0.2, "init": 0.1, "V": 0.04, "v": 0.2}
    epochs = [{"epoch": 1}, {"epoch": 2, "epsilon_share": {**shares, "W_hid": 0.5}}, {"epoch": 3, "epsilon_share": shares}]
    note = make_model_card._epsilon_note(epochs, 170.0)
    assert "at epoch 3 (logged from epoch 2 on" in note and "W_hid 0.025" in note
    summed = summed_loss_share(0.025, 170.0)
    assert f"W_hid {summed:.3f}" in note and f"about\n{summed / 0.025:.0f} times larger" in note
    assert make_model_card._epsilon_note(epochs[:1], 170.0) == ""


def test_clipping_says_where_the_run_went_fused_and_how_far_below_the_bound_its_peaks_stayed():
    epochs = [{"epoch": 1}, {"epoch": 2, "gate_grad_peak": 4e-3}, {"epoch": 3, "gate_grad_peak": 5e-3}]
    log = {"config": {"clip": 5.0, "fused": True}, "epochs": epochs,
           "resumes": [{"after_epoch": 1, "command": "c", "weights": "w"}, {"after_epoch": 2, "command": "c", "fused": True}]}
    text = make_model_card._clipping(log)
    assert text.startswith("epochs 1–2: each step's gate pre-activation gradients clipped elementwise to ±5.0")
    assert "from epoch 3 (`--fused`): PyTorch's fused LSTM kernel" in text
    assert "every epoch from epoch 2) is 5.0e-03, 1,000 times below it" in text
    assert make_model_card._clipping({**log, "config": {"clip": 5.0, "fused": False}, "resumes": []}).startswith(
        "each step's gate")  # never fused: no peaks sentence
    assert make_model_card._clipping({**log, "resumes": []}).startswith("PyTorch's fused")  # fused from the start


def test_the_second_attempts_section_reads_its_log_and_its_ship_rule(tmp_path):
    january = {"epochs": [{"epoch": e, "spectrum": {"s1_over_s2": 1.0 + e / 10}} for e in range(1, 6)]}
    head = {"config": {"epochs": 308}, "resumes": [], "epochs": [
        {"epoch": e, "updates": 114 * e, "train_nll": 3.0, "valid_nll": 3.1, "seconds": 60.0 * (18 + e),
         "gate_grad_peak": 0.01, "spectrum": {"s": [10.0 * e, 5.0, 2.0], "s1_over_s2": 2.0 * e}} for e in (1, 2, 3)]}
    text = make_model_card.render_head_progress(head, make_model_card._with_updates(january, 145),
                                                make_model_card.ROOT / "x.svg")
    assert "epoch 308 of 114 updates here" in text  # 308 × 114 = 35,112, the first past 35,100
    assert "epoch 3 of 308 (342 of 35,100 updates)" in text
    assert "s_1/s_2 6.00 where the January run had 1.20 at\n290 updates" in text  # its epoch 2, 290 updates
    assert "took 19–21 minutes of wall time on one CPU thread (median 20;" in text
    assert f"about\n{305 * 20 / 60:.0f} hours at the median" in text
    assert text.count("\n| ") == 5  # the header, its rule and three epochs
