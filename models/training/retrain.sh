#!/bin/sh
# Retrain light style students from scratch (CPU, 1 thread each, one style after another), export and check ONNX.
#   sh models/training/retrain.sh mosaic [candy udnie ...]     (run from the repository root)
# Scratch data, caches, checkpoints and logs go to $DEEPPHOTO_WORK (default /tmp/deepphoto-train), never the repo.
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
WORK=${DEEPPHOTO_WORK:-/tmp/deepphoto-train}
mkdir -p "$WORK/logs"
for style in "$@"; do
  start=$(date +%s)
  "$PY" models/training/train.py --style "$style" ${TRAIN_ARGS:-} > "$WORK/logs/train_$style.log" 2>&1
  "$PY" models/training/export.py --style "$style" >> "$WORK/logs/train_$style.log" 2>&1
  echo "$style: $(( ($(date +%s) - start) / 60 )) min" | tee -a "$WORK/logs/retrain_times.txt"
done
