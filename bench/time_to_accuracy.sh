#!/usr/bin/env bash
# Time to 99.0 / 99.3 / 99.5 % validation accuracy: a whole cosine run of ours, then of the PyTorch twin
# (tools/torch_twin.py: same model, recipe and held-out tracks), one after the other on this machine.
#   bench/time_to_accuracy.sh --data DIR [--model M] [--epochs E] [--ranks N] [--threads T] [--no-mirror]
#   [--crop whole] [--weight-decay W] [--label-smoothing E] [--out FILE]
#   (PY=python-with-torch)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .build/release/gtsrb-dist ] || swift build -c release >/dev/null
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
exec python3 bench/vs_pytorch.py accuracy "$@"
