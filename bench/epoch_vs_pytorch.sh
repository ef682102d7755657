#!/usr/bin/env bash
# One real training epoch of ours and of the PyTorch twin (tools/torch_twin.py: same model, augmentation, batch,
# lr schedule and held-out tracks), one after the other, with OpenBLAS as this machine sets it and with
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset for that command (a stock install); prints both ratios and peak RSS.
#   bench/epoch_vs_pytorch.sh --data DIR [--model M] [--ranks N] [--threads T] [--rounds R] [--out FILE]
#   (PY=python-with-torch; the figures of README's "Against PyTorch" come from this script)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .build/release/gtsrb-dist ] || swift build -c release >/dev/null
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
exec python3 bench/vs_pytorch.py epoch "$@"
