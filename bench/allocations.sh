#!/usr/bin/env bash
# Heap allocations per training step after warm-up: runs `gtsrb-dist bench` under valgrind with 2 and
# with 4 timed steps (same warm-up) and prints the difference in heap allocations per extra step.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
bin=.build/release/gtsrb-dist
[ -x "$bin" ] || swift build -c release >/dev/null
count() { valgrind --tool=memcheck --leak-check=no "$bin" bench --steps "$1" --warmup 1 --batch-size 8 --eval-batch-size 8 2>&1 \
  | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,; }
a=$(count 2); b=$(count 4)
echo "heap allocations: $a with 2 steps, $b with 4 steps: $(( (b - a) / 2 )) per step after warm-up"
