#!/usr/bin/env bash
# Copy a training run's latest epoch (last.safetensors, float32) and its log.json into the
# repository, so that a machine without the run's last.pt can continue it from the committed files
# (README, "Training data and your own replica"). The weights are copied first: the trainer writes
# them before the log, so the copied log is never older than the weights, and a resume cuts a
# newer log back to the weights' epoch.
# Usage: scripts/snapshot_run.sh [RUN] [DEST]   (default /work/runs/folkrnn_head docs/training/folkrnn_head)
set -euo pipefail
run=${1:-/work/runs/folkrnn_head}
dest=${2:-docs/training/folkrnn_head}
mkdir -p "$dest"
cp "$run/last.safetensors" "$dest/last.safetensors.tmp" && mv "$dest/last.safetensors.tmp" "$dest/last.safetensors"
cp "$run/log.json" "$dest/log.json.tmp" && mv "$dest/log.json.tmp" "$dest/log.json"
"${PYTHON:-.venv/bin/python}" -m folkrnn info --model "$dest/last.safetensors" > /dev/null  # it loads, checked
if [ "$dest" = docs/training/folkrnn_head ]; then  # the model card's section of this run, from the log
    "${PYTHON:-.venv/bin/python}" scripts/make_model_card.py --progress
fi
echo "snapshot of $run in $dest; commit it with: git add $dest MODEL_CARD.md && git commit -m '...' -- $dest MODEL_CARD.md"
