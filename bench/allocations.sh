#!/usr/bin/env bash
# Heap allocations per training step after warm-up: runs `gtsrb-dist bench` under valgrind's DHAT with 2
# and with 4 timed steps (same warm-up) and counts the blocks allocated inside the training step
# (every stack through DataParallelReplica.step: forward, backward, allreduce, optimizer). Allocations
# outside the step (start-up, evaluation, printing the result) are reported apart and do not count.
#   bench/allocations.sh [THREADS] [MODEL]   (engine threads, default the bench default, cores / ranks;
#                                            --model, default vgg_small; GTSRB_ALLOC_BATCH images per step, 8)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed to read DHAT's output"; exit 1; }
# A release build with DWARF 4 debug info in its own folder: valgrind 3.19 (Debian 12) gives up on the DWARF 5 that
# Swift 6.3 writes. Under valgrind the CPU shows no AVX-512, so the engine's GEMMs run OpenBLAS unless
# GTSRB_GEMM=avx2 asks for the engine's own SGEMM (its AVX2 width; the driver and buffers are the same code).
bin=.build-dhat/release/gtsrb-dist
swift build -c release --scratch-path .build-dhat -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4 >/dev/null
threads=()
[ $# -ge 1 ] && [ -n "$1" ] && threads=(--threads "$1")
model=(--model "${2:-vgg_small}")
batch=${GTSRB_ALLOC_BATCH:-8}
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
for s in 2 4; do
  valgrind --tool=dhat --num-callers=64 --dhat-out-file="$out/s$s.json" \
    "$bin" bench --steps "$s" --warmup 1 --batch-size "$batch" --eval-batch-size "$batch" "${threads[@]}" \
    "${model[@]}" >"$out/s$s.log" 2>&1
done
python3 - "$out" <<'PY'
import json, sys
def blocks(path):
    d = json.load(open(path)); frames = d["ftbl"]
    inside = outside = 0; sites = {}
    for pp in d["pps"]:
        stack = [frames[i] for i in pp["fs"]]
        if any("DataParallelReplica" in f and "step" in f for f in stack):
            inside += pp["tbk"]
            site = next((f for f in stack if ".swift:" in f), stack[0]).split(": ", 1)[-1]
            sites[site] = sites.get(site, 0) + pp["tbk"]
        else:
            outside += pp["tbk"]
    return inside, outside, sites
a, oa, sa = blocks(sys.argv[1] + "/s2.json")
b, ob, sb = blocks(sys.argv[1] + "/s4.json")
print(f"heap allocations inside the training step: {a} with 2 steps, {b} with 4 steps: {(b - a) / 2:g} per step after warm-up")
print(f"(outside the step: {oa} and {ob} blocks)")
for site in sorted(set(sa) | set(sb)):
    if sb.get(site, 0) != sa.get(site, 0):
        print(f"  {(sb.get(site, 0) - sa.get(site, 0)) / 2:g} per step at {site}")
PY
