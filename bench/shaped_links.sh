#!/usr/bin/env bash
# `gtsrb-dist bench` across two emulated hosts (launch/emulated-cluster.sh: network namespaces on a bridge) whose
# links are rate-limited with tc tbf, for each link rate and each --allreduce-dtype; prints the medians.
#   bench/shaped_links.sh [--ranks-per-host K] [--repeats R] [--steps S] [--rates "unlimited 10gbit 1gbit"]
#                         [--out FILE]
# Needs root (namespaces). Every RESULT line, with the link's rate added as "link", goes to FILE (default
# results/shaped-links-Kx.jsonl); bench/scaling_model.py reads it. The emulated hosts share this machine's
# cores: K ranks per host on 2 hosts run 2K ranks here, with cores/2K engine threads each (at least 1).
set -euo pipefail
cd "$(dirname "$0")/.."
per_host=1
repeats=3
steps=20
rates="unlimited 10gbit 1gbit"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ranks-per-host) per_host=${2:?--ranks-per-host needs a number}; shift 2 ;;
    --repeats) repeats=${2:?--repeats needs a number}; shift 2 ;;
    --steps) steps=${2:?--steps needs a number}; shift 2 ;;
    --rates) rates=${2:?--rates needs a list such as "unlimited 1gbit"}; shift 2 ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "error: bench/shaped_links.sh needs root (network namespaces)" >&2; exit 2; }
[ -x .build/release/gtsrb-dist ] || swift build -c release >/dev/null
out=${out:-results/shaped-links-${per_host}x.jsonl}
mkdir -p "$(dirname "$out")"
: >"$out"
cluster=launch/emulated-cluster.sh
export GTSRB_CLUSTER_NAME=${GTSRB_CLUSTER_NAME:-gdbench} GTSRB_CLUSTER_NET=${GTSRB_CLUSTER_NET:-10.213.11}
$cluster up 2 >/dev/null
trap '$cluster down >/dev/null 2>&1 || true' EXIT
ranks=$((2 * per_host))
# The emulated hosts share this machine: each rank gets its share of the cores, as ranks = cores on one host.
threads=$(($(nproc) / ranks))
[ "$threads" -ge 1 ] || threads=1
for rate in $rates; do
  for h in host1 host2; do
    if [ "$rate" = unlimited ]; then $cluster unshape $h; else $cluster shape $h "$rate"; fi
  done
  for r in $(seq "$repeats"); do
    for dtype in float32 bfloat16 float16; do
      line=$($cluster mpirun -n "$ranks" --ranks-per-host "$per_host" \
        bench --threads "$threads" --steps "$steps" --allreduce-dtype "$dtype" 2>&1 | grep '^RESULT ' | tail -1) ||
        { echo "error: bench failed (link $rate, $dtype, repeat $r)" >&2; exit 1; }
      echo "${line#RESULT }" | python3 -c \
        'import json,sys; d=json.load(sys.stdin); d["link"]=sys.argv[1]; print(json.dumps(d))' "$rate" >>"$out"
      echo "link $rate, $dtype, repeat $r done" >&2
    done
  done
done
python3 - "$out" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"2 hosts x {rows[0]['ranks'] // 2} rank(s), global batch {rows[0]['batch']}, medians of {sys.argv[1]}:")
print("| link | allreduce dtype | step ms | train img/s | allreduce share | transfer share | allreduce alone ms |")
print("|---|---|---|---|---|---|---|")
keys = ["step_ms", "train_img_s", "allreduce_share", "allreduce_transfer_share", "allreduce_alone_ms"]
seen = []
for r in rows:
    if (r["link"], r["allreduce_dtype"]) not in seen:
        seen.append((r["link"], r["allreduce_dtype"]))
for link, dtype in seen:
    m = {k: statistics.median(r[k] for r in rows if (r["link"], r["allreduce_dtype"]) == (link, dtype)) for k in keys}
    print(f"| {link} | {dtype} | {m['step_ms']:.0f} | {m['train_img_s']:.0f} | {100 * m['allreduce_share']:.0f} % "
          f"| {100 * m['allreduce_transfer_share']:.0f} % | {m['allreduce_alone_ms']:.1f} |")
EOF
