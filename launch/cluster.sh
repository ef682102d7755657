#!/usr/bin/env bash
# Runs gtsrb-dist across hosts with mpirun:
#   launch/cluster.sh [options] -n RANKS gtsrb-dist-arguments...
# e.g.  launch/cluster.sh --hostfile hosts.txt --iface eth1 -n 8 train --data /data/GTSRB --save /scratch/run1
# Options:
#   --hostfile FILE      Open MPI hostfile ("node1 slots=4" per line); leave it out inside a Slurm allocation,
#                        where mpirun takes the allocation's hosts
#   --iface IF|CIDR      the network for MPI traffic, an interface name or a subnet (btl_tcp_if_include and
#                        oob_tcp_if_include); needed where hosts have several networks (docker0, a management LAN)
#   --ranks-per-host K   place K ranks on each host (default: fill each host's slots in order)
#   --bind-to core|none  pin each rank to a core (default core; none when ranks outnumber a host's cores)
#   --blas-threads T     OpenBLAS threads per rank (default 1: gtsrb-dist runs its own --threads around them)
#   --agent CMD          how mpirun reaches a host (plm_rsh_agent; default ssh)
# Every host needs Open MPI and the gtsrb-dist binary at the same path (GTSRB_DIST_BIN, default this checkout's
# .build/release/gtsrb-dist); only rank 0's host (the first in the hostfile) needs the images.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${GTSRB_DIST_BIN:-$here/.build/release/gtsrb-dist}
flags=()
ranks=""
bind=core
blas=1
usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --hostfile)
      [ -r "${2:?--hostfile needs a file}" ] || { echo "error: --hostfile $2: cannot read it" >&2; exit 2; }
      flags+=(--hostfile "$2"); shift 2 ;;
    --iface)
      flags+=(--mca btl_tcp_if_include "${2:?--iface needs a name or subnet}" --mca oob_tcp_if_include "$2")
      shift 2 ;;
    --ranks-per-host) flags+=(--map-by "ppr:${2:?--ranks-per-host needs a number}:node"); shift 2 ;;
    --bind-to) bind=${2:?--bind-to needs core or none}; shift 2 ;;
    --blas-threads) blas=${2:?--blas-threads needs a number}; shift 2 ;;
    --agent) flags+=(--mca plm_rsh_agent "${2:?--agent needs a command}"); shift 2 ;;
    -n | -np) ranks=${2:?-n needs a number}; shift 2 ;;
    -h | --help) usage ;;
    --) shift; break ;;
    -*) echo "error: launch/cluster.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ -n "$ranks" ] || { echo "error: launch/cluster.sh: give the number of ranks with -n" >&2; usage; }
[ $# -gt 0 ] || { echo "error: launch/cluster.sh: give the gtsrb-dist subcommand and its arguments" >&2; usage; }
[ -x "$bin" ] || { echo "error: $bin not built; run: swift build -c release" >&2; exit 1; }
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ "$bind" = none ] && flags+=(--oversubscribe)
[ -t 1 ] || export GTSRB_PROGRESS=${GTSRB_PROGRESS:-lines}
# The ranks stop by themselves when a host stops answering (--comm-timeout: they print the ranks they lost and
# exit with status 75), but mpirun can then wait many minutes for that host's daemon. So mpirun runs under watch:
# 20 s after a rank has reported a lost peer, it is ended, and this script exits 75. SIGTERM, SIGINT or SIGUSR1 to
# this script reaches the ranks as SIGUSR1 (mpirun forwards that one and waits, where on SIGTERM it kills the ranks a
# second later): they write a mid-epoch checkpoint and exit 138; --resume-latest continues.
lost=$(mktemp)
rm -f "$lost"
mpirun -n "$ranks" "${flags[@]}" --bind-to "$bind" --mca btl tcp,vader,self \
  -x OPENBLAS_NUM_THREADS="$blas" -x GTSRB_PROGRESS="${GTSRB_PROGRESS:-auto}" "$bin" "$@" \
  2> >(while IFS= read -r line; do
    printf '%s\n' "$line" >&2
    case "$line" in *"(--comm-timeout)"*) [ -e "$lost" ] || touch "$lost" ;; esac
  done) &
pid=$!
trap 'kill -USR1 "$pid" 2>/dev/null' TERM INT USR1
trap 'rm -f "$lost"' EXIT
while kill -0 "$pid" 2>/dev/null; do
  if [ -e "$lost" ] && [ $(($(date +%s) - $(stat -c %Y "$lost"))) -ge 20 ]; then
    echo "launch/cluster.sh: a rank lost contact with a host 20 s ago and mpirun still waits for it; ending it" >&2
    { kill -KILL "$pid"; wait "$pid"; } 2>/dev/null || true
    exit 75
  fi
  sleep 1 & wait $!
done
status=0
wait "$pid" || status=$?
exit "$status"
