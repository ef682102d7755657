#!/usr/bin/env bash
# Side-by-side throughput: our `gtsrb-dist bench` against the PyTorch DDP peer (../shared/peer/ddp_vgg.py),
# alternated in one run at 1 rank x 1 thread, 1 rank x all cores, 2 ranks and 4 ranks, with the same
# global batch (32 per rank) and eval batch (256 per rank); prints the medians and our/peer ratios.
#   bench/compare.sh [ROUNDS]       (PEER=path/to/ddp_vgg.py  PY=python-with-torch)
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
peer=${PEER:-../shared/peer/ddp_vgg.py}
py=${PY:-python3}
bin=.build/release/gtsrb-dist
[ -x "$bin" ] || swift build -c release >/dev/null
cores=$(nproc)
havepeer=1
if ! [ -f "$peer" ] || ! "$py" -c "import torch" 2>/dev/null; then
  echo "peer skipped: PyTorch not importable by $py (install: python3 -m venv /tmp/peer-venv && /tmp/peer-venv/bin/pip install torch==2.13.0 numpy; PY=/tmp/peer-venv/bin/python)"
  havepeer=0
fi
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=$(mktemp)
# name | our command | peer command
configs=(
  "1x1|$bin bench --threads 1 --batch-size 32 --eval-batch-size 256|$py $peer --procs 1 --threads 1 --batch 32"
  "1x$cores|$bin bench --threads $cores --batch-size 32 --eval-batch-size 256|$py $peer --procs 1 --threads $cores --batch 32 --channels-last"
  "2 ranks|launch/local.sh 2 bench --batch-size 64 --eval-batch-size 512|$py $peer --procs 2 --threads 1 --batch 32 --channels-last"
  "4 ranks|launch/local.sh 4 bench --batch-size 128 --eval-batch-size 1024|$py $peer --procs 4 --threads 1 --batch 32"
)
for r in $(seq "$rounds"); do
  for c in "${configs[@]}"; do
    IFS='|' read -r name ours theirs <<<"$c"
    echo "ours|$name|$($ours 2>/dev/null | grep '^RESULT' | cut -c8-)" >> "$out"
    [ $havepeer = 1 ] && echo "peer|$name|$($theirs 2>/dev/null | grep '^RESULT' | cut -c8-)" >> "$out"
  done
  echo "round $r of $rounds done" >&2
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    who, name, js = line.rstrip("\n").split("|", 2)
    if not js.strip():
        continue
    r = json.loads(js)
    rss = max(r.get("peak_rss_mb_per_rank") or r.get("rss_peak_mb_all") or [r.get("peak_rss_mb", r.get("rss_peak_mb", 0))])
    rows.setdefault((name, who), []).append((r["train_img_s"], r["eval_img_s"], rss, r.get("allreduce_share", float("nan")),
                                           r.get("allreduce_transfer_share", float("nan"))))
def med(name, who, k):
    v = rows.get((name, who))
    return statistics.median(x[k] for x in v) if v else float("nan")
names = []
for (n, _) in rows:
    if n not in names: names.append(n)
print(f"{'config':10} {'ours train':>10} {'peer train':>10} {'ratio':>6} {'ours eval':>10} {'peer eval':>10} {'ratio':>6} {'ours RSS':>9} {'peer RSS':>9} {'allreduce':>9} {'transfer':>8}")
for n in names:
    ot, pt = med(n, "ours", 0), med(n, "peer", 0)
    oe, pe = med(n, "ours", 1), med(n, "peer", 1)
    orss, prss = med(n, "ours", 2), med(n, "peer", 2)
    share, transfer = med(n, "ours", 3), med(n, "ours", 4)
    print(f"{n:10} {ot:10.1f} {pt:10.1f} {ot/pt:6.2f} {oe:10.1f} {pe:10.1f} {oe/pe:6.2f} {orss:8.0f}M {prss:8.0f}M {100 * share:8.1f}% {100 * transfer:7.1f}%")
print("img/s medians over rounds; RSS = peak resident MB of the largest rank; allreduce = our share of step time in")
print("the gradient allreduce, waiting for the slower rank included (0 on one rank); transfer = the part that is the")
print("communication itself (per step, the allreduce time of the rank that arrived last)")
PY
rm -f "$out"
